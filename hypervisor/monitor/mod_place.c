/*
 * Placement options and their application. Guest RAM is bound with the
 * mbind system call itself (no libnuma): the memfd mapping carries the
 * policy, so pages follow it when the guest first touches them.
 */
#include <errno.h>
#include <linux/mempolicy.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpulist.h"
#include "log.h"
#include "place.h"

#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5
#endif

#define NODES_MAX 1024          /* the kernel's MAX_NUMNODES limit */
#define NODE_WORDS (NODES_MAX / 64)

static int place_option(struct hv *hv, const char *arg)
{
    uint64_t bits[HV_CPULIST_WORDS];
    if (strncmp(arg, "--cpus=", 7) == 0) {
        if (hv_cpulist_parse(arg + 7, HV_CPULIST_MAX, bits) < 0) {
            hv_err("--cpus=%s: not a CPU list (like 0-3,6)", arg + 7);
            return -1;
        }
        hv->place.cpus = arg + 7;
        return 0;
    }
    if (strncmp(arg, "--mem-nodes=", 12) == 0) {
        if (hv_cpulist_parse(arg + 12, NODES_MAX, bits) < 0) {
            hv_err("--mem-nodes=%s: not a NUMA node list (like 0-1,3)", arg + 12);
            return -1;
        }
        hv->place.mem_nodes = arg + 12;
        return 0;
    }
    if (strncmp(arg, "--mem-policy=", 13) == 0) {
        const char *p = arg + 13;
        if (strcmp(p, "bind") == 0) {
            hv->place.mem_policy = MPOL_BIND;
        } else if (strcmp(p, "preferred") == 0) {
            hv->place.mem_policy = MPOL_PREFERRED;
        } else {
            hv_err("--mem-policy=%s: want bind or preferred", p);
            return -1;
        }
        hv->place.mem_policy_set = true;
        return 0;
    }
    return 1;
}

static int first_node(const uint64_t *nodes)
{
    for (int i = 0; i < NODES_MAX; i++) {
        if ((nodes[i / 64] >> (i % 64)) & 1)
            return i;
    }
    return -1;
}

static unsigned count_bits(const uint64_t *bits, unsigned words)
{
    unsigned n = 0;
    for (unsigned i = 0; i < words; i++)
        n += (unsigned)__builtin_popcountll(bits[i]);
    return n;
}

int hv_place_memory(struct hv *hv)
{
    struct hv_place *p = &hv->place;
    if (p->mem_nodes == NULL) {
        if (p->mem_policy_set) {
            hv_err("--mem-policy needs --mem-nodes");
            return -1;
        }
        return 0;
    }
    uint64_t want[HV_CPULIST_WORDS], allowed[NODE_WORDS] = { 0 };
    if (hv_cpulist_parse(p->mem_nodes, NODES_MAX, want) < 0)
        return -1;      /* reported when the option was read */
    /* Nodes this process may allocate on (online, and in its cpuset). */
    if (syscall(SYS_get_mempolicy, NULL, allowed, (unsigned long)NODES_MAX + 1, NULL,
                MPOL_F_MEMS_ALLOWED) < 0) {
        hv_err("--mem-nodes=%s: cannot read the NUMA nodes of this host: %m", p->mem_nodes);
        return -1;
    }
    for (unsigned w = 0; w < NODE_WORDS; w++) {
        uint64_t missing = want[w] & ~allowed[w];
        if (missing != 0) {
            char have[256];
            hv_cpulist_format(allowed, NODES_MAX, have, sizeof have);
            hv_err("--mem-nodes=%s: NUMA node %u is not available on this host "
                   "(available: %s)", p->mem_nodes, w * 64 + (unsigned)__builtin_ctzll(missing),
                   have);
            return -1;
        }
    }
    int mode = p->mem_policy_set ? p->mem_policy : MPOL_BIND;
    if (mode == MPOL_PREFERRED && count_bits(want, NODE_WORDS) > 1)
        mode = MPOL_PREFERRED_MANY;
    long rc = syscall(SYS_mbind, hv->mem.base, hv->mem.alloc, mode, want,
                      (unsigned long)NODES_MAX + 1, 0U);
    int n = first_node(want);
    if (rc < 0 && errno == EINVAL && mode == MPOL_PREFERRED_MANY && n >= 0) {
        /* Kernels before 5.15: prefer the first node only. */
        uint64_t one[NODE_WORDS] = { 0 };
        one[n / 64] = 1ULL << (n % 64);
        rc = syscall(SYS_mbind, hv->mem.base, hv->mem.alloc, MPOL_PREFERRED, one,
                     (unsigned long)NODES_MAX + 1, 0U);
    }
    if (rc < 0) {
        hv_err("--mem-nodes=%s: cannot bind guest memory: %m", p->mem_nodes);
        return -1;
    }
    return 0;
}

