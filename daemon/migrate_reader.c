/*
 * The incoming stream off the TLS socket (migrate_reader.h). The socket
 * stays non-blocking: each readable event reads frames until OpenSSL
 * wants more bytes, or a budget is spent (the loop has other clients),
 * in which case the event is made active again rather than waiting for
 * the socket, since OpenSSL may hold decrypted bytes already.
 */
#include "config.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "frame.h"
#include "hostd.h"
#include "log.h"
#include "migrate_frame.h"
#include "migrate_reader.h"

#define DATA_BUF (256U << 10)
#define BUDGET (8U << 20)        /* bytes per event before others get a turn */

struct mig_reader {
    struct conn *c;
    SSL *ssl;
    struct event *ev;
    struct timeval timeout;
    const struct mig_reader_ops *ops;
    void *arg;
    bool busy, stopped;         /* stopped while busy: freed on the way out */
    /* the frame being read */
    uint8_t hdr[SKIFF_FRAME_HEADER];
    size_t hdr_got;
    uint32_t n;                 /* its body's length */
    uint8_t head[MIG_FRAME_PREFIX_MAX];
    size_t head_got;            /* of min(n, MIG_FRAME_PREFIX_MAX) */
    bool is_data;               /* MigrateData: its data go to ops */
    uint8_t *body;              /* any other frame, whole */
    uint32_t pos;               /* body bytes read */
    uint8_t buf[DATA_BUF];
};

static void reader_free(struct mig_reader *r)
{
    event_free(r->ev);
    free(r->body);
    free(r);
}

void mig_reader_stop(struct mig_reader *r)
{
    if (r == NULL || r->stopped)
        return;
    r->stopped = true;
    event_del(r->ev);
    conn_hand_input(r->c, false);
    if (!r->busy)
        reader_free(r);
}

/* Up to want bytes: > 0 read, 0 nothing now, < 0 the connection ended. */
static ssize_t tls_read(struct mig_reader *r, void *buf, size_t want)
{
    for (;;) {
        ERR_clear_error();
        size_t got = 0;
        if (SSL_read_ex(r->ssl, buf, want, &got) == 1)
            return (ssize_t)got;
        int rc = SSL_get_error(r->ssl, 0);
        if (rc == SSL_ERROR_WANT_READ || rc == SSL_ERROR_WANT_WRITE)
            return 0;
        if (rc == SSL_ERROR_SYSCALL && errno == EINTR)
            continue;
        if (rc == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return rc == SSL_ERROR_ZERO_RETURN ? -EPIPE : -EPROTO;
    }
}

/* The frame's first bytes are in: what kind is it? */
static void frame_head(struct mig_reader *r)
{
    uint64_t id;
    size_t off;
    r->pos = (uint32_t)r->head_got;
    if (mig_frame_parse(r->head, r->head_got, r->n, &id, &off)) {
        r->is_data = true;
        r->ops->begin(r->arg, id);
        if (!r->stopped && r->head_got > off)
            r->ops->data(r->arg, r->head + off, r->head_got - off);
        return;
    }
    r->body = malloc(r->n);
    if (r->body != NULL)
        memcpy(r->body, r->head, r->head_got);
}

/* Read what is there; 0 (wait), 1 (budget spent) or < 0 (ended). */
static int read_some(struct mig_reader *r)
{
    size_t budget = BUDGET;
    while (!r->stopped && budget > 0) {
        ssize_t k;
        if (r->hdr_got < sizeof r->hdr) {
            k = tls_read(r, r->hdr + r->hdr_got, sizeof r->hdr - r->hdr_got);
            if (k <= 0)
                return (int)k;
            r->hdr_got += (size_t)k;
            if (r->hdr_got == sizeof r->hdr &&
                skiff_frame_length(r->hdr, SKIFF_FRAME_MAX, &r->n) < 0)
                return -EFBIG;
            continue;
        }
        size_t first = r->n < MIG_FRAME_PREFIX_MAX ? r->n : MIG_FRAME_PREFIX_MAX;
        if (r->head_got < first) {
            k = tls_read(r, r->head + r->head_got, first - r->head_got);
            if (k <= 0)
                return (int)k;
            r->head_got += (size_t)k;
            if (r->head_got == first) {
                frame_head(r);
                if (!r->is_data && r->body == NULL)
                    return -ENOMEM;
            }
            continue;
        }
        if (r->pos < r->n) {
            size_t want = r->n - r->pos;
            uint8_t *to = r->body + r->pos;
            if (r->is_data) {
                /* Straight to where the bytes belong, if the consumer
                 * says; else through buf. */
                uint8_t *at = NULL;
                size_t room = r->ops->place(r->arg, &at);
                if (room > 0) {
                    to = at;
                    want = room < want ? room : want;
                } else {
                    to = r->buf;
                    want = want < sizeof r->buf ? want : sizeof r->buf;
                }
            }
            k = tls_read(r, to, want);
            if (k <= 0)
                return (int)k;
            if (r->is_data)
                r->ops->data(r->arg, to, (size_t)k);
            r->pos += (uint32_t)k;
            budget -= (size_t)k < budget ? (size_t)k : budget;
            continue;
        }
        /* The frame is whole. */
        r->hdr_got = r->head_got = 0;
        if (r->is_data) {
            r->is_data = false;
            r->ops->end(r->arg);
            continue;
        }
        uint8_t *body = r->body;
        uint32_t n = r->n;
        struct conn *c = r->c;
        r->body = NULL;
        r->ops->other(r->arg);  /* stops us: the connection reads again */
        conn_frame(c, body, n);
        free(body);
        return 0;
    }
    return r->stopped ? 0 : 1;
}

static void readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    struct mig_reader *r = arg;
    struct conn *c = r->c;
    if (what & EV_TIMEOUT) {
        log_warn("client %u: the migration stream stalled for %ld s; closing", c->serial,
                 (long)r->timeout.tv_sec);
        conn_lost(c);           /* stops and frees r */
        return;
    }
    r->busy = true;
    int rc = read_some(r);
    r->busy = false;
    if (r->stopped) {
        reader_free(r);
        return;
    }
    if (rc == 1) {
        event_active(r->ev, EV_READ, 0);
        return;
    }
    if (rc < 0) {
        if (rc != -EPIPE)
            log_warn("client %u: the migration stream: %s; closing", c->serial,
                     rc == -EFBIG ? "a frame over the maximum" : rc == -ENOMEM
                     ? "out of memory" : "a TLS error");
        conn_lost(c);           /* stops and frees r */
    }
}

struct mig_reader *mig_reader_start(struct conn *c, const struct mig_reader_ops *ops, void *arg,
                                    uint32_t timeout_ms)
{
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    if (ssl == NULL || !conn_input_empty(c))
        return NULL;
    struct mig_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->c = c;
    r->ssl = ssl;
    r->ops = ops;
    r->arg = arg;
    r->timeout = (struct timeval){ timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    r->ev = event_new(c->h->base, bufferevent_getfd(c->bev), EV_READ | EV_PERSIST, readable, r);
    if (r->ev == NULL || event_add(r->ev, &r->timeout) < 0) {
        if (r->ev != NULL)
            event_free(r->ev);
        free(r);
        return NULL;
    }
    conn_hand_input(c, true);
    /* OpenSSL may hold bytes already: look now rather than wait. */
    event_active(r->ev, EV_READ, 0);
    return r;
}
