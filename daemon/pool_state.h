/* hostd's pool table: loaded from the store, changes written through. */
#ifndef SKIFF_HOSTD_POOL_STATE_H
#define SKIFF_HOSTD_POOL_STATE_H

#include "daemon/pool.h"

struct hostd;
struct domain;

/* Load the pools; on the first start, Pool-0 with every online CPU. */
int pools_load(struct hostd *h);

/*
 * Make t the pool table, in one transaction with the domains whose pool
 * changes name (pool renamed from `from` to `to`, both NULL for none) and,
 * if d is not NULL, with d's row (cpupool-migrate). On success h->pools
 * takes t's contents (t is emptied); on failure nothing changed.
 */
int pools_commit(struct hostd *h, struct pooltab *t, const char *from, const char *to,
                 struct domain *d);

/* Domains naming pool i, and those of them running. */
void pools_count(struct hostd *h, const char *name, unsigned *all, unsigned *active);

#endif
