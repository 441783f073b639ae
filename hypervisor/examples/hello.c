/*
 * hello: the smallest useful unikernel. Greets, shows its command line
 * and exits 0.
 */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();

int skiff_main(const char *cmdline)
{
    skiff_printf("Hello from a Skiff unikernel!\n");
    skiff_printf("Command line: '%s'\n", cmdline);
    return 0;
}
