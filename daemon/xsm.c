/*
 * The security hooks (xsm.h) and the two modules behind them. The dummy
 * module keeps the rule hostd had before it had a policy; flask asks
 * flask.c and turns its denials into DENIED replies, AVC log lines and
 * "avc" events.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "events.h"
#include "flask.h"
#include "hostd.h"
#include "labels.h"
#include "log.h"
#include "rpc.h"
#include "util.h"
#include "xsm.h"
#include "xsm_state.h"

bool xsm_is_flask(const struct hostd *h)
{
    return h->xsm != NULL && h->xsm->flask;
}

static void labels_warn(void *ctx, const char *msg)
{
    log_warn("%s", msg);
}

int xsm_load_labels(struct xsm *x, struct labels *out, char *err, size_t errlen)
{
    return labels_load(x->labels_path, out, err, errlen, labels_warn, NULL);
}

int xsm_init(struct hostd *h)
{
    struct xsm *x = calloc(1, sizeof *x);
    if (x == NULL)
        return -ENOMEM;
    h->xsm = x;
    const char *module = h->conf.security_module ? h->conf.security_module : "dummy";
    if (strcmp(module, "dummy") == 0) {
        log_info("security: dummy module (root%s%s may do everything)",
                 h->have_group ? " and group " : "", h->have_group ? h->conf.group : "");
        return 0;
    }
    if (strcmp(module, "flask") != 0) {
        log_err("security_module must be dummy or flask, not '%s'", module);
        return -EINVAL;
    }
    x->flask = true;
    x->enforcing = h->conf.enforcing != 0;
    x->policy_path = h->conf.policy ? h->conf.policy : SKIFF_POLICYDIR "/skiff.policy";
    x->labels_path = h->conf.labels ? h->conf.labels : SKIFF_POLICYDIR "/labels";
    char err[600];
    int rc = xsm_load_labels(x, &x->labels, err, sizeof err);
    if (rc == 0)
        rc = flask_load_file(x->policy_path, &x->labels, err, sizeof err);
    if (rc < 0) {
        log_err("security: %s", err);
        return rc < 0 ? rc : -EINVAL;
    }
    snprintf(x->policy_from, sizeof x->policy_from, "%s", x->policy_path);
    x->loaded_at_ns = now_realtime_ns();
    log_info("security: flask module, policy %s, labels %s, %s", x->policy_path,
             x->labels_path, x->enforcing ? "enforcing" : "permissive");
    return 0;
}

void xsm_fini(struct hostd *h)
{
    if (h->xsm == NULL)
        return;
    if (h->xsm->flask)
        flask_unload();
    labels_free(&h->xsm->labels);
    free(h->xsm);
    h->xsm = NULL;
}

/* Is uid (primary group gid) a member of group? */
static bool in_group(uid_t uid, gid_t gid, gid_t group)
{
    if (gid == group)
        return true;
    gid_t gids[256];
    size_t n = xsm_groups(uid, gid, gids, 256);
    for (size_t i = 0; i < n; i++)
        if (gids[i] == group)
            return true;
    return false;
}

size_t xsm_groups(uid_t uid, gid_t gid, gid_t *gids, size_t max)
{
    gids[0] = gid;
    struct passwd *pw = getpwuid(uid);
    if (pw == NULL)
        return 1;
    int n = (int)max;
    if (getgrouplist(pw->pw_name, gid, gids, &n) < 0)
        return 1;   /* more groups than we look at: the primary one decides */
    return (size_t)n;
}

bool xsm_admit(struct hostd *h, const struct xsm_subject *s, char *why, size_t len)
{
    if (xsm_is_flask(h) || s->uid == 0 || (h->have_group && in_group(s->uid, s->gid,
                                                                     h->group_gid)))
        return true;
    snprintf(why, len, "not root and not in the %s group", h->have_group ? h->conf.group
                                                                          : "(none)");
    return false;
}

/* ---- flask decisions ---- */

uint32_t xsm_subject_sid(struct hostd *h, struct xsm_subject *s)
{
    unsigned gen = flask_generation();
    if (s->sid != 0 && s->sid_gen == gen)
        return s->sid;
    gid_t gids[256];
    size_t n = s->identity ? 0 : xsm_groups(s->uid, s->gid, gids, 256);
    const char *ctx = labels_lookup(&h->xsm->labels, s->uid, gids, n, s->identity);
    uint32_t sid;
    if (ctx == NULL || flask_sid(ctx, &sid) < 0)
        sid = FLASK_SID_UNMAPPED;
    s->sid = sid;
    s->sid_gen = gen;
    return sid;
}

/* A domain's label as a SID; a missing or invalid one is "unlabeled". */
uint32_t xsm_label_sid(const char *label)
{
    uint32_t sid;
    if (label == NULL || label[0] == '\0' || flask_sid(label, &sid) < 0)
        return FLASK_SID_UNLABELED;
    return sid;
}

