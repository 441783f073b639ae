/*
 * vCPU threads and how they are steered. Requests (pause, destroy, stop)
 * are flags under hv->ctl.lock; a kick (a signal to a vCPU thread) brings
 * it out of KVM_RUN, and the attention eventfd out of a sleeping POLL, to
 * look at them. Standalone with one vCPU nothing of this runs: vCPU 0
 * runs on the main thread with no checkpoint, as it always did.
 */
#ifndef SKIFF_HV_VCPU_CTL_H
#define SKIFF_HV_VCPU_CTL_H

#include "hv.h"

/* Kick signal, attention eventfd, and (managed) the control eventfds. */
int hv_vcpu_ctl_init(struct hv *hv);

/* Start the vCPU threads (managed: all; standalone: the secondaries) and
 * wait until each has made its start-up system calls. They run the guest
 * only after hv_vcpu_go() (after the sandbox); secondaries also wait for
 * the guest's SMP_START. */
int hv_vcpu_threads_start(struct hv *hv);
void hv_vcpu_go(struct hv *hv);

/* Standalone: run vCPU 0 on the calling (main) thread; once it stops,
 * wait for every other vCPU to stop too. Returns the exit status. */
int hv_vcpu_run_main(struct hv *hv);

/* SMP_START: let the secondaries run. Returns how many there are. */
unsigned hv_vcpu_start_secondaries(struct hv *hv);

/* vCPU thread, before each KVM_RUN: park while paused; HV_STOP once the
 * guest is stopping or destroyed. */
enum hv_action hv_vcpu_checkpoint(struct hv *hv, struct hv_vcpu *v);

/*
 * Record how the guest stopped unless another vCPU got there first, then
 * make every vCPU stop. Returns true for the call whose outcome counts.
 */
bool hv_guest_stop(struct hv *hv, int status, bool faulted, const char *reason);

/* Control thread: ask, then wait for every vCPU to comply. */
void hv_vcpu_pause(struct hv *hv);
void hv_vcpu_unpause(struct hv *hv);
void hv_vcpu_destroy(struct hv *hv);
bool hv_vcpu_paused(struct hv *hv);

#endif
