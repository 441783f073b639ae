/*
 * Save and restore times, through libskiff against a hostd of this
 * build: guests of 64 MiB, 1 GiB and 4 GiB with the same amount of memory
 * touched (the clocks test guest touches TOUCH_MIB), and a 64 MiB one
 * that touched nothing (hello-class, the target's case).
 *
 *   save      skiff_save, client side: fetch memory and state, write and
 *             fsync the file, destroy the domain (waits for the monitor)
 *   paused    hostd's own clock: the guest stopped until the file is safe
 *   restore   skiff_restore: spawn skiff-hv --incoming (KVM set-up),
 *             copy the saved chunks into its memfd, load the state, run
 *   start     skiff_create -p of the same guest: spawn and KVM set-up
 *             alone, so restore - start is restore's own cost
 *
 * usage: save-restore HOSTD SKIFF-HV CLOCKS.hvt DIR RUNS
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hostd-run.h"
#include "row.h"
#include "skiff/skiff.h"
#include "stats.h"

#define TOUCH_MIB "16"
#define MAX_RUNS 100

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int fail(const char *what, const struct skiff_error *err)
{
    fprintf(stderr, "save-restore: %s: %s\n", what, err->message);
    return -1;
}

static int create(struct skiff_conn *c, const char *kernel, uint64_t mb, const char *touch,
                  bool paused, struct skiff_error *err)
{
    struct skiff_domain_config cfg = { 0 };
    cfg.name = (char *)"sr";
    cfg.kernel = (char *)kernel;
    cfg.memory_mb = mb;
    cfg.cmdline = (char *)touch;
    struct skiff_domain_info info;
    if (skiff_create(c, &cfg, paused, &info, err) < 0)
        return -1;
    skiff_domain_info_clear(&info);
    return 0;
}

/* Until the guest has touched what it was asked to (its resident memory). */
static int wait_touched(struct skiff_conn *c, uint64_t bytes, struct skiff_error *err)
{
    for (int i = 0; i < 600; i++) {
        struct skiff_domain_info info;
        if (skiff_info(c, "sr", &info, err) < 0)
            return -1;
        uint64_t touched = info.memory_touched_bytes;
        skiff_domain_info_clear(&info);
        if (touched >= bytes)
            return 0;
        usleep(50000);
    }
    snprintf(err->message, sizeof err->message, "the guest did not touch its memory");
    return -1;
}

static double save_s[MAX_RUNS], paused_s[MAX_RUNS], restore_s[MAX_RUNS], start_s[MAX_RUNS];

static int measure(struct skiff_conn *c, const char *kernel, const char *dir, int runs,
                   uint64_t mb, const char *touch, const char *label, const char *save_target,
                   const char *restore_target, double *restore_median)
{
    char path[256], name[160];
    struct skiff_error err;
    snprintf(path, sizeof path, "%s/sr-%llu.snap", dir, (unsigned long long)mb);
    /* Spawn and KVM set-up alone, for comparison. */
    for (int i = 0; i < runs; i++) {
        double t0 = now_ns();
        if (create(c, kernel, mb, touch, true, &err) < 0)
            return fail("create -p", &err);
        start_s[i] = now_ns() - t0;
        if (skiff_destroy(c, "sr", &err) < 0)
            return fail("destroy", &err);
    }
    if (create(c, kernel, mb, touch, false, &err) < 0)
        return fail("create", &err);
    if (wait_touched(c, strcmp(touch, "") ? (uint64_t)atoi(touch) << 20 : 0, &err) < 0)
        return fail("wait", &err);
    for (int i = 0; i < runs && !bench_interrupted; i++) {
        struct skiff_save_result res;
        double t0 = now_ns();
        if (skiff_save(c, "sr", path, false, &res, &err) < 0)
            return fail("save", &err);
        double t1 = now_ns();
        struct skiff_domain_info info;
        if (skiff_restore(c, path, NULL, 0, false, &info, &err) < 0)
            return fail("restore", &err);
        double t2 = now_ns();
        skiff_domain_info_clear(&info);
        save_s[i] = t1 - t0;
        paused_s[i] = (double)res.paused_ns;
        restore_s[i] = t2 - t1;
    }
    if (skiff_destroy(c, "sr", &err) < 0)
        return fail("destroy", &err);
    unlink(path);
    size_t n = (size_t)runs;
    snprintf(name, sizeof name, "save median, %s", label);
    bench_row(name, bench_median(save_s, n) / 1e6, 2, "ms", save_target);
    snprintf(name, sizeof name, "save: guest paused (hostd), %s", label);
    bench_row(name, bench_median(paused_s, n) / 1e6, 2, "ms", "");
    snprintf(name, sizeof name, "restore median, %s", label);
    *restore_median = bench_median(restore_s, n);
    bench_row(name, *restore_median / 1e6, 2, "ms", restore_target);
    snprintf(name, sizeof name, "create -p median (spawn + KVM set-up), %s", label);
    bench_row(name, bench_median(start_s, n) / 1e6, 2, "ms", "");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 6 || atoi(argv[5]) < 1 || atoi(argv[5]) > MAX_RUNS) {
        fprintf(stderr, "usage: save-restore HOSTD SKIFF-HV CLOCKS.hvt DIR RUNS (1-%d)\n",
                MAX_RUNS);
        return 2;
    }
    unsetenv("LD_LIBRARY_PATH");
    const char *kernel = argv[3];
    char *abs_kernel = realpath(kernel, NULL), *abs_dir = realpath(argv[4], NULL);
    if (abs_kernel == NULL || abs_dir == NULL) {
        fprintf(stderr, "save-restore: %s or %s: %s\n", kernel, argv[4], strerror(errno));
        return 1;
    }
    int runs = atoi(argv[5]);
    if (bench_hostd_prepare(256) < 0)
        return 1;
    struct bench_hostd h;
    if (bench_hostd_start(argv[1], argv[2], &h) < 0)
        return 1;
    struct skiff_conn *c = NULL;
    struct skiff_error err;
    int rc = -1;
    double r64 = 0, r1g = 0, r4g = 0, rhello = 0;
    if (skiff_connect(h.uri, &c, &err) < 0)
        fprintf(stderr, "save-restore: skiff_connect %s: %s\n", h.uri, err.message);
    else if (measure(c, abs_kernel, abs_dir, runs, 64, "", "64 MiB hello-class", "<= 15",
                     "<= 10", &rhello) == 0 &&
             measure(c, abs_kernel, abs_dir, runs, 64, TOUCH_MIB, "64 MiB, 16 MiB touched", "",
                     "", &r64) == 0 &&
             measure(c, abs_kernel, abs_dir, runs, 1024, TOUCH_MIB, "1 GiB, 16 MiB touched",
                     "", "", &r1g) == 0 &&
             measure(c, abs_kernel, abs_dir, runs, 4096, TOUCH_MIB, "4 GiB, 16 MiB touched",
                     "", "", &r4g) == 0) {
        bench_row("restore 4 GiB / restore 64 MiB (16 MiB touched)", r4g / r64, 2, "x",
                  "<= 1.5");
        rc = 0;
    }
    skiff_close(c);
    bench_hostd_stop(&h);
    free(abs_kernel);
    free(abs_dir);
    return rc < 0 || bench_interrupted ? 1 : 0;
}
