/*
 * The receiving side of migration: one pass over the stream, every
 * record bounded before allocation and checksummed, pages written into
 * guest RAM's memfd as they arrive. Nothing is trusted: a stream that
 * ends early, a bad checksum, a record out of order or out of bounds is
 * refused with the offset where it was found.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate.h"

int snap_fd_source(void *ctx, void *buf, size_t len)
{
    int fd = *(int *)ctx;
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EPIPE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

struct rx {
    snap_source_fn *src;
    void *ctx;
    uint64_t off;
    char *err;
    size_t es;
};

static int fail(struct rx *x, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct rx *x, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, x->es, fmt, ap);
    va_end(ap);
    return rc;
}

static int get(struct rx *x, void *buf, size_t len, const char *what)
{
    int rc = x->src(x->ctx, buf, len);
    if (rc == -EPIPE)
        return fail(x, -EPROTO, "truncated: the stream ended in the %s at offset %llu", what,
                    (unsigned long long)x->off);
    if (rc < 0)
        return fail(x, rc, "cannot read the stream at offset %llu: %s",
                    (unsigned long long)x->off, strerror(-rc));
    x->off += len;
    return 0;
}

struct record {
    uint32_t type;
    uint32_t crc;
    uint64_t len;
    uint64_t at;
};

static int get_record(struct rx *x, struct record *r)
{
    uint8_t h[SNAP_RECORD_HEADER];
    r->at = x->off;
    int rc = get(x, h, sizeof h, "record header");
    if (rc < 0)
        return rc;
    r->type = snap_get32(h);
    r->crc = snap_get32(h + 4);
    r->len = snap_get64(h + 8);
    uint64_t max = r->type == SNAP_REC_MEMORY ? 8 + (uint64_t)SNAP_CHUNK_MAX_PAGES * SNAP_PAGE
                                              : SNAP_MSG_MAX;
    if (r->type < SNAP_REC_HEADER || r->type > SNAP_REC_TRAILER)
        return fail(x, -EPROTO, "corrupt: unknown record type %u at offset %llu", r->type,
                    (unsigned long long)r->at);
    if (r->len > max)
        return fail(x, -EPROTO, "corrupt: record at offset %llu claims %llu bytes (at most "
                    "%llu)", (unsigned long long)r->at, (unsigned long long)r->len,
                    (unsigned long long)max);
    return 0;
}

static uint32_t crc_of(const struct record *r, const uint8_t *p, size_t n)
{
    uint8_t b[12];
    snap_put32(b, r->type);
    snap_put64(b + 4, r->len);
    return snap_crc32c(snap_crc32c(0, b, sizeof b), p, n);
}

/* The payload of r into buf (r->len bytes), checksum verified. */
static int get_payload(struct rx *x, const struct record *r, uint8_t *buf)
{
    int rc = get(x, buf, r->len, "record payload");
    if (rc == 0 && crc_of(r, buf, r->len) != r->crc)
        rc = fail(x, -EBADMSG, "corrupt: checksum mismatch in the record at offset %llu",
                  (unsigned long long)r->at);
    return rc;
}

