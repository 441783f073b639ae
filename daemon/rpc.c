/*
 * Request handlers. Each takes a call, answers it (now or when the
 * monitor has answered) and never blocks: a long request (shutdown
 * --wait) parks its call in the domain's waiters.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "conn.h"
#include "domain.h"
#include "events.h"
#include "hostd.h"
#include "log.h"
#include "monitor.h"
#include "rpc.h"
#include "save_restore.h"
#include "migrate_peer.h"
#include "stats.h"
#include "daemon/host_topology.h"
#include "daemon/vcpu_affinity.h"
#include "util.h"
#include "xsm.h"

#define EOPNOTSUPP_MONITOR 95   /* the monitor's errno for "guest has no control events" */

/*
 * The domain a monitor callback is about, or NULL once the call has been
 * answered: the domain stopped meanwhile (gone_ok: that is success), or
 * the monitor could not be reached.
 */
struct domain *rpc_callback_domain(struct call *call, struct monitor *m, int err,
                                      bool gone_ok)
{
    struct domain *d = m->dom;
    if (d == NULL || d != call->dom) {
        if (gone_ok)
            call_reply_ok(call);
        else
            call_error(call, E(BUSY), "the domain stopped meanwhile");
        return NULL;
    }
    if (err < 0) {
        call_error(call, E(INTERNAL), "lost contact with the monitor of %s", d->row.name);
        return NULL;
    }
    return d;
}

struct domain *rpc_lookup(struct call *call, const char *ref)
{
    struct domain *d = domain_find(call->conn->h, ref);
    if (d == NULL)
        call_error(call, E(NOT_FOUND), "no domain '%s'", ref ? ref : "");
    return d;
}

/* Running or paused, with a monitor that has finished starting. */
bool rpc_need_running(struct call *call, struct domain *d)
{
    if (!domain_active(d) || d->mon == NULL) {
        call_error(call, E(BUSY), "domain %s is not running (state %s)", d->row.name,
                   domain_state_name(d->row.state));
        return false;
    }
    if (!d->mon->ready) {
        call_error(call, E(BUSY), "domain %s is still starting; try again", d->row.name);
        return false;
    }
    if (migrate_out_active(d)) {
        call_error(call, E(BUSY), "domain %s is being migrated; try again once that ends",
                   d->row.name);
        return false;
    }
    return true;
}

/* A config in a request becomes a stored row and a table entry. */
static struct domain *add_domain(struct call *call, Skiff__V1__DomainConfig *cfg,
                                 bool persistent);

struct domain *rpc_add_domain(struct call *call, Skiff__V1__DomainConfig *cfg, bool persistent)
{
    return add_domain(call, cfg, persistent);
}

static struct domain *add_domain(struct call *call, Skiff__V1__DomainConfig *cfg,
                                 bool persistent)
{
    struct hostd *h = call->conn->h;
    char msg[512];
    Skiff__V1__ErrorCode code = config_check(h, cfg, NULL, msg, sizeof msg);
    if (code != E(OK)) {
        call_error(call, code, "%s", msg);
        return NULL;
    }
    /* Decides the domain's label too: cfg->seclabel is what gets stored. */
    if (!xsm_domain_create(call, cfg, !persistent) ||
        !xsm_pool(call, vcpu_pool_name(h, cfg->pool), NULL, XSM_POOL__USE))
        return NULL;
    struct store_domain row = { 0 };
    snprintf(row.uuid, sizeof row.uuid, "%s", cfg->uuid);
    row.name = strdup(cfg->name);
    row.config_len = skiff__v1__domain_config__get_packed_size(cfg);
    row.config = malloc(row.config_len ? row.config_len : 1);
    row.seclabel = strdup(cfg->seclabel);
    row.pool = strdup(vcpu_pool_name(h, cfg->pool));
    row.reason = strdup("");
    if (row.name == NULL || row.config == NULL || row.seclabel == NULL || row.pool == NULL ||
        row.reason == NULL) {
        store_domain_clear(&row);
        call_error(call, E(INTERNAL), "out of memory");
        return NULL;
    }
    skiff__v1__domain_config__pack(cfg, row.config);
    row.state = SKIFF__V1__DOMAIN_STATE__DEFINED;
    row.persistent = persistent;
    row.autostart = cfg->autostart;
    int rc = store_domain_insert(h->store, &row);
    if (rc < 0) {
        store_domain_clear(&row);
        call_error(call, rc == -EEXIST ? E(EXISTS) : E(INTERNAL), "cannot store domain %s: %s",
                   cfg->name, strerror(-rc));
        return NULL;
    }
    struct domain *d;
    rc = domain_from_row(h, &row, &d);
    if (rc < 0) {
        store_domain_delete(h->store, row.uuid);
        store_domain_clear(&row);
        call_error(call, E(INTERNAL), "cannot load domain %s back: %s", cfg->name,
                   strerror(-rc));
        return NULL;
    }
    domtab_add(h, d);
    return d;
}

