/* Guest RAM: sizing rules (HVT-ABI 2.8), the memfd mapping, access checks. */
#ifndef SKIFF_HV_MEM_H
#define SKIFF_HV_MEM_H

#include <stdint.h>

#include "hv.h"

/*
 * Parse the argument of --mem (MiB) into bytes. Returns 0, or -1 when it
 * is not a positive integer that fits.
 */
int hv_mem_parse_mib(const char *text, uint64_t *bytes);

/*
 * Apply the ABI's rounding and limits: round down to 2 MiB (at least
 * 2 MiB; *adjusted tells whether that changed the size), refuse more than
 * 4 GiB. Returns 0 or -1.
 */
int hv_mem_size(uint64_t request, uint64_t *size, int *adjusted);

/* Create the memfd and map it; pages are allocated only when touched. */
int hv_mem_map(struct hv_mem *mem, uint64_t size);
void hv_mem_unmap(struct hv_mem *mem);

/* True when [gpa, gpa + len) lies strictly inside [0, limit). */
static inline int hv_range_ok(uint64_t gpa, uint64_t len, uint64_t limit)
{
    return gpa < limit && len < limit - gpa;
}

#endif
