/*
 * hostd: the Skiff management daemon. Options, state directory and lock,
 * daemonizing, signals, and the event loop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "console_log.h"
#include "conn.h"
#include "domain.h"
#include "daemon/host_topology.h"
#include "daemon/pool_state.h"
#include "hostd.h"
#include "log.h"
#include "metrics.h"
#include "monitor.h"
#include "server.h"
#include "tls_server.h"
#include "store.h"
#include "systemd.h"
#include "util.h"
#include "xsm.h"

#ifndef SKIFF_HV_PATH
#define SKIFF_HV_PATH "/usr/bin/skiff-hv"
#endif
#ifndef SKIFF_STATEDIR
#define SKIFF_STATEDIR "/var/lib/skiff"
#endif
#ifndef SKIFF_RUNDIR
#define SKIFF_RUNDIR "/run/skiff"
#endif
#ifndef SKIFF_SYSCONFDIR
#define SKIFF_SYSCONFDIR "/etc/skiff"
#endif

struct options {
    bool foreground;
    const char *state_dir, *config, *listen, *log_level, *metrics_listen;
    const char *tls_cert, *tls_key, *tls_ca;
    char **listen_tls, **tls_allow;       /* repeatable: replace hostd.conf's lists */
    size_t n_listen_tls, n_tls_allow;
    const char *sysfs_root, *cgroup_parent;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hostd [OPTIONS]\n"
            "The Skiff management daemon: serves the API, keeps domain state and\n"
            "supervises one skiff-hv monitor per running domain.\n"
            "\n"
            "  -f, --foreground        stay attached (for systemd and tests)\n"
            "  -s, --state-dir DIR     state directory (default %s); alone it is\n"
            "                          enough to run: DIR/hostd.db, DIR/hostd.sock\n"
            "  -c, --config FILE       configuration file (default %s/hostd.conf)\n"
            "  -l, --listen-unix PATH  API socket (default DIR/hostd.sock with\n"
            "                          --state-dir, else %s/hostd.sock)\n"
            "  -L, --log-level LEVEL   error, warning, info (default) or debug\n"
            "      --metrics-listen ADDR:PORT\n"
            "                          serve Prometheus metrics on http://ADDR:PORT/metrics\n"
            "                          (PORT alone: 127.0.0.1; port 0: any free port)\n"
            "      --listen-tls ADDR:PORT\n"
            "                          also serve remote clients over mutual TLS on\n"
            "                          ADDR:PORT or [ADDR6]:PORT (repeatable; port 0:\n"
            "                          any free port, see STATE_DIR/tls.ports)\n"
            "      --tls-cert FILE     hostd's certificate (default %s/pki/host.pem)\n"
            "      --tls-key FILE      its private key (default %s/pki/host-key.pem)\n"
            "      --tls-ca FILE       the CA clients' certificates must chain to\n"
            "                          (default %s/pki/ca.pem)\n"
            "      --tls-allow SUBJECT a client certificate subject that may connect,\n"
            "                          e.g. CN=alice,O=Skiff (repeatable; default: any\n"
            "                          certificate the CA signed)\n"
            "      --sysfs-root DIR    read the CPU/NUMA topology under DIR (default /sys)\n"
            "      --cgroup-parent NAME\n"
            "                          cgroup (under hostd's own) holding the domains'\n"
            "                          cgroups for weight and cap (default skiff)\n"
            "  -V, --version           show the version and exit\n"
            "  -h, --help              show this help and exit\n",
            SKIFF_STATEDIR, SKIFF_SYSCONFDIR, SKIFF_RUNDIR, SKIFF_SYSCONFDIR,
            SKIFF_SYSCONFDIR, SKIFF_SYSCONFDIR);
}

