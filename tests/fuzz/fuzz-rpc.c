/*
 * Fuzz target: hostd's API input path, whole. The input is the byte
 * stream a client sends on its socket: frames (4-byte length + protobuf
 * ClientMessage), Hello, requests, garbage. It goes through conn.c's
 * framing, the decoder and rpc_dispatch of an in-process hostd with a
 * store in a temporary directory, over a socketpair, exactly as a client's
 * bytes would. hostd is linked whole (its main renamed away); monitors
 * never start (the monitor path does not exist), so a create fails the
 * way a broken installation would, after the config checks.
 *
 * Each input starts from an empty domain table and store.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "cgroup.h"
#include "conn.h"
#include "domain.h"
#include "fuzz.h"
#include "host_topology.h"
#include "hostd.h"
#include "log.h"
#include "pool_state.h"
#include "store.h"
#include "xsm.h"

static struct hostd hd = { .lock_fd = -1, .status_running = -1 };
static char state_dir[64];

static void remove_state(void)
{
    static const char *const files[] = { "hostd.db", "hostd.db-wal", "hostd.db-shm" };
    char path[sizeof state_dir + 32];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", state_dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/domains", state_dir);
    rmdir(path);
    rmdir(state_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct hostd *h = &hd;
    signal(SIGPIPE, SIG_IGN);
    log_init();
    log_set_level(getenv("FUZZ_VERBOSE") ? LOG_DEBUG : LOG_CRIT);
    list_init(&h->conns);
    list_init(&h->event_subs);
    list_init(&h->zombies);
    /* Memory-backed when possible: the store syncs every change. */
    snprintf(state_dir, sizeof state_dir, "%s/skiff-fuzz-rpc.XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (mkdtemp(state_dir) == NULL || domtab_init(&h->domains) < 0)
        abort();
    atexit(remove_state);
    h->conf.state_dir = strdup(state_dir);
    h->conf.listen_unix = strdup("/nonexistent/hostd.sock");
    h->conf.monitor = strdup("/nonexistent/skiff-hv");
    h->conf.shutdown_grace_ms = 100;
    h->conf.client_timeout_ms = 30000;
    h->conf.max_connections_per_uid = 128;
    h->base = event_base_new();
    if (h->conf.state_dir == NULL || h->conf.listen_unix == NULL || h->conf.monitor == NULL ||
        h->base == NULL || store_open(state_dir, &h->store) < 0)
        abort();
    /* What hostd sets up before it serves: this machine's topology and
     * pools, the default security module, and no CPU controller (a fuzz
     * run must not create cgroups). */
    if (hosttopo_init(h) < 0 || pools_load(h) < 0 || xsm_init(h) < 0)
        abort();
    cgroup_init(&h->cgroup, "");
    return 0;
}

/* Back to an empty hostd: what one input defined must not steer the next. */
static void reset(struct hostd *h)
{
    conn_close_all(h);
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        if (d->mon != NULL)
            abort();   /* no monitor can have started */
        domain_forget(d);
    }
    /* Deferred closes and timers left behind run now. */
    event_base_loop(h->base, EVLOOP_NONBLOCK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hostd *h = &hd;
    if (h->base == NULL)
        LLVMFuzzerInitialize(NULL, NULL);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
        abort();
    if (conn_new(h, sv[0], 0, 0, 1) < 0)
        abort();
    /* Feed the input as the client would, while draining hostd's replies;
     * the loop turns until hostd has nothing left to do with it. */
    size_t off = 0;
    bool eof = false;
    char sink[65536];
    for (int idle = 0; idle < 4;) {
        bool progress = false;
        if (off < size) {
            ssize_t n = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
            if (n > 0) {
                off += (size_t)n;
                progress = true;
            }
        } else if (!eof) {
            shutdown(sv[1], SHUT_WR);
            eof = progress = true;
        }
        while (recv(sv[1], sink, sizeof sink, 0) > 0)
            progress = true;
        event_base_loop(h->base, EVLOOP_NONBLOCK);
        if (list_empty(&h->conns))
            break;
        idle = progress ? 0 : idle + 1;
    }
    close(sv[1]);
    reset(h);
    return 0;
}
