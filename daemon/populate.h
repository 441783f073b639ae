/*
 * Guest RAM reserved ahead of an incoming stream, on a thread of its own:
 * the pages the source holds (a bit each) are allocated before the
 * destination asks for the stream. As QEMU's preallocated destination and
 * Xen's restore do, memory is had up front, so a host short of it refuses
 * the migration at once, while the domain still runs on the source,
 * instead of failing mid-stream.
 *
 * With hostd's mapping of guest RAM at hand, the pages are faulted into it
 * (MADV_POPULATE_WRITE), so that the stream is decrypted straight into
 * them without a page fault each; else (or on a kernel without it) they
 * are allocated in the memfd (fallocate), for the stream's writes.
 */
#ifndef SKIFF_HOSTD_POPULATE_H
#define SKIFF_HOSTD_POPULATE_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct populate;

/* err: 0, or a negative errno (the memory could not be had). */
typedef void populate_done_fn(void *arg, int err);

/* Start on memfd (size bytes; mapped at mem, or NULL) for the pages set
 * in map (len bytes, copied); done(arg, err) runs on base's loop once
 * they are all there.
 * NULL when it cannot start (nothing to reserve, or no thread): no call
 * to done follows, and the stream's writes allocate as they go. */
struct populate *populate_start(struct event_base *base, int memfd, uint8_t *mem, uint64_t size,
                                const uint8_t *map, size_t len, populate_done_fn *done,
                                void *arg);
/* Stop (at the next piece) and wait; done is not called after. NULL is
 * fine. */
void populate_stop(struct populate *p);

#endif
