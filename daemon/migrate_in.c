/*
 * skiff migrate, the destination side: a peer hostd's requests on its TLS
 * connection.
 *
 * MigrateIn is checked like a create (policy: the peer's migrate_in on
 * this host and the domain's migrate_in on its label; name and uuid free;
 * kernel and disks present). The domain is then recorded (transient,
 * paused) and its monitor started with --incoming, which hands over guest
 * RAM's memfd; MigrateIn is answered once that is done, so the stream
 * that follows lands straight in guest RAM as it arrives (migrate.h's
 * parser; conn.c hands each chunk over where it lies in its input buffer,
 * see migrate_frame.h). The
 * commit then only loads the vCPU state and unpauses: the downtime does
 * not grow with guest RAM.
 *
 * Until the commit's answer the domain never runs here. A peer that goes
 * away, sends garbage or never commits gets the domain forgotten and its
 * monitor ended: nothing is left running or recorded.
 */
#include "config.h"

#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "frame.h"
#include "migrate.h"
#include "migrate_frame.h"
#include "migrate_peer.h"
#include "monitor.h"
#include "pool.h"
#include "populate.h"
#include "rpc.h"
#include "store.h"
#include "util.h"
#include "xsm.h"

struct mig_in {
    struct conn *conn;          /* NULL once the peer has gone (during the commit) */
    struct list link;
    struct domain *d;           /* NULL once it went away */
    struct mig_rx *rx;          /* NULL until guest RAM is at hand */
    int memfd;                  /* guest RAM, the monitor's */
    uint64_t size;
    uint8_t *resident;          /* the pages the source holds (MigrateIn) */
    size_t resident_len;
    struct populate *populate;  /* reserving them before the stream */
    struct call *accept;        /* MigrateIn, answered once they are */
    uint64_t received;
    struct snap_image img;      /* at the commit: the state being loaded */
    struct call *commit;        /* answered once the domain runs */
    bool failed;
    bool persistent;
    bool paused;                /* paused on the source: stays paused here */
    char name[128];
};

static struct list ins = { &ins, &ins };

static struct mig_in *find_in(struct conn *c)
{
    struct list *p, *t;
    list_for_each_safe(p, t, &ins) {
        struct mig_in *m = list_entry(p, struct mig_in, link);
        if (m->conn == c)
            return m;
    }
    return NULL;
}

/* Guest RAM and the parser go: nothing more will be written. */
static void drop_memory(struct mig_in *m)
{
    mig_rx_free(m->rx);
    m->rx = NULL;
    populate_stop(m->populate);
    m->populate = NULL;
    if (m->memfd >= 0)
        close(m->memfd);
    m->memfd = -1;
}

static void in_free(struct mig_in *m)
{
    list_del(&m->link);
    if (m->d != NULL)
        m->d->incoming = NULL;
    drop_memory(m);
    snap_image_free(&m->img);
    free(m->resident);
    free(m);
}

/*
 * Give up: the domain never ran here, so it is forgotten (its monitor
 * ended, its row deleted, a MigrateIn still waiting answered). m itself
 * stays until its connection goes, refusing whatever else comes on it.
 */
static void fail_in(struct mig_in *m, const char *why)
{
    if (m->failed)
        return;
    m->failed = true;
    log_warn("incoming migration of %s failed: %s", m->name, why);
    drop_memory(m);
    if (m->commit != NULL) {
        call_error(m->commit, E(INVALID), "the migration of %s: %s", m->name, why);
        m->commit = NULL;
    }
    if (m->accept != NULL) {
        call_error(m->accept, E(INTERNAL), "the migration of %s: %s", m->name, why);
        m->accept = NULL;
    }
    struct domain *d = m->d;
    m->d = NULL;
    if (d != NULL) {
        /* Last: its pending monitor requests fail now, and a callback may
         * free m (a commit whose peer has gone). */
        struct hostd *h = d->h;
        d->incoming = NULL;
        if (domain_forget(d) < 0)
            domain_destroy(d, "incoming migration failed");
        hostd_status_changed(h);
    }
}

void migrate_in_discard(struct domain *d)
{
    struct mig_in *m = d->incoming;
    if (m == NULL)
        return;
    d->incoming = NULL;
    m->d = NULL;
    fail_in(m, "the domain went away here");
}

void migrate_in_conn_gone(struct conn *c)
{
    struct mig_in *m = find_in(c);
    if (m == NULL)
        return;
    if (m->commit != NULL) {
        m->conn = NULL;         /* committed: it finishes, and frees m */
        return;
    }
    if (!m->failed)
        fail_in(m, "the peer went away before the commit");
    in_free(m);
}

