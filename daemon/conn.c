/*
 * Client connections: framing, the Hello handshake, back-pressure and an
 * orderly close. Requests are handed to rpc_dispatch.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conn.h"
#include "migrate_peer.h"
#include "frame.h"
#include "hostd.h"
#include "log.h"
#include "rpc.h"
#include "tls_server.h"

/* Stop reading a client's requests while this much output waits for it. */
#define OUTPUT_PAUSE (8U << 20)
/* Live console output is dropped for a client this far behind. */
#define OUTPUT_CONSOLE_LIMIT (1U << 20)
/* A client that reads nothing is cut off once this much waits for it. */
#define OUTPUT_MAX (64U << 20)
/* The most one read takes off the socket. */
#define READ_MAX (256U << 10)
/* A closing connection gets this long to take its last reply. */
#define CLOSE_TIMEOUT_S 5

static unsigned next_serial;

static void conn_free(struct conn *c)
{
    struct list *p, *t;
    migrate_in_conn_gone(c);
    list_for_each_safe(p, t, &c->calls) {
        struct call *call = list_entry(p, struct call, conn_link);
        list_del(&call->conn_link);
        if (!list_empty(&call->wait_link)) {
            call_free(call);
        } else {
            call->conn = NULL;   /* orphan: its owner frees it when it completes */
        }
    }
    list_del(&c->link);
    if (c->deadline != NULL)
        event_free(c->deadline);
    if (c->bev != NULL)
        bufferevent_free(c->bev);   /* BEV_OPT_CLOSE_ON_FREE closes the socket */
    log_debug("client %u: closed", c->serial);
    free(c->identity);
    free(c);
}

static void free_later_cb(evutil_socket_t fd, short what, void *arg)
{
    conn_free(arg);
}

static void closing_write_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        conn_free(c);
}

static void closing_event_cb(struct bufferevent *bev, short what, void *arg)
{
    conn_free(arg);
}

static void arm_deadline(struct conn *c, uint32_t ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    if (c->deadline != NULL && evtimer_add(c->deadline, &tv) == 0)
        c->deadline_armed = true;
}

static void disarm_deadline(struct conn *c)
{
    if (c->deadline_armed) {
        evtimer_del(c->deadline);
        c->deadline_armed = false;
    }
}

/* Too slow (Hello, a frame) or not reading its replies: cut off at once,
 * without waiting for it to read anything more. */
static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    if (c->overflowed)
        log_warn("client %u (pid %ld uid %ld): more than %u bytes of replies unread; closing",
                 c->serial, (long)c->pid, (long)c->uid, OUTPUT_MAX);
    else
        log_warn("client %u (pid %ld uid %ld): %s not complete within %u ms; closing",
                 c->serial, (long)c->pid, (long)c->uid,
                 c->hello_done ? "a request frame" : "the Hello", c->h->conf.client_timeout_ms);
    c->closing = true;
    conn_free(c);
}

void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    disarm_deadline(c);
    /* Streams and waiters stop at once; the socket lingers only to flush. */
    struct list *p, *t;
    list_for_each_safe(p, t, &c->calls) {
        struct call *call = list_entry(p, struct call, conn_link);
        if (!list_empty(&call->wait_link))
            call_free(call);
    }
    bufferevent_disable(c->bev, EV_READ);
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
        bufferevent_setcb(c->bev, NULL, NULL, NULL, c);
        if (event_base_once(c->h->base, -1, EV_TIMEOUT, free_later_cb, c, NULL) < 0)
            log_err("client %u: cannot schedule close", c->serial);
        return;
    }
    struct timeval tv = { CLOSE_TIMEOUT_S, 0 };
    bufferevent_set_timeouts(c->bev, NULL, &tv);
    bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
    bufferevent_setcb(c->bev, NULL, closing_write_cb, closing_event_cb, c);
    bufferevent_enable(c->bev, EV_WRITE);
}

void conn_close_all(struct hostd *h)
{
    struct list *p, *t;
    list_for_each_safe(p, t, &h->conns) {
        struct conn *c = list_entry(p, struct conn, link);
        c->closing = true;
        conn_free(c);
    }
}

