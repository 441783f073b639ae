/*
 * From a parsed skiff.cfg(5) to the API's DomainConfig: one handler per
 * key, each checking the value's type and range and saying what it wanted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-priv.h"

#define NAME_MAX_LEN 64
#define MEMORY_MAX_MB 4096
#define VCPUS_MAX 512
#define CMDLINE_MAX 8191        /* what skiff-hv passes to a guest */
#define SECLABEL_MAX 255
#define NAME_RULE "(1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter or digit)"

struct build {
    const struct skiff_cfg *cfg;
    Skiff__V1__DomainConfig *dc;
    struct skiff_cfg_error *err;
    skiff_cfg_warn_fn *warn;
    void *ctx;
};

/* "FILE:L:C: KEY: " + the message, at the entry's value. fmt has one %s
 * for arg, quoted, or is taken as it stands when arg is NULL. */
static int bad(const struct build *b, const struct skiff_cfg_entry *e, const char *fmt,
               const char *arg)
{
    char q[CFG_QUOTE_SIZE], quoted[CFG_QUOTE_SIZE + 2], msg[320];
    if (arg != NULL) {
        snprintf(quoted, sizeof quoted, "'%s'", cfg_quote(q, sizeof q, arg, CFG_QUOTE_MAX));
        snprintf(msg, sizeof msg, fmt, quoted);
    } else {
        snprintf(msg, sizeof msg, "%s", fmt);
    }
    cfg_error(b->err, e->file, e->value.line, e->value.col, "%s: %s", e->key, msg);
    return -EINVAL;
}

static void warn_at(const struct build *b, const struct skiff_cfg_entry *e, const char *msg)
{
    if (b->warn == NULL)
        return;
    char buf[512];
    snprintf(buf, sizeof buf, "%s:%d:%d: warning: %s", e->file, e->line, e->col, msg);
    b->warn(b->ctx, buf);
}

static int want(const struct build *b, const struct skiff_cfg_entry *e,
                enum skiff_cfg_type type, const char *what)
{
    if (e->value.type == type)
        return 0;
    return cfg_type_error(b->err, e->file, e->key, &e->value, what);
}

static int copy(char **field, const char *s)
{
    if (*s == '\0')
        return 0;       /* stays protobuf_c_empty_string */
    char *d = strdup(s);
    if (d == NULL)
        return -ENOMEM;
    *field = d;
    return 0;
}

static int range(const struct build *b, const struct skiff_cfg_entry *e, const char *what,
                 long long lo, long long hi, long long *out)
{
    int rc = want(b, e, SKIFF_CFG_INT, what);
    if (rc < 0)
        return rc;
    if (e->value.num < lo || e->value.num > hi) {
        cfg_error(b->err, e->file, e->value.line, e->value.col,
                  "%s: %lld is out of range (%lld to %lld)", e->key, e->value.num, lo, hi);
        return -EINVAL;
    }
    *out = e->value.num;
    return 0;
}

static int is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
}

static int name_ok(const char *s)
{
    size_t n = strnlen(s, NAME_MAX_LEN + 1);
    if (n == 0 || n > NAME_MAX_LEN || s[0] == '_' || s[0] == '.' || s[0] == '-')
        return 0;       /* never an option, never "." or ".." */
    for (size_t i = 0; i < n; i++)
        if (!is_name_char(s[i]))
            return 0;
    return 1;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int uuid_ok(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex(s[i]))
            return 0;
    }
    return 1;
}

static int key_name(struct build *b, const struct skiff_cfg_entry *e)
{
    int rc = want(b, e, SKIFF_CFG_STRING, "a string");
    if (rc < 0)
        return rc;
    const char *s = e->value.str;
    if (!name_ok(s))
        return bad(b, e, "%s is not a valid name " NAME_RULE, s);
    if (uuid_ok(s))
        return bad(b, e, "%s looks like a UUID, which would be ambiguous", s);
    return copy(&b->dc->name, s);
}

static int key_uuid(struct build *b, const struct skiff_cfg_entry *e)
{
    int rc = want(b, e, SKIFF_CFG_STRING, "a string (a UUID)");
    if (rc < 0)
        return rc;
    if (!uuid_ok(e->value.str))
        return bad(b, e, "%s is not a UUID (8-4-4-4-12 hex digits)", e->value.str);
    if ((rc = copy(&b->dc->uuid, e->value.str)) < 0)
        return rc;
    for (char *p = b->dc->uuid; *p; p++)    /* one spelling for comparisons */
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    return 0;
}

static int key_memory(struct build *b, const struct skiff_cfg_entry *e)
{
    long long v;
    int rc = range(b, e, "an integer (MiB)", 1, MEMORY_MAX_MB, &v);
    if (rc == 0)
        b->dc->memory_mb = (uint64_t)v;
    return rc;
}

