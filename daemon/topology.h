/*
 * The host's CPU and NUMA topology, read from sysfs under a root that
 * tests point at a synthetic tree (tests/tools/mktopo).
 */
#ifndef SKIFF_HOSTD_TOPOLOGY_H
#define SKIFF_HOSTD_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/cpuset.h"

#define TOPO_MAX_NODES 64

struct topo_cpu {
    bool online;
    int core, socket, node;     /* -1 when unknown (offline CPUs may lack topology/) */
};

struct topo_node {
    bool present;
    struct cpuset cpus;         /* may be empty: memory-only nodes */
    uint64_t mem_total, mem_free;   /* bytes */
};

struct topology {
    unsigned ncpus;             /* possible CPUs (highest index + 1) */
    struct cpuset online;
    struct topo_cpu *cpus;      /* [ncpus] */
    unsigned nnodes;            /* highest node index + 1 */
    struct topo_node nodes[TOPO_MAX_NODES];
    uint8_t distance[TOPO_MAX_NODES][TOPO_MAX_NODES];
    unsigned ncores, nsockets;  /* distinct (socket, core) pairs and sockets of online CPUs */
};

/*
 * Read SYSFS_ROOT (normally "/sys"): devices/system/cpu/{possible,online,
 * cpuN/topology/{core_id,physical_package_id}} and devices/system/node/
 * {online,nodeN/{cpulist,meminfo,distance}}. A host without node
 * directories is one node 0 holding every CPU with memory from
 * /proc/meminfo (only when SYSFS_ROOT is "/sys"; a test tree provides
 * node0). Returns 0 and a topology to free with topology_free, or -errno
 * with a message in the caller's buffer why[whylen] (why may be NULL).
 */
int topology_read(const char *sysfs_root, struct topology **out, char *why, size_t whylen);
void topology_free(struct topology *t);
/* Re-read every present node's MemFree (MemTotal too); 0 or -errno. */
int topology_refresh_free(struct topology *t, const char *sysfs_root);

/*
 * "node:N" (also "node:N,M" / "node:N-M": the union) -> those nodes' CPUs;
 * otherwise a cpulist. -EINVAL for bad syntax, -ENOENT for a node that is
 * not present, -ERANGE for a CPU >= CPUSET_MAX. CPUs of a cpulist are not
 * checked against the topology: the caller decides (e.g. online only).
 */
int topology_parse_cpus(const struct topology *t, const char *spec, struct cpuset *out);

#endif
