/*
 * The kernel's CPU controller for the credit scheduler's parameters: one
 * cgroup per running domain under a parent hostd owns, holding the
 * domain's monitor (all its threads). cgroup v2 (cpu.weight, cpu.max) where
 * its cpu controller is available, else v1 (cpu.shares, cpu.cfs_quota_us),
 * found through /proc/self/mountinfo.
 *
 * weight (1-65535, default 256) maps to v2 cpu.weight = max(1, weight *
 * 10000 / 65535) and to v1 cpu.shares = weight * 1024 / 256; cap (percent
 * of one CPU, 0 = none) to cpu.max "cap*1000 100000" / cfs_quota_us.
 */
#ifndef SKIFF_HOSTD_CGROUP_H
#define SKIFF_HOSTD_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SCHED_WEIGHT_DEFAULT 256
#define SCHED_WEIGHT_MAX 65535
#define SCHED_PERIOD_US 100000

struct cgroup_ctl {
    int version;        /* 1 or 2; 0 = no usable CPU controller */
    char *parent;       /* the parent directory hostd owns */
    char why[300];      /* version 0: what is missing; else a description */
};

/* Find the controller and create the parent; never fatal (version 0). */
void cgroup_init(struct cgroup_ctl *cg, const char *parent_name);
/* Remove the parent when it is empty; free. */
void cgroup_fini(struct cgroup_ctl *cg);

/* Put pid (every thread) into the domain's cgroup, creating it, and set
 * its weight and cap. 0 or -errno with msg. */
int cgroup_domain_enter(struct cgroup_ctl *cg, const char *uuid, pid_t pid, uint32_t weight,
                        uint32_t cap, char *msg, size_t len);
/* Change a domain's weight/cap (its cgroup must exist). */
int cgroup_domain_set(struct cgroup_ctl *cg, const char *uuid, uint32_t weight, uint32_t cap,
                      char *msg, size_t len);
/* Remove the domain's cgroup (fails quietly while a process is in it). */
void cgroup_domain_remove(struct cgroup_ctl *cg, const char *uuid);

/* The values written, for tests and docs. */
uint32_t cgroup_v2_weight(uint32_t weight);
uint32_t cgroup_v1_shares(uint32_t weight);

#endif
