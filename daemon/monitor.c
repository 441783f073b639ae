/*
 * The control channel to a monitor: connecting (retrying until skiff-hv
 * has opened its socket), the handshake, requests with callbacks, console
 * bytes and the Exited message, and knowing when the process is gone.
 *
 * A monitor object is never freed from inside one of its own callbacks:
 * the domain layer detaches it (release/discard) and it is freed from a
 * timer or the SIGCHLD handler once the process is gone.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "domain.h"
#include "frame.h"
#include "hostd.h"
#include "log.h"
#include "monitor.h"
#include "util.h"

#define CONNECT_RETRY_MS 50
#define RECONNECT_TIMEOUT_S 10
#define WIND_DOWN_POLL_MS 100
#define WIND_DOWN_KILL_S 5
#define MONITOR_PROTOCOL 1

struct mreq {
    struct list link;
    uint64_t id;
    monitor_cb cb;
    void *arg;
};

static void connect_attempt(evutil_socket_t fd, short what, void *arg);
static void wind_down_check(evutil_socket_t fd, short what, void *arg);
static void channel_close(struct monitor *m);

static const char *mname(const struct monitor *m)
{
    return m->dom ? m->dom->row.name : m->uuid;
}

static void arm(struct monitor *m, event_callback_fn cb, unsigned ms)
{
    if (m->timer != NULL)
        event_free(m->timer);
    m->timer = evtimer_new(m->h->base, cb, m);
    if (m->timer == NULL) {
        log_err("monitor %s: out of memory arming a timer", mname(m));
        return;
    }
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    evtimer_add(m->timer, &tv);
}

struct monitor *monitor_new(struct domain *d, pid_t pid, uint64_t pid_start, bool child,
                            unsigned timeout_s)
{
    struct monitor *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->control = strdup(d->row.control ? d->row.control : "");
    if (m->control == NULL) {
        free(m);
        return NULL;
    }
    m->h = d->h;
    m->dom = d;
    snprintf(m->uuid, sizeof m->uuid, "%s", d->row.uuid);
    list_init(&m->link);
    list_init(&m->pending);
    m->pid = pid;
    m->pid_start = pid_start;
    m->child = child;
    m->next_id = 1;
    m->passed_fd = -1;
    m->deadline_ns = now_monotonic_ns() + (uint64_t)timeout_s * 1000000000ULL;
    arm(m, connect_attempt, 0);
    return m;
}

int monitor_adopt(struct domain *d, pid_t pid, uint64_t pid_start, struct monitor **out)
{
    struct monitor *m = monitor_new(d, pid, pid_start, false, RECONNECT_TIMEOUT_S);
    if (m == NULL)
        return -ENOMEM;
    *out = m;
    return 0;
}

static bool process_gone(struct monitor *m)
{
    if (m->child)
        return m->reaped;
    return !proc_is(m->pid, m->pid_start);
}

static void monitor_free(struct monitor *m)
{
    channel_close(m);
    if (m->timer != NULL)
        event_free(m->timer);
    list_del(&m->link);
    free(m->control);
    free(m);
}

/* A detached monitor whose process is gone: forget it, and let a start
 * that waited for it go ahead. */
static void zombie_done(struct monitor *m)
{
    char uuid[37];
    snprintf(uuid, sizeof uuid, "%s", m->uuid);
    struct hostd *h = m->h;
    monitor_free(m);
    domain_monitor_gone(h, uuid);
}

/* Report a failure to the domain once; it decides what the stop means. */
static void lost(struct monitor *m, const char *reason)
{
    if (m->lost || m->dom == NULL)
        return;
    m->lost = true;
    log_warn("domain %s: %s", mname(m), reason);
    domain_monitor_lost(m->dom, reason);
}

/* ---- the channel ---- */

static void fail_pending(struct monitor *m, int err)
{
    struct list *p, *t;
    list_for_each_safe(p, t, &m->pending) {
        struct mreq *r = list_entry(p, struct mreq, link);
        list_del(&r->link);
        if (r->cb != NULL)
            r->cb(m, r->arg, err, NULL);
        free(r);
    }
}

