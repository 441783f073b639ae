/*
 * Domain configuration files: parse FILE with the shared skiff.cfg parser,
 * apply KEY=VALUE overrides, and turn the result into libskiff's config.
 * Relative paths are made absolute here: hostd runs elsewhere and would
 * resolve them against its own directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config-file.h"    /* common/: skiff_cfg_*, the skiff.cfg parser */
#include "cli.h"

static void warn(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "skiff: %s\n", msg);
}

/* dst = path, made absolute against the current directory. */
static int absolute(const char *path, char **dst)
{
    if (path == NULL || *path == '\0' || path[0] == '/') {
        *dst = path != NULL ? strdup(path) : NULL;
        return path != NULL && *dst == NULL ? -ENOMEM : 0;
    }
    char *cwd = getcwd(NULL, 0);
    if (cwd == NULL)
        return -errno;
    const char *rel = path;
    while (strncmp(rel, "./", 2) == 0)
        rel += 2;
    int n = asprintf(dst, "%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/", rel);
    free(cwd);
    if (n < 0) {
        *dst = NULL;
        return -ENOMEM;
    }
    return 0;
}

int cli_absolute_path(const char *path, char **dst)
{
    return absolute(path, dst);
}

static int dup_str(const char *s, char **dst)
{
    /* The protocol's "" means unset: keep it NULL. */
    if (s == NULL || *s == '\0') {
        *dst = NULL;
        return 0;
    }
    *dst = strdup(s);
    return *dst == NULL ? -ENOMEM : 0;
}

static enum skiff_action action(Skiff__V1__LifecycleAction a)
{
    switch (a) {
    case SKIFF__V1__LIFECYCLE_ACTION__DESTROY: return SKIFF_ACTION_DESTROY;
    case SKIFF__V1__LIFECYCLE_ACTION__RESTART: return SKIFF_ACTION_RESTART;
    case SKIFF__V1__LIFECYCLE_ACTION__PRESERVE: return SKIFF_ACTION_PRESERVE;
    default: return SKIFF_ACTION_DEFAULT;
    }
}

/* The one bridge between the parser's protocol type and libskiff's. */
static int from_domain_config(const Skiff__V1__DomainConfig *dc, struct skiff_domain_config *c)
{
    int rc = 0;
    memset(c, 0, sizeof *c);
    rc |= dup_str(dc->name, &c->name);
    rc |= dup_str(dc->uuid, &c->uuid);
    c->memory_mb = dc->memory_mb;
    c->vcpus = dc->vcpus;
    if (dc->kernel != NULL && *dc->kernel)
        rc |= absolute(dc->kernel, &c->kernel);
    rc |= dup_str(dc->cmdline, &c->cmdline);
    if (dc->n_disks > 0) {
        if ((c->disks = calloc(dc->n_disks, sizeof *c->disks)) == NULL)
            rc = -ENOMEM;
        else
            c->n_disks = dc->n_disks;
        for (size_t i = 0; i < c->n_disks; i++) {
            rc |= absolute(dc->disks[i]->target, &c->disks[i].target);
            rc |= dup_str(dc->disks[i]->vdev, &c->disks[i].vdev);
            c->disks[i].sector_size = dc->disks[i]->sector_size;
        }
    }
    if (dc->n_vifs > 0) {
        if ((c->vifs = calloc(dc->n_vifs, sizeof *c->vifs)) == NULL)
            rc = -ENOMEM;
        else
            c->n_vifs = dc->n_vifs;
        for (size_t i = 0; i < c->n_vifs; i++) {
            rc |= dup_str(dc->vifs[i]->vdev, &c->vifs[i].vdev);
            rc |= dup_str(dc->vifs[i]->mac, &c->vifs[i].mac);
            rc |= dup_str(dc->vifs[i]->bridge, &c->vifs[i].bridge);
            rc |= dup_str(dc->vifs[i]->tap, &c->vifs[i].tap);
        }
    }
    c->on_poweroff = action(dc->on_poweroff);
    c->on_reboot = action(dc->on_reboot);
    c->on_crash = action(dc->on_crash);
    rc |= dup_str(dc->seclabel, &c->seclabel);
    rc |= dup_str(dc->pool, &c->pool);
    rc |= dup_str(dc->cpus, &c->cpus);
    rc |= dup_str(dc->cpus_soft, &c->cpus_soft);
    c->weight = dc->weight;
    c->cap = dc->cap;
    c->autostart = dc->autostart;
    if (rc != 0) {
        skiff_domain_config_clear(c);
        return -ENOMEM;
    }
    return 0;
}

