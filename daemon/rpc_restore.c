/*
 * skiff restore: read and check everything in the snapshot but guest RAM,
 * record the domain and start skiff-hv --incoming in one transaction,
 * then, once the monitor is up, copy the saved pages into its memfd
 * (zero pages cost nothing: the memfd starts as holes), load the vCPU
 * state and unpause. Any failure destroys the half-restored domain, which
 * is transient until then, so nothing is left running or recorded.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config-file.h"
#include "conn.h"
#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "monitor.h"
#include "rpc.h"
#include "xsm.h"
#include "save_restore.h"
#include "snapshot.h"
#include "store.h"
#include "util.h"

struct restore {
    struct call *call;
    char *path;
    int fd;
    struct snap_image img;
    bool paused;
    unsigned refs;          /* monitor replies to come, and a running callback */
    unsigned loaded;        /* of memory and state, those in place */
    bool failed;            /* answered with an error; wait out the replies */
};

static void restore_free(struct restore *r)
{
    if (r == NULL)
        return;
    if (r->fd >= 0)
        close(r->fd);
    snap_image_free(&r->img);
    free(r->path);
    free(r);
}

/* Forgetting a domain fails its pending monitor requests at once, so r
 * lives until the last reference (a reply or a running callback) ends. */
static void release(struct restore *r)
{
    if (--r->refs == 0)
        restore_free(r);
}

void restore_discard(struct domain *d)
{
    restore_free(d->restore);
    d->restore = NULL;
}

/*
 * Give up. The guest never ran here, so there is nothing to shut down:
 * the monitor is killed and the (still transient) domain forgotten before
 * the client hears of the failure, so nothing is left running or recorded.
 */
static void fail(struct restore *r, struct domain *d, Skiff__V1__ErrorCode code, const char *msg)
{
    if (r->failed)
        return;
    r->failed = true;
    if (d != NULL) {
        char why[600];
        struct hostd *h = d->h;
        snprintf(why, sizeof why, "restore failed: %s", msg);
        domain_event(d, "destroyed", why);
        /* A defined domain stays defined; a transient one is forgotten. */
        if (d->row.persistent || domain_forget(d) < 0)
            domain_destroy(d, why);
        hostd_status_changed(h);
    }
    call_error(r->call, code, "restore from %s failed: %s", r->path, msg);
}

/* Every monitor callback starts here: the domain, or NULL when the
 * restore has failed (now or before). The callback ends with release. */
static struct domain *step(struct restore *r, struct monitor *m, int err,
                           const Skiff__Monitor__V1__MonitorReply *rep, Skiff__V1__ErrorCode code)
{
    struct domain *d = m->dom;
    if (!r->failed && (d == NULL || d != r->call->dom || err < 0))
        fail(r, NULL, E(INTERNAL), "the monitor went away");
    else if (!r->failed && rep->error != 0)
        fail(r, d, code, rep->message && *rep->message ? rep->message : strerror(rep->error));
    return r->failed ? NULL : d;
}

static void unpause_cb(struct monitor *m, void *arg, int err,
                       const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct restore *r = arg;
    struct domain *d = step(r, m, err, rep, E(INTERNAL));
    if (d != NULL) {
        d->row.state = SKIFF__V1__DOMAIN_STATE__RUNNING;
        if (domain_commit(d) < 0) {
            fail(r, d, E(INTERNAL), "cannot record the domain as running");
        } else {
            hostd_status_changed(d->h);
            domain_reply_info(r->call, d);
        }
    }
    release(r);
}

/* Memory and vCPU state both in place: run (or stay paused). */
static void loaded(struct restore *r, struct domain *d)
{
    if (++r->loaded < 2)
        return;
    char detail[600];
    snprintf(detail, sizeof detail, "from %s", r->path);
    domain_event(d, "restored", detail);
    if (r->paused) {
        domain_reply_info(r->call, d);
        return;
    }
    r->refs++;
    if (monitor_simple(d->mon, SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_UNPAUSE, unpause_cb,
                       r) < 0) {
        r->refs--;
        fail(r, d, E(INTERNAL), "cannot reach the monitor");
    }
}

static void state_cb(struct monitor *m, void *arg, int err,
                     const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct restore *r = arg;
    struct domain *d = step(r, m, err, rep, E(INVALID));
    if (d != NULL)
        loaded(r, d);
    release(r);
}