static void channel_close(struct monitor *m)
{
    if (m->reader != NULL) {
        event_free(m->reader);
        m->reader = NULL;
    }
    if (m->in != NULL) {
        evbuffer_free(m->in);
        m->in = NULL;
    }
    if (m->passed_fd >= 0) {
        close(m->passed_fd);
        m->passed_fd = -1;
    }
    if (m->bev != NULL) {
        bufferevent_free(m->bev);
        m->bev = NULL;
    }
    fail_pending(m, -ECONNRESET);
}

static int send_request(struct monitor *m, Skiff__Monitor__V1__MonitorRequest *req,
                        monitor_cb cb, void *arg)
{
    if (m->bev == NULL)
        return -ENOTCONN;
    struct mreq *r = calloc(1, sizeof *r);
    if (r == NULL)
        return -ENOMEM;
    req->id = m->next_id++;
    size_t size;
    uint8_t *buf = skiff_frame_pack(&req->base, &size);
    if (buf == NULL || bufferevent_write(m->bev, buf, size) < 0) {
        free(buf);
        free(r);
        return -ENOMEM;
    }
    free(buf);
    r->id = req->id;
    r->cb = cb;
    r->arg = arg;
    list_add_tail(&m->pending, &r->link);
    return 0;
}

int monitor_request(struct monitor *m, Skiff__Monitor__V1__MonitorRequest *req, monitor_cb cb,
                    void *arg)
{
    if (!m->ready || m->released)
        return -ENOTCONN;
    return send_request(m, req, cb, arg);
}

int monitor_simple(struct monitor *m, Skiff__Monitor__V1__MonitorRequest__OpCase op,
                   monitor_cb cb, void *arg)
{
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__Empty e = SKIFF__MONITOR__V1__EMPTY__INIT;
    req.op_case = op;
    switch (op) {
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_PAUSE: req.pause = &e; break;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_UNPAUSE: req.unpause = &e; break;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_DESTROY: req.destroy = &e; break;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_STATS: req.stats = &e; break;
    case SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_RELEASE: req.release = &e; break;
    default: return -EINVAL;
    }
    /* Destroy must work before the handshake has finished, too. */
    if (op == SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_DESTROY ||
        op == SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_RELEASE)
        return send_request(m, &req, cb, arg);
    return monitor_request(m, &req, cb, arg);
}

int monitor_guest_request(struct monitor *m, Skiff__Monitor__V1__GuestRequest what,
                          monitor_cb cb, void *arg)
{
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_REQUEST;
    req.request = what;
    return monitor_request(m, &req, cb, arg);
}

static void handle_reply(struct monitor *m, const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct list *p, *t;
    list_for_each_safe(p, t, &m->pending) {
        struct mreq *r = list_entry(p, struct mreq, link);
        if (r->id == rep->id) {
            list_del(&r->link);
            if (r->cb != NULL)
                r->cb(m, r->arg, 0, rep);
            free(r);
            return;
        }
    }
    log_debug("monitor %s: reply to unknown request %llu", mname(m),
              (unsigned long long)rep->id);
}

static void handle_message(struct monitor *m, const Skiff__Monitor__V1__MonitorMessage *msg)
{
    switch (msg->msg_case) {
    case SKIFF__MONITOR__V1__MONITOR_MESSAGE__MSG_REPLY:
        handle_reply(m, msg->reply);
        break;
    case SKIFF__MONITOR__V1__MONITOR_MESSAGE__MSG_CONSOLE:
        if (m->dom != NULL)
            domain_monitor_console(m->dom, msg->console.data, msg->console.len);
        break;
    case SKIFF__MONITOR__V1__MONITOR_MESSAGE__MSG_EXITED:
        if (m->exited)
            break;
        m->exited = true;
        if (m->dom != NULL)
            domain_monitor_exited(m->dom, msg->exited);
        else if (!m->released)
            monitor_release(m);
        break;
    default:
        log_debug("monitor %s: unknown message ignored", mname(m));
        break;
    }
}

