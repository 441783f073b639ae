/* CPU pool rules: see pool.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/pool.h"

void pooltab_free(struct pooltab *t)
{
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

static int reserve(struct pooltab *t, size_t n)
{
    if (n <= t->cap)
        return 0;
    size_t cap = t->cap ? t->cap : 4;
    while (cap < n)
        cap *= 2;
    struct pool *v = realloc(t->v, cap * sizeof *v);
    if (v == NULL)
        return -ENOMEM;
    t->v = v;
    t->cap = cap;
    return 0;
}

int pooltab_copy(struct pooltab *dst, const struct pooltab *src)
{
    *dst = (struct pooltab){ 0 };
    if (reserve(dst, src->n ? src->n : 1) < 0)
        return -ENOMEM;
    if (src->n)
        memcpy(dst->v, src->v, src->n * sizeof *src->v);
    dst->n = src->n;
    return 0;
}

int pooltab_add(struct pooltab *t, const char *name, const struct cpuset *cpus)
{
    if (reserve(t, t->n + 1) < 0)
        return -ENOMEM;
    struct pool *p = &t->v[t->n++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->cpus = *cpus;
    return 0;
}

void pooltab_remove(struct pooltab *t, size_t i)
{
    if (i >= t->n)
        return;
    memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof *t->v);
    t->n--;
}

int pool_find(const struct pooltab *t, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].name, name) == 0)
            return (int)i;
    return -1;
}

int pool_of_cpu(const struct pooltab *t, unsigned cpu)
{
    for (size_t i = 0; i < t->n; i++)
        if (cpuset_has(&t->v[i].cpus, cpu))
            return (int)i;
    return -1;
}

void pool_free_cpus(const struct pooltab *t, const struct cpuset *online, struct cpuset *out)
{
    *out = *online;
    for (size_t i = 0; i < t->n; i++)
        cpuset_andnot(out, out, &t->v[i].cpus);
}

bool pool_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > POOL_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.')))
            return false;
    }
    return true;
}

int pool_first_outside(const struct cpuset *a, const struct cpuset *b)
{
    struct cpuset d;
    cpuset_andnot(&d, a, b);
    return cpuset_next(&d, 0);
}

static int name_free(const struct pooltab *t, const char *name, char *msg, size_t len)
{
    if (!pool_name_valid(name)) {
        snprintf(msg, len,
                 "invalid pool name '%s': use 1-%d letters, digits, '-', '_' or '.', "
                 "starting with a letter or digit", name, POOL_NAME_MAX);
        return -EINVAL;
    }
    if (pool_find(t, name) >= 0) {
        snprintf(msg, len, "a pool named '%s' already exists", name);
        return -EEXIST;
    }
    return 0;
}

/* Every CPU of cpus is online and in no pool. */
static int cpus_free(const struct pooltab *t, const struct cpuset *cpus,
                     const struct cpuset *online, const char *target, char *msg, size_t len)
{
    int c = pool_first_outside(cpus, online);
    if (c >= 0) {
        snprintf(msg, len, "CPU %d is not an online CPU of this host", c);
        return -EINVAL;
    }
    for (c = cpuset_next(cpus, 0); c >= 0; c = cpuset_next(cpus, (unsigned)c + 1)) {
        int owner = pool_of_cpu(t, (unsigned)c);
        if (owner < 0)
            continue;
        if (strcmp(t->v[owner].name, target) == 0) {
            snprintf(msg, len, "CPU %d is already in pool %s", c, target);
            return -EINVAL;
        }
        snprintf(msg, len,
                 "CPU %d is in pool %s: a CPU is in one pool at a time; remove it there "
                 "first (cpupool-cpu-remove %s %d)", c, t->v[owner].name, t->v[owner].name, c);
        return -EBUSY;
    }
    return 0;
}

