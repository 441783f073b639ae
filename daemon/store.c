/*
 * hostd's persistent state on SQLite: the only file in the project that
 * speaks SQL. See store.h for the contract.
 *
 * Durability: the database runs in WAL mode with synchronous=NORMAL. A
 * commit has then been written (write(2)) to the WAL before it returns, so
 * it survives the process being killed (kill -9, abort, crash): the
 * kernel's page cache still holds it and the next open replays the WAL.
 * What NORMAL gives up, compared with FULL, is the fsync per commit: a
 * power loss or kernel crash may roll back the last few commits (never
 * corrupt the database). That is the trade hostd wants: restart safety
 * across its own crashes at thousands of transitions a second.
 *
 * Concurrency: one struct store is used by one thread at a time (hostd's
 * event loop). Statements are prepared once at open and reset after
 * each use, so no read transaction is ever left open between calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/store.h"

#define STORE_FILE "hostd.db"
#define STORE_EVENT_LIMIT 10000
#define STORE_BUSY_TIMEOUT_MS 5000

/*
 * Numbered schema migrations: migrations[i] takes the schema from version
 * i to i + 1. Append only; never edit one that has shipped. Each runs in
 * its own transaction together with the version bump, so a crash mid-way
 * leaves the previous version intact.
 */
static const char *const migrations[] = {
    /* 1: the initial schema. */
    "CREATE TABLE domains ("
    "  uuid TEXT PRIMARY KEY NOT NULL,"
    "  name TEXT NOT NULL UNIQUE,"
    "  config BLOB NOT NULL,"
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  persistent INTEGER NOT NULL DEFAULT 0,"
    "  autostart INTEGER NOT NULL DEFAULT 0,"
    "  seclabel TEXT,"
    "  pool TEXT,"
    "  run_id INTEGER NOT NULL DEFAULT 0,"
    "  pid INTEGER NOT NULL DEFAULT 0,"
    "  pid_start INTEGER NOT NULL DEFAULT 0,"
    "  control TEXT,"
    "  started_at_ns INTEGER NOT NULL DEFAULT 0,"
    "  exit_status INTEGER NOT NULL DEFAULT 0,"
    "  reason TEXT,"
    "  restarts INTEGER NOT NULL DEFAULT 0"
    ");"
    /* Resource pools (section 6): created now, used later. */
    "CREATE TABLE pools ("
    "  name TEXT PRIMARY KEY NOT NULL,"
    "  cpus TEXT,"
    "  scheduler TEXT,"
    "  params BLOB"
    ");"
    /* AUTOINCREMENT: a seq is never reused even after the oldest rows
     * are trimmed, so clients can resume from the last seq they saw. */
    "CREATE TABLE events ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time_ns INTEGER NOT NULL,"
    "  domain_uuid TEXT NOT NULL,"
    "  domain_name TEXT,"
    "  kind TEXT NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  detail TEXT"
    ");"
    /* Live migrations (outgoing; see migration 4). */
    "CREATE TABLE migrations ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  domain_uuid TEXT NOT NULL,"
    "  peer TEXT,"
    "  state INTEGER NOT NULL DEFAULT 0,"
    "  started_ns INTEGER NOT NULL DEFAULT 0,"
    "  finished_ns INTEGER NOT NULL DEFAULT 0,"
    "  detail TEXT"
    ");"
    "CREATE TABLE counters ("
    "  name TEXT PRIMARY KEY NOT NULL,"
    "  value INTEGER NOT NULL"
    ");"
    "INSERT INTO counters (name, value) VALUES ('run_id', 0);",
    /* 2: CPU pools in use; where automatic NUMA placement put each domain
     * (a row goes with its domain). */
    "CREATE TABLE domain_placement ("
    "  uuid TEXT PRIMARY KEY NOT NULL,"
    "  nodes TEXT NOT NULL"
    ");"
    "CREATE TRIGGER domain_placement_gc AFTER DELETE ON domains BEGIN"
    "  DELETE FROM domain_placement WHERE uuid = old.uuid;"
    "END;",
    /* 3: the security label of what an event is about, so an events
     * stream shows each client only what the policy lets it see. */
    "ALTER TABLE events ADD COLUMN label TEXT;",
    /* 4: outgoing migrations are recorded (store_migration_*): whether
     * the domain was paused before, so a restarted hostd can settle one
     * its death cut short. */
    "ALTER TABLE migrations ADD COLUMN was_paused INTEGER NOT NULL DEFAULT 0;",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

#define DOMAIN_COLS \
    "uuid, name, config, state, persistent, autostart, seclabel, pool, " \
    "run_id, pid, pid_start, control, started_at_ns, exit_status, reason, " \
    "restarts"
#define EVENT_COLS "seq, time_ns, domain_uuid, domain_name, kind, state, detail, label"

/* The cached statements. */
enum {
    Q_BEGIN,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_DOM_INSERT,
    Q_DOM_UPDATE,
    Q_DOM_DELETE,
    Q_DOM_BY_UUID,
    Q_DOM_BY_NAME,
    Q_DOM_LIST,
    Q_RUN_ID_BUMP,
    Q_RUN_ID_GET,
    Q_EV_INSERT,
    Q_EV_TRIM,
    Q_EV_SINCE,
    Q_POOL_PUT,
    Q_POOL_DELETE,
    Q_POOL_RENAME,
    Q_POOL_LIST,
    Q_PLACE_SET,
    Q_PLACE_DELETE,
    Q_PLACE_GET,
    Q_MIG_INSERT,
    Q_MIG_SET,
    Q_MIG_TRIM,
    Q_MIG_OPEN,
    Q_COUNT
};

static const char *const queries[Q_COUNT] = {
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_DOM_INSERT] = "INSERT INTO domains (" DOMAIN_COLS ") VALUES "
                     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                     "?13, ?14, ?15, ?16)",
    [Q_DOM_UPDATE] = "UPDATE domains SET name = ?2, config = ?3, state = ?4, "
                     "persistent = ?5, autostart = ?6, seclabel = ?7, "
                     "pool = ?8, run_id = ?9, pid = ?10, pid_start = ?11, "
                     "control = ?12, started_at_ns = ?13, exit_status = ?14, "
                     "reason = ?15, restarts = ?16 WHERE uuid = ?1",
    [Q_DOM_DELETE] = "DELETE FROM domains WHERE uuid = ?1",
    [Q_DOM_BY_UUID] = "SELECT " DOMAIN_COLS " FROM domains WHERE uuid = ?1",
    [Q_DOM_BY_NAME] = "SELECT " DOMAIN_COLS " FROM domains WHERE name = ?1",
    [Q_DOM_LIST] = "SELECT " DOMAIN_COLS " FROM domains ORDER BY name",
    [Q_RUN_ID_BUMP] = "UPDATE counters SET value = value + 1 "
                      "WHERE name = 'run_id'",
    [Q_RUN_ID_GET] = "SELECT value FROM counters WHERE name = 'run_id'",
    [Q_EV_INSERT] = "INSERT INTO events (time_ns, domain_uuid, domain_name, "
                    "kind, state, detail, label) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* seq is the rowid: this is a range delete on the table's own b-tree,
     * a single seek when there is nothing to trim. */
    [Q_EV_TRIM] = "DELETE FROM events WHERE seq <= ?1",
    [Q_EV_SINCE] = "SELECT " EVENT_COLS " FROM events WHERE seq > ?1 "
                   "ORDER BY seq LIMIT ?2",
    /* rowid keeps the order pools were made in (rename keeps it). */
    [Q_POOL_PUT] = "INSERT INTO pools (name, cpus, scheduler) VALUES (?1, ?2, ?3) "
                   "ON CONFLICT(name) DO UPDATE SET cpus = ?2, scheduler = ?3",
    [Q_POOL_DELETE] = "DELETE FROM pools WHERE name = ?1",
    [Q_POOL_RENAME] = "UPDATE pools SET name = ?2 WHERE name = ?1",
    [Q_POOL_LIST] = "SELECT name, cpus, scheduler FROM pools ORDER BY rowid",
    [Q_PLACE_SET] = "INSERT INTO domain_placement (uuid, nodes) VALUES (?1, ?2) "
                    "ON CONFLICT(uuid) DO UPDATE SET nodes = ?2",
    [Q_PLACE_DELETE] = "DELETE FROM domain_placement WHERE uuid = ?1",
    [Q_PLACE_GET] = "SELECT nodes FROM domain_placement WHERE uuid = ?1",
    [Q_MIG_INSERT] = "INSERT INTO migrations (domain_uuid, peer, state, started_ns, "
                     "was_paused) VALUES (?1, ?2, 1, ?3, ?4)",
    [Q_MIG_SET] = "UPDATE migrations SET state = ?2, finished_ns = ?3, detail = ?4 "
                  "WHERE id = ?1",
    /* The history kept: the last MIG_KEEP ended ones. */
    [Q_MIG_TRIM] = "DELETE FROM migrations WHERE state >= 3 AND id <= "
                   "(SELECT max(id) FROM migrations) - ?1",
    [Q_MIG_OPEN] = "SELECT id, domain_uuid, peer, state, was_paused FROM migrations "
                   "WHERE state IN (1, 2) ORDER BY id",
};

