/*
 * Exception entry stubs. Each stub makes the stack look the same (an error
 * code, real or 0, then the vector), saves the general registers and calls
 * skiff_trap(), which never returns.
 */
    .text

.macro TRAP_NOEC vec
    .balign 16
trap_\vec:
    pushq $0
    pushq $\vec
    jmp trap_common
.endm

.macro TRAP_EC vec
    .balign 16
trap_\vec:
    pushq $\vec
    jmp trap_common
.endm

TRAP_NOEC 0
TRAP_NOEC 1
TRAP_NOEC 2
TRAP_NOEC 3
TRAP_NOEC 4
TRAP_NOEC 5
TRAP_NOEC 6
TRAP_NOEC 7
TRAP_EC   8
TRAP_NOEC 9
TRAP_EC   10
TRAP_EC   11
TRAP_EC   12
TRAP_EC   13
TRAP_EC   14
TRAP_NOEC 15
TRAP_NOEC 16
TRAP_EC   17
TRAP_NOEC 18
TRAP_NOEC 19
TRAP_NOEC 20
TRAP_EC   21
TRAP_NOEC 22
TRAP_NOEC 23
TRAP_NOEC 24
TRAP_NOEC 25
TRAP_NOEC 26
TRAP_NOEC 27
TRAP_NOEC 28
TRAP_EC   29
TRAP_EC   30
TRAP_NOEC 31

trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    /* 22 quadwords on a 16-aligned IST stack: still 16-aligned here. */
    movq %rsp, %rdi
    call skiff_trap
1:  jmp 1b

    .section .rodata
    .balign 8
    .globl skiff_trap_stubs
skiff_trap_stubs:
    .quad trap_0, trap_1, trap_2, trap_3, trap_4, trap_5, trap_6, trap_7
    .quad trap_8, trap_9, trap_10, trap_11, trap_12, trap_13, trap_14, trap_15
    .quad trap_16, trap_17, trap_18, trap_19, trap_20, trap_21, trap_22, trap_23
    .quad trap_24, trap_25, trap_26, trap_27, trap_28, trap_29, trap_30, trap_31

    .section .note.GNU-stack, "", @progbits
