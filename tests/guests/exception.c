/* exception: a write above guest memory is a #PF; the runtime aborts. */
#include "skiff/guest.h"
#include "opaque.h"

SKIFF_MANIFEST_NONE();

int skiff_main(const char *cmdline)
{
    (void)cmdline;
    *(volatile uint32_t *)opaque(0x400000000UL) = 1;
    skiff_printf("FAILURE: write to 0x400000000 did not fault\n");
    return 1;
}
