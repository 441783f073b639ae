/*
 * Automatic NUMA placement: which candidate nodes a new domain may use, and
 * the errors when none fit. The choice itself is placement_search.c.
 *
 * Which nodes count: those with CPUs in the domain's pool (with those CPUs
 * only), and memory-only nodes (no online CPUs: they belong to no pool).
 * Nodes whose CPUs all belong to other pools do not, memory included.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "daemon/placement.h"
#include "daemon/placement_search.h"

#define MIB (UINT64_C(1) << 20)

static int say(char *why, size_t whylen, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int say(char *why, size_t whylen, int err, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return err;
}

int placement_choose(const struct topology *t, const struct placement_request *rq,
                     const struct placement_load *load, struct placement *out, char *why,
                     size_t whylen)
{
    struct place_cand c[TOPO_MAX_NODES];
    struct cpuset pool, mine, online_here;
    uint64_t total_free = 0, total_cpus = 0, nodes;
    unsigned n = 0;
    int rc;

    if (why && whylen)
        why[0] = '\0';
    if (!t || !rq || !out || rq->vcpus == 0 || t->nnodes > TOPO_MAX_NODES)
        return say(why, whylen, -EINVAL, "placement: bad request (no vCPUs?)");
    if (rq->pool_cpus)
        cpuset_and(&pool, rq->pool_cpus, &t->online);
    else
        pool = t->online;
    for (unsigned node = 0; node < t->nnodes; node++) {
        const struct topo_node *tn = &t->nodes[node];

        if (!tn->present)
            continue;
        cpuset_and(&mine, &tn->cpus, &pool);
        cpuset_and(&online_here, &tn->cpus, &t->online);
        if (cpuset_empty(&mine) && !cpuset_empty(&online_here))
            continue;   /* its CPUs are in other pools */
        if (cpuset_empty(&mine) && tn->mem_free == 0)
            continue;   /* offers nothing */
        c[n] = (struct place_cand){
            .node = node,
            .cpus = cpuset_count(&mine),
            .load = load ? load->vcpus_on_node[node] : 0,
            .free = tn->mem_free,
        };
        total_free = total_free + c[n].free < total_free ? UINT64_MAX : total_free + c[n].free;
        total_cpus += c[n].cpus;
        n++;
    }
    if (total_cpus < rq->vcpus)
        return say(why, whylen, -ENOSPC,
                   "the domain has %u vCPUs but its pool has %" PRIu64 " online CPUs", rq->vcpus,
                   total_cpus);
    if (total_free < rq->mem_bytes)
        return say(why, whylen, -ENOSPC,
                   "the domain needs %" PRIu64 " MiB but the nodes of its pool have %" PRIu64
                   " MiB free", (rq->mem_bytes + MIB - 1) / MIB, total_free / MIB);
    rc = place_search(c, n, rq->mem_bytes, rq->vcpus, &nodes);
    if (rc < 0)
        return say(why, whylen, rc, "placement: out of memory");
    out->nodes = nodes;
    cpuset_zero(&out->cpus);
    for (unsigned node = 0; node < t->nnodes; node++) {
        if (nodes >> node & 1) {
            cpuset_and(&mine, &t->nodes[node].cpus, &pool);
            cpuset_or(&out->cpus, &out->cpus, &mine);
        }
    }
    return 0;
}
