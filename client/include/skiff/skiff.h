/*
 * libskiff: the C client library of Skiff's management daemon, hostd.
 *
 * Scripts, toolstacks and the skiff(1) command line talk to hostd through
 * this API. It speaks the skiff.v1 protocol (framed protobuf over a UNIX
 * socket) but exposes only the plain C types below.
 *
 * Conventions
 *  - Every function that can fail returns 0 (or a count) on success and a
 *    negative value on failure: -(enum skiff_errcode). When the caller
 *    passes a struct skiff_error, it is filled with the code, a message
 *    written for people ("what went wrong and what to do next") and, for
 *    SKIFF_ERR_DENIED, the policy decision. err may be NULL.
 *  - Strings and arrays returned by the library are malloc'd and owned by
 *    the struct that holds them; free them with the matching *_clear or
 *    *_free function. Structs passed in by the caller are only read.
 *  - A struct skiff_conn is not thread-safe: use one per thread, or
 *    serialise calls on it. Streams (console, events) belong to the
 *    connection they were opened on and must be closed before it.
 *  - Domains are named by name or UUID wherever a "domain" string is taken.
 *
 * Link with `pkg-config --libs libskiff`. Symbols are versioned (SKIFF_0.1, SKIFF_0.2).
 */
#ifndef SKIFF_SKIFF_H
#define SKIFF_SKIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The URI used when neither the caller nor $SKIFF_URI names one. */
#define SKIFF_DEFAULT_URI "unix:///run/skiff/hostd.sock"
/* The environment variable consulted when the URI argument is NULL. */
#define SKIFF_URI_ENV "SKIFF_URI"

/* ------------------------------------------------------------------ */
/* Errors                                                              */

/*
 * Codes 1..9 are hostd's (they mirror skiff.v1.ErrorCode); 100 and up
 * arise in the client.
 */
enum skiff_errcode {
    SKIFF_OK = 0,
    SKIFF_ERR_NOT_FOUND = 1,    /* no such domain */
    SKIFF_ERR_EXISTS = 2,       /* name or UUID already taken */
    SKIFF_ERR_INVALID = 3,      /* malformed request or configuration */
    SKIFF_ERR_DENIED = 4,       /* the security policy said no */
    SKIFF_ERR_BUSY = 5,         /* the domain's state forbids the operation */
    SKIFF_ERR_INTERNAL = 6,     /* hostd failed (see its log) */
    SKIFF_ERR_UNSUPPORTED = 7,  /* e.g. graceful shutdown of a plain hvt guest */
    SKIFF_ERR_PROTOCOL = 8,     /* version mismatch or a malformed message */
    SKIFF_ERR_TIMEOUT = 9,

    SKIFF_ERR_CONNECT = 100,    /* cannot reach hostd (sys_errno says why) */
    SKIFF_ERR_IO = 101,         /* the connection failed or was closed */
    SKIFF_ERR_NOMEM = 102,
    SKIFF_ERR_USAGE = 103,      /* a bad argument to a libskiff function */
};

struct skiff_error {
    enum skiff_errcode code;
    int sys_errno;              /* the errno behind CONNECT/IO errors, else 0 */
    char message[512];          /* for people; never empty when code != 0 */
    char decision[512];         /* for SKIFF_ERR_DENIED: the policy decision */
};

/* A short constant description of a code ("no such domain", ...). */
const char *skiff_strerror(enum skiff_errcode code);
/* The code's stable name ("NOT_FOUND", "CONNECT", ...), for scripts. */
const char *skiff_errcode_name(enum skiff_errcode code);
/* Reset *err to SKIFF_OK with empty texts. */
void skiff_error_clear(struct skiff_error *err);

/* ------------------------------------------------------------------ */
/* Domains                                                             */

enum skiff_state {
    SKIFF_STATE_UNKNOWN = 0,
    SKIFF_STATE_DEFINED = 1,    /* known (persistent), not running */
    SKIFF_STATE_RUNNING = 2,
    SKIFF_STATE_PAUSED = 3,
    SKIFF_STATE_SHUTDOWN = 4,   /* halted, kept by on_poweroff = preserve */
    SKIFF_STATE_CRASHED = 5,    /* aborted, kept by on_crash = preserve */
};

