/*
 * Fuzz target: skiff-hv's ELF loader and manifest (hypervisor/monitor/
 * elf_loader.c, manifest.c). The input is a kernel image; it goes through
 * what the monitor does before the first vCPU runs: the ABI1, MFT1 and
 * SKF1 notes, the manifest's validation and lookups, and loading the
 * PT_LOAD segments into a guest memory of 4 MiB.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_loader.h"
#include "fuzz.h"
#include "hvt_abi.h"
#include "manifest.h"

#define GUEST_MEM (4UL << 20)

static uint8_t *mem;
static int fd = -1;

static void notes(void)
{
    void *desc = NULL;
    size_t len = 0;
    if (hv_elf_find_note(fd, "fuzz", HVT_NOTE_NAME, HVT_NOTE_TYPE_ABI1, HVT_NOTE_ABI1_MAX, 4,
                         &desc, &len) == HV_ELF_NOTE_FOUND)
        free(desc);
    desc = NULL;
    if (hv_elf_find_note(fd, "fuzz", SKIFF_NOTE_NAME, SKIFF_NOTE_TYPE_EXT1,
                         SKIFF_NOTE_EXT1_MAX, 8, &desc, &len) == HV_ELF_NOTE_FOUND)
        free(desc);
    desc = NULL;
    if (hv_elf_find_note(fd, "fuzz", HVT_NOTE_NAME, HVT_NOTE_TYPE_MFT1, HVT_NOTE_MFT1_MAX, 8,
                         &desc, &len) != HV_ELF_NOTE_FOUND)
        return;
    if (hv_mft_valid(desc, len)) {
        struct mft *m = desc;
        for (uint32_t i = 1; i < m->entries; i++) {   /* 0 is reserved */
            struct mft_entry *e = &m->e[i];
            hv_mft_type_name(e->type);
            size_t n = strnlen(e->name, sizeof e->name);
            if (hv_mft_find(m, e->name, n, e->type) == NULL)
                abort();   /* a valid manifest finds its own entries */
        }
    }
    free(desc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (mem == NULL) {
        mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        fd = memfd_create("fuzz-kernel", MFD_CLOEXEC);
        if (mem == MAP_FAILED || fd < 0)
            abort();
    }
    if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    /* The loader leaves protections behind: give the next input RW memory. */
    if (mprotect(mem, GUEST_MEM, PROT_READ | PROT_WRITE) < 0)
        abort();
    notes();
    uint64_t entry, end;
    hv_elf_load(fd, "fuzz", mem, GUEST_MEM, &entry, &end);
    return 0;
}