static void op_define(struct call *call, Skiff__V1__DefineRequest *rq)
{
    struct domain *d = add_domain(call, rq->config, true);
    if (d == NULL)
        return;
    domain_event(d, "defined", NULL);
    domain_reply_info(call, d);
}

static void op_create(struct call *call, Skiff__V1__CreateRequest *rq)
{
    struct domain *d = add_domain(call, rq->config, false);
    if (d == NULL)
        return;
    if (domain_start(d, rq->paused, call) < 0)
        domain_forget(d);   /* the call has its error already */
}

static void op_undefine(struct call *call, Skiff__V1__DomainRef *rq)
{
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, XSM_DOMAIN__UNDEFINE))
        return;
    if (domain_active(d) || d->mon != NULL || d->start_pending) {
        call_error(call, E(BUSY), "domain %s is %s; destroy it first", d->row.name,
                   domain_state_name(d->row.state));
        return;
    }
    struct hostd *h = d->h;
    char uuid[37], *name = strdup(d->row.name);
    char *label = strdup(d->row.seclabel ? d->row.seclabel : "");
    snprintf(uuid, sizeof uuid, "%s", d->row.uuid);
    int rc = domain_forget(d);
    if (rc < 0) {
        free(name);
        free(label);
        call_error(call, E(INTERNAL), "cannot remove domain from the store: %s", strerror(-rc));
        return;
    }
    events_emit(h, uuid, name ? name : "", label ? label : "", "undefined",
                SKIFF__V1__DOMAIN_STATE__STATE_UNSPECIFIED, NULL);
    free(name);
    free(label);
    call_reply_ok(call);
}

static void op_start(struct call *call, Skiff__V1__DomainRef *rq)
{
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, XSM_DOMAIN__START))
        return;
    if (domain_active(d) || d->mon != NULL || d->start_pending) {
        call_error(call, E(BUSY), "domain %s is already %s", d->row.name,
                   d->start_pending ? "starting" : domain_state_name(d->row.state));
        return;
    }
    domain_start(d, false, call);
}

static void list_reply(struct hostd *h, struct call *call, bool all)
{
    size_t n = 0, cap = h->domains.count;
    Skiff__V1__DomainInfo *infos = calloc(cap ? cap : 1, sizeof *infos);
    Skiff__V1__DomainInfo **ptrs = calloc(cap ? cap : 1, sizeof *ptrs);
    if (infos == NULL || ptrs == NULL) {
        free(infos);
        free(ptrs);
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        /* Like `xl list`: what exists, including preserved shutdown/crashed ones. */
        if (!all && d->row.state == SKIFF__V1__DOMAIN_STATE__DEFINED)
            continue;
        /* Each client lists what it may getinfo, and nothing else. */
        if (call->conn != NULL && !xsm_may_see(call->conn, d->row.seclabel))
            continue;
        if (n == cap)
            break;
        domain_info(d, &infos[n]);
        ptrs[n] = &infos[n];
        n++;
    }
    Skiff__V1__DomainList dl = SKIFF__V1__DOMAIN_LIST__INIT;
    dl.n_domains = n;
    dl.domains = ptrs;
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_DOMAINS;
    r.domains = &dl;
    call_reply(call, &r);
    free(infos);
    free(ptrs);
}

/* A list waiting for fresh statistics (the request is freed meanwhile). */
struct list_wait {
    struct call *call;
    bool all;
};

static void list_stats_done(struct hostd *h, void *arg)
{
    struct list_wait *w = arg;
    list_reply(h, w->call, w->all);
    free(w);
}

static void op_list(struct call *call, Skiff__V1__ListRequest *rq)
{
    struct hostd *h = call->conn->h;
    struct list_wait *w = malloc(sizeof *w);
    if (w == NULL) {
        list_reply(h, call, rq->all);   /* with the statistics we have */
        return;
    }
    w->call = call;
    w->all = rq->all;
    if (stats_refresh(h, list_stats_done, w) < 0) {
        free(w);
        list_reply(h, call, rq->all);
    }
}

