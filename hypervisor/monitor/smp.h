/* SMP guests: how many vCPUs, and whether the guest can have them. */
#ifndef SKIFF_HV_SMP_H
#define SKIFF_HV_SMP_H

#include "hv.h"

/* After the options and the SKF1 note: refuse --vcpus the guest cannot
 * handle (a plain hvt guest, or more than it declares). Returns 0 or -1. */
int hv_smp_check(const struct hv *hv);

#endif
