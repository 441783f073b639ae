/*
 * Reading a snapshot file. The footer is checked first, so a file cut
 * anywhere is refused before any of it is used; then records are read in
 * order, each bounded by type before allocation and checksummed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapshot.h"

static int fail(char *err, size_t size, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t size, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return rc;
}

static const char *record_name(uint32_t type)
{
    static const char *const names[] = { "?", "HEADER", "MACHINE", "VCPU", "DEVICES",
                                         "MEMORY", "TRAILER" };
    return type < sizeof names / sizeof names[0] ? names[type] : "unknown";
}

/* Read exactly len bytes at off; -EIO with a message on a short read. */
static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -ENODATA;
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

struct rec {
    uint32_t type;
    uint32_t crc;
    uint64_t len;
    uint64_t off;           /* of the record header */
};

static uint64_t max_len(uint32_t type)
{
    return type == SNAP_REC_MEMORY ? 8 + (uint64_t)SNAP_CHUNK_MAX_PAGES * SNAP_PAGE : SNAP_MSG_MAX;
}

/* The record header at off, its bounds checked against the type and the
 * end of the records (the trailer's offset). */
static int read_rec(int fd, const struct snap_image *img, uint64_t off, uint64_t end,
                    struct rec *r, char *err, size_t es)
{
    uint8_t h[SNAP_RECORD_HEADER];
    if (end - off < SNAP_RECORD_HEADER)
        return fail(err, es, -EPROTO, "corrupt: record header at offset %llu runs past "
                    "the end of the records (offset %llu)", (unsigned long long)off,
                    (unsigned long long)end);
    int rc = read_at(fd, h, sizeof h, off);
    if (rc < 0)
        return fail(err, es, rc, "cannot read the record at offset %llu: %s",
                    (unsigned long long)off, strerror(-rc));
    r->type = snap_get32(h);
    r->crc = snap_get32(h + 4);
    r->len = snap_get64(h + 8);
    r->off = off;
    if (r->type < SNAP_REC_HEADER || r->type > SNAP_REC_TRAILER)
        return fail(err, es, -EPROTO, "corrupt: unknown record type %u at offset %llu",
                    r->type, (unsigned long long)off);
    if (r->len > max_len(r->type))
        return fail(err, es, -EPROTO, "corrupt: %s record at offset %llu claims %llu bytes "
                    "(at most %llu)", record_name(r->type), (unsigned long long)off,
                    (unsigned long long)r->len, (unsigned long long)max_len(r->type));
    if (r->len > end - off - SNAP_RECORD_HEADER)
        return fail(err, es, -EPROTO, "corrupt: %s record at offset %llu claims %llu bytes, "
                    "past the end of the records at offset %llu", record_name(r->type),
                    (unsigned long long)off, (unsigned long long)r->len,
                    (unsigned long long)end);
    (void)img;
    return 0;
}

static uint32_t rec_crc_start(const struct rec *r)
{
    uint8_t b[12];
    snap_put32(b, r->type);
    snap_put64(b + 4, r->len);
    return snap_crc32c(0, b, sizeof b);
}

static int check_crc(const struct rec *r, uint32_t crc, char *err, size_t es)
{
    if (crc != r->crc)
        return fail(err, es, -EBADMSG, "corrupt: checksum mismatch in the %s record at offset "
                    "%llu", record_name(r->type), (unsigned long long)r->off);
    return 0;
}

