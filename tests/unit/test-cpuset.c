/*
 * CPU sets (daemon/cpuset.c): bit operations at word and set boundaries,
 * the cpulist syntax in both directions, and its errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/cpuset.h"

static void set_of(struct cpuset *s, const char *list)
{
    assert_int_equal(cpuset_parse(s, list), 0);
}

static void test_bits(void **state)
{
    struct cpuset s, t, d;
    unsigned edge[] = { 0, 1, 63, 64, 65, 127, 128, 4094, 4095 };

    (void)state;
    cpuset_zero(&s);
    assert_true(cpuset_empty(&s));
    assert_int_equal(cpuset_count(&s), 0);
    assert_int_equal(cpuset_next(&s, 0), -1);
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        assert_false(cpuset_has(&s, edge[i]));
        cpuset_set(&s, edge[i]);
        assert_true(cpuset_has(&s, edge[i]));
    }
    assert_int_equal(cpuset_count(&s), 9);
    assert_false(cpuset_empty(&s));
    /* Out of range: ignored, never a member. */
    cpuset_set(&s, CPUSET_MAX);
    cpuset_set(&s, 100000);
    assert_int_equal(cpuset_count(&s), 9);
    assert_false(cpuset_has(&s, CPUSET_MAX));
    cpuset_clear(&s, CPUSET_MAX);
    /* next walks members in order, across words. */
    int c = cpuset_next(&s, 0);
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        assert_int_equal(c, (int)edge[i]);
        c = cpuset_next(&s, (unsigned)c + 1);
    }
    assert_int_equal(c, -1);
    assert_int_equal(cpuset_next(&s, 66), 127);
    assert_int_equal(cpuset_next(&s, 4095), 4095);
    assert_int_equal(cpuset_next(&s, 4096), -1);
    assert_int_equal(cpuset_next(&s, 99999), -1);
    cpuset_clear(&s, 64);
    assert_false(cpuset_has(&s, 64));
    assert_true(cpuset_has(&s, 63));
    assert_true(cpuset_has(&s, 65));
    assert_int_equal(cpuset_count(&s), 8);

    set_of(&s, "0-9,100-199");
    set_of(&t, "5-150");
    cpuset_and(&d, &s, &t);
    set_of(&s, "0-9,100-199");
    set_of(&t, "5-9,100-150");
    assert_true(cpuset_equal(&d, &t));
    set_of(&t, "5-150");
    cpuset_or(&d, &s, &t);
    set_of(&t, "0-199");
    assert_true(cpuset_equal(&d, &t));
    set_of(&t, "5-150");
    cpuset_andnot(&d, &s, &t);
    set_of(&t, "0-4,151-199");
    assert_true(cpuset_equal(&d, &t));
    /* The destination may be an operand. */
    set_of(&t, "0-3");
    cpuset_andnot(&s, &s, &t);
    set_of(&t, "4-9,100-199");
    assert_true(cpuset_equal(&s, &t));
    set_of(&t, "4-9,100-198");
    assert_false(cpuset_equal(&s, &t));
}

static void roundtrip(const char *in, const char *want, unsigned count)
{
    struct cpuset s, again;
    char buf[32768];

    assert_int_equal(cpuset_parse(&s, in), 0);
    assert_int_equal(cpuset_count(&s), count);
    int n = cpuset_format(&s, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);
    assert_int_equal(cpuset_parse(&again, buf), 0);
    assert_true(cpuset_equal(&s, &again));
}

static void test_parse_format(void **state)
{
    (void)state;
    roundtrip("", "", 0);
    roundtrip("\n", "", 0);
    roundtrip("0", "0", 1);
    roundtrip("0-3,6,8-9", "0-3,6,8-9", 7);
    roundtrip("0-3,6,8-9\n", "0-3,6,8-9", 7);      /* as sysfs files end */
    roundtrip(" 1 , 3 - 4 ", "1,3-4", 3);
    roundtrip("9,8,7,0-2", "0-2,7-9", 6);           /* any order, overlaps */
    roundtrip("0-5,3-8", "0-8", 9);
    roundtrip("4,5", "4-5", 2);
    roundtrip("63,64", "63-64", 2);
    roundtrip("4095", "4095", 1);
    roundtrip("0-4095", "0-4095", 4096);
    roundtrip("0000012", "12", 1);
}

