/*
 * Remote clients over mutual TLS: the listeners (hostd.conf `listen_tls`),
 * the handshake and its time limit, and the client's identity: the
 * subject of its CA-verified certificate, checked against `tls_allow`.
 * Framing and requests are conn.c's, the same as on the UNIX socket.
 */
#ifndef SKIFF_HOSTD_TLS_SERVER_H
#define SKIFF_HOSTD_TLS_SERVER_H

#include <stdbool.h>

struct hostd;
struct hostd_conf;
struct conn;

#define TLS_HANDSHAKE_TIMEOUT_MS 10000

/* Load the certificate, key and CA, and listen on every listen_tls address
 * (bound ports in STATE_DIR/tls.ports, one "ADDR:PORT" a line). 0 when
 * nothing is configured; errors are logged and name the file or address. */
int tls_server_start(struct hostd *h);
void tls_server_stop(struct hostd *h);

/* May a client with this certificate subject use hostd? (tls_allow) */
bool tls_subject_allowed(const struct hostd_conf *conf, const char *subject);

/* conn.c's hooks: the handshake of c finished (set its identity, apply
 * tls_allow; < 0: close it), or failed or timed out (log why). */
int tls_conn_ready(struct conn *c);
void tls_conn_failed(struct conn *c, short what);

#endif
