/* The CPU controller: see cgroup.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/cgroup.h"
#include "log.h"
#include "util.h"

uint32_t cgroup_v2_weight(uint32_t weight)
{
    uint64_t w = (uint64_t)weight * 10000 / SCHED_WEIGHT_MAX;
    return w < 1 ? 1 : (uint32_t)w;
}

uint32_t cgroup_v1_shares(uint32_t weight)
{
    uint64_t s = (uint64_t)weight * 1024 / SCHED_WEIGHT_DEFAULT;
    return s < 2 ? 2 : (uint32_t)s;   /* the kernel's minimum */
}

static bool has_word(const char *list, const char *word, char sep)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, sep);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == ' '))
            len--;
        if (len == n && strncmp(p, word, n) == 0)
            return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* hostd's own cgroup path in the hierarchy whose controllers (from
 * /proc/self/cgroup) include ctrl; "" for the v2 hierarchy. */
static char *own_path(const char *ctrl)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (f == NULL)
        return NULL;
    char line[4096], *found = NULL;
    while (found == NULL && fgets(line, sizeof line, f) != NULL) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        char *path = c2 + 1;
        path[strcspn(path, "\n")] = '\0';
        if (*ctrl ? has_word(c1 + 1, ctrl, ',') : c1[1] == '\0')
            found = strdup(path);
    }
    fclose(f);
    return found;
}

/* The mount point of the v1 hierarchy with the cpu controller, or of the
 * v2 hierarchy; its root within the hierarchy in *root. */
static char *find_mount(int version, char **root)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (f == NULL)
        return NULL;
    char line[4096], *found = NULL;
    *root = NULL;
    while (found == NULL && fgets(line, sizeof line, f) != NULL) {
        /* id parent maj:min root mountpoint options [optional...] - fstype source super */
        char *sep = strstr(line, " - ");
        if (sep == NULL)
            continue;
        char fstype[32], source[256], super[1024] = "", r[1024], mnt[1024];
        if (sscanf(sep + 3, "%31s %255s %1023s", fstype, source, super) < 2 ||
            sscanf(line, "%*s %*s %*s %1023s %1023s", r, mnt) != 2)
            continue;
        if (version == 1 ? strcmp(fstype, "cgroup") == 0 && has_word(super, "cpu", ',')
                         : strcmp(fstype, "cgroup2") == 0) {
            found = strdup(mnt);
            *root = strdup(r);
            if (found == NULL || *root == NULL) {
                free(found);
                free(*root);
                found = *root = NULL;
                break;
            }
        }
    }
    fclose(f);
    return found;
}

static int write_file(const char *dir, const char *file, const char *value)
{
    char *path = xasprintf("%s/%s", dir, file);
    if (path == NULL)
        return -ENOMEM;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return -errno;
    size_t n = strlen(value);
    ssize_t w = write(fd, value, n);
    int rc = w == (ssize_t)n ? 0 : w < 0 ? -errno : -EIO;
    close(fd);
    return rc;
}

