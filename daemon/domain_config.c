/*
 * Validating and completing a domain's configuration before anything is
 * stored: a config in the store is always one the monitor can be given.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain.h"
#include "hvt_abi.h"
#include "hostd.h"
#include "util.h"

#define NAME_MAX_LEN 64
#define VDEV_MAX_LEN (MFT_NAME_SIZE - 1)
#define CMDLINE_MAX (HVT_CMDLINE_SIZE - 1)   /* the NUL takes the last byte */
#define MEMORY_MAX_MB 4096
#define DEFAULT_MEMORY_MB 64
#define VCPUS_MAX 512

#define E_INVALID SKIFF__V1__ERROR_CODE__INVALID
#define E_EXISTS SKIFF__V1__ERROR_CODE__EXISTS
#define E_UNSUPPORTED SKIFF__V1__ERROR_CODE__UNSUPPORTED
#define E_OK SKIFF__V1__ERROR_CODE__OK

bool config_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > NAME_MAX_LEN || !isalnum((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '-' && c != '_' && c != '.')
            return false;
    }
    /* A name that reads as a uuid would make references ambiguous. */
    return !uuid_valid(name);
}

static bool vdev_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > VDEV_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]))      /* the manifest's rule */
            return false;
    }
    return true;
}

static bool mac_valid(const char *s)
{
    unsigned b[6];
    char tail;
    if (strlen(s) != 17 ||
        sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
               &tail) != 6)
        return false;
    for (int i = 0; i < 17; i++) {
        if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return (b[0] & 1) == 0;   /* unicast */
}

