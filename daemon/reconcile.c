/*
 * Start-up: load every domain from the store and reconcile it with what
 * is really running. Monitors outlive hostd, so a domain recorded as
 * running is found again by its pid (checked against its start time, so
 * a reused pid is never mistaken for it) and its control socket; one
 * whose monitor is gone crashed while hostd was down.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "migrate_peer.h"
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

/* Is pid one of our monitors, i.e. does its command line carry
 * --control= with a path under prefix? */
static bool is_our_monitor(pid_t pid, const char *prefix)
{
    char buf[8192];
    ssize_t n = proc_read(pid, "cmdline", buf, sizeof buf);
    if (n <= 0)
        return false;
    size_t plen = strlen(prefix);
    for (char *arg = buf; arg < buf + n; arg += strlen(arg) + 1) {
        if (strncmp(arg, "--control=", 10) == 0 && strncmp(arg + 10, prefix, plen) == 0)
            return true;
    }
    return false;
}

static bool adopted(struct hostd *h, pid_t pid)
{
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        if (d->mon != NULL && d->mon->pid == pid)
            return true;
    }
    return false;
}

/*
 * hostd records a monitor's pid only after spawning it: killed in between,
 * it leaves a monitor that no row names. That start was never committed
 * nor acknowledged, so the monitor is ended, not adopted. Every monitor
 * carries --control=STATE/domains/UUID/control.sock, which finds them.
 */
static void end_strays(struct hostd *h)
{
    char *prefix = xasprintf("%s/domains/", h->conf.state_dir);
    DIR *proc = prefix ? opendir("/proc") : NULL;
    if (proc == NULL) {
        free(prefix);
        return;
    }
    struct dirent *e;
    while ((e = readdir(proc)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 1 || pid == (long)getpid())
            continue;
        if (is_our_monitor((pid_t)pid, prefix) && !adopted(h, (pid_t)pid)) {
            log_warn("ending monitor pid %ld: its start was interrupted (hostd stopped "
                     "before recording it)", pid);
            kill((pid_t)pid, SIGKILL);
        }
    }
    closedir(proc);
    free(prefix);
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
    end_strays(h);
    migrate_recover_load(h);
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