static void unexpected_close(struct monitor *m);

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct monitor *m = arg;
    struct evbuffer *in = m->in;
    while (m->bev == bev) {
        size_t avail = evbuffer_get_length(in);
        uint8_t hdr[SKIFF_FRAME_HEADER];
        if (avail < sizeof hdr)
            return;
        evbuffer_copyout(in, hdr, sizeof hdr);
        uint32_t n;
        if (skiff_frame_length(hdr, SKIFF_FRAME_MAX, &n) < 0) {
            log_err("monitor %s: oversized frame; dropping the channel", mname(m));
            unexpected_close(m);
            return;
        }
        if (avail < sizeof hdr + n)
            return;
        uint8_t *frame = evbuffer_pullup(in, (ev_ssize_t)(sizeof hdr + n));
        Skiff__Monitor__V1__MonitorMessage *msg =
            frame ? skiff__monitor__v1__monitor_message__unpack(NULL, n, frame + sizeof hdr)
                  : NULL;
        evbuffer_drain(in, sizeof hdr + n);
        if (msg == NULL) {
            log_err("monitor %s: malformed message; dropping the channel", mname(m));
            unexpected_close(m);
            return;
        }
        handle_message(m, msg);
        skiff__monitor__v1__monitor_message__free_unpacked(msg, NULL);
    }
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct monitor *m = arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        read_cb(bev, m);   /* an Exited may sit just before the EOF */
        if (m->bev == bev)
            unexpected_close(m);
    }
}

/* The channel closed. Expected after Release; otherwise find out why. */
static void unexpected_close(struct monitor *m)
{
    channel_close(m);
    if (m->dom == NULL || m->released) {
        arm(m, wind_down_check, WIND_DOWN_POLL_MS);
        return;
    }
    m->ready = false;
    if (m->child && !m->reaped) {
        /* SIGCHLD will say how it died; if it did not die, connect again. */
        m->deadline_ns = now_monotonic_ns() + RECONNECT_TIMEOUT_S * 1000000000ULL;
        arm(m, connect_attempt, 200);
        return;
    }
    if (m->child || !proc_is(m->pid, m->pid_start)) {
        lost(m, "monitor exited without reporting the guest's exit");
        return;
    }
    m->deadline_ns = now_monotonic_ns() + RECONNECT_TIMEOUT_S * 1000000000ULL;
    arm(m, connect_attempt, CONNECT_RETRY_MS);
}

static void hello_cb(struct monitor *m, void *arg, int err,
                     const Skiff__Monitor__V1__MonitorReply *rep)
{
    if (err == 0 && rep->error != 0) {
        char why[300];
        snprintf(why, sizeof why, "monitor refused the handshake: %s",
                 rep->message && *rep->message ? rep->message : strerror(rep->error));
        lost(m, why);
        monitor_kill(m, SIGKILL);
    }
}

static void subscribe_cb(struct monitor *m, void *arg, int err,
                         const Skiff__Monitor__V1__MonitorReply *rep)
{
    if (err == 0 && rep->error != 0)
        log_warn("monitor %s: console subscription refused: %s", mname(m),
                 rep->message ? rep->message : "");
}

static void stats_cb(struct monitor *m, void *arg, int err,
                     const Skiff__Monitor__V1__MonitorReply *rep)
{
    if (err < 0 || m->dom == NULL || m->lost)
        return;
    m->ready = true;
    domain_monitor_ready(m->dom, rep->error == 0 ? rep->stats : NULL);
}

/*
 * The channel is read with recvmsg, not by the bufferevent: a reply may
 * carry a file descriptor (guest RAM's memfd, SCM_RIGHTS), which a plain
 * read would drop. The bytes go to the bufferevent's input as before.
 */
