/*
 * pool-bench HOSTD SKIFF_HV MKTOPO KERNEL RUNS: CPU pool operations and
 * automatic NUMA placement on a synthetic 4095-CPU, 64-node host.
 *
 * A hostd of this build reads the tree (--sysfs-root). Through libskiff,
 * RUNS times each, timing every call from request to reply:
 *   cpupool-list (65 pools), -create, -rename, -cpu-add, -cpu-remove,
 *   -migrate, -destroy (each with node:N, 64 CPUs), and -numa-split (from
 *   one 4095-CPU pool to 64, undone between runs).
 * Placement: placement_choose (hostd's own code) on the tree read with
 * topology_read, with every node already carrying placed vCPUs; and
 * `create` of a domain hostd places, end to end (spawning its monitor).
 * Prints rows (bench/row.h): median and max in ms.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <skiff/skiff.h>

#include "daemon/placement.h"
#include "daemon/topology.h"
#include "hostd-run.h"
#include "row.h"
#include "stats.h"

#define MAX_RUNS 200
#define TARGET "<= 10"
#define NODES 64

enum op { L_LIST, L_CREATE, L_RENAME, L_ADD, L_REMOVE, L_MIGRATE, L_DESTROY, L_SPLIT,
          L_PLACE, L_CREATE_DOM, L_OPS };
static const char *const names[L_OPS] = {
    "list 65 pools", "create 64 CPUs", "rename", "cpu-add 64 CPUs", "cpu-remove 64 CPUs",
    "migrate", "destroy", "numa-split 64 nodes", "placement 64 nodes", "create+placement e2e",
};
static double samples[L_OPS][MAX_RUNS];
static unsigned nsamples[L_OPS];

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void record(enum op op, double t0)
{
    if (nsamples[op] < MAX_RUNS)
        samples[op][nsamples[op]++] = now_ms() - t0;
}

static int fail(const char *what, const struct skiff_error *err)
{
    fprintf(stderr, "pool-bench: %s: %s\n", what, err->message);
    return -1;
}

#define CALL(op, what, expr)                                                  \
    do {                                                                      \
        double t0_ = now_ms();                                                \
        if ((expr) < 0)                                                       \
            return fail(what, &err);                                          \
        record(op, t0_);                                                      \
    } while (0)

static int run_mktopo(const char *mktopo, const char *dir)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execl(mktopo, mktopo, dir, "--cpus", "4095", "--nodes", "64", (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "pool-bench: %s failed\n", mktopo);
        return -1;
    }
    return 0;
}

/* One round of the single-pool commands on node n (1..63). */
static int pool_round(struct skiff_conn *c, unsigned n)
{
    struct skiff_error err;
    char node[16], name[32], renamed[32];
    snprintf(node, sizeof node, "node:%u", n);
    snprintf(name, sizeof name, "bench%u", n);
    snprintf(renamed, sizeof renamed, "b%u", n);
    struct skiff_pool_config cfg = { name, node, "credit" };
    CALL(L_REMOVE, "cpu-remove", skiff_pool_cpu_remove(c, "Pool-0", node, &err));
    CALL(L_CREATE, "create", skiff_pool_create(c, &cfg, &err));
    CALL(L_RENAME, "rename", skiff_pool_rename(c, name, renamed, &err));
    CALL(L_MIGRATE, "migrate", skiff_pool_migrate(c, "benchdom", renamed, &err));
    CALL(L_MIGRATE, "migrate back", skiff_pool_migrate(c, "benchdom", "Pool-0", &err));
    struct skiff_pool_info *list;
    size_t count;
    CALL(L_LIST, "list", skiff_pool_list(c, NULL, &list, &count, &err));
    skiff_pool_list_free(list, count);
    CALL(L_REMOVE, "cpu-remove", skiff_pool_cpu_remove(c, renamed, node, &err));
    CALL(L_DESTROY, "destroy", skiff_pool_destroy(c, renamed, &err));
    CALL(L_ADD, "cpu-add", skiff_pool_cpu_add(c, "Pool-0", node, &err));
    return 0;
}

/* numa-split, then back to one Pool-0 (untimed). */
static int split_round(struct skiff_conn *c)
{
    struct skiff_error err;
    CALL(L_SPLIT, "numa-split", skiff_pool_numa_split(c, &err));
    struct skiff_pool_info *list;
    size_t count;
    CALL(L_LIST, "list", skiff_pool_list(c, NULL, &list, &count, &err));
    for (size_t i = 1; i < count; i++) {
        if (skiff_pool_destroy(c, list[i].name, &err) < 0 ||
            skiff_pool_cpu_add(c, list[0].name, list[i].cpus, &err) < 0) {
            skiff_pool_list_free(list, count);
            return fail("undoing numa-split", &err);
        }
    }
    int rc = skiff_pool_rename(c, list[0].name, "Pool-0", &err);
    skiff_pool_list_free(list, count);
    return rc < 0 ? fail("rename", &err) : 0;
}

