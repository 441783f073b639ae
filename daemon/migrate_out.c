/*
 * skiff migrate, the source side.
 *
 * Why a worker thread: the stream is long blocking work (TLS writes of
 * all of guest RAM, reads of the destination's answers with a timeout)
 * that must not stall hostd's event loop, yet the monitor is reachable
 * only from the loop. So the thread does the TLS I/O and reads guest RAM
 * straight from the mapped memfd, and asks the loop for what needs the
 * monitor (a dirty-log fetch, the final stop) through a pipe, waiting on
 * a second pipe for the answer. The loop also owns every decision about
 * the domain: it unpauses it on failure and destroys it only once the
 * thread reports the destination's answer to the commit.
 *
 * Order of the exchange with the destination hostd (mutual TLS, our host
 * certificate as the client certificate, the destination's name checked):
 * Hello, MigrateIn (answered), MigrateData* (the stream), migrate_commit
 * (answered once the domain runs there). Any failure before the commit's
 * answer leaves the domain on the source, running again; a connection
 * lost after the commit went out leaves it paused here (it may be running
 * there: never both).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "conn.h"
#include "domain.h"
#include "frame.h"
#include "hostd.h"
#include "log.h"
#include "migrate.h"
#include "migrate_frame.h"
#include "migrate_peer.h"
#include "monitor.h"
#include "rpc.h"
#include "store.h"
#include "tls.h"
#include "util.h"
#include "xsm.h"

#ifndef SKIFF_SYSCONFDIR
#define SKIFF_SYSCONFDIR "/etc/skiff"
#endif

#define MIG_DEFAULT_PORT 7443
#define MIG_CHUNK (1U << 20)
#define PROGRESS_NS 100000000ULL     /* 100 ms */

enum mig_phase { PH_RUNNING, PH_STOPPED, PH_COMMIT_SENT };

struct mig_out {
    struct list link;            /* in outs */
    struct hostd *h;
    struct call *call;
    char uuid[64];
    char name[128];
    char *host;
    unsigned port;
    bool live;
    bool was_paused;
    bool persistent;
    int memfd;
    uint64_t size;
    uint8_t *mem;
    uint8_t *cfg_buf;            /* the DomainConfig, packed in the loop */
    size_t cfg_len;
    uint32_t timeout_ms;
    char *cert, *key, *ca;
    /* thread <-> loop */
    int to_loop[2], to_thread[2];
    struct event *ev;
    pthread_t th;
    bool th_started;
    pthread_mutex_t lock;        /* the fields below */
    enum mig_phase phase;
    uint8_t *bitmap;
    size_t bitmap_len;
    Skiff__Snapshot__V1__MachineState *ms;   /* reply kept alive in ms_rep */
    Skiff__Monitor__V1__MonitorReply *ms_rep;
    int op_rc;
    /* progress, written by the thread */
    unsigned round;
    uint64_t bytes, dirty, t0, stopped_at, resumed_at;
    uint64_t resident;           /* bytes of guest RAM in use: round 1 sends them */
    uint64_t round_t0, round_base, round_bytes;   /* this round: start, bytes then, size */
    uint64_t dirty_rate, expected_ns;             /* of the last round */
    uint64_t progress_at;        /* the last progress message asked for */
    uint64_t stream_ns;          /* the stream's first byte to its last */
    struct mig_stats st;
    int rc;
    char err[512];
    int64_t record;              /* its row in the store (store_migration_*) */
    bool commit_answered;        /* the destination runs it */
    bool refused;                /* the destination answered with an error: not running there */
    /* the thread's connection */
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    /* The MigrateData being filled: its frame prefix goes in front of
     * the data, which is written out from here as it is. */
    uint8_t frame[MIG_FRAME_PREFIX_MAX + MIG_CHUNK];
    size_t chunk_len;
    uint64_t next_id;
};

/* Migrations under way: one at a time per domain. */
static struct list outs = { &outs, &outs };

