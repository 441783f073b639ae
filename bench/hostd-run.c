/*
 * Every process this file starts is known by pid: hostd as our child, its
 * monitors by the state directory in their --control= argument (they are
 * reparented to us, the subreaper, when hostd goes). Nothing is found or
 * killed by name.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <skiff/skiff.h>

#include "hostd-run.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS  5000
#define POLL_MS          5

volatile sig_atomic_t bench_interrupted;
static volatile pid_t running_hostd;    /* for the signal handler */

static void on_signal(int sig)
{
    (void)sig;
    bench_interrupted = 1;
    if (running_hostd > 0)
        kill(running_hostd, SIGTERM);   /* blocked calls on its socket fail at once */
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

int bench_hostd_prepare(unsigned long nofile)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        perror("bench: PR_SET_CHILD_SUBREAPER");
        return -1;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        perror("bench: getrlimit");
        return -1;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < nofile) {
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < nofile) {
            fprintf(stderr, "bench: RLIMIT_NOFILE hard limit %llu < %lu needed: "
                    "raise it or lower BENCH_DOMAINS\n",
                    (unsigned long long)rl.rlim_max, nofile);
            return -1;
        }
        rl.rlim_cur = nofile;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
            perror("bench: setrlimit RLIMIT_NOFILE");
            return -1;
        }
    }
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
        sigaction(SIGHUP, &sa, NULL) < 0) {
        perror("bench: sigaction");
        return -1;
    }
    return 0;
}

static void copy_log(const struct bench_hostd *h)
{
    char path[sizeof h->dir + 16], buf[4096];
    snprintf(path, sizeof path, "%s/hostd.log", h->dir);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    fprintf(stderr, "bench: --- %s ---\n", path);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fclose(f);
}

/* In the child: only async-signal-safe calls until exec. */
static void child(char *const argv[], int log_fd)
{
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
        dup2(log_fd, STDERR_FILENO) < 0 || setpgid(0, 0) < 0)
        _exit(126);
    execv(argv[0], argv);
    _exit(127);
}

static int spawn_hostd(const char *hostd, const char *conf_text, struct bench_hostd *h)
{
    char conf[sizeof h->dir + 16], log[sizeof h->dir + 16];
    snprintf(conf, sizeof conf, "%s/hostd.conf", h->dir);
    snprintf(log, sizeof log, "%s/hostd.log", h->dir);
    /* Only conf_text: nothing from the host's /etc leaks in. */
    int fd = open(conf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "bench: %s: %s\n", conf, strerror(errno));
        return -1;
    }
    size_t clen = strlen(conf_text);
    bool ok = write(fd, conf_text, clen) == (ssize_t)clen;
    close(fd);
    if (!ok) {
        fprintf(stderr, "bench: cannot write %s\n", conf);
        return -1;
    }
    int log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log_fd < 0) {
        fprintf(stderr, "bench: %s: %s\n", log, strerror(errno));
        return -1;
    }
    char *argv[] = { (char *)hostd, "--foreground", "--state-dir", h->state,
                     "--config", conf, NULL };
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        close(log_fd);
        return -1;
    }
    if (pid == 0)
        child(argv, log_fd);
    close(log_fd);
    h->pid = pid;
    running_hostd = pid;
    return 0;
}

/* Until a connection succeeds; fails early if hostd exits. */
static int wait_ready(struct bench_hostd *h)
{
    struct skiff_error err;
    for (long waited = 0; waited < START_TIMEOUT_MS && !bench_interrupted;
         waited += POLL_MS) {
        struct skiff_conn *c;
        if (skiff_connect(h->uri, &c, &err) == 0) {
            skiff_close(c);
            return 0;
        }
        int status;
        if (waitpid(h->pid, &status, WNOHANG) == h->pid) {
            fprintf(stderr, "bench: hostd exited at start-up (status 0x%x)\n", status);
            h->pid = 0;
            running_hostd = 0;
            return -1;
        }
        sleep_ms(POLL_MS);
    }
    fprintf(stderr, "bench: hostd did not accept connections on %s within %d ms: %s\n",
            h->uri, START_TIMEOUT_MS, err.message);
    return -1;
}

