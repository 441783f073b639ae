/*
 * Several CPUs (the SMP extension, see hvt_abi.h). CPU 0 runs the program
 * as always; skiff_smp_start() gives every secondary its own area carved
 * from the heap (descriptor tables, a 16 KiB stack and 6 KiB of exception
 * stacks: about 22.5 KiB per CPU, so 512 CPUs take some 11.5 MiB) and
 * asks the monitor to start them. Areas come from the heap rather than
 * BSS so that an image pays only for the CPUs it is given.
 */
#include "internal.h"

#define CPU_STACK           (16 * 1024)
#define CPU_TRAP_STACK      (4 * 1024)
#define CPU_CRITICAL_STACK  (2 * 1024)

/* Defined by SKIFF_EXTENSIONS(); absent when the image did not opt in. */
extern const struct skiff_ext1_note skiff_ext1_note __attribute__((weak));

struct skiff_cpu **skiff_cpus;          /* read by smp_entry.S */
static unsigned ncpus = 1;
static bool started;
static void (*secondary_fn)(unsigned cpu);

void skiff_secondary_boot(struct skiff_cpu *c);

static bool opted_in(void)
{
    return &skiff_ext1_note != 0 && (skiff_ext1_note.desc.features & SKIFF_EXT_SMP);
}

void skiff_smp_init(uint64_t ncpus_from_monitor)
{
    /* Trust the register only when the image asked for SMP: another
     * monitor may leave anything in RSI. */
    if (!opted_in() || ncpus_from_monitor == 0)
        return;
    ncpus = ncpus_from_monitor > SKIFF_SMP_MAX_VCPUS ? SKIFF_SMP_MAX_VCPUS
                                                     : (unsigned)ncpus_from_monitor;
}

unsigned skiff_ncpus(void)
{
    return ncpus;
}

unsigned skiff_cpu_id(void)
{
    uint32_t id;

    __asm__ __volatile__("movl %%gs:0, %0" : "=r"(id));
    return id;
}

static struct skiff_cpu *make_cpu(unsigned id)
{
    struct skiff_cpu *c = skiff_alloc(sizeof(*c), 64);
    uint8_t *stacks = skiff_alloc(CPU_STACK + CPU_TRAP_STACK + CPU_CRITICAL_STACK, 64);

    if (!c || !stacks)
        return 0;
    c->id = id;
    c->stack_top = (uintptr_t)(stacks + CPU_STACK);
    c->trap_stack_top = c->stack_top + CPU_TRAP_STACK;
    c->critical_stack_top = c->trap_stack_top + CPU_CRITICAL_STACK;
    return c;
}

unsigned skiff_smp_start(void (*fn)(unsigned cpu))
{
    if (started || ncpus < 2)
        return 0;
    started = true;

    struct skiff_cpu **table = skiff_alloc(ncpus * sizeof(*table), 8);

    if (!table)
        skiff_abort("Not enough memory for %u CPUs", ncpus);
    table[0] = skiff_cpu_self();
    for (unsigned i = 1; i < ncpus; i++) {
        table[i] = make_cpu(i);
        if (!table[i])
            skiff_abort("Not enough memory for %u CPUs (%u bytes each)", ncpus,
                        (unsigned)(sizeof(struct skiff_cpu) + CPU_STACK + CPU_TRAP_STACK +
                                   CPU_CRITICAL_STACK));
    }
    secondary_fn = fn;
    __atomic_store_n(&skiff_cpus, table, __ATOMIC_RELEASE);

    volatile struct skiff_hc_smp_start s = { 0 };

    skiff_hypercall(SKIFF_HYPERCALL_SMP_START, &s);
    return s.started;
}

/* An idle CPU sleeps in POLL, costing the host nothing. Readiness is
 * not its business (SKIFF_POLL_IDLE): the CPU that polls devices takes
 * it. */
static _Noreturn void idle(void)
{
    for (;;) {
        volatile struct hvt_hc_poll p = {
            .timeout_nsecs = UINT64_MAX,
            .skiff_flags = SKIFF_POLL_IDLE,
        };

        skiff_hypercall(HVT_HYPERCALL_POLL, &p);
    }
}

void skiff_secondary_boot(struct skiff_cpu *c)
{
    skiff_cpu_load(c);
    skiff_tls_init();
    if (secondary_fn)
        secondary_fn(c->id);
    idle();
}
