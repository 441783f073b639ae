/*
 * Reading the host's CPU and NUMA topology from sysfs (or a synthetic tree
 * with the same layout). Every file is read whole and checked: a garbage
 * or truncated file is an error naming the file, never a guess.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/topology.h"

/* Larger than any cpulist of CPUSET_MAX CPUs ("0,2,4,...": < 10 KiB) or node meminfo. */
#define FILE_MAX 32768
/* Per node: bounds sums over 64 nodes far below 2^64. */
#define NODE_MEM_MAX (UINT64_C(1) << 56)

struct reader {
    const char *root;
    char *buf;          /* FILE_MAX bytes */
    char *why;
    size_t whylen;
};

static int fail(struct reader *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct reader *r, int err, const char *fmt, ...)
{
    if (r->why && r->whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->why, r->whylen, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* ROOT/REL into r->buf, NUL-terminated; length or -errno. */
static int read_rel(struct reader *r, const char *rel)
{
    char path[PATH_MAX];
    size_t used = 0;
    int fd, n;

    n = snprintf(path, sizeof path, "%s/%s", r->root, rel);
    if (n < 0 || (size_t)n >= sizeof path)
        return -ENAMETOOLONG;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    for (;;) {
        ssize_t got = read(fd, r->buf + used, FILE_MAX - 1 - used);
        if (got < 0) {
            int err = errno;
            if (err == EINTR)
                continue;
            close(fd);
            return -err;
        }
        if (got == 0)
            break;
        used += (size_t)got;
        if (used == FILE_MAX - 1) {
            close(fd);
            return -EFBIG;
        }
    }
    close(fd);
    r->buf[used] = '\0';
    return (int)used;
}

static bool exists(const char *root, const char *rel)
{
    char path[PATH_MAX];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/%s", root, rel);

    return n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0;
}

/* A cpulist file into *s; errors name the file. */
static int read_list(struct reader *r, struct cpuset *s, const char *rel)
{
    size_t pos = 0;
    int rc = read_rel(r, rel);

    if (rc < 0)
        return fail(r, rc, "%s/%s: %s", r->root, rel, strerror(-rc));
    rc = cpuset_parse_at(s, r->buf, &pos);
    if (rc == -ERANGE)
        return fail(r, rc, "%s/%s: a CPU or node number is %d or more", r->root, rel,
                    CPUSET_MAX);
    if (rc < 0)
        return fail(r, rc, "%s/%s: not a CPU list (at offset %zu)", r->root, rel, pos);
    return 0;
}

/* A file holding one integer >= -1 (a trailing newline allowed); -ENOENT silently. */
static int read_id(struct reader *r, int *out, const char *rel)
{
    char *end;
    long v;
    int rc = read_rel(r, rel);

    if (rc == -ENOENT)
        return rc;
    if (rc < 0)
        return fail(r, rc, "%s/%s: %s", r->root, rel, strerror(-rc));
    errno = 0;
    v = strtol(r->buf, &end, 10);
    if (end == r->buf || errno || v < -1 || v > INT_MAX || (*end && strcmp(end, "\n")))
        return fail(r, -EINVAL, "%s/%s: not a number", r->root, rel);
    *out = (int)v;
    return 0;
}

/*
 * The MemTotal and MemFree lines of a meminfo file, either the node form
 * ("Node 3 MemFree:   123 kB") or /proc/meminfo's ("MemFree:   123 kB").
 */
static int parse_meminfo(const char *text, uint64_t *total, uint64_t *free_)
{
    bool have_total = false, have_free = false;

    for (const char *line = text, *next; line && *line; line = next) {
        const char *p = line, *key;
        unsigned long long kb;
        char *end;

        next = strchr(line, '\n');
        if (next)
            next++;
        if (strncmp(p, "Node ", 5) == 0) {
            p += 5;
            while (isdigit((unsigned char)*p))
                p++;
            while (*p == ' ')
                p++;
        }
        key = p;
        if (strncmp(key, "MemTotal:", 9) && strncmp(key, "MemFree:", 8))
            continue;
        p = strchr(key, ':') + 1;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        errno = 0;
        kb = strtoull(p, &end, 10);
        if (errno || kb > NODE_MEM_MAX / 1024)
            return -ERANGE;
        if (strncmp(end, " kB", 3) || (end[3] && end[3] != '\n'))
            return -EINVAL;
        if (key[3] == 'T') {
            *total = kb * 1024;
            have_total = true;
        } else {
            *free_ = kb * 1024;
            have_free = true;
        }
    }
    return have_total && have_free ? 0 : -ENODATA;
}

static int read_node_mem(struct reader *r, unsigned node, struct topo_node *n)
{
    uint64_t total = 0, free_ = 0;
    char rel[64];
    int rc;

    snprintf(rel, sizeof rel, "devices/system/node/node%u/meminfo", node);
    rc = read_rel(r, rel);
    if (rc < 0)
        return fail(r, rc, "%s/%s: %s", r->root, rel, strerror(-rc));
    rc = parse_meminfo(r->buf, &total, &free_);
    if (rc < 0)
        return fail(r, rc, "%s/%s: %s", r->root, rel,
                    rc == -ENODATA ? "no MemTotal and MemFree lines"
                                   : "bad MemTotal or MemFree line");
    if (free_ > total)
        return fail(r, -EINVAL, "%s/%s: MemFree is more than MemTotal", r->root, rel);
    /* Only now: a refresh that fails leaves the node as it was. */
    n->mem_total = total;
    n->mem_free = free_;
    return 0;
}

/* The host's /proc/meminfo, for a host without node directories. */
static int read_proc_meminfo(struct reader *r, struct topo_node *n)
{
    struct reader pr = *r;
    uint64_t total = 0, free_ = 0;
    int rc;

    pr.root = "/proc";
    rc = read_rel(&pr, "meminfo");
    if (rc < 0)
        return fail(r, rc, "/proc/meminfo: %s", strerror(-rc));
    rc = parse_meminfo(r->buf, &total, &free_);
    if (rc == 0 && free_ > total)
        rc = -EINVAL;
    if (rc < 0)
        return fail(r, rc, "/proc/meminfo: no usable MemTotal and MemFree lines");
    n->mem_total = total;
    n->mem_free = free_;
    return 0;
}

static int read_cpus(struct reader *r, struct topology *t)
{
    struct cpuset possible;
    char rel[80];
    int last = -1, rc;

    rc = read_list(r, &possible, "devices/system/cpu/possible");
    if (rc < 0)
        return rc;
    for (int c = cpuset_next(&possible, 0); c >= 0; c = cpuset_next(&possible, (unsigned)c + 1))
        last = c;
    if (last < 0)
        return fail(r, -EINVAL, "%s/devices/system/cpu/possible: no CPUs", r->root);
    t->ncpus = (unsigned)last + 1;
    rc = read_list(r, &t->online, "devices/system/cpu/online");
    if (rc < 0)
        return rc;
    if (cpuset_empty(&t->online))
        return fail(r, -EINVAL, "%s/devices/system/cpu/online: no CPUs", r->root);
    for (int c = cpuset_next(&t->online, 0); c >= 0; c = cpuset_next(&t->online, (unsigned)c + 1))
        if (!cpuset_has(&possible, (unsigned)c))
            return fail(r, -EINVAL, "%s/devices/system/cpu/online: CPU %d is not possible",
                        r->root, c);
    t->cpus = calloc(t->ncpus, sizeof(*t->cpus));
    if (!t->cpus)
        return fail(r, -ENOMEM, "out of memory");
    for (unsigned c = 0; c < t->ncpus; c++) {
        struct topo_cpu *cpu = &t->cpus[c];

        cpu->online = cpuset_has(&t->online, c);
        cpu->core = cpu->socket = cpu->node = -1;
        if (!cpu->online)
            continue;   /* offline CPUs may have no topology directory */
        /* Missing ids (some virtual machines): the CPU is its own core. */
        snprintf(rel, sizeof rel, "devices/system/cpu/cpu%u/topology/core_id", c);
        rc = read_id(r, &cpu->core, rel);
        if (rc < 0 && rc != -ENOENT)
            return rc;
        snprintf(rel, sizeof rel, "devices/system/cpu/cpu%u/topology/physical_package_id", c);
        rc = read_id(r, &cpu->socket, rel);
        if (rc < 0 && rc != -ENOENT)
            return rc;
    }
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Distinct sockets and (socket, core) pairs among online CPUs (core ids
 * repeat across sockets). A CPU without ids counts as a core of its own.
 */
static int count_cores(struct topology *t)
{
    int64_t *cores = malloc(2 * (size_t)t->ncpus * sizeof(*cores));
    int64_t *sockets = cores + t->ncpus;
    unsigned ncores = 0, nsockets = 0, unknown = 0, unknown_socket = 0;

    if (!cores)
        return -ENOMEM;
    for (unsigned c = 0; c < t->ncpus; c++) {
        const struct topo_cpu *cpu = &t->cpus[c];

        if (!cpu->online)
            continue;
        if (cpu->socket < 0)
            unknown_socket = 1;
        else
            sockets[nsockets++] = cpu->socket;
        if (cpu->core < 0 || cpu->socket < 0)
            unknown++;
        else
            cores[ncores++] = (int64_t)cpu->socket << 32 | (uint32_t)cpu->core;
    }
    qsort(cores, ncores, sizeof(*cores), cmp_id);
    qsort(sockets, nsockets, sizeof(*sockets), cmp_id);
    t->ncores = unknown;
    for (unsigned i = 0; i < ncores; i++)
        t->ncores += i == 0 || cores[i] != cores[i - 1];
    t->nsockets = unknown_socket;
    for (unsigned i = 0; i < nsockets; i++)
        t->nsockets += i == 0 || sockets[i] != sockets[i - 1];
    free(cores);
    return 0;
}

/* "10 20 20\n": node's distances to every online node, in order. */
static int read_distance(struct reader *r, struct topology *t, unsigned node,
                         const struct cpuset *nodes_online)
{
    char rel[64];
    const char *p;
    int rc;

    snprintf(rel, sizeof rel, "devices/system/node/node%u/distance", node);
    rc = read_rel(r, rel);

    if (rc < 0)
        return fail(r, rc, "%s/%s: %s", r->root, rel, strerror(-rc));
    p = r->buf;
    for (int to = cpuset_next(nodes_online, 0); to >= 0; to = cpuset_next(nodes_online, (unsigned)to + 1)) {
        char *end;
        unsigned long d;

        while (*p == ' ' || *p == '\t')
            p++;
        if (!isdigit((unsigned char)*p))
            return fail(r, -EINVAL, "%s/%s: fewer distances than online nodes", r->root, rel);
        errno = 0;
        d = strtoul(p, &end, 10);
        if (errno || d == 0 || d > UINT8_MAX)
            return fail(r, -EINVAL, "%s/%s: distance out of range 1-255", r->root, rel);
        t->distance[node][to] = (uint8_t)d;
        p = end;
    }
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (*p)
        return fail(r, -EINVAL, "%s/%s: more distances than online nodes, or garbage", r->root, rel);
    return 0;
}

static int read_nodes(struct reader *r, struct topology *t)
{
    struct cpuset nodes_online, seen;
    int last = -1, rc;

    if (!exists(r->root, "devices/system/node")) {
        /* No NUMA: one node 0 with every CPU. */
        t->nnodes = 1;
        t->nodes[0].present = true;
        for (unsigned c = 0; c < t->ncpus; c++) {
            cpuset_set(&t->nodes[0].cpus, c);
            t->cpus[c].node = 0;
        }
        t->distance[0][0] = 10;
        return strcmp(r->root, "/sys") == 0 ? read_proc_meminfo(r, &t->nodes[0]) : 0;
    }
    rc = read_list(r, &nodes_online, "devices/system/node/online");
    if (rc < 0)
        return rc;
    for (int n = cpuset_next(&nodes_online, 0); n >= 0; n = cpuset_next(&nodes_online, (unsigned)n + 1))
        last = n;
    if (last < 0)
        return fail(r, -EINVAL, "%s/devices/system/node/online: no nodes", r->root);
    if (last >= TOPO_MAX_NODES)
        return fail(r, -ERANGE, "%s/devices/system/node/online: node %d: at most %d nodes are supported",
                    r->root, last, TOPO_MAX_NODES);
    t->nnodes = (unsigned)last + 1;
    cpuset_zero(&seen);
    for (int n = cpuset_next(&nodes_online, 0); n >= 0; n = cpuset_next(&nodes_online, (unsigned)n + 1)) {
        struct topo_node *node = &t->nodes[n];
        struct cpuset both;
        char rel[64];

        node->present = true;
        snprintf(rel, sizeof rel, "devices/system/node/node%d/cpulist", n);
        rc = read_list(r, &node->cpus, rel);
        if (rc < 0)
            return rc;
        cpuset_and(&both, &node->cpus, &seen);
        if (!cpuset_empty(&both))
            return fail(r, -EINVAL, "%s/devices/system/node/node%d/cpulist: CPU %d is in two nodes",
                        r->root, n, cpuset_next(&both, 0));
        cpuset_or(&seen, &seen, &node->cpus);
        for (int c = cpuset_next(&node->cpus, 0); c >= 0; c = cpuset_next(&node->cpus, (unsigned)c + 1)) {
            if ((unsigned)c >= t->ncpus)
                return fail(r, -EINVAL, "%s/devices/system/node/node%d/cpulist: CPU %d is not possible",
                            r->root, n, c);
            t->cpus[c].node = n;
        }
        rc = read_node_mem(r, (unsigned)n, node);
        if (rc < 0)
            return rc;
        rc = read_distance(r, t, (unsigned)n, &nodes_online);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int topology_read(const char *sysfs_root, struct topology **out, char *why, size_t whylen)
{
    struct reader r = { .root = sysfs_root, .why = why, .whylen = whylen };
    struct topology *t;
    int rc;

    *out = NULL;
    if (why && whylen)
        why[0] = '\0';
    r.buf = malloc(FILE_MAX);
    t = calloc(1, sizeof(*t));
    if (!r.buf || !t) {
        rc = fail(&r, -ENOMEM, "out of memory");
        goto out;
    }
    rc = read_cpus(&r, t);
    if (rc == 0)
        rc = read_nodes(&r, t);
    if (rc == 0 && count_cores(t) < 0)
        rc = fail(&r, -ENOMEM, "out of memory");
out:
    free(r.buf);
    if (rc < 0) {
        topology_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void topology_free(struct topology *t)
{
    if (t)
        free(t->cpus);
    free(t);
}

int topology_refresh_free(struct topology *t, const char *sysfs_root)
{
    struct reader r = { .root = sysfs_root };
    int rc = 0;

    r.buf = malloc(FILE_MAX);
    if (!r.buf)
        return -ENOMEM;
    if (!exists(sysfs_root, "devices/system/node")) {
        if (strcmp(sysfs_root, "/sys") == 0)
            rc = read_proc_meminfo(&r, &t->nodes[0]);
    } else {
        for (unsigned n = 0; n < t->nnodes && rc == 0; n++)
            if (t->nodes[n].present)
                rc = read_node_mem(&r, n, &t->nodes[n]);
    }
    free(r.buf);
    return rc;
}

int topology_parse_cpus(const struct topology *t, const char *spec, struct cpuset *out)
{
    const char *nodes = NULL;
    struct cpuset list, r;
    int rc;

    while (*spec == ' ')
        spec++;
    if (strncmp(spec, "nodes:", 6) == 0)
        nodes = spec + 6;
    else if (strncmp(spec, "node:", 5) == 0)
        nodes = spec + 5;
    if (!nodes)
        return cpuset_parse(out, spec);
    rc = cpuset_parse(&list, nodes);
    if (rc == -ERANGE)
        return -ENOENT;     /* a node number no host has */
    if (rc < 0)
        return rc;
    if (cpuset_empty(&list))
        return -EINVAL;
    cpuset_zero(&r);
    for (int n = cpuset_next(&list, 0); n >= 0; n = cpuset_next(&list, (unsigned)n + 1)) {
        if (n >= TOPO_MAX_NODES || !t->nodes[n].present)
            return -ENOENT;
        cpuset_or(&r, &r, &t->nodes[n].cpus);
    }
    *out = r;
    return 0;
}
