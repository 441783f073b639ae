/*
 * The security hooks: one call per operation, made by every request
 * handler before it changes anything. Two modules decide:
 *   dummy  root and the configured group may do everything (no policy);
 *   flask  the loaded FLASK policy decides (flask.c), by the client's
 *          context (from the label mapping) and the object's label.
 *
 * A hook returns true when the operation may go ahead. When it returns
 * false it has already answered the call with DENIED (the AVC text in
 * Error.decision), logged the denial and recorded it in the event log,
 * so a handler only does:
 *
 *     if (!xsm_domain(call, d, XSM_DOMAIN__PAUSE))
 *         return;
 */
#ifndef SKIFF_HOSTD_XSM_H
#define SKIFF_HOSTD_XSM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "skiff.pb-c.h"
#include "xsm_perms.h"

struct hostd;
struct conn;
struct call;
struct domain;

/* Who sent a request: filled from the connection when it is accepted. */
struct xsm_subject {
    uid_t uid;
    gid_t gid;
    pid_t pid;
    const char *identity;       /* TLS client certificate subject; NULL when local */
    uint32_t sid;               /* flask: cached while sid_gen == flask_generation() */
    unsigned sid_gen;
};

/* From hostd.conf: the module, and for flask the policy and labels. 0 or
 * -errno (logged); hostd does not start without its policy. */
int xsm_init(struct hostd *h);
void xsm_fini(struct hostd *h);
bool xsm_is_flask(const struct hostd *h);

/*
 * May this client connect at all? dummy: root or the configured group.
 * flask: everybody connects, and the policy decides each request (an
 * unmapped client gets the unmapped context, which is allowed nothing).
 * When the answer is no, why says so.
 */
bool xsm_admit(struct hostd *h, const struct xsm_subject *s, char *why, size_t len);

/* ---- hooks: true = go ahead; false = answered DENIED ---- */

/* perm on an existing domain. */
bool xsm_domain(struct call *call, struct domain *d, enum xsm_perm perm);
/*
 * define/create: cfg->seclabel is the label the client asks for ("" =
 * the default one, the type_transition of the client's context on the
 * host). A label other than the default needs relabelfrom on the default
 * and relabelto on the asked one; then create (and start when start is
 * set) on the result. flask sets cfg->seclabel to the label given.
 * A label that is not a valid context answers INVALID.
 */
bool xsm_domain_create(struct call *call, Skiff__V1__DomainConfig *cfg, bool start);
/* perm on a domain known only by its label (restore, migrate_in). */
bool xsm_domain_label(struct call *call, const char *label, const char *name,
                      enum xsm_perm perm);
/* perm on a pool: its label, or NULL/"" for the pool initial SID. */
bool xsm_pool(struct call *call, const char *pool, const char *label, enum xsm_perm perm);
/* perm on this host (host or peer class). */
bool xsm_host(struct call *call, enum xsm_perm perm);

/*
 * The same decision without a call, for work that is not a client request
 * (a peer hostd's migration stream, say): 0 to go ahead, or -EACCES with
 * the AVC text in decision (logged and recorded like any denial). label:
 * the domain's or pool's label (NULL/"" = unlabeled, or the pool SID);
 * ignored for host and peer permissions. name: for the log (may be NULL).
 */
int xsm_check(struct hostd *h, struct xsm_subject *s, const char *label, const char *name,
              enum xsm_perm perm, char *decision, size_t len);

/* ---- quiet checks (no answer, no log): filters for list, events ---- */
/* May the client see (getinfo) a domain with this label? */
bool xsm_may_see(struct conn *c, const char *label);
/* Any permission, quietly (e.g. XSM_POOL__GETINFO to filter cpupool-list):
 * label as for xsm_check. Permissive mode and dummy: always true. */
bool xsm_may(struct conn *c, const char *label, enum xsm_perm perm);
/* May it read denials (host:audit)? */
bool xsm_may_audit(struct conn *c);

/* ---- the security RPCs (getenforce, setenforce, loadpolicy, labels) ---- */
void xsm_op_getenforce(struct call *call);
void xsm_op_setenforce(struct call *call, const Skiff__V1__SetEnforceRequest *rq);
void xsm_op_loadpolicy(struct call *call, const Skiff__V1__LoadPolicyRequest *rq);
void xsm_op_labels(struct call *call);

#endif
