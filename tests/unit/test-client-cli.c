/* The skiff CLI's pure parts: argument parsing of every command, the
 * JSON writer's escaping, and the time formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"

/* ---- arguments ---- */

static int parse(struct cli_args *a, char *err, size_t errlen, const char *cmd, ...)
{
    char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)cmd;
    va_list ap;
    va_start(ap, cmd);
    for (char *s; (s = va_arg(ap, char *)) != NULL;)
        argv[argc++] = s;
    va_end(ap);
    argv[argc] = NULL;
    const struct cli_cmd *c = cli_find_command(cmd);
    assert_non_null(c);
    return cli_parse_args(&c->spec, argc, argv, a, err, errlen);
}

#define PARSE(...) parse(&a, err, sizeof err, __VA_ARGS__, (char *)NULL)

static void every_command_is_found(void **state)
{
    static const char *const names[] = {
        "create", "define", "undefine", "start", "list", "dominfo", "info", "uptime", "pause",
        "unpause", "shutdown", "reboot", "destroy", "rename", "console", "events", "top", "help",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const struct cli_cmd *c = cli_find_command(names[i]);
        assert_non_null(c);
        assert_non_null(c->run);
        assert_non_null(c->synopsis);
        assert_non_null(c->summary);
    }
    assert_null(cli_find_command("lsit"));
    assert_null(cli_find_command(""));
}

static void create_args(void **state)
{
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE("create", "-p", "web.cfg", "memory=32", "name=x"), 0);
    assert_true(a.seen & OPT_PAUSED);
    assert_int_equal(a.npos, 3);
    assert_string_equal(a.pos[0], "web.cfg");
    assert_string_equal(a.pos[2], "name=x");
    cli_args_free(&a);
    /* Options after positionals, long forms, bundles. */
    assert_int_equal(PARSE("create", "web.cfg", "--paused", "--dry-run"), 0);
    assert_true(a.seen & OPT_PAUSED);
    assert_true(a.seen & OPT_DRY_RUN);
    cli_args_free(&a);
    assert_int_equal(PARSE("create", "-pn", "web.cfg"), 0);
    assert_true((a.seen & (OPT_PAUSED | OPT_DRY_RUN)) == (OPT_PAUSED | OPT_DRY_RUN));
    cli_args_free(&a);
    /* After "--" everything is positional. */
    assert_int_equal(PARSE("create", "--", "-weird.cfg"), 0);
    assert_int_equal(a.npos, 1);
    assert_string_equal(a.pos[0], "-weird.cfg");
    cli_args_free(&a);
    assert_int_equal(PARSE("create", "-p"), -1);
    assert_string_equal(err, "missing argument");
    assert_int_equal(PARSE("create", "-w", "x.cfg"), -1);
    assert_string_equal(err, "unknown option '-w'");
}

static void shutdown_args(void **state)
{
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE("shutdown", "-w", "-t", "30", "web"), 0);
    assert_true(a.seen & OPT_WAIT);
    assert_true(a.seen & OPT_TIMEOUT);
    assert_int_equal(a.timeout_s, 30);
    assert_string_equal(a.pos[0], "web");
    cli_args_free(&a);
    assert_int_equal(PARSE("shutdown", "-wt5", "web"), 0);
    assert_int_equal(a.timeout_s, 5);
    cli_args_free(&a);
    assert_int_equal(PARSE("shutdown", "--timeout=7", "--wait", "web"), 0);
    assert_int_equal(a.timeout_s, 7);
    cli_args_free(&a);
    assert_int_equal(PARSE("shutdown", "-t", "web"), -1);
    assert_non_null(strstr(err, "whole seconds"));
    assert_int_equal(PARSE("shutdown", "web", "-t"), -1);
    assert_string_equal(err, "option '-t' needs SECONDS");
    assert_int_equal(PARSE("shutdown", "-t", "99999999999", "web"), -1);
    assert_int_equal(PARSE("shutdown", "-t", "-1", "web"), -1);
    assert_int_equal(PARSE("shutdown", "a", "b"), -1);
    assert_string_equal(err, "unexpected argument 'b'");
    assert_int_equal(PARSE("shutdown", "--wait=yes", "a"), -1);
    assert_string_equal(err, "option '--wait' takes no value");
}

