/*
 * hostd-api HOSTD SKIFF_HV SKIFF_CLI GUESTDIR TICKER DOMAINS SECONDS RUNS:
 * the management stack's costs, against a hostd of this build on a
 * temporary state directory. Prints rows (bench/row.h):
 *
 *   1. GetDomainInfo and ListDomains round trips per second from 1, 4 and
 *      16 clients, a connection each, SECONDS per figure, with 10 idle
 *      domains running (api-rates.c);
 *   2. `skiff list` as a whole process, RUNS times (cli-list.c);
 *   3. create-to-running latency, RUNS create/destroy cycles each: of the
 *      first domain, then of domain #DOMAINS with DOMAINS-1 running
 *      (create-scale.c);
 *   4. memory and idle CPU per domain with DOMAINS running (scale-mem.c);
 *   5. GetDomainInfo with the flask security module against the dummy
 *      one, two hostds side by side (policy-rate.c; the policy is
 *      $SKIFF_BENCH_POLICY, default policy/skiff.policy of the build).
 *
 * The domains run GUESTDIR/idle.hvt (bench/mkbenchguest): it sleeps in
 * POLL and costs no CPU, so a thousand of them measure the stack rather
 * than a busy 2-core host. TICKER, the ticker example built with the guest
 * runtime, is timed once beside it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domains.h"
#include "hostd-api.h"
#include "row.h"

void api_row_ms(const char *name, double ns, const char *target)
{
    bench_row(name, ns / 1e6, 2, "ms", target);
}

static int num(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse(int argc, char **argv, struct api_opts *o)
{
    long secs, runs;
    if (argc != 9 || num(argv[6], 1, API_MAX_DOMAINS - 1, &o->domains) < 0 ||
        num(argv[7], 1, 60, &secs) < 0 || num(argv[8], 1, API_MAX_RUNS, &runs) < 0) {
        fprintf(stderr, "usage: hostd-api HOSTD SKIFF_HV SKIFF_CLI GUESTDIR TICKER "
                "DOMAINS(1..%d) SECONDS(1..60) RUNS(1..%d)\n", API_MAX_DOMAINS - 1,
                API_MAX_RUNS);
        return -1;
    }
    o->hostd = argv[1];
    o->hv = argv[2];
    o->cli = argv[3];
    o->seconds = (double)secs;
    o->runs = (int)runs;
    /* hostd runs kernels by the path it is given, from its own directory. */
    char *dir = realpath(argv[4], NULL);
    o->ticker = realpath(argv[5], NULL);    /* lives as long as the process */
    if (dir == NULL || o->ticker == NULL) {
        fprintf(stderr, "hostd-api: %s: %s\n", dir == NULL ? argv[4] : argv[5],
                strerror(errno));
        free(dir);
        return -1;
    }
    snprintf(o->idle, sizeof o->idle, "%s/idle.hvt", dir);
    snprintf(o->quiet, sizeof o->quiet, "%s/quiet.hvt", dir);
    free(dir);
    /* make runs this in the build tree, where policy/ is compiled. */
    const char *policy = getenv("SKIFF_BENCH_POLICY");
    o->policy = policy && *policy ? policy : "policy/skiff.policy";
    return 0;
}

static int run(struct skiff_conn *c, const struct bench_hostd *h, const struct api_opts *o)
{
    double times[API_RPC_DOMAINS];
    fprintf(stderr, "bench: hostd: RPC rates, %g s per figure...\n", o->seconds);
    if (bench_create_many(c, "rpc", o->idle, API_RPC_DOMAINS, times) < 0 ||
        api_rate_rows(c, o, h, "rpc-0") < 0)
        return -1;
    fprintf(stderr, "bench: hostd: skiff list, %d runs...\n", o->runs);
    if (api_cli_rows(o, h->uri, API_RPC_DOMAINS, 1) < 0 ||
        bench_destroy_many(c, "rpc", API_RPC_DOMAINS) < 0)
        return -1;
    return api_scale_rows(c, o, h);
}

int main(int argc, char **argv)
{
    struct api_opts o;
    if (parse(argc, argv, &o) < 0)
        return 2;
    /* Set by libtool's wrapper for this program alone: not for hostd. */
    unsetenv("LD_LIBRARY_PATH");
    /* hostd holds a control socket per monitor, plus its own few. */
    if (bench_hostd_prepare((unsigned long)o.domains * 2 + 256) < 0)
        return 1;
    double t0 = bench_now_ns();
    struct bench_hostd h;
    if (bench_hostd_start(o.hostd, o.hv, &h) < 0)
        return 1;
    struct skiff_conn *c = NULL;
    struct skiff_error err;
    int rc = -1;
    if (skiff_connect(h.uri, &c, &err) < 0)
        fprintf(stderr, "hostd-api: skiff_connect %s: %s\n", h.uri, err.message);
    else
        rc = run(c, &h, &o);
    skiff_close(c);
    bench_hostd_stop(&h);
    if (rc == 0 && !bench_interrupted)
        rc = api_policy_rows(&o);
    if (bench_interrupted)
        fprintf(stderr, "hostd-api: interrupted\n");
    if (rc < 0 || bench_interrupted)
        return 1;
    bench_row("hostd benchmarks, total time", (bench_now_ns() - t0) / 1e9, 1, "s", "");
    return 0;
}
