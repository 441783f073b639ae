/* The parts of bench/hostd-api: its options, and one entry point per section. */
#ifndef SKIFF_BENCH_HOSTD_API_H
#define SKIFF_BENCH_HOSTD_API_H

#include <skiff/skiff.h>

#include "hostd-run.h"
#include "rpc-rate.h"

#define API_WARMUP      3       /* unmeasured runs before each series */
#define API_MAX_RUNS    1000
#define API_MAX_DOMAINS 20000
#define API_RPC_DOMAINS 10      /* running during the RPC and CLI sections */

struct api_opts {
    const char *hostd, *hv, *cli, *ticker;  /* paths as given by make */
    char idle[4096];            /* absolute: hostd resolves kernels itself */
    char quiet[4096];
    long domains;               /* domains running at the top of the scale run */
    double seconds;             /* per RPC rate */
    int runs;                   /* per latency median */
    const char *policy;         /* the binary policy for the flask rows */
};

/* A row in milliseconds from nanoseconds. */
void api_row_ms(const char *name, double ns, const char *target);

/*
 * One rate row, "WHAT, N clients": the median of a few windows over
 * o->seconds. With one client, also the CPU hostd (and the monitor mon,
 * unless 0) spent per call: their work, apart from time spent waking up.
 */
int api_rate_row(const struct api_opts *o, const char *uri, enum bench_rpc_op op,
                 const char *domain, int clients, pid_t hostd, pid_t mon, const char *what,
                 const char *target);

/* 1. GetDomainInfo/ListDomains rates, with API_RPC_DOMAINS running (domain is one). */
int api_rate_rows(struct skiff_conn *c, const struct api_opts *o, const struct bench_hostd *h,
                  const char *domain);

/* 2. `skiff list` as a process, with `domains` running; full: every row, else the median. */
int api_cli_rows(const struct api_opts *o, const char *uri, long domains, int full);

/* 3 and 4. Create-to-running latency, from one domain to o->domains, and the
 * cost of o->domains idle ones; all destroyed again at the end. */
int api_scale_rows(struct skiff_conn *c, const struct api_opts *o, const struct bench_hostd *h);

/* 4. Memory of h's monitors and hostd now (pids: the monitors, n of them),
 * against hostd and the kernel before the first domain. */
struct api_baseline {
    long hostd_pss_kib, hostd_rss_kib;
    long kernel_kib;
};
int api_baseline(const struct bench_hostd *h, struct api_baseline *b);
int api_memory_rows(const struct bench_hostd *h, const pid_t *pids, int n,
                    const struct api_baseline *b);
/* CPU of hostd and the monitors over a few seconds in which nothing is asked. */
int api_idle_cpu_row(const struct bench_hostd *h, const pid_t *pids, int n);

/* 5. GetDomainInfo with the flask module against the dummy module. */
int api_policy_rows(const struct api_opts *o);

#endif