static void out_free(struct mig_out *m)
{
    list_del(&m->link);
    if (m->ev != NULL)
        event_free(m->ev);
    for (int i = 0; i < 2; i++) {
        if (m->to_loop[i] >= 0)
            close(m->to_loop[i]);
        if (m->to_thread[i] >= 0)
            close(m->to_thread[i]);
    }
    if (m->mem != NULL && m->mem != MAP_FAILED)
        munmap(m->mem, m->size);
    if (m->memfd >= 0)
        close(m->memfd);
    if (m->ms_rep != NULL)
        skiff__monitor__v1__monitor_reply__free_unpacked(m->ms_rep, NULL);
    free(m->bitmap);
    free(m->cfg_buf);
    free(m->host);
    free(m->cert);
    free(m->key);
    free(m->ca);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* ---- the thread ---- */

static int ask_loop(struct mig_out *m, char op)
{
    char c = op;
    if (write(m->to_loop[1], &c, 1) != 1)
        return -EPIPE;
    if (op == 'P')
        return 0;
    ssize_t n;
    do
        n = read(m->to_thread[0], &c, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        return -EPIPE;
    pthread_mutex_lock(&m->lock);
    int rc = m->op_rc;
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/*
 * I/O with the peer. The socket is blocking with SO_RCVTIMEO and
 * SO_SNDTIMEO of migrate_timeout_ms, so a read or write that would wait
 * longer comes back as WANT_READ/WANT_WRITE or EAGAIN: a timeout here
 * (tls.h's helpers would retry it).
 */
static int peer_io(struct mig_out *m, bool write, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ERR_clear_error();
        size_t done = 0;
        int r = write ? SSL_write_ex(m->ssl, p, n, &done) : SSL_read_ex(m->ssl, p, n, &done);
        if (r > 0) {
            p += done;
            n -= done;
            continue;
        }
        int e = SSL_get_error(m->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return -ETIMEDOUT;
        if (e == SSL_ERROR_ZERO_RETURN)
            return -EPIPE;
        if (e == SSL_ERROR_SYSCALL) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return -ETIMEDOUT;
            return errno != 0 ? -errno : -EPIPE;
        }
        return -EPROTO;
    }
    return 0;
}

static int peer_send(struct mig_out *m, const ProtobufCMessage *msg)
{
    size_t size;
    uint8_t *buf = skiff_frame_pack(msg, &size);
    if (buf == NULL)
        return -ENOMEM;
    int rc = peer_io(m, true, buf, size);
    free(buf);
    return rc;
}

static int peer_recv(struct mig_out *m, uint8_t **body, uint32_t *len)
{
    uint8_t hdr[SKIFF_FRAME_HEADER];
    int rc = peer_io(m, false, hdr, sizeof hdr);
    if (rc < 0)
        return rc;
    if (skiff_frame_length(hdr, SKIFF_FRAME_MAX, len) < 0)
        return -EBADMSG;
    *body = malloc(*len ? *len : 1);
    if (*body == NULL)
        return -ENOMEM;
    rc = peer_io(m, false, *body, *len);
    if (rc < 0) {
        free(*body);
        *body = NULL;
    }
    return rc;
}

static const char *io_why(int rc)
{
    return rc == -ETIMEDOUT ? "timed out" : rc == -EBADMSG ? "corrupt message" : strerror(-rc);
}

static int send_request(struct mig_out *m, Skiff__V1__Request *rq)
{
    Skiff__V1__ClientMessage cm = SKIFF__V1__CLIENT_MESSAGE__INIT;
    rq->id = ++m->next_id;
    cm.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_REQUEST;
    cm.request = rq;
    return peer_send(m, &cm.base);
}

/* Read messages until the answer to id; an error answer fails with its text. */
static int wait_answer(struct mig_out *m, uint64_t id, const char *what)
{
    for (;;) {
        uint8_t *body;
        uint32_t len;
        int rc = peer_recv(m, &body, &len);
        if (rc < 0) {
            snprintf(m->err, sizeof m->err, "the destination did not answer %s: %s", what,
                     io_why(rc));
            return rc;
        }
        Skiff__V1__ServerMessage *sm = skiff__v1__server_message__unpack(NULL, len, body);
        free(body);
        if (sm == NULL) {
            snprintf(m->err, sizeof m->err, "the destination sent a corrupt message");
            return -EPROTO;
        }
        if (id == 0) {          /* mid-stream: the destination has nothing to say */
            bool err = sm->msg_case == SKIFF__V1__SERVER_MESSAGE__MSG_RESPONSE &&
                       sm->response->error != NULL &&
                       sm->response->error->code != SKIFF__V1__ERROR_CODE__OK;
            snprintf(m->err, sizeof m->err, "the destination %s%s", err ? "refused: " :
                     "sent an unexpected message", err ? sm->response->error->message : "");
            m->refused = err;
            skiff__v1__server_message__free_unpacked(sm, NULL);
            return -EPROTO;
        }
        if (sm->msg_case != SKIFF__V1__SERVER_MESSAGE__MSG_RESPONSE || sm->response->id != id ||
            sm->response->more) {
            bool bad = sm->msg_case == SKIFF__V1__SERVER_MESSAGE__MSG_RESPONSE &&
                       sm->response->error != NULL &&
                       sm->response->error->code != SKIFF__V1__ERROR_CODE__OK;
            if (bad) {
                snprintf(m->err, sizeof m->err, "the destination refused: %s",
                         sm->response->error->message);
                m->refused = true;
            }
            skiff__v1__server_message__free_unpacked(sm, NULL);
            if (bad)
                return -EPROTO;
            continue;
        }
        Skiff__V1__Error *e = sm->response->error;
        int rc2 = 0;
        if (e != NULL && e->code != SKIFF__V1__ERROR_CODE__OK) {
            snprintf(m->err, sizeof m->err, "the destination refused %s: %s", what, e->message);
            rc2 = e->code == SKIFF__V1__ERROR_CODE__DENIED ? -EACCES : -EPROTO;
            m->refused = true;
        }
        skiff__v1__server_message__free_unpacked(sm, NULL);
        return rc2;
    }
}

/* The destination answers nothing until the commit: anything it sends
 * meanwhile (a refusal, garbage) ends the migration now, while the
 * domain can still simply run on here. */
static int heard_from_peer(struct mig_out *m)
{
    struct pollfd pfd = { m->fd, POLLIN, 0 };
    if (SSL_pending(m->ssl) > 0 || poll(&pfd, 1, 0) > 0)
        return wait_answer(m, 0, "the stream");
    return 0;
}

/* A progress message every PROGRESS_NS while a round runs. */
static void tick(struct mig_out *m)
{
    uint64_t now = now_monotonic_ns();
    if (now - m->progress_at >= PROGRESS_NS) {
        m->progress_at = now;
        ask_loop(m, 'P');
    }
}

/* Sent bytes count towards the progress report. */
static void count_sent(struct mig_out *m, size_t k)
{
    pthread_mutex_lock(&m->lock);
    m->bytes += k;
    pthread_mutex_unlock(&m->lock);
}

/*
 * A frame of what is buffered plus k bytes of p, sent from where they
 * lie: encrypted straight out of guest RAM (or the copy a running guest's
 * pages are checksummed in), never copied into the frame.
 */
static int flush_with(struct mig_out *m, const uint8_t *p, size_t k)
{
    uint8_t pre[MIG_FRAME_PREFIX_MAX];
    size_t n = mig_frame_prefix(pre, ++m->next_id, m->chunk_len + k);
    uint8_t *start = m->frame + MIG_FRAME_PREFIX_MAX - n;
    memcpy(start, pre, n);
    int rc = peer_io(m, true, start, n + m->chunk_len);
    if (rc == 0 && k > 0)
        rc = peer_io(m, true, (void *)p, k);
    m->chunk_len = 0;
    if (rc < 0) {
        snprintf(m->err, sizeof m->err, "sending to the destination failed: %s", io_why(rc));
        return rc;
    }
    count_sent(m, k);
    return heard_from_peer(m);
}

/* What is buffered, as a frame of its own. */
static int flush_chunk(struct mig_out *m)
{
    return m->chunk_len > 0 ? flush_with(m, NULL, 0) : 0;
}

/* Pieces at least this long go out from where they lie (flush_with). */
#define MIG_DIRECT_MIN (64U << 10)

/* The stream goes out in MigrateData chunks of at most MIG_CHUNK: small
 * pieces gathered in the frame, large ones sent from where they lie. */
static int chunk_sink(void *ctx, const struct iovec *iov, int iovcnt)
{
    struct mig_out *m = ctx;
    for (int i = 0; i < iovcnt; i++) {
        const uint8_t *p = iov[i].iov_base;
        size_t n = iov[i].iov_len;
        while (n >= MIG_DIRECT_MIN) {
            size_t k = MIG_CHUNK - m->chunk_len < n ? MIG_CHUNK - m->chunk_len : n;
            int rc = flush_with(m, p, k);
            if (rc < 0)
                return rc;
            tick(m);
            p += k;
            n -= k;
        }
        while (n > 0) {
            size_t k = MIG_CHUNK - m->chunk_len < n ? MIG_CHUNK - m->chunk_len : n;
            memcpy(m->frame + MIG_FRAME_PREFIX_MAX + m->chunk_len, p, k);
            m->chunk_len += k;
            p += k;
            n -= k;
            count_sent(m, k);
            if (m->chunk_len == MIG_CHUNK) {
                int rc = flush_chunk(m);
                if (rc < 0)
                    return rc;
                tick(m);
            }
        }
    }
    return 0;
}

static int fetch_dirty(void *ctx, const uint8_t **bitmap, size_t *len)
{
    struct mig_out *m = ctx;
    if (!m->live) {             /* paused from the start: nothing changes */
        *bitmap = NULL;
        *len = 0;
        return 0;
    }
    int rc = ask_loop(m, 'D');
    if (rc < 0) {
        snprintf(m->err, sizeof m->err, "cannot fetch the dirty log: %s", strerror(-rc));
        return rc;
    }
    uint64_t now = now_monotonic_ns();
    pthread_mutex_lock(&m->lock);
    *bitmap = m->bitmap;
    *len = m->bitmap_len;
    uint64_t n = mig_map_pages(m->bitmap, m->bitmap_len);
    m->dirty = n;
    /* The round that ended: how fast the guest wrote, how fast it went
     * out, and so how long a stop now would take. */
    uint64_t took = now - m->round_t0, sent = m->bytes - m->round_base;
    if (m->round > 0 && took > 0) {
        m->dirty_rate = (uint64_t)((double)n * 1e9 / (double)took);
        m->expected_ns = sent > 0 ? (uint64_t)((double)n * SNAP_PAGE * (double)took /
                                               (double)sent) : 0;
    }
    pthread_mutex_unlock(&m->lock);
    return 0;
}

/* A round begins: what it sends, for the progress bar. */
static void round_begins(void *ctx, unsigned round, uint64_t pages)
{
    struct mig_out *m = ctx;
    uint64_t now = now_monotonic_ns();
    pthread_mutex_lock(&m->lock);
    m->round = round;
    m->round_t0 = now;
    m->round_base = m->bytes;
    m->round_bytes = round == 1 ? m->resident : pages * SNAP_PAGE;
    pthread_mutex_unlock(&m->lock);
    m->progress_at = now;
    ask_loop(m, 'P');
}

static int stop(void *ctx, Skiff__Snapshot__V1__MachineState **ms)
{
    struct mig_out *m = ctx;
    if (m->live) {
        int rc = ask_loop(m, 'S');
        if (rc < 0) {
            snprintf(m->err, sizeof m->err, "cannot stop the domain: %s", strerror(-rc));
            return rc;
        }
    }
    pthread_mutex_lock(&m->lock);
    *ms = m->ms;
    pthread_mutex_unlock(&m->lock);
    return *ms != NULL ? 0 : -EPROTO;
}

static int peer_connect(struct mig_out *m)
{
    char err[512];
    m->ctx = skiff_tls_ctx_new(SKIFF_TLS_CLIENT, m->cert, m->key, m->ca, err, sizeof err);
    if (m->ctx == NULL) {
        snprintf(m->err, sizeof m->err, "%s", err);
        return -EINVAL;
    }
    char port[16];
    snprintf(port, sizeof port, "%u", m->port);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
    int rc = getaddrinfo(m->host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(m->err, sizeof m->err, "cannot resolve %s: %s", m->host, gai_strerror(rc));
        return -ENOENT;
    }
    rc = -ECONNREFUSED;
    for (struct addrinfo *a = ai; a != NULL && m->fd < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        struct timeval tv = { m->timeout_ms / 1000, (m->timeout_ms % 1000) * 1000 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        /* The commit is a small write after the stream's last chunk:
         * Nagle would hold it for the peer's delayed ACK, all downtime. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            m->fd = fd;
        else {
            rc = -errno;
            close(fd);
        }
    }
    freeaddrinfo(ai);
    if (m->fd < 0) {
        snprintf(m->err, sizeof m->err, "cannot connect to %s:%u: %s", m->host, m->port,
                 strerror(-rc));
        return rc;
    }
    m->ssl = SSL_new(m->ctx);
    if (m->ssl == NULL || SSL_set_fd(m->ssl, m->fd) != 1 ||
        skiff_tls_expect_host(m->ssl, m->host) < 0) {
        snprintf(m->err, sizeof m->err, "out of memory");
        return -ENOMEM;
    }
    rc = skiff_tls_handshake(m->ssl, (int)m->timeout_ms);
    if (rc < 0) {
        char why[200];
        skiff_tls_why(m->ssl, why, sizeof why);
        snprintf(m->err, sizeof m->err, "TLS with %s:%u failed: %s", m->host, m->port,
                 rc == -ETIMEDOUT ? "timed out" : why);
        return rc;
    }
    Skiff__V1__Hello hello = SKIFF__V1__HELLO__INIT;
    hello.version = SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1;
    hello.client = (char *)"hostd " PACKAGE_VERSION " (migration)";
    Skiff__V1__ClientMessage cm = SKIFF__V1__CLIENT_MESSAGE__INIT;
    cm.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO;
    cm.hello = &hello;
    rc = peer_send(m, &cm.base);
    uint8_t *body = NULL;
    uint32_t len;
    if (rc == 0)
        rc = peer_recv(m, &body, &len);
    Skiff__V1__ServerMessage *sm = rc == 0 ? skiff__v1__server_message__unpack(NULL, len, body)
                                           : NULL;
    free(body);
    if (sm == NULL || sm->msg_case != SKIFF__V1__SERVER_MESSAGE__MSG_HELLO ||
        (sm->hello->error != NULL && sm->hello->error->code != SKIFF__V1__ERROR_CODE__OK)) {
        snprintf(m->err, sizeof m->err, "the destination %s:%u refused this host%s%s", m->host,
                 m->port, sm && sm->hello && sm->hello->error ? ": " : "",
                 sm && sm->hello && sm->hello->error ? sm->hello->error->message : "");
        if (sm != NULL)
            skiff__v1__server_message__free_unpacked(sm, NULL);
        return -EACCES;
    }
    skiff__v1__server_message__free_unpacked(sm, NULL);
    return 0;
}

static int run(struct mig_out *m)
{
    int rc = peer_connect(m);
    if (rc < 0)
        return rc;
    Skiff__V1__MigrateIn in = SKIFF__V1__MIGRATE_IN__INIT;
    in.config = skiff__v1__domain_config__unpack(NULL, m->cfg_len, m->cfg_buf);
    if (in.config == NULL)
        return -ENOMEM;
    in.memory_bytes = m->size;
    in.persistent = m->persistent;
    in.paused = m->was_paused;
    /* What the destination reserves before the stream (without: it
     * allocates as pages come), and what round 1 will send. */
    uint8_t *resident = NULL;
    size_t resident_len = 0;
    if (mig_resident_map(m->memfd, m->size, &resident, &resident_len) == 0) {
        in.resident.data = resident;
        in.resident.len = resident_len;
        m->resident = mig_map_pages(resident, resident_len) * SNAP_PAGE;
    }
    Skiff__V1__Request rq = SKIFF__V1__REQUEST__INIT;
    rq.op_case = SKIFF__V1__REQUEST__OP_MIGRATE_IN;
    rq.migrate_in = &in;
    rc = send_request(m, &rq);
    free(resident);
    if (rc == 0)
        rc = wait_answer(m, m->next_id, "the domain");
    else
        snprintf(m->err, sizeof m->err, "sending to the destination failed: %s", io_why(rc));
    if (rc < 0) {
        skiff__v1__domain_config__free_unpacked(in.config, NULL);
        return rc;
    }
    Skiff__Snapshot__V1__Header hd = SKIFF__SNAPSHOT__V1__HEADER__INIT;
    hd.format_version = SNAP_VERSION;
    hd.skiff_version = (char *)PACKAGE_VERSION;
    hd.arch = (char *)"x86_64";
    hd.memory_bytes = m->size;
    hd.vcpu_count = in.config->vcpus ? in.config->vcpus : 1;
    hd.config = in.config;
    hd.page_size = SNAP_PAGE;
    Skiff__Snapshot__V1__Devices dev = SKIFF__SNAPSHOT__V1__DEVICES__INIT;
    struct mig_source src = { .mem = m->mem, .size = m->size, .memfd = m->memfd,
                              .stable = !m->live || m->was_paused, .ctx = m,
                              .fetch_dirty = fetch_dirty, .stop = stop, .round = round_begins };
    /* Rounds are bounded: a guest dirtying faster than the link stops
     * after max_rounds or once three times its RAM went out. */
    struct mig_limits lim = { .max_rounds = m->live ? 8 : 0, .small_pages = 64,
                              .max_factor = 3 };
    struct snap_writer w = { .sink = chunk_sink, .ctx = m };
    uint64_t t0 = now_monotonic_ns();
    rc = mig_send(&w, &hd, &dev, &src, &lim, &m->st);
    skiff__v1__domain_config__free_unpacked(in.config, NULL);
    if (rc == 0)
        rc = flush_chunk(m);
    else if (m->err[0] == '\0')
        snprintf(m->err, sizeof m->err, "the stream failed: %s", strerror(-rc));
    m->stream_ns = now_monotonic_ns() - t0;
    if (rc < 0)
        return rc;
    /* A destination that already said something (or hung up) gets no
     * commit: the domain can still run on here. */
    struct pollfd pfd = { m->fd, POLLIN, 0 };
    if (SSL_pending(m->ssl) > 0 || poll(&pfd, 1, 0) > 0) {
        rc = wait_answer(m, 0, "the stream");
        return rc < 0 ? rc : -EPROTO;
    }
    Skiff__V1__Empty e = SKIFF__V1__EMPTY__INIT;
    Skiff__V1__Request cr = SKIFF__V1__REQUEST__INIT;
    cr.op_case = SKIFF__V1__REQUEST__OP_MIGRATE_COMMIT;
    cr.migrate_commit = &e;
    /* On record before it goes: a hostd that dies from here on must not
     * take the domain for one that only ever ran here. */
    rc = ask_loop(m, 'C');
    if (rc < 0) {
        snprintf(m->err, sizeof m->err, "cannot record the commit: %s", strerror(-rc));
        return rc;
    }
    pthread_mutex_lock(&m->lock);
    m->phase = PH_COMMIT_SENT;
    pthread_mutex_unlock(&m->lock);
    rc = send_request(m, &cr);
    if (rc == 0)
        rc = wait_answer(m, m->next_id, "the commit");
    else
        snprintf(m->err, sizeof m->err, "sending the commit failed: %s", io_why(rc));
    if (rc == 0)
        m->commit_answered = true;
    return rc;
}

static void *thread_main(void *arg)
{
    struct mig_out *m = arg;
    m->rc = run(m);
    if (m->ssl != NULL) {
        SSL_shutdown(m->ssl);
        SSL_free(m->ssl);
    }
    if (m->ctx != NULL)
        SSL_CTX_free(m->ctx);
    if (m->fd >= 0)
        close(m->fd);
    char c = 'E';
    if (write(m->to_loop[1], &c, 1) != 1)
        log_err("migration of %s: cannot tell the loop it ended", m->name);
    return NULL;
}

/* ---- the loop's side ---- */

static void answer_thread(struct mig_out *m, int rc)
{
    pthread_mutex_lock(&m->lock);
    m->op_rc = rc;
    pthread_mutex_unlock(&m->lock);
    char c = 'A';
    if (write(m->to_thread[1], &c, 1) != 1)
        log_err("migration of %s: cannot answer the thread", m->name);
}

static struct domain *mig_domain(struct mig_out *m)
{
    struct domain *d = domain_find_uuid(m->h, m->uuid);
    return d != NULL && d->mon != NULL ? d : NULL;
}

static void dirty_cb(struct monitor *mon, void *arg, int err,
                     const Skiff__Monitor__V1__MonitorReply *rep)
{
    (void)mon;
    struct mig_out *m = arg;
    int rc = err < 0 ? err : rep->error ? -(int)rep->error : 0;
    if (rc == 0 && (rep->stats == NULL))
        rc = -EPROTO;
    if (rc == 0) {
        uint8_t *b = malloc(rep->stats->dirty_bitmap.len ? rep->stats->dirty_bitmap.len : 1);
        if (b == NULL) {
            rc = -ENOMEM;
        } else {
            memcpy(b, rep->stats->dirty_bitmap.data, rep->stats->dirty_bitmap.len);
            pthread_mutex_lock(&m->lock);
            free(m->bitmap);
            m->bitmap = b;
            m->bitmap_len = rep->stats->dirty_bitmap.len;
            pthread_mutex_unlock(&m->lock);
        }
    }
    answer_thread(m, rc);
}

static int dirty_log(struct mig_out *m, struct domain *d, bool enable, bool disable,
                     monitor_cb cb)
{
    Skiff__Monitor__V1__DirtyLog dl = SKIFF__MONITOR__V1__DIRTY_LOG__INIT;
    dl.enable = enable;
    dl.disable = disable;
    dl.fetch = !enable && !disable;
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_DIRTY_LOG;
    req.dirty_log = &dl;
    return monitor_request(d->mon, &req, cb, m);
}

/* The reply is kept: ms points into it until the thread is done. */
static void state_cb(struct monitor *mon, void *arg, int err,
                     const Skiff__Monitor__V1__MonitorReply *rep);

static int get_state(struct mig_out *m, struct domain *d)
{
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__Empty e = SKIFF__MONITOR__V1__EMPTY__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_GET_STATE;
    req.get_state = &e;
    return monitor_request(d->mon, &req, state_cb, m);
}

static void progress(struct mig_out *m, bool done)
{
    Skiff__V1__MigrateProgress p = SKIFF__V1__MIGRATE_PROGRESS__INIT;
    pthread_mutex_lock(&m->lock);
    p.round = m->round;
    p.bytes_sent = m->bytes;
    p.dirty_pages = m->dirty;
    p.round_bytes = m->round_bytes;
    p.round_sent = m->bytes - m->round_base;
    p.dirty_rate = m->dirty_rate;
    p.expected_downtime_ns = m->expected_ns;
    pthread_mutex_unlock(&m->lock);
    uint64_t now = now_monotonic_ns();
    p.total_ns = now - m->t0;
    if (m->stopped_at)
        p.downtime_ns = (m->resumed_at ? m->resumed_at : now) - m->stopped_at;
    p.done = done;
    if (done) {
        p.round = m->st.rounds;
        p.stream_ns = m->stream_ns;
    }
    char dest[300];
    snprintf(dest, sizeof dest, "%s:%u", m->host, m->port);
    p.destination = dest;
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_MIGRATE_PROGRESS;
    r.migrate_progress = &p;
    call_send_more(m->call, &r);
}

static void start_thread(struct mig_out *m);

/* How it ended, on record. */
static void record_end(struct mig_out *m, int state, const char *detail)
{
    int rc = store_migration_set(m->h->store, m->record, state, now_realtime_ns(), detail);
    if (rc < 0)
        log_err("migration of %s: cannot record its end: %s", m->name, strerror(-rc));
}

static void finish(struct mig_out *m)
{
    struct domain *d = mig_domain(m);
    if (m->rc == 0 && m->commit_answered) {
        m->resumed_at = now_monotonic_ns();
        char what[200];
        snprintf(what, sizeof what, "%llu bytes, %u rounds, %llu us down",
                 (unsigned long long)m->st.bytes, m->st.rounds,
                 (unsigned long long)((m->resumed_at - m->stopped_at) / 1000));
        progress(m, true);
        log_info("domain %s: migrated to %s:%u (%llu bytes, %u rounds)", m->name, m->host,
                 m->port, (unsigned long long)m->st.bytes, m->st.rounds);
        /* It runs on the destination now: gone from here at once, its row
         * and the migration's end in one transaction and its monitor
         * killed, so that no restart of this hostd can bring it back. */
        bool tx = store_begin(m->h->store) == 0;
        record_end(m, STORE_MIG_DONE, what);
        if (d != NULL) {
            char why[400];
            snprintf(why, sizeof why, "to %s:%u", m->host, m->port);
            domain_event(d, "migrated-out", why);
            struct hostd *h = d->h;
            if (domain_forget(d) < 0)
                domain_destroy(d, "migrated out");
            hostd_status_changed(h);
        }
        if (tx && store_commit(m->h->store) < 0)
            log_err("domain %s: cannot record that it left", m->name);
        call_reply_ok(m->call);
    } else {
        /* After the commit went out, only a clear refusal says the
         * domain does not run there. */
        bool committed = m->phase == PH_COMMIT_SENT && !m->refused;
        if (d != NULL && m->phase != PH_RUNNING && !committed && !m->was_paused)
            monitor_simple(d->mon, SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_UNPAUSE, NULL, NULL);
        if (d != NULL && m->live)
            dirty_log(m, d, false, true, NULL);
        if (d != NULL && committed && d->row.state == SKIFF__V1__DOMAIN_STATE__RUNNING) {
            /* Its vCPUs are parked: say so, so an operator sees it and
             * can unpause it once sure the destination does not run it. */
            d->row.state = SKIFF__V1__DOMAIN_STATE__PAUSED;
            if (domain_commit(d) < 0)
                log_err("domain %s: cannot record it as paused", m->name);
            domain_event(d, "paused", "migration outcome unknown");
            hostd_status_changed(d->h);
        }
        log_warn("domain %s: migration to %s:%u failed: %s", m->name, m->host, m->port,
                 m->err);
        record_end(m, committed ? STORE_MIG_UNKNOWN : STORE_MIG_FAILED,
                   m->err[0] ? m->err : strerror(-m->rc));
        call_error(m->call, m->rc == -EACCES ? E(DENIED) : E(INTERNAL),
                   "migration of %s to %s:%u failed: %s; the domain %s", m->name, m->host,
                   m->port, m->err[0] ? m->err : strerror(-m->rc),
                   committed ? "is left paused here: it may run on the destination"
                             : m->was_paused ? "stays here, paused" : "keeps running here");
    }
    out_free(m);
}

static void loop_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct mig_out *m = arg;
    char c;
    if (read(fd, &c, 1) != 1)
        return;
    struct domain *d = mig_domain(m);
    int rc;
    switch (c) {
    case 'P':
        progress(m, false);
        break;
    case 'D':
        rc = d == NULL ? -ESRCH : dirty_log(m, d, false, false, dirty_cb);
        if (rc < 0)
            answer_thread(m, rc);
        break;
    case 'S':
        rc = d == NULL ? -ESRCH : get_state(m, d);
        if (rc < 0)
            answer_thread(m, rc);
        break;
    case 'C':
        answer_thread(m, store_migration_set(m->h->store, m->record, STORE_MIG_COMMITTING,
                                             now_realtime_ns(), NULL));
        break;
    case 'E':
        pthread_join(m->th, NULL);
        finish(m);
        break;
    default:
        break;
    }
}

static void state_cb(struct monitor *mon, void *arg, int err,
                     const Skiff__Monitor__V1__MonitorReply *rep)
{
    (void)mon;
    struct mig_out *m = arg;
    int rc = err < 0 ? err : rep->error ? -(int)rep->error : 0;
    if (rc == 0 && (rep->stats == NULL || rep->stats->machine == NULL))
        rc = -EPROTO;
    Skiff__Monitor__V1__MonitorReply *copy = NULL;
    if (rc == 0) {
        /* Our own copy: the reply is freed when the callback returns. */
        size_t n = skiff__monitor__v1__monitor_reply__get_packed_size(rep);
        uint8_t *buf = malloc(n ? n : 1);
        if (buf != NULL) {
            skiff__monitor__v1__monitor_reply__pack(rep, buf);
            copy = skiff__monitor__v1__monitor_reply__unpack(NULL, n, buf);
            free(buf);
        }
        if (copy == NULL)
            rc = -ENOMEM;
    }
    m->stopped_at = now_monotonic_ns();
    pthread_mutex_lock(&m->lock);
    if (rc == 0) {
        m->ms_rep = copy;
        m->ms = copy->stats->machine;
    }
    m->phase = PH_STOPPED;
    pthread_mutex_unlock(&m->lock);
    if (!m->th_started) {
        /* Not live: stopped first, now the thread starts. */
        if (rc < 0) {
            m->rc = rc;
            snprintf(m->err, sizeof m->err, "cannot stop the domain: %s", strerror(-rc));
            finish(m);
        } else {
            start_thread(m);
        }
        return;
    }
    answer_thread(m, rc);
}

static void start_thread(struct mig_out *m)
{
    m->th_started = true;
    if (pthread_create(&m->th, NULL, thread_main, m) != 0) {
        m->th_started = false;
        m->rc = -EAGAIN;
        snprintf(m->err, sizeof m->err, "cannot start the migration thread");
        finish(m);
    }
}

static void enable_cb(struct monitor *mon, void *arg, int err,
                      const Skiff__Monitor__V1__MonitorReply *rep)
{
    (void)mon;
    struct mig_out *m = arg;
    int rc = err < 0 ? err : rep->error ? -(int)rep->error : 0;
    if (rc < 0) {
        m->rc = rc;
        snprintf(m->err, sizeof m->err, "cannot enable the dirty log: %s", strerror(-rc));
        finish(m);
        return;
    }
    start_thread(m);
}

static void memory_cb(struct monitor *mon, void *arg, int err,
                      const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct mig_out *m = arg;
    int fd = err == 0 ? monitor_take_fd(mon) : -1;
    struct domain *d = mig_domain(m);
    if (d == NULL || err < 0 || rep->error != 0 || fd < 0 || rep->stats == NULL ||
        rep->stats->memory_bytes == 0) {
        if (fd >= 0)
            close(fd);
        m->rc = -EIO;
        snprintf(m->err, sizeof m->err, "the monitor did not hand over its memory");
        finish(m);
        return;
    }
    m->memfd = fd;
    m->size = rep->stats->memory_bytes;
    m->mem = mmap(NULL, m->size, PROT_READ, MAP_SHARED, fd, 0);
    if (m->mem == MAP_FAILED) {
        m->mem = NULL;
        m->rc = -errno;
        snprintf(m->err, sizeof m->err, "cannot map guest memory: %s", strerror(errno));
        finish(m);
        return;
    }
    int rc = m->live ? dirty_log(m, d, true, false, enable_cb) : get_state(m, d);
    if (rc < 0) {
        m->rc = rc;
        snprintf(m->err, sizeof m->err, "cannot reach the monitor: %s", strerror(-rc));
        finish(m);
    }
}

bool migrate_out_active(const struct domain *d)
{
    struct list *p;
    for (p = outs.next; p != &outs; p = p->next) {
        if (strcmp(list_entry(p, struct mig_out, link)->uuid, d->row.uuid) == 0)
            return true;
    }
    return false;
}

static char *dup_or(const char *s, const char *def)
{
    return strdup(s != NULL && *s ? s : def);
}

void rpc_migrate(struct call *call, const Skiff__V1__MigrateRequest *rq)
{
    struct hostd *h = call->conn->h;
    struct domain *d = rpc_lookup(call, rq->domain);
    if (d == NULL || !xsm_domain(call, d, XSM_DOMAIN__MIGRATE_OUT) ||
        !rpc_need_running(call, d))
        return;
    if (d->intent != STOP_NONE) {
        call_error(call, E(BUSY), "domain %s is stopping", d->row.name);
        return;
    }
    if (rq->host[0] == '\0') {
        call_error(call, E(INVALID), "no destination host given");
        return;
    }
    struct mig_out *m = calloc(1, sizeof *m);
    if (m == NULL) {
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    pthread_mutex_init(&m->lock, NULL);
    list_add_tail(&outs, &m->link);
    m->to_loop[0] = m->to_loop[1] = m->to_thread[0] = m->to_thread[1] = -1;
    m->memfd = -1;
    m->fd = -1;
    m->h = h;
    m->call = call;
    m->live = rq->live;
    m->port = rq->port ? rq->port : MIG_DEFAULT_PORT;
    m->was_paused = d->row.state == SKIFF__V1__DOMAIN_STATE__PAUSED;
    m->persistent = d->row.persistent;
    m->timeout_ms = h->conf.migrate_timeout_ms;
    m->t0 = now_monotonic_ns();
    snprintf(m->uuid, sizeof m->uuid, "%s", d->row.uuid);
    snprintf(m->name, sizeof m->name, "%s", d->row.name);
    m->host = strdup(rq->host);
    m->cert = dup_or(h->conf.tls_cert, SKIFF_SYSCONFDIR "/pki/host.pem");
    m->key = dup_or(h->conf.tls_key, SKIFF_SYSCONFDIR "/pki/host-key.pem");
    m->ca = dup_or(h->conf.tls_ca, SKIFF_SYSCONFDIR "/pki/ca.pem");
    m->cfg_len = skiff__v1__domain_config__get_packed_size(d->cfg);
    m->cfg_buf = malloc(m->cfg_len ? m->cfg_len : 1);
    bool ok = m->host && m->cert && m->key && m->ca && m->cfg_buf &&
              pipe2(m->to_loop, O_CLOEXEC) == 0 && pipe2(m->to_thread, O_CLOEXEC) == 0;
    if (ok) {
        skiff__v1__domain_config__pack(d->cfg, m->cfg_buf);
        m->ev = event_new(h->base, m->to_loop[0], EV_READ | EV_PERSIST, loop_cb, m);
        ok = m->ev != NULL && event_add(m->ev, NULL) == 0;
    }
    if (!ok) {
        m->call = NULL;
        out_free(m);
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    char peer[300];
    snprintf(peer, sizeof peer, "%s:%u", m->host, m->port);
    int rc = store_migration_begin(h->store, d->row.uuid, peer, m->was_paused,
                                   now_realtime_ns(), &m->record);
    if (rc < 0) {
        m->call = NULL;
        out_free(m);
        call_error(call, E(INTERNAL), "cannot record the migration of %s: %s", d->row.name,
                   strerror(-rc));
        return;
    }
    Skiff__Monitor__V1__MonitorRequest req = SKIFF__MONITOR__V1__MONITOR_REQUEST__INIT;
    Skiff__Monitor__V1__Empty e = SKIFF__MONITOR__V1__EMPTY__INIT;
    req.op_case = SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_GET_MEMORY;
    req.get_memory = &e;
    rc = monitor_request(d->mon, &req, memory_cb, m);
    if (rc < 0) {
        record_end(m, STORE_MIG_FAILED, "the monitor could not be reached");
        m->call = NULL;
        out_free(m);
        call_error(call, E(INTERNAL), "cannot reach the monitor of %s: %s", d->row.name,
                   strerror(-rc));
    }
}
