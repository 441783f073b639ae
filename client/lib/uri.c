#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "uri.h"

const char *sk_uri_pick(const char *uri, const char *env)
{
    if (uri != NULL && *uri != '\0')
        return uri;
    if (env != NULL && *env != '\0')
        return env;
    return SKIFF_DEFAULT_URI;
}

static int parse_unix_path(const char *uri, const char *path, struct sk_uri *out,
                           struct skiff_error *err)
{
    if (path[0] != '/')
        return sk_seterr(err, SKIFF_ERR_USAGE, 0,
                         "bad URI '%s': a unix URI needs an absolute socket path, "
                         "e.g. unix:///run/skiff/hostd.sock", uri);
    size_t n = strlen(path);
    if (n >= sizeof out->path)
        return sk_seterr(err, SKIFF_ERR_USAGE, 0,
                         "bad URI '%s': the socket path is longer than %zu bytes", uri,
                         sizeof out->path - 1);
    out->kind = SK_URI_UNIX;
    memcpy(out->path, path, n + 1);
    if (strlen("unix://") + n >= sizeof out->uri)
        return sk_seterr(err, SKIFF_ERR_USAGE, 0, "bad URI: too long");
    strcpy(out->uri, "unix://");
    strcat(out->uri, path);
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Copy the %-decoded [p, end) into out (size len); -1 if malformed or too long. */
static int decode(const char *p, const char *end, char *out, size_t len)
{
    size_t n = 0;
    while (p < end) {
        int c = (unsigned char)*p++;
        if (c == '%') {
            int hi = p < end ? hexval(p[0]) : -1;
            int lo = p + 1 < end ? hexval(p[1]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            c = hi << 4 | lo;
            p += 2;
            if (c == 0)
                return -1;
        }
        if (n + 1 >= len)
            return -1;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return 0;
}

/* cert=..&key=..&ca=.. */
static int parse_query(const char *uri, const char *q, struct sk_uri *out,
                       struct skiff_error *err)
{
    while (*q != '\0') {
        const char *amp = strchr(q, '&');
        const char *end = amp ? amp : q + strlen(q);
        const char *eq = memchr(q, '=', (size_t)(end - q));
        char *field = NULL;
        if (eq != NULL && eq - q == 4 && strncmp(q, "cert", 4) == 0)
            field = out->cert;
        else if (eq != NULL && eq - q == 3 && strncmp(q, "key", 3) == 0)
            field = out->key;
        else if (eq != NULL && eq - q == 2 && strncmp(q, "ca", 2) == 0)
            field = out->ca;
        if (field == NULL)
            return sk_seterr(err, SKIFF_ERR_USAGE, 0,
                             "bad URI '%s': unknown parameter '%.*s' (tls:// takes cert=FILE, "
                             "key=FILE and ca=FILE)", uri, (int)(end - q), q);
        if (eq + 1 == end || decode(eq + 1, end, field, PATH_MAX) < 0)
            return sk_seterr(err, SKIFF_ERR_USAGE, 0,
                             "bad URI '%s': '%.*s' needs a file name (%%-encoded, shorter "
                             "than %d bytes)", uri, (int)(eq - q), q, PATH_MAX);
        q = amp ? amp + 1 : end;
    }
    return 0;
}

static int parse_tls(const char *uri, struct sk_uri *out, struct skiff_error *err)
{
    static const char usage[] = "expected tls://HOST:PORT, e.g. tls://host.example:7440 or "
                                "tls://[2001:db8::1]:7440";
    out->kind = SK_URI_TLS;
    const char *p = uri + 6;
    const char *q = strchr(p, '?');
    const char *end = q ? q : p + strlen(p);
    const char *host = p, *hend, *port;
    if (*p == '[') {
        host = p + 1;
        hend = memchr(host, ']', (size_t)(end - host));
        if (hend == NULL || hend[1] != ':')
            return sk_seterr(err, SKIFF_ERR_USAGE, 0, "bad URI '%s': %s", uri, usage);
        port = hend + 2;
    } else {
        hend = memchr(p, ':', (size_t)(end - p));
        if (hend == NULL)
            return sk_seterr(err, SKIFF_ERR_USAGE, 0, "bad URI '%s': no port; %s", uri, usage);
        port = hend + 1;
        if (memchr(port, ':', (size_t)(end - port)) != NULL)
            return sk_seterr(err, SKIFF_ERR_USAGE, 0,
                             "bad URI '%s': an IPv6 address needs brackets; %s", uri, usage);
    }
    size_t hlen = (size_t)(hend - host);
    if (hlen == 0 || hlen >= sizeof out->host)
        return sk_seterr(err, SKIFF_ERR_USAGE, 0, "bad URI '%s': %s", uri, usage);
    for (size_t i = 0; i < hlen; i++) {
        char c = host[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || (c == ':' && *p == '[');
        if (!ok)
            return sk_seterr(err, SKIFF_ERR_USAGE, 0,
                             "bad URI '%s': '%.*s' is not a host name or address", uri,
                             (int)hlen, host);
    }
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';
    size_t plen = (size_t)(end - port);
    unsigned long v = 0;
    for (size_t i = 0; i < plen && v <= 65535; i++)
        v = port[i] >= '0' && port[i] <= '9' ? v * 10 + (unsigned long)(port[i] - '0') : 99999;
    if (plen == 0 || v == 0 || v > 65535)
        return sk_seterr(err, SKIFF_ERR_USAGE, 0, "bad URI '%s': the port must be 1-65535",
                         uri);
    snprintf(out->port, sizeof out->port, "%lu", v);
    if (q != NULL) {
        int rc = parse_query(uri, q + 1, out, err);
        if (rc < 0)
            return rc;
    }
    bool v6 = strchr(out->host, ':') != NULL;
    snprintf(out->uri, sizeof out->uri, "tls://%s%s%s:%s", v6 ? "[" : "", out->host,
             v6 ? "]" : "", out->port);
    return 0;
}

static int tls_file(char *dst, size_t len, const char *from_uri, const char *from_env,
                    const char *dir, const char *name, struct skiff_error *err)
{
    int n;
    if (from_uri[0] != '\0')
        n = snprintf(dst, len, "%s", from_uri);
    else if (from_env != NULL && from_env[0] != '\0')
        n = snprintf(dst, len, "%s", from_env);
    else
        n = snprintf(dst, len, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= len)
        return sk_seterr(err, SKIFF_ERR_USAGE, 0, "the path of %s is too long", name);
    return 0;
}

int sk_uri_tls_files(const struct sk_uri *u, const struct sk_tls_env *env, char *cert,
                     char *key, char *ca, size_t len, struct skiff_error *err)
{
    char dir[PATH_MAX];
    int n;
    if (env->is_root)
        n = snprintf(dir, sizeof dir, "%s", env->dir_root);
    else if (env->xdg != NULL && env->xdg[0] == '/')
        n = snprintf(dir, sizeof dir, "%s/skiff/pki", env->xdg);
    else if (env->home != NULL && env->home[0] == '/')
        n = snprintf(dir, sizeof dir, "%s/.config/skiff/pki", env->home);
    else
        n = snprintf(dir, sizeof dir, "(no home directory: set $HOME or SKIFF_TLS_*)");
    if (n < 0 || (size_t)n >= sizeof dir)
        return sk_seterr(err, SKIFF_ERR_USAGE, 0, "the TLS directory's path is too long");
    int rc;
    if ((rc = tls_file(cert, len, u->cert, env->cert, dir, "client.pem", err)) < 0 ||
        (rc = tls_file(key, len, u->key, env->key, dir, "client-key.pem", err)) < 0 ||
        (rc = tls_file(ca, len, u->ca, env->ca, dir, "ca.pem", err)) < 0)
        return rc;
    return 0;
}

int sk_uri_parse(const char *uri, struct sk_uri *out, struct skiff_error *err)
{
    memset(out, 0, sizeof *out);
    if (uri == NULL || *uri == '\0')
        return sk_seterr(err, SKIFF_ERR_USAGE, 0, "empty URI");
    if (uri[0] == '/')
        return parse_unix_path(uri, uri, out, err);
    if (strncmp(uri, "unix://", 7) == 0)
        return parse_unix_path(uri, uri + 7, out, err);
    if (strncmp(uri, "tls://", 6) == 0)
        return parse_tls(uri, out, err);
    const char *colon = strstr(uri, "://");
    if (colon != NULL)
        return sk_seterr(err, SKIFF_ERR_USAGE, 0,
                         "bad URI '%s': unknown scheme '%.*s' (use unix:///path/to/hostd.sock "
                         "or tls://HOST:PORT)", uri, (int)(colon - uri), uri);
    return sk_seterr(err, SKIFF_ERR_USAGE, 0,
                     "bad URI '%s': expected unix:///path/to/hostd.sock or tls://HOST:PORT",
                     uri);
}
