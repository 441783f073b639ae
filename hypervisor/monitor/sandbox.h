/* The seccomp allow-list skiff-hv runs under once set-up is done. */
#ifndef SKIFF_HV_SANDBOX_H
#define SKIFF_HV_SANDBOX_H

#include "hv.h"

/* Refuse READ_IMPLIES_EXEC, then install the filter. Returns 0 or -1. */
int hv_sandbox_enter(struct hv *hv);

#endif
