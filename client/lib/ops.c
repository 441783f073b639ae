/* The synchronous operations: one request, one response each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int sk_nomem(struct skiff_error *err)
{
    return sk_seterr(err, SKIFF_ERR_NOMEM, ENOMEM, "out of memory");
}

int sk_call_plain(struct skiff_conn *c, Skiff__V1__Request *req, struct skiff_error *err)
{
    Skiff__V1__Response *r;
    int rc = sk_call(c, req, &r, err);
    if (rc < 0)
        return rc;
    skiff__v1__response__free_unpacked(r, NULL);
    return 0;
}

int sk_call_streamed(struct skiff_conn *c, Skiff__V1__Request *req,
                     void (*each)(const Skiff__V1__Response *r, void *arg), void *arg,
                     struct skiff_error *err)
{
    int rc = sk_send_request(c, req, err);
    while (rc == 0) {
        Skiff__V1__Response *r;
        rc = sk_wait(c, req->id, &r, err);
        if (rc < 0)
            break;
        rc = sk_error_from_proto(r->error, err);
        if (rc == 0)
            each(r, arg);
        bool more = r->more;
        skiff__v1__response__free_unpacked(r, NULL);
        if (!more)
            break;
    }
    return rc;
}

int sk_call_expect(struct skiff_conn *c, Skiff__V1__Request *req,
                   Skiff__V1__Response__ResultCase want, const char *what,
                   Skiff__V1__Response **out, struct skiff_error *err)
{
    int rc = sk_call(c, req, out, err);
    if (rc < 0)
        return rc;
    /* protobuf-c sets a oneof's message whenever it sets its case. */
    if ((*out)->result_case != want) {
        skiff__v1__response__free_unpacked(*out, NULL);
        *out = NULL;
        return sk_seterr(err, SKIFF_ERR_PROTOCOL, 0, "hostd's reply carried no %s", what);
    }
    return 0;
}

int sk_call_empty(struct skiff_conn *c, Skiff__V1__Request__OpCase op,
                  Skiff__V1__Response__ResultCase want, const char *what,
                  Skiff__V1__Response **out, struct skiff_error *err)
{
    Skiff__V1__Empty empty = SKIFF__V1__EMPTY__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    req.op_case = op;
    /* Every Empty member of the oneof shares the union's storage. */
    req.host_info = &empty;
    if (want == SKIFF__V1__RESPONSE__RESULT__NOT_SET)
        return sk_call(c, &req, out, err);
    return sk_call_expect(c, &req, want, what, out, err);
}

static int need(const void *p, const char *what, struct skiff_error *err)
{
    if (p == NULL)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "%s must not be NULL", what);
    return 0;
}

static int check_domain(struct skiff_conn *c, const char *domain, struct skiff_error *err)
{
    skiff_error_clear(err);
    if (need(c, "the connection", err) < 0)
        return -SKIFF_ERR_USAGE;
    if (domain == NULL || *domain == '\0')
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "no domain given (a name or UUID)");
    return 0;
}

/* The domain a response carries into *out (when asked for). */
static int domain_result(Skiff__V1__Response *r, struct skiff_domain_info *out,
                         struct skiff_error *err)
{
    int rc = 0;
    if (out != NULL) {
        if (r->result_case == SKIFF__V1__RESPONSE__RESULT_DOMAIN && r->domain != NULL)
            rc = sk_info_from_proto(r->domain, out) < 0 ? sk_nomem(err) : 0;
        else
            memset(out, 0, sizeof *out);
    }
    skiff__v1__response__free_unpacked(r, NULL);
    return rc;
}

/* Requests whose only argument is a domain. */
static int ref_call(struct skiff_conn *c, Skiff__V1__Request__OpCase op, const char *domain,
                    struct skiff_domain_info *out, struct skiff_error *err)
{
    int rc = check_domain(c, domain, err);
    if (rc < 0)
        return rc;
    Skiff__V1__DomainRef ref = SKIFF__V1__DOMAIN_REF__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    ref.domain = (char *)domain;
    req.op_case = op;
    /* Every DomainRef member of the oneof shares the union's storage. */
    req.undefine = &ref;
    Skiff__V1__Response *r;
    rc = sk_call(c, &req, &r, err);
    if (rc < 0)
        return rc;
    return domain_result(r, out, err);
}

static int config_call(struct skiff_conn *c, const struct skiff_domain_config *cfg, bool create,
                       bool paused, struct skiff_domain_info *out, struct skiff_error *err)
{
    skiff_error_clear(err);
    if (need(c, "the connection", err) < 0 || need(cfg, "the configuration", err) < 0)
        return -SKIFF_ERR_USAGE;
    Skiff__V1__DomainConfig pc;
    if (sk_config_to_proto(cfg, &pc) < 0)
        return sk_nomem(err);
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    Skiff__V1__DefineRequest def = SKIFF__V1__DEFINE_REQUEST__INIT;
    Skiff__V1__CreateRequest cr = SKIFF__V1__CREATE_REQUEST__INIT;
    if (create) {
        cr.config = &pc;
        cr.paused = paused;
        req.op_case = SKIFF__V1__REQUEST__OP_CREATE;
        req.create = &cr;
    } else {
        def.config = &pc;
        req.op_case = SKIFF__V1__REQUEST__OP_DEFINE;
        req.define = &def;
    }
    Skiff__V1__Response *r;
    int rc = sk_call(c, &req, &r, err);
    sk_config_proto_free(&pc);
    if (rc < 0)
        return rc;
    return domain_result(r, out, err);
}

int skiff_define(struct skiff_conn *conn, const struct skiff_domain_config *cfg,
                 struct skiff_domain_info *out, struct skiff_error *err)
{
    return config_call(conn, cfg, false, false, out, err);
}

