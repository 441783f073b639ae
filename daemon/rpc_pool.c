/*
 * The API of CPU pools and topology: host_topology, cpupool-*. Every
 * change is checked on a copy of the pool table (including that each
 * running domain keeps a CPU for every vCPU), committed, then applied to
 * the running domains' vCPU threads; the reply comes once they are.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "daemon/host_topology.h"
#include "daemon/numa_place.h"
#include "daemon/pool_state.h"
#include "daemon/rpc_cpu.h"
#include "daemon/vcpu_affinity.h"
#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "rpc.h"
#include "xsm.h"

#define CPULIST_MAX 16384

Skiff__V1__ErrorCode rpc_errno_code(int rc)
{
    switch (rc) {
    case -ENOENT: return E(NOT_FOUND);
    case -EEXIST: return E(EXISTS);
    case -EBUSY: return E(BUSY);
    case -EINVAL:
    case -ERANGE: return E(INVALID);
    case -EOPNOTSUPP: return E(UNSUPPORTED);
    default: return E(INTERNAL);
    }
}

static void op_host_topology(struct call *call)
{
    struct hostd *h = call->conn->h;
    if (!xsm_host(call, XSM_HOST__PHYSINFO))
        return;
    Skiff__V1__HostInfo hi = SKIFF__V1__HOST_INFO__INIT;
    struct hosttopo_detail dt = { 0 };
    if (hosttopo_fill_detail(h, &hi, &dt) < 0) {
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_HOST;
    r.host = &hi;
    call_reply(call, &r);
    hosttopo_free_detail(&dt);
}

static struct pool *find_pool(struct call *call, const char *name)
{
    struct hostd *h = call->conn->h;
    int i = pool_find(&h->pools, name ? name : "");
    if (i < 0) {
        call_error(call, E(NOT_FOUND), "no pool '%s' (see cpupool-list)", name ? name : "");
        return NULL;
    }
    return &h->pools.v[i];
}

/* One PoolInfo per pool (or only `only`), answered. */
static void reply_pools(struct call *call, const char *only)
{
    struct hostd *h = call->conn->h;
    size_t n = h->pools.n;
    Skiff__V1__PoolInfo *infos = calloc(n ? n : 1, sizeof *infos);
    Skiff__V1__PoolInfo **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    char **names = calloc(h->domains.count + 1, sizeof *names);
    char *lists = malloc(n * (size_t)CPULIST_MAX + 1);
    if (!infos || !ptrs || !names || !lists) {
        call_error(call, E(INTERNAL), "out of memory");
        goto out;
    }
    size_t k = 0, used = 0;
    for (size_t i = 0; i < n; i++) {
        const struct pool *p = &h->pools.v[i];
        if (only != NULL && strcmp(only, p->name) != 0)
            continue;
        Skiff__V1__PoolInfo *pi = &infos[k];
        skiff__v1__pool_info__init(pi);
        pi->name = (char *)p->name;
        pi->cpus = &lists[k * CPULIST_MAX];
        if (cpuset_format(&p->cpus, pi->cpus, CPULIST_MAX) < 0)
            pi->cpus[0] = '\0';
        pi->ncpus = cpuset_count(&p->cpus);
        pi->sched = (char *)POOL_SCHED;
        unsigned all, active;
        pools_count(h, p->name, &all, &active);
        pi->domains = active;
        pi->domain_names = &names[used];
        struct list *it, *it_next;
        list_for_each_safe(it, it_next, &h->domains.all) {
            struct domain *d = list_entry(it, struct domain, link);
            if (strcmp(vcpu_pool_name(h, d->row.pool), p->name) == 0 && used < h->domains.count &&
                call->conn != NULL && xsm_may_see(call->conn, d->row.seclabel))
                names[used++] = d->row.name;
        }
        pi->n_domain_names = (size_t)(&names[used] - pi->domain_names);
        ptrs[k++] = pi;
    }
    Skiff__V1__PoolList pl = SKIFF__V1__POOL_LIST__INIT;
    pl.pools = ptrs;
    pl.n_pools = k;
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_POOLS;
    r.pools = &pl;
    call_reply(call, &r);
out:
    free(infos);
    free(ptrs);
    free(names);
    free(lists);
}

static void op_pool_list(struct call *call, Skiff__V1__PoolListRequest *rq)
{
    if (!xsm_pool(call, rq->pool, NULL, XSM_POOL__GETINFO))
        return;
    if (rq->pool[0] != '\0' && find_pool(call, rq->pool) == NULL)
        return;
    reply_pools(call, rq->pool[0] ? rq->pool : NULL);
}

