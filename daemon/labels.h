/*
 * The label mapping (policy/labels): which security context a client's
 * requests run in, by UNIX uid or group, or by TLS certificate subject.
 * Parsing is separate from the policy so that a bad file is reported with
 * its line numbers whatever policy is loaded.
 */
#ifndef SKIFF_HOSTD_LABELS_H
#define SKIFF_HOSTD_LABELS_H

#include <stddef.h>
#include <sys/types.h>

/* Bounds that keep a hostile or mistaken file from costing much. */
#define LABELS_MAX_BYTES (1U << 20)
#define LABELS_MAX_LINE 4096
#define LABELS_MAX_RULES 10000

enum labels_kind { LABELS_UID, LABELS_GID, LABELS_CERT, LABELS_DEFAULT };

struct labels_rule {
    enum labels_kind kind;
    unsigned id;                /* uid or gid */
    char *cert;                 /* certificate subject */
    char *context;
    int line;
};

struct labels {
    struct labels_rule *rules;
    size_t n;
};

/* Told about lines that are skipped (a user or group that does not exist). */
typedef void labels_warn_fn(void *ctx, const char *msg);

/*
 * Parse text (len bytes, name for messages). On error returns -EINVAL
 * (or -ENOMEM) with "NAME:LINE: what is wrong" in err and *out untouched.
 */
int labels_parse(const char *text, size_t len, const char *name, struct labels *out,
                 char *err, size_t errlen, labels_warn_fn *warn, void *warn_ctx);
/* Read and parse a file; the same errors, or the errno of reading it. */
int labels_load(const char *path, struct labels *out, char *err, size_t errlen,
                labels_warn_fn *warn, void *warn_ctx);
void labels_free(struct labels *l);

/*
 * The context of a client, or NULL when no line names it. A local client
 * has its uid and groups (primary first); a TLS client its certificate
 * subject (cert non-NULL), and then uid and group lines do not apply.
 */
const char *labels_lookup(const struct labels *l, uid_t uid, const gid_t *gids, size_t ngids,
                          const char *cert);

#endif
