/*
 * test-migrate-frame: the MigrateData prefix built by hand is byte for
 * byte what protobuf-c packs, for ids and lengths on each side of every
 * varint boundary, and the parser finds the id and the data in what
 * protobuf-c packed while refusing every other message and a cut prefix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"
#include "migrate_frame.h"
#include "skiff.pb-c.h"

static const uint64_t ids[] = { 0, 1, 127, 128, 16383, 16384, 1ULL << 40, UINT64_MAX };
static const size_t lens[] = { 1, 2, 127, 128, 16383, 16384, (1U << 20) - 1, 1U << 20,
                               (1U << 20) + 24 };

/* protobuf-c's frame of ClientMessage{request{id, migrate_data{data}}}. */
static uint8_t *packed(uint64_t id, const uint8_t *data, size_t len, size_t *size)
{
    Skiff__V1__MigrateData md = SKIFF__V1__MIGRATE_DATA__INIT;
    md.data.data = (uint8_t *)data;
    md.data.len = len;
    Skiff__V1__Request rq = SKIFF__V1__REQUEST__INIT;
    rq.id = id;
    rq.op_case = SKIFF__V1__REQUEST__OP_MIGRATE_DATA;
    rq.migrate_data = &md;
    Skiff__V1__ClientMessage cm = SKIFF__V1__CLIENT_MESSAGE__INIT;
    cm.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_REQUEST;
    cm.request = &rq;
    uint8_t *f = skiff_frame_pack(&cm.base, size);
    assert_non_null(f);
    return f;
}

static void prefix_matches_protobuf_c(void **state)
{
    (void)state;
    uint8_t *data = malloc(lens[sizeof lens / sizeof lens[0] - 1]);
    assert_non_null(data);
    memset(data, 0xa5, lens[sizeof lens / sizeof lens[0] - 1]);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        for (size_t j = 0; j < sizeof lens / sizeof lens[0]; j++) {
            size_t size;
            uint8_t *f = packed(ids[i], data, lens[j], &size);
            uint8_t pre[MIG_FRAME_PREFIX_MAX];
            size_t k = mig_frame_prefix(pre, ids[i], lens[j]);
            assert_int_equal(k + lens[j], size);
            assert_memory_equal(pre, f, k);
            /* and read back in place */
            uint64_t id = 99;
            size_t off = 0, n = size - SKIFF_FRAME_HEADER;
            assert_true(mig_frame_parse(f + SKIFF_FRAME_HEADER, n, n, &id, &off));
            assert_int_equal(id, ids[i]);
            assert_int_equal(off + SKIFF_FRAME_HEADER, k);
            /* only the prefix needs to be at hand */
            assert_true(mig_frame_parse(f + SKIFF_FRAME_HEADER, off, n, &id, &off));
            assert_false(mig_frame_parse(f + SKIFF_FRAME_HEADER, off - 1, n, &id, &off));
            /* a body of another length is not this message */
            assert_false(mig_frame_parse(f + SKIFF_FRAME_HEADER, n, n - 1, &id, &off));
            free(f);
        }
    }
    free(data);
}

static void other_messages_take_the_ordinary_way(void **state)
{
    (void)state;
    Skiff__V1__Hello hello = SKIFF__V1__HELLO__INIT;
    hello.client = (char *)"test";
    Skiff__V1__ClientMessage cm = SKIFF__V1__CLIENT_MESSAGE__INIT;
    cm.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO;
    cm.hello = &hello;
    size_t size;
    uint64_t id;
    size_t off;
    uint8_t *f = skiff_frame_pack(&cm.base, &size);
    assert_false(mig_frame_parse(f + 4, size - 4, size - 4, &id, &off));
    free(f);
    Skiff__V1__MigrateIn in = SKIFF__V1__MIGRATE_IN__INIT;
    in.memory_bytes = 1 << 20;
    Skiff__V1__Request rq = SKIFF__V1__REQUEST__INIT;
    rq.id = 7;
    rq.op_case = SKIFF__V1__REQUEST__OP_MIGRATE_IN;
    rq.migrate_in = &in;
    cm.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_REQUEST;
    cm.request = &rq;
    f = skiff_frame_pack(&cm.base, &size);
    assert_false(mig_frame_parse(f + 4, size - 4, size - 4, &id, &off));
    free(f);
    /* An empty MigrateData packs no data field. */
    Skiff__V1__MigrateData md = SKIFF__V1__MIGRATE_DATA__INIT;
    rq.op_case = SKIFF__V1__REQUEST__OP_MIGRATE_DATA;
    rq.migrate_data = &md;
    f = skiff_frame_pack(&cm.base, &size);
    assert_false(mig_frame_parse(f + 4, size - 4, size - 4, &id, &off));
    free(f);
    /* Garbage: an overlong varint. */
    uint8_t junk[16];
    memset(junk, 0xff, sizeof junk);
    junk[0] = 0x12;
    assert_false(mig_frame_parse(junk, sizeof junk, 1000, &id, &off));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prefix_matches_protobuf_c),
        cmocka_unit_test(other_messages_take_the_ordinary_way),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