struct store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *q[Q_COUNT];
    bool in_tx;               /* inside store_begin .. store_commit */
    int64_t event_limit;
    int version;
};

/* All of the store's diagnostics go through here, so hostd's logging
 * module can take them over by changing this one function. */
static void store_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void store_log(const char *fmt, ...)
{
    va_list ap;
    char buf[512];

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, "hostd: store: %s\n", buf);
}

/* Map an SQLite result to a negative errno; failures that are not the
 * caller's doing are logged with SQLite's own message. */
static int store_err(struct store *st, int rc, const char *what)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return -EEXIST;
        store_log("%s: %s", what, sqlite3_errmsg(st->db));
        return -EINVAL;
    case SQLITE_FULL:
        /* Say so: "No space left on device" tells the operator what to do. */
        store_log("%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
        return -ENOSPC;
    default:
        store_log("%s: %s: %s", st->path, what,
                  st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        return -EIO;
    }
}

/* Reset a cached statement for its next use. */
static void q_done(sqlite3_stmt *s)
{
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
}

/* Run a cached statement that returns no rows. */
static int q_exec(struct store *st, int id, const char *what)
{
    int rc = sqlite3_step(st->q[id]);
    int err = rc == SQLITE_DONE ? 0 : store_err(st, rc, what);

    q_done(st->q[id]);
    return err;
}

