/* KVM: the VM, guest memory registration and the boot vCPU (HVT-ABI 2). */
#ifndef SKIFF_HV_KVM_H
#define SKIFF_HV_KVM_H

#include "hv.h"

/* Open /dev/kvm, create the VM and register guest memory as slot 0. */
int hv_kvm_init(struct hv *hv);

/* Create hv->nvcpus vCPUs in 64-bit long mode with the host's CPUID:
 * vCPU 0 at hv->entry, secondaries at hv->smp_entry. */
int hv_kvm_vcpu_init(struct hv *hv);

/* A vCPU's RIP for messages; 0 if it cannot be read. */
uint64_t hv_kvm_rip(const struct hv_vcpu *v);

void hv_kvm_close(struct hv *hv);

#endif
