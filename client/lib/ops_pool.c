/* Topology, CPU pools, vCPU affinity and scheduling (SKIFF_0.2). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int need_conn(struct skiff_conn *c, struct skiff_error *err)
{
    skiff_error_clear(err);
    if (c == NULL)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "the connection must not be NULL");
    return 0;
}

static int need_str(const char *s, const char *what, struct skiff_error *err)
{
    if (s == NULL || *s == '\0')
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "no %s given", what);
    return 0;
}

/* The checks of a list call; *n = 0 (the caller clears its list). */
static int need_list(struct skiff_conn *c, const void *list, size_t *n, struct skiff_error *err)
{
    int rc = need_conn(c, err);
    if (rc < 0)
        return rc;
    if (list == NULL || n == NULL)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "list and n must not be NULL");
    *n = 0;
    return 0;
}

static char *wire(const char *s)
{
    return (char *)(s != NULL ? s : "");
}

/* ---- topology ---- */

int skiff_host_topology(struct skiff_conn *conn, struct skiff_topology *out,
                        struct skiff_error *err)
{
    int rc = need_conn(conn, err);
    if (rc < 0)
        return rc;
    if (out == NULL)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "out must not be NULL");
    memset(out, 0, sizeof *out);
    Skiff__V1__Response *r;
    rc = sk_call_empty(conn, SKIFF__V1__REQUEST__OP_HOST_TOPOLOGY,
                       SKIFF__V1__RESPONSE__RESULT_HOST, "topology", &r, err);
    if (rc < 0)
        return rc;
    const Skiff__V1__HostInfo *h = r->host;
    bool failed = false;
    if (h->n_cpu_topology > 0) {
        out->cpus = calloc(h->n_cpu_topology, sizeof *out->cpus);
        failed |= out->cpus == NULL;
        for (size_t i = 0; out->cpus != NULL && i < h->n_cpu_topology; i++) {
            const Skiff__V1__HostCpu *c = h->cpu_topology[i];
            out->cpus[i] = (struct skiff_cpu_topology){ c->cpu, c->online, c->core, c->socket,
                                                        c->node };
            out->n_cpus++;
        }
    }
    if (!failed && h->n_numa > 0) {
        out->nodes = calloc(h->n_numa, sizeof *out->nodes);
        failed |= out->nodes == NULL;
        for (size_t i = 0; out->nodes != NULL && i < h->n_numa && !failed; i++) {
            const Skiff__V1__HostNode *pn = h->numa[i];
            struct skiff_numa_node *n = &out->nodes[out->n_nodes++];
            n->node = pn->node;
            n->memory_bytes = pn->memory_bytes;
            n->free_bytes = pn->free_bytes;
            n->cpus = sk_strdup(pn->cpus, &failed);
            if (pn->n_distances > 0) {
                n->distances = malloc(pn->n_distances * sizeof *n->distances);
                if (n->distances == NULL) {
                    failed = true;
                    break;
                }
                memcpy(n->distances, pn->distances, pn->n_distances * sizeof *n->distances);
                n->n_distances = pn->n_distances;
            }
        }
    }
    skiff__v1__response__free_unpacked(r, NULL);
    if (failed) {
        skiff_topology_clear(out);
        return sk_nomem(err);
    }
    return 0;
}

void skiff_topology_clear(struct skiff_topology *topo)
{
    if (topo == NULL)
        return;
    for (size_t i = 0; i < topo->n_nodes; i++) {
        free(topo->nodes[i].distances);
        free(topo->nodes[i].cpus);
    }
    free(topo->nodes);
    free(topo->cpus);
    memset(topo, 0, sizeof *topo);
}

/* ---- pools ---- */

static void pool_info_clear(struct skiff_pool_info *p)
{
    free(p->name);
    free(p->cpus);
    free(p->sched);
    for (size_t i = 0; i < p->n_domain_names; i++)
        free(p->domain_names[i]);
    free(p->domain_names);
}

void skiff_pool_list_free(struct skiff_pool_info *list, size_t n)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        pool_info_clear(&list[i]);
    free(list);
}

