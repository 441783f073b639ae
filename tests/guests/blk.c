/*
 * blk: block device "storage". Writes a pattern to every tenth block and
 * the last one, reads each back, and checks the calls that must fail
 * (one block per call, aligned, inside the device). Works for any sector
 * size the monitor reports.
 */
#include "skiff/guest.h"

SKIFF_MANIFEST(SKIFF_BLOCK("storage"));

static unsigned handle;
static struct skiff_block_info info;
static uint64_t *wbuf, *rbuf;

static void fill(uint64_t block)
{
    for (uint64_t i = 0; i < info.block_size / 8; i++)
        wbuf[i] = (block << 32) ^ (i * 0x9e3779b97f4a7c15ULL) ^ 0x5a5a;
}

static int round_trip(uint64_t block)
{
    uint64_t off = block * info.block_size;

    fill(block);
    memset(rbuf, 0, info.block_size);
    if (skiff_block_write(handle, off, wbuf, info.block_size) != SKIFF_R_OK) {
        skiff_printf("FAILURE: write of block %lu\n", (unsigned long)block);
        return 0;
    }
    if (skiff_block_read(handle, off, rbuf, info.block_size) != SKIFF_R_OK) {
        skiff_printf("FAILURE: read of block %lu\n", (unsigned long)block);
        return 0;
    }
    if (memcmp(wbuf, rbuf, info.block_size) != 0) {
        skiff_printf("FAILURE: block %lu read back differs\n",
                     (unsigned long)block);
        return 0;
    }
    return 1;
}

/* Both directions of a request that must be refused. */
static int must_fail(uint64_t off, size_t len, const char *what)
{
    skiff_result_t w = skiff_block_write(handle, off, wbuf, len);
    skiff_result_t r = skiff_block_read(handle, off, rbuf, len);

    if (w == SKIFF_R_OK || r == SKIFF_R_OK) {
        skiff_printf("FAILURE: %s accepted\n", what);
        return 0;
    }
    return 1;
}

int skiff_main(const char *cmdline)
{
    (void)cmdline;
    if (skiff_block_acquire("storage", &handle, &info) != SKIFF_R_OK) {
        skiff_printf("FAILURE: no block device 'storage'\n");
        return 1;
    }
    skiff_printf("storage: capacity %lu bytes, block size %lu\n",
                 (unsigned long)info.capacity, (unsigned long)info.block_size);

    uint64_t bs = info.block_size, blocks = info.capacity / bs;

    /* Room for one block past the buffer, for the len = bs + 1 case. */
    wbuf = skiff_alloc(bs + 8, 8);
    rbuf = skiff_alloc(bs + 8, 8);
    if (!wbuf || !rbuf || blocks == 0) {
        skiff_printf("FAILURE: cannot set up\n");
        return 1;
    }

    uint64_t done = 0;

    for (uint64_t b = 0; b < blocks; b += 10, done++)
        if (!round_trip(b))
            return 1;
    if (!round_trip(blocks - 1))
        return 1;
    /* The last round trip must not have overwritten block 0's data. */
    fill(0);
    if (skiff_block_read(handle, 0, rbuf, bs) != SKIFF_R_OK ||
        memcmp(wbuf, rbuf, bs) != 0) {
        skiff_printf("FAILURE: block 0 changed\n");
        return 1;
    }
    skiff_printf("%lu blocks verified\n", (unsigned long)done + 1);

    if (!must_fail(0, bs - 1, "len = block_size - 1") ||
        !must_fail(0, bs + 1, "len = block_size + 1") ||
        !must_fail(bs - 1, bs, "offset = block_size - 1") ||
        !must_fail(info.capacity, bs, "offset = capacity"))
        return 1;

    skiff_printf("SUCCESS\n");
    return 0;
}
