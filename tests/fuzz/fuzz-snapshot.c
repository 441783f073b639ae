/*
 * Fuzz target: the snapshot file reader (skiff restore) and the migration
 * stream reader (the destination of skiff migrate), common/snapshot_read.c
 * and common/migrate_recv.c. Both get the same bytes: a snapshot file and
 * a migration stream share their records, and both must refuse anything
 * malformed with a message, never trust a length, and never crash.
 * The stream is also read as hostd reads it, into mapped guest RAM. Guest
 * RAM is bounded so a header cannot make the target allocate much.
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

/* As hostd's migration reader runs it: guest RAM mapped, and pages'
 * bytes copied to where mig_rx_place says before they are fed. */
struct mapped {
    struct mig_rx *x;
    int fd;
    uint8_t *mem;
    uint64_t size;
};

static int ram_mapped(void *ctx, uint64_t size)
{
    struct mapped *m = ctx;
    if (ram_memfd(&m->fd, size) < 0)
        return -1;
    m->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
    if (m->mem == MAP_FAILED) {
        m->mem = NULL;
        return -1;
    }
    m->size = size;
    mig_rx_use_mapping(m->x, m->mem);
    return m->fd;
}

static void read_in_place(const uint8_t *data, size_t size)
{
    struct mapped m = { .fd = -1 };
    m.x = mig_rx_new(ram_mapped, &m);
    if (m.x == NULL)
        return;
    for (size_t off = 0; off < size;) {
        uint8_t *to;
        size_t n = mig_rx_place(m.x, &to);
        size_t k = n > 0 && n < size - off ? n : size - off;
        if (n > 0)
            memcpy(to, data + off, k);
        if (mig_rx_feed(m.x, n > 0 ? to : data + off, k) < 0)
            break;
        off += k;
    }
    if (mig_rx_end(m.x) == 0) {
        struct snap_image img;
        mig_rx_take(m.x, &img);
        snap_image_free(&img);
    }
    mig_rx_free(m.x);
    if (m.mem != NULL)
        munmap(m.mem, m.size);
    if (m.fd >= 0)
        close(m.fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_as_file(data, size);
    read_as_stream(data, size);
    read_in_pieces(data, size);
    read_in_place(data, size);
    return 0;
}