int skiff_pool_list(struct skiff_conn *conn, const char *pool, struct skiff_pool_info **list,
                    size_t *n, struct skiff_error *err)
{
    int rc = need_list(conn, list, n, err);
    if (rc < 0)
        return rc;
    *list = NULL;
    Skiff__V1__PoolListRequest pl = SKIFF__V1__POOL_LIST_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    pl.pool = wire(pool);
    req.op_case = SKIFF__V1__REQUEST__OP_POOL_LIST;
    req.pool_list = &pl;
    Skiff__V1__Response *r;
    rc = sk_call(conn, &req, &r, err);
    if (rc < 0)
        return rc;
    size_t count = r->result_case == SKIFF__V1__RESPONSE__RESULT_POOLS && r->pools
                       ? r->pools->n_pools : 0;
    struct skiff_pool_info *out = count ? calloc(count, sizeof *out) : NULL;
    bool failed = count > 0 && out == NULL;
    for (size_t i = 0; !failed && i < count; i++) {
        const Skiff__V1__PoolInfo *pi = r->pools->pools[i];
        struct skiff_pool_info *p = &out[i];
        p->name = sk_strdup(pi->name, &failed);
        p->cpus = sk_strdup(pi->cpus, &failed);
        p->sched = sk_strdup(pi->sched, &failed);
        p->ncpus = pi->ncpus;
        p->domains = pi->domains;
        if (pi->n_domain_names > 0) {
            p->domain_names = calloc(pi->n_domain_names, sizeof *p->domain_names);
            failed |= p->domain_names == NULL;
            for (size_t k = 0; p->domain_names && k < pi->n_domain_names; k++) {
                p->domain_names[k] = sk_strdup(pi->domain_names[k], &failed);
                p->n_domain_names++;
            }
        }
    }
    skiff__v1__response__free_unpacked(r, NULL);
    if (failed) {
        skiff_pool_list_free(out, count);
        return sk_nomem(err);
    }
    *list = out;
    *n = count;
    return 0;
}

int skiff_pool_create(struct skiff_conn *conn, const struct skiff_pool_config *cfg,
                      struct skiff_error *err)
{
    int rc = need_conn(conn, err);
    if (rc < 0)
        return rc;
    if (cfg == NULL || (rc = need_str(cfg->name, "pool name", err)) < 0)
        return rc < 0 ? rc : sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "cfg must not be NULL");
    Skiff__V1__PoolConfig pc = SKIFF__V1__POOL_CONFIG__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    pc.name = wire(cfg->name);
    pc.cpus = wire(cfg->cpus);
    pc.sched = wire(cfg->sched);
    req.op_case = SKIFF__V1__REQUEST__OP_POOL_CREATE;
    req.pool_create = &pc;
    return sk_call_plain(conn, &req, err);
}

int skiff_pool_destroy(struct skiff_conn *conn, const char *pool, struct skiff_error *err)
{
    int rc = need_conn(conn, err);
    if (rc < 0 || (rc = need_str(pool, "pool", err)) < 0)
        return rc;
    Skiff__V1__PoolRef ref = SKIFF__V1__POOL_REF__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    ref.pool = (char *)pool;
    req.op_case = SKIFF__V1__REQUEST__OP_POOL_DESTROY;
    req.pool_destroy = &ref;
    return sk_call_plain(conn, &req, err);
}

int skiff_pool_rename(struct skiff_conn *conn, const char *pool, const char *new_name,
                      struct skiff_error *err)
{
    int rc = need_conn(conn, err);
    if (rc < 0 || (rc = need_str(pool, "pool", err)) < 0 ||
        (rc = need_str(new_name, "new name", err)) < 0)
        return rc;
    Skiff__V1__PoolRename rr = SKIFF__V1__POOL_RENAME__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    rr.pool = (char *)pool;
    rr.new_name = (char *)new_name;
    req.op_case = SKIFF__V1__REQUEST__OP_POOL_RENAME;
    req.pool_rename = &rr;
    return sk_call_plain(conn, &req, err);
}