/* Run uncached SQL (open and migrations only). */
static int exec_sql(struct store *st, const char *sql, const char *what)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        store_log("%s: %s: %s", st->path, what, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        if ((rc & 0xff) == SQLITE_NOMEM)
            return -ENOMEM;
        return -EIO;
    }
    return 0;
}

/*
 * Operations made of several statements (a run id, an event and its trim)
 * must be atomic on their own, and part of the caller's transaction when
 * there is one.
 */
static int tx_enter(struct store *st, bool *own)
{
    *own = false;
    if (st->in_tx)
        return 0;
    int err = q_exec(st, Q_BEGIN, "begin");
    if (err == 0)
        *own = true;
    return err;
}

static int tx_leave(struct store *st, bool own, int err)
{
    if (!own)
        return err;
    if (err == 0) {
        err = q_exec(st, Q_COMMIT, "commit");
        if (err == 0)
            return 0;
    }
    if (!sqlite3_get_autocommit(st->db))
        q_exec(st, Q_ROLLBACK, "rollback");
    return err;
}

/* A list being read (v, *cap rows of size bytes) with room for the row
 * at index len: v, or v grown by doubling from first rows; NULL if out of
 * memory (v is left as it was). */
static void *room_for(void *v, size_t *cap, size_t len, size_t size, size_t first)
{
    if (len < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : first;
    void *nv = realloc(v, ncap * size);
    if (nv)
        *cap = ncap;
    return nv;
}

static char *dup_col(sqlite3_stmt *s, int col, int *err)
{
    const unsigned char *t = sqlite3_column_text(s, col);

    if (!t)
        return NULL;
    char *r = strdup((const char *)t);
    if (!r)
        *err = -ENOMEM;
    return r;
}

/* A row into elem (zeroed first): 0 or a negative errno; elem may then
 * hold part of it, which the list's clear undoes. */
typedef int row_fn(sqlite3_stmt *s, void *elem);
typedef void clear_fn(void *elem);

/*
 * Every row s yields (its parameters bound; rc: how binding went), each
 * an element of size bytes filled by row, into a malloc'd array *out of
 * *n. On an error nothing is returned: clear undoes each element made.
 */
static int rows_collect(struct store *st, sqlite3_stmt *s, int rc, size_t size, size_t first,
                        row_fn *row, clear_fn *clear, const char *what, void **out, size_t *n)
{
    uint8_t *v = NULL;
    size_t len = 0, cap = 0;
    int err = 0;

    *out = NULL;
    *n = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        void *nv = room_for(v, &cap, len, size, first);
        if (!nv) {
            err = -ENOMEM;
            break;
        }
        v = nv;
        memset(v + len * size, 0, size);
        err = row(s, v + len++ * size);
        if (err)
            break;
        rc = SQLITE_OK;
    }
    if (!err && rc != SQLITE_DONE)
        err = store_err(st, rc, what);
    q_done(s);
    if (err) {
        for (size_t i = 0; i < len; i++)
            clear(v + i * size);
        free(v);
        return err;
    }
    *out = v;
    *n = len;
    return 0;
}

