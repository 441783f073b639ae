/*
 * fakesource: a source hostd that misbehaves, for migrate.bats. It
 * connects to a real hostd's TLS port with a host certificate, offers a
 * 32 MiB domain named "fake1" running KERNEL (MigrateIn), then sends a
 * migration stream built by the real sender (mig_send over 32 MiB with
 * its first MiB written), spoilt by MODE:
 *   corrupt    one byte of guest memory flipped after its checksum was
 *              taken, then the commit;
 *   truncated  the first half of the stream, then the commit;
 *   hangup     the first half of the stream, then the connection closed;
 *   stall      the first half of the stream, then nothing, the connection
 *              open, until the destination gives up and closes it;
 *   eager      half a MigrateData frame right after MigrateIn, before its
 *              answer (so it lies in the destination's buffer with it).
 * It prints what the destination answered and exits 0 if the destination
 * refused (corrupt, truncated, eager), if it sent everything (hangup) or
 * if the destination closed the stalled connection (stall).
 * Usage: fakesource CERT KEY CA PORT KERNEL MODE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "frame.h"
#include "migrate.h"
#include "skiff.pb-c.h"
#include "snapshot.h"
#include "tls.h"

#define MEM (32U << 20)
#define CHUNK (1U << 20)

struct stream {
    uint8_t *p;
    size_t len, cap;
};

static int collect(void *ctx, const struct iovec *iov, int n)
{
    struct stream *s = ctx;
    for (int i = 0; i < n; i++) {
        if (s->len + iov[i].iov_len > s->cap) {
            size_t cap = (s->cap + iov[i].iov_len) * 2;
            uint8_t *p = realloc(s->p, cap);
            if (p == NULL)
                return -ENOMEM;
            s->p = p;
            s->cap = cap;
        }
        memcpy(s->p + s->len, iov[i].iov_base, iov[i].iov_len);
        s->len += iov[i].iov_len;
    }
    return 0;
}

static int no_dirty(void *ctx, const uint8_t **bitmap, size_t *len)
{
    (void)ctx;
    *bitmap = NULL;
    *len = 0;
    return 0;
}

static Skiff__Snapshot__V1__VcpuState vcpu = SKIFF__SNAPSHOT__V1__VCPU_STATE__INIT;
static Skiff__Snapshot__V1__VcpuState *vcpus[1] = { &vcpu };
static Skiff__Snapshot__V1__MachineState machine = SKIFF__SNAPSHOT__V1__MACHINE_STATE__INIT;

static int stopped(void *ctx, Skiff__Snapshot__V1__MachineState **ms)
{
    (void)ctx;
    machine.n_vcpus = 1;
    machine.vcpus = vcpus;
    *ms = &machine;
    return 0;
}

/* The stream a real source would send for this guest. */
static int build(Skiff__V1__DomainConfig *cfg, struct stream *s)
{
    uint8_t *mem = calloc(1, MEM);
    if (mem == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < CHUNK; i++)
        mem[i] = (uint8_t)(i * 7 + 1);
    Skiff__Snapshot__V1__Header h = SKIFF__SNAPSHOT__V1__HEADER__INIT;
    h.format_version = SNAP_VERSION;
    h.arch = (char *)"x86_64";
    h.memory_bytes = MEM;
    h.vcpu_count = 1;
    h.config = cfg;
    h.page_size = SNAP_PAGE;
    Skiff__Snapshot__V1__Devices dev = SKIFF__SNAPSHOT__V1__DEVICES__INIT;
    struct mig_source src = { .mem = mem, .size = MEM, .memfd = -1, .fetch_dirty = no_dirty,
                              .stop = stopped, .stable = true };
    struct mig_limits lim = { .max_rounds = 0, .small_pages = 64, .max_factor = 3 };
    struct mig_stats st;
    struct snap_writer w = { .sink = collect, .ctx = s };
    int rc = mig_send(&w, &h, &dev, &src, &lim, &st);
    free(mem);
    return rc;
}

static uint64_t next_id;

static int request(SSL *ssl, Skiff__V1__Request *rq)
{
    rq->id = ++next_id;
    Skiff__V1__ClientMessage cm = SKIFF__V1__CLIENT_MESSAGE__INIT;
    cm.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_REQUEST;
    cm.request = rq;
    return skiff_tls_frame_send(ssl, &cm.base);
}

/* The next response: 0 if it is OK, 1 if it is an error (printed), -1 if
 * none came. */
static int answer(SSL *ssl)
{
    uint8_t *body;
    uint32_t len;
    if (skiff_tls_frame_recv(ssl, SKIFF_FRAME_MAX, &body, &len) < 0) {
        fprintf(stderr, "fakesource: no answer (connection closed)\n");
        return -1;
    }
    Skiff__V1__ServerMessage *sm = skiff__v1__server_message__unpack(NULL, len, body);
    free(body);
    if (sm == NULL || sm->msg_case != SKIFF__V1__SERVER_MESSAGE__MSG_RESPONSE) {
        fprintf(stderr, "fakesource: not a response\n");
        return -1;
    }
    Skiff__V1__Error *e = sm->response->error;
    int rc = e != NULL && e->code != SKIFF__V1__ERROR_CODE__OK;
    if (rc)
        printf("refused: %s\n", e->message);
    skiff__v1__server_message__free_unpacked(sm, NULL);
    return rc;
}

static int send_data(SSL *ssl, const uint8_t *p, size_t n)
{
    for (size_t off = 0; off < n; off += CHUNK) {
        Skiff__V1__MigrateData d = SKIFF__V1__MIGRATE_DATA__INIT;
        d.data.data = (uint8_t *)p + off;
        d.data.len = n - off < CHUNK ? n - off : CHUNK;
        Skiff__V1__Request rq = SKIFF__V1__REQUEST__INIT;
        rq.op_case = SKIFF__V1__REQUEST__OP_MIGRATE_DATA;
        rq.migrate_data = &d;
        if (request(ssl, &rq) < 0)
            return -1;
    }
    return 0;
}

