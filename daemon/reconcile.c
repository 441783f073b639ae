/*
 * Start-up: load every domain from the store and reconcile it with what
 * is really running. Monitors outlive hostd, so a domain recorded as
 * running is found again by its pid (checked against its start time, so
 * a reused pid is never mistaken for it) and its control socket; one
 * whose monitor is gone crashed while hostd was down.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "monitor.h"
#include "util.h"

static void reconcile(struct hostd *h, struct domain *d)
{
    if (!d->row.persistent && d->row.state == SKIFF__V1__DOMAIN_STATE__DEFINED) {
        /* A created domain that had stopped: hostd died before removing it. */
        log_info("domain %s: removing a stale transient domain", d->row.name);
        domain_forget(d);
        return;
    }
    if (!domain_active(d))
        return;
    if (d->row.pid > 0 && d->row.control != NULL && proc_is(d->row.pid, d->row.pid_start)) {
        struct monitor *m;
        if (monitor_adopt(d, d->row.pid, d->row.pid_start, &m) == 0) {
            d->mon = m;
            log_info("domain %s: reconnecting to its monitor (pid %ld)", d->row.name,
                     (long)d->row.pid);
            return;
        }
        log_err("domain %s: out of memory adopting its monitor", d->row.name);
    }
    domain_stopped(d, 255, true, false, "monitor gone while hostd was down");
}

int domains_load(struct hostd *h)
{
    struct store_domain *rows = NULL;
    size_t n = 0;
    int rc = store_domain_list(h->store, &rows, &n);
    if (rc < 0) {
        log_err("cannot read the domains from the store: %s", strerror(-rc));
        return rc;
    }
    /* Everything into the table first: on_crash=restart may look others up. */
    struct domain **loaded = calloc(n ? n : 1, sizeof *loaded);
    if (loaded == NULL) {
        for (size_t i = 0; i < n; i++)
            store_domain_clear(&rows[i]);
        free(rows);
        return -ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct domain *d;
        if (domain_from_row(h, &rows[i], &d) < 0) {
            log_err("domain %s (%s): unreadable configuration in the store; skipped",
                    rows[i].name ? rows[i].name : "?", rows[i].uuid);
            store_domain_clear(&rows[i]);
            continue;
        }
        domtab_add(h, d);
        loaded[k++] = d;
    }
    free(rows);
    log_info("%zu domain(s) in the store", k);
    for (size_t i = 0; i < k; i++)
        reconcile(h, loaded[i]);   /* may remove loaded[i] only */
    free(loaded);
    return 0;
}

void domains_autostart(struct hostd *h)
{
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        if (!d->row.persistent || !d->cfg->autostart || domain_active(d) || d->mon != NULL ||
            d->start_pending)
            continue;
        log_info("domain %s: autostart", d->row.name);
        domain_start(d, false, NULL);
    }
}
