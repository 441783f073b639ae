/* CPU and node lists (--cpus, --mem-nodes, SetAffinity): parse and print. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cpulist.h"

static uint64_t bits[HV_CPULIST_WORDS];

static const char *roundtrip(const char *text)
{
    static char out[256];
    if (hv_cpulist_parse(text, HV_CPULIST_MAX, bits) < 0)
        return "ERROR";
    hv_cpulist_format(bits, HV_CPULIST_MAX, out, sizeof out);
    return out;
}

static void good_lists(void **state)
{
    (void)state;
    assert_string_equal(roundtrip("0"), "0");
    assert_string_equal(roundtrip("0-3,6"), "0-3,6");
    assert_string_equal(roundtrip("6,0-3"), "0-3,6");
    assert_string_equal(roundtrip("1,2,3"), "1-3");
    assert_string_equal(roundtrip("5-5"), "5");
    assert_string_equal(roundtrip("0-1,1-2"), "0-2");
    assert_string_equal(roundtrip("63,64,127-128"), "63-64,127-128");
    assert_string_equal(roundtrip("8191"), "8191");
    assert_int_equal(bits[8191 / 64], 1ULL << 63);
}

static void bad_lists(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", ",", "0,", ",0", "1-0", "0-", "-1", "a", "0 1", "0-3,x", "8192",
        "99999999999999999999", "1--2", "0,,1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(hv_cpulist_parse(bad[i], HV_CPULIST_MAX, bits), -EINVAL);
}

static void limit_applies(void **state)
{
    (void)state;
    assert_int_equal(hv_cpulist_parse("63", 64, bits), 0);
    assert_int_equal(hv_cpulist_parse("64", 64, bits), -EINVAL);
    assert_int_equal(hv_cpulist_parse("0-64", 64, bits), -EINVAL);
}

static void format_small_buffer(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(hv_cpulist_parse("0,2,4,6,8,10", HV_CPULIST_MAX, bits), 0);
    hv_cpulist_format(bits, HV_CPULIST_MAX, out, sizeof out);
    assert_true(strlen(out) < sizeof out);
    assert_non_null(strstr(out, "..."));
    memset(bits, 0, sizeof bits);
    hv_cpulist_format(bits, HV_CPULIST_MAX, out, sizeof out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_lists),
        cmocka_unit_test(bad_lists),
        cmocka_unit_test(limit_applies),
        cmocka_unit_test(format_small_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
