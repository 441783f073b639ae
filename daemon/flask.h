/*
 * The FLASK security server: a binary policy (compiled by checkpolicy from
 * policy/) loaded through libsepol, and the access vector cache in front
 * of it, so that the hot path of a request costs a hash lookup and no
 * libsepol call. libsepol keeps its policy in global state, so there is
 * one security server per process; hostd is single-threaded.
 */
#ifndef SKIFF_HOSTD_FLASK_H
#define SKIFF_HOSTD_FLASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xsm_perms.h"

struct labels;

/* The initial SIDs, by their position in policy/initial_sids. */
enum flask_isid {
    FLASK_SID_HOST = 1,         /* this host: host checks, domain creation */
    FLASK_SID_POOL = 2,         /* a pool without a label */
    FLASK_SID_UNLABELED = 3,    /* a domain with no valid label */
    FLASK_SID_UNMAPPED = 4,     /* a client no mapping names */
    FLASK_NISIDS = 4,
};

/* Largest binary policy accepted. */
#define FLASK_POLICY_MAX (32U << 20)

/*
 * Load a binary policy. It must define every class and permission of
 * xsm_perms.h and the initial SIDs, and accept every context of labels
 * (may be NULL). Atomic: on any error the running policy (if any) stays,
 * and err says why. Success flushes the caches and bumps the generation.
 */
int flask_load(const void *image, size_t len, const struct labels *labels, char *err,
               size_t errlen);
/* Read a file (at most FLASK_POLICY_MAX bytes) and flask_load it. */
int flask_load_file(const char *path, const struct labels *labels, char *err, size_t errlen);
/* Check that every context of labels is valid in the running policy. */
int flask_check_labels(const struct labels *labels, char *err, size_t errlen);
bool flask_loaded(void);
/* Changes at every load: SIDs held from before are stale then. */
unsigned flask_generation(void);
void flask_unload(void);

/* The SID of a context; -EINVAL if it is not valid in the policy. Cached. */
int flask_sid(const char *context, uint32_t *sid);
/* The context of a SID (malloc'd), or NULL. */
char *flask_context(uint32_t sid);

struct flask_decision {
    bool allowed;
    bool audit;                 /* log it: a denial not dontaudit'ed, or an auditallow */
};

/* May ssid do perm to tsid? 0, or -EINVAL (no policy, bad SID). */
int flask_decide(uint32_t ssid, uint32_t tsid, enum xsm_perm perm, struct flask_decision *d);
/* The SID of an object of class cls created by ssid in tsid (type_transition). */
int flask_create_sid(uint32_t ssid, uint32_t tsid, enum xsm_class cls, uint32_t *out);

struct flask_stats {
    unsigned long avc_hits, avc_misses, avc_flushes;
};
void flask_get_stats(struct flask_stats *st);
/* Forget every cached decision (the next ones are computed again). */
void flask_avc_flush(void);

#endif
