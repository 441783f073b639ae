/*
 * control: opts in to control events and waits for one, sleeping in
 * 100 ms steps. Prints "control: waiting" once it is ready, then
 * "control: got shutdown" or "control: got reboot" and SUCCESS (exit 0).
 * With an argument SECS it gives up after that many seconds, prints
 * "control: no request after SECS s" and exits 2 (a monitor without the
 * extension never sends one); without, it waits for ever.
 */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();
SKIFF_CONTROL_EVENTS();

#define STEP_NS 100000000ULL
#define NSEC_PER_SEC 1000000000ULL

int skiff_main(const char *cmdline)
{
    uint64_t secs = 0;

    if (*cmdline && !skiff_parse_u64(cmdline, &secs)) {
        skiff_printf("FAILURE: bad argument '%s'\n", cmdline);
        return 1;
    }

    uint64_t start = skiff_clock_monotonic(), next = start;
    skiff_control_t req;

    skiff_printf("control: waiting\n");
    do {
        next += STEP_NS;
        if (secs && next - start > secs * NSEC_PER_SEC) {
            skiff_printf("control: no request after %lu s\n",
                         (unsigned long)secs);
            return 2;
        }
        req = skiff_sleep_until(next);
    } while (req == SKIFF_CONTROL_NONE);

    skiff_printf("control: got %s\n", skiff_control_name(req));
    /* The request stays pending: a later sleep returns it at once. */
    if (skiff_control_pending() != req ||
        skiff_sleep_until(skiff_clock_monotonic() + NSEC_PER_SEC) != req) {
        skiff_printf("FAILURE: request not kept\n");
        return 1;
    }
    skiff_printf("SUCCESS\n");
    return 0;
}
