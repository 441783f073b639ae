/*
 * The domain table and the write-through to the store.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "daemon/numa_place.h"
#include "domain.h"
#include "migrate_peer.h"
#include "save_restore.h"
#include "events.h"
#include "hostd.h"
#include "log.h"
#include "monitor.h"
#include "util.h"

const char *domain_state_name(int state)
{
    switch (state) {
    case SKIFF__V1__DOMAIN_STATE__DEFINED: return "defined";
    case SKIFF__V1__DOMAIN_STATE__RUNNING: return "running";
    case SKIFF__V1__DOMAIN_STATE__PAUSED: return "paused";
    case SKIFF__V1__DOMAIN_STATE__SHUTDOWN: return "shutdown";
    case SKIFF__V1__DOMAIN_STATE__CRASHED: return "crashed";
    default: return "unknown";
    }
}

/* FNV-1a; uuids hash case-insensitively (they are compared that way). */
static size_t hash_str(const char *s, bool fold)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (fold && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        h = (h ^ c) * 1099511628211ULL;
    }
    return (size_t)h;
}

int domtab_init(struct domtab *t)
{
    t->nbuckets = 64;
    t->by_name = calloc(t->nbuckets, sizeof *t->by_name);
    t->by_uuid = calloc(t->nbuckets, sizeof *t->by_uuid);
    list_init(&t->all);
    t->count = 0;
    if (t->by_name == NULL || t->by_uuid == NULL) {
        free(t->by_name);
        free(t->by_uuid);
        return -ENOMEM;
    }
    return 0;
}

static void index_insert(struct domtab *t, struct domain *d)
{
    size_t n = hash_str(d->row.name, false) % t->nbuckets;
    d->name_next = t->by_name[n];
    t->by_name[n] = d;
    size_t u = hash_str(d->row.uuid, true) % t->nbuckets;
    d->uuid_next = t->by_uuid[u];
    t->by_uuid[u] = d;
}

static void index_remove_name(struct domtab *t, struct domain *d)
{
    struct domain **pp = &t->by_name[hash_str(d->row.name, false) % t->nbuckets];
    for (; *pp != NULL; pp = &(*pp)->name_next) {
        if (*pp == d) {
            *pp = d->name_next;
            return;
        }
    }
}

static void index_remove_uuid(struct domtab *t, struct domain *d)
{
    struct domain **pp = &t->by_uuid[hash_str(d->row.uuid, true) % t->nbuckets];
    for (; *pp != NULL; pp = &(*pp)->uuid_next) {
        if (*pp == d) {
            *pp = d->uuid_next;
            return;
        }
    }
}

/* Keep chains short: double the buckets when the table gets full. */
static void maybe_grow(struct domtab *t)
{
    if (t->count < t->nbuckets * 2)
        return;
    size_t nb = t->nbuckets * 4;
    struct domain **bn = calloc(nb, sizeof *bn), **bu = calloc(nb, sizeof *bu);
    if (bn == NULL || bu == NULL) {   /* longer chains, still correct */
        free(bn);
        free(bu);
        return;
    }
    free(t->by_name);
    free(t->by_uuid);
    t->by_name = bn;
    t->by_uuid = bu;
    t->nbuckets = nb;
    struct list *p, *tmp;
    list_for_each_safe(p, tmp, &t->all)
        index_insert(t, list_entry(p, struct domain, link));
}

struct domain *domain_find_name(struct hostd *h, const char *name)
{
    struct domtab *t = &h->domains;
    for (struct domain *d = t->by_name[hash_str(name, false) % t->nbuckets]; d;
         d = d->name_next) {
        if (strcmp(d->row.name, name) == 0)
            return d;
    }
    return NULL;
}

struct domain *domain_find_uuid(struct hostd *h, const char *uuid)
{
    struct domtab *t = &h->domains;
    for (struct domain *d = t->by_uuid[hash_str(uuid, true) % t->nbuckets]; d;
         d = d->uuid_next) {
        if (strcasecmp(d->row.uuid, uuid) == 0)
            return d;
    }
    return NULL;
}

struct domain *domain_find(struct hostd *h, const char *ref)
{
    if (ref == NULL || *ref == '\0')
        return NULL;
    struct domain *d = domain_find_name(h, ref);
    if (d == NULL && uuid_valid(ref))
        d = domain_find_uuid(h, ref);
    return d;
}

int domtab_add(struct hostd *h, struct domain *d)
{
    list_add_tail(&h->domains.all, &d->link);
    h->domains.count++;
    index_insert(&h->domains, d);
    maybe_grow(&h->domains);
    return 0;
}

void domtab_remove(struct hostd *h, struct domain *d)
{
    index_remove_name(&h->domains, d);
    index_remove_uuid(&h->domains, d);
    list_del(&d->link);
    h->domains.count--;
}

