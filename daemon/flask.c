/*
 * The security server on libsepol. A new policy is read into a policydb
 * and SID table of its own, checked, and only then made libsepol's
 * current one, so a policy that fails any check never replaces the
 * running one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sepol/debug.h>
#include <sepol/handle.h>
#include <sepol/policydb/policydb.h>
#include <sepol/policydb/services.h>
#include <sepol/policydb/sidtab.h>

#include "flask.h"
#include "labels.h"

struct policy {
    policydb_t db;
    sidtab_t sids;
    sepol_security_class_t class_id[XSM_NCLASSES];
    sepol_access_vector_t perm_bit[XSM_NPERMS];
};

static struct policy *cur;
static unsigned generation;
static struct flask_stats stats;

/* ---- the access vector cache: direct-mapped, invalidated by epoch ---- */

#define AVC_SLOTS 4096

struct avc_slot {
    unsigned epoch;             /* valid when == avc_epoch */
    uint32_t ssid, tsid;
    unsigned cls;
    sepol_access_vector_t allowed, auditallow, auditdeny;
};

static struct avc_slot avc[AVC_SLOTS];
static unsigned avc_epoch = 1;

void flask_avc_flush(void)
{
    avc_epoch++;
    stats.avc_flushes++;
}

static unsigned avc_hash(uint32_t ssid, uint32_t tsid, unsigned cls)
{
    uint32_t h = ssid * 0x9e3779b1u ^ (tsid + 0x7f4a7c15u) * 0x85ebca6bu ^ cls * 0xc2b2ae35u;
    return (h ^ (h >> 15)) & (AVC_SLOTS - 1);
}

/* ---- context -> SID cache, so a label string costs a hash lookup ---- */

#define SIDCACHE_BUCKETS 256
#define SIDCACHE_MAX 4096

struct sidcache_entry {
    struct sidcache_entry *next;
    uint32_t sid;
    char context[];
};

static struct sidcache_entry *sidcache[SIDCACHE_BUCKETS];
static size_t sidcache_count;

static unsigned str_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % SIDCACHE_BUCKETS;
}

static void sidcache_flush(void)
{
    for (size_t i = 0; i < SIDCACHE_BUCKETS; i++) {
        struct sidcache_entry *e = sidcache[i], *next;
        for (; e != NULL; e = next) {
            next = e->next;
            free(e);
        }
        sidcache[i] = NULL;
    }
    sidcache_count = 0;
}

/* ---- loading ---- */

struct msgbuf {
    char *buf;
    size_t len;
};

/* libsepol's messages while reading a policy become the error text. */
static void sepol_msg(void *arg, sepol_handle_t *handle, const char *fmt, ...)
{
    struct msgbuf *m = arg;
    if (m->buf == NULL || m->len == 0 || m->buf[0] != '\0')
        return;   /* keep the first message: it names the cause */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->buf, m->len, fmt, ap);
    va_end(ap);
}

static void policy_free(struct policy *p)
{
    if (p == NULL)
        return;
    sepol_sidtab_destroy(&p->sids);
    policydb_destroy(&p->db);
    free(p);
}

static void make_current(struct policy *p)
{
    sepol_set_policydb(&p->db);
    sepol_set_sidtab(&p->sids);
}

/* With p current: are the classes, permissions, initial SIDs and labels all there? */
static int policy_check(struct policy *p, const struct labels *labels, char *err, size_t errlen)
{
    for (int c = 0; c < XSM_NCLASSES; c++)
        if (sepol_string_to_security_class(xsm_class_name(c), &p->class_id[c]) < 0) {
            snprintf(err, errlen, "the policy has no class %s", xsm_class_name(c));
            return -EINVAL;
        }
    for (int i = 0; i < XSM_NPERMS; i++) {
        enum xsm_class c = xsm_perm_class(i);
        if (sepol_string_to_av_perm(p->class_id[c], xsm_perm_name(i), &p->perm_bit[i]) < 0 ||
            p->perm_bit[i] == 0) {
            snprintf(err, errlen, "the policy has no permission %s:%s", xsm_class_name(c),
                     xsm_perm_name(i));
            return -EINVAL;
        }
    }
    for (uint32_t sid = 1; sid <= FLASK_NISIDS; sid++) {
        char *ctx = NULL;
        size_t n;
        if (sepol_sid_to_context(sid, &ctx, &n) < 0 || ctx == NULL) {
            snprintf(err, errlen, "the policy has no context for initial SID %u (it needs "
                     "host, pool, unlabeled, unmapped in this order)", sid);
            return -EINVAL;
        }
        free(ctx);
    }
    return flask_check_labels(labels, err, errlen);
}

int flask_check_labels(const struct labels *labels, char *err, size_t errlen)
{
    for (size_t i = 0; labels != NULL && i < labels->n; i++) {
        const char *ctx = labels->rules[i].context;
        sepol_security_id_t sid;
        if (sepol_context_to_sid(ctx, strlen(ctx) + 1, &sid) < 0) {
            snprintf(err, errlen, "label mapping line %d: context %s is not valid in the "
                     "policy", labels->rules[i].line, ctx);
            return -EINVAL;
        }
    }
    return 0;
}