static void recv_cb(evutil_socket_t fd, short what, void *arg)
{
    struct monitor *m = arg;
    struct bufferevent *bev = m->bev;
    uint8_t buf[64 * 1024];
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = { buf, sizeof buf };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
                         .msg_controllen = sizeof u.b };
    ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n > 0 && cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < nfd; i++) {
            int got;
            memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof got);
            if (m->passed_fd >= 0)
                close(m->passed_fd);    /* only the newest is wanted */
            m->passed_fd = got;
        }
    }
    if (n <= 0) {
        event_cb(bev, n == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR, m);
        return;
    }
    if (evbuffer_add(m->in, buf, (size_t)n) < 0) {
        log_err("monitor %s: out of memory reading the channel", mname(m));
        unexpected_close(m);
        return;
    }
    read_cb(bev, m);
}

int monitor_take_fd(struct monitor *m)
{
    int fd = m->passed_fd;
    m->passed_fd = -1;
    return fd;
}

static void connected(struct monitor *m, int fd)
{
    m->bev = bufferevent_socket_new(m->h->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (m->bev == NULL)
        close(fd);
    if (m->bev != NULL) {
        m->in = evbuffer_new();
        m->reader = event_new(m->h->base, fd, EV_READ | EV_PERSIST, recv_cb, m);
    }
    if (m->bev == NULL || m->in == NULL || m->reader == NULL || event_add(m->reader, NULL) < 0) {
        channel_close(m);       /* closes fd with the bufferevent */
        lost(m, "out of memory connecting to the monitor");
        return;
    }
    bufferevent_setcb(m->bev, read_cb, NULL, event_cb, m);
    bufferevent_enable(m->bev, EV_WRITE);
    log_debug("monitor %s: connected to %s", mname(m), m->control);
    if (m->dom != NULL)
        ring_clear(&m->dom->console);   /* the history re-fills it */

    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__MonitorHello hello = SKIFF__MONITOR__V1__MONITOR_HELLO__INIT;
    hello.version = MONITOR_PROTOCOL;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_HELLO;
    req.hello = &hello;
    int rc = send_request(m, &req, hello_cb, NULL);
    Skiff__Monitor__V1__MonitorRequest sub = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__ConsoleSubscribe cs = SKIFF__MONITOR__V1__CONSOLE_SUBSCRIBE__INIT;
    cs.history = true;
    sub.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_CONSOLE;
    sub.console = &cs;
    if (rc == 0)
        rc = send_request(m, &sub, subscribe_cb, NULL);
    Skiff__Monitor__V1__MonitorRequest st = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__Empty e = SKIFF__MONITOR__V1__EMPTY__INIT;
    st.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_STATS;
    st.stats = &e;
    if (rc == 0)
        rc = send_request(m, &st, stats_cb, NULL);
    if (rc < 0) {
        channel_close(m);
        lost(m, "out of memory talking to the monitor");
    }
}

static void connect_attempt(evutil_socket_t unused, short what, void *arg)
{
    struct monitor *m = arg;
    if (m->dom == NULL || m->lost)
        return;
    if (m->child && m->reaped)
        return;   /* the reaper has reported it */
    if (!m->child && !proc_is(m->pid, m->pid_start)) {
        lost(m, "monitor gone while hostd was down");
        return;
    }
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen(m->control) >= sizeof sun.sun_path) {
        lost(m, "control socket path too long");
        monitor_kill(m, SIGKILL);
        return;
    }
    strcpy(sun.sun_path, m->control);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        log_err("monitor %s: socket: %s", mname(m), strerror(errno));
    } else if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0) {
        connected(m, fd);
        return;
    } else {
        int err = errno;
        close(fd);
        if (err != ENOENT && err != ECONNREFUSED && err != EAGAIN)
            log_warn("monitor %s: connect %s: %s", mname(m), m->control, strerror(err));
    }
    if (now_monotonic_ns() > m->deadline_ns) {
        lost(m, "monitor did not open its control socket in time");
        monitor_kill(m, SIGKILL);
        return;
    }
    arm(m, connect_attempt, CONNECT_RETRY_MS);
}

