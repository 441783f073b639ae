/*
 * Conversions between the public plain-C structs and the generated
 * protocol types, so that no protobuf type ever reaches the public API.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

char *sk_strdup(const char *s, bool *failed)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        *failed = true;
    return d;
}

/* Protocol strings are never NULL. */
static char *wire(const char *s)
{
    return (char *)(s != NULL ? s : "");
}

static Skiff__V1__LifecycleAction action_to_proto(enum skiff_action a)
{
    switch (a) {
    case SKIFF_ACTION_DESTROY: return SKIFF__V1__LIFECYCLE_ACTION__DESTROY;
    case SKIFF_ACTION_RESTART: return SKIFF__V1__LIFECYCLE_ACTION__RESTART;
    case SKIFF_ACTION_PRESERVE: return SKIFF__V1__LIFECYCLE_ACTION__PRESERVE;
    case SKIFF_ACTION_DEFAULT: break;
    }
    return SKIFF__V1__LIFECYCLE_ACTION__ACTION_UNSPECIFIED;
}

static enum skiff_action action_from_proto(Skiff__V1__LifecycleAction a)
{
    switch (a) {
    case SKIFF__V1__LIFECYCLE_ACTION__DESTROY: return SKIFF_ACTION_DESTROY;
    case SKIFF__V1__LIFECYCLE_ACTION__RESTART: return SKIFF_ACTION_RESTART;
    case SKIFF__V1__LIFECYCLE_ACTION__PRESERVE: return SKIFF_ACTION_PRESERVE;
    default: break;
    }
    return SKIFF_ACTION_DEFAULT;
}

static enum skiff_state state_from_proto(Skiff__V1__DomainState s)
{
    if (s >= SKIFF__V1__DOMAIN_STATE__DEFINED && s <= SKIFF__V1__DOMAIN_STATE__CRASHED)
        return (enum skiff_state)s;
    return SKIFF_STATE_UNKNOWN;
}

int sk_config_to_proto(const struct skiff_domain_config *cfg, Skiff__V1__DomainConfig *pc)
{
    skiff__v1__domain_config__init(pc);
    pc->name = wire(cfg->name);
    pc->uuid = wire(cfg->uuid);
    pc->memory_mb = cfg->memory_mb;
    pc->vcpus = cfg->vcpus;
    pc->kernel = wire(cfg->kernel);
    pc->cmdline = wire(cfg->cmdline);
    pc->on_poweroff = action_to_proto(cfg->on_poweroff);
    pc->on_reboot = action_to_proto(cfg->on_reboot);
    pc->on_crash = action_to_proto(cfg->on_crash);
    pc->seclabel = wire(cfg->seclabel);
    pc->pool = wire(cfg->pool);
    pc->cpus = wire(cfg->cpus);
    pc->autostart = cfg->autostart;
    pc->cpus_soft = wire(cfg->cpus_soft);
    pc->weight = cfg->weight;
    pc->cap = cfg->cap;

    /* One block per array: the pointer array followed by the structs. */
    if (cfg->n_disks > 0) {
        size_t n = cfg->n_disks;
        void *blk = calloc(n, sizeof(Skiff__V1__Disk *) + sizeof(Skiff__V1__Disk));
        if (blk == NULL)
            return -ENOMEM;
        Skiff__V1__Disk **ptrs = blk;
        Skiff__V1__Disk *d = (Skiff__V1__Disk *)(ptrs + n);
        for (size_t i = 0; i < n; i++) {
            skiff__v1__disk__init(&d[i]);
            d[i].target = wire(cfg->disks[i].target);
            d[i].vdev = wire(cfg->disks[i].vdev);
            d[i].sector_size = cfg->disks[i].sector_size;
            ptrs[i] = &d[i];
        }
        pc->n_disks = n;
        pc->disks = ptrs;
    }
    if (cfg->n_vifs > 0) {
        size_t n = cfg->n_vifs;
        void *blk = calloc(n, sizeof(Skiff__V1__Vif *) + sizeof(Skiff__V1__Vif));
        if (blk == NULL) {
            sk_config_proto_free(pc);
            return -ENOMEM;
        }
        Skiff__V1__Vif **ptrs = blk;
        Skiff__V1__Vif *v = (Skiff__V1__Vif *)(ptrs + n);
        for (size_t i = 0; i < n; i++) {
            skiff__v1__vif__init(&v[i]);
            v[i].vdev = wire(cfg->vifs[i].vdev);
            v[i].mac = wire(cfg->vifs[i].mac);
            v[i].bridge = wire(cfg->vifs[i].bridge);
            v[i].tap = wire(cfg->vifs[i].tap);
            ptrs[i] = &v[i];
        }
        pc->n_vifs = n;
        pc->vifs = ptrs;
    }
    return 0;
}

