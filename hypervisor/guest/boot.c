/*
 * From _start to skiff_main: set up the CPU first, so that anything after
 * it that faults is reported, then the runtime's state, then the app.
 */
#include "internal.h"

const struct hvt_boot_info *skiff_bi;
uint64_t skiff_boot_ncpus;      /* RSI at entry, saved by start.S */

const struct hvt_boot_info *skiff_boot_info(void)
{
    return skiff_bi;
}

static unsigned count_devices(void)
{
    const struct mft *m = (const struct mft *)(uintptr_t)skiff_bi->mft;
    unsigned n = 0;

    for (uint32_t i = 1; m && i < m->entries && i < MFT_MAX_ENTRIES; i++)
        n += m->e[i].attached != 0;
    return n;
}

void skiff_boot(const struct hvt_boot_info *bi)
{
    skiff_cpu_init();
    skiff_bi = bi;
    skiff_smp_init(skiff_boot_ncpus);

    const char *cmdline = skiff_cmdline_init((const char *)(uintptr_t)bi->cmdline);

    skiff_clock_init(bi->cpu_cycle_freq);
    skiff_mem_init(bi->mem_size);
    skiff_tls_init();

    if (skiff_ncpus() > 1)
        skiff_log(SKIFF_LOG_DEBUG, "%u CPUs", skiff_ncpus());
    if (skiff_log_level() >= SKIFF_LOG_INFO)
        skiff_log(SKIFF_LOG_INFO,
                  "hvt ABI 2, memory 0x%lx bytes, image 0x%lx-0x%lx, %u device(s)",
                  bi->mem_size, HVT_GUEST_MIN_BASE, (unsigned long)(uintptr_t)_end,
                  count_devices());
    skiff_log(SKIFF_LOG_DEBUG, "cpu_cycle_freq=%lu host_features=0x%x",
              bi->cpu_cycle_freq, bi->host_features);

    skiff_exit(skiff_main(cmdline));
}
