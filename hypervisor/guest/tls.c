/*
 * Thread-local storage, one block per CPU, x86_64 variant II:
 * the TLS block (.tdata copy, then .tbss) ends at the thread pointer,
 * rounded to the TLS alignment, and the thread pointer points at a TCB
 * whose first word points to itself (%fs:0 reads the thread pointer).
 * Images without TLS keep FS base 0 so stray accesses fault.
 */
#include "internal.h"

struct tcb {
    struct tcb *self;
    uintptr_t reserved[4];
    uintptr_t stack_guard;   /* %fs:0x28, where the default SSP looks */
    uintptr_t reserved2[2];
};
_Static_assert(__builtin_offsetof(struct tcb, stack_guard) == 0x28, "tcb");

/* The value of an absolute linker symbol. Going through asm stops the
 * compiler from assuming that an object's address is never 0. */
static inline uintptr_t symbol_value(const char *sym)
{
    uintptr_t v = (uintptr_t)sym;

    __asm__("" : "+r"(v));
    return v;
}

void skiff_tls_init(void)
{
    size_t memsz = symbol_value(__tls_memsz);
    size_t filesz = symbol_value(__tdata_size);
    size_t align = symbol_value(__tls_align);  /* PT_TLS p_align */

    if (memsz == 0)
        return;

    /* The linker placed the variables at tp - round_up(memsz, p_align);
     * tp itself must also suit the TCB. */
    size_t block = (memsz + align - 1) & ~(align - 1);
    size_t tp_align = align > _Alignof(struct tcb) ? align : _Alignof(struct tcb);
    char *raw = skiff_alloc(block + tp_align + sizeof(struct tcb), 1);

    if (!raw)
        skiff_abort("Not enough memory for TLS (%lu bytes)",
                    (unsigned long)memsz);

    uintptr_t tp = ((uintptr_t)raw + block + tp_align - 1) & ~(tp_align - 1);
    char *area = (char *)(tp - block);

    memcpy(area, __tdata_start, filesz);   /* .tbss is already zero */

    struct tcb *tcb = (struct tcb *)tp;

    tcb->self = tcb;
    tcb->stack_guard = __stack_chk_guard;
    skiff_cpu_self()->tls_base = tp;
    skiff_wrmsr(MSR_FS_BASE, tp);
}

uintptr_t skiff_tls_base(void)
{
    return skiff_cpu_self()->tls_base;
}
