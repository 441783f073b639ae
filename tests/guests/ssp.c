/* ssp: overrun a stack buffer; the stack protector must abort. */
#include "skiff/guest.h"
#include "opaque.h"

SKIFF_MANIFEST_NONE();

__attribute__((noinline)) static void smash(size_t n)
{
    char buf[16];
    volatile char *p = (volatile char *)opaque((uintptr_t)buf);

    for (size_t i = 0; i < n; i++)
        p[i] = 'A';
}

int skiff_main(const char *cmdline)
{
    (void)cmdline;
    smash(opaque(64));
    skiff_printf("FAILURE: stack smashing went undetected\n");
    return 1;
}