static int set_one(const struct hv_vcpu *v, const uint64_t *cpus)
{
    if (sched_setaffinity(v->tid, HV_CPULIST_WORDS * sizeof(uint64_t),
                          (const cpu_set_t *)cpus) < 0)
        return errno;
    return 0;
}

int hv_place_vcpus(struct hv *hv)
{
    if (hv->place.cpus == NULL)
        return 0;
    uint64_t cpus[HV_CPULIST_WORDS];
    if (hv_cpulist_parse(hv->place.cpus, HV_CPULIST_MAX, cpus) < 0)
        return -1;
    for (unsigned i = 0; i < hv->nvcpus; i++) {
        int e = set_one(&hv->vcpus[i], cpus);
        if (e != 0) {
            errno = e;
            hv_err("--cpus=%s: cannot run vCPU %u there: %s", hv->place.cpus, i,
                   e == EINVAL ? "no usable CPU in the list" : strerror(e));
            return -1;
        }
    }
    return 0;
}

int hv_place_set_affinity(struct hv *hv, int vcpu, const char *list, char *msg, size_t size)
{
    uint64_t cpus[HV_CPULIST_WORDS];
    if (vcpu < -1 || vcpu >= (int)hv->nvcpus) {
        snprintf(msg, size, "no vCPU %d: the guest has %u (0-%u, or -1 for all)", vcpu,
                 hv->nvcpus, hv->nvcpus - 1);
        return EINVAL;
    }
    if (hv_cpulist_parse(list, HV_CPULIST_MAX, cpus) < 0) {
        snprintf(msg, size, "not a CPU list: '%s' (like 0-3,6)", list);
        return EINVAL;
    }
    unsigned lo = vcpu < 0 ? 0 : (unsigned)vcpu;
    unsigned hi = vcpu < 0 ? hv->nvcpus : lo + 1;
    for (unsigned i = lo; i < hi; i++) {
        int e = set_one(&hv->vcpus[i], cpus);
        if (e != 0) {
            snprintf(msg, size, "vCPU %u: cannot run on CPUs %s: %s", i, list,
                     e == EINVAL ? "none of them is usable" : strerror(e));
            return e;
        }
    }
    return 0;
}

void hv_place_affinity(const struct hv_vcpu *v, char *buf, size_t size)
{
    uint64_t cpus[HV_CPULIST_WORDS];
    if (size > 0)
        buf[0] = '\0';
    if (v->tid <= 0 ||
        sched_getaffinity(v->tid, sizeof cpus, (cpu_set_t *)cpus) < 0)
        return;
    hv_cpulist_format(cpus, HV_CPULIST_MAX, buf, size);
}

const struct hv_module hv_module_place = {
    .name = "place",
    .usage = "  --cpus=LIST (host CPUs every vCPU thread may run on, e.g. 0-3,6)\n"
             "  --mem-nodes=LIST (NUMA nodes for guest memory, e.g. 0 or 0-1)\n"
             "  --mem-policy=bind|preferred (with --mem-nodes; default bind)\n",
    .option = place_option,
    .setup = NULL,
};
