/*
 * Where secondary vCPUs start (the SMP entry of the SKF1 note). The
 * monitor enters here in long mode with RDI = the vCPU's index, RSI = the
 * vCPU count and no stack; skiff_smp_start() has published every CPU's
 * struct in skiff_cpus before it let them run.
 */
    .text
    .globl skiff_smp_entry
    .type skiff_smp_entry, @function
skiff_smp_entry:
    movq skiff_cpus(%rip), %rax
    movq (%rax,%rdi,8), %rdi        /* struct skiff_cpu * */
    movq 16(%rdi), %rsp             /* ->stack_top, 16-aligned */
    xorl %ebp, %ebp
    call skiff_secondary_boot
1:  jmp 1b
    .size skiff_smp_entry, . - skiff_smp_entry

    .section .note.GNU-stack, "", @progbits
