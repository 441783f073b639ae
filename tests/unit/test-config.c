/* The skiff.cfg(5) parser: syntax, positions of errors, overrides,
 * lookups, the DomainConfig mapping, and hostile input. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config-file.h"

/* ---- helpers ---- */

static struct skiff_cfg *parse_len(const char *text, size_t len)
{
    struct skiff_cfg *cfg = NULL;
    struct skiff_cfg_error err = { 0 };
    int rc = skiff_cfg_parse(text, len, "vm.cfg", &cfg, &err);
    if (rc != 0)
        fail_msg("parse failed (%d): %s:%d:%d: %s", rc, err.file, err.line, err.col,
                 err.message);
    assert_non_null(cfg);
    return cfg;
}

static struct skiff_cfg *parse(const char *text)
{
    return parse_len(text, strlen(text));
}

/* Parse must fail at line:col with a message containing msg. */
static void bad_len(const char *text, size_t len, int line, int col, const char *msg)
{
    struct skiff_cfg *cfg = (struct skiff_cfg *)1;
    struct skiff_cfg_error err = { 0 };
    int rc = skiff_cfg_parse(text, len, "vm.cfg", &cfg, &err);
    if (rc == 0)
        fail_msg("parse of '%s' succeeded", text);
    assert_int_equal(rc, -EINVAL);
    assert_null(cfg);
    assert_string_equal(err.file, "vm.cfg");
    if (err.line != line || err.col != col || strstr(err.message, msg) == NULL)
        fail_msg("got %d:%d: %s; want %d:%d: ...%s...", err.line, err.col, err.message, line,
                 col, msg);
}

static void bad(const char *text, int line, int col, const char *msg)
{
    bad_len(text, strlen(text), line, col, msg);
}

struct warnings {
    int n;
    char last[512];
    char all[4096];
};

static void collect(void *ctx, const char *msg)
{
    struct warnings *w = ctx;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s", msg);
    size_t used = strlen(w->all);
    snprintf(w->all + used, sizeof w->all - used, "%s\n", msg);
}

static Skiff__V1__DomainConfig *domain(const char *text, struct warnings *w)
{
    struct skiff_cfg *cfg = parse(text);
    Skiff__V1__DomainConfig *dc = NULL;
    struct skiff_cfg_error err = { 0 };
    int rc = skiff_cfg_to_domain(cfg, &dc, w ? collect : NULL, w, &err);
    skiff_cfg_free(cfg);
    if (rc != 0)
        fail_msg("to_domain failed (%d): %s:%d:%d: %s", rc, err.file, err.line, err.col,
                 err.message);
    assert_non_null(dc);
    return dc;
}

/* The mapping must fail with exactly this formatted error. */
static void domain_bad(const char *text, const char *want)
{
    struct skiff_cfg *cfg = parse(text);
    Skiff__V1__DomainConfig *dc = (Skiff__V1__DomainConfig *)1;
    struct skiff_cfg_error err = { 0 };
    int rc = skiff_cfg_to_domain(cfg, &dc, NULL, NULL, &err);
    skiff_cfg_free(cfg);
    assert_int_equal(rc, -EINVAL);
    assert_null(dc);
    char buf[600];
    skiff_cfg_error_format(&err, buf, sizeof buf);
    if (strcmp(buf, want) != 0)
        fail_msg("got  '%s'\nwant '%s'", buf, want);
}

#define NAME_RULE "(1 to 64 of A-Z a-z 0-9 _ . -, starting with a letter or digit)"
#define BASE "name = 'vm'\nkernel = '/k'\n"

/* ---- syntax ---- */

