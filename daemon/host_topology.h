/*
 * hostd's view of the host: the topology read under conf.sysfs_root (a
 * synthetic tree in tests), what the real machine has online (vCPU threads
 * can only ever run there), and CPU specs as operators write them.
 */
#ifndef SKIFF_HOSTD_HOST_TOPOLOGY_H
#define SKIFF_HOSTD_HOST_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/cpuset.h"
#include "skiff.pb-c.h"

struct hostd;

/* Read the topology; 0 or -errno (logged). */
int hosttopo_init(struct hostd *h);
void hosttopo_fini(struct hostd *h);

/*
 * "0-3,6", "node:1", "nodes:0-1", mixes of those ("0,node:2"), "all"
 * (every online CPU) -> a set. Names CPUs and nodes of the topology only:
 * -EINVAL (syntax, a CPU beyond the host) or -ENOENT (no such node), with
 * msg. Empty spec: the empty set.
 */
int hosttopo_parse(const struct hostd *h, const char *spec, struct cpuset *out, char *msg,
                   size_t len);

/* The nodes (bitmask) as "0,2" into buf. */
void hosttopo_nodes_string(uint64_t nodes, char *buf, size_t len);
/* The inverse: "0,2-3" -> bitmask; 0 or -EINVAL. */
int hosttopo_nodes_parse(const char *s, uint64_t *nodes);

/* HostInfo's topology summary (counts, memory). */
void hosttopo_fill_summary(struct hostd *h, Skiff__V1__HostInfo *hi);
/* Also the per-CPU and per-node lists, allocated in *dt (zeroed by the
 * caller; free with hosttopo_free_detail after sending). */
struct hosttopo_detail {
    void *cpus, *cpu_ptrs, *nodes, *node_ptrs, *dist, *lists;
};
int hosttopo_fill_detail(struct hostd *h, Skiff__V1__HostInfo *hi, struct hosttopo_detail *dt);
void hosttopo_free_detail(struct hosttopo_detail *dt);

#endif
