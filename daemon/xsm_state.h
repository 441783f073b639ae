/* The security layer's state, shared by xsm.c (hooks) and xsm_ops.c (the
 * security requests). Nothing else looks inside. */
#ifndef SKIFF_HOSTD_XSM_STATE_H
#define SKIFF_HOSTD_XSM_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "labels.h"

#ifndef SKIFF_POLICYDIR
#define SKIFF_POLICYDIR "/usr/share/skiff/policy"
#endif

struct hostd;
struct xsm_subject;

struct xsm {
    bool flask;                 /* else the dummy module */
    bool enforcing;
    const char *policy_path;    /* hostd.conf's (or the default) */
    const char *labels_path;
    struct labels labels;       /* the mapping in force */
    char policy_from[160];      /* where the running policy came from */
    uint64_t loaded_at_ns;
    unsigned long denials;
    /* Recording is rate-limited, so a client hammering denied requests
     * cannot flood the log and the event table. */
    uint64_t audit_window_ns;   /* start of the current second */
    unsigned audit_in_window;
    unsigned long audit_suppressed;
};

/* Decisions logged and recorded per second at most; the rest are counted. */
#define XSM_AUDIT_PER_SECOND 200

/* The client's SID under the running policy (cached in the subject). */
uint32_t xsm_subject_sid(struct hostd *h, struct xsm_subject *s);
/* A label as a SID; missing or invalid: the unlabeled initial SID. */
uint32_t xsm_label_sid(const char *label);
/* uid's groups, the primary gid first; at least 1, at most max. */
size_t xsm_groups(uid_t uid, gid_t gid, gid_t *gids, size_t max);
/* Read the labels file named in hostd.conf. */
int xsm_load_labels(struct xsm *x, struct labels *out, char *err, size_t errlen);

#endif
