/*
 * xnow: .text is mapped read-only on the host, so a write to it stops the
 * guest in the monitor (the guest's own page tables would allow it).
 */
#include "skiff/guest.h"
#include "opaque.h"

SKIFF_MANIFEST_NONE();

static void target(void)
{
}

int skiff_main(const char *cmdline)
{
    (void)cmdline;
    volatile uint8_t *text = (volatile uint8_t *)opaque((uintptr_t)target);

    *text = 0xc3;
    skiff_printf("FAILURE: .text is writable\n");
    return 2;
}
