/* The event log: persisted in the store, pushed live to `events` streams. */
#ifndef SKIFF_HOSTD_EVENTS_H
#define SKIFF_HOSTD_EVENTS_H

#include <stdint.h>

struct hostd;
struct call;

void events_emit(struct hostd *h, const char *uuid, const char *name, const char *kind,
                 int state, const char *detail);
/* Replay events from seq since_seq on (0 = all kept), then follow. */
void events_subscribe(struct hostd *h, struct call *call, uint64_t since_seq);

#endif
