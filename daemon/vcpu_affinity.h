/*
 * Where each vCPU thread of a domain may run, and making it so.
 *
 *   hard = (its pool's CPUs) ∩ (its pinning: vcpu-pin, else cpus =, else all)
 *   soft = its soft pinning (vcpu-pin SOFT, else cpus_soft =, else the
 *          nodes automatic NUMA placement chose, else none)
 *   run  = hard ∩ soft ∩ the CPUs the machine really has online, or
 *          hard ∩ those CPUs when that is empty
 *
 * `run` is the thread's kernel affinity (sched_setaffinity in the monitor,
 * through the control channel): Linux has no soft affinity, so a soft set
 * narrows the hard one where it can. An operation that would leave a
 * vCPU's hard set without any online CPU is refused.
 */
#ifndef SKIFF_HOSTD_VCPU_AFFINITY_H
#define SKIFF_HOSTD_VCPU_AFFINITY_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/cpuset.h"
#include "daemon/pool.h"
#include "skiff.pb-c.h"

struct hostd;
struct domain;

struct vcpu_sets {
    struct cpuset hard, soft, run;
    bool has_soft;
};

/* The pool a domain (config) runs in: its pool's name, or the default pool. */
const char *vcpu_pool_name(const struct hostd *h, const char *pool);

/*
 * The sets of vCPU i of a domain with config cfg in pool `pool` of table
 * pools; placed: CPUs of the nodes automatic placement chose (NULL: none).
 * 0, -ENOENT (no such pool), -EINVAL (a bad CPU spec) or -ERANGE (no
 * online CPU left), with msg.
 */
int vcpu_sets(const struct hostd *h, const struct pooltab *pools, const char *pool,
              const Skiff__V1__DomainConfig *cfg, const struct cpuset *placed, unsigned i,
              struct vcpu_sets *out, char *msg, size_t len);
/* The same for every vCPU of the config (messages name the domain). */
int vcpu_check_all(const struct hostd *h, const struct pooltab *pools, const char *pool,
                   const Skiff__V1__DomainConfig *cfg, const struct cpuset *placed,
                   char *msg, size_t len);
/* For a domain as it is now. */
int vcpu_domain_sets(const struct domain *d, unsigned i, struct vcpu_sets *out, char *msg,
                     size_t len);

/* "0-3" into buf, or "N CPUs from A to B" when it does not fit. */
const char *vcpu_set_string(const struct cpuset *s, char *buf, size_t len);

/* --cpus= for spawning the monitor (malloc'd), or NULL when every vCPU may
 * run on every online CPU of the machine. */
char *vcpu_spawn_cpus(const struct domain *d);

/*
 * Apply the run sets to running domains through their control channels.
 * done(arg, NULL) once every monitor answered, or done(arg, "what failed");
 * done may be NULL (fire and forget). Domains not running, or whose monitor
 * is still starting (it gets the sets at spawn and when ready), are skipped.
 */
typedef void vcpu_apply_done(void *arg, const char *err);
struct vcpu_apply;
struct vcpu_apply *vcpu_apply_new(vcpu_apply_done *done, void *arg);
void vcpu_apply_domain(struct vcpu_apply *b, struct domain *d);
/* Every domain is added: done runs when the last answer comes (maybe now).
 * A NULL b (out of memory) calls done with an error. */
void vcpu_apply_go(struct vcpu_apply *b, vcpu_apply_done *done, void *arg);

#endif
