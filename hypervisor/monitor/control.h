/*
 * Managed mode: skiff-hv serves hostd on a UNIX socket (--control=PATH)
 * with the protocol of proto/monitor.proto, and outlives hostd.
 */
#ifndef SKIFF_HV_CONTROL_H
#define SKIFF_HV_CONTROL_H

#include "hv.h"

/* Read the guest's SKF1 note (sets hv->control_events). */
int hv_control_read_note(struct hv *hv);

/* Create and bind the control socket, or adopt the one --control-fd names
 * (before the sandbox). */
int hv_control_listen(struct hv *hv);

/* Serve the controller until the guest has stopped and been released.
 * Returns the process exit status. */
int hv_control_serve(struct hv *hv);

#endif
