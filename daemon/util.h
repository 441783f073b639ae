/* Small helpers hostd needs in several places: clocks, uuids, /proc, paths. */
#ifndef SKIFF_HOSTD_UTIL_H
#define SKIFF_HOSTD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

uint64_t now_realtime_ns(void);
uint64_t now_monotonic_ns(void);

/* A random (version 4) uuid in its 36-character text form. */
int uuid_generate(char out[37]);
/* 8-4-4-4-12 hex digits; accepts either case. */
bool uuid_valid(const char *s);

/* The start time of PID (/proc/PID/stat field 22, clock ticks since boot). */
/* Read /proc/PID/FILE into buf, NUL-terminated; its length or -errno. */
ssize_t proc_read(pid_t pid, const char *file, char *buf, size_t size);

int proc_start_time(pid_t pid, uint64_t *start);
/* PID exists and started at START (so it is the process recorded, not a reuse). */
bool proc_is(pid_t pid, uint64_t start);

/* mkdir -p with MODE for the directories it creates. */
int mkdir_p(const char *path, mode_t mode);

/* The last MAX bytes of a file as a NUL-terminated string (for error messages). */
char *file_tail(const char *path, size_t max);

/* printf into a malloc'd string; NULL when out of memory. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
