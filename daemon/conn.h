/*
 * Client connections and the calls (requests in flight) they carry.
 *
 * A call is held by exactly one owner until it completes: either a list
 * (a stream's subscribers, a domain's waiters) through wait_link, or a
 * pointer (a monitor request's callback, a domain's pending start). When
 * the client goes away, listed calls are freed at once; pointer-held ones
 * are orphaned (conn = NULL) and freed by their owner on completion, so
 * no owner is ever left with a dangling pointer.
 */
#ifndef SKIFF_HOSTD_CONN_H
#define SKIFF_HOSTD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "list.h"
#include "skiff.pb-c.h"
#include "xsm.h"

struct hostd;
struct bufferevent;
struct event;
struct domain;

/* How a client reached hostd, which decides what its identity is. */
enum conn_transport {
    CONN_UNIX,                 /* the local socket: uid/gid/pid from SO_PEERCRED */
    CONN_TLS,                  /* mutual TLS: identity = the client certificate's subject */
};

#define CONN_WHO_MAX 512

struct conn {
    struct hostd *h;
    struct bufferevent *bev;
    struct list link;          /* in hostd.conns */
    struct list calls;         /* struct call.conn_link */
    enum conn_transport transport;
    /* Who the client is. UNIX: uid, gid, pid (identity NULL). TLS: uid and
     * gid are (uid_t)-1/(gid_t)-1, pid 0, and identity is the verified
     * certificate subject in RFC 2253 form ("CN=alice,O=Skiff"), set once
     * the handshake is done (NULL before: no request is read until then). */
    uid_t uid;
    gid_t gid;
    pid_t pid;
    char *identity;
    char peer[64];             /* TLS: the client's "ADDR:PORT" ("[ADDR6]:PORT"); UNIX: "" */
    struct xsm_subject subj;   /* who it is, for the security hooks */
    unsigned serial;           /* for log lines */
    bool hello_done;
    bool denied;               /* not authorised: refused at its first message */
    bool closing;
    bool read_paused;          /* output backlog: stop reading until it drains */
    bool overflowed;           /* replies past OUTPUT_MAX: dropped, closing */
    bool input_elsewhere;      /* its input is read by another (conn_hand_input) */
    struct event *deadline;    /* Hello and each frame must complete in time */
    bool deadline_armed;
    Skiff__V1__ErrorCode deny_code;
    char deny_msg[CONN_WHO_MAX + 128];        /* why it is refused (denied) */
    uint64_t console_dropped;  /* console bytes dropped for a slow reader */
};

struct call {
    struct conn *conn;         /* NULL once the client has gone */
    uint64_t id;
    struct list conn_link;
    struct list wait_link;     /* self-linked unless held in a list */
    struct domain *dom;        /* console streams and waiters: their domain */
    char uuid[37];             /* info: the domain's uuid, to find it again */
    bool stream;
    bool wait;                 /* shutdown: answer once stopped */
    bool audit;                /* an events stream of denials only (skiff audit) */
    uint32_t grace_ms;         /* shutdown: then destroy */
};

/* Take over an accepted UNIX socket. */
int conn_new(struct hostd *h, int fd, uid_t uid, gid_t gid, pid_t pid);
/* Take over a bufferevent on an accepted TLS socket (the handshake still
 * running; tls_server.c's hooks run when it ends). NULL: out of memory,
 * bev freed. */
struct conn *conn_new_tls(struct hostd *h, struct bufferevent *bev, const char *peer);
/* For log lines: "pid 12 uid 0" or "'CN=alice,O=Skiff' at 127.0.0.1:5555". */
const char *conn_who(const struct conn *c, char *buf, size_t len);
/* Send what is queued, then close. Safe to call more than once. */
void conn_close(struct conn *c);
void conn_close_all(struct hostd *h);
/* Queue a ServerMessage; -ENOMEM or -ECONNRESET (closing). */
int conn_send(struct conn *c, const Skiff__V1__ServerMessage *m);
/* Refuse a client at its first message (Hello reply with code and why), then close. */
void conn_deny(struct conn *c, Skiff__V1__ErrorCode code, const char *why);
/*
 * For a reader that takes a connection's input off its socket itself (an
 * incoming migration stream, migrate_in.c): give (true) stops reading it
 * here, false resumes; conn_frame hands back a whole frame read there (n
 * bytes after its header), conn_lost an end or error of the connection
 * met there (c is freed). conn_input_empty: nothing read and not yet
 * taken, so a reader can start cleanly.
 */
void conn_hand_input(struct conn *c, bool give);
void conn_frame(struct conn *c, const uint8_t *body, uint32_t n);
bool conn_input_empty(const struct conn *c);
void conn_lost(struct conn *c);
/* API connections uid holds now (those being refused not counted). */
unsigned conn_count_uid(struct hostd *h, uid_t uid);

struct call *call_new(struct conn *c, uint64_t id);
void call_free(struct call *call);
/* Send one message of a stream (more = true); the call stays. */
int call_send_more(struct call *call, Skiff__V1__Response *r);
/* Send the final response and free the call. */
void call_reply(struct call *call, Skiff__V1__Response *r);
void call_reply_ok(struct call *call);
void call_error(struct call *call, Skiff__V1__ErrorCode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* DENIED with the policy's decision (AVC text) in Error.decision. */
void call_denied(struct call *call, const char *decision, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The client reads too slowly for a live stream (console data may be dropped). */
bool call_backlogged(const struct call *call);

#endif
