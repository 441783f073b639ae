/*
 * An outgoing migration cut short by hostd's own death, settled when it
 * starts again, from the rows store.h keeps of migrations:
 *
 *   - still STREAMING: the commit never went out (the row says COMMITTING
 *     before it does), so the destination cannot run the domain, and it
 *     drops an incoming domain whose source has gone. The domain runs on
 *     here: unpaused if the migration paused it, its dirty log off.
 *   - COMMITTING: the commit may have reached the destination, which may
 *     run the domain now. It stays paused here, and says so (log, event)
 *     for the operator to destroy it here, or unpause it once sure it
 *     does not run there: never running on both hosts.
 *
 * The monitor is adopted asynchronously, so each settles once its
 * monitor is ready again (migrate_recover_ready); a row whose domain is
 * not running here any more just ends.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "migrate_peer.h"
#include "monitor.h"
#include "store.h"
#include "util.h"

/* Rows waiting for their domain's monitor. */
static struct store_migration *waiting;
static size_t n_waiting;

static void end_row(struct hostd *h, const struct store_migration *r, int state,
                    const char *detail)
{
    int rc = store_migration_set(h->store, r->id, state, now_realtime_ns(), detail);
    if (rc < 0)
        log_err("migration %lld of %s: cannot record its end: %s", (long long)r->id, r->uuid,
                strerror(-rc));
}

void migrate_recover_load(struct hostd *h)
{
    struct store_migration *rows;
    size_t n;
    int rc = store_migrations_open(h->store, &rows, &n);
    if (rc < 0) {
        log_err("cannot read the migrations under way from the store: %s", strerror(-rc));
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct domain *d = domain_find_uuid(h, rows[i].uuid);
        if (d == NULL || !domain_active(d) || d->mon == NULL) {
            log_warn("a migration of domain %s to %s ended with hostd; the domain is not "
                     "running here", rows[i].uuid, rows[i].peer ? rows[i].peer : "?");
            end_row(h, &rows[i], rows[i].state == STORE_MIG_COMMITTING ? STORE_MIG_UNKNOWN
                                                                      : STORE_MIG_FAILED,
                    "hostd stopped during it; the domain was not running here after");
            store_migration_clear(&rows[i]);
            continue;
        }
        rows[n_waiting++] = rows[i];
    }
    if (n_waiting > 0)
        waiting = rows;
    else
        free(rows);
}

/* Take d's row out of the waiting ones; false if it has none. */
static bool take(struct domain *d, struct store_migration *out)
{
    for (size_t i = 0; i < n_waiting; i++) {
        if (strcmp(waiting[i].uuid, d->row.uuid) == 0) {
            *out = waiting[i];
            waiting[i] = waiting[--n_waiting];
            if (n_waiting == 0) {
                free(waiting);
                waiting = NULL;
            }
            return true;
        }
    }
    return false;
}

static void unpaused(struct monitor *mon, void *arg, int err,
                     const Skiff__Monitor__V1__MonitorReply *rep)
{
    (void)arg;
    struct domain *d = mon->dom;
    if (d == NULL || err < 0 || rep->error != 0 || !domain_active(d)) {
        log_err("domain %s: cannot resume it after the migration hostd's stop cut short",
                mon->uuid);
        return;
    }
    d->row.state = SKIFF__V1__DOMAIN_STATE__RUNNING;
    if (domain_commit(d) < 0)
        log_err("domain %s: cannot record it as running", d->row.name);
    domain_event(d, "unpaused", "the migration hostd's stop cut short did not commit");
    hostd_status_changed(d->h);
}

void migrate_recover_ready(struct domain *d, bool paused)
{
    struct store_migration r;
    if (n_waiting == 0 || !take(d, &r))
        return;
    const char *peer = r.peer ? r.peer : "?";
    Skiff__Monitor__V1__DirtyLog dl = SKIFF__MONITOR__V1__DIRTY_LOG__INIT;
    dl.disable = true;
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_DIRTY_LOG;
    req.dirty_log = &dl;
    monitor_request(d->mon, &req, NULL, NULL);
    if (r.state == STORE_MIG_COMMITTING) {
        log_warn("domain %s: hostd stopped after committing its migration to %s: it may run "
                 "there; it stays paused here (destroy it here, or unpause it once sure it "
                 "does not run there)", d->row.name, peer);
        domain_event(d, "paused", "migration outcome unknown (hostd stopped after the commit)");
        end_row(d->h, &r, STORE_MIG_UNKNOWN, "hostd stopped after the commit");
    } else {
        log_warn("domain %s: its migration to %s ended with hostd before the commit; it %s "
                 "here", d->row.name, peer, paused && !r.was_paused ? "runs on" : "stays");
        if (paused && !r.was_paused)
            monitor_simple(d->mon, SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_UNPAUSE, unpaused,
                           NULL);
        end_row(d->h, &r, STORE_MIG_FAILED, "hostd stopped before the commit");
    }
    store_migration_clear(&r);
}
