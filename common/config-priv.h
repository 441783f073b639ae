/* Helpers shared by the configuration parser's files; not for users. */
#ifndef SKIFF_CONFIG_PRIV_H
#define SKIFF_CONFIG_PRIV_H

#include <stddef.h>

#include "config-file.h"

#define CFG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Fill err (if not NULL) with a position and a formatted message. */
void cfg_error(struct skiff_cfg_error *err, const char *file, int line, int col,
               const char *fmt, ...) CFG_PRINTF(5, 6);

/* "a string", "an integer", "a boolean", "a list". */
const char *cfg_type_name(enum skiff_cfg_type type);

/*
 * Copy s into buf for a message: printable ASCII as is, anything else as
 * \xNN, cut with "..." after max input bytes, so that user data echoed in
 * a message can neither forge terminal escapes nor flood the output.
 */
const char *cfg_quote(char *buf, size_t size, const char *s, size_t max);
#define CFG_QUOTE_MAX 40
#define CFG_QUOTE_SIZE (4 * CFG_QUOTE_MAX + 4)

/* "FILE:L:C: LABEL: expected WHAT, got TYPE" at v; returns -EINVAL. */
int cfg_type_error(struct skiff_cfg_error *err, const char *file, const char *label,
                   const struct skiff_cfg_value *v, const char *what);

/* The store behind struct skiff_cfg (config.c). */
struct skiff_cfg {
    char *file;                         /* name used in messages */
    struct skiff_cfg_entry *entries;
    size_t n, cap;
};

struct skiff_cfg *cfg_new(const char *file);
void cfg_value_clear(struct skiff_cfg_value *v);

/* Set key (klen bytes) to *v, taking ownership of v's memory: replaces the
 * value of an existing key, else appends. -ENOMEM, or -E2BIG past
 * SKIFF_CFG_MAX_KEYS; on failure *v is left to the caller. */
int cfg_assign(struct skiff_cfg *cfg, const char *key, size_t klen, const char *file,
               int line, int col, struct skiff_cfg_value *v);

/* The DomainConfig builder's parts (config-domain.c, config-device.c). */
#define CFG_PATH_MAX 4096

/* NULL if path is usable (1..CFG_PATH_MAX bytes, no control characters),
 * else what is wrong with it. */
const char *cfg_path_problem(const char *path);

/* The disk and vif keys: a string or a list of strings, each one device
 * in xl's disk/vif spec style. Appends to dc; -EINVAL or -ENOMEM. */
int cfg_add_disks(const struct skiff_cfg_entry *e, Skiff__V1__DomainConfig *dc,
                  struct skiff_cfg_error *err);
int cfg_add_vifs(const struct skiff_cfg_entry *e, Skiff__V1__DomainConfig *dc,
                 struct skiff_cfg_error *err);

/* A CPU set value (cpus, cpus_soft, a pool's cpus): "0-3,6", "node:1",
 * "all", a CPU number, or a list of numbers and such strings. *out is
 * the canonical spelling (items joined by ','; "" = all), malloc'd.
 * -EINVAL (err says why) or -ENOMEM. */
#define CFG_CPU_MAX 8191
int cfg_cpus_value(const struct skiff_cfg_entry *e, char **out, struct skiff_cfg_error *err);

#endif
