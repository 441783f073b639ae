/* The host's topology as hostd uses it: see host_topology.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/host_topology.h"
#include "daemon/topology.h"
#include "hostd.h"
#include "log.h"
#include "util.h"

#define REAL_SYSFS "/sys"

static int read_list(const char *path, struct cpuset *out)
{
    char *text = file_tail(path, 65536);
    if (text == NULL)
        return -ENOENT;
    int rc = cpuset_parse(out, text);
    free(text);
    return rc;
}

/* One node 0 with every online CPU: when the topology cannot be read
 * from the real /sys, hostd still runs, with pools over those CPUs. */
static int fallback_topology(struct hostd *h)
{
    struct topology *t = calloc(1, sizeof *t);
    if (t == NULL)
        return -ENOMEM;
    t->online = h->real_online;
    int last = -1;
    for (int c = cpuset_next(&t->online, 0); c >= 0; c = cpuset_next(&t->online, (unsigned)c + 1))
        last = c;
    t->ncpus = (unsigned)(last + 1);
    t->cpus = calloc(t->ncpus ? t->ncpus : 1, sizeof *t->cpus);
    if (t->cpus == NULL) {
        free(t);
        return -ENOMEM;
    }
    for (unsigned c = 0; c < t->ncpus; c++)
        t->cpus[c] = (struct topo_cpu){ cpuset_has(&t->online, c), (int)c, 0, 0 };
    t->nnodes = 1;
    t->nodes[0].present = true;
    t->nodes[0].cpus = t->online;
    t->distance[0][0] = 10;
    t->ncores = cpuset_count(&t->online);
    t->nsockets = 1;
    h->topo = t;
    return 0;
}

int hosttopo_init(struct hostd *h)
{
    const char *root = h->conf.sysfs_root ? h->conf.sysfs_root : REAL_SYSFS;
    /* The real machine: threads can run only on its online CPUs. */
    if (read_list(REAL_SYSFS "/devices/system/cpu/online", &h->real_online) < 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cpuset_zero(&h->real_online);
        for (long c = 0; c < n && c < CPUSET_MAX; c++)
            cpuset_set(&h->real_online, (unsigned)c);
    }
    struct cpuset nodes;
    h->real_nodes = 1;
    if (read_list(REAL_SYSFS "/devices/system/node/online", &nodes) == 0) {
        h->real_nodes = 0;
        for (int n = cpuset_next(&nodes, 0); n >= 0 && n < 64; n = cpuset_next(&nodes, (unsigned)n + 1))
            h->real_nodes |= 1ULL << n;
    }
    char why[300] = "";
    int rc = topology_read(root, &h->topo, why, sizeof why);
    if (rc < 0) {
        if (h->conf.sysfs_root != NULL && strcmp(h->conf.sysfs_root, REAL_SYSFS) != 0) {
            log_err("cannot read the topology under %s: %s", root, why[0] ? why : strerror(-rc));
            return rc;
        }
        log_warn("cannot read the topology under %s (%s): using one node with the online CPUs",
                 root, why[0] ? why : strerror(-rc));
        rc = fallback_topology(h);
        if (rc < 0)
            return rc;
    }
    char cpus[128];
    if (cpuset_format(&h->topo->online, cpus, sizeof cpus) < 0)
        snprintf(cpus, sizeof cpus, "%u CPUs", cpuset_count(&h->topo->online));
    log_info("topology (%s): online CPUs %s, %u nodes, %u cores, %u sockets", root, cpus,
             h->topo->nnodes, h->topo->ncores, h->topo->nsockets);
    return 0;
}

void hosttopo_fini(struct hostd *h)
{
    topology_free(h->topo);
    h->topo = NULL;
}

static int parse_node_item(const struct topology *t, const char *item, struct cpuset *out,
                           char *msg, size_t len)
{
    struct cpuset ids;
    if (cpuset_parse(&ids, item) < 0 || cpuset_empty(&ids)) {
        snprintf(msg, len, "'node:%s' is not a node number or range", item);
        return -EINVAL;
    }
    for (int n = cpuset_next(&ids, 0); n >= 0; n = cpuset_next(&ids, (unsigned)n + 1)) {
        if (n >= TOPO_MAX_NODES || (unsigned)n >= t->nnodes || !t->nodes[n].present) {
            snprintf(msg, len, "this host has no NUMA node %d", n);
            return -ENOENT;
        }
        cpuset_or(out, out, &t->nodes[n].cpus);
    }
    return 0;
}

int hosttopo_parse(const struct hostd *h, const char *spec, struct cpuset *out, char *msg,
                   size_t len)
{
    const struct topology *t = h->topo;
    cpuset_zero(out);
    while (*spec == ' ')
        spec++;
    if (strcmp(spec, "all") == 0) {
        *out = t->online;
        return 0;
    }
    char *copy = strdup(spec), *save = NULL;
    if (copy == NULL)
        return -ENOMEM;
    int rc = 0;
    /* Items are split at commas; a node item's own list ("node:0-1") has no commas. */
    for (char *item = strtok_r(copy, ",", &save); item && rc == 0;
         item = strtok_r(NULL, ",", &save)) {
        while (*item == ' ')
            item++;
        if (strncmp(item, "nodes:", 6) == 0) {
            rc = parse_node_item(t, item + 6, out, msg, len);
        } else if (strncmp(item, "node:", 5) == 0) {
            rc = parse_node_item(t, item + 5, out, msg, len);
        } else {
            struct cpuset s;
            rc = cpuset_parse(&s, item);
            if (rc < 0 || cpuset_empty(&s)) {
                snprintf(msg, len, "'%s' is not a CPU list like \"0-3,6\" or \"node:1\"", spec);
                rc = -EINVAL;
                break;
            }
            int c = cpuset_next(&s, t->ncpus);
            if (c >= 0) {
                snprintf(msg, len, "this host has no CPU %d (it has CPUs 0-%u)", c,
                         t->ncpus ? t->ncpus - 1 : 0);
                rc = -EINVAL;
                break;
            }
            cpuset_or(out, out, &s);
        }
    }
    free(copy);
    return rc;
}

