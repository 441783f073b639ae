/* The label mapping parser (daemon/labels.c): rules, precedence, and
 * clear errors with line numbers for every kind of garbage. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/labels.h"

static char err[600];
static int warnings;
static char last_warning[600];

static void count_warning(void *ctx, const char *msg)
{
    warnings++;
    snprintf(last_warning, sizeof last_warning, "%s", msg);
}

static int parse(const char *text, struct labels *l)
{
    err[0] = '\0';
    warnings = 0;
    return labels_parse(text, strlen(text), "labels", l, err, sizeof err, count_warning, NULL);
}

/* text must be refused with "labels:LINE: ...WHAT..." */
static void expect_error(const char *text, int line, const char *what)
{
    struct labels l = { 0 };
    assert_int_equal(parse(text, &l), -EINVAL);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "labels:%d: ", line);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, what) == NULL)
        fail_msg("for %s: got '%s', want '%s...%s'", text, err, prefix, what);
    assert_null(l.rules);
}

static void every_kind_of_rule(void **state)
{
    struct labels l;
    assert_int_equal(parse("# who is who\n"
                           "uid 0 system_u:system_r:admin_t\n"
                           "\n"
                           "  gid 1234\tsystem_u:system_r:operator_t  # operators\n"
                           "cert \"CN=web \\\"1\\\",O=Example\" tenant_u:tenant_r:tenant_a_t\n"
                           "uid 64101 tenant_u:tenant_r:tenant_a_t:s0\r\n"
                           "default system_u:system_r:unmapped_t",
                           &l), 0);
    assert_int_equal(l.n, 5);
    assert_int_equal(l.rules[0].kind, LABELS_UID);
    assert_int_equal(l.rules[0].id, 0);
    assert_int_equal(l.rules[0].line, 2);
    assert_int_equal(l.rules[1].kind, LABELS_GID);
    assert_int_equal(l.rules[1].id, 1234);
    assert_string_equal(l.rules[1].context, "system_u:system_r:operator_t");
    assert_int_equal(l.rules[2].kind, LABELS_CERT);
    assert_string_equal(l.rules[2].cert, "CN=web \"1\",O=Example");
    assert_string_equal(l.rules[3].context, "tenant_u:tenant_r:tenant_a_t:s0");
    assert_int_equal(l.rules[4].kind, LABELS_DEFAULT);
    assert_int_equal(l.rules[4].line, 7);
    labels_free(&l);
}

static void precedence(void **state)
{
    struct labels l;
    assert_int_equal(parse("default u:r:nobody_t\n"
                           "gid 50 u:r:group_t\n"
                           "gid 60 u:r:other_group_t\n"
                           "uid 1000 u:r:user_t\n"
                           "cert \"CN=a\" u:r:cert_t\n",
                           &l), 0);
    gid_t g50[] = { 7, 50 }, g60[] = { 60, 50 }, none[] = { 7 };
    /* uid beats gid, wherever the lines are. */
    assert_string_equal(labels_lookup(&l, 1000, g50, 2, NULL), "u:r:user_t");
    /* the first gid line that matches any group (supplementary too) */
    assert_string_equal(labels_lookup(&l, 1, g50, 2, NULL), "u:r:group_t");
    assert_string_equal(labels_lookup(&l, 1, g60, 2, NULL), "u:r:group_t");
    assert_string_equal(labels_lookup(&l, 1, none, 1, NULL), "u:r:nobody_t");
    /* A TLS client is its certificate: uid and gid lines do not apply. */
    assert_string_equal(labels_lookup(&l, 1000, g50, 2, "CN=a"), "u:r:cert_t");
    assert_string_equal(labels_lookup(&l, 1000, g50, 2, "CN=b"), "u:r:nobody_t");
    assert_string_equal(labels_lookup(&l, 1000, g50, 2, "CN=a,O=x"), "u:r:nobody_t");
    labels_free(&l);
    /* No default: unmatched clients are unmapped (NULL). */
    assert_int_equal(parse("uid 5 u:r:t\n", &l), 0);
    assert_null(labels_lookup(&l, 6, none, 1, NULL));
    assert_null(labels_lookup(&l, 5, none, 1, "CN=x"));
    labels_free(&l);
}

static void empty_and_comment_only(void **state)
{
    struct labels l;
    assert_int_equal(parse("", &l), 0);
    assert_int_equal(l.n, 0);
    labels_free(&l);
    assert_int_equal(parse("# nothing\n\n   \n\t# here\n", &l), 0);
    assert_int_equal(l.n, 0);
    labels_free(&l);
}

