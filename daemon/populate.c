/*
 * Guest RAM reserved ahead of a stream (populate.h): each run of the map's
 * pages faulted into the mapping or allocated in the memfd, in pieces
 * small enough that a stop is heard soon; the end is told to the loop
 * through a pipe.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "populate.h"

#ifndef MADV_POPULATE_WRITE     /* headers older than Linux 5.14 */
#define MADV_POPULATE_WRITE 23
#endif

#define PAGE 4096U
#define PIECE (2U << 20)

struct populate {
    pthread_t th;
    int memfd;
    uint8_t *mem;               /* hostd's mapping of it, or NULL */
    uint8_t *map;
    uint64_t pages;
    atomic_bool stop;
    int err;                    /* the thread's outcome, read after the pipe */
    int pipe[2];
    struct event *ev;
    populate_done_fn *done;
    void *arg;
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
        if (p->mem != NULL &&
            madvise(p->mem + i * PAGE, n * PAGE, MADV_POPULATE_WRITE) < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EINVAL) {      /* EINVAL: a kernel without it */
                p->err = -errno;
                break;
            }
            p->mem = NULL;
        }
        if (p->mem == NULL && fallocate(p->memfd, 0, (off_t)(i * PAGE), (off_t)(n * PAGE)) < 0) {
            if (errno == EINTR)
                continue;
            /* A memfd that cannot (an old kernel) is no shortage. */
            p->err = errno == EOPNOTSUPP ? 0 : -errno;
            break;
        }
        i += n;
    }
    char c = 'R';
    if (write(p->pipe[1], &c, 1) != 1)
        log_err("guest memory reserved, but the loop cannot be told");
    return NULL;
}

static void finished(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct populate *p = arg;
    char c;
    if (read(fd, &c, 1) != 1)
        return;
    event_del(p->ev);
    p->done(p->arg, p->err);    /* may stop and free p */
}

struct populate *populate_start(struct event_base *base, int memfd, uint8_t *mem, uint64_t size,
                                const uint8_t *map, size_t len, populate_done_fn *done,
                                void *arg)
{
    uint64_t pages = size / PAGE;
    if (map == NULL || len == 0 || len > (pages + 7) / 8)
        return NULL;
    struct populate *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->memfd = memfd;
    p->mem = mem;
    p->pages = (uint64_t)len * 8 < pages ? (uint64_t)len * 8 : pages;
    p->done = done;
    p->arg = arg;
    p->pipe[0] = p->pipe[1] = -1;
    atomic_init(&p->stop, false);
    p->map = malloc(len);
    if (p->map == NULL || pipe2(p->pipe, O_CLOEXEC) < 0)
        goto fail;
    memcpy(p->map, map, len);
    p->ev = event_new(base, p->pipe[0], EV_READ | EV_PERSIST, finished, p);
    if (p->ev == NULL || event_add(p->ev, NULL) < 0)
        goto fail;
    if (pthread_create(&p->th, NULL, run, p) == 0)
        return p;
fail:
    log_warn("guest memory is not reserved ahead of the stream: %s", strerror(errno));
    if (p->ev != NULL)
        event_free(p->ev);
    for (int i = 0; i < 2; i++)
        if (p->pipe[i] >= 0)
            close(p->pipe[i]);
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
    event_free(p->ev);
    close(p->pipe[0]);
    close(p->pipe[1]);
    free(p->map);
    free(p);
}
