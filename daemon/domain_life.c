/*
 * A domain's life cycle: starting its monitor, and what happens when the
 * guest stops (on_poweroff / on_reboot / on_crash, crash-loop protection).
 * The new state is committed first; then the monitor is released, waiters
 * are answered and the event is sent.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "conn.h"
#include "daemon/numa_place.h"
#include "daemon/vcpu_affinity.h"
#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "monitor.h"
#include "migrate_peer.h"
#include "save_restore.h"
#include "util.h"

#define DESTROY_KILL_MS 5000

enum stop_kind { K_POWEROFF, K_REBOOT, K_CRASH, K_DESTROY, K_RESTART };

static const char *kind_event[] = { "shutdown", "rebooted", "crashed", "destroyed",
                                    "rebooted" };

static void set_reason(struct domain *d, const char *reason)
{
    char *copy = strdup(reason ? reason : "");
    if (copy == NULL)
        return;   /* keep the old reason rather than none */
    free(d->row.reason);
    d->row.reason = copy;
}

void domain_update_stats(struct domain *d, const Skiff__Monitor__V1__Stats *st)
{
    if (st == NULL)
        return;
    d->cpu_time_ns = st->cpu_time_ns;
    d->memory_touched = st->memory_touched_bytes;
    d->exits = st->exits;
    d->control_events = st->control_events;
    d->stats_at_ns = now_monotonic_ns();
}

void domain_reply_info(struct call *call, struct domain *d)
{
    Skiff__V1__DomainInfo info;
    domain_info(d, &info);
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_DOMAIN;
    r.domain = &info;
    call_reply(call, &r);
}

/* Waiters get the final DomainInfo; console streams end (unless keep_console). */
static void finish_calls(struct domain *d, bool keep_console)
{
    struct list *p, *t;
    list_for_each_safe(p, t, &d->waiters) {
        struct call *call = list_entry(p, struct call, wait_link);
        list_del(&call->wait_link);
        domain_reply_info(call, d);
    }
    if (keep_console)
        return;
    list_for_each_safe(p, t, &d->console_subs) {
        struct call *call = list_entry(p, struct call, wait_link);
        list_del(&call->wait_link);
        call_reply_ok(call);
    }
}

void domain_finish_calls(struct domain *d)
{
    if (d->start_call != NULL) {
        call_error(d->start_call, SKIFF__V1__ERROR_CODE__INTERNAL, "domain %s went away",
                   d->row.name);
        d->start_call = NULL;
    }
    finish_calls(d, false);
}

static void stop_timer(struct domain *d)
{
    if (d->grace_timer != NULL) {
        event_free(d->grace_timer);
        d->grace_timer = NULL;
    }
}

static int really_start(struct domain *d, bool paused, struct call *call)
{
    struct hostd *h = d->h;
    uint32_t run_id;
    /* Where it runs: placement first (it narrows the soft affinity), then
     * make sure every vCPU has a CPU left in its pool. */
    numa_place(d);
    char msg[600];
    int rc = vcpu_check_all(h, &h->pools, d->row.pool, d->cfg,
                            d->numa_nodes ? &d->numa_cpus : NULL, msg, sizeof msg);
    if (rc < 0) {
        if (call)
            call_error(call, rc == -ENOENT ? SKIFF__V1__ERROR_CODE__NOT_FOUND
                                           : SKIFF__V1__ERROR_CODE__INVALID, "%s", msg);
        return rc;
    }
    rc = store_next_run_id(h->store, &run_id);
    if (rc < 0) {
        if (call)
            call_error(call, SKIFF__V1__ERROR_CODE__INTERNAL, "cannot allocate a run id: %s",
                       strerror(-rc));
        return rc;
    }
    struct monitor *m;
    rc = monitor_spawn(d, paused, &m);
    if (rc < 0) {
        if (call)
            call_error(call, SKIFF__V1__ERROR_CODE__INTERNAL,
                       "cannot start the monitor %s: %s", h->conf.monitor, strerror(-rc));
        return rc;
    }
    struct store_domain saved = d->row;
    d->mon = m;
    d->intent = STOP_NONE;
    free(d->intent_reason);
    d->intent_reason = NULL;
    d->cpu_time_ns = d->memory_touched = d->exits = 0;
    d->stats_at_ns = 0;
    d->control_events = false;
    ring_clear(&d->console);
    d->row.state = paused ? SKIFF__V1__DOMAIN_STATE__PAUSED : SKIFF__V1__DOMAIN_STATE__RUNNING;
    d->row.pid = m->pid;
    d->row.pid_start = m->pid_start;
    d->row.run_id = run_id;
    d->row.started_at_ns = now_realtime_ns();
    d->row.exit_status = 0;
    set_reason(d, "");
    rc = domain_commit(d);
    if (rc < 0) {
        /* Never run a guest the store does not know about. */
        monitor_discard(m);
        d->row.state = saved.state;
        d->row.pid = 0;
        d->row.pid_start = 0;
        d->row.run_id = 0;
        if (call)
            call_error(call, SKIFF__V1__ERROR_CODE__INTERNAL, "cannot record the start: %s",
                       strerror(-rc));
        return rc;
    }
    d->start_call = call;
    char detail[64];
    snprintf(detail, sizeof detail, "run %u, pid %ld%s", run_id, (long)m->pid,
             paused ? ", paused" : "");
    domain_event(d, "started", detail);
    hostd_status_changed(h);
    return 0;
}

