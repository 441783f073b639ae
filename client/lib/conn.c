/*
 * A connection to hostd: connect and version exchange, sending requests,
 * and routing responses by id. One request at a time waits synchronously;
 * responses for open streams that arrive meanwhile are queued for them,
 * and responses nobody waits for (cancelled streams) are dropped.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame.h"
#include "internal.h"
#include "uri.h"

const char *skiff_version(void)
{
    return PACKAGE_VERSION;
}

const char *skiff_conn_uri(const struct skiff_conn *conn)
{
    return conn->uri;
}

const char *skiff_conn_server(const struct skiff_conn *conn)
{
    return conn->server != NULL ? conn->server : "";
}

static int conn_broken(struct skiff_conn *c, int rc, struct skiff_error *err)
{
    c->broken = rc;
    if (c->ssl != NULL && (rc == -EPROTO || sk_tls_refused(c)))
        return sk_tls_failed(c, -EPROTO, err);
    if (rc == -EPIPE || rc == -ECONNRESET)
        return sk_seterr(err, SKIFF_ERR_IO, -rc, "hostd closed the connection (%s)", c->uri);
    if (rc == -EMSGSIZE || rc == -EPROTO)
        return sk_seterr(err, SKIFF_ERR_PROTOCOL, -rc,
                         "malformed message from hostd (%s): %s", c->uri, strerror(-rc));
    return sk_seterr(err, SKIFF_ERR_IO, -rc, "connection to hostd (%s) failed: %s", c->uri,
                     strerror(-rc));
}

int sk_send_message(struct skiff_conn *c, const Skiff__V1__ClientMessage *m,
                    struct skiff_error *err)
{
    if (c->broken)
        return sk_seterr(err, SKIFF_ERR_IO, -c->broken, "the connection to hostd (%s) is gone",
                         c->uri);
    int rc = c->ssl != NULL ? sk_tls_send(c, &m->base) : skiff_frame_send(c->fd, &m->base);
    if (rc == -ENOMEM)
        return sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory (or request too large)");
    if (rc < 0)
        return conn_broken(c, rc, err);
    return 0;
}

int sk_send_request(struct skiff_conn *c, Skiff__V1__Request *req, struct skiff_error *err)
{
    Skiff__V1__ClientMessage m = SKIFF__V1__CLIENT_MESSAGE__INIT;
    req->id = c->next_id++;
    m.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_REQUEST;
    m.request = req;
    return sk_send_message(c, &m, err);
}

/* Read one ServerMessage from the wire. */
static int read_message(struct skiff_conn *c, Skiff__V1__ServerMessage **out, size_t *size,
                        struct skiff_error *err)
{
    if (c->broken)
        return sk_seterr(err, SKIFF_ERR_IO, -c->broken, "the connection to hostd (%s) is gone",
                         c->uri);
    uint8_t *body;
    uint32_t len;
    int rc = c->ssl != NULL ? sk_tls_recv(c, &body, &len)
                            : skiff_frame_recv(c->fd, SKIFF_FRAME_MAX, &body, &len);
    if (rc == -ENOMEM)
        return sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory");
    if (rc < 0)
        return conn_broken(c, rc, err);
    Skiff__V1__ServerMessage *m = skiff__v1__server_message__unpack(NULL, len, body);
    free(body);
    if (m == NULL) {
        c->broken = -EPROTO;
        return sk_seterr(err, SKIFF_ERR_PROTOCOL, EPROTO,
                         "undecodable message from hostd (%s)", c->uri);
    }
    *out = m;
    *size = len;
    return 0;
}

/* Detach the Response from its ServerMessage so it can live alone. */
static Skiff__V1__Response *take_response(Skiff__V1__ServerMessage *m)
{
    Skiff__V1__Response *r = m->response;
    m->response = NULL;
    m->msg_case = SKIFF__V1__SERVER_MESSAGE__MSG__NOT_SET;
    skiff__v1__server_message__free_unpacked(m, NULL);
    return r;
}

