/*
 * skiff save: fetch guest RAM's memfd, park the vCPUs and fetch their
 * state, write the file from the mapped memory, then destroy the domain
 * or (keep_running) let it go on. Until the file is safely renamed into
 * place the domain is untouched: a failed save unpauses it and reports.
 *
 * A SaveResult goes to the client as a progress message; the final reply
 * is the DomainInfo once the domain has stopped (or at once with -c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "monitor.h"
#include "rpc.h"
#include "xsm.h"
#include "save_restore.h"
#include "util.h"

struct save {
    struct call *call;
    char *path;
    bool keep_running;
    bool was_paused;
    int memfd;
    uint64_t mem_size;
    uint64_t t0, paused_at;
};

static void save_free(struct save *s)
{
    if (s->memfd >= 0)
        close(s->memfd);
    free(s->path);
    free(s);
}

/* The domain stays as it was: running again unless it was paused. */
static void resume(struct domain *d, struct save *s)
{
    if (!s->was_paused && d->mon != NULL)
        monitor_simple(d->mon, SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_UNPAUSE, NULL, NULL);
}

static void send_result(struct save *s, const struct snapshot_totals *t, uint64_t paused_ns)
{
    Skiff__V1__SaveResult sr = SKIFF__V1__SAVE_RESULT__INIT;
    sr.path = s->path;
    sr.file_bytes = t->file_bytes;
    sr.memory_pages = t->memory_pages;
    sr.paused_ns = paused_ns;
    sr.total_ns = now_monotonic_ns() - s->t0;
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_SAVED;
    r.saved = &sr;
    call_send_more(s->call, &r);
}

static void state_cb(struct monitor *m, void *arg, int err,
                     const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct save *s = arg;
    struct domain *d = rpc_callback_domain(s->call, m, err, false);
    if (d == NULL) {
        save_free(s);
        return;
    }
    if (rep->error != 0 || rep->stats == NULL || rep->stats->machine == NULL) {
        call_error(s->call, E(INTERNAL), "cannot fetch the state of %s: %s", d->row.name,
                   rep->message && *rep->message ? rep->message : strerror(rep->error));
        resume(d, s);
        save_free(s);
        return;
    }
    Skiff__Snapshot__V1__MachineState *ms = rep->stats->machine;
    if (ms->memory_bytes != s->mem_size || ms->n_vcpus == 0) {
        call_error(s->call, E(INTERNAL), "the monitor of %s reported an inconsistent state",
                   d->row.name);
        resume(d, s);
        save_free(s);
        return;
    }
    uint64_t paused_at = now_monotonic_ns();
    void *mem = mmap(NULL, s->mem_size, PROT_READ, MAP_SHARED, s->memfd, 0);
    char why[512];
    struct snapshot_totals t = { 0 };
    /* The pages are read in place; without a mapping, through a buffer. */
    int rc = snapshot_file_write(s->path, d->cfg, ms, mem == MAP_FAILED ? NULL : mem,
                                 s->memfd, ms->wall_ns, &t, why, sizeof why);
    if (mem != MAP_FAILED)
        munmap(mem, s->mem_size);
    if (rc < 0) {
        resume(d, s);
        call_error(s->call, E(INTERNAL), "save of %s failed: %s; the domain keeps %s",
                   d->row.name, why, s->was_paused ? "paused" : "running");
        save_free(s);
        return;
    }
    uint64_t paused_ns = now_monotonic_ns() - paused_at;
    log_info("domain %s: saved to %s (%llu bytes, %llu pages)", d->row.name, s->path,
             (unsigned long long)t.file_bytes, (unsigned long long)t.memory_pages);
    char detail[600];
    snprintf(detail, sizeof detail, "to %s", s->path);
    domain_event(d, "saved", detail);
    send_result(s, &t, paused_ns);
    struct call *call = s->call;
    if (s->keep_running) {
        resume(d, s);
        domain_reply_info(call, d);
    } else {
        /* Answered once the monitor is gone, so the name is free again. */
        snprintf(detail, sizeof detail, "saved to %s", s->path);
        call->dom = d;
        call->wait = true;
        domain_destroy(d, detail);
        list_add_tail(&d->waiters, &call->wait_link);
    }
    save_free(s);
}