int bench_hostd_start(const char *hostd, const char *hv, struct bench_hostd *h)
{
    return bench_hostd_start_conf(hostd, hv, "", h);
}

int bench_hostd_start_conf(const char *hostd, const char *hv, const char *conf_text,
                           struct bench_hostd *h)
{
    *h = (struct bench_hostd){ .pid = 0 };
    /* /tmp rather than $TMPDIR: socket paths must stay under 108 bytes. */
    strcpy(h->dir, "/tmp/skiff-bench.XXXXXX");
    if (mkdtemp(h->dir) == NULL) {
        perror("bench: mkdtemp");
        h->dir[0] = '\0';
        return -1;
    }
    snprintf(h->state, sizeof h->state, "%s/state", h->dir);
    snprintf(h->uri, sizeof h->uri, "unix://%s/hostd.sock", h->state);
    if (setenv("SKIFF_HV", hv, 1) < 0) {
        perror("bench: setenv");
        bench_hostd_stop(h);
        return -1;
    }
    if (spawn_hostd(hostd, conf_text, h) < 0 || wait_ready(h) < 0) {
        copy_log(h);
        bench_hostd_stop(h);
        return -1;
    }
    return 0;
}

/* Wait for pid to end: reap it when it is our child, else watch it go. */
static int wait_gone(pid_t pid, long timeout_ms)
{
    for (long waited = 0; waited < timeout_ms; waited += POLL_MS) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 && errno == ECHILD && kill(pid, 0) < 0 && errno == ESRCH)
            return 0;
        sleep_ms(POLL_MS);
    }
    return -1;
}

static void stop_daemon(struct bench_hostd *h)
{
    if (h->pid <= 0)
        return;
    kill(h->pid, SIGTERM);
    if (wait_gone(h->pid, STOP_TIMEOUT_MS) < 0) {
        fprintf(stderr, "bench: hostd (pid %ld) ignored SIGTERM: killing it\n", (long)h->pid);
        kill(h->pid, SIGKILL);
        wait_gone(h->pid, STOP_TIMEOUT_MS);
    }
    h->pid = 0;
    running_hostd = 0;
}

/* Does /proc/PID/cmdline hold "--control=PREFIX..."? */
static int is_ours(const char *pid, const char *prefix)
{
    char path[64], buf[8192];
    snprintf(path, sizeof path, "/proc/%s/cmdline", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    size_t len = strlen(prefix);
    for (const char *a = buf; a < buf + n; a += strlen(a) + 1)
        if (strncmp(a, prefix, len) == 0)
            return 1;
    return 0;
}

int bench_hostd_monitors(const struct bench_hostd *h, pid_t *pids, size_t max)
{
    char prefix[sizeof h->state + 16];
    snprintf(prefix, sizeof prefix, "--control=%s/", h->state);
    DIR *d = opendir("/proc");
    if (d == NULL) {
        perror("bench: /proc");
        return -1;
    }
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        if (!isdigit((unsigned char)e->d_name[0]) || !is_ours(e->d_name, prefix))
            continue;
        pids[n++] = (pid_t)atol(e->d_name);
    }
    closedir(d);
    return (int)n;
}

static void kill_monitors(const struct bench_hostd *h)
{
    enum { BATCH = 1024 };
    static pid_t pids[BATCH];
    /* Batches, in case more are left than one scan returns. */
    for (int round = 0; round < 64; round++) {
        int n = bench_hostd_monitors(h, pids, BATCH);
        if (n <= 0)
            return;
        fprintf(stderr, "bench: killing %d monitor(s) left running\n", n);
        for (int i = 0; i < n; i++)
            kill(pids[i], SIGKILL);
        for (int i = 0; i < n; i++)
            wait_gone(pids[i], STOP_TIMEOUT_MS);
    }
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    if (remove(path) < 0 && errno != ENOENT)
        fprintf(stderr, "bench: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

void bench_hostd_stop(struct bench_hostd *h)
{
    stop_daemon(h);
    if (h->dir[0] == '\0')
        return;
    kill_monitors(h);
    /* Monitors hostd reaped late, or that died with it, may be zombies of ours. */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    nftw(h->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    h->dir[0] = '\0';
}