static int key_vcpus(struct build *b, const struct skiff_cfg_entry *e)
{
    long long v;
    int rc = range(b, e, "an integer", 1, VCPUS_MAX, &v);
    if (rc == 0)
        b->dc->vcpus = (uint32_t)v;
    return rc;
}

static int key_kernel(struct build *b, const struct skiff_cfg_entry *e)
{
    int rc = want(b, e, SKIFF_CFG_STRING, "a string (the kernel's path)");
    if (rc < 0)
        return rc;
    const char *why = cfg_path_problem(e->value.str);
    if (why != NULL)
        return bad(b, e, why, NULL);
    return copy(&b->dc->kernel, e->value.str);
}

static int set_cmdline(struct build *b, const struct skiff_cfg_entry *e)
{
    int rc = want(b, e, SKIFF_CFG_STRING, "a string");
    if (rc < 0)
        return rc;
    const char *s = e->value.str;
    if (strlen(s) > CMDLINE_MAX) {
        cfg_error(b->err, e->file, e->value.line, e->value.col,
                  "%s: too long (at most %d bytes)", e->key, CMDLINE_MAX);
        return -EINVAL;
    }
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return bad(b, e, "control character in the command line", NULL);
    return copy(&b->dc->cmdline, s);
}

static int key_cmdline(struct build *b, const struct skiff_cfg_entry *e)
{
    return set_cmdline(b, e);
}

/* xl's older name for cmdline; cmdline wins when both are set. */
static int key_extra(struct build *b, const struct skiff_cfg_entry *e)
{
    if (skiff_cfg_get(b->cfg, "cmdline") != NULL) {
        warn_at(b, e, "ignoring 'extra' in favour of 'cmdline'");
        return 0;
    }
    return set_cmdline(b, e);
}

static int key_disk(struct build *b, const struct skiff_cfg_entry *e)
{
    if (e->value.type != SKIFF_CFG_LIST && e->value.type != SKIFF_CFG_STRING)
        return want(b, e, SKIFF_CFG_LIST, "a list of disk specs");
    return cfg_add_disks(e, b->dc, b->err);
}

static int key_vif(struct build *b, const struct skiff_cfg_entry *e)
{
    if (e->value.type != SKIFF_CFG_LIST && e->value.type != SKIFF_CFG_STRING)
        return want(b, e, SKIFF_CFG_LIST, "a list of vif specs");
    return cfg_add_vifs(e, b->dc, b->err);
}

static int action(struct build *b, const struct skiff_cfg_entry *e,
                  Skiff__V1__LifecycleAction *out)
{
    int rc = want(b, e, SKIFF_CFG_STRING, "a string (destroy, restart or preserve)");
    if (rc < 0)
        return rc;
    const char *s = e->value.str;
    if (strcmp(s, "destroy") == 0)
        *out = SKIFF__V1__LIFECYCLE_ACTION__DESTROY;
    else if (strcmp(s, "restart") == 0)
        *out = SKIFF__V1__LIFECYCLE_ACTION__RESTART;
    else if (strcmp(s, "preserve") == 0)
        *out = SKIFF__V1__LIFECYCLE_ACTION__PRESERVE;
    else if (strcmp(s, "rename-restart") == 0 || strcmp(s, "coredump-destroy") == 0 ||
             strcmp(s, "coredump-restart") == 0 || strcmp(s, "soft-reset") == 0)
        return bad(b, e, "%s is not supported; expected destroy, restart or preserve", s);
    else
        return bad(b, e, "unknown action %s; expected destroy, restart or preserve", s);
    return 0;
}

static int key_on_poweroff(struct build *b, const struct skiff_cfg_entry *e)
{
    return action(b, e, &b->dc->on_poweroff);
}

static int key_on_reboot(struct build *b, const struct skiff_cfg_entry *e)
{
    return action(b, e, &b->dc->on_reboot);
}

static int key_on_crash(struct build *b, const struct skiff_cfg_entry *e)
{
    return action(b, e, &b->dc->on_crash);
}

static int key_seclabel(struct build *b, const struct skiff_cfg_entry *e)
{
    int rc = want(b, e, SKIFF_CFG_STRING, "a string (a security label)");
    if (rc < 0)
        return rc;
    const char *s = e->value.str;
    if (strlen(s) > SECLABEL_MAX)
        return bad(b, e, "too long (at most 255 bytes)", NULL);
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return bad(b, e, "%s: only printable ASCII without blanks is allowed", s);
    return copy(&b->dc->seclabel, s);
}

static int key_pool(struct build *b, const struct skiff_cfg_entry *e)
{
    int rc = want(b, e, SKIFF_CFG_STRING, "a string (a pool name)");
    if (rc < 0)
        return rc;
    if (*e->value.str != '\0' && !name_ok(e->value.str))
        return bad(b, e, "%s is not a valid pool name " NAME_RULE, e->value.str);
    return copy(&b->dc->pool, e->value.str);
}

