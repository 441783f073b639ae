/*
 * libskiff's private declarations: the connection, its queue of responses
 * waiting for their reader, and the helpers every operation shares.
 * Nothing here is exported (the version script keeps only skiff_*).
 */
#ifndef SKIFF_CLIENT_INTERNAL_H
#define SKIFF_CLIENT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skiff.pb-c.h"
#include "skiff/skiff.h"

/* Bounds on what one stream may hold unread while other calls run. */
#define SK_STREAM_MAX_QUEUED 4096
#define SK_STREAM_MAX_BYTES (8U << 20)

/* A response that arrived for an id other than the one being waited on. */
struct sk_queued {
    struct sk_queued *next;
    Skiff__V1__Response *resp;
    size_t size;                /* its frame's size, for the stream's bound */
};

/* What console and events streams share. */
struct sk_stream {
    struct skiff_conn *conn;
    struct sk_stream *next;     /* in conn->streams */
    uint64_t id;
    bool ended;                 /* the final message (more = false) was taken */
    bool overflowed;            /* messages were dropped: fail the next read */
    size_t queued;              /* messages and bytes held for it */
    size_t queued_bytes;
};

struct ssl_st;
struct ssl_ctx_st;

struct skiff_conn {
    int fd;
    struct ssl_st *ssl;         /* tls:// connections (client/lib/tls.c); else NULL */
    struct ssl_ctx_st *ssl_ctx;
    char *tls_cert;             /* our certificate's file, for messages */
    char *uri;
    char *server;
    uint64_t next_id;
    int broken;                 /* 0, or the -errno that broke the connection */
    struct sk_queued *queue;    /* oldest first */
    struct sk_stream *streams;
};

/* Fill err (when non-NULL) and return -code. */
int sk_seterr(struct skiff_error *err, enum skiff_errcode code, int sys_errno, const char *fmt,
              ...) __attribute__((format(printf, 4, 5)));
/* Copy hostd's Error into err; returns 0 for OK/absent, else -code. */
int sk_error_from_proto(const Skiff__V1__Error *e, struct skiff_error *err);

/* Send req (its id is assigned here) and wait for its response, which
 * is returned only when it carries no error. */
int sk_call(struct skiff_conn *c, Skiff__V1__Request *req, Skiff__V1__Response **out,
            struct skiff_error *err);
/* sk_call for a reply that carries nothing the caller wants. */
int sk_call_plain(struct skiff_conn *c, Skiff__V1__Request *req, struct skiff_error *err);
/* sk_call whose reply must carry a result of case want; else err says
 * "hostd's reply carried no WHAT" (a protocol error). */
int sk_call_expect(struct skiff_conn *c, Skiff__V1__Request *req,
                   Skiff__V1__Response__ResultCase want, const char *what,
                   Skiff__V1__Response **out, struct skiff_error *err);
/* The same for a request whose argument is Empty; want ..._RESULT__NOT_SET
 * takes any reply. */
int sk_call_empty(struct skiff_conn *c, Skiff__V1__Request__OpCase op,
                  Skiff__V1__Response__ResultCase want, const char *what,
                  Skiff__V1__Response **out, struct skiff_error *err);
/* Send req and read its responses until the last (more = false), giving
 * each error-free one to each(r, arg); the first error ends the call. */
int sk_call_streamed(struct skiff_conn *c, Skiff__V1__Request *req,
                     void (*each)(const Skiff__V1__Response *r, void *arg), void *arg,
                     struct skiff_error *err);
/* Fill err with "out of memory"; returns -SKIFF_ERR_NOMEM. */
int sk_nomem(struct skiff_error *err);
/* Send req with a fresh id, without waiting. */
int sk_send_request(struct skiff_conn *c, Skiff__V1__Request *req, struct skiff_error *err);
int sk_send_message(struct skiff_conn *c, const Skiff__V1__ClientMessage *m,
                    struct skiff_error *err);
/* The next response for id: from the queue, else from the wire. */
int sk_wait(struct skiff_conn *c, uint64_t id, Skiff__V1__Response **out,
            struct skiff_error *err);
bool sk_has_queued(const struct skiff_conn *c, uint64_t id);

void sk_stream_attach(struct skiff_conn *c, struct sk_stream *s);
/* Cancel on the wire if still live, drop what is queued, unlink. */
void sk_stream_detach(struct sk_stream *s);
/* The next message of the stream; 0 with *out NULL once ended. */
int sk_stream_next(struct sk_stream *s, Skiff__V1__Response **out, struct skiff_error *err);

/* Transport: frames over the UNIX socket or the TLS session (tls.c). */
struct sk_uri;
int sk_tls_connect(struct skiff_conn *c, const struct sk_uri *u, struct skiff_error *err);
int sk_tls_send(struct skiff_conn *c, const ProtobufCMessage *m);
int sk_tls_recv(struct skiff_conn *c, uint8_t **body, uint32_t *len);
/* A TLS session failed with rc (-EPROTO): say why in err. */
int sk_tls_failed(struct skiff_conn *c, int rc, struct skiff_error *err);
/* Decrypted bytes wait in the session: poll(2) on the fd would not see them. */
/* After a reset or EOF: did hostd send an alert (refusing our certificate)? */
bool sk_tls_refused(struct skiff_conn *c);
bool sk_tls_buffered(const struct skiff_conn *c);
void sk_tls_close(struct skiff_conn *c);

/* Conversions between the public structs and the protocol's. */
/* pc borrows cfg's strings; only its arrays are allocated, and
 * sk_config_proto_free releases them. */
int sk_config_to_proto(const struct skiff_domain_config *cfg, Skiff__V1__DomainConfig *pc);
void sk_config_proto_free(Skiff__V1__DomainConfig *pc);
int sk_config_from_proto(const Skiff__V1__DomainConfig *pc, struct skiff_domain_config *cfg);
int sk_info_from_proto(const Skiff__V1__DomainInfo *pi, struct skiff_domain_info *info);
int sk_host_from_proto(const Skiff__V1__HostInfo *ph, struct skiff_host_info *host);
int sk_event_from_proto(const Skiff__V1__Event *pe, struct skiff_event *ev);
/* strdup that maps NULL to NULL; sets *failed on allocation failure. */
char *sk_strdup(const char *s, bool *failed);

#endif
