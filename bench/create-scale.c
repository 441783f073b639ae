/*
 * Sections 3 and 4: create-to-running latency with nothing else running,
 * then with o->domains - 1 idle domains running, and what those cost.
 *
 * Latency is one skiff_create call: hostd spawns skiff-hv, connects to its
 * control socket, says hello and starts the vCPU, and answers RUNNING. The
 * same start-up of skiff-hv alone (standalone, quiet.hvt) is timed at both
 * ends, to tell a slower host apart from a slower hostd.
 */
#include <stdio.h>
#include <string.h>

#include "domains.h"
#include "hostd-api.h"
#include "row.h"
#include "rpc-rate.h"
#include "spawn.h"
#include "stats.h"

#define TREND 100       /* ramp creations compared at its start and end */

static double samples[API_MAX_RUNS], samples2[API_MAX_RUNS], ramp[API_MAX_DOMAINS];
static pid_t pids[API_MAX_DOMAINS + 16];

/* RUNS create/destroy cycles after a warm-up: the median, and with full
 * the p90 and destroy's median too. */
static int cycle_rows(struct skiff_conn *c, const struct api_opts *o, const char *kernel,
                      const char *prefix, const char *what, const char *target, int full,
                      double *median)
{
    char name[160];
    size_t runs = (size_t)o->runs;
    if (bench_create_cycles(c, prefix, kernel, API_WARMUP, NULL, NULL) < 0 ||
        bench_create_cycles(c, prefix, kernel, runs, samples, samples2) < 0)
        return -1;
    double p90 = bench_percentile(samples, runs, 90);
    *median = bench_median(samples, runs);
    snprintf(name, sizeof name, "create median, %s", what);
    api_row_ms(name, *median, target);
    if (!full)
        return 0;
    snprintf(name, sizeof name, "create p90, %s", what);
    api_row_ms(name, p90, "");
    snprintf(name, sizeof name, "destroy median, %s", what);
    api_row_ms(name, bench_median(samples2, runs), "");
    return 0;
}

/* skiff-hv alone, exec to exit of quiet.hvt, with `running` domains up. */
static int hv_startup_row(const struct api_opts *o, long running)
{
    char mem[32], name[96];
    snprintf(mem, sizeof mem, "--mem=%d", BENCH_GUEST_MB);
    char *argv[] = { (char *)o->hv, mem, (char *)o->quiet, NULL };
    struct bench_run r;
    for (int i = -API_WARMUP; i < o->runs; i++) {
        if (bench_interrupted || bench_spawn_ok(argv, 0, &r) < 0)
            return -1;
        if (i >= 0)
            samples[i] = r.wall_ns;
    }
    snprintf(name, sizeof name, "skiff-hv start-up median, %ld running", running);
    api_row_ms(name, bench_median(samples, (size_t)o->runs), "");
    return 0;
}

/* Create n domains one by one: the total, and whether the last ones were slower. */
static int ramp_rows(struct skiff_conn *c, const struct api_opts *o, long n)
{
    char name[96];
    fprintf(stderr, "bench: hostd: creating %ld idle domains...\n", n);
    double t0 = bench_now_ns();
    if (bench_create_many(c, "idle", o->idle, n, ramp) < 0)
        return -1;
    snprintf(name, sizeof name, "create %ld domains, total", n);
    bench_row(name, (bench_now_ns() - t0) / 1e9, 1, "s", "");
    if (n >= 2 * TREND) {
        memcpy(samples, ramp, TREND * sizeof *samples);
        api_row_ms("create median, ramp's first 100", bench_median(samples, TREND), "");
        memcpy(samples, ramp + n - TREND, TREND * sizeof *samples);
        api_row_ms("create median, ramp's last 100", bench_median(samples, TREND), "");
    }
    if (n > 0)
        api_row_ms("create p90, whole ramp", bench_percentile(ramp, (size_t)n, 90), "");
    return 0;
}

/* With all n up: memory, idle CPU, and the read paths over n domains. */
static int at_scale_rows(struct skiff_conn *c, const struct api_opts *o,
                         const struct bench_hostd *h, long n, const struct api_baseline *b)
{
    int found = bench_hostd_monitors(h, pids, sizeof pids / sizeof pids[0]);
    if (found < 0)
        return -1;
    if (found != n) {
        fprintf(stderr, "hostd-api: %d skiff-hv processes running, expected %ld\n", found, n);
        return -1;
    }
    if (api_memory_rows(h, pids, found, b) < 0 || api_idle_cpu_row(h, pids, found) < 0)
        return -1;
    struct skiff_domain_info info;
    struct skiff_error err;
    if (skiff_info(c, "last", &info, &err) < 0) {
        fprintf(stderr, "hostd-api: info last: %s\n", err.message);
        return -1;
    }
    pid_t mon = info.pid;
    skiff_domain_info_clear(&info);
    char what[96];
    snprintf(what, sizeof what, "GetDomainInfo, %ld domains", n);
    if (api_rate_row(o, h->uri, BENCH_RPC_INFO, "last", 1, h->pid, mon, what, "") < 0)
        return -1;
    snprintf(what, sizeof what, "ListDomains of %ld", n);
    if (api_rate_row(o, h->uri, BENCH_RPC_LIST, NULL, 1, h->pid, 0, what, "") < 0)
        return -1;
    return api_cli_rows(o, h->uri, n, 0);
}

int api_scale_rows(struct skiff_conn *c, const struct api_opts *o, const struct bench_hostd *h)
{
    long n = o->domains;
    double ticker, first, nth, ns;
    char what[96], name[96];
    fprintf(stderr, "bench: hostd: create to running, %d runs...\n", o->runs);
    if (cycle_rows(c, o, o->ticker, "ticker", "ticker.hvt, #1", "", 0, &ticker) < 0 ||
        cycle_rows(c, o, o->idle, "first", "idle.hvt, #1", "<= 5", 1, &first) < 0 ||
        hv_startup_row(o, 0) < 0)
        return -1;

    struct api_baseline b;
    if (api_baseline(h, &b) < 0 || ramp_rows(c, o, n - 1) < 0 || hv_startup_row(o, n - 1) < 0)
        return -1;
    snprintf(what, sizeof what, "#%ld (%ld running)", n, n - 1);
    if (cycle_rows(c, o, o->idle, "nth", what, "<= 5", 1, &nth) < 0)
        return -1;
    snprintf(name, sizeof name, "create median ratio #%ld / #1", n);
    bench_row(name, nth / first, 2, "x", "<= 1.20");

    if (bench_create(c, "last", o->idle, &ns) < 0 || at_scale_rows(c, o, h, n, &b) < 0)
        return -1;

    fprintf(stderr, "bench: hostd: destroying %ld domains...\n", n);
    double t0 = bench_now_ns();
    if (bench_destroy(c, "last", &ns) < 0 || bench_destroy_many(c, "idle", n - 1) < 0)
        return -1;
    snprintf(name, sizeof name, "destroy %ld domains, total", n);
    bench_row(name, (bench_now_ns() - t0) / 1e9, 2, "s", "");
    return 0;
}
