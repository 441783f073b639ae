/* A running process's memory and CPU time, from /proc. */
#ifndef SKIFF_BENCH_PROCMEM_H
#define SKIFF_BENCH_PROCMEM_H

#include <sys/types.h>

struct bench_mem {
    long rss_kib;
    long pss_kib;   /* RSS with each shared page split among its sharers */
};

/* From /proc/PID/smaps_rollup. 0, or -1 (reported). */
int bench_proc_mem(pid_t pid, struct bench_mem *m);

/* User + system CPU time of all its threads so far, in seconds (clock-tick
 * resolution), from /proc/PID/stat. 0, or -1 (reported). */
int bench_proc_cpu(pid_t pid, double *seconds);

#endif
