/*
 * Domains: the in-memory table (hashed by name and by uuid), written
 * through to the store. Every state change is committed before any reply
 * or event acknowledges it.
 */
#ifndef SKIFF_HOSTD_DOMAIN_H
#define SKIFF_HOSTD_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/cpuset.h"
#include "list.h"
#include "ring.h"
#include "skiff.pb-c.h"
#include "monitor.pb-c.h"
#include "store.h"

struct hostd;
struct domtab;
struct monitor;
struct call;
struct event;
struct restore;
struct mig_in;

/* Crash-loop protection: more than CRASH_LOOP_MAX crashes within
 * CRASH_LOOP_WINDOW_S seconds and on_crash=restart gives up. */
#define CRASH_LOOP_MAX 5
#define CRASH_LOOP_WINDOW_S 60

enum stop_intent {
    STOP_NONE,
    STOP_DESTROY,     /* destroy (asked, or a shutdown that fell back to it) */
    STOP_RESTART,     /* reboot of a guest without control events: start again */
};

struct domain {
    struct hostd *h;
    struct list link;                /* in domtab.all */
    struct domain *name_next, *uuid_next;
    struct store_domain row;         /* what the store holds */
    Skiff__V1__DomainConfig *cfg;    /* row.config, unpacked */

    struct monitor *mon;             /* NULL when no monitor runs for it */
    enum stop_intent intent;
    char *intent_reason;             /* recorded as the reason of an intended stop */
    struct call *start_call;         /* start/create waiting for the monitor */
    bool start_pending;              /* start once the previous monitor is gone */
    bool start_paused;
    struct list waiters;             /* calls answered when the domain stops */
    struct list console_subs;        /* console streams */
    struct ring console;
    struct event *grace_timer;       /* shutdown: destroy when it expires */
    bool grace_unasked;         /* the guest could not be asked to shut down */
    uint64_t crash_ns[CRASH_LOOP_MAX + 1];
    unsigned ncrash;

    /* Last statistics from the monitor. */
    uint64_t cpu_time_ns, memory_touched, exits;
    uint64_t stats_at_ns;            /* CLOCK_MONOTONIC of the last Stats; 0 = never */
    bool control_events;

    /* CPU placement (numa_place.c, vcpu_affinity.c). */
    uint64_t numa_nodes;             /* nodes automatic placement chose; 0 = none */
    struct cpuset numa_cpus;         /* their CPUs in the domain's pool */
    char numa_str[200];              /* numa_nodes as "0,2" for DomainInfo */
    struct restore *restore;         /* restore waiting for the monitor (rpc_restore.c) */
    struct mig_in *incoming;         /* migration coming in (migrate_in.c) */
};

static inline bool domain_active(const struct domain *d)
{
    return d->row.state == SKIFF__V1__DOMAIN_STATE__RUNNING ||
           d->row.state == SKIFF__V1__DOMAIN_STATE__PAUSED;
}

const char *domain_state_name(int state);

/* ---- the table (domain.c) ---- */
int domtab_init(struct domtab *t);
void domtab_free(struct hostd *h);
struct domain *domain_find(struct hostd *h, const char *ref);
struct domain *domain_find_name(struct hostd *h, const char *name);
struct domain *domain_find_uuid(struct hostd *h, const char *uuid);
/* Build a domain from a store row (takes ownership of the row's strings). */
int domain_from_row(struct hostd *h, struct store_domain *row, struct domain **out);
int domtab_add(struct hostd *h, struct domain *d);
void domtab_remove(struct hostd *h, struct domain *d);
int domtab_rename(struct hostd *h, struct domain *d, const char *name);
void domain_free(struct domain *d);
/* Write d->row (with cfg packed) to the store. */
int domain_commit(struct domain *d);
/* Delete d from the store and the table, remove its files, free it. */
int domain_forget(struct domain *d);
/* Fill info (pointing into d; valid until d changes). */
void domain_info(struct domain *d, Skiff__V1__DomainInfo *info);
/* Append an event to the store and to the events streams. */
void domain_event(struct domain *d, const char *kind, const char *detail);
/* DIR/domains/UUID and file names in it; malloc'd. */
char *domain_path(struct domain *d, const char *file);

/* ---- configuration (domain_config.c) ---- */
/* Check and complete a config (defaults, uuid, MACs). On error *msg
 * (static or malloc'd in *msg_buf) says why and the ErrorCode is returned. */
Skiff__V1__ErrorCode config_check(struct hostd *h, Skiff__V1__DomainConfig *cfg,
                                  const struct domain *self, char *msg, size_t msgsize);
bool config_name_valid(const char *name);
/* Its pool, affinity and scheduling keys (domain_cpus.c). */
Skiff__V1__ErrorCode config_check_cpus(struct hostd *h, Skiff__V1__DomainConfig *cfg, char *msg,
                                       size_t size);
Skiff__V1__LifecycleAction config_action(const Skiff__V1__DomainConfig *cfg, int which);

/* ---- life cycle (domain_life.c) ---- */
/* Start the monitor; call (may be NULL) gets the DomainInfo once it is up. */
int domain_start(struct domain *d, bool paused, struct call *call);
/* Stop now; reason is recorded. Destroy applies no on_* action; restart
 * starts it again (reboot of a guest without control events). */
void domain_destroy(struct domain *d, const char *reason);
/* hostd is quitting: a destroy still under way is finished with SIGKILL,
 * so no destroyed domain outlives it (other monitors keep running). */
void domains_end_destroys(struct hostd *h);
void domain_restart(struct domain *d, const char *reason);
/* Shutdown requested: destroy when ms pass first. */
/* Reply to call with the domain's current DomainInfo. */
void domain_reply_info(struct call *call, struct domain *d);

/* Destroy the domain unless it stops within ms; `asked` says whether the
 * guest was asked to shut down (the reason given differs). */
int domain_arm_grace(struct domain *d, uint32_t ms, bool asked);
/* The domain has stopped: record, apply on_* and answer waiters. */
void domain_stopped(struct domain *d, int status, bool faulted, bool reboot, const char *reason);
void domain_finish_calls(struct domain *d);

/* Called by the monitor layer. */
void domain_monitor_ready(struct domain *d, const Skiff__Monitor__V1__Stats *st);
void domain_monitor_console(struct domain *d, const uint8_t *p, size_t n);
void domain_monitor_exited(struct domain *d, const Skiff__Monitor__V1__Exited *e);
void domain_monitor_lost(struct domain *d, const char *reason);
void domain_monitor_gone(struct hostd *h, const char *uuid);
void domain_update_stats(struct domain *d, const Skiff__Monitor__V1__Stats *st);

/* ---- start-up (reconcile.c) ---- */
int domains_load(struct hostd *h);
void domains_autostart(struct hostd *h);

#endif