int conn_send(struct conn *c, const Skiff__V1__ServerMessage *m)
{
    if (c->closing || c->overflowed)
        return -ECONNRESET;
    size_t size;
    uint8_t *buf = skiff_frame_pack(&m->base, &size);
    if (buf == NULL) {
        log_err("client %u: cannot encode a reply (out of memory or too large)", c->serial);
        return -ENOMEM;
    }
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) + size > OUTPUT_MAX) {
        /* Closed from the event loop: the caller may be walking a list of calls. */
        free(buf);
        c->overflowed = true;
        disarm_deadline(c);
        arm_deadline(c, 0);
        return -ENOBUFS;
    }
    /* Most replies fit the socket buffer: write them at once and leave
     * only a remainder to the bufferevent, which saves the epoll
     * registration round (two epoll_ctl and a wake-up) per reply. */
    size_t sent = 0;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    if (c->transport == CONN_UNIX && evbuffer_get_length(out) == 0) {
        ssize_t n = send(bufferevent_getfd(c->bev), buf, size, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0)
            sent = (size_t)n;
    }
    int rc = sent < size ? bufferevent_write(c->bev, buf + sent, size - sent) : 0;
    free(buf);
    if (rc < 0)
        return -ENOMEM;
    if (!c->read_paused &&
        evbuffer_get_length(bufferevent_get_output(c->bev)) > OUTPUT_PAUSE) {
        c->read_paused = true;
        bufferevent_disable(c->bev, EV_READ);
    }
    return 0;
}

static void send_hello_reply(struct conn *c, Skiff__V1__ErrorCode code, const char *msg)
{
    Skiff__V1__HelloReply hr = SKIFF__V1__HELLO_REPLY__INIT;
    Skiff__V1__Error err = SKIFF__V1__ERROR__INIT;
    hr.version = SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1;
    hr.server = (char *)HOSTD_VERSION_STRING;
    if (code != SKIFF__V1__ERROR_CODE__OK) {
        err.code = code;
        err.message = (char *)msg;
        hr.error = &err;
    }
    Skiff__V1__ServerMessage sm = SKIFF__V1__SERVER_MESSAGE__INIT;
    sm.msg_case = SKIFF__V1__SERVER_MESSAGE__MSG_HELLO;
    sm.hello = &hr;
    conn_send(c, &sm);
}

/* The refusal waits for the client's Hello, so the client reads it as the
 * reply to its Hello instead of failing to send; it gets a few seconds. */
#define DENY_TIMEOUT_S 10

void conn_deny(struct conn *c, Skiff__V1__ErrorCode code, const char *why)
{
    c->denied = true;
    c->deny_code = code;
    snprintf(c->deny_msg, sizeof c->deny_msg, "%s", why);
    disarm_deadline(c);
    struct timeval tv = { DENY_TIMEOUT_S, 0 };
    bufferevent_set_timeouts(c->bev, &tv, NULL);
}

/* A broken frame after the handshake: say why (id 0: no request to blame), then close. */
static void protocol_error(struct conn *c, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char who[CONN_WHO_MAX];
    log_info("client %u (%s): %s; closing", c->serial, conn_who(c, who, sizeof who), msg);
    if (!c->hello_done) {
        send_hello_reply(c, SKIFF__V1__ERROR_CODE__PROTOCOL, msg);
    } else {
        Skiff__V1__Error err = SKIFF__V1__ERROR__INIT;
        err.code = SKIFF__V1__ERROR_CODE__PROTOCOL;
        err.message = msg;
        Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
        r.error = &err;
        Skiff__V1__ServerMessage sm = SKIFF__V1__SERVER_MESSAGE__INIT;
        sm.msg_case = SKIFF__V1__SERVER_MESSAGE__MSG_RESPONSE;
        sm.response = &r;
        conn_send(c, &sm);
    }
    conn_close(c);
}

static void handle_message(struct conn *c, Skiff__V1__ClientMessage *m)
{
    if (c->denied) {
        send_hello_reply(c, c->deny_code, c->deny_msg);
        conn_close(c);
        return;
    }
    if (!c->hello_done) {
        if (m->msg_case != SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO) {
            protocol_error(c, "the first message must be Hello");
            return;
        }
        if (m->hello->version != SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1) {
            protocol_error(c, "protocol version %d is not supported (this hostd speaks %d)",
                           (int)m->hello->version, SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1);
            return;
        }
        c->hello_done = true;
        log_debug("client %u: hello from '%s'", c->serial,
                  m->hello->client ? m->hello->client : "");
        send_hello_reply(c, SKIFF__V1__ERROR_CODE__OK, NULL);
        return;
    }
    switch (m->msg_case) {
    case SKIFF__V1__CLIENT_MESSAGE__MSG_REQUEST:
        rpc_dispatch(c, m->request);
        break;
    case SKIFF__V1__CLIENT_MESSAGE__MSG_CONSOLE_INPUT:
        /* hvt guests have no console input: accepted and dropped. */
        break;
    case SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO:
        protocol_error(c, "Hello sent twice");
        break;
    default:
        protocol_error(c, "unknown message");
        break;
    }
}

/* A frame's message (NULL: it did not unpack), whole. */
static void take_message(struct conn *c, Skiff__V1__ClientMessage *m)
{
    if (m == NULL) {
        protocol_error(c, "malformed message (not a skiff.v1.ClientMessage)");
        return;
    }
    handle_message(c, m);
    skiff__v1__client_message__free_unpacked(m, NULL);
    /* A whole frame came: the clock restarts with the next one. */
    if (!c->closing && c->hello_done)
        disarm_deadline(c);
}

