/*
 * Sanitizer builds only (./configure --enable-sanitizers): what ASan and
 * UBSan need inside the seccomp sandbox. Such a build is for tests, never
 * shipped; its sandbox is the real one plus:
 *  - memory management for the sanitizer allocator (never executable);
 *  - sigaltstack, which the runtime sets on threads;
 *  - no leak check once sandboxed: LeakSanitizer stops the world with
 *    clone and ptrace at exit, which the sandbox must keep refusing. Leaks
 *    in set-up are still found by the unit tests, which never sandbox.
 */
#include "config.h"

#include <stdbool.h>
#include <sys/mman.h>
#include <seccomp.h>

#include "sandbox.h"

#ifdef SKIFF_SANITIZED

static bool sandboxed;

/* Consulted by LeakSanitizer when it is about to check, at exit. */
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
    return sandboxed;
}

int hv_sandbox_allow_sanitizers(void *ctx)
{
    scmp_datum_t noexec = PROT_EXEC;
    sandboxed = true;
    return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                            SCMP_A2(SCMP_CMP_MASKED_EQ, noexec, 0)) |
           seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                            SCMP_A2(SCMP_CMP_MASKED_EQ, noexec, 0)) |
           seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(munmap), 0) |
           seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(madvise), 0) |
           seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack), 0) |
           seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sched_yield), 0) |
           seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getpid), 0) |
           seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(gettid), 0);
}

#else

int hv_sandbox_allow_sanitizers(void *ctx)
{
    (void)ctx;
    return 0;
}

#endif
