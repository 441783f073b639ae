/*
 * blkloop: block device "storage". Every 100 ms writes its counter N to
 * the first block, reads it back and prints "blk N ok", forever, so a
 * test can see the disk still attached after a restore.
 */
#include "skiff/guest.h"

SKIFF_MANIFEST(SKIFF_BLOCK("storage"));

#define PERIOD_NS 100000000ULL

int skiff_main(const char *cmdline)
{
    unsigned handle;
    struct skiff_block_info info;

    (void)cmdline;
    if (skiff_block_acquire("storage", &handle, &info) != SKIFF_R_OK) {
        skiff_printf("FAILURE: no block device 'storage'\n");
        return 1;
    }

    uint64_t *w = skiff_alloc(info.block_size, 8), *r = skiff_alloc(info.block_size, 8);
    uint64_t deadline = skiff_clock_monotonic();

    if (w == 0 || r == 0)
        return 1;
    for (uint64_t n = 1;; n++) {
        deadline += PERIOD_NS;
        skiff_sleep_until(deadline);
        w[0] = 0x736b696666626c6bULL;   /* "skiffblk" */
        w[1] = n;
        if (skiff_block_write(handle, 0, w, info.block_size) != SKIFF_R_OK ||
            skiff_block_read(handle, 0, r, info.block_size) != SKIFF_R_OK ||
            r[1] != n) {
            skiff_printf("FAILURE: block round trip %lu\n", (unsigned long)n);
            return 1;
        }
        skiff_printf("blk %lu ok\n", (unsigned long)n);
    }
    return 0;
}
