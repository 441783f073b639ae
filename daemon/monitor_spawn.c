/*
 * Spawning skiff-hv for a domain: its command line from the domain's
 * config, its own session (it must outlive hostd), stdin from /dev/null,
 * stdout and stderr to DIR/domains/UUID/monitor.log, no other fd.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/numa_place.h"
#include "daemon/vcpu_affinity.h"
#include "console_log.h"
#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "monitor.h"
#include "util.h"

extern char **environ;

struct argv {
    char **v;
    size_t n, cap;
    bool failed;
};

static void push(struct argv *a, char *s)
{
    if (s == NULL) {
        a->failed = true;
        return;
    }
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        char **v = realloc(a->v, cap * sizeof *v);
        if (v == NULL) {
            free(s);
            a->failed = true;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

static void argv_free(struct argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
}

/* The guest's command line goes to skiff-hv as words; it joins them with spaces. */
static void push_words(struct argv *a, const char *cmdline)
{
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (*p == '\0')
            break;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        push(a, strndup(start, (size_t)(p - start)));
    }
}

/* vCPUs, their initial affinity and guest RAM's NUMA policy. */
static void push_cpu_args(const struct domain *d, struct argv *a)
{
    if (d->cfg->vcpus > 1)
        push(a, xasprintf("--vcpus=%u", d->cfg->vcpus));
    char *cpus = vcpu_spawn_cpus(d);
    if (cpus != NULL) {
        push(a, xasprintf("--cpus=%s", cpus));
        free(cpus);
    }
    char *nodes = numa_mem_nodes(d);
    if (nodes != NULL) {
        push(a, xasprintf("--mem-nodes=%s", nodes));
        push(a, strdup("--mem-policy=preferred"));
        free(nodes);
    }
}

/* The monitor's control socket arrives as this fd (see listen_control). */
#define CONTROL_FD 3

static int build_argv(struct domain *d, const char *control, bool paused, struct argv *a)
{
    const Skiff__V1__DomainConfig *cfg = d->cfg;
    push(a, strdup(d->h->conf.monitor));
    /* The fd is what the monitor uses; the path tells ps(1) readers which
     * domain a monitor serves. */
    push(a, xasprintf("--control=%s", control));
    push(a, xasprintf("--control-fd=%d", CONTROL_FD));
    push(a, xasprintf("--mem=%llu", (unsigned long long)cfg->memory_mb));
    if (paused)
        push(a, strdup("--start-paused"));
    push_cpu_args(d, a);
    if (d->restore != NULL || d->incoming != NULL)
        push(a, strdup("--incoming"));  /* memory and state come from the snapshot */
    if (d->h->conf.console_log_max_bytes != 0)
        push(a, xasprintf("--log-max=%u", d->h->conf.console_log_max_bytes));
    for (size_t i = 0; i < cfg->n_disks; i++) {
        const Skiff__V1__Disk *dk = cfg->disks[i];
        push(a, xasprintf("--block:%s=%s", dk->vdev, dk->target));
        if (dk->sector_size != 0 && dk->sector_size != 512)
            push(a, xasprintf("--block-sector-size:%s=%u", dk->vdev, dk->sector_size));
    }
    for (size_t i = 0; i < cfg->n_vifs; i++) {
        const Skiff__V1__Vif *v = cfg->vifs[i];
        if (v->tap[0] == '\0')
            return -EOPNOTSUPP;
        push(a, xasprintf("--net:%s=%s", v->vdev, v->tap));
        if (v->mac[0] != '\0')
            push(a, xasprintf("--net-mac:%s=%s", v->vdev, v->mac));
    }
    push(a, strdup("--"));
    push(a, strdup(cfg->kernel));
    push_words(a, cfg->cmdline);
    return a->failed ? -ENOMEM : 0;
}

/*
 * hostd makes the monitor's listening socket itself and hands it over, the
 * way systemd socket activation does: it can connect at once, with no
 * polling for the socket to appear; the monitor answers once it is set up.
 */
static int listen_control(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path)
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    mode_t old = umask(0177);   /* 0600: hostd's user only */
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc < 0 || listen(fd, 4) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    return fd;
}

