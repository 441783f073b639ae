/*
 * The formatting engine behind skiff_printf, skiff_snprintf and the log:
 * integers, characters and strings only (guests have no FPU state).
 */
#include "internal.h"

void skiff_sink_putc(struct skiff_sink *sink, char c)
{
    if (sink->pos == sink->size && sink->flush)
        sink->flush(sink);
    if (sink->pos < sink->size)
        sink->buf[sink->pos++] = c;
    sink->total++;
}

static void put_repeat(struct skiff_sink *sink, char c, int n)
{
    while (n-- > 0)
        skiff_sink_putc(sink, c);
}

struct spec {
    int left;        /* '-' flag */
    int zero;        /* '0' flag */
    int width;
    int precision;   /* -1: none */
};

static void put_string(struct skiff_sink *sink, const struct spec *sp,
                       const char *s)
{
    int len = 0;

    if (!s)
        s = "(null)";
    while (s[len] && (sp->precision < 0 || len < sp->precision))
        len++;
    if (!sp->left)
        put_repeat(sink, ' ', sp->width - len);
    for (int i = 0; i < len; i++)
        skiff_sink_putc(sink, s[i]);
    if (sp->left)
        put_repeat(sink, ' ', sp->width - len);
}

static void put_number(struct skiff_sink *sink, const struct spec *sp,
                       uint64_t v, int negative, unsigned base, int upper,
                       const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);

    int plen = (int)strlen(prefix) + negative;
    int pad = sp->width - n - plen;

    if (!sp->left && !sp->zero)
        put_repeat(sink, ' ', pad);
    if (negative)
        skiff_sink_putc(sink, '-');
    while (*prefix)
        skiff_sink_putc(sink, *prefix++);
    if (!sp->left && sp->zero)
        put_repeat(sink, '0', pad);
    while (n)
        skiff_sink_putc(sink, tmp[--n]);
    if (sp->left)
        put_repeat(sink, ' ', pad);
}

void skiff_sink_format(struct skiff_sink *sink, const char *fmt, va_list ap)
{
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            skiff_sink_putc(sink, *p);
            continue;
        }

        struct spec sp = { 0, 0, 0, -1 };

        for (p++;; p++) {
            if (*p == '-')
                sp.left = 1;
            else if (*p == '0')
                sp.zero = 1;
            else
                break;
        }
        if (*p == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) {
                sp.left = 1;
                sp.width = -sp.width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9')
                sp.width = sp.width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            sp.precision = 0;
            p++;
            if (*p == '*') {
                sp.precision = va_arg(ap, int);
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    sp.precision = sp.precision * 10 + (*p++ - '0');
            }
        }

        /* Length: 0 int, 1 long or size_t, 2 long long; h/hh narrow. */
        int length = 0, narrow = 0;

        for (;; p++) {
            if (*p == 'l')
                length++;
            else if (*p == 'z')
                length = 1;
            else if (*p == 'h')
                narrow++;
            else
                break;
        }

        uint64_t u;
        int64_t d;

        switch (*p) {
        case 'd':
        case 'i':
            d = length ? va_arg(ap, long long) : va_arg(ap, int);
            if (narrow == 1)
                d = (short)d;
            else if (narrow >= 2)
                d = (signed char)d;
            put_number(sink, &sp, d < 0 ? -(uint64_t)d : (uint64_t)d, d < 0,
                       10, 0, "");
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            u = length ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
            if (narrow == 1)
                u = (unsigned short)u;
            else if (narrow >= 2)
                u = (unsigned char)u;
            put_number(sink, &sp, u,  0,
                       *p == 'u' ? 10 : *p == 'o' ? 8 : 16, *p == 'X', "");
            break;
        case 'p':
            put_number(sink, &sp, (uintptr_t)va_arg(ap, void *), 0, 16, 0,
                       "0x");
            break;
        case 'c':
            sp.precision = -1;
            put_repeat(sink, ' ', sp.left ? 0 : sp.width - 1);
            skiff_sink_putc(sink, (char)va_arg(ap, int));
            put_repeat(sink, ' ', sp.left ? sp.width - 1 : 0);
            break;
        case 's':
            put_string(sink, &sp, va_arg(ap, const char *));
            break;
        case '%':
            skiff_sink_putc(sink, '%');
            break;
        case '\0':
            return;
        default:
            /* Unknown conversion: show it rather than guess. */
            skiff_sink_putc(sink, '%');
            skiff_sink_putc(sink, *p);
            break;
        }
    }
}

int skiff_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct skiff_sink sink = { buf, size ? size - 1 : 0, 0, 0, 0 };

    skiff_sink_format(&sink, fmt, ap);
    if (size)
        buf[sink.pos] = '\0';
    return (int)sink.total;
}

int skiff_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = skiff_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