static int bind_text(sqlite3_stmt *s, int i, const char *t)
{
    return t ? sqlite3_bind_text(s, i, t, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

static bool uuid_ok(const char *uuid)
{
    return uuid && strnlen(uuid, 37) == 36;
}

/* ---- open, migrations, close ---- */

static int read_version(struct store *st, int *version)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db,
                                "SELECT version FROM schema_version WHERE id = 1",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return store_err(st, rc, "reading the schema version");
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *version = sqlite3_column_int(s, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        *version = 0;
        rc = SQLITE_OK;
    }
    int err = store_err(st, rc, "reading the schema version");
    sqlite3_finalize(s);
    return err;
}

static int set_version(struct store *st, int version)
{
    char sql[128];

    snprintf(sql, sizeof(sql),
             "INSERT OR REPLACE INTO schema_version (id, version) VALUES (1, %d)",
             version);
    return exec_sql(st, sql, "writing the schema version");
}

/* Bring the schema up to SCHEMA_VERSION, one migration per transaction.
 * The version is re-read inside each transaction, so two processes
 * opening the same new database cannot both apply a migration. */
static int migrate(struct store *st)
{
    int err = exec_sql(st,
                       "CREATE TABLE IF NOT EXISTS schema_version ("
                       "  id INTEGER PRIMARY KEY CHECK (id = 1),"
                       "  version INTEGER NOT NULL)",
                       "creating the schema_version table");
    if (err)
        return err;
    for (;;) {
        int v = 0;
        err = exec_sql(st, "BEGIN IMMEDIATE", "begin migration");
        if (err)
            return err;
        err = read_version(st, &v);
        if (err)
            goto fail;
        if (v > SCHEMA_VERSION) {
            store_log("%s: schema version %d is newer than this hostd knows "
                      "(%d): refusing to open it (was it written by a newer "
                      "hostd?)", st->path, v, SCHEMA_VERSION);
            err = -EPROTO;
            goto fail;
        }
        if (v == SCHEMA_VERSION) {
            st->version = v;
            return exec_sql(st, "COMMIT", "commit");
        }
        err = exec_sql(st, migrations[v], "schema migration");
        if (!err)
            err = set_version(st, v + 1);
        if (!err)
            err = exec_sql(st, "COMMIT", "commit migration");
        if (err)
            goto fail;
    }
fail:
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

/* A PRAGMA that returns one row: check it took (journal_mode answers
 * with the mode in force, which is not WAL on e.g. some network
 * filesystems). */
static int pragma(struct store *st, const char *sql, const char *want)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    int err = 0;

    if (rc != SQLITE_OK)
        return store_err(st, rc, sql);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && want) {
        const char *got = (const char *)sqlite3_column_text(s, 0);
        if (!got || strcasecmp(got, want) != 0) {
            store_log("%s: %s: got %s", st->path, sql, got ? got : "nothing");
            err = -EIO;
        }
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        err = store_err(st, rc, sql);
    }
    sqlite3_finalize(s);
    return err;
}

/* The database file: DIR/hostd.db when path is a directory (the state
 * directory, as hostd passes it), else path itself. */
static int db_path(const char *path, char **out)
{
    struct stat sb;

    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        if (asprintf(out, "%s/%s", path, STORE_FILE) < 0)
            return -ENOMEM;
    } else if (!(*out = strdup(path))) {
        return -ENOMEM;
    }
    return 0;
}

int store_open(const char *path, struct store **out)
{
    struct store *st;
    int err, rc;

    *out = NULL;
    if (!path || !*path)
        return -EINVAL;
    if (!(st = calloc(1, sizeof(*st))))
        return -ENOMEM;
    st->event_limit = STORE_EVENT_LIMIT;
    if ((err = db_path(path, &st->path)))
        goto fail;

    /* Create the file ourselves so it is private (configs live in it);
     * SQLite gives the -wal and -shm files the same mode. */
    int fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        err = -errno;
        store_log("%s: %s", st->path, strerror(errno));
        goto fail;
    }
    close(fd);

    rc = sqlite3_open_v2(st->path, &st->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err = st->db ? store_err(st, rc, "open") : -ENOMEM;
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);

    /* The first statement reads the file: a file that is not a database
     * fails here, with SQLite's "file is not a database". */
    if ((err = pragma(st, "PRAGMA journal_mode=WAL", "wal")) ||
        /* Durable across process crashes: see the top of this file. */
        (err = pragma(st, "PRAGMA synchronous=NORMAL", NULL)) ||
        (err = pragma(st, "PRAGMA foreign_keys=ON", NULL)) ||
        /* Truncate the WAL back to 4 MiB after a checkpoint, so one big
         * transaction does not leave a big file behind for good. */
        (err = pragma(st, "PRAGMA journal_size_limit=4194304", NULL)) ||
        (err = migrate(st)))
        goto fail;

    for (int i = 0; i < Q_COUNT; i++) {
        rc = sqlite3_prepare_v3(st->db, queries[i], -1, SQLITE_PREPARE_PERSISTENT,
                                &st->q[i], NULL);
        if (rc != SQLITE_OK) {
            err = store_err(st, rc, "preparing a statement");
            goto fail;
        }
    }
    *out = st;
    return 0;
