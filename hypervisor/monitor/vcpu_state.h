/*
 * One vCPU's architectural state in and out of KVM, as the snapshot
 * format's VcpuState (raw KVM structures; sizes checked on the way in).
 * Works on a vCPU fd that is not in KVM_RUN: the caller parks the vCPU.
 */
#ifndef SKIFF_HV_VCPU_STATE_H
#define SKIFF_HV_VCPU_STATE_H

#include <stddef.h>

#include "snapshot.pb-c.h"

struct kvm_run;

/*
 * Finish what the last exit left pending (an OUT is completed, and RIP
 * moved past it, only on the next KVM_RUN): enter with immediate_exit so
 * no guest instruction runs. Call on the vCPU's thread before parking.
 */
void hv_vcpu_state_settle(int fd, struct kvm_run *run);

/* Fill s (its byte fields malloc'd; free with hv_vcpu_state_clear). */
int hv_vcpu_state_get(int fd, unsigned index, Skiff__Snapshot__V1__VcpuState *s);
void hv_vcpu_state_clear(Skiff__Snapshot__V1__VcpuState *s);

/* Load s into the vCPU; on a refusal msg says why. Returns 0 or -1. */
int hv_vcpu_state_set(int fd, const Skiff__Snapshot__V1__VcpuState *s, char *msg, size_t size);

/* The TSC a saved vCPU had; -1 if the state has none. */
int hv_vcpu_state_tsc(const Skiff__Snapshot__V1__VcpuState *s, uint64_t *tsc);

/* Make the guest's TSC read tsc now on every vCPU of fds (the guest's
 * monotonic clock goes on from the save). Returns 0 or -1 with msg. */
int hv_vcpu_state_set_tsc(const int *fds, unsigned n, uint64_t tsc, uint64_t tsc_hz, char *msg,
                          size_t size);

#endif
