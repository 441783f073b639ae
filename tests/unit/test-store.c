/*
 * hostd's SQLite store (daemon/store.c): rows, errors, transactions, the
 * bounded event log, schema migrations and crash durability. Each test
 * gets a fresh state directory under $TMPDIR.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "daemon/store.h"

/* The schema version this code creates: bump with each new migration. */
#define CURRENT_SCHEMA 4
#define EVENT_LIMIT 10000

struct fixture {
    char dir[256];
    char db[300];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const char *tmp = getenv("TMPDIR");

    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "%s/test-store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->db, sizeof(f->db), "%s/hostd.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    DIR *d = opendir(f->dir);
    struct dirent *de;

    while (d && (de = readdir(d))) {
        char p[600];
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", f->dir, de->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}

static struct store *open_ok(struct fixture *f)
{
    struct store *st = NULL;
    assert_int_equal(store_open(f->dir, &st), 0);
    assert_non_null(st);
    return st;
}

static void make_uuid(char out[37], unsigned n)
{
    snprintf(out, 37, "00000000-0000-4000-8000-%012x", n);
}

/* A domain with every field set, distinct per n. */
static void make_domain(struct store_domain *d, unsigned n, const char *name)
{
    static uint8_t cfg[] = { 0x0a, 0x03, 'a', 'b', 'c', 0x00, 0xff };

    memset(d, 0, sizeof(*d));
    make_uuid(d->uuid, n);
    d->name = (char *)name;
    d->config = cfg;
    d->config_len = sizeof(cfg);
    d->state = 2;
    d->persistent = true;
    d->autostart = n % 2;
    d->seclabel = (char *)"skiff_guest_t";
    d->pool = (char *)"default";
    d->run_id = 7 + n;
    d->pid = 4242;
    d->pid_start = UINT64_MAX - 1;      /* the full 64 bits survive */
    d->control = (char *)"/run/skiff/x.sock";
    d->started_at_ns = 1700000000123456789ULL;
    d->exit_status = -3;
    d->reason = (char *)"halted";
    d->restarts = 5;
}

static void assert_domain_equal(const struct store_domain *a, const struct store_domain *b)
{
    assert_string_equal(a->uuid, b->uuid);
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->config_len, b->config_len);
    if (a->config_len)
        assert_memory_equal(a->config, b->config, a->config_len);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->persistent, b->persistent);
    assert_int_equal(a->autostart, b->autostart);
    if (a->seclabel || b->seclabel)
        assert_string_equal(a->seclabel, b->seclabel);
    if (a->pool || b->pool)
        assert_string_equal(a->pool, b->pool);
    assert_int_equal(a->run_id, b->run_id);
    assert_int_equal(a->pid, b->pid);
    assert_true(a->pid_start == b->pid_start);
    if (a->control || b->control)
        assert_string_equal(a->control, b->control);
    assert_true(a->started_at_ns == b->started_at_ns);
    assert_int_equal(a->exit_status, b->exit_status);
    if (a->reason || b->reason)
        assert_string_equal(a->reason, b->reason);
    assert_int_equal(a->restarts, b->restarts);
}

