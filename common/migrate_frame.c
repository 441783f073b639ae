/*
 * MigrateData frames in place (migrate_frame.h). The field numbers are
 * skiff.proto's: ClientMessage.request = 2, Request.id = 1,
 * Request.migrate_data = 46, MigrateData.data = 1; all length-delimited
 * but the id, a varint.
 */
#include "frame.h"
#include "migrate_frame.h"

#define TAG_REQUEST 0x12                /* 2 << 3 | 2 */
#define TAG_ID 0x08                     /* 1 << 3 | 0 */
#define TAG_MIGRATE_DATA (46 << 3 | 2)  /* two bytes as a varint */
#define TAG_DATA 0x0a                   /* 1 << 3 | 2 */

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

size_t mig_frame_prefix(uint8_t out[MIG_FRAME_PREFIX_MAX], uint64_t id, size_t len)
{
    uint64_t data = 1 + varint_len(len) + len;                   /* MigrateData */
    uint64_t request = (id ? 1 + varint_len(id) : 0) + 2 + varint_len(data) + data;
    uint64_t body = 1 + varint_len(request) + request;
    skiff_frame_header(out, (uint32_t)body);
    uint8_t *p = out + SKIFF_FRAME_HEADER;
    *p++ = TAG_REQUEST;
    p = put_varint(p, request);
    if (id != 0) {
        *p++ = TAG_ID;
        p = put_varint(p, id);
    }
    p = put_varint(p, TAG_MIGRATE_DATA);
    p = put_varint(p, data);
    *p++ = TAG_DATA;
    p = put_varint(p, len);
    return (size_t)(p - out);
}

/* A varint at *p (before end), at most 10 bytes; false if cut or too long. */
static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* A length-delimited field with tag that runs exactly to the body's end. */
static bool field_to_end(const uint8_t **p, const uint8_t *end, size_t left, uint64_t tag)
{
    const uint8_t *start = *p;
    uint64_t t, len;
    if (!get_varint(p, end, &t) || t != tag || !get_varint(p, end, &len))
        return false;
    return len == left - (size_t)(*p - start);
}

bool mig_frame_parse(const uint8_t *body, size_t avail, size_t n, uint64_t *id, size_t *off)
{
    const uint8_t *p = body, *end = body + (avail < n ? avail : n);
    if (!field_to_end(&p, end, n, TAG_REQUEST))
        return false;
    *id = 0;
    if (p < end && *p == TAG_ID) {
        p++;
        if (!get_varint(&p, end, id) || *id == 0)
            return false;
    }
    if (!field_to_end(&p, end, n - (size_t)(p - body), TAG_MIGRATE_DATA) ||
        !field_to_end(&p, end, n - (size_t)(p - body), TAG_DATA))
        return false;
    *off = (size_t)(p - body);
    return *off < n;            /* some data: an empty MigrateData has no field */
}
