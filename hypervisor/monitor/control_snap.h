/*
 * The control requests of save, restore and migration: fetch the machine
 * state (every vCPU parked), load one (--incoming), the dirty log.
 * control.c dispatches and replies; these return 0 or a positive errno
 * with msg saying why, and fill st on success.
 */
#ifndef SKIFF_HV_CONTROL_SNAP_H
#define SKIFF_HV_CONTROL_SNAP_H

#include <stddef.h>

#include "hv.h"
#include "monitor.pb-c.h"

int hv_snap_get_state(struct hv *hv, Skiff__Monitor__V1__Stats *st, char *msg, size_t size);
int hv_snap_set_state(struct hv *hv, const Skiff__Snapshot__V1__MachineState *m, char *msg,
                      size_t size);
int hv_snap_dirty_log(struct hv *hv, const Skiff__Monitor__V1__DirtyLog *rq,
                      Skiff__Monitor__V1__Stats *st, char *msg, size_t size);
/* Free what the calls above put in st. */
void hv_snap_stats_clear(Skiff__Monitor__V1__Stats *st);

#endif
