/*
 * fpu: one SSE multiply (CR4.OSFXSR is set by the monitor). Natively this
 * prints SUCCESS; under KVM's instruction emulator any SSE instruction
 * stops the guest with an emulation failure, which the monitor reports.
 * The runtime is built with -mgeneral-regs-only, so the SSE code is
 * written out here by hand.
 */
#include "skiff/guest.h"

SKIFF_MANIFEST_NONE();

static const uint32_t a[4] __attribute__((aligned(16))) = {
    0x40000000, 0x40400000, 0x40800000, 0x40a00000 };   /* 2 3 4 5 */
static const uint32_t b[4] __attribute__((aligned(16))) = {
    0x40400000, 0x40400000, 0x40400000, 0x40400000 };   /* 3 3 3 3 */
static uint32_t r[4] __attribute__((aligned(16)));

int skiff_main(const char *cmdline)
{
    static const uint32_t want[4] = {
        0x40c00000, 0x41100000, 0x41400000, 0x41700000 }; /* 6 9 12 15 */

    (void)cmdline;
    __asm__ __volatile__("movaps (%0), %%xmm0\n\t"
                         "mulps (%1), %%xmm0\n\t"
                         "movaps %%xmm0, (%2)"
                         :
                         : "r"(a), "r"(b), "r"(r)
                         : "memory");
    if (memcmp(r, want, sizeof(want)) != 0) {
        skiff_printf("FAILURE: wrong SSE result\n");
        return 1;
    }
    skiff_printf("SUCCESS\n");
    return 0;
}
