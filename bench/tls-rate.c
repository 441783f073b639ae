/*
 * tls-rate HOSTD SKIFF_HV SKIFF_PKI SECONDS: what mutual TLS costs. Prints
 * rows (bench/row.h):
 *
 *   1. raw loopback throughput, MB/s, of one TCP connection between two
 *      threads writing 1 MiB at a time: plain, and TLS 1.3 with the
 *      certificates skiff-pki makes (hostd-to-hostd migration will move
 *      guest memory over exactly such a stream: this is its ceiling);
 *   2. GetDomainInfo round trips per second from one client, over hostd's
 *      UNIX socket and over its TLS listener (a defined domain: hostd
 *      answers alone), and the time to connect over TLS (TCP, handshake
 *      with both certificates verified, Hello).
 *
 * The certificates are made by SKIFF_PKI (skiff-pki) in a temporary
 * directory; hostd runs on a temporary state directory.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <skiff/skiff.h>

#include "common/tls.h"
#include "hostd-run.h"
#include "row.h"
#include "rpc-rate.h"
#include "stats.h"

#define CHUNK (1U << 20)
#define CONNECT_RUNS 21

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_cmd(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* Keep the table clean: skiff-pki's chatter goes away. */
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench: %s %s failed\n", argv[0], argv[1]);
        return -1;
    }
    return 0;
}

static int make_pki(const char *pki_tool, const char *dir)
{
    char *init[] = { "sh", (char *)pki_tool, "init", (char *)dir, NULL };
    char *host[] = { "sh", (char *)pki_tool, "host", (char *)dir, "localhost", "--ip",
                     "127.0.0.1", NULL };
    char *client[] = { "sh", (char *)pki_tool, "client", (char *)dir, "bench", NULL };
    return run_cmd(init) < 0 || run_cmd(host) < 0 || run_cmd(client) < 0 ? -1 : 0;
}

/* ---- 1. raw throughput ---- */

struct stream {
    const char *dir;            /* the PKI; NULL: plain TCP */
    int listen_fd;
    double seconds;
    unsigned long long bytes;   /* received */
    double elapsed;
    int failed;
};

static SSL *tls_side(const struct stream *s, int fd, enum skiff_tls_role role)
{
    char cert[256], key[256], ca[256], err[512];
    snprintf(cert, sizeof cert, "%s/host-localhost.pem", s->dir);
    snprintf(key, sizeof key, "%s/host-localhost-key.pem", s->dir);
    snprintf(ca, sizeof ca, "%s/ca.pem", s->dir);
    /* Both ends use the host certificate, as two hostds migrating would. */
    SSL_CTX *ctx = skiff_tls_ctx_new(role, cert, key, ca, err, sizeof err);
    if (ctx == NULL) {
        fprintf(stderr, "bench: %s\n", err);
        return NULL;
    }
    SSL *ssl = SSL_new(ctx);
    SSL_CTX_free(ctx);   /* ssl holds its own reference */
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 ||
        (role == SKIFF_TLS_CLIENT && skiff_tls_expect_host(ssl, "127.0.0.1") < 0) ||
        skiff_tls_handshake(ssl, 10000) < 0) {
        char why[256];
        skiff_tls_why(ssl, why, sizeof why);
        fprintf(stderr, "bench: TLS handshake: %s\n", why);
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

static void *receiver(void *arg)
{
    struct stream *s = arg;
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0) {
        s->failed = 1;
        return NULL;
    }
    SSL *ssl = s->dir != NULL ? tls_side(s, fd, SKIFF_TLS_SERVER) : NULL;
    char *buf = malloc(CHUNK);
    if ((s->dir != NULL && ssl == NULL) || buf == NULL) {
        s->failed = 1;
    } else {
        for (;;) {
            ssize_t n;
            if (ssl != NULL) {
                size_t got = 0;
                n = SSL_read_ex(ssl, buf, CHUNK, &got) == 1 ? (ssize_t)got : 0;
            } else {
                n = read(fd, buf, CHUNK);
            }
            if (n <= 0)
                break;
            s->bytes += (unsigned long long)n;
        }
    }
    free(buf);
    SSL_free(ssl);
    close(fd);
    return NULL;
}

