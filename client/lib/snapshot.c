/* Save and restore: save streams a SaveResult before its final reply. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void on_saved(const Skiff__V1__Response *r, void *arg)
{
    struct skiff_save_result *out = arg;
    if (out == NULL || r->result_case != SKIFF__V1__RESPONSE__RESULT_SAVED || r->saved == NULL)
        return;
    out->file_bytes = r->saved->file_bytes;
    out->memory_pages = r->saved->memory_pages;
    out->paused_ns = r->saved->paused_ns;
    out->total_ns = r->saved->total_ns;
}

int skiff_save(struct skiff_conn *conn, const char *domain, const char *path,
               bool keep_running, struct skiff_save_result *out, struct skiff_error *err)
{
    skiff_error_clear(err);
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (conn == NULL || domain == NULL || *domain == '\0' || path == NULL || *path == '\0')
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "a connection, a domain and a path "
                         "are needed");
    Skiff__V1__SaveRequest sr = SKIFF__V1__SAVE_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    sr.domain = (char *)domain;
    sr.path = (char *)path;
    sr.keep_running = keep_running;
    req.op_case = SKIFF__V1__REQUEST__OP_SAVE;
    req.save = &sr;
    return sk_call_streamed(conn, &req, on_saved, out, err);
}

int skiff_restore(struct skiff_conn *conn, const char *path, const char *const *overrides,
                  size_t n_overrides, bool paused, struct skiff_domain_info *out,
                  struct skiff_error *err)
{
    skiff_error_clear(err);
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (conn == NULL || path == NULL || *path == '\0' || (n_overrides > 0 && overrides == NULL))
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "a connection and a path are needed");
    Skiff__V1__RestoreRequest rr = SKIFF__V1__RESTORE_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    rr.path = (char *)path;
    rr.overrides = (char **)overrides;
    rr.n_overrides = n_overrides;
    rr.paused = paused;
    req.op_case = SKIFF__V1__REQUEST__OP_RESTORE;
    req.restore = &rr;
    Skiff__V1__Response *r;
    int rc = sk_call(conn, &req, &r, err);
    if (rc < 0)
        return rc;
    if (out != NULL && r->result_case == SKIFF__V1__RESPONSE__RESULT_DOMAIN && r->domain &&
        sk_info_from_proto(r->domain, out) < 0)
        rc = sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory");
    skiff__v1__response__free_unpacked(r, NULL);
    return rc;
}
