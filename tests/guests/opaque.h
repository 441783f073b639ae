/*
 * Helpers shared by the test guests.
 */
#ifndef SKIFF_TEST_OPAQUE_H
#define SKIFF_TEST_OPAQUE_H

#include <stdint.h>

/* Hide a value from the optimiser, so that deliberately bad accesses are
 * compiled as written and not diagnosed or folded away. */
static inline uintptr_t opaque(uintptr_t v)
{
    __asm__ __volatile__("" : "+r"(v));
    return v;
}

#endif /* SKIFF_TEST_OPAQUE_H */
