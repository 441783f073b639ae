/*
 * migrate-bench HOSTD SKIFF_HV SKIFF_PKI TICKER DIRTY RUNS: live
 * migration between two hostds of this build on this machine (mutual TLS
 * on loopback, certificates from skiff-pki). Prints rows (bench/row.h):
 *
 *   - an idle 256 MiB guest (ticker) migrated live, back and forth RUNS
 *     times: total time (client side) and downtime (the source's clock:
 *     stop until the destination answered the commit), medians;
 *   - the stream's throughput: a 128 MiB guest with 96 MiB written
 *     (tests/guests/dirty), paused so that its vCPU takes no CPU from the
 *     stream, migrated back and forth RUNS times: medians of bytes sent /
 *     the stream's time (its first byte to its last, as the source reports
 *     it), of bytes sent / total time and of each hostd's CPU time (the
 *     daemons' own cost, no guest runs), against the raw loopback TLS
 *     throughput measured just before each run (this machine's speed
 *     drifts by a quarter from second to second: each run is set against
 *     its own reference, and the ratio's median reported), and against
 *     raw TLS whose receiver writes into fresh memory, as any destination
 *     must;
 *   - a guest rewriting 32 MiB of its memory as fast as it runs (the same
 *     guest, emulated here: its dirtying rate is this machine's), 128 MiB,
 *     migrated live: total, downtime, rounds and bytes sent / total time
 *     (its vCPU competes with the stream for this machine's two CPUs).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hostd-run.h"
#include "row.h"
#include "skiff/skiff.h"
#include "stats.h"
#include "tls-raw.h"

#define MAX_RUNS 50
#define RAW_SECONDS 0.5         /* the reference before each run */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The first line of the file at path into buf; false if there is none. */
static bool first_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    bool ok = f != NULL && fgets(buf, (int)size, f) != NULL;
    if (f != NULL)
        fclose(f);
    return ok;
}

struct host {
    struct bench_hostd h;
    struct skiff_conn *c;
    unsigned port;
};

static int start_host(const char *hostd, const char *hv, const char *pki, struct host *o)
{
    char cert[256], key[256], ca[256];
    snprintf(cert, sizeof cert, "%s/host-localhost.pem", pki);
    snprintf(key, sizeof key, "%s/host-localhost-key.pem", pki);
    snprintf(ca, sizeof ca, "%s/ca.pem", pki);
    char *extra[] = { "--listen-tls", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
                      "--tls-ca", ca, NULL };
    if (bench_hostd_start_with(hostd, hv, "migrate_timeout_ms = 60000\n", extra, &o->h) < 0)
        return -1;
    char path[sizeof o->h.state + 16], line[128];
    snprintf(path, sizeof path, "%s/tls.ports", o->h.state);
    char *colon = first_line(path, line, sizeof line) ? strrchr(line, ':') : NULL;
    if (colon == NULL) {
        fprintf(stderr, "migrate-bench: cannot read %s\n", path);
        return -1;
    }
    o->port = (unsigned)atoi(colon + 1);
    struct skiff_error err;
    if (skiff_connect(o->h.uri, &o->c, &err) < 0) {
        fprintf(stderr, "migrate-bench: %s: %s\n", o->h.uri, err.message);
        return -1;
    }
    return 0;
}

static int create(struct host *o, const char *kernel, uint64_t mb, const char *cmdline)
{
    struct skiff_domain_config cfg = { 0 };
    cfg.name = (char *)"mig";
    cfg.kernel = (char *)kernel;
    cfg.memory_mb = mb;
    cfg.cmdline = (char *)cmdline;
    struct skiff_domain_info info;
    struct skiff_error err;
    if (skiff_create(o->c, &cfg, false, &info, &err) < 0) {
        fprintf(stderr, "migrate-bench: create: %s\n", err.message);
        return -1;
    }
    skiff_domain_info_clear(&info);
    return 0;
}

