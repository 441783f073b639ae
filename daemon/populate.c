/*
 * Guest RAM populated ahead of a stream (populate.h): MADV_POPULATE_WRITE
 * over each run of the map's pages, in pieces small enough that a stop is
 * heard soon.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "log.h"
#include "populate.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PAGE 4096U
#define PIECE (2U << 20)

struct populate {
    pthread_t th;
    uint8_t *mem;
    uint64_t size;
    uint8_t *map;
    uint64_t pages;
    atomic_bool stop;
};

static bool bit(const uint8_t *map, uint64_t i)
{
    return (map[i / 8] >> (i % 8)) & 1;
}

static void *run(void *arg)
{
    struct populate *p = arg;
    for (uint64_t i = 0; i < p->pages && !atomic_load(&p->stop);) {
        if (!bit(p->map, i)) {
            i++;
            continue;
        }
        uint64_t n = 1;
        while (i + n < p->pages && n < PIECE / PAGE && bit(p->map, i + n))
            n++;
        /* A failure (no memory now) leaves the pages to the writes. */
        if (madvise(p->mem + i * PAGE, n * PAGE, MADV_POPULATE_WRITE) < 0 && errno != EINTR)
            break;
        i += n;
    }
    return NULL;
}

struct populate *populate_start(int memfd, uint64_t size, const uint8_t *map, size_t len)
{
    uint64_t pages = size / PAGE;
    if (map == NULL || len == 0 || len > (pages + 7) / 8)
        return NULL;
    struct populate *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->size = size;
    p->pages = (uint64_t)len * 8 < pages ? (uint64_t)len * 8 : pages;
    p->map = malloc(len);
    p->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    atomic_init(&p->stop, false);
    if (p->map == NULL || p->mem == MAP_FAILED) {
        p->mem = p->mem == MAP_FAILED ? NULL : p->mem;
        goto fail;
    }
    memcpy(p->map, map, len);
    if (pthread_create(&p->th, NULL, run, p) == 0)
        return p;
fail:
    log_warn("guest memory is not populated ahead of the stream: %s", strerror(errno));
    if (p->mem != NULL)
        munmap(p->mem, size);
    free(p->map);
    free(p);
    return NULL;
}

void populate_stop(struct populate *p)
{
    if (p == NULL)
        return;
    atomic_store(&p->stop, true);
    pthread_join(p->th, NULL);
    munmap(p->mem, p->size);
    free(p->map);
    free(p);
}