static int spawn(char **argv, int logfd, int controlfd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0)
        return -rc;
    rc = posix_spawnattr_init(&at);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -rc;
    }
    sigemptyset(&none);
    sigfillset(&all);
    /* Its own session: a terminal's or hostd's signals never reach it. Signal
     * dispositions hostd changed (SIGPIPE ignored) go back to their defaults. */
    if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
        (rc = posix_spawn_file_actions_adddup2(&fa, logfd, 1)) != 0 ||
        (rc = posix_spawn_file_actions_adddup2(&fa, logfd, 2)) != 0 ||
        (rc = posix_spawn_file_actions_adddup2(&fa, controlfd, CONTROL_FD)) != 0 ||
        (rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                                POSIX_SPAWN_SETSIGDEF)) != 0 ||
        (rc = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
        (rc = posix_spawnattr_setsigdefault(&at, &all)) != 0)
        goto out;
    /* Every other fd hostd holds is close-on-exec. */
    rc = posix_spawn(pid, argv[0], &fa, &at, argv, environ);
out:
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return -rc;
}

int monitor_spawn(struct domain *d, bool paused, struct monitor **out)
{
    char *dir = domain_path(d, NULL);
    char *control = domain_path(d, "control.sock");
    char *logpath = domain_path(d, "monitor.log");
    struct argv a = { 0 };
    int logfd = -1, controlfd = -1, rc;
    if (dir == NULL || control == NULL || logpath == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    rc = mkdir_p(dir, 0700);
    if (rc < 0) {
        log_err("domain %s: cannot create %s: %s", d->row.name, dir, strerror(-rc));
        goto out;
    }
    /* A socket left by a monitor that is gone would be mistaken for the new one. */
    unlink(control);
    /* A new run starts a new log; the last run's survives as monitor.log.1. */
    if (d->h->conf.console_log_max_bytes != 0 && console_log_rotate(logpath, 1) < 0)
        log_warn("domain %s: cannot keep the previous %s", d->row.name, logpath);
    logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
    if (logfd < 0) {
        rc = -errno;
        log_err("domain %s: cannot open %s: %s", d->row.name, logpath, strerror(errno));
        goto out;
    }
    rc = build_argv(d, control, paused, &a);
    if (rc < 0)
        goto out;
    controlfd = listen_control(control);
    if (controlfd < 0) {
        rc = controlfd;
        log_err("domain %s: cannot create %s: %s", d->row.name, control, strerror(-rc));
        goto out;
    }
    if (log_get_level() >= LOG_DEBUG) {
        for (size_t i = 0; i < a.n; i++)
            log_debug("domain %s: argv[%zu] = %s", d->row.name, i, a.v[i]);
    }
    pid_t pid;
    rc = spawn(a.v, logfd, controlfd, &pid);
    if (rc < 0) {
        log_err("domain %s: cannot run %s: %s", d->row.name, a.v[0], strerror(-rc));
        goto out;
    }
    uint64_t start = 0;
    if (proc_start_time(pid, &start) < 0)
        log_warn("domain %s: cannot read the start time of pid %ld", d->row.name, (long)pid);
    log_info("domain %s: monitor started (pid %ld)", d->row.name, (long)pid);
    char why[400];
    int cg = cgroup_domain_enter(&d->h->cgroup, d->row.uuid, pid, d->cfg->weight, d->cfg->cap,
                                 why, sizeof why);
    if (cg < 0 && cg != -EOPNOTSUPP)
        log_warn("domain %s: weight and cap not applied: %s", d->row.name, why);
    free(d->row.control);
    d->row.control = control;   /* monitor_new connects to it */
    control = NULL;
    struct monitor *m = monitor_new(d, pid, start, true, MONITOR_CONNECT_TIMEOUT_S);
    if (m == NULL) {
        kill(pid, SIGKILL);
        rc = -ENOMEM;
        goto out;
    }
    *out = m;
out:
    if (logfd >= 0)
        close(logfd);
    if (controlfd >= 0)
        close(controlfd);   /* the monitor holds it now */
    argv_free(&a);
    free(dir);
    free(control);
    free(logpath);
    return rc;
}