/* Guest RAM arrives as the monitor's memfd: fill it from the file. */
static void memory_cb(struct monitor *m, void *arg, int err,
                      const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct restore *r = arg;
    int fd = err == 0 ? monitor_take_fd(m) : -1;
    struct domain *d = step(r, m, err, rep, E(INTERNAL));
    if (d != NULL) {
        uint64_t size = r->img.header->memory_bytes;
        char why[512];
        int rc = -EPROTO;
        snprintf(why, sizeof why, "the monitor did not hand over memory of the saved size");
        if (fd >= 0 && rep->stats != NULL && rep->stats->memory_bytes == size)
            rc = snap_read_memory(r->fd, &r->img, NULL, fd, size, why, sizeof why);
        if (rc < 0)
            fail(r, d, rc == -EPROTO || rc == -EBADMSG ? E(INVALID) : E(INTERNAL), why);
        else
            loaded(r, d);
    }
    if (fd >= 0)
        close(fd);
    release(r);
}

/* Memory and state are asked for together: they do not depend on each
 * other, and the vCPUs stay parked until both are in. */
void restore_monitor_ready(struct domain *d)
{
    struct restore *r = d->restore;
    d->restore = NULL;
    r->call = d->start_call;
    d->start_call = NULL;
    r->call->dom = d;
    r->refs = 1;            /* ours, until the requests are out */
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__Empty e = SKIFF__MONITOR__V1__EMPTY__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_GET_MEMORY;
    req.get_memory = &e;
    Skiff__Monitor__V1__MonitorRequest st = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    st.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_SET_STATE;
    st.set_state = r->img.machine;
    r->refs += 2;
    if (monitor_request(d->mon, &req, memory_cb, r) < 0) {
        r->refs -= 2;
        fail(r, d, E(INTERNAL), "cannot reach the monitor");
    } else if (monitor_request(d->mon, &st, state_cb, r) < 0) {
        r->refs--;
        fail(r, d, E(INTERNAL), "cannot reach the monitor");
    }
    release(r);
}

