/*
 * Automatic NUMA placement at start, for domains that name no affinity
 * (no cpus, cpus_soft or vcpu-pin): the nodes placement_choose picks within
 * the domain's pool, counting the vCPUs of running placed domains as load.
 * The choice becomes the vCPUs' soft affinity and, on a machine that
 * really has those nodes (more than one), the memory policy of guest RAM
 * (--mem-nodes, --mem-policy=preferred). It is stored, so it survives a
 * hostd restart, and shown by dominfo.
 */
#ifndef SKIFF_HOSTD_NUMA_PLACE_H
#define SKIFF_HOSTD_NUMA_PLACE_H

#include <stdbool.h>

#include "skiff.pb-c.h"

struct domain;

bool numa_wants_placement(const Skiff__V1__DomainConfig *cfg);
/* Choose (or clear) the domain's nodes; failures are logged and leave it unplaced. */
void numa_place(struct domain *d);
/* After a restart: the stored choice. */
void numa_restore(struct domain *d);
/* The --mem-nodes list for the monitor (malloc'd), or NULL. */
char *numa_mem_nodes(const struct domain *d);

#endif