static void open_creates_schema(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    struct stat sb;

    assert_int_equal(store_schema_version(st), CURRENT_SCHEMA);
    /* The database holds configs: private to hostd. */
    assert_int_equal(stat(f->db, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    /* No descriptor on the database leaks into the monitors hostd execs. */
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    int seen = 0;
    assert_non_null(d);
    while ((de = readdir(d))) {
        char link[300], target[512];
        ssize_t len;
        snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
        if ((len = readlink(link, target, sizeof(target) - 1)) <= 0)
            continue;
        target[len] = '\0';
        if (strstr(target, "hostd.db")) {
            int fl = fcntl(atoi(de->d_name), F_GETFD);
            assert_true(fl >= 0 && (fl & FD_CLOEXEC));
            seen++;
        }
    }
    closedir(d);
    assert_true(seen >= 1);

    store_close(st);
    /* Opening by the file's own path works too. */
    assert_int_equal(store_open(f->db, &st), 0);
    assert_int_equal(store_schema_version(st), CURRENT_SCHEMA);
    store_close(st);
}

static void domain_crud(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    struct store_domain in, out;

    make_domain(&in, 1, "web");
    assert_int_equal(store_domain_insert(st, &in), 0);

    assert_int_equal(store_domain_get(st, "web", &out), 0);
    assert_domain_equal(&in, &out);
    store_domain_clear(&out);
    assert_null(out.name);

    assert_int_equal(store_domain_get(st, in.uuid, &out), 0);
    assert_domain_equal(&in, &out);
    store_domain_clear(&out);

    /* Update: rename, clear the optional strings, empty config. */
    in.name = (char *)"web2";
    in.state = 5;
    in.seclabel = in.pool = in.control = in.reason = NULL;
    in.config = NULL;
    in.config_len = 0;
    in.run_id = 0;
    in.pid = 0;
    assert_int_equal(store_domain_update(st, &in), 0);
    assert_int_equal(store_domain_get(st, "web", &out), -ENOENT);
    assert_int_equal(store_domain_get(st, "web2", &out), 0);
    assert_domain_equal(&in, &out);
    assert_null(out.seclabel);
    assert_null(out.config);
    assert_int_equal(out.config_len, 0);
    store_domain_clear(&out);

    assert_int_equal(store_domain_delete(st, in.uuid), 0);
    assert_int_equal(store_domain_get(st, in.uuid, &out), -ENOENT);
    assert_int_equal(store_domain_get(st, "web2", &out), -ENOENT);
    assert_int_equal(store_domain_delete(st, in.uuid), -ENOENT);
    assert_int_equal(store_domain_update(st, &in), -ENOENT);
    store_close(st);
}

static void domain_duplicates_and_invalid(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    struct store_domain a, b, out;

    make_domain(&a, 1, "a");
    make_domain(&b, 2, "b");
    assert_int_equal(store_domain_insert(st, &a), 0);
    assert_int_equal(store_domain_insert(st, &b), 0);

    struct store_domain dup = a;
    dup.name = (char *)"other";                     /* same uuid */
    assert_int_equal(store_domain_insert(st, &dup), -EEXIST);
    make_domain(&dup, 3, "a");                      /* same name */
    assert_int_equal(store_domain_insert(st, &dup), -EEXIST);
    b.name = (char *)"a";                           /* rename onto a */
    assert_int_equal(store_domain_update(st, &b), -EEXIST);

    /* Nothing changed. */
    assert_int_equal(store_domain_get(st, "b", &out), 0);
    assert_string_equal(out.uuid, b.uuid);
    store_domain_clear(&out);

    make_domain(&dup, 4, "c");
    strcpy(dup.uuid, "short");
    assert_int_equal(store_domain_insert(st, &dup), -EINVAL);
    make_domain(&dup, 4, "c");
    dup.name = NULL;
    assert_int_equal(store_domain_insert(st, &dup), -EINVAL);
    dup.name = (char *)"";
    assert_int_equal(store_domain_insert(st, &dup), -EINVAL);
    assert_int_equal(store_domain_get(st, "", &out), -EINVAL);
    assert_int_equal(store_domain_get(st, "nosuch", &out), -ENOENT);
    assert_int_equal(store_domain_delete(st, "nosuch"), -EINVAL);

    /* A name that looks like another domain's uuid never shadows it. */
    make_domain(&dup, 5, a.uuid);
    assert_int_equal(store_domain_insert(st, &dup), 0);
    assert_int_equal(store_domain_get(st, a.uuid, &out), 0);
    assert_string_equal(out.name, "a");
    store_domain_clear(&out);
    store_close(st);
}

static void domain_list(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    struct store_domain d, *v = NULL;
    size_t n = 99;

    assert_int_equal(store_domain_list(st, &v, &n), 0);
    assert_int_equal(n, 0);
    free(v);

    const char *names[] = { "m", "z", "a" };
    for (unsigned i = 0; i < 3; i++) {
        make_domain(&d, i, names[i]);
        assert_int_equal(store_domain_insert(st, &d), 0);
    }
    assert_int_equal(store_domain_list(st, &v, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].name, "a");
    assert_string_equal(v[1].name, "m");
    assert_string_equal(v[2].name, "z");
    make_domain(&d, 1, "z");
    assert_domain_equal(&d, &v[2]);
    for (size_t i = 0; i < n; i++)
        store_domain_clear(&v[i]);
    free(v);
    store_close(st);
}

static void run_id_monotonic(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    uint32_t id = 0, prev;

    assert_int_equal(store_next_run_id(st, &id), 0);
    assert_int_equal(id, 1);                    /* 0 means "not running" */
    for (int i = 0; i < 10; i++) {
        prev = id;
        assert_int_equal(store_next_run_id(st, &id), 0);
        assert_int_equal(id, prev + 1);
    }
    /* Inside a caller's transaction too. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_next_run_id(st, &id), 0);
    assert_int_equal(id, 12);
    assert_int_equal(store_commit(st), 0);
    store_close(st);

    st = open_ok(f);
    assert_int_equal(store_next_run_id(st, &id), 0);
    assert_int_equal(id, 13);
    store_close(st);
}

static int append(struct store *st, unsigned i, uint64_t *seq)
{
    char detail[32];
    struct store_event e = { .time_ns = 1000 + i, .state = (int)(i % 7) };

    make_uuid(e.domain_uuid, i % 3);
    snprintf(detail, sizeof(detail), "event %u", i);
    e.domain_name = (char *)"web";
    e.kind = (char *)"state";
    e.detail = detail;
    int err = store_event_append(st, &e);
    if (seq)
        *seq = e.seq;
    return err;
}

static void events(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    struct store_event *v = NULL;
    size_t n = 0;
    uint64_t seq = 0, prev = 0;

    assert_int_equal(store_events_since(st, 0, 100, &v, &n), 0);
    assert_int_equal(n, 0);
    free(v);

    for (unsigned i = 1; i <= 5; i++) {
        assert_int_equal(append(st, i, &seq), 0);
        assert_true(seq > prev);
        prev = seq;
    }
    assert_int_equal(store_events_since(st, 0, 100, &v, &n), 0);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        char want[32], uuid[37];
        snprintf(want, sizeof(want), "event %zu", i + 1);
        make_uuid(uuid, (unsigned)(i + 1) % 3);
        assert_int_equal(v[i].seq, i + 1);
        assert_int_equal(v[i].time_ns, 1001 + i);
        assert_string_equal(v[i].domain_uuid, uuid);
        assert_string_equal(v[i].domain_name, "web");
        assert_string_equal(v[i].kind, "state");
        assert_int_equal(v[i].state, (int)((i + 1) % 7));
        assert_string_equal(v[i].detail, want);
        store_event_clear(&v[i]);
    }
    free(v);

    /* since is exclusive; max caps the batch. */
    assert_int_equal(store_events_since(st, 2, 2, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].seq, 3);
    assert_int_equal(v[1].seq, 4);
    for (size_t i = 0; i < n; i++)
        store_event_clear(&v[i]);
    free(v);
    assert_int_equal(store_events_since(st, 5, 100, &v, &n), 0);
    assert_int_equal(n, 0);
    free(v);

    /* A host-wide event: no domain. */
    struct store_event e = { .kind = (char *)"hostd-start" };
    assert_int_equal(store_event_append(st, &e), 0);
    assert_int_equal(e.seq, 6);
    struct store_event bad = { .kind = NULL };
    assert_int_equal(store_event_append(st, &bad), -EINVAL);
    store_close(st);
}

static void events_bounded(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    struct store_event *v = NULL;
    size_t n = 0;
    uint64_t seq = 0;
    const unsigned total = EVENT_LIMIT + 150;

    /* One transaction for speed; the trim runs on every append. */
    assert_int_equal(store_begin(st), 0);
    for (unsigned i = 1; i <= total - 50; i++)
        assert_int_equal(append(st, i, NULL), 0);
    assert_int_equal(store_commit(st), 0);
    /* And some on their own (autocommit). */
    for (unsigned i = total - 49; i <= total; i++)
        assert_int_equal(append(st, i, &seq), 0);
    assert_int_equal(seq, total);

    assert_int_equal(store_events_since(st, 0, 2 * EVENT_LIMIT, &v, &n), 0);
    assert_int_equal(n, EVENT_LIMIT);
    assert_int_equal(v[0].seq, total - EVENT_LIMIT + 1);
    assert_int_equal(v[n - 1].seq, total);
    for (size_t i = 0; i < n; i++)
        store_event_clear(&v[i]);
    free(v);
    store_close(st);

    /* Seqs are never reused across a reopen, even after trimming. */
    st = open_ok(f);
    assert_int_equal(append(st, 0, &seq), 0);
    assert_int_equal(seq, total + 1);
    store_close(st);
}

static void transactions(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    struct store_domain a, b, out;
    uint64_t seq = 0;

    make_domain(&a, 1, "a");
    make_domain(&b, 2, "b");

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_begin(st), -EINVAL);         /* no nesting */
    assert_int_equal(store_domain_insert(st, &a), 0);
    assert_int_equal(append(st, 1, &seq), 0);
    assert_int_equal(store_domain_get(st, "a", &out), 0);   /* visible inside */
    store_domain_clear(&out);
    store_rollback(st);
    assert_int_equal(store_domain_get(st, "a", &out), -ENOENT);
    struct store_event *v = NULL;
    size_t n = 9;
    assert_int_equal(store_events_since(st, 0, 10, &v, &n), 0);
    assert_int_equal(n, 0);
    free(v);

    assert_int_equal(store_commit(st), -EINVAL);        /* none open */
    store_rollback(st);                                 /* harmless */

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_domain_insert(st, &a), 0);
    assert_int_equal(store_domain_insert(st, &b), 0);
    /* A failed statement leaves the transaction usable. */
    assert_int_equal(store_domain_insert(st, &a), -EEXIST);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_domain_get(st, "a", &out), 0);
    store_domain_clear(&out);
    assert_int_equal(store_domain_get(st, "b", &out), 0);
    store_domain_clear(&out);

    /* Closing with a transaction open rolls it back. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_domain_delete(st, a.uuid), 0);
    store_close(st);
    st = open_ok(f);
    assert_int_equal(store_domain_get(st, "a", &out), 0);
    store_domain_clear(&out);
    store_close(st);
}

static void reopen_keeps_data(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    struct store_domain a, out;

    make_domain(&a, 1, "a");
    assert_int_equal(store_domain_insert(st, &a), 0);
    store_close(st);
    for (int i = 0; i < 3; i++) {
        st = open_ok(f);
        assert_int_equal(store_schema_version(st), CURRENT_SCHEMA);
        assert_int_equal(store_domain_get(st, "a", &out), 0);
        assert_domain_equal(&a, &out);
        store_domain_clear(&out);
        store_close(st);
    }
}

/* Test-only SQL on the database file, to fake what store.c never writes. */
static void raw_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void future_schema_refused(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    char sql[128];

    store_close(st);
    snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
             CURRENT_SCHEMA + 1);
    raw_sql(f->db, sql);
    st = (struct store *)&st;
    assert_int_equal(store_open(f->dir, &st), -EPROTO);
    assert_null(st);
    /* Refusing changed nothing: still the future version. */
    assert_int_equal(store_open(f->dir, &st), -EPROTO);
}

