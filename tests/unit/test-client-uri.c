/* libskiff's connection URIs: which hostd, and the messages for bad ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <limits.h>

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

static void tls_uris(void **state)
{
    struct sk_uri u;
    struct skiff_error e;
    assert_int_equal(sk_uri_parse("tls://host.example:7070", &u, &e), 0);
    assert_int_equal(u.kind, SK_URI_TLS);
    assert_string_equal(u.host, "host.example");
    assert_string_equal(u.port, "7070");
    assert_string_equal(u.uri, "tls://host.example:7070");
    assert_string_equal(u.cert, "");
    assert_int_equal(sk_uri_parse("tls://127.0.0.1:1", &u, &e), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_string_equal(u.port, "1");
    /* IPv6 in brackets; shown with them, stored without. */
    assert_int_equal(sk_uri_parse("tls://[::1]:65535", &u, &e), 0);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.port, "65535");
    assert_string_equal(u.uri, "tls://[::1]:65535");
    /* Leading zeros in the port are not part of the canonical form. */
    assert_int_equal(sk_uri_parse("tls://h:007", &u, &e), 0);
    assert_string_equal(u.uri, "tls://h:7");
    /* unix URIs say so. */
    assert_int_equal(sk_uri_parse("unix:///x", &u, &e), 0);
    assert_int_equal(u.kind, SK_URI_UNIX);
}

static void tls_query(void **state)
{
    struct sk_uri u;
    struct skiff_error e;
    assert_int_equal(sk_uri_parse("tls://h:9?cert=/c.pem&key=/k.pem&ca=/ca.pem", &u, &e), 0);
    assert_string_equal(u.cert, "/c.pem");
    assert_string_equal(u.key, "/k.pem");
    assert_string_equal(u.ca, "/ca.pem");
    /* The query is not part of the URI shown. */
    assert_string_equal(u.uri, "tls://h:9");
    assert_int_equal(sk_uri_parse("tls://[fe80::1]:9?ca=/a%20b%26c%3f", &u, &e), 0);
    assert_string_equal(u.ca, "/a b&c?");
    assert_string_equal(u.cert, "");
    assert_int_equal(sk_uri_parse("tls://h:9?", &u, &e), 0);
}

static void tls_bad(void **state)
{
    struct sk_uri u;
    struct skiff_error e;
    assert_int_equal(sk_uri_parse("tls://host.example", &u, &e), -SKIFF_ERR_USAGE);
    assert_non_null(strstr(e.message, "no port"));
    assert_int_equal(sk_uri_parse("tls://h:", &u, &e), -SKIFF_ERR_USAGE);
    assert_non_null(strstr(e.message, "1-65535"));
    assert_int_equal(sk_uri_parse("tls://h:0", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("tls://h:65536", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("tls://h:99999999999999999999", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("tls://h:12a", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("tls://:7", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("tls://::1:7", &u, &e), -SKIFF_ERR_USAGE);
    assert_non_null(strstr(e.message, "brackets"));
    assert_int_equal(sk_uri_parse("tls://[::1:7", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("tls://[::1]7", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("tls://a b:7", &u, &e), -SKIFF_ERR_USAGE);
    assert_non_null(strstr(e.message, "not a host name"));
    assert_int_equal(sk_uri_parse("tls://h/x:7", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("tls://h:7?pin=1", &u, &e), -SKIFF_ERR_USAGE);
    assert_non_null(strstr(e.message, "unknown parameter 'pin=1'"));
    assert_int_equal(sk_uri_parse("tls://h:7?cert", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("tls://h:7?cert=", &u, &e), -SKIFF_ERR_USAGE);
    assert_non_null(strstr(e.message, "needs a file name"));
    assert_int_equal(sk_uri_parse("tls://h:7?ca=%zz", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("tls://h:7?ca=%2", &u, &e), -SKIFF_ERR_USAGE);
    assert_int_equal(sk_uri_parse("tls://h:7?ca=a%00b", &u, &e), -SKIFF_ERR_USAGE);
    char long_host[400] = "tls://";
    memset(long_host + 6, 'a', 300);
    strcpy(long_host + 306, ":7");
    assert_int_equal(sk_uri_parse(long_host, &u, &e), -SKIFF_ERR_USAGE);
}

static void tls_files(void **state)
{
    struct sk_uri u;
    struct skiff_error e;
    char cert[PATH_MAX], key[PATH_MAX], ca[PATH_MAX];
    struct sk_tls_env env = { .home = "/home/al", .dir_root = "/etc/skiff/pki" };
    assert_int_equal(sk_uri_parse("tls://h:7", &u, &e), 0);
    /* A user: ~/.config/skiff/pki. */
    assert_int_equal(sk_uri_tls_files(&u, &env, cert, key, ca, PATH_MAX, &e), 0);
    assert_string_equal(cert, "/home/al/.config/skiff/pki/client.pem");
    assert_string_equal(key, "/home/al/.config/skiff/pki/client-key.pem");
    assert_string_equal(ca, "/home/al/.config/skiff/pki/ca.pem");
    env.xdg = "/x";
    assert_int_equal(sk_uri_tls_files(&u, &env, cert, key, ca, PATH_MAX, &e), 0);
    assert_string_equal(cert, "/x/skiff/pki/client.pem");
    /* root: the system directory. */
    env.is_root = 1;
    assert_int_equal(sk_uri_tls_files(&u, &env, cert, key, ca, PATH_MAX, &e), 0);
    assert_string_equal(cert, "/etc/skiff/pki/client.pem");
    assert_string_equal(ca, "/etc/skiff/pki/ca.pem");
    /* The environment beats the directory, the URI beats both. */
    env.cert = "/env/c.pem";
    env.ca = "";
    assert_int_equal(sk_uri_parse("tls://h:7?key=/uri/k.pem&cert=/uri/c.pem", &u, &e), 0);
    assert_int_equal(sk_uri_tls_files(&u, &env, cert, key, ca, PATH_MAX, &e), 0);
    assert_string_equal(cert, "/uri/c.pem");
    assert_string_equal(key, "/uri/k.pem");
    assert_string_equal(ca, "/etc/skiff/pki/ca.pem");
    assert_int_equal(sk_uri_parse("tls://h:7", &u, &e), 0);
    assert_int_equal(sk_uri_tls_files(&u, &env, cert, key, ca, PATH_MAX, &e), 0);
    assert_string_equal(cert, "/env/c.pem");
    /* Too small a buffer is an error, not a truncated path. */
    char small[8];
    assert_int_equal(sk_uri_tls_files(&u, &env, small, small, small, sizeof small, &e),
                     -SKIFF_ERR_USAGE);
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
        cmocka_unit_test(tls_uris),
        cmocka_unit_test(tls_query),
        cmocka_unit_test(tls_bad),
        cmocka_unit_test(tls_files),
        cmocka_unit_test(path_too_long),
        cmocka_unit_test(error_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
