/*
 * The search behind placement_choose (daemon/placement_search.c): the best
 * set of candidate nodes by the placement rule. Internal to placement.c;
 * its own header so that the search can be read, and changed, alone.
 */
#ifndef SKIFF_HOSTD_PLACEMENT_SEARCH_H
#define SKIFF_HOSTD_PLACEMENT_SEARCH_H

#include <stdint.h>

#include "daemon/topology.h"

struct place_cand {
    unsigned node;      /* node number, < TOPO_MAX_NODES, distinct */
    unsigned cpus;      /* its CPUs in the pool */
    unsigned load;      /* vCPUs already placed on it */
    uint64_t free;      /* bytes */
};

/*
 * The best subset of c[0..n) (n <= TOPO_MAX_NODES) whose free memory is at
 * least mem and CPUs at least vcpus (vcpus >= 1), which the caller has
 * checked the whole of c[] to be. Returns the chosen node numbers as a
 * mask. Sorts c[]. Needs no memory beyond the stack and one allocation;
 * -ENOMEM if that fails.
 */
int place_search(struct place_cand *c, unsigned n, uint64_t mem, unsigned vcpus,
                 uint64_t *nodes);

#endif
