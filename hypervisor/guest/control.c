/*
 * Control events: shutdown and reboot requests from the management daemon
 * (a Skiff extension, opted into with SKIFF_CONTROL_EVENTS()).
 *
 * POLL sets SKIFF_READY_CONTROL while a request waits in the monitor; the
 * CONTROL hypercall reads and clears it there, and the runtime keeps it.
 * The hypercall is made only after POLL reported the bit, and only by an
 * image that carries the note, so monitors without the extension (which
 * would refuse hypercall 32) never see it.
 */
#include "internal.h"

/* Defined by SKIFF_CONTROL_EVENTS(); 0 when the image did not opt in. */
extern const struct skiff_ext1_note skiff_ext1_note __attribute__((weak));

/* Any CPU may fetch a request; every CPU sees it. */
static volatile skiff_control_t pending = SKIFF_CONTROL_NONE;

bool skiff_control_fetch(void)
{
    if (&skiff_ext1_note == 0)
        return false;

    volatile struct skiff_hc_control c = { .request = SKIFF_CONTROL_NONE };

    skiff_hypercall(SKIFF_HYPERCALL_CONTROL, &c);

    skiff_control_t req = (skiff_control_t)c.request;

    if (req != SKIFF_CONTROL_SHUTDOWN && req != SKIFF_CONTROL_REBOOT)
        return false;   /* nothing, or a request this runtime does not know */
    skiff_log(SKIFF_LOG_DEBUG, "control request: %s", skiff_control_name(req));
    pending = req;
    return true;
}

skiff_control_t skiff_control_pending(void)
{
    return pending;
}

skiff_control_t skiff_sleep_until(uint64_t deadline)
{
    while (pending == SKIFF_CONTROL_NONE && skiff_clock_monotonic() < deadline)
        skiff_yield(deadline, 0);
    return pending;
}

const char *skiff_control_name(skiff_control_t req)
{
    switch (req) {
    case SKIFF_CONTROL_NONE:
        return "none";
    case SKIFF_CONTROL_SHUTDOWN:
        return "shutdown";
    case SKIFF_CONTROL_REBOOT:
        return "reboot";
    }
    return "unknown";
}
