/* zeropage: GPA 8 is in the unmapped zero page, so writing it faults. */
#include "skiff/guest.h"
#include "opaque.h"

SKIFF_MANIFEST_NONE();

int skiff_main(const char *cmdline)
{
    (void)cmdline;
    *(volatile uint32_t *)opaque(8) = 1;
    skiff_printf("FAILURE: write to GPA 8 did not fault\n");
    return 1;
}