static bool path_ok(const char *path, const char *what, char *msg, size_t size)
{
    if (access(path, R_OK) == 0)
        return true;
    snprintf(msg, size, "%s %s: %s", what, path, strerror(errno));
    return false;
}

/* The checks of a create, before anything is recorded. */
static bool acceptable(struct call *call, const Skiff__V1__MigrateIn *rq)
{
    struct conn *c = call->conn;
    struct hostd *h = c->h;
    Skiff__V1__DomainConfig *cfg = rq->config;
    if (c->transport != CONN_TLS) {
        call_error(call, E(INVALID), "migrations come from a peer hostd over TLS");
        return false;
    }
    if (cfg == NULL || find_in(c) != NULL) {
        call_error(call, E(INVALID), cfg ? "a migration is already coming on this connection"
                                         : "no domain configuration");
        return false;
    }
    if (!xsm_host(call, XSM_PEER__MIGRATE_IN) ||
        !xsm_domain_label(call, cfg->seclabel, cfg->name, XSM_DOMAIN__MIGRATE_IN))
        return false;
    char msg[600];
    if (domain_find_name(h, cfg->name) != NULL || domain_find_uuid(h, cfg->uuid) != NULL) {
        call_error(call, E(EXISTS), "a domain named %s or with uuid %s exists here",
                   cfg->name, cfg->uuid);
        return false;
    }
    if (cfg->memory_mb == 0 || cfg->memory_mb << 20 != rq->memory_bytes) {
        call_error(call, E(INVALID), "the memory size does not match the configuration");
        return false;
    }
    if (!path_ok(cfg->kernel, "kernel", msg, sizeof msg)) {
        call_error(call, E(INVALID), "%s", msg);
        return false;
    }
    for (size_t i = 0; i < cfg->n_disks; i++) {
        if (!path_ok(cfg->disks[i]->target, "disk", msg, sizeof msg)) {
            call_error(call, E(INVALID), "%s", msg);
            return false;
        }
    }
    return true;
}

void rpc_migrate_in(struct call *call, const Skiff__V1__MigrateIn *rq)
{
    struct conn *c = call->conn;
    struct hostd *h = c->h;
    if (!acceptable(call, rq))
        return;
    Skiff__V1__DomainConfig *cfg = rq->config;
    /* A pool this host lacks: Pool-0. */
    if (cfg->pool[0] != '\0' && pool_find(&h->pools, cfg->pool) < 0)
        cfg->pool[0] = '\0';
    struct mig_in *m = calloc(1, sizeof *m);
    if (m == NULL || store_begin(h->store) < 0) {
        free(m);
        call_error(call, E(INTERNAL), "out of memory or no transaction");
        return;
    }
    m->conn = c;
    m->memfd = -1;
    m->persistent = rq->persistent;
    m->paused = rq->paused;
    if (rq->resident.len > 0 && (m->resident = malloc(rq->resident.len)) != NULL) {
        memcpy(m->resident, rq->resident.data, rq->resident.len);
        m->resident_len = rq->resident.len;
    }
    snprintf(m->name, sizeof m->name, "%s", cfg->name);
    list_add_tail(&ins, &m->link);
    /* The policy spoke above (peer and domain migrate_in); a peer holds
     * no create permission of its own, so the domain is added as hostd
     * itself (uid 0, as mapped by the labels file). */
    struct xsm_subject peer = c->subj;
    c->subj = (struct xsm_subject){ .uid = 0, .gid = 0, .pid = getpid() };
    struct domain *d = rpc_add_domain(call, cfg, false);
    c->subj = peer;
    if (d == NULL) {
        store_rollback(h->store);
        in_free(m);
        return;
    }
    m->d = d;
    d->incoming = m;
    if (domain_start(d, true, call) < 0) {   /* the call has its error */
        m->failed = true;       /* nothing to say twice */
        d->incoming = NULL;
        m->d = NULL;
        domain_forget(d);
        store_rollback(h->store);
        in_free(m);
        return;
    }
    if (store_commit(h->store) < 0) {
        d->start_call = NULL;
        call_error(call, E(INTERNAL), "cannot record the incoming domain");
        fail_in(m, "not recorded");
        return;
    }
    char who[CONN_WHO_MAX];
    log_info("incoming migration of %s from %s", m->name, conn_who(c, who, sizeof who));
}

static int guest_ram(void *ctx, uint64_t size)
{
    struct mig_in *m = ctx;
    return size == m->size ? m->memfd : -1;
}