/* "defined", "running", "paused", "shutdown", "crashed" or "unknown". */
const char *skiff_state_name(enum skiff_state state);

/* What hostd does when the guest powers off, reboots or crashes. */
enum skiff_action {
    SKIFF_ACTION_DEFAULT = 0,   /* hostd's default for the event */
    SKIFF_ACTION_DESTROY = 1,
    SKIFF_ACTION_RESTART = 2,
    SKIFF_ACTION_PRESERVE = 3,
};

/* "default", "destroy", "restart" or "preserve". */
const char *skiff_action_name(enum skiff_action action);

struct skiff_disk {
    char *target;               /* host path of the image */
    char *vdev;                 /* device name in the guest's manifest */
    uint32_t sector_size;       /* 0 = 512 */
};

struct skiff_vif {
    char *vdev;                 /* device name in the guest's manifest */
    char *mac;                  /* NULL or "" = random, stable for the domain */
    char *bridge;               /* create a tap and add it to this bridge */
    char *tap;                  /* or use this existing tap */
};

/*
 * A domain's configuration (what skiff.cfg files describe). NULL strings
 * and zero numbers mean "not set": hostd applies its defaults (64 MiB,
 * 1 vCPU, a fresh UUID). Paths are used by hostd as given, so pass
 * absolute ones.
 */
struct skiff_domain_config {
    char *name;
    char *uuid;
    uint64_t memory_mb;
    uint32_t vcpus;
    char *kernel;
    char *cmdline;
    size_t n_disks;
    struct skiff_disk *disks;
    size_t n_vifs;
    struct skiff_vif *vifs;
    enum skiff_action on_poweroff;
    enum skiff_action on_reboot;
    enum skiff_action on_crash;
    char *seclabel;
    char *pool;
    char *cpus;                 /* hard affinity, e.g. "0-3,6" or "node:1" */
    bool autostart;
    /* Since SKIFF_0.2: */
    char *cpus_soft;            /* soft affinity: guides placement */
    uint32_t weight;            /* credit scheduler weight 1-65535; 0 = default (256) */
    uint32_t cap;               /* percent of one CPU; 0 = no cap */
};

/*
 * Free every string and array of cfg with free(3) and zero it. Use it on
 * configs the library filled in, or built with malloc'd members.
 */
void skiff_domain_config_clear(struct skiff_domain_config *cfg);

struct skiff_domain_info {
    char uuid[37];
    char *name;
    uint32_t id;                /* run id, changes on every start; 0 when stopped */
    enum skiff_state state;
    bool persistent;            /* defined (kept when stopped) vs created */
    struct skiff_domain_config config;
    int pid;                    /* skiff-hv's pid, 0 when not running */
    uint64_t started_at_ns;     /* CLOCK_REALTIME of the last start */
    uint64_t cpu_time_ns;       /* vCPU run time */
    uint64_t memory_touched_bytes;
    uint64_t exits;             /* VM exits served */
    int32_t exit_status;        /* last guest exit status */
    char *reason;               /* why it stopped, in words ("" if it did not) */
    uint32_t restarts;
    /* Since SKIFF_0.2: */
    char *numa_nodes;           /* nodes automatic placement chose, e.g. "0,2"; "" = none */
};

/* Free the members of *info and zero it. */
void skiff_domain_info_clear(struct skiff_domain_info *info);
/* Free an array returned by skiff_list (members and the array). */
void skiff_domain_list_free(struct skiff_domain_info *list, size_t n);

struct skiff_host_info {
    char *hostname;
    char *version;              /* hostd's version */
    uint64_t started_at_ns;     /* CLOCK_REALTIME when hostd started */
    uint64_t uptime_ns;
    uint32_t cpus;
    uint64_t memory_bytes;
    uint32_t domains_running;
    uint32_t domains_defined;
    /* Since SKIFF_0.2 (memory_bytes and cpus are then the topology's): */
    uint32_t cores, sockets, nodes, threads_per_core;
    uint64_t free_memory_bytes;
    uint32_t max_cpu_id;
    uint32_t pools;             /* CPU pools */
};

void skiff_host_info_clear(struct skiff_host_info *info);

