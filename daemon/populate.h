/*
 * Guest RAM populated ahead of an incoming stream, on a thread of its
 * own: the pages the source holds (a bit each) are faulted in, front to
 * back, while the event loop writes the stream into them. Fresh memory
 * costs the kernel a page clear (and a host that pages its own memory
 * lazily, far more) on first touch; done here, that cost runs beside the
 * stream instead of in its way.
 */
#ifndef SKIFF_HOSTD_POPULATE_H
#define SKIFF_HOSTD_POPULATE_H

#include <stddef.h>
#include <stdint.h>

struct populate;

/* Start on memfd (size bytes) for the pages set in map (len bytes, copied);
 * NULL when it cannot (the stream then simply faults pages in itself). */
struct populate *populate_start(int memfd, uint64_t size, const uint8_t *map, size_t len);
/* Stop (at the next piece) and wait; NULL is fine. */
void populate_stop(struct populate *p);

#endif
