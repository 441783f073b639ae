#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "frame.h"
#include "tls.h"

static void seterr(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
    if (err == NULL || len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
}

/* The library's reason for the last failure, or fallback. */
static const char *lib_reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
    return r != NULL ? r : fallback;
}

/* Say which file cannot be opened before OpenSSL says it less clearly. */
static int readable(const char *what, const char *path, char *err, size_t errlen)
{
    if (path == NULL || *path == '\0') {
        seterr(err, errlen, "no %s file given", what);
        return -EINVAL;
    }
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        int e = errno;
        seterr(err, errlen, "cannot read %s %s: %s", what, path, strerror(e));
        return -e;
    }
    fclose(f);
    return 0;
}

/* A key with a passphrase would make OpenSSL prompt on the terminal: refuse it. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    return 0;
}

SSL_CTX *skiff_tls_ctx_new(enum skiff_tls_role role, const char *cert, const char *key,
                           const char *ca, char *err, size_t errlen)
{
    if (readable("certificate", cert, err, errlen) < 0 ||
        readable("private key", key, err, errlen) < 0 ||
        readable("CA certificate", ca, err, errlen) < 0)
        return NULL;
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(role == SKIFF_TLS_SERVER ? TLS_server_method()
                                                        : TLS_client_method());
    if (ctx == NULL) {
        seterr(err, errlen, "cannot create a TLS context: %s", lib_reason("out of memory"));
        return NULL;
    }
    SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
        seterr(err, errlen, "this OpenSSL cannot do TLS 1.3");
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        seterr(err, errlen, "certificate %s: %s", cert, lib_reason("not a PEM certificate"));
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            seterr(err, errlen, "private key %s does not match certificate %s", key, cert);
            goto fail;
        }
        seterr(err, errlen, "private key %s: %s (an unencrypted PEM key is needed)", key,
               lib_reason("not a PEM private key"));
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        seterr(err, errlen, "private key %s does not match certificate %s", key, cert);
        goto fail;
    }
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        seterr(err, errlen, "CA certificate %s: %s", ca, lib_reason("not a PEM certificate"));
        goto fail;
    }
    if (role == SKIFF_TLS_SERVER) {
        /* Tell clients which CA we accept, so they pick the right certificate. */
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
        if (names != NULL)
            SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        /* No resumption: every connection proves its certificate afresh,
         * and no ticket arrives after the handshake to wake a client that
         * polls its socket for the next message. */
        SSL_CTX_set_num_tickets(ctx, 0);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    /* A peer that closes without close_notify ends the stream like EOF;
     * the framing notices a message cut short. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
    ERR_clear_error();
    return ctx;
fail:
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return NULL;
}

int skiff_tls_expect_host(SSL *ssl, const char *host)
{
    unsigned char addr[16];
    X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
    if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
        return X509_VERIFY_PARAM_set1_ip_asc(vp, host) == 1 ? 0 : -ENOMEM;
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl, host) != 1 || SSL_set_tlsext_host_name(ssl, host) != 1)
        return -ENOMEM;
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int skiff_tls_handshake(SSL *ssl, int timeout_ms)
{
    int fd = SSL_get_fd(ssl);
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -errno;
    if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -errno;
    if (SSL_is_server(ssl))
        SSL_set_accept_state(ssl);
    else
        SSL_set_connect_state(ssl);
    long long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
    int rc;
    for (;;) {
        ERR_clear_error();
        int r = SSL_do_handshake(ssl);
        if (r == 1) {
            rc = 0;
            break;
        }
        int e = SSL_get_error(ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            rc = e == SSL_ERROR_SYSCALL && errno != 0 ? -errno : -EPROTO;
            if (rc == -EAGAIN)
                rc = -EPROTO;
            break;
        }
        int wait = -1;
        if (deadline >= 0) {
            long long left = deadline - now_ms();
            if (left <= 0) {
                rc = -ETIMEDOUT;
                break;
            }
            wait = (int)left;
        }
        struct pollfd p = { .fd = fd, .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT };
        if (poll(&p, 1, wait) < 0 && errno != EINTR) {
            rc = -errno;
            break;
        }
    }
    if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags) < 0 && rc == 0)
        rc = -errno;
    return rc;
}

char *skiff_tls_subject_of(X509 *cert)
{
    if (cert == NULL)
        return NULL;
    BIO *b = BIO_new(BIO_s_mem());
    if (b == NULL)
        return NULL;
    char *out = NULL;
    if (X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
        char *data;
        long n = BIO_get_mem_data(b, &data);
        out = n >= 0 ? malloc((size_t)n + 1) : NULL;
        if (out != NULL) {
            memcpy(out, data, (size_t)n);
            out[n] = '\0';
        }
    }
    BIO_free(b);
    return out;
}

char *skiff_tls_peer_subject(const SSL *ssl)
{
    X509 *cert = SSL_get1_peer_certificate(ssl);
    char *s = skiff_tls_subject_of(cert);
    X509_free(cert);
    return s;
}

void skiff_tls_why(const SSL *ssl, char *buf, size_t len)
{
    long v = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
    unsigned long e = ERR_peek_last_error();
    if (v != X509_V_OK) {
        seterr(buf, len, "certificate verification failed: %s",
               X509_verify_cert_error_string(v));
    } else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
               ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET) {
        seterr(buf, len, "the peer refused the session (%s)", lib_reason("alert"));
    } else if (e != 0) {
        seterr(buf, len, "%s", lib_reason("TLS failure"));
    } else {
        seterr(buf, len, "the connection closed during the TLS exchange");
    }
    ERR_clear_error();
}

static int write_all(SSL *ssl, const void *buf, size_t n);

/* -EAGAIN: retry; else 0 or the result for SSL_read/SSL_write's r. */
static int io_result(SSL *ssl, int r)
{
    int e = SSL_get_error(ssl, r);
    switch (e) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return -EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return -EPIPE;
    case SSL_ERROR_SYSCALL:
        if (errno == EINTR)
            return -EAGAIN;
        return errno != 0 ? -errno : -EPIPE;
    default:
        return -EPROTO;
    }
}