static void migrates_old_schema(void **state)
{
    struct fixture *f = *state;
    struct store *st = NULL;
    struct store_domain a, out;

    /* A database left by a crash before the first migration committed:
     * the version table exists, no version row, no tables. */
    raw_sql(f->db, "PRAGMA journal_mode=WAL;"
                   "CREATE TABLE schema_version (id INTEGER PRIMARY KEY CHECK (id = 1),"
                   " version INTEGER NOT NULL);");
    assert_int_equal(store_open(f->dir, &st), 0);
    assert_int_equal(store_schema_version(st), CURRENT_SCHEMA);
    make_domain(&a, 1, "a");
    assert_int_equal(store_domain_insert(st, &a), 0);
    assert_int_equal(store_domain_get(st, "a", &out), 0);
    store_domain_clear(&out);
    store_close(st);
}

static void corrupt_file(void **state)
{
    struct fixture *f = *state;
    struct store *st = NULL;
    char junk[8192], back[sizeof(junk)];

    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (char)("not a database "[i % 15]);
    int fd = open(f->db, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
    close(fd);

    st = (struct store *)&st;
    assert_int_equal(store_open(f->dir, &st), -EIO);
    assert_null(st);
    /* The file is left as it was, for someone to look at. */
    fd = open(f->db, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, back, sizeof(back)), sizeof(back));
    close(fd);
    assert_memory_equal(junk, back, sizeof(junk));

    /* A state directory that does not exist. */
    char missing[400];
    snprintf(missing, sizeof(missing), "%s/nodir/hostd.db", f->dir);
    assert_int_equal(store_open(missing, &st), -ENOENT);
    assert_null(st);
}

