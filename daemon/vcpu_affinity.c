/* vCPU affinity: see vcpu_affinity.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/host_topology.h"
#include "daemon/vcpu_affinity.h"
#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "monitor.h"
#include "util.h"

const char *vcpu_pool_name(const struct hostd *h, const char *pool)
{
    if (pool != NULL && *pool != '\0')
        return pool;
    return h->pools.n > 0 ? h->pools.v[0].name : POOL_DEFAULT_NAME;
}

const char *vcpu_set_string(const struct cpuset *s, char *buf, size_t len)
{
    if (cpuset_format(s, buf, len) >= 0)
        return buf;
    int first = cpuset_next(s, 0), last = first;
    for (int c = first; c >= 0; c = cpuset_next(s, (unsigned)c + 1))
        last = c;
    snprintf(buf, len, "%u CPUs from %d to %d", cpuset_count(s), first, last);
    return buf;
}

static const Skiff__V1__VcpuPin *pin_of(const Skiff__V1__DomainConfig *cfg, unsigned i)
{
    for (size_t k = 0; k < cfg->n_vcpu_pins; k++)
        if (cfg->vcpu_pins[k]->vcpu == i)
            return cfg->vcpu_pins[k];
    return NULL;
}

int vcpu_sets(const struct hostd *h, const struct pooltab *pools, const char *pool,
              const Skiff__V1__DomainConfig *cfg, const struct cpuset *placed, unsigned i,
              struct vcpu_sets *out, char *msg, size_t len)
{
    const char *pname = pool != NULL && *pool ? pool
                        : pools->n > 0 ? pools->v[0].name : POOL_DEFAULT_NAME;
    int p = pool_find(pools, pname);
    if (p < 0) {
        snprintf(msg, len, "pool '%s' does not exist (see cpupool-list)", pname);
        return -ENOENT;
    }
    const Skiff__V1__VcpuPin *pin = pin_of(cfg, i);
    const char *hard = pin && pin->hard[0] ? pin->hard : cfg->cpus;
    const char *soft = pin && pin->soft[0] ? pin->soft : cfg->cpus_soft;
    char why[200];
    int rc;
    if (hard[0] == '\0' || strcmp(hard, "all") == 0) {
        out->hard = h->topo->online;
    } else if ((rc = hosttopo_parse(h, hard, &out->hard, why, sizeof why)) < 0) {
        snprintf(msg, len, "hard affinity of vCPU %u: %s", i, why);
        return -EINVAL;
    }
    cpuset_and(&out->hard, &out->hard, &pools->v[p].cpus);
    out->has_soft = false;
    if (soft[0] != '\0' && strcmp(soft, "all") != 0) {
        if ((rc = hosttopo_parse(h, soft, &out->soft, why, sizeof why)) < 0) {
            snprintf(msg, len, "soft affinity of vCPU %u: %s", i, why);
            return -EINVAL;
        }
        out->has_soft = true;
    } else if (soft[0] == '\0' && placed != NULL) {
        out->soft = *placed;
        out->has_soft = true;
    }
    if (!out->has_soft)
        out->soft = h->topo->online;
    cpuset_and(&out->run, &out->hard, &h->real_online);
    if (cpuset_empty(&out->run)) {
        char a[96], b[96], c[96];
        struct cpuset pin_set = out->hard;
        if (hard[0] != '\0' && strcmp(hard, "all") != 0)
            hosttopo_parse(h, hard, &pin_set, why, sizeof why);
        snprintf(msg, len,
                 "vCPU %u would have no CPU to run on: pool %s has CPUs [%s], its hard "
                 "affinity is [%s], and this machine has CPUs [%s] online",
                 i, pname, vcpu_set_string(&pools->v[p].cpus, a, sizeof a),
                 hard[0] && strcmp(hard, "all") ? vcpu_set_string(&pin_set, b, sizeof b) : "all",
                 vcpu_set_string(&h->real_online, c, sizeof c));
        return -ERANGE;
    }
    struct cpuset narrow;
    cpuset_and(&narrow, &out->run, &out->soft);
    if (out->has_soft && !cpuset_empty(&narrow))
        out->run = narrow;
    return 0;
}

int vcpu_check_all(const struct hostd *h, const struct pooltab *pools, const char *pool,
                   const Skiff__V1__DomainConfig *cfg, const struct cpuset *placed,
                   char *msg, size_t len)
{
    unsigned n = cfg->vcpus ? cfg->vcpus : 1;
    struct vcpu_sets s;
    char why[400];
    for (unsigned i = 0; i < n; i++) {
        int rc = vcpu_sets(h, pools, pool, cfg, placed, i, &s, why, sizeof why);
        if (rc < 0) {
            snprintf(msg, len, "domain %s: %s", cfg->name, why);
            return rc;
        }
    }
    return 0;
}

int vcpu_domain_sets(const struct domain *d, unsigned i, struct vcpu_sets *out, char *msg,
                     size_t len)
{
    return vcpu_sets(d->h, &d->h->pools, d->row.pool, d->cfg,
                     d->numa_nodes ? &d->numa_cpus : NULL, i, out, msg, len);
}

char *vcpu_spawn_cpus(const struct domain *d)
{
    unsigned n = d->cfg->vcpus ? d->cfg->vcpus : 1;
    struct cpuset all;
    cpuset_zero(&all);
    for (unsigned i = 0; i < n; i++) {
        struct vcpu_sets s;
        char msg[256];
        if (vcpu_domain_sets(d, i, &s, msg, sizeof msg) < 0)
            return NULL;   /* refused before spawning; nothing to narrow */
        cpuset_or(&all, &all, &s.run);
    }
    if (cpuset_equal(&all, &d->h->real_online))
        return NULL;
    size_t cap = 16384;
    char *buf = malloc(cap);
    if (buf != NULL && cpuset_format(&all, buf, cap) < 0) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