static void read_frames(struct bufferevent *bev, struct conn *c)
{
    struct evbuffer *in = bufferevent_get_input(bev);
    while (!c->closing && !c->read_paused) {
        size_t avail = evbuffer_get_length(in);
        uint8_t hdr[SKIFF_FRAME_HEADER];
        if (avail < sizeof hdr)
            return;
        evbuffer_copyout(in, hdr, sizeof hdr);
        uint32_t n;
        if (c->denied) {   /* whatever it sent: it gets the refusal */
            handle_message(c, NULL);
            return;
        }
        /* The length is checked before anything is allocated for the body. */
        if (skiff_frame_length(hdr, SKIFF_FRAME_MAX, &n) < 0) {
            protocol_error(c, "frame larger than the maximum of %u bytes", SKIFF_FRAME_MAX);
            return;
        }
        if (avail < sizeof hdr + n)
            return;
        uint8_t *frame = evbuffer_pullup(in, (ev_ssize_t)(sizeof hdr + n));
        if (frame == NULL) {
            protocol_error(c, "out of memory");
            return;
        }
        Skiff__V1__ClientMessage *m =
            skiff__v1__client_message__unpack(NULL, n, frame + sizeof hdr);
        evbuffer_drain(in, sizeof hdr + n);
        take_message(c, m);
    }
}

void conn_frame(struct conn *c, const uint8_t *body, uint32_t n)
{
    if (c->closing)
        return;
    if (c->denied) {
        handle_message(c, NULL);
        return;
    }
    take_message(c, skiff__v1__client_message__unpack(NULL, n, body));
}

void conn_hand_input(struct conn *c, bool give)
{
    if (c->closing)
        return;
    c->input_elsewhere = give;
    if (give)
        bufferevent_disable(c->bev, EV_READ);
    else if (!c->read_paused)
        bufferevent_enable(c->bev, EV_READ);
}

bool conn_input_empty(const struct conn *c)
{
    return evbuffer_get_length(bufferevent_get_input(c->bev)) == 0;
}

void conn_lost(struct conn *c)
{
    c->closing = true;
    conn_free(c);
}

/* Frames must arrive whole within client_timeout_ms of their first byte
 * (and the Hello within that of connecting): a client dribbling a frame
 * never holds its connection, or the others, forever. */
static void read_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    read_frames(bev, c);
    if (c->closing || c->denied || c->overflowed)
        return;
    bool partial = evbuffer_get_length(bufferevent_get_input(bev)) > 0;
    if ((partial || !c->hello_done) && !c->deadline_armed)
        arm_deadline(c, c->h->conf.client_timeout_ms);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    if (c->read_paused && evbuffer_get_length(bufferevent_get_output(bev)) < OUTPUT_PAUSE / 2) {
        c->read_paused = false;
        if (c->input_elsewhere)
            return;
        bufferevent_enable(bev, EV_READ);
        read_cb(bev, c);   /* frames may be waiting already */
    }
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {   /* a TLS handshake is done */
        if (tls_conn_ready(c) < 0) {
            c->closing = true;
            conn_free(c);
        }
        return;
    }
    if (c->transport == CONN_TLS && c->identity == NULL)
        tls_conn_failed(c, what);
    else if (what & BEV_EVENT_ERROR)
        log_debug("client %u: %s", c->serial, strerror(EVUTIL_SOCKET_ERROR()));
    if (what & BEV_EVENT_TIMEOUT)
        log_warn("client %u (pid %ld uid %ld): %s; closing", c->serial, (long)c->pid,
                 (long)c->uid, c->denied ? "no Hello after its refusal"
                                         : "replies not read for client_timeout_ms");
    /* EOF or error: nothing more can be sent either. */
    c->closing = true;
    conn_free(c);
}

/* What both transports share once the bufferevent exists. */
static struct conn *conn_attach(struct hostd *h, struct bufferevent *bev)
{
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        bufferevent_free(bev);
        return NULL;
    }
    c->h = h;
    c->bev = bev;
    c->serial = ++next_serial;
    list_init(&c->calls);
    c->deadline = evtimer_new(h->base, deadline_cb, c);
    if (c->deadline == NULL) {
        bufferevent_free(bev);
        free(c);
        return NULL;
    }
    list_add_tail(&h->conns, &c->link);
    arm_deadline(c, h->conf.client_timeout_ms);   /* for the Hello */
    /* A reply the client takes nothing of for this long ends the connection. */
    struct timeval wtv = { h->conf.client_timeout_ms / 1000,
                           (h->conf.client_timeout_ms % 1000) * 1000 };
    bufferevent_set_timeouts(c->bev, NULL, &wtv);
    /* Never buffer more than one maximal frame of input. */
    bufferevent_setwatermark(c->bev, EV_READ, 0, SKIFF_FRAME_HEADER + SKIFF_FRAME_MAX);
    /* Large reads: a migration stream comes in MiB frames. */
    bufferevent_set_max_single_read(c->bev, READ_MAX);
    bufferevent_setwatermark(c->bev, EV_WRITE, OUTPUT_PAUSE / 2, 0);
    bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    return c;
}

