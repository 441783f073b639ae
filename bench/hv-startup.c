/*
 * hv-startup SKIFF_HV GUESTDIR RUNS: start-up cost of skiff-hv.
 *
 * For --mem=64 and --mem=4096, RUNS times each:
 *   - quiet.hvt (HALT at once): exec to exit, and the peak RSS from wait4;
 *   - first-puts.hvt (PUTS one byte first): exec to the byte on a pipe,
 *     an upper bound on the monitor's own set-up before the first KVM_RUN
 *     (it adds three emulated guest instructions and a pipe wake-up).
 * The two sizes are interleaved run by run, so a slow spell on the host
 * hits both and leaves their ratio alone. Prints rows (bench/row.h).
 *
 * ru_maxrss cannot tell the monitor from this driver's pre-exec copy
 * (bench_rss_floor), so the driver is linked like skiff-hv, statically
 * when it can be, to keep that floor low; the floor is reported too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "row.h"
#include "spawn.h"
#include "stats.h"

#define WARMUP    3         /* page cache, dynamic loader, KVM module state */
#define MAX_RUNS  1000

static const char *const mem_opt[] = { "--mem=64", "--mem=4096" };
enum { SIZES = 2 };

struct samples {
    double startup[MAX_RUNS];
    double first_out[MAX_RUNS];
    double rss[MAX_RUNS];
};

static struct samples s[SIZES];

static int one_round(const char *hv, const char *dir, int size, int i)
{
    char quiet[4096], first[4096];
    snprintf(quiet, sizeof quiet, "%s/quiet.hvt", dir);
    snprintf(first, sizeof first, "%s/first-puts.hvt", dir);
    char *quiet_argv[] = { (char *)hv, (char *)mem_opt[size], quiet, NULL };
    char *first_argv[] = { (char *)hv, (char *)mem_opt[size], first, NULL };

    struct bench_run r;
    if (bench_spawn_ok(quiet_argv, 0, &r) < 0)
        return -1;
    if (i >= 0) {
        s[size].startup[i] = r.wall_ns;
        s[size].rss[i] = (double)r.maxrss_kib;
    }
    if (bench_spawn_ok(first_argv, 1, &r) < 0)
        return -1;
    if (r.out_len != 1 || r.out[0] != '.') {
        fprintf(stderr, "hv-startup: %s printed %zu bytes, expected \".\"\n", first, r.out_len);
        return -1;
    }
    if (i >= 0)
        s[size].first_out[i] = r.first_out_ns;
    return 0;
}

static void report(int runs, long floor_kib)
{
    char name[128];
    double startup_median[SIZES];
    for (int m = 0; m < SIZES; m++) {
        startup_median[m] = bench_median(s[m].startup, (size_t)runs) / 1e6;
        snprintf(name, sizeof name, "startup median %s", mem_opt[m]);
        bench_row(name, startup_median[m], 2, "ms", "");
        snprintf(name, sizeof name, "startup p10 %s", mem_opt[m]);
        bench_row(name, bench_percentile(s[m].startup, (size_t)runs, 10) / 1e6, 2, "ms", "");
        snprintf(name, sizeof name, "startup p90 %s", mem_opt[m]);
        bench_row(name, bench_percentile(s[m].startup, (size_t)runs, 90) / 1e6, 2, "ms", "");
    }
    bench_row("startup ratio --mem=4096 / --mem=64", startup_median[1] / startup_median[0], 3,
              "x", "<= 1.10");
    for (int m = 0; m < SIZES; m++) {
        snprintf(name, sizeof name, "exec to first KVM_RUN median %s", mem_opt[m]);
        bench_row(name, bench_median(s[m].first_out, (size_t)runs) / 1e6, 2, "ms", "");
    }
    for (int m = 0; m < SIZES; m++) {
        double kib = bench_median(s[m].rss, (size_t)runs);
        snprintf(name, sizeof name, "peak RSS median %s", mem_opt[m]);
        bench_row(name, kib, 0, "KiB", "");
        snprintf(name, sizeof name, "peak RSS median %s in MiB", mem_opt[m]);
        bench_row(name, kib / 1024, 2, "MiB", "");
        if (kib <= (double)floor_kib)
            fprintf(stderr, "hv-startup: warning: peak RSS at %s is not above the floor "
                    "of the method (%ld KiB): skiff-hv's own is at most that\n",
                    mem_opt[m], floor_kib);
    }
    bench_row("peak RSS floor (driver forked, no exec)", (double)floor_kib, 0, "KiB", "");
}

int main(int argc, char **argv)
{
    int runs = argc == 4 ? atoi(argv[3]) : 0;
    if (argc != 4 || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "usage: hv-startup SKIFF_HV GUESTDIR RUNS (1..%d)\n", MAX_RUNS);
        return 2;
    }
    for (int i = -WARMUP; i < runs; i++)
        for (int m = 0; m < SIZES; m++)
            if (one_round(argv[1], argv[2], m, i < 0 ? -1 : i) < 0)
                return 1;
    long floor_kib = bench_rss_floor();
    if (floor_kib < 0)
        return 1;
    report(runs, floor_kib);
    return 0;
}
