/* hostd's pool table and the store: see pool_state.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/pool_state.h"
#include "daemon/rpc_cpu.h"
#include "daemon/vcpu_affinity.h"
#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "store.h"

int pools_load(struct hostd *h)
{
    struct store_pool *rows = NULL;
    size_t n = 0;
    int rc = store_pool_list(h->store, &rows, &n);
    if (rc < 0) {
        log_err("cannot read the CPU pools: %s", strerror(-rc));
        return rc;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct cpuset cpus;
        if (!pool_name_valid(rows[i].name) || cpuset_parse(&cpus, rows[i].cpus ? rows[i].cpus : "") < 0) {
            log_err("the store holds a malformed pool '%s' (cpus '%s')", rows[i].name,
                    rows[i].cpus ? rows[i].cpus : "");
            rc = -EINVAL;
            break;
        }
        rc = pooltab_add(&h->pools, rows[i].name, &cpus);
    }
    for (size_t i = 0; i < n; i++)
        store_pool_clear(&rows[i]);
    free(rows);
    if (rc < 0)
        return rc;
    if (h->pools.n == 0) {
        /* First start: every online CPU in Pool-0. */
        char *list = malloc(16384);
        rc = list ? cpuset_format(&h->topo->online, list, 16384) : -ENOMEM;
        if (rc >= 0)
            rc = store_pool_put(h->store, POOL_DEFAULT_NAME, list, POOL_SCHED);
        free(list);
        if (rc >= 0)
            rc = pooltab_add(&h->pools, POOL_DEFAULT_NAME, &h->topo->online);
        if (rc < 0) {
            log_err("cannot create %s: %s", POOL_DEFAULT_NAME, strerror(-rc));
            return rc;
        }
        log_info("created %s with every online CPU", POOL_DEFAULT_NAME);
    }
    return 0;
}

void pools_count(struct hostd *h, const char *name, unsigned *all, unsigned *active)
{
    *all = *active = 0;
    struct list *it, *it_next;
    list_for_each_safe(it, it_next, &h->domains.all) {
        struct domain *d = list_entry(it, struct domain, link);
        if (strcmp(vcpu_pool_name(h, d->row.pool), name) != 0)
            continue;
        (*all)++;
        if (domain_active(d) || d->mon != NULL)
            (*active)++;
    }
}

/* Point the domains of pool `from` at `to` (row and config). */
static int rename_domains(struct hostd *h, const char *from, const char *to)
{
    struct list *it, *it_next;
    list_for_each_safe(it, it_next, &h->domains.all) {
        struct domain *d = list_entry(it, struct domain, link);
        if (d->row.pool == NULL || strcmp(d->row.pool, from) != 0)
            continue;
        int rc = pb_replace_str(&d->row.pool, to);
        if (rc == 0 && strcmp(d->cfg->pool, from) == 0)
            rc = pb_replace_str(&d->cfg->pool, to);
        if (rc == 0)
            rc = domain_commit(d);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void undo_rename(struct hostd *h, const char *from, const char *to)
{
    struct list *it, *it_next;
    list_for_each_safe(it, it_next, &h->domains.all) {
        struct domain *x = list_entry(it, struct domain, link);
        if (x->row.pool == NULL || strcmp(x->row.pool, to) != 0)
            continue;
        if (strcmp(x->cfg->pool, to) == 0)
            pb_replace_str(&x->cfg->pool, from);
        pb_replace_str(&x->row.pool, from);
    }
}

int pools_commit(struct hostd *h, struct pooltab *t, const char *from, const char *to,
                 struct domain *d)
{
    char *list = malloc(16384);
    if (list == NULL)
        return -ENOMEM;
    int rc = store_begin(h->store);
    if (rc < 0) {
        free(list);
        return rc;
    }
    if (from != NULL && to != NULL && strcmp(from, to) != 0) {
        rc = store_pool_rename(h->store, from, to);
        if (rc == 0)
            rc = rename_domains(h, from, to);
    }
    for (size_t i = 0; rc == 0 && i < h->pools.n; i++) {
        const char *name = h->pools.v[i].name;
        if (from != NULL && strcmp(name, from) == 0)
            continue;
        if (pool_find(t, name) < 0)
            rc = store_pool_delete(h->store, name);
    }
    for (size_t i = 0; rc == 0 && i < t->n; i++) {
        rc = cpuset_format(&t->v[i].cpus, list, 16384);
        if (rc >= 0)
            rc = store_pool_put(h->store, t->v[i].name, list, POOL_SCHED);
    }
    if (rc == 0 && d != NULL)
        rc = domain_commit(d);
    free(list);
    if (rc == 0)
        rc = store_commit(h->store);
    if (rc < 0) {
        store_rollback(h->store);
        /* Domain rows already renamed in memory go back. */
        if (from != NULL && to != NULL && strcmp(from, to) != 0)
            undo_rename(h, from, to);
        return rc;
    }
    pooltab_free(&h->pools);
    h->pools = *t;
    *t = (struct pooltab){ 0 };
    return 0;
}