int pool_check_create(const struct pooltab *t, const char *name, const struct cpuset *cpus,
                      const char *sched, const struct cpuset *online, char *msg, size_t len)
{
    int rc = name_free(t, name, msg, len);
    if (rc < 0)
        return rc;
    if (sched != NULL && *sched != '\0' && strcmp(sched, POOL_SCHED) != 0) {
        snprintf(msg, len, "scheduler '%s' is not available: pools use '%s'", sched,
                 POOL_SCHED);
        return -EINVAL;
    }
    return cpus_free(t, cpus, online, name, msg, len);
}

int pool_check_destroy(const struct pooltab *t, size_t i, unsigned ndomains, char *msg,
                       size_t len)
{
    if (i == 0) {
        snprintf(msg, len, "%s is the default pool and cannot be destroyed", t->v[0].name);
        return -EINVAL;
    }
    if (ndomains > 0) {
        snprintf(msg, len,
                 "pool %s has %u domain%s: move %s to another pool (cpupool-migrate) or "
                 "remove %s first", t->v[i].name, ndomains, ndomains == 1 ? "" : "s",
                 ndomains == 1 ? "it" : "them", ndomains == 1 ? "it" : "them");
        return -EBUSY;
    }
    return 0;
}

int pool_check_rename(const struct pooltab *t, size_t i, const char *new_name, char *msg,
                      size_t len)
{
    if (strcmp(t->v[i].name, new_name) == 0)
        return 0;
    return name_free(t, new_name, msg, len);
}

int pool_check_cpu_add(const struct pooltab *t, size_t i, const struct cpuset *cpus,
                       const struct cpuset *online, char *msg, size_t len)
{
    if (cpuset_empty(cpus)) {
        snprintf(msg, len, "no CPU given");
        return -EINVAL;
    }
    return cpus_free(t, cpus, online, t->v[i].name, msg, len);
}

int pool_check_cpu_remove(const struct pooltab *t, size_t i, const struct cpuset *cpus,
                          unsigned nactive, char *msg, size_t len)
{
    const struct pool *p = &t->v[i];
    if (cpuset_empty(cpus)) {
        snprintf(msg, len, "no CPU given");
        return -EINVAL;
    }
    int c = pool_first_outside(cpus, &p->cpus);
    if (c >= 0) {
        snprintf(msg, len, "CPU %d is not in pool %s", c, p->name);
        return -EINVAL;
    }
    struct cpuset left;
    cpuset_andnot(&left, &p->cpus, cpus);
    if (cpuset_empty(&left) && nactive > 0) {
        snprintf(msg, len,
                 "cannot remove the last CPU%s of pool %s: it has %u running domain%s "
                 "(move or stop them first)", cpuset_count(cpus) == 1 ? "" : "s", p->name,
                 nactive, nactive == 1 ? "" : "s");
        return -EBUSY;
    }
    return 0;
}

int pool_numa_split(const struct pooltab *t, const struct topology *topo, struct pooltab *out,
                    char *msg, size_t len)
{
    *out = (struct pooltab){ 0 };
    if (t->n != 1) {
        snprintf(msg, len,
                 "there are %zu pools: numa-split needs a single one; destroy the "
                 "others first", t->n);
        return -EBUSY;
    }
    for (unsigned n = 0; n < topo->nnodes && n < TOPO_MAX_NODES; n++) {
        const struct topo_node *node = &topo->nodes[n];
        struct cpuset cpus;
        if (!node->present)
            continue;
        cpuset_and(&cpus, &node->cpus, &topo->online);
        if (cpuset_empty(&cpus))
            continue;
        char name[POOL_NAME_MAX + 1];
        snprintf(name, sizeof name, "Pool-node%u", n);
        if (pooltab_add(out, name, &cpus) < 0) {
            pooltab_free(out);
            snprintf(msg, len, "out of memory");
            return -ENOMEM;
        }
    }
    if (out->n == 0) {
        pooltab_free(out);
        snprintf(msg, len, "the host has no NUMA node with online CPUs");
        return -EINVAL;
    }
    return 0;
}
