/*
 * The daemon's one context: configuration, event loop, store, listeners,
 * the domain table. Every module gets it through the objects it handles.
 */
#ifndef SKIFF_HOSTD_H
#define SKIFF_HOSTD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "list.h"

struct event_base;
struct event;
struct evconnlistener;
struct store;
struct domain;
struct metrics;

/* Request op field numbers (skiff.v1.Request) below this are counted;
 * index 0 counts unknown ops. */
#define HOSTD_RPC_OPS 64

struct hostd_conf {
    char *state_dir;
    char *listen_unix;
    char *monitor;               /* skiff-hv to spawn */
    char *group;                 /* may connect besides root; NULL = none */
    uint32_t shutdown_grace_ms;
    int log_level;               /* -1 = not set */
    char *metrics_listen;        /* "ADDR:PORT" or "PORT"; NULL = no metrics endpoint */
    bool metrics_allow_remote;   /* may metrics_listen be a non-loopback address */
    uint32_t max_connections_per_uid;   /* API connections one uid may hold; 0 = no limit */
    uint32_t client_timeout_ms;  /* Hello, a partial frame, a stalled reply: then close */
    uint32_t console_log_max_bytes;   /* each monitor.log; 0 = no cap */
};

struct domtab {
    struct domain **by_name, **by_uuid;   /* chained hash buckets */
    size_t nbuckets;
    size_t count;
    struct list all;                      /* struct domain.link, in insertion order */
};

struct hostd {
    struct event_base *base;
    struct hostd_conf conf;
    const char *config_path;
    bool config_explicit;         /* --config given: a missing file is an error */
    struct store *store;
    int lock_fd;
    bool have_group;
    gid_t group_gid;
    struct evconnlistener *listener;
    bool listening;
    struct list conns;            /* struct conn.link */
    struct list event_subs;       /* struct call.wait_link: events streams */
    struct domtab domains;
    struct list zombies;          /* struct monitor.link: released, winding down */
    uint64_t started_at_ns;
    struct event *sig_events[5];
    struct event *watchdog;
    struct event *console_log_timer;   /* console_log.c */
    int status_running;           /* last count told to systemd */
    struct metrics *metrics;      /* the HTTP metrics endpoint, NULL when off */
    uint64_t rpc_requests[HOSTD_RPC_OPS];   /* requests served, by op */
    bool quitting;
};

#define HOSTD_VERSION_STRING "hostd " PACKAGE_VERSION

/* Count domains by state, for STATUS= and host_info. */
void hostd_counts(struct hostd *h, unsigned *running, unsigned *defined);
/* Tell systemd (and the log) what changed in the number of running domains. */
void hostd_status_changed(struct hostd *h);

#endif