static int get_msg(struct rx *x, const struct record *r, const ProtobufCMessageDescriptor *d,
                   ProtobufCMessage **out)
{
    uint8_t *buf = malloc(r->len ? r->len : 1);
    if (buf == NULL)
        return fail(x, -ENOMEM, "out of memory");
    int rc = get_payload(x, r, buf);
    if (rc == 0 && (*out = protobuf_c_message_unpack(d, NULL, r->len, buf)) == NULL)
        rc = fail(x, -EBADMSG, "corrupt: the record at offset %llu does not parse",
                  (unsigned long long)r->at);
    free(buf);
    return rc;
}

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t k = pwrite(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return k < 0 ? -errno : -EIO;
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

static int get_memory_record(struct rx *x, const struct record *r, uint8_t *buf, int memfd,
                             uint64_t size, uint64_t *pages)
{
    if (r->len < 8 + SNAP_PAGE || (r->len - 8) % SNAP_PAGE != 0)
        return fail(x, -EPROTO, "corrupt: MEMORY record at offset %llu is not whole pages",
                    (unsigned long long)r->at);
    int rc = get_payload(x, r, buf);
    if (rc < 0)
        return rc;
    uint64_t gpa = snap_get64(buf), data = r->len - 8;
    if (gpa % SNAP_PAGE != 0 || gpa >= size || data > size - gpa)
        return fail(x, -EPROTO, "corrupt: MEMORY record at offset %llu is outside guest "
                    "memory", (unsigned long long)r->at);
    rc = pwrite_all(memfd, buf + 8, data, gpa);
    if (rc < 0)
        return fail(x, rc, "cannot write guest memory: %s", strerror(-rc));
    *pages += data / SNAP_PAGE;
    return 0;
}

/* The records after the memory: MACHINE, one VCPU each, DEVICES, TRAILER. */
static int get_tail(struct rx *x, const struct record *first, struct snap_image *img,
                    uint64_t records, uint64_t chunks, uint64_t pages)
{
    int rc = get_msg(x, first, &skiff__snapshot__v1__machine_state__descriptor,
                     (ProtobufCMessage **)&img->machine);
    if (rc < 0)
        return rc;
    uint32_t n = img->header->vcpu_count;
    if (img->machine->n_vcpus != 0 || img->machine->memory_bytes != img->header->memory_bytes)
        return fail(x, -EPROTO, "corrupt: the MACHINE record at offset %llu does not match "
                    "the header", (unsigned long long)first->at);
    img->machine->vcpus = calloc(n, sizeof *img->machine->vcpus);
    if (img->machine->vcpus == NULL)
        return fail(x, -ENOMEM, "out of memory");
    struct record r;
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = get_record(x, &r)) < 0)
            return rc;
        if (r.type != SNAP_REC_VCPU)
            return fail(x, -EPROTO, "corrupt: expected vCPU %u at offset %llu", i,
                        (unsigned long long)r.at);
        if ((rc = get_msg(x, &r, &skiff__snapshot__v1__vcpu_state__descriptor,
                          (ProtobufCMessage **)&img->machine->vcpus[i])) < 0)
            return rc;
        img->machine->n_vcpus = i + 1;
        if (img->machine->vcpus[i]->index != i)
            return fail(x, -EPROTO, "corrupt: vCPU record at offset %llu has index %u",
                        (unsigned long long)r.at, img->machine->vcpus[i]->index);
    }
    if ((rc = get_record(x, &r)) < 0)
        return rc;
    if (r.type != SNAP_REC_DEVICES)
        return fail(x, -EPROTO, "corrupt: expected DEVICES at offset %llu",
                    (unsigned long long)r.at);
    if ((rc = get_msg(x, &r, &skiff__snapshot__v1__devices__descriptor,
                      (ProtobufCMessage **)&img->devices)) < 0)
        return rc;
    records += 2 + n;
    uint64_t trailer_at = x->off;
    if ((rc = get_record(x, &r)) < 0)
        return rc;
    if (r.type != SNAP_REC_TRAILER)
        return fail(x, -EPROTO, "corrupt: expected the TRAILER at offset %llu",
                    (unsigned long long)r.at);
    if ((rc = get_msg(x, &r, &skiff__snapshot__v1__trailer__descriptor,
                      (ProtobufCMessage **)&img->trailer)) < 0)
        return rc;
    const Skiff__Snapshot__V1__Trailer *t = img->trailer;
    if (t->records != records || t->memory_chunks != chunks || t->memory_pages != pages ||
        t->bytes != trailer_at)
        return fail(x, -EPROTO, "corrupt: the trailer's totals do not match the stream");
    uint8_t foot[SNAP_FOOTER];
    if ((rc = get(x, foot, sizeof foot, "footer")) < 0)
        return rc;
    if (snap_get64(foot) != trailer_at || memcmp(foot + 8, SNAP_END_MAGIC, 8) != 0)
        return fail(x, -EPROTO, "corrupt: bad footer at offset %llu",
                    (unsigned long long)(x->off - SNAP_FOOTER));
    img->trailer_off = trailer_at;
    return 0;
}

