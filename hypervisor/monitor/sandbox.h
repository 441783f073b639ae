/* The seccomp allow-list skiff-hv runs under once set-up is done. */
#ifndef SKIFF_HV_SANDBOX_H
#define SKIFF_HV_SANDBOX_H

#include "hv.h"

/*
 * Close every descriptor above stderr that the monitor did not open or
 * adopt (--net:NAME=@FD): a guest's monitor must not hold its parent's
 * files. Call once the options are applied, before anything else opens.
 */
int hv_sandbox_close_inherited(const struct hv *hv);

/* Refuse READ_IMPLIES_EXEC, then install the filter. Returns 0 or -1. */
int hv_sandbox_enter(struct hv *hv);

/* Sanitizer builds: add what the runtimes need (sandbox_sanitizers.c);
 * elsewhere nothing. ctx is a scmp_filter_ctx. */
int hv_sandbox_allow_sanitizers(void *ctx);

#endif
