/*
 * tls: __thread variables, initialised (.tdata) and zero (.tbss), read and
 * written through %fs, with the TCB self-pointer at %fs:0.
 */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();

__thread int tdata_int = 0x1234;
__thread char tdata_str[16] = "tls-initial";
__thread uint64_t tbss_u64;
__thread char tbss_arr[100] __attribute__((aligned(32)));

static int check(int ok, const char *what)
{
    if (!ok)
        skiff_printf("FAILURE: %s\n", what);
    return ok;
}

int skiff_main(const char *cmdline)
{
    uintptr_t base = skiff_tls_base(), self;
    int ok = 1;

    (void)cmdline;
    __asm__ __volatile__("movq %%fs:0, %0" : "=r"(self));
    ok &= check(base != 0, "no TLS base");
    ok &= check(self == base, "%fs:0 is not the thread pointer");
    ok &= check((uintptr_t)&tdata_int < base &&
                (uintptr_t)&tbss_arr[99] < base, "TLS block not below tp");
    ok &= check(((uintptr_t)tbss_arr & 31) == 0, "tbss_arr misaligned");

    ok &= check(tdata_int == 0x1234, "tdata_int initial value");
    ok &= check(strcmp(tdata_str, "tls-initial") == 0, "tdata_str initial value");
    ok &= check(tbss_u64 == 0, "tbss_u64 not zero");
    for (unsigned i = 0; i < sizeof(tbss_arr); i++)
        ok &= check(tbss_arr[i] == 0, "tbss_arr not zero");

    tdata_int = 0x5678;
    tdata_str[0] = 'T';
    tbss_u64 = 0x1122334455667788ULL;
    for (unsigned i = 0; i < sizeof(tbss_arr); i++)
        tbss_arr[i] = (char)i;
    __asm__ __volatile__("" ::: "memory");

    ok &= check(tdata_int == 0x5678, "tdata_int write");
    ok &= check(strcmp(tdata_str, "Tls-initial") == 0, "tdata_str write");
    ok &= check(tbss_u64 == 0x1122334455667788ULL, "tbss_u64 write");
    for (unsigned i = 0; i < sizeof(tbss_arr); i++)
        ok &= check(tbss_arr[i] == (char)i, "tbss_arr write");

    if (!ok)
        return 1;
    skiff_printf("SUCCESS\n");
    return 0;
}
