/*
 * Synthetic sysfs trees for hostd's topology code: the generator behind
 * tests/tools/mktopo, also linked into the unit tests and the benchmark so
 * they make trees without running a program.
 */
#ifndef SKIFF_TESTS_TOPOGEN_H
#define SKIFF_TESTS_TOPOGEN_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/cpuset.h"
#include "daemon/topology.h"

struct topogen {
    unsigned cpus;              /* 1..CPUSET_MAX - 1 */
    unsigned nodes;             /* 0..TOPO_MAX_NODES; 0 = no node directory (no NUMA) */
    unsigned sockets;           /* 0 = one per node (at least 1) */
    unsigned threads_per_core;  /* 0 = 1 */
    struct cpuset offline;      /* CPUs to mark offline (no topology directory) */
    bool asymmetric;
    /* MiB per node; n_mem == 1 applies to every node, 0 = the defaults. */
    uint64_t mem_mib[TOPO_MAX_NODES], free_mib[TOPO_MAX_NODES];
    unsigned n_mem, n_free;
};

/*
 * Write the tree under DIR (created; existing files are overwritten):
 * devices/system/cpu/{possible,online,cpuN/topology/{core_id,
 * physical_package_id}} and devices/system/node/{online,nodeN/{cpulist,
 * meminfo,distance}}.
 *
 * Symmetric: nodes get equal contiguous CPU ranges (the first ones one more
 * when CPUs do not divide evenly), 4096 MiB each, all free; distance 10
 * local, 20 remote. Asymmetric: every fourth node (3, 7, ...) and, with two
 * or more nodes, the last one hold memory only; CPU nodes get 1, 2 or 3
 * shares of the CPUs (by index mod 3) and (index mod 4 + 1) GiB; memory-only
 * nodes 8 GiB; distance 10 local, 20 within a pair (0-1, 2-3, ...), 30
 * otherwise. Free memory defaults to the total. Returns 0 or -errno with a
 * message on stderr.
 */
int topogen_write(const char *dir, const struct topogen *g);

/* The CPUs node N gets (empty for memory-only nodes), as topogen_write lays them out. */
void topogen_node_cpus(const struct topogen *g, unsigned node, struct cpuset *out);

#endif
