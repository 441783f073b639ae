/*
 * The security requests: getenforce, setenforce, loadpolicy and labels.
 * Each is itself checked against the host (host:getenforce, ...).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "flask.h"
#include "hostd.h"
#include "log.h"
#include "rpc.h"
#include "util.h"
#include "xsm.h"
#include "xsm_state.h"

static bool need_flask(struct call *call, const char *what)
{
    if (xsm_is_flask(call->conn->h))
        return true;
    call_error(call, E(UNSUPPORTED), "%s: hostd runs the dummy security module, which has "
               "no policy (set security_module = \"flask\" in hostd.conf)", what);
    return false;
}

void xsm_op_getenforce(struct call *call)
{
    struct hostd *h = call->conn->h;
    if (!xsm_host(call, XSM_HOST__GETENFORCE))
        return;
    struct xsm *x = h->xsm;
    Skiff__V1__SecurityStatus st = SKIFF__V1__SECURITY_STATUS__INIT;
    st.module = (char *)(x->flask ? "flask" : "dummy");
    st.enforcing = x->flask ? x->enforcing : true;
    st.policy = x->policy_from;
    st.loaded_at_ns = x->loaded_at_ns;
    if (x->flask) {
        struct flask_stats fs;
        flask_get_stats(&fs);
        st.avc_hits = fs.avc_hits;
        st.avc_misses = fs.avc_misses;
    }
    st.denials = x->denials;
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_SECURITY;
    r.security = &st;
    call_reply(call, &r);
}

void xsm_op_setenforce(struct call *call, const Skiff__V1__SetEnforceRequest *rq)
{
    if (!need_flask(call, "setenforce") || !xsm_host(call, XSM_HOST__SETENFORCE))
        return;
    struct xsm *x = call->conn->h->xsm;
    if (x->enforcing != rq->enforcing) {
        x->enforcing = rq->enforcing;
        flask_avc_flush();
        log_warn("security: now %s (uid %ld)", x->enforcing ? "enforcing" : "permissive",
                 (long)call->conn->subj.uid);
    }
    xsm_op_getenforce(call);
}

void xsm_op_loadpolicy(struct call *call, const Skiff__V1__LoadPolicyRequest *rq)
{
    struct hostd *h = call->conn->h;
    if (!need_flask(call, "loadpolicy") || !xsm_host(call, XSM_HOST__LOADPOLICY))
        return;
    struct xsm *x = h->xsm;
    /* The mapping is read again with the policy, so both change together. */
    struct labels fresh = { 0 };
    char err[600];
    int rc = xsm_load_labels(x, &fresh, err, sizeof err);
    if (rc == 0)
        rc = flask_load(rq->policy.data, rq->policy.len, &fresh, err, sizeof err);
    if (rc < 0) {
        labels_free(&fresh);
        log_warn("security: policy load refused (uid %ld): %s; the running policy stays",
                 (long)call->conn->subj.uid, err);
        call_error(call, E(INVALID), "policy refused, the running policy stays: %s", err);
        return;
    }
    labels_free(&x->labels);
    x->labels = fresh;
    snprintf(x->policy_from, sizeof x->policy_from, "loaded by uid %ld (%zu bytes)",
             (long)call->conn->subj.uid, rq->policy.len);
    x->loaded_at_ns = now_realtime_ns();
    log_warn("security: new policy loaded by uid %ld (%zu bytes)", (long)call->conn->subj.uid,
             rq->policy.len);
    xsm_op_getenforce(call);
}

void xsm_op_labels(struct call *call)
{
    struct hostd *h = call->conn->h;
    if (!xsm_host(call, XSM_HOST__GETINFO))
        return;
    bool flask = xsm_is_flask(h);
    size_t cap = h->domains.count + 3, n = 0;
    Skiff__V1__Label *ls = calloc(cap, sizeof *ls);
    Skiff__V1__Label **ps = calloc(cap, sizeof *ps);
    char *own[3] = { NULL, NULL, NULL };
    if (ls == NULL || ps == NULL) {
        free(ls);
        free(ps);
        call_error(call, E(INTERNAL), "out of memory");
        return;
    }
    static const char *const kinds[3] = { "subject", "host", "pool" };
    uint32_t sids[3] = { 0, 1, 2 };
    if (flask) {
        sids[0] = xsm_subject_sid(h, &call->conn->subj);
        sids[1] = FLASK_SID_HOST;
        sids[2] = FLASK_SID_POOL;
    }
    for (int i = 0; i < 3; i++) {
        skiff__v1__label__init(&ls[n]);
        ls[n].kind = (char *)kinds[i];
        ls[n].name = (char *)(i == 0 ? "" : i == 1 ? "host" : "Pool-0");
        own[i] = flask ? flask_context(sids[i]) : NULL;
        ls[n].context = own[i] ? own[i] : (char *)"";
        ps[n] = &ls[n];
        n++;
    }
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        if (n == cap || !xsm_may_see(call->conn, d->row.seclabel))
            continue;
        skiff__v1__label__init(&ls[n]);
        ls[n].kind = (char *)"domain";
        ls[n].name = d->row.name;
        ls[n].context = d->row.seclabel ? d->row.seclabel : (char *)"";
        ps[n] = &ls[n];
        n++;
    }
    Skiff__V1__LabelList ll = SKIFF__V1__LABEL_LIST__INIT;
    ll.n_labels = n;
    ll.labels = ps;
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_LABELS;
    r.labels = &ll;
    call_reply(call, &r);
    for (int i = 0; i < 3; i++)
        free(own[i]);
    free(ls);
    free(ps);
}