void sk_config_proto_free(Skiff__V1__DomainConfig *pc)
{
    free(pc->disks);
    free(pc->vifs);
    pc->disks = NULL;
    pc->vifs = NULL;
    pc->n_disks = pc->n_vifs = 0;
}

int sk_config_from_proto(const Skiff__V1__DomainConfig *pc, struct skiff_domain_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    if (pc == NULL)
        return 0;
    bool failed = false;
    cfg->name = sk_strdup(pc->name, &failed);
    cfg->uuid = sk_strdup(pc->uuid, &failed);
    cfg->memory_mb = pc->memory_mb;
    cfg->vcpus = pc->vcpus;
    cfg->kernel = sk_strdup(pc->kernel, &failed);
    cfg->cmdline = sk_strdup(pc->cmdline, &failed);
    cfg->on_poweroff = action_from_proto(pc->on_poweroff);
    cfg->on_reboot = action_from_proto(pc->on_reboot);
    cfg->on_crash = action_from_proto(pc->on_crash);
    cfg->seclabel = sk_strdup(pc->seclabel, &failed);
    cfg->pool = sk_strdup(pc->pool, &failed);
    cfg->cpus = sk_strdup(pc->cpus, &failed);
    cfg->autostart = pc->autostart;
    cfg->cpus_soft = sk_strdup(pc->cpus_soft, &failed);
    cfg->weight = pc->weight;
    cfg->cap = pc->cap;
    if (pc->n_disks > 0) {
        cfg->disks = calloc(pc->n_disks, sizeof *cfg->disks);
        if (cfg->disks == NULL)
            failed = true;
        else
            cfg->n_disks = pc->n_disks;
        for (size_t i = 0; i < cfg->n_disks; i++) {
            cfg->disks[i].target = sk_strdup(pc->disks[i]->target, &failed);
            cfg->disks[i].vdev = sk_strdup(pc->disks[i]->vdev, &failed);
            cfg->disks[i].sector_size = pc->disks[i]->sector_size;
        }
    }
    if (pc->n_vifs > 0) {
        cfg->vifs = calloc(pc->n_vifs, sizeof *cfg->vifs);
        if (cfg->vifs == NULL)
            failed = true;
        else
            cfg->n_vifs = pc->n_vifs;
        for (size_t i = 0; i < cfg->n_vifs; i++) {
            cfg->vifs[i].vdev = sk_strdup(pc->vifs[i]->vdev, &failed);
            cfg->vifs[i].mac = sk_strdup(pc->vifs[i]->mac, &failed);
            cfg->vifs[i].bridge = sk_strdup(pc->vifs[i]->bridge, &failed);
            cfg->vifs[i].tap = sk_strdup(pc->vifs[i]->tap, &failed);
        }
    }
    if (failed) {
        skiff_domain_config_clear(cfg);
        return -ENOMEM;
    }
    return 0;
}

void skiff_domain_config_clear(struct skiff_domain_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->name);
    free(cfg->uuid);
    free(cfg->kernel);
    free(cfg->cmdline);
    for (size_t i = 0; i < cfg->n_disks; i++) {
        free(cfg->disks[i].target);
        free(cfg->disks[i].vdev);
    }
    free(cfg->disks);
    for (size_t i = 0; i < cfg->n_vifs; i++) {
        free(cfg->vifs[i].vdev);
        free(cfg->vifs[i].mac);
        free(cfg->vifs[i].bridge);
        free(cfg->vifs[i].tap);
    }
    free(cfg->vifs);
    free(cfg->seclabel);
    free(cfg->pool);
    free(cfg->cpus);
    free(cfg->cpus_soft);
    memset(cfg, 0, sizeof *cfg);
}