struct skiff_event {
    uint64_t seq;               /* increasing, persistent across restarts */
    uint64_t time_ns;           /* CLOCK_REALTIME */
    char domain_uuid[37];
    char *domain_name;
    char *kind;                 /* "started", "paused", "destroyed", ... */
    enum skiff_state state;     /* the domain's state after the event */
    char *detail;
};

void skiff_event_clear(struct skiff_event *ev);

/* ------------------------------------------------------------------ */
/* Connections                                                         */

struct skiff_conn;

/*
 * Connect to hostd at uri and exchange the protocol version.
 *   uri: "unix:///path/to/hostd.sock" (or a plain absolute path). NULL or
 *        "" means $SKIFF_URI, or SKIFF_DEFAULT_URI when that is unset.
 *        "tls://HOST:PORT[?cert=FILE&key=FILE&ca=FILE]" reaches a remote
 *        hostd over mutual TLS 1.3 (HOST a name, an IPv4 address or
 *        [IPv6]). Our certificate, key and CA come from the query, else
 *        $SKIFF_TLS_CERT, $SKIFF_TLS_KEY, $SKIFF_TLS_CA, else
 *        ~/.config/skiff/pki/{client.pem,client-key.pem,ca.pem}
 *        (for root: /etc/skiff/pki/...). The server's certificate must
 *        chain to the CA and name HOST.
 * Errors: SKIFF_ERR_USAGE (malformed URI), SKIFF_ERR_CONNECT (no hostd
 * listening: err->sys_errno is the connect(2) errno; or a TLS failure,
 * sys_errno 0, the message says which side refused what), SKIFF_ERR_PROTOCOL
 * (hostd refused our version), SKIFF_ERR_DENIED, SKIFF_ERR_IO.
 */
int skiff_connect(const char *uri, struct skiff_conn **out, struct skiff_error *err);

/* Close the connection (and any stream still open on it). NULL is a no-op. */
void skiff_close(struct skiff_conn *conn);

/* The URI actually used (after the $SKIFF_URI/default resolution). */
const char *skiff_conn_uri(const struct skiff_conn *conn);
/* hostd's self-description from the version exchange, e.g. "hostd 0.1.0". */
const char *skiff_conn_server(const struct skiff_conn *conn);
/* The library's own version, e.g. "0.1.0". */
const char *skiff_version(void);

/* ------------------------------------------------------------------ */
/* Synchronous operations: each sends one request and waits for its
 * response. Where `out` is taken it may be NULL; when given it receives
 * the domain as hostd reports it after the operation (free it with
 * skiff_domain_info_clear). */

/* Store a persistent domain without starting it. */
int skiff_define(struct skiff_conn *conn, const struct skiff_domain_config *cfg,
                 struct skiff_domain_info *out, struct skiff_error *err);
/* Forget a persistent domain (it must not be running). */
int skiff_undefine(struct skiff_conn *conn, const char *domain, struct skiff_error *err);
/* Create and start a transient domain; paused: its vCPUs wait for unpause. */
int skiff_create(struct skiff_conn *conn, const struct skiff_domain_config *cfg, bool paused,
                 struct skiff_domain_info *out, struct skiff_error *err);
/* Start a defined domain. */
int skiff_start(struct skiff_conn *conn, const char *domain, struct skiff_domain_info *out,
                struct skiff_error *err);

/*
 * List domains; all: include defined domains that are not running. On
 * success *list is an array of *n entries (free with skiff_domain_list_free;
 * it is NULL when *n is 0).
 */
int skiff_list(struct skiff_conn *conn, bool all, struct skiff_domain_info **list, size_t *n,
               struct skiff_error *err);
/* One domain's information. */
int skiff_info(struct skiff_conn *conn, const char *domain, struct skiff_domain_info *out,
               struct skiff_error *err);

int skiff_pause(struct skiff_conn *conn, const char *domain, struct skiff_error *err);
int skiff_unpause(struct skiff_conn *conn, const char *domain, struct skiff_error *err);

/*
 * Ask the guest to shut down. wait: return only once it has stopped.
 * grace_ms: how long hostd lets the guest take before destroying it
 * (0 = hostd's default). Guests without Skiff's control-event extension
 * cannot shut down gracefully: hostd destroys them after the grace period.
 */
int skiff_shutdown(struct skiff_conn *conn, const char *domain, bool wait, uint32_t grace_ms,
                   struct skiff_error *err);