/* Commits survive the process dying without store_close: _exit after
 * writing, and SIGKILL while writing. */
static void durable_across_crash(void **state)
{
    struct fixture *f = *state;
    struct store *st;
    struct store_domain d, out;
    int status;

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (store_open(f->dir, &st) != 0)
            _exit(2);
        make_domain(&d, 1, "survivor");
        _exit(store_domain_insert(st, &d) == 0 ? 0 : 3);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    st = open_ok(f);
    assert_int_equal(store_domain_get(st, "survivor", &out), 0);
    store_domain_clear(&out);
    store_close(st);

    /* The child reports each commit down a pipe; killed mid-stream, every
     * reported commit must be there. */
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        if (store_open(f->dir, &st) != 0)
            _exit(2);
        for (unsigned i = 100;; i++) {
            char name[32];
            snprintf(name, sizeof(name), "d%u", i);
            make_domain(&d, i, name);
            if (store_domain_insert(st, &d) != 0)
                _exit(3);
            if (write(p[1], "x", 1) != 1)
                _exit(4);
        }
    }
    close(p[1]);
    char buf[64];
    size_t acked = 0;
    while (acked < 200) {
        ssize_t r = read(p[0], buf, sizeof(buf));
        assert_true(r > 0);
        acked += (size_t)r;
    }
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    close(p[0]);

    st = open_ok(f);
    struct store_domain *v = NULL;
    size_t n = 0;
    assert_int_equal(store_domain_list(st, &v, &n), 0);
    assert_true(n >= acked + 1);                /* + "survivor" */
    for (size_t i = 0; i < n; i++)
        store_domain_clear(&v[i]);
    free(v);
    for (unsigned i = 100; i < 100 + acked; i++) {
        char name[32];
        snprintf(name, sizeof(name), "d%u", i);
        assert_int_equal(store_domain_get(st, name, &out), 0);
        store_domain_clear(&out);
    }
    store_close(st);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Not a pass/fail test: how many state transitions (one autocommitted
 * domain update each) the store takes per second, as a TAP comment. */