struct vcpu_apply {
    vcpu_apply_done *done;
    void *arg;
    unsigned pending;
    bool submitted;
    char err[400];
};

struct vcpu_apply *vcpu_apply_new(vcpu_apply_done *done, void *arg)
{
    struct vcpu_apply *b = calloc(1, sizeof *b);
    if (b != NULL) {
        b->done = done;
        b->arg = arg;
    }
    return b;
}

static void finish(struct vcpu_apply *b)
{
    if (!b->submitted || b->pending > 0)
        return;
    if (b->done != NULL)
        b->done(b->arg, b->err[0] ? b->err : NULL);
    free(b);
}

static void set_cb(struct monitor *m, void *arg, int err,
                   const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct vcpu_apply *b = arg;
    const char *name = m->dom ? m->dom->row.name : m->uuid;
    if (b->err[0] == '\0') {
        if (err < 0)
            snprintf(b->err, sizeof b->err, "lost contact with the monitor of %s", name);
        else if (rep->error != 0)
            snprintf(b->err, sizeof b->err, "the monitor of %s could not set the affinity: %s",
                     name, rep->message && *rep->message ? rep->message : strerror(rep->error));
    }
    if (b->err[0] && b->done == NULL)
        log_warn("%s", b->err);
    b->pending--;
    finish(b);
}

static int send_set(struct vcpu_apply *b, struct domain *d, int vcpu, const struct cpuset *set)
{
    char *list = malloc(16384);
    if (list == NULL || cpuset_format(set, list, 16384) < 0) {
        free(list);
        return -ENOMEM;
    }
    Skiff__Monitor__V1__SetAffinity sa = SKIFF__MONITOR__V1__SET_AFFINITY__INIT;
    sa.vcpu = vcpu;
    sa.cpus = list;
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_SET_AFFINITY;
    req.set_affinity = &sa;
    int rc = monitor_request(d->mon, &req, set_cb, b);
    free(list);
    if (rc == 0)
        b->pending++;
    return rc;
}

void vcpu_apply_domain(struct vcpu_apply *b, struct domain *d)
{
    if (b == NULL || d->mon == NULL || !d->mon->ready || !domain_active(d))
        return;
    unsigned n = d->cfg->vcpus ? d->cfg->vcpus : 1;
    struct vcpu_sets *sets = calloc(n, sizeof *sets);
    char msg[400];
    if (sets == NULL) {
        snprintf(b->err, sizeof b->err, "out of memory");
        return;
    }
    bool same = true;
    for (unsigned i = 0; i < n; i++) {
        if (vcpu_domain_sets(d, i, &sets[i], msg, sizeof msg) < 0) {
            /* Checked before any change was committed; keep what runs. */
            log_warn("domain %s: %s", d->row.name, msg);
            free(sets);
            return;
        }
        if (i > 0 && !cpuset_equal(&sets[i].run, &sets[0].run))
            same = false;
    }
    int rc = 0;
    if (same)
        rc = send_set(b, d, -1, &sets[0].run);
    else
        for (unsigned i = 0; i < n && rc == 0; i++)
            rc = send_set(b, d, (int)i, &sets[i].run);
    if (rc < 0 && b->err[0] == '\0')
        snprintf(b->err, sizeof b->err, "cannot reach the monitor of %s: %s", d->row.name,
                 strerror(-rc));
    free(sets);
}

void vcpu_apply_go(struct vcpu_apply *b, vcpu_apply_done *done, void *arg)
{
    if (b == NULL) {
        if (done != NULL)
            done(arg, "out of memory");
        return;
    }
    b->submitted = true;
    finish(b);
}
