/*
 * The guest console. PUTS runs on vCPU threads and must never wait
 * for a reader: stdout is best effort, the ring keeps the last 64 KiB for
 * a controller that attaches later, and the controller's queue drops what
 * does not fit (and says so) rather than slowing the guest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"
#include "log.h"

int hv_console_init_managed(struct hv *hv)
{
    struct hv_console *c = &hv->console;
    c->ring = calloc(1, HV_CONSOLE_RING);
    c->queue = malloc(HV_CONSOLE_QUEUE);
    c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->ring == NULL || c->queue == NULL || c->wake_fd < 0) {
        hv_err("cannot set up the console buffers: %m");
        return -1;
    }
    return 0;
}

/*
 * --log-max: a guest printing for ever must not fill the disk. Past the
 * cap, output to stdout stops (with one line saying so) until whoever
 * rotates the file (hostd) truncates it; the file's size is re-read only
 * when the count says the cap is reached. The ring and the controller
 * still get everything.
 */
static bool log_room(struct hv_console *c, size_t len)
{
    if (c->log_max == 0 || c->log_size + len <= c->log_max)
        return true;
    struct stat st;
    if (fstat(STDOUT_FILENO, &st) < 0 || !S_ISREG(st.st_mode)) {
        c->log_max = 0;   /* not a file: nothing to cap */
        return true;
    }
    c->log_size = (uint64_t)st.st_size;
    if (c->log_size + len <= c->log_max) {
        c->log_full = false;
        return true;
    }
    if (!c->log_full) {
        static const char note[] = "\nskiff-hv: console log full; output dropped until it is "
                                   "rotated\n";
        c->log_full = true;
        (void)!write(STDOUT_FILENO, note, sizeof note - 1);
    }
    return false;
}

static void write_stdout(struct hv_console *c, const uint8_t *data, size_t len)
{
    if (!log_room(c, len))
        return;
    c->log_size += len;
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void ring_put(struct hv_console *c, const uint8_t *data, size_t len)
{
    if (len > HV_CONSOLE_RING) {
        c->ring_total += len - HV_CONSOLE_RING;
        data += len - HV_CONSOLE_RING;
        len = HV_CONSOLE_RING;
    }
    size_t at = c->ring_total % HV_CONSOLE_RING;
    size_t first = HV_CONSOLE_RING - at < len ? HV_CONSOLE_RING - at : len;
    memcpy(c->ring + at, data, first);
    memcpy(c->ring, data + first, len - first);
    c->ring_total += len;
}

/* Queue for the controller; the caller holds the lock. */
static bool queue_put(struct hv_console *c, const uint8_t *data, size_t len)
{
    bool was_empty = c->queued == 0;
    size_t room = HV_CONSOLE_QUEUE - c->queued;
    size_t n = len < room ? len : room;
    memcpy(c->queue + c->queued, data, n);
    c->queued += n;
    c->dropped += len - n;
    return was_empty && n > 0;
}

void hv_console_write(struct hv *hv, const uint8_t *data, size_t len)
{
    struct hv_console *c = &hv->console;
    /* One PUTS stays whole on stdout and in the ring even when several
     * vCPUs write at once (a pipe keeps only small writes whole); the lock
     * also keeps the log's size count whole. */
    pthread_mutex_lock(&c->lock);
    write_stdout(c, data, len);
    if (c->ring == NULL) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    ring_put(c, data, len);
    bool wake = c->subscribed && queue_put(c, data, len);
    pthread_mutex_unlock(&c->lock);
    if (wake) {
        uint64_t one = 1;
        (void)!write(c->wake_fd, &one, sizeof one);
    }
}

void hv_console_subscribe(struct hv *hv, bool on, bool history)
{
    struct hv_console *c = &hv->console;
    pthread_mutex_lock(&c->lock);
    c->subscribed = on;
    c->queued = 0;
    if (on && history) {
        size_t have = c->ring_total < HV_CONSOLE_RING ? (size_t)c->ring_total : HV_CONSOLE_RING;
        size_t start = (size_t)((c->ring_total - have) % HV_CONSOLE_RING);
        size_t first = HV_CONSOLE_RING - start < have ? HV_CONSOLE_RING - start : have;
        queue_put(c, c->ring + start, first);
        queue_put(c, c->ring, have - first);
    }
    bool wake = c->queued > 0;
    pthread_mutex_unlock(&c->lock);
    if (wake) {
        uint64_t one = 1;
        (void)!write(c->wake_fd, &one, sizeof one);
    }
}

size_t hv_console_take(struct hv *hv, uint8_t **buf)
{
    struct hv_console *c = &hv->console;
    uint64_t count;
    (void)!read(c->wake_fd, &count, sizeof count);
    pthread_mutex_lock(&c->lock);
    size_t n = c->queued;
    uint8_t *copy = n ? malloc(n) : NULL;
    if (copy != NULL) {
        memcpy(copy, c->queue, n);
        c->queued = 0;
    } else {
        n = 0;
    }
    pthread_mutex_unlock(&c->lock);
    *buf = copy;
    return n;
}
