/*
 * Section 1: RPC round trips per second. GetDomainInfo of a running domain
 * asks its monitor for fresh statistics (a second hop, hostd to skiff-hv),
 * so it is also measured on a defined, stopped domain, which hostd answers
 * alone; and a bare socket echo between two processes gives the host's
 * floor for one hop. With one client, the CPU hostd and the monitor spend
 * per call tells their work apart from time spent waking each other up.
 */
#include <stdio.h>

#include "domains.h"
#include "hostd-api.h"
#include "procmem.h"
#include "row.h"
#include "rpc-rate.h"
#include "stats.h"

#define WINDOWS 5

static int cpu_of(pid_t pid, double *t)
{
    if (pid <= 0) {
        *t = 0;
        return 0;
    }
    return bench_proc_cpu(pid, t);
}

/* WINDOWS runs share o->seconds: a burst of other work on this small
 * host spoils one window rather than the figure. */
int api_rate_row(const struct api_opts *o, const char *uri, enum bench_rpc_op op,
                 const char *domain, int clients, pid_t hostd, pid_t mon, const char *what,
                 const char *target)
{
    double rates[WINDOWS], h0, h1, m0, m1;
    unsigned long calls = 0;
    char name[160];
    if (cpu_of(hostd, &h0) < 0 || cpu_of(mon, &m0) < 0)
        return -1;
    for (int i = 0; i < WINDOWS; i++) {
        struct bench_rpc_result res;
        if (bench_rpc_rate(uri, op, domain, clients, o->seconds / WINDOWS, &res) < 0)
            return -1;
        rates[i] = res.rate;
        calls += res.calls;
    }
    if (cpu_of(hostd, &h1) < 0 || cpu_of(mon, &m1) < 0)
        return -1;
    snprintf(name, sizeof name, "%s, %d client%s", what, clients, clients > 1 ? "s" : "");
    bench_row(name, bench_median(rates, WINDOWS), 0, "op/s", target);
    if (clients == 1) {
        /* Over all windows: connecting between them costs little beside this. */
        snprintf(name, sizeof name, "hostd CPU/call, %s", what);
        bench_row(name, (h1 - h0) / (double)calls * 1e6, 1, "us", "");
        if (mon > 0) {
            snprintf(name, sizeof name, "skiff-hv CPU/call, %s", what);
            bench_row(name, (m1 - m0) / (double)calls * 1e6, 1, "us", "");
        }
    }
    return 0;
}

static const int clients[] = { 1, 4, 16 };
#define N_CLIENTS (sizeof clients / sizeof clients[0])

/* GetDomainInfo of a domain without a monitor, defined for the purpose. */
static int stopped_rows(struct skiff_conn *c, const struct api_opts *o,
                        const struct bench_hostd *h)
{
    struct skiff_domain_config cfg = { .name = "stopped", .kernel = (char *)o->idle,
                                       .memory_mb = BENCH_GUEST_MB };
    struct skiff_error err;
    if (skiff_define(c, &cfg, NULL, &err) < 0) {
        fprintf(stderr, "hostd-api: define: %s\n", err.message);
        return -1;
    }
    int rc = api_rate_row(o, h->uri, BENCH_RPC_INFO, "stopped", 1, h->pid, 0,
                      "GetDomainInfo stopped", "");
    if (skiff_undefine(c, "stopped", &err) < 0) {
        fprintf(stderr, "hostd-api: undefine: %s\n", err.message);
        return -1;
    }
    return rc;
}

int api_rate_rows(struct skiff_conn *c, const struct api_opts *o, const struct bench_hostd *h,
                  const char *domain)
{
    struct skiff_domain_info info;
    struct skiff_error err;
    if (skiff_info(c, domain, &info, &err) < 0) {
        fprintf(stderr, "hostd-api: info %s: %s\n", domain, err.message);
        return -1;
    }
    pid_t mon = info.pid;
    skiff_domain_info_clear(&info);

    double rates[WINDOWS];
    for (int i = 0; i < WINDOWS; i++)
        if (bench_echo_rate(o->seconds / WINDOWS, &rates[i]) < 0)
            return -1;
    bench_row("UNIX socket echo, host floor", bench_median(rates, WINDOWS), 0, "op/s", "");
    /* Warm-up: connections, hostd's allocator, the monitor's stats path. */
    struct bench_rpc_result res;
    if (bench_rpc_rate(h->uri, BENCH_RPC_INFO, domain, 1, 0.2, &res) < 0)
        return -1;
    for (size_t i = 0; i < N_CLIENTS; i++)
        if (api_rate_row(o, h->uri, BENCH_RPC_INFO, domain, clients[i], h->pid, mon,
                     "GetDomainInfo running", clients[i] == 1 ? ">= 50000" : "") < 0)
            return -1;
    char what[64];
    snprintf(what, sizeof what, "ListDomains of %d", API_RPC_DOMAINS);
    for (size_t i = 0; i < N_CLIENTS; i++)
        if (api_rate_row(o, h->uri, BENCH_RPC_LIST, NULL, clients[i], h->pid, 0, what, "") < 0)
            return -1;
    return stopped_rows(c, o, h);
}