/* The directory of the hierarchy where hostd's own cgroup is. */
static char *hierarchy_dir(int version)
{
    char *root = NULL, *mnt = find_mount(version, &root);
    char *own = mnt ? own_path(version == 1 ? "cpu" : "") : NULL;
    char *dir = NULL;
    if (own != NULL) {
        /* own is relative to the hierarchy's root; the mount shows `root` of it. */
        const char *rel = own;
        size_t rl = strlen(root);
        if (strcmp(root, "/") != 0 && strncmp(own, root, rl) == 0)
            rel = own + rl;
        dir = xasprintf("%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
    }
    free(mnt);
    free(root);
    free(own);
    return dir;
}

/* Use parent (taken over) as the domains' parent cgroup. */
static bool adopt(struct cgroup_ctl *cg, char *parent, int version)
{
    cg->parent = parent;
    cg->version = version;
    snprintf(cg->why, sizeof cg->why, "cgroup v%d cpu controller at %s", version, parent);
    return true;
}

static bool try_v2(struct cgroup_ctl *cg, const char *name)
{
    char *dir = hierarchy_dir(2);
    if (dir == NULL)
        return false;
    char *ctl = xasprintf("%s/cgroup.controllers", dir);
    char *have = ctl ? file_tail(ctl, 4096) : NULL;
    free(ctl);
    bool ok = have != NULL && has_word(have, "cpu", ' ');
    free(have);
    if (!ok) {
        free(dir);
        return false;
    }
    /* Children of dir may use cpu only once dir delegates it. */
    int rc = write_file(dir, "cgroup.subtree_control", "+cpu");
    char *parent = xasprintf("%s/%s", dir, name);
    free(dir);
    if (rc < 0 || parent == NULL || (mkdir(parent, 0755) < 0 && errno != EEXIST) ||
        write_file(parent, "cgroup.subtree_control", "+cpu") < 0) {
        free(parent);
        return false;
    }
    return adopt(cg, parent, 2);
}

static bool try_v1(struct cgroup_ctl *cg, const char *name)
{
    char *dir = hierarchy_dir(1);
    if (dir == NULL)
        return false;
    char *parent = xasprintf("%s/%s", dir, name);
    free(dir);
    if (parent == NULL || (mkdir(parent, 0755) < 0 && errno != EEXIST)) {
        if (parent != NULL)
            snprintf(cg->why, sizeof cg->why, "cannot create the cgroup %s: %s", parent,
                     strerror(errno));
        free(parent);
        return false;
    }
    return adopt(cg, parent, 1);
}

/* Domain cgroups left empty by monitors that ended while no hostd
 * watched (a cgroup with a process in it cannot be removed). */
static void prune(const struct cgroup_ctl *cg)
{
    DIR *dir = opendir(cg->parent);
    if (dir == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", cg->parent, de->d_name);
        if (path != NULL)
            rmdir(path);
        free(path);
    }
    closedir(dir);
}

void cgroup_init(struct cgroup_ctl *cg, const char *parent_name)
{
    cg->version = 0;
    cg->parent = NULL;
    snprintf(cg->why, sizeof cg->why,
             "no usable CPU controller: neither a cgroup v2 hierarchy with the cpu "
             "controller nor a cgroup v1 'cpu' hierarchy is mounted and writable");
    if (parent_name == NULL || *parent_name == '\0' || strchr(parent_name, '/') != NULL ||
        strcmp(parent_name, "..") == 0 || strcmp(parent_name, ".") == 0) {
        snprintf(cg->why, sizeof cg->why, "cgroup parent name '%s' is not usable",
                 parent_name ? parent_name : "");
        return;
    }
    if (try_v2(cg, parent_name) || try_v1(cg, parent_name)) {
        log_info("scheduling: %s", cg->why);
        prune(cg);
    }
    else
        log_warn("scheduling: %s; weight and cap are stored but not applied", cg->why);
}

void cgroup_fini(struct cgroup_ctl *cg)
{
    if (cg->parent != NULL)
        rmdir(cg->parent);   /* only when no domain cgroup is left */
    free(cg->parent);
    cg->parent = NULL;
    cg->version = 0;
}

static char *domain_dir(const struct cgroup_ctl *cg, const char *uuid)
{
    return xasprintf("%s/%s", cg->parent, uuid);
}

struct cg_write {
    const char *file;
    const char *value;
};

/* Write each value in turn; stop at the first that fails. */
static int write_all(const char *dir, const struct cg_write *w, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc >= 0; i++)
        rc = write_file(dir, w[i].file, w[i].value);
    return rc;
}

