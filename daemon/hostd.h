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
#include "daemon/cgroup.h"
#include "daemon/cpuset.h"
#include "daemon/pool.h"

struct event_base;
struct event;
struct evconnlistener;
struct store;
struct domain;
struct metrics;
struct xsm;
struct tls_server;

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
    char *security_module;       /* "dummy" (default) or "flask" */
    char *policy;                /* flask: the binary policy; NULL = the installed one */
    char *labels;                /* flask: the label mapping; NULL = the installed one */
    int enforcing;               /* flask: 1 enforcing (default), 0 permissive */
    /* Remote clients over mutual TLS (tls_server.c). */
    char **listen_tls;           /* "ADDR:PORT" / "[ADDR6]:PORT"; none: no TLS listener */
    size_t n_listen_tls;
    char *tls_cert, *tls_key, *tls_ca;   /* NULL: the defaults under SYSCONFDIR/pki */
    char **tls_allow;            /* certificate subjects that may connect; none: any the CA signed */
    size_t n_tls_allow;
    bool tls_allow_set;          /* tls_allow given (an empty list allows nobody) */
    uint32_t tls_handshake_timeout_ms;   /* 0: the default */
    uint32_t migrate_timeout_ms;         /* each peer read/write in a migration */
    char *sysfs_root;            /* topology source (default /sys; tests: a synthetic tree) */
    char *cgroup_parent;         /* hostd's cgroup for domains (default "skiff") */
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
    bool tls_allow_from_args;     /* --tls-allow given: SIGHUP keeps it */
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
    struct tls_server *tls;       /* the TLS listeners, NULL when off */
    uint64_t rpc_requests[HOSTD_RPC_OPS];   /* requests served, by op */
    struct xsm *xsm;              /* the security module (xsm.c) */
    bool quitting;

    /* CPU pools, topology and scheduling (host_topology.c, pool.c, cgroup.c). */
    struct topology *topo;        /* read from conf.sysfs_root */
    struct cpuset real_online;    /* CPUs the machine really has online */
    uint64_t real_nodes;          /* NUMA nodes the machine really has (bitmask) */
    struct pooltab pools;
    struct cgroup_ctl cgroup;
};

#define HOSTD_VERSION_STRING "hostd " PACKAGE_VERSION

/* Count domains by state, for STATUS= and host_info. */
void hostd_counts(struct hostd *h, unsigned *running, unsigned *defined);
/* Tell systemd (and the log) what changed in the number of running domains. */
void hostd_status_changed(struct hostd *h);

#endif
