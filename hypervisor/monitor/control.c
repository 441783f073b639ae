/*
 * The control channel of a managed monitor. The main thread runs this
 * loop while the vCPU runs on its own thread (vcpu_ctl.c). One controller
 * at a time: a new connection replaces the old one, which is how a
 * restarted hostd takes over. When the guest stops, the monitor tells the
 * controller (or the next one to connect) and exits only once released.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "control.h"
#include "control_snap.h"
#include "frame.h"
#include "log.h"
#include "place.h"
#include "monitor.pb-c.h"
#include "vcpu_ctl.h"

#define CTL_FRAME_MAX SKIFF_FRAME_MAX   /* set_state carries every vCPU */
#define CTL_OUT_MAX (8U << 20)      /* past this, console output is dropped */

enum { TAG_LISTEN = 1, TAG_CONN, TAG_CONSOLE, TAG_STOPPED };

struct conn {
    int fd;
    uint8_t in[SKIFF_FRAME_HEADER + CTL_FRAME_MAX];
    size_t in_len;
    uint8_t *out;
    size_t out_len;
    size_t out_cap;
    bool hello;
    bool exited_sent;
    int pass_fd;            /* sent with the byte at out[pass_at] (SCM_RIGHTS) */
    size_t pass_at;
};

struct server {
    struct hv *hv;
    int epfd;
    int listen_fd;
    struct conn conn;       /* fd -1 when nobody is connected */
    bool stopped;           /* the guest has stopped */
    bool released;
};

/* --control-fd: the caller made the socket (and may already have
 * connected to it); it must be a listening UNIX stream socket. */
static int adopt(struct hv *hv)
{
    int fd = hv->control_fd, listening = 0, type = 0;
    socklen_t len = sizeof listening;
    struct sockaddr_un sa;
    socklen_t salen = sizeof sa;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &(socklen_t){ sizeof type }) < 0 ||
        type != SOCK_STREAM || getsockname(fd, (struct sockaddr *)&sa, &salen) < 0 ||
        sa.sun_family != AF_UNIX) {
        hv_err("--control-fd=%d: not a listening UNIX stream socket", fd);
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        hv_err("--control-fd=%d: %m", fd);
        return -1;
    }
    hv->ctl.listen_fd = fd;
    return 0;
}

static int create(struct hv *hv)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(hv->control_path) >= sizeof sa.sun_path) {
        hv_err("control socket path too long: %s", hv->control_path);
        return -1;
    }
    strcpy(sa.sun_path, hv->control_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        hv_err("control socket: %m");
        return -1;
    }
    unlink(hv->control_path);   /* a stale socket of an earlier run */
    mode_t old = umask(0177);   /* 0600: only hostd's user may connect */
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc < 0 || listen(fd, 4) < 0) {
        hv_err("control socket %s: %m", hv->control_path);
        close(fd);
        return -1;
    }
    hv->ctl.listen_fd = fd;
    return 0;
}

int hv_control_listen(struct hv *hv)
{
    if ((hv->control_fd >= 0 ? adopt(hv) : create(hv)) < 0)
        return -1;
    /* Created now: once sandboxed, the monitor cannot make new fds. */
    hv->ctl.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (hv->ctl.epfd < 0) {
        hv_err("control: epoll_create1: %m");
        return -1;
    }
    return 0;
}

static int watch(struct server *s, int fd, uint32_t events, uint64_t tag, int op)
{
    struct epoll_event ev = { .events = events, .data.u64 = tag };
    return epoll_ctl(s->epfd, op, fd, &ev);
}

static void conn_close(struct server *s)
{
    struct conn *c = &s->conn;
    if (c->fd < 0)
        return;
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->in_len = 0;
    c->out_len = 0;
    c->hello = false;
    c->exited_sent = false;
    c->pass_fd = -1;
    hv_console_subscribe(s->hv, false, false);
}

