/*
 * Fuzz target: the snapshot file reader (skiff restore) and the migration
 * stream reader (the destination of skiff migrate), common/snapshot_read.c
 * and common/migrate_recv.c. Both get the same bytes: a snapshot file and
 * a migration stream share their records, and both must refuse anything
 * malformed with a message, never trust a length, and never crash.
 * Guest RAM is bounded so a header cannot make the target allocate much.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "migrate.h"
#include "snapshot.h"

#define RAM_MAX (16u << 20)

static int memfd_with(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-snapshot", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    for (size_t off = 0; off < size;) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    return fd;
}

static void read_as_file(const uint8_t *data, size_t size)
{
    int fd = memfd_with(data, size);
    if (fd < 0)
        return;
    struct snap_image img = { 0 };
    char err[512];
    if (snap_read_meta(fd, &img, err, sizeof err) == 0) {
        uint64_t ram = img.header->memory_bytes;
        uint8_t *mem = ram > 0 && ram <= RAM_MAX ? calloc(1, ram) : NULL;
        if (mem != NULL)
            snap_read_memory(fd, &img, mem, -1, ram, err, sizeof err);
        free(mem);
    }
    snap_image_free(&img);
    close(fd);
}

struct cursor {
    const uint8_t *data;
    size_t size, off;
};

static int cursor_source(void *ctx, void *buf, size_t len)
{
    struct cursor *c = ctx;
    if (len > c->size - c->off)
        return -EPIPE;
    memcpy(buf, c->data + c->off, len);
    c->off += len;
    return 0;
}

/* The destination's guest RAM: a memfd of the announced size, if small. */
static int ram_memfd(void *ctx, uint64_t size)
{
    int *fd = ctx;
    if (size == 0 || size > RAM_MAX)
        return -1;
    *fd = memfd_create("fuzz-ram", MFD_CLOEXEC);
    if (*fd >= 0 && ftruncate(*fd, (off_t)size) < 0) {
        close(*fd);
        *fd = -1;
    }
    return *fd;
}

static void read_as_stream(const uint8_t *data, size_t size)
{
    struct cursor c = { data, size, 0 };
    struct snap_image img = { 0 };
    int ram = -1;
    char err[512];
    mig_recv(cursor_source, &c, ram_memfd, &ram, &img, err, sizeof err);
    snap_image_free(&img);
    if (ram >= 0)
        close(ram);
}

/* As hostd's loop feeds it: pieces of any size (here 1 to 64 bytes,
 * from the input's own bytes), so every split of every record is met. */
static void read_in_pieces(const uint8_t *data, size_t size)
{
    int ram = -1;
    struct mig_rx *x = mig_rx_new(ram_memfd, &ram);
    if (x == NULL)
        return;
    for (size_t off = 0; off < size;) {
        size_t n = 1 + data[off] % 64;
        if (n > size - off)
            n = size - off;
        if (mig_rx_feed(x, data + off, n) < 0)
            break;
        off += n;
    }
    if (mig_rx_end(x) == 0) {
        struct snap_image img;
        mig_rx_take(x, &img);
        snap_image_free(&img);
    }
    mig_rx_free(x);
    if (ram >= 0)
        close(ram);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_as_file(data, size);
    read_as_stream(data, size);
    read_in_pieces(data, size);
    return 0;
}
