/*
 * KVM's dirty-page log of guest RAM, for live migration: off until asked
 * for (it makes every first write to a page fault), then fetched and
 * cleared in one step.
 */
#ifndef SKIFF_HV_DIRTY_LOG_H
#define SKIFF_HV_DIRTY_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "hv.h"

/* Turn logging on or off (re-registers memory slot 0 with the flag). */
int hv_dirty_log_enable(struct hv *hv, bool on);

/* Pages written since the last fetch (by the guest, or by the monitor
 * for it): one bit per 4 KiB page, *len bytes valid until the next
 * call. -ENOENT when logging is off. */
int hv_dirty_log_fetch(struct hv *hv, const uint8_t **bitmap, size_t *len);

/* The monitor wrote [gpa, gpa + len) of guest RAM (hypercall results,
 * block and network reads): KVM logs only the guest's own writes. Any
 * vCPU thread; cheap when logging is off. */
void hv_dirty_mark(struct hv *hv, uint64_t gpa, uint64_t len);

#endif