int domain_start(struct domain *d, bool paused, struct call *call)
{
    /* The previous monitor still holds the control socket path: wait for it. */
    if (d->mon != NULL || monitor_zombie_for(d->h, d->row.uuid)) {
        if (d->mon != NULL)
            monitor_discard(d->mon);
        d->start_pending = true;
        d->start_paused = paused;
        d->start_call = call;
        return 0;
    }
    return really_start(d, paused, call);
}

void domain_monitor_gone(struct hostd *h, const char *uuid)
{
    struct domain *d = domain_find_uuid(h, uuid);
    if (d == NULL || (d->mon == NULL && !domain_active(d)))
        cgroup_domain_remove(&h->cgroup, uuid);   /* empty now that the monitor is gone */
    if (d == NULL || !d->start_pending || monitor_zombie_for(h, uuid))
        return;
    d->start_pending = false;
    struct call *call = d->start_call;
    d->start_call = NULL;
    if (really_start(d, d->start_paused, call) < 0 && !d->row.persistent)
        domain_forget(d);
}

void domain_monitor_ready(struct domain *d, const Skiff__Monitor__V1__Stats *st)
{
    domain_update_stats(d, st);
    /* Per-vCPU sets, and what changed while hostd was away, take effect now. */
    struct vcpu_apply *b = vcpu_apply_new(NULL, NULL);
    vcpu_apply_domain(b, d);
    vcpu_apply_go(b, NULL, NULL);
    if (st != NULL && domain_active(d)) {
        int state = st->paused ? SKIFF__V1__DOMAIN_STATE__PAUSED
                               : SKIFF__V1__DOMAIN_STATE__RUNNING;
        if (state != d->row.state) {
            /* Found it otherwise after a restart: the monitor knows best. */
            d->row.state = state;
            if (domain_commit(d) == 0)
                domain_event(d, st->paused ? "paused" : "unpaused", "found on reconnect");
        }
        migrate_recover_ready(d, st->paused);
    }
    if (d->start_call != NULL && d->restore != NULL) {
        restore_monitor_ready(d);   /* it answers the call when loaded */
        return;
    }
    if (d->start_call != NULL && d->incoming != NULL) {
        migrate_in_monitor_ready(d);   /* it answers once guest RAM is mapped */
        return;
    }
    if (st != NULL && st->incoming && d->intent == STOP_NONE) {
        /* Found waiting for a state nobody will send (hostd restarted
         * during a restore): it never ran, so it goes. */
        domain_destroy(d, "restore interrupted");
    }
    if (d->start_call != NULL) {
        struct call *call = d->start_call;
        d->start_call = NULL;
        domain_reply_info(call, d);
    }
}

void domain_monitor_console(struct domain *d, const uint8_t *p, size_t n)
{
    if (ring_append(&d->console, p, n) < 0)
        log_warn("domain %s: out of memory for the console history", d->row.name);
    Skiff__V1__ConsoleData cd = SKIFF__V1__CONSOLE_DATA__INIT;
    cd.data.data = (uint8_t *)p;
    cd.data.len = n;
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_CONSOLE;
    r.console = &cd;
    struct list *q, *t;
    list_for_each_safe(q, t, &d->console_subs) {
        struct call *call = list_entry(q, struct call, wait_link);
        /* A client that does not keep up loses output; the guest never waits. */
        if (call_backlogged(call)) {
            if (call->conn != NULL)
                call->conn->console_dropped += n;
            continue;
        }
        call_send_more(call, &r);
    }
}