static int cpus_call(struct skiff_conn *conn, bool add, const char *pool, const char *cpus,
                     struct skiff_error *err)
{
    int rc = need_conn(conn, err);
    if (rc < 0 || (rc = need_str(pool, "pool", err)) < 0 ||
        (rc = need_str(cpus, "CPU list", err)) < 0)
        return rc;
    Skiff__V1__PoolCpus pc = SKIFF__V1__POOL_CPUS__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    pc.pool = (char *)pool;
    pc.cpus = (char *)cpus;
    req.op_case = add ? SKIFF__V1__REQUEST__OP_POOL_CPU_ADD : SKIFF__V1__REQUEST__OP_POOL_CPU_REMOVE;
    req.pool_cpu_add = &pc;   /* both members share the union */
    return sk_call_plain(conn, &req, err);
}

int skiff_pool_cpu_add(struct skiff_conn *conn, const char *pool, const char *cpus,
                       struct skiff_error *err)
{
    return cpus_call(conn, true, pool, cpus, err);
}

int skiff_pool_cpu_remove(struct skiff_conn *conn, const char *pool, const char *cpus,
                          struct skiff_error *err)
{
    return cpus_call(conn, false, pool, cpus, err);
}

int skiff_pool_migrate(struct skiff_conn *conn, const char *domain, const char *pool,
                       struct skiff_error *err)
{
    int rc = need_conn(conn, err);
    if (rc < 0 || (rc = need_str(domain, "domain", err)) < 0 ||
        (rc = need_str(pool, "pool", err)) < 0)
        return rc;
    Skiff__V1__PoolMigrate pm = SKIFF__V1__POOL_MIGRATE__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    pm.domain = (char *)domain;
    pm.pool = (char *)pool;
    req.op_case = SKIFF__V1__REQUEST__OP_POOL_MIGRATE;
    req.pool_migrate = &pm;
    return sk_call_plain(conn, &req, err);
}

int skiff_pool_numa_split(struct skiff_conn *conn, struct skiff_error *err)
{
    int rc = need_conn(conn, err);
    if (rc < 0)
        return rc;
    Skiff__V1__Response *r;
    rc = sk_call_empty(conn, SKIFF__V1__REQUEST__OP_POOL_NUMA_SPLIT,
                       SKIFF__V1__RESPONSE__RESULT__NOT_SET, NULL, &r, err);
    if (rc < 0)
        return rc;
    skiff__v1__response__free_unpacked(r, NULL);
    return 0;
}

/* ---- vCPUs ---- */

void skiff_vcpu_list_free(struct skiff_vcpu_info *list, size_t n)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(list[i].domain);
        free(list[i].hard);
        free(list[i].soft);
        free(list[i].affinity);
    }
    free(list);
}

int skiff_vcpu_list(struct skiff_conn *conn, const char *domain, struct skiff_vcpu_info **list,
                    size_t *n, struct skiff_error *err)
{
    int rc = need_list(conn, list, n, err);
    if (rc < 0)
        return rc;
    *list = NULL;
    Skiff__V1__VcpuListRequest vl = SKIFF__V1__VCPU_LIST_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    vl.domain = wire(domain);
    req.op_case = SKIFF__V1__REQUEST__OP_VCPU_LIST;
    req.vcpu_list = &vl;
    Skiff__V1__Response *r;
    rc = sk_call(conn, &req, &r, err);
    if (rc < 0)
        return rc;
    size_t count = r->result_case == SKIFF__V1__RESPONSE__RESULT_VCPUS && r->vcpus
                       ? r->vcpus->n_vcpus : 0;
    struct skiff_vcpu_info *out = count ? calloc(count, sizeof *out) : NULL;
    bool failed = count > 0 && out == NULL;
    for (size_t i = 0; !failed && i < count; i++) {
        const Skiff__V1__VcpuEntry *e = r->vcpus->vcpus[i];
        struct skiff_vcpu_info *v = &out[i];
        v->domain = sk_strdup(e->domain, &failed);
        v->domain_id = e->domain_id;
        v->vcpu = e->vcpu;
        v->tid = e->tid;
        v->cpu = e->cpu;
        v->blocked = e->blocked;
        v->paused = e->paused;
        v->time_ns = e->time_ns;
        v->hard = sk_strdup(e->hard, &failed);
        v->soft = sk_strdup(e->soft, &failed);
        v->affinity = sk_strdup(e->affinity, &failed);
    }
    skiff__v1__response__free_unpacked(r, NULL);
    if (failed) {
        skiff_vcpu_list_free(out, count);
        return sk_nomem(err);
    }
    *list = out;
    *n = count;
    return 0;
}

