/* Automatic NUMA placement of domains: see numa_place.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/host_topology.h"
#include "daemon/numa_place.h"
#include "daemon/placement.h"
#include "daemon/vcpu_affinity.h"
#include "domain.h"
#include "hostd.h"
#include "log.h"

bool numa_wants_placement(const Skiff__V1__DomainConfig *cfg)
{
    if (cfg->cpus[0] != '\0' || cfg->cpus_soft[0] != '\0')
        return false;
    for (size_t i = 0; i < cfg->n_vcpu_pins; i++)
        if (cfg->vcpu_pins[i]->hard[0] != '\0' || cfg->vcpu_pins[i]->soft[0] != '\0')
            return false;
    return true;
}

/* Set the domain's nodes and their CPUs within its pool. */
static void set_nodes(struct domain *d, uint64_t nodes)
{
    struct hostd *h = d->h;
    d->numa_nodes = nodes;
    cpuset_zero(&d->numa_cpus);
    int p = pool_find(&h->pools, vcpu_pool_name(h, d->row.pool));
    for (unsigned n = 0; n < TOPO_MAX_NODES && h->topo != NULL; n++)
        if ((nodes & (1ULL << n)) && n < h->topo->nnodes)
            cpuset_or(&d->numa_cpus, &d->numa_cpus, &h->topo->nodes[n].cpus);
    if (p >= 0)
        cpuset_and(&d->numa_cpus, &d->numa_cpus, &h->pools.v[p].cpus);
    hosttopo_nodes_string(nodes, d->numa_str, sizeof d->numa_str);
}

void numa_restore(struct domain *d)
{
    char *nodes = NULL;
    uint64_t mask;
    d->numa_str[0] = '\0';
    d->numa_nodes = 0;
    if (store_placement_get(d->h->store, d->row.uuid, &nodes) == 0 && nodes != NULL &&
        hosttopo_nodes_parse(nodes, &mask) == 0)
        set_nodes(d, mask);
    free(nodes);
}

void numa_place(struct domain *d)
{
    struct hostd *h = d->h;
    uint64_t chosen = 0;
    if (numa_wants_placement(d->cfg) && h->topo != NULL) {
        int p = pool_find(&h->pools, vcpu_pool_name(h, d->row.pool));
        struct placement_load load;
        memset(&load, 0, sizeof load);
        struct list *it, *it_next;
        list_for_each_safe(it, it_next, &h->domains.all) {
            struct domain *o = list_entry(it, struct domain, link);
            if (o == d || !domain_active(o) || o->numa_nodes == 0)
                continue;
            for (unsigned n = 0; n < TOPO_MAX_NODES; n++)
                if (o->numa_nodes & (1ULL << n))
                    load.vcpus_on_node[n] += o->cfg->vcpus ? o->cfg->vcpus : 1;
        }
        topology_refresh_free(h->topo, h->conf.sysfs_root ? h->conf.sysfs_root : "/sys");
        struct placement_request rq = {
            .mem_bytes = d->cfg->memory_mb << 20,
            .vcpus = d->cfg->vcpus ? d->cfg->vcpus : 1,
            .pool_cpus = p >= 0 ? &h->pools.v[p].cpus : NULL,
        };
        struct placement out;
        char why[300] = "";
        int rc = placement_choose(h->topo, &rq, &load, &out, why, sizeof why);
        if (rc == 0)
            chosen = out.nodes;
        else
            log_warn("domain %s: no automatic NUMA placement: %s", d->row.name,
                     why[0] ? why : strerror(-rc));
    }
    set_nodes(d, chosen);
    int rc = store_placement_set(h->store, d->row.uuid, d->numa_str);
    if (rc < 0)
        log_warn("domain %s: cannot record its NUMA placement: %s", d->row.name, strerror(-rc));
    if (chosen)
        log_info("domain %s: placed on NUMA node%s %s", d->row.name,
                 (chosen & (chosen - 1)) ? "s" : "", d->numa_str);
}

char *numa_mem_nodes(const struct domain *d)
{
    const struct hostd *h = d->h;
    /* Binding memory only means something on a machine with several nodes,
     * and only to nodes it really has (a synthetic tree may name others). */
    if (d->numa_nodes == 0 || (h->real_nodes & (h->real_nodes - 1)) == 0 ||
        (d->numa_nodes & ~h->real_nodes) != 0)
        return NULL;
    return strdup(d->numa_str);
}
