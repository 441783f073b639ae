/*
 * Fixed-size CPU sets and the kernel's cpulist text form ("0-3,6,8-9").
 * Pure logic with no allocation: hostd's topology, pools and placement
 * share it.
 */
#ifndef SKIFF_HOSTD_CPUSET_H
#define SKIFF_HOSTD_CPUSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPUSET_MAX 4096

struct cpuset {
    uint64_t bits[CPUSET_MAX / 64];
};

void cpuset_zero(struct cpuset *s);
/* CPUs >= CPUSET_MAX are ignored by set/clear and never members. */
void cpuset_set(struct cpuset *s, unsigned cpu);
void cpuset_clear(struct cpuset *s, unsigned cpu);
bool cpuset_has(const struct cpuset *s, unsigned cpu);
unsigned cpuset_count(const struct cpuset *s);
bool cpuset_empty(const struct cpuset *s);
bool cpuset_equal(const struct cpuset *a, const struct cpuset *b);
/* d may be a or b. */
void cpuset_and(struct cpuset *d, const struct cpuset *a, const struct cpuset *b);
void cpuset_or(struct cpuset *d, const struct cpuset *a, const struct cpuset *b);
/* d = a & ~b */
void cpuset_andnot(struct cpuset *d, const struct cpuset *a, const struct cpuset *b);
/* The next member >= from, or -1. */
int cpuset_next(const struct cpuset *s, unsigned from);

/*
 * The kernel's cpulist syntax: comma-separated CPUs and ranges "A-B"
 * (A <= B), blanks around items and a trailing newline allowed (sysfs files
 * end in one). The empty string is the empty set. Returns 0, -EINVAL on
 * bad syntax or -ERANGE for a CPU >= CPUSET_MAX; *s is only written on
 * success.
 */
int cpuset_parse(struct cpuset *s, const char *list);
/* Same, and on error *errpos (if not NULL) is the offset in list where it was found. */
int cpuset_parse_at(struct cpuset *s, const char *list, size_t *errpos);

/*
 * The kernel's cpulist format (ranges collapsed, "" for the empty set)
 * into buf, NUL-terminated; returns the length, or -ENOSPC when buf is
 * too small (buf then holds "" if len > 0).
 */
int cpuset_format(const struct cpuset *s, char *buf, size_t len);

#endif