struct conn *conn_new_tls(struct hostd *h, struct bufferevent *bev, const char *peer)
{
    struct conn *c = conn_attach(h, bev);
    if (c == NULL)
        return NULL;
    c->transport = CONN_TLS;
    c->uid = (uid_t)-1;
    c->gid = (gid_t)-1;
    /* Its identity, the certificate subject, comes with the handshake. */
    c->subj = (struct xsm_subject){ .uid = c->uid, .gid = c->gid };
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    log_debug("client %u: TLS connection from %s", c->serial, c->peer);
    return c;
}

const char *conn_who(const struct conn *c, char *buf, size_t len)
{
    if (c->transport == CONN_TLS)
        snprintf(buf, len, "'%s' at %s", c->identity ? c->identity : "(no certificate yet)",
                 c->peer);
    else
        snprintf(buf, len, "pid %ld uid %ld", (long)c->pid, (long)c->uid);
    return buf;
}

int conn_new(struct hostd *h, int fd, uid_t uid, gid_t gid, pid_t pid)
{
    struct bufferevent *bev = bufferevent_socket_new(h->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        close(fd);
        return -ENOMEM;
    }
    struct conn *c = conn_attach(h, bev);
    if (c == NULL)
        return -ENOMEM;
    c->transport = CONN_UNIX;
    c->uid = uid;
    c->gid = gid;
    c->pid = pid;
    c->subj = (struct xsm_subject){ .uid = uid, .gid = gid, .pid = pid };
    log_debug("client %u: connected (pid %ld uid %ld gid %ld)", c->serial, (long)pid,
              (long)uid, (long)gid);
    return 0;
}

unsigned conn_count_uid(struct hostd *h, uid_t uid)
{
    unsigned n = 0;
    struct list *p, *t;
    list_for_each_safe(p, t, &h->conns) {
        const struct conn *c = list_entry(p, struct conn, link);
        n += c->uid == uid && !c->denied;
    }
    return n;
}

/* ---- calls ---- */

struct call *call_new(struct conn *c, uint64_t id)
{
    struct call *call = calloc(1, sizeof *call);
    if (call == NULL)
        return NULL;
    call->conn = c;
    call->id = id;
    list_init(&call->wait_link);
    list_add_tail(&c->calls, &call->conn_link);
    return call;
}

void call_free(struct call *call)
{
    if (call == NULL)
        return;
    list_del(&call->wait_link);
    list_del(&call->conn_link);
    free(call);
}

static int call_send(struct call *call, Skiff__V1__Response *r, bool more)
{
    if (call->conn == NULL)
        return -ECONNRESET;
    r->id = call->id;
    r->more = more;
    Skiff__V1__ServerMessage sm = SKIFF__V1__SERVER_MESSAGE__INIT;
    sm.msg_case = SKIFF__V1__SERVER_MESSAGE__MSG_RESPONSE;
    sm.response = r;
    return conn_send(call->conn, &sm);
}

int call_send_more(struct call *call, Skiff__V1__Response *r)
{
    return call_send(call, r, true);
}

void call_reply(struct call *call, Skiff__V1__Response *r)
{
    call_send(call, r, false);
    call_free(call);
}

void call_reply_ok(struct call *call)
{
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    call_reply(call, &r);
}

static void call_verror(struct call *call, Skiff__V1__ErrorCode code, const char *decision,
                        const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    Skiff__V1__Error err = SKIFF__V1__ERROR__INIT;
    err.code = code;
    err.message = msg;
    if (decision != NULL)
        err.decision = (char *)decision;
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.error = &err;
    call_reply(call, &r);
}

void call_error(struct call *call, Skiff__V1__ErrorCode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    call_verror(call, code, NULL, fmt, ap);
    va_end(ap);
}

void call_denied(struct call *call, const char *decision, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    call_verror(call, SKIFF__V1__ERROR_CODE__DENIED, decision, fmt, ap);
    va_end(ap);
}

bool call_backlogged(const struct call *call)
{
    if (call->conn == NULL || call->conn->closing)
        return true;
    return evbuffer_get_length(bufferevent_get_output(call->conn->bev)) > OUTPUT_CONSOLE_LIMIT;
}
