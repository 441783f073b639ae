/*
 * hostile: misbehaves in the way named by its argument. Every case must
 * make the monitor stop the guest with status 1 and a diagnostic; if the
 * monitor resumes the guest instead, it prints FAILURE and exits 3.
 */
#include "skiff/guest.h"
#include "skiff/hypercall.h"
#include "opaque.h"

SKIFF_MANIFEST_NONE();

static uint64_t mem_size;

/* A hypercall whose argument struct is at an arbitrary GPA. */
static void out_gpa(unsigned nr, uint64_t gpa)
{
    __asm__ __volatile__("outl %0, %1"
                         :
                         : "a"((uint32_t)gpa),
                           "d"((uint16_t)(HVT_HYPERCALL_PIO_BASE + nr))
                         : "memory");
}

static void puts_raw(uint64_t data, uint64_t len)
{
    volatile struct hvt_hc_puts p = { .data = data, .len = len };

    skiff_hypercall(HVT_HYPERCALL_PUTS, &p);
}

static const char msg[] = "this must not be printed\n";

static void puts_beyond(void) { puts_raw(mem_size, 16); }
static void puts_end(void) { puts_raw(mem_size - 16, 16); }
static void puts_wrap(void)
{
    /* data + len wraps around to a small address. */
    puts_raw((uintptr_t)msg, 0 - (uint64_t)(uintptr_t)msg + 16);
}
static void struct_at_end(void) { out_gpa(HVT_HYPERCALL_PUTS, mem_size); }
static void struct_beyond(void)
{
    out_gpa(HVT_HYPERCALL_PUTS, mem_size + 0x100000);
}
static void struct_high(void) { out_gpa(HVT_HYPERCALL_PUTS, 0xfffffff8); }

/* A valid PUTS struct in the last 16 bytes of memory (start.S leaves them
 * unused): it ends exactly at mem_size, which the strict bound refuses. */
static void struct_end(void)
{
    volatile struct hvt_hc_puts *p =
        (volatile struct hvt_hc_puts *)opaque(mem_size - sizeof(*p));

    p->data = (uintptr_t)msg;
    p->len = sizeof(msg) - 1;
    out_gpa(HVT_HYPERCALL_PUTS, (uintptr_t)p);
}

static void halt_cookie(void)
{
    volatile struct hvt_hc_halt h = {
        .cookie = mem_size - HVT_HALT_COOKIE_MAX / 2, .exit_status = 7 };

    skiff_hypercall(HVT_HYPERCALL_HALT, &h);
}

static void halt_cookie_wrap(void)
{
    volatile struct hvt_hc_halt h = {
        .cookie = 0 - (uint64_t)HVT_HALT_COOKIE_MAX / 2, .exit_status = 7 };

    skiff_hypercall(HVT_HYPERCALL_HALT, &h);
}

static void hypercall(unsigned nr)
{
    volatile struct hvt_hc_block_io io = {
        .handle = 1, .data = (uintptr_t)msg, .len = 512 };

    skiff_hypercall(nr, &io);
}

static void hypercall_0(void) { hypercall(0); }
static void hypercall_9(void) { hypercall(HVT_HYPERCALL_MAX); }
/* BLOCK_READ exists only when a block device is attached. */
static void hypercall_block(void) { hypercall(HVT_HYPERCALL_BLOCK_READ); }

static void in_501(void)
{
    uint32_t v;

    __asm__ __volatile__("inl %1, %0" : "=a"(v) : "d"((uint16_t)0x501));
    skiff_printf("in from 0x501 gave 0x%x\n", v);
}

static void outb_501(void)
{
    __asm__ __volatile__("outb %0, %1" : : "a"((uint8_t)0), "d"((uint16_t)0x501));
}

static void outw_502(void)
{
    __asm__ __volatile__("outw %0, %1" : : "a"((uint16_t)0), "d"((uint16_t)0x502));
}

static void out_600(void)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(0U), "d"((uint16_t)0x600));
}

static void out_80(void)
{
    __asm__ __volatile__("outb %0, $0x80" : : "a"((uint8_t)0x42));
}

static void do_hlt(void)
{
    __asm__ __volatile__("hlt");
}

/* No IDT at all: the #UD cannot be delivered, nor the #DF after it. */
static void triple_fault(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) empty = { 0, 0 };

    __asm__ __volatile__("lidt %0\n\tud2" : : "m"(empty) : "memory");
}

static const struct {
    const char *name;
    void (*attack)(void);
} cases[] = {
    { "puts-beyond", puts_beyond },
    { "puts-end", puts_end },
    { "puts-wrap", puts_wrap },
    { "struct-at-end", struct_at_end },
    { "struct-beyond", struct_beyond },
    { "struct-high", struct_high },
    { "struct-end", struct_end },
    { "halt-cookie", halt_cookie },
    { "halt-cookie-wrap", halt_cookie_wrap },
    { "hypercall-0", hypercall_0 },
    { "hypercall-9", hypercall_9 },
    { "hypercall-block", hypercall_block },
    { "in-501", in_501 },
    { "outb-501", outb_501 },
    { "outw-502", outw_502 },
    { "out-600", out_600 },
    { "out-80", out_80 },
    { "hlt", do_hlt },
    { "triple-fault", triple_fault },
};

int skiff_main(const char *cmdline)
{
    mem_size = skiff_boot_info()->mem_size;
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (strcmp(cmdline, cases[i].name) == 0) {
            skiff_printf("hostile: %s (mem_size=0x%lx)\n", cases[i].name,
                         (unsigned long)mem_size);
            cases[i].attack();
            skiff_printf("FAILURE: monitor resumed the guest after %s\n",
                         cases[i].name);
            return 3;
        }
    }
    skiff_printf("usage: hostile CASE; cases:");
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        skiff_printf(" %s", cases[i].name);
    skiff_printf("\n");
    return 2;
}
