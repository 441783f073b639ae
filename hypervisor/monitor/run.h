/* The vCPU run loop: dispatch hypercalls, report every other exit. */
#ifndef SKIFF_HV_RUN_H
#define SKIFF_HV_RUN_H

#include "hv.h"

/* Run the guest until it halts or is stopped; returns the exit status. */
int hv_run(struct hv *hv);

#endif
