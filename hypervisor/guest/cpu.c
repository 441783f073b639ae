/*
 * Our own GDT, TSS and IDT. The monitor's boot GDT lives in a page the
 * guest cannot map and there is no IDT at all, so until this runs any
 * exception would triple-fault the guest. Each CPU has its own GDT and
 * TSS (a TSS is busy once loaded, and each CPU needs its own exception
 * stacks); the IDT is shared.
 */
#include "internal.h"

#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_TSS  0x18
#define NR_GATES 32

_Static_assert(sizeof(struct skiff_tss) == 104, "64-bit TSS");

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

static struct idt_gate idt[NR_GATES] __attribute__((aligned(16)));

/* CPU 0's exception stacks. Exceptions run on IST stacks so that even a
 * fault caused by a broken stack pointer can still be reported. NMI, #DF
 * and #MC get their own. */
static uint8_t trap_stack[8192] __attribute__((aligned(16)));
static uint8_t critical_stack[4096] __attribute__((aligned(16)));
static struct skiff_cpu cpu0;

extern void (*const skiff_trap_stubs[NR_GATES])(void);

static void build_idt(void)
{
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
}

void skiff_cpu_load(struct skiff_cpu *c)
{
    uint64_t base = (uintptr_t)&c->tss;
    uint64_t limit = sizeof(c->tss) - 1;

    c->self = c;
    /* null, 64-bit code, data, then the two-slot TSS descriptor */
    c->gdt[0] = 0;
    c->gdt[1] = 0x00AF9B000000FFFFULL;
    c->gdt[2] = 0x00CF93000000FFFFULL;
    c->gdt[3] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) |
                (0x89ULL << 40) /* present, 64-bit TSS (available) */ |
                ((base >> 24) & 0xFF) << 56;
    c->gdt[4] = base >> 32;

    c->tss.ist[0] = c->trap_stack_top;
    c->tss.ist[1] = c->critical_stack_top;
    c->tss.iomap_base = sizeof(c->tss);   /* no I/O permission bitmap */

    struct table_ptr gdtr = { sizeof(c->gdt) - 1, (uintptr_t)c->gdt };
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
    /* FS base 0: a stray TLS access faults in the unmapped zero page.
     * GS base: this CPU's struct (loading GS above cleared it). */
    skiff_wrmsr(MSR_FS_BASE, 0);
    skiff_wrmsr(MSR_GS_BASE, (uintptr_t)c);
}

void skiff_cpu_init(void)
{
    build_idt();
    cpu0.id = 0;
    cpu0.trap_stack_top = (uintptr_t)(trap_stack + sizeof(trap_stack));
    cpu0.critical_stack_top = (uintptr_t)(critical_stack + sizeof(critical_stack));
    skiff_cpu_load(&cpu0);
}
