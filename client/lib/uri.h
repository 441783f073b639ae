/*
 * Connection URIs: which hostd to talk to, and how.
 *   unix:///abs/path/hostd.sock   (or a bare absolute path)
 *   tls://HOST:PORT[?cert=FILE&key=FILE&ca=FILE]
 *                                 HOST a name, an IPv4 address or [IPv6];
 *                                 query values may be %-encoded
 * NULL or "" means $SKIFF_URI, then SKIFF_DEFAULT_URI.
 */
#ifndef SKIFF_CLIENT_URI_H
#define SKIFF_CLIENT_URI_H

#include <limits.h>
#include <stddef.h>
#include <sys/un.h>

#include "skiff/skiff.h"

enum sk_uri_kind {
    SK_URI_UNIX,
    SK_URI_TLS,
};

struct sk_uri {
    enum sk_uri_kind kind;
    char uri[4096];                                 /* the resolved URI, canonical */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];  /* unix socket path */
    /* tls: */
    char host[256];                                 /* name or address, no brackets */
    char port[6];                                   /* 1-65535, decimal */
    char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];   /* from the query; "" if not */
};

/* Which URI to use: uri itself, else env (the value of $SKIFF_URI, may be
 * NULL), else the default. Never NULL. */
const char *sk_uri_pick(const char *uri, const char *env);

/* Parse uri into *out. 0, or -SKIFF_ERR_USAGE with a message in err that
 * says what a valid URI looks like. */
int sk_uri_parse(const char *uri, struct sk_uri *out, struct skiff_error *err);

/*
 * The client certificate, key and CA files for a tls URI, each from the
 * URI's query, else $SKIFF_TLS_CERT / $SKIFF_TLS_KEY / $SKIFF_TLS_CA (getenv
 * as given, may be NULL), else the default directory: dir_root for root,
 * else $XDG_CONFIG_HOME/skiff/pki or $HOME/.config/skiff/pki (home and xdg
 * as given) holding client.pem, client-key.pem and ca.pem.
 * 0 or -SKIFF_ERR_USAGE (a path too long, or no home directory).
 */
struct sk_tls_env {
    const char *cert, *key, *ca;    /* the environment variables */
    const char *xdg, *home;
    const char *dir_root;
    int is_root;
};
int sk_uri_tls_files(const struct sk_uri *u, const struct sk_tls_env *env, char *cert,
                     char *key, char *ca, size_t len, struct skiff_error *err);

#define SKIFF_TLS_CERT_ENV "SKIFF_TLS_CERT"
#define SKIFF_TLS_KEY_ENV "SKIFF_TLS_KEY"
#define SKIFF_TLS_CA_ENV "SKIFF_TLS_CA"

#endif