static void test_format_big(void **state)
{
    struct cpuset s, again;
    char *buf = malloc(32768);

    (void)state;
    assert_non_null(buf);
    /* The longest list: every other CPU. */
    cpuset_zero(&s);
    for (unsigned c = 0; c < CPUSET_MAX; c += 2)
        cpuset_set(&s, c);
    int n = cpuset_format(&s, buf, 32768);
    assert_true(n > 9000);
    assert_int_equal((size_t)n, strlen(buf));
    assert_memory_equal(buf, "0,2,4,6,", 8);
    assert_string_equal(buf + n - 9, "4092,4094");
    assert_int_equal(cpuset_parse(&again, buf), 0);
    assert_true(cpuset_equal(&s, &again));

    /* Random sets survive a round trip. */
    srand(7);
    for (int round = 0; round < 200; round++) {
        cpuset_zero(&s);
        int density = rand() % 100;
        for (unsigned c = 0; c < CPUSET_MAX; c++)
            if (rand() % 100 < density)
                cpuset_set(&s, c);
        assert_true(cpuset_format(&s, buf, 32768) >= 0);
        assert_int_equal(cpuset_parse(&again, buf), 0);
        assert_true(cpuset_equal(&s, &again));
    }
    free(buf);
}

static void test_format_nospace(void **state)
{
    struct cpuset s;
    char buf[16];

    (void)state;
    set_of(&s, "0-3,6,8-9");        /* 9 characters */
    assert_int_equal(cpuset_format(&s, buf, 10), 9);
    assert_string_equal(buf, "0-3,6,8-9");
    memset(buf, 'x', sizeof buf);
    assert_int_equal(cpuset_format(&s, buf, 9), -ENOSPC);
    assert_string_equal(buf, "");
    assert_int_equal(cpuset_format(&s, buf, 4), -ENOSPC);
    assert_int_equal(cpuset_format(&s, buf, 0), -ENOSPC);
    cpuset_zero(&s);
    assert_int_equal(cpuset_format(&s, buf, 1), 0);
    assert_string_equal(buf, "");
}

static void parse_error(const char *in, int err, size_t pos)
{
    struct cpuset s, before;
    size_t at = 999;

    set_of(&s, "1-2");
    before = s;
    assert_int_equal(cpuset_parse_at(&s, in, &at), err);
    assert_int_equal(at, pos);
    assert_true(cpuset_equal(&s, &before));     /* untouched on error */
    assert_int_equal(cpuset_parse(&s, in), err);
}

static void test_parse_errors(void **state)
{
    (void)state;
    parse_error("4096", -ERANGE, 0);
    parse_error("0-4096", -ERANGE, 2);
    parse_error("1,99999999999999999999999", -ERANGE, 2);
    parse_error("a", -EINVAL, 0);
    parse_error("all", -EINVAL, 0);
    parse_error("1-", -EINVAL, 2);
    parse_error("3-1", -EINVAL, 3);
    parse_error("1,,2", -EINVAL, 2);
    parse_error("1,", -EINVAL, 2);
    parse_error(",1", -EINVAL, 0);
    parse_error("1 2", -EINVAL, 2);
    parse_error("-1", -EINVAL, 0);
    parse_error("1\n2", -EINVAL, 1);
    parse_error("1\n\n", -EINVAL, 1);
    parse_error("0x3", -EINVAL, 1);
    parse_error("1-2-3", -EINVAL, 3);
    parse_error("^1", -EINVAL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bits),
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_format_big),
        cmocka_unit_test(test_format_nospace),
        cmocka_unit_test(test_parse_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