void hosttopo_nodes_string(uint64_t nodes, char *buf, size_t len)
{
    struct cpuset s;
    cpuset_zero(&s);
    for (unsigned n = 0; n < 64; n++)
        if (nodes & (1ULL << n))
            cpuset_set(&s, n);
    if (cpuset_format(&s, buf, len) < 0 && len > 0)
        buf[0] = '\0';
}

int hosttopo_nodes_parse(const char *s, uint64_t *nodes)
{
    struct cpuset set;
    *nodes = 0;
    if (cpuset_parse(&set, s) < 0)
        return -EINVAL;
    for (int n = cpuset_next(&set, 0); n >= 0; n = cpuset_next(&set, (unsigned)n + 1)) {
        if (n >= 64)
            return -EINVAL;
        *nodes |= 1ULL << n;
    }
    return 0;
}

void hosttopo_fill_summary(struct hostd *h, Skiff__V1__HostInfo *hi)
{
    struct topology *t = h->topo;
    if (t == NULL)
        return;
    if (h->conf.sysfs_root != NULL)
        topology_refresh_free(t, h->conf.sysfs_root);
    else
        topology_refresh_free(t, REAL_SYSFS);
    unsigned nodes = 0;
    uint64_t total = 0, free_b = 0;
    for (unsigned n = 0; n < t->nnodes && n < TOPO_MAX_NODES; n++) {
        if (!t->nodes[n].present)
            continue;
        nodes++;
        total += t->nodes[n].mem_total;
        free_b += t->nodes[n].mem_free;
    }
    hi->cpus = cpuset_count(&t->online);
    hi->cores = t->ncores;
    hi->sockets = t->nsockets;
    hi->nodes = nodes;
    hi->threads_per_core = t->ncores ? (hi->cpus + t->ncores - 1) / t->ncores : 1;
    hi->max_cpu_id = t->ncpus ? t->ncpus - 1 : 0;
    if (total > 0) {
        hi->memory_bytes = total;
        hi->free_memory_bytes = free_b;
    }
    hi->pools = (uint32_t)h->pools.n;
}

int hosttopo_fill_detail(struct hostd *h, Skiff__V1__HostInfo *hi, struct hosttopo_detail *dt)
{
    struct topology *t = h->topo;
    hosttopo_fill_summary(h, hi);
    size_t nc = t->ncpus ? t->ncpus : 1;
    Skiff__V1__HostCpu *cpus = dt->cpus = calloc(nc, sizeof *cpus);
    Skiff__V1__HostCpu **cp = dt->cpu_ptrs = calloc(nc, sizeof *cp);
    Skiff__V1__HostNode *nodes = dt->nodes = calloc(TOPO_MAX_NODES, sizeof *nodes);
    Skiff__V1__HostNode **np = dt->node_ptrs = calloc(TOPO_MAX_NODES, sizeof *np);
    uint32_t *dist = dt->dist = calloc(TOPO_MAX_NODES * TOPO_MAX_NODES, sizeof *dist);
    char *lists = dt->lists = calloc(TOPO_MAX_NODES, 4096);
    if (!cpus || !cp || !nodes || !np || !dist || !lists) {
        hosttopo_free_detail(dt);
        return -ENOMEM;
    }
    for (unsigned c = 0; c < t->ncpus; c++) {
        Skiff__V1__HostCpu *x = &cpus[c];
        skiff__v1__host_cpu__init(x);
        x->cpu = c;
        x->online = t->cpus[c].online;
        x->core = t->cpus[c].core;
        x->socket = t->cpus[c].socket;
        x->node = t->cpus[c].node;
        cp[c] = x;
    }
    hi->cpu_topology = cp;
    hi->n_cpu_topology = t->ncpus;
    /* Distances to the present nodes, in node order. */
    size_t k = 0;
    for (unsigned n = 0; n < t->nnodes && n < TOPO_MAX_NODES; n++) {
        if (!t->nodes[n].present)
            continue;
        Skiff__V1__HostNode *x = &nodes[k];
        skiff__v1__host_node__init(x);
        x->node = n;
        x->memory_bytes = t->nodes[n].mem_total;
        x->free_bytes = t->nodes[n].mem_free;
        x->distances = &dist[k * TOPO_MAX_NODES];
        for (unsigned m = 0; m < t->nnodes && m < TOPO_MAX_NODES; m++)
            if (t->nodes[m].present)
                x->distances[x->n_distances++] = t->distance[n][m];
        x->cpus = &lists[k * 4096];
        if (cpuset_format(&t->nodes[n].cpus, x->cpus, 4096) < 0)
            x->cpus[0] = '\0';
        np[k++] = x;
    }
    hi->numa = np;
    hi->n_numa = k;
    return 0;
}

void hosttopo_free_detail(struct hosttopo_detail *dt)
{
    free(dt->cpus);
    free(dt->cpu_ptrs);
    free(dt->nodes);
    free(dt->node_ptrs);
    free(dt->dist);
    free(dt->lists);
    memset(dt, 0, sizeof *dt);
}
