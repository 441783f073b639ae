/*
 * mft_maxdevices: the largest manifest, 63 block devices storage0 to
 * storage62 (plus the reserved entry: 64). The first and last must be
 * attached with the capacity given as the argument (default 4096).
 */
#include "skiff/guest.h"

#define B(n) SKIFF_BLOCK("storage" #n)

SKIFF_MANIFEST(
    B(0), B(1), B(2), B(3), B(4), B(5), B(6), B(7), B(8), B(9),
    B(10), B(11), B(12), B(13), B(14), B(15), B(16), B(17), B(18), B(19),
    B(20), B(21), B(22), B(23), B(24), B(25), B(26), B(27), B(28), B(29),
    B(30), B(31), B(32), B(33), B(34), B(35), B(36), B(37), B(38), B(39),
    B(40), B(41), B(42), B(43), B(44), B(45), B(46), B(47), B(48), B(49),
    B(50), B(51), B(52), B(53), B(54), B(55), B(56), B(57), B(58), B(59),
    B(60), B(61), B(62));

static int check(const char *name, unsigned want_handle, uint64_t capacity)
{
    unsigned h;
    struct skiff_block_info info;

    if (skiff_block_acquire(name, &h, &info) != SKIFF_R_OK) {
        skiff_printf("FAILURE: %s not attached\n", name);
        return 0;
    }
    skiff_printf("%s: handle %u, capacity %lu\n", name, h,
                 (unsigned long)info.capacity);
    if (h != want_handle || info.capacity != capacity) {
        skiff_printf("FAILURE: %s: want handle %u, capacity %lu\n", name,
                     want_handle, (unsigned long)capacity);
        return 0;
    }
    return 1;
}

int skiff_main(const char *cmdline)
{
    uint64_t capacity = 4096;

    if (*cmdline && !skiff_parse_u64(cmdline, &capacity))
        return 1;
    if (!check("storage0", 1, capacity) || !check("storage62", 63, capacity))
        return 1;
    skiff_printf("SUCCESS\n");
    return 0;
}
