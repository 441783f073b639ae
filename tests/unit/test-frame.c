/* Framing: header coding, the size limit, and whole frames over a socket. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "frame.h"
#include "skiff.pb-c.h"

static void header_round_trip(void **state)
{
    uint8_t h[SKIFF_FRAME_HEADER];
    uint32_t len = 0;
    skiff_frame_header(h, 0x01020304);
    assert_memory_equal(h, "\x01\x02\x03\x04", 4);     /* big-endian */
    assert_int_equal(skiff_frame_length(h, UINT32_MAX, &len), 0);
    assert_int_equal(len, 0x01020304);
}

static void oversized_is_refused_before_allocation(void **state)
{
    uint8_t h[SKIFF_FRAME_HEADER];
    uint32_t len = 7;
    skiff_frame_header(h, SKIFF_FRAME_MAX + 1);
    assert_int_equal(skiff_frame_length(h, SKIFF_FRAME_MAX, &len), -1);
    assert_int_equal(len, 7);           /* untouched */
    skiff_frame_header(h, SKIFF_FRAME_MAX);
    assert_int_equal(skiff_frame_length(h, SKIFF_FRAME_MAX, &len), 0);
}

static void message_over_a_socket(void **state)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    Skiff__V1__Hello hello = SKIFF__V1__HELLO__INIT;
    hello.version = SKIFF__V1__PROTOCOL_VERSION__PROTOCOL_V1;
    hello.client = "test";
    Skiff__V1__ClientMessage m = SKIFF__V1__CLIENT_MESSAGE__INIT;
    m.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO;
    m.hello = &hello;
    assert_int_equal(skiff_frame_send(sv[0], &m.base), 0);

    uint8_t *body = NULL;
    uint32_t len = 0;
    assert_int_equal(skiff_frame_recv(sv[1], SKIFF_FRAME_MAX, &body, &len), 0);
    Skiff__V1__ClientMessage *got = skiff__v1__client_message__unpack(NULL, len, body);
    assert_non_null(got);
    assert_int_equal(got->msg_case, SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO);
    assert_string_equal(got->hello->client, "test");
    skiff__v1__client_message__free_unpacked(got, NULL);
    free(body);
    close(sv[0]);
    close(sv[1]);
}

static void eof_and_truncation(void **state)
{
    int sv[2];
    uint8_t *body;
    uint32_t len;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[0]);                       /* clean EOF before any header */
    assert_int_equal(skiff_frame_recv(sv[1], SKIFF_FRAME_MAX, &body, &len), -EPIPE);
    close(sv[1]);

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[0], "\0\0\0\x10short", 9), 9);   /* 16 announced, 5 sent */
    close(sv[0]);
    assert_int_equal(skiff_frame_recv(sv[1], SKIFF_FRAME_MAX, &body, &len), -EPROTO);
    close(sv[1]);

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[0], "\xff\xff\xff\xff", 4), 4);  /* 4 GiB announced */
    assert_int_equal(skiff_frame_recv(sv[1], 1024, &body, &len), -EMSGSIZE);
    close(sv[0]);
    close(sv[1]);

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[0], "\0\0", 2), 2);              /* half a header */
    close(sv[0]);
    assert_int_equal(skiff_frame_recv(sv[1], SKIFF_FRAME_MAX, &body, &len), -EPROTO);
    close(sv[1]);
}

static void send_to_a_closed_peer_is_an_error_not_a_signal(void **state)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    Skiff__V1__Hello hello = SKIFF__V1__HELLO__INIT;
    Skiff__V1__ClientMessage m = SKIFF__V1__CLIENT_MESSAGE__INIT;
    m.msg_case = SKIFF__V1__CLIENT_MESSAGE__MSG_HELLO;
    m.hello = &hello;
    assert_int_equal(skiff_frame_send(sv[0], &m.base), -EPIPE);
    close(sv[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_round_trip),
        cmocka_unit_test(oversized_is_refused_before_allocation),
        cmocka_unit_test(message_over_a_socket),
        cmocka_unit_test(eof_and_truncation),
        cmocka_unit_test(send_to_a_closed_peer_is_an_error_not_a_signal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