int domtab_rename(struct hostd *h, struct domain *d, const char *name)
{
    char *copy = strdup(name), *copy2 = strdup(name);
    if (copy == NULL || copy2 == NULL) {
        free(copy);
        free(copy2);
        return -ENOMEM;
    }
    index_remove_name(&h->domains, d);
    index_remove_uuid(&h->domains, d);
    free(d->row.name);
    d->row.name = copy;
    /* protobuf-c allocates with malloc; the empty default is static. */
    if (d->cfg->name != protobuf_c_empty_string)
        free(d->cfg->name);
    d->cfg->name = copy2;
    index_insert(&h->domains, d);
    return 0;
}

int domain_from_row(struct hostd *h, struct store_domain *row, struct domain **out)
{
    struct domain *d = calloc(1, sizeof *d);
    if (d == NULL)
        return -ENOMEM;
    d->cfg = skiff__v1__domain_config__unpack(NULL, row->config_len, row->config);
    if (d->cfg == NULL) {
        free(d);
        return -EINVAL;
    }
    d->h = h;
    d->row = *row;
    memset(row, 0, sizeof *row);
    list_init(&d->link);
    list_init(&d->waiters);
    list_init(&d->console_subs);
    numa_restore(d);
    *out = d;
    return 0;
}

void domain_free(struct domain *d)
{
    if (d == NULL)
        return;
    restore_discard(d);
    migrate_in_discard(d);
    if (d->grace_timer != NULL)
        event_free(d->grace_timer);
    if (d->cfg != NULL)
        skiff__v1__domain_config__free_unpacked(d->cfg, NULL);
    store_domain_clear(&d->row);
    free(d->intent_reason);
    ring_free(&d->console);
    free(d);
}

int domain_commit(struct domain *d)
{
    size_t len = skiff__v1__domain_config__get_packed_size(d->cfg);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL)
        return -ENOMEM;
    skiff__v1__domain_config__pack(d->cfg, buf);
    free(d->row.config);
    d->row.config = buf;
    d->row.config_len = len;
    d->row.autostart = d->cfg->autostart;
    int rc = store_domain_update(d->h->store, &d->row);
    if (rc < 0)
        log_err("domain %s: cannot save its state: %s", d->row.name, strerror(-rc));
    return rc;
}

char *domain_path(struct domain *d, const char *file)
{
    return xasprintf("%s/domains/%s%s%s", d->h->conf.state_dir, d->row.uuid,
                     file ? "/" : "", file ? file : "");
}

static void remove_files(struct domain *d)
{
    static const char *files[] = { "control.sock", "monitor.log", "monitor.log.1" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *p = domain_path(d, files[i]);
        if (p != NULL)
            unlink(p);
        free(p);
    }
    char *dir = domain_path(d, NULL);
    if (dir != NULL && rmdir(dir) < 0 && errno != ENOENT)
        log_warn("domain %s: cannot remove %s: %s", d->row.name, dir, strerror(errno));
    free(dir);
}

int domain_forget(struct domain *d)
{
    int rc = store_domain_delete(d->h->store, d->row.uuid);
    if (rc < 0 && rc != -ENOENT) {
        log_err("domain %s: cannot delete it from the store: %s", d->row.name, strerror(-rc));
        return rc;
    }
    domain_finish_calls(d);
    domtab_remove(d->h, d);
    if (d->mon == NULL)
        remove_files(d);
    else
        monitor_discard(d->mon);   /* never leave a monitor without its domain */
    domain_free(d);
    return 0;
}

void domain_info(struct domain *d, Skiff__V1__DomainInfo *info)
{
    skiff__v1__domain_info__init(info);
    info->uuid = d->row.uuid;
    info->name = d->row.name;
    info->id = d->row.run_id;
    info->state = (Skiff__V1__DomainState)d->row.state;
    info->persistent = d->row.persistent;
    info->config = d->cfg;
    info->pid = d->row.pid;
    info->started_at_ns = d->row.started_at_ns;
    info->cpu_time_ns = d->cpu_time_ns;
    info->memory_touched_bytes = d->memory_touched;
    info->exits = d->exits;
    info->exit_status = d->row.exit_status;
    info->reason = d->row.reason ? d->row.reason : (char *)"";
    info->restarts = d->row.restarts;
    info->numa_nodes = d->numa_str;
}

void domain_event(struct domain *d, const char *kind, const char *detail)
{
    events_emit(d->h, d->row.uuid, d->row.name, d->row.seclabel, kind, d->row.state, detail);
}

void domtab_free(struct hostd *h)
{
    struct domtab *t = &h->domains;
    if (t->by_name == NULL)
        return;
    struct list *p, *tmp;
    list_for_each_safe(p, tmp, &t->all) {
        struct domain *d = list_entry(p, struct domain, link);
        list_del(&d->link);
        domain_finish_calls(d);
        domain_free(d);
    }
    free(t->by_name);
    free(t->by_uuid);
    t->by_name = t->by_uuid = NULL;
    t->count = 0;
}
