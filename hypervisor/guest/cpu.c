/*
 * Our own GDT, TSS and IDT. The monitor's boot GDT lives in a page the
 * guest cannot map and there is no IDT at all, so until this runs any
 * exception would triple-fault the guest.
 */
#include "internal.h"

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS  0x18
#define NR_GATES 32

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "64-bit TSS");

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};

struct table_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* null, 64-bit code, data, then the two-slot TSS descriptor (filled in at
 * run time: its base is an address the assembler cannot split). */
static uint64_t gdt[5] __attribute__((aligned(16))) = {
    0,
    0x00AF9B000000FFFFULL,
    0x00CF93000000FFFFULL,
};
static struct tss tss __attribute__((aligned(16)));
static struct idt_gate idt[NR_GATES] __attribute__((aligned(16)));

/* Exceptions run on IST stacks so that even a fault caused by a broken
 * stack pointer can still be reported. NMI, #DF and #MC get their own. */
static uint8_t trap_stack[8192] __attribute__((aligned(16)));
static uint8_t critical_stack[4096] __attribute__((aligned(16)));

extern void (*const skiff_trap_stubs[NR_GATES])(void);

void skiff_cpu_init(void)
{
    uint64_t base = (uintptr_t)&tss;
    uint64_t limit = sizeof(tss) - 1;

    gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
             (0x89ULL << 40) /* present, 64-bit TSS (available) */ |
             ((base >> 24) & 0xFF) << 56;
    gdt[4] = base >> 32;

    tss.ist[0] = (uintptr_t)(trap_stack + sizeof(trap_stack));
    tss.ist[1] = (uintptr_t)(critical_stack + sizeof(critical_stack));
    tss.iomap_base = sizeof(tss);   /* no I/O permission bitmap */

    for (unsigned v = 0; v < NR_GATES; v++) {
        uint64_t addr = (uintptr_t)skiff_trap_stubs[v];
        struct idt_gate *g = &idt[v];

        g->offset_lo = addr & 0xFFFF;
        g->selector = SEL_CODE;
        g->ist = (v == 2 || v == 8 || v == 18) ? 2 : 1;
        g->type_attr = 0x8E;        /* present, DPL 0, interrupt gate */
        g->offset_mid = (addr >> 16) & 0xFFFF;
        g->offset_hi = addr >> 32;
    }

    struct table_ptr gdtr = { sizeof(gdt) - 1, (uintptr_t)gdt };
    struct table_ptr idtr = { sizeof(idt) - 1, (uintptr_t)idt };

    __asm__ __volatile__("lgdt %0" : : "m"(gdtr) : "memory");
    /* Reload every segment register from the new table; a far return is
     * the way to reload CS in long mode. */
    __asm__ __volatile__("pushq %[code]\n\t"
                         "leaq 1f(%%rip), %%rax\n\t"
                         "pushq %%rax\n\t"
                         "lretq\n"
                         "1:\n\t"
                         "movl %[data], %%eax\n\t"
                         "movl %%eax, %%ds\n\t"
                         "movl %%eax, %%es\n\t"
                         "movl %%eax, %%ss\n\t"
                         "movl %%eax, %%fs\n\t"
                         "movl %%eax, %%gs\n\t"
                         :
                         : [code] "i"(SEL_CODE), [data] "i"(SEL_DATA)
                         : "rax", "memory");
    __asm__ __volatile__("ltr %w0" : : "r"(SEL_TSS) : "memory");
    __asm__ __volatile__("lidt %0" : : "m"(idtr) : "memory");
    /* FS base 0: a stray TLS access faults in the unmapped zero page. */
    skiff_wrmsr(MSR_FS_BASE, 0);
}
