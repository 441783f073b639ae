/*
 * Save and restore in hostd: the snapshot file of a domain (written from
 * guest RAM's memfd, mapped here, never copied through the monitor), the
 * save request and the restore of a domain from a file.
 */
#ifndef SKIFF_HOSTD_SAVE_RESTORE_H
#define SKIFF_HOSTD_SAVE_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "skiff.pb-c.h"
#include "snapshot.pb-c.h"

struct call;
struct domain;

struct snapshot_totals {
    uint64_t file_bytes;
    uint64_t memory_pages;
};

/*
 * Write a snapshot to path atomically: a temporary file beside it,
 * fsync, rename, fsync of the directory; on any failure nothing is left
 * behind. Returns 0 or a negative errno with err filled.
 */
int snapshot_file_write(const char *path, const Skiff__V1__DomainConfig *cfg,
                        Skiff__Snapshot__V1__MachineState *machine, const uint8_t *mem,
                        int memfd, uint64_t saved_at_ns, struct snapshot_totals *out,
                        char *err, size_t errsize);

/* The requests (rpc_save.c, rpc_restore.c). */
void rpc_save(struct call *call, const Skiff__V1__SaveRequest *rq);
void rpc_restore(struct call *call, const Skiff__V1__RestoreRequest *rq);

/* The monitor of a domain being restored is up: load its state. */
void restore_monitor_ready(struct domain *d);
/* The domain goes away with a restore pending: drop it. */
void restore_discard(struct domain *d);

#endif
