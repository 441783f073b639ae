/*
 * hv-hypercall SKIFF_HV KVM_BARE GUESTDIR RUNS: the cost of a hypercall
 * round trip in skiff-hv against a bare KVM_EXIT_IO round trip.
 *
 * Both programs run the same images: walltime.hvt makes N WALLTIME
 * hypercalls and walltime0.hvt none; each prints the TSC cycles its loop
 * took, the TSC rate and N. Per round trip:
 *   guest TSC:  (median loop time at N − median at 0) / N, as the guest
 *               measured it, so no process start-up is in it at all;
 *   host clock: the same from exec-to-exit times, as a cross-check.
 * The four runs of a round are interleaved and the ratios are taken round
 * by round, so drift in the host's speed falls on both sides alike.
 * Prints rows (bench/row.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row.h"
#include "spawn.h"
#include "stats.h"

#define MAX_RUNS 200
#define WARMUP   1

enum { HV, BARE, SIDES };
enum { LOOP, EMPTY, KINDS };        /* walltime.hvt, walltime0.hvt */

/* What the guest prints with PUTS before it halts. */
struct result {
    uint64_t cycles, hz, n;
};

static double tsc_ns[SIDES][KINDS][MAX_RUNS];
static double wall_ns[SIDES][KINDS][MAX_RUNS];
static uint64_t loop_n;

static int run_one(char *const argv[], const char *image, int side, int kind, int i)
{
    struct bench_run r;
    struct result res;
    if (bench_spawn_ok(argv, 1, &r) < 0)
        return -1;
    if (r.out_len != sizeof res) {
        fprintf(stderr, "hv-hypercall: %s: %zu bytes of output, expected %zu\n", image,
                r.out_len, sizeof res);
        return -1;
    }
    memcpy(&res, r.out, sizeof res);
    if (res.hz == 0 || (kind == LOOP) != (res.n != 0) ||
        (kind == LOOP && loop_n != 0 && res.n != loop_n)) {
        fprintf(stderr, "hv-hypercall: %s: bad result: %" PRIu64 " cycles at %" PRIu64
                " Hz, N = %" PRIu64 "\n", image, res.cycles, res.hz, res.n);
        return -1;
    }
    if (kind == LOOP)
        loop_n = res.n;
    if (i >= 0) {
        tsc_ns[side][kind][i] = (double)res.cycles * 1e9 / (double)res.hz;
        wall_ns[side][kind][i] = r.wall_ns;
    }
    return 0;
}

static int one_round(char *const prog[SIDES], const char *dir, int i)
{
    static const char *const file[KINDS] = { "walltime.hvt", "walltime0.hvt" };
    for (int k = 0; k < KINDS; k++) {
        char image[4096];
        snprintf(image, sizeof image, "%s/%s", dir, file[k]);
        /* The bare program takes no options; it always has 64 MiB too. */
        char *hv_argv[] = { prog[HV], "--mem=64", image, NULL };
        char *bare_argv[] = { prog[BARE], image, NULL };
        if (run_one(hv_argv, image, HV, k, i) < 0 ||
            run_one(bare_argv, image, BARE, k, i) < 0)
            return -1;
    }
    return 0;
}

/* ns per round trip: the loop's median time less the empty run's, over N. */
static double per_trip(double v[KINDS][MAX_RUNS], int runs)
{
    return (bench_median(v[LOOP], (size_t)runs) - bench_median(v[EMPTY], (size_t)runs)) /
           (double)loop_n;
}

/*
 * A ratio is the median of the rounds' own ratios: the two loop runs of a
 * round are back to back, so a slow spell on the host cancels out.
 */
static double paired_ratio(double v[SIDES][KINDS][MAX_RUNS], int runs)
{
    static double ratio[MAX_RUNS], empty[SIDES][MAX_RUNS];
    double base[SIDES];
    for (int side = 0; side < SIDES; side++) {
        memcpy(empty[side], v[side][EMPTY], sizeof empty[side]);
        base[side] = bench_median(empty[side], (size_t)runs);
    }
    for (int i = 0; i < runs; i++)
        ratio[i] = (v[HV][LOOP][i] - base[HV]) / (v[BARE][LOOP][i] - base[BARE]);
    return bench_median(ratio, (size_t)runs);
}

static void report(int runs)
{
    /* The ratios first: per_trip sorts the samples and so unpairs them. */
    double ratio = paired_ratio(tsc_ns, runs), ratio_wall = paired_ratio(wall_ns, runs);
    bench_row("hypercall round trip (WALLTIME)", per_trip(tsc_ns[HV], runs), 0, "ns", "");
    bench_row("bare KVM exit round trip", per_trip(tsc_ns[BARE], runs), 0, "ns", "");
    bench_row("hypercall / bare KVM exit", ratio, 3, "x", "<= 1.10");
    bench_row("hypercall round trip, host clock", per_trip(wall_ns[HV], runs), 0, "ns", "");
    bench_row("bare KVM exit round trip, host clock", per_trip(wall_ns[BARE], runs), 0,
              "ns", "");
    bench_row("hypercall / bare, host clock", ratio_wall, 3, "x", "");
}

int main(int argc, char **argv)
{
    int runs = argc == 5 ? atoi(argv[4]) : 0;
    if (argc != 5 || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: hv-hypercall SKIFF_HV KVM_BARE GUESTDIR RUNS (1..%d)\n",
                MAX_RUNS);
        return 2;
    }
    char *prog[SIDES] = { argv[1], argv[2] };
    for (int i = -WARMUP; i < runs; i++)
        if (one_round(prog, argv[3], i < 0 ? -1 : i) < 0)
            return 1;
    report(runs);
    return 0;
}