/* 0: run; 1: exit 0 (help/version); -1: usage error. */
static int parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        { "foreground", no_argument, NULL, 'f' },
        { "state-dir", required_argument, NULL, 's' },
        { "config", required_argument, NULL, 'c' },
        { "listen-unix", required_argument, NULL, 'l' },
        { "log-level", required_argument, NULL, 'L' },
        { "metrics-listen", required_argument, NULL, 'M' },
        { "listen-tls", required_argument, NULL, 'T' },
        { "tls-cert", required_argument, NULL, 'C' },
        { "tls-key", required_argument, NULL, 'K' },
        { "tls-ca", required_argument, NULL, 'A' },
        { "tls-allow", required_argument, NULL, 'W' },
        { "sysfs-root", required_argument, NULL, 'Y' },
        { "cgroup-parent", required_argument, NULL, 'G' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "fs:c:l:L:Vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': o->foreground = true; break;
        case 's': o->state_dir = optarg; break;
        case 'c': o->config = optarg; break;
        case 'l': o->listen = optarg; break;
        case 'L': o->log_level = optarg; break;
        case 'M': o->metrics_listen = optarg; break;
        case 'C': o->tls_cert = optarg; break;
        case 'K': o->tls_key = optarg; break;
        case 'A': o->tls_ca = optarg; break;
        case 'T':
        case 'W':
            if (conf_strv_add(c == 'T' ? &o->listen_tls : &o->tls_allow,
                              c == 'T' ? &o->n_listen_tls : &o->n_tls_allow, optarg) < 0) {
                fprintf(stderr, "hostd: out of memory\n");
                return -1;
            }
            break;
        case 'Y': o->sysfs_root = optarg; break;
        case 'G': o->cgroup_parent = optarg; break;
        case 'V': printf("%s\n", HOSTD_VERSION_STRING); return 1;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "hostd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return -1;
    }
    return 0;
}

