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
    memcpy(out->path, path, n + 1);
    if (strlen("unix://") + n >= sizeof out->uri)
        return sk_seterr(err, SKIFF_ERR_USAGE, 0, "bad URI: too long");
    strcpy(out->uri, "unix://");
    strcat(out->uri, path);
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
        return sk_seterr(err, SKIFF_ERR_UNSUPPORTED, 0,
                         "'%s': remote hostds (tls://) are not supported yet; "
                         "use a unix:// URI on the host itself", uri);
    const char *colon = strstr(uri, "://");
    if (colon != NULL)
        return sk_seterr(err, SKIFF_ERR_USAGE, 0,
                         "bad URI '%s': unknown scheme '%.*s' (use unix:///path/to/hostd.sock)",
                         uri, (int)(colon - uri), uri);
    return sk_seterr(err, SKIFF_ERR_USAGE, 0,
                     "bad URI '%s': expected unix:///path/to/hostd.sock", uri);
}
