/* Writing synthetic sysfs topology trees (see topogen.h for the layout). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/tools/topogen.h"

static bool memory_only(const struct topogen *g, unsigned node)
{
    return g->asymmetric && g->nodes >= 2 && (node % 4 == 3 || node == g->nodes - 1);
}

static unsigned weight(const struct topogen *g, unsigned node)
{
    if (memory_only(g, node))
        return 0;
    return g->asymmetric ? node % 3 + 1 : 1;
}

void topogen_node_cpus(const struct topogen *g, unsigned node, struct cpuset *out)
{
    unsigned total = 0, before = 0;

    cpuset_zero(out);
    if (node >= g->nodes)
        return;
    for (unsigned n = 0; n < g->nodes; n++) {
        total += weight(g, n);
        if (n < node)
            before += weight(g, n);
    }
    /* Node n holds [cpus * before / total, cpus * (before + w) / total), rounded up. */
    unsigned first = (g->cpus * before + total - 1) / total;
    unsigned end = (g->cpus * (before + weight(g, node)) + total - 1) / total;
    for (unsigned c = first; c < end; c++)
        cpuset_set(out, c);
}

static uint64_t node_mem(const struct topogen *g, unsigned node)
{
    if (g->n_mem)
        return g->mem_mib[g->n_mem == 1 ? 0 : node];
    if (!g->asymmetric)
        return 4096;
    return memory_only(g, node) ? 8192 : (node % 4 + 1) * 1024;
}

static uint64_t node_free(const struct topogen *g, unsigned node)
{
    if (g->n_free)
        return g->free_mib[g->n_free == 1 ? 0 : node];
    return node_mem(g, node);
}

static unsigned distance(const struct topogen *g, unsigned a, unsigned b)
{
    if (a == b)
        return 10;
    if (!g->asymmetric)
        return 20;
    return a / 2 == b / 2 ? 20 : 30;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0755) < 0 && errno != EEXIST) {
        int err = errno;
        fprintf(stderr, "topogen: mkdir %s: %s\n", path, strerror(err));
        return -err;
    }
    return 0;
}

/* mkdir -p for DIR/REL. */
static int make_dirs(const char *dir, const char *rel)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir, rel);

    if (n < 0 || (size_t)n >= sizeof path)
        return -ENAMETOOLONG;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = make_dir(path);
        *p = '/';
        if (rc < 0)
            return rc;
    }
    return make_dir(path);
}

static int write_file(const char *path, const char *text)
{
    size_t len = strlen(text), done = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0)
        goto fail;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0) {
            int err = errno;
            close(fd);
            errno = err;
            goto fail;
        }
        done += (size_t)n;
    }
    if (close(fd) < 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "topogen: %s: %s\n", path, strerror(errno));
    return -errno;
}

/* Write DIR/REL (a printf format of its own) holding TEXT. */
static int put(const char *dir, const char *text, const char *relfmt, ...)
    __attribute__((format(printf, 3, 4)));

static int put(const char *dir, const char *text, const char *relfmt, ...)
{
    char rel[128], path[PATH_MAX];
    va_list ap;
    int n;

    va_start(ap, relfmt);
    n = vsnprintf(rel, sizeof rel, relfmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof rel)
        return -ENAMETOOLONG;
    n = snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof path)
        return -ENAMETOOLONG;
    return write_file(path, text);
}

static int put_list(const char *dir, const struct cpuset *s, const char *rel)
{
    static char buf[32768];
    int n = cpuset_format(s, buf, sizeof buf - 1);

    if (n < 0)
        return n;
    buf[n] = '\n';
    buf[n + 1] = '\0';
    return put(dir, buf, "%s", rel);
}