static void update_rate(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    struct store_domain d;
    const int n = 20000;

    for (unsigned i = 0; i < 50; i++) {
        char name[16];
        snprintf(name, sizeof(name), "dom%u", i);
        make_domain(&d, i, name);
        assert_int_equal(store_domain_insert(st, &d), 0);
    }
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof(name), "dom%u", i % 50);
        make_domain(&d, (unsigned)(i % 50), name);
        d.state = i % 6;
        assert_int_equal(store_domain_update(st, &d), 0);
    }
    double t1 = now_s();
    for (int i = 0; i < n; i++) {
        struct store_domain out;
        char name[16];
        snprintf(name, sizeof(name), "dom%u", i % 50);
        assert_int_equal(store_domain_get(st, name, &out), 0);
        store_domain_clear(&out);
    }
    double t2 = now_s();
    for (int i = 0; i < n; i++) {
        make_domain(&d, (unsigned)(i % 50), "x");
        assert_int_equal(append(st, (unsigned)i, NULL), 0);
    }
    double t3 = now_s();
    printf("# store: %.0f domain updates/s (each its own transaction), "
           "%.0f gets/s, %.0f event appends/s\n",
           n / (t1 - t0), n / (t2 - t1), n / (t3 - t2));
    store_close(st);
}

/* CPU pools: order of creation kept across rename; placement rows go
 * with their domain. */