static int cfg_fail(const struct skiff_cfg_error *e, int rc)
{
    char msg[600];
    if (rc == -ENOMEM) {
        fprintf(stderr, "skiff: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    skiff_cfg_error_format(e, msg, sizeof msg);
    fprintf(stderr, "skiff: %s\n", msg);
    return CLI_EXIT_FAIL;
}

int cli_load_config(const struct cli *cli, const char *file, char *const *overrides,
                    size_t n_overrides, struct skiff_domain_config *out)
{
    (void)cli;
    struct skiff_cfg_error e;
    struct skiff_cfg *cfg = NULL;
    memset(&e, 0, sizeof e);
    int rc = skiff_cfg_parse_file(file, &cfg, &e);
    if (rc < 0)
        return cfg_fail(&e, rc);
    for (size_t i = 0; i < n_overrides; i++) {
        if (strchr(overrides[i], '=') == NULL) {
            skiff_cfg_free(cfg);
            fprintf(stderr, "skiff: '%s': expected KEY=VALUE after the file name\n",
                    overrides[i]);
            return CLI_EXIT_USAGE;
        }
        rc = skiff_cfg_override(cfg, overrides[i], &e);
        if (rc < 0) {
            skiff_cfg_free(cfg);
            return cfg_fail(&e, rc);
        }
    }
    Skiff__V1__DomainConfig *dc = NULL;
    rc = skiff_cfg_to_domain(cfg, &dc, warn, NULL, &e);
    skiff_cfg_free(cfg);
    if (rc < 0)
        return cfg_fail(&e, rc);
    rc = from_domain_config(dc, out);
    skiff_cfg_domain_free(dc);
    if (rc < 0) {
        fprintf(stderr, "skiff: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

/* val as a skiff.cfg double-quoted string. */
static void quoted(const char *val)
{
    putchar('"');
    for (const char *p = val; *p; p++) {
        if (*p == '"' || *p == '\\')
            putchar('\\');
        putchar(*p);
    }
    putchar('"');
}

static void kv(const char *key, const char *val)
{
    if (val == NULL)
        return;
    printf("%s = ", key);
    quoted(val);
    putchar('\n');
}

/* One "k=v, ..." device spec item of a list. */
static void spec_item(char *buf, size_t len, const char *const *keys, const char *const *vals,
                      size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && off < len; i++)
        if (vals[i] != NULL && *vals[i])
            off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", off ? ", " : "", keys[i],
                                    vals[i]);
}

/* The configuration in skiff.cfg syntax (so it can be fed back), or JSON. */
void cli_print_config(const struct skiff_domain_config *c, bool json)
{
    if (json) {
        struct json j;
        json_init(&j, stdout);
        cli_json_config(&j, c);
        json_end(&j);
        return;
    }
    kv("name", c->name);
    kv("uuid", c->uuid);
    if (c->memory_mb)
        printf("memory = %llu\n", (unsigned long long)c->memory_mb);
    if (c->vcpus)
        printf("vcpus = %u\n", c->vcpus);
    kv("kernel", c->kernel);
    kv("cmdline", c->cmdline);
    char item[8192], num[16];
    if (c->n_disks > 0) {
        printf("disk = [ ");
        for (size_t i = 0; i < c->n_disks; i++) {
            const struct skiff_disk *d = &c->disks[i];
            snprintf(num, sizeof num, "%u", d->sector_size);
            /* target last: it takes the rest of the spec, commas included. */
            const char *keys[] = { "vdev", "sector_size", "target" };
            const char *vals[] = { d->vdev, d->sector_size ? num : NULL, d->target };
            spec_item(item, sizeof item, keys, vals, 3);
            quoted(item);
            printf("%s", i + 1 < c->n_disks ? ", " : " ]\n");
        }
    }
    if (c->n_vifs > 0) {
        printf("vif = [ ");
        for (size_t i = 0; i < c->n_vifs; i++) {
            const struct skiff_vif *v = &c->vifs[i];
            const char *keys[] = { "vdev", "mac", "bridge", "tap" };
            const char *vals[] = { v->vdev, v->mac, v->bridge, v->tap };
            spec_item(item, sizeof item, keys, vals, 4);
            quoted(item);
            printf("%s", i + 1 < c->n_vifs ? ", " : " ]\n");
        }
    }
    if (c->on_poweroff)
        kv("on_poweroff", skiff_action_name(c->on_poweroff));
    if (c->on_reboot)
        kv("on_reboot", skiff_action_name(c->on_reboot));
    if (c->on_crash)
        kv("on_crash", skiff_action_name(c->on_crash));
    kv("seclabel", c->seclabel);
    kv("pool", c->pool);
    kv("cpus", c->cpus);
    kv("cpus_soft", c->cpus_soft);
    if (c->weight)
        printf("weight = %u\n", c->weight);
    if (c->cap)
        printf("cap = %u\n", c->cap);
    if (c->autostart)
        printf("autostart = true\n");
}
