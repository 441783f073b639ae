/*
 * Raw hvt hypercalls: a 32-bit OUT to port 0x500 + nr whose value is the
 * guest-physical address of the argument struct (identity-mapped, so the
 * pointer itself). Applications normally use the wrappers in guest.h; test
 * guests use this header to issue calls the runtime would never make.
 */
#ifndef SKIFF_HYPERCALL_H
#define SKIFF_HYPERCALL_H

#include <stdint.h>
#include "hvt_abi.h"

/* Issue hypercall NR with its argument struct at ARG. The "memory" clobber
 * makes the compiler store every IN field before the OUT and reload the OUT
 * fields after it. */
static inline void skiff_hypercall(unsigned nr, volatile void *arg)
{
    __asm__ __volatile__("outl %0, %1"
                         :
                         : "a"((uint32_t)(uintptr_t)arg),
                           "d"((uint16_t)(HVT_HYPERCALL_PIO_BASE + nr))
                         : "memory");
}

#endif /* SKIFF_HYPERCALL_H */