/* A random, locally administered unicast MAC: stored, so stable for the domain. */
static char *random_mac(void)
{
    uint8_t b[6];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        return NULL;
    b[0] = (uint8_t)((b[0] & 0xfe) | 0x02);
    return xasprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

/* Replace a protobuf-c string field (malloc'd or the static empty string). */
static int set_string(char **field, char *value)
{
    if (value == NULL)
        return -ENOMEM;
    if (*field != NULL && *field != protobuf_c_empty_string)
        free(*field);
    *field = value;
    return 0;
}

static bool file_ok(const char *path, int mode, char *msg, size_t size, const char *what)
{
    struct stat st;
    if (path[0] != '/') {
        snprintf(msg, size, "%s '%s' must be an absolute path", what, path);
        return false;
    }
    if (stat(path, &st) < 0) {
        snprintf(msg, size, "%s '%s': %s", what, path, strerror(errno));
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(msg, size, "%s '%s' is a directory", what, path);
        return false;
    }
    if (access(path, mode) < 0) {
        snprintf(msg, size, "%s '%s' is not %s: %s", what, path,
                 mode & W_OK ? "readable and writable" : "readable", strerror(errno));
        return false;
    }
    return true;
}

Skiff__V1__LifecycleAction config_action(const Skiff__V1__DomainConfig *cfg, int which)
{
    /* which: 0 poweroff, 1 reboot, 2 crash; ACTION_UNSPECIFIED means the default. */
    Skiff__V1__LifecycleAction a = which == 0 ? cfg->on_poweroff
                                   : which == 1 ? cfg->on_reboot : cfg->on_crash;
    if (a != SKIFF__V1__LIFECYCLE_ACTION__ACTION_UNSPECIFIED)
        return a;
    return which == 1 ? SKIFF__V1__LIFECYCLE_ACTION__RESTART
                      : SKIFF__V1__LIFECYCLE_ACTION__DESTROY;
}

static bool action_valid(Skiff__V1__LifecycleAction a)
{
    return a >= SKIFF__V1__LIFECYCLE_ACTION__ACTION_UNSPECIFIED &&
           a <= SKIFF__V1__LIFECYCLE_ACTION__PRESERVE;
}

static bool vdev_taken(const Skiff__V1__DomainConfig *cfg, const char *vdev, size_t ndisk,
                       size_t nvif)
{
    for (size_t i = 0; i < ndisk; i++) {
        if (strcmp(cfg->disks[i]->vdev, vdev) == 0)
            return true;
    }
    for (size_t i = 0; i < nvif; i++) {
        if (strcmp(cfg->vifs[i]->vdev, vdev) == 0)
            return true;
    }
    return false;
}

Skiff__V1__ErrorCode config_check(struct hostd *h, Skiff__V1__DomainConfig *cfg,
                                  const struct domain *self, char *msg, size_t size)
{
    if (cfg == NULL) {
        snprintf(msg, size, "no domain configuration given");
        return E_INVALID;
    }
    if (!config_name_valid(cfg->name)) {
        snprintf(msg, size,
                 "invalid domain name '%s': use 1-%d letters, digits, '-', '_' or '.', "
                 "starting with a letter or digit (and not a uuid)",
                 cfg->name, NAME_MAX_LEN);
        return E_INVALID;
    }
    struct domain *other = domain_find_name(h, cfg->name);
    if (other != NULL && other != self) {
        snprintf(msg, size, "a domain named '%s' already exists (uuid %s)", cfg->name,
                 other->row.uuid);
        return E_EXISTS;
    }
    if (cfg->uuid[0] == '\0') {
        char uuid[37];
        if (uuid_generate(uuid) < 0) {
            snprintf(msg, size, "cannot generate a uuid: %s", strerror(errno));
            return SKIFF__V1__ERROR_CODE__INTERNAL;
        }
        if (set_string(&cfg->uuid, strdup(uuid)) < 0)
            goto nomem;
    } else if (!uuid_valid(cfg->uuid)) {
        snprintf(msg, size, "invalid uuid '%s' (want 8-4-4-4-12 hex digits)", cfg->uuid);
        return E_INVALID;
    }
    for (char *p = cfg->uuid; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    other = domain_find_uuid(h, cfg->uuid);
    if (other != NULL && other != self) {
        snprintf(msg, size, "uuid %s is already used by domain '%s'", cfg->uuid,
                 other->row.name);
        return E_EXISTS;
    }
    if (cfg->memory_mb == 0)
        cfg->memory_mb = DEFAULT_MEMORY_MB;
    if (cfg->memory_mb > MEMORY_MAX_MB) {
        snprintf(msg, size, "memory %llu MB is out of range (1-%d)",
                 (unsigned long long)cfg->memory_mb, MEMORY_MAX_MB);
        return E_INVALID;
    }
    if (cfg->vcpus == 0)
        cfg->vcpus = 1;
    if (cfg->vcpus > VCPUS_MAX) {
        snprintf(msg, size, "vcpus = %u is out of range (1-%d)", cfg->vcpus, VCPUS_MAX);
        return E_INVALID;
    }
    if (cfg->kernel[0] == '\0') {
        snprintf(msg, size, "no kernel given");
        return E_INVALID;
    }
    if (!file_ok(cfg->kernel, R_OK, msg, size, "kernel"))
        return E_INVALID;
    if (strlen(cfg->cmdline) > CMDLINE_MAX) {
        snprintf(msg, size, "command line longer than %d bytes", CMDLINE_MAX);
        return E_INVALID;
    }
    for (size_t i = 0; i < cfg->n_disks; i++) {
        Skiff__V1__Disk *dk = cfg->disks[i];
        if (!vdev_valid(dk->vdev)) {
            snprintf(msg, size, "disk %zu: invalid device name '%s' (1 to 67 letters and digits)",
                     i, dk->vdev);
            return E_INVALID;
        }
        if (vdev_taken(cfg, dk->vdev, i, 0)) {
            snprintf(msg, size, "device name '%s' is used twice", dk->vdev);
            return E_INVALID;
        }
        if (!file_ok(dk->target, R_OK | W_OK, msg, size, "disk"))
            return E_INVALID;
        if (dk->sector_size == 0)
            dk->sector_size = 512;
        if (dk->sector_size < 512 || dk->sector_size > 65536 ||
            (dk->sector_size & (dk->sector_size - 1)) != 0) {
            snprintf(msg, size, "disk %s: sector size %u is not a power of two in 512-65536",
                     dk->vdev, dk->sector_size);
            return E_INVALID;
        }
    }
    for (size_t i = 0; i < cfg->n_vifs; i++) {
        Skiff__V1__Vif *v = cfg->vifs[i];
        if (!vdev_valid(v->vdev)) {
            snprintf(msg, size, "vif %zu: invalid device name '%s' (1 to 67 letters and digits)", i,
                     v->vdev);
            return E_INVALID;
        }
        if (vdev_taken(cfg, v->vdev, cfg->n_disks, i)) {
            snprintf(msg, size, "device name '%s' is used twice", v->vdev);
            return E_INVALID;
        }
        if (v->bridge[0] != '\0') {
            snprintf(msg, size, "vif %s: bridge= is not supported yet; create a tap, add it "
                                "to the bridge and use tap=", v->vdev);
            return E_UNSUPPORTED;
        }
        if (v->tap[0] == '\0' || strlen(v->tap) >= 16 || strchr(v->tap, '/') != NULL) {
            snprintf(msg, size, "vif %s: needs tap=NAME (an existing tap interface)", v->vdev);
            return E_INVALID;
        }
        if (v->mac[0] == '\0') {
            if (set_string(&v->mac, random_mac()) < 0)
                goto nomem;
        } else if (!mac_valid(v->mac)) {
            snprintf(msg, size, "vif %s: invalid MAC address '%s'", v->vdev, v->mac);
            return E_INVALID;
        }
    }
    if (!action_valid(cfg->on_poweroff) || !action_valid(cfg->on_reboot) ||
        !action_valid(cfg->on_crash)) {
        snprintf(msg, size, "unknown on_poweroff/on_reboot/on_crash action");
        return E_INVALID;
    }
    /* Record the defaults, so `info` shows what will happen. */
    cfg->on_poweroff = config_action(cfg, 0);
    cfg->on_reboot = config_action(cfg, 1);
    cfg->on_crash = config_action(cfg, 2);
    return config_check_cpus(h, cfg, msg, size);
nomem:
    snprintf(msg, size, "out of memory");
    return SKIFF__V1__ERROR_CODE__INTERNAL;
}
