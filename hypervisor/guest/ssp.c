/*
 * Stack protector. The guard is a global (-mstack-protector-guard=global)
 * because the default TLS guard at %fs:0x28 would fault with FS base 0;
 * start.S seeds it from the TSC before the first protected function runs.
 */
#include "internal.h"

uintptr_t __stack_chk_guard;

_Noreturn void __stack_chk_fail(void);

__attribute__((no_stack_protector)) void __stack_chk_fail(void)
{
    skiff_abort("Stack corruption detected");
}