static struct sk_stream *stream_by_id(struct skiff_conn *c, uint64_t id)
{
    for (struct sk_stream *s = c->streams; s != NULL; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

/* Keep r for its stream, within the stream's bounds. */
static void enqueue(struct skiff_conn *c, struct sk_stream *s, Skiff__V1__Response *r,
                    size_t size)
{
    struct sk_queued *q = NULL;
    if (!s->overflowed && s->queued < SK_STREAM_MAX_QUEUED &&
        s->queued_bytes + size <= SK_STREAM_MAX_BYTES)
        q = calloc(1, sizeof *q);
    if (q == NULL) {
        s->overflowed = true;
        skiff__v1__response__free_unpacked(r, NULL);
        return;
    }
    q->resp = r;
    q->size = size;
    s->queued++;
    s->queued_bytes += size;
    struct sk_queued **tail = &c->queue;
    while (*tail != NULL)
        tail = &(*tail)->next;
    *tail = q;
}

static Skiff__V1__Response *dequeue(struct skiff_conn *c, uint64_t id)
{
    for (struct sk_queued **p = &c->queue; *p != NULL; p = &(*p)->next) {
        struct sk_queued *q = *p;
        if (q->resp->id != id)
            continue;
        *p = q->next;
        Skiff__V1__Response *r = q->resp;
        struct sk_stream *s = stream_by_id(c, id);
        if (s != NULL) {
            s->queued--;
            s->queued_bytes -= q->size;
        }
        free(q);
        return r;
    }
    return NULL;
}

bool sk_has_queued(const struct skiff_conn *c, uint64_t id)
{
    for (const struct sk_queued *q = c->queue; q != NULL; q = q->next)
        if (q->resp->id == id)
            return true;
    return false;
}

int sk_wait(struct skiff_conn *c, uint64_t id, Skiff__V1__Response **out,
            struct skiff_error *err)
{
    Skiff__V1__Response *r = dequeue(c, id);
    if (r != NULL) {
        *out = r;
        return 0;
    }
    for (;;) {
        Skiff__V1__ServerMessage *m;
        size_t size;
        int rc = read_message(c, &m, &size, err);
        if (rc < 0)
            return rc;
        if (m->msg_case != SKIFF__V1__SERVER_MESSAGE__MSG_RESPONSE || m->response == NULL) {
            /* Only the first message may be a HelloReply. */
            skiff__v1__server_message__free_unpacked(m, NULL);
            c->broken = -EPROTO;
            return sk_seterr(err, SKIFF_ERR_PROTOCOL, EPROTO,
                             "unexpected message from hostd (%s)", c->uri);
        }
        r = take_response(m);
        if (r->id == id) {
            *out = r;
            return 0;
        }
        struct sk_stream *s = stream_by_id(c, r->id);
        if (s != NULL && !s->ended)
            enqueue(c, s, r, size);
        else
            skiff__v1__response__free_unpacked(r, NULL);
    }
}

int sk_call(struct skiff_conn *c, Skiff__V1__Request *req, Skiff__V1__Response **out,
            struct skiff_error *err)
{
    int rc = sk_send_request(c, req, err);
    if (rc < 0)
        return rc;
    Skiff__V1__Response *r;
    rc = sk_wait(c, req->id, &r, err);
    if (rc < 0)
        return rc;
    rc = sk_error_from_proto(r->error, err);
    if (rc < 0) {
        skiff__v1__response__free_unpacked(r, NULL);
        return rc;
    }
    if (out != NULL)
        *out = r;
    else
        skiff__v1__response__free_unpacked(r, NULL);
    return 0;
}

void sk_stream_attach(struct skiff_conn *c, struct sk_stream *s)
{
    s->conn = c;
    s->next = c->streams;
    c->streams = s;
}

void sk_stream_detach(struct sk_stream *s)
{
    struct skiff_conn *c = s->conn;
    if (c == NULL)              /* skiff_close already let it go */
        return;
    if (!s->ended && !c->broken) {
        /* Best effort: hostd stops pushing; whatever still arrives for
         * this id (and the Cancel's own reply) is dropped as unknown. */
        Skiff__V1__Cancel cancel = SKIFF__V1__CANCEL__INIT;
        Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
        cancel.request_id = s->id;
        req.op_case = SKIFF__V1__REQUEST__OP_CANCEL;
        req.cancel = &cancel;
        sk_send_request(c, &req, NULL);
    }
    for (struct sk_stream **p = &c->streams; *p != NULL; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    Skiff__V1__Response *r;
    while ((r = dequeue(c, s->id)) != NULL)
        skiff__v1__response__free_unpacked(r, NULL);
    s->conn = NULL;
}

int sk_stream_next(struct sk_stream *s, Skiff__V1__Response **out, struct skiff_error *err)
{
    *out = NULL;
    if (s->ended || s->conn == NULL)
        return 0;
    if (s->overflowed && !sk_has_queued(s->conn, s->id)) {
        s->ended = true;
        return sk_seterr(err, SKIFF_ERR_IO, ENOBUFS,
                         "stream messages were lost while other calls used the connection; "
                         "read streams promptly or give them a connection of their own");
    }
    Skiff__V1__Response *r;
    int rc = sk_wait(s->conn, s->id, &r, err);
    if (rc < 0) {
        s->ended = true;
        return rc;
    }
    if (!r->more)
        s->ended = true;
    rc = sk_error_from_proto(r->error, err);
    if (rc < 0) {
        s->ended = true;
        skiff__v1__response__free_unpacked(r, NULL);
        return rc;
    }
    *out = r;
    return 0;
}

/* Exchange Hello/HelloReply; hostd closes the connection on refusal. */
static int hello(struct skiff_conn *c, struct skiff_error *err)
{
    Skiff__V1__Hello h = SKIFF__V1__HELLO__INIT;
    Skiff__V1__ClientMessage m = SKIFF__V1__CLIENT_MESSAGE__INIT;
    h.version = SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1;
    h.client = (char *)"libskiff " PACKAGE_VERSION;
    m.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO;
    m.hello = &h;
    int rc = sk_send_message(c, &m, err);
    if (rc < 0)
        return rc;
    Skiff__V1__ServerMessage *reply;
    size_t size;
    rc = read_message(c, &reply, &size, err);
    if (rc < 0)
        return rc;
    if (reply->msg_case != SKIFF__V1__SERVER_MESSAGE__MSG_HELLO || reply->hello == NULL) {
        skiff__v1__server_message__free_unpacked(reply, NULL);
        return sk_seterr(err, SKIFF_ERR_PROTOCOL, 0,
                         "%s did not answer the version exchange: is it hostd?", c->uri);
    }
    Skiff__V1__HelloReply *hr = reply->hello;
    rc = sk_error_from_proto(hr->error, err);
    if (rc < 0) {
        skiff__v1__server_message__free_unpacked(reply, NULL);
        return rc;
    }
    if (hr->version != SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1) {
        int v = hr->version;
        skiff__v1__server_message__free_unpacked(reply, NULL);
        return sk_seterr(err, SKIFF_ERR_PROTOCOL, 0,
                         "hostd at %s speaks protocol version %d; this libskiff speaks 1",
                         c->uri, v);
    }
    bool failed = false;
    c->server = sk_strdup(hr->server, &failed);
    skiff__v1__server_message__free_unpacked(reply, NULL);
    if (failed)
        return sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory");
    return 0;
}

static int connect_unix(struct skiff_conn *c, const struct sk_uri *u, struct skiff_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, u->path, sizeof sa.sun_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return sk_seterr(err, SKIFF_ERR_CONNECT, errno, "cannot create a socket: %s",
                         strerror(errno));
    int rc;
    do
        rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int e = errno;
        close(fd);
        return sk_seterr(err, SKIFF_ERR_CONNECT, e, "cannot connect to %s: %s", u->uri,
                         strerror(e));
    }
    c->fd = fd;
    return 0;
}

int skiff_connect(const char *uri, struct skiff_conn **out, struct skiff_error *err)
{
    skiff_error_clear(err);
    *out = NULL;
    struct sk_uri *u = malloc(sizeof *u);
    if (u == NULL)
        return sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory");
    int rc = sk_uri_parse(sk_uri_pick(uri, getenv(SKIFF_URI_ENV)), u, err);
    if (rc < 0) {
        free(u);
        return rc;
    }
    struct skiff_conn *c = calloc(1, sizeof *c);
    if (c == NULL || (c->uri = strdup(u->uri)) == NULL) {
        free(c);
        free(u);
        return sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory");
    }
    c->fd = -1;
    c->next_id = 1;
    rc = u->kind == SK_URI_TLS ? sk_tls_connect(c, u, err) : connect_unix(c, u, err);
    free(u);
    if (rc == 0)
        rc = hello(c, err);
    if (rc < 0) {
        skiff_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void skiff_close(struct skiff_conn *conn)
{
    if (conn == NULL)
        return;
    /* Streams still open lose their connection; they are the caller's to
     * free, so only unlink them here. */
    for (struct sk_stream *s = conn->streams; s != NULL; s = s->next) {
        s->conn = NULL;
        s->ended = true;
    }
    while (conn->queue != NULL) {
        struct sk_queued *q = conn->queue;
        conn->queue = q->next;
        skiff__v1__response__free_unpacked(q->resp, NULL);
        free(q);
    }
    sk_tls_close(conn);
    if (conn->fd >= 0)
        close(conn->fd);
    free(conn->uri);
    free(conn->server);
    free(conn);
}