/* Read, verify and unpack a message record of the expected type. */
static int read_msg(int fd, const struct snap_image *img, uint64_t off, uint32_t want,
                    const ProtobufCMessageDescriptor *desc, ProtobufCMessage **out,
                    uint64_t *next, char *err, size_t es)
{
    struct rec r;
    /* Records end where the trailer starts; the trailer ends at the footer. */
    uint64_t end = want == SNAP_REC_TRAILER ? img->file_size - SNAP_FOOTER : img->trailer_off;
    int rc = read_rec(fd, img, off, end, &r, err, es);
    if (rc < 0)
        return rc;
    if (r.type != want)
        return fail(err, es, -EPROTO, "corrupt: expected a %s record at offset %llu, found %s",
                    record_name(want), (unsigned long long)off, record_name(r.type));
    uint8_t *buf = malloc(r.len ? r.len : 1);
    if (buf == NULL)
        return fail(err, es, -ENOMEM, "out of memory");
    rc = read_at(fd, buf, r.len, off + SNAP_RECORD_HEADER);
    if (rc < 0) {
        free(buf);
        return fail(err, es, rc, "cannot read the %s record at offset %llu: %s",
                    record_name(want), (unsigned long long)off, strerror(-rc));
    }
    rc = check_crc(&r, snap_crc32c(rec_crc_start(&r), buf, r.len), err, es);
    if (rc == 0) {
        *out = protobuf_c_message_unpack(desc, NULL, r.len, buf);
        if (*out == NULL)
            rc = fail(err, es, -EBADMSG, "corrupt: the %s record at offset %llu does not parse",
                      record_name(want), (unsigned long long)off);
    }
    free(buf);
    *next = off + SNAP_RECORD_HEADER + r.len;
    return rc;
}

static int check_file_header(int fd, struct snap_image *img, char *err, size_t es)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return fail(err, es, -errno, "cannot stat: %s", strerror(errno));
    img->file_size = (uint64_t)st.st_size;
    uint8_t h[SNAP_FILE_HEADER];
    if (img->file_size < sizeof h)
        return fail(err, es, -EPROTO, "truncated: %llu bytes is shorter than the file header "
                    "(offset 0)", (unsigned long long)img->file_size);
    int rc = read_at(fd, h, sizeof h, 0);
    if (rc < 0)
        return fail(err, es, rc, "cannot read the file header: %s", strerror(-rc));
    if (memcmp(h, SNAP_MAGIC, 8) != 0)
        return fail(err, es, -EPROTO, "not a Skiff snapshot (bad magic at offset 0)");
    uint32_t version = snap_get32(h + 8), arch = snap_get32(h + 12);
    if (version != SNAP_VERSION)
        return fail(err, es, -EPROTO, "unsupported snapshot format version %u at offset 8 "
                    "(this Skiff reads version %u)", version, SNAP_VERSION);
    if (arch != SNAP_ARCH_X86_64)
        return fail(err, es, -EPROTO, "snapshot is for another architecture (ELF machine %u "
                    "at offset 12; this host is x86-64)", arch);
    if (img->file_size < sizeof h + SNAP_FOOTER + SNAP_RECORD_HEADER)
        return fail(err, es, -EPROTO, "truncated: %llu bytes, no room for records and the "
                    "footer (end of file at offset %llu)", (unsigned long long)img->file_size,
                    (unsigned long long)img->file_size);
    uint8_t foot[SNAP_FOOTER];
    uint64_t foot_off = img->file_size - SNAP_FOOTER;
    rc = read_at(fd, foot, sizeof foot, foot_off);
    if (rc < 0)
        return fail(err, es, rc, "cannot read the footer: %s", strerror(-rc));
    if (memcmp(foot + 8, SNAP_END_MAGIC, 8) != 0)
        return fail(err, es, -EPROTO, "truncated: no end marker at offset %llu (the file "
                    "was cut short or is still being written)", (unsigned long long)foot_off + 8);
    img->trailer_off = snap_get64(foot);
    if (img->trailer_off < sizeof h || img->trailer_off > foot_off - SNAP_RECORD_HEADER)
        return fail(err, es, -EPROTO, "corrupt: the footer at offset %llu points outside "
                    "the file (%llu)", (unsigned long long)foot_off,
                    (unsigned long long)img->trailer_off);
    return 0;
}

static int check_header(const Skiff__Snapshot__V1__Header *h, char *err, size_t es)
{
    if (h->format_version != SNAP_VERSION)
        return fail(err, es, -EPROTO, "corrupt: the header says format version %u",
                    h->format_version);
    if (strcmp(h->arch, "x86_64") != 0)
        return fail(err, es, -EPROTO, "snapshot is for architecture '%s'", h->arch);
    if (h->page_size != SNAP_PAGE)
        return fail(err, es, -EPROTO, "unsupported page size %u", h->page_size);
    if (h->memory_bytes == 0 || h->memory_bytes > SNAP_MEMORY_MAX ||
        h->memory_bytes % SNAP_PAGE != 0)
        return fail(err, es, -EPROTO, "corrupt: memory size %llu bytes",
                    (unsigned long long)h->memory_bytes);
    if (h->vcpu_count == 0 || h->vcpu_count > SNAP_VCPUS_MAX)
        return fail(err, es, -EPROTO, "corrupt: %u vCPUs (1 to %d)", h->vcpu_count,
                    SNAP_VCPUS_MAX);
    if (h->config == NULL)
        return fail(err, es, -EPROTO, "corrupt: the header has no domain configuration");
    return 0;
}

