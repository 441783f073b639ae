/* Run one monitor process and measure it from the outside. */
#ifndef SKIFF_BENCH_SPAWN_H
#define SKIFF_BENCH_SPAWN_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_OUT_MAX 64

struct bench_run {
    double wall_ns;             /* just before fork to waitpid's return */
    double first_out_ns;        /* just before fork to the first stdout byte; -1: none */
    long maxrss_kib;            /* the child's peak RSS, from wait4 */
    int status;                 /* exit status, or -1 when killed by a signal */
    size_t out_len;             /* stdout bytes kept (at most BENCH_OUT_MAX) */
    uint8_t out[BENCH_OUT_MAX];
};

/*
 * fork/exec argv[0] with stdin from /dev/null and stderr inherited. With
 * capture, stdout is a pipe read to EOF; otherwise it is /dev/null.
 * Returns 0, or -1 when the process could not be run (reported).
 */
int bench_spawn(char *const argv[], int capture, struct bench_run *r);

/*
 * ru_maxrss of a child that exits right after fork, without exec: the
 * floor under every bench_spawn figure, because Linux folds the peak of
 * the pre-exec copy of this process into the child's ru_maxrss. A
 * monitor's figure above the floor is its own peak exactly. -1: failed.
 */
long bench_rss_floor(void);

/* bench_spawn, then insist on exit status 0 (reported otherwise). */
int bench_spawn_ok(char *const argv[], int capture, struct bench_run *r);

#endif
