/* hostd's copy of a guest's recent console output (the monitor keeps the
 * same ring; this copy answers `console --history` without a round trip). */
#ifndef SKIFF_HOSTD_RING_H
#define SKIFF_HOSTD_RING_H

#include <stddef.h>
#include <stdint.h>

#define RING_SIZE (64U << 10)

struct ring {
    uint8_t *buf;       /* allocated on first append */
    size_t head;        /* next write position */
    size_t len;         /* bytes held, at most RING_SIZE */
};

int ring_append(struct ring *r, const uint8_t *p, size_t n);
/* Copy the content, oldest first, into out (RING_SIZE bytes); returns the length. */
size_t ring_copy(const struct ring *r, uint8_t *out);
void ring_clear(struct ring *r);
void ring_free(struct ring *r);

#endif
