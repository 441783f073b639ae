/*
 * CPU and node lists as Linux prints them ("0-3,6"): parsed into a bitmap
 * and printed back. Used for --cpus, --mem-nodes and SetAffinity.
 */
#ifndef SKIFF_HV_CPULIST_H
#define SKIFF_HV_CPULIST_H

#include <stddef.h>
#include <stdint.h>

/* Highest CPU number + 1 a list may name (the size of the bitmaps). */
#define HV_CPULIST_MAX 8192
#define HV_CPULIST_WORDS (HV_CPULIST_MAX / 64)

/*
 * Parse TEXT (comma-separated numbers and ranges A-B, A <= B) into BITS
 * (HV_CPULIST_WORDS words, cleared first); every number must be below
 * LIMIT (at most HV_CPULIST_MAX). Returns 0, or -EINVAL for an empty or
 * malformed list.
 */
int hv_cpulist_parse(const char *text, unsigned limit, uint64_t *bits);

/* Print the set bits of BITS (NBITS of them) as a list into BUF; "" for
 * an empty set, truncated (ending in "...") if BUF is too small. */
void hv_cpulist_format(const uint64_t *bits, unsigned nbits, char *buf, size_t size);

#endif
