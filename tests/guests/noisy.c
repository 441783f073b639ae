/*
 * noisy: a guest that misbehaves for ever without breaking a rule, so the
 * monitor must keep serving it; the harm must stay with it.
 *   flood   prints numbered lines as fast as it can
 *   hammer  issues hypercalls in a tight loop with edge arguments the
 *           monitor must survive (empty output, zero-timeout polls)
 *   spin    computes in a loop that makes no hypercall at all
 * It prints "noisy: MODE" first; it never returns.
 */
#include "skiff/guest.h"
#include "skiff/hypercall.h"

SKIFF_MANIFEST_NONE();

static uint8_t buf[1024];

static void flood(void)
{
    for (unsigned long n = 0;; n++)
        skiff_printf("noisy: line %lu of a guest that never stops talking\n", n);
}

static void hammer(void)
{
    for (uint64_t n = 0;; n++) {
        volatile struct hvt_hc_walltime w = { 0 };
        skiff_hypercall(HVT_HYPERCALL_WALLTIME, &w);
        volatile struct hvt_hc_puts p = { .data = (uintptr_t)buf + (n & 511), .len = 0 };
        skiff_hypercall(HVT_HYPERCALL_PUTS, &p);
        volatile struct hvt_hc_poll q = { .timeout_nsecs = 0, .ready_set = ~0ULL };
        skiff_hypercall(HVT_HYPERCALL_POLL, &q);
    }
}

static void spin(void)
{
    volatile uint64_t x = 1;
    for (;;)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
}

int skiff_main(const char *cmdline)
{
    skiff_printf("noisy: %s\n", cmdline);
    if (strcmp(cmdline, "flood") == 0)
        flood();
    else if (strcmp(cmdline, "hammer") == 0)
        hammer();
    else if (strcmp(cmdline, "spin") == 0)
        spin();
    skiff_printf("usage: noisy flood|hammer|spin\n");
    return 2;
}
