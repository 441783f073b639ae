/*
 * loadgen: bounded load on a hostd, through libskiff.
 *
 *   loadgen load SOCKET KERNEL CLIENTS SECONDS DOMAINS RUNNING HOSTD_PID
 *     Defines DOMAINS domains (load-0 ...) and starts the first RUNNING,
 *     then CLIENTS threads, one connection each, mix reads (list, info,
 *     host-info) and life-cycle calls (pause/unpause, create/destroy,
 *     start/destroy) for SECONDS. Each client changes only its own
 *     domains, so every error is unexpected. Prints ops/s, errors and
 *     hostd's resident memory after set-up, at a quarter of the run and at
 *     the end; removes what it made. Exit 1 on any error.
 *
 *   loadgen slow SOCKET PARTIAL FLOOD SECONDS
 *     PARTIAL connections send Hello and then half a frame; FLOOD ones
 *     send requests without ever reading a reply. Meanwhile one normal
 *     client lists every 50 ms. Prints how many slow connections hostd
 *     closed and the normal client's slowest call; stops early once all
 *     are closed. Exit 1 if any normal call failed.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "procmem.h"
#include "skiff.pb-c.h"
#include "skiff/skiff.h"

static const char *sock_path;
static const char *kernel;
static unsigned nclients, ndomains, nrunning;
static double deadline;
static atomic_ulong ops, errors;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void failed(const char *what, const char *dom, const struct skiff_error *err)
{
    unsigned long n = atomic_fetch_add(&errors, 1);
    if (n < 20)
        fprintf(stderr, "loadgen: %s %s: %s\n", what, dom ? dom : "",
                err->message[0] ? err->message : skiff_strerror(err->code));
}

static int create(struct skiff_conn *c, const char *name, bool define, bool paused)
{
    struct skiff_domain_config cfg = { .name = (char *)name, .kernel = (char *)kernel,
                                       .memory_mb = 4, .vcpus = 1 };
    struct skiff_domain_info info = { 0 };
    struct skiff_error err = { 0 };
    int rc = define ? skiff_define(c, &cfg, &info, &err)
                    : skiff_create(c, &cfg, paused, &info, &err);
    skiff_domain_info_clear(&info);
    if (rc < 0)
        failed(define ? "define" : "create", name, &err);
    return rc;
}

static void call(int rc, const char *what, const char *dom, const struct skiff_error *err)
{
    if (rc < 0)
        failed(what, dom, err);
    else
        atomic_fetch_add(&ops, 1);
}

/* One life-cycle or read call on this client's share of the domains. */
static void one_op(struct skiff_conn *c, unsigned id, unsigned *seed, unsigned *serial)
{
    struct skiff_error err = { 0 };
    char name[64];
    unsigned r = (unsigned)rand_r(seed) % 100;
    if (r < 35) {
        struct skiff_domain_info *list = NULL;
        size_t n = 0;
        call(skiff_list(c, r < 20, &list, &n, &err), "list", NULL, &err);
        skiff_domain_list_free(list, n);
    } else if (r < 65) {
        struct skiff_domain_info info = { 0 };
        snprintf(name, sizeof name, "load-%u", (unsigned)rand_r(seed) % ndomains);
        call(skiff_info(c, name, &info, &err), "info", name, &err);
        skiff_domain_info_clear(&info);
    } else if (r < 75) {
        struct skiff_host_info hi = { 0 };
        call(skiff_host_info(c, &hi, &err), "host-info", NULL, &err);
        skiff_host_info_clear(&hi);
    } else if (r < 85 && id < nrunning) {
        /* Its own running domain: load-ID. */
        snprintf(name, sizeof name, "load-%u", id);
        call(skiff_pause(c, name, &err), "pause", name, &err);
        call(skiff_unpause(c, name, &err), "unpause", name, &err);
    } else if (r < 93) {
        snprintf(name, sizeof name, "load-t%u-%u", id, (*serial)++);
        if (create(c, name, false, true) == 0) {
            atomic_fetch_add(&ops, 1);
            call(skiff_destroy(c, name, &err), "destroy", name, &err);
        }
    } else {
        /* Its own defined domain: load-(RUNNING + ID), when there is one. */
        unsigned i = nrunning + id;
        if (i >= ndomains)
            return;
        snprintf(name, sizeof name, "load-%u", i);
        struct skiff_domain_info info = { 0 };
        call(skiff_start(c, name, &info, &err), "start", name, &err);
        skiff_domain_info_clear(&info);
        call(skiff_destroy(c, name, &err), "destroy", name, &err);
    }
}

