/* The API: one handler per request of skiff.proto. */
#ifndef SKIFF_HOSTD_RPC_H
#define SKIFF_HOSTD_RPC_H

#include <stdbool.h>

#include "skiff.pb-c.h"

struct conn;
struct call;
struct domain;
struct monitor;

#define E(x) SKIFF__V1__ERROR_CODE__##x

void rpc_dispatch(struct conn *c, const Skiff__V1__Request *req);

/* CPU pools, topology, vCPU affinity and scheduling (rpc_pool.c). */
void rpc_pool_dispatch(struct call *call, const Skiff__V1__Request *req);

/* Helpers for the handlers, which live in rpc*.c by area. */

/* The domain named by ref (name or uuid), or NULL after answering NOT_FOUND. */
struct domain *rpc_lookup(struct call *call, const char *ref);
/* Running or paused with a ready monitor; otherwise answers BUSY. */
bool rpc_need_running(struct call *call, struct domain *d);
/*
 * In a monitor callback: the domain the call is about, or NULL once the
 * call has been answered (it stopped meanwhile: OK when gone_ok, else
 * BUSY; or the monitor could not be reached: INTERNAL).
 */
struct domain *rpc_callback_domain(struct call *call, struct monitor *m, int err,
                                   bool gone_ok);

/* Check a config, store it as a new domain and add it to the table; NULL
 * after answering the call with the reason. */
struct domain *rpc_add_domain(struct call *call, Skiff__V1__DomainConfig *cfg, bool persistent);

#endif
