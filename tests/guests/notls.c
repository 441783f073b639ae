/*
 * notls: without TLS the runtime leaves FS base at 0, so reading the
 * traditional stack-guard slot %fs:0x28 faults in the zero page.
 */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();

int skiff_main(const char *cmdline)
{
    uint64_t v;

    (void)cmdline;
    __asm__ __volatile__("movq %%fs:0x28, %0" : "=r"(v));
    skiff_printf("FAILURE: read %%fs:0x28 = 0x%lx without a fault\n", v);
    return 2;
}