/* The target SID of a permission's class for label (see xsm_check). */
static uint32_t target_sid(enum xsm_perm perm, const char *label)
{
    enum xsm_class cls = xsm_perm_class(perm);
    uint32_t sid;
    if (cls == XSM_CLASS_HOST || cls == XSM_CLASS_PEER)
        return FLASK_SID_HOST;
    if (cls == XSM_CLASS_POOL)
        return label && *label && flask_sid(label, &sid) == 0 ? sid : FLASK_SID_POOL;
    return xsm_label_sid(label);
}

/* What a denial is about, for its AVC line and its event. */
struct xsm_target {
    uint32_t sid;
    const char *kind;           /* "domain", "pool", ... for the message */
    const char *name;           /* may be NULL */
    const char *uuid;           /* the domain's, or NULL */
    int state;
};

/* The decision's AVC text in avc; logged and recorded when audit is set
 * (a dontaudit rule silences an expected denial, not the denial). */
static void audit(struct hostd *h, struct xsm_subject *s, uint32_t ssid,
                  const struct xsm_target *t, enum xsm_perm perm, bool allowed, bool record,
                  char *avc, size_t len)
{
    char *sctx = flask_context(ssid), *tctx = flask_context(t->sid);
    bool permissive = !allowed && !h->xsm->enforcing;
    /* Who: a local client by pid and uid, a remote one by its certificate. */
    int n = snprintf(avc, len, "avc: %s { %s } for", allowed ? "granted" : "denied",
                     xsm_perm_name(perm));
    if (n >= 0 && (size_t)n < len)
        n += s->identity != NULL
                 ? snprintf(avc + n, len - (size_t)n, " subject=\"%s\"", s->identity)
                 : snprintf(avc + n, len - (size_t)n, " pid=%ld uid=%ld", (long)s->pid,
                            (long)s->uid);
    if (n >= 0 && (size_t)n < len && t->name != NULL)
        n += snprintf(avc + n, len - (size_t)n, " name=%s", t->name);
    if (n >= 0 && (size_t)n < len)
        snprintf(avc + n, len - (size_t)n,
                 " scontext=%s tcontext=%s tclass=%s permissive=%d", sctx ? sctx : "?",
                 tctx ? tctx : "?", xsm_class_name(xsm_perm_class(perm)), permissive);
    struct xsm *x = h->xsm;
    if (!allowed)
        x->denials++;
    uint64_t now = now_monotonic_ns();
    if (now - x->audit_window_ns >= 1000000000ULL) {
        if (x->audit_suppressed > 0)
            log_warn("avc: %lu decisions not logged (more than %d a second)",
                     x->audit_suppressed, XSM_AUDIT_PER_SECOND);
        x->audit_window_ns = now;
        x->audit_in_window = 0;
        x->audit_suppressed = 0;
    }
    if (record && x->audit_in_window >= XSM_AUDIT_PER_SECOND) {
        x->audit_suppressed++;
        record = false;
    }
    if (record) {
        x->audit_in_window++;
        log_warn("%s", avc);
        events_emit(h, t->uuid ? t->uuid : "", t->name ? t->name : "", tctx ? tctx : "",
                    "avc", t->state, avc);
    }
    free(sctx);
    free(tctx);
}

/* One decision under flask: true to go ahead; else avc holds the denial. */
static bool decide(struct hostd *h, struct xsm_subject *s, const struct xsm_target *t,
                   enum xsm_perm perm, char *avc, size_t len)
{
    uint32_t ssid = xsm_subject_sid(h, s);
    struct flask_decision d;
    if (flask_decide(ssid, t->sid, perm, &d) < 0)
        d = (struct flask_decision){ .allowed = false, .audit = true };
    if (d.allowed && !d.audit)
        return true;
    audit(h, s, ssid, t, perm, d.allowed, d.audit, avc, len);
    return d.allowed || !h->xsm->enforcing;
}

/* The decision for one check; answers the call when it denies. */
static bool check(struct call *call, const struct xsm_target *t, enum xsm_perm perm)
{
    struct conn *c = call->conn;
    char avc[1024];
    if (decide(c->h, &c->subj, t, perm, avc, sizeof avc))
        return true;
    const char *hint = c->subj.sid == FLASK_SID_UNMAPPED
                           ? "; this client is not in hostd's label mapping"
                           : "";
    call_denied(call, avc, "permission denied: the security policy does not allow %s on %s%s%s%s",
                xsm_perm_name(perm), t->kind, t->name ? " " : "", t->name ? t->name : "", hint);
    return false;
}

