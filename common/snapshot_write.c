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

static int write_chunk(struct snap_writer *w, const uint8_t *mem, uint64_t gpa, uint64_t pages)
{
    uint8_t addr[8];
    snap_put64(addr, gpa);
    struct iovec v[2] = { { addr, 8 }, { (void *)(mem + gpa), pages * SNAP_PAGE } };
    int rc = write_record(w, SNAP_REC_MEMORY, v, 2);
    if (rc == 0) {
        w->chunks++;
        w->pages += pages;
    }
    return rc;
}

/* Runs of non-zero pages in [start, end), at most a chunk each. */
static int write_range(struct snap_writer *w, const uint8_t *mem, uint64_t start, uint64_t end)
{
    uint64_t run = 0, run_start = 0;
    for (uint64_t a = start; a < end; a += SNAP_PAGE) {
        if (page_zero(mem + a)) {
            if (run > 0) {
                int rc = write_chunk(w, mem, run_start, run);
                if (rc < 0)
                    return rc;
                run = 0;
            }
            continue;
        }
        if (run == 0)
            run_start = a;
        if (++run == SNAP_CHUNK_MAX_PAGES) {
            int rc = write_chunk(w, mem, run_start, run);
            if (rc < 0)
                return rc;
            run = 0;
        }
    }
    return run > 0 ? write_chunk(w, mem, run_start, run) : 0;
}

int snap_write_memory(struct snap_writer *w, const uint8_t *mem, uint64_t size, int memfd)
{
    if (size % SNAP_PAGE != 0)
        return -EINVAL;
    if (memfd < 0)
        return write_range(w, mem, 0, size);
    uint64_t pos = 0;
    while (pos < size) {
        off_t data = lseek(memfd, (off_t)pos, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            break;              /* only holes from here on */
        if (data < 0)
            return -errno;
        off_t hole = lseek(memfd, data, SEEK_HOLE);
        if (hole < 0)
            return -errno;
        uint64_t s = (uint64_t)data & ~(uint64_t)(SNAP_PAGE - 1);
        uint64_t e = ((uint64_t)hole + SNAP_PAGE - 1) & ~(uint64_t)(SNAP_PAGE - 1);
        if (e > size)
            e = size;
        if (s >= e)
            break;
        int rc = write_range(w, mem, s, e);
        if (rc < 0)
            return rc;
        pos = e;
    }
    return 0;
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
