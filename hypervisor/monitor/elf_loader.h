/*
 * The ELF loader. It trusts nothing in the file: every size and offset is
 * checked against the file and guest memory before use, with no integer
 * overflow, and a bad image is refused with a message (HVT-ABI 1).
 */
#ifndef SKIFF_HV_ELF_LOADER_H
#define SKIFF_HV_ELF_LOADER_H

#include <stddef.h>
#include <stdint.h>

enum hv_elf_note_result {
    HV_ELF_NOTE_FOUND = 0,
    HV_ELF_NOTE_MISSING = 1,
    HV_ELF_NOTE_INVALID = -1    /* reported */
};

/*
 * Find the first note named `name` (6 bytes with the NUL: "Solo5" or
 * "Skiff") of `type`, looking at the first note of each PT_NOTE segment
 * only. On success *desc is a malloc'd copy of the payload that
 * starts at the payload's natural `align`ment, *len its length.
 */
int hv_elf_find_note(int fd, const char *file, const char *name, uint32_t type,
                     size_t max_descsz,
                     size_t align, void **desc, size_t *len);

/*
 * Load the PT_LOAD segments into guest memory `mem` of `mem_size` bytes and
 * apply their protections to the host mapping. Returns 0 or -1 (reported).
 */
int hv_elf_load(int fd, const char *file, uint8_t *mem, uint64_t mem_size,
                uint64_t *entry, uint64_t *kernel_end);

#endif
