/*
 * Automatic NUMA placement of a domain at create: the smallest set of
 * nodes (within the domain's pool) with enough free memory and CPUs.
 */
#ifndef SKIFF_HOSTD_PLACEMENT_H
#define SKIFF_HOSTD_PLACEMENT_H

#include <stdint.h>

#include "daemon/cpuset.h"
#include "daemon/topology.h"

struct placement_request {
    uint64_t mem_bytes;
    unsigned vcpus;
    const struct cpuset *pool_cpus;     /* NULL: every online CPU */
};

struct placement_load {
    unsigned vcpus_on_node[TOPO_MAX_NODES];     /* vCPUs already placed */
};

struct placement {
    uint64_t nodes;             /* bitmask of chosen nodes */
    struct cpuset cpus;         /* their online CPUs within the pool */
};

/*
 * Choose nodes: among the node sets of the smallest size whose free memory
 * sums to >= mem_bytes and whose online pool CPUs number >= vcpus, the one
 * with the fewest vCPUs already placed (load may be NULL: none), then the
 * most free memory, then the lowest node numbers. 0 and *out, or -ENOSPC
 * (no set fits) / -EINVAL (bad request) with the reason in why[whylen]
 * (why may be NULL).
 */
int placement_choose(const struct topology *t, const struct placement_request *rq,
                     const struct placement_load *load, struct placement *out, char *why,
                     size_t whylen);

/*
 * The exact search's step limit (default 100000, about 2 ms; see
 * daemon/placement_search.c for how the search works): past
 * it placement_choose returns the best set found so far, or a greedy one
 * that fits. Tests and the benchmark change it; hostd leaves it alone.
 */
extern unsigned long placement_search_limit;

#endif