/* Queue one message; console output may be dropped, replies never. */
static void send_msg(struct server *s, const Skiff__Monitor__V1__MonitorMessage *m, bool droppable)
{
    struct conn *c = &s->conn;
    if (c->fd < 0)
        return;
    size_t size;
    uint8_t *frame = skiff_frame_pack(&m->base, &size);
    if (frame == NULL || (droppable && c->out_len + size > CTL_OUT_MAX)) {
        free(frame);
        return;
    }
    if (c->out_len + size > c->out_cap) {
        size_t cap = (c->out_len + size) * 2;
        uint8_t *p = realloc(c->out, cap);
        if (p == NULL) {
            free(frame);
            return;
        }
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, frame, size);
    c->out_len += size;
    free(frame);
    watch(s, c->fd, EPOLLIN | EPOLLOUT, TAG_CONN, EPOLL_CTL_MOD);
}

static void reply(struct server *s, uint64_t id, int err, const char *msg,
                  Skiff__Monitor__V1__Stats *stats)
{
    Skiff__Monitor__V1__MonitorReply r = SKIFF__MONITOR__V1__MONITOR_REPLY__INIT;
    r.id = id;
    r.error = err;
    r.message = (char *)(msg ? msg : "");
    r.stats = stats;
    Skiff__Monitor__V1__MonitorMessage m = SKIFF__MONITOR__V1__MONITOR_MESSAGE__INIT;
    m.msg_case = SKIFF__MONITOR__V1__MONITOR_MESSAGE__MSG_REPLY;
    m.reply = &r;
    send_msg(s, &m, false);
}

static void send_exited(struct server *s)
{
    struct hv *hv = s->hv;
    struct conn *c = &s->conn;
    if (c->fd < 0 || !c->hello || c->exited_sent || !s->stopped)
        return;
    Skiff__Monitor__V1__Exited e = SKIFF__MONITOR__V1__EXITED__INIT;
    e.status = hv->exit_status;
    e.faulted = hv->faulted;
    e.destroyed = hv->destroyed;
    e.reason = hv->exit_reason;
    e.reboot = !hv->faulted && !hv->destroyed && hv->ctl.last_request == SKIFF_CONTROL_REBOOT;
    Skiff__Monitor__V1__MonitorMessage m = SKIFF__MONITOR__V1__MONITOR_MESSAGE__INIT;
    m.msg_case = SKIFF__MONITOR__V1__MONITOR_MESSAGE__MSG_EXITED;
    m.exited = &e;
    send_msg(s, &m, false);
    c->exited_sent = true;
}

static void forward_console(struct server *s)
{
    uint8_t *buf;
    size_t n = hv_console_take(s->hv, &buf);
    if (n == 0)
        return;
    Skiff__Monitor__V1__MonitorMessage m = SKIFF__MONITOR__V1__MONITOR_MESSAGE__INIT;
    m.msg_case = SKIFF__MONITOR__V1__MONITOR_MESSAGE__MSG_CONSOLE;
    m.console.data = buf;
    m.console.len = n;
    send_msg(s, &m, true);
    free(buf);
}

