/*
 * Writing a snapshot stream: the file header, checksummed records and
 * the footer that lets a reader find the trailer (and so detect any
 * truncation) before it trusts anything else.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapshot.h"

int snap_fd_sink(void *ctx, const struct iovec *iov, int iovcnt)
{
    int fd = *(int *)ctx;
    struct iovec v[8];
    if (iovcnt > 8)
        return -EINVAL;
    memcpy(v, iov, (size_t)iovcnt * sizeof *v);
    int i = 0;
    while (i < iovcnt) {
        ssize_t n = writev(fd, v + i, iovcnt - i);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        size_t left = (size_t)n;
        while (i < iovcnt && left >= v[i].iov_len)
            left -= v[i++].iov_len;
        if (i < iovcnt) {
            v[i].iov_base = (uint8_t *)v[i].iov_base + left;
            v[i].iov_len -= left;
        }
    }
    return 0;
}

static int emit(struct snap_writer *w, const struct iovec *iov, int n)
{
    int rc = w->sink(w->ctx, iov, n);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++)
        w->off += iov[i].iov_len;
    return 0;
}

int snap_write_begin(struct snap_writer *w, snap_sink_fn *sink, void *ctx)
{
    memset(w, 0, sizeof *w);
    w->sink = sink;
    w->ctx = ctx;
    uint8_t hdr[SNAP_FILE_HEADER];
    memcpy(hdr, SNAP_MAGIC, 8);
    snap_put32(hdr + 8, SNAP_VERSION);
    snap_put32(hdr + 12, SNAP_ARCH_X86_64);
    struct iovec v = { hdr, sizeof hdr };
    return emit(w, &v, 1);
}

/* One record whose payload is the concatenation of parts. */
static int write_record(struct snap_writer *w, uint32_t type, const struct iovec *parts, int n)
{
    uint8_t hdr[SNAP_RECORD_HEADER];
    uint64_t len = 0;
    for (int i = 0; i < n; i++)
        len += parts[i].iov_len;
    snap_put32(hdr, type);
    snap_put64(hdr + 8, len);
    uint32_t crc = snap_crc32c(0, hdr, 4);
    crc = snap_crc32c(crc, hdr + 8, 8);
    for (int i = 0; i < n; i++)
        crc = snap_crc32c(crc, parts[i].iov_base, parts[i].iov_len);
    snap_put32(hdr + 4, crc);
    struct iovec v[4] = { { hdr, sizeof hdr } };
    if (n > 3)
        return -EINVAL;
    memcpy(v + 1, parts, (size_t)n * sizeof *v);
    int rc = emit(w, v, n + 1);
    if (rc == 0)
        w->records++;
    return rc;
}

int snap_write_msg(struct snap_writer *w, uint32_t type, const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    if (len > SNAP_MSG_MAX)
        return -EMSGSIZE;
    uint8_t *buf = malloc(len ? len : 1);
    if (buf == NULL)
        return -ENOMEM;
    protobuf_c_message_pack(msg, buf);
    struct iovec v = { buf, len };
    int rc = write_record(w, type, &v, 1);
    free(buf);
    return rc;
}

static bool page_zero(const uint8_t *p)
{
    const uint64_t *q = (const uint64_t *)(const void *)p;
    for (unsigned i = 0; i < SNAP_PAGE / 8; i += 4) {
        if (q[i] | q[i + 1] | q[i + 2] | q[i + 3])
            return false;
    }
    return true;
}

static int write_chunk(struct snap_writer *w, const uint8_t *data, uint64_t gpa, uint64_t pages)
{
    uint8_t addr[8];
    snap_put64(addr, gpa);
    struct iovec v[2] = { { addr, 8 }, { (void *)data, pages * SNAP_PAGE } };
    int rc = write_record(w, SNAP_REC_MEMORY, v, 2);
    if (rc == 0) {
        w->chunks++;
        w->pages += pages;
    }
    return rc;
}

