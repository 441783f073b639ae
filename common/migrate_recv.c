/*
 * The receiving side of migration: a parser fed the stream in pieces of
 * any size as they arrive (hostd's event loop hands it each chunk off the
 * connection), writing pages straight into guest RAM's memfd. Every record is
 * bounded before anything is allocated or written, and checksummed;
 * nothing is trusted: a stream that ends early, a bad checksum, a record
 * out of order or out of bounds is refused with the offset where it was
 * found. mig_recv drives the same parser from a blocking source.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* What the bytes being read are. */
enum rx_item { RX_FILE_HEADER, RX_RECORD_HEADER, RX_MESSAGE, RX_MEMORY_ADDR, RX_MEMORY_DATA,
               RX_FOOTER, RX_DONE, RX_FAILED };

/* Which record comes next. */
enum rx_next { NX_HEADER, NX_MEMORY_OR_MACHINE, NX_VCPU, NX_DEVICES, NX_TRAILER };

static const char *const item_name[] = { "file header", "record header", "record payload",
                                          "record payload", "record payload", "footer" };

struct mig_rx {
    mig_rx_memory_fn *get_memory;
    void *ctx;
    enum rx_item item;
    enum rx_next next;
    uint64_t off;               /* bytes taken */
    uint64_t item_at;           /* where the item began */
    /* the record being read */
    uint32_t type, crc, running;
    uint64_t len, at, got;
    uint8_t small[SNAP_RECORD_HEADER];
    uint8_t *msg;               /* a message record's payload */
    /* guest RAM */
    int memfd;
    uint8_t *mem;               /* its mapping, if the caller has one */
    uint64_t size, gpa;
    /* what the trailer must agree with */
    uint64_t records, chunks, pages, trailer_at;
    uint32_t vcpus;
    struct snap_image img;
    char err[512];
};

static int fail(struct mig_rx *x, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct mig_rx *x, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, sizeof x->err, fmt, ap);
    va_end(ap);
    x->item = RX_FAILED;
    return rc;
}

struct mig_rx *mig_rx_new(mig_rx_memory_fn *get_memory, void *ctx)
{
    struct mig_rx *x = calloc(1, sizeof *x);
    if (x == NULL)
        return NULL;
    x->get_memory = get_memory;
    x->ctx = ctx;
    x->memfd = -1;
    return x;
}

void mig_rx_free(struct mig_rx *x)
{
    if (x == NULL)
        return;
    free(x->msg);
    snap_image_free(&x->img);
    free(x);
}

const char *mig_rx_error(const struct mig_rx *x)
{
    return x->err;
}

bool mig_rx_done(const struct mig_rx *x)
{
    return x->item == RX_DONE;
}

static void expect(struct mig_rx *x, enum rx_item item)
{
    x->item = item;
    x->item_at = x->off;
    x->got = 0;
}

size_t mig_rx_want(const struct mig_rx *x)
{
    switch (x->item) {
    case RX_FILE_HEADER: return SNAP_FILE_HEADER - x->got;
    case RX_RECORD_HEADER: return SNAP_RECORD_HEADER - x->got;
    case RX_MESSAGE: return x->len - x->got;
    case RX_MEMORY_ADDR: return 8 - x->got;
    case RX_MEMORY_DATA: return x->len - x->got;
    case RX_FOOTER: return SNAP_FOOTER - x->got;
    default: return 0;
    }
}

int mig_rx_end(struct mig_rx *x)
{
    if (x->item == RX_DONE)
        return 0;
    if (x->item == RX_FAILED)
        return -EPROTO;
    return fail(x, -EPROTO, "truncated: the stream ended in the %s at offset %llu",
                item_name[x->item], (unsigned long long)x->item_at);
}

void mig_rx_take(struct mig_rx *x, struct snap_image *img)
{
    *img = x->img;
    memset(&x->img, 0, sizeof x->img);
}

static uint32_t header_crc(const struct mig_rx *x)
{
    uint8_t b[12];
    snap_put32(b, x->type);
    snap_put64(b + 4, x->len);
    return snap_crc32c(0, b, sizeof b);
}

