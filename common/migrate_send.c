/*
 * The sending side of migration: the first round sends every non-zero
 * page while the guest runs; each later round sends what the dirty log
 * says was written meanwhile, until the dirty set is small, the rounds
 * run out or the traffic passes max_factor times RAM; then the guest is
 * stopped and the last dirty pages and the machine state follow.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

/*
 * The guest runs during pre-copy: a page read twice (once for the
 * checksum, once to send) could differ, so each run is copied first into
 * bounce (SNAP_CHUNK_MAX_PAGES pages) and checksummed and sent from the
 * copy. A write after the copy is in the next round's dirty set.
 */
static int send_page_run(struct snap_writer *w, const uint8_t *guest, uint8_t *bounce,
                         uint64_t first, uint64_t n)
{
    memcpy(bounce, guest + first * SNAP_PAGE, n * SNAP_PAGE);
    uint8_t addr[8];
    snap_put64(addr, first * SNAP_PAGE);
    /* A MEMORY record: address then pages, like a file's (zero pages are
     * sent too: the receiver may hold older, non-zero content). */
    uint8_t hdr[SNAP_RECORD_HEADER];
    uint64_t len = 8 + n * SNAP_PAGE;
    snap_put32(hdr, SNAP_REC_MEMORY);
    snap_put64(hdr + 8, len);
    uint32_t crc = snap_crc32c(0, hdr, 4);
    crc = snap_crc32c(crc, hdr + 8, 8);
    crc = snap_crc32c(crc, addr, 8);
    crc = snap_crc32c(crc, bounce, n * SNAP_PAGE);
    snap_put32(hdr + 4, crc);
    struct iovec v[3] = { { hdr, sizeof hdr }, { addr, 8 },
                          { bounce, n * SNAP_PAGE } };
    int rc = w->sink(w->ctx, v, 3);
    if (rc < 0)
        return rc;
    w->off += sizeof hdr + len;
    w->records++;
    w->chunks++;
    w->pages += n;
    return 0;
}

static bool bit(const uint8_t *map, uint64_t i)
{
    return (map[i / 8] >> (i % 8)) & 1;
}

/* Every page whose bit is set, in runs of at most a chunk; the count. */
static int send_dirty(struct snap_writer *w, const struct mig_source *src, uint8_t *bounce,
                      const uint8_t *map, size_t len, uint64_t *sent)
{
    uint64_t pages = src->size / SNAP_PAGE;
    if ((uint64_t)len * 8 < pages)
        pages = (uint64_t)len * 8;
    *sent = 0;
    for (uint64_t i = 0; i < pages;) {
        if (!bit(map, i)) {
            i++;
            continue;
        }
        uint64_t n = 1;
        while (i + n < pages && n < SNAP_CHUNK_MAX_PAGES && bit(map, i + n))
            n++;
        int rc = send_page_run(w, src->mem, bounce, i, n);
        if (rc < 0)
            return rc;
        *sent += n;
        i += n;
    }
    return 0;
}

uint64_t mig_map_pages(const uint8_t *map, size_t len)
{
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += (uint64_t)__builtin_popcount(map[i]);
    return n;
}

int mig_send(struct snap_writer *w, const Skiff__Snapshot__V1__Header *header,
             const Skiff__Snapshot__V1__Devices *devices, const struct mig_source *src,
             const struct mig_limits *lim, struct mig_stats *st)
{
    memset(st, 0, sizeof *st);
    uint8_t *bounce = malloc((size_t)SNAP_CHUNK_MAX_PAGES * SNAP_PAGE);
    if (bounce == NULL)
        return -ENOMEM;
    int rc = snap_write_begin(w, w->sink, w->ctx);
    if (rc == 0)
        rc = snap_write_msg(w, SNAP_REC_HEADER, &header->base);
    /* Round 0: the log starts now, so whatever changes meanwhile comes
     * again in round 1. */
    const uint8_t *map;
    size_t len;
    if (rc == 0)
        rc = src->fetch_dirty(src->ctx, &map, &len);
    /* A running guest's pages are read through the memfd into a buffer:
     * each chunk is checksummed and sent from that copy (see
     * send_page_run); a stopped guest's straight from the mapping. */
    if (rc == 0 && src->round != NULL)
        src->round(src->ctx, 1, 0);
    if (rc == 0)
        rc = snap_write_memory(w, src->memfd >= 0 && !src->stable ? NULL : src->mem,
                               src->size, src->memfd);
    st->rounds = 1;
    uint64_t budget = lim->max_factor * src->size / SNAP_PAGE;
    bool pending = false;       /* map holds a fetched set not sent yet */
    while (rc == 0 && st->rounds <= lim->max_rounds && w->pages < budget) {
        rc = src->fetch_dirty(src->ctx, &map, &len);
        if (rc < 0)
            break;
        uint64_t sent, dirty = mig_map_pages(map, len);
        if (dirty <= lim->small_pages) {
            pending = true;     /* small enough: it goes while stopped */
            break;
        }
        st->rounds++;
        if (src->round != NULL)
            src->round(src->ctx, st->rounds, dirty);
        rc = send_dirty(w, src, bounce, map, len, &sent);
    }
    /* Stop and copy: the set kept back, then what changed until the stop. */
    Skiff__Snapshot__V1__MachineState *ms = NULL;
    if (rc == 0)
        rc = src->stop(src->ctx, &ms);
    uint64_t before = w->pages, sent = 0;
    if (rc == 0 && pending)
        rc = send_dirty(w, src, bounce, map, len, &sent);
    if (rc == 0)
        rc = src->fetch_dirty(src->ctx, &map, &len);
    if (rc == 0)
        rc = send_dirty(w, src, bounce, map, len, &sent);
    st->last_dirty = w->pages - before;
    if (rc == 0) {
        size_t n = ms->n_vcpus;
        ms->n_vcpus = 0;
        rc = snap_write_msg(w, SNAP_REC_MACHINE, &ms->base);
        ms->n_vcpus = n;
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = snap_write_msg(w, SNAP_REC_VCPU, &ms->vcpus[i]->base);
    }
    if (rc == 0)
        rc = snap_write_msg(w, SNAP_REC_DEVICES, &devices->base);
    if (rc == 0)
        rc = snap_write_end(w);
    st->pages = w->pages;
    st->bytes = w->off;
    free(bounce);
    return rc;
}

int mig_resident_map(int memfd, uint64_t size, uint8_t **map, size_t *len)
{
    uint64_t pages = size / SNAP_PAGE;
    *len = (size_t)((pages + 7) / 8);
    *map = calloc(*len ? *len : 1, 1);
    if (*map == NULL)
        return -ENOMEM;
    for (uint64_t pos = 0; pos < size;) {
        off_t data = lseek(memfd, (off_t)pos, SEEK_DATA);
        if (data < 0)
            return errno == ENXIO ? 0 : -errno;   /* only holes from here on */
        off_t hole = lseek(memfd, data, SEEK_HOLE);
        if (hole < 0)
            return -errno;
        uint64_t e = (uint64_t)hole < size ? (uint64_t)hole : size;
        for (uint64_t i = (uint64_t)data / SNAP_PAGE; i < (e + SNAP_PAGE - 1) / SNAP_PAGE; i++)
            (*map)[i / 8] |= (uint8_t)(1U << (i % 8));
        pos = e;
    }
    return 0;
}
