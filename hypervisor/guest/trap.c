/*
 * Fatal CPU exceptions: print what the CPU saved and abort, handing the
 * trap frame to the monitor as the HALT cookie (it goes into core dumps).
 */
#include "internal.h"

/* Saved by trap_entry.S, lowest address first. */
struct trap_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, ec;
    uint64_t rip, cs, rflags, rsp, ss;   /* pushed by the CPU */
};

void skiff_trap(struct trap_regs *r);

static const char *const trap_names[32] = {
    "#DE", "#DB", "#NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
    "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

void skiff_trap(struct trap_regs *r)
{
    /* Per CPU and never on a stack, so the cookie stays valid and well
     * inside guest memory. */
    struct skiff_cpu *c = skiff_cpu_self();
    struct hvt_trap_frame *frame = &c->frame;

    /* A fault while reporting a fault: do not recurse on the IST stack. */
    if (c->trap_depth++)
        skiff_halt(255, frame);

    uint64_t cr2;
    __asm__ __volatile__("mov %%cr2, %0" : "=r"(cr2));

    *frame = (struct hvt_trap_frame){
        .cr2 = cr2, .ec = r->ec, .rip = r->rip, .cs = r->cs,
        .rflags = r->rflags, .rsp = r->rsp, .ss = r->ss,
    };

    const char *name = trap_names[r->vector & 31];
    skiff_log(SKIFF_LOG_ERROR,
              "trap: type=%s ec=0x%lx rip=0x%lx rsp=0x%lx rflags=0x%lx",
              name, r->ec, r->rip, r->rsp, r->rflags);
    if (r->vector == 14)
        skiff_log(SKIFF_LOG_ERROR, "trap: cr2=0x%lx", cr2);
    skiff_log(SKIFF_LOG_ERROR,
              "trap: rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx",
              r->rax, r->rbx, r->rcx, r->rdx);
    skiff_log(SKIFF_LOG_ERROR,
              "trap: rsi=0x%lx rdi=0x%lx rbp=0x%lx r8=0x%lx",
              r->rsi, r->rdi, r->rbp, r->r8);
    skiff_log(SKIFF_LOG_ERROR,
              "trap: r9=0x%lx r10=0x%lx r11=0x%lx r12=0x%lx",
              r->r9, r->r10, r->r11, r->r12);
    skiff_log(SKIFF_LOG_ERROR, "trap: r13=0x%lx r14=0x%lx r15=0x%lx",
              r->r13, r->r14, r->r15);

    if (skiff_ncpus() > 1)
        skiff_abort_cookie(frame, "fatal trap %s at rip=0x%lx on CPU %u", name, r->rip,
                           c->id);
    skiff_abort_cookie(frame, "fatal trap %s at rip=0x%lx", name, r->rip);
}