/* The source's pages are had here: the stream can come. */
static void reserved(void *arg, int err)
{
    struct mig_in *m = arg;
    struct call *call = m->accept;
    m->accept = NULL;
    populate_stop(m->populate);
    m->populate = NULL;
    if (err < 0) {
        char why[300];
        snprintf(why, sizeof why, "cannot reserve its memory here: %s", strerror(-err));
        call_error(call, E(INTERNAL), "the migration of %s: %s", m->name, why);
        fail_in(m, why);
        return;
    }
    call_reply_ok(call);
}

/* Guest RAM's memfd is here: the source's pages are reserved, then the
 * stream can come. */
static void memory_cb(struct monitor *mon, void *arg, int err,
                      const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct mig_in *m = arg;
    int fd = err == 0 ? monitor_take_fd(mon) : -1;
    struct domain *d = m->d;
    if (d == NULL || m->failed) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct call *call = d->start_call;
    d->start_call = NULL;
    uint64_t size = rep != NULL && rep->stats != NULL ? rep->stats->memory_bytes : 0;
    if (fd >= 0 && size == d->cfg->memory_mb << 20) {
        m->memfd = fd;
        m->size = size;
        m->rx = mig_rx_new(guest_ram, m);
    } else if (fd >= 0) {
        close(fd);
    }
    if (m->rx == NULL) {
        if (call != NULL)
            call_error(call, E(INTERNAL), "the monitor of %s did not hand over its memory",
                       m->name);
        fail_in(m, "no guest memory to receive into");
        return;
    }
    if (call == NULL)
        return;
    m->populate = populate_start(d->h->base, fd, size, m->resident, m->resident_len,
                                 reserved, m);
    if (m->populate != NULL)
        m->accept = call;
    else
        call_reply_ok(call);
}

void migrate_in_monitor_ready(struct domain *d)
{
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__Empty e = SKIFF__MONITOR__V1__EMPTY__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_GET_MEMORY;
    req.get_memory = &e;
    if (monitor_request(d->mon, &req, memory_cb, d->incoming) < 0) {
        struct call *call = d->start_call;
        d->start_call = NULL;
        call_error(call, E(INTERNAL), "cannot reach the monitor of %s", d->row.name);
        fail_in(d->incoming, "cannot reach the monitor");
    }
}

/* The running migration on c, or NULL with call answered. */
static struct mig_in *running_in(struct call *call)
{
    struct mig_in *m = find_in(call->conn);
    if (m == NULL || m->failed || m->rx == NULL || m->accept != NULL || m->commit != NULL) {
        call_error(call, E(INVALID), m == NULL ? "no migration is coming on this connection"
                                     : m->failed ? "the incoming migration failed already"
                                                 : "the migration is not receiving now");
        return NULL;
    }
    return m;
}

static int feed(struct mig_in *m, const uint8_t *p, size_t n, char *err, size_t size)
{
    /* Bounded: a stream longer than a few times RAM is no migration. */
    if (m->received + n > 8 * m->size + (64U << 20)) {
        snprintf(err, size, "the stream is longer than 8 times guest memory");
        return -EFBIG;
    }
    m->received += n;
    int rc = mig_rx_feed(m->rx, p, n);
    if (rc < 0)
        snprintf(err, size, "%s", mig_rx_error(m->rx));
    return rc;
}

/* A chunk taken: no answer, the commit's says it all; a bad one ends it. */
static void data_taken(struct call *call, struct mig_in *m, int rc, const char *err)
{
    if (rc < 0) {
        call_error(call, E(INVALID), "the migration stream of %s: %s", m->name, err);
        fail_in(m, err);
        return;
    }
    call_free(call);
}

void rpc_migrate_data(struct call *call, const Skiff__V1__MigrateData *rq)
{
    struct mig_in *m = running_in(call);
    if (m == NULL)
        return;
    char err[600];
    int rc = feed(m, rq->data.data, rq->data.len, err, sizeof err);
    data_taken(call, m, rc, err);
}

