/*
 * The clock starts before fork and stops when waitpid returns, so a
 * start-up figure is everything a caller of the monitor waits for: fork,
 * exec, dynamic linking, KVM set-up, the guest, teardown and reaping.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* In the child: only async-signal-safe calls until exec. */
static void child(char *const argv[], int out_fd)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);   /* dup2 clears it */
    if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
        dup2(out_fd >= 0 ? out_fd : null, STDOUT_FILENO) < 0)
        _exit(126);
    execv(argv[0], argv);
    _exit(127);
}

/* Read stdout to EOF, noting when the first byte arrives. */
static void drain(int fd, double t0, struct bench_run *r)
{
    uint8_t buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        if (r->first_out_ns < 0)
            r->first_out_ns = now_ns() - t0;
        size_t keep = BENCH_OUT_MAX - r->out_len;
        if ((size_t)n < keep)
            keep = (size_t)n;
        memcpy(r->out + r->out_len, buf, keep);
        r->out_len += keep;
    }
}

int bench_spawn(char *const argv[], int capture, struct bench_run *r)
{
    int p[2] = { -1, -1 };
    *r = (struct bench_run){ .first_out_ns = -1 };
    if (capture && pipe2(p, O_CLOEXEC) < 0) {
        perror("bench: pipe");
        return -1;
    }
    double t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        if (capture) {
            close(p[0]);
            close(p[1]);
        }
        return -1;
    }
    if (pid == 0)
        child(argv, p[1]);
    if (capture) {
        close(p[1]);
        drain(p[0], t0, r);
        close(p[0]);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("bench: wait4");
            return -1;
        }
    }
    r->wall_ns = now_ns() - t0;
    r->maxrss_kib = ru.ru_maxrss;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return 0;
}

long bench_rss_floor(void)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        return -1;
    }
    if (pid == 0)
        _exit(0);
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("bench: wait4");
            return -1;
        }
    }
    return ru.ru_maxrss;
}

int bench_spawn_ok(char *const argv[], int capture, struct bench_run *r)
{
    if (bench_spawn(argv, capture, r) < 0)
        return -1;
    if (r->status != 0) {
        /* 127: exec failed; -1: killed by a signal. */
        fprintf(stderr, "bench:");
        for (char *const *a = argv; *a != NULL; a++)
            fprintf(stderr, " %s", *a);
        fprintf(stderr, ": exit status %d, expected 0\n", r->status);
        return -1;
    }
    return 0;
}
