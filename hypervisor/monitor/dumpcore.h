/* Guest core dumps on abort (--dumpcore[=DIR]), written inside the sandbox. */
#ifndef SKIFF_HV_DUMPCORE_H
#define SKIFF_HV_DUMPCORE_H

#include "hv.h"

/* Write DIR/core.skiff-hv.PID; frame (may be NULL) overrides the registers
 * the guest trapped with. Failures are reported, never fatal. */
void hv_dumpcore_write(struct hv *hv, const struct hvt_trap_frame *frame);

#endif