static int placement_runs(const char *dir, unsigned runs)
{
    struct topology *t;
    char why[256];
    if (topology_read(dir, &t, why, sizeof why) < 0) {
        fprintf(stderr, "pool-bench: topology: %s\n", why);
        return -1;
    }
    struct placement_load load;
    srand(7);
    for (unsigned r = 0; r < runs; r++) {
        for (unsigned n = 0; n < NODES; n++)
            load.vcpus_on_node[n] = (unsigned)(rand() % 64);
        /* More memory than any node has free: a two-node set is needed. */
        struct placement_request rq = { .mem_bytes = t->nodes[0].mem_free + (1u << 20),
                                        .vcpus = 8, .pool_cpus = NULL };
        struct placement out;
        double t0 = now_ms();
        int rc = placement_choose(t, &rq, &load, &out, why, sizeof why);
        record(L_PLACE, t0);
        if (rc < 0) {
            fprintf(stderr, "pool-bench: placement: %s\n", why);
            topology_free(t);
            return -1;
        }
    }
    topology_free(t);
    return 0;
}

static int create_runs(struct skiff_conn *c, const char *kernel, unsigned runs)
{
    struct skiff_error err;
    for (unsigned r = 0; r < runs; r++) {
        struct skiff_domain_config cfg = { 0 };
        char name[32];
        snprintf(name, sizeof name, "placed%u", r);
        cfg.name = name;
        cfg.kernel = (char *)kernel;
        cfg.memory_mb = 16;
        struct skiff_domain_info info;
        CALL(L_CREATE_DOM, "create", skiff_create(c, &cfg, false, &info, &err));
        bool placed = info.numa_nodes != NULL && *info.numa_nodes;
        skiff_domain_info_clear(&info);
        if (!placed) {
            fprintf(stderr, "pool-bench: domain %s was not placed\n", name);
            return -1;
        }
        if (skiff_destroy(c, name, &err) < 0)
            return fail("destroy", &err);
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(path);
}

/* hostd removes its cgroup parent when it stops with it empty; this is
 * in case it could not (a monitor slow to go). */
static void rmdir_cgroups(const char *name)
{
    static const char *const roots[] = { "/sys/fs/cgroup/cpu", "/sys/fs/cgroup",
                                         "/sys/fs/cgroup/unified" };
    char path[256];
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", roots[i], name);
        DIR *d = opendir(path);
        if (d == NULL)
            continue;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            char sub[512];
            if (de->d_type != DT_DIR || de->d_name[0] == '.')
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
            rmdir(sub);   /* empty now that bench_hostd_stop reaped the monitors */
        }
        closedir(d);
        rmdir(path);
    }
}

static void rows(void)
{
    char name[96];
    for (int op = 0; op < L_OPS; op++) {
        unsigned n = nsamples[op];
        if (n == 0)
            continue;
        double max = 0;
        for (unsigned i = 0; i < n; i++)
            if (samples[op][i] > max)
                max = samples[op][i];
        bool e2e = op == L_CREATE_DOM;
        snprintf(name, sizeof name, "pool: %s, median", names[op]);
        bench_row(name, bench_median(samples[op], n), 3, "ms", e2e ? "" : TARGET);
        snprintf(name, sizeof name, "pool: %s, max", names[op]);
        bench_row(name, max, 3, "ms", e2e ? "" : TARGET);
    }
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: pool-bench HOSTD SKIFF_HV MKTOPO KERNEL RUNS\n");
        return 2;
    }
    unsigned runs = (unsigned)atoi(argv[5]);
    if (runs < 1 || runs > 60) {
        fprintf(stderr, "pool-bench: RUNS must be 1 to 60\n");
        return 2;
    }
    if (bench_hostd_prepare(1024) < 0)
        return 1;
    char tree[] = "/tmp/skiff-bench-topo.XXXXXX";
    if (mkdtemp(tree) == NULL) {
        perror("pool-bench: mkdtemp");
        return 1;
    }
    char cgroup[64];
    snprintf(cgroup, sizeof cgroup, "skiff-bench-%ld", (long)getpid());
    char *extra[] = { "--sysfs-root", tree, "--cgroup-parent", cgroup, NULL };
    struct bench_hostd h;
    struct skiff_conn *c = NULL;
    struct skiff_error err;
    int rc = 1;
    if (run_mktopo(argv[3], tree) < 0 || bench_hostd_start_args(argv[1], argv[2], extra, &h) < 0)
        goto out_tree;
    if (skiff_connect(h.uri, &c, &err) < 0) {
        fail("connect", &err);
        goto out;
    }
    struct skiff_domain_config dom = { 0 };
    dom.name = "benchdom";
    dom.kernel = argv[4];
    dom.memory_mb = 16;
    if (skiff_define(c, &dom, NULL, &err) < 0) {
        fail("define", &err);
        goto out;
    }
    for (unsigned r = 0; r < runs && !bench_interrupted; r++)
        if (pool_round(c, 1 + r % (NODES - 1)) < 0)
            goto out;
    unsigned split_runs = runs < 10 ? runs : 10;
    for (unsigned r = 0; r < split_runs && !bench_interrupted; r++)
        if (split_round(c) < 0)
            goto out;
    if (placement_runs(tree, runs) < 0 || create_runs(c, argv[4], runs < 10 ? runs : 10) < 0)
        goto out;
    rows();
    rc = 0;
out:
    skiff_close(c);
    bench_hostd_stop(&h);
    rmdir_cgroups(cgroup);
out_tree:
    if (nftw(tree, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
        fprintf(stderr, "pool-bench: could not remove %s\n", tree);
    return rc;
}
