/*
 * Console output (the PUTS hypercall) and the runtime's log lines.
 * Formatted output is buffered so that a line normally costs one exit.
 */
#include "internal.h"

static enum skiff_log_level log_level = SKIFF_LOG_INFO;

void skiff_console_write(const char *buf, size_t len)
{
    volatile struct hvt_hc_puts p = {
        .data = (uintptr_t)buf,
        .len = len,
    };

    skiff_hypercall(HVT_HYPERCALL_PUTS, &p);
}

void skiff_puts(const char *s)
{
    skiff_console_write(s, strlen(s));
}

static void console_flush(struct skiff_sink *sink)
{
    if (sink->pos)
        skiff_console_write(sink->buf, sink->pos);
    sink->pos = 0;
}

int skiff_vprintf(const char *fmt, va_list ap)
{
    char buf[256];
    struct skiff_sink sink = { buf, sizeof(buf), 0, 0, console_flush };

    skiff_sink_format(&sink, fmt, ap);
    console_flush(&sink);
    return (int)sink.total;
}

int skiff_printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = skiff_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

enum skiff_log_level skiff_log_level(void)
{
    return log_level;
}

void skiff_log_set_level(enum skiff_log_level level)
{
    log_level = level;
}

void skiff_vlog(enum skiff_log_level level, const char *prefix,
                const char *fmt, va_list ap)
{
    if (level == SKIFF_LOG_QUIET || level > log_level)
        return;

    char buf[256];
    struct skiff_sink sink = { buf, sizeof(buf), 0, 0, console_flush };

    for (const char *p = SKIFF_LOG_PREFIX; *p; p++)
        skiff_sink_putc(&sink, *p);
    for (const char *p = prefix; *p; p++)
        skiff_sink_putc(&sink, *p);
    skiff_sink_format(&sink, fmt, ap);
    skiff_sink_putc(&sink, '\n');
    console_flush(&sink);
}

void skiff_log(enum skiff_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    skiff_vlog(level, "", fmt, ap);
    va_end(ap);
}
