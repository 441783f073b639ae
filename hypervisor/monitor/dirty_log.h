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

/* Pages written since the last fetch: one bit per 4 KiB page, *len bytes
 * valid until the next call. -ENOENT when logging is off. */
int hv_dirty_log_fetch(struct hv *hv, const uint8_t **bitmap, size_t *len);

#endif
