/*
 * The vCPU thread in managed mode, and how the control thread reaches it:
 * requests are flags under hv->ctl.lock; a kick (a signal to the vCPU
 * thread) brings it out of KVM_RUN or a sleeping POLL to look at them.
 */
#ifndef SKIFF_HV_VCPU_CTL_H
#define SKIFF_HV_VCPU_CTL_H

#include "hv.h"

int hv_vcpu_ctl_init(struct hv *hv);

/* Start the vCPU thread; it waits for hv_vcpu_go() (after the sandbox). */
int hv_vcpu_thread_start(struct hv *hv);
void hv_vcpu_go(struct hv *hv);

/* vCPU thread, before each KVM_RUN: park while paused; HV_STOP on destroy. */
enum hv_action hv_vcpu_checkpoint(struct hv *hv);

/* vCPU thread, in a blocking hypercall: should it return early? */
bool hv_vcpu_wanted(struct hv *hv);

/* Control thread: ask, then wait for the vCPU thread to comply. */
void hv_vcpu_pause(struct hv *hv);
void hv_vcpu_unpause(struct hv *hv);
void hv_vcpu_destroy(struct hv *hv);
bool hv_vcpu_paused(struct hv *hv);

#endif
