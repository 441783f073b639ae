/*
 * CRC-32C for snapshot records: the SSE4.2 instruction when the CPU has
 * it, else a table. Both give the same result (reflected, polynomial
 * 0x82f63b78).
 *
 * The instruction takes three cycles before its result can feed the next
 * one but can start one a cycle, so long buffers are cut into three lanes
 * checksummed side by side and joined: CRC is linear, so the checksum of
 * A then B is that of A pushed through |B| zero bytes, xor that of B from
 * zero. Pushing through LANE zero bytes is a fixed linear map of the 32
 * bits, kept as four byte tables. About three times the speed of one lane.
 */
#include <pthread.h>
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
#define LANE 4096U

__attribute__((target("sse4.2")))
static uint32_t crc_hw1(uint32_t crc, const uint8_t *p, size_t n)
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

/* shift[k][b]: the register b << 8k pushed through LANE zero bytes. */
static uint32_t shift[4][256];
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

static void make_shift(void)
{
    static const uint8_t zeros[LANE];
    uint32_t basis[32];
    for (int i = 0; i < 32; i++)
        basis[i] = crc_hw1(1U << i, zeros, LANE);
    for (int k = 0; k < 4; k++) {
        for (unsigned b = 0; b < 256; b++) {
            uint32_t v = 0;
            for (int j = 0; j < 8; j++)
                if (b & (1U << j))
                    v ^= basis[8 * k + j];
            shift[k][b] = v;
        }
    }
}

static uint32_t shift_lane(uint32_t c)
{
    return shift[0][c & 0xff] ^ shift[1][(c >> 8) & 0xff] ^ shift[2][(c >> 16) & 0xff] ^
           shift[3][c >> 24];
}

__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n)
{
    if (n >= 3 * LANE)
        pthread_once(&shift_once, make_shift);
    while (n >= 3 * LANE) {
        uint64_t a = crc, b = 0, c = 0;
        for (size_t i = 0; i < LANE; i += 8) {
            uint64_t va, vb, vc;
            memcpy(&va, p + i, 8);
            memcpy(&vb, p + LANE + i, 8);
            memcpy(&vc, p + 2 * LANE + i, 8);
            a = __builtin_ia32_crc32di(a, va);
            b = __builtin_ia32_crc32di(b, vb);
            c = __builtin_ia32_crc32di(c, vc);
        }
        crc = shift_lane(shift_lane((uint32_t)a) ^ (uint32_t)b) ^ (uint32_t)c;
        p += 3 * LANE;
        n -= 3 * LANE;
    }
    return crc_hw1(crc, p, n);
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
