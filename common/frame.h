/*
 * Framing on every Skiff stream socket: a 4-byte big-endian length, then
 * one protobuf message of that many bytes. The length is checked against
 * a maximum before anything is allocated, so a hostile peer cannot make
 * the reader allocate more than the maximum.
 */
#ifndef SKIFF_FRAME_H
#define SKIFF_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define SKIFF_FRAME_HEADER 4
#define SKIFF_FRAME_MAX (4U << 20)   /* 4 MiB: far above any legal message */

/* Encode/decode the header. skiff_frame_length returns -1 (and leaves
 * *len alone) when the announced length exceeds max. */
void skiff_frame_header(uint8_t hdr[SKIFF_FRAME_HEADER], uint32_t len);
int skiff_frame_length(const uint8_t hdr[SKIFF_FRAME_HEADER], uint32_t max, uint32_t *len);

/*
 * Pack msg into one malloc'd buffer holding header and body; *size is the
 * total. Returns NULL when out of memory or the message exceeds the max.
 */
uint8_t *skiff_frame_pack(const ProtobufCMessage *msg, size_t *size);

/* Blocking I/O, for clients, the monitor and tests. Both return 0, or a
 * negative errno (-EPIPE for a clean EOF before a header, -EMSGSIZE for an
 * oversized frame, -EPROTO for EOF inside a frame). */
int skiff_frame_send(int fd, const ProtobufCMessage *msg);
int skiff_frame_recv(int fd, uint32_t max, uint8_t **body, uint32_t *len);

#endif
