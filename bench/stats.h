/* Order statistics over a run's samples. */
#ifndef SKIFF_BENCH_STATS_H
#define SKIFF_BENCH_STATS_H

#include <stddef.h>

/*
 * The p-th percentile (0..100) of v[0..n), interpolating between the two
 * nearest ranks. Sorts v in place; n must be at least 1.
 */
double bench_percentile(double *v, size_t n, double p);

static inline double bench_median(double *v, size_t n)
{
    return bench_percentile(v, n, 50.0);
}

#endif
