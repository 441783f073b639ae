/*
 * vcpu-list and vcpu-pin: the vCPU threads as the monitors report them,
 * and changing a domain's hard and soft affinity (recorded in its
 * configuration, applied live to a running domain).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "daemon/host_topology.h"
#include "daemon/rpc_cpu.h"
#include "daemon/vcpu_affinity.h"
#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "monitor.h"
#include "rpc.h"
#include "xsm.h"

#define SET_TEXT 16384

struct vlist;

struct vslot {
    struct vlist *vl;
    Skiff__V1__VcpuEntry *entries;
    size_t n;
};

struct vlist {
    struct call *call;
    struct vslot *slots;
    size_t nslots;
    unsigned pending;
    bool submitted;
};

static char *set_text(const struct cpuset *s, const struct cpuset *all)
{
    if (cpuset_equal(s, all))
        return strdup("all");
    char *buf = malloc(SET_TEXT);
    if (buf != NULL)
        vcpu_set_string(s, buf, SET_TEXT);
    return buf;
}

/* The entries of d's vCPUs from its monitor's statistics (st may be NULL). */
static void fill(struct vslot *slot, struct domain *d, const Skiff__Monitor__V1__Stats *st)
{
    unsigned n = d->cfg->vcpus ? d->cfg->vcpus : 1;
    slot->entries = calloc(n, sizeof *slot->entries);
    if (slot->entries == NULL)
        return;
    for (unsigned i = 0; i < n; i++) {
        Skiff__V1__VcpuEntry *e = &slot->entries[slot->n++];
        skiff__v1__vcpu_entry__init(e);
        e->domain = strdup(d->row.name);
        e->domain_id = d->row.run_id;
        e->vcpu = i;
        e->cpu = -1;
        e->paused = d->row.state == SKIFF__V1__DOMAIN_STATE__PAUSED;
        const Skiff__Monitor__V1__VcpuInfo *vi = NULL;
        for (size_t k = 0; st != NULL && k < st->n_vcpus; k++)
            if (st->vcpus[k]->index == i)
                vi = st->vcpus[k];
        if (vi != NULL) {
            e->tid = vi->tid;
            e->cpu = vi->cpu;
            e->blocked = vi->blocked;
            e->time_ns = vi->time_ns;
            e->affinity = strdup(vi->affinity ? vi->affinity : "");
        } else {
            if (st != NULL && i < st->n_vcpu_time_ns)
                e->time_ns = st->vcpu_time_ns[i];
            e->affinity = strdup("");
        }
        if (st != NULL)
            e->paused = st->paused;
        struct vcpu_sets sets;
        char msg[300];
        if (vcpu_domain_sets(d, i, &sets, msg, sizeof msg) == 0) {
            e->hard = set_text(&sets.hard, &d->h->topo->online);
            e->soft = sets.has_soft ? set_text(&sets.soft, &d->h->topo->online) : strdup("all");
        } else {
            e->hard = strdup("-");
            e->soft = strdup("-");
        }
    }
}

static void vlist_free(struct vlist *vl)
{
    for (size_t s = 0; s < vl->nslots; s++) {
        for (size_t i = 0; i < vl->slots[s].n; i++) {
            Skiff__V1__VcpuEntry *e = &vl->slots[s].entries[i];
            free(e->domain);
            free(e->hard);
            free(e->soft);
            free(e->affinity);
        }
        free(vl->slots[s].entries);
    }
    free(vl->slots);
    free(vl);
}

static void vlist_finish(struct vlist *vl)
{
    if (!vl->submitted || vl->pending > 0)
        return;
    size_t total = 0;
    for (size_t s = 0; s < vl->nslots; s++)
        total += vl->slots[s].n;
    Skiff__V1__VcpuEntry **ptrs = calloc(total ? total : 1, sizeof *ptrs);
    if (ptrs == NULL) {
        call_error(vl->call, E(INTERNAL), "out of memory");
        vlist_free(vl);
        return;
    }
    size_t k = 0;
    for (size_t s = 0; s < vl->nslots; s++)
        for (size_t i = 0; i < vl->slots[s].n; i++) {
            Skiff__V1__VcpuEntry *e = &vl->slots[s].entries[i];
            /* strdup failures leave NULLs, which protobuf-c cannot pack. */
            if (!e->domain || !e->hard || !e->soft || !e->affinity)
                continue;
            ptrs[k++] = e;
        }
    Skiff__V1__VcpuList list = SKIFF__V1__VCPU_LIST__INIT;
    list.vcpus = ptrs;
    list.n_vcpus = k;
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_VCPUS;
    r.vcpus = &list;
    call_reply(vl->call, &r);
    free(ptrs);
    vlist_free(vl);
}