static void pools_and_placement(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    struct store_pool *p;
    size_t n;
    struct store_domain a;
    char *nodes;

    assert_int_equal(store_pool_put(st, "Pool-0", "0-3", "credit"), 0);
    assert_int_equal(store_pool_put(st, "web", "", "credit"), 0);
    assert_int_equal(store_pool_put(st, "db", "4", "credit"), 0);
    assert_int_equal(store_pool_put(st, "web", "5-6", "credit"), 0);   /* update */
    assert_int_equal(store_pool_rename(st, "Pool-0", "Pool-node0"), 0);
    assert_int_equal(store_pool_rename(st, "nosuch", "x"), -ENOENT);
    assert_int_equal(store_pool_delete(st, "db"), 0);
    assert_int_equal(store_pool_delete(st, "db"), -ENOENT);
    store_close(st);
    st = open_ok(f);
    assert_int_equal(store_pool_list(st, &p, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(p[0].name, "Pool-node0");
    assert_string_equal(p[0].cpus, "0-3");
    assert_string_equal(p[1].name, "web");
    assert_string_equal(p[1].cpus, "5-6");
    assert_string_equal(p[1].sched, "credit");
    for (size_t i = 0; i < n; i++)
        store_pool_clear(&p[i]);
    free(p);

    make_domain(&a, 1, "a");
    assert_int_equal(store_domain_insert(st, &a), 0);
    assert_int_equal(store_placement_get(st, a.uuid, &nodes), -ENOENT);
    assert_int_equal(store_placement_set(st, a.uuid, "0,2"), 0);
    assert_int_equal(store_placement_set(st, a.uuid, "1"), 0);
    assert_int_equal(store_placement_get(st, a.uuid, &nodes), 0);
    assert_string_equal(nodes, "1");
    free(nodes);
    assert_int_equal(store_domain_delete(st, a.uuid), 0);
    assert_int_equal(store_placement_get(st, a.uuid, &nodes), -ENOENT);
    assert_int_equal(store_placement_set(st, "bad", "1"), -EINVAL);
    store_close(st);
}

/* Rows in table of the database file, read past store.c. */
static int64_t count_rows(struct fixture *f, const char *table)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

/* Outgoing migrations: the open ones survive a reopen (a hostd that
 * died during them finds them), ended ones do not show, and the history
 * is bounded. */
static void migrations(void **state)
{
    struct fixture *f = *state;
    struct store *st = open_ok(f);
    struct store_migration *m;
    size_t n;
    int64_t a, b, c;
    const char *u1 = "11111111-1111-4111-8111-111111111111";
    const char *u2 = "22222222-2222-4222-8222-222222222222";

    assert_int_equal(store_migration_begin(st, u1, "h1:7443", false, 1, &a), 0);
    assert_int_equal(store_migration_begin(st, u2, "h2:7443", true, 2, &b), 0);
    assert_int_equal(store_migration_begin(st, u1, "h3:7443", false, 3, &c), 0);
    assert_int_equal(store_migration_set(st, b, STORE_MIG_COMMITTING, 4, NULL), 0);
    assert_int_equal(store_migration_set(st, c, STORE_MIG_DONE, 5, "moved"), 0);
    assert_int_equal(store_migration_set(st, c + 100, STORE_MIG_FAILED, 6, NULL), -ENOENT);
    assert_int_equal(store_migration_begin(st, "bad", "h", false, 7, &c), -EINVAL);
    store_close(st);
    st = open_ok(f);
    assert_int_equal(store_migrations_open(st, &m, &n), 0);
    assert_int_equal(n, 2);
    assert_true(m[0].id == a && m[1].id == b);
    assert_string_equal(m[0].uuid, u1);
    assert_string_equal(m[0].peer, "h1:7443");
    assert_int_equal(m[0].state, STORE_MIG_STREAMING);
    assert_false(m[0].was_paused);
    assert_int_equal(m[1].state, STORE_MIG_COMMITTING);
    assert_true(m[1].was_paused);
    for (size_t i = 0; i < n; i++)
        store_migration_clear(&m[i]);
    free(m);
    assert_int_equal(store_migration_set(st, a, STORE_MIG_FAILED, 8, "cut"), 0);
    assert_int_equal(store_migration_set(st, b, STORE_MIG_UNKNOWN, 9, NULL), 0);
    assert_int_equal(store_migrations_open(st, &m, &n), 0);
    assert_int_equal(n, 0);
    free(m);
    /* Bounded: ended rows beyond the last 1000 go. */
    for (int i = 0; i < 1100; i++) {
        assert_int_equal(store_migration_begin(st, u1, "h", false, 10, &c), 0);
        assert_int_equal(store_migration_set(st, c, STORE_MIG_DONE, 11, NULL), 0);
    }
    int64_t rows = count_rows(f, "migrations");
    assert_true(rows <= 1001 && rows >= 1000);
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(open_creates_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(domain_crud, setup, teardown),
        cmocka_unit_test_setup_teardown(domain_duplicates_and_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(domain_list, setup, teardown),
        cmocka_unit_test_setup_teardown(run_id_monotonic, setup, teardown),
        cmocka_unit_test_setup_teardown(events, setup, teardown),
        cmocka_unit_test_setup_teardown(events_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(reopen_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(future_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(migrates_old_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupt_file, setup, teardown),
        cmocka_unit_test_setup_teardown(durable_across_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(update_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(pools_and_placement, setup, teardown),
        cmocka_unit_test_setup_teardown(migrations, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
