/*
 * time: the monotonic clock advances; ROUNDS (default 5, or the first
 * argument) POLL sleeps of 1 s each last 0.8-1.2 s by the monotonic clock;
 * the wall clock is after 2017-01-01.
 */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();

#define NSEC_PER_SEC 1000000000ULL
#define WALL_2017 (1483228800ULL * NSEC_PER_SEC)

int skiff_main(const char *cmdline)
{
    uint64_t rounds = 5;

    if (*cmdline && !skiff_parse_u64(cmdline, &rounds)) {
        skiff_printf("FAILURE: bad argument '%s'\n", cmdline);
        return 1;
    }

    uint64_t t0 = skiff_clock_monotonic(), t1 = t0;

    for (int i = 0; i < 1000 && t1 == t0; i++)
        t1 = skiff_clock_monotonic();
    if (t1 <= t0) {
        skiff_printf("FAILURE: monotonic clock does not advance\n");
        return 1;
    }

    for (uint64_t i = 0; i < rounds; i++) {
        uint64_t start = skiff_clock_monotonic();

        skiff_sleep_ns(NSEC_PER_SEC);

        uint64_t ms = (skiff_clock_monotonic() - start) / 1000000;

        skiff_printf("round %lu: slept %lu ms\n", (unsigned long)i + 1,
                     (unsigned long)ms);
        if (ms < 800 || ms > 1200) {
            skiff_printf("FAILURE: sleep out of range\n");
            return 1;
        }
    }

    uint64_t wall = skiff_clock_wall();

    skiff_printf("wall clock: %lu s since the epoch\n",
                 (unsigned long)(wall / NSEC_PER_SEC));
    if (wall < WALL_2017) {
        skiff_printf("FAILURE: wall clock before 2017\n");
        return 1;
    }
    skiff_printf("SUCCESS\n");
    return 0;
}
