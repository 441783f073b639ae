/*
 * The migration stream over a socketpair: pre-copy rounds with a guest
 * that keeps writing (a fake source with its own dirty log), then stop
 * and copy; the receiver's memory must equal the sender's. A fast writer
 * is cut off by the round limit and still arrives whole; a corrupted or
 * cut stream is refused with a message. The same again with the receiver
 * as hostd runs it: guest RAM mapped and pages read straight into it.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "migrate.h"

#define MEM (8U << 20)
#define PAGES (MEM / SNAP_PAGE)

struct guest {
    int memfd;
    uint8_t *mem;
    uint8_t written[PAGES / 8];     /* since the last fetch */
    uint8_t fetched[PAGES / 8];
    unsigned per_round;             /* pages the guest writes between fetches */
    bool stopped;
    uint32_t seed;
    Skiff__Snapshot__V1__MachineState ms;
    Skiff__Snapshot__V1__VcpuState vcpu, *vcpus[1];
    uint8_t regs[144];
};

static uint32_t rnd(struct guest *g)
{
    g->seed = g->seed * 1103515245 + 12345;
    return g->seed >> 8;
}

/* The guest runs a while: it writes pages (some to zero: the receiver
 * must get those too). */
static void run(struct guest *g, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint32_t p = rnd(g) % PAGES;
        uint8_t v = (uint8_t)rnd(g);
        memset(g->mem + (size_t)p * SNAP_PAGE, (i % 7) ? v | 1 : 0, SNAP_PAGE);
        g->written[p / 8] |= (uint8_t)(1 << (p % 8));
    }
}

static int fetch(void *ctx, const uint8_t **map, size_t *len)
{
    struct guest *g = ctx;
    memcpy(g->fetched, g->written, sizeof g->fetched);
    memset(g->written, 0, sizeof g->written);
    if (!g->stopped)
        run(g, g->per_round);
    *map = g->fetched;
    *len = sizeof g->fetched;
    return 0;
}

static int stop(void *ctx, Skiff__Snapshot__V1__MachineState **ms)
{
    struct guest *g = ctx;
    run(g, 10);         /* the last writes before the vCPUs park */
    g->stopped = true;
    *ms = &g->ms;
    return 0;
}

static struct guest *guest_new(unsigned per_round)
{
    struct guest *g = calloc(1, sizeof *g);
    assert_non_null(g);
    g->memfd = memfd_create("guest", 0);
    assert_int_equal(ftruncate(g->memfd, MEM), 0);
    g->mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
    assert_true(g->mem != MAP_FAILED);
    g->seed = 42;
    g->per_round = per_round;
    run(g, 300);            /* what it touched before the migration */
    memset(g->written, 0, sizeof g->written);
    skiff__snapshot__v1__machine_state__init(&g->ms);
    skiff__snapshot__v1__vcpu_state__init(&g->vcpu);
    memset(g->regs, 0x3c, sizeof g->regs);
    g->vcpu.regs.data = g->regs;
    g->vcpu.regs.len = sizeof g->regs;
    g->vcpus[0] = &g->vcpu;
    g->ms.vcpus = g->vcpus;
    g->ms.n_vcpus = 1;
    g->ms.memory_bytes = MEM;
    return g;
}

static void guest_free(struct guest *g)
{
    munmap(g->mem, MEM);
    close(g->memfd);
    free(g);
}

/* The byte stream, with faults on demand. */
struct wire {
    int fd;
    uint64_t sent;
    uint64_t flip_at;       /* flip the byte at this offset (0: none) */
    uint64_t cut_at;        /* close the stream here (0: never) */
};

static int wire_sink(void *ctx, const struct iovec *iov, int n)
{
    struct wire *wi = ctx;
    for (int i = 0; i < n; i++) {
        uint8_t *p = iov[i].iov_base;
        for (size_t done = 0; done < iov[i].iov_len;) {
            size_t len = iov[i].iov_len - done;
            if (wi->cut_at && wi->sent + len > wi->cut_at)
                len = wi->cut_at - wi->sent;
            if (len == 0) {
                shutdown(wi->fd, SHUT_WR);
                return -EPIPE;
            }
            uint8_t tmp[4096];
            if (len > sizeof tmp)
                len = sizeof tmp;
            memcpy(tmp, p + done, len);
            if (wi->flip_at && wi->flip_at >= wi->sent && wi->flip_at < wi->sent + len)
                tmp[wi->flip_at - wi->sent] ^= 0x10;
            struct iovec v = { tmp, len };
            int rc = snap_fd_sink(&wi->fd, &v, 1);
            if (rc < 0)
                return rc;
            wi->sent += len;
            done += len;
        }
    }
    return 0;
}