static void values(void **state)
{
    struct skiff_cfg *cfg = parse("# a comment\n"
                                  "\n"
                                  "s1 = 'single'   # trailing comment\n"
                                  "s2 = \"double\"\n"
                                  "empty = ''\n"
                                  "dec = 42\n"
                                  "hex = 0x1F\n"
                                  "oct = 017\n"
                                  "zero = 0\n"
                                  "t = true; f = false\n"
                                  "  indented\t=\t7  \n"
                                  "hash = 'a # not a comment'\n"
                                  "_under_score9 = 1\n");
    assert_int_equal(skiff_cfg_count(cfg), 12);
    assert_string_equal(skiff_cfg_string(cfg, "s1"), "single");
    assert_string_equal(skiff_cfg_string(cfg, "s2"), "double");
    assert_string_equal(skiff_cfg_string(cfg, "empty"), "");
    assert_string_equal(skiff_cfg_string(cfg, "hash"), "a # not a comment");
    long long v;
    assert_int_equal(skiff_cfg_int(cfg, "dec", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(skiff_cfg_int(cfg, "hex", &v), 0);
    assert_int_equal(v, 31);
    assert_int_equal(skiff_cfg_int(cfg, "oct", &v), 0);
    assert_int_equal(v, 15);
    assert_int_equal(skiff_cfg_int(cfg, "zero", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(skiff_cfg_int(cfg, "indented", &v), 0);
    assert_int_equal(v, 7);
    bool b;
    assert_int_equal(skiff_cfg_bool(cfg, "t", &b), 0);
    assert_true(b);
    assert_int_equal(skiff_cfg_bool(cfg, "f", &b), 0);
    assert_false(b);
    assert_int_equal(skiff_cfg_int(cfg, "_under_score9", &v), 0);
    /* Order of first appearance and positions. */
    const struct skiff_cfg_entry *e = skiff_cfg_at(cfg, 0);
    assert_string_equal(e->key, "s1");
    assert_int_equal(e->line, 3);
    assert_int_equal(e->col, 1);
    assert_int_equal(e->value.line, 3);
    assert_int_equal(e->value.col, 6);
    e = skiff_cfg_get(cfg, "f");
    assert_int_equal(e->line, 10);
    assert_int_equal(e->col, 11);
    assert_int_equal(e->value.type, SKIFF_CFG_BOOL);
    e = skiff_cfg_get(cfg, "indented");
    assert_int_equal(e->col, 3);
    assert_int_equal(e->value.col, 14);
    assert_null(skiff_cfg_at(cfg, 12));
    assert_string_equal(e->file, "vm.cfg");
    skiff_cfg_free(cfg);
}

static void escapes(void **state)
{
    struct skiff_cfg *cfg = parse("a = 'it\\'s \\\"q\\\" \\\\ x\\ty\\nz'\n"
                                  "b = \"say \\\"hi\\\" and 'bye'\"\n"
                                  "c = 'tab\there' # raw tab allowed\n"
                                  "d = '\xc3\xa9t\xc3\xa9'\n");
    assert_string_equal(skiff_cfg_string(cfg, "a"), "it's \"q\" \\ x\ty\nz");
    assert_string_equal(skiff_cfg_string(cfg, "b"), "say \"hi\" and 'bye'");
    assert_string_equal(skiff_cfg_string(cfg, "c"), "tab\there");
    assert_string_equal(skiff_cfg_string(cfg, "d"), "\xc3\xa9t\xc3\xa9");
    skiff_cfg_free(cfg);
}

static void lists(void **state)
{
    struct skiff_cfg *cfg = parse("l = [ 'a', 1, true ]\n"
                                  "m = [\n"
                                  "   'x',   # first\n"
                                  "\n"
                                  "   'y',\n"
                                  "]\n"
                                  "e = []\n"
                                  "f = [ # nothing\n ]\n"
                                  "g = ['one'] ; h = [1,2,3,]\n");
    const struct skiff_cfg_entry *e = skiff_cfg_get(cfg, "l");
    assert_int_equal(e->value.type, SKIFF_CFG_LIST);
    assert_int_equal(e->value.n_items, 3);
    assert_int_equal(e->value.items[0].type, SKIFF_CFG_STRING);
    assert_string_equal(e->value.items[0].str, "a");
    assert_int_equal(e->value.items[1].type, SKIFF_CFG_INT);
    assert_int_equal(e->value.items[1].num, 1);
    assert_int_equal(e->value.items[1].col, 12);
    assert_int_equal(e->value.items[2].type, SKIFF_CFG_BOOL);
    e = skiff_cfg_get(cfg, "m");
    assert_int_equal(e->value.n_items, 2);
    assert_string_equal(e->value.items[1].str, "y");
    assert_int_equal(e->value.items[1].line, 5);
    assert_int_equal(e->value.items[1].col, 4);
    assert_int_equal(skiff_cfg_get(cfg, "e")->value.n_items, 0);
    assert_int_equal(skiff_cfg_get(cfg, "e")->value.type, SKIFF_CFG_LIST);
    assert_int_equal(skiff_cfg_get(cfg, "f")->value.n_items, 0);
    assert_int_equal(skiff_cfg_get(cfg, "g")->value.n_items, 1);
    assert_int_equal(skiff_cfg_get(cfg, "h")->value.n_items, 3);
    assert_int_equal(skiff_cfg_get(cfg, "h")->value.items[2].num, 3);
    skiff_cfg_free(cfg);
}

static void last_wins(void **state)
{
    struct skiff_cfg *cfg = parse("a = 1\nb = 'x'\na = [ 'now', 'a list' ]\na = 'final'\n");
    assert_int_equal(skiff_cfg_count(cfg), 2);
    const struct skiff_cfg_entry *e = skiff_cfg_at(cfg, 0);
    assert_string_equal(e->key, "a");
    assert_int_equal(e->line, 4);
    assert_string_equal(e->value.str, "final");
    skiff_cfg_free(cfg);
}

static void empty_inputs(void **state)
{
    const char *texts[] = { "", "\n\n\n", "# only a comment", ";;;\n;", "   \t\r\n", "a=1;" };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct skiff_cfg *cfg = parse(texts[i]);
        assert_true(skiff_cfg_count(cfg) <= 1);
        skiff_cfg_free(cfg);
    }
    struct skiff_cfg *cfg = NULL;
    assert_int_equal(skiff_cfg_parse(NULL, 0, NULL, &cfg, NULL), 0);
    assert_int_equal(skiff_cfg_count(cfg), 0);
    skiff_cfg_free(cfg);
    skiff_cfg_free(NULL);
}

static void crlf(void **state)
{
    struct skiff_cfg *cfg = parse("a = 'x'\r\nb = [ 1,\r\n 2 ]\r\n");
    assert_string_equal(skiff_cfg_string(cfg, "a"), "x");
    assert_int_equal(skiff_cfg_get(cfg, "b")->value.n_items, 2);
    skiff_cfg_free(cfg);
}

/* ---- syntax errors, each at its position ---- */

static void string_errors(void **state)
{
    bad("a = 1\nb = 2\nkernel = 'abc\n", 3, 10, "unterminated string");
    bad("k = \"abc", 1, 5, "unterminated string");
    bad("k = 'abc\"", 1, 5, "unterminated string");
    bad("k = 'abc\\", 1, 5, "unterminated string");
    bad("k = 'abc\\\n'", 1, 5, "unterminated string");
    bad("k = 'a\\qb'", 1, 7, "unknown escape '\\q'");
    bad("k = 'a\\\x01'", 1, 7, "unknown escape");
    bad("k = 'a\x1b[31m'", 1, 7, "control character in string");
    bad("k = 'a\x7f'", 1, 7, "control character in string");
    bad("k = 'a'b'", 1, 8, "expected the end of the line or ';'");
}

static void structure_errors(void **state)
{
    bad("k 'v'", 1, 3, "expected '=' after 'k', got '''");
    bad("k\n= 1", 1, 2, "expected '=' after 'k', got end of line");
    bad("k", 1, 2, "got end of input");
    bad("= 1", 1, 1, "expected a key, got '='");
    bad("1k = 1", 1, 1, "expected a key");
    bad("a.b = 1", 1, 2, "expected '=' after 'a'");
    bad("on-crash = 'x'", 1, 3, "expected '=' after 'on'");
    bad("k =\n", 1, 4, "expected a value, got end of line");
    bad("k = ", 1, 5, "expected a value, got end of input");
    bad("k = ;", 1, 5, "expected a value, got ';'");
    bad("k = # c", 1, 8, "expected a value, got end of input");
    bad("k = # c\n", 1, 8, "expected a value, got end of line");
    bad("k = 1 2", 1, 7, "expected the end of the line or ';' after the value, got '2'");
    bad("k = 1 = 2", 1, 7, "after the value");
    bad("k = foo", 1, 5, "unexpected word 'foo' (strings need quotes)");
    bad("k = True", 1, 5, "unexpected word 'True'");
    bad("k = @", 1, 5, "expected a value, got '@'");
    bad("k = \x80", 1, 5, "got byte 0x80");
    bad("\xef\xbb\xbfk = 1", 1, 1, "expected a key, got byte 0xef");
    bad("k = -1", 1, 5, "negative numbers are not allowed");
    bad("ok = 1\n\n   k\t= 1 x", 3, 10, "after the value");
}

static void number_errors(void **state)
{
    bad("k = 12abc", 1, 5, "invalid number: 12abc");
    bad("k = 0x", 1, 5, "invalid number: 0x");
    bad("k = 0xg", 1, 5, "invalid number: 0xg");
    bad("k = 08", 1, 5, "invalid number: 08 (a leading 0 means octal)");
    bad("k = 1.5", 1, 5, "invalid number: 1.5");
    bad("k = 9223372036854775808", 1, 5, "number out of range");
    bad("k = 0x8000000000000000", 1, 5, "number out of range");
    bad("k = 99999999999999999999999999999999999999999", 1, 5, "out of range");
    struct skiff_cfg *cfg = parse("k = 9223372036854775807\nh = 0x7fffffffffffffff\n");
    long long v;
    assert_int_equal(skiff_cfg_int(cfg, "k", &v), 0);
    assert_int_equal(v, 9223372036854775807LL);
    assert_int_equal(skiff_cfg_int(cfg, "h", &v), 0);
    assert_int_equal(v, 9223372036854775807LL);
    skiff_cfg_free(cfg);
}

static void list_errors(void **state)
{
    bad("a = 1\nd = [ 'x',\n 'y'\n", 2, 5, "unterminated list");
    bad("d = [", 1, 5, "unterminated list");
    bad("d = [ 'x' ", 1, 5, "unterminated list");
    bad("d = [ [ 1 ] ]", 1, 7, "lists cannot be nested");
    bad("d = [ 'a' 'b' ]", 1, 11, "expected ',' or ']' in list, got '''");
    bad("d = [ , ]", 1, 7, "expected a value, got ','");
    bad("d = [ 1,, 2 ]", 1, 9, "expected a value, got ','");
    bad("d = [ 'a\n' ]", 1, 7, "unterminated string");
    bad("d = ]", 1, 5, "expected a value, got ']'");
    bad("d = [ foo ]", 1, 7, "unexpected word 'foo'");
}

static void nul_bytes(void **state)
{
    static const char t1[] = "a = 'x\0y'\n";
    bad_len(t1, sizeof t1 - 1, 1, 7, "NUL byte");
    static const char t2[] = "a = 1\n# comment \0\n";
    bad_len(t2, sizeof t2 - 1, 2, 11, "NUL byte");
    static const char t3[] = "\0";
    bad_len(t3, 1, 1, 1, "NUL byte");
    /* The length is what counts: text after len is never looked at. */
    struct skiff_cfg *cfg = parse_len("a = 1\0garbage", 5);
    assert_int_equal(skiff_cfg_count(cfg), 1);
    skiff_cfg_free(cfg);
    /* Nor is anything after len inside a token. */
    bad_len("a = 'xyz'", 7, 1, 5, "unterminated string");
    bad_len("a = 0x10", 6, 1, 5, "invalid number");
}

static void limits(void **state)
{
    /* Keys: 64 characters is fine, 65 is not. */
    char line[256];
    snprintf(line, sizeof line, "%.64s = 1", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk");
    struct skiff_cfg *cfg = parse(line);
    skiff_cfg_free(cfg);
    snprintf(line, sizeof line, "%.65s = 1", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk");
    bad(line, 1, 1, "key too long");

    /* Too many distinct keys; repeating one key is fine. */
    size_t cap = 64 * 1024, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    for (int i = 0; i <= SKIFF_CFG_MAX_KEYS; i++)
        n += (size_t)snprintf(t + n, cap - n, "k%d = 1\n", i);
    bad_len(t, n, SKIFF_CFG_MAX_KEYS + 1, 1, "too many keys");
    n = 0;
    for (int i = 0; i < 5000; i++)
        n += (size_t)snprintf(t + n, cap - n, "k = %d\n", i);
    cfg = parse_len(t, n);
    long long v;
    assert_int_equal(skiff_cfg_int(cfg, "k", &v), 0);
    assert_int_equal(v, 4999);
    skiff_cfg_free(cfg);

    /* Lists: SKIFF_CFG_MAX_LIST items, not one more. */
    n = (size_t)snprintf(t, cap, "l = [");
    for (int i = 0; i < SKIFF_CFG_MAX_LIST; i++)
        n += (size_t)snprintf(t + n, cap - n, "1,");
    n += (size_t)snprintf(t + n, cap - n, "]");
    cfg = parse_len(t, n);
    assert_int_equal(skiff_cfg_get(cfg, "l")->value.n_items, SKIFF_CFG_MAX_LIST);
    skiff_cfg_free(cfg);
    n = (size_t)snprintf(t, cap, "l = [");
    for (int i = 0; i <= SKIFF_CFG_MAX_LIST; i++)
        n += (size_t)snprintf(t + n, cap - n, "1,");
    n += (size_t)snprintf(t + n, cap - n, "]");
    bad_len(t, n, 1, 6 + 2 * SKIFF_CFG_MAX_LIST, "list too long");
    free(t);
}

static void huge_inputs(void **state)
{
    static char t[SKIFF_CFG_MAX_SIZE + 2];
    size_t max = SKIFF_CFG_MAX_SIZE;

    /* One line of exactly the maximum size: a string as long as it gets. */
    memcpy(t, "k = '", 5);
    memset(t + 5, 'a', max - 6);
    t[max - 1] = '\'';
    struct skiff_cfg *cfg = parse_len(t, max);
    assert_int_equal(strlen(skiff_cfg_string(cfg, "k")), max - 6);
    skiff_cfg_free(cfg);

    /* One byte more is refused before parsing. */
    struct skiff_cfg_error err;
    cfg = (struct skiff_cfg *)1;
    assert_int_equal(skiff_cfg_parse(t, max + 1, "big.cfg", &cfg, &err), -EFBIG);
    assert_null(cfg);
    assert_int_equal(err.line, 0);
    assert_non_null(strstr(err.message, "too large"));

    /* Unterminated string spanning the whole input. */
    t[max - 1] = 'a';
    bad_len(t, max, 1, 5, "unterminated string");

    /* Deep nesting stops at the second level. */
    memcpy(t, "k = ", 4);
    memset(t + 4, '[', max - 4);
    bad_len(t, max, 1, 6, "lists cannot be nested");

    /* An unclosed list of a million commas... */
    memcpy(t, "k = [1", 6);
    memset(t + 6, ',', max - 6);
    bad_len(t, max, 1, 8, "expected a value, got ','");

    /* ...a huge number, a long key, a long word, many blank lines. */
    memcpy(t, "k = ", 4);
    memset(t + 4, '9', max - 4);
    bad_len(t, max, 1, 5, "number out of range");
    memset(t, 'k', max);
    bad_len(t, max, 1, 1, "key too long");
    memcpy(t, "k = ", 4);
    memset(t + 4, 'w', max - 4);
    bad_len(t, max, 1, 5, "unexpected word 'wwww");
    memset(t, '\n', max - 1);
    t[max - 1] = '$';
    bad_len(t, max, (int)max, 1, "expected a key, got '$'");
}

/* Random and mutated input: must never crash, leak or read out of
 * bounds (run under ASan/valgrind to see the last two). */
static void random_inputs(void **state)
{
    static const char *seeds[] = {
        "name = 'vm' # c\nmemory = 0x40; disk = [ 'target=/a, vdev=b', ]\n",
        "a = \"x\\\"y\"\nl = [\n 1,\n 'two', true,\n]\n",
    };
    static const char alphabet[] = "ab_=;#[],'\"\\\n \t0x19-.\r\x80";
    uint32_t seed = 12345;
    char buf[256];
    for (int iter = 0; iter < 40000; iter++) {
        size_t n;
        if (iter % 2 == 0) {
            const char *s = seeds[iter % 4 / 2];
            n = strlen(s);
            memcpy(buf, s, n);
            for (int m = 0; m < 3; m++) {
                seed = seed * 1103515245 + 12345;
                size_t at = (seed >> 8) % n;
                seed = seed * 1103515245 + 12345;
                buf[at] = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
            }
        } else {
            seed = seed * 1103515245 + 12345;
            n = (seed >> 8) % sizeof buf;
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245 + 12345;
                buf[i] = alphabet[(seed >> 8) % (sizeof alphabet - 1)];
            }
        }
        /* Exact-size heap copy, so ASan sees any read past the end. */
        char *t = malloc(n ? n : 1);
        assert_non_null(t);
        memcpy(t, buf, n);
        struct skiff_cfg *cfg = NULL;
        struct skiff_cfg_error err = { 0 };
        int rc = skiff_cfg_parse(t, n, "fuzz", &cfg, &err);
        if (rc == 0) {
            Skiff__V1__DomainConfig *dc = NULL;
            if (skiff_cfg_to_domain(cfg, &dc, NULL, NULL, &err) == 0)
                skiff_cfg_domain_free(dc);
            skiff_cfg_free(cfg);
        } else {
            assert_int_equal(rc, -EINVAL);
            assert_true(err.line >= 1 && err.col >= 1);
            assert_true(err.message[0] != '\0');
        }
        /* The same bytes as an override (up to the first NUL). */
        char *o = strndup(t, n);
        assert_non_null(o);
        assert_int_equal(skiff_cfg_parse("", 0, "fuzz", &cfg, &err), 0);
        rc = skiff_cfg_override(cfg, o, &err);
        if (rc == 0) {
            assert_int_equal(skiff_cfg_count(cfg), 1);
        } else {
            assert_int_equal(rc, -EINVAL);
            assert_int_equal(err.line, 1);
            assert_true(err.col >= 1 && (size_t)err.col <= strlen(o) + 1);
        }
        skiff_cfg_free(cfg);
        free(o);
        free(t);
    }
}

/* ---- files ---- */

static void files(void **state)
{
    char path[] = "/tmp/test-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "name = 'filevm'\nkernel = '/k'\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct skiff_cfg *cfg = NULL;
    struct skiff_cfg_error err;
    assert_int_equal(skiff_cfg_parse_file(path, &cfg, &err), 0);
    assert_string_equal(skiff_cfg_string(cfg, "name"), "filevm");
    assert_string_equal(skiff_cfg_get(cfg, "name")->file, path);
    skiff_cfg_free(cfg);

    /* Errors name the file. */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "a = 1\nb = 'x", 12), 12);
    close(fd);
    assert_int_equal(skiff_cfg_parse_file(path, &cfg, &err), -EINVAL);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 5);

    /* Over the limit. */
    assert_int_equal(truncate(path, SKIFF_CFG_MAX_SIZE + 1), 0);
    assert_int_equal(skiff_cfg_parse_file(path, &cfg, &err), -EFBIG);
    assert_null(cfg);
    unlink(path);

    assert_int_equal(skiff_cfg_parse_file(path, &cfg, &err), -ENOENT);
    assert_null(cfg);
    assert_int_equal(err.line, 0);
    char buf[512];
    skiff_cfg_error_format(&err, buf, sizeof buf);
    assert_non_null(strstr(buf, "cannot open: No such file or directory"));
    assert_int_equal(strncmp(buf, path, strlen(path)), 0);

    /* A directory cannot be read. */
    assert_int_equal(skiff_cfg_parse_file("/", &cfg, &err), -EISDIR);
}

static void error_format(void **state)
{
    struct skiff_cfg_error err = { .file = "vm.cfg", .line = 3, .col = 12 };
    snprintf(err.message, sizeof err.message, "unterminated string");
    char buf[600];
    skiff_cfg_error_format(&err, buf, sizeof buf);
    assert_string_equal(buf, "vm.cfg:3:12: unterminated string");
    err.line = 0;
    skiff_cfg_error_format(&err, buf, sizeof buf);
    assert_string_equal(buf, "vm.cfg: unterminated string");
    /* NULL filename and NULL err are fine. */
    struct skiff_cfg *cfg = (struct skiff_cfg *)1;
    assert_int_equal(skiff_cfg_parse("x", 1, NULL, &cfg, NULL), -EINVAL);
    assert_int_equal(skiff_cfg_parse("x", 1, NULL, &cfg, &err), -EINVAL);
    assert_string_equal(err.file, "<input>");
}

/* ---- overrides ---- */

static void overrides(void **state)
{
    struct skiff_cfg *cfg = parse("memory = 64\nname = 'a'\n");
    struct skiff_cfg_error err;
    long long v;
    assert_int_equal(skiff_cfg_override(cfg, "memory=128", &err), 0);
    assert_int_equal(skiff_cfg_int(cfg, "memory", &v), 0);
    assert_int_equal(v, 128);
    assert_int_equal(skiff_cfg_count(cfg), 2);
    const struct skiff_cfg_entry *e = skiff_cfg_get(cfg, "memory");
    assert_string_equal(e->file, SKIFF_CFG_CMDLINE);
    assert_int_equal(e->line, 1);
    assert_int_equal(e->col, 1);
    assert_int_equal(e->value.col, 8);

    assert_int_equal(skiff_cfg_override(cfg, "memory = 0x100", &err), 0);
    assert_int_equal(skiff_cfg_int(cfg, "memory", &v), 0);
    assert_int_equal(v, 256);
    /* Bare words are strings, as they stand. */
    assert_int_equal(skiff_cfg_override(cfg, "name=web-1", &err), 0);
    assert_string_equal(skiff_cfg_string(cfg, "name"), "web-1");
    assert_int_equal(skiff_cfg_override(cfg, "cmdline=--port 80 # not a comment ", &err), 0);
    assert_string_equal(skiff_cfg_string(cfg, "cmdline"), "--port 80 # not a comment");
    assert_int_equal(skiff_cfg_override(cfg, "kernel=/srv/app.hvt", &err), 0);
    assert_string_equal(skiff_cfg_string(cfg, "kernel"), "/srv/app.hvt");
    assert_int_equal(skiff_cfg_override(cfg, "s=12abc", &err), 0);
    assert_string_equal(skiff_cfg_string(cfg, "s"), "12abc");
    assert_int_equal(skiff_cfg_override(cfg, "s=it's", &err), 0);
    assert_string_equal(skiff_cfg_string(cfg, "s"), "it's");
    assert_int_equal(skiff_cfg_override(cfg, "s=", &err), 0);
    assert_string_equal(skiff_cfg_string(cfg, "s"), "");
    assert_int_equal(skiff_cfg_override(cfg, "  s  =  a=b  ", &err), 0);
    assert_string_equal(skiff_cfg_string(cfg, "s"), "a=b");
    /* Quoted values and lists use the file syntax. */
    assert_int_equal(skiff_cfg_override(cfg, "s='quoted \\'x\\''", &err), 0);
    assert_string_equal(skiff_cfg_string(cfg, "s"), "quoted 'x'");
    assert_int_equal(skiff_cfg_override(cfg, "s=\"123\"", &err), 0);
    assert_string_equal(skiff_cfg_string(cfg, "s"), "123");
    assert_int_equal(skiff_cfg_override(cfg, "disk=['target=/a, vdev=x', 'target=/b,vdev=y']",
                                        &err), 0);
    assert_int_equal(skiff_cfg_get(cfg, "disk")->value.n_items, 2);
    bool b;
    assert_int_equal(skiff_cfg_override(cfg, "autostart=true", &err), 0);
    assert_int_equal(skiff_cfg_bool(cfg, "autostart", &b), 0);
    assert_true(b);
    assert_int_equal(skiff_cfg_override(cfg, "autostart=0", &err), 0);
    assert_int_equal(skiff_cfg_bool(cfg, "autostart", &b), 0);
    assert_false(b);
    skiff_cfg_free(cfg);
}

static void override_bad(const char *a, int col, const char *msg)
{
    struct skiff_cfg *cfg = parse("x = 1\n");
    struct skiff_cfg_error err = { 0 };
    assert_int_equal(skiff_cfg_override(cfg, a, &err), -EINVAL);
    assert_string_equal(err.file, SKIFF_CFG_CMDLINE);
    if (err.line != 1 || err.col != col || strstr(err.message, msg) == NULL)
        fail_msg("'%s': got %d:%d: %s", a, err.line, err.col, err.message);
    /* A failed override leaves the config as it was. */
    assert_int_equal(skiff_cfg_count(cfg), 1);
    long long v;
    assert_int_equal(skiff_cfg_int(cfg, "x", &v), 0);
    assert_int_equal(v, 1);
    skiff_cfg_free(cfg);
}

static void override_errors(void **state)
{
    override_bad("memory", 7, "expected '=' after the key, got end of input");
    override_bad("=1", 1, "expected key=value");
    override_bad("", 1, "expected key=value");
    override_bad("1x=1", 1, "expected key=value");
    override_bad("a-b=1", 2, "expected '='");
    override_bad("x='abc", 3, "unterminated string");
    override_bad("x='abc' junk", 9, "expected nothing after the value");
    override_bad("x=[1, [2]]", 7, "lists cannot be nested");
    override_bad("x=[1, 2", 3, "unterminated list");
    override_bad("x=a\x1b[0m", 4, "control character in override");
    override_bad("x=a\nb", 4, "control character in override");
    override_bad("x=[1,\n2]", 6, "control character in override");
    override_bad("\r\nx=1", 1, "control character in override");
    override_bad("x='a\\z'", 5, "unknown escape");
}

/* ---- lookups ---- */

static void lookups(void **state)
{
    struct skiff_cfg *cfg = parse("s = 'str'\ni = 5\nb = true\nl = [1]\ntwo = 2\n");
    long long v = -1;
    bool b = false;
    assert_null(skiff_cfg_string(cfg, "i"));
    assert_null(skiff_cfg_string(cfg, "missing"));
    assert_int_equal(skiff_cfg_int(cfg, "missing", &v), -ENOENT);
    assert_int_equal(skiff_cfg_int(cfg, "s", &v), -EINVAL);
    assert_int_equal(skiff_cfg_int(cfg, "b", &v), -EINVAL);
    assert_int_equal(skiff_cfg_int(cfg, "l", &v), -EINVAL);
    assert_int_equal(v, -1);
    assert_int_equal(skiff_cfg_bool(cfg, "missing", &b), -ENOENT);
    assert_int_equal(skiff_cfg_bool(cfg, "s", &b), -EINVAL);
    assert_int_equal(skiff_cfg_bool(cfg, "two", &b), -EINVAL);
    assert_null(skiff_cfg_get(cfg, "S"));     /* keys are case-sensitive */
    assert_null(skiff_cfg_get(cfg, ""));

    struct skiff_cfg_error err = { 0 };
    assert_int_equal(skiff_cfg_expect(cfg, "s", SKIFF_CFG_STRING, NULL, &err), 0);
    assert_int_equal(skiff_cfg_expect(cfg, "missing", SKIFF_CFG_INT, NULL, &err), 0);
    assert_int_equal(skiff_cfg_expect(cfg, "l", SKIFF_CFG_STRING, "a path", &err), -EINVAL);
    char buf[600];
    skiff_cfg_error_format(&err, buf, sizeof buf);
    assert_string_equal(buf, "vm.cfg:4:5: l: expected a path, got a list");
    assert_int_equal(skiff_cfg_expect(cfg, "s", SKIFF_CFG_INT, NULL, &err), -EINVAL);
    assert_string_equal(err.message, "s: expected an integer, got a string");

    struct warnings w = { 0 };
    static const char *const known[] = { "s", "i", "l", NULL };
    assert_int_equal(skiff_cfg_warn_unknown(cfg, known, collect, &w), 2);
    assert_int_equal(w.n, 2);
    assert_string_equal(w.all, "vm.cfg:3:1: warning: unknown key 'b'\n"
                               "vm.cfg:5:1: warning: unknown key 'two'\n");
    assert_int_equal(skiff_cfg_warn_unknown(cfg, known, NULL, NULL), 2);
    skiff_cfg_free(cfg);
}

/* ---- DomainConfig ---- */

static void domain_full(void **state)
{
    struct warnings w = { 0 };
    Skiff__V1__DomainConfig *dc = domain(
        "name = 'web-1.prod_x'\n"
        "uuid = '0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0'\n"
        "memory = 128\n"
        "vcpus = 2\n"
        "kernel = '/srv/web.hvt'\n"
        "cmdline = '--port=80 --verbose'\n"
        "disk = [ 'target=/img/a.img, vdev=storage',\n"
        "         '/img/b.img,raw,scratch',\n"
        "         'vdev=logs, sector-size=4096, target=/img/c,d.img', ]\n"
        "vif = [ 'mac=00:16:3E:0a:0b:0c, vdev=service0, bridge=br0',\n"
        "        'vdev=net1,tap=tap7' ]\n"
        "on_poweroff = 'destroy'\n"
        "on_reboot = 'restart'\n"
        "on_crash = 'preserve'\n"
        "seclabel = 'system_u:system_r:domU_t'\n"
        "pool = 'fast'\n"
        "cpus = ' 0-3, 6 '\n"
        "autostart = 1\n", &w);
    assert_int_equal(w.n, 0);
    assert_string_equal(dc->name, "web-1.prod_x");
    assert_string_equal(dc->uuid, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    assert_int_equal(dc->memory_mb, 128);
    assert_int_equal(dc->vcpus, 2);
    assert_string_equal(dc->kernel, "/srv/web.hvt");
    assert_string_equal(dc->cmdline, "--port=80 --verbose");
    assert_int_equal(dc->n_disks, 3);
    assert_string_equal(dc->disks[0]->target, "/img/a.img");
    assert_string_equal(dc->disks[0]->vdev, "storage");
    assert_int_equal(dc->disks[0]->sector_size, 0);
    assert_string_equal(dc->disks[1]->target, "/img/b.img");
    assert_string_equal(dc->disks[1]->vdev, "scratch");
    assert_string_equal(dc->disks[2]->target, "/img/c,d.img");
    assert_string_equal(dc->disks[2]->vdev, "logs");
    assert_int_equal(dc->disks[2]->sector_size, 4096);
    assert_int_equal(dc->n_vifs, 2);
    assert_string_equal(dc->vifs[0]->mac, "00:16:3e:0a:0b:0c");
    assert_string_equal(dc->vifs[0]->vdev, "service0");
    assert_string_equal(dc->vifs[0]->bridge, "br0");
    assert_string_equal(dc->vifs[0]->tap, "");
    assert_string_equal(dc->vifs[1]->mac, "");
    assert_string_equal(dc->vifs[1]->tap, "tap7");
    assert_int_equal(dc->on_poweroff, SKIFF__V1__LIFECYCLE_ACTION__DESTROY);
    assert_int_equal(dc->on_reboot, SKIFF__V1__LIFECYCLE_ACTION__RESTART);
    assert_int_equal(dc->on_crash, SKIFF__V1__LIFECYCLE_ACTION__PRESERVE);
    assert_string_equal(dc->seclabel, "system_u:system_r:domU_t");
    assert_string_equal(dc->pool, "fast");
    assert_string_equal(dc->cpus, "0-3,6");
    assert_true(dc->autostart);

    /* What the builder allocates survives the wire and frees cleanly both
     * ways. */
    size_t len = skiff__v1__domain_config__get_packed_size(dc);
    uint8_t *wire = malloc(len);
    assert_non_null(wire);
    skiff__v1__domain_config__pack(dc, wire);
    Skiff__V1__DomainConfig *back = skiff__v1__domain_config__unpack(NULL, len, wire);
    free(wire);
    assert_non_null(back);
    assert_string_equal(back->disks[2]->target, "/img/c,d.img");
    assert_string_equal(back->vifs[0]->mac, "00:16:3e:0a:0b:0c");
    skiff_cfg_domain_free(back);
    protobuf_c_message_free_unpacked(&dc->base, NULL);
    skiff_cfg_domain_free(NULL);
}

static void domain_minimal(void **state)
{
    Skiff__V1__DomainConfig *dc = domain(BASE, NULL);
    assert_string_equal(dc->name, "vm");
    assert_string_equal(dc->kernel, "/k");
    /* Left out = zero / empty: hostd's defaults apply. */
    assert_string_equal(dc->uuid, "");
    assert_int_equal(dc->memory_mb, 0);
    assert_int_equal(dc->vcpus, 0);
    assert_string_equal(dc->cmdline, "");
    assert_int_equal(dc->n_disks, 0);
    assert_null(dc->disks);
    assert_int_equal(dc->n_vifs, 0);
    assert_int_equal(dc->on_poweroff, SKIFF__V1__LIFECYCLE_ACTION__ACTION_UNSPECIFIED);
    assert_int_equal(dc->on_crash, SKIFF__V1__LIFECYCLE_ACTION__ACTION_UNSPECIFIED);
    assert_string_equal(dc->cpus, "");
    assert_false(dc->autostart);
    skiff_cfg_domain_free(dc);
    /* Empty lists are no devices. */
    dc = domain(BASE "disk = []\nvif = []\n", NULL);
    assert_int_equal(dc->n_disks, 0);
    assert_int_equal(dc->n_vifs, 0);
    skiff_cfg_domain_free(dc);
}

static void domain_required(void **state)
{
    domain_bad("kernel = '/k'\n", "vm.cfg: name is required");
    domain_bad("name = 'vm'\n", "vm.cfg: kernel is required");
    domain_bad("", "vm.cfg: name is required");
}

static void domain_name_uuid(void **state)
{
    static const char *const names[][2] = {
        { "'a b'", "'a b'" },    { "''", "''" },     { "'..'", "'..'" },
        { "'-x'", "'-x'" },      { "'_x'", "'_x'" }, { "'a/b'", "'a/b'" },
        { "'x\\n\\t'", "'x\\x0a\\x09'" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char t[100], want[300];
        snprintf(t, sizeof t, "name = %s\nkernel = '/k'\n", names[i][0]);
        snprintf(want, sizeof want, "vm.cfg:1:8: name: %s is not a valid name " NAME_RULE,
                 names[i][1]);
        domain_bad(t, want);
    }
    Skiff__V1__DomainConfig *dc = domain("name = '0a_b.c-D'\nkernel = '/k'\n", NULL);
    assert_string_equal(dc->name, "0a_b.c-D");
    skiff_cfg_domain_free(dc);
    domain_bad("name = 5\nkernel = '/k'\n", "vm.cfg:1:8: name: expected a string, got an integer");
    domain_bad("name = '12345678-1234-1234-1234-123456789abc'\nkernel = '/k'\n",
               "vm.cfg:1:8: name: '12345678-1234-1234-1234-123456789abc' looks like a UUID, "
               "which would be ambiguous");
    char text[200];
    snprintf(text, sizeof text, "name = '%064d'\nkernel = '/k'\n", 7);
    dc = domain(text, NULL);
    assert_int_equal(strlen(dc->name), 64);
    skiff_cfg_domain_free(dc);
    snprintf(text, sizeof text, "name = '%065d'\nkernel = '/k'\n", 7);
    struct skiff_cfg *cfg = parse(text);
    struct skiff_cfg_error err;
    assert_int_equal(skiff_cfg_to_domain(cfg, &dc, NULL, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.message, "...' is not a valid name"));
    skiff_cfg_free(cfg);

    domain_bad(BASE "uuid = 'nope'\n",
               "vm.cfg:3:8: uuid: 'nope' is not a UUID (8-4-4-4-12 hex digits)");
    domain_bad(BASE "uuid = '12345678-1234-1234-1234-123456789abg'\n",
               "vm.cfg:3:8: uuid: '12345678-1234-1234-1234-123456789abg' is not a UUID "
               "(8-4-4-4-12 hex digits)");
    domain_bad(BASE "uuid = '123456781234-1234-1234-123456789abcd'\n",
               "vm.cfg:3:8: uuid: '123456781234-1234-1234-123456789abcd' is not a UUID "
               "(8-4-4-4-12 hex digits)");
    domain_bad(BASE "uuid = '12345678-1234-1234-1234-123456789abc0'\n",
               "vm.cfg:3:8: uuid: '12345678-1234-1234-1234-123456789abc0' is not a UUID "
               "(8-4-4-4-12 hex digits)");
    domain_bad(BASE "uuid = 1\n", "vm.cfg:3:8: uuid: expected a string (a UUID), got an integer");
}

static void domain_numbers(void **state)
{
    domain_bad("name = 'vm'\nkernel = '/k'\nxx = 1\nmemory = 'lots'\n",
               "vm.cfg:4:10: memory: expected an integer (MiB), got a string");
    domain_bad(BASE "memory = 0\n", "vm.cfg:3:10: memory: 0 is out of range (1 to 4096)");
    domain_bad(BASE "memory = 4097\n", "vm.cfg:3:10: memory: 4097 is out of range (1 to 4096)");
    domain_bad(BASE "memory = [64]\n",
               "vm.cfg:3:10: memory: expected an integer (MiB), got a list");
    domain_bad(BASE "memory = true\n",
               "vm.cfg:3:10: memory: expected an integer (MiB), got a boolean");
    domain_bad(BASE "memory = 0x7fffffffffffffff\n",
               "vm.cfg:3:10: memory: 9223372036854775807 is out of range (1 to 4096)");
    domain_bad(BASE "vcpus = 0\n", "vm.cfg:3:9: vcpus: 0 is out of range (1 to 512)");
    domain_bad(BASE "vcpus = 513\n", "vm.cfg:3:9: vcpus: 513 is out of range (1 to 512)");
    domain_bad(BASE "vcpus = '2'\n", "vm.cfg:3:9: vcpus: expected an integer, got a string");
    Skiff__V1__DomainConfig *dc = domain(BASE "memory = 4096\nvcpus = 512\n", NULL);
    assert_int_equal(dc->memory_mb, 4096);
    assert_int_equal(dc->vcpus, 512);
    skiff_cfg_domain_free(dc);
    dc = domain(BASE "memory = 1\nvcpus = 1\n", NULL);
    assert_int_equal(dc->memory_mb, 1);
    assert_int_equal(dc->vcpus, 1);
    skiff_cfg_domain_free(dc);
}

static void domain_kernel_cmdline(void **state)
{
    domain_bad("name = 'vm'\nkernel = ''\n", "vm.cfg:2:10: kernel: path is empty");
    domain_bad("name = 'vm'\nkernel = 'a\\nb'\n", "vm.cfg:2:10: kernel: control character in path");
    domain_bad("name = 'vm'\nkernel = ['/k']\n",
               "vm.cfg:2:10: kernel: expected a string (the kernel's path), got a list");
    char *t = malloc(9000);
    assert_non_null(t);
    int n = snprintf(t, 9000, "name = 'vm'\nkernel = '/");
    memset(t + n, 'p', 4096);
    strcpy(t + n + 4096, "'\n");
    domain_bad(t, "vm.cfg:2:10: kernel: path too long (at most 4096 bytes)");

    n = snprintf(t, 9000, BASE "cmdline = '");
    memset(t + n, 'c', 8192);
    strcpy(t + n + 8192, "'\n");
    domain_bad(t, "vm.cfg:3:11: cmdline: too long (at most 8191 bytes)");
    t[n + 8191] = '\'';
    t[n + 8192] = '\0';
    Skiff__V1__DomainConfig *dc = domain(t, NULL);
    assert_int_equal(strlen(dc->cmdline), 8191);
    skiff_cfg_domain_free(dc);
    free(t);
    domain_bad(BASE "cmdline = 'a\\nb'\n",
               "vm.cfg:3:11: cmdline: control character in the command line");

    /* extra is cmdline's alias; cmdline wins over it, with a warning. */
    struct warnings w = { 0 };
    dc = domain(BASE "extra = 'from extra'\n", &w);
    assert_string_equal(dc->cmdline, "from extra");
    assert_int_equal(w.n, 0);
    skiff_cfg_domain_free(dc);
    dc = domain(BASE "extra = 'from extra'\ncmdline = 'from cmdline'\n", &w);
    assert_string_equal(dc->cmdline, "from cmdline");
    assert_int_equal(w.n, 1);
    assert_string_equal(w.last, "vm.cfg:3:1: warning: ignoring 'extra' in favour of 'cmdline'");
    skiff_cfg_domain_free(dc);
    domain_bad(BASE "extra = 1\n", "vm.cfg:3:9: extra: expected a string, got an integer");
}

static void domain_disks(void **state)
{
    Skiff__V1__DomainConfig *dc = domain(BASE "disk = 'target=/a.img,vdev=one'\n", NULL);
    assert_int_equal(dc->n_disks, 1);
    assert_string_equal(dc->disks[0]->vdev, "one");
    skiff_cfg_domain_free(dc);
    dc = domain(BASE "disk = [' /a.img , , two ', 'vdev=q, format=raw,target = /b ',\n"
                     "  'vdev=x,sector_size=512,target=/c', 'vdev=y,sector_size=32768,target=/d']\n",
                NULL);
    assert_int_equal(dc->n_disks, 4);
    assert_string_equal(dc->disks[0]->target, "/a.img");
    assert_string_equal(dc->disks[0]->vdev, "two");
    assert_string_equal(dc->disks[1]->target, "/b");
    assert_string_equal(dc->disks[1]->vdev, "q");
    assert_int_equal(dc->disks[2]->sector_size, 512);
    assert_int_equal(dc->disks[3]->sector_size, 32768);
    skiff_cfg_domain_free(dc);

#define D BASE "disk = [ 'target=/a, vdev=a',\n"
    domain_bad(D " 'target=/b' ]\n",
               "vm.cfg:4:2: disk[1]: vdev (the device's name in the manifest) is required");
    domain_bad(D " 'vdev=b' ]\n", "vm.cfg:4:2: disk[1]: target (the image's path) is required");
    domain_bad(D " '' ]\n", "vm.cfg:4:2: disk[1]: target (the image's path) is required");
    domain_bad(D " 'target=, vdev=b' ]\n", "vm.cfg:4:2: disk[1]: target: path is empty");
    domain_bad(D " 'vdev=b,target=' ]\n", "vm.cfg:4:2: disk[1]: target: path is empty");
    domain_bad(D " 'vdev=a,target=/b' ]\n", "vm.cfg:4:2: disk[1]: vdev 'a' is used by another "
                                             "device");
    domain_bad(D " 'vdev=b-c,target=/b' ]\n",
               "vm.cfg:4:2: disk[1]: vdev 'b-c' is not a valid device name "
               "(1 to 67 of A-Z a-z 0-9)");
    domain_bad(D " 'vdev=,target=/b' ]\n", "vm.cfg:4:2: disk[1]: vdev '' is not a valid device "
                                            "name (1 to 67 of A-Z a-z 0-9)");
    domain_bad(D " 'vdev=b,vdev=c,target=/b' ]\n", "vm.cfg:4:2: disk[1]: vdev given twice");
    domain_bad(D " '/x,,b,rw' ]\n",
               "vm.cfg:4:2: disk[1]: too many positional parameters (TARGET,FORMAT,VDEV)");
    domain_bad(D " '/x,,b', '/y,,c,' ]\n",
               "vm.cfg:4:11: disk[2]: too many positional parameters (TARGET,FORMAT,VDEV)");
    domain_bad(D " '/x,qcow2,b' ]\n",
               "vm.cfg:4:2: disk[1]: format 'qcow2' is not supported (only raw images are)");
    domain_bad(D " 'vdev=b,access=rw,target=/x' ]\n",
               "vm.cfg:4:2: disk[1]: unknown parameter 'access' (expected target, vdev, "
               "sector_size or format)");
    domain_bad(D " 'vdev=b,sector_size=1000,target=/x' ]\n",
               "vm.cfg:4:2: disk[1]: sector_size '1000' is not a power of two from 512 to 32768");
    domain_bad(D " 'vdev=b,sector_size=256,target=/x' ]\n",
               "vm.cfg:4:2: disk[1]: sector_size '256' is not a power of two from 512 to 32768");
    domain_bad(D " 'vdev=b,sector_size=65536,target=/x' ]\n",
               "vm.cfg:4:2: disk[1]: sector_size '65536' is not a power of two from 512 to "
               "32768");
    domain_bad(D " 'vdev=b,sector_size=0x200,target=/x' ]\n",
               "vm.cfg:4:2: disk[1]: sector_size '0x200' is not a power of two from 512 to "
               "32768");
    domain_bad(D " 'vdev=b,sector_size=,target=/x' ]\n",
               "vm.cfg:4:2: disk[1]: sector_size '' is not a power of two from 512 to 32768");
    domain_bad(D " 5 ]\n", "vm.cfg:4:2: disk[1]: expected a string (a disk spec), got an integer");
    domain_bad(BASE "disk = 5\n", "vm.cfg:3:8: disk: expected a list of disk specs, got an "
                                  "integer");
    char t[400];
    snprintf(t, sizeof t, BASE "disk = [ 'target=/a, vdev=%067d' ]\n", 1);
    dc = domain(t, NULL);
    assert_int_equal(strlen(dc->disks[0]->vdev), 67);
    skiff_cfg_domain_free(dc);
    snprintf(t, sizeof t, BASE "disk = [ 'vdev=%068d,target=/a' ]\n", 1);
    domain_bad(t, "vm.cfg:3:10: disk[0]: vdev '0000000000000000000000000000000000000000...' is not a "
                  "valid device name (1 to 67 of A-Z a-z 0-9)");
#undef D
}

static void domain_vifs(void **state)
{
#define V BASE "vif = [ 'vdev=n0, bridge=br0',\n"
    Skiff__V1__DomainConfig *dc = domain(V " ' vdev = n1 , tap = tap-1.x ,, ' ]\n", NULL);
    assert_int_equal(dc->n_vifs, 2);
    assert_string_equal(dc->vifs[1]->vdev, "n1");
    assert_string_equal(dc->vifs[1]->tap, "tap-1.x");
    skiff_cfg_domain_free(dc);
    domain_bad(V " 'bridge=br0' ]\n",
               "vm.cfg:4:2: vif[1]: vdev (the device's name in the manifest) is required");
    domain_bad(V " 'vdev=n0,bridge=br0' ]\n",
               "vm.cfg:4:2: vif[1]: vdev 'n0' is used by another device");
    domain_bad(BASE "disk = ['target=/a,vdev=n0']\n" "vif = ['vdev=n0,bridge=b']\n",
               "vm.cfg:4:8: vif[0]: vdev 'n0' is used by another device");
    domain_bad(BASE "vif = ['vdev=n0,bridge=b']\n" "disk = ['target=/a,vdev=n0']\n",
               "vm.cfg:4:9: disk[0]: vdev 'n0' is used by another device");
    domain_bad(V " 'vdev=n1' ]\n", "vm.cfg:4:2: vif[1]: give bridge= (a bridge to add a new "
                                   "tap to) or tap= (an existing tap)");
    domain_bad(V " 'vdev=n1,bridge=b,tap=t' ]\n",
               "vm.cfg:4:2: vif[1]: give either bridge= or tap=, not both");
    domain_bad(V " 'vdev=n1,bridge=-b' ]\n",
               "vm.cfg:4:2: vif[1]: bridge '-b' is not a valid interface name");
    domain_bad(V " 'vdev=n1,tap=0123456789abcdef' ]\n",
               "vm.cfg:4:2: vif[1]: tap '0123456789abcdef' is not a valid interface name");
    domain_bad(V " 'vdev=n1,tap=a/b' ]\n",
               "vm.cfg:4:2: vif[1]: tap 'a/b' is not a valid interface name");
    domain_bad(V " 'vdev=n1,tap=t,script=x' ]\n",
               "vm.cfg:4:2: vif[1]: unknown parameter 'script' (expected mac, vdev, bridge or "
               "tap)");
    domain_bad(V " 'n1' ]\n", "vm.cfg:4:2: vif[1]: expected key=value, got 'n1'");
    domain_bad(V " 'vdev=n1,tap=t,tap=u' ]\n", "vm.cfg:4:2: vif[1]: tap given twice");
    domain_bad(V " 'vdev=n1,tap=t,mac=00:16:3e:00:00' ]\n",
               "vm.cfg:4:2: vif[1]: mac '00:16:3e:00:00' is not six hex bytes separated by ':'");
    domain_bad(V " 'vdev=n1,tap=t,mac=00-16-3e-00-00-01' ]\n",
               "vm.cfg:4:2: vif[1]: mac '00-16-3e-00-00-01' is not six hex bytes separated by "
               "':'");
    domain_bad(V " 'vdev=n1,tap=t,mac=00:16:3e:00:00:0g' ]\n",
               "vm.cfg:4:2: vif[1]: mac '00:16:3e:00:00:0g' is not six hex bytes separated by "
               "':'");
    domain_bad(V " 'vdev=n1,tap=t,mac=01:00:5e:00:00:01' ]\n",
               "vm.cfg:4:2: vif[1]: mac '01:00:5e:00:00:01' is a multicast address");
    domain_bad(V " 'vdev=n1,tap=t,mac=ff:ff:ff:ff:ff:ff' ]\n",
               "vm.cfg:4:2: vif[1]: mac 'ff:ff:ff:ff:ff:ff' is a multicast address");
    domain_bad(V " 'vdev=n1,tap=t,mac=00:00:00:00:00:00' ]\n",
               "vm.cfg:4:2: vif[1]: mac '00:00:00:00:00:00' is all zeros");
    domain_bad(V " true ]\n", "vm.cfg:4:2: vif[1]: expected a string (a vif spec), got a boolean");
    domain_bad(BASE "vif = 1\n", "vm.cfg:3:7: vif: expected a list of vif specs, got an integer");
    dc = domain(BASE "vif = 'vdev=x,tap=t,mac=02:AB:cd:EF:00:01'\n", NULL);
    assert_string_equal(dc->vifs[0]->mac, "02:ab:cd:ef:00:01");
    skiff_cfg_domain_free(dc);
#undef V
}

static void domain_actions(void **state)
{
    Skiff__V1__DomainConfig *dc =
        domain(BASE "on_poweroff='preserve'\non_reboot='destroy'\non_crash='restart'\n", NULL);
    assert_int_equal(dc->on_poweroff, SKIFF__V1__LIFECYCLE_ACTION__PRESERVE);
    assert_int_equal(dc->on_reboot, SKIFF__V1__LIFECYCLE_ACTION__DESTROY);
    assert_int_equal(dc->on_crash, SKIFF__V1__LIFECYCLE_ACTION__RESTART);
    skiff_cfg_domain_free(dc);
    domain_bad(BASE "on_crash = 'rename-restart'\n",
               "vm.cfg:3:12: on_crash: 'rename-restart' is not supported; expected destroy, "
               "restart or preserve");
    domain_bad(BASE "on_reboot = 'coredump-destroy'\n",
               "vm.cfg:3:13: on_reboot: 'coredump-destroy' is not supported; expected destroy, "
               "restart or preserve");
    domain_bad(BASE "on_poweroff = 'Destroy'\n",
               "vm.cfg:3:15: on_poweroff: unknown action 'Destroy'; expected destroy, restart "
               "or preserve");
    domain_bad(BASE "on_poweroff = 1\n",
               "vm.cfg:3:15: on_poweroff: expected a string (destroy, restart or preserve), got "
               "an integer");
}

static void domain_strings(void **state)
{
    Skiff__V1__DomainConfig *dc = domain(BASE "seclabel = ''\npool = ''\n", NULL);
    assert_string_equal(dc->seclabel, "");
    assert_string_equal(dc->pool, "");
    skiff_cfg_domain_free(dc);
    domain_bad(BASE "seclabel = 'a b'\n",
               "vm.cfg:3:12: seclabel: 'a b': only printable ASCII without blanks is allowed");
    domain_bad(BASE "seclabel = 1\n",
               "vm.cfg:3:12: seclabel: expected a string (a security label), got an integer");
    char t[400];
    int n = snprintf(t, sizeof t, BASE "seclabel = '");
    memset(t + n, 's', 256);
    strcpy(t + n + 256, "'\n");
    domain_bad(t, "vm.cfg:3:12: seclabel: too long (at most 255 bytes)");
    domain_bad(BASE "pool = 'a:b'\n",
               "vm.cfg:3:8: pool: 'a:b' is not a valid pool name " NAME_RULE);
    domain_bad(BASE "pool = []\n", "vm.cfg:3:8: pool: expected a string (a pool name), got a list");
}

static void domain_cpus(void **state)
{
    static const struct {
        const char *in, *out;
    } good[] = {
        { "cpus = '0-3,6'", "0-3,6" },     { "cpus = '7'", "7" },
        { "cpus = '1-1'", "1" },           { "cpus = ' 0-2 , 4 '", "0-2,4" },
        { "cpus = '008'", "8" },           { "cpus = 'all'", "" },
        { "cpus = ''", "" },               { "cpus = 3", "3" },
        { "cpus = [0, 2, 8191]", "0,2,8191" }, { "cpus = []", "" },
        { "cpus = '0-8191'", "0-8191" },
        { "cpus = 'node:1'", "node:1" },   { "cpus = 'nodes:0-1, 7'", "node:0-1,7" },
        { "cpus = [1, '2-3']", "1,2-3" },  { "cpus = ['node:0', 'node:2']", "node:0,node:2" },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char t[200];
        snprintf(t, sizeof t, BASE "%s\n", good[i].in);
        Skiff__V1__DomainConfig *dc = domain(t, NULL);
        if (strcmp(dc->cpus, good[i].out) != 0)
            fail_msg("%s: got '%s', want '%s'", good[i].in, dc->cpus, good[i].out);
        skiff_cfg_domain_free(dc);
    }
    static const char *const worse[] = { "3-1", "a", "1,", ",1", "1--2", "8192", "0-8192",
                                         "1;2", "^1", "0 - 2", "999999999999999999999999999999999999999999999" };
    for (size_t i = 0; i < sizeof worse / sizeof worse[0]; i++) {
        char t[200], want[300];
        snprintf(t, sizeof t, BASE "cpus = '%s'\n", worse[i]);
        snprintf(want, sizeof want, "vm.cfg:3:8: cpus: '%s' is not a CPU list like \"0-3,6\" "
                                    "or \"node:1\" (CPUs 0 to 8191, nodes 0 to 63)", worse[i]);
        if (strlen(worse[i]) > 40)
            snprintf(want, sizeof want, "vm.cfg:3:8: cpus: '%.40s...' is not a CPU list like "
                                        "\"0-3,6\" or \"node:1\" (CPUs 0 to 8191, nodes 0 to 63)",
                     worse[i]);
        domain_bad(t, want);
    }
    domain_bad(BASE "cpus = [1, true]\n", "vm.cfg:3:12: cpus: expected CPU numbers from 0 to 8191");
    domain_bad(BASE "cpus = 'node:64'\n",
               "vm.cfg:3:8: cpus: 'node:64' is not a CPU list like \"0-3,6\" or \"node:1\" "
               "(CPUs 0 to 8191, nodes 0 to 63)");
    domain_bad(BASE "cpus = [8192]\n", "vm.cfg:3:9: cpus: expected CPU numbers from 0 to 8191");
    domain_bad(BASE "cpus = true\n",
               "vm.cfg:3:8: cpus: expected a string like \"0-3,6\" or \"node:1\", or a list of "
               "CPUs, got a boolean");
    /* cpus_soft has the same syntax; weight and cap are ranges. */
    Skiff__V1__DomainConfig *dc = domain(BASE "cpus_soft = 'node:0'\nweight = 512\ncap = 150\n",
                                         NULL);
    assert_string_equal(dc->cpus_soft, "node:0");
    assert_int_equal(dc->weight, 512);
    assert_int_equal(dc->cap, 150);
    skiff_cfg_domain_free(dc);
    domain_bad(BASE "weight = 0\n", "vm.cfg:3:10: weight: 0 is out of range (1 to 65535)");
    domain_bad(BASE "weight = 65536\n",
               "vm.cfg:3:10: weight: 65536 is out of range (1 to 65535)");
    domain_bad(BASE "cap = 51201\n", "vm.cfg:3:7: cap: 51201 is out of range (0 to 51200)");
    domain_bad(BASE "cpus_soft = 'x'\n",
               "vm.cfg:3:13: cpus_soft: 'x' is not a CPU list like \"0-3,6\" or \"node:1\" "
               "(CPUs 0 to 8191, nodes 0 to 63)");
}

static void domain_autostart(void **state)
{
    static const struct {
        const char *v;
        bool on;
    } good[] = { { "1", true }, { "0", false }, { "true", true }, { "false", false },
                 { "'true'", true }, { "'false'", false } };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char t[100];
        snprintf(t, sizeof t, BASE "autostart = %s\n", good[i].v);
        Skiff__V1__DomainConfig *dc = domain(t, NULL);
        assert_int_equal(dc->autostart, good[i].on);
        skiff_cfg_domain_free(dc);
    }
    domain_bad(BASE "autostart = 2\n", "vm.cfg:3:13: autostart: expected 0, 1, true or false");
    domain_bad(BASE "autostart = 'yes'\n",
               "vm.cfg:3:13: autostart: expected 0, 1, true or false");
    domain_bad(BASE "autostart = []\n", "vm.cfg:3:13: autostart: expected 0, 1, true or false");
}

static void domain_unknown_keys(void **state)
{
    struct warnings w = { 0 };
    Skiff__V1__DomainConfig *dc = domain("name = 'vm'\nkernel = '/k'\n\n"
                                         "   type = 'pvh'\n"
                                         "builder='hvm'; foo = 1\nfoo = 2\n", &w);
    assert_int_equal(w.n, 3);
    assert_string_equal(w.all, "vm.cfg:4:4: warning: unknown key 'type'\n"
                               "vm.cfg:5:1: warning: unknown key 'builder'\n"
                               "vm.cfg:6:1: warning: unknown key 'foo'\n");
    skiff_cfg_domain_free(dc);
    /* No callback: still no error. */
    dc = domain(BASE "foo = 1\n", NULL);
    skiff_cfg_domain_free(dc);
}

static void domain_with_overrides(void **state)
{
    struct skiff_cfg *cfg = parse(BASE "memory = 64\n");
    struct skiff_cfg_error err;
    assert_int_equal(skiff_cfg_override(cfg, "name=other", &err), 0);
    assert_int_equal(skiff_cfg_override(cfg, "vif=vdev=n0,bridge=br0", &err), 0);
    assert_int_equal(skiff_cfg_override(cfg, "bogus=1", &err), 0);
    Skiff__V1__DomainConfig *dc = NULL;
    struct warnings w = { 0 };
    assert_int_equal(skiff_cfg_to_domain(cfg, &dc, collect, &w, &err), 0);
    assert_string_equal(dc->name, "other");
    assert_int_equal(dc->n_vifs, 1);
    assert_string_equal(dc->vifs[0]->bridge, "br0");
    assert_string_equal(w.last, "<command line>:1:1: warning: unknown key 'bogus'");
    skiff_cfg_domain_free(dc);

    assert_int_equal(skiff_cfg_override(cfg, "memory=lots", &err), 0);
    assert_int_equal(skiff_cfg_to_domain(cfg, &dc, NULL, NULL, &err), -EINVAL);
    char buf[600];
    skiff_cfg_error_format(&err, buf, sizeof buf);
    assert_string_equal(buf, "<command line>:1:8: memory: expected an integer (MiB), got a "
                             "string");
    skiff_cfg_free(cfg);

    /* A config made only of overrides. */
    assert_int_equal(skiff_cfg_parse("", 0, "<none>", &cfg, &err), 0);
    assert_int_equal(skiff_cfg_override(cfg, "name=a", &err), 0);
    assert_int_equal(skiff_cfg_override(cfg, "kernel=/k", &err), 0);
    assert_int_equal(skiff_cfg_to_domain(cfg, &dc, NULL, NULL, &err), 0);
    skiff_cfg_domain_free(dc);
    skiff_cfg_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values),
        cmocka_unit_test(escapes),
        cmocka_unit_test(lists),
        cmocka_unit_test(last_wins),
        cmocka_unit_test(empty_inputs),
        cmocka_unit_test(crlf),
        cmocka_unit_test(string_errors),
        cmocka_unit_test(structure_errors),
        cmocka_unit_test(number_errors),
        cmocka_unit_test(list_errors),
        cmocka_unit_test(nul_bytes),
        cmocka_unit_test(limits),
        cmocka_unit_test(huge_inputs),
        cmocka_unit_test(random_inputs),
        cmocka_unit_test(files),
        cmocka_unit_test(error_format),
        cmocka_unit_test(overrides),
        cmocka_unit_test(override_errors),
        cmocka_unit_test(lookups),
        cmocka_unit_test(domain_full),
        cmocka_unit_test(domain_minimal),
        cmocka_unit_test(domain_required),
        cmocka_unit_test(domain_name_uuid),
        cmocka_unit_test(domain_numbers),
        cmocka_unit_test(domain_kernel_cmdline),
        cmocka_unit_test(domain_disks),
        cmocka_unit_test(domain_vifs),
        cmocka_unit_test(domain_actions),
        cmocka_unit_test(domain_strings),
        cmocka_unit_test(domain_cpus),
        cmocka_unit_test(domain_autostart),
        cmocka_unit_test(domain_unknown_keys),
        cmocka_unit_test(domain_with_overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
