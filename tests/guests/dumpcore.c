/*
 * dumpcore: aborts on purpose through a page fault, so the trap frame
 * goes to the monitor as the HALT cookie (and from there into the core).
 * With the argument "abort" it calls skiff_abort() instead (no cookie).
 */
#include "skiff/guest.h"
#include "opaque.h"

SKIFF_MANIFEST_NONE();

int skiff_main(const char *cmdline)
{
    if (strcmp(cmdline, "abort") == 0)
        skiff_abort("dumpcore test");
    *(volatile uint32_t *)opaque(0x400000000UL) = 0xdead;
    skiff_printf("FAILURE: no fault\n");
    return 1;
}
