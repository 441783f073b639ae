#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/tls.h"
#include "conn.h"
#include "hostd.h"
#include "log.h"
#include "metrics.h"
#include "tls_server.h"
#include "util.h"

#ifndef SKIFF_SYSCONFDIR
#define SKIFF_SYSCONFDIR "/etc/skiff"
#endif

struct tls_listener {
    struct tls_server *srv;
    struct evconnlistener *l;
    char name[80];               /* "ADDR:PORT" as bound */
};

struct tls_server {
    struct hostd *h;
    SSL_CTX *ctx;
    struct tls_listener *ls;
    size_t n;
    char *ports_file;
};

static const char *path_or(const char *path, const char *def)
{
    return path != NULL && *path != '\0' ? path : def;
}

/* "1.2.3.4:5" or "[::1]:5" for a socket address. */
static void addr_name(const struct sockaddr *sa, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
        snprintf(buf, len, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
        snprintf(buf, len, "[%s]:%u", host, port);
    } else {
        snprintf(buf, len, "(unknown address family %d)", sa->sa_family);
    }
}

bool tls_subject_allowed(const struct hostd_conf *conf, const char *subject)
{
    if (!conf->tls_allow_set)
        return true;   /* any certificate the CA signed */
    for (size_t i = 0; i < conf->n_tls_allow; i++)
        if (strcmp(conf->tls_allow[i], subject) == 0)
            return true;
    return false;
}

static uint32_t handshake_ms(const struct hostd *h)
{
    return h->conf.tls_handshake_timeout_ms ? h->conf.tls_handshake_timeout_ms
                                            : TLS_HANDSHAKE_TIMEOUT_MS;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    struct tls_listener *tl = arg;
    struct hostd *h = tl->srv->h;
    char peer[64];
    addr_name(sa, peer, sizeof peer);
    /* Replies are whole frames: no Nagle wait behind a delayed ACK. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SSL *ssl = SSL_new(tl->srv->ctx);
    if (ssl == NULL) {
        log_err("out of memory accepting a TLS client from %s", peer);
        close(fd);
        return;
    }
    /* The bufferevent does the handshake without blocking the loop. */
    struct bufferevent *bev = bufferevent_openssl_socket_new(
        h->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        log_err("out of memory accepting a TLS client from %s", peer);
        SSL_free(ssl);
        close(fd);
        return;
    }
    /* A client that closes without a TLS close_notify just went away. */
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    struct conn *c = conn_new_tls(h, bev, peer);
    if (c == NULL) {
        log_err("out of memory accepting a TLS client from %s", peer);
        return;
    }
    /* Cleared once the handshake is done: a client that never finishes
     * it holds nothing for long. */
    uint32_t ms = handshake_ms(h);
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    bufferevent_set_timeouts(bev, &tv, &tv);
}

int tls_conn_ready(struct conn *c)
{
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    char *subject = ssl != NULL ? skiff_tls_peer_subject(ssl) : NULL;
    if (subject == NULL) {   /* the CA-verified certificate is required: cannot happen */
        log_warn("TLS client at %s: no certificate subject; closed", c->peer);
        return -EPROTO;
    }
    c->identity = subject;
    c->subj.identity = subject;   /* the security hooks map it (labels: cert lines) */
    /* The handshake's limit is over; replies not read are limited as on UNIX. */
    struct timeval wtv = { c->h->conf.client_timeout_ms / 1000,
                           (c->h->conf.client_timeout_ms % 1000) * 1000 };
    bufferevent_set_timeouts(c->bev, NULL, &wtv);
    if (!tls_subject_allowed(&c->h->conf, subject)) {
        log_warn("client %u: TLS client '%s' at %s refused: subject not in tls_allow",
                 c->serial, subject, c->peer);
        char why[CONN_WHO_MAX + 128];
        snprintf(why, sizeof why, "permission denied: certificate subject '%s' is not in "
                 "hostd's tls_allow list", subject);
        conn_deny(c, SKIFF__V1__ERROR_CODE__DENIED, why);
        return 0;
    }
    log_info("client %u: TLS client '%s' at %s (%s)", c->serial, subject, c->peer,
             SSL_get_cipher_name(ssl));
    return 0;
}

void tls_conn_failed(struct conn *c, short what)
{
    if (what & BEV_EVENT_TIMEOUT) {
        log_warn("TLS client at %s: no handshake within %u ms; closed", c->peer,
                 handshake_ms(c->h));
        return;
    }
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    long v = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
    /* libevent keeps OpenSSL's errors for this bufferevent; the first says why. */
    unsigned long e = bufferevent_get_openssl_error(c->bev), next;
    while ((next = bufferevent_get_openssl_error(c->bev)) != 0)
        (void)next;
    const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
    if (v != X509_V_OK)
        log_warn("TLS client at %s refused: its certificate does not verify: %s", c->peer,
                 X509_verify_cert_error_string(v));
    else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
             ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
        log_warn("TLS client at %s refused: it sent no certificate", c->peer);
    else if (reason != NULL && ERR_GET_LIB(e) == ERR_LIB_SSL &&
             ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET)
        log_warn("TLS client at %s ended the handshake with an alert: %s (does it trust "
                 "our certificate and CA?)", c->peer, reason);
    else if (reason != NULL)
        log_warn("TLS client at %s refused: %s%s", c->peer, reason,
                 ERR_GET_REASON(e) == SSL_R_WRONG_VERSION_NUMBER ||
                 ERR_GET_REASON(e) == SSL_R_HTTP_REQUEST
                     ? " (not speaking TLS?)" : "");
    else
        log_info("TLS client at %s: closed during the handshake", c->peer);
}

