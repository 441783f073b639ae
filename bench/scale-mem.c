/*
 * Section 4: what idle domains cost the host. Per domain: the PSS of its
 * skiff-hv (shared pages split among the monitors that share them) plus
 * its share of hostd's growth since the first domain; RSS the same way,
 * which counts shared pages in full. The kernel's own memory (KVM's
 * structures, page tables, thread stacks) is in neither, so its growth is
 * shown apart: it includes whatever else the host did meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostd-api.h"
#include "procmem.h"
#include "row.h"
#include "stats.h"

#define CPU_WINDOW_S 2

static double each_pss[API_MAX_DOMAINS], each_rss[API_MAX_DOMAINS];

static long kernel_kib(void)
{
    static const char *const keys[] = { "Slab:", "KernelStack:", "PageTables:",
                                        "SecPageTables:" };
    FILE *f = fopen("/proc/meminfo", "re");
    char line[256];
    long sum = 0;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            size_t len = strlen(keys[i]);
            if (strncmp(line, keys[i], len) == 0)
                sum += atol(line + len);
        }
    }
    fclose(f);
    return sum;
}

int api_baseline(const struct bench_hostd *h, struct api_baseline *b)
{
    struct bench_mem m;
    if (bench_proc_mem(h->pid, &m) < 0)
        return -1;
    b->hostd_pss_kib = m.pss_kib;
    b->hostd_rss_kib = m.rss_kib;
    b->kernel_kib = kernel_kib();
    return 0;
}

int api_memory_rows(const struct bench_hostd *h, const pid_t *pids, int n,
                    const struct api_baseline *b)
{
    long pss = 0, rss = 0;
    for (int i = 0; i < n; i++) {
        struct bench_mem m;
        if (bench_proc_mem(pids[i], &m) < 0)
            return -1;
        pss += m.pss_kib;
        rss += m.rss_kib;
        each_pss[i] = (double)m.pss_kib;
        each_rss[i] = (double)m.rss_kib;
    }
    struct bench_mem hm;
    if (bench_proc_mem(h->pid, &hm) < 0)
        return -1;
    long kernel = kernel_kib();
    long grow_pss = hm.pss_kib - b->hostd_pss_kib, grow_rss = hm.rss_kib - b->hostd_rss_kib;
    char name[160];
    snprintf(name, sizeof name, "memory/domain PSS, %d domains", n);
    bench_row(name, (double)(pss + grow_pss) / n, 0, "KiB", "<= 2048");
    snprintf(name, sizeof name, "memory/domain RSS, %d domains", n);
    bench_row(name, (double)(rss + grow_rss) / n, 0, "KiB", "");
    snprintf(name, sizeof name, "skiff-hv PSS median, %d domains", n);
    bench_row(name, bench_median(each_pss, (size_t)n), 0, "KiB", "");
    snprintf(name, sizeof name, "skiff-hv RSS median, %d domains", n);
    bench_row(name, bench_median(each_rss, (size_t)n), 0, "KiB", "");
    snprintf(name, sizeof name, "hostd PSS growth/domain, 0 to %d", n);
    bench_row(name, (double)grow_pss / n, 2, "KiB", "");
    snprintf(name, sizeof name, "hostd RSS, %d domains", n);
    bench_row(name, (double)hm.rss_kib, 0, "KiB", "");
    if (kernel >= 0 && b->kernel_kib >= 0) {
        snprintf(name, sizeof name, "kernel memory growth/domain, %d", n);
        bench_row(name, (double)(kernel - b->kernel_kib) / n, 0, "KiB", "");
    }
    return 0;
}

static int cpu_sum(const struct bench_hostd *h, const pid_t *pids, int n, double *sum)
{
    double t;
    if (bench_proc_cpu(h->pid, &t) < 0)
        return -1;
    *sum = t;
    for (int i = 0; i < n; i++) {
        if (bench_proc_cpu(pids[i], &t) < 0)
            return -1;
        *sum += t;
    }
    return 0;
}

int api_idle_cpu_row(const struct bench_hostd *h, const pid_t *pids, int n)
{
    double before, after;
    if (cpu_sum(h, pids, n, &before) < 0)
        return -1;
    sleep(CPU_WINDOW_S);
    if (cpu_sum(h, pids, n, &after) < 0)
        return -1;
    char name[160];
    snprintf(name, sizeof name, "idle CPU, hostd + %d monitors", n);
    bench_row(name, (after - before) / CPU_WINDOW_S * 100.0, 1, "%cpu", "");
    return 0;
}
