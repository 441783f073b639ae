/*
 * Disk and vif specs, in the style of xl's: a string of comma-separated
 * key=value parameters, e.g. 'target=/srv/a.img, vdev=storage' or
 * 'mac=00:16:3e:00:00:01, vdev=service0, bridge=br0'. Disks also take
 * positional parameters 'TARGET,FORMAT,VDEV'. A target= value runs up to
 * the next ", PARAM=" (or the end), so image paths may hold commas.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-priv.h"

#define VDEV_MAX 67             /* the manifest's name size, less the NUL */
#define IFNAME_MAX 15           /* IFNAMSIZ - 1 */
#define SECTOR_MIN 512
#define SECTOR_MAX 32768        /* what skiff-hv's block device takes */

/* What one spec is parsed for, and where to report. */
struct spec {
    const char *file;
    const struct skiff_cfg_value *at;
    char label[32];             /* "disk[3]" */
    struct skiff_cfg_error *err;
};

static int spec_msg(const struct spec *sp, const char *msg)
{
    cfg_error(sp->err, sp->file, sp->at->line, sp->at->col, "%s: %s", sp->label, msg);
    return -EINVAL;
}

/* fmt has one %s: arg, quoted for the message. */
static int spec_fail(const struct spec *sp, const char *fmt, const char *arg)
{
    char q[CFG_QUOTE_SIZE], quoted[CFG_QUOTE_SIZE + 2], msg[320];
    snprintf(quoted, sizeof quoted, "'%s'", cfg_quote(q, sizeof q, arg, CFG_QUOTE_MAX));
    snprintf(msg, sizeof msg, fmt, quoted);
    return spec_msg(sp, msg);
}

const char *cfg_path_problem(const char *path)
{
    size_t n = strnlen(path, CFG_PATH_MAX + 1);
    if (n == 0)
        return "path is empty";
    if (n > CFG_PATH_MAX)
        return "path too long (at most 4096 bytes)";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c < 0x20 || c == 0x7f)
            return "control character in path";
    }
    return NULL;
}

static int is_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int vdev_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > VDEV_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]))
            return 0;
    return 1;
}