/* STATE_DIR/tls.ports: what was bound (useful with port 0). */
static char *write_ports_file(struct tls_server *srv)
{
    struct hostd *h = srv->h;
    char *path = xasprintf("%s/tls.ports", h->conf.state_dir);
    char *tmp = xasprintf("%s/tls.ports.tmp", h->conf.state_dir);
    FILE *f = tmp != NULL ? fopen(tmp, "we") : NULL;
    if (path == NULL || f == NULL)
        goto fail;
    for (size_t i = 0; i < srv->n; i++)
        fprintf(f, "%s\n", srv->ls[i].name);
    bool ok = !ferror(f);
    if (fclose(f) != 0 || !ok || rename(tmp, path) < 0) {
        unlink(tmp);
        goto fail;
    }
    free(tmp);
    return path;
fail:
    log_warn("cannot write %s/tls.ports: %s", h->conf.state_dir, strerror(errno));
    free(path);
    free(tmp);
    return NULL;
}

static int listen_one(struct tls_server *srv, const char *spec, struct tls_listener *tl)
{
    char addr[256];
    uint16_t port;
    if (metrics_parse_listen(spec, addr, sizeof addr, &port) < 0) {
        log_err("listen_tls '%s': expected ADDR:PORT, [ADDR6]:PORT or PORT", spec);
        return -EINVAL;
    }
    struct sockaddr_storage ss = { 0 };
    int sslen;
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        sslen = sizeof *in;
    } else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        sslen = sizeof *in6;
    } else {
        log_err("listen_tls '%s': give a numeric IPv4 or [IPv6] address", spec);
        return -EINVAL;
    }
    tl->srv = srv;
    tl->l = evconnlistener_new_bind(srv->h->base, accept_cb, tl,
                                    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
                                        LEV_OPT_REUSEABLE |
                                        (ss.ss_family == AF_INET6 ? LEV_OPT_BIND_IPV6ONLY : 0),
                                    128, (struct sockaddr *)&ss, sslen);
    if (tl->l == NULL) {
        int err = errno ? errno : EADDRNOTAVAIL;
        log_err("cannot listen for TLS clients on %s: %s", spec, strerror(err));
        return -err;
    }
    socklen_t len = sizeof ss;
    if (getsockname(evconnlistener_get_fd(tl->l), (struct sockaddr *)&ss, &len) < 0)
        return -errno;
    addr_name((struct sockaddr *)&ss, tl->name, sizeof tl->name);
    return 0;
}

int tls_server_start(struct hostd *h)
{
    const struct hostd_conf *conf = &h->conf;
    if (conf->n_listen_tls == 0)
        return 0;
    const char *cert = path_or(conf->tls_cert, SKIFF_SYSCONFDIR "/pki/host.pem");
    const char *key = path_or(conf->tls_key, SKIFF_SYSCONFDIR "/pki/host-key.pem");
    const char *ca = path_or(conf->tls_ca, SKIFF_SYSCONFDIR "/pki/ca.pem");
    struct tls_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return -ENOMEM;
    srv->h = h;
    h->tls = srv;
    char err[512];
    srv->ctx = skiff_tls_ctx_new(SKIFF_TLS_SERVER, cert, key, ca, err, sizeof err);
    if (srv->ctx == NULL) {
        log_err("listen_tls: %s (tls_cert, tls_key, tls_ca)", err);
        return -EINVAL;
    }
    srv->ls = calloc(conf->n_listen_tls, sizeof *srv->ls);
    if (srv->ls == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < conf->n_listen_tls; i++) {
        int rc = listen_one(srv, conf->listen_tls[i], &srv->ls[srv->n]);
        if (rc < 0)
            return rc;
        srv->n++;
        log_info("listening for TLS clients on %s (certificate %s, CA %s)",
                 srv->ls[i].name, cert, ca);
    }
    if (!conf->tls_allow_set)
        log_info("tls_allow is not set: any certificate signed by %s may connect", ca);
    srv->ports_file = write_ports_file(srv);
    return 0;
}

void tls_server_stop(struct hostd *h)
{
    struct tls_server *srv = h->tls;
    if (srv == NULL)
        return;
    for (size_t i = 0; i < srv->n; i++)
        evconnlistener_free(srv->ls[i].l);
    free(srv->ls);
    if (srv->ports_file != NULL) {
        unlink(srv->ports_file);
        free(srv->ports_file);
    }
    /* Connections hold references to the context; it goes with the last. */
    SSL_CTX_free(srv->ctx);
    free(srv);
    h->tls = NULL;
}