static int replace(char **field, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return -ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

/* Defaults < hostd.conf < command line. */
static int configure(struct hostd *h, const struct options *o)
{
    struct hostd_conf *c = &h->conf;
    c->shutdown_grace_ms = DEFAULT_SHUTDOWN_GRACE_MS;
    c->max_connections_per_uid = DEFAULT_MAX_CONNECTIONS_PER_UID;
    c->client_timeout_ms = DEFAULT_CLIENT_TIMEOUT_MS;
    c->migrate_timeout_ms = DEFAULT_MIGRATE_TIMEOUT_MS;
    c->console_log_max_bytes = DEFAULT_CONSOLE_LOG_MAX;
    c->log_level = -1;
    c->enforcing = 1;
    h->config_path = o->config ? o->config : SKIFF_SYSCONFDIR "/hostd.conf";
    h->config_explicit = o->config != NULL;
    int rc = conf_load(h->config_path, h->config_explicit, c);
    if (rc < 0)
        return rc;
    if (o->log_level != NULL && log_parse_level(o->log_level, &c->log_level) < 0) {
        log_err("unknown log level '%s' (error, warning, info, debug)", o->log_level);
        return -EINVAL;
    }
    if (c->log_level >= 0)
        log_set_level(c->log_level);
    if (o->metrics_listen != NULL && replace(&c->metrics_listen, o->metrics_listen) < 0)
        return -ENOMEM;
    if ((o->tls_cert != NULL && replace(&c->tls_cert, o->tls_cert) < 0) ||
        (o->tls_key != NULL && replace(&c->tls_key, o->tls_key) < 0) ||
        (o->tls_ca != NULL && replace(&c->tls_ca, o->tls_ca) < 0))
        return -ENOMEM;
    if (o->n_listen_tls > 0) {
        conf_strv_free(&c->listen_tls, &c->n_listen_tls);
        for (size_t i = 0; i < o->n_listen_tls; i++)
            if (conf_strv_add(&c->listen_tls, &c->n_listen_tls, o->listen_tls[i]) < 0)
                return -ENOMEM;
    }
    if (o->n_tls_allow > 0) {
        conf_strv_free(&c->tls_allow, &c->n_tls_allow);
        c->tls_allow_set = true;
        for (size_t i = 0; i < o->n_tls_allow; i++)
            if (conf_strv_add(&c->tls_allow, &c->n_tls_allow, o->tls_allow[i]) < 0)
                return -ENOMEM;
    }
    if (o->sysfs_root != NULL && replace(&c->sysfs_root, o->sysfs_root) < 0)
        return -ENOMEM;
    if (o->cgroup_parent != NULL && replace(&c->cgroup_parent, o->cgroup_parent) < 0)
        return -ENOMEM;
    bool dir_given = o->state_dir != NULL || c->state_dir != NULL;
    if (o->state_dir != NULL && replace(&c->state_dir, o->state_dir) < 0)
        return -ENOMEM;
    if (c->state_dir == NULL && replace(&c->state_dir, SKIFF_STATEDIR) < 0)
        return -ENOMEM;
    /* The state directory made absolute (hostd changes to / when daemonized). */
    rc = mkdir_p(c->state_dir, 0700);
    if (rc < 0) {
        log_err("cannot create state directory %s: %s", c->state_dir, strerror(-rc));
        return rc;
    }
    char *abs = realpath(c->state_dir, NULL);
    if (abs == NULL) {
        log_err("state directory %s: %s", c->state_dir, strerror(errno));
        return -errno;
    }
    free(c->state_dir);
    c->state_dir = abs;
    if (o->listen != NULL) {
        if (replace(&c->listen_unix, o->listen) < 0)
            return -ENOMEM;
    } else if (c->listen_unix == NULL) {
        c->listen_unix = dir_given ? xasprintf("%s/hostd.sock", c->state_dir)
                                   : strdup(SKIFF_RUNDIR "/hostd.sock");
        if (c->listen_unix == NULL)
            return -ENOMEM;
    }
    if (c->listen_unix[0] != '/') {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd) == NULL)
            return -errno;
        char *p = xasprintf("%s/%s", cwd, c->listen_unix);
        if (p == NULL)
            return -ENOMEM;
        free(c->listen_unix);
        c->listen_unix = p;
    }
    if (c->monitor == NULL) {
        const char *env = getenv("SKIFF_HV");
        if (replace(&c->monitor, env && *env ? env : SKIFF_HV_PATH) < 0)
            return -ENOMEM;
    }
    if (access(c->monitor, X_OK) < 0)
        log_warn("monitor %s is not executable: %s (domains will not start)", c->monitor,
                 strerror(errno));
    return server_resolve_group(h);
}

/* One hostd per state directory: an exclusive flock held for our lifetime. */
static int take_lock(struct hostd *h)
{
    char *path = xasprintf("%s/hostd.lock", h->conf.state_dir);
    if (path == NULL)
        return -ENOMEM;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        int err = errno;
        log_err("cannot open %s: %s", path, strerror(err));
        free(path);
        return -err;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int err = errno;
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        if (n > 0)
            pid[strcspn(pid, "\n")] = '\0';
        if (err == EWOULDBLOCK)
            log_err("another hostd%s%s is already running on state directory %s",
                    n > 0 ? " (pid " : "", n > 0 ? strcat(pid, ")") : "", h->conf.state_dir);
        else
            log_err("cannot lock %s: %s", path, strerror(err));
        close(fd);
        free(path);
        return -EWOULDBLOCK;
    }
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
        log_warn("cannot write the pid to %s", path);
    free(path);
    h->lock_fd = fd;
    return 0;
}

void hostd_counts(struct hostd *h, unsigned *running, unsigned *defined)
{
    *running = *defined = 0;
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        if (domain_active(d))
            (*running)++;
        if (d->row.persistent)
            (*defined)++;
    }
}

void hostd_status_changed(struct hostd *h)
{
    unsigned running, defined;
    hostd_counts(h, &running, &defined);
    if ((int)running == h->status_running)
        return;
    h->status_running = (int)running;
    systemd_status("%u domain%s running", running, running == 1 ? "" : "s");
}