static void list_and_read_args(void **state)
{
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE("list", "-l", "--json"), 0);
    assert_true(a.seen & OPT_LONG);
    assert_true(a.seen & OPT_JSON);
    cli_args_free(&a);
    assert_int_equal(PARSE("list", "extra"), -1);
    assert_int_equal(PARSE("dominfo", "--json", "web"), 0);
    cli_args_free(&a);
    assert_int_equal(PARSE("dominfo"), -1);
    assert_int_equal(PARSE("dominfo", ""), -1);
    assert_string_equal(err, "empty argument");
    assert_int_equal(PARSE("uptime"), 0);
    cli_args_free(&a);
    assert_int_equal(PARSE("uptime", "a", "b", "c"), 0);
    assert_int_equal(a.npos, 3);
    cli_args_free(&a);
    /* --json only where there is something to read. */
    assert_int_equal(PARSE("pause", "--json", "web"), -1);
    assert_int_equal(PARSE("rename", "a", "b"), 0);
    cli_args_free(&a);
    assert_int_equal(PARSE("rename", "a"), -1);
}

static void events_args(void **state)
{
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE("events", "--since", "42", "--count", "3", "-t", "2"), 0);
    assert_int_equal(a.since, 42);
    assert_int_equal(a.count, 3);
    assert_int_equal(a.timeout_s, 2);
    cli_args_free(&a);
    assert_int_equal(PARSE("events", "--since=18446744073709551615"), 0);
    assert_true(a.since == UINT64_MAX);
    cli_args_free(&a);
    assert_int_equal(PARSE("events", "--since=18446744073709551616"), -1);
    assert_int_equal(PARSE("events", "--since", "x"), -1);
    assert_int_equal(PARSE("events", "--count", "0"), -1);
    assert_int_equal(PARSE("events", "--bogus"), -1);
    assert_string_equal(err, "unknown option '--bogus'");
    assert_int_equal(PARSE("events", "--"), 0);
    cli_args_free(&a);
}

static void top_args(void **state)
{
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE("top", "-b", "-d", "0.2", "-i", "3", "--json"), 0);
    assert_true(a.seen & OPT_BATCH);
    assert_int_equal(a.delay_ms, 200);
    assert_int_equal(a.iterations, 3);
    cli_args_free(&a);
    assert_int_equal(PARSE("top", "--batch", "--delay=2", "--iterations=1"), 0);
    assert_int_equal(a.delay_ms, 2000);
    cli_args_free(&a);
    assert_int_equal(PARSE("top", "-bd1.5"), 0);
    assert_int_equal(a.delay_ms, 1500);
    cli_args_free(&a);
    assert_int_equal(PARSE("top", "-d", "0"), -1);
    assert_int_equal(PARSE("top", "-d", "0.001"), -1);
    assert_int_equal(PARSE("top", "-d", "x"), -1);
    assert_int_equal(PARSE("top", "-i", "0"), -1);
    assert_int_equal(PARSE("top", "domain"), -1);
}

static void seconds(void **state)
{
    uint32_t ms;
    assert_int_equal(cli_parse_seconds_ms("1", 10000, &ms), 0);
    assert_int_equal(ms, 1000);
    assert_int_equal(cli_parse_seconds_ms("0.25", 10000, &ms), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(cli_parse_seconds_ms("1.2345", 10000, &ms), 0);
    assert_int_equal(ms, 1234);
    assert_int_equal(cli_parse_seconds_ms("10", 10000, &ms), 0);
    assert_int_equal(cli_parse_seconds_ms("10.001", 10000, &ms), -1);
    assert_int_equal(cli_parse_seconds_ms("1.", 10000, &ms), -1);
    assert_int_equal(cli_parse_seconds_ms(".5", 10000, &ms), -1);
    assert_int_equal(cli_parse_seconds_ms("1e3", 10000, &ms), -1);
    assert_int_equal(cli_parse_seconds_ms("", 10000, &ms), -1);
    assert_int_equal(cli_parse_seconds_ms("99999999999999999999", 10000, &ms), -1);
}

static void help_skips_counts(void **state)
{
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE("rename", "--help"), 0);
    assert_true(a.seen & OPT_HELP);
    cli_args_free(&a);
    assert_int_equal(PARSE("console", "-h"), 0);
    cli_args_free(&a);
}