int skiff_reboot(struct skiff_conn *conn, const char *domain, struct skiff_error *err);
/* Stop the domain at once (a persistent domain stays defined). */
int skiff_destroy(struct skiff_conn *conn, const char *domain, struct skiff_error *err);
int skiff_rename(struct skiff_conn *conn, const char *domain, const char *new_name,
                 struct skiff_error *err);
/* What a save wrote and what it cost (hostd's clocks). */
struct skiff_save_result {
    uint64_t file_bytes;
    uint64_t memory_pages;      /* non-zero guest pages written */
    uint64_t paused_ns;         /* the guest was stopped this long for the write */
    uint64_t total_ns;
};

/*
 * Save the domain's state to path (absolute, on hostd's host), then
 * destroy the domain; with keep_running it runs on. The file appears only
 * once complete. out may be NULL.
 */
int skiff_save(struct skiff_conn *conn, const char *domain, const char *path,
               bool keep_running, struct skiff_save_result *out, struct skiff_error *err);
/*
 * Start a domain from a saved state. overrides are "key=value" (name,
 * uuid, on_poweroff, on_reboot, on_crash); paused leaves it paused.
 */
int skiff_restore(struct skiff_conn *conn, const char *path, const char *const *overrides,
                  size_t n_overrides, bool paused, struct skiff_domain_info *out,
                  struct skiff_error *err);
int skiff_host_info(struct skiff_conn *conn, struct skiff_host_info *out,
                    struct skiff_error *err);

/* Live migration (SKIFF_0.2): progress while it runs, and the report. */
struct skiff_migrate_progress {
    uint32_t round;             /* pre-copy round (the first sends all of RAM) */
    uint64_t bytes_sent;
    uint64_t dirty_pages;       /* pages dirtied during the last round */
    uint64_t downtime_ns;       /* the guest was stopped this long (so far) */
    uint64_t total_ns;
    bool done;                  /* the final report: the domain runs there */
    uint64_t stream_ns;         /* done: the stream's first byte to its last */
    uint64_t round_bytes;       /* what this round sends (round 1: resident memory) */
    uint64_t round_sent;        /* of which sent so far */
    uint64_t dirty_rate;        /* pages dirtied per second during the last round */
    uint64_t expected_downtime_ns;  /* the pause if the guest stopped now (estimate) */
};
typedef void skiff_migrate_cb(const struct skiff_migrate_progress *p, void *arg);
/*
 * Move a running domain to the hostd at host:port (0: 7443), which the
 * source hostd reaches over mutual TLS with its own host certificate.
 * live: copy while it runs (pre-copy rounds), else pause first. cb (may
 * be NULL) sees each progress message; out (may be NULL) gets the last.
 * On failure the domain is still on the source.
 */
int skiff_migrate(struct skiff_conn *conn, const char *domain, const char *host, uint16_t port,
                  bool live, skiff_migrate_cb *cb, void *arg,
                  struct skiff_migrate_progress *out, struct skiff_error *err);

/* ------------------------------------------------------------------ */
/* Topology, CPU pools, vCPU affinity and scheduling (SKIFF_0.2). Pools
 * follow xl's cpupools: a CPU is in at most one pool; a CPU spec is a
 * CPU list ("0-3,6"), "node:N" items, a mix of those, or "all". */

struct skiff_cpu_topology {
    uint32_t cpu;
    bool online;
    int core, socket, node;     /* -1 when unknown */
};

struct skiff_numa_node {
    uint32_t node;
    uint64_t memory_bytes, free_bytes;
    size_t n_distances;
    uint32_t *distances;        /* to each node listed, in order */
    char *cpus;                 /* CPU list */
};

struct skiff_topology {
    size_t n_cpus;
    struct skiff_cpu_topology *cpus;
    size_t n_nodes;
    struct skiff_numa_node *nodes;
};

/* The host's CPU topology and NUMA nodes (as `xl info -n`). */
int skiff_host_topology(struct skiff_conn *conn, struct skiff_topology *out,
                        struct skiff_error *err);
void skiff_topology_clear(struct skiff_topology *topo);

struct skiff_pool_config {
    char *name;
    char *cpus;                 /* CPU spec; NULL or "" = none */
    char *sched;                /* NULL or "credit" */
};

