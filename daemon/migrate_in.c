/*
 * skiff migrate, the destination side: a peer hostd's requests on its TLS
 * connection.
 *
 * MigrateIn is checked like a create (policy: the peer's migrate_in on
 * this host and the domain's migrate_in on its label; name and uuid free;
 * kernel and disks present) and answered. The stream that follows is
 * appended to an unlinked file in the state directory as it comes: each
 * chunk is one write, so the event loop never waits on the peer. At
 * commit the stream is read and verified in one pass (migrate.h) into
 * a memfd, turned into a snapshot and restored, which records the domain
 * and starts it; the commit is answered once it runs. Until then nothing
 * runs here and nothing is recorded: a peer that goes away, sends garbage
 * or never commits leaves only the file, closed with its connection.
 *
 * The commit's conversion runs in the loop; it is bounded by guest RAM
 * (a copy and a read of it) and is part of the downtime (doc/
 * architecture.md says what a streaming restore would save).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conn.h"
#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "migrate.h"
#include "migrate_peer.h"
#include "pool.h"
#include "rpc.h"
#include "save_restore.h"
#include "util.h"
#include "xsm.h"

struct mig_in {
    struct conn *conn;
    struct list link;
    int fd;                  /* the stream so far */
    uint64_t len;
    uint64_t memory_bytes;
    bool persistent;
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

static void in_free(struct mig_in *m)
{
    list_del(&m->link);
    if (m->fd >= 0)
        close(m->fd);
    free(m);
}

void migrate_in_conn_gone(struct conn *c)
{
    struct mig_in *m = find_in(c);
    if (m != NULL) {
        log_info("incoming migration of %s: the peer went away before the commit", m->name);
        in_free(m);
    }
}

static bool path_ok(const char *path, const char *what, char *msg, size_t size)
{
    if (access(path, R_OK) == 0)
        return true;
    snprintf(msg, size, "%s %s: %s", what, path, strerror(errno));
    return false;
}

