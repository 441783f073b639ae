#include <string.h>

#include "boot.h"
#include "log.h"

#define PTE_P   0x1ULL
#define PTE_RW  0x2ULL
#define PTE_PS  0x80ULL

void hv_boot_setup_paging(struct hv *hv)
{
    uint8_t *m = hv->mem.base;
    uint64_t *pml4 = (uint64_t *)(m + HVT_PML4_BASE);
    uint64_t *pdpt = (uint64_t *)(m + HVT_PDPT_BASE);
    uint64_t *pd = (uint64_t *)(m + HVT_PD_BASE);   /* 4 contiguous tables */
    uint64_t *pt0 = (uint64_t *)(m + HVT_PT0_BASE);

    pml4[0] = HVT_PDPT_BASE | PTE_P | PTE_RW;
    for (int i = 0; i < 4; i++)
        pdpt[i] = (HVT_PD_BASE + 0x1000ULL * (uint64_t)i) | PTE_P | PTE_RW;

    /* The first 2 MiB through PT0: nothing below the boot info, boot info
     * and the rest of the low area read-only, then read/write. */
    pd[0] = HVT_PT0_BASE | PTE_P | PTE_RW;
    for (uint64_t a = HVT_BOOT_INFO_BASE; a < HVT_GUEST_MIN_BASE; a += 0x1000)
        pt0[a >> 12] = a | PTE_P;
    for (uint64_t a = HVT_GUEST_MIN_BASE; a < HVT_MEM_GRANULE; a += 0x1000)
        pt0[a >> 12] = a | PTE_P | PTE_RW;

    /* Above that, 2 MiB pages over the whole allocation and no further. */
    for (uint64_t n = 1; n * HVT_MEM_GRANULE < hv->mem.alloc && n < 2048; n++)
        pd[n] = (n * HVT_MEM_GRANULE) | PTE_P | PTE_RW | PTE_PS;

    uint64_t *gdt = (uint64_t *)(m + HVT_GDT_BASE);
    gdt[0] = 0;
    gdt[1] = HV_BOOT_GDT_CODE;
    gdt[2] = HV_BOOT_GDT_DATA;
}

static size_t cmdline_length(const struct hv *hv)
{
    size_t n = 0;
    for (int i = 0; i < hv->guest_argc; i++)
        n += strlen(hv->guest_argv[i]) + (i > 0);
    return n;
}

int hv_boot_check_cmdline(const struct hv *hv)
{
    if (cmdline_length(hv) > HVT_CMDLINE_SIZE - 1) {
        hv_err("Guest command line too long (max=%d characters)", HVT_CMDLINE_SIZE - 1);
        return -1;
    }
    return 0;
}

void hv_boot_write_info(struct hv *hv)
{
    uint8_t *m = hv->mem.base;
    struct hvt_boot_info *bi = (struct hvt_boot_info *)(m + HVT_BOOT_INFO_BASE);
    uint64_t mft_gpa = HVT_BOOT_INFO_BASE + sizeof *bi;
    uint64_t cmd_gpa = mft_gpa + hv->mft_size;

    bi->mem_size = hv->mem.size;
    bi->kernel_end = hv->kernel_end;
    bi->cpu_cycle_freq = hv->tsc_hz;
    bi->cmdline = cmd_gpa;
    bi->mft = mft_gpa;
    bi->host_features = 0;      /* no ring: guests use the NET hypercalls */
    bi->guest_features = 0;
    bi->net_ring = 0;
    memcpy(m + mft_gpa, hv->mft, hv->mft_size);

    char *cmd = (char *)(m + cmd_gpa);
    size_t off = 0;
    for (int i = 0; i < hv->guest_argc; i++) {
        size_t n = strlen(hv->guest_argv[i]);
        if (i > 0)
            cmd[off++] = ' ';
        memcpy(cmd + off, hv->guest_argv[i], n);
        off += n;
    }
    cmd[off] = '\0';
}