struct skiff_pool_info {
    char *name;
    char *cpus;                 /* CPU list */
    uint32_t ncpus;
    char *sched;
    uint32_t domains;           /* running domains in it */
    size_t n_domain_names;
    char **domain_names;        /* every domain that names it */
};

/* Every pool (pool NULL) or one; free with skiff_pool_list_free. */
int skiff_pool_list(struct skiff_conn *conn, const char *pool, struct skiff_pool_info **list,
                    size_t *n, struct skiff_error *err);
void skiff_pool_list_free(struct skiff_pool_info *list, size_t n);
/* Create a pool from free CPUs (in no pool). */
int skiff_pool_create(struct skiff_conn *conn, const struct skiff_pool_config *cfg,
                      struct skiff_error *err);
/* Destroy an empty pool (no domain names it); its CPUs become free. */
int skiff_pool_destroy(struct skiff_conn *conn, const char *pool, struct skiff_error *err);
int skiff_pool_rename(struct skiff_conn *conn, const char *pool, const char *new_name,
                      struct skiff_error *err);
/* Add free CPUs to a pool / remove CPUs from it (they become free). */
int skiff_pool_cpu_add(struct skiff_conn *conn, const char *pool, const char *cpus,
                       struct skiff_error *err);
int skiff_pool_cpu_remove(struct skiff_conn *conn, const char *pool, const char *cpus,
                          struct skiff_error *err);
/* Move a domain (running or not) to another pool. */
int skiff_pool_migrate(struct skiff_conn *conn, const char *domain, const char *pool,
                       struct skiff_error *err);
/* One pool per NUMA node; only while a single pool exists. */
int skiff_pool_numa_split(struct skiff_conn *conn, struct skiff_error *err);

struct skiff_vcpu_info {
    char *domain;
    uint32_t domain_id;
    uint32_t vcpu;
    int tid;                    /* host thread, 0 when unknown */
    int cpu;                    /* host CPU it last ran on, -1 when unknown */
    bool blocked, paused;
    uint64_t time_ns;
    char *hard;                 /* effective hard affinity ("all" = every CPU) */
    char *soft;                 /* soft affinity ("all" = none) */
    char *affinity;             /* the thread's CPU mask as the kernel has it */
};

/* The vCPUs of one running domain, or of every running one (domain NULL). */
int skiff_vcpu_list(struct skiff_conn *conn, const char *domain, struct skiff_vcpu_info **list,
                    size_t *n, struct skiff_error *err);
void skiff_vcpu_list_free(struct skiff_vcpu_info *list, size_t n);

#define SKIFF_VCPU_ALL (-1)
/* Pin vCPU vcpu (or SKIFF_VCPU_ALL): hard/soft are CPU specs, "all", or
 * NULL/"" for no change. Recorded in the domain's configuration and
 * applied at once to a running domain. */
int skiff_vcpu_pin(struct skiff_conn *conn, const char *domain, int vcpu, const char *hard,
                   const char *soft, struct skiff_error *err);

struct skiff_sched_credit {
    char *domain;
    uint32_t domain_id;
    uint32_t weight;
    uint32_t cap;
    bool applied;               /* in force now (running, controller available) */
};

/* Every domain's weight and cap (domain NULL) or one's; *controller (if
 * not NULL) gets what enforces them, or why nothing can (free it). */
int skiff_sched_credit_list(struct skiff_conn *conn, const char *domain,
                            struct skiff_sched_credit **list, size_t *n, char **controller,
                            struct skiff_error *err);
void skiff_sched_credit_list_free(struct skiff_sched_credit *list, size_t n);
/* weight 1-65535 (0 = no change), cap percent of one CPU (< 0 = no change). */
int skiff_sched_credit_set(struct skiff_conn *conn, const char *domain, uint32_t weight,
                           int32_t cap, struct skiff_error *err);

/* ------------------------------------------------------------------ */
/* Streams. A stream shares its connection with other calls: messages
 * that arrive for it while a synchronous call waits are kept for it (up
 * to a bound; past it the stream fails with SKIFF_ERR_IO rather than
 * silently losing data). For a busy console, a connection of its own is
 * simplest. */

struct skiff_console;

