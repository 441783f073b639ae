/*
 * sched-credit: the credit scheduler's weight and cap of domains, kept in
 * their configuration and applied to running ones through the CPU
 * controller (cgroup.c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "daemon/cgroup.h"
#include "daemon/rpc_cpu.h"
#include "domain.h"
#include "hostd.h"
#include "rpc.h"
#include "xsm.h"

#define CAP_MAX 51200

static void reply_list(struct call *call, struct domain *only)
{
    struct hostd *h = call->conn->h;
    size_t cap = h->domains.count + 1, n = 0;
    Skiff__V1__SchedEntry *e = calloc(cap, sizeof *e);
    Skiff__V1__SchedEntry **p = calloc(cap, sizeof *p);
    if (e == NULL || p == NULL) {
        free(e);
        free(p);
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    struct list *it, *it_next;
    list_for_each_safe(it, it_next, &h->domains.all) {
        struct domain *d = list_entry(it, struct domain, link);
        if ((only != NULL && d != only) || n >= cap ||
            (only == NULL && call->conn != NULL && !xsm_may_see(call->conn, d->row.seclabel)))
            continue;
        skiff__v1__sched_entry__init(&e[n]);
        e[n].domain = d->row.name;
        e[n].domain_id = d->row.run_id;
        e[n].weight = d->cfg->weight ? d->cfg->weight : SCHED_WEIGHT_DEFAULT;
        e[n].cap = d->cfg->cap;
        e[n].applied = h->cgroup.version != 0 && d->mon != NULL;
        p[n] = &e[n];
        n++;
    }
    Skiff__V1__SchedList sl = SKIFF__V1__SCHED_LIST__INIT;
    sl.domains = p;
    sl.n_domains = n;
    sl.controller = h->cgroup.why;
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_SCHED;
    r.sched = &sl;
    call_reply(call, &r);
    free(e);
    free(p);
}

void rpc_sched_credit(struct call *call, Skiff__V1__SchedCreditRequest *rq)
{
    struct hostd *h = call->conn->h;
    bool change = rq->weight != 0 || rq->set_cap;
    if (rq->domain[0] == '\0') {
        if (change) {
            call_error(call, E(INVALID), "name a domain (-d DOMAIN) to change its weight or cap");
            return;
        }
        reply_list(call, NULL);
        return;
    }
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL ||
        !xsm_domain(call, d, change ? XSM_DOMAIN__SETSCHED : XSM_DOMAIN__GETINFO))
        return;
    if (!change) {
        reply_list(call, d);
        return;
    }
    if (rq->weight > SCHED_WEIGHT_MAX) {
        call_error(call, E(INVALID), "weight %u is out of range (1-%d)", rq->weight,
                   SCHED_WEIGHT_MAX);
        return;
    }
    if (rq->set_cap && rq->cap > CAP_MAX) {
        call_error(call, E(INVALID), "cap %u is out of range (0-%d percent of one CPU)", rq->cap,
                   CAP_MAX);
        return;
    }
    if (h->cgroup.version == 0) {
        call_error(call, E(UNSUPPORTED), "cannot apply scheduling parameters: %s",
                   h->cgroup.why);
        return;
    }
    uint32_t old_w = d->cfg->weight, old_c = d->cfg->cap;
    if (rq->weight != 0)
        d->cfg->weight = rq->weight;
    if (rq->set_cap)
        d->cfg->cap = rq->cap;
    char msg[400];
    if (d->mon != NULL) {
        int rc = cgroup_domain_set(&h->cgroup, d->row.uuid, d->cfg->weight, d->cfg->cap, msg,
                                   sizeof msg);
        if (rc < 0) {
            d->cfg->weight = old_w;
            d->cfg->cap = old_c;
            call_error(call, rpc_errno_code(rc == -EOPNOTSUPP ? rc : -EIO), "%s", msg);
            return;
        }
    }
    int rc = domain_commit(d);
    if (rc < 0) {
        d->cfg->weight = old_w;
        d->cfg->cap = old_c;
        if (d->mon != NULL)
            cgroup_domain_set(&h->cgroup, d->row.uuid, old_w, old_c, msg, sizeof msg);
        call_error(call, E(INTERNAL), "cannot record the parameters of %s: %s", d->row.name,
                   strerror(-rc));
        return;
    }
    reply_list(call, d);
}
