/*
 * Placement: which host CPUs the vCPU threads run on (--cpus, and
 * SetAffinity from the controller) and which NUMA nodes hold guest RAM
 * (--mem-nodes, --mem-policy). hostd decides; the monitor applies.
 */
#ifndef SKIFF_HV_PLACE_H
#define SKIFF_HV_PLACE_H

#include <stddef.h>

#include "hv.h"

/* Bind guest RAM to --mem-nodes (mbind), before anything touches it.
 * Returns 0 or -1 (reported). */
int hv_place_memory(struct hv *hv);

/* Give every vCPU thread the --cpus affinity (before the sandbox).
 * Returns 0 or -1 (reported). */
int hv_place_vcpus(struct hv *hv);

/*
 * Set the affinity of vCPU VCPU (-1: all) to the CPU list LIST. Returns 0
 * or a positive errno value with a message in MSG: EINVAL for a bad
 * index or list, or a list with no CPU this process may use.
 */
int hv_place_set_affinity(struct hv *hv, int vcpu, const char *list, char *msg, size_t size);

/* The affinity of a vCPU thread as a CPU list ("" if unknown). */
void hv_place_affinity(const struct hv_vcpu *v, char *buf, size_t size);

#endif