/* Send the guest's recent output (hostd's buffer) before live output. */
#define SKIFF_CONSOLE_HISTORY 0x1u

/* Attach to a domain's console. Errors about the domain (not found, not
 * running) may be reported here or by the first skiff_console_read. */
int skiff_console_open(struct skiff_conn *conn, const char *domain, unsigned flags,
                       struct skiff_console **out, struct skiff_error *err);
/*
 * Block until console output is available and copy up to len bytes of it
 * to buf. Returns the number of bytes (> 0), 0 once the console has ended
 * (the domain stopped or hostd closed the stream), or a negative error.
 */
ssize_t skiff_console_read(struct skiff_console *con, void *buf, size_t len,
                           struct skiff_error *err);
/* Send keyboard input to the guest. */
int skiff_console_write(struct skiff_console *con, const void *buf, size_t len,
                        struct skiff_error *err);
/*
 * The descriptor to poll(2) for readability before skiff_console_read.
 * Output the library already holds does not make it readable: check
 * skiff_console_pending first, and read without polling while it is true.
 */
int skiff_console_fd(const struct skiff_console *con);
bool skiff_console_pending(const struct skiff_console *con);
/* Detach (tells hostd to stop the stream) and free. NULL is a no-op. */
void skiff_console_close(struct skiff_console *con);

struct skiff_events;

/* Follow hostd's event log, replaying stored events from since_seq
 * (0 = from the oldest event hostd keeps) first. */
int skiff_events_open(struct skiff_conn *conn, uint64_t since_seq, struct skiff_events **out,
                      struct skiff_error *err);
/*
 * Block until the next event. Returns 1 with *ev filled (free with
 * skiff_event_clear), 0 when hostd ended the stream, or a negative error.
 */
int skiff_events_next(struct skiff_events *evs, struct skiff_event *ev, struct skiff_error *err);
int skiff_events_fd(const struct skiff_events *evs);
bool skiff_events_pending(const struct skiff_events *evs);
void skiff_events_close(struct skiff_events *evs);

/* ------------------------------------------------------------------ */
/* Security policy (SKIFF_0.2). hostd runs one of two security modules:
 * "dummy" (root and hostd's group may do everything) or "flask" (a FLASK
 * policy decides every request; see skiff(1) and the policy guide).
 * Under dummy, setenforce and loadpolicy fail with SKIFF_ERR_UNSUPPORTED. */

struct skiff_security {
    char *module;               /* "dummy" or "flask" */
    bool enforcing;             /* false: permissive (denials logged, allowed) */
    char *policy;               /* where the running policy came from */
    uint64_t loaded_at_ns;      /* CLOCK_REALTIME of the last load */
    uint64_t avc_hits;          /* decisions served from the cache */
    uint64_t avc_misses;        /* decisions computed from the policy */
    uint64_t denials;           /* since hostd started */
};

void skiff_security_clear(struct skiff_security *sec);
int skiff_getenforce(struct skiff_conn *conn, struct skiff_security *out,
                     struct skiff_error *err);
int skiff_setenforce(struct skiff_conn *conn, bool enforcing, struct skiff_error *err);
/*
 * Replace the running policy with a binary policy (checkpolicy's output,
 * len bytes). hostd reads its label mapping again with it. Atomic: a
 * policy with any fault is refused (SKIFF_ERR_INVALID, the reason in the
 * message) and the running one stays.
 */
int skiff_loadpolicy(struct skiff_conn *conn, const void *policy, size_t len,
                     struct skiff_error *err);

struct skiff_label {
    char *kind;                 /* "subject" (the caller), "host", "pool" or "domain" */
    char *name;
    char *context;              /* "" under the dummy module for all but domains */
};

/* The caller's context, the host's, and those of the domains it may see. */
int skiff_labels(struct skiff_conn *conn, struct skiff_label **labels, size_t *n,
                 struct skiff_error *err);
void skiff_labels_free(struct skiff_label *labels, size_t n);

/* Recorded denials (events of kind "avc", from since_seq on), then new
 * ones when follow is set; read with skiff_events_next. */
int skiff_audit_open(struct skiff_conn *conn, bool follow, uint64_t since_seq,
                     struct skiff_events **out, struct skiff_error *err);

#ifdef __cplusplus
}
#endif

#endif
