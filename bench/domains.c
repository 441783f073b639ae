#include <stdio.h>
#include <time.h>

#include "domains.h"
#include "hostd-run.h"

double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int bench_create(struct skiff_conn *c, const char *name, const char *kernel, double *ns)
{
    struct skiff_domain_config cfg = {
        .name = (char *)name, .kernel = (char *)kernel, .memory_mb = BENCH_GUEST_MB,
    };
    struct skiff_domain_info info;
    struct skiff_error err;
    double t0 = bench_now_ns();
    int rc = skiff_create(c, &cfg, false, &info, &err);
    *ns = bench_now_ns() - t0;
    if (rc < 0) {
        fprintf(stderr, "bench: create %s: %s\n", name, err.message);
        return -1;
    }
    enum skiff_state state = info.state;
    skiff_domain_info_clear(&info);
    if (state != SKIFF_STATE_RUNNING) {
        fprintf(stderr, "bench: create %s returned in state %s, expected running\n", name,
                skiff_state_name(state));
        return -1;
    }
    return 0;
}

int bench_destroy(struct skiff_conn *c, const char *name, double *ns)
{
    struct skiff_error err;
    double t0 = bench_now_ns();
    int rc = skiff_destroy(c, name, &err);
    *ns = bench_now_ns() - t0;
    if (rc < 0) {
        fprintf(stderr, "bench: destroy %s: %s\n", name, err.message);
        return -1;
    }
    return 0;
}

int bench_create_cycles(struct skiff_conn *c, const char *prefix, const char *kernel,
                        size_t runs, double *create_ns, double *destroy_ns)
{
    for (size_t i = 0; i < runs && !bench_interrupted; i++) {
        char name[64];
        double t_create, t_destroy;
        snprintf(name, sizeof name, "%s-%zu", prefix, i);
        if (bench_create(c, name, kernel, &t_create) < 0)
            return -1;
        if (bench_destroy(c, name, &t_destroy) < 0)
            return -1;
        if (create_ns != NULL)
            create_ns[i] = t_create;
        if (destroy_ns != NULL)
            destroy_ns[i] = t_destroy;
    }
    return bench_interrupted ? -1 : 0;
}

int bench_create_many(struct skiff_conn *c, const char *prefix, const char *kernel, long n,
                      double *times)
{
    for (long i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s-%ld", prefix, i);
        if (bench_interrupted || bench_create(c, name, kernel, &times[i]) < 0) {
            fprintf(stderr, "bench: stopped after %ld of %ld domains\n", i, n);
            return -1;
        }
    }
    return 0;
}

int bench_destroy_many(struct skiff_conn *c, const char *prefix, long n)
{
    for (long i = 0; i < n; i++) {
        char name[64];
        double ns;
        snprintf(name, sizeof name, "%s-%ld", prefix, i);
        if (bench_destroy(c, name, &ns) < 0)
            return -1;
    }
    return 0;
}