/* OpenSSL writes with write(2): a vanished peer would raise SIGPIPE in a
 * program that never asked for it. Hold it off for this thread and
 * swallow one the write raised, so the write only fails with EPIPE. */
struct sigpipe_guard {
    sigset_t old;
    bool was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
    sigset_t pipe, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigpending(&pending);
    g->was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe, &g->old);
}

static void sigpipe_restore(struct sigpipe_guard *g, bool raised)
{
    if (raised && !g->was_pending) {
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        struct timespec zero = { 0, 0 };
        while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

int skiff_tls_write_all(SSL *ssl, const void *buf, size_t n)
{
    struct sigpipe_guard g;
    sigpipe_block(&g);
    int rc = write_all(ssl, buf, n);
    sigpipe_restore(&g, rc == -EPIPE);
    return rc;
}

static int write_all(SSL *ssl, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n > 0) {
        ERR_clear_error();
        size_t done = 0;
        int r = SSL_write_ex(ssl, p, n, &done);
        if (r <= 0) {
            int rc = io_result(ssl, r);
            if (rc == -EAGAIN)
                continue;
            return rc;
        }
        p += done;
        n -= done;
    }
    return 0;
}

int skiff_tls_read_all(SSL *ssl, void *buf, size_t n)
{
    uint8_t *p = buf;
    size_t got = 0;
    while (got < n) {
        ERR_clear_error();
        size_t done = 0;
        int r = SSL_read_ex(ssl, p + got, n - got, &done);
        if (r <= 0) {
            int rc = io_result(ssl, r);
            if (rc == -EAGAIN)
                continue;
            if (rc == -EPIPE && got > 0)
                return -EPROTO;
            return rc;
        }
        got += done;
    }
    return 0;
}

int skiff_tls_frame_send(SSL *ssl, const ProtobufCMessage *msg)
{
    size_t size;
    uint8_t *buf = skiff_frame_pack(msg, &size);
    if (buf == NULL)
        return -ENOMEM;
    int rc = skiff_tls_write_all(ssl, buf, size);
    free(buf);
    return rc;
}

int skiff_tls_frame_recv(SSL *ssl, uint32_t max, uint8_t **body, uint32_t *len)
{
    uint8_t hdr[SKIFF_FRAME_HEADER];
    int rc = skiff_tls_read_all(ssl, hdr, sizeof hdr);
    if (rc < 0)
        return rc;
    uint32_t n;
    if (skiff_frame_length(hdr, max, &n) < 0)
        return -EMSGSIZE;
    uint8_t *buf = malloc(n ? n : 1);
    if (buf == NULL)
        return -ENOMEM;
    rc = skiff_tls_read_all(ssl, buf, n);
    if (rc < 0) {
        free(buf);
        return rc == -EPIPE ? -EPROTO : rc;
    }
    *body = buf;
    *len = n;
    return 0;
}
