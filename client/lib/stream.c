/* The server-pushed streams: a domain's console and hostd's event log. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct skiff_console {
    struct sk_stream s;
    Skiff__V1__Response *chunk;   /* output not yet handed to the caller */
    size_t off;
};

struct skiff_events {
    struct sk_stream s;
};

static int open_stream(struct skiff_conn *c, Skiff__V1__Request *req, struct sk_stream *s,
                       struct skiff_error *err)
{
    int rc = sk_send_request(c, req, err);
    if (rc < 0)
        return rc;
    s->id = req->id;
    sk_stream_attach(c, s);
    return 0;
}

int skiff_console_open(struct skiff_conn *conn, const char *domain, unsigned flags,
                       struct skiff_console **out, struct skiff_error *err)
{
    skiff_error_clear(err);
    if (conn == NULL || out == NULL)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "conn and out must not be NULL");
    if (domain == NULL || *domain == '\0')
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "no domain given (a name or UUID)");
    struct skiff_console *con = calloc(1, sizeof *con);
    if (con == NULL)
        return sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory");
    Skiff__V1__ConsoleRequest cr = SKIFF__V1__CONSOLE_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    cr.domain = (char *)domain;
    cr.history = (flags & SKIFF_CONSOLE_HISTORY) != 0;
    req.op_case = SKIFF__V1__REQUEST__OP_CONSOLE;
    req.console = &cr;
    int rc = open_stream(conn, &req, &con->s, err);
    if (rc < 0) {
        free(con);
        return rc;
    }
    *out = con;
    return 0;
}

ssize_t skiff_console_read(struct skiff_console *con, void *buf, size_t len,
                           struct skiff_error *err)
{
    skiff_error_clear(err);
    if (len == 0)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "zero-length read");
    /* Skip messages without output (e.g. an acknowledgement). */
    while (con->chunk == NULL) {
        Skiff__V1__Response *r;
        int rc = sk_stream_next(&con->s, &r, err);
        if (rc < 0)
            return rc;
        if (r == NULL)
            return 0;
        if (r->result_case == SKIFF__V1__RESPONSE__RESULT_CONSOLE && r->console != NULL &&
            r->console->data.len > 0) {
            con->chunk = r;
            con->off = 0;
        } else {
            skiff__v1__response__free_unpacked(r, NULL);
        }
    }
    ProtobufCBinaryData *d = &con->chunk->console->data;
    size_t n = d->len - con->off;
    if (n > len)
        n = len;
    memcpy(buf, d->data + con->off, n);
    con->off += n;
    if (con->off == d->len) {
        skiff__v1__response__free_unpacked(con->chunk, NULL);
        con->chunk = NULL;
    }
    return (ssize_t)n;
}

int skiff_console_write(struct skiff_console *con, const void *buf, size_t len,
                        struct skiff_error *err)
{
    skiff_error_clear(err);
    if (con->s.conn == NULL)
        return sk_seterr(err, SKIFF_ERR_IO, ENOTCONN, "the connection to hostd is closed");
    if (len == 0)
        return 0;
    Skiff__V1__ConsoleData cd = SKIFF__V1__CONSOLE_DATA__INIT;
    Skiff__V1__ClientMessage m = SKIFF__V1__CLIENT_MESSAGE__INIT;
    cd.data.data = (uint8_t *)buf;
    cd.data.len = len;
    m.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_CONSOLE_INPUT;
    m.console_input = &cd;
    return sk_send_message(con->s.conn, &m, err);
}

int skiff_console_fd(const struct skiff_console *con)
{
    return con->s.conn != NULL ? con->s.conn->fd : -1;
}

bool skiff_console_pending(const struct skiff_console *con)
{
    if (con->chunk != NULL)
        return true;
    return con->s.conn != NULL &&
           (sk_has_queued(con->s.conn, con->s.id) || sk_tls_buffered(con->s.conn));
}

void skiff_console_close(struct skiff_console *con)
{
    if (con == NULL)
        return;
    sk_stream_detach(&con->s);
    if (con->chunk != NULL)
        skiff__v1__response__free_unpacked(con->chunk, NULL);
    free(con);
}

int skiff_events_open(struct skiff_conn *conn, uint64_t since_seq, struct skiff_events **out,
                      struct skiff_error *err)
{
    skiff_error_clear(err);
    if (conn == NULL || out == NULL)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "conn and out must not be NULL");
    struct skiff_events *evs = calloc(1, sizeof *evs);
    if (evs == NULL)
        return sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory");
    Skiff__V1__EventsRequest er = SKIFF__V1__EVENTS_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    er.since_seq = since_seq;
    req.op_case = SKIFF__V1__REQUEST__OP_EVENTS;
    req.events = &er;
    int rc = open_stream(conn, &req, &evs->s, err);
    if (rc < 0) {
        free(evs);
        return rc;
    }
    *out = evs;
    return 0;
}

int skiff_audit_open(struct skiff_conn *conn, bool follow, uint64_t since_seq,
                     struct skiff_events **out, struct skiff_error *err)
{
    skiff_error_clear(err);
    if (conn == NULL || out == NULL)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "conn and out must not be NULL");
    struct skiff_events *evs = calloc(1, sizeof *evs);
    if (evs == NULL)
        return sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory");
    Skiff__V1__AuditRequest ar = SKIFF__V1__AUDIT_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    ar.follow = follow;
    ar.since_seq = since_seq;
    req.op_case = SKIFF__V1__REQUEST__OP_AUDIT;
    req.audit = &ar;
    int rc = open_stream(conn, &req, &evs->s, err);
    if (rc < 0) {
        free(evs);
        return rc;
    }
    *out = evs;
    return 0;
}

int skiff_events_next(struct skiff_events *evs, struct skiff_event *ev, struct skiff_error *err)
{
    skiff_error_clear(err);
    memset(ev, 0, sizeof *ev);
    for (;;) {
        Skiff__V1__Response *r;
        int rc = sk_stream_next(&evs->s, &r, err);
        if (rc < 0)
            return rc;
        if (r == NULL)
            return 0;
        if (r->result_case == SKIFF__V1__RESPONSE__RESULT_EVENT && r->event != NULL) {
            rc = sk_event_from_proto(r->event, ev);
            skiff__v1__response__free_unpacked(r, NULL);
            if (rc < 0)
                return sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory");
            return 1;
        }
        skiff__v1__response__free_unpacked(r, NULL);
    }
}

int skiff_events_fd(const struct skiff_events *evs)
{
    return evs->s.conn != NULL ? evs->s.conn->fd : -1;
}

bool skiff_events_pending(const struct skiff_events *evs)
{
    return evs->s.conn != NULL &&
           (sk_has_queued(evs->s.conn, evs->s.id) || sk_tls_buffered(evs->s.conn));
}

void skiff_events_close(struct skiff_events *evs)
{
    if (evs == NULL)
        return;
    sk_stream_detach(&evs->s);
    free(evs);
}
