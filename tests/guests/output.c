/*
 * output: 4096 bytes through a single PUTS: 64 lines of 64 bytes, each
 * "NN " and 60 letters, so the test can check that nothing was lost.
 */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();

#define LINES 64
#define WIDTH 64

static char text[LINES * WIDTH];

int skiff_main(const char *cmdline)
{
    (void)cmdline;
    for (unsigned i = 0; i < LINES; i++) {
        char *line = &text[i * WIDTH];

        line[0] = (char)('0' + i / 10);
        line[1] = (char)('0' + i % 10);
        line[2] = ' ';
        for (unsigned j = 3; j < WIDTH - 1; j++)
            line[j] = (char)('a' + (i + j) % 26);
        line[WIDTH - 1] = '\n';
    }
    skiff_console_write(text, sizeof(text));
    skiff_printf("SUCCESS\n");
    return 0;
}