/* Parse a CPU spec of a request; answers INVALID/NOT_FOUND on failure. */
static bool parse_cpus(struct call *call, const char *spec, struct cpuset *out)
{
    char msg[300];
    int rc = hosttopo_parse(call->conn->h, spec, out, msg, sizeof msg);
    if (rc < 0) {
        call_error(call, rc == -ENOENT ? E(NOT_FOUND) : E(INVALID), "%s", msg);
        return false;
    }
    return true;
}

/* Every running domain still has a CPU for each vCPU with table t; domains
 * of pool `from` are looked up as `to` (a rename). Answers BUSY if not. */
static bool domains_fit(struct call *call, const struct pooltab *t, const char *from,
                        const char *to)
{
    struct hostd *h = call->conn->h;
    struct list *it, *it_next;
    list_for_each_safe(it, it_next, &h->domains.all) {
        struct domain *d = list_entry(it, struct domain, link);
        if (!domain_active(d) && d->mon == NULL)
            continue;
        const char *pool = vcpu_pool_name(h, d->row.pool);
        if (from != NULL && strcmp(pool, from) == 0)
            pool = to;
        char msg[600];
        int rc = vcpu_check_all(h, t, pool, d->cfg, d->numa_nodes ? &d->numa_cpus : NULL, msg,
                                sizeof msg);
        if (rc < 0) {
            call_error(call, E(BUSY), "refused: %s", msg);
            return false;
        }
    }
    return true;
}

/* The reply to a change, once its domains' threads follow it. */
struct change_done {
    struct call *call;
    char pool[POOL_NAME_MAX + 1];     /* answer with this pool's info; "" = OK */
};

static void change_applied(void *arg, const char *err)
{
    struct change_done *cd = arg;
    if (err != NULL)
        call_error(cd->call, E(INTERNAL), "recorded, but not applied to every vCPU: %s", err);
    else if (cd->call->conn == NULL || cd->pool[0] == '\0' ||
             pool_find(&cd->call->conn->h->pools, cd->pool) < 0)
        call_reply_ok(cd->call);
    else
        reply_pools(cd->call, cd->pool);
    free(cd);
}

static struct change_done *change_new(struct call *call, const char *answer_pool)
{
    struct change_done *cd = calloc(1, sizeof *cd);
    if (cd == NULL) {
        call_error(call, E(INTERNAL), "out of memory");
        return NULL;
    }
    cd->call = call;
    snprintf(cd->pool, sizeof cd->pool, "%s", answer_pool ? answer_pool : "");
    return cd;
}

void rpc_cpu_apply_domain_then_reply(struct call *call, struct domain *d)
{
    struct change_done *cd = change_new(call, NULL);
    if (cd == NULL)
        return;
    struct vcpu_apply *b = vcpu_apply_new(change_applied, cd);
    vcpu_apply_domain(b, d);
    vcpu_apply_go(b, change_applied, cd);
}

