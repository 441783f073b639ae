/*
 * smpcount: every vCPU counts on its own, forever: every 100 ms vCPU K
 * prints "cpu K: N" (N its own counter, kept in a register-heavy loop and
 * its own TLS), so a save and restore of an SMP guest shows each vCPU
 * going on from where it was.
 */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();
SKIFF_EXTENSIONS(SKIFF_EXT_SMP);

#define PERIOD_NS 100000000ULL

static _Thread_local uint64_t mine;

static void count(unsigned cpu)
{
    uint64_t deadline = skiff_clock_monotonic();

    for (;;) {
        deadline += PERIOD_NS;
        while (skiff_clock_monotonic() < deadline)
            skiff_sleep_ns(deadline - skiff_clock_monotonic());
        mine++;
        skiff_printf("cpu %u: %lu\n", cpu, (unsigned long)mine);
    }
}

int skiff_main(const char *cmdline)
{
    (void)cmdline;
    skiff_smp_start(count);
    count(0);
    return 0;
}
