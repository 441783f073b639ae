/*
 * skiff migrate, the destination side: a peer hostd's requests on its TLS
 * connection.
 *
 * MigrateIn is checked like a create (policy: the peer's migrate_in on
 * this host and the domain's migrate_in on its label; name and uuid free;
 * kernel and disks present). The domain is then recorded (transient,
 * paused) and its monitor started with --incoming, which hands over guest
 * RAM's memfd. hostd maps it, faults in the pages the source holds
 * (populate.h) and answers MigrateIn; the stream that follows is read off
 * the socket by migrate_reader.h and decrypted straight into guest RAM
 * (migrate.h's parser says where, and checks each record). The commit
 * then only loads the vCPU state and unpauses: the downtime does not grow
 * with guest RAM.
 *
 * Until the commit's answer the domain never runs here. A peer that goes
 * away, sends garbage or never commits gets the domain forgotten and its
 * monitor ended: nothing is left running or recorded.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conn.h"
#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "frame.h"
#include "migrate.h"
#include "migrate_peer.h"
#include "migrate_reader.h"
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
    uint8_t *mem;               /* mapped here, for the stream (or NULL) */
    uint64_t size;
    uint8_t *resident;          /* the pages the source holds (MigrateIn) */
    size_t resident_len;
    struct populate *populate;  /* reserving them before the stream */
    struct call *accept;        /* MigrateIn, answered once they are */
    struct mig_reader *reader;  /* the stream, off the connection's socket */
    struct call *frame;         /* the MigrateData being read, */
    int frame_rc;               /* how it went so far */
    char frame_err[600];
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
    mig_reader_stop(m->reader);
    m->reader = NULL;
    call_free(m->frame);
    m->frame = NULL;
    mig_rx_free(m->rx);
    m->rx = NULL;
    populate_stop(m->populate);
    m->populate = NULL;
    if (m->mem != NULL)
        munmap(m->mem, m->size);
    m->mem = NULL;
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

static void accepted(struct mig_in *m, struct call *call);

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
    accepted(m, call);
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
        /* Mapped, the stream is read straight into it (migrate_reader.h);
         * without, it is written through the memfd. */
        void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (mem != MAP_FAILED && m->rx != NULL) {
            m->mem = mem;
            mig_rx_use_mapping(m->rx, m->mem);
        } else if (mem != MAP_FAILED) {
            munmap(mem, size);
        }
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
    m->populate = populate_start(d->h->base, fd, m->mem, size, m->resident, m->resident_len,
                                 reserved, m);
    if (m->populate != NULL)
        m->accept = call;
    else
        accepted(m, call);
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
        if (call != NULL)
            call_error(call, E(INVALID), "the migration stream of %s: %s", m->name, err);
        fail_in(m, err);
        return;
    }
    call_free(call);
}

/* MigrateData the reader did not take: sent before MigrateIn was
 * answered, or with no migration coming on this connection. */
void rpc_migrate_data(struct call *call, const Skiff__V1__MigrateData *rq)
{
    (void)rq;
    struct mig_in *m = running_in(call);
    if (m != NULL)
        call_error(call, E(INVALID), "the migration stream comes after MigrateIn is answered");
}

/* A MigrateData frame, from the reader: begun, its data in pieces (read
 * where frame_place says), ended. */
static void frame_begin(void *arg, uint64_t id)
{
    struct mig_in *m = arg;
    m->frame = call_new(m->conn, id);   /* NULL (no memory): no answer */
    m->frame_rc = 0;
    m->conn->h->rpc_requests[SKIFF__V1__REQUEST__OP_MIGRATE_DATA]++;
}

static size_t frame_place(void *arg, uint8_t **to)
{
    struct mig_in *m = arg;
    return m->frame_rc == 0 && !m->failed ? mig_rx_place(m->rx, to) : 0;
}

static void frame_data(void *arg, const uint8_t *p, size_t n)
{
    struct mig_in *m = arg;
    if (m->frame_rc == 0 && !m->failed)
        m->frame_rc = feed(m, p, n, m->frame_err, sizeof m->frame_err);
}

static void frame_end(void *arg)
{
    struct mig_in *m = arg;
    struct call *call = m->frame;
    m->frame = NULL;
    if (m->failed) {            /* it failed meanwhile: said already */
        call_free(call);
        return;
    }
    data_taken(call, m, m->frame_rc, m->frame_err);
}

static void frame_other(void *arg)
{
    struct mig_in *m = arg;
    mig_reader_stop(m->reader);
    m->reader = NULL;
}

static const struct mig_reader_ops reader_ops = { frame_begin, frame_place, frame_data,
                                                  frame_end, frame_other };

/* The stream comes next, read off the socket: MigrateIn is answered once
 * the reader has the connection's input. A peer that sent bytes already
 * (not waiting for the answer) is refused. */
static void accepted(struct mig_in *m, struct call *call)
{
    struct hostd *h = m->conn->h;
    /* A stream that sends nothing for migrate_timeout_ms has failed. */
    m->reader = mig_reader_start(m->conn, &reader_ops, m, h->conf.migrate_timeout_ms);
    if (m->reader != NULL) {
        call_reply_ok(call);
        return;
    }
    const char *why = "its stream came before MigrateIn was answered, or no memory to read it";
    call_error(call, E(INVALID), "the migration of %s: %s", m->name, why);
    fail_in(m, why);
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