struct sender {
    struct guest *g;
    struct wire wire;
    struct mig_limits lim;
    struct mig_stats st;
    int rc;
};

static void *send_main(void *arg)
{
    struct sender *s = arg;
    Skiff__V1__DomainConfig cfg = SKIFF__V1__DOMAIN_CONFIG__INIT;
    cfg.memory_mb = MEM >> 20;
    Skiff__Snapshot__V1__Header h = SKIFF__SNAPSHOT__V1__HEADER__INIT;
    h.format_version = SNAP_VERSION;
    h.arch = (char *)"x86_64";
    h.memory_bytes = MEM;
    h.vcpu_count = 1;
    h.config = &cfg;
    h.page_size = SNAP_PAGE;
    Skiff__Snapshot__V1__Devices dev = SKIFF__SNAPSHOT__V1__DEVICES__INIT;
    struct mig_source src = { .mem = s->g->mem, .size = MEM, .memfd = s->g->memfd,
                              .ctx = s->g, .fetch_dirty = fetch, .stop = stop };
    struct snap_writer w = { .sink = wire_sink, .ctx = &s->wire };
    s->rc = mig_send(&w, &h, &dev, &src, &s->lim, &s->st);
    shutdown(s->wire.fd, SHUT_WR);
    return NULL;
}

static int dest_memfd = -1;

static int get_memory(void *ctx, uint64_t size)
{
    (void)ctx;
    dest_memfd = memfd_create("dest", 0);
    if (dest_memfd < 0 || ftruncate(dest_memfd, (off_t)size) < 0)
        return -1;
    return dest_memfd;
}

/* The receiver as hostd's reader runs it (in_place): guest RAM mapped as
 * soon as it is known, pages read straight into it where mig_rx_place
 * says, everything else through a buffer. */
static bool in_place;
static uint8_t *dest_mem;

static int get_mapped_memory(void *ctx, uint64_t size)
{
    struct mig_rx **x = ctx;
    if (get_memory(NULL, size) < 0)
        return -1;
    dest_mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dest_memfd, 0);
    if (dest_mem == MAP_FAILED)
        return -1;
    mig_rx_use_mapping(*x, dest_mem);
    return dest_memfd;
}

static int recv_in_place(int fd, struct snap_image *img, char *err, size_t es)
{
    struct mig_rx *x = NULL;
    x = mig_rx_new(get_mapped_memory, &x);
    assert_non_null(x);
    uint8_t buf[4096];
    int rc = 0;
    while (rc == 0 && !mig_rx_done(x)) {
        uint8_t *to;
        size_t n = mig_rx_place(x, &to);
        if (n == 0) {
            to = buf;
            n = mig_rx_want(x) < sizeof buf ? mig_rx_want(x) : sizeof buf;
        }
        ssize_t k = read(fd, to, n);
        rc = k > 0 ? mig_rx_feed(x, to, (size_t)k) : mig_rx_end(x);
        if (k <= 0 && rc == 0)
            rc = -EPIPE;        /* cannot be whole: the loop ran on */
    }
    if (rc == 0)
        mig_rx_take(x, img);
    else
        snprintf(err, es, "%s", mig_rx_error(x));
    mig_rx_free(x);
    if (dest_mem != NULL && dest_mem != MAP_FAILED)
        munmap(dest_mem, MEM);
    dest_mem = NULL;
    return rc;
}

/* Migrate g; returns the receiver's result with err filled. */
static int migrate(struct sender *s, char *err, size_t es, struct snap_image *img)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    s->wire.fd = sv[0];
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_main, s), 0);
    int rc = in_place ? recv_in_place(sv[1], img, err, es)
                      : mig_recv(snap_fd_source, &sv[1], get_memory, NULL, img, err, es);
    close(sv[1]);           /* a refusing receiver hangs up: the sender sees EPIPE */
    pthread_join(t, NULL);
    close(sv[0]);
    return rc;
}

