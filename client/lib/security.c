/* The security policy requests: getenforce, setenforce, loadpolicy, labels. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void skiff_security_clear(struct skiff_security *sec)
{
    if (sec == NULL)
        return;
    free(sec->module);
    free(sec->policy);
    memset(sec, 0, sizeof *sec);
}

/* Send req; fill out (may be NULL) from the SecurityStatus it returns. */
static int security_call(struct skiff_conn *conn, Skiff__V1__Request *req,
                         struct skiff_security *out, struct skiff_error *err)
{
    if (conn == NULL)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "the connection must not be NULL");
    if (out == NULL)
        return sk_call_plain(conn, req, err);
    memset(out, 0, sizeof *out);
    Skiff__V1__Response *r;
    int rc = sk_call_expect(conn, req, SKIFF__V1__RESPONSE__RESULT_SECURITY, "status", &r, err);
    if (rc < 0)
        return rc;
    const Skiff__V1__SecurityStatus *st = r->security;
    bool failed = false;
    out->module = sk_strdup(st->module, &failed);
    out->policy = sk_strdup(st->policy, &failed);
    out->enforcing = st->enforcing;
    out->loaded_at_ns = st->loaded_at_ns;
    out->avc_hits = st->avc_hits;
    out->avc_misses = st->avc_misses;
    out->denials = st->denials;
    if (failed) {
        skiff_security_clear(out);
        rc = sk_nomem(err);
    }
    skiff__v1__response__free_unpacked(r, NULL);
    return rc;
}

int skiff_getenforce(struct skiff_conn *conn, struct skiff_security *out,
                     struct skiff_error *err)
{
    skiff_error_clear(err);
    if (out == NULL)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "out must not be NULL");
    Skiff__V1__Empty empty = SKIFF__V1__EMPTY__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    req.op_case = SKIFF__V1__REQUEST__OP_GET_ENFORCE;
    req.get_enforce = &empty;
    return security_call(conn, &req, out, err);
}

int skiff_setenforce(struct skiff_conn *conn, bool enforcing, struct skiff_error *err)
{
    skiff_error_clear(err);
    Skiff__V1__SetEnforceRequest se = SKIFF__V1__SET_ENFORCE_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    se.enforcing = enforcing;
    req.op_case = SKIFF__V1__REQUEST__OP_SET_ENFORCE;
    req.set_enforce = &se;
    return security_call(conn, &req, NULL, err);
}

int skiff_loadpolicy(struct skiff_conn *conn, const void *policy, size_t len,
                     struct skiff_error *err)
{
    skiff_error_clear(err);
    if (policy == NULL || len == 0)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "no policy given (an empty file?)");
    Skiff__V1__LoadPolicyRequest lp = SKIFF__V1__LOAD_POLICY_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    lp.policy.data = (uint8_t *)policy;
    lp.policy.len = len;
    req.op_case = SKIFF__V1__REQUEST__OP_LOAD_POLICY;
    req.load_policy = &lp;
    return security_call(conn, &req, NULL, err);
}

void skiff_labels_free(struct skiff_label *labels, size_t n)
{
    for (size_t i = 0; labels != NULL && i < n; i++) {
        free(labels[i].kind);
        free(labels[i].name);
        free(labels[i].context);
    }
    free(labels);
}

int skiff_labels(struct skiff_conn *conn, struct skiff_label **labels, size_t *n,
                 struct skiff_error *err)
{
    skiff_error_clear(err);
    if (conn == NULL || labels == NULL || n == NULL)
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "conn, labels and n must not be NULL");
    *labels = NULL;
    *n = 0;
    Skiff__V1__Response *r;
    int rc = sk_call_empty(conn, SKIFF__V1__REQUEST__OP_LABELS,
                           SKIFF__V1__RESPONSE__RESULT__NOT_SET, NULL, &r, err);
    if (rc < 0)
        return rc;
    const Skiff__V1__LabelList *ll = r->labels;
    size_t count = r->result_case == SKIFF__V1__RESPONSE__RESULT_LABELS && ll ? ll->n_labels : 0;
    struct skiff_label *out = count ? calloc(count, sizeof *out) : NULL;
    if (count > 0 && out == NULL) {
        skiff__v1__response__free_unpacked(r, NULL);
        return sk_nomem(err);
    }
    bool failed = false;
    for (size_t i = 0; i < count; i++) {
        out[i].kind = sk_strdup(ll->labels[i]->kind, &failed);
        out[i].name = sk_strdup(ll->labels[i]->name, &failed);
        out[i].context = sk_strdup(ll->labels[i]->context, &failed);
    }
    skiff__v1__response__free_unpacked(r, NULL);
    if (failed) {
        skiff_labels_free(out, count);
        return sk_nomem(err);
    }
    *labels = out;
    *n = count;
    return 0;
}
