/*
 * The loader on images built here: what is copied where, what is skipped,
 * kernel_end, protections, and note lookup. The malformed-image corpus is
 * exercised end to end by tests/integration/elf.bats.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "elf_loader.h"
#include "hvt_abi.h"

#define MEM (4UL << 20)

struct img {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[4];
    uint8_t body[0x3000];
};

static void init_img(struct img *im)
{
    memset(im, 0, sizeof *im);
    memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
    im->eh.e_ident[EI_CLASS] = ELFCLASS64;
    im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    im->eh.e_type = ET_EXEC;
    im->eh.e_machine = EM_X86_64;
    im->eh.e_version = EV_CURRENT;
    im->eh.e_entry = 0x100000;
    im->eh.e_phoff = offsetof(struct img, ph);
    im->eh.e_ehsize = sizeof im->eh;
    im->eh.e_phentsize = sizeof im->ph[0];
    im->eh.e_phnum = 4;
}

static void set_ph(Elf64_Phdr *ph, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
                   uint64_t filesz, uint64_t memsz)
{
    *ph = (Elf64_Phdr){ .p_type = type, .p_flags = flags, .p_offset = off, .p_vaddr = vaddr,
                        .p_paddr = vaddr, .p_filesz = filesz, .p_memsz = memsz,
                        .p_align = 0x1000 };
}

static int to_fd(const struct img *im)
{
    int fd = memfd_create("img", 0);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, im, sizeof *im), (ssize_t)sizeof *im);
    return fd;
}

/* text (R+X) at 1 MiB, data (RW) at 1 MiB + 8 KiB, an empty PT_LOAD at 0
 * and a BSS-only PT_LOAD: the last two are skipped. */
static void typical_image(struct img *im)
{
    init_img(im);
    size_t body = offsetof(struct img, body);
    set_ph(&im->ph[0], PT_LOAD, PF_R, 0, 0, 0, 0);
    set_ph(&im->ph[1], PT_LOAD, PF_R | PF_X, body, 0x100000, 0x10, 0x10);
    set_ph(&im->ph[2], PT_LOAD, PF_R | PF_W, body + 0x1000, 0x102000, 0x8, 0x1800);
    set_ph(&im->ph[3], PT_LOAD, PF_R | PF_W, 0, 0x200000, 0, 0x200000);
    memset(im->body, 0xcc, 0x10);
    memcpy(im->body + 0x1000, "DATADATA", 8);
}

static void loads_segments(void **state)
{
    struct img im;
    typical_image(&im);
    int fd = to_fd(&im);
    uint8_t *mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(mem != MAP_FAILED);
    uint64_t entry = 0, end = 0;
    assert_int_equal(hv_elf_load(fd, "img", mem, MEM, &entry, &end), 0);
    assert_int_equal(entry, 0x100000);
    /* kernel_end: rounded end of the highest segment with file contents. */
    assert_int_equal(end, 0x104000);
    assert_int_equal(mem[0x100000], 0xcc);
    assert_int_equal(mem[0x100010], 0);
    assert_memory_equal(mem + 0x102000, "DATADATA", 8);
    assert_int_equal(mem[0x102008], 0);     /* memsz beyond filesz is zero */
    munmap(mem, MEM);
    close(fd);
}

static void refuses_wx_and_low(void **state)
{
    struct img im;
    typical_image(&im);
    im.ph[2].p_flags = PF_R | PF_W | PF_X;
    int fd = to_fd(&im);
    uint8_t *mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t entry, end;
    assert_int_equal(hv_elf_load(fd, "img", mem, MEM, &entry, &end), -1);
    close(fd);

    typical_image(&im);
    im.ph[1].p_vaddr = 0xff000;     /* below 1 MiB */
    fd = to_fd(&im);
    assert_int_equal(hv_elf_load(fd, "img", mem, MEM, &entry, &end), -1);
    close(fd);

    typical_image(&im);
    im.eh.e_entry = MEM;            /* entry at the end of memory */
    fd = to_fd(&im);
    assert_int_equal(hv_elf_load(fd, "img", mem, MEM, &entry, &end), -1);
    close(fd);
    munmap(mem, MEM);
}

/* Write a Solo5 note at body offset `at` with payload of `n` bytes. */
static void put_note(struct img *im, int ph, size_t at, uint32_t type, uint32_t descsz)
{
    uint8_t *p = im->body + at;
    Elf64_Nhdr h = { .n_namesz = 6, .n_descsz = descsz, .n_type = type };
    memcpy(p, &h, sizeof h);
    memcpy(p + 12, "Solo5", 6);
    for (uint32_t i = 0; i < descsz; i++)
        p[20 + i] = (uint8_t)(i + 1);
    set_ph(&im->ph[ph], PT_NOTE, PF_R, offsetof(struct img, body) + at, 0, 20 + descsz, 0);
}

static void finds_notes(void **state)
{
    struct img im;
    typical_image(&im);
    /* A foreign note first, then ABI1, then MFT1 with its 4-byte pad. */
    im.eh.e_phnum = 4;
    put_note(&im, 0, 0x2000, 1, 4);
    memcpy(im.body + 0x2000 + 12, "OpenBS", 6);
    put_note(&im, 2, 0x2100, HVT_NOTE_TYPE_ABI1, 16);
    put_note(&im, 3, 0x2200, HVT_NOTE_TYPE_MFT1, 12);
    int fd = to_fd(&im);
    void *desc = NULL;
    size_t len = 0;
    assert_int_equal(hv_elf_find_note(fd, "img", HVT_NOTE_NAME, HVT_NOTE_TYPE_ABI1, 32, 4, &desc, &len),
                     HV_ELF_NOTE_FOUND);
    assert_int_equal(len, 16);
    assert_int_equal(((uint8_t *)desc)[0], 1);
    free(desc);
    assert_int_equal(hv_elf_find_note(fd, "img", HVT_NOTE_NAME, HVT_NOTE_TYPE_MFT1, 6668, 8, &desc, &len),
                     HV_ELF_NOTE_FOUND);
    assert_int_equal(len, 8);                   /* 12 minus the pad */
    assert_int_equal(((uint8_t *)desc)[0], 5);  /* payload starts after the pad */
    free(desc);
    assert_int_equal(hv_elf_find_note(fd, "img", HVT_NOTE_NAME, 0x12345678, 32, 4, &desc, &len),
                     HV_ELF_NOTE_MISSING);
    close(fd);

    /* A descriptor that the pad swallows is an error, not a wrap-around. */
    put_note(&im, 3, 0x2200, HVT_NOTE_TYPE_MFT1, 4);
    fd = to_fd(&im);
    assert_int_equal(hv_elf_find_note(fd, "img", HVT_NOTE_NAME, HVT_NOTE_TYPE_MFT1, 6668, 8, &desc, &len),
                     HV_ELF_NOTE_INVALID);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_segments),
        cmocka_unit_test(refuses_wx_and_low),
        cmocka_unit_test(finds_notes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