static void stats_cb(struct monitor *m, void *arg, int err,
                     const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct vslot *slot = arg;
    struct vlist *vl = slot->vl;
    if (m->dom != NULL)
        fill(slot, m->dom, err == 0 && rep->error == 0 ? rep->stats : NULL);
    if (err == 0 && rep->error == 0 && m->dom != NULL)
        domain_update_stats(m->dom, rep->stats);
    vl->pending--;
    vlist_finish(vl);
}

void rpc_vcpu_list(struct call *call, Skiff__V1__VcpuListRequest *rq)
{
    struct hostd *h = call->conn->h;
    struct domain *only = NULL;
    if (rq->domain[0] != '\0') {
        only = rpc_lookup(call, rq->domain);
        if (only == NULL || !xsm_domain(call, only, XSM_DOMAIN__GETINFO))
            return;
        if (!domain_active(only)) {
            call_error(call, E(BUSY), "domain %s is not running (state %s)", only->row.name,
                       domain_state_name(only->row.state));
            return;
        }
    }
    struct vlist *vl = calloc(1, sizeof *vl);
    if (vl == NULL || (vl->slots = calloc(h->domains.count + 1, sizeof *vl->slots)) == NULL) {
        free(vl);
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    vl->call = call;
    struct list *it, *it_next;
    list_for_each_safe(it, it_next, &h->domains.all) {
        struct domain *d = list_entry(it, struct domain, link);
        if ((only != NULL && d != only) || !domain_active(d) || vl->nslots >= h->domains.count ||
            (only == NULL && !xsm_may_see(call->conn, d->row.seclabel)))
            continue;
        struct vslot *slot = &vl->slots[vl->nslots++];
        slot->vl = vl;
        if (d->mon != NULL && d->mon->ready &&
            monitor_simple(d->mon, SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_STATS, stats_cb,
                           slot) == 0) {
            vl->pending++;
            continue;
        }
        fill(slot, d, NULL);   /* still starting: what the configuration says */
    }
    vl->submitted = true;
    vlist_finish(vl);
}

/* ---- vcpu-pin ---- */

static Skiff__V1__DomainConfig *clone_config(const Skiff__V1__DomainConfig *cfg)
{
    size_t len = skiff__v1__domain_config__get_packed_size(cfg);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL)
        return NULL;
    skiff__v1__domain_config__pack(cfg, buf);
    Skiff__V1__DomainConfig *copy = skiff__v1__domain_config__unpack(NULL, len, buf);
    free(buf);
    return copy;
}

static Skiff__V1__VcpuPin *pin_for(Skiff__V1__DomainConfig *cfg, unsigned vcpu)
{
    for (size_t i = 0; i < cfg->n_vcpu_pins; i++)
        if (cfg->vcpu_pins[i]->vcpu == vcpu)
            return cfg->vcpu_pins[i];
    Skiff__V1__VcpuPin **v = realloc(cfg->vcpu_pins, (cfg->n_vcpu_pins + 1) * sizeof *v);
    if (v == NULL)
        return NULL;
    cfg->vcpu_pins = v;
    Skiff__V1__VcpuPin *p = malloc(sizeof *p);
    if (p == NULL)
        return NULL;
    skiff__v1__vcpu_pin__init(p);
    p->vcpu = vcpu;
    v[cfg->n_vcpu_pins++] = p;
    return p;
}

