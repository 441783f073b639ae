/*
 * CPU pools (xl's cpupools): the table and its rules, as pure logic on
 * CPU sets, so the rules are unit-tested apart from hostd. Every check
 * returns 0 or a negative errno naming the API error (-EINVAL INVALID,
 * -EEXIST EXISTS, -ENOENT NOT_FOUND, -EBUSY BUSY) with a message for
 * people in msg.
 *
 * The first pool (Pool-0 until numa-split renames it) is the default
 * pool of domains that name none; it cannot be destroyed.
 */
#ifndef SKIFF_HOSTD_POOL_H
#define SKIFF_HOSTD_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/cpuset.h"
#include "daemon/topology.h"

#define POOL_NAME_MAX 64
#define POOL_DEFAULT_NAME "Pool-0"
#define POOL_SCHED "credit"

struct pool {
    char name[POOL_NAME_MAX + 1];
    struct cpuset cpus;
};

struct pooltab {
    struct pool *v;
    size_t n, cap;
};

void pooltab_free(struct pooltab *t);
/* A deep copy (to try a change before committing it); 0 or -ENOMEM. */
int pooltab_copy(struct pooltab *dst, const struct pooltab *src);
/* Append a pool (no checks); 0 or -ENOMEM. */
int pooltab_add(struct pooltab *t, const char *name, const struct cpuset *cpus);
void pooltab_remove(struct pooltab *t, size_t i);

/* Index of the pool named name, or -1. */
int pool_find(const struct pooltab *t, const char *name);
/* Index of the pool holding cpu, or -1 (a free CPU). */
int pool_of_cpu(const struct pooltab *t, unsigned cpu);
/* CPUs of online in no pool. */
void pool_free_cpus(const struct pooltab *t, const struct cpuset *online, struct cpuset *out);
bool pool_name_valid(const char *name);

int pool_check_create(const struct pooltab *t, const char *name, const struct cpuset *cpus,
                      const char *sched, const struct cpuset *online, char *msg, size_t len);
/* ndomains: domains (running or not) that name the pool. */
int pool_check_destroy(const struct pooltab *t, size_t i, unsigned ndomains, char *msg,
                       size_t len);
int pool_check_rename(const struct pooltab *t, size_t i, const char *new_name, char *msg,
                      size_t len);
/* Only free, online CPUs can be added. */
int pool_check_cpu_add(const struct pooltab *t, size_t i, const struct cpuset *cpus,
                       const struct cpuset *online, char *msg, size_t len);
/* nactive: running domains in the pool; their last CPU cannot go. */
int pool_check_cpu_remove(const struct pooltab *t, size_t i, const struct cpuset *cpus,
                          unsigned nactive, char *msg, size_t len);

/*
 * cpupool-numa-split: only with a single pool. *out becomes one pool per
 * node that has online CPUs, "Pool-nodeN" with node N's CPUs; the first
 * (the default pool, keeping its domains) is the renamed single pool.
 */
int pool_numa_split(const struct pooltab *t, const struct topology *topo, struct pooltab *out,
                    char *msg, size_t len);

/* The first CPU of a that is not in b, or -1. */
int pool_first_outside(const struct cpuset *a, const struct cpuset *b);

#endif
