/* KVM: the VM, guest memory registration and the boot vCPU (HVT-ABI 2). */
#ifndef SKIFF_HV_KVM_H
#define SKIFF_HV_KVM_H

#include "hv.h"

/* Open /dev/kvm, create the VM and register guest memory as slot 0. */
int hv_kvm_init(struct hv *hv);

/* Create vCPU 0 in 64-bit long mode at hv->entry, with the host's CPUID. */
int hv_kvm_vcpu_init(struct hv *hv);

/* Guest RIP for messages; 0 if it cannot be read. */
uint64_t hv_kvm_rip(const struct hv *hv);

void hv_kvm_close(struct hv *hv);

#endif
