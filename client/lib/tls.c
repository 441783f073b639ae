/*
 * tls:// connections: find the client certificate, connect, verify the
 * server's certificate against the CA and the host name or address the
 * URI names, and turn every TLS failure into a message that says which
 * side refused what.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "frame.h"
#include "internal.h"
#include "tls.h"
#include "uri.h"

#ifndef SKIFF_PKI_ROOT_DIR
#define SKIFF_PKI_ROOT_DIR "/etc/skiff/pki"
#endif

/* A hostd that accepts the connection but never completes the handshake. */
#define SK_TLS_HANDSHAKE_MS 30000

static int tcp_connect(const struct sk_uri *u, int *out, struct skiff_error *err)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res;
    int rc = getaddrinfo(u->host, u->port, &hints, &res);
    if (rc != 0)
        return sk_seterr(err, SKIFF_ERR_CONNECT, rc == EAI_SYSTEM ? errno : ENOENT,
                         "cannot connect to %s: cannot resolve '%s': %s", u->uri, u->host,
                         gai_strerror(rc));
    int e = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        do
            rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        while (rc < 0 && errno == EINTR);
        if (rc == 0) {
            /* Requests are whole frames: send each at once, no Nagle wait. */
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            freeaddrinfo(res);
            *out = fd;
            return 0;
        }
        e = errno;
        close(fd);
    }
    freeaddrinfo(res);
    return sk_seterr(err, SKIFF_ERR_CONNECT, e, "cannot connect to %s: %s", u->uri,
                     strerror(e));
}

/* Did the handshake fail on the server's certificate? Say how. */
static int server_cert_failed(struct skiff_conn *c, const struct sk_uri *u, const char *ca,
                              long v, struct skiff_error *err)
{
    if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH)
        return sk_seterr(err, SKIFF_ERR_CONNECT, 0,
                         "cannot connect to %s: server name mismatch: hostd's certificate "
                         "does not name '%s' (connect with a name or address it has, or give "
                         "the host one: skiff-pki host --dns/--ip)", c->uri, u->host);
    return sk_seterr(err, SKIFF_ERR_CONNECT, 0,
                     "cannot connect to %s: hostd's certificate is not trusted: %s "
                     "(CA file %s)", c->uri, X509_verify_cert_error_string(v), ca);
}

int sk_tls_connect(struct skiff_conn *c, const struct sk_uri *u, struct skiff_error *err)
{
    char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX], why[600];
    struct sk_tls_env env = {
        .cert = getenv(SKIFF_TLS_CERT_ENV),
        .key = getenv(SKIFF_TLS_KEY_ENV),
        .ca = getenv(SKIFF_TLS_CA_ENV),
        .xdg = getenv("XDG_CONFIG_HOME"),
        .home = getenv("HOME"),
        .dir_root = SKIFF_PKI_ROOT_DIR,
        .is_root = geteuid() == 0,
    };
    int rc = sk_uri_tls_files(u, &env, cert, key, ca, PATH_MAX, err);
    if (rc < 0)
        return rc;
    SSL_CTX *ctx = skiff_tls_ctx_new(SKIFF_TLS_CLIENT, cert, key, ca, why, sizeof why);
    if (ctx == NULL)
        return sk_seterr(err, SKIFF_ERR_CONNECT, 0,
                         "cannot connect to %s: %s (client certificate, key and CA: see "
                         "skiff-pki(1))", c->uri, why);
    c->ssl_ctx = ctx;
    c->tls_cert = strdup(cert);
    if (c->tls_cert == NULL)
        return sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory");
    rc = tcp_connect(u, &c->fd, err);
    if (rc < 0)
        return rc;
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, c->fd) != 1 || skiff_tls_expect_host(ssl, u->host) < 0) {
        SSL_free(ssl);
        return sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory");
    }
    c->ssl = ssl;
    rc = skiff_tls_handshake(ssl, SK_TLS_HANDSHAKE_MS);
    if (rc == -ETIMEDOUT)
        return sk_seterr(err, SKIFF_ERR_CONNECT, ETIMEDOUT,
                         "cannot connect to %s: no TLS handshake within %d s", c->uri,
                         SK_TLS_HANDSHAKE_MS / 1000);
    if (rc < 0) {
        long v = SSL_get_verify_result(ssl);
        if (v != X509_V_OK) {
            ERR_clear_error();
            return server_cert_failed(c, u, ca, v, err);
        }
        return sk_tls_failed(c, rc, err);
    }
    return 0;
}

int sk_tls_failed(struct skiff_conn *c, int rc, struct skiff_error *err)
{
    unsigned long e = ERR_peek_last_error();
    int reason = ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : 0;
    char why[300];
    skiff_tls_why(c->ssl, why, sizeof why);
    switch (reason) {
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
        return sk_seterr(err, SKIFF_ERR_CONNECT, 0,
                         "hostd at %s refused our certificate %s: %s", c->uri,
                         c->tls_cert ? c->tls_cert : "", why);
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
        return sk_seterr(err, SKIFF_ERR_CONNECT, 0,
                         "%s does not speak TLS (%s): is it hostd's listen_tls port?", c->uri,
                         why);
    default:
        return sk_seterr(err, rc == -EPROTO ? SKIFF_ERR_CONNECT : SKIFF_ERR_IO, 0,
                         "TLS session with %s failed: %s", c->uri, why);
    }
}

bool sk_tls_refused(struct skiff_conn *c)
{
    if (c->ssl == NULL)
        return false;
    /* The alert may sit unread behind the reset that broke our write. */
    int flags = fcntl(c->fd, F_GETFL);
    if (flags < 0 || fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return false;
    ERR_clear_error();
    char b;
    int r = SSL_peek(c->ssl, &b, 1);
    fcntl(c->fd, F_SETFL, flags);
    unsigned long e = ERR_peek_last_error();
    return r <= 0 && e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
           ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET;
}

int sk_tls_send(struct skiff_conn *c, const ProtobufCMessage *m)
{
    return skiff_tls_frame_send(c->ssl, m);
}

int sk_tls_recv(struct skiff_conn *c, uint8_t **body, uint32_t *len)
{
    return skiff_tls_frame_recv(c->ssl, SKIFF_FRAME_MAX, body, len);
}

bool sk_tls_buffered(const struct skiff_conn *c)
{
    return c->ssl != NULL && SSL_has_pending(c->ssl);
}

void sk_tls_close(struct skiff_conn *c)
{
    /* No close_notify: closing the socket ends the session, and hostd
     * takes that as the end; a write to a vanished peer is spared. */
    SSL_free(c->ssl);
    c->ssl = NULL;
    SSL_CTX_free(c->ssl_ctx);
    c->ssl_ctx = NULL;
    free(c->tls_cert);
    c->tls_cert = NULL;
}