/* The first half of a MigrateData frame of the stream's first MiB. */
static int eager_half_frame(SSL *ssl, const uint8_t *p)
{
    Skiff__V1__MigrateData d = SKIFF__V1__MIGRATE_DATA__INIT;
    d.data.data = (uint8_t *)p;
    d.data.len = CHUNK;
    Skiff__V1__Request rq = SKIFF__V1__REQUEST__INIT;
    rq.op_case = SKIFF__V1__REQUEST__OP_MIGRATE_DATA;
    rq.migrate_data = &d;
    rq.id = ++next_id;
    Skiff__V1__ClientMessage cm = SKIFF__V1__CLIENT_MESSAGE__INIT;
    cm.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_REQUEST;
    cm.request = &rq;
    size_t size;
    uint8_t *frame = skiff_frame_pack(&cm.base, &size);
    int rc = frame != NULL ? skiff_tls_write_all(ssl, frame, size / 2) : -1;
    free(frame);
    return rc;
}

static SSL *connect_to(SSL_CTX *ctx, unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("fakesource: connect");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || skiff_tls_handshake(ssl, 30000) < 0) {
        fprintf(stderr, "fakesource: no TLS\n");
        goto fail;
    }
    Skiff__V1__Hello hello = SKIFF__V1__HELLO__INIT;
    hello.version = SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1;
    hello.client = (char *)"fakesource";
    Skiff__V1__ClientMessage cm = SKIFF__V1__CLIENT_MESSAGE__INIT;
    cm.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO;
    cm.hello = &hello;
    uint8_t *body;
    uint32_t len;
    if (skiff_tls_frame_send(ssl, &cm.base) < 0 ||
        skiff_tls_frame_recv(ssl, SKIFF_FRAME_MAX, &body, &len) < 0) {
        fprintf(stderr, "fakesource: no Hello reply\n");
        goto fail;
    }
    free(body);
    return ssl;
fail:
    SSL_free(ssl);
    close(fd);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: fakesource CERT KEY CA PORT KERNEL "
                "corrupt|truncated|hangup|stall|eager\n");
        return 2;
    }
    const char *mode = argv[6];
    bool hangup = strcmp(mode, "hangup") == 0, stall = strcmp(mode, "stall") == 0;
    bool eager = strcmp(mode, "eager") == 0;
    char err[512];
    int rc = 1;
    struct stream s = { 0 };
    SSL *ssl = NULL;
    SSL_CTX *ctx = skiff_tls_ctx_new(SKIFF_TLS_CLIENT, argv[1], argv[2], argv[3], err,
                                     sizeof err);
    if (ctx == NULL) {
        fprintf(stderr, "fakesource: %s\n", err);
        return 1;
    }
    if ((ssl = connect_to(ctx, (unsigned)atoi(argv[4]))) == NULL)
        goto out;
    Skiff__V1__DomainConfig cfg = SKIFF__V1__DOMAIN_CONFIG__INIT;
    cfg.name = (char *)"fake1";
    cfg.uuid = (char *)"5a1e0000-0000-4000-8000-00000000fa1e";
    cfg.kernel = argv[5];
    cfg.memory_mb = MEM >> 20;
    cfg.vcpus = 1;
    if (build(&cfg, &s) < 0) {
        fprintf(stderr, "fakesource: cannot build the stream\n");
        goto out;
    }
    Skiff__V1__MigrateIn in = SKIFF__V1__MIGRATE_IN__INIT;
    in.config = &cfg;
    in.memory_bytes = MEM;
    Skiff__V1__Request rq = SKIFF__V1__REQUEST__INIT;
    rq.op_case = SKIFF__V1__REQUEST__OP_MIGRATE_IN;
    rq.migrate_in = &in;
    if (request(ssl, &rq) < 0) {
        fprintf(stderr, "fakesource: cannot send MigrateIn\n");
        goto out;
    }
    if (eager) {
        rc = eager_half_frame(ssl, s.p) < 0 || answer(ssl) != 1;
        goto out;
    }
    if (answer(ssl) != 0) {
        fprintf(stderr, "fakesource: MigrateIn not accepted\n");
        goto out;
    }
    fprintf(stderr, "fakesource: migration accepted, sending %zu bytes (%s)\n", s.len, mode);
    size_t n = s.len;
    if (strcmp(mode, "corrupt") == 0)
        s.p[s.len / 4] ^= 0x40;     /* inside the first MiB of guest memory */
    else
        n = s.len / 2;
    if (send_data(ssl, s.p, n) < 0) {
        fprintf(stderr, "fakesource: the destination hung up mid-stream\n");
        rc = hangup ? 0 : 1;
        goto out;
    }
    if (hangup) {
        rc = 0;                     /* closing the connection is the test */
        goto out;
    }
    if (stall) {                    /* the destination must end it */
        rc = answer(ssl) < 0 ? 0 : 1;
        goto out;
    }
    Skiff__V1__Empty e = SKIFF__V1__EMPTY__INIT;
    Skiff__V1__Request cr = SKIFF__V1__REQUEST__INIT;
    cr.op_case = SKIFF__V1__REQUEST__OP_MIGRATE_COMMIT;
    cr.migrate_commit = &e;
    request(ssl, &cr);              /* it may have refused and closed already */
    rc = answer(ssl) == 1 ? 0 : 1;
out:
    free(s.p);
    if (ssl != NULL) {
        close(SSL_get_fd(ssl));
        SSL_free(ssl);
    }
    SSL_CTX_free(ctx);
    return rc;
}