static int file_header(struct mig_rx *x)
{
    const uint8_t *h = x->small;
    if (memcmp(h, SNAP_MAGIC, 8) != 0)
        return fail(x, -EPROTO, "not a Skiff migration stream (bad magic at offset 0)");
    if (snap_get32(h + 8) != SNAP_VERSION || snap_get32(h + 12) != SNAP_ARCH_X86_64)
        return fail(x, -EPROTO, "unsupported stream version %u or architecture %u at offset 8",
                    snap_get32(h + 8), snap_get32(h + 12));
    expect(x, RX_RECORD_HEADER);
    return 0;
}

static const enum snap_record wanted[] = {
    [NX_HEADER] = SNAP_REC_HEADER, [NX_VCPU] = SNAP_REC_VCPU,
    [NX_DEVICES] = SNAP_REC_DEVICES, [NX_TRAILER] = SNAP_REC_TRAILER,
};

static const char *const wanted_name[] = {
    [NX_HEADER] = "the HEADER", [NX_VCPU] = "a vCPU", [NX_DEVICES] = "DEVICES",
    [NX_TRAILER] = "the TRAILER",
};

static int record_header(struct mig_rx *x)
{
    const uint8_t *h = x->small;
    x->type = snap_get32(h);
    x->crc = snap_get32(h + 4);
    x->len = snap_get64(h + 8);
    x->at = x->item_at;
    unsigned long long at = (unsigned long long)x->at;
    uint64_t max = x->type == SNAP_REC_MEMORY ? 8 + (uint64_t)SNAP_CHUNK_MAX_PAGES * SNAP_PAGE
                                              : SNAP_MSG_MAX;
    if (x->type < SNAP_REC_HEADER || x->type > SNAP_REC_TRAILER)
        return fail(x, -EPROTO, "corrupt: unknown record type %u at offset %llu", x->type, at);
    if (x->len > max)
        return fail(x, -EPROTO, "corrupt: record at offset %llu claims %llu bytes (at most "
                    "%llu)", at, (unsigned long long)x->len, (unsigned long long)max);
    if (x->next == NX_MEMORY_OR_MACHINE) {
        if (x->type != SNAP_REC_MEMORY && x->type != SNAP_REC_MACHINE)
            return fail(x, -EPROTO, "corrupt: expected MACHINE after memory at offset %llu", at);
    } else if (x->type != wanted[x->next]) {
        return fail(x, -EPROTO, "corrupt: expected %s at offset %llu", wanted_name[x->next], at);
    }
    if (x->type == SNAP_REC_TRAILER)
        x->trailer_at = x->at;
    x->running = header_crc(x);
    if (x->type == SNAP_REC_MEMORY) {
        if (x->len < 8 + SNAP_PAGE || (x->len - 8) % SNAP_PAGE != 0)
            return fail(x, -EPROTO, "corrupt: MEMORY record at offset %llu is not whole pages",
                        at);
        expect(x, RX_MEMORY_ADDR);
        return 0;
    }
    free(x->msg);
    x->msg = malloc(x->len ? x->len : 1);
    if (x->msg == NULL)
        return fail(x, -ENOMEM, "out of memory");
    expect(x, RX_MESSAGE);
    return 0;
}

static int memory_addr(struct mig_rx *x)
{
    x->running = snap_crc32c(x->running, x->small, 8);
    uint64_t gpa = snap_get64(x->small), data = x->len - 8;
    if (gpa % SNAP_PAGE != 0 || gpa >= x->size || data > x->size - gpa)
        return fail(x, -EPROTO, "corrupt: MEMORY record at offset %llu is outside guest "
                    "memory", (unsigned long long)x->at);
    x->gpa = gpa;
    uint64_t len = x->len;
    expect(x, RX_MEMORY_DATA);
    x->len = len - 8;           /* now counts the pages' bytes */
    return 0;
}

static int memory_done(struct mig_rx *x)
{
    if (x->running != x->crc)
        return fail(x, -EBADMSG, "corrupt: checksum mismatch in the record at offset %llu",
                    (unsigned long long)x->at);
    x->chunks++;
    x->pages += x->len / SNAP_PAGE;
    expect(x, RX_RECORD_HEADER);
    return 0;
}

