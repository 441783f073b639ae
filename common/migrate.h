/*
 * Live migration's memory stream: pre-copy rounds driven by the dirty
 * log, then stop-and-copy, over any byte stream (a socket, a TLS
 * connection) in the records of snapshot files (common/snapshot.h):
 *
 *   file header, HEADER, MEMORY* (round 0: every non-zero page; later
 *   rounds: every page dirtied since, zero or not), MACHINE, VCPU*,
 *   DEVICES, TRAILER, footer
 *
 * The receiver reads it in one pass, bounded and checksummed like a file,
 * writing pages into guest RAM as they come.
 */
#ifndef SKIFF_MIGRATE_H
#define SKIFF_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* What the sender reads the guest through. */
struct mig_source {
    const uint8_t *mem;         /* guest RAM, size bytes */
    uint64_t size;
    int memfd;                  /* its memfd (for SEEK_DATA), or -1 */
    void *ctx;
    /* Pages written since the last call (the first call: since logging
     * was enabled), one bit per page; valid until the next call. */
    int (*fetch_dirty)(void *ctx, const uint8_t **bitmap, size_t *len);
    /* Park every vCPU and return the machine state (owned by the source). */
    int (*stop)(void *ctx, Skiff__Snapshot__V1__MachineState **ms);
    /* A pre-copy round (1, 2, ...) begins, to send pages pages (round 1:
     * every page in use, not counted here: 0); optional. */
    void (*round)(void *ctx, unsigned round, uint64_t pages);
    bool stable;                /* stopped throughout: sent from mem, uncopied */
};

struct mig_limits {
    unsigned max_rounds;        /* pre-copy rounds after the first full one */
    uint64_t small_pages;       /* dirty set small enough to stop and copy */
    uint64_t max_factor;        /* stop pre-copy once this many times RAM was sent */
};

struct mig_stats {
    unsigned rounds;            /* pre-copy rounds run, the first included */
    uint64_t pages;             /* pages sent, all rounds */
    uint64_t last_dirty;        /* pages sent while stopped */
    uint64_t bytes;             /* the stream's length */
};

/* Send the whole migration stream through w, whose sink and ctx are set
 * (this writes the file header too: no snap_write_begin before). */
int mig_send(struct snap_writer *w, const Skiff__Snapshot__V1__Header *header,
             const Skiff__Snapshot__V1__Devices *devices, const struct mig_source *src,
             const struct mig_limits *lim, struct mig_stats *st);

/* How many bits of the len-byte page map are set: its pages. */
uint64_t mig_map_pages(const uint8_t *map, size_t len);

/* The pages memfd (size bytes) holds, one bit each, from its allocated
 * extents: malloc'd into *map (*len bytes). */
int mig_resident_map(int memfd, uint64_t size, uint8_t **map, size_t *len);

/* Read exactly len bytes, or return a negative errno (-EPIPE: the stream
 * ended). */
typedef int snap_source_fn(void *ctx, void *buf, size_t len);

/* A source reading a file descriptor (ctx points to the int fd). */
snap_source_fn snap_fd_source;

/*
 * Receive a stream as it arrives, in pieces of any size. After the
 * HEADER, get_memory(ctx, size) gives the memfd of guest RAM to write
 * the pages into (-1 refuses). Pages land as their bytes come; each
 * record's checksum is checked at its end, and a stream that fails is
 * never to be run.
 */
struct mig_rx;
typedef int mig_rx_memory_fn(void *ctx, uint64_t size);

struct mig_rx *mig_rx_new(mig_rx_memory_fn *get_memory, void *ctx);
/* Guest RAM (get_memory's) is mapped at mem too: pages are stored
 * through it, and mig_rx_place can say where the next bytes belong. */
void mig_rx_use_mapping(struct mig_rx *x, uint8_t *mem);
/* If the next bytes are pages' and guest RAM is mapped: where they go
 * (*to) and how many there are; else 0. Bytes read there are then fed
 * from there (mig_rx_feed(x, *to, k)), which checksums them in place:
 * a stream read straight into guest RAM, copied nowhere. */
size_t mig_rx_place(const struct mig_rx *x, uint8_t **to);
/* Take n more bytes: 0, or a negative errno with mig_rx_error saying
 * what and where. A failed parser stays failed. */
int mig_rx_feed(struct mig_rx *x, const uint8_t *p, size_t n);
/* The bytes the item being read still needs (0 once done or failed). */
size_t mig_rx_want(const struct mig_rx *x);
/* The footer was read: the stream is whole. */
bool mig_rx_done(const struct mig_rx *x);
/* The stream ends here: 0 if whole, else a "truncated" error. */
int mig_rx_end(struct mig_rx *x);
const char *mig_rx_error(const struct mig_rx *x);
/* Once done: header, machine (with its vCPUs), devices and trailer move
 * to img (free it with snap_image_free). */
void mig_rx_take(struct mig_rx *x, struct snap_image *img);
void mig_rx_free(struct mig_rx *x);

/*
 * Receive a stream from a blocking source (mig_rx underneath): after its
 * HEADER, get_memory(ctx, size) gives the
 * memfd to fill (-1 to refuse). On success img holds header, machine
 * (with its vCPUs), devices and trailer; free it with snap_image_free.
 * Returns 0 or a negative errno with err naming the problem and offset.
 */
int mig_recv(snap_source_fn *src, void *src_ctx, int (*get_memory)(void *ctx, uint64_t size),
             void *mem_ctx, struct snap_image *img, char *err, size_t errsize);

#endif