static void check_same_memory(const struct guest *g)
{
    uint8_t *d = mmap(NULL, MEM, PROT_READ, MAP_SHARED, dest_memfd, 0);
    assert_true(d != MAP_FAILED);
    assert_memory_equal(d, g->mem, MEM);
    munmap(d, MEM);
}

static void converges(void **state)
{
    (void)state;
    struct sender s = { .g = guest_new(40), .lim = { 30, 64, 3 } };
    char err[256] = "";
    struct snap_image img;
    int rc = migrate(&s, err, sizeof err, &img);
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(s.rc, 0);
    check_same_memory(s.g);
    assert_int_equal(img.machine->n_vcpus, 1);
    assert_memory_equal(img.machine->vcpus[0]->regs.data, s.g->regs, sizeof s.g->regs);
    /* 40 dirty pages a round never gets below 64: one more round at most. */
    assert_true(s.st.rounds <= 2);
    assert_true(s.st.last_dirty > 0);
    snap_image_free(&img);
    close(dest_memfd);
    guest_free(s.g);
}

static void fast_writer_hits_the_round_limit(void **state)
{
    (void)state;
    struct sender s = { .g = guest_new(600), .lim = { 4, 16, 3 } };
    char err[256] = "";
    struct snap_image img;
    int rc = migrate(&s, err, sizeof err, &img);
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(s.st.rounds, 5);       /* the first, then the limit */
    check_same_memory(s.g);
    snap_image_free(&img);
    close(dest_memfd);
    guest_free(s.g);
}

static void traffic_limit(void **state)
{
    (void)state;
    /* Each round dirties half of RAM: the 3x budget ends pre-copy early. */
    struct sender s = { .g = guest_new(PAGES / 2), .lim = { 100, 16, 3 } };
    char err[256] = "";
    struct snap_image img;
    int rc = migrate(&s, err, sizeof err, &img);
    if (rc != 0)
        fail_msg("%s", err);
    assert_true(s.st.rounds < 12);
    check_same_memory(s.g);
    snap_image_free(&img);
    close(dest_memfd);
    guest_free(s.g);
}

static void corrupt_and_cut_streams_are_refused(void **state)
{
    (void)state;
    uint64_t flips[] = { 3, 20, 200, 5000, 300000 };
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        struct sender s = { .g = guest_new(40), .lim = { 30, 64, 3 } };
        s.wire.flip_at = flips[i];
        char err[256] = "";
        struct snap_image img;
        assert_true(migrate(&s, err, sizeof err, &img) < 0);
        assert_true(strstr(err, "corrupt") != NULL || strstr(err, "not a Skiff") != NULL ||
                    strstr(err, "unsupported") != NULL);
        if (dest_memfd >= 0)
            close(dest_memfd);
        dest_memfd = -1;
        guest_free(s.g);
    }
    uint64_t cuts[] = { 1, 16, 100, 4096, 200000 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        struct sender s = { .g = guest_new(40), .lim = { 30, 64, 3 } };
        s.wire.cut_at = cuts[i];
        char err[256] = "";
        struct snap_image img;
        assert_true(migrate(&s, err, sizeof err, &img) < 0);
        assert_non_null(strstr(err, "truncated"));
        assert_true(s.rc < 0);
        if (dest_memfd >= 0)
            close(dest_memfd);
        dest_memfd = -1;
        guest_free(s.g);
    }
}

/* The receiver as hostd runs it: the same outcomes. */
static void converges_in_place(void **state)
{
    in_place = true;
    converges(state);
    fast_writer_hits_the_round_limit(state);
    in_place = false;
}

static void corrupt_and_cut_streams_are_refused_in_place(void **state)
{
    in_place = true;
    corrupt_and_cut_streams_are_refused(state);
    in_place = false;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(converges),
        cmocka_unit_test(fast_writer_hits_the_round_limit),
        cmocka_unit_test(traffic_limit),
        cmocka_unit_test(corrupt_and_cut_streams_are_refused),
        cmocka_unit_test(converges_in_place),
        cmocka_unit_test(corrupt_and_cut_streams_are_refused_in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