static void *client(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg, seed = id * 7919U + 1, serial = 0;
    struct skiff_conn *c;
    struct skiff_error err = { 0 };
    if (skiff_connect(sock_path, &c, &err) < 0) {
        failed("connect", NULL, &err);
        return NULL;
    }
    while (now() < deadline)
        one_op(c, id, &seed, &serial);
    skiff_close(c);
    return NULL;
}

static long rss(pid_t pid)
{
    struct bench_mem m;
    return bench_proc_mem(pid, &m) < 0 ? -1 : m.rss_kib;
}

static int cleanup(struct skiff_conn *c)
{
    struct skiff_error err = { 0 };
    char name[64];
    int bad = 0;
    for (unsigned i = 0; i < ndomains; i++) {
        snprintf(name, sizeof name, "load-%u", i);
        if (i < nrunning && skiff_destroy(c, name, &err) < 0) {
            failed("destroy", name, &err);
            bad = 1;
        }
        if (skiff_undefine(c, name, &err) < 0) {
            failed("undefine", name, &err);
            bad = 1;
        }
    }
    return bad;
}

static int run_load(char **argv)
{
    sock_path = argv[0];
    kernel = argv[1];
    nclients = (unsigned)atoi(argv[2]);
    double seconds = atof(argv[3]);
    ndomains = (unsigned)atoi(argv[4]);
    nrunning = (unsigned)atoi(argv[5]);
    pid_t pid = (pid_t)atoi(argv[6]);
    if (nclients < 1 || seconds <= 0 || ndomains < 1 || nrunning > ndomains) {
        fprintf(stderr, "loadgen: bad numbers\n");
        return 2;
    }
    struct skiff_conn *c;
    struct skiff_error err = { 0 };
    if (skiff_connect(sock_path, &c, &err) < 0) {
        fprintf(stderr, "loadgen: %s\n", err.message);
        return 1;
    }
    char name[64];
    for (unsigned i = 0; i < ndomains; i++) {
        snprintf(name, sizeof name, "load-%u", i);
        if (create(c, name, true, false) < 0)
            return 1;
        if (i < nrunning) {
            struct skiff_domain_info info = { 0 };
            if (skiff_start(c, name, &info, &err) < 0) {
                failed("start", name, &err);
                return 1;
            }
            skiff_domain_info_clear(&info);
        }
    }
    long rss0 = rss(pid);
    double t0 = now();
    deadline = t0 + seconds;
    pthread_t *th = calloc(nclients, sizeof *th);
    if (th == NULL)
        return 1;
    unsigned started = 0;
    for (unsigned i = 0; i < nclients; i++) {
        if (pthread_create(&th[i], NULL, client, (void *)(uintptr_t)i) != 0)
            break;
        started++;
    }
    struct timespec quarter = { .tv_sec = (time_t)(seconds / 4),
                                .tv_nsec = (long)((seconds / 4 - (time_t)(seconds / 4)) * 1e9) };
    nanosleep(&quarter, NULL);
    long rss1 = rss(pid);
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    double elapsed = now() - t0;
    long rss2 = rss(pid);
    free(th);
    /* Nothing lost, nothing left running that should not be. */
    struct skiff_domain_info *list = NULL;
    size_t n = 0, running = 0;
    if (skiff_list(c, true, &list, &n, &err) < 0) {
        failed("list", NULL, &err);
    } else {
        for (size_t i = 0; i < n; i++)
            running += list[i].state == SKIFF_STATE_RUNNING;
        if (n != ndomains || running != nrunning) {
            fprintf(stderr, "loadgen: after the run: %zu domains (%zu running), expected "
                    "%u (%u running)\n", n, running, ndomains, nrunning);
            atomic_fetch_add(&errors, 1);
        }
        skiff_domain_list_free(list, n);
    }
    int bad = cleanup(c);
    skiff_close(c);
    unsigned long o = atomic_load(&ops), e = atomic_load(&errors);
    printf("loadgen: clients=%u seconds=%.1f domains=%u running=%u ops=%lu ops_per_s=%.0f "
           "errors=%lu rss_kib_start=%ld rss_kib_quarter=%ld rss_kib_end=%ld "
           "growth_after_warmup_kib=%ld\n",
           started, elapsed, ndomains, nrunning, o, (double)o / elapsed, e, rss0, rss1, rss2,
           rss2 - rss1);
    return e == 0 && !bad && started == nclients ? 0 : 1;
}

/* ---- slow clients ---- */