static void info_cb(struct monitor *m, void *arg, int err,
                    const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct call *call = arg;
    if (call->dom == NULL || m->dom != call->dom) {
        /* It stopped meanwhile: a defined domain is still there to describe
         * (call->dom may be freed: found again by uuid, never dereferenced). */
        struct domain *d = call->conn ? domain_find_uuid(call->conn->h, call->uuid) : NULL;
        if (d != NULL)
            domain_reply_info(call, d);
        else
            call_error(call, E(NOT_FOUND), "domain %s was removed meanwhile", call->uuid);
        return;
    }
    if (err == 0 && rep->error == 0)
        domain_update_stats(m->dom, rep->stats);
    domain_reply_info(call, m->dom);
}

static void op_info(struct call *call, Skiff__V1__DomainRef *rq)
{
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, XSM_DOMAIN__GETINFO))
        return;
    /* Statistics younger than STATS_MAX_AGE_MS are served as they are:
     * a round trip to the monitor costs more than the answer itself. */
    bool fresh = d->stats_at_ns != 0 &&
                 now_monotonic_ns() - d->stats_at_ns < STATS_MAX_AGE_MS * 1000000ULL;
    if (!fresh && d->mon != NULL && d->mon->ready) {
        call->dom = d;
        snprintf(call->uuid, sizeof call->uuid, "%s", d->row.uuid);
        if (monitor_simple(d->mon, SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_STATS, info_cb,
                           call) == 0)
            return;
    }
    domain_reply_info(call, d);
}

/* Callback of pause/unpause: the monitor has parked or resumed the vCPU. */
static void pause_cb(struct monitor *m, void *arg, int err,
                     const Skiff__Monitor__V1__MonitorReply *rep, bool pause)
{
    struct call *call = arg;
    struct domain *d = rpc_callback_domain(call, m, err, false);
    if (d == NULL)
        return;
    if (rep->error != 0) {
        call_error(call, E(INTERNAL), "%s of %s failed: %s", pause ? "pause" : "unpause",
                   d->row.name, rep->message && *rep->message ? rep->message
                                                              : strerror(rep->error));
        return;
    }
    int state = pause ? SKIFF__V1__DOMAIN_STATE__PAUSED : SKIFF__V1__DOMAIN_STATE__RUNNING;
    if (d->row.state != state && domain_active(d)) {
        int old = d->row.state;
        d->row.state = state;
        if (domain_commit(d) < 0) {
            d->row.state = old;
            call_error(call, E(INTERNAL), "cannot record the new state of %s", d->row.name);
            return;
        }
        domain_event(d, pause ? "paused" : "unpaused", NULL);
        hostd_status_changed(d->h);
    }
    domain_reply_info(call, d);
}

static void pause_done(struct monitor *m, void *arg, int err,
                       const Skiff__Monitor__V1__MonitorReply *rep)
{
    pause_cb(m, arg, err, rep, true);
}

static void unpause_done(struct monitor *m, void *arg, int err,
                         const Skiff__Monitor__V1__MonitorReply *rep)
{
    pause_cb(m, arg, err, rep, false);
}

static void op_pause(struct call *call, Skiff__V1__DomainRef *rq, bool pause)
{
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, pause ? XSM_DOMAIN__PAUSE : XSM_DOMAIN__UNPAUSE) ||
        !rpc_need_running(call, d))
        return;
    call->dom = d;
    int rc = monitor_simple(d->mon,
                            pause ? SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_PAUSE
                                  : SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_UNPAUSE,
                            pause ? pause_done : unpause_done, call);
    if (rc < 0)
        call_error(call, E(INTERNAL), "cannot reach the monitor of %s: %s", d->row.name,
                   strerror(-rc));
}

/* Answer now, or park the call until the domain has stopped. */
static void reply_or_wait(struct call *call, struct domain *d)
{
    if (call->wait) {
        call->dom = d;
        list_add_tail(&d->waiters, &call->wait_link);
        return;
    }
    domain_reply_info(call, d);
}

