/*
 * Section 5: what the security policy costs. Two hostds run side by side,
 * one with the dummy module and one with the flask module (the example
 * policy, the caller mapped to admin_t), each with one defined, stopped
 * domain, so that GetDomainInfo is answered by hostd alone and the policy
 * check is as large a share of a call as it can be. Their windows
 * alternate, so a burst of other work on the host hits both alike; the
 * median of the windows' ratios is the figure (target: flask >= 95% of
 * dummy), beside hostd's CPU time per call under each module.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domains.h"
#include "hostd-api.h"
#include "procmem.h"
#include "row.h"
#include "stats.h"

/* Many short windows, alternating: on a busy host the medians hold. */
#define POLICY_WINDOWS 21

/* Start a hostd with conf and define the domain "p" in it. */
static int start_one(const struct api_opts *o, const char *conf, struct bench_hostd *h)
{
    if (bench_hostd_start_conf(o->hostd, o->hv, conf ? conf : "", h) < 0)
        return -1;
    struct skiff_conn *c;
    struct skiff_error err;
    struct skiff_domain_config cfg = { .name = "p", .kernel = (char *)o->idle,
                                       .memory_mb = BENCH_GUEST_MB };
    if (skiff_connect(h->uri, &c, &err) < 0 || skiff_define(c, &cfg, NULL, &err) < 0) {
        fprintf(stderr, "hostd-api: policy: %s\n", err.message);
        skiff_close(c);
        return -1;
    }
    skiff_close(c);
    return 0;
}

static int compare(const struct api_opts *o, const struct bench_hostd *dummy,
                   const struct bench_hostd *flask, int clients)
{
    double d[POLICY_WINDOWS], f[POLICY_WINDOWS], ratio[POLICY_WINDOWS];
    double window = o->seconds / POLICY_WINDOWS * 2;
    double dcpu0, dcpu1, fcpu0, fcpu1;
    unsigned long dcalls = 0, fcalls = 0;
    if (bench_proc_cpu(dummy->pid, &dcpu0) < 0 || bench_proc_cpu(flask->pid, &fcpu0) < 0)
        return -1;
    for (int i = 0; i < POLICY_WINDOWS; i++) {
        /* Each goes first every other time: no order effect either. */
        for (int k = 0; k < 2; k++) {
            bool is_flask = (k == 0) == (i % 2 == 1);
            struct bench_rpc_result r;
            if (bench_rpc_rate(is_flask ? flask->uri : dummy->uri, BENCH_RPC_INFO, "p",
                               clients, window, &r) < 0)
                return -1;
            (is_flask ? f : d)[i] = r.rate;
            *(is_flask ? &fcalls : &dcalls) += r.calls;
        }
        ratio[i] = d[i] > 0 ? f[i] / d[i] : 0;
    }
    if (bench_proc_cpu(dummy->pid, &dcpu1) < 0 || bench_proc_cpu(flask->pid, &fcpu1) < 0)
        return -1;
    double dm = bench_median(d, POLICY_WINDOWS), fm = bench_median(f, POLICY_WINDOWS);
    char name[160];
    /* hostd's own CPU per call: the policy's cost, less blurred by the
     * host's other load than the rates are. */
    snprintf(name, sizeof name, "hostd CPU/call, dummy module, %d client%s", clients,
             clients > 1 ? "s" : "");
    bench_row(name, (dcpu1 - dcpu0) / (double)dcalls * 1e6, 2, "us", "");
    snprintf(name, sizeof name, "hostd CPU/call, flask module, %d client%s", clients,
             clients > 1 ? "s" : "");
    bench_row(name, (fcpu1 - fcpu0) / (double)fcalls * 1e6, 2, "us", "");
    snprintf(name, sizeof name, "GetDomainInfo stopped, dummy module, %d client%s", clients,
             clients > 1 ? "s" : "");
    bench_row(name, dm, 0, "op/s", "");
    snprintf(name, sizeof name, "GetDomainInfo stopped, flask module, %d client%s", clients,
             clients > 1 ? "s" : "");
    bench_row(name, fm, 0, "op/s", "");
    snprintf(name, sizeof name, "flask/dummy GetDomainInfo rate, %d client%s", clients,
             clients > 1 ? "s" : "");
    /* The median of the ratios of neighbouring windows: what the host's
     * load does to both within a second or so cancels out. */
    bench_row(name, bench_median(ratio, POLICY_WINDOWS), 3, "ratio", ">= 0.95");
    return 0;
}

int api_policy_rows(const struct api_opts *o)
{
    char dir[] = "/tmp/skiff-bench-policy.XXXXXX", labels[64], conf[512];
    char *policy = realpath(o->policy, NULL);
    if (policy == NULL) {
        fprintf(stderr, "hostd-api: %s: %s\n", o->policy, strerror(errno));
        return -1;
    }
    if (mkdtemp(dir) == NULL) {
        perror("hostd-api: mkdtemp");
        free(policy);
        return -1;
    }
    snprintf(labels, sizeof labels, "%s/labels", dir);
    FILE *f = fopen(labels, "w");
    int rc = -1;
    if (f == NULL || fprintf(f, "uid %ld system_u:system_r:admin_t\n", (long)getuid()) < 0 ||
        fclose(f) != 0) {
        fprintf(stderr, "hostd-api: %s: cannot write\n", labels);
        goto out;
    }
    snprintf(conf, sizeof conf, "security_module = \"flask\"\npolicy = \"%s\"\n"
             "labels = \"%s\"\n", policy, labels);
    struct bench_hostd dummy = { 0 }, flask = { 0 };
    fprintf(stderr, "bench: hostd: flask against dummy module...\n");
    if (start_one(o, NULL, &dummy) == 0 && start_one(o, conf, &flask) == 0 &&
        compare(o, &dummy, &flask, 1) == 0 && compare(o, &dummy, &flask, 4) == 0)
        rc = 0;
    bench_hostd_stop(&flask);
    bench_hostd_stop(&dummy);
out:
    unlink(labels);
    rmdir(dir);
    free(policy);
    return rc;
}