/* Host interface names: conservative, and never taken for an option. */
static int ifname_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > IFNAME_MAX || !is_alnum(s[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
            return 0;
    return 1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* xx:xx:xx:xx:xx:xx, unicast, not all zero; lower-cased in place. */
static const char *mac_problem(char *s)
{
    if (strlen(s) != 17)
        return "mac %s is not six hex bytes separated by ':'";
    int zero = 1;
    for (int i = 0; i < 6; i++) {
        char *b = s + 3 * i;
        int hi = hexval(b[0]), lo = hexval(b[1]);
        if (hi < 0 || lo < 0 || (i < 5 && b[2] != ':'))
            return "mac %s is not six hex bytes separated by ':'";
        if (i == 0 && (lo & 1))
            return "mac %s is a multicast address";
        zero &= hi == 0 && lo == 0;
    }
    if (zero)
        return "mac %s is all zeros";
    for (char *p = s; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    return NULL;
}

static int sector_size(const struct spec *sp, const char *s, uint32_t *out)
{
    unsigned long v = 0;
    size_t n = strlen(s);
    int ok = n > 0 && n <= 5;
    for (size_t i = 0; ok && i < n; i++) {
        ok = s[i] >= '0' && s[i] <= '9';
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (!ok || v < SECTOR_MIN || v > SECTOR_MAX || (v & (v - 1)) != 0)
        return spec_fail(sp, "sector_size %s is not a power of two from 512 to 32768", s);
    *out = (uint32_t)v;
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Give *slot the value once; a second time is an error. */
static int take(const struct spec *sp, const char *name, char **slot, char *val)
{
    if (*slot != NULL) {
        char msg[64];
        snprintf(msg, sizeof msg, "%s given twice", name);
        return spec_msg(sp, msg);
    }
    *slot = val;
    return 0;
}

/* Used names, so that a manifest name is never attached twice. */
static int vdev_used(const Skiff__V1__DomainConfig *dc, const char *vdev)
{
    for (size_t i = 0; i < dc->n_disks; i++)
        if (strcmp(dc->disks[i]->vdev, vdev) == 0)
            return 1;
    for (size_t i = 0; i < dc->n_vifs; i++)
        if (strcmp(dc->vifs[i]->vdev, vdev) == 0)
            return 1;
    return 0;
}

/* A device's vdev: present, a legal manifest name, not taken. */
static int check_vdev(const struct spec *sp, const Skiff__V1__DomainConfig *dc,
                      const char *vdev)
{
    if (vdev == NULL)
        return spec_msg(sp, "vdev (the device's name in the manifest) is required");
    if (!vdev_ok(vdev))
        return spec_fail(sp, "vdev %s is not a valid device name (1 to 67 of A-Z a-z 0-9)",
                         vdev);
    if (vdev_used(dc, vdev))
        return spec_fail(sp, "vdev %s is used by another device", vdev);
    return 0;
}

static int set_string(char **field, const char *val)
{
    if (val == NULL || *val == '\0')
        return 0;          /* stays protobuf_c_empty_string */
    char *s = strdup(val);
    if (s == NULL)
        return -ENOMEM;
    *field = s;
    return 0;
}

/* After "target =" at the start of p (blanks allowed), or NULL. */
static char *target_rest(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncmp(p, "target", 6) != 0)
        return NULL;
    p += 6;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == '=' ? p + 1 : NULL;
}

/* Does s start with one of the disk parameters other than target, and '='? */
static int starts_param(const char *s)
{
    static const char *const names[] = { "vdev", "sector_size", "sector-size", "format" };
    while (*s == ' ' || *s == '\t')
        s++;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(s, names[i], n) != 0)
            continue;
        const char *q = s + n;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '=')
            return 1;
    }
    return 0;
}

/* A target's value runs to the first comma that starts another parameter,
 * else to the end: paths may hold commas. Returns that comma or NULL. */
static char *target_end(char *value)
{
    for (char *c = strchr(value, ','); c != NULL; c = strchr(c + 1, ','))
        if (starts_param(c + 1))
            return c;
    return NULL;
}

static int disk_from_spec(const struct spec *sp, char *spec, Skiff__V1__DomainConfig *dc)
{
    char *target = NULL, *vdev = NULL, *format = NULL, *sector = NULL;
    int positional = 0, rc;
    char *p = spec;
    while (p != NULL) {
        char *rest = target_rest(p);
        if (rest != NULL) {
            char *end = target_end(rest);
            if (end != NULL)
                *end = '\0';
            if ((rc = take(sp, "target", &target, trim(rest))) < 0)
                return rc;
            p = end ? end + 1 : NULL;
            continue;
        }
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        char *item = trim(p), *next = comma ? comma + 1 : NULL;
        char *eq = strchr(item, '=');
        if (eq == NULL) {
            if (positional >= 3)
                return spec_msg(sp, "too many positional parameters (TARGET,FORMAT,VDEV)");
            char **slots[] = { &target, &format, &vdev };
            static const char *const names[] = { "target", "format", "vdev" };
            if (*item != '\0' && (rc = take(sp, names[positional], slots[positional], item)) < 0)
                return rc;
            positional++;
            p = next;
            continue;
        }
        *eq = '\0';
        char *key = trim(item), *val = trim(eq + 1);
        if (strcmp(key, "vdev") == 0) {
            rc = take(sp, "vdev", &vdev, val);
        } else if (strcmp(key, "sector_size") == 0 || strcmp(key, "sector-size") == 0) {
            rc = take(sp, "sector_size", &sector, val);
        } else if (strcmp(key, "format") == 0) {
            rc = take(sp, "format", &format, val);
        } else {
            return spec_fail(sp,
                             "unknown parameter %s (expected target, vdev, sector_size or format)",
                             key);
        }
        if (rc < 0)
            return rc;
        p = next;
    }
    if (format != NULL && *format != '\0' && strcmp(format, "raw") != 0)
        return spec_fail(sp, "format %s is not supported (only raw images are)", format);
    if (target == NULL)
        return spec_msg(sp, "target (the image's path) is required");
    const char *why = cfg_path_problem(target);
    if (why != NULL) {
        char msg[64];
        snprintf(msg, sizeof msg, "target: %s", why);
        return spec_msg(sp, msg);
    }
    if ((rc = check_vdev(sp, dc, vdev)) < 0)
        return rc;
    uint32_t ss = 0;
    if (sector != NULL && (rc = sector_size(sp, sector, &ss)) < 0)
        return rc;

    Skiff__V1__Disk **arr = realloc(dc->disks, (dc->n_disks + 1) * sizeof *arr);
    if (arr == NULL)
        return -ENOMEM;
    dc->disks = arr;
    Skiff__V1__Disk *d = malloc(sizeof *d);
    if (d == NULL)
        return -ENOMEM;
    *d = (Skiff__V1__Disk)SKIFF__V1__DISK__INIT;
    dc->disks[dc->n_disks++] = d;      /* owned by dc from here on */
    d->sector_size = ss;
    if (set_string(&d->target, target) < 0 || set_string(&d->vdev, vdev) < 0)
        return -ENOMEM;
    return 0;
}

static int vif_from_spec(const struct spec *sp, char *spec, Skiff__V1__DomainConfig *dc)
{
    char *mac = NULL, *vdev = NULL, *bridge = NULL, *tap = NULL;
    int rc;
    for (char *p = spec; p != NULL;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        char *item = trim(p);
        p = comma ? comma + 1 : NULL;
        if (*item == '\0')
            continue;
        char *eq = strchr(item, '=');
        if (eq == NULL)
            return spec_fail(sp, "expected key=value, got %s", item);
        *eq = '\0';
        char *key = trim(item), *val = trim(eq + 1);
        if (strcmp(key, "mac") == 0)
            rc = take(sp, "mac", &mac, val);
        else if (strcmp(key, "vdev") == 0)
            rc = take(sp, "vdev", &vdev, val);
        else if (strcmp(key, "bridge") == 0)
            rc = take(sp, "bridge", &bridge, val);
        else if (strcmp(key, "tap") == 0)
            rc = take(sp, "tap", &tap, val);
        else
            return spec_fail(sp, "unknown parameter %s (expected mac, vdev, bridge or tap)",
                             key);
        if (rc < 0)
            return rc;
    }
    if ((rc = check_vdev(sp, dc, vdev)) < 0)
        return rc;
    const char *why = mac ? mac_problem(mac) : NULL;
    if (why != NULL)
        return spec_fail(sp, why, mac);
    if (bridge != NULL && tap != NULL)
        return spec_msg(sp, "give either bridge= or tap=, not both");
    if (bridge == NULL && tap == NULL)
        return spec_msg(sp, "give bridge= (a bridge to add a new tap to) or tap= "
                            "(an existing tap)");
    const char *ifname = bridge ? bridge : tap;
    if (!ifname_ok(ifname))
        return spec_fail(sp, bridge ? "bridge %s is not a valid interface name"
                                    : "tap %s is not a valid interface name", ifname);

    Skiff__V1__Vif **arr = realloc(dc->vifs, (dc->n_vifs + 1) * sizeof *arr);
    if (arr == NULL)
        return -ENOMEM;
    dc->vifs = arr;
    Skiff__V1__Vif *v = malloc(sizeof *v);
    if (v == NULL)
        return -ENOMEM;
    *v = (Skiff__V1__Vif)SKIFF__V1__VIF__INIT;
    dc->vifs[dc->n_vifs++] = v;
    if (set_string(&v->vdev, vdev) < 0 || set_string(&v->mac, mac) < 0 ||
        set_string(&v->bridge, bridge) < 0 || set_string(&v->tap, tap) < 0)
        return -ENOMEM;
    return 0;
}

typedef int spec_fn(const struct spec *sp, char *spec, Skiff__V1__DomainConfig *dc);

static int add_devices(const struct skiff_cfg_entry *e, Skiff__V1__DomainConfig *dc,
                       struct skiff_cfg_error *err, spec_fn *fn, const char *what)
{
    const struct skiff_cfg_value *items = &e->value;
    size_t n = 1;
    if (e->value.type == SKIFF_CFG_LIST) {
        items = e->value.items;
        n = e->value.n_items;
    }
    for (size_t i = 0; i < n; i++) {
        struct spec sp = { .file = e->file, .at = &items[i], .err = err };
        snprintf(sp.label, sizeof sp.label, "%s[%zu]", e->key, i);
        if (items[i].type != SKIFF_CFG_STRING)
            return cfg_type_error(err, e->file, sp.label, &items[i], what);
        char *spec = strdup(items[i].str);
        if (spec == NULL)
            return -ENOMEM;
        int rc = fn(&sp, spec, dc);
        free(spec);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int cfg_add_disks(const struct skiff_cfg_entry *e, Skiff__V1__DomainConfig *dc,
                  struct skiff_cfg_error *err)
{
    return add_devices(e, dc, err, disk_from_spec, "a string (a disk spec)");
}

int cfg_add_vifs(const struct skiff_cfg_entry *e, Skiff__V1__DomainConfig *dc,
                 struct skiff_cfg_error *err)
{
    return add_devices(e, dc, err, vif_from_spec, "a string (a vif spec)");
}