static void shutdown_cb(struct monitor *m, void *arg, int err,
                        const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct call *call = arg;
    /* Stopped before the monitor answered: that is what was asked. */
    struct domain *d = rpc_callback_domain(call, m, err, true);
    if (d == NULL)
        return;
    if (rep->error != 0 && rep->error != EOPNOTSUPP_MONITOR) {
        call_error(call, E(INTERNAL), "shutdown of %s failed: %s", d->row.name,
                   rep->message && *rep->message ? rep->message : strerror(rep->error));
        return;
    }
    /* A guest without control events cannot be asked, but it still gets
     * the grace period to halt by itself before it is destroyed. */
    bool asked = rep->error == 0;
    if (d->intent == STOP_NONE) {
        uint32_t grace = call->grace_ms ? call->grace_ms : d->h->conf.shutdown_grace_ms;
        if (domain_arm_grace(d, grace, asked) < 0)
            log_err("domain %s: cannot arm the shutdown grace timer", d->row.name);
    }
    reply_or_wait(call, d);
}

static void op_shutdown(struct call *call, Skiff__V1__ShutdownRequest *rq)
{
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, XSM_DOMAIN__SHUTDOWN))
        return;
    call->wait = rq->wait;
    call->grace_ms = rq->grace_ms;
    if (domain_active(d) && d->mon != NULL && d->intent != STOP_NONE) {
        reply_or_wait(call, d);   /* already stopping */
        return;
    }
    if (!rpc_need_running(call, d))
        return;
    call->dom = d;
    int rc = monitor_guest_request(d->mon, SKIFF__MONITOR__V1__GUEST_REQUEST__GUEST_REQUEST_SHUTDOWN,
                                   shutdown_cb, call);
    if (rc < 0)
        call_error(call, E(INTERNAL), "cannot reach the monitor of %s: %s", d->row.name,
                   strerror(-rc));
}

static void reboot_cb(struct monitor *m, void *arg, int err,
                      const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct call *call = arg;
    struct domain *d = rpc_callback_domain(call, m, err, false);
    if (d == NULL)
        return;
    if (rep->error == EOPNOTSUPP_MONITOR) {
        domain_restart(d, "rebooted: destroyed and started again (the guest does not "
                          "handle reboot requests)");
    } else if (rep->error != 0) {
        call_error(call, E(INTERNAL), "reboot of %s failed: %s", d->row.name,
                   rep->message && *rep->message ? rep->message : strerror(rep->error));
        return;
    }
    domain_reply_info(call, d);
}

static void op_reboot(struct call *call, Skiff__V1__DomainRef *rq)
{
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, XSM_DOMAIN__REBOOT) || !rpc_need_running(call, d))
        return;
    if (d->intent != STOP_NONE) {
        call_error(call, E(BUSY), "domain %s is stopping", d->row.name);
        return;
    }
    call->dom = d;
    int rc = monitor_guest_request(d->mon, SKIFF__MONITOR__V1__GUEST_REQUEST__GUEST_REQUEST_REBOOT,
                                   reboot_cb, call);
    if (rc < 0)
        call_error(call, E(INTERNAL), "cannot reach the monitor of %s: %s", d->row.name,
                   strerror(-rc));
}

static void op_destroy(struct call *call, Skiff__V1__DomainRef *rq)
{
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, XSM_DOMAIN__DESTROY))
        return;
    if (d->mon != NULL && domain_active(d)) {
        /* Answered when the monitor reports the guest stopped. */
        call->wait = true;
        if (d->intent != STOP_DESTROY)
            domain_destroy(d, "destroyed");
        reply_or_wait(call, d);
        return;
    }
    if (d->row.state == SKIFF__V1__DOMAIN_STATE__SHUTDOWN ||
        d->row.state == SKIFF__V1__DOMAIN_STATE__CRASHED) {
        /* A preserved domain: destroying it ends the preservation. */
        if (!d->row.persistent) {
            domain_event(d, "destroyed", "removed");
            domain_forget(d);
            call_reply_ok(call);
            return;
        }
        int old = d->row.state;
        d->row.state = SKIFF__V1__DOMAIN_STATE__DEFINED;
        if (domain_commit(d) < 0) {
            d->row.state = old;
            call_error(call, E(INTERNAL), "cannot record the new state of %s", d->row.name);
            return;
        }
        domain_event(d, "destroyed", NULL);
        domain_reply_info(call, d);
        return;
    }
    call_error(call, E(BUSY), "domain %s is not running (state %s)", d->row.name,
               domain_state_name(d->row.state));
}