static int migrate(struct host *from, struct host *to, double *total,
                   struct skiff_migrate_progress *res)
{
    struct skiff_error err;
    double t0 = now_ns();
    if (skiff_migrate(from->c, "mig", "127.0.0.1", (uint16_t)to->port, true, NULL, NULL, res,
                      &err) < 0) {
        fprintf(stderr, "migrate-bench: migrate: %s\n", err.message);
        return -1;
    }
    *total = now_ns() - t0;
    return 0;
}

static double total_s[MAX_RUNS], down_s[MAX_RUNS];

/* CPU time pid has used, its threads' (ended ones too): ms, in clock
 * ticks (10 ms here). */
static double cpu_ms(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *p = first_line(path, buf, sizeof buf) ? strrchr(buf, ')') : NULL;
    unsigned long ut = 0, st = 0;
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

int main(int argc, char **argv)
{
    if (argc != 7 || atoi(argv[6]) < 1 || atoi(argv[6]) > MAX_RUNS) {
        fprintf(stderr, "usage: migrate-bench HOSTD SKIFF_HV SKIFF_PKI TICKER DIRTY RUNS\n");
        return 2;
    }
    unsetenv("LD_LIBRARY_PATH");
    int runs = atoi(argv[6]);
    char *ticker = realpath(argv[4], NULL), *dirty = realpath(argv[5], NULL);
    char dir[] = "/tmp/skiff-bench-mig.XXXXXX";
    if (ticker == NULL || dirty == NULL || mkdtemp(dir) == NULL) {
        fprintf(stderr, "migrate-bench: %s, %s or a temporary directory: missing\n", argv[4],
                argv[5]);
        return 1;
    }
    char pki[sizeof dir + 8];
    snprintf(pki, sizeof pki, "%s/pki", dir);
    struct host a = { 0 }, b = { 0 };
    int rc = 1;
    double raw_mem;
    if (bench_hostd_prepare(256) < 0 || bench_make_pki(argv[3], pki) < 0)
        goto out;
    fprintf(stderr, "bench: raw loopback TLS into fresh memory, 2 s...\n");
    if (bench_tls_into_memory(pki, 2.0, &raw_mem) < 0)
        goto out;
    if (start_host(argv[1], argv[2], pki, &a) < 0 || start_host(argv[1], argv[2], pki, &b) < 0)
        goto out;
    fprintf(stderr, "bench: live migration of an idle 256 MiB guest, %d runs...\n", runs);
    if (create(&a, ticker, 256, "") < 0)
        goto out;
    sleep(1);
    struct skiff_migrate_progress res;
    for (int i = 0; i < runs && !bench_interrupted; i++) {
        struct host *from = i % 2 ? &b : &a, *to = i % 2 ? &a : &b;
        if (migrate(from, to, &total_s[i], &res) < 0)
            goto out;
        down_s[i] = (double)res.downtime_ns;
    }
    bench_row("migrate --live, idle 256 MiB: total (median)",
              bench_median(total_s, (size_t)runs) / 1e6, 1, "ms", "<= 100");
    bench_row("migrate --live, idle 256 MiB: downtime (median)",
              bench_median(down_s, (size_t)runs) / 1e6, 2, "ms", "<= 5");
    struct skiff_error err;
    struct host *where = runs % 2 ? &b : &a;
    if (skiff_destroy(where->c, "mig", &err) < 0) {
        fprintf(stderr, "migrate-bench: destroy: %s\n", err.message);
        goto out;
    }
    fprintf(stderr, "bench: migration of a paused guest with 96 MiB written...\n");
    if (create(&a, dirty, 128, "96") < 0)
        goto out;
    sleep(2);
    if (skiff_pause(a.c, "mig", &err) < 0) {
        fprintf(stderr, "migrate-bench: pause: %s\n", err.message);
        goto out;
    }
    /* Back and forth: it stays paused wherever it lands. */
    double total;
    static double stream_s[MAX_RUNS], overall_s[MAX_RUNS], src_cpu[MAX_RUNS], dst_cpu[MAX_RUNS];
    static double raw_s[MAX_RUNS], ratio[MAX_RUNS];
    for (int i = 0; i < runs && !bench_interrupted; i++) {
        struct host *from = i % 2 ? &b : &a, *to = i % 2 ? &a : &b;
        if (bench_tls_throughput(pki, RAW_SECONDS, &raw_s[i]) < 0)
            goto out;
        double c0 = cpu_ms(from->h.pid), d0 = cpu_ms(to->h.pid);
        if (migrate(from, to, &total_s[i], &res) < 0)
            goto out;
        src_cpu[i] = cpu_ms(from->h.pid) - c0;
        dst_cpu[i] = cpu_ms(to->h.pid) - d0;
        stream_s[i] = (double)res.bytes_sent / 1e6 / ((double)res.stream_ns / 1e9);
        overall_s[i] = (double)res.bytes_sent / 1e6 / (total_s[i] / 1e9);
        ratio[i] = 100.0 * stream_s[i] / raw_s[i];
    }
    if (skiff_destroy(where->c, "mig", &err) < 0)
        goto out;
    double stream = bench_median(stream_s, (size_t)runs);
    bench_row("migrate, paused 128 MiB guest, 96 MiB written: total (median)",
              bench_median(total_s, (size_t)runs) / 1e6, 1, "ms", "");
    bench_row("migrate, paused 128 MiB guest: bytes / total (median)",
              bench_median(overall_s, (size_t)runs), 0, "MB/s", "");
    bench_row("migration stream throughput, paused guest (median)", stream, 0, "MB/s", "");
    bench_row("migrate, paused 128 MiB guest: source hostd CPU (median)", bench_median(src_cpu, (size_t)runs),
              0, "ms", "");
    bench_row("migrate, paused 128 MiB guest: destination hostd CPU (median)",
              bench_median(dst_cpu, (size_t)runs), 0, "ms", "");
    bench_row("loopback TLS 1.3 throughput, raw, before each run (median)",
              bench_median(raw_s, (size_t)runs), 0, "MB/s", "");
    bench_row("migration stream / raw TLS before it (median)", bench_median(ratio, (size_t)runs),
              0, "%", ">= 70");
    bench_row("loopback TLS 1.3 into fresh memory, raw (same run)", raw_mem, 0, "MB/s", "");
    bench_row("migration stream / TLS into fresh memory", 100.0 * stream / raw_mem, 0, "%", "");
    fprintf(stderr, "bench: live migration of a guest rewriting 32 MiB...\n");
    if (create(&a, dirty, 128, "32") < 0)
        goto out;
    sleep(2);
    if (migrate(&a, &b, &total, &res) < 0)
        goto out;
    double mbps = (double)res.bytes_sent / 1e6 / (total / 1e9);
    bench_row("migrate --live, 128 MiB rewriting 32 MiB: total", total / 1e6, 1, "ms", "");
    bench_row("migrate --live, 128 MiB rewriting 32 MiB: downtime",
              (double)res.downtime_ns / 1e6, 2, "ms", "");
    bench_row("migrate --live, 128 MiB rewriting 32 MiB: rounds", res.round, 0, "", "");
    bench_row("migrate --live, 128 MiB rewriting 32 MiB: bytes / total", mbps, 0, "MB/s", "");
    skiff_destroy(b.c, "mig", &err);
    rc = 0;
out:
    skiff_close(a.c);
    skiff_close(b.c);
    bench_hostd_stop(&a.h);
    bench_hostd_stop(&b.h);
    char *rm[] = { "rm", "-rf", dir, NULL };
    bench_run_cmd(rm);
    free(ticker);
    free(dirty);
    return rc || bench_interrupted ? 1 : 0;
}