static uint64_t thread_cpu_ns(pthread_t thread)
{
    clockid_t cid;
    struct timespec ts;
    if (pthread_getcpuclockid(thread, &cid) != 0 || clock_gettime(cid, &ts) < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Per-vCPU statistics, in one allocation freed by the caller. */
struct vcpu_stats {
    uint64_t *time_ns;
    Skiff__Monitor__V1__VcpuInfo *info;
    Skiff__Monitor__V1__VcpuInfo **ptrs;
    char (*affinity)[128];
};

static void *vcpu_stats_fill(struct hv *hv, bool stopped, struct vcpu_stats *vs,
                             uint64_t *total)
{
    unsigned n = hv->nvcpus;
    size_t size = n * (sizeof *vs->time_ns + sizeof *vs->info + sizeof *vs->ptrs +
                       sizeof *vs->affinity);
    uint8_t *block = malloc(size);
    if (block == NULL)
        return NULL;
    vs->time_ns = (uint64_t *)block;
    vs->info = (Skiff__Monitor__V1__VcpuInfo *)(vs->time_ns + n);
    vs->ptrs = (Skiff__Monitor__V1__VcpuInfo **)(vs->info + n);
    vs->affinity = (char (*)[128])(vs->ptrs + n);
    *total = 0;
    for (unsigned i = 0; i < n; i++) {
        struct hv_vcpu *v = &hv->vcpus[i];
        Skiff__Monitor__V1__VcpuInfo *vi = &vs->info[i];
        skiff__monitor__v1__vcpu_info__init(vi);
        pthread_mutex_lock(&hv->ctl.lock);
        enum hv_vcpu_state state = v->state;
        pthread_mutex_unlock(&hv->ctl.lock);
        bool gone = stopped || state == HV_VCPU_STOPPED;
        vs->time_ns[i] = gone ? 0 : thread_cpu_ns(v->thread);
        *total += vs->time_ns[i];
        vs->affinity[i][0] = '\0';
        if (!gone)
            hv_place_affinity(v, vs->affinity[i], sizeof vs->affinity[i]);
        vi->index = i;
        vi->tid = v->tid;
        vi->cpu = __atomic_load_n(&v->host_cpu, __ATOMIC_RELAXED);
        vi->blocked = state != HV_VCPU_RUNNING ||
                      __atomic_load_n(&v->blocked, __ATOMIC_RELAXED);
        vi->time_ns = vs->time_ns[i];
        vi->affinity = vs->affinity[i];
        vs->ptrs[i] = vi;
    }
    return block;
}

static void reply_stats(struct server *s, uint64_t id)
{
    struct hv *hv = s->hv;
    struct stat st;
    struct vcpu_stats vs;
    uint64_t cpu = 0;
    void *block = vcpu_stats_fill(hv, s->stopped, &vs, &cpu);
    if (block == NULL) {
        reply(s, id, ENOMEM, "out of memory", NULL);
        return;
    }
    Skiff__Monitor__V1__Stats stats = SKIFF__MONITOR__V1__STATS__INIT;
    stats.cpu_time_ns = cpu;
    stats.n_vcpu_time_ns = hv->nvcpus;
    stats.vcpu_time_ns = vs.time_ns;
    stats.n_vcpus = hv->nvcpus;
    stats.vcpus = vs.ptrs;
    /* Resident guest pages are the memfd's allocated blocks. */
    stats.memory_touched_bytes = fstat(hv->mem.fd, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
    stats.exits = __atomic_load_n(&hv->exits, __ATOMIC_RELAXED);
    stats.hypercalls = __atomic_load_n(&hv->hypercalls_served, __ATOMIC_RELAXED);
    stats.paused = hv_vcpu_paused(hv);
    stats.control_events = hv->control_events;
    stats.pid = hv->dumpcore.pid;
    stats.started_at_ns = hv->started_at_ns;
    stats.incoming = hv->snap.incoming && !hv->snap.state_loaded;
    reply(s, id, 0, NULL, &stats);
    free(block);
}

static void set_affinity(struct server *s, uint64_t id, const Skiff__Monitor__V1__SetAffinity *a)
{
    char msg[256];
    if (s->stopped) {
        reply(s, id, ESRCH, "guest has stopped", NULL);
        return;
    }
    int err = hv_place_set_affinity(s->hv, a->vcpu, a->cpus ? a->cpus : "", msg, sizeof msg);
    reply(s, id, err, err ? msg : NULL, NULL);
}

/* Guest RAM's memfd rides along with the reply (hostd maps it itself). */
static void reply_memory(struct server *s, uint64_t id)
{
    Skiff__Monitor__V1__Stats stats = SKIFF__MONITOR__V1__STATS__INIT;
    stats.memory_bytes = s->hv->mem.size;
    if (s->conn.pass_fd >= 0) {
        reply(s, id, EBUSY, "a memory handle is already on its way", NULL);
        return;
    }
    s->conn.pass_at = s->conn.out_len;
    s->conn.pass_fd = s->hv->mem.fd;
    reply(s, id, 0, NULL, &stats);
    if (s->conn.out_len == s->conn.pass_at)
        s->conn.pass_fd = -1;   /* the reply could not be queued */
}

static void snap_request(struct server *s, const Skiff__Monitor__V1__MonitorRequest *rq)
{
    struct hv *hv = s->hv;
    char msg[256] = "";
    Skiff__Monitor__V1__Stats st = SKIFF__MONITOR__V1__STATS__INIT;
    int err;
    if (s->stopped) {
        reply(s, rq->id, ESRCH, "guest has stopped", NULL);
        return;
    }
    switch (rq->op_case) {
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_GET_STATE:
        err = hv_snap_get_state(hv, &st, msg, sizeof msg);
        break;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_SET_STATE:
        err = hv_snap_set_state(hv, rq->set_state, msg, sizeof msg);
        break;
    default:
        err = hv_snap_dirty_log(hv, rq->dirty_log, &st, msg, sizeof msg);
        break;
    }
    reply(s, rq->id, err, err ? msg : NULL, err ? NULL : &st);
    hv_snap_stats_clear(&st);
}

static void handle_request(struct server *s, const Skiff__Monitor__V1__MonitorRequest *rq)
{
    struct hv *hv = s->hv;
    struct conn *c = &s->conn;
    if (!c->hello && rq->op_case != SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_HELLO) {
        reply(s, rq->id, EPROTO, "hello first", NULL);
        return;
    }
    switch (rq->op_case) {
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_HELLO:
        if (rq->hello->version != 1) {
            reply(s, rq->id, EPROTONOSUPPORT, "unsupported control protocol version", NULL);
            return;
        }
        c->hello = true;
        reply(s, rq->id, 0, NULL, NULL);
        send_exited(s);     /* it stopped while nobody was listening */
        return;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_PAUSE:
        if (!s->stopped)
            hv_vcpu_pause(hv);
        reply(s, rq->id, s->stopped ? ESRCH : 0, s->stopped ? "guest has stopped" : NULL, NULL);
        return;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_UNPAUSE:
        if (hv->snap.incoming && !hv->snap.state_loaded) {
            reply(s, rq->id, EBUSY, "no state loaded yet (--incoming)", NULL);
            return;
        }
        if (!s->stopped)
            hv_vcpu_unpause(hv);
        reply(s, rq->id, s->stopped ? ESRCH : 0, s->stopped ? "guest has stopped" : NULL, NULL);
        return;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_REQUEST: {
        uint32_t r = (uint32_t)rq->request;
        if (r != SKIFF_CONTROL_SHUTDOWN && r != SKIFF_CONTROL_REBOOT) {
            reply(s, rq->id, EINVAL, "unknown guest request", NULL);
            return;
        }
        if (!hv->control_events) {
            reply(s, rq->id, EOPNOTSUPP, "the guest does not handle control events", NULL);
            return;
        }
        pthread_mutex_lock(&hv->ctl.lock);
        hv->ctl.guest_request = r;
        pthread_mutex_unlock(&hv->ctl.lock);
        uint64_t one = 1;
        (void)!write(hv->ctl.request_fd, &one, sizeof one);
        reply(s, rq->id, 0, NULL, NULL);
        return;
    }
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_DESTROY:
        if (!s->stopped)
            hv_vcpu_destroy(hv);
        reply(s, rq->id, 0, NULL, NULL);
        return;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_STATS:
        reply_stats(s, rq->id);
        return;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_CONSOLE:
        hv_console_subscribe(hv, true, rq->console->history);
        reply(s, rq->id, 0, NULL, NULL);
        return;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_SET_AFFINITY:
        set_affinity(s, rq->id, rq->set_affinity);
        return;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_RELEASE:
        if (!s->stopped) {
            reply(s, rq->id, EBUSY, "the guest is still running", NULL);
            return;
        }
        s->released = true;
        reply(s, rq->id, 0, NULL, NULL);
        return;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_GET_MEMORY:
        reply_memory(s, rq->id);
        return;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_GET_STATE:
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_SET_STATE:
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_DIRTY_LOG:
        snap_request(s, rq);
        return;
    default:
        reply(s, rq->id, EINVAL, "unknown request", NULL);
        return;
    }
}

/* Parse every complete frame in the input buffer. Returns -1 to drop the
 * connection (oversized or unparseable frame). */
static int process_input(struct server *s)
{
    struct conn *c = &s->conn;
    size_t off = 0;
    while (c->in_len - off >= SKIFF_FRAME_HEADER) {
        uint32_t len;
        if (skiff_frame_length(c->in + off, CTL_FRAME_MAX, &len) < 0)
            return -1;
        if (c->in_len - off - SKIFF_FRAME_HEADER < len)
            break;
        Skiff__Monitor__V1__MonitorRequest *rq = skiff__monitor__v1__monitor_request__unpack(
            NULL, len, c->in + off + SKIFF_FRAME_HEADER);
        if (rq == NULL)
            return -1;
        handle_request(s, rq);
        skiff__monitor__v1__monitor_request__free_unpacked(rq, NULL);
        off += SKIFF_FRAME_HEADER + len;
        if (c->fd < 0)
            return 0;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return 0;
}

/*
 * The controller hung up. An --incoming monitor still waiting for its
 * state has nobody left to load it (a restarted hostd would destroy it
 * anyway): it ends now rather than linger as an empty VM.
 */
static void controller_gone(struct server *s)
{
    struct hv *hv = s->hv;
    conn_close(s);
    if (hv->snap.incoming && !hv->snap.state_loaded && !s->stopped) {
        hv_warn("the controller left before loading the state: ending");
        hv_vcpu_destroy(hv);
        s->released = true;     /* no exit status to deliver: nobody waits for it */
    }
}

static void on_readable(struct server *s)
{
    struct conn *c = &s->conn;
    for (;;) {
        ssize_t n = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0 || (c->in_len += (size_t)n, process_input(s) < 0)) {
            controller_gone(s);
            return;
        }
    }
}

/* The bytes from out[0] on, with the pending fd attached to the first. */
static ssize_t send_with_fd(struct conn *c)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = { c->out, c->out_len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                         .msg_controllen = sizeof u.buf };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &c->pass_fd, sizeof(int));
    ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0)
        c->pass_fd = -1;    /* delivered with the first byte */
    return n;
}

