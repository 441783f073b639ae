/*
 * A hostd of this build for the benchmarks: started on a fresh temporary
 * state directory, stopped with every monitor it spawned, and the
 * directory removed, whatever happened in between.
 */
#ifndef SKIFF_BENCH_HOSTD_RUN_H
#define SKIFF_BENCH_HOSTD_RUN_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

struct bench_hostd {
    pid_t pid;                  /* hostd; 0 when not running */
    char dir[64];               /* ours: holds state/ and hostd.log */
    char state[96];             /* hostd's --state-dir */
    char uri[128];              /* its API socket, for skiff_connect */
};

/* Set by SIGINT/SIGTERM/SIGHUP (which also stop hostd): the drivers check
 * it between steps and go straight to bench_hostd_stop. */
extern volatile sig_atomic_t bench_interrupted;

/*
 * Make this process a child subreaper (monitors outlive hostd and would
 * otherwise go to init, out of our reach to reap), raise RLIMIT_NOFILE's
 * soft limit to at least nofile for hostd to inherit (it holds a socket
 * per monitor), and catch the signals above. 0 or -1 (reported).
 */
int bench_hostd_prepare(unsigned long nofile);

/*
 * Start hostd (foreground, its own process group, stdout and stderr to
 * DIR/hostd.log, SKIFF_HV=hv) and wait until its socket accepts a
 * connection. On failure the log is copied to stderr and everything is
 * undone. 0 or -1.
 */
int bench_hostd_start(const char *hostd, const char *hv, struct bench_hostd *h);
/* The same with conf_text as its hostd.conf. */
int bench_hostd_start_conf(const char *hostd, const char *hv, const char *conf_text,
                           struct bench_hostd *h);

/*
 * Stop hostd (SIGTERM, then SIGKILL), SIGKILL and reap every skiff-hv whose
 * control socket is under its state directory, and remove the directory.
 * Safe to call on a half-started or already stopped h.
 */
void bench_hostd_stop(struct bench_hostd *h);

/*
 * The pids of the running skiff-hv processes of h (found by their
 * --control= argument), at most max of them. Returns the count or -1.
 */
int bench_hostd_monitors(const struct bench_hostd *h, pid_t *pids, size_t max);

#endif