static bool crash_loop(struct domain *d)
{
    uint64_t now = now_monotonic_ns(), window = CRASH_LOOP_WINDOW_S * 1000000000ULL;
    unsigned n = 0;
    for (unsigned i = 0; i < d->ncrash; i++) {
        if (now - d->crash_ns[i] <= window)
            d->crash_ns[n++] = d->crash_ns[i];
    }
    if (n == CRASH_LOOP_MAX + 1) {   /* keep the newest */
        memmove(d->crash_ns, d->crash_ns + 1, (n - 1) * sizeof d->crash_ns[0]);
        n--;
    }
    d->crash_ns[n++] = now;
    d->ncrash = n;
    return n > CRASH_LOOP_MAX;
}

static void stopped(struct domain *d, enum stop_kind kind, int status, const char *why,
                    bool lost)
{
    struct hostd *h = d->h;
    Skiff__V1__LifecycleAction action;
    char reason[512];

    if (d->intent == STOP_DESTROY)
        kind = K_DESTROY;
    else if (d->intent == STOP_RESTART)
        kind = K_RESTART;
    if (d->intent_reason != NULL)
        snprintf(reason, sizeof reason, "%s", d->intent_reason);
    else if (kind == K_POWEROFF)
        snprintf(reason, sizeof reason, "guest shut down (status %d)", status);
    else if (kind == K_REBOOT)
        snprintf(reason, sizeof reason, "guest rebooted");
    else
        snprintf(reason, sizeof reason, "%s", why && *why ? why : "guest crashed");

    switch (kind) {
    case K_POWEROFF: action = config_action(d->cfg, 0); break;
    case K_REBOOT: action = config_action(d->cfg, 1); break;
    case K_CRASH: action = config_action(d->cfg, 2); break;
    case K_RESTART: action = SKIFF__V1__LIFECYCLE_ACTION__RESTART; break;
    default: action = SKIFF__V1__LIFECYCLE_ACTION__DESTROY; break;
    }
    if (kind == K_CRASH && action == SKIFF__V1__LIFECYCLE_ACTION__RESTART && crash_loop(d)) {
        size_t len = strlen(reason);
        snprintf(reason + len, sizeof reason - len,
                 "; crashed more than %d times within %d s: not restarted", CRASH_LOOP_MAX,
                 CRASH_LOOP_WINDOW_S);
        action = SKIFF__V1__LIFECYCLE_ACTION__PRESERVE;
    }

    /* A start still waiting for the monitor: it did start. */
    if (d->start_call != NULL) {
        struct call *call = d->start_call;
        d->start_call = NULL;
        domain_reply_info(call, d);
    }
    stop_timer(d);
    d->intent = STOP_NONE;
    free(d->intent_reason);
    d->intent_reason = NULL;
    d->row.pid = 0;
    d->row.pid_start = 0;
    d->row.run_id = 0;
    d->row.exit_status = status;
    set_reason(d, reason);

    if (action == SKIFF__V1__LIFECYCLE_ACTION__PRESERVE)
        d->row.state = kind == K_CRASH ? SKIFF__V1__DOMAIN_STATE__CRASHED
                                       : SKIFF__V1__DOMAIN_STATE__SHUTDOWN;
    else
        d->row.state = SKIFF__V1__DOMAIN_STATE__DEFINED;
    if (action == SKIFF__V1__LIFECYCLE_ACTION__RESTART)
        d->row.restarts++;

    bool forget = action == SKIFF__V1__LIFECYCLE_ACTION__DESTROY && !d->row.persistent;
    cgroup_domain_remove(&h->cgroup, d->row.uuid);   /* if the monitor has gone already */
    int rc = forget ? 0 : domain_commit(d);
    if (rc < 0)
        log_err("domain %s: the stop is not recorded", d->row.name);
    if (d->mon != NULL) {
        if (lost)
            monitor_discard(d->mon);
        else
            monitor_release(d->mon);   /* the exit is recorded: it may go */
    }
    char detail[600];
    snprintf(detail, sizeof detail, "%s%s", reason,
             action == SKIFF__V1__LIFECYCLE_ACTION__RESTART ? "; restarting" : "");
    domain_event(d, kind_event[kind], detail);
    hostd_status_changed(h);

    if (forget) {
        domain_forget(d);   /* answers waiters, ends console streams */
        return;
    }
    if (action == SKIFF__V1__LIFECYCLE_ACTION__RESTART) {
        finish_calls(d, true);   /* console streams follow the new run */
        domain_start(d, false, NULL);
        return;
    }
    finish_calls(d, false);
}

