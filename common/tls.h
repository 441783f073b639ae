/*
 * Mutual TLS for Skiff's stream sockets (remote clients, hostd peers):
 * TLS 1.3 only, both sides present a certificate and each verifies the
 * other's against one CA. hostd and libskiff share this; the framing on
 * top is frame.h's, the same as on the UNIX socket.
 */
#ifndef SKIFF_TLS_H
#define SKIFF_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <protobuf-c/protobuf-c.h>

enum skiff_tls_role {
    SKIFF_TLS_SERVER,   /* accepts; requires and verifies a client certificate */
    SKIFF_TLS_CLIENT,   /* connects; verifies the server (see skiff_tls_expect_host) */
};

/*
 * A context for one side: our certificate (PEM, may carry the chain) and
 * its private key (unencrypted PEM), and the CA file the peer's certificate
 * must chain to. A peer without a certificate, or with one that does not
 * verify (other CA, expired, not yet valid), fails the handshake. On
 * failure NULL, with a message naming the file and the reason in err.
 */
SSL_CTX *skiff_tls_ctx_new(enum skiff_tls_role role, const char *cert, const char *key,
                           const char *ca, char *err, size_t errlen);

/*
 * Client side, before the handshake: the server's certificate must name
 * host (a DNS name, or an IP address literal matched against its IP SANs).
 * Also sends host as SNI when it is a name. 0 or -ENOMEM.
 */
int skiff_tls_expect_host(SSL *ssl, const char *host);

/*
 * The handshake on ssl's socket, blocking for at most timeout_ms (< 0:
 * no limit) even when the socket is blocking. 0, -ETIMEDOUT, or -EPROTO
 * (see skiff_tls_why) / another -errno.
 */
int skiff_tls_handshake(SSL *ssl, int timeout_ms);

/* The peer's verified certificate's subject in RFC 2253 form
 * ("CN=alice,O=Skiff"), malloc'd; NULL when there is none or no memory. */
char *skiff_tls_peer_subject(const SSL *ssl);
/* The same for a certificate. */
char *skiff_tls_subject_of(X509 *cert);

/*
 * Why the last TLS operation on this thread failed, for a human: the
 * peer's certificate verification result, an alert the peer sent, or the
 * library's reason. Empties the thread's OpenSSL error queue.
 */
void skiff_tls_why(const SSL *ssl, char *buf, size_t len);

/*
 * Blocking I/O over an established session (blocking socket). Both
 * return 0 or a negative errno: -EPIPE (clean close before a read's first
 * byte), -EPROTO (inside a frame, or a TLS failure: skiff_tls_why says).
 */
int skiff_tls_write_all(SSL *ssl, const void *buf, size_t n);
int skiff_tls_read_all(SSL *ssl, void *buf, size_t n);
/* frame.h's skiff_frame_send/recv over TLS, with the same results. */
int skiff_tls_frame_send(SSL *ssl, const ProtobufCMessage *msg);
int skiff_tls_frame_recv(SSL *ssl, uint32_t max, uint8_t **body, uint32_t *len);

#endif
