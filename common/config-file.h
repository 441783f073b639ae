/*
 * Parser for skiff.cfg(5) files: the domain configuration files of the
 * skiff CLI and hostd's own configuration file (same syntax).
 *
 *     KEY = VALUE        # a comment
 *     a = 1; b = 'two'   # ';' separates statements on one line
 *     disk = [ 'target=/img/a.img, vdev=storage',
 *              'target=/img/b.img, vdev=scratch', ]
 *
 * Values are strings ('...' or "..." with \\ \" \' \n \t escapes),
 * integers (decimal, 0x hex, 0 octal), the words true and false, and flat
 * lists of those. The last assignment of a key wins. The parser takes any
 * bytes: input over SKIFF_CFG_MAX_SIZE, NUL bytes, nested lists and
 * oversized lists or keys are errors, never crashes.
 *
 * Every function that can fail returns 0 or a negative errno, and fills
 * the caller's struct skiff_cfg_error (if not NULL) with a position.
 */
#ifndef SKIFF_CONFIG_FILE_H
#define SKIFF_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "skiff.pb-c.h"

#define SKIFF_CFG_MAX_SIZE (1U << 20)   /* bytes of one file or override */
#define SKIFF_CFG_MAX_KEYS 1024         /* distinct keys in one config */
#define SKIFF_CFG_MAX_KEY_LEN 64
#define SKIFF_CFG_MAX_LIST 1024         /* items in one list */

/* Name used in errors and warnings for entries set by skiff_cfg_override. */
#define SKIFF_CFG_CMDLINE "<command line>"

/*
 * Where and what. line and col are 1-based (col counts bytes); line 0
 * means the error concerns the whole file (e.g. it cannot be read, or a
 * required key is missing).
 */
struct skiff_cfg_error {
    char file[256];
    int line, col;
    char message[256];
};

/* "FILE:LINE:COL: message", or "FILE: message" when line is 0. Returns
 * what snprintf returns. */
int skiff_cfg_error_format(const struct skiff_cfg_error *err, char *buf, size_t size);

enum skiff_cfg_type {
    SKIFF_CFG_STRING = 1,
    SKIFF_CFG_INT,
    SKIFF_CFG_BOOL,
    SKIFF_CFG_LIST,
};

/* One parsed value. Only the member of its type is meaningful; the items
 * of a list are never lists themselves. */
struct skiff_cfg_value {
    enum skiff_cfg_type type;
    int line, col;                      /* where the value starts */
    char *str;                          /* STRING: NUL-terminated, no NUL inside */
    long long num;                      /* INT (>= 0), BOOL (0 or 1) */
    struct skiff_cfg_value *items;      /* LIST */
    size_t n_items;
};

/* One key and the value of its last assignment (read-only for callers). */
struct skiff_cfg_entry {
    const char *key;
    const char *file;                   /* the file's name or SKIFF_CFG_CMDLINE */
    int line, col;                      /* where the last assignment's key is */
    struct skiff_cfg_value value;
};

/* Parsed configuration: one entry per distinct key, in the order each key
 * first appeared. */
struct skiff_cfg;

/* Parse len bytes of text (need not be NUL-terminated). filename is only
 * used in messages (NULL: "<input>"). Empty text gives an empty config.
 * Returns 0, -EINVAL (syntax), -EFBIG (too large) or -ENOMEM; *out is
 * NULL on failure. */
int skiff_cfg_parse(const char *text, size_t len, const char *filename,
                    struct skiff_cfg **out, struct skiff_cfg_error *err);

/* Read and parse a file (or anything open(2) reads, e.g. a pipe).
 * Errors as skiff_cfg_parse, plus the negative errno of open/read. */
int skiff_cfg_parse_file(const char *path, struct skiff_cfg **out, struct skiff_cfg_error *err);

/*
 * Apply one "key=value" override from the command line. The value has the
 * file syntax, except that a value that does not start with a quote or '['
 * and is not a number or true/false is taken as it stands, as a string
 * ("kernel=/srv/app.hvt", "cmdline=--port 80"); an empty value is the
 * empty string. The assignment is one line: control characters other than
 * tab are refused. Errors are reported against SKIFF_CFG_CMDLINE, line 1,
 * with columns counted in the assignment; a failed override leaves cfg
 * unchanged.
 */
int skiff_cfg_override(struct skiff_cfg *cfg, const char *assignment, struct skiff_cfg_error *err);

void skiff_cfg_free(struct skiff_cfg *cfg);

/* Iteration and lookup. skiff_cfg_at returns NULL past the end. */
size_t skiff_cfg_count(const struct skiff_cfg *cfg);
const struct skiff_cfg_entry *skiff_cfg_at(const struct skiff_cfg *cfg, size_t i);
const struct skiff_cfg_entry *skiff_cfg_get(const struct skiff_cfg *cfg, const char *key);

/* Typed lookups. skiff_cfg_string: NULL if absent or not a string. The
 * others: 0, -ENOENT (absent) or -EINVAL (another type). skiff_cfg_bool
 * takes true/false and the integers 0 and 1. */
const char *skiff_cfg_string(const struct skiff_cfg *cfg, const char *key);
int skiff_cfg_int(const struct skiff_cfg *cfg, const char *key, long long *out);
int skiff_cfg_bool(const struct skiff_cfg *cfg, const char *key, bool *out);

/* For generic users: 0 if key is absent or has the type; otherwise
 * -EINVAL with "FILE:L:C: KEY: expected WHAT, got a list" in err. */
int skiff_cfg_expect(const struct skiff_cfg *cfg, const char *key, enum skiff_cfg_type type,
                     const char *what, struct skiff_cfg_error *err);

/* Call warn with "FILE:L:C: warning: unknown key 'K'" for every key not in
 * the NULL-terminated list known. Returns how many were unknown. */
typedef void skiff_cfg_warn_fn(void *ctx, const char *msg);
int skiff_cfg_warn_unknown(const struct skiff_cfg *cfg, const char *const *known,
                           skiff_cfg_warn_fn *warn, void *ctx);

/*
 * Build the API's DomainConfig from a domain's configuration (the keys of
 * skiff.cfg(5)), validating every value. Unknown keys are warnings through
 * warn (may be NULL), not errors. Keys left out stay zero / empty, which
 * the API reads as "hostd's default". Returns 0, -EINVAL (err says why)
 * or -ENOMEM. Free the result with skiff_cfg_domain_free.
 */
int skiff_cfg_to_domain(const struct skiff_cfg *cfg, Skiff__V1__DomainConfig **out,
                        skiff_cfg_warn_fn *warn, void *ctx, struct skiff_cfg_error *err);

/* Everything in the result is malloc'd the way protobuf-c's unpacker
 * does, so this is protobuf_c_message_free_unpacked(dc, NULL). NULL is ok. */
void skiff_cfg_domain_free(Skiff__V1__DomainConfig *dc);

/*
 * A CPU pool's configuration (cpupool-create FILE): name (required),
 * cpus (a CPU list, "node:N" items, or a list of those) or nodes (a list
 * of NUMA node numbers), sched ("credit"). Unknown keys are warnings.
 * Returns 0, -EINVAL (err says why) or -ENOMEM; free with
 * skiff_cfg_pool_free.
 */
int skiff_cfg_to_pool(const struct skiff_cfg *cfg, Skiff__V1__PoolConfig **out,
                      skiff_cfg_warn_fn *warn, void *ctx, struct skiff_cfg_error *err);
void skiff_cfg_pool_free(Skiff__V1__PoolConfig *pc);

#endif
