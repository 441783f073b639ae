/* The handlers of CPU pools, vCPU affinity and scheduling, by file. */
#ifndef SKIFF_HOSTD_RPC_CPU_H
#define SKIFF_HOSTD_RPC_CPU_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "skiff.pb-c.h"

struct call;
struct domain;

/* -errno of the pool rules and checks -> the API's error code. */
Skiff__V1__ErrorCode rpc_errno_code(int rc);
/* Apply the vCPU sets to the running domains of `pool` (NULL: all), then
 * answer with answer_pool's PoolInfo (NULL: OK). */
void rpc_cpu_apply_then_reply(struct call *call, const char *pool, const char *answer_pool);
/* The same for one domain, answered OK. */
void rpc_cpu_apply_domain_then_reply(struct call *call, struct domain *d);

/* Replace a string of an unpacked message with a copy of value
 * (protobuf-c's allocator is malloc; its empty default is not ours). */
static inline int pb_replace_str(char **field, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return -ENOMEM;
    if (*field != NULL && *field != protobuf_c_empty_string)
        free(*field);
    *field = copy;
    return 0;
}

/* rpc_vcpu.c */
void rpc_vcpu_list(struct call *call, Skiff__V1__VcpuListRequest *rq);
void rpc_vcpu_pin(struct call *call, Skiff__V1__VcpuPinRequest *rq);
/* rpc_sched.c */
void rpc_sched_credit(struct call *call, Skiff__V1__SchedCreditRequest *rq);

#endif
