/*
 * Entry point and the image's fixed notes.
 *
 * The monitor enters _start in long mode with RDI = boot info and
 * RSP = mem_size - 8 (and, for an SMP image under skiff-hv, RSI = the
 * vCPU count). Nothing here may fault: there is no usable IDT yet.
 */

/* Refuse direct execution on the host: the kernel cannot find this
 * interpreter, so exec fails before any guest code runs. */
    .section .interp, "a"
    .asciz "/nonexistent/skiff/"

/* ABI1 note: name "Solo5", hvt target 1, ABI version 2. */
    .section .note.skiff.abi, "a", @note
    .balign 4
    .long 6                 /* n_namesz */
    .long 16                /* n_descsz */
    .long 0x31494241        /* n_type "ABI1" */
    .asciz "Solo5"
    .balign 4
    .long 1                 /* abi_target: hvt */
    .long 2                 /* abi_version */
    .long 0, 0

    .text
    .globl _start
    .type _start, @function
_start:
    movq %rsi, skiff_boot_ncpus(%rip)
    /* Seed the stack-protector canary before any protected C code runs.
     * The multiply spreads the TSC's fast-changing low bits over the word;
     * a zero low byte stops string functions from copying the canary. */
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    movabsq $0x9e3779b97f4a7c15, %rdx
    imulq %rdx, %rax
    xorb %al, %al
    movq %rax, __stack_chk_guard(%rip)

    /* Leave the 16 bytes below mem_size unused and align for the call. */
    andq $-16, %rsp
    xorl %ebp, %ebp
    call skiff_boot
1:  jmp 1b
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