static int receive(struct rx *x, int (*get_memory)(void *, uint64_t), void *mem_ctx,
                   struct snap_image *img, int *memfd, uint8_t **buf)
{
    uint8_t h[SNAP_FILE_HEADER];
    int rc = get(x, h, sizeof h, "file header");
    if (rc < 0)
        return rc;
    if (memcmp(h, SNAP_MAGIC, 8) != 0)
        return fail(x, -EPROTO, "not a Skiff migration stream (bad magic at offset 0)");
    if (snap_get32(h + 8) != SNAP_VERSION || snap_get32(h + 12) != SNAP_ARCH_X86_64)
        return fail(x, -EPROTO, "unsupported stream version %u or architecture %u at offset 8",
                    snap_get32(h + 8), snap_get32(h + 12));
    struct record r;
    if ((rc = get_record(x, &r)) < 0)
        return rc;
    if (r.type != SNAP_REC_HEADER)
        return fail(x, -EPROTO, "corrupt: expected the HEADER at offset %llu",
                    (unsigned long long)r.at);
    if ((rc = get_msg(x, &r, &skiff__snapshot__v1__header__descriptor,
                      (ProtobufCMessage **)&img->header)) < 0)
        return rc;
    const Skiff__Snapshot__V1__Header *hd = img->header;
    if (hd->memory_bytes == 0 || hd->memory_bytes > SNAP_MEMORY_MAX ||
        hd->memory_bytes % SNAP_PAGE != 0 || hd->vcpu_count == 0 ||
        hd->vcpu_count > SNAP_VCPUS_MAX || hd->config == NULL || hd->page_size != SNAP_PAGE)
        return fail(x, -EPROTO, "corrupt: the HEADER at offset %llu describes no machine "
                    "this host runs", (unsigned long long)r.at);
    *memfd = get_memory(mem_ctx, hd->memory_bytes);
    if (*memfd < 0)
        return fail(x, -ENOMEM, "no guest memory of %llu bytes to receive into",
                    (unsigned long long)hd->memory_bytes);
    *buf = malloc(8 + (size_t)SNAP_CHUNK_MAX_PAGES * SNAP_PAGE);
    if (*buf == NULL)
        return fail(x, -ENOMEM, "out of memory");
    uint64_t chunks = 0, pages = 0;
    for (;;) {
        if ((rc = get_record(x, &r)) < 0)
            return rc;
        if (r.type != SNAP_REC_MEMORY)
            break;
        if ((rc = get_memory_record(x, &r, *buf, *memfd, hd->memory_bytes, &pages)) < 0)
            return rc;
        chunks++;
    }
    if (r.type != SNAP_REC_MACHINE)
        return fail(x, -EPROTO, "corrupt: expected MACHINE after memory at offset %llu",
                    (unsigned long long)r.at);
    return get_tail(x, &r, img, 1 + chunks, chunks, pages);
}

int mig_recv(snap_source_fn *src, void *src_ctx, int (*get_memory)(void *ctx, uint64_t size),
             void *mem_ctx, struct snap_image *img, char *err, size_t errsize)
{
    struct rx x = { src, src_ctx, 0, err, errsize };
    memset(img, 0, sizeof *img);
    int memfd = -1;
    uint8_t *buf = NULL;
    int rc = receive(&x, get_memory, mem_ctx, img, &memfd, &buf);
    free(buf);
    if (rc < 0)
        snap_image_free(img);
    return rc;
}