static int key_cpus(struct build *b, const struct skiff_cfg_entry *e)
{
    char *canon;
    int rc = cfg_cpus_value(e, &canon, b->err);
    if (rc < 0)
        return rc;
    rc = copy(strcmp(e->key, "cpus") == 0 ? &b->dc->cpus : &b->dc->cpus_soft, canon);
    free(canon);
    return rc;
}

static int key_weight(struct build *b, const struct skiff_cfg_entry *e)
{
    long long v;
    int rc = range(b, e, "an integer (the credit scheduler's weight)", 1, 65535, &v);
    if (rc == 0)
        b->dc->weight = (uint32_t)v;
    return rc;
}

static int key_cap(struct build *b, const struct skiff_cfg_entry *e)
{
    long long v;
    /* Percent of one CPU: a domain with N vCPUs can use up to N * 100. */
    int rc = range(b, e, "an integer (percent of one CPU, 0 = no cap)", 0, VCPUS_MAX * 100, &v);
    if (rc == 0)
        b->dc->cap = (uint32_t)v;
    return rc;
}

static int key_autostart(struct build *b, const struct skiff_cfg_entry *e)
{
    const struct skiff_cfg_value *v = &e->value;
    int on = -1;
    if ((v->type == SKIFF_CFG_BOOL || v->type == SKIFF_CFG_INT) && v->num >= 0 && v->num <= 1)
        on = (int)v->num;
    else if (v->type == SKIFF_CFG_STRING && strcmp(v->str, "true") == 0)
        on = 1;
    else if (v->type == SKIFF_CFG_STRING && strcmp(v->str, "false") == 0)
        on = 0;
    if (on < 0) {
        cfg_error(b->err, e->file, v->line, v->col, "%s: expected 0, 1, true or false",
                  e->key);
        return -EINVAL;
    }
    b->dc->autostart = on;
    return 0;
}

typedef int key_fn(struct build *b, const struct skiff_cfg_entry *e);

static const struct {
    const char *key;
    key_fn *fn;
} keys[] = {
    { "name", key_name },
    { "uuid", key_uuid },
    { "memory", key_memory },
    { "vcpus", key_vcpus },
    { "kernel", key_kernel },
    { "cmdline", key_cmdline },
    { "extra", key_extra },
    { "disk", key_disk },
    { "vif", key_vif },
    { "on_poweroff", key_on_poweroff },
    { "on_reboot", key_on_reboot },
    { "on_crash", key_on_crash },
    { "seclabel", key_seclabel },
    { "pool", key_pool },
    { "cpus", key_cpus },
    { "cpus_soft", key_cpus },
    { "weight", key_weight },
    { "cap", key_cap },
    { "autostart", key_autostart },
};

static int build(struct build *b)
{
    for (size_t i = 0; i < skiff_cfg_count(b->cfg); i++) {
        const struct skiff_cfg_entry *e = skiff_cfg_at(b->cfg, i);
        size_t k = 0;
        while (k < sizeof keys / sizeof keys[0] && strcmp(keys[k].key, e->key) != 0)
            k++;
        if (k == sizeof keys / sizeof keys[0]) {
            char msg[128];
            snprintf(msg, sizeof msg, "unknown key '%s'", e->key);
            warn_at(b, e, msg);
            continue;
        }
        int rc = keys[k].fn(b, e);
        if (rc < 0)
            return rc;
    }
    static const char *const required[] = { "name", "kernel" };
    for (size_t i = 0; i < 2; i++) {
        if (skiff_cfg_get(b->cfg, required[i]) == NULL) {
            cfg_error(b->err, b->cfg->file, 0, 0, "%s is required", required[i]);
            return -EINVAL;
        }
    }
    return 0;
}

int skiff_cfg_to_domain(const struct skiff_cfg *cfg, Skiff__V1__DomainConfig **out,
                        skiff_cfg_warn_fn *warn, void *ctx, struct skiff_cfg_error *err)
{
    *out = NULL;
    Skiff__V1__DomainConfig *dc = malloc(sizeof *dc);
    if (dc == NULL) {
        cfg_error(err, cfg->file, 0, 0, "out of memory");
        return -ENOMEM;
    }
    *dc = (Skiff__V1__DomainConfig)SKIFF__V1__DOMAIN_CONFIG__INIT;
    struct build b = { .cfg = cfg, .dc = dc, .err = err, .warn = warn, .ctx = ctx };
    int rc = build(&b);
    if (rc < 0) {
        if (rc == -ENOMEM)
            cfg_error(err, cfg->file, 0, 0, "out of memory");
        skiff_cfg_domain_free(dc);
        return rc;
    }
    *out = dc;
    return 0;
}
