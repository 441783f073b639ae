/* CPU sets as fixed bitmaps, and the kernel's cpulist text form. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/cpuset.h"

#define WORDS (CPUSET_MAX / 64)

void cpuset_zero(struct cpuset *s)
{
    memset(s, 0, sizeof(*s));
}

void cpuset_set(struct cpuset *s, unsigned cpu)
{
    if (cpu < CPUSET_MAX)
        s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

void cpuset_clear(struct cpuset *s, unsigned cpu)
{
    if (cpu < CPUSET_MAX)
        s->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}

bool cpuset_has(const struct cpuset *s, unsigned cpu)
{
    return cpu < CPUSET_MAX && (s->bits[cpu / 64] >> (cpu % 64) & 1);
}

unsigned cpuset_count(const struct cpuset *s)
{
    unsigned n = 0;

    for (unsigned i = 0; i < WORDS; i++)
        n += (unsigned)__builtin_popcountll(s->bits[i]);
    return n;
}

bool cpuset_empty(const struct cpuset *s)
{
    for (unsigned i = 0; i < WORDS; i++)
        if (s->bits[i])
            return false;
    return true;
}

bool cpuset_equal(const struct cpuset *a, const struct cpuset *b)
{
    return memcmp(a->bits, b->bits, sizeof(a->bits)) == 0;
}

void cpuset_and(struct cpuset *d, const struct cpuset *a, const struct cpuset *b)
{
    for (unsigned i = 0; i < WORDS; i++)
        d->bits[i] = a->bits[i] & b->bits[i];
}

void cpuset_or(struct cpuset *d, const struct cpuset *a, const struct cpuset *b)
{
    for (unsigned i = 0; i < WORDS; i++)
        d->bits[i] = a->bits[i] | b->bits[i];
}

void cpuset_andnot(struct cpuset *d, const struct cpuset *a, const struct cpuset *b)
{
    for (unsigned i = 0; i < WORDS; i++)
        d->bits[i] = a->bits[i] & ~b->bits[i];
}

int cpuset_next(const struct cpuset *s, unsigned from)
{
    if (from >= CPUSET_MAX)
        return -1;
    unsigned i = from / 64;
    uint64_t w = s->bits[i] & (~UINT64_C(0) << (from % 64));

    for (;;) {
        if (w)
            return (int)(i * 64 + (unsigned)__builtin_ctzll(w));
        if (++i == WORDS)
            return -1;
        w = s->bits[i];
    }
}

/* The first CPU >= from that is NOT a member (CPUSET_MAX if none). */
static unsigned next_clear(const struct cpuset *s, unsigned from)
{
    if (from >= CPUSET_MAX)
        return CPUSET_MAX;
    unsigned i = from / 64;
    uint64_t w = ~s->bits[i] & (~UINT64_C(0) << (from % 64));

    for (;;) {
        if (w)
            return i * 64 + (unsigned)__builtin_ctzll(w);
        if (++i == WORDS)
            return CPUSET_MAX;
        w = ~s->bits[i];
    }
}

/* Decimal digits at *p into *v; -EINVAL without a digit, -ERANGE past CPUSET_MAX - 1. */
static int parse_cpu(const char **p, unsigned *v)
{
    const char *q = *p;
    unsigned n = 0;
    bool big = false;

    if (!isdigit((unsigned char)*q))
        return -EINVAL;
    for (; isdigit((unsigned char)*q); q++) {
        if (!big)
            n = n * 10 + (unsigned)(*q - '0');
        if (n >= CPUSET_MAX)
            big = true;     /* keep consuming digits; never overflows */
    }
    if (big)
        return -ERANGE;
    *v = n;
    *p = q;
    return 0;
}

static const char *skip_blanks(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

int cpuset_parse_at(struct cpuset *s, const char *list, size_t *errpos)
{
    struct cpuset r;
    const char *p = skip_blanks(list);
    int rc;

    cpuset_zero(&r);
    /* "" and "\n" (an empty sysfs file) are the empty set. */
    if (*p == '\n' && p[1] == '\0')
        p++;
    while (*p) {
        unsigned a, b;

        rc = parse_cpu(&p, &a);
        if (rc < 0)
            goto fail;
        b = a;
        p = skip_blanks(p);
        if (*p == '-') {
            p = skip_blanks(p + 1);
            rc = parse_cpu(&p, &b);
            if (rc < 0)
                goto fail;
            if (b < a) {
                rc = -EINVAL;
                goto fail;
            }
            p = skip_blanks(p);
        }
        for (unsigned c = a; c <= b; c++)
            cpuset_set(&r, c);
        if (*p == ',') {
            p = skip_blanks(p + 1);
            if (!*p || *p == '\n') {    /* a trailing comma */
                rc = -EINVAL;
                goto fail;
            }
        } else if (*p == '\n' && p[1] == '\0') {
            p++;
        } else if (*p) {
            rc = -EINVAL;
            goto fail;
        }
    }
    *s = r;
    return 0;
fail:
    if (errpos)
        *errpos = (size_t)(p - list);
    return rc;
}

int cpuset_parse(struct cpuset *s, const char *list)
{
    return cpuset_parse_at(s, list, NULL);
}

int cpuset_format(const struct cpuset *s, char *buf, size_t len)
{
    size_t used = 0;
    int c = cpuset_next(s, 0);

    if (len == 0)
        return -ENOSPC;
    buf[0] = '\0';
    while (c >= 0) {
        unsigned a = (unsigned)c, b = next_clear(s, a) - 1;
        int n = a == b ? snprintf(buf + used, len - used, "%s%u", used ? "," : "", a)
                       : snprintf(buf + used, len - used, "%s%u-%u", used ? "," : "", a, b);

        if (n < 0 || (size_t)n >= len - used) {
            buf[0] = '\0';
            return -ENOSPC;
        }
        used += (size_t)n;
        c = b + 1 < CPUSET_MAX ? cpuset_next(s, b + 1) : -1;
    }
    return (int)used;
}