int flask_load(const void *image, size_t len, const struct labels *labels, char *err,
               size_t errlen)
{
    err[0] = '\0';
    /* libsepol would print to stderr about every invalid context a client
     * sends: hostd reports those itself. */
    sepol_debug(0);
    if (len == 0 || len > FLASK_POLICY_MAX) {
        snprintf(err, errlen, "a binary policy is 1 to %u bytes (this is %zu)", FLASK_POLICY_MAX,
                 len);
        return -EINVAL;
    }
    struct policy *p = calloc(1, sizeof *p);
    sepol_handle_t *handle = sepol_handle_create();
    if (p == NULL || handle == NULL) {
        free(p);
        if (handle != NULL)
            sepol_handle_destroy(handle);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    char why[256] = "";
    struct msgbuf mb = { why, sizeof why };
    sepol_msg_set_callback(handle, sepol_msg, &mb);
    int rc = -EINVAL;
    bool db_ready = false;
    if (policydb_init(&p->db) < 0) {
        snprintf(err, errlen, "out of memory");
        rc = -ENOMEM;
        goto fail;
    }
    db_ready = true;
    struct policy_file pf;
    policy_file_init(&pf);
    pf.type = PF_USE_MEMORY;
    pf.data = (char *)image;   /* only read */
    pf.len = len;
    pf.handle = handle;
    if (policydb_read(&p->db, &pf, 0) < 0) {
        snprintf(err, errlen, "not a valid binary policy%s%s", why[0] ? ": " : "", why);
        goto fail;
    }
    if (p->db.policy_type != POLICY_KERN) {
        snprintf(err, errlen, "not a compiled policy (a policy module?): compile it with "
                 "checkpolicy");
        goto fail;
    }
    /* It makes the SID table itself (an init before it would leak one). */
    if (policydb_load_isids(&p->db, &p->sids) < 0) {
        snprintf(err, errlen, "the policy's initial SID contexts are not valid");
        goto fail;
    }
    make_current(p);
    rc = policy_check(p, labels, err, errlen);
    if (rc < 0) {
        if (cur != NULL)
            make_current(cur);
        goto fail;
    }
    policy_free(cur);
    cur = p;
    generation++;
    sidcache_flush();
    flask_avc_flush();
    sepol_handle_destroy(handle);
    return 0;
fail:
    if (p->sids.htable != NULL)
        sepol_sidtab_destroy(&p->sids);
    if (db_ready)
        policydb_destroy(&p->db);
    free(p);
    sepol_handle_destroy(handle);
    return rc;
}

int flask_load_file(const char *path, const struct labels *labels, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
        return -e;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    int rc = 0;
    while (buf != NULL) {
        if (len == cap) {
            if (cap > FLASK_POLICY_MAX)
                break;   /* too large: flask_load says so */
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    if (rc == 0) {
        char why[400];
        rc = flask_load(buf, len, labels, why, sizeof why);
        if (rc < 0)
            snprintf(err, errlen, "%s: %s", path, why);
    }
    free(buf);
    return rc;
}

bool flask_loaded(void)
{
    return cur != NULL;
}

unsigned flask_generation(void)
{
    return generation;
}

void flask_unload(void)
{
    sidcache_flush();
    flask_avc_flush();
    policy_free(cur);
    cur = NULL;
    generation++;
}

/* ---- queries ---- */

int flask_sid(const char *context, uint32_t *sid)
{
    if (cur == NULL || context == NULL || context[0] == '\0')
        return -EINVAL;
    unsigned b = str_hash(context);
    for (struct sidcache_entry *e = sidcache[b]; e != NULL; e = e->next)
        if (strcmp(e->context, context) == 0) {
            *sid = e->sid;
            return 0;
        }
    sepol_security_id_t s;
    if (sepol_context_to_sid(context, strlen(context) + 1, &s) < 0)
        return -EINVAL;
    *sid = s;
    /* Bounded: a client inventing labels cannot grow it without end. */
    if (sidcache_count >= SIDCACHE_MAX)
        sidcache_flush();
    size_t n = strlen(context);
    struct sidcache_entry *e = malloc(sizeof *e + n + 1);
    if (e != NULL) {
        e->sid = s;
        memcpy(e->context, context, n + 1);
        e->next = sidcache[b];
        sidcache[b] = e;
        sidcache_count++;
    }
    return 0;
}

char *flask_context(uint32_t sid)
{
    if (cur == NULL)
        return NULL;
    char *ctx = NULL;
    size_t n;
    if (sepol_sid_to_context(sid, &ctx, &n) < 0)
        return NULL;
    return ctx;
}

int flask_decide(uint32_t ssid, uint32_t tsid, enum xsm_perm perm, struct flask_decision *d)
{
    if (cur == NULL || (unsigned)perm >= XSM_NPERMS)
        return -EINVAL;
    unsigned cls = xsm_perm_class(perm);
    sepol_access_vector_t bit = cur->perm_bit[perm];
    struct avc_slot *s = &avc[avc_hash(ssid, tsid, cls)];
    if (s->epoch != avc_epoch || s->ssid != ssid || s->tsid != tsid || s->cls != cls) {
        struct sepol_av_decision avd;
        if (sepol_compute_av(ssid, tsid, cur->class_id[cls], ~(sepol_access_vector_t)0,
                             &avd) < 0)
            return -EINVAL;
        *s = (struct avc_slot){ .epoch = avc_epoch, .ssid = ssid, .tsid = tsid, .cls = cls,
                                .allowed = avd.allowed, .auditallow = avd.auditallow,
                                .auditdeny = avd.auditdeny };
        stats.avc_misses++;
    } else {
        stats.avc_hits++;
    }
    d->allowed = (s->allowed & bit) != 0;
    d->audit = d->allowed ? (s->auditallow & bit) != 0 : (s->auditdeny & bit) != 0;
    return 0;
}

int flask_create_sid(uint32_t ssid, uint32_t tsid, enum xsm_class cls, uint32_t *out)
{
    if (cur == NULL || (unsigned)cls >= XSM_NCLASSES)
        return -EINVAL;
    sepol_security_id_t s;
    if (sepol_transition_sid(ssid, tsid, cur->class_id[cls], &s) < 0)
        return -EINVAL;
    *out = s;
    return 0;
}

void flask_get_stats(struct flask_stats *st)
{
    *st = stats;
}
