/*
 * tls-rate HOSTD SKIFF_HV SKIFF_PKI SECONDS: what mutual TLS costs. Prints
 * rows (bench/row.h):
 *
 *   1. raw loopback throughput, MB/s, of one TCP connection between two
 *      threads writing 1 MiB at a time: plain, and TLS 1.3 with the
 *      certificates skiff-pki makes (hostd-to-hostd migration will move
 *      guest memory over exactly such a stream: this is its ceiling);
 *   2. GetDomainInfo round trips per second from one client, over hostd's
 *      UNIX socket and over its TLS listener (a defined domain: hostd
 *      answers alone), and the time to connect over TLS (TCP, handshake
 *      with both certificates verified, Hello).
 *
 * The certificates are made by SKIFF_PKI (skiff-pki) in a temporary
 * directory; hostd runs on a temporary state directory.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <skiff/skiff.h>

#include "common/tls.h"
#include "hostd-run.h"
#include "row.h"
#include "rpc-rate.h"
#include "stats.h"
#include "tls-raw.h"

#define CONNECT_RUNS 21

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- 2. through hostd ---- */

static int read_tls_port(const struct bench_hostd *h, char *hostport, size_t len)
{
    char path[sizeof h->state + 16];
    snprintf(path, sizeof path, "%s/tls.ports", h->state);
    FILE *f = fopen(path, "r");
    if (f == NULL || fgets(hostport, (int)len, f) == NULL) {
        fprintf(stderr, "bench: cannot read %s\n", path);
        if (f != NULL)
            fclose(f);
        return -1;
    }
    fclose(f);
    hostport[strcspn(hostport, "\n")] = '\0';
    return 0;
}

static int define_domain(const char *uri, const char *kernel)
{
    struct skiff_conn *c;
    struct skiff_error err;
    struct skiff_domain_config cfg = { .name = "tlsbench", .memory_mb = 16, .vcpus = 1,
                                       .kernel = (char *)kernel };
    if (skiff_connect(uri, &c, &err) < 0 || skiff_define(c, &cfg, NULL, &err) < 0) {
        fprintf(stderr, "bench: define: %s\n", err.message);
        return -1;
    }
    skiff_close(c);
    return 0;
}

static int connect_time(const char *uri, double *median_ms)
{
    double t[CONNECT_RUNS];
    for (int i = 0; i < CONNECT_RUNS; i++) {
        struct skiff_conn *c;
        struct skiff_error err;
        double t0 = now_s();
        if (skiff_connect(uri, &c, &err) < 0) {
            fprintf(stderr, "bench: connect: %s\n", err.message);
            return -1;
        }
        t[i] = (now_s() - t0) * 1e3;
        skiff_close(c);
    }
    *median_ms = bench_median(t, CONNECT_RUNS);
    return 0;
}

static int through_hostd(const char *hostd, const char *hv, const char *dir, double seconds,
                         const char *kernel)
{
    char conf[2048];
    snprintf(conf, sizeof conf,
             "listen_tls = \"127.0.0.1:0\"\n"
             "tls_cert = \"%s/host-localhost.pem\"\n"
             "tls_key = \"%s/host-localhost-key.pem\"\n"
             "tls_ca = \"%s/ca.pem\"\n", dir, dir, dir);
    struct bench_hostd h;
    if (bench_hostd_start_conf(hostd, hv, conf, &h) < 0)
        return -1;
    int rc = -1;
    char hostport[128], tls_uri[1024];
    if (read_tls_port(&h, hostport, sizeof hostport) < 0 || define_domain(h.uri, kernel) < 0)
        goto out;
    snprintf(tls_uri, sizeof tls_uri,
             "tls://%s?cert=%s/client-bench.pem&key=%s/client-bench-key.pem&ca=%s/ca.pem",
             hostport, dir, dir, dir);
    struct bench_rpc_result unix_r, tls_r;
    double connect_ms;
    if (bench_rpc_rate(h.uri, BENCH_RPC_INFO, "tlsbench", 1, seconds, &unix_r) < 0 ||
        bench_rpc_rate(tls_uri, BENCH_RPC_INFO, "tlsbench", 1, seconds, &tls_r) < 0 ||
        connect_time(tls_uri, &connect_ms) < 0)
        goto out;
    bench_row("GetDomainInfo, 1 client, UNIX socket", unix_r.rate, 0, "calls/s", "");
    bench_row("GetDomainInfo, 1 client, TLS 1.3", tls_r.rate, 0, "calls/s", "");
    bench_row("TLS connect (handshake + Hello), median", connect_ms, 2, "ms", "");
    rc = 0;
out:
    bench_hostd_stop(&h);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: tls-rate HOSTD SKIFF_HV SKIFF_PKI KERNEL SECONDS\n");
        return 2;
    }
    double seconds = atof(argv[5]);
    if (seconds <= 0 || seconds > 60) {
        fprintf(stderr, "tls-rate: SECONDS must be 0-60\n");
        return 2;
    }
    if (bench_hostd_prepare(1024) < 0)
        return 1;
    char dir[] = "/tmp/skiff-bench-pki.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("bench: mkdtemp");
        return 1;
    }
    char pki[sizeof dir + 8];
    snprintf(pki, sizeof pki, "%s/pki", dir);
    int rc = 1;
    double plain, tls;
    if (bench_make_pki(argv[3], pki) < 0)
        goto out;
    fprintf(stderr, "bench: loopback throughput, %.0f s each...\n", seconds);
    if (bench_tls_throughput(NULL, seconds, &plain) < 0 ||
        bench_tls_throughput(pki, seconds, &tls) < 0)
        goto out;
    bench_row("loopback TCP throughput, plain", plain, 0, "MB/s", "");
    bench_row("loopback TCP throughput, TLS 1.3", tls, 0, "MB/s", "");
    fprintf(stderr, "bench: GetDomainInfo over UNIX and TLS, %.0f s each...\n", seconds);
    if (through_hostd(argv[1], argv[2], pki, seconds, argv[4]) < 0)
        goto out;
    rc = 0;
out:;
    char *rm[] = { "rm", "-rf", dir, NULL };
    bench_run_cmd(rm);
    return rc;
}
