/*
 * Live migration in hostd: the source side (migrate_out.c: the client's
 * request, a worker thread streaming to the destination hostd) and the
 * destination side (migrate_in.c: a peer hostd's requests on its TLS
 * connection).
 */
#ifndef SKIFF_HOSTD_MIGRATE_PEER_H
#define SKIFF_HOSTD_MIGRATE_PEER_H

#include "skiff.pb-c.h"

struct call;
struct conn;

void rpc_migrate(struct call *call, const Skiff__V1__MigrateRequest *rq);
void rpc_migrate_in(struct call *call, const Skiff__V1__MigrateIn *rq);
void rpc_migrate_data(struct call *call, const Skiff__V1__MigrateData *rq);
void rpc_migrate_commit(struct call *call);
/* The peer's connection closes: drop what it sent. */
void migrate_in_conn_gone(struct conn *c);

#endif
