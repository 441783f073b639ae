/* The vCPU run loop: dispatch hypercalls, report every other exit. */
#ifndef SKIFF_HV_RUN_H
#define SKIFF_HV_RUN_H

#include "hv.h"

/* Run vCPU V until the guest halts or is stopped; returns the exit status. */
int hv_run(struct hv *hv, struct hv_vcpu *v);

#endif