fail:
    store_close(st);
    return err;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    if (st->in_tx)
        store_rollback(st);
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(st->q[i]);
    /* Every statement is finalized, so this cannot fail with BUSY. */
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

int store_schema_version(struct store *st)
{
    return st->version;
}

/* ---- transactions ---- */

int store_begin(struct store *st)
{
    if (st->in_tx)
        return -EINVAL;
    int err = q_exec(st, Q_BEGIN, "begin");
    if (err == 0)
        st->in_tx = true;
    return err;
}

int store_commit(struct store *st)
{
    if (!st->in_tx)
        return -EINVAL;
    st->in_tx = false;
    return tx_leave(st, true, 0);
}

void store_rollback(struct store *st)
{
    if (!st->in_tx)
        return;
    st->in_tx = false;
    /* SQLite may already have rolled back on its own (e.g. after a
     * full disk); ROLLBACK would then fail. */
    if (!sqlite3_get_autocommit(st->db))
        q_exec(st, Q_ROLLBACK, "rollback");
}

/* ---- domains ---- */

void store_domain_clear(struct store_domain *d)
{
    if (!d)
        return;
    free(d->name);
    free(d->config);
    free(d->seclabel);
    free(d->pool);
    free(d->control);
    free(d->reason);
    memset(d, 0, sizeof(*d));
}

static int domain_bind(sqlite3_stmt *s, const struct store_domain *d)
{
    int rc = sqlite3_bind_text(s, 1, d->uuid, -1, SQLITE_STATIC);

    if (rc == SQLITE_OK)
        rc = sqlite3_bind_text(s, 2, d->name, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) {
        /* A zero-length blob, not NULL: an empty config is a valid
         * (all-defaults) protobuf. */
        if (d->config_len == 0)
            rc = sqlite3_bind_zeroblob(s, 3, 0);
        else if (d->config_len > INT_MAX)
            rc = SQLITE_TOOBIG;
        else
            rc = sqlite3_bind_blob(s, 3, d->config, (int)d->config_len,
                                   SQLITE_STATIC);
    }
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 4, d->state);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 5, d->persistent);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 6, d->autostart);
    if (rc == SQLITE_OK) rc = bind_text(s, 7, d->seclabel);
    if (rc == SQLITE_OK) rc = bind_text(s, 8, d->pool);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 9, d->run_id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 10, d->pid);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 11, (int64_t)d->pid_start);
    if (rc == SQLITE_OK) rc = bind_text(s, 12, d->control);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 13, (int64_t)d->started_at_ns);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 14, d->exit_status);
    if (rc == SQLITE_OK) rc = bind_text(s, 15, d->reason);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 16, d->restarts);
    return rc;
}

static int domain_check(const struct store_domain *d)
{
    if (!d || !uuid_ok(d->uuid) || !d->name || !*d->name ||
        (d->config_len && !d->config))
        return -EINVAL;
    return 0;
}

/* Write a domain with the insert or the update statement (same
 * parameters). */
