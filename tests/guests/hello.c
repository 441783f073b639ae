/* hello: prints its exact command line, then SUCCESS. */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();

int skiff_main(const char *cmdline)
{
    skiff_printf("Hello, world\n");
    skiff_printf("Command line is: '%s'\n", cmdline);
    skiff_printf("SUCCESS\n");
    return 0;
}
