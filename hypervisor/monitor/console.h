/* Guest console: stdout, plus a ring and a controller queue when managed. */
#ifndef SKIFF_HV_CONSOLE_H
#define SKIFF_HV_CONSOLE_H

#include "hv.h"

/* Allocate the ring and queue (managed mode). Returns 0 or -1. */
int hv_console_init_managed(struct hv *hv);

/* Start or stop copying output to the controller; with history, the
 * ring's content is queued first. */
void hv_console_subscribe(struct hv *hv, bool on, bool history);

/* Move queued output into *buf (malloc'd, caller frees); returns its size,
 * 0 when nothing is queued. Called by the control thread. */
size_t hv_console_take(struct hv *hv, uint8_t **buf);

#endif
