/*
 * smp: every vCPU checks in (a counter under a spinlock); vCPU 0 waits for
 * all of them, prints "smp: N of N vCPUs checked in" and halts 0. Each CPU
 * also checks that it knows its own index and has its own TLS block.
 *
 * Optional argument (one of):
 *   print      every CPU also prints one long line of its own
 *   idle=S     after the check-in vCPU 0 sleeps S seconds, then halts 0
 *   halt=K     vCPU K halts the guest with status 7 after checking in
 *   fault=K    vCPU K makes an invalid port access after checking in
 *   abort=K    vCPU K aborts (a core dump names every vCPU) after checking in
 *   deaf=S     after the check-in every CPU sleeps S seconds with
 *              SKIFF_POLL_IDLE: a control request finds nobody awake
 *   nostart    vCPU 0 prints at once and halts 0 without starting the
 *              others (with --skiff:quiet its first line marks the end of
 *              the monitor's set-up, for bench/hv-smp)
 */
#include "skiff/guest.h"
#include "skiff/hypercall.h"

SKIFF_MANIFEST_NONE();
SKIFF_EXTENSIONS(SKIFF_EXT_SMP | SKIFF_EXT_CONTROL_EVENTS);

static skiff_spinlock_t lock = SKIFF_SPINLOCK_INIT;
static unsigned checked_in = 1;     /* CPU 0 */
static _Thread_local unsigned tls_cpu;

enum mode { CHECKIN, PRINT, IDLE, DEAF, HALT, FAULT, ABORT, NOSTART };
static enum mode mode = CHECKIN;
static uint64_t arg;

static int prefix(const char *s, const char *p, const char **rest)
{
    size_t n = strlen(p);
    if (strncmp(s, p, n) != 0)
        return 0;
    *rest = s + n;
    return 1;
}

static void parse(const char *cmdline)
{
    const char *rest;
    if (strcmp(cmdline, "print") == 0)
        mode = PRINT;
    else if (strcmp(cmdline, "nostart") == 0)
        mode = NOSTART;
    else if (prefix(cmdline, "idle=", &rest) && skiff_parse_u64(rest, &arg))
        mode = IDLE;
    else if (prefix(cmdline, "deaf=", &rest) && skiff_parse_u64(rest, &arg))
        mode = DEAF;
    else if (prefix(cmdline, "halt=", &rest) && skiff_parse_u64(rest, &arg))
        mode = HALT;
    else if (prefix(cmdline, "fault=", &rest) && skiff_parse_u64(rest, &arg))
        mode = FAULT;
    else if (prefix(cmdline, "abort=", &rest) && skiff_parse_u64(rest, &arg))
        mode = ABORT;
    else if (*cmdline)
        skiff_abort("bad argument '%s'", cmdline);
}

static void check_self(unsigned cpu)
{
    tls_cpu = cpu;
    if (skiff_cpu_id() != cpu)
        skiff_abort("CPU %u thinks it is CPU %u", cpu, skiff_cpu_id());
    if (mode == PRINT)
        skiff_printf("smp: vCPU %3u of %3u says hello with a line long enough that "
                     "two CPUs writing at once would be caught mixing their bytes\n",
                     cpu, skiff_ncpus());
}

static void secondary(unsigned cpu)
{
    check_self(cpu);
    skiff_spin_lock(&lock);
    checked_in++;
    skiff_spin_unlock(&lock);
    if (tls_cpu != cpu)
        skiff_abort("CPU %u sees the TLS of CPU %u", cpu, tls_cpu);
    if (mode == HALT && cpu == arg)
        skiff_exit(7);
    if (mode == FAULT && cpu == arg)
        __asm__ __volatile__("outb %%al, $0x80" : : "a"(0));
    if (mode == ABORT && cpu == arg)
        skiff_abort("CPU %u gives up", cpu);
}

/* Sleep until the deadline, whatever becomes ready meanwhile. */
static void sleep_deaf(uint64_t ns)
{
    uint64_t deadline = skiff_clock_monotonic() + ns;
    for (uint64_t now; (now = skiff_clock_monotonic()) < deadline;) {
        volatile struct hvt_hc_poll p = {
            .timeout_nsecs = deadline - now,
            .skiff_flags = SKIFF_POLL_IDLE,
        };
        skiff_hypercall(HVT_HYPERCALL_POLL, &p);
        if (p.ready_set != 0)
            skiff_abort("an idle POLL reported 0x%lx", (unsigned long)p.ready_set);
    }
}

static unsigned count(void)
{
    skiff_spin_lock(&lock);
    unsigned n = checked_in;
    skiff_spin_unlock(&lock);
    return n;
}

int skiff_main(const char *cmdline)
{
    parse(cmdline);
    unsigned n = skiff_ncpus();
    if (mode == NOSTART) {
        skiff_printf("smp: 1 of %u vCPUs running\n", n);
        return 0;
    }
    check_self(0);
    unsigned started = skiff_smp_start(secondary);
    if (started != n - 1)
        skiff_abort("the monitor started %u secondaries, not %u", started, n - 1);
    /* Sleep between looks rather than spin: the secondaries need the
     * host's CPUs more than this loop does. */
    while (count() < n)
        skiff_sleep_ns(1000000);
    if (tls_cpu != 0)
        skiff_abort("CPU 0 sees the TLS of CPU %u", tls_cpu);
    skiff_printf("smp: %u of %u vCPUs checked in\n", count(), n);
    if (mode == IDLE)
        skiff_sleep_ns(arg * 1000000000ULL);
    if (mode == DEAF) {
        sleep_deaf(arg * 1000000000ULL);
        skiff_printf("smp: slept through, request %s\n",
                     skiff_control_name(skiff_control_pending()));
    }
    if (mode == HALT || mode == FAULT || mode == ABORT)
        for (;;)
            skiff_sleep_ns(1000000000ULL);
    return 0;
}