int snap_read_meta(int fd, struct snap_image *img, char *err, size_t es)
{
    memset(img, 0, sizeof *img);
    int rc = check_file_header(fd, img, err, es);
    if (rc < 0)
        return rc;
    uint64_t off = SNAP_FILE_HEADER, next;
    rc = read_msg(fd, img, img->trailer_off, SNAP_REC_TRAILER,
                  &skiff__snapshot__v1__trailer__descriptor, (ProtobufCMessage **)&img->trailer,
                  &next, err, es);
    if (rc == 0 && next != img->file_size - SNAP_FOOTER)
        rc = fail(err, es, -EPROTO, "corrupt: the trailer does not end at the footer");
    if (rc == 0 && img->trailer->bytes != img->trailer_off)
        rc = fail(err, es, -EPROTO, "corrupt: the trailer's size does not match its offset");
    if (rc == 0)
        rc = read_msg(fd, img, off, SNAP_REC_HEADER, &skiff__snapshot__v1__header__descriptor,
                      (ProtobufCMessage **)&img->header, &off, err, es);
    if (rc == 0)
        rc = check_header(img->header, err, es);
    if (rc == 0)
        rc = read_msg(fd, img, off, SNAP_REC_MACHINE,
                      &skiff__snapshot__v1__machine_state__descriptor,
                      (ProtobufCMessage **)&img->machine, &off, err, es);
    if (rc == 0 && img->machine->n_vcpus != 0)
        rc = fail(err, es, -EPROTO, "corrupt: vCPUs inside the MACHINE record");
    if (rc == 0) {
        uint32_t n = img->header->vcpu_count;
        img->machine->vcpus = calloc(n, sizeof *img->machine->vcpus);
        if (img->machine->vcpus == NULL)
            rc = fail(err, es, -ENOMEM, "out of memory");
        for (uint32_t i = 0; rc == 0 && i < n; i++) {
            uint64_t at = off;
            rc = read_msg(fd, img, off, SNAP_REC_VCPU, &skiff__snapshot__v1__vcpu_state__descriptor,
                          (ProtobufCMessage **)&img->machine->vcpus[i], &off, err, es);
            if (rc == 0)
                img->machine->n_vcpus = i + 1;
            if (rc == 0 && img->machine->vcpus[i]->index != i)
                rc = fail(err, es, -EPROTO, "corrupt: vCPU record at offset %llu has index %u, "
                          "expected %u", (unsigned long long)at, img->machine->vcpus[i]->index, i);
        }
    }
    if (rc == 0)
        rc = read_msg(fd, img, off, SNAP_REC_DEVICES, &skiff__snapshot__v1__devices__descriptor,
                      (ProtobufCMessage **)&img->devices, &off, err, es);
    if (rc == 0 && img->machine->memory_bytes != img->header->memory_bytes)
        rc = fail(err, es, -EPROTO, "corrupt: machine and header disagree on the memory size");
    if (rc < 0) {
        snap_image_free(img);
        return rc;
    }
    img->memory_off = off;
    return 0;
}

/* Write len bytes of buf to fd at off (the guest's memfd). */
static int pwrite_full(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, buf, len, (off_t)off);
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

struct mem_dst {
    uint8_t *mem;           /* a mapping of guest RAM, or */
    int memfd;              /* its memfd (>= 0), written through buf */
    uint8_t *buf;
    uint64_t size;
};