static void quit_cb(evutil_socket_t sig, short what, void *arg)
{
    struct hostd *h = arg;
    log_info("signal %d: stopping (running domains keep running)", (int)sig);
    h->quitting = true;
    event_base_loopbreak(h->base);
}

static void chld_cb(evutil_socket_t sig, short what, void *arg)
{
    monitor_reap_children(arg);
}

/* SIGHUP: re-read what can change at run time (log level, grace, group,
 * tls_allow unless given on the command line). */
static void hup_cb(evutil_socket_t sig, short what, void *arg)
{
    struct hostd *h = arg;
    struct hostd_conf fresh = { .shutdown_grace_ms = DEFAULT_SHUTDOWN_GRACE_MS,
                                .max_connections_per_uid = DEFAULT_MAX_CONNECTIONS_PER_UID,
                                .client_timeout_ms = DEFAULT_CLIENT_TIMEOUT_MS,
                                .log_level = -1 };
    if (conf_load(h->config_path, h->config_explicit, &fresh) < 0) {
        log_err("SIGHUP: %s not reloaded", h->config_path);
        conf_clear(&fresh);
        return;
    }
    h->conf.shutdown_grace_ms = fresh.shutdown_grace_ms;
    h->conf.max_connections_per_uid = fresh.max_connections_per_uid;
    h->conf.client_timeout_ms = fresh.client_timeout_ms;
    if (fresh.log_level >= 0)
        log_set_level(fresh.log_level);
    free(h->conf.group);
    h->conf.group = fresh.group;
    fresh.group = NULL;
    server_resolve_group(h);
    if (!h->tls_allow_from_args) {
        conf_strv_free(&h->conf.tls_allow, &h->conf.n_tls_allow);
        h->conf.tls_allow = fresh.tls_allow;
        h->conf.n_tls_allow = fresh.n_tls_allow;
        h->conf.tls_allow_set = fresh.tls_allow_set;
        fresh.tls_allow = NULL;
        fresh.n_tls_allow = 0;
    }
    conf_clear(&fresh);
    log_info("SIGHUP: configuration reloaded from %s", h->config_path);
}

static int setup_signals(struct hostd *h)
{
    static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
    event_callback_fn fns[] = { quit_cb, quit_cb, hup_cb, chld_cb };
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        h->sig_events[i] = evsignal_new(h->base, sigs[i], fns[i], h);
        if (h->sig_events[i] == NULL || evsignal_add(h->sig_events[i], NULL) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Fork; the parent returns only once the child is serving (or has failed),
 * so `hostd && skiff list` works. Returns the fd to report readiness on. */
static int daemonize(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0)
        return -errno;
    if (pid > 0) {
        close(p[1]);
        char c = 0;
        ssize_t n;
        do
            n = read(p[0], &c, 1);
        while (n < 0 && errno == EINTR);
        _exit(n == 1 && c == 'R' ? 0 : 1);
    }
    close(p[0]);
    setsid();
    return p[1];
}

/* Tell the waiting parent we serve; from now on log to DIR/hostd.log. */
static void detach_done(struct hostd *h, int fd)
{
    char *log = xasprintf("%s/hostd.log", h->conf.state_dir);
    int lfd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : -1;
    int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nfd >= 0) {
        dup2(nfd, 0);
        dup2(nfd, 1);
        dup2(lfd >= 0 ? lfd : nfd, 2);
        close(nfd);
    }
    if (lfd >= 0)
        close(lfd);
    free(log);
    if (chdir("/") < 0)
        log_warn("chdir /: %s", strerror(errno));
    if (write(fd, "R", 1) != 1)
        log_warn("cannot tell the parent we are ready");
    close(fd);
}

