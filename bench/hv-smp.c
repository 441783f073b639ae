/*
 * hv-smp SKIFF_HV SMP_GUEST RUNS: SMP start-up cost of skiff-hv.
 *
 * For 1, 64 and 512 vCPUs, RUNS times each, with tests/guests/smp.hvt and
 * --skiff:quiet (so the guest's first output line is its own):
 *   - "nostart": vCPU 0 prints a line at once and halts without starting
 *     the secondaries. Exec to that line is the monitor's own set-up for
 *     N vCPUs (KVM vCPUs, threads, sandbox) plus a few guest instructions.
 *   - the check-in: vCPU 0 starts the secondaries and prints once every
 *     vCPU has checked in. Exec to that line, and to exit.
 * The guest's share is the check-in time less the set-up time. Prints
 * rows (bench/row.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row.h"
#include "spawn.h"
#include "stats.h"

#define WARMUP    1
#define MAX_RUNS  200

static const unsigned vcpus[] = { 1, 64, 512 };
enum { SIZES = sizeof vcpus / sizeof vcpus[0] };

struct samples {
    double setup[MAX_RUNS];
    double setup_exit[MAX_RUNS];
    double checkin[MAX_RUNS];
    double exit[MAX_RUNS];
};

static struct samples s[SIZES];

/* Run once; the first stdout bytes must start with WANT. */
static int run(const char *hv, const char *image, unsigned n, const char *mode,
               const char *want, struct bench_run *r)
{
    char opt[32];
    snprintf(opt, sizeof opt, "--vcpus=%u", n);
    char *argv[] = { (char *)hv, "--mem=64", opt, (char *)image, "--skiff:quiet",
                     (char *)mode, NULL };
    if (bench_spawn_ok(argv, 1, r) < 0)
        return -1;
    if (r->out_len < strlen(want) || memcmp(r->out, want, strlen(want)) != 0) {
        fprintf(stderr, "hv-smp: %u vCPUs, %s: output is not \"%s...\": %.*s\n", n,
                mode[0] ? mode : "check-in", want, (int)r->out_len, (const char *)r->out);
        return -1;
    }
    return 0;
}

static int one_round(const char *hv, const char *image, int size, int i)
{
    unsigned n = vcpus[size];
    char want[64];
    struct bench_run r;
    snprintf(want, sizeof want, "smp: 1 of %u vCPUs running\n", n);
    if (run(hv, image, n, "nostart", want, &r) < 0)
        return -1;
    if (i >= 0) {
        s[size].setup[i] = r.first_out_ns;
        s[size].setup_exit[i] = r.wall_ns;
    }
    snprintf(want, sizeof want, "smp: %u of %u vCPUs checked in\n", n, n);
    if (run(hv, image, n, "", want, &r) < 0)
        return -1;
    if (i >= 0) {
        s[size].checkin[i] = r.first_out_ns;
        s[size].exit[i] = r.wall_ns;
    }
    return 0;
}

static void report(int runs)
{
    char name[128];
    size_t n = (size_t)runs;
    double setup[SIZES];
    for (int m = 0; m < SIZES; m++) {
        unsigned v = vcpus[m];
        setup[m] = bench_median(s[m].setup, n) / 1e6;
        double checkin = bench_median(s[m].checkin, n) / 1e6;
        snprintf(name, sizeof name, "smp %u vCPUs: exec to all checked in", v);
        bench_row(name, checkin, 2, "ms", "");
        snprintf(name, sizeof name, "smp %u vCPUs: exec to exit", v);
        bench_row(name, bench_median(s[m].exit, n) / 1e6, 2, "ms", "");
        snprintf(name, sizeof name, "smp %u vCPUs: monitor set-up", v);
        bench_row(name, setup[m], 2, "ms", "");
        snprintf(name, sizeof name, "smp %u vCPUs: exit if none started", v);
        bench_row(name, bench_median(s[m].setup_exit, n) / 1e6, 2, "ms", "");
        snprintf(name, sizeof name, "smp %u vCPUs: guest check-in after set-up", v);
        bench_row(name, checkin - setup[m], 2, "ms", "");
    }
    bench_row("smp monitor set-up per extra vCPU",
              (setup[SIZES - 1] - setup[0]) * 1e3 / (vcpus[SIZES - 1] - vcpus[0]), 1, "us", "");
}

int main(int argc, char **argv)
{
    int runs = argc == 4 ? atoi(argv[3]) : 0;
    if (argc != 4 || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: hv-smp SKIFF_HV SMP_GUEST RUNS (1..%d)\n", MAX_RUNS);
        return 2;
    }
    for (int i = -WARMUP; i < runs; i++)
        for (int m = 0; m < SIZES; m++)
            if (one_round(argv[1], argv[2], m, i < 0 ? -1 : i) < 0)
                return 1;
    report(runs);
    return 0;
}