/* One MEMORY record at off: checked, verified, stored. */
static int read_chunk(int fd, const struct snap_image *img, uint64_t off, uint64_t end,
                      const struct mem_dst *dst, uint64_t *pages, uint64_t *next,
                      char *err, size_t es)
{
    struct rec r;
    int rc = read_rec(fd, img, off, end, &r, err, es);
    if (rc < 0)
        return rc;
    if (r.type != SNAP_REC_MEMORY)
        return fail(err, es, -EPROTO, "corrupt: %s record among memory at offset %llu",
                    record_name(r.type), (unsigned long long)off);
    uint64_t data = r.len - 8;
    if (r.len < 8 + SNAP_PAGE || data % SNAP_PAGE != 0)
        return fail(err, es, -EPROTO, "corrupt: MEMORY record at offset %llu holds %llu "
                    "bytes, not whole pages", (unsigned long long)off,
                    (unsigned long long)r.len);
    uint8_t a[8];
    rc = read_at(fd, a, 8, off + SNAP_RECORD_HEADER);
    if (rc < 0)
        return fail(err, es, rc, "cannot read offset %llu: %s", (unsigned long long)off,
                    strerror(-rc));
    uint64_t gpa = snap_get64(a);
    if (gpa % SNAP_PAGE != 0 || gpa >= dst->size || data > dst->size - gpa)
        return fail(err, es, -EPROTO, "corrupt: MEMORY record at offset %llu is outside "
                    "guest memory (address 0x%llx, %llu bytes)", (unsigned long long)off,
                    (unsigned long long)gpa, (unsigned long long)data);
    uint8_t *to = dst->memfd >= 0 ? dst->buf : dst->mem + gpa;
    rc = read_at(fd, to, data, off + SNAP_RECORD_HEADER + 8);
    if (rc < 0)
        return fail(err, es, rc, "cannot read offset %llu: %s", (unsigned long long)off,
                    strerror(-rc));
    uint32_t crc = snap_crc32c(rec_crc_start(&r), a, 8);
    rc = check_crc(&r, snap_crc32c(crc, to, data), err, es);
    if (rc < 0)
        return rc;
    if (dst->memfd >= 0 && (rc = pwrite_full(dst->memfd, to, data, gpa)) < 0)
        return fail(err, es, rc, "cannot write guest memory: %s", strerror(-rc));
    *pages += data / SNAP_PAGE;
    *next = off + SNAP_RECORD_HEADER + r.len;
    return 0;
}

int snap_read_memory(int fd, const struct snap_image *img, uint8_t *mem, int memfd,
                     uint64_t size, char *err, size_t es)
{
    /* Into a memfd through a buffer: write() allocates its pages without
     * a page fault each, which a copy into a mapping would cost. */
    struct mem_dst dst = { mem, memfd, NULL, size };
    if (memfd >= 0 && (dst.buf = malloc((size_t)SNAP_CHUNK_MAX_PAGES * SNAP_PAGE)) == NULL)
        return fail(err, es, -ENOMEM, "out of memory");
    uint64_t off = img->memory_off, chunks = 0, pages = 0;
    int rc = 0;
    while (off < img->trailer_off && rc == 0) {
        rc = read_chunk(fd, img, off, img->trailer_off, &dst, &pages, &off, err, es);
        chunks += rc == 0;
    }
    free(dst.buf);
    if (rc < 0)
        return rc;
    const Skiff__Snapshot__V1__Trailer *t = img->trailer;
    if (chunks != t->memory_chunks || pages != t->memory_pages)
        return fail(err, es, -EPROTO, "corrupt: %llu memory chunks (%llu pages) found, the "
                    "trailer says %llu (%llu pages)", (unsigned long long)chunks,
                    (unsigned long long)pages, (unsigned long long)t->memory_chunks,
                    (unsigned long long)t->memory_pages);
    uint64_t before = 3 + img->header->vcpu_count;    /* HEADER MACHINE VCPU* DEVICES */
    if (t->records != before + chunks)
        return fail(err, es, -EPROTO, "corrupt: %llu records found, the trailer says %llu",
                    (unsigned long long)(before + chunks), (unsigned long long)t->records);
    return 0;
}

void snap_image_free(struct snap_image *img)
{
    if (img->header)
        protobuf_c_message_free_unpacked(&img->header->base, NULL);
    if (img->machine)
        protobuf_c_message_free_unpacked(&img->machine->base, NULL);
    if (img->devices)
        protobuf_c_message_free_unpacked(&img->devices->base, NULL);
    if (img->trailer)
        protobuf_c_message_free_unpacked(&img->trailer->base, NULL);
    memset(img, 0, sizeof *img);
}