static void cleanup(struct hostd *h)
{
    server_stop(h);
    tls_server_stop(h);
    metrics_stop(h);
    console_log_stop(h);
    conn_close_all(h);
    domains_end_destroys(h);
    monitor_disconnect_all(h);
    domtab_free(h);
    cgroup_fini(&h->cgroup);
    pooltab_free(&h->pools);
    hosttopo_fini(h);
    xsm_fini(h);
    for (size_t i = 0; i < sizeof h->sig_events / sizeof h->sig_events[0]; i++) {
        if (h->sig_events[i] != NULL)
            event_free(h->sig_events[i]);
    }
    if (h->watchdog != NULL)
        event_free(h->watchdog);
    if (h->store != NULL)
        store_close(h->store);
    if (h->base != NULL)
        event_base_free(h->base);
    if (h->lock_fd >= 0)
        close(h->lock_fd);   /* releases the lock */
    conf_clear(&h->conf);
}

int main(int argc, char **argv)
{
    struct options o = { 0 };
    struct hostd hd = { .lock_fd = -1, .status_running = -1 };
    struct hostd *h = &hd;
    int ready_fd = -1, rc;

    log_init();
    rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        conf_strv_free(&o.listen_tls, &o.n_listen_tls);
        conf_strv_free(&o.tls_allow, &o.n_tls_allow);
        return rc > 0 ? 0 : 2;
    }
    list_init(&h->conns);
    list_init(&h->event_subs);
    list_init(&h->zombies);
    if (domtab_init(&h->domains) < 0) {
        log_err("out of memory");
        return 1;
    }
    h->tls_allow_from_args = o.n_tls_allow > 0;
    rc = configure(h, &o);
    conf_strv_free(&o.listen_tls, &o.n_listen_tls);
    conf_strv_free(&o.tls_allow, &o.n_tls_allow);
    if (rc < 0)
        goto fail;
    if (!o.foreground) {
        ready_fd = daemonize();
        if (ready_fd < 0) {
            log_err("cannot daemonize: %s", strerror(-ready_fd));
            goto fail;
        }
    }
    if (take_lock(h) < 0)
        goto fail;
    char *domains = xasprintf("%s/domains", h->conf.state_dir);
    rc = domains ? mkdir_p(domains, 0700) : -ENOMEM;
    free(domains);
    if (rc < 0) {
        log_err("cannot create %s/domains: %s", h->conf.state_dir, strerror(-rc));
        goto fail;
    }
    char *sockdir = strdup(h->conf.listen_unix);
    if (sockdir != NULL && strrchr(sockdir, '/') != sockdir) {
        *strrchr(sockdir, '/') = '\0';
        if (mkdir_p(sockdir, 0755) < 0)
            log_warn("cannot create %s: %s", sockdir, strerror(errno));
    }
    free(sockdir);
    rc = store_open(h->conf.state_dir, &h->store);
    if (rc < 0) {
        log_err("cannot open the store in %s: %s", h->conf.state_dir, strerror(-rc));
        goto fail;
    }
    h->base = event_base_new();
    if (h->base == NULL || setup_signals(h) < 0) {
        log_err("cannot set up the event loop");
        goto fail;
    }
    h->started_at_ns = now_realtime_ns();
    if (hosttopo_init(h) < 0 || pools_load(h) < 0)
        goto fail;
    cgroup_init(&h->cgroup, h->conf.cgroup_parent ? h->conf.cgroup_parent : "skiff");
    if (xsm_init(h) < 0)
        goto fail;
    if (domains_load(h) < 0)
        goto fail;
    if (metrics_start(h) < 0 || console_log_start(h) < 0)
        goto fail;
    if (server_listen(h) < 0)
        goto fail;
    if (tls_server_start(h) < 0)
        goto fail;
    systemd_watchdog_start(h);
    log_info("%s ready (state %s, monitor %s)", HOSTD_VERSION_STRING, h->conf.state_dir,
             h->conf.monitor);
    hostd_status_changed(h);
    systemd_ready(h);
    if (ready_fd >= 0)
        detach_done(h, ready_fd);
    domains_autostart(h);

    event_base_dispatch(h->base);

    systemd_stopping();
    log_info("stopped");
    cleanup(h);
    return 0;
fail:
    cleanup(h);
    return 1;
}