static void memory_cb(struct monitor *m, void *arg, int err,
                      const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct save *s = arg;
    int fd = err == 0 ? monitor_take_fd(m) : -1;
    struct domain *d = rpc_callback_domain(s->call, m, err, false);
    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        save_free(s);
        return;
    }
    if (rep->error != 0 || fd < 0 || rep->stats == NULL || rep->stats->memory_bytes == 0) {
        if (fd >= 0)
            close(fd);
        call_error(s->call, E(INTERNAL), "the monitor of %s did not hand over its memory: %s",
                   d->row.name, rep->error ? strerror(rep->error) : "no descriptor came");
        save_free(s);
        return;
    }
    s->memfd = fd;
    s->mem_size = rep->stats->memory_bytes;
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__Empty e = SKIFF__MONITOR__V1__EMPTY__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_GET_STATE;
    req.get_state = &e;
    int rc = monitor_request(d->mon, &req, state_cb, s);
    if (rc < 0) {
        call_error(s->call, E(INTERNAL), "cannot reach the monitor of %s: %s", d->row.name,
                   strerror(-rc));
        save_free(s);
    }
}

/*
 * hostd writes as itself (root, usually) for clients of its group: such a
 * client may only write where it could write itself -- a directory it may
 * write to, and over no file that is not its own.
 */
static bool may_write(const struct conn *c, const char *path, char *msg, size_t size)
{
    if (c == NULL || c->uid == 0)
        return true;
    char *copy = strdup(path);
    struct stat st;
    bool ok = copy != NULL && stat(dirname(copy), &st) == 0 &&
              ((st.st_uid == c->uid && (st.st_mode & S_IWUSR)) ||
               (st.st_uid != c->uid && st.st_gid == c->gid && (st.st_mode & S_IWGRP)) ||
               (st.st_uid != c->uid && st.st_gid != c->gid && (st.st_mode & S_IWOTH)));
    free(copy);
    if (ok && lstat(path, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_uid != c->uid))
        ok = false;
    if (!ok)
        snprintf(msg, size, "uid %ld may not write %s", (long)c->uid, path);
    return ok;
}

void rpc_save(struct call *call, const Skiff__V1__SaveRequest *rq)
{
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, XSM_DOMAIN__SAVE) || !rpc_need_running(call, d))
        return;
    if (rq->path[0] != '/') {
        call_error(call, E(INVALID), "the snapshot path must be absolute: '%s'", rq->path);
        return;
    }
    if (d->intent != STOP_NONE) {
        call_error(call, E(BUSY), "domain %s is stopping", d->row.name);
        return;
    }
    char msg[300];
    if (!may_write(call->conn, rq->path, msg, sizeof msg)) {
        call_error(call, E(DENIED), "%s", msg);
        return;
    }
    struct save *s = calloc(1, sizeof *s);
    if (s == NULL || (s->path = strdup(rq->path)) == NULL) {
        free(s);
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    s->call = call;
    s->memfd = -1;
    s->keep_running = rq->keep_running;
    s->was_paused = d->row.state == SKIFF__V1__DOMAIN_STATE__PAUSED;
    s->t0 = now_monotonic_ns();
    call->dom = d;
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__Empty e = SKIFF__MONITOR__V1__EMPTY__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_GET_MEMORY;
    req.get_memory = &e;
    int rc = monitor_request(d->mon, &req, memory_cb, s);
    if (rc < 0) {
        call_error(call, E(INTERNAL), "cannot reach the monitor of %s: %s", d->row.name,
                   strerror(-rc));
        save_free(s);
    }
}
