/* libskiff's connection URIs: which hostd, and the messages for bad ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "internal.h"
#include "uri.h"

static void pick_order(void **state)
{
    assert_string_equal(sk_uri_pick("unix:///a", "unix:///b"), "unix:///a");
    assert_string_equal(sk_uri_pick(NULL, "unix:///b"), "unix:///b");
    assert_string_equal(sk_uri_pick("", "unix:///b"), "unix:///b");
    assert_string_equal(sk_uri_pick(NULL, NULL), SKIFF_DEFAULT_URI);
    assert_string_equal(sk_uri_pick(NULL, ""), SKIFF_DEFAULT_URI);
    assert_string_equal(SKIFF_DEFAULT_URI, "unix:///run/skiff/hostd.sock");
}

static void unix_uris(void **state)
{
    struct sk_uri u;
    struct skiff_error e;
    assert_int_equal(sk_uri_parse("unix:///run/skiff/hostd.sock", &u, &e), 0);
    assert_string_equal(u.path, "/run/skiff/hostd.sock");
    assert_string_equal(u.uri, "unix:///run/skiff/hostd.sock");
    /* A bare absolute path is a unix URI too, and is shown as one. */
    assert_int_equal(sk_uri_parse("/tmp/x/hostd.sock", &u, &e), 0);
    assert_string_equal(u.path, "/tmp/x/hostd.sock");
    assert_string_equal(u.uri, "unix:///tmp/x/hostd.sock");
    /* Spaces and odd characters are part of the path. */
    assert_int_equal(sk_uri_parse("unix:///tmp/a b?c", &u, &e), 0);
    assert_string_equal(u.path, "/tmp/a b?c");
}

static void bad_uris(void **state)
{
    struct sk_uri u;
    struct skiff_error e;
    assert_int_equal(sk_uri_parse("unix://relative/x.sock", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(e.code, SKIFF_ERR_USAGE);
    assert_non_null(strstr(e.message, "absolute"));
    assert_int_equal(sk_uri_parse("unix://", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse(NULL, &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("hostd.sock", &u, &e), -SKIFF_ERR_USAGE);
    assert_non_null(strstr(e.message, "unix:///"));
    assert_int_equal(sk_uri_parse("http://x/y", &u, &e), -SKIFF_ERR_USAGE);
    assert_non_null(strstr(e.message, "unknown scheme 'http'"));
    assert_int_equal(sk_uri_parse("UNIX:///x", &u, &e), -SKIFF_ERR_USAGE);
}

static void tls_refused(void **state)
{
    struct sk_uri u;
    struct skiff_error e;
    assert_int_equal(sk_uri_parse("tls://host.example:7070", &u, &e), -SKIFF_ERR_UNSUPPORTED);
    assert_int_equal(e.code, SKIFF_ERR_UNSUPPORTED);
    assert_non_null(strstr(e.message, "not supported yet"));
}

static void path_too_long(void **state)
{
    struct sk_uri u;
    struct skiff_error e;
    char uri[300] = "unix://";
    memset(uri + 7, 'a', 200);
    uri[7] = '/';
    uri[207] = '\0';
    assert_int_equal(sk_uri_parse(uri, &u, &e), -SKIFF_ERR_USAGE);
    assert_non_null(strstr(e.message, "longer than"));
    /* The longest path that fits sun_path (107 bytes + NUL) is accepted. */
    memset(uri + 8, 'b', 106);
    uri[7 + 107] = '\0';
    assert_int_equal(sk_uri_parse(uri, &u, &e), 0);
    assert_int_equal(strlen(u.path), 107);
}

static void error_names(void **state)
{
    assert_string_equal(skiff_errcode_name(SKIFF_ERR_NOT_FOUND), "NOT_FOUND");
    assert_string_equal(skiff_errcode_name(SKIFF_ERR_CONNECT), "CONNECT");
    assert_string_equal(skiff_strerror(SKIFF_ERR_NOT_FOUND), "no such domain");
    assert_string_equal(skiff_state_name(SKIFF_STATE_PAUSED), "paused");
    assert_string_equal(skiff_state_name((enum skiff_state)42), "unknown");
    assert_string_equal(skiff_action_name(SKIFF_ACTION_PRESERVE), "preserve");
    struct skiff_error e;
    assert_int_equal(sk_seterr(&e, SKIFF_ERR_BUSY, 0, "x %d", 7), -SKIFF_ERR_BUSY);
    assert_string_equal(e.message, "x 7");
    assert_int_equal(sk_seterr(NULL, SKIFF_ERR_BUSY, 0, "x"), -SKIFF_ERR_BUSY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pick_order),
        cmocka_unit_test(unix_uris),
        cmocka_unit_test(bad_uris),
        cmocka_unit_test(tls_refused),
        cmocka_unit_test(path_too_long),
        cmocka_unit_test(error_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
