#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

int ring_append(struct ring *r, const uint8_t *p, size_t n)
{
    if (r->buf == NULL) {
        r->buf = malloc(RING_SIZE);
        if (r->buf == NULL)
            return -ENOMEM;
    }
    if (n > RING_SIZE) {   /* only the newest RING_SIZE bytes can survive */
        p += n - RING_SIZE;
        n = RING_SIZE;
    }
    size_t first = RING_SIZE - r->head < n ? RING_SIZE - r->head : n;
    memcpy(r->buf + r->head, p, first);
    memcpy(r->buf, p + first, n - first);
    r->head = (r->head + n) % RING_SIZE;
    r->len = r->len + n > RING_SIZE ? RING_SIZE : r->len + n;
    return 0;
}

size_t ring_copy(const struct ring *r, uint8_t *out)
{
    if (r->len == 0)
        return 0;
    size_t start = (r->head + RING_SIZE - r->len) % RING_SIZE;
    size_t first = RING_SIZE - start < r->len ? RING_SIZE - start : r->len;
    memcpy(out, r->buf + start, first);
    memcpy(out + first, r->buf, r->len - first);
    return r->len;
}

void ring_clear(struct ring *r)
{
    r->head = 0;
    r->len = 0;
}

void ring_free(struct ring *r)
{
    free(r->buf);
    r->buf = NULL;
    ring_clear(r);
}
