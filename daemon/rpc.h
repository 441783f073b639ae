/* The API: one handler per request of skiff.proto. */
#ifndef SKIFF_HOSTD_RPC_H
#define SKIFF_HOSTD_RPC_H

#include "skiff.pb-c.h"

struct conn;

void rpc_dispatch(struct conn *c, const Skiff__V1__Request *req);

#endif