/* Runs of non-zero pages of the n pages at p (guest address gpa), at
 * most a chunk each. */
static int write_pages(struct snap_writer *w, const uint8_t *p, uint64_t gpa, uint64_t n)
{
    uint64_t run = 0, run_start = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (page_zero(p + i * SNAP_PAGE)) {
            if (run > 0) {
                int rc = write_chunk(w, p + run_start * SNAP_PAGE, gpa + run_start * SNAP_PAGE, run);
                if (rc < 0)
                    return rc;
                run = 0;
            }
            continue;
        }
        if (run == 0)
            run_start = i;
        if (++run == SNAP_CHUNK_MAX_PAGES) {
            int rc = write_chunk(w, p + run_start * SNAP_PAGE, gpa + run_start * SNAP_PAGE, run);
            if (rc < 0)
                return rc;
            run = 0;
        }
    }
    return run > 0 ? write_chunk(w, p + run_start * SNAP_PAGE, gpa + run_start * SNAP_PAGE, run)
                   : 0;
}

static int pread_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pread(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        buf += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* [start, end) of the memfd, read a chunk at a time (when no mapping is
 * at hand, as for a stream source). */
static int write_range_fd(struct snap_writer *w, int memfd, uint8_t *buf, uint64_t start,
                          uint64_t end)
{
    for (uint64_t a = start; a < end;) {
        uint64_t n = (end - a) / SNAP_PAGE;
        if (n > SNAP_CHUNK_MAX_PAGES)
            n = SNAP_CHUNK_MAX_PAGES;
        int rc = pread_full(memfd, buf, n * SNAP_PAGE, a);
        if (rc == 0)
            rc = write_pages(w, buf, a, n);
        if (rc < 0)
            return rc;
        a += n * SNAP_PAGE;
    }
    return 0;
}

int snap_write_memory(struct snap_writer *w, const uint8_t *mem, uint64_t size, int memfd)
{
    if (size % SNAP_PAGE != 0)
        return -EINVAL;
    if (memfd < 0)
        return write_pages(w, mem, 0, size / SNAP_PAGE);
    uint8_t *buf = NULL;
    if (mem == NULL && (buf = malloc((size_t)SNAP_CHUNK_MAX_PAGES * SNAP_PAGE)) == NULL)
        return -ENOMEM;
    int rc = 0;
    uint64_t pos = 0;
    while (pos < size && rc == 0) {
        off_t data = lseek(memfd, (off_t)pos, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            break;              /* only holes from here on */
        off_t hole = data < 0 ? -1 : lseek(memfd, data, SEEK_HOLE);
        if (hole < 0) {
            rc = -errno;
            break;
        }
        uint64_t s = (uint64_t)data & ~(uint64_t)(SNAP_PAGE - 1);
        uint64_t e = ((uint64_t)hole + SNAP_PAGE - 1) & ~(uint64_t)(SNAP_PAGE - 1);
        if (e > size)
            e = size;
        if (s >= e)
            break;
        rc = mem != NULL ? write_pages(w, mem + s, s, (e - s) / SNAP_PAGE)
                         : write_range_fd(w, memfd, buf, s, e);
        pos = e;
    }
    free(buf);
    return rc;
}

int snap_write_end(struct snap_writer *w)
{
    Skiff__Snapshot__V1__Trailer t = SKIFF__SNAPSHOT__V1__TRAILER__INIT;
    t.records = w->records;
    t.memory_chunks = w->chunks;
    t.memory_pages = w->pages;
    t.bytes = w->off;
    uint64_t trailer_off = w->off;
    int rc = snap_write_msg(w, SNAP_REC_TRAILER, &t.base);
    if (rc < 0)
        return rc;
    uint8_t foot[SNAP_FOOTER];
    snap_put64(foot, trailer_off);
    memcpy(foot + 8, SNAP_END_MAGIC, 8);
    struct iovec v = { foot, sizeof foot };
    return emit(w, &v, 1);
}
