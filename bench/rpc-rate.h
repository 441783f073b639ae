/* Round trips per second through libskiff, from concurrent clients. */
#ifndef SKIFF_BENCH_RPC_RATE_H
#define SKIFF_BENCH_RPC_RATE_H

enum bench_rpc_op {
    BENCH_RPC_INFO,     /* skiff_info(domain): GetDomainInfo */
    BENCH_RPC_LIST,     /* skiff_list(all): ListDomains */
};

struct bench_rpc_result {
    double rate;                /* calls per second */
    unsigned long calls;
};

/*
 * clients threads, each with its own connection (opened before the clock
 * starts), repeat op back to back for seconds; *rate is the calls that
 * completed, over the time from the common start to the last thread's
 * end. Every call must succeed. 0, or -1 (reported).
 */
int bench_rpc_rate(const char *uri, enum bench_rpc_op op, const char *domain, int clients,
                   double seconds, struct bench_rpc_result *res);

/*
 * The floor under any of those rates on this host: round trips per second
 * of 64-byte messages between this process and a forked echo process over
 * a UNIX socket pair, for seconds. 0, or -1 (reported).
 */
int bench_echo_rate(double seconds, double *rate);

#endif
