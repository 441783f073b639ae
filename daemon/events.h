/* The event log: persisted in the store, pushed live to `events` streams. */
#ifndef SKIFF_HOSTD_EVENTS_H
#define SKIFF_HOSTD_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

struct hostd;
struct call;

/* label: the security context of the domain the event is about ("" if
 * none): events streams show an event only to clients that may see it. */
void events_emit(struct hostd *h, const char *uuid, const char *name, const char *label,
                 const char *kind, int state, const char *detail);
/* Replay events from seq since_seq on (0 = all kept), then follow (or
 * end the stream). call->audit: denials (kind "avc") only. */
void events_subscribe(struct hostd *h, struct call *call, uint64_t since_seq, bool follow);

#endif
