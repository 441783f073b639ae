/* What the guest finds in memory at entry: page tables, GDT, boot info. */
#ifndef SKIFF_HV_BOOT_H
#define SKIFF_HV_BOOT_H

#include "hv.h"

#define HV_BOOT_GDT_CODE  0x00AF99000000FFFFULL   /* 64-bit code, selector 0x08 */
#define HV_BOOT_GDT_DATA  0x00CF93000000FFFFULL   /* data, selector 0x10 */

/* Identity-map the allocation and write the boot GDT (HVT-ABI 2.2, 2.4). */
void hv_boot_setup_paging(struct hv *hv);

/*
 * Join the guest arguments into the command line. Returns 0, or -1 when
 * it exceeds HVT_CMDLINE_SIZE - 1 characters (reported).
 */
int hv_boot_check_cmdline(const struct hv *hv);

/* Write boot info, the manifest copy and the command line (HVT-ABI 3). */
void hv_boot_write_info(struct hv *hv);

#endif