/* ---- winding down ---- */

void monitor_kill(struct monitor *m, int sig)
{
    if (m->child ? m->reaped : !proc_is(m->pid, m->pid_start))
        return;
    /* A child cannot be a reused pid before we reap it; others are checked. */
    if (kill(m->pid, sig) < 0 && errno != ESRCH)
        log_warn("monitor %s: kill %ld: %s", mname(m), (long)m->pid, strerror(errno));
}

static void detach(struct monitor *m)
{
    if (m->dom != NULL) {
        if (m->dom->mon == m)
            m->dom->mon = NULL;
        m->dom = NULL;
        list_add_tail(&m->h->zombies, &m->link);
    }
    m->deadline_ns = now_monotonic_ns() + WIND_DOWN_KILL_S * 1000000000ULL;
    arm(m, wind_down_check, WIND_DOWN_POLL_MS);
}

static void wind_down_check(evutil_socket_t unused, short what, void *arg)
{
    struct monitor *m = arg;
    if (process_gone(m)) {
        zombie_done(m);
        return;
    }
    if (now_monotonic_ns() > m->deadline_ns) {
        log_warn("monitor %s (pid %ld) did not exit; killing it", mname(m), (long)m->pid);
        monitor_kill(m, SIGKILL);
        m->deadline_ns = now_monotonic_ns() + WIND_DOWN_KILL_S * 1000000000ULL;
    }
    arm(m, wind_down_check, WIND_DOWN_POLL_MS);
}

void monitor_release(struct monitor *m)
{
    if (!m->released) {
        m->released = true;
        if (monitor_simple(m, SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_RELEASE, NULL, NULL) < 0)
            monitor_kill(m, SIGKILL);   /* no channel: nothing else will end it */
    }
    detach(m);
}

void monitor_discard(struct monitor *m)
{
    m->released = true;
    monitor_kill(m, SIGKILL);
    channel_close(m);
    detach(m);
}

bool monitor_zombie_for(struct hostd *h, const char *uuid)
{
    struct list *p, *t;
    list_for_each_safe(p, t, &h->zombies) {
        struct monitor *m = list_entry(p, struct monitor, link);
        if (strcmp(m->uuid, uuid) == 0)
            return true;
    }
    return false;
}

static struct monitor *find_child(struct hostd *h, pid_t pid)
{
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        if (d->mon != NULL && d->mon->child && d->mon->pid == pid)
            return d->mon;
    }
    list_for_each_safe(p, t, &h->zombies) {
        struct monitor *m = list_entry(p, struct monitor, link);
        if (m->child && m->pid == pid)
            return m;
    }
    return NULL;
}

void monitor_reap_children(struct hostd *h)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0)
            return;
        struct monitor *m = find_child(h, pid);
        if (m == NULL) {
            log_debug("reaped unknown child %ld", (long)pid);
            continue;
        }
        m->reaped = true;
        char why[128];
        if (WIFSIGNALED(status))
            snprintf(why, sizeof why, "monitor died (signal %d)", WTERMSIG(status));
        else
            snprintf(why, sizeof why, "monitor exited with status %d",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        log_debug("monitor %s (pid %ld): %s", mname(m), (long)pid, why);
        if (m->dom != NULL) {
            if (m->bev != NULL)
                read_cb(m->bev, m);   /* a last Exited may be waiting */
            if (m->dom != NULL && !m->exited) {
                channel_close(m);
                lost(m, why);
            }
        }
        if (m->dom == NULL) {
            zombie_done(m);
        } else {
            /* Still attached (Exited seen, release pending in the domain layer). */
            channel_close(m);
        }
    }
}

void monitor_disconnect_all(struct hostd *h)
{
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        if (d->mon != NULL) {
            struct monitor *m = d->mon;
            d->mon = NULL;
            m->dom = NULL;
            monitor_free(m);
        }
    }
    list_for_each_safe(p, t, &h->zombies)
        monitor_free(list_entry(p, struct monitor, link));
}