bool migrate_in_frame(struct conn *c, struct evbuffer *in, uint32_t n)
{
    struct mig_in *m = find_in(c);
    if (m == NULL || m->failed || m->rx == NULL || m->accept != NULL || m->commit != NULL)
        return false;
    uint8_t head[SKIFF_FRAME_HEADER + MIG_FRAME_PREFIX_MAX];
    size_t k = SKIFF_FRAME_HEADER + (n < MIG_FRAME_PREFIX_MAX ? n : MIG_FRAME_PREFIX_MAX);
    uint64_t id;
    size_t off;
    if (evbuffer_copyout(in, head, k) != (ev_ssize_t)k ||
        !mig_frame_parse(head + SKIFF_FRAME_HEADER, k - SKIFF_FRAME_HEADER, n, &id, &off))
        return false;
    struct call *call = call_new(c, id);
    if (call == NULL)
        return false;
    c->h->rpc_requests[SKIFF__V1__REQUEST__OP_MIGRATE_DATA]++;
    evbuffer_drain(in, SKIFF_FRAME_HEADER + off);
    /* The data, a buffer chain at a time, then drained. */
    char err[600];
    int rc = 0;
    for (size_t left = n - off; left > 0;) {
        struct evbuffer_iovec v[8];
        int nv = evbuffer_peek(in, (ev_ssize_t)left, NULL, v, 8);
        size_t took = 0;
        for (int i = 0; i < nv && i < 8 && took < left; i++) {
            size_t len = v[i].iov_len < left - took ? v[i].iov_len : left - took;
            if (rc == 0)
                rc = feed(m, v[i].iov_base, len, err, sizeof err);
            took += len;
        }
        evbuffer_drain(in, took);
        left -= took;
    }
    data_taken(call, m, rc, err);
    return true;
}

/* Unpaused (or left paused, as on the source): it is here now. */
static void unpause_cb(struct monitor *mon, void *arg, int err,
                       const Skiff__Monitor__V1__MonitorReply *rep)
{
    (void)mon;
    struct mig_in *m = arg;
    struct domain *d = m->d;
    if (d == NULL || m->failed) {
        if (m->conn == NULL)
            in_free(m);
        return;
    }
    if (err < 0 || rep->error != 0) {
        fail_in(m, err < 0 ? "the monitor went away" : "cannot start the vCPUs");
        if (m->conn == NULL)
            in_free(m);
        return;
    }
    /* It runs here now: say so first, the bookkeeping follows. */
    struct call *call = m->commit;
    m->commit = NULL;
    d->row.state = m->paused ? SKIFF__V1__DOMAIN_STATE__PAUSED
                             : SKIFF__V1__DOMAIN_STATE__RUNNING;
    d->row.persistent = m->persistent;      /* defined on the source: defined here */
    if (domain_commit(d) < 0)
        log_err("domain %s: cannot record it as running", d->row.name);
    domain_reply_info(call, d);
    char who[CONN_WHO_MAX] = "a peer";
    if (m->conn != NULL)
        conn_who(m->conn, who, sizeof who);
    domain_event(d, "migrated-in", who);
    hostd_status_changed(d->h);
    log_info("incoming migration of %s: %s here (%llu bytes)", m->name,
             m->paused ? "paused" : "running", (unsigned long long)m->received);
    in_free(m);                 /* done: the connection may carry nothing more of it */
}

static void state_cb(struct monitor *mon, void *arg, int err,
                     const Skiff__Monitor__V1__MonitorReply *rep)
{
    (void)mon;
    struct mig_in *m = arg;
    if (m->d == NULL || m->failed)
        return;
    if (err < 0 || rep->error != 0)
        fail_in(m, err < 0 ? "the monitor went away"
                           : rep->message && *rep->message ? rep->message
                                                           : "the vCPU state was refused");
}

void rpc_migrate_commit(struct call *call)
{
    struct mig_in *m = running_in(call);
    if (m == NULL)
        return;
    if (!mig_rx_done(m->rx)) {
        mig_rx_end(m->rx);
        char why[600];
        snprintf(why, sizeof why, "%s", mig_rx_error(m->rx));
        call_error(call, E(INVALID), "the migration stream of %s: %s", m->name, why);
        fail_in(m, why);
        return;
    }
    mig_rx_take(m->rx, &m->img);
    m->commit = call;
    struct domain *d = m->d;
    uint32_t vcpus = d->cfg->vcpus ? d->cfg->vcpus : 1;
    if (m->img.header->vcpu_count != vcpus) {
        fail_in(m, "corrupt: the stream's vCPU count does not match the configuration");
        return;
    }
    /* State, then unpause: the monitor takes them in order, and an unpause
     * after a refused state fails too. A domain paused on the source gets
     * a STATS instead, to hear that the state went in. */
    Skiff__Monitor__V1__MonitorRequest st = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    st.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_SET_STATE;
    st.set_state = m->img.machine;
    if (monitor_request(d->mon, &st, state_cb, m) < 0 ||
        monitor_simple(d->mon, m->paused ? SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_STATS
                                         : SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_UNPAUSE,
                       unpause_cb, m) < 0)
        fail_in(m, "cannot reach the monitor");
}
