/*
 * hostd's persistent state: one SQLite database (WAL mode) under the state
 * directory. store.c is the only file that speaks SQL. Every function
 * that changes state commits before it returns, so a reply sent after it
 * never acknowledges something a crash could lose.
 *
 * Functions return 0 or a negative errno: -ENOENT (no such row), -EEXIST
 * (name or uuid taken), -ENOMEM, -ENOSPC (the disk is full), -EIO (SQLite
 * failed otherwise; the message is logged), -EINVAL, -EPROTO (the
 * database's schema is newer than this hostd), or the errno of creating
 * the file (-EACCES, -ENOENT, ...).
 */
#ifndef SKIFF_HOSTD_STORE_H
#define SKIFF_HOSTD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Open or create the database at path (a directory means DIR/hostd.db), enable WAL, run the numbered schema
 * migrations up to the current version (refusing a newer schema). */
int store_open(const char *path, struct store **out);
void store_close(struct store *st);
int store_schema_version(struct store *st);

/* A domain row. Strings are owned by the struct (store_domain_clear frees
 * them); config is the packed skiff.v1.DomainConfig protobuf. */
struct store_domain {
    char uuid[37];
    char *name;
    uint8_t *config;
    size_t config_len;
    int state;                /* skiff.v1.DomainState */
    bool persistent;          /* defined (kept when stopped) or created */
    bool autostart;
    char *seclabel;
    char *pool;
    uint32_t run_id;          /* 0 when not running */
    int pid;                  /* monitor pid, 0 when not running */
    uint64_t pid_start;       /* the pid's start time (/proc/PID/stat field 22),
                                 so a reused pid is never mistaken for it */
    char *control;            /* monitor control socket path */
    uint64_t started_at_ns;
    int32_t exit_status;
    char *reason;
    uint32_t restarts;
};

void store_domain_clear(struct store_domain *d);

int store_domain_insert(struct store *st, const struct store_domain *d);
int store_domain_update(struct store *st, const struct store_domain *d);  /* by uuid */
int store_domain_delete(struct store *st, const char *uuid);
/* By name or uuid. */
int store_domain_get(struct store *st, const char *ref, struct store_domain *out);
/* Every domain; *out is an array of *n structs (free each, then the array). */
int store_domain_list(struct store *st, struct store_domain **out, size_t *n);

/* The next run id (persistent counter, never reused). */
int store_next_run_id(struct store *st, uint32_t *id);

/* The bounded event log: append assigns seq; only the newest `limit`
 * events are kept (store_open sets 10000). */
struct store_event {
    uint64_t seq;
    uint64_t time_ns;
    char domain_uuid[37];
    char *domain_name;
    char *kind;
    int state;
    char *detail;
    char *label;              /* security context of the domain (or "" / NULL) */
};
void store_event_clear(struct store_event *e);
int store_event_append(struct store *st, struct store_event *e);  /* sets e->seq */
/* Events with seq > since, oldest first, at most max; caller frees. */
int store_events_since(struct store *st, uint64_t since, size_t max,
                       struct store_event **out, size_t *n);

/* CPU pools (strings owned; store_pool_clear frees them). */
struct store_pool {
    char *name;
    char *cpus;               /* cpulist */
    char *sched;              /* "credit" */
};
void store_pool_clear(struct store_pool *p);
/* Insert or update by name. */
int store_pool_put(struct store *st, const char *name, const char *cpus, const char *sched);
int store_pool_delete(struct store *st, const char *name);        /* -ENOENT */
int store_pool_rename(struct store *st, const char *name, const char *new_name);
/* Every pool, in the order they were made; *out as store_domain_list. */
int store_pool_list(struct store *st, struct store_pool **out, size_t *n);

/* Where automatic NUMA placement put a domain ("0,2": node numbers); ""
 * removes it. The row goes when its domain's row is deleted. */
int store_placement_set(struct store *st, const char *uuid, const char *nodes);
int store_placement_get(struct store *st, const char *uuid, char **nodes);   /* -ENOENT */

/* Group several changes into one transaction (one state transition that
 * touches more than one row). Nested calls are not allowed. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/*
 * Outgoing migrations: a row from the start (STREAMING), COMMITTING
 * written before the commit goes out, then how it ended. A hostd that
 * starts with rows still STREAMING or COMMITTING died during them
 * (migrate_recover.c). The last 1000 ended ones are kept.
 */
enum {
    STORE_MIG_STREAMING = 1,
    STORE_MIG_COMMITTING = 2,
    STORE_MIG_DONE = 3,         /* the destination runs it; gone here */
    STORE_MIG_FAILED = 4,       /* before the commit: it stayed here */
    STORE_MIG_UNKNOWN = 5,      /* the commit went out, no answer came */
};
struct store_migration {
    int64_t id;
    char uuid[37];
    char *peer;               /* "HOST:PORT"; owned */
    int state;
    bool was_paused;
};
void store_migration_clear(struct store_migration *m);
int store_migration_begin(struct store *st, const char *uuid, const char *peer,
                          bool was_paused, uint64_t now_ns, int64_t *id);
int store_migration_set(struct store *st, int64_t id, int state, uint64_t now_ns,
                        const char *detail);
/* The rows still STREAMING or COMMITTING, oldest first. */
int store_migrations_open(struct store *st, struct store_migration **out, size_t *n);

#endif
