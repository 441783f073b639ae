/* Timed domain creation and destruction through libskiff. */
#ifndef SKIFF_BENCH_DOMAINS_H
#define SKIFF_BENCH_DOMAINS_H

#include <stddef.h>

#include <skiff/skiff.h>

#define BENCH_GUEST_MB 16

double bench_now_ns(void);

/*
 * skiff_create of a transient domain named name running kernel (absolute
 * path) with BENCH_GUEST_MB and no arguments; *ns is the time until the
 * call returned, which must be with the domain RUNNING. 0 or -1 (reported).
 */
int bench_create(struct skiff_conn *c, const char *name, const char *kernel, double *ns);

/* skiff_destroy, timed. 0 or -1 (reported). */
int bench_destroy(struct skiff_conn *c, const char *name, double *ns);

/*
 * runs times: create NAME-i, then destroy it; create_ns[i] and
 * destroy_ns[i] get the times (either may be NULL). 0 or -1.
 */
int bench_create_cycles(struct skiff_conn *c, const char *prefix, const char *kernel,
                        size_t runs, double *create_ns, double *destroy_ns);

/*
 * Create PREFIX-0 .. PREFIX-(n-1), times[i] getting each one's time, or
 * destroy them. Stop at the first failure (reported). 0 or -1.
 */
int bench_create_many(struct skiff_conn *c, const char *prefix, const char *kernel, long n,
                      double *times);
int bench_destroy_many(struct skiff_conn *c, const char *prefix, long n);

#endif
