/*
 * Connection URIs: which hostd to talk to, and how.
 *   unix:///abs/path/hostd.sock   (or a bare absolute path)
 *   tls://host:port               reserved; refused until remote access lands
 * NULL or "" means $SKIFF_URI, then SKIFF_DEFAULT_URI.
 */
#ifndef SKIFF_CLIENT_URI_H
#define SKIFF_CLIENT_URI_H

#include <stddef.h>
#include <sys/un.h>

#include "skiff/skiff.h"

struct sk_uri {
    char uri[4096];                                 /* the resolved URI, canonical */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];  /* unix socket path */
};

/* Which URI to use: uri itself, else env (the value of $SKIFF_URI, may be
 * NULL), else the default. Never NULL. */
const char *sk_uri_pick(const char *uri, const char *env);

/* Parse uri into *out. 0, or -SKIFF_ERR_USAGE / -SKIFF_ERR_UNSUPPORTED
 * with a message in err that says what a valid URI looks like. */
int sk_uri_parse(const char *uri, struct sk_uri *out, struct skiff_error *err);

#endif
