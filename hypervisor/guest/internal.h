/*
 * Runtime internals shared between the libskiff-guest source files;
 * applications use only include/skiff/guest.h.
 */
#ifndef SKIFF_GUEST_INTERNAL_H
#define SKIFF_GUEST_INTERNAL_H

#include <stdbool.h>

#include "skiff/guest.h"
#include "skiff/hypercall.h"

#define SKIFF_LOG_PREFIX "Skiff: "

/* Set once at start-up, read-only afterwards. */
extern const struct hvt_boot_info *skiff_bi;
extern uint64_t skiff_boot_ncpus;
extern uintptr_t __stack_chk_guard;

/* Linker-script symbols: only their addresses mean something. */
extern char _end[];
extern const char __tdata_start[], __tdata_size[], __tls_memsz[], __tls_align[];

/*
 * One per vCPU: its descriptor tables, stacks and per-CPU runtime state.
 * GS base points at it, so %gs:0 is the CPU's index and %gs:8 the struct
 * itself; smp_entry.S reads stack_top at offset 16.
 */
struct skiff_tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct skiff_cpu {
    uint32_t id;
    uint32_t pad;
    struct skiff_cpu *self;
    uintptr_t stack_top;        /* secondaries: where smp_entry.S starts */
    uintptr_t trap_stack_top;   /* IST1: exceptions */
    uintptr_t critical_stack_top;   /* IST2: NMI, #DF, #MC */
    uintptr_t tls_base;         /* FS base, 0 without TLS */
    uint64_t gdt[5] __attribute__((aligned(16)));
    struct skiff_tss tss __attribute__((aligned(16)));
    struct hvt_trap_frame frame;    /* the HALT cookie of a fatal trap */
    int trap_depth;
};
_Static_assert(__builtin_offsetof(struct skiff_cpu, self) == 8, "%gs:8");
_Static_assert(__builtin_offsetof(struct skiff_cpu, stack_top) == 16, "smp_entry.S");

/* The calling CPU's struct (valid once skiff_cpu_init has run on it). */
static inline struct skiff_cpu *skiff_cpu_self(void)
{
    struct skiff_cpu *c;

    __asm__ __volatile__("movq %%gs:8, %0" : "=r"(c));
    return c;
}

/* Start-up steps, in the order boot.c calls them. */
_Noreturn void skiff_boot(const struct hvt_boot_info *bi);
void skiff_cpu_init(void);
void skiff_cpu_load(struct skiff_cpu *c);
void skiff_smp_init(uint64_t ncpus_from_monitor);
const char *skiff_cmdline_init(const char *raw);
void skiff_clock_init(uint64_t cpu_cycle_freq);
void skiff_mem_init(uint64_t mem_size);
void skiff_tls_init(void);     /* on every CPU: its own TLS block */

/* After POLL reported SKIFF_READY_CONTROL: fetch the request with the
 * CONTROL hypercall (only if the image opted in) and keep it. Returns
 * whether a request was received. */
bool skiff_control_fetch(void);

/* HALT with STATUS and an optional trap-frame COOKIE; never returns. */
_Noreturn void skiff_halt(int status, const void *cookie);

/* Log "Skiff: <prefix><message>" and halt with 255 and COOKIE. */
_Noreturn void skiff_vabort(const void *cookie, const char *fmt, va_list ap);
_Noreturn void skiff_abort_cookie(const void *cookie, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Log one line at LEVEL. */
void skiff_vlog(enum skiff_log_level level, const char *prefix,
                const char *fmt, va_list ap);
void skiff_log_set_level(enum skiff_log_level level);

/* Formatted output into a sink: printf and snprintf share one engine. When
 * the buffer fills, FLUSH empties it (console) or, if NULL, the rest of the
 * output is counted but dropped (snprintf). */
struct skiff_sink {
    char *buf;
    size_t size;     /* capacity of buf */
    size_t pos;      /* bytes in buf */
    size_t total;    /* bytes produced so far */
    void (*flush)(struct skiff_sink *sink);
};
void skiff_sink_putc(struct skiff_sink *sink, char c);
void skiff_sink_format(struct skiff_sink *sink, const char *fmt, va_list ap);

static inline uint64_t skiff_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void skiff_wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ __volatile__("wrmsr"
                         :
                         : "c"(msr), "a"((uint32_t)value),
                           "d"((uint32_t)(value >> 32)));
}

#define MSR_FS_BASE 0xC0000100U
#define MSR_GS_BASE 0xC0000101U

#endif /* SKIFF_GUEST_INTERNAL_H */