static void op_rename(struct call *call, Skiff__V1__RenameRequest *rq)
{
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, XSM_DOMAIN__RENAME))
        return;
    const char *name = rq->new_name;
    if (!config_name_valid(name)) {
        call_error(call, E(INVALID), "invalid domain name '%s'", name);
        return;
    }
    if (strcmp(name, d->row.name) == 0) {
        domain_reply_info(call, d);
        return;
    }
    struct domain *other = domain_find_name(d->h, name);
    if (other != NULL) {
        call_error(call, E(EXISTS), "a domain named '%s' already exists", name);
        return;
    }
    char *old = strdup(d->row.name);
    if (old == NULL || domtab_rename(d->h, d, name) < 0) {
        free(old);
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    if (domain_commit(d) < 0) {
        domtab_rename(d->h, d, old);
        free(old);
        call_error(call, E(INTERNAL), "cannot record the new name");
        return;
    }
    char detail[200];
    snprintf(detail, sizeof detail, "%s -> %s", old, name);
    domain_event(d, "renamed", detail);
    free(old);
    domain_reply_info(call, d);
}

/* Streams start with an empty acknowledgement, so a client knows it is attached. */
static void stream_ack(struct call *call)
{
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    call_send_more(call, &r);
}

static void op_console(struct call *call, Skiff__V1__ConsoleRequest *rq)
{
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, XSM_DOMAIN__CONSOLE))
        return;
    if (!domain_active(d) && !d->start_pending) {
        call_error(call, E(BUSY), "domain %s is not running (state %s)", d->row.name,
                   domain_state_name(d->row.state));
        return;
    }
    stream_ack(call);
    if (rq->history && d->console.len > 0) {
        uint8_t *buf = malloc(RING_SIZE);
        if (buf != NULL) {
            Skiff__V1__ConsoleData cd = SKIFF__V1__CONSOLE_DATA__INIT;
            cd.data.data = buf;
            cd.data.len = ring_copy(&d->console, buf);
            Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
            r.result_case = SKIFF__V1__RESPONSE__RESULT_CONSOLE;
            r.console = &cd;
            call_send_more(call, &r);
            free(buf);
        }
    }
    call->stream = true;
    call->dom = d;
    list_add_tail(&d->console_subs, &call->wait_link);
}

static void op_events(struct call *call, Skiff__V1__EventsRequest *rq)
{
    if (!xsm_host(call, XSM_HOST__EVENTS))
        return;
    stream_ack(call);
    events_subscribe(call->conn->h, call, rq->since_seq, true);
}

/* skiff audit: the recorded denials, then (follow) new ones. */
static void op_audit(struct call *call, Skiff__V1__AuditRequest *rq)
{
    if (!xsm_host(call, XSM_HOST__AUDIT))
        return;
    call->audit = true;
    stream_ack(call);
    events_subscribe(call->conn->h, call, rq->since_seq, rq->follow);
}

static void op_host_info(struct call *call)
{
    struct hostd *h = call->conn->h;
    if (!xsm_host(call, XSM_HOST__GETINFO))
        return;
    char hostname[256] = "";
    gethostname(hostname, sizeof hostname - 1);
    struct sysinfo si;
    Skiff__V1__HostInfo hi = SKIFF__V1__HOST_INFO__INIT;
    hi.hostname = hostname;
    hi.version = (char *)PACKAGE_VERSION;
    hi.started_at_ns = h->started_at_ns;
    uint64_t now = now_realtime_ns();
    hi.uptime_ns = now > h->started_at_ns ? now - h->started_at_ns : 0;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    hi.cpus = cpus > 0 ? (uint32_t)cpus : 0;
    if (sysinfo(&si) == 0)
        hi.memory_bytes = (uint64_t)si.totalram * si.mem_unit;
    unsigned running, defined;
    hostd_counts(h, &running, &defined);
    hi.domains_running = running;
    hi.domains_defined = defined;
    hosttopo_fill_summary(h, &hi);
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_HOST;
    r.host = &hi;
    call_reply(call, &r);
}

static void op_cancel(struct call *call, Skiff__V1__Cancel *rq)
{
    struct list *p, *t;
    list_for_each_safe(p, t, &call->conn->calls) {
        struct call *other = list_entry(p, struct call, conn_link);
        if (other != call && other->id == rq->request_id && other->stream) {
            call_reply_ok(other);   /* the stream's last message */
            call_reply_ok(call);
            return;
        }
    }
    call_error(call, E(NOT_FOUND), "no stream with request id %llu",
               (unsigned long long)rq->request_id);
}