static int set_values(const struct cgroup_ctl *cg, const char *dir, uint32_t weight,
                      uint32_t cap, char *msg, size_t len)
{
    char w[32], m[64], q[64];
    int rc;
    if (weight == 0)
        weight = SCHED_WEIGHT_DEFAULT;
    if (cg->version == 2) {
        snprintf(w, sizeof w, "%u", cgroup_v2_weight(weight));
        if (cap)
            snprintf(m, sizeof m, "%llu %u", (unsigned long long)cap * 1000, SCHED_PERIOD_US);
        else
            snprintf(m, sizeof m, "max %u", SCHED_PERIOD_US);
        const struct cg_write v2[] = { { "cpu.weight", w }, { "cpu.max", m } };
        rc = write_all(dir, v2, sizeof v2 / sizeof v2[0]);
    } else {
        snprintf(w, sizeof w, "%u", cgroup_v1_shares(weight));
        snprintf(m, sizeof m, "%u", SCHED_PERIOD_US);
        if (cap)
            snprintf(q, sizeof q, "%llu", (unsigned long long)cap * 1000);
        else
            snprintf(q, sizeof q, "-1");
        const struct cg_write v1[] = {
            { "cpu.shares", w }, { "cpu.cfs_period_us", m }, { "cpu.cfs_quota_us", q } };
        rc = write_all(dir, v1, sizeof v1 / sizeof v1[0]);
    }
    if (rc < 0)
        snprintf(msg, len, "cannot set the CPU controller's values in %s: %s", dir,
                 strerror(-rc));
    return rc < 0 ? rc : 0;
}

/* The domain cgroup dir of uuid, or NULL with *rc set (no controller: msg says why). */
static char *usable_domain_dir(const struct cgroup_ctl *cg, const char *uuid, int *rc,
                               char *msg, size_t len)
{
    if (cg->version == 0) {
        snprintf(msg, len, "%s", cg->why);
        *rc = -EOPNOTSUPP;
        return NULL;
    }
    char *dir = domain_dir(cg, uuid);
    *rc = dir == NULL ? -ENOMEM : 0;
    return dir;
}

int cgroup_domain_enter(struct cgroup_ctl *cg, const char *uuid, pid_t pid, uint32_t weight,
                        uint32_t cap, char *msg, size_t len)
{
    int rc;
    char *dir = usable_domain_dir(cg, uuid, &rc, msg, len);
    if (dir == NULL)
        return rc;
    char pidbuf[32];
    snprintf(pidbuf, sizeof pidbuf, "%ld", (long)pid);
    int made = mkdir(dir, 0755);
    if (made < 0 && errno == ENOENT) {
        /* Another hostd sharing the parent removed it when it emptied. */
        if (mkdir(cg->parent, 0755) == 0 && cg->version == 2)
            write_file(cg->parent, "cgroup.subtree_control", "+cpu");
        made = mkdir(dir, 0755);
    }
    if (made < 0 && errno != EEXIST) {
        rc = -errno;
        snprintf(msg, len, "cannot create the cgroup %s: %s", dir, strerror(errno));
    } else if ((rc = set_values(cg, dir, weight, cap, msg, len)) == 0 &&
               (rc = write_file(dir, "cgroup.procs", pidbuf)) < 0) {
        snprintf(msg, len, "cannot move pid %ld into %s: %s", (long)pid, dir, strerror(-rc));
    }
    free(dir);
    return rc;
}

int cgroup_domain_set(struct cgroup_ctl *cg, const char *uuid, uint32_t weight, uint32_t cap,
                      char *msg, size_t len)
{
    int rc;
    char *dir = usable_domain_dir(cg, uuid, &rc, msg, len);
    if (dir == NULL)
        return rc;
    rc = set_values(cg, dir, weight, cap, msg, len);
    free(dir);
    return rc;
}

void cgroup_domain_remove(struct cgroup_ctl *cg, const char *uuid)
{
    if (cg->version == 0)
        return;
    char *dir = domain_dir(cg, uuid);
    if (dir != NULL && rmdir(dir) < 0 && errno != ENOENT && errno != EBUSY)
        log_warn("cannot remove the cgroup %s: %s", dir, strerror(errno));
    free(dir);
}