void rpc_cpu_apply_then_reply(struct call *call, const char *pool, const char *answer_pool)
{
    struct hostd *h = call->conn->h;
    struct change_done *cd = calloc(1, sizeof *cd);
    if (cd == NULL) {
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    cd->call = call;
    snprintf(cd->pool, sizeof cd->pool, "%s", answer_pool ? answer_pool : "");
    struct vcpu_apply *b = vcpu_apply_new(change_applied, cd);
    struct list *it, *it_next;
    list_for_each_safe(it, it_next, &h->domains.all) {
        struct domain *d = list_entry(it, struct domain, link);
        if (pool == NULL || strcmp(vcpu_pool_name(h, d->row.pool), pool) == 0)
            vcpu_apply_domain(b, d);
    }
    vcpu_apply_go(b, change_applied, cd);
}

static bool commit(struct call *call, struct pooltab *t, const char *from, const char *to,
                   struct domain *d)
{
    int rc = pools_commit(call->conn->h, t, from, to, d);
    if (rc < 0) {
        pooltab_free(t);
        call_error(call, E(INTERNAL), "cannot record the pools: %s", strerror(-rc));
        return false;
    }
    return true;
}

static void op_pool_create(struct call *call, Skiff__V1__PoolConfig *rq)
{
    struct hostd *h = call->conn->h;
    struct cpuset cpus;
    char msg[400];
    if (!xsm_pool(call, rq->name, NULL, XSM_POOL__CREATE) || !parse_cpus(call, rq->cpus, &cpus))
        return;
    int rc = pool_check_create(&h->pools, rq->name, &cpus, rq->sched, &h->topo->online, msg,
                               sizeof msg);
    if (rc < 0) {
        call_error(call, rpc_errno_code(rc), "%s", msg);
        return;
    }
    struct pooltab t;
    if (pooltab_copy(&t, &h->pools) < 0 || pooltab_add(&t, rq->name, &cpus) < 0) {
        pooltab_free(&t);
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    if (!commit(call, &t, NULL, NULL, NULL))
        return;
    log_info("pool %s created", rq->name);
    reply_pools(call, rq->name);
}

static void op_pool_destroy(struct call *call, Skiff__V1__PoolRef *rq)
{
    struct hostd *h = call->conn->h;
    struct pool *p = find_pool(call, rq->pool);
    if (p == NULL || !xsm_pool(call, p->name, NULL, XSM_POOL__DESTROY))
        return;
    size_t i = (size_t)(p - h->pools.v);
    unsigned all, active;
    char msg[400];
    pools_count(h, p->name, &all, &active);
    int rc = pool_check_destroy(&h->pools, i, all, msg, sizeof msg);
    if (rc < 0) {
        call_error(call, rpc_errno_code(rc), "%s", msg);
        return;
    }
    struct pooltab t;
    char name[POOL_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s", p->name);
    if (pooltab_copy(&t, &h->pools) < 0) {
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    pooltab_remove(&t, i);
    if (!commit(call, &t, NULL, NULL, NULL))
        return;
    log_info("pool %s destroyed (its CPUs are free)", name);
    call_reply_ok(call);
}

static void op_pool_rename(struct call *call, Skiff__V1__PoolRename *rq)
{
    struct hostd *h = call->conn->h;
    struct pool *p = find_pool(call, rq->pool);
    if (p == NULL || !xsm_pool(call, p->name, NULL, XSM_POOL__RENAME))
        return;
    size_t i = (size_t)(p - h->pools.v);
    char msg[400], from[POOL_NAME_MAX + 1];
    int rc = pool_check_rename(&h->pools, i, rq->new_name, msg, sizeof msg);
    if (rc < 0) {
        call_error(call, rpc_errno_code(rc), "%s", msg);
        return;
    }
    snprintf(from, sizeof from, "%s", p->name);
    struct pooltab t;
    if (pooltab_copy(&t, &h->pools) < 0) {
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    snprintf(t.v[i].name, sizeof t.v[i].name, "%s", rq->new_name);
    if (!commit(call, &t, from, rq->new_name, NULL))
        return;
    log_info("pool %s renamed %s", from, rq->new_name);
    reply_pools(call, rq->new_name);
}

static void op_pool_cpus(struct call *call, Skiff__V1__PoolCpus *rq, bool add)
{
    struct hostd *h = call->conn->h;
    struct pool *p = find_pool(call, rq->pool);
    struct cpuset cpus;
    if (p == NULL || !xsm_pool(call, p->name, NULL, add ? XSM_POOL__ADDCPU : XSM_POOL__REMOVECPU) ||
        !parse_cpus(call, rq->cpus, &cpus))
        return;
    size_t i = (size_t)(p - h->pools.v);
    char msg[400];
    unsigned all, active;
    pools_count(h, p->name, &all, &active);
    int rc = add ? pool_check_cpu_add(&h->pools, i, &cpus, &h->topo->online, msg, sizeof msg)
                 : pool_check_cpu_remove(&h->pools, i, &cpus, active, msg, sizeof msg);
    if (rc < 0) {
        call_error(call, rpc_errno_code(rc), "%s", msg);
        return;
    }
    struct pooltab t;
    if (pooltab_copy(&t, &h->pools) < 0) {
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    if (add)
        cpuset_or(&t.v[i].cpus, &t.v[i].cpus, &cpus);
    else
        cpuset_andnot(&t.v[i].cpus, &t.v[i].cpus, &cpus);
    if (!add && !domains_fit(call, &t, NULL, NULL)) {
        pooltab_free(&t);
        return;
    }
    char name[POOL_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s", p->name);
    if (!commit(call, &t, NULL, NULL, NULL))
        return;
    /* Placed domains' soft sets follow the pool's CPUs. */
    struct list *it, *it_next;
    list_for_each_safe(it, it_next, &h->domains.all) {
        struct domain *d = list_entry(it, struct domain, link);
        if (d->numa_nodes != 0 && strcmp(vcpu_pool_name(h, d->row.pool), name) == 0)
            numa_restore(d);
    }
    rpc_cpu_apply_then_reply(call, name, name);
}

static void op_pool_migrate(struct call *call, Skiff__V1__PoolMigrate *rq)
{
    struct hostd *h = call->conn->h;
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, XSM_DOMAIN__SETPOOL))
        return;
    struct pool *p = find_pool(call, rq->pool);
    if (p == NULL || !xsm_pool(call, p->name, NULL, XSM_POOL__USE))
        return;
    char to[POOL_NAME_MAX + 1], msg[600];
    snprintf(to, sizeof to, "%s", p->name);
    if (strcmp(vcpu_pool_name(h, d->row.pool), to) == 0) {
        call_reply_ok(call);
        return;
    }
    /* A running domain must keep a CPU for each vCPU (placement was within
     * the old pool: it is redone at the next start); others are checked
     * when they start. */
    int rc = 0;
    if (domain_active(d) || d->mon != NULL)
        rc = vcpu_check_all(h, &h->pools, to, d->cfg, NULL, msg, sizeof msg);
    if (rc < 0) {
        call_error(call, rpc_errno_code(rc == -ERANGE ? -EINVAL : rc), "refused: %s", msg);
        return;
    }
    char *old_row = strdup(d->row.pool ? d->row.pool : "");
    char *old_cfg = strdup(d->cfg->pool);
    struct pooltab t;
    if (old_row == NULL || old_cfg == NULL || pooltab_copy(&t, &h->pools) < 0 ||
        pb_replace_str(&d->row.pool, to) < 0 || pb_replace_str(&d->cfg->pool, to) < 0) {
        free(old_row);
        free(old_cfg);
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    rc = pools_commit(h, &t, NULL, NULL, d);
    if (rc < 0) {
        pooltab_free(&t);
        pb_replace_str(&d->row.pool, old_row);
        pb_replace_str(&d->cfg->pool, old_cfg);
        free(old_row);
        free(old_cfg);
        call_error(call, E(INTERNAL), "cannot record the move: %s", strerror(-rc));
        return;
    }
    free(old_row);
    free(old_cfg);
    numa_restore(d);
    char detail[200];
    snprintf(detail, sizeof detail, "moved to pool %s", to);
    domain_event(d, "pool-migrated", detail);
    rpc_cpu_apply_domain_then_reply(call, d);
}

static void op_pool_numa_split(struct call *call)
{
    struct hostd *h = call->conn->h;
    struct pooltab t;
    char msg[400];
    /* It renames Pool-0 and takes CPUs from it into new pools. */
    if (!xsm_pool(call, h->pools.v[0].name, NULL, XSM_POOL__REMOVECPU) ||
        !xsm_pool(call, h->pools.v[0].name, NULL, XSM_POOL__RENAME) ||
        !xsm_pool(call, "", NULL, XSM_POOL__CREATE))
        return;
    int rc = pool_numa_split(&h->pools, h->topo, &t, msg, sizeof msg);
    if (rc < 0) {
        call_error(call, rpc_errno_code(rc), "%s", msg);
        return;
    }
    char from[POOL_NAME_MAX + 1], to[POOL_NAME_MAX + 1];
    snprintf(from, sizeof from, "%s", h->pools.v[0].name);
    snprintf(to, sizeof to, "%s", t.v[0].name);
    if (!domains_fit(call, &t, from, to)) {
        pooltab_free(&t);
        return;
    }
    if (!commit(call, &t, from, to, NULL))
        return;
    log_info("numa-split: %zu pools, one per node", h->pools.n);
    struct list *it, *it_next;
    list_for_each_safe(it, it_next, &h->domains.all) {
        struct domain *d = list_entry(it, struct domain, link);
        if (d->numa_nodes != 0)
            numa_restore(d);
    }
    rpc_cpu_apply_then_reply(call, NULL, NULL);
}

void rpc_pool_dispatch(struct call *call, const Skiff__V1__Request *req)
{
    switch (req->op_case) {
    case SKIFF__V1__REQUEST__OP_HOST_TOPOLOGY: op_host_topology(call); break;
    case SKIFF__V1__REQUEST__OP_POOL_LIST: op_pool_list(call, req->pool_list); break;
    case SKIFF__V1__REQUEST__OP_POOL_CREATE: op_pool_create(call, req->pool_create); break;
    case SKIFF__V1__REQUEST__OP_POOL_DESTROY: op_pool_destroy(call, req->pool_destroy); break;
    case SKIFF__V1__REQUEST__OP_POOL_RENAME: op_pool_rename(call, req->pool_rename); break;
    case SKIFF__V1__REQUEST__OP_POOL_CPU_ADD: op_pool_cpus(call, req->pool_cpu_add, true); break;
    case SKIFF__V1__REQUEST__OP_POOL_CPU_REMOVE:
        op_pool_cpus(call, req->pool_cpu_remove, false);
        break;
    case SKIFF__V1__REQUEST__OP_POOL_MIGRATE: op_pool_migrate(call, req->pool_migrate); break;
    case SKIFF__V1__REQUEST__OP_POOL_NUMA_SPLIT: op_pool_numa_split(call); break;
    case SKIFF__V1__REQUEST__OP_VCPU_LIST: rpc_vcpu_list(call, req->vcpu_list); break;
    case SKIFF__V1__REQUEST__OP_VCPU_PIN: rpc_vcpu_pin(call, req->vcpu_pin); break;
    case SKIFF__V1__REQUEST__OP_SCHED_CREDIT: rpc_sched_credit(call, req->sched_credit); break;
    default: call_error(call, E(UNSUPPORTED), "unknown request"); break;
    }
}
