#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cpulist.h"

/* A decimal number below LIMIT at *P; advances *P. */
static bool number(const char **p, unsigned limit, unsigned *out)
{
    const char *s = *p;
    unsigned long v = 0;
    if (*s < '0' || *s > '9')
        return false;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (unsigned long)(*s - '0');
        if (v >= limit)
            return false;
        s++;
    }
    *p = s;
    *out = (unsigned)v;
    return true;
}

int hv_cpulist_parse(const char *text, unsigned limit, uint64_t *bits)
{
    if (limit > HV_CPULIST_MAX)
        limit = HV_CPULIST_MAX;
    memset(bits, 0, HV_CPULIST_WORDS * sizeof *bits);
    const char *p = text;
    for (;;) {
        unsigned lo, hi;
        if (!number(&p, limit, &lo))
            return -EINVAL;
        hi = lo;
        if (*p == '-') {
            p++;
            if (!number(&p, limit, &hi) || hi < lo)
                return -EINVAL;
        }
        for (unsigned c = lo; c <= hi; c++)
            bits[c / 64] |= 1ULL << (c % 64);
        if (*p == '\0')
            return 0;
        if (*p++ != ',')
            return -EINVAL;
    }
}

static bool bit(const uint64_t *bits, unsigned i)
{
    return (bits[i / 64] >> (i % 64)) & 1;
}

void hv_cpulist_format(const uint64_t *bits, unsigned nbits, char *buf, size_t size)
{
    size_t off = 0;
    if (size == 0)
        return;
    buf[0] = '\0';
    for (unsigned i = 0; i < nbits; i++) {
        if (!bit(bits, i))
            continue;
        unsigned j = i;
        while (j + 1 < nbits && bit(bits, j + 1))
            j++;
        char item[32];
        int n = j > i ? snprintf(item, sizeof item, "%s%u-%u", off ? "," : "", i, j)
                      : snprintf(item, sizeof item, "%s%u", off ? "," : "", i);
        if (n < 0 || off + (size_t)n + 1 > size) {
            if (size >= 4)
                memcpy(buf + (off + 4 <= size ? off : size - 4), "...", 4);
            return;
        }
        memcpy(buf + off, item, (size_t)n + 1);
        off += (size_t)n;
        i = j;
    }
}