static int throughput(const char *dir, double seconds, double *mbps)
{
    struct stream s = { .dir = dir, .seconds = seconds };
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    s.listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s.listen_fd < 0 || bind(s.listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(s.listen_fd, 1) < 0 || getsockname(s.listen_fd, (struct sockaddr *)&sa, &len) < 0) {
        perror("bench: listen");
        if (s.listen_fd >= 0)
            close(s.listen_fd);
        return -1;
    }
    pthread_t tid;
    if (pthread_create(&tid, NULL, receiver, &s) != 0) {
        close(s.listen_fd);
        return -1;
    }
    int rc = -1;
    SSL *ssl = NULL;
    double t0 = now_s();
    char *buf = calloc(1, CHUNK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (buf == NULL || fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("bench: connect");
        goto out;
    }
    if (dir != NULL && (ssl = tls_side(&s, fd, SKIFF_TLS_CLIENT)) == NULL)
        goto out;
    t0 = now_s();
    double end = t0 + seconds;
    unsigned long long sent = 0;
    while (now_s() < end && !bench_interrupted) {
        int w = ssl != NULL ? skiff_tls_write_all(ssl, buf, CHUNK) : 0;
        if (ssl == NULL) {
            for (size_t off = 0; off < CHUNK;) {
                ssize_t n = write(fd, buf + off, CHUNK - off);
                if (n <= 0) {
                    w = -1;
                    break;
                }
                off += (size_t)n;
            }
        }
        if (w < 0) {
            fprintf(stderr, "bench: write failed\n");
            goto out;
        }
        sent += CHUNK;
    }
    shutdown(fd, SHUT_WR);
    rc = 0;
out:
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
    pthread_join(tid, NULL);
    double elapsed = now_s() - t0;
    if (rc == 0 && !s.failed && s.bytes == sent) {
        *mbps = (double)s.bytes / 1e6 / elapsed;
    } else {
        if (rc == 0)
            fprintf(stderr, "bench: received %llu of %llu bytes\n", s.bytes, sent);
        rc = -1;
    }
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    close(s.listen_fd);
    free(buf);
    return rc;
}

/* ---- 2. through hostd ---- */

static int read_tls_port(const struct bench_hostd *h, char *hostport, size_t len)
{
    char path[sizeof h->state + 16];
    snprintf(path, sizeof path, "%s/tls.ports", h->state);
    FILE *f = fopen(path, "r");
    if (f == NULL || fgets(hostport, (int)len, f) == NULL) {
        fprintf(stderr, "bench: cannot read %s\n", path);
        if (f != NULL)
            fclose(f);
        return -1;
    }
    fclose(f);
    hostport[strcspn(hostport, "\n")] = '\0';
    return 0;
}

static int define_domain(const char *uri, const char *kernel)
{
    struct skiff_conn *c;
    struct skiff_error err;
    struct skiff_domain_config cfg = { .name = "tlsbench", .memory_mb = 16, .vcpus = 1,
                                       .kernel = (char *)kernel };
    if (skiff_connect(uri, &c, &err) < 0 || skiff_define(c, &cfg, NULL, &err) < 0) {
        fprintf(stderr, "bench: define: %s\n", err.message);
        return -1;
    }
    skiff_close(c);
    return 0;
}

static int connect_time(const char *uri, double *median_ms)
{
    double t[CONNECT_RUNS];
    for (int i = 0; i < CONNECT_RUNS; i++) {
        struct skiff_conn *c;
        struct skiff_error err;
        double t0 = now_s();
        if (skiff_connect(uri, &c, &err) < 0) {
            fprintf(stderr, "bench: connect: %s\n", err.message);
            return -1;
        }
        t[i] = (now_s() - t0) * 1e3;
        skiff_close(c);
    }
    *median_ms = bench_median(t, CONNECT_RUNS);
    return 0;
}

static int through_hostd(const char *hostd, const char *hv, const char *dir, double seconds,
                         const char *kernel)
{
    char conf[2048];
    snprintf(conf, sizeof conf,
             "listen_tls = \"127.0.0.1:0\"\n"
             "tls_cert = \"%s/host-localhost.pem\"\n"
             "tls_key = \"%s/host-localhost-key.pem\"\n"
             "tls_ca = \"%s/ca.pem\"\n", dir, dir, dir);
    struct bench_hostd h;
    if (bench_hostd_start_conf(hostd, hv, conf, &h) < 0)
        return -1;
    int rc = -1;
    char hostport[128], tls_uri[1024];
    if (read_tls_port(&h, hostport, sizeof hostport) < 0 || define_domain(h.uri, kernel) < 0)
        goto out;
    snprintf(tls_uri, sizeof tls_uri,
             "tls://%s?cert=%s/client-bench.pem&key=%s/client-bench-key.pem&ca=%s/ca.pem",
             hostport, dir, dir, dir);
    struct bench_rpc_result unix_r, tls_r;
    double connect_ms;
    if (bench_rpc_rate(h.uri, BENCH_RPC_INFO, "tlsbench", 1, seconds, &unix_r) < 0 ||
        bench_rpc_rate(tls_uri, BENCH_RPC_INFO, "tlsbench", 1, seconds, &tls_r) < 0 ||
        connect_time(tls_uri, &connect_ms) < 0)
        goto out;
    bench_row("GetDomainInfo, 1 client, UNIX socket", unix_r.rate, 0, "calls/s", "");
    bench_row("GetDomainInfo, 1 client, TLS 1.3", tls_r.rate, 0, "calls/s", "");
    bench_row("TLS connect (handshake + Hello), median", connect_ms, 2, "ms", "");
    rc = 0;
out:
    bench_hostd_stop(&h);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: tls-rate HOSTD SKIFF_HV SKIFF_PKI KERNEL SECONDS\n");
        return 2;
    }
    double seconds = atof(argv[5]);
    if (seconds <= 0 || seconds > 60) {
        fprintf(stderr, "tls-rate: SECONDS must be 0-60\n");
        return 2;
    }
    if (bench_hostd_prepare(1024) < 0)
        return 1;
    char dir[] = "/tmp/skiff-bench-pki.XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("bench: mkdtemp");
        return 1;
    }
    char pki[sizeof dir + 8];
    snprintf(pki, sizeof pki, "%s/pki", dir);
    int rc = 1;
    double plain, tls;
    if (make_pki(argv[3], pki) < 0)
        goto out;
    fprintf(stderr, "bench: loopback throughput, %.0f s each...\n", seconds);
    if (throughput(NULL, seconds, &plain) < 0 || throughput(pki, seconds, &tls) < 0)
        goto out;
    bench_row("loopback TCP throughput, plain", plain, 0, "MB/s", "");
    bench_row("loopback TCP throughput, TLS 1.3", tls, 0, "MB/s", "");
    fprintf(stderr, "bench: GetDomainInfo over UNIX and TLS, %.0f s each...\n", seconds);
    if (through_hostd(argv[1], argv[2], pki, seconds, argv[4]) < 0)
        goto out;
    rc = 0;
out:;
    char *rm[] = { "rm", "-rf", dir, NULL };
    run_cmd(rm);
    return rc;
}
