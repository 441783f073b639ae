/*
 * Live migration in hostd: the source side (migrate_out.c: the client's
 * request, a worker thread streaming to the destination hostd) and the
 * destination side (migrate_in.c: a peer hostd's requests on its TLS
 * connection).
 */
#ifndef SKIFF_HOSTD_MIGRATE_PEER_H
#define SKIFF_HOSTD_MIGRATE_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skiff.pb-c.h"

struct call;
struct conn;
struct domain;
struct evbuffer;
struct hostd;

void rpc_migrate(struct call *call, const Skiff__V1__MigrateRequest *rq);
/* d is being migrated out: its state is the migration's until it ends
 * (pause, unpause, shutdown, reboot, save are refused; destroy is not). */
bool migrate_out_active(const struct domain *d);
void rpc_migrate_in(struct call *call, const Skiff__V1__MigrateIn *rq);
void rpc_migrate_data(struct call *call, const Skiff__V1__MigrateData *rq);
void rpc_migrate_commit(struct call *call);
/* The incoming domain's monitor is up: map its memory, answer MigrateIn. */
void migrate_in_monitor_ready(struct domain *d);
/* The incoming domain goes away here: the migration fails. */
void migrate_in_discard(struct domain *d);
/* The peer's connection closes: drop what it sent. */
void migrate_in_conn_gone(struct conn *c);
/* Start-up: outgoing migrations that hostd's stop cut short
 * (migrate_recover.c), each settled once its domain's monitor is ready. */
void migrate_recover_load(struct hostd *h);
void migrate_recover_ready(struct domain *d, bool paused);

#endif
