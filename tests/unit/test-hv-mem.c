/* Guest memory sizing and the guest-pointer bounds checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hv.h"
#include "mem.h"

static void parse_mib(void **state)
{
    uint64_t b = 0;
    assert_int_equal(hv_mem_parse_mib("64", &b), 0);
    assert_int_equal(b, 64ULL << 20);
    assert_int_equal(hv_mem_parse_mib("4096", &b), 0);
    assert_int_equal(b, 4096ULL << 20);
    assert_int_equal(hv_mem_parse_mib("0", &b), -1);
    assert_int_equal(hv_mem_parse_mib("", &b), -1);
    assert_int_equal(hv_mem_parse_mib("abc", &b), -1);
    assert_int_equal(hv_mem_parse_mib("12x", &b), -1);
    assert_int_equal(hv_mem_parse_mib("-1", &b), -1);
    assert_int_equal(hv_mem_parse_mib(" 5", &b), -1);
    /* MiB that would overflow 64 bits once shifted. */
    assert_int_equal(hv_mem_parse_mib("17592186044416", &b), -1);
    assert_int_equal(hv_mem_parse_mib("99999999999999999999999", &b), -1);
}

static void size_rounding(void **state)
{
    uint64_t s = 0;
    int adj = -1;
    assert_int_equal(hv_mem_size(64ULL << 20, &s, &adj), 0);
    assert_int_equal(s, 64ULL << 20);
    assert_int_equal(adj, 0);
    assert_int_equal(hv_mem_size(3ULL << 20, &s, &adj), 0);   /* down to 2 MiB */
    assert_int_equal(s, 2ULL << 20);
    assert_int_equal(adj, 1);
    assert_int_equal(hv_mem_size(1ULL << 20, &s, &adj), 0);   /* never 0: 2 MiB */
    assert_int_equal(s, 2ULL << 20);
    assert_int_equal(adj, 1);
    assert_int_equal(hv_mem_size(4096ULL << 20, &s, &adj), 0);
    assert_int_equal(s, 4096ULL << 20);
    assert_int_equal(hv_mem_size(4098ULL << 20, &s, &adj), -1);
}

static void range_strict(void **state)
{
    const uint64_t lim = 0x200000;
    assert_true(hv_range_ok(0, 0, lim));
    assert_true(hv_range_ok(0x100000, 16, lim));
    assert_true(hv_range_ok(lim - 17, 16, lim));
    /* A buffer ending exactly at mem_size is refused (the bound is strict). */
    assert_false(hv_range_ok(lim - 16, 16, lim));
    assert_false(hv_range_ok(lim, 0, lim));
    assert_false(hv_range_ok(lim + 1, 1, lim));
    /* Overflowing sums must not wrap into range. */
    assert_false(hv_range_ok(16, UINT64_MAX, lim));
    assert_false(hv_range_ok(UINT64_MAX, 2, lim));
    assert_false(hv_range_ok(0x1000, UINT64_MAX - 0x800, lim));
}

static void gpa_faults_stop_guest(void **state)
{
    static uint8_t ram[0x200000];
    struct hv hv = { 0 };
    hv.mem.base = ram;
    hv.mem.size = sizeof ram;
    assert_ptr_equal(hv_gpa(&hv, 0x1000, 8, "test"), ram + 0x1000);
    assert_int_equal(hv.exit_status, 0);
    assert_null(hv_gpa(&hv, sizeof ram - 4, 8, "test"));
    assert_int_equal(hv.exit_status, 1);

    assert_non_null(strstr(hv.exit_reason, "(test)"));
    /* The first stop decides: a later fault (another vCPU) changes nothing. */
    assert_null(hv_gpa(&hv, sizeof ram, 8, "later"));
    assert_null(strstr(hv.exit_reason, "later"));

    struct hv fresh = { 0 };
    fresh.mem.base = ram;
    fresh.mem.size = sizeof ram;
    uint64_t v = 0;
    ram[0x3000] = 0x5a;
    assert_true(hv_args_in(&fresh, 0x3000, &v, sizeof v, "args"));
    assert_int_equal(v, 0x5a);
    assert_int_equal(fresh.exit_status, 0);
    assert_false(hv_args_in(&fresh, sizeof ram, &v, sizeof v, "args"));
    assert_int_equal(fresh.exit_status, 1);
    assert_true(fresh.faulted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_mib),
        cmocka_unit_test(size_rounding),
        cmocka_unit_test(range_strict),
        cmocka_unit_test(gpa_faults_stop_guest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
