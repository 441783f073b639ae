/*
 * Clocks and waiting. Monotonic time is the TSC scaled by a fixed-point
 * factor: ns = (ticks * mult) >> 32, with the product taken at 128 bits
 * (one MUL) so it cannot overflow; the only division runs once, at 64 bits.
 */
#include "internal.h"

#define CLOCK_SHIFT 32

static uint64_t tsc_base;
static uint64_t tsc_mult;

void skiff_clock_init(uint64_t cpu_cycle_freq)
{
    if (cpu_cycle_freq == 0)
        skiff_abort("monitor reports a TSC frequency of 0");
    /* 1e9 << 32 < 2^62: fits, and mult fits for any frequency >= 1 Hz. */
    tsc_mult = (1000000000ULL << CLOCK_SHIFT) / cpu_cycle_freq;
    tsc_base = skiff_rdtsc();
}

uint64_t skiff_clock_monotonic(void)
{
    uint64_t ticks = skiff_rdtsc() - tsc_base;

    return (uint64_t)(((unsigned __int128)ticks * tsc_mult) >> CLOCK_SHIFT);
}

uint64_t skiff_clock_wall(void)
{
    volatile struct hvt_hc_walltime w = { 0 };

    skiff_hypercall(HVT_HYPERCALL_WALLTIME, &w);
    return w.nsecs;
}

void skiff_yield(uint64_t deadline, uint64_t *ready_set)
{
    uint64_t now = skiff_clock_monotonic();
    volatile struct hvt_hc_poll p = {
        /* POLL takes a relative timeout; a past deadline just checks. */
        .timeout_nsecs = deadline > now ? deadline - now : 0,
    };

    skiff_hypercall(HVT_HYPERCALL_POLL, &p);

    uint64_t ready = p.ready_set;

    /* Bit 0 is no device (handle 0 is reserved): it means a control
     * request waits, and it is reported only if it was fetched. */
    if ((ready & SKIFF_READY_CONTROL) && !skiff_control_fetch())
        ready &= ~SKIFF_READY_CONTROL;
    if (ready_set)
        *ready_set = ready;
}

void skiff_sleep_ns(uint64_t ns)
{
    uint64_t deadline = skiff_clock_monotonic() + ns;

    /* Secondary CPUs sleep through device input and control requests,
     * which are CPU 0's to take: waking them would make them spin. */
    if (skiff_cpu_id() != 0) {
        while (skiff_clock_monotonic() < deadline) {
            uint64_t now = skiff_clock_monotonic();
            volatile struct hvt_hc_poll p = {
                .timeout_nsecs = deadline > now ? deadline - now : 0,
                .skiff_flags = SKIFF_POLL_IDLE,
            };

            skiff_hypercall(HVT_HYPERCALL_POLL, &p);
        }
        return;
    }

    /* POLL returns early when a network device has input or a control
     * request arrives (kept by the runtime, so the next POLL blocks). */
    while (skiff_clock_monotonic() < deadline)
        skiff_yield(deadline, 0);
}
