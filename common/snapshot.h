/*
 * Snapshot files: the record framing of proto/snapshot.proto, written
 * and read by hostd (save, restore) and later by migration. The reader
 * trusts nothing in the file: every length is bounded before anything is
 * allocated, every record is checksummed, and every refusal names the
 * problem and the file offset where it was found.
 */
#ifndef SKIFF_SNAPSHOT_H
#define SKIFF_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "snapshot.pb-c.h"

#define SNAP_MAGIC "SKIFFSNP"
#define SNAP_END_MAGIC "SKIFFEND"
#define SNAP_VERSION 1
#define SNAP_ARCH_X86_64 62                 /* ELF EM_X86_64 */
#define SNAP_FILE_HEADER 16
#define SNAP_RECORD_HEADER 16
#define SNAP_FOOTER 16
#define SNAP_PAGE 4096U
#define SNAP_CHUNK_MAX_PAGES 256U           /* 1 MiB of guest RAM per MEMORY record */
#define SNAP_MSG_MAX (4U << 20)             /* any message record */
#define SNAP_VCPUS_MAX 512
#define SNAP_MEMORY_MAX (4ULL << 30)        /* the hvt limit */

enum snap_record {
    SNAP_REC_HEADER = 1,
    SNAP_REC_MACHINE = 2,
    SNAP_REC_VCPU = 3,
    SNAP_REC_DEVICES = 4,
    SNAP_REC_MEMORY = 5,
    SNAP_REC_TRAILER = 6,
};

/* CRC-32C (Castagnoli); crc is 0 to start, or a previous result to go on. */
uint32_t snap_crc32c(uint32_t crc, const void *data, size_t len);

/* ---- writing (snapshot_write.c) ---- */

/* Where the bytes go: write all of iov or return a negative errno. */
typedef int snap_sink_fn(void *ctx, const struct iovec *iov, int iovcnt);

struct snap_writer {
    snap_sink_fn *sink;
    void *ctx;
    uint64_t off;               /* bytes written so far */
    uint64_t records, chunks, pages;
};

/* A sink writing to a file descriptor (ctx is a pointer to the int fd). */
snap_sink_fn snap_fd_sink;

int snap_write_begin(struct snap_writer *w, snap_sink_fn *sink, void *ctx);
int snap_write_msg(struct snap_writer *w, uint32_t type, const ProtobufCMessage *msg);
/*
 * Guest RAM, sparsely: only pages that are not all zero. From the size
 * bytes at mem, or with mem NULL read from memfd. When memfd >= 0 only
 * its allocated ranges (SEEK_DATA) are looked at, so holes cost nothing.
 * (Measured: reading a shared mapping beats pread here; writing the
 * memfd with pwrite beats copying into a mapping, see snap_read_memory.)
 */
int snap_write_memory(struct snap_writer *w, const uint8_t *mem, uint64_t size, int memfd);
/* The trailer and the footer. */
int snap_write_end(struct snap_writer *w);

/* ---- reading (snapshot_read.c) ---- */

/* Everything but RAM; machine->vcpus are filled from the VCPU records. */
struct snap_image {
    Skiff__Snapshot__V1__Header *header;
    Skiff__Snapshot__V1__MachineState *machine;
    Skiff__Snapshot__V1__Devices *devices;
    Skiff__Snapshot__V1__Trailer *trailer;
    uint64_t memory_off;        /* the first record after DEVICES */
    uint64_t trailer_off;
    uint64_t file_size;
};

/*
 * Check the file header and the footer, and read every record up to
 * memory. Returns 0, or a negative errno with err filled ("truncated: ...
 * at offset N", "checksum mismatch ...", "not a Skiff snapshot ...").
 */
int snap_read_meta(int fd, struct snap_image *img, char *err, size_t errsize);
/*
 * Read the MEMORY records into guest RAM of size bytes, zero-filled
 * beforehand: written to memfd when it is >= 0 (mem is not used), else
 * to mem. Each chunk is verified; the totals are checked against the
 * trailer. A corrupt chunk may have been stored before it is refused.
 */
int snap_read_memory(int fd, const struct snap_image *img, uint8_t *mem, int memfd,
                     uint64_t size, char *err, size_t errsize);
void snap_image_free(struct snap_image *img);

/* Big-endian helpers shared by both sides. */
static inline void snap_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static inline void snap_put64(uint8_t *p, uint64_t v)
{
    snap_put32(p, (uint32_t)(v >> 32));
    snap_put32(p + 4, (uint32_t)v);
}

static inline uint32_t snap_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t snap_get64(const uint8_t *p)
{
    return (uint64_t)snap_get32(p) << 32 | snap_get32(p + 4);
}

#endif
