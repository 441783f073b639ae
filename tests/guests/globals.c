/* globals: initialised .data is loaded and writable. */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();

static volatile int counter = 41;
static char word[] = "globals";

int skiff_main(const char *cmdline)
{
    (void)cmdline;
    if (counter != 41 || strcmp(word, "globals") != 0) {
        skiff_printf("FAILURE: .data not initialised\n");
        return 1;
    }
    counter++;
    ((volatile char *)word)[0] = 'G';
    if (counter != 42 || strcmp(word, "Globals") != 0) {
        skiff_printf("FAILURE: .data not writable\n");
        return 1;
    }
    skiff_printf("SUCCESS\n");
    return 0;
}
