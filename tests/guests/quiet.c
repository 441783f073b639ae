/*
 * quiet: under --skiff:quiet or --solo5:quiet the runtime prints nothing,
 * so the output is this guest's own lines only. It reports the log level
 * and what is left of the command line once the runtime took its tokens.
 */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();

int skiff_main(const char *cmdline)
{
    skiff_printf("level=%d cmdline='%s'\n", (int)skiff_log_level(), cmdline);
    skiff_printf("SUCCESS\n");
    return 0;
}