static int header_record(struct mig_rx *x)
{
    const Skiff__Snapshot__V1__Header *hd = x->img.header;
    if (hd->memory_bytes == 0 || hd->memory_bytes > SNAP_MEMORY_MAX ||
        hd->memory_bytes % SNAP_PAGE != 0 || hd->vcpu_count == 0 ||
        hd->vcpu_count > SNAP_VCPUS_MAX || hd->config == NULL || hd->page_size != SNAP_PAGE)
        return fail(x, -EPROTO, "corrupt: the HEADER at offset %llu describes no machine "
                    "this host runs", (unsigned long long)x->at);
    x->memfd = x->get_memory(x->ctx, hd->memory_bytes);
    if (x->memfd < 0)
        return fail(x, -ENOMEM, "no guest memory of %llu bytes to receive into",
                    (unsigned long long)hd->memory_bytes);
    x->size = hd->memory_bytes;
    x->next = NX_MEMORY_OR_MACHINE;
    return 0;
}

static int machine_record(struct mig_rx *x)
{
    Skiff__Snapshot__V1__MachineState *ms = x->img.machine;
    if (ms->n_vcpus != 0 || ms->memory_bytes != x->img.header->memory_bytes)
        return fail(x, -EPROTO, "corrupt: the MACHINE record at offset %llu does not match "
                    "the header", (unsigned long long)x->at);
    ms->vcpus = calloc(x->img.header->vcpu_count, sizeof *ms->vcpus);
    if (ms->vcpus == NULL)
        return fail(x, -ENOMEM, "out of memory");
    x->next = NX_VCPU;
    return 0;
}

static int vcpu_record(struct mig_rx *x, ProtobufCMessage *msg)
{
    Skiff__Snapshot__V1__MachineState *ms = x->img.machine;
    Skiff__Snapshot__V1__VcpuState *v = (Skiff__Snapshot__V1__VcpuState *)msg;
    ms->vcpus[ms->n_vcpus++] = v;
    if (v->index != x->vcpus)
        return fail(x, -EPROTO, "corrupt: vCPU record at offset %llu has index %u",
                    (unsigned long long)x->at, v->index);
    if (++x->vcpus == x->img.header->vcpu_count)
        x->next = NX_DEVICES;
    return 0;
}

static int trailer_record(struct mig_rx *x)
{
    const Skiff__Snapshot__V1__Trailer *t = x->img.trailer;
    /* HEADER, the chunks, MACHINE, the vCPUs, DEVICES */
    uint64_t records = 1 + x->chunks + 1 + x->vcpus + 1;
    if (t->records != records || t->memory_chunks != x->chunks ||
        t->memory_pages != x->pages || t->bytes != x->trailer_at)
        return fail(x, -EPROTO, "corrupt: the trailer's totals do not match the stream");
    expect(x, RX_FOOTER);
    return 0;
}

static const ProtobufCMessageDescriptor *const descriptor[] = {
    [SNAP_REC_HEADER] = &skiff__snapshot__v1__header__descriptor,
    [SNAP_REC_MACHINE] = &skiff__snapshot__v1__machine_state__descriptor,
    [SNAP_REC_VCPU] = &skiff__snapshot__v1__vcpu_state__descriptor,
    [SNAP_REC_DEVICES] = &skiff__snapshot__v1__devices__descriptor,
    [SNAP_REC_TRAILER] = &skiff__snapshot__v1__trailer__descriptor,
};

static int message(struct mig_rx *x)
{
    if (snap_crc32c(x->running, x->msg, x->len) != x->crc)
        return fail(x, -EBADMSG, "corrupt: checksum mismatch in the record at offset %llu",
                    (unsigned long long)x->at);
    ProtobufCMessage *m = protobuf_c_message_unpack(descriptor[x->type], NULL, x->len, x->msg);
    free(x->msg);
    x->msg = NULL;
    if (m == NULL)
        return fail(x, -EBADMSG, "corrupt: the record at offset %llu does not parse",
                    (unsigned long long)x->at);
    expect(x, RX_RECORD_HEADER);
    switch (x->type) {
    case SNAP_REC_HEADER:
        x->img.header = (Skiff__Snapshot__V1__Header *)m;
        return header_record(x);
    case SNAP_REC_MACHINE:
        x->img.machine = (Skiff__Snapshot__V1__MachineState *)m;
        return machine_record(x);
    case SNAP_REC_VCPU:
        return vcpu_record(x, m);
    case SNAP_REC_DEVICES:
        x->img.devices = (Skiff__Snapshot__V1__Devices *)m;
        x->next = NX_TRAILER;
        return 0;
    default:
        x->img.trailer = (Skiff__Snapshot__V1__Trailer *)m;
        return trailer_record(x);
    }
}