static int set_str(char **field, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return -ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

static int parse_action(const char *s, Skiff__V1__LifecycleAction *out)
{
    if (strcmp(s, "destroy") == 0)
        *out = SKIFF__V1__LIFECYCLE_ACTION__DESTROY;
    else if (strcmp(s, "restart") == 0)
        *out = SKIFF__V1__LIFECYCLE_ACTION__RESTART;
    else if (strcmp(s, "preserve") == 0)
        *out = SKIFF__V1__LIFECYCLE_ACTION__PRESERVE;
    else
        return -EINVAL;
    return 0;
}

/* name, uuid and on_* may change; nothing that the saved guest depends on. */
static int apply_overrides(Skiff__V1__DomainConfig *cfg, const Skiff__V1__RestoreRequest *rq,
                           bool *named, bool *uuided, char *msg, size_t size)
{
    struct skiff_cfg *c = NULL;
    struct skiff_cfg_error e;
    int rc = skiff_cfg_parse("", 0, SKIFF_CFG_CMDLINE, &c, &e);
    for (size_t i = 0; rc == 0 && i < rq->n_overrides; i++) {
        rc = skiff_cfg_override(c, rq->overrides[i], &e);
        if (rc < 0)
            skiff_cfg_error_format(&e, msg, size);
    }
    for (size_t i = 0; rc == 0 && i < skiff_cfg_count(c); i++) {
        const struct skiff_cfg_entry *en = skiff_cfg_at(c, i);
        const char *v = en->value.type == SKIFF_CFG_STRING ? en->value.str : NULL;
        Skiff__V1__LifecycleAction *act = strcmp(en->key, "on_poweroff") == 0 ? &cfg->on_poweroff
                                        : strcmp(en->key, "on_reboot") == 0 ? &cfg->on_reboot
                                        : strcmp(en->key, "on_crash") == 0 ? &cfg->on_crash
                                        : NULL;
        bool known = act != NULL || strcmp(en->key, "name") == 0 ||
                     strcmp(en->key, "uuid") == 0;
        if (!known) {
            snprintf(msg, size, "%s cannot change on restore (only name, uuid, on_poweroff, "
                     "on_reboot and on_crash can)", en->key);
            rc = -EINVAL;
        } else if (v == NULL) {
            snprintf(msg, size, "%s: expected a string", en->key);
            rc = -EINVAL;
        } else if (strcmp(en->key, "name") == 0) {
            rc = set_str(&cfg->name, v);
            *named = true;
        } else if (strcmp(en->key, "uuid") == 0) {
            rc = set_str(&cfg->uuid, v);
            *uuided = true;
        } else {
            rc = parse_action(v, act);
            if (rc < 0)
                snprintf(msg, size, "%s: expected destroy, restart or preserve", en->key);
        }
    }
    skiff_cfg_free(c);
    if (rc == -ENOMEM)
        snprintf(msg, size, "out of memory");
    return rc;
}

/*
 * A persistent domain that was saved (and so destroyed) is still defined:
 * it is restored in place, as long as it is the same domain (uuid and
 * name) and is not running.
 */
static struct domain *defined_domain(struct hostd *h, const Skiff__V1__DomainConfig *cfg)
{
    struct domain *d = domain_find_uuid(h, cfg->uuid);
    if (d == NULL || !d->row.persistent || strcmp(d->row.name, cfg->name) != 0 ||
        d->row.state != SKIFF__V1__DOMAIN_STATE__DEFINED || d->mon != NULL ||
        d->start_pending || monitor_zombie_for(h, d->row.uuid))
        return NULL;
    return d;
}

/* Its definition must still describe the saved machine. */
static bool same_machine(const Skiff__V1__DomainConfig *def, const Skiff__V1__DomainConfig *cfg,
                         char *msg, size_t size)
{
    if (def->memory_mb != cfg->memory_mb || (def->vcpus ? def->vcpus : 1) !=
        (cfg->vcpus ? cfg->vcpus : 1) || strcmp(def->kernel, cfg->kernel) != 0) {
        snprintf(msg, size, "domain %s is defined with another memory size, vCPU count or "
                 "kernel than the saved one; undefine it or restore under a new name",
                 def->name);
        return false;
    }
    return true;
}

/* The saved configuration must describe the saved machine. */
static int check_config(const struct snap_image *img, const Skiff__V1__DomainConfig *cfg,
                        char *msg, size_t size)
{
    uint32_t vcpus = cfg->vcpus ? cfg->vcpus : 1;
    if (cfg->memory_mb << 20 != img->header->memory_bytes || vcpus != img->header->vcpu_count) {
        snprintf(msg, size, "corrupt: the saved configuration (%llu MiB, %u vCPUs) does not "
                 "match the saved machine", (unsigned long long)cfg->memory_mb, vcpus);
        return -EINVAL;
    }
    return 0;
}

void rpc_restore(struct call *call, const Skiff__V1__RestoreRequest *rq)
{
    struct hostd *h = call->conn->h;
    if (rq->path[0] != '/') {
        call_error(call, E(INVALID), "the snapshot path must be absolute: '%s'", rq->path);
        return;
    }
    struct restore *r = calloc(1, sizeof *r);
    if (r == NULL || (r->path = strdup(rq->path)) == NULL) {
        free(r);
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    r->paused = rq->paused;
    r->fd = open(rq->path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        call_error(call, errno == ENOENT ? E(NOT_FOUND) : E(INVALID), "cannot open %s: %s",
                   rq->path, strerror(errno));
        restore_free(r);
        return;
    }
    char msg[512];
    if (snap_read_meta(r->fd, &r->img, msg, sizeof msg) < 0) {
        call_error(call, E(INVALID), "snapshot %s: %s", rq->path, msg);
        restore_free(r);
        return;
    }
    Skiff__V1__DomainConfig *cfg = r->img.header->config;
    bool named = false, uuided = false;
    if (check_config(&r->img, cfg, msg, sizeof msg) < 0 ||
        apply_overrides(cfg, rq, &named, &uuided, msg, sizeof msg) < 0) {
        call_error(call, E(INVALID), "snapshot %s: %s", rq->path, msg);
        restore_free(r);
        return;
    }
    /* A copy under a new name gets a new uuid unless one was given. */
    if (named && !uuided && domain_find_uuid(h, cfg->uuid) != NULL)
        cfg->uuid[0] = '\0';
    if (store_begin(h->store) < 0) {
        call_error(call, E(INTERNAL), "cannot start a transaction");
        restore_free(r);
        return;
    }
    struct domain *d = defined_domain(h, cfg);
    /* The saved label is the domain's label again: restore and relabel
     * checks are on it (create checks come with a new domain). */
    if ((d != NULL && !xsm_domain(call, d, XSM_DOMAIN__RESTORE)) ||
        (d == NULL && cfg->seclabel[0] != '\0' &&
         !xsm_domain_label(call, cfg->seclabel, cfg->name, XSM_DOMAIN__RESTORE))) {
        store_rollback(h->store);
        restore_free(r);
        return;
    }
    if (d != NULL && !same_machine(d->cfg, cfg, msg, sizeof msg)) {
        store_rollback(h->store);
        call_error(call, E(INVALID), "snapshot %s: %s", rq->path, msg);
        restore_free(r);
        return;
    }
    if (d == NULL)
        d = rpc_add_domain(call, cfg, false);
    if (d == NULL) {
        store_rollback(h->store);
        restore_free(r);
        return;
    }
    d->restore = r;
    if (domain_start(d, true, call) < 0) {
        if (d->row.persistent)
            restore_discard(d);
        else
            domain_forget(d);   /* frees r; the call has its error */
        store_rollback(h->store);
        return;
    }
    if (store_commit(h->store) < 0) {
        log_err("domain %s: the restore is not recorded", d->row.name);
        d->start_call = NULL;
        call_error(call, E(INTERNAL), "cannot record the restored domain");
        domain_destroy(d, "restore not recorded");
        return;
    }
}