int skiff_create(struct skiff_conn *conn, const struct skiff_domain_config *cfg, bool paused,
                 struct skiff_domain_info *out, struct skiff_error *err)
{
    return config_call(conn, cfg, true, paused, out, err);
}

int skiff_undefine(struct skiff_conn *conn, const char *domain, struct skiff_error *err)
{
    return ref_call(conn, SKIFF__V1__REQUEST__OP_UNDEFINE, domain, NULL, err);
}

int skiff_start(struct skiff_conn *conn, const char *domain, struct skiff_domain_info *out,
                struct skiff_error *err)
{
    return ref_call(conn, SKIFF__V1__REQUEST__OP_START, domain, out, err);
}

int skiff_info(struct skiff_conn *conn, const char *domain, struct skiff_domain_info *out,
               struct skiff_error *err)
{
    if (need(out, "out", err) < 0)
        return -SKIFF_ERR_USAGE;
    memset(out, 0, sizeof *out);
    int rc = ref_call(conn, SKIFF__V1__REQUEST__OP_INFO, domain, out, err);
    if (rc == 0 && out->name == NULL && out->uuid[0] == '\0')
        return sk_seterr(err, SKIFF_ERR_PROTOCOL, 0, "hostd's reply carried no domain");
    return rc;
}

int skiff_pause(struct skiff_conn *conn, const char *domain, struct skiff_error *err)
{
    return ref_call(conn, SKIFF__V1__REQUEST__OP_PAUSE, domain, NULL, err);
}

int skiff_unpause(struct skiff_conn *conn, const char *domain, struct skiff_error *err)
{
    return ref_call(conn, SKIFF__V1__REQUEST__OP_UNPAUSE, domain, NULL, err);
}

int skiff_reboot(struct skiff_conn *conn, const char *domain, struct skiff_error *err)
{
    return ref_call(conn, SKIFF__V1__REQUEST__OP_REBOOT, domain, NULL, err);
}

int skiff_destroy(struct skiff_conn *conn, const char *domain, struct skiff_error *err)
{
    return ref_call(conn, SKIFF__V1__REQUEST__OP_DESTROY, domain, NULL, err);
}

int skiff_shutdown(struct skiff_conn *conn, const char *domain, bool wait, uint32_t grace_ms,
                   struct skiff_error *err)
{
    int rc = check_domain(conn, domain, err);
    if (rc < 0)
        return rc;
    Skiff__V1__ShutdownRequest sr = SKIFF__V1__SHUTDOWN_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    sr.domain = (char *)domain;
    sr.wait = wait;
    sr.grace_ms = grace_ms;
    req.op_case = SKIFF__V1__REQUEST__OP_SHUTDOWN;
    req.shutdown = &sr;
    return sk_call(conn, &req, NULL, err);
}

int skiff_rename(struct skiff_conn *conn, const char *domain, const char *new_name,
                 struct skiff_error *err)
{
    int rc = check_domain(conn, domain, err);
    if (rc < 0)
        return rc;
    if (new_name == NULL || *new_name == '\0')
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "no new name given");
    Skiff__V1__RenameRequest rr = SKIFF__V1__RENAME_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    rr.domain = (char *)domain;
    rr.new_name = (char *)new_name;
    req.op_case = SKIFF__V1__REQUEST__OP_RENAME;
    req.rename = &rr;
    return sk_call(conn, &req, NULL, err);
}

int skiff_list(struct skiff_conn *conn, bool all, struct skiff_domain_info **list, size_t *n,
               struct skiff_error *err)
{
    skiff_error_clear(err);
    if (need(conn, "the connection", err) < 0 || need(list, "list", err) < 0 ||
        need(n, "n", err) < 0)
        return -SKIFF_ERR_USAGE;
    *list = NULL;
    *n = 0;
    Skiff__V1__ListRequest lr = SKIFF__V1__LIST_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    lr.all = all;
    req.op_case = SKIFF__V1__REQUEST__OP_LIST;
    req.list = &lr;
    Skiff__V1__Response *r;
    int rc = sk_call(conn, &req, &r, err);
    if (rc < 0)
        return rc;
    size_t count = 0;
    if (r->result_case == SKIFF__V1__RESPONSE__RESULT_DOMAINS && r->domains != NULL)
        count = r->domains->n_domains;
    struct skiff_domain_info *out = NULL;
    if (count > 0 && (out = calloc(count, sizeof *out)) == NULL) {
        skiff__v1__response__free_unpacked(r, NULL);
        return sk_nomem(err);
    }
    for (size_t i = 0; i < count; i++)
        if (sk_info_from_proto(r->domains->domains[i], &out[i]) < 0) {
            skiff_domain_list_free(out, i);
            skiff__v1__response__free_unpacked(r, NULL);
            return sk_nomem(err);
        }
    skiff__v1__response__free_unpacked(r, NULL);
    *list = out;
    *n = count;
    return 0;
}

int skiff_host_info(struct skiff_conn *conn, struct skiff_host_info *out,
                    struct skiff_error *err)
{
    skiff_error_clear(err);
    if (need(conn, "the connection", err) < 0 || need(out, "out", err) < 0)
        return -SKIFF_ERR_USAGE;
    memset(out, 0, sizeof *out);
    Skiff__V1__Response *r;
    int rc = sk_call_empty(conn, SKIFF__V1__REQUEST__OP_HOST_INFO, SKIFF__V1__RESPONSE__RESULT_HOST,
                           "host information", &r, err);
    if (rc < 0)
        return rc;
    rc = sk_host_from_proto(r->host, out) < 0 ? sk_nomem(err) : 0;
    skiff__v1__response__free_unpacked(r, NULL);
    return rc;
}