static int footer(struct mig_rx *x)
{
    if (snap_get64(x->small) != x->trailer_at || memcmp(x->small + 8, SNAP_END_MAGIC, 8) != 0)
        return fail(x, -EPROTO, "corrupt: bad footer at offset %llu",
                    (unsigned long long)x->item_at);
    x->img.trailer_off = x->trailer_at;
    x->item = RX_DONE;
    return 0;
}

/* The item is whole: act on it. */
static int complete(struct mig_rx *x)
{
    switch (x->item) {
    case RX_FILE_HEADER: return file_header(x);
    case RX_RECORD_HEADER: return record_header(x);
    case RX_MESSAGE: return message(x);
    case RX_MEMORY_ADDR: return memory_addr(x);
    case RX_MEMORY_DATA: return memory_done(x);
    default: return footer(x);
    }
}

/* Act on every item that is whole (an empty message is whole at once). */
static int settle(struct mig_rx *x)
{
    while (x->item != RX_DONE && x->item != RX_FAILED && mig_rx_want(x) == 0) {
        int rc = complete(x);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/*
 * Without a mapping, pages are written: a write that fills a page spares
 * the kernel clearing a fresh one first, and the caller a page fault.
 */
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

void mig_rx_use_mapping(struct mig_rx *x, uint8_t *mem)
{
    x->mem = mem;
}

size_t mig_rx_place(const struct mig_rx *x, uint8_t **to)
{
    if (x->item != RX_MEMORY_DATA || x->mem == NULL)
        return 0;
    *to = x->mem + x->gpa + x->got;
    return (size_t)(x->len - x->got);
}

/* Pages' bytes into guest RAM: through the mapping if there is one
 * (nothing to copy if they were read there, mig_rx_place), else written. */
static int put_pages(struct mig_rx *x, const uint8_t *p, size_t k)
{
    uint64_t at = x->gpa + x->got;
    if (x->mem == NULL)
        return pwrite_all(x->memfd, p, k, at);
    if (p != x->mem + at)
        memcpy(x->mem + at, p, k);
    return 0;
}

int mig_rx_feed(struct mig_rx *x, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (x->item == RX_FAILED)
            return -EPROTO;
        if (x->item == RX_DONE)
            return fail(x, -EPROTO, "corrupt: data after the end of the stream at offset "
                        "%llu", (unsigned long long)x->off);
        size_t k = mig_rx_want(x);
        if (k > n)
            k = n;
        if (x->item == RX_MEMORY_DATA) {
            /* Checksummed as it goes; a bad record fails the whole stream,
             * so what it wrote is never run. */
            x->running = snap_crc32c(x->running, p, k);
            int rc = put_pages(x, p, k);
            if (rc < 0)
                return fail(x, rc, "cannot write guest memory: %s", strerror(-rc));
        } else if (x->item == RX_MESSAGE) {
            memcpy(x->msg + x->got, p, k);
        } else {
            memcpy(x->small + x->got, p, k);
        }
        x->got += k;
        x->off += k;
        p += k;
        n -= k;
        int rc = settle(x);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- the same parser over a blocking source ---- */

int mig_recv(snap_source_fn *src, void *src_ctx, int (*get_memory)(void *ctx, uint64_t size),
             void *mem_ctx, struct snap_image *img, char *err, size_t errsize)
{
    memset(img, 0, sizeof *img);
    struct mig_rx *x = mig_rx_new(get_memory, mem_ctx);
    uint8_t *buf = malloc(1U << 16);
    int rc = 0;
    if (x == NULL || buf == NULL) {
        snprintf(err, errsize, "out of memory");
        rc = -ENOMEM;
    }
    while (rc == 0 && !mig_rx_done(x)) {
        size_t n = mig_rx_want(x);
        if (n > 1U << 16)
            n = 1U << 16;
        rc = src(src_ctx, buf, n);
        if (rc == -EPIPE)
            rc = mig_rx_end(x);
        else if (rc < 0)
            fail(x, rc, "cannot read the stream at offset %llu: %s",
                 (unsigned long long)x->off, strerror(-rc));
        else
            rc = mig_rx_feed(x, buf, n);
    }
    if (x != NULL) {
        if (rc == 0)
            mig_rx_take(x, img);
        else
            snprintf(err, errsize, "%s", x->err);
    }
    mig_rx_free(x);
    free(buf);
    return rc;
}