static void on_writable(struct server *s)
{
    struct conn *c = &s->conn;
    while (c->out_len > 0) {
        ssize_t n;
        if (c->pass_fd >= 0 && c->pass_at == 0)
            n = send_with_fd(c);
        else
            n = send(c->fd, c->out, c->pass_fd >= 0 ? c->pass_at : c->out_len,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0) {
            controller_gone(s);
            return;
        }
        memmove(c->out, c->out + n, c->out_len - (size_t)n);
        c->out_len -= (size_t)n;
        if (c->pass_fd >= 0 && c->pass_at > 0)
            c->pass_at -= (size_t)n;
    }
    watch(s, c->fd, EPOLLIN, TAG_CONN, EPOLL_CTL_MOD);
}

static void on_accept(struct server *s)
{
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    conn_close(s);      /* the newest controller wins */
    s->conn.fd = fd;
    watch(s, fd, EPOLLIN, TAG_CONN, EPOLL_CTL_ADD);
}

int hv_control_serve(struct hv *hv)
{
    static struct server s;
    s.hv = hv;
    s.listen_fd = hv->ctl.listen_fd;
    s.conn.fd = -1;
    s.conn.pass_fd = -1;
    s.epfd = hv->ctl.epfd;
    if (watch(&s, s.listen_fd, EPOLLIN, TAG_LISTEN, EPOLL_CTL_ADD) < 0 ||
        watch(&s, hv->console.wake_fd, EPOLLIN, TAG_CONSOLE, EPOLL_CTL_ADD) < 0 ||
        watch(&s, hv->ctl.stopped_fd, EPOLLIN, TAG_STOPPED, EPOLL_CTL_ADD) < 0) {
        hv_err("control: cannot set up the event loop: %m");
        return 1;
    }
    hv_vcpu_go(hv);
    while (!(s.released && s.conn.out_len == 0)) {
        struct epoll_event ev[4];
        int n = epoll_wait(s.epfd, ev, 4, -1);
        for (int i = 0; i < n; i++) {
            switch (ev[i].data.u64) {
            case TAG_LISTEN:
                on_accept(&s);
                break;
            case TAG_CONN:
                if (s.conn.fd >= 0 && (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                    on_readable(&s);
                if (s.conn.fd >= 0 && (ev[i].events & EPOLLOUT))
                    on_writable(&s);
                break;
            case TAG_CONSOLE:
                forward_console(&s);
                break;
            case TAG_STOPPED: {
                uint64_t v;
                (void)!read(hv->ctl.stopped_fd, &v, sizeof v);
                forward_console(&s);    /* the last words first */
                s.stopped = true;
                send_exited(&s);
                break;
            }
            }
        }
        if (s.released && s.conn.fd < 0)
            break;
    }
    /* The socket file stays: the sandbox forbids unlink, and hostd
     * removes the domain's directory anyway. */
    return 0;
}
