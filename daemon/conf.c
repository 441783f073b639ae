#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config-file.h"
#include "conf.h"
#include "hostd.h"
#include "log.h"

static const char *const known_keys[] = {
    "state_dir", "listen_unix", "monitor", "group", "shutdown_grace_ms", "log_level",
    "metrics_listen", "metrics_allow_remote",
    "listen_tls", "tls_cert", "tls_key", "tls_ca", "tls_allow", "tls_handshake_timeout_ms",
    "migrate_timeout_ms",
    "sysfs_root", "cgroup_parent",
    "security_module", "policy", "labels", "enforcing",
    "max_connections_per_uid", "client_timeout_ms", "console_log_max_bytes", NULL,
};

static void warn_cb(void *ctx, const char *msg)
{
    log_warn("%s", msg);
}

static int set_str(const struct skiff_cfg *cfg, const char *key, char **field, const char *path)
{
    const struct skiff_cfg_entry *e = skiff_cfg_get(cfg, key);
    if (e == NULL)
        return 0;
    const char *v = skiff_cfg_string(cfg, key);
    if (v == NULL) {
        log_err("%s:%d: %s must be a string", path, e->line, key);
        return -EINVAL;
    }
    char *copy = strdup(v);
    if (copy == NULL)
        return -ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

int conf_strv_add(char ***v, size_t *n, const char *s)
{
    char *copy = strdup(s);
    char **grown = copy ? realloc(*v, sizeof **v * (*n + 1)) : NULL;
    if (grown == NULL) {
        free(copy);
        return -ENOMEM;
    }
    grown[(*n)++] = copy;
    *v = grown;
    return 0;
}

void conf_strv_free(char ***v, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
}

/* key = "one" or key = ["one", "two"]: replaces *v. */
static int set_strv(const struct skiff_cfg *cfg, const char *key, char ***v, size_t *n,
                    bool *given, const char *path)
{
    const struct skiff_cfg_entry *e = skiff_cfg_get(cfg, key);
    if (e == NULL)
        return 0;
    char **fresh = NULL;
    size_t nfresh = 0;
    const struct skiff_cfg_value *items = &e->value;
    size_t count = 1;
    if (e->value.type == SKIFF_CFG_LIST) {
        items = e->value.items;
        count = e->value.n_items;
    }
    for (size_t i = 0; i < count; i++) {
        if (items[i].type != SKIFF_CFG_STRING) {
            log_err("%s:%d: %s must be a string or a list of strings", path, e->line, key);
            conf_strv_free(&fresh, &nfresh);
            return -EINVAL;
        }
        if (conf_strv_add(&fresh, &nfresh, items[i].str) < 0) {
            conf_strv_free(&fresh, &nfresh);
            return -ENOMEM;
        }
    }
    conf_strv_free(v, n);
    *v = fresh;
    *n = nfresh;
    if (given != NULL)
        *given = true;
    return 0;
}

/* An optional integer key within [lo, hi]. */
static int set_uint(const struct skiff_cfg *cfg, const char *key, long long lo, long long hi,
                    uint32_t *field, const char *path)
{
    long long v;
    int rc = skiff_cfg_int(cfg, key, &v);
    if (rc == -ENOENT)
        return 0;
    if (rc < 0 || v < lo || v > hi) {
        log_err("%s: %s must be an integer from %lld to %lld", path, key, lo, hi);
        return -EINVAL;
    }
    *field = (uint32_t)v;
    return 0;
}

int conf_load(const char *path, bool required, struct hostd_conf *conf)
{
    struct skiff_cfg *cfg = NULL;
    struct skiff_cfg_error err = { 0 };
    int rc = skiff_cfg_parse_file(path, &cfg, &err);
    if (rc == -ENOENT && !required) {
        log_debug("no configuration file %s; using the defaults", path);
        return 0;
    }
    if (rc < 0) {
        char msg[600];
        skiff_cfg_error_format(&err, msg, sizeof msg);
        log_err("%s", msg[0] ? msg : strerror(-rc));
        return rc;
    }
    skiff_cfg_warn_unknown(cfg, known_keys, warn_cb, NULL);
    if ((rc = set_str(cfg, "state_dir", &conf->state_dir, path)) < 0 ||
        (rc = set_str(cfg, "listen_unix", &conf->listen_unix, path)) < 0 ||
        (rc = set_str(cfg, "monitor", &conf->monitor, path)) < 0 ||
        (rc = set_str(cfg, "group", &conf->group, path)) < 0 ||
        (rc = set_str(cfg, "metrics_listen", &conf->metrics_listen, path)) < 0 ||
        (rc = set_str(cfg, "security_module", &conf->security_module, path)) < 0 ||
        (rc = set_str(cfg, "policy", &conf->policy, path)) < 0 ||
        (rc = set_str(cfg, "labels", &conf->labels, path)) < 0 ||
        (rc = set_str(cfg, "tls_cert", &conf->tls_cert, path)) < 0 ||
        (rc = set_str(cfg, "tls_key", &conf->tls_key, path)) < 0 ||
        (rc = set_str(cfg, "tls_ca", &conf->tls_ca, path)) < 0 ||
        (rc = set_strv(cfg, "listen_tls", &conf->listen_tls, &conf->n_listen_tls, NULL,
                       path)) < 0 ||
        (rc = set_strv(cfg, "tls_allow", &conf->tls_allow, &conf->n_tls_allow,
                       &conf->tls_allow_set, path)) < 0 ||
        (rc = set_str(cfg, "sysfs_root", &conf->sysfs_root, path)) < 0 ||
        (rc = set_str(cfg, "cgroup_parent", &conf->cgroup_parent, path)) < 0)
        goto out;
    bool enforcing;
    rc = skiff_cfg_bool(cfg, "enforcing", &enforcing);
    if (rc == 0) {
        conf->enforcing = enforcing;
    } else if (rc != -ENOENT) {
        log_err("%s: enforcing must be 1 or 0", path);
        goto out;
    }
    rc = skiff_cfg_bool(cfg, "metrics_allow_remote", &conf->metrics_allow_remote);
    if (rc < 0 && rc != -ENOENT) {
        log_err("%s: metrics_allow_remote must be true or false", path);
        goto out;
    }
    if ((rc = set_uint(cfg, "max_connections_per_uid", 0, 1000000,
                       &conf->max_connections_per_uid, path)) < 0 ||
        (rc = set_uint(cfg, "client_timeout_ms", 100, 3600000, &conf->client_timeout_ms,
                       path)) < 0 ||
        (rc = set_uint(cfg, "console_log_max_bytes", 0, 1U << 30, &conf->console_log_max_bytes,
                       path)) < 0)
        goto out;
    if (conf->console_log_max_bytes != 0 && conf->console_log_max_bytes < 4096) {
        log_err("%s: console_log_max_bytes must be 0 (no cap) or at least 4096", path);
        rc = -EINVAL;
        goto out;
    }
    long long ms;
    rc = skiff_cfg_int(cfg, "tls_handshake_timeout_ms", &ms);
    if (rc == 0) {
        if (ms < 1 || ms > 600000) {
            log_err("%s: tls_handshake_timeout_ms must be 1-600000", path);
            rc = -EINVAL;
            goto out;
        }
        conf->tls_handshake_timeout_ms = (uint32_t)ms;
    } else if (rc != -ENOENT) {
        log_err("%s: tls_handshake_timeout_ms must be an integer", path);
        goto out;
    }
    rc = skiff_cfg_int(cfg, "migrate_timeout_ms", &ms);
    if (rc == 0) {
        if (ms < 1 || ms > 3600000) {
            log_err("%s: migrate_timeout_ms must be 1-3600000", path);
            rc = -EINVAL;
            goto out;
        }
        conf->migrate_timeout_ms = (uint32_t)ms;
    } else if (rc != -ENOENT) {
        log_err("%s: migrate_timeout_ms must be an integer", path);
        goto out;
    }
    rc = skiff_cfg_int(cfg, "shutdown_grace_ms", &ms);
    if (rc == 0) {
        if (ms < 1 || ms > 3600000) {
            log_err("%s: shutdown_grace_ms must be 1-3600000", path);
            rc = -EINVAL;
            goto out;
        }
        conf->shutdown_grace_ms = (uint32_t)ms;
    } else if (rc != -ENOENT) {
        log_err("%s: shutdown_grace_ms must be an integer", path);
        goto out;
    }
    rc = 0;
    const char *lvl = skiff_cfg_string(cfg, "log_level");
    if (lvl != NULL && log_parse_level(lvl, &conf->log_level) < 0) {
        log_err("%s: log_level must be error, warning, info or debug", path);
        rc = -EINVAL;
    }
out:
    skiff_cfg_free(cfg);
    return rc;
}

void conf_clear(struct hostd_conf *conf)
{
    free(conf->state_dir);
    free(conf->listen_unix);
    free(conf->monitor);
    free(conf->group);
    free(conf->metrics_listen);
    free(conf->security_module);
    free(conf->policy);
    free(conf->labels);
    conf_strv_free(&conf->listen_tls, &conf->n_listen_tls);
    free(conf->tls_cert);
    free(conf->tls_key);
    free(conf->tls_ca);
    conf_strv_free(&conf->tls_allow, &conf->n_tls_allow);
    free(conf->sysfs_root);
    free(conf->cgroup_parent);
    memset(conf, 0, sizeof *conf);
}