static void names_resolved_or_skipped(void **state)
{
    struct labels l;
    assert_int_equal(parse("uid root u:r:admin_t\n"
                           "uid no-such-user-here u:r:t\n"
                           "gid no-such-group-here u:r:t\n",
                           &l), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.rules[0].id, 0);
    assert_int_equal(warnings, 2);
    assert_non_null(strstr(last_warning, "labels:3: no group 'no-such-group-here'"));
    labels_free(&l);
}

static void garbage_is_refused_with_its_line(void **state)
{
    expect_error("uid 0 u:r:t\nfrobnicate 1 u:r:t\n", 2, "unknown keyword 'frobnicate'");
    expect_error("uid 0\n", 1, "no security context");
    expect_error("uid\n", 1, "uid needs a user name or number");
    expect_error("gid # x\n", 1, "gid needs a group name or number");
    expect_error("\n\nuid 0 admin_t\n", 3, "'admin_t' is not a security context");
    expect_error("uid 0 u::t\n", 1, "is not a security context");
    expect_error("uid 0 u:r:\n", 1, "is not a security context");
    expect_error("uid 0 u:r:t extra\n", 1, "unexpected 'extra' after the context");
    expect_error("uid 12x u:r:t\n", 1, "'12x' is not a valid uid");
    expect_error("uid 99999999999 u:r:t\n", 1, "not a valid uid");
    expect_error("uid 4294967295 u:r:t\n", 1, "not a valid uid");
    expect_error("cert CN=x u:r:t\n", 1, "cert needs a quoted certificate subject");
    expect_error("cert \"CN=x u:r:t\n", 1, "unterminated quoted string");
    expect_error("cert \"CN=\\x\" u:r:t\n", 1, "may be escaped");
    expect_error("cert \"\" u:r:t\n", 1, "empty certificate subject");
    expect_error("default\n", 1, "no security context");
    expect_error("uid 0 u:r:t\x01\n", 1, "is not a security context");
}

static void binary_and_huge_input(void **state)
{
    struct labels l = { 0 };
    const char bin[] = "uid 0 u:r:t\nuid 1\0 u:r:t\n";
    assert_int_equal(labels_parse(bin, sizeof bin - 1, "labels", &l, err, sizeof err, NULL,
                                  NULL), -EINVAL);
    assert_non_null(strstr(err, "labels:2: NUL byte"));

    char *big = malloc(LABELS_MAX_LINE + 100);
    assert_non_null(big);
    memset(big, 'a', LABELS_MAX_LINE + 50);
    memcpy(big, "uid 0 u:r:t\n", 12);
    big[LABELS_MAX_LINE + 50] = '\0';
    expect_error(big, 2, "line longer than");
    free(big);

    char *huge = malloc(LABELS_MAX_BYTES + 2);
    assert_non_null(huge);
    memset(huge, '\n', LABELS_MAX_BYTES + 1);
    assert_int_equal(labels_parse(huge, LABELS_MAX_BYTES + 1, "labels", &l, err, sizeof err,
                                  NULL, NULL), -EINVAL);
    assert_non_null(strstr(err, "larger than"));
    free(huge);
}

static void too_many_rules(void **state)
{
    size_t n = LABELS_MAX_RULES + 1, len = 0;
    char *text = malloc(n * 20 + 1);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "uid %zu u:r:t\n", i);
    struct labels l = { 0 };
    assert_int_equal(labels_parse(text, len, "labels", &l, err, sizeof err, NULL, NULL), -EINVAL);
    assert_non_null(strstr(err, "more than"));
    free(text);
}

static void load_missing_file(void **state)
{
    struct labels l = { 0 };
    assert_int_equal(labels_load("/nonexistent/labels", &l, err, sizeof err, NULL, NULL),
                     -ENOENT);
    assert_non_null(strstr(err, "cannot open /nonexistent/labels"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_of_rule),
        cmocka_unit_test(precedence),
        cmocka_unit_test(empty_and_comment_only),
        cmocka_unit_test(names_resolved_or_skipped),
        cmocka_unit_test(garbage_is_refused_with_its_line),
        cmocka_unit_test(binary_and_huge_input),
        cmocka_unit_test(too_many_rules),
        cmocka_unit_test(load_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
