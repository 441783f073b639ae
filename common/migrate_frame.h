/*
 * MigrateData frames, the bulk of a migration, are built and read in
 * place: the sender writes a prefix (frame header and the protobuf
 * framing up to the data's first byte) in front of data it sends from
 * where they lie, and the receiver reads the prefix alone and then the
 * data straight to where they belong, neither copying them through
 * protobuf-c. The bytes are exactly what
 * protobuf-c packs for ClientMessage{request{id, migrate_data{data}}}
 * (test-migrate-frame checks both ways), so any peer may send either.
 */
#ifndef SKIFF_MIGRATE_FRAME_H
#define SKIFF_MIGRATE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Frame header plus the framing: at most this long. */
#define MIG_FRAME_PREFIX_MAX 40

/* The prefix for len (> 0) bytes of data under request id, into out;
 * its length. */
size_t mig_frame_prefix(uint8_t out[MIG_FRAME_PREFIX_MAX], uint64_t id, size_t len);

/*
 * body: the first avail bytes of a frame body of n bytes (no header). If
 * it is a MigrateData request whose data runs to the body's end, true
 * with its id and the data's offset in the body; false for any other
 * message (which then takes the ordinary way).
 */
bool mig_frame_parse(const uint8_t *body, size_t avail, size_t n, uint64_t *id, size_t *off);

#endif