void domain_stopped(struct domain *d, int status, bool faulted, bool reboot, const char *reason)
{
    enum stop_kind kind = faulted || status == 255 ? K_CRASH : reboot ? K_REBOOT : K_POWEROFF;
    stopped(d, kind, status, reason, false);
}

void domain_monitor_exited(struct domain *d, const Skiff__Monitor__V1__Exited *e)
{
    domain_stopped(d, e->status, e->faulted, e->reboot, e->reason);
}

void domain_monitor_lost(struct domain *d, const char *reason)
{
    if (d->start_call != NULL && d->mon != NULL && !d->mon->ready &&
        d->intent == STOP_NONE) {
        /* It never came up: the start fails, with what the monitor said. */
        char *log = domain_path(d, "monitor.log");
        char *tail = log ? file_tail(log, 1500) : NULL;
        struct call *call = d->start_call;
        d->start_call = NULL;
        call_error(call, SKIFF__V1__ERROR_CODE__INTERNAL,
                   "domain %s failed to start: %s%s%s", d->row.name, reason,
                   tail && *tail ? "; monitor log:\n" : "", tail ? tail : "");
        free(log);
        free(tail);
        char buf[300];
        snprintf(buf, sizeof buf, "failed to start: %s", reason);
        d->intent = STOP_DESTROY;
        free(d->intent_reason);
        d->intent_reason = strdup(buf);
        stopped(d, K_DESTROY, -1, buf, true);
        return;
    }
    stopped(d, K_CRASH, 255, reason, true);
}

static void kill_cb(evutil_socket_t fd, short what, void *arg)
{
    struct domain *d = arg;
    event_free(d->grace_timer);
    d->grace_timer = NULL;
    if (d->mon != NULL) {
        log_warn("domain %s: monitor did not stop the guest; killing it", d->row.name);
        monitor_kill(d->mon, SIGKILL);
    }
}

static void destroy_cb(struct monitor *m, void *arg, int err,
                       const Skiff__Monitor__V1__MonitorReply *rep)
{
    if (err == 0 && rep->error != 0 && m->dom != NULL) {
        log_warn("domain %s: destroy refused (%s); killing the monitor", m->dom->row.name,
                 rep->message ? rep->message : "");
        monitor_kill(m, SIGKILL);
    }
}

/* Stop now; the Exited (or the monitor's death) completes it. */
static void stop_now(struct domain *d, enum stop_intent intent, const char *reason)
{
    d->intent = intent;
    free(d->intent_reason);
    d->intent_reason = reason ? strdup(reason) : NULL;
    stop_timer(d);
    if (d->mon == NULL)
        return;
    if (monitor_simple(d->mon, SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_DESTROY, destroy_cb,
                       NULL) < 0)
        monitor_kill(d->mon, SIGKILL);
    d->grace_timer = evtimer_new(d->h->base, kill_cb, d);
    if (d->grace_timer != NULL) {
        struct timeval tv = { DESTROY_KILL_MS / 1000, 0 };
        evtimer_add(d->grace_timer, &tv);
    }
}

void domain_destroy(struct domain *d, const char *reason)
{
    stop_now(d, STOP_DESTROY, reason);
}

void domains_end_destroys(struct hostd *h)
{
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        if (d->intent == STOP_DESTROY && d->mon != NULL)
            monitor_kill(d->mon, SIGKILL);
    }
}

void domain_restart(struct domain *d, const char *reason)
{
    stop_now(d, STOP_RESTART, reason);
}

static void grace_cb(evutil_socket_t fd, short what, void *arg)
{
    struct domain *d = arg;
    event_free(d->grace_timer);
    d->grace_timer = NULL;
    domain_destroy(d, d->grace_unasked
                          ? "destroyed: the guest does not handle shutdown requests and "
                            "did not halt within the grace period"
                          : "destroyed: did not shut down within the grace period");
}

int domain_arm_grace(struct domain *d, uint32_t ms, bool asked)
{
    stop_timer(d);
    d->grace_unasked = !asked;
    d->grace_timer = evtimer_new(d->h->base, grace_cb, d);
    if (d->grace_timer == NULL)
        return -ENOMEM;
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    return evtimer_add(d->grace_timer, &tv) < 0 ? -ENOMEM : 0;
}