static int domain_write(struct store *st, int id, const struct store_domain *d,
                        const char *what)
{
    sqlite3_stmt *s = st->q[id];
    int err = domain_check(d);

    if (err)
        return err;
    int rc = domain_bind(s, d);
    if (rc == SQLITE_TOOBIG) {
        q_done(s);
        return -EINVAL;
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    err = rc == SQLITE_DONE ? 0 : store_err(st, rc, what);
    if (err == 0 && id == Q_DOM_UPDATE && sqlite3_changes(st->db) == 0)
        err = -ENOENT;
    q_done(s);
    return err;
}

int store_domain_insert(struct store *st, const struct store_domain *d)
{
    return domain_write(st, Q_DOM_INSERT, d, "inserting a domain");
}

int store_domain_update(struct store *st, const struct store_domain *d)
{
    return domain_write(st, Q_DOM_UPDATE, d, "updating a domain");
}

int store_domain_delete(struct store *st, const char *uuid)
{
    sqlite3_stmt *s = st->q[Q_DOM_DELETE];

    if (!uuid_ok(uuid))
        return -EINVAL;
    int rc = sqlite3_bind_text(s, 1, uuid, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    int err = rc == SQLITE_DONE ? 0 : store_err(st, rc, "deleting a domain");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        err = -ENOENT;
    q_done(s);
    return err;
}

/* Copy the current row of a DOMAIN_COLS query into *d. */
static int domain_row(sqlite3_stmt *s, struct store_domain *d)
{
    int err = 0;
    const unsigned char *uuid = sqlite3_column_text(s, 0);

    memset(d, 0, sizeof(*d));
    if (uuid)
        snprintf(d->uuid, sizeof(d->uuid), "%s", (const char *)uuid);
    d->name = dup_col(s, 1, &err);
    int len = sqlite3_column_bytes(s, 2);
    const void *blob = sqlite3_column_blob(s, 2);
    if (len > 0 && blob) {
        if ((d->config = malloc((size_t)len))) {
            memcpy(d->config, blob, (size_t)len);
            d->config_len = (size_t)len;
        } else {
            err = -ENOMEM;
        }
    }
    d->state = sqlite3_column_int(s, 3);
    d->persistent = sqlite3_column_int(s, 4) != 0;
    d->autostart = sqlite3_column_int(s, 5) != 0;
    d->seclabel = dup_col(s, 6, &err);
    d->pool = dup_col(s, 7, &err);
    d->run_id = (uint32_t)sqlite3_column_int64(s, 8);
    d->pid = sqlite3_column_int(s, 9);
    d->pid_start = (uint64_t)sqlite3_column_int64(s, 10);
    d->control = dup_col(s, 11, &err);
    d->started_at_ns = (uint64_t)sqlite3_column_int64(s, 12);
    d->exit_status = sqlite3_column_int(s, 13);
    d->reason = dup_col(s, 14, &err);
    d->restarts = (uint32_t)sqlite3_column_int64(s, 15);
    if (err)
        store_domain_clear(d);
    return err;
}

static int domain_get_by(struct store *st, int id, const char *ref,
                         struct store_domain *out)
{
    sqlite3_stmt *s = st->q[id];
    int rc = sqlite3_bind_text(s, 1, ref, -1, SQLITE_STATIC);
    int err;

    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        err = domain_row(s, out);
    else if (rc == SQLITE_DONE)
        err = -ENOENT;
    else
        err = store_err(st, rc, "reading a domain");
    q_done(s);
    return err;
}

int store_domain_get(struct store *st, const char *ref, struct store_domain *out)
{
    if (!ref || !*ref || !out)
        return -EINVAL;
    /* The uuid first: it is the identity; a name never shadows it. */
    int err = -ENOENT;
    if (uuid_ok(ref))
        err = domain_get_by(st, Q_DOM_BY_UUID, ref, out);
    if (err == -ENOENT)
        err = domain_get_by(st, Q_DOM_BY_NAME, ref, out);
    return err;
}

static int domain_elem(sqlite3_stmt *s, void *elem)
{
    return domain_row(s, elem);
}

static void domain_elem_clear(void *elem)
{
    store_domain_clear(elem);
}

int store_domain_list(struct store *st, struct store_domain **out, size_t *n)
{
    return rows_collect(st, st->q[Q_DOM_LIST], SQLITE_OK, sizeof **out, 16, domain_elem,
                        domain_elem_clear, "listing domains", (void **)out, n);
}

/* ---- run ids ---- */

int store_next_run_id(struct store *st, uint32_t *id)
{
    bool own;
    int err = tx_enter(st, &own);

    if (err)
        return err;
    err = q_exec(st, Q_RUN_ID_BUMP, "bumping the run id");
    if (!err) {
        sqlite3_stmt *s = st->q[Q_RUN_ID_GET];
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            int64_t v = sqlite3_column_int64(s, 0);
            /* 0 means "not running": ids start at 1 and are never
             * reused, so running out is an error, not a wrap. */
            if (v <= 0 || v > UINT32_MAX) {
                store_log("%s: run id counter out of range (%lld)", st->path,
                          (long long)v);
                err = -EOVERFLOW;
            } else {
                *id = (uint32_t)v;
            }
        } else {
            err = rc == SQLITE_DONE ? -EIO : store_err(st, rc, "reading the run id");
            if (rc == SQLITE_DONE)
                store_log("%s: the run id counter is missing", st->path);
        }
        q_done(s);
    }
    return tx_leave(st, own, err);
}

/* ---- events ---- */

void store_event_clear(struct store_event *e)
{
    if (!e)
        return;
    free(e->domain_name);
    free(e->kind);
    free(e->detail);
    free(e->label);
    memset(e, 0, sizeof(*e));
}

int store_event_append(struct store *st, struct store_event *e)
{
    if (!e || !e->kind || !*e->kind ||
        memchr(e->domain_uuid, '\0', sizeof(e->domain_uuid)) == NULL)
        return -EINVAL;

    bool own;
    int err = tx_enter(st, &own);
    if (err)
        return err;

    sqlite3_stmt *s = st->q[Q_EV_INSERT];
    int rc = sqlite3_bind_int64(s, 1, (int64_t)e->time_ns);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 2, e->domain_uuid, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = bind_text(s, 3, e->domain_name);
    if (rc == SQLITE_OK) rc = sqlite3_bind_text(s, 4, e->kind, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 5, e->state);
    if (rc == SQLITE_OK) rc = bind_text(s, 6, e->detail);
    if (rc == SQLITE_OK) rc = bind_text(s, 7, e->label);
    if (rc == SQLITE_OK) rc = sqlite3_step(s);
    err = rc == SQLITE_DONE ? 0 : store_err(st, rc, "appending an event");
    int64_t seq = sqlite3_last_insert_rowid(st->db);
    q_done(s);

    /* Keep the newest event_limit: seqs are consecutive, so everything
     * at or below seq - limit goes. */
    if (!err && seq > st->event_limit) {
        s = st->q[Q_EV_TRIM];
        rc = sqlite3_bind_int64(s, 1, seq - st->event_limit);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(s);
        err = rc == SQLITE_DONE ? 0 : store_err(st, rc, "trimming the event log");
        q_done(s);
    }
    err = tx_leave(st, own, err);
    if (!err)
        e->seq = (uint64_t)seq;
    return err;
}

static int event_elem(sqlite3_stmt *s, void *elem)
{
    struct store_event *e = elem;
    int err = 0;
    e->seq = (uint64_t)sqlite3_column_int64(s, 0);
    e->time_ns = (uint64_t)sqlite3_column_int64(s, 1);
    const unsigned char *u = sqlite3_column_text(s, 2);
    if (u)
        snprintf(e->domain_uuid, sizeof(e->domain_uuid), "%s", (const char *)u);
    e->domain_name = dup_col(s, 3, &err);
    e->kind = dup_col(s, 4, &err);
    e->state = sqlite3_column_int(s, 5);
    e->detail = dup_col(s, 6, &err);
    e->label = dup_col(s, 7, &err);
    return err;
}

static void event_elem_clear(void *elem)
{
    store_event_clear(elem);
}

int store_events_since(struct store *st, uint64_t since, size_t max,
                       struct store_event **out, size_t *n)
{
    sqlite3_stmt *s = st->q[Q_EV_SINCE];

    *out = NULL;
    *n = 0;
    if (max == 0 || since >= INT64_MAX)
        return 0;
    int rc = sqlite3_bind_int64(s, 1, (int64_t)since);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
    return rows_collect(st, s, rc, sizeof **out, 64, event_elem, event_elem_clear,
                        "reading events", (void **)out, n);
}

/* ---- CPU pools ---- */

void store_pool_clear(struct store_pool *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->cpus);
    free(p->sched);
    memset(p, 0, sizeof(*p));
}