void rpc_migrate_in(struct call *call, const Skiff__V1__MigrateIn *rq)
{
    struct conn *c = call->conn;
    struct hostd *h = c->h;
    Skiff__V1__DomainConfig *cfg = rq->config;
    if (c->transport != CONN_TLS) {
        call_error(call, E(INVALID), "migrations come from a peer hostd over TLS");
        return;
    }
    if (cfg == NULL || find_in(c) != NULL) {
        call_error(call, E(INVALID), cfg ? "a migration is already coming on this connection"
                                         : "no domain configuration");
        return;
    }
    if (!xsm_host(call, XSM_PEER__MIGRATE_IN) ||
        !xsm_domain_label(call, cfg->seclabel, cfg->name, XSM_DOMAIN__MIGRATE_IN))
        return;
    char msg[600];
    if (domain_find_name(h, cfg->name) != NULL || domain_find_uuid(h, cfg->uuid) != NULL) {
        call_error(call, E(EXISTS), "a domain named %s or with uuid %s exists here",
                   cfg->name, cfg->uuid);
        return;
    }
    if (cfg->memory_mb == 0 || cfg->memory_mb << 20 != rq->memory_bytes) {
        call_error(call, E(INVALID), "the memory size does not match the configuration");
        return;
    }
    if (!path_ok(cfg->kernel, "kernel", msg, sizeof msg)) {
        call_error(call, E(INVALID), "%s", msg);
        return;
    }
    for (size_t i = 0; i < cfg->n_disks; i++) {
        if (!path_ok(cfg->disks[i]->target, "disk", msg, sizeof msg)) {
            call_error(call, E(INVALID), "%s", msg);
            return;
        }
    }
    struct mig_in *m = calloc(1, sizeof *m);
    if (m == NULL) {
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    m->conn = c;
    m->memory_bytes = rq->memory_bytes;
    m->persistent = rq->persistent;
    snprintf(m->name, sizeof m->name, "%s", cfg->name);
    m->fd = open(h->conf.state_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (m->fd < 0) {
        call_error(call, E(INTERNAL), "cannot keep the stream in %s: %s", h->conf.state_dir,
                   strerror(errno));
        free(m);
        return;
    }
    list_add_tail(&ins, &m->link);
    char who[CONN_WHO_MAX];
    log_info("incoming migration of %s from %s", m->name, conn_who(c, who, sizeof who));
    call_reply_ok(call);
}

void rpc_migrate_data(struct call *call, const Skiff__V1__MigrateData *rq)
{
    struct mig_in *m = find_in(call->conn);
    if (m == NULL) {
        call_error(call, E(INVALID), "no migration is coming on this connection");
        return;
    }
    /* Bounded: a stream longer than a few times RAM is no migration. */
    if (m->len + rq->data.len > 8 * m->memory_bytes + (64U << 20) ||
        pwrite(m->fd, rq->data.data, rq->data.len, (off_t)m->len) != (ssize_t)rq->data.len) {
        call_error(call, E(INVALID), "the migration stream is too long or cannot be kept");
        in_free(m);
        return;
    }
    m->len += rq->data.len;
    call_free(call);            /* no answer per chunk: the commit's says it all */
}

struct memctx {
    int fd;
    uint64_t size;
};

static int get_memory(void *ctx, uint64_t size)
{
    struct memctx *mc = ctx;
    if (size != mc->size)
        return -1;
    return mc->fd;
}

void rpc_migrate_commit(struct call *call)
{
    struct conn *c = call->conn;
    struct hostd *h = c->h;
    struct mig_in *m = find_in(c);
    if (m == NULL) {
        call_error(call, E(INVALID), "no migration is coming on this connection");
        return;
    }
    char err[512] = "";
    struct snap_image img = { 0 };
    struct memctx mc = { memfd_create("skiff-migrate", MFD_CLOEXEC), m->memory_bytes };
    int rc = mc.fd < 0 ? -errno : ftruncate(mc.fd, (off_t)mc.size) < 0 ? -errno : 0;
    int src = m->fd;
    if (rc == 0 && lseek(src, 0, SEEK_SET) < 0)
        rc = -errno;
    if (rc == 0)
        rc = mig_recv(snap_fd_source, &src, get_memory, &mc, &img, err, sizeof err);
    else
        snprintf(err, sizeof err, "%s", strerror(-rc));
    char path[4096];
    snprintf(path, sizeof path, "%s/migrate-in-%s.snap", h->conf.state_dir, m->name);
    /* A pool this host lacks: Pool-0. */
    if (rc == 0 && img.header->config->pool[0] != '\0' &&
        pool_find(&h->pools, img.header->config->pool) < 0)
        img.header->config->pool[0] = '\0';
    if (rc == 0) {
        uint8_t *mem = mmap(NULL, mc.size, PROT_READ, MAP_SHARED, mc.fd, 0);
        struct snapshot_totals t;
        rc = snapshot_file_write(path, img.header->config, img.machine,
                                 mem == MAP_FAILED ? NULL : mem, mc.fd, 0, &t, err,
                                 sizeof err);
        if (mem != MAP_FAILED)
            munmap(mem, mc.size);
    }
    if (mc.fd >= 0)
        close(mc.fd);
    char name[128];
    snprintf(name, sizeof name, "%s", m->name);
    bool persistent = m->persistent;
    in_free(m);
    if (rc < 0) {
        log_warn("incoming migration of %s refused: %s", name, err);
        call_error(call, E(INVALID), "the migration stream of %s: %s", name, err);
        snap_image_free(&img);
        return;
    }
    snap_image_free(&img);
    /* The restore answers the commit once the domain runs (or fails and
     * leaves nothing); its file is read through its open descriptor. */
    Skiff__V1__RestoreRequest rr = SKIFF__V1__RESTORE_REQUEST__INIT;
    rr.path = path;
    /* The policy spoke at MigrateIn (peer and domain migrate_in); a peer
     * holds no create or restore permission of its own, so the restore
     * runs as hostd itself (uid 0, as mapped by the labels file). */
    struct xsm_subject peer = c->subj;
    c->subj = (struct xsm_subject){ .uid = 0, .gid = 0, .pid = getpid() };
    rpc_restore(call, &rr);
    c->subj = peer;
    unlink(path);
    struct domain *d = domain_find_name(h, name);
    if (d != NULL) {
        char who[CONN_WHO_MAX];
        domain_event(d, "migrated-in", conn_who(c, who, sizeof who));
        /* Defined on the source: defined here. */
        if (persistent && !d->row.persistent) {
            d->row.persistent = true;
            if (domain_commit(d) < 0)
                log_err("domain %s: cannot record it as defined", name);
        }
    }
}
