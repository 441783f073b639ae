/* ELF64 image checks, note lookup and loading (HVT-ABI 1.1 - 1.4). */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_loader.h"
#include "hvt_abi.h"
#include "log.h"

struct image {
    int fd;
    const char *file;
    uint64_t size;          /* file size: nothing is read past it */
    Elf64_Ehdr eh;
    Elf64_Phdr *ph;         /* e_phnum entries */
};

/* Read exactly len bytes at off, or fail: a short file is a bad file. */
static int read_at(const struct image *im, void *buf, uint64_t len, uint64_t off)
{
    if (off > im->size || len > im->size - off)
        return -1;
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = pread(im->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return 0;
}

static int header_ok(const Elf64_Ehdr *eh)
{
    return memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
           eh->e_ident[EI_CLASS] == ELFCLASS64 &&
           eh->e_ident[EI_DATA] == ELFDATA2LSB &&
           eh->e_version == EV_CURRENT &&
           eh->e_ehsize == sizeof(Elf64_Ehdr) &&
           eh->e_phentsize == sizeof(Elf64_Phdr) &&
           eh->e_phnum >= 1 &&
           eh->e_type == ET_EXEC &&
           eh->e_machine == EM_X86_64 &&
           eh->e_entry >= HVT_GUEST_MIN_BASE;
}

static void image_close(struct image *im)
{
    free(im->ph);
    im->ph = NULL;
}

/* Read and check the ELF header and program headers. */
static int image_open(struct image *im, int fd, const char *file, const char *stage)
{
    struct stat st;
    memset(im, 0, sizeof *im);
    im->fd = fd;
    im->file = file;
    if (fstat(fd, &st) < 0 || st.st_size < 0) {
        hv_err("%s: cannot stat: %m", file);
        return -1;
    }
    im->size = (uint64_t)st.st_size;
    if (read_at(im, &im->eh, sizeof im->eh, 0) < 0 || !header_ok(&im->eh)) {
        hv_err("%s: invalid or unsupported executable (elf header invalid while %s)",
               file, stage);
        return -1;
    }
    uint64_t phsize = (uint64_t)im->eh.e_phnum * sizeof(Elf64_Phdr);
    im->ph = malloc(phsize);
    if (im->ph == NULL) {
        hv_err("%s: out of memory reading program headers", file);
        return -1;
    }
    if (read_at(im, im->ph, phsize, im->eh.e_phoff) < 0) {
        hv_err("%s: invalid executable: program headers (%u at offset 0x%llx) "
               "lie outside the file", file, im->eh.e_phnum,
               (unsigned long long)im->eh.e_phoff);
        image_close(im);
        return -1;
    }
    return 0;
}

static int note_size_error(const struct image *im, int i, const char *why)
{
    hv_err("%s: INV_EXE: phdr[%d] note does not fall within valid size (%s)",
           im->file, i, why);
    return HV_ELF_NOTE_INVALID;
}

/* Look at the first note of PT_NOTE segment i. */
static int note_in_segment(const struct image *im, int i, const char *name, uint32_t type,
                           size_t max_descsz,
                           size_t align, void **desc, size_t *len)
{
    const Elf64_Phdr *ph = &im->ph[i];
    if (ph->p_filesz < sizeof(Elf64_Nhdr))
        return note_size_error(im, i, "segment smaller than a note header");
    if (ph->p_filesz < HVT_NOTE_HDR_SIZE)
        return HV_ELF_NOTE_MISSING;

    struct {
        Elf64_Nhdr h;
        char name[8];
    } hdr;
    if (read_at(im, &hdr, sizeof hdr, ph->p_offset) < 0)
        return note_size_error(im, i, "note lies outside the file");
    if (hdr.h.n_namesz != HVT_NOTE_NAMESZ || memcmp(hdr.name, name, HVT_NOTE_NAMESZ) != 0 ||
        hdr.h.n_type != type)
        return HV_ELF_NOTE_MISSING;
    if (hdr.h.n_descsz < 1 || hdr.h.n_descsz > max_descsz)
        return note_size_error(im, i, "descriptor size out of range");
    if (ph->p_filesz < HVT_NOTE_HDR_SIZE + (uint64_t)hdr.h.n_descsz)
        return note_size_error(im, i, "descriptor larger than the segment");

    size_t start = (HVT_NOTE_HDR_SIZE + align - 1) & ~(align - 1);
    size_t pad = start - HVT_NOTE_HDR_SIZE;
    if (hdr.h.n_descsz <= pad)
        return note_size_error(im, i, "descriptor smaller than its alignment padding");
    size_t n = hdr.h.n_descsz - pad;

    void *buf = malloc(n);
    if (buf == NULL) {
        hv_err("%s: out of memory reading a note", im->file);
        return HV_ELF_NOTE_INVALID;
    }
    if (read_at(im, buf, n, ph->p_offset + start) < 0) {
        free(buf);
        return note_size_error(im, i, "descriptor lies outside the file");
    }
    *desc = buf;
    *len = n;
    return HV_ELF_NOTE_FOUND;
}

int hv_elf_find_note(int fd, const char *file, const char *name, uint32_t type,
                     size_t max_descsz,
                     size_t align, void **desc, size_t *len)
{
    struct image im;
    if (image_open(&im, fd, file, "loading note") < 0)
        return HV_ELF_NOTE_INVALID;
    int rc = HV_ELF_NOTE_MISSING;
    for (int i = 0; i < im.eh.e_phnum && rc == HV_ELF_NOTE_MISSING; i++) {
        if (im.ph[i].p_type == PT_NOTE)
            rc = note_in_segment(&im, i, name, type, max_descsz, align, desc, len);
    }
    image_close(&im);
    return rc;
}

static int seg_error(const struct image *im, int i, const char *why)
{
    hv_err("%s: invalid executable: phdr[%d] %s", im->file, i, why);
    return -1;
}

/* Host protection for a segment: only write protection reaches the guest. */
static int seg_prot(uint32_t flags)
{
    if (flags & PF_W)
        return PROT_READ | PROT_WRITE;
    if (flags & (PF_R | PF_X))
        return PROT_READ;
    return PROT_NONE;
}

static int load_segment(const struct image *im, int i, uint8_t *mem, uint64_t mem_size,
                        uint64_t *prev_vaddr, uint64_t *e_end)
{
    const Elf64_Phdr *ph = &im->ph[i];
    uint64_t vaddr = ph->p_vaddr, filesz = ph->p_filesz, memsz = ph->p_memsz;
    uint64_t align = ph->p_align;

    if (vaddr < HVT_GUEST_MIN_BASE)
        return seg_error(im, i, "vaddr below the minimum load address 0x100000");
    if (vaddr < *prev_vaddr)
        return seg_error(im, i, "segments are not sorted by address");
    *prev_vaddr = vaddr;
    if (align == 0 || (align & (align - 1)) != 0)
        return seg_error(im, i, "p_align is not a power of two");
    uint64_t start = vaddr & ~(align - 1);
    if (start < HVT_GUEST_MIN_BASE)
        return seg_error(im, i, "aligned start below the minimum load address");
    if (start < *e_end)
        return seg_error(im, i, "overlaps the previous segment");
    if (vaddr >= mem_size || filesz > mem_size - vaddr)
        return seg_error(im, i, "file contents do not fit in guest memory");
    if (memsz < filesz)
        return seg_error(im, i, "p_memsz is smaller than p_filesz");
    if (memsz > UINT64_MAX - vaddr)
        return seg_error(im, i, "p_vaddr + p_memsz overflows");
    uint64_t end = vaddr + memsz;
    if (end > UINT64_MAX - (align - 1))
        return seg_error(im, i, "rounded end overflows");
    end = (end + align - 1) & ~(align - 1);
    if (end > mem_size)
        return seg_error(im, i, "does not fit in guest memory");
    if ((start & 0xfff) != 0 || (end & 0xfff) != 0)
        return seg_error(im, i, "is not aligned to 4 KiB after rounding to p_align");
    if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
        return seg_error(im, i, "requests WRITE and EXEC permissions");
    if (end > *e_end)
        *e_end = end;

    /* Guest RAM is a fresh memfd: the bytes past p_filesz are already 0,
     * and writing zeros would only make the pages resident. */
    if (read_at(im, mem + vaddr, filesz, ph->p_offset) < 0)
        return seg_error(im, i, "contents lie outside the file (truncated image?)");
    if (mprotect(mem + start, end - start, seg_prot(ph->p_flags)) < 0) {
        hv_err("%s: cannot protect phdr[%d]: %m", im->file, i);
        return -1;
    }
    return 0;
}

int hv_elf_load(int fd, const char *file, uint8_t *mem, uint64_t mem_size,
                uint64_t *entry, uint64_t *kernel_end)
{
    struct image im;
    if (image_open(&im, fd, file, "loading") < 0)
        return -1;
    int rc = 0;
    if (im.eh.e_entry >= mem_size) {
        hv_err("%s: invalid or unsupported executable (entry point 0x%llx is outside "
               "guest memory of %llu bytes)", file, (unsigned long long)im.eh.e_entry,
               (unsigned long long)mem_size);
        rc = -1;
    }
    uint64_t prev_vaddr = 0, e_end = 0;
    for (int i = 0; i < im.eh.e_phnum && rc == 0; i++) {
        if (im.ph[i].p_type == PT_LOAD && im.ph[i].p_filesz != 0)
            rc = load_segment(&im, i, mem, mem_size, &prev_vaddr, &e_end);
    }
    if (rc == 0) {
        *entry = im.eh.e_entry;
        *kernel_end = e_end;
    }
    image_close(&im);
    return rc;
}