int store_pool_put(struct store *st, const char *name, const char *cpus, const char *sched)
{
    if (!name || !*name || !cpus || !sched)
        return -EINVAL;
    sqlite3_stmt *s = st->q[Q_POOL_PUT];
    int rc = bind_text(s, 1, name);
    if (rc == SQLITE_OK) rc = bind_text(s, 2, cpus);
    if (rc == SQLITE_OK) rc = bind_text(s, 3, sched);
    if (rc != SQLITE_OK) {
        q_done(s);
        return store_err(st, rc, "binding a pool");
    }
    return q_exec(st, Q_POOL_PUT, "storing a pool");
}

int store_pool_delete(struct store *st, const char *name)
{
    sqlite3_stmt *s = st->q[Q_POOL_DELETE];
    int rc = bind_text(s, 1, name);
    if (rc != SQLITE_OK) {
        q_done(s);
        return store_err(st, rc, "binding a pool");
    }
    int err = q_exec(st, Q_POOL_DELETE, "deleting a pool");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return -ENOENT;
    return err;
}

int store_pool_rename(struct store *st, const char *name, const char *new_name)
{
    sqlite3_stmt *s = st->q[Q_POOL_RENAME];
    int rc = bind_text(s, 1, name);
    if (rc == SQLITE_OK) rc = bind_text(s, 2, new_name);
    if (rc != SQLITE_OK) {
        q_done(s);
        return store_err(st, rc, "binding a pool");
    }
    int err = q_exec(st, Q_POOL_RENAME, "renaming a pool");
    if (err == 0 && sqlite3_changes(st->db) == 0)
        return -ENOENT;
    return err;
}

static int pool_elem(sqlite3_stmt *s, void *elem)
{
    struct store_pool *p = elem;
    int err = 0;
    p->name = dup_col(s, 0, &err);
    p->cpus = dup_col(s, 1, &err);
    p->sched = dup_col(s, 2, &err);
    return err;
}

