/*
 * ticker: prints "tick N" every 100 ms until the monitor is stopped, or
 * until N ticks when given a number N as its argument (then exits 0).
 * Deadlines are absolute, so a slow tick does not delay the later ones.
 *
 * It opts in to control events: asked to shut down or reboot, it says so
 * and exits 0 (skiff-hv tells the management daemon which it was).
 */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();
SKIFF_CONTROL_EVENTS();

#define PERIOD_NS 100000000ULL

int skiff_main(const char *cmdline)
{
    uint64_t limit = 0;

    if (*cmdline && !skiff_parse_u64(cmdline, &limit)) {
        skiff_printf("usage: ticker [N]\n");
        return 1;
    }

    uint64_t deadline = skiff_clock_monotonic();

    for (uint64_t n = 1; limit == 0 || n <= limit; n++) {
        deadline += PERIOD_NS;

        skiff_control_t req = skiff_sleep_until(deadline);

        if (req != SKIFF_CONTROL_NONE) {
            skiff_printf("ticker: %s requested after %lu ticks\n",
                         skiff_control_name(req), (unsigned long)(n - 1));
            return 0;
        }
        skiff_printf("tick %lu\n", (unsigned long)n);
    }
    return 0;
}
