/*
 * The CPU part of a domain's configuration: its pool, hard and soft
 * affinity, per-vCPU pinning and credit scheduler parameters. Whether the
 * vCPUs have a CPU left to run on is checked at start (pools change).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cgroup.h"
#include "daemon/host_topology.h"
#include "domain.h"
#include "hostd.h"

#define CAP_MAX 51200   /* 512 vCPUs at 100% */

static Skiff__V1__ErrorCode check_spec(struct hostd *h, const char *what, const char *spec,
                                       char *msg, size_t size)
{
    struct cpuset s;
    char why[300];
    if (spec[0] == '\0' || strcmp(spec, "all") == 0)
        return SKIFF__V1__ERROR_CODE__OK;
    if (hosttopo_parse(h, spec, &s, why, sizeof why) < 0) {
        snprintf(msg, size, "%s: %s", what, why);
        return SKIFF__V1__ERROR_CODE__INVALID;
    }
    return SKIFF__V1__ERROR_CODE__OK;
}

Skiff__V1__ErrorCode config_check_cpus(struct hostd *h, Skiff__V1__DomainConfig *cfg, char *msg,
                                       size_t size)
{
    if (cfg->pool[0] != '\0' && pool_find(&h->pools, cfg->pool) < 0) {
        snprintf(msg, size, "pool '%s' does not exist (see cpupool-list)", cfg->pool);
        return SKIFF__V1__ERROR_CODE__NOT_FOUND;
    }
    if (cfg->pool[0] == '\0' && h->pools.n > 0) {
        /* Record the default, so info shows the pool and a rename follows. */
        char *p = strdup(h->pools.v[0].name);
        if (p == NULL) {
            snprintf(msg, size, "out of memory");
            return SKIFF__V1__ERROR_CODE__INTERNAL;
        }
        if (cfg->pool != protobuf_c_empty_string)
            free(cfg->pool);
        cfg->pool = p;
    }
    Skiff__V1__ErrorCode code;
    if ((code = check_spec(h, "cpus", cfg->cpus, msg, size)) != SKIFF__V1__ERROR_CODE__OK ||
        (code = check_spec(h, "cpus_soft", cfg->cpus_soft, msg, size)) !=
            SKIFF__V1__ERROR_CODE__OK)
        return code;
    for (size_t i = 0; i < cfg->n_vcpu_pins; i++) {
        const Skiff__V1__VcpuPin *p = cfg->vcpu_pins[i];
        char what[64];
        if (p->vcpu >= cfg->vcpus) {
            snprintf(msg, size, "vCPU %u is pinned, but the domain has %u vCPU%s", p->vcpu,
                     cfg->vcpus, cfg->vcpus == 1 ? "" : "s");
            return SKIFF__V1__ERROR_CODE__INVALID;
        }
        snprintf(what, sizeof what, "hard affinity of vCPU %u", p->vcpu);
        if ((code = check_spec(h, what, p->hard, msg, size)) != SKIFF__V1__ERROR_CODE__OK)
            return code;
        snprintf(what, sizeof what, "soft affinity of vCPU %u", p->vcpu);
        if ((code = check_spec(h, what, p->soft, msg, size)) != SKIFF__V1__ERROR_CODE__OK)
            return code;
    }
    if (cfg->weight > SCHED_WEIGHT_MAX) {
        snprintf(msg, size, "weight %u is out of range (1-%d)", cfg->weight, SCHED_WEIGHT_MAX);
        return SKIFF__V1__ERROR_CODE__INVALID;
    }
    if (cfg->cap > CAP_MAX) {
        snprintf(msg, size, "cap %u is out of range (0-%d percent of one CPU)", cfg->cap,
                 CAP_MAX);
        return SKIFF__V1__ERROR_CODE__INVALID;
    }
    return SKIFF__V1__ERROR_CODE__OK;
}
