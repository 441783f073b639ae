/*
 * CRC-32C for snapshot records: the SSE4.2 instruction when the CPU has
 * it (several GB/s, so checksums cost little next to the copy), else a
 * table. Both give the same result (reflected, polynomial 0x82f63b78).
 */
#include <stdbool.h>
#include <string.h>

#include "snapshot.h"

static uint32_t table[256];
static bool table_ready;

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0x82f63b78U : c >> 1;
        table[i] = c;
    }
    table_ready = true;
}

static uint32_t crc_table(uint32_t crc, const uint8_t *p, size_t n)
{
    if (!table_ready)
        make_table();
    while (n--)
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--)
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

uint32_t snap_crc32c(uint32_t crc, const void *data, size_t len)
{
    crc = ~crc;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2"))
        return ~crc_hw(crc, data, len);
#endif
    return ~crc_table(crc, data, len);
}