static int write_cpus(const char *dir, const struct topogen *g)
{
    unsigned sockets = g->sockets ? g->sockets : g->nodes ? g->nodes : 1;
    unsigned threads = g->threads_per_core ? g->threads_per_core : 1;
    struct cpuset possible, online;
    char num[24];
    int rc;

    cpuset_zero(&possible);
    for (unsigned c = 0; c < g->cpus; c++)
        cpuset_set(&possible, c);
    cpuset_andnot(&online, &possible, &g->offline);
    rc = make_dirs(dir, "devices/system/cpu");
    if (rc == 0)
        rc = put_list(dir, &possible, "devices/system/cpu/possible");
    if (rc == 0)
        rc = put_list(dir, &online, "devices/system/cpu/online");
    for (unsigned c = 0; c < g->cpus && rc == 0; c++) {
        char rel[PATH_MAX];
        unsigned socket = (unsigned)((uint64_t)c * sockets / g->cpus);
        unsigned first = (unsigned)(((uint64_t)socket * g->cpus + sockets - 1) / sockets);

        if (!cpuset_has(&online, c))
            continue;   /* as the kernel may: no topology for offline CPUs */
        /* Two mkdirs, not mkdir -p: the tree is thousands of entries. */
        snprintf(rel, sizeof rel, "%s/devices/system/cpu/cpu%u", dir, c);
        rc = make_dir(rel);
        snprintf(rel, sizeof rel, "%s/devices/system/cpu/cpu%u/topology", dir, c);
        if (rc == 0)
            rc = make_dir(rel);
        snprintf(rel, sizeof rel, "devices/system/cpu/cpu%u/topology", c);
        snprintf(num, sizeof num, "%u\n", (c - first) / threads);
        if (rc == 0)
            rc = put(dir, num, "%s/core_id", rel);
        snprintf(num, sizeof num, "%u\n", socket);
        if (rc == 0)
            rc = put(dir, num, "%s/physical_package_id", rel);
    }
    return rc;
}

static int write_nodes(const char *dir, const struct topogen *g)
{
    struct cpuset nodes, cpus;
    char text[TOPO_MAX_NODES * 4 + 256];
    int rc;

    if (g->nodes == 0)
        return 0;
    cpuset_zero(&nodes);
    for (unsigned n = 0; n < g->nodes; n++)
        cpuset_set(&nodes, n);
    rc = make_dirs(dir, "devices/system/node");
    if (rc == 0)
        rc = put_list(dir, &nodes, "devices/system/node/online");
    for (unsigned n = 0; n < g->nodes && rc == 0; n++) {
        char rel[64];
        size_t used = 0;

        snprintf(rel, sizeof rel, "devices/system/node/node%u", n);
        rc = make_dirs(dir, rel);
        topogen_node_cpus(g, n, &cpus);
        if (rc == 0) {
            char list[80];
            snprintf(list, sizeof list, "%s/cpulist", rel);
            rc = put_list(dir, &cpus, list);
        }
        snprintf(text, sizeof text,
                 "Node %u MemTotal:       %llu kB\n"
                 "Node %u MemFree:        %llu kB\n"
                 "Node %u MemUsed:        %llu kB\n",
                 n, (unsigned long long)node_mem(g, n) * 1024,
                 n, (unsigned long long)node_free(g, n) * 1024,
                 n, (unsigned long long)(node_mem(g, n) - node_free(g, n)) * 1024);
        if (rc == 0)
            rc = put(dir, text, "%s/meminfo", rel);
        for (unsigned m = 0; m < g->nodes; m++)
            used += (size_t)snprintf(text + used, sizeof text - used, "%s%u",
                                     m ? " " : "", distance(g, n, m));
        snprintf(text + used, sizeof text - used, "\n");
        if (rc == 0)
            rc = put(dir, text, "%s/distance", rel);
    }
    return rc;
}

int topogen_write(const char *dir, const struct topogen *g)
{
    int rc;

    if (g->cpus == 0 || g->cpus >= CPUSET_MAX || g->nodes > TOPO_MAX_NODES) {
        fprintf(stderr, "topogen: 1 to %d CPUs and at most %d nodes\n", CPUSET_MAX - 1,
                TOPO_MAX_NODES);
        return -EINVAL;
    }
    for (unsigned n = 0; n < g->nodes; n++) {
        if (node_free(g, n) > node_mem(g, n)) {
            fprintf(stderr, "topogen: node %u: more free memory than memory\n", n);
            return -EINVAL;
        }
    }
    rc = make_dirs(dir, ".");
    if (rc == 0)
        rc = write_cpus(dir, g);
    if (rc == 0)
        rc = write_nodes(dir, g);
    return rc;
}