/* Pins that override nothing any more go. */
static void drop_empty_pins(Skiff__V1__DomainConfig *cfg)
{
    size_t k = 0;
    for (size_t i = 0; i < cfg->n_vcpu_pins; i++) {
        Skiff__V1__VcpuPin *p = cfg->vcpu_pins[i];
        if (p->hard[0] == '\0' && p->soft[0] == '\0')
            skiff__v1__vcpu_pin__free_unpacked(p, NULL);
        else
            cfg->vcpu_pins[k++] = p;
    }
    cfg->n_vcpu_pins = k;
}

static int apply_pin(Skiff__V1__DomainConfig *cfg, int vcpu, const char *hard, const char *soft)
{
    int rc = 0;
    if (vcpu < 0) {
        /* Every vCPU: the domain-wide keys, and per-vCPU overrides go. */
        if (hard[0] != '\0')
            rc = pb_replace_str(&cfg->cpus, strcmp(hard, "all") == 0 ? "" : hard);
        if (rc == 0 && soft[0] != '\0')
            rc = pb_replace_str(&cfg->cpus_soft, soft);
        for (size_t i = 0; rc == 0 && i < cfg->n_vcpu_pins; i++) {
            if (hard[0] != '\0')
                rc = pb_replace_str(&cfg->vcpu_pins[i]->hard, "");
            if (rc == 0 && soft[0] != '\0')
                rc = pb_replace_str(&cfg->vcpu_pins[i]->soft, "");
        }
    } else {
        Skiff__V1__VcpuPin *p = pin_for(cfg, (unsigned)vcpu);
        if (p == NULL)
            return -ENOMEM;
        if (hard[0] != '\0')
            rc = pb_replace_str(&p->hard, hard);
        if (rc == 0 && soft[0] != '\0')
            rc = pb_replace_str(&p->soft, soft);
    }
    drop_empty_pins(cfg);
    return rc;
}

void rpc_vcpu_pin(struct call *call, Skiff__V1__VcpuPinRequest *rq)
{
    struct hostd *h = call->conn->h;
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, XSM_DOMAIN__SETAFFINITY))
        return;
    unsigned n = d->cfg->vcpus ? d->cfg->vcpus : 1;
    if (rq->vcpu < -1 || (rq->vcpu >= 0 && (unsigned)rq->vcpu >= n)) {
        call_error(call, E(INVALID), "domain %s has %u vCPU%s (0-%u): no vCPU %d", d->row.name,
                   n, n == 1 ? "" : "s", n - 1, rq->vcpu);
        return;
    }
    if (rq->hard[0] == '\0' && rq->soft[0] == '\0') {
        call_error(call, E(INVALID), "nothing to change: give a hard or a soft CPU list");
        return;
    }
    Skiff__V1__DomainConfig *cfg = clone_config(d->cfg);
    if (cfg == NULL || apply_pin(cfg, rq->vcpu, rq->hard, rq->soft) < 0) {
        if (cfg != NULL)
            skiff__v1__domain_config__free_unpacked(cfg, NULL);
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    char msg[600];
    Skiff__V1__ErrorCode code = config_check_cpus(h, cfg, msg, sizeof msg);
    int rc = 0;
    if (code == E(OK) && (domain_active(d) || d->mon != NULL)) {
        /* An explicit pin replaces automatic placement for the soft set. */
        rc = vcpu_check_all(h, &h->pools, d->row.pool, cfg,
                            d->numa_nodes ? &d->numa_cpus : NULL, msg, sizeof msg);
        if (rc < 0)
            code = rpc_errno_code(rc == -ERANGE ? -EINVAL : rc);
    }
    if (code != E(OK)) {
        skiff__v1__domain_config__free_unpacked(cfg, NULL);
        call_error(call, code, "%s", msg);
        return;
    }
    Skiff__V1__DomainConfig *old = d->cfg;
    d->cfg = cfg;
    rc = domain_commit(d);
    if (rc < 0) {
        d->cfg = old;
        skiff__v1__domain_config__free_unpacked(cfg, NULL);
        call_error(call, E(INTERNAL), "cannot record the pinning of %s: %s", d->row.name,
                   strerror(-rc));
        return;
    }
    skiff__v1__domain_config__free_unpacked(old, NULL);
    rpc_cpu_apply_domain_then_reply(call, d);
}
