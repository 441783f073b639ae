/*
 * Leaving the guest: every path ends in the HALT hypercall.
 */
#include "internal.h"

_Noreturn void skiff_halt(int status, const void *cookie)
{
    volatile struct hvt_hc_halt h = {
        .cookie = (uintptr_t)cookie,
        .exit_status = status,
    };

    skiff_hypercall(HVT_HYPERCALL_HALT, &h);
    /* A monitor must not resume us; if one does, stay put. */
    for (;;)
        __asm__ __volatile__("");
}

void skiff_exit(int status)
{
    skiff_log(SKIFF_LOG_INFO, "exit(%d)", status);
    skiff_halt(status, 0);
}

void skiff_vabort(const void *cookie, const char *fmt, va_list ap)
{
    skiff_vlog(SKIFF_LOG_ERROR, "ABORT: ", fmt, ap);
    skiff_halt(255, cookie);
}

void skiff_abort_cookie(const void *cookie, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    skiff_vabort(cookie, fmt, ap);
}

void skiff_abort(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    skiff_vabort(0, fmt, ap);
}
