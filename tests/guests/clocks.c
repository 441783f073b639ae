/*
 * clocks: prints "clock N mono=NS wall=NS" every 100 ms, forever, so a
 * test can check across a save and restore that the monotonic clock
 * never goes back and the wall clock is the host's. With a number as its
 * argument it first touches that many MiB of memory with non-zero bytes
 * (for save/restore benchmarks) and says "touched".
 */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();

#define PERIOD_NS 100000000ULL

int skiff_main(const char *cmdline)
{
    uint64_t mib = 0;

    if (*cmdline && !skiff_parse_u64(cmdline, &mib)) {
        skiff_printf("usage: clocks [MiB to touch]\n");
        return 1;
    }
    if (mib > 0) {
        uint8_t *p = skiff_alloc(mib << 20, 4096);

        if (p == 0) {
            skiff_printf("FAILURE: cannot allocate %lu MiB\n", (unsigned long)mib);
            return 1;
        }
        for (uint64_t i = 0; i < (mib << 20); i += 4096)
            p[i] = (uint8_t)(i >> 12) | 1;
        skiff_printf("touched %lu MiB\n", (unsigned long)mib);
    }

    uint64_t deadline = skiff_clock_monotonic();

    for (uint64_t n = 1;; n++) {
        deadline += PERIOD_NS;
        skiff_sleep_until(deadline);
        skiff_printf("clock %lu mono=%lu wall=%lu\n", (unsigned long)n,
                     (unsigned long)skiff_clock_monotonic(),
                     (unsigned long)skiff_clock_wall());
    }
    return 0;
}