static void pool_elem_clear(void *elem)
{
    store_pool_clear(elem);
}

int store_pool_list(struct store *st, struct store_pool **out, size_t *n)
{
    return rows_collect(st, st->q[Q_POOL_LIST], SQLITE_OK, sizeof **out, 8, pool_elem,
                        pool_elem_clear, "listing pools", (void **)out, n);
}

/* ---- NUMA placement of domains ---- */

int store_placement_set(struct store *st, const char *uuid, const char *nodes)
{
    if (!uuid_ok(uuid) || !nodes)
        return -EINVAL;
    int id = *nodes ? Q_PLACE_SET : Q_PLACE_DELETE;
    sqlite3_stmt *s = st->q[id];
    int rc = bind_text(s, 1, uuid);
    if (rc == SQLITE_OK && *nodes) rc = bind_text(s, 2, nodes);
    if (rc != SQLITE_OK) {
        q_done(s);
        return store_err(st, rc, "binding a placement");
    }
    return q_exec(st, id, "storing a placement");
}

int store_placement_get(struct store *st, const char *uuid, char **nodes)
{
    sqlite3_stmt *s = st->q[Q_PLACE_GET];
    int err = 0;

    *nodes = NULL;
    int rc = bind_text(s, 1, uuid);
    if (rc != SQLITE_OK) {
        q_done(s);
        return store_err(st, rc, "binding a placement");
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *nodes = dup_col(s, 0, &err);
    else if (rc == SQLITE_DONE)
        err = -ENOENT;
    else
        err = store_err(st, rc, "reading a placement");
    q_done(s);
    return err;
}

/* ---- outgoing migrations ---- */

#define MIG_KEEP 1000

int store_migration_begin(struct store *st, const char *uuid, const char *peer,
                          bool was_paused, uint64_t now_ns, int64_t *id)
{
    if (!uuid_ok(uuid) || !peer)
        return -EINVAL;
    sqlite3_stmt *s = st->q[Q_MIG_INSERT];
    int rc = bind_text(s, 1, uuid);
    if (rc == SQLITE_OK) rc = bind_text(s, 2, peer);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 3, (sqlite3_int64)now_ns);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 4, was_paused);
    if (rc != SQLITE_OK) {
        q_done(s);
        return store_err(st, rc, "binding a migration");
    }
    int err = q_exec(st, Q_MIG_INSERT, "recording a migration");
    if (err == 0)
        *id = sqlite3_last_insert_rowid(st->db);
    return err;
}

int store_migration_set(struct store *st, int64_t id, int state, uint64_t now_ns,
                        const char *detail)
{
    bool own;
    int err = tx_enter(st, &own);
    if (err)
        return err;
    sqlite3_stmt *s = st->q[Q_MIG_SET];
    int rc = sqlite3_bind_int64(s, 1, id);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int(s, 2, state);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(s, 3, (sqlite3_int64)now_ns);
    if (rc == SQLITE_OK) rc = bind_text(s, 4, detail);
    if (rc != SQLITE_OK) {
        q_done(s);
        err = store_err(st, rc, "binding a migration");
    } else {
        err = q_exec(st, Q_MIG_SET, "updating a migration");
    }
    if (!err && sqlite3_changes(st->db) == 0)
        err = -ENOENT;
    if (!err && state >= STORE_MIG_DONE) {
        s = st->q[Q_MIG_TRIM];
        rc = sqlite3_bind_int64(s, 1, MIG_KEEP);
        if (rc != SQLITE_OK) {
            q_done(s);
            err = store_err(st, rc, "binding a migration trim");
        } else {
            err = q_exec(st, Q_MIG_TRIM, "trimming migrations");
        }
    }
    return tx_leave(st, own, err);
}

void store_migration_clear(struct store_migration *m)
{
    free(m->peer);
    m->peer = NULL;
}

static int migration_elem(sqlite3_stmt *s, void *elem)
{
    struct store_migration *m = elem;
    int err = 0;
    m->id = sqlite3_column_int64(s, 0);
    const unsigned char *u = sqlite3_column_text(s, 1);
    snprintf(m->uuid, sizeof m->uuid, "%s", u ? (const char *)u : "");
    m->peer = dup_col(s, 2, &err);
    m->state = sqlite3_column_int(s, 3);
    m->was_paused = sqlite3_column_int(s, 4) != 0;
    return err;
}

static void migration_elem_clear(void *elem)
{
    store_migration_clear(elem);
}

int store_migrations_open(struct store *st, struct store_migration **out, size_t *n)
{
    return rows_collect(st, st->q[Q_MIG_OPEN], SQLITE_OK, sizeof **out, 4, migration_elem,
                        migration_elem_clear, "listing migrations", (void **)out, n);
}