int xsm_check(struct hostd *h, struct xsm_subject *s, const char *label, const char *name,
              enum xsm_perm perm, char *decision, size_t len)
{
    if (len > 0)
        decision[0] = '\0';
    if (!xsm_is_flask(h))
        return 0;
    struct xsm_target t = { .kind = xsm_class_name(xsm_perm_class(perm)), .name = name,
                            .sid = target_sid(perm, label) };
    char avc[1024];
    if (decide(h, s, &t, perm, avc, sizeof avc))
        return 0;
    snprintf(decision, len, "%s", avc);
    return -EACCES;
}

/* ---- hooks ---- */

bool xsm_domain(struct call *call, struct domain *d, enum xsm_perm perm)
{
    if (!xsm_is_flask(call->conn->h))
        return true;
    struct xsm_target t = { .sid = xsm_label_sid(d->row.seclabel), .kind = "domain",
                            .name = d->row.name, .uuid = d->row.uuid,
                            .state = d->row.state };
    return check(call, &t, perm);
}

bool xsm_domain_label(struct call *call, const char *label, const char *name,
                      enum xsm_perm perm)
{
    if (!xsm_is_flask(call->conn->h))
        return true;
    struct xsm_target t = { .sid = xsm_label_sid(label), .kind = "domain", .name = name };
    return check(call, &t, perm);
}

/* Replace a string of an unpacked message (freed with it later). */
static int set_pb_string(char **field, const char *def, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return -ENOMEM;
    if (*field != NULL && *field != def)
        free(*field);
    *field = copy;
    return 0;
}

bool xsm_domain_create(struct call *call, Skiff__V1__DomainConfig *cfg, bool start)
{
    struct hostd *h = call->conn->h;
    if (!xsm_is_flask(h))
        return true;
    uint32_t ssid = xsm_subject_sid(h, &call->conn->subj), def, sid;
    struct xsm_target t = { .kind = "domain", .name = cfg->name };
    if (flask_create_sid(ssid, FLASK_SID_HOST, XSM_CLASS_DOMAIN, &def) < 0) {
        call_error(call, E(INTERNAL), "the policy gives no valid label to domains this "
                   "client creates");
        return false;
    }
    sid = def;
    if (cfg->seclabel != NULL && cfg->seclabel[0] != '\0') {
        if (flask_sid(cfg->seclabel, &sid) < 0) {
            call_error(call, E(INVALID), "seclabel '%s' is not a valid security context in "
                       "the loaded policy (user:role:type)", cfg->seclabel);
            return false;
        }
        if (sid != def) {
            t.sid = def;
            if (!check(call, &t, XSM_DOMAIN__RELABELFROM))
                return false;
            t.sid = sid;
            if (!check(call, &t, XSM_DOMAIN__RELABELTO))
                return false;
        }
    }
    t.sid = sid;
    if (!check(call, &t, XSM_DOMAIN__CREATE) || (start && !check(call, &t, XSM_DOMAIN__START)))
        return false;
    char *ctx = flask_context(sid);
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
        &skiff__v1__domain_config__descriptor, "seclabel");
    if (ctx == NULL || f == NULL || set_pb_string(&cfg->seclabel, f->default_value, ctx) < 0) {
        free(ctx);
        call_error(call, E(INTERNAL), "out of memory");
        return false;
    }
    free(ctx);
    return true;
}

bool xsm_pool(struct call *call, const char *pool, const char *label, enum xsm_perm perm)
{
    if (!xsm_is_flask(call->conn->h))
        return true;
    uint32_t sid;
    if (label == NULL || label[0] == '\0' || flask_sid(label, &sid) < 0)
        sid = FLASK_SID_POOL;
    struct xsm_target t = { .sid = sid, .kind = "pool", .name = pool };
    return check(call, &t, perm);
}

bool xsm_host(struct call *call, enum xsm_perm perm)
{
    if (!xsm_is_flask(call->conn->h))
        return true;
    struct xsm_target t = { .sid = FLASK_SID_HOST, .kind = "host" };
    return check(call, &t, perm);
}

/* ---- quiet checks ---- */

static bool may(struct conn *c, uint32_t tsid, enum xsm_perm perm)
{
    struct hostd *h = c->h;
    if (!xsm_is_flask(h) || !h->xsm->enforcing)
        return true;
    struct flask_decision d;
    return flask_decide(xsm_subject_sid(h, &c->subj), tsid, perm, &d) == 0 && d.allowed;
}

bool xsm_may(struct conn *c, const char *label, enum xsm_perm perm)
{
    if (!xsm_is_flask(c->h))
        return true;
    return may(c, target_sid(perm, label), perm);
}

bool xsm_may_see(struct conn *c, const char *label)
{
    return xsm_may(c, label, XSM_DOMAIN__GETINFO);
}

bool xsm_may_audit(struct conn *c)
{
    return xsm_may(c, NULL, XSM_HOST__AUDIT);
}
