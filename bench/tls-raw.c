/*
 * Raw loopback throughput of one TCP connection between two threads
 * writing 1 MiB at a time, plain or over mutual TLS 1.3 with the host
 * certificate skiff-pki makes: the ceiling of anything streamed between
 * two hostds (tls-rate, migrate-bench).
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "common/tls.h"
#include "hostd-run.h"
#include "tls-raw.h"

#define CHUNK (1U << 20)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bench_run_cmd(char *const argv[])
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

int bench_make_pki(const char *pki_tool, const char *dir)
{
    char *init[] = { "sh", (char *)pki_tool, "init", (char *)dir, NULL };
    char *host[] = { "sh", (char *)pki_tool, "host", (char *)dir, "localhost", "--ip",
                     "127.0.0.1", NULL };
    char *client[] = { "sh", (char *)pki_tool, "client", (char *)dir, "bench", NULL };
    return bench_run_cmd(init) < 0 || bench_run_cmd(host) < 0 || bench_run_cmd(client) < 0 ? -1 : 0;
}

/* ---- 1. raw throughput ---- */

struct stream {
    const char *dir;            /* the PKI; NULL: plain TCP */
    int listen_fd;
    double seconds;
    bool into_memory;           /* written into fresh memfd memory */
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

#define MEMFD_SIZE (128U << 20)

/* n bytes into fresh memory: *memfd at *off, a new one when it is full. */
static int into_memory(int *memfd, uint64_t *off, const char *buf, size_t n)
{
    if (*memfd < 0 || *off + n > MEMFD_SIZE) {
        if (*memfd >= 0)
            close(*memfd);
        *memfd = memfd_create("bench-tls", MFD_CLOEXEC);
        if (*memfd < 0 || ftruncate(*memfd, MEMFD_SIZE) < 0)
            return -1;
        *off = 0;
    }
    for (size_t done = 0; done < n;) {
        ssize_t k = pwrite(*memfd, buf + done, n - done, (off_t)(*off + done));
        if (k <= 0)
            return -1;
        done += (size_t)k;
    }
    *off += n;
    return 0;
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
    int memfd = -1;
    uint64_t off = 0;
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
            if (s->into_memory && into_memory(&memfd, &off, buf, (size_t)n) < 0) {
                s->failed = 1;
                break;
            }
            s->bytes += (unsigned long long)n;
        }
    }
    if (memfd >= 0)
        close(memfd);
    free(buf);
    SSL_free(ssl);
    close(fd);
    return NULL;
}

static int throughput(const char *dir, bool into_memory, double seconds, double *mbps)
{
    struct stream s = { .dir = dir, .seconds = seconds, .into_memory = into_memory };
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


int bench_tls_throughput(const char *dir, double seconds, double *mbps)
{
    return throughput(dir, false, seconds, mbps);
}

int bench_tls_into_memory(const char *dir, double seconds, double *mbps)
{
    return throughput(dir, true, seconds, mbps);
}
