/*
 * dirty: writes every page of a buffer over and over, one pass after
 * another (the pass number into the first word of each page), and after
 * each pass reads them all back: a page that lost a write (a migration
 * that missed a dirty page) prints "pass N BAD page P". Every 8 passes it
 * prints "pass N ok". The buffer is MiB given as its argument (default 16,
 * at most 96).
 */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();

#define WORDS_PER_PAGE 512
#define MAX_MIB 96

static uint64_t buf[(uint64_t)MAX_MIB << 17];

int skiff_main(const char *cmdline)
{
    uint64_t mib = 16;

    if (*cmdline && (!skiff_parse_u64(cmdline, &mib) || mib == 0 || mib > MAX_MIB)) {
        skiff_printf("usage: dirty [MIB]\n");
        return 1;
    }
    uint64_t pages = mib << 8;
    volatile uint64_t *p = buf;
    for (uint64_t pass = 1;; pass++) {
        for (uint64_t i = 0; i < pages; i++)
            p[i * WORDS_PER_PAGE] = pass;
        for (uint64_t i = 0; i < pages; i++) {
            if (p[i * WORDS_PER_PAGE] != pass) {
                skiff_printf("pass %lu BAD page %lu\n", (unsigned long)pass,
                             (unsigned long)i);
                return 1;
            }
        }
        if (pass % 8 == 0)
            skiff_printf("pass %lu ok\n", (unsigned long)pass);
    }
    return 0;
}