void rpc_dispatch(struct conn *c, const Skiff__V1__Request *req)
{
    struct call *call = call_new(c, req->id);
    if (call == NULL) {
        log_err("out of memory for a request");
        conn_close(c);
        return;
    }
    log_debug("client %u: request %llu op %d", c->serial, (unsigned long long)req->id,
              (int)req->op_case);
    unsigned op = (unsigned)req->op_case;
    c->h->rpc_requests[op < HOSTD_RPC_OPS ? op : 0]++;
    switch (req->op_case) {
    case SKIFF__V1__REQUEST__OP_DEFINE: op_define(call, req->define); break;
    case SKIFF__V1__REQUEST__OP_UNDEFINE: op_undefine(call, req->undefine); break;
    case SKIFF__V1__REQUEST__OP_CREATE: op_create(call, req->create); break;
    case SKIFF__V1__REQUEST__OP_START: op_start(call, req->start); break;
    case SKIFF__V1__REQUEST__OP_LIST: op_list(call, req->list); break;
    case SKIFF__V1__REQUEST__OP_INFO: op_info(call, req->info); break;
    case SKIFF__V1__REQUEST__OP_PAUSE: op_pause(call, req->pause, true); break;
    case SKIFF__V1__REQUEST__OP_UNPAUSE: op_pause(call, req->unpause, false); break;
    case SKIFF__V1__REQUEST__OP_SHUTDOWN: op_shutdown(call, req->shutdown); break;
    case SKIFF__V1__REQUEST__OP_REBOOT: op_reboot(call, req->reboot); break;
    case SKIFF__V1__REQUEST__OP_DESTROY: op_destroy(call, req->destroy); break;
    case SKIFF__V1__REQUEST__OP_RENAME: op_rename(call, req->rename); break;
    case SKIFF__V1__REQUEST__OP_CONSOLE: op_console(call, req->console); break;
    case SKIFF__V1__REQUEST__OP_EVENTS: op_events(call, req->events); break;
    case SKIFF__V1__REQUEST__OP_HOST_INFO: op_host_info(call); break;
    case SKIFF__V1__REQUEST__OP_CANCEL: op_cancel(call, req->cancel); break;
    case SKIFF__V1__REQUEST__OP_HOST_TOPOLOGY:
    case SKIFF__V1__REQUEST__OP_POOL_CREATE:
    case SKIFF__V1__REQUEST__OP_POOL_DESTROY:
    case SKIFF__V1__REQUEST__OP_POOL_RENAME:
    case SKIFF__V1__REQUEST__OP_POOL_CPU_ADD:
    case SKIFF__V1__REQUEST__OP_POOL_CPU_REMOVE:
    case SKIFF__V1__REQUEST__OP_POOL_MIGRATE:
    case SKIFF__V1__REQUEST__OP_POOL_NUMA_SPLIT:
    case SKIFF__V1__REQUEST__OP_POOL_LIST:
    case SKIFF__V1__REQUEST__OP_VCPU_LIST:
    case SKIFF__V1__REQUEST__OP_VCPU_PIN:
    case SKIFF__V1__REQUEST__OP_SCHED_CREDIT:
        rpc_pool_dispatch(call, req);
        break;
    case SKIFF__V1__REQUEST__OP_GET_ENFORCE: xsm_op_getenforce(call); break;
    case SKIFF__V1__REQUEST__OP_SET_ENFORCE: xsm_op_setenforce(call, req->set_enforce); break;
    case SKIFF__V1__REQUEST__OP_LOAD_POLICY: xsm_op_loadpolicy(call, req->load_policy); break;
    case SKIFF__V1__REQUEST__OP_LABELS: xsm_op_labels(call); break;
    case SKIFF__V1__REQUEST__OP_AUDIT: op_audit(call, req->audit); break;
    case SKIFF__V1__REQUEST__OP_SAVE: rpc_save(call, req->save); break;
    case SKIFF__V1__REQUEST__OP_RESTORE: rpc_restore(call, req->restore); break;
    case SKIFF__V1__REQUEST__OP_MIGRATE: rpc_migrate(call, req->migrate); break;
    case SKIFF__V1__REQUEST__OP_MIGRATE_IN: rpc_migrate_in(call, req->migrate_in); break;
    case SKIFF__V1__REQUEST__OP_MIGRATE_DATA: rpc_migrate_data(call, req->migrate_data); break;
    case SKIFF__V1__REQUEST__OP_MIGRATE_COMMIT: rpc_migrate_commit(call); break;
    default:
        call_error(call, E(UNSUPPORTED), "unknown request (this hostd is %s)", PACKAGE_VERSION);
        break;
    }
}