int skiff_vcpu_pin(struct skiff_conn *conn, const char *domain, int vcpu, const char *hard,
                   const char *soft, struct skiff_error *err)
{
    int rc = need_conn(conn, err);
    if (rc < 0 || (rc = need_str(domain, "domain", err)) < 0)
        return rc;
    if (vcpu < SKIFF_VCPU_ALL)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "vcpu must be >= 0 or SKIFF_VCPU_ALL");
    Skiff__V1__VcpuPinRequest vp = SKIFF__V1__VCPU_PIN_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    vp.domain = (char *)domain;
    vp.vcpu = vcpu;
    vp.hard = wire(hard);
    vp.soft = wire(soft);
    req.op_case = SKIFF__V1__REQUEST__OP_VCPU_PIN;
    req.vcpu_pin = &vp;
    return sk_call_plain(conn, &req, err);
}

/* ---- scheduling ---- */

void skiff_sched_credit_list_free(struct skiff_sched_credit *list, size_t n)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(list[i].domain);
    free(list);
}

static int sched_call(struct skiff_conn *conn, Skiff__V1__SchedCreditRequest *sc,
                      struct skiff_sched_credit **list, size_t *n, char **controller,
                      struct skiff_error *err)
{
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    req.op_case = SKIFF__V1__REQUEST__OP_SCHED_CREDIT;
    req.sched_credit = sc;
    Skiff__V1__Response *r;
    int rc = sk_call(conn, &req, &r, err);
    if (rc < 0)
        return rc;
    const Skiff__V1__SchedList *sl =
        r->result_case == SKIFF__V1__RESPONSE__RESULT_SCHED ? r->sched : NULL;
    size_t count = sl ? sl->n_domains : 0;
    bool failed = false;
    struct skiff_sched_credit *out = NULL;
    if (list != NULL && count > 0) {
        out = calloc(count, sizeof *out);
        failed = out == NULL;
        for (size_t i = 0; !failed && i < count; i++) {
            const Skiff__V1__SchedEntry *e = sl->domains[i];
            out[i].domain = sk_strdup(e->domain, &failed);
            out[i].domain_id = e->domain_id;
            out[i].weight = e->weight;
            out[i].cap = e->cap;
            out[i].applied = e->applied;
        }
    }
    if (!failed && controller != NULL)
        *controller = sk_strdup(sl ? sl->controller : "", &failed);
    skiff__v1__response__free_unpacked(r, NULL);
    if (failed) {
        skiff_sched_credit_list_free(out, count);
        if (controller != NULL) {
            free(*controller);
            *controller = NULL;
        }
        return sk_nomem(err);
    }
    if (list != NULL) {
        *list = out;
        *n = count;
    }
    return 0;
}

int skiff_sched_credit_list(struct skiff_conn *conn, const char *domain,
                            struct skiff_sched_credit **list, size_t *n, char **controller,
                            struct skiff_error *err)
{
    int rc = need_list(conn, list, n, err);
    if (rc < 0)
        return rc;
    *list = NULL;
    if (controller != NULL)
        *controller = NULL;
    Skiff__V1__SchedCreditRequest sc = SKIFF__V1__SCHED_CREDIT_REQUEST__INIT;
    sc.domain = wire(domain);
    return sched_call(conn, &sc, list, n, controller, err);
}

int skiff_sched_credit_set(struct skiff_conn *conn, const char *domain, uint32_t weight,
                           int32_t cap, struct skiff_error *err)
{
    int rc = need_conn(conn, err);
    if (rc < 0 || (rc = need_str(domain, "domain", err)) < 0)
        return rc;
    if (weight == 0 && cap < 0)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "nothing to change: give a weight or a cap");
    Skiff__V1__SchedCreditRequest sc = SKIFF__V1__SCHED_CREDIT_REQUEST__INIT;
    sc.domain = (char *)domain;
    sc.weight = weight;
    sc.set_cap = cap >= 0;
    sc.cap = cap >= 0 ? (uint32_t)cap : 0;
    return sched_call(conn, &sc, NULL, NULL, NULL, err);
}