/* Copy a UUID string into a fixed field, truncating anything malformed. */
static void copy_uuid(char dst[37], const char *src)
{
    size_t n = src != NULL ? strnlen(src, 36) : 0;
    memcpy(dst, src != NULL ? src : "", n);
    dst[n] = '\0';
}

int sk_info_from_proto(const Skiff__V1__DomainInfo *pi, struct skiff_domain_info *info)
{
    memset(info, 0, sizeof *info);
    bool failed = false;
    copy_uuid(info->uuid, pi->uuid);
    info->name = sk_strdup(pi->name, &failed);
    info->id = pi->id;
    info->state = state_from_proto(pi->state);
    info->persistent = pi->persistent;
    if (sk_config_from_proto(pi->config, &info->config) < 0)
        failed = true;
    info->pid = pi->pid;
    info->started_at_ns = pi->started_at_ns;
    info->cpu_time_ns = pi->cpu_time_ns;
    info->memory_touched_bytes = pi->memory_touched_bytes;
    info->exits = pi->exits;
    info->exit_status = pi->exit_status;
    info->reason = sk_strdup(pi->reason, &failed);
    info->restarts = pi->restarts;
    info->numa_nodes = sk_strdup(pi->numa_nodes, &failed);
    if (failed) {
        skiff_domain_info_clear(info);
        return -ENOMEM;
    }
    return 0;
}

void skiff_domain_info_clear(struct skiff_domain_info *info)
{
    if (info == NULL)
        return;
    free(info->name);
    free(info->reason);
    free(info->numa_nodes);
    skiff_domain_config_clear(&info->config);
    memset(info, 0, sizeof *info);
}

void skiff_domain_list_free(struct skiff_domain_info *list, size_t n)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        skiff_domain_info_clear(&list[i]);
    free(list);
}

int sk_host_from_proto(const Skiff__V1__HostInfo *ph, struct skiff_host_info *host)
{
    memset(host, 0, sizeof *host);
    bool failed = false;
    host->hostname = sk_strdup(ph->hostname, &failed);
    host->version = sk_strdup(ph->version, &failed);
    host->started_at_ns = ph->started_at_ns;
    host->uptime_ns = ph->uptime_ns;
    host->cpus = ph->cpus;
    host->memory_bytes = ph->memory_bytes;
    host->domains_running = ph->domains_running;
    host->domains_defined = ph->domains_defined;
    host->cores = ph->cores;
    host->sockets = ph->sockets;
    host->nodes = ph->nodes;
    host->threads_per_core = ph->threads_per_core;
    host->free_memory_bytes = ph->free_memory_bytes;
    host->max_cpu_id = ph->max_cpu_id;
    host->pools = ph->pools;
    if (failed) {
        skiff_host_info_clear(host);
        return -ENOMEM;
    }
    return 0;
}

void skiff_host_info_clear(struct skiff_host_info *info)
{
    if (info == NULL)
        return;
    free(info->hostname);
    free(info->version);
    memset(info, 0, sizeof *info);
}

int sk_event_from_proto(const Skiff__V1__Event *pe, struct skiff_event *ev)
{
    memset(ev, 0, sizeof *ev);
    bool failed = false;
    ev->seq = pe->seq;
    ev->time_ns = pe->time_ns;
    copy_uuid(ev->domain_uuid, pe->domain_uuid);
    ev->domain_name = sk_strdup(pe->domain_name, &failed);
    ev->kind = sk_strdup(pe->kind, &failed);
    ev->state = state_from_proto(pe->state);
    ev->detail = sk_strdup(pe->detail, &failed);
    if (failed) {
        skiff_event_clear(ev);
        return -ENOMEM;
    }
    return 0;
}

void skiff_event_clear(struct skiff_event *ev)
{
    if (ev == NULL)
        return;
    free(ev->domain_name);
    free(ev->kind);
    free(ev->detail);
    memset(ev, 0, sizeof *ev);
}