static void numbers(void **state)
{
    uint64_t v;
    assert_int_equal(cli_parse_u64("0", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(cli_parse_u64("10", 10, &v), 0);
    assert_int_equal(cli_parse_u64("11", 10, &v), -1);
    assert_int_equal(cli_parse_u64("", 10, &v), -1);
    assert_int_equal(cli_parse_u64("+1", 10, &v), -1);
    assert_int_equal(cli_parse_u64("1 ", 10, &v), -1);
    assert_int_equal(cli_parse_u64(NULL, 10, &v), -1);
}

/* ---- JSON ---- */

static char *escaped(const char *s, size_t len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    json_write_string(f, s, len);
    fclose(f);
    return buf;
}

#define ESC(lit) escaped(lit, sizeof(lit) - 1)

static void json_escaping(void **state)
{
    char *s;
    assert_string_equal((s = ESC("plain")), "\"plain\"");
    free(s);
    assert_string_equal((s = ESC("q\"b\\s/")), "\"q\\\"b\\\\s/\"");
    free(s);
    assert_string_equal((s = ESC("\n\r\t\b\f")), "\"\\n\\r\\t\\b\\f\"");
    free(s);
    assert_string_equal((s = ESC("\x01\x1f\x7f")), "\"\\u0001\\u001f\\u007f\"");
    free(s);
    /* An embedded NUL is data, not the end. */
    assert_string_equal((s = ESC("a\0b")), "\"a\\u0000b\"");
    free(s);
    /* Valid UTF-8 passes through. */
    assert_string_equal((s = ESC("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")),
                        "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    free(s);
}

static void json_invalid_utf8(void **state)
{
    char *s;
    /* Stray continuation, truncated sequence, overlong '/', surrogate,
     * beyond U+10FFFF, 0xff: each bad byte becomes U+FFFD. */
    assert_string_equal((s = ESC("\x80")), "\"\\ufffd\"");
    free(s);
    assert_string_equal((s = ESC("a\xc3")), "\"a\\ufffd\"");
    free(s);
    assert_string_equal((s = ESC("\xc0\xaf")), "\"\\ufffd\\ufffd\"");
    free(s);
    assert_string_equal((s = ESC("\xed\xa0\x80")), "\"\\ufffd\\ufffd\\ufffd\"");
    free(s);
    assert_string_equal((s = ESC("\xf4\x90\x80\x80")), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    free(s);
    assert_string_equal((s = ESC("\xff" "ok")), "\"\\ufffdok\"");
    free(s);
}

static void json_structure(void **state)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    struct json j;
    json_init(&j, f);
    json_object_begin(&j);
    json_kv_string(&j, "name", "web");
    json_kv_u64(&j, "mem", 64);
    json_kv_i64(&j, "status", -1);
    json_kv_bool(&j, "up", true);
    json_kv_string(&j, "none", NULL);
    json_key(&j, "list");
    json_array_begin(&j);
    json_u64(&j, 1);
    json_object_begin(&j);
    json_object_end(&j);
    json_array_begin(&j);
    json_array_end(&j);
    json_null(&j);
    json_array_end(&j);
    json_object_end(&j);
    json_end(&j);
    json_array_begin(&j);
    json_array_end(&j);
    json_end(&j);
    fclose(f);
    assert_string_equal(buf, "{\"name\":\"web\",\"mem\":64,\"status\":-1,\"up\":true,"
                             "\"none\":null,\"list\":[1,{},[],null]}\n[]\n");
    free(buf);
}

/* ---- formats ---- */

static void durations(void **state)
{
    char b[64];
    cli_format_duration(b, sizeof b, 0);
    assert_string_equal(b, "0:00:00");
    cli_format_duration(b, sizeof b, 3661);
    assert_string_equal(b, "1:01:01");
    cli_format_duration(b, sizeof b, 86400 + 59);
    assert_string_equal(b, "1 day, 0:00:59");
    cli_format_duration(b, sizeof b, 3 * 86400 + 23 * 3600);
    assert_string_equal(b, "3 days, 23:00:00");
}

static void times(void **state)
{
    char b[64];
    cli_format_time(b, sizeof b, 0);
    assert_string_equal(b, "-");
    cli_format_time(b, sizeof b, 1700000000123456789ULL);
    assert_string_equal(b, "2023-11-14T22:13:20.123Z");
}

static void exit_statuses(void **state)
{
    assert_int_equal(cli_exit_status(SKIFF_OK), 0);
    assert_int_equal(cli_exit_status(SKIFF_ERR_NOT_FOUND), 1);
    assert_int_equal(cli_exit_status(SKIFF_ERR_DENIED), 1);
    assert_int_equal(cli_exit_status(SKIFF_ERR_USAGE), 2);
    assert_int_equal(cli_exit_status(SKIFF_ERR_CONNECT), 3);
    assert_int_equal(cli_exit_status(SKIFF_ERR_IO), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_command_is_found),
        cmocka_unit_test(create_args),
        cmocka_unit_test(shutdown_args),
        cmocka_unit_test(list_and_read_args),
        cmocka_unit_test(events_args),
        cmocka_unit_test(top_args),
        cmocka_unit_test(seconds),
        cmocka_unit_test(help_skips_counts),
        cmocka_unit_test(numbers),
        cmocka_unit_test(json_escaping),
        cmocka_unit_test(json_invalid_utf8),
        cmocka_unit_test(json_structure),
        cmocka_unit_test(durations),
        cmocka_unit_test(times),
        cmocka_unit_test(exit_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
