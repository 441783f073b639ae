/*
 * Memory between the image and the stack, handed out by a bump pointer.
 * It is zero because the monitor zero-fills guest RAM and nothing is ever
 * freed, so the runtime never clears it.
 */
#include "internal.h"

/* Left to the stack, which starts at mem_size and grows down. */
#define STACK_RESERVE 0x40000UL
/* Refuse to start with less than this above the image. */
#define MIN_FREE 0x80000UL

static uintptr_t heap_next;
static uintptr_t heap_end;
static skiff_spinlock_t heap_lock = SKIFF_SPINLOCK_INIT;   /* any CPU may allocate */

void skiff_mem_init(uint64_t mem_size)
{
    uintptr_t start = ((uintptr_t)_end + 63) & ~(uintptr_t)63;

    if (mem_size < start || mem_size - start < MIN_FREE)
        skiff_abort("Not enough memory (mem_size=0x%lx, image end=0x%lx)",
                    mem_size, (unsigned long)start);
    heap_next = start;
    heap_end = mem_size - STACK_RESERVE;
}

void *skiff_alloc(size_t size, size_t align)
{
    if (align == 0 || (align & (align - 1)))
        return 0;

    skiff_spin_lock(&heap_lock);

    uintptr_t p = (heap_next + align - 1) & ~(uintptr_t)(align - 1);

    if (p < heap_next || p > heap_end || heap_end - p < size) {
        skiff_spin_unlock(&heap_lock);
        return 0;
    }
    heap_next = p + size;
    skiff_spin_unlock(&heap_lock);
    return (void *)p;
}