static int raw_connect(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_msg(int fd, Skiff__V1__ClientMessage *m, size_t cut)
{
    size_t size;
    uint8_t *buf = skiff_frame_pack(&m->base, &size);
    if (buf == NULL)
        return -1;
    ssize_t n = send(fd, buf, cut && cut < size ? cut : size, MSG_NOSIGNAL | MSG_DONTWAIT);
    free(buf);
    return n < 0 ? -errno : 0;
}

static int send_hello(int fd)
{
    Skiff__V1__Hello h = SKIFF__V1__HELLO__INIT;
    h.version = SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1;
    h.client = (char *)"loadgen-slow";
    Skiff__V1__ClientMessage m = SKIFF__V1__CLIENT_MESSAGE__INIT;
    m.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO;
    m.hello = &h;
    return send_msg(fd, &m, 0);
}

static int send_list(int fd, uint64_t id, size_t cut)
{
    Skiff__V1__ListRequest lr = SKIFF__V1__LIST_REQUEST__INIT;
    lr.all = true;
    Skiff__V1__Request rq = SKIFF__V1__REQUEST__INIT;
    rq.id = id;
    rq.op_case = SKIFF__V1__REQUEST__OP_LIST;
    rq.list = &lr;
    Skiff__V1__ClientMessage m = SKIFF__V1__CLIENT_MESSAGE__INIT;
    m.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_REQUEST;
    m.request = &rq;
    return send_msg(fd, &m, cut);
}

/* Has hostd closed it? Reads (and drops) whatever is there. */
static bool closed_by_peer(int fd)
{
    char buf[4096];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0)
            return true;
        if (n < 0)
            return errno != EAGAIN && errno != EINTR;
    }
}

static int run_slow(char **argv)
{
    sock_path = argv[0];
    int npartial = atoi(argv[1]), nflood = atoi(argv[2]);
    double seconds = atof(argv[3]);
    int total = npartial + nflood;
    int *fds = calloc((size_t)total + 1, sizeof *fds);
    bool *gone = calloc((size_t)total + 1, sizeof *gone);
    if (fds == NULL || gone == NULL)
        return 1;
    for (int i = 0; i < total; i++) {
        fds[i] = raw_connect();
        if (fds[i] < 0 || send_hello(fds[i]) < 0) {
            fprintf(stderr, "loadgen: slow client %d cannot connect\n", i);
            return 1;
        }
        if (i < npartial)
            send_list(fds[i], 1, 7);   /* the header and 3 bytes of the body */
    }
    struct skiff_conn *c;
    struct skiff_error err = { 0 };
    if (skiff_connect(sock_path, &c, &err) < 0) {
        fprintf(stderr, "loadgen: %s\n", err.message);
        return 1;
    }
    double end = now() + seconds, worst = 0;
    unsigned long calls = 0, bad = 0;
    uint64_t id = 1;
    while (now() < end) {
        /* The flooders keep sending and never read. */
        for (int i = npartial; i < total; i++) {
            if (gone[i])
                continue;
            for (int k = 0; k < 4096; k++) {
                int rc = send_list(fds[i], id++, 0);
                if (rc == -EAGAIN)
                    break;
                if (rc < 0) {
                    gone[i] = true;
                    break;
                }
            }
        }
        int left = 0;
        for (int i = 0; i < total; i++) {
            if (i < npartial)
                gone[i] = gone[i] || closed_by_peer(fds[i]);
            left += !gone[i];
        }
        if (left == 0 && calls >= 20)
            break;   /* all cut off, and the normal client went on meanwhile */
        double t = now();
        struct skiff_domain_info *list = NULL;
        size_t n = 0;
        if (skiff_list(c, true, &list, &n, &err) < 0) {
            if (bad++ < 5)
                fprintf(stderr, "loadgen: list: %s\n", err.message);
        }
        skiff_domain_list_free(list, n);
        calls++;
        worst = now() - t > worst ? now() - t : worst;
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
    }
    int closed_partial = 0, closed_flood = 0;
    for (int i = 0; i < total; i++) {
        if (i < npartial)
            closed_partial += gone[i];
        else
            closed_flood += gone[i];
        close(fds[i]);
    }
    skiff_close(c);
    printf("loadgen: slow partial_closed=%d/%d flood_closed=%d/%d normal_calls=%lu "
           "normal_errors=%lu slowest_ms=%.1f\n",
           closed_partial, npartial, closed_flood, nflood, calls, bad, worst * 1000);
    free(fds);
    free(gone);
    return bad == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 9 && strcmp(argv[1], "load") == 0)
        return run_load(argv + 2);
    if (argc == 6 && strcmp(argv[1], "slow") == 0)
        return run_slow(argv + 2);
    fprintf(stderr, "usage: loadgen load SOCKET KERNEL CLIENTS SECONDS DOMAINS RUNNING PID\n"
                    "       loadgen slow SOCKET PARTIAL FLOOD SECONDS\n");
    return 2;
}
