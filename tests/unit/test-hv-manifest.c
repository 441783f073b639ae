/* Manifest validation, device names and option splitting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "device.h"
#include "manifest.h"

/* A manifest of n entries: the reserved one and n-1 block devices. */
static struct mft *make_mft(uint32_t n)
{
    struct mft *m = calloc(1, MFT_SIZE(n));
    assert_non_null(m);
    m->version = MFT_VERSION;
    m->entries = n;
    m->e[0].type = MFT_RESERVED_FIRST;
    for (uint32_t i = 1; i < n; i++) {
        m->e[i].type = MFT_DEV_BLOCK_BASIC;
        snprintf(m->e[i].name, sizeof m->e[i].name, "disk%u", i);
    }
    return m;
}

static void valid_manifests(void **state)
{
    struct mft *m = make_mft(1);
    assert_true(hv_mft_valid(m, MFT_SIZE(1)));
    free(m);
    m = make_mft(MFT_MAX_ENTRIES);
    assert_true(hv_mft_valid(m, MFT_SIZE(MFT_MAX_ENTRIES)));
    free(m);
}

static void invalid_manifests(void **state)
{
    struct mft *m = make_mft(3);
    assert_false(hv_mft_valid(m, 7));                   /* shorter than the header */
    assert_false(hv_mft_valid(m, MFT_SIZE(3) - 1));     /* size mismatch */
    assert_false(hv_mft_valid(m, MFT_SIZE(2)));
    m->version = 2;
    assert_false(hv_mft_valid(m, MFT_SIZE(3)));
    m->version = MFT_VERSION;
    m->e[0].type = MFT_DEV_NET_BASIC;
    assert_false(hv_mft_valid(m, MFT_SIZE(3)));
    m->e[0].type = MFT_RESERVED_FIRST;
    m->e[0].name[0] = 'x';
    assert_false(hv_mft_valid(m, MFT_SIZE(3)));
    m->e[0].name[0] = '\0';
    m->e[2].name[MFT_NAME_SIZE - 1] = 'x';              /* unterminated name */
    assert_false(hv_mft_valid(m, MFT_SIZE(3)));
    m->e[2].name[MFT_NAME_SIZE - 1] = '\0';
    m->e[1].attached = 1;
    assert_false(hv_mft_valid(m, MFT_SIZE(3)));
    m->e[1].attached = 0;
    assert_true(hv_mft_valid(m, MFT_SIZE(3)));
    m->entries = 0;
    assert_false(hv_mft_valid(m, MFT_SIZE(0)));
    m->entries = MFT_MAX_ENTRIES + 1;                   /* size check must not overflow */
    assert_false(hv_mft_valid(m, MFT_SIZE(3)));
    free(m);
}

static void names(void **state)
{
    assert_true(hv_mft_name_ok("storage", 7));
    assert_true(hv_mft_name_ok("A9", 2));
    assert_false(hv_mft_name_ok("", 0));
    assert_false(hv_mft_name_ok("bad-name", 8));
    assert_false(hv_mft_name_ok("bad name", 8));
    char longname[80];
    memset(longname, 'a', sizeof longname);
    assert_true(hv_mft_name_ok(longname, 67));
    assert_false(hv_mft_name_ok(longname, 68));
}

static void lookup(void **state)
{
    struct mft *m = make_mft(4);
    m->e[3].type = MFT_DEV_NET_BASIC;
    assert_ptr_equal(hv_mft_find(m, "disk1", 5, MFT_DEV_BLOCK_BASIC), &m->e[1]);
    assert_null(hv_mft_find(m, "disk3", 5, MFT_DEV_BLOCK_BASIC));   /* wrong type */
    assert_ptr_equal(hv_mft_find(m, "disk3", 5, MFT_DEV_NET_BASIC), &m->e[3]);
    assert_null(hv_mft_find(m, "disk", 4, MFT_DEV_BLOCK_BASIC));    /* prefix only */
    assert_null(hv_mft_find(m, "", 0, MFT_RESERVED_FIRST));          /* entry 0 never */
    free(m);
}

static void option_split(void **state)
{
    const char *name, *value;
    size_t len;
    assert_int_equal(hv_dev_option("--block:storage=/tmp/x", "block", &name, &len, &value), 0);
    assert_int_equal(len, 7);
    assert_memory_equal(name, "storage", 7);
    assert_string_equal(value, "/tmp/x");
    assert_int_equal(hv_dev_option("--block-sector-size:s=4096", "block", &name, &len, &value),
                     1);
    assert_int_equal(hv_dev_option("--net:a=tap0", "block", &name, &len, &value), 1);
    assert_int_equal(hv_dev_option("--block:bad-name=x", "block", &name, &len, &value), -1);
    assert_int_equal(hv_dev_option("--block:noequals", "block", &name, &len, &value), -1);
    assert_int_equal(hv_dev_option("--block:=x", "block", &name, &len, &value), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_manifests),
        cmocka_unit_test(invalid_manifests),
        cmocka_unit_test(names),
        cmocka_unit_test(lookup),
        cmocka_unit_test(option_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
