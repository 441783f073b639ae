/*
 * mkelf OUTDIR: write a corpus of hvt guest images for the loader tests.
 *
 * valid.hvt is built from scratch: its only code makes the HALT hypercall
 * with status 7, so a monitor that loads it correctly exits with 7. Every
 * bad-*.hvt is valid.hvt (or valid-blk.hvt) with one defect, so a refusal
 * can only be caused by that defect. OUTDIR/cases.txt lists each bad image
 * with a substring its refusal must print (tab-separated); OUTDIR/valid.txt
 * lists the images that must run to HALT 7 under --mem=2 with no options.
 *
 * File layout of the control image (all tests run with --mem=2, 2 MiB):
 *
 *   0x0000  ELF header, program headers (not loaded)
 *   0x1000  rodata, vaddr 0x101000, R:  halt struct, ABI1 note, MFT1 note
 *   0x2000  text,   vaddr 0x100000, RX: the entry code
 *
 * The text is last in the file so that truncating the file cuts a loadable
 * segment while the notes, read first, stay intact.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvt_abi.h"

#define TEXT_VADDR     0x100000UL
#define RODATA_VADDR   0x101000UL
#define PAGE           0x1000UL
#define MEM_2M         0x200000UL   /* guest memory under --mem=2 */

/* Program header indices of the control image. */
enum { PH_TEXT, PH_RODATA, PH_ABI, PH_MFT, PH_COUNT };

/* File offsets. */
#define PH_OFF         sizeof(Elf64_Ehdr)
#define RODATA_OFF     0x1000UL
#define TEXT_OFF       0x2000UL
#define HALT_OFF       RODATA_OFF                       /* struct hvt_hc_halt */
#define ABI_NOTE_OFF   (RODATA_OFF + 0x10)
#define ABI_DESC_OFF   (ABI_NOTE_OFF + HVT_NOTE_HDR_SIZE)
#define MFT_NOTE_OFF   (RODATA_OFF + 0x38)
#define MFT_OFF        (MFT_NOTE_OFF + HVT_NOTE_HDR_SIZE + HVT_NOTE_MFT1_PAD)
#define ENTRY_OFF(i)   (MFT_OFF + sizeof(struct mft) + (i) * sizeof(struct mft_entry))
#define EXTRA_OFF(n)   (MFT_NOTE_OFF + mft_note_size(n))  /* after the MFT1 note */

#define HALT_GPA       (RODATA_VADDR + (HALT_OFF - RODATA_OFF))
#define HALT_STATUS    7
#define HALT_PORT      (HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_HALT)

/* mov $0x508,%dx; mov $HALT_GPA,%eax; out %eax,(%dx); jmp . */
static const uint8_t text_code[] = {
    0x66, 0xba, (uint8_t)HALT_PORT, (uint8_t)(HALT_PORT >> 8),
    0xb8, (uint8_t)HALT_GPA, (uint8_t)(HALT_GPA >> 8), (uint8_t)(HALT_GPA >> 16),
    (uint8_t)(HALT_GPA >> 24),
    0xef,
    0xeb, 0xfe,
};
#define TEXT_SIZE sizeof(text_code)

#define IMAGE_CAP      (TEXT_OFF + PAGE)

struct image {
    uint8_t *b;
    size_t len;
};

/* What a built image contains beyond the control. */
struct shape {
    bool blk;       /* the manifest declares BLOCK_BASIC "storage" */
    bool solo5;     /* extra headers shaped like a Solo5-built image */
};

static size_t mft_note_size(unsigned entries)
{
    return HVT_NOTE_HDR_SIZE + HVT_NOTE_MFT1_PAD + MFT_SIZE(entries);
}

static Elf64_Ehdr *ehdr(struct image *im)
{
    return (Elf64_Ehdr *)im->b;
}

static Elf64_Phdr *phdr(struct image *im, unsigned i)
{
    return (Elf64_Phdr *)(im->b + PH_OFF) + i;
}

static void put_note(struct image *im, size_t off, const char *name, uint32_t type,
                     uint32_t descsz)
{
    Elf64_Nhdr *n = (Elf64_Nhdr *)(im->b + off);
    n->n_namesz = (uint32_t)strlen(name) + 1;
    n->n_descsz = descsz;
    n->n_type = type;
    memcpy(im->b + off + sizeof *n, name, n->n_namesz);
}

static void set_phdr(Elf64_Phdr *p, uint32_t type, uint32_t flags, uint64_t off,
                     uint64_t vaddr, uint64_t filesz, uint64_t memsz, uint64_t align)
{
    *p = (Elf64_Phdr){
        .p_type = type, .p_flags = flags, .p_offset = off, .p_vaddr = vaddr,
        .p_paddr = vaddr, .p_filesz = filesz, .p_memsz = memsz, .p_align = align,
    };
}

static void build_ehdr(struct image *im, unsigned phnum)
{
    Elf64_Ehdr *e = ehdr(im);
    memcpy(e->e_ident, ELFMAG, SELFMAG);
    e->e_ident[EI_CLASS] = ELFCLASS64;
    e->e_ident[EI_DATA] = ELFDATA2LSB;
    e->e_ident[EI_VERSION] = EV_CURRENT;
    e->e_ident[EI_OSABI] = ELFOSABI_NONE;
    e->e_type = ET_EXEC;
    e->e_machine = EM_X86_64;
    e->e_version = EV_CURRENT;
    e->e_entry = TEXT_VADDR;
    e->e_phoff = PH_OFF;
    e->e_ehsize = sizeof(Elf64_Ehdr);
    e->e_phentsize = sizeof(Elf64_Phdr);
    e->e_phnum = (uint16_t)phnum;
}

/* The halt struct and both Solo5 notes; returns the rodata size. */
static size_t build_rodata(struct image *im, unsigned entries, bool blk)
{
    struct hvt_hc_halt *h = (struct hvt_hc_halt *)(im->b + HALT_OFF);
    h->cookie = 0;
    h->exit_status = HALT_STATUS;

    put_note(im, ABI_NOTE_OFF, HVT_NOTE_NAME, HVT_NOTE_TYPE_ABI1,
             sizeof(struct hvt_abi1_desc));
    struct hvt_abi1_desc *abi = (struct hvt_abi1_desc *)(im->b + ABI_DESC_OFF);
    abi->abi_target = HVT_ABI_TARGET_HVT;
    abi->abi_version = HVT_ABI_VERSION;

    put_note(im, MFT_NOTE_OFF, HVT_NOTE_NAME, HVT_NOTE_TYPE_MFT1,
             (uint32_t)(HVT_NOTE_MFT1_PAD + MFT_SIZE(entries)));
    struct mft *m = (struct mft *)(im->b + MFT_OFF);
    m->version = MFT_VERSION;
    m->entries = entries;
    m->e[0].type = MFT_RESERVED_FIRST;
    if (blk) {
        strcpy(m->e[1].name, "storage");
        m->e[1].type = MFT_DEV_BLOCK_BASIC;
    }
    return EXTRA_OFF(entries) - RODATA_OFF;
}

/*
 * Headers a Solo5-built image has and a loader must ignore: PT_INTERP, an
 * empty PT_LOAD at vaddr 0, a BSS-only PT_LOAD reaching past guest memory,
 * and an "OpenBSD" note in the first PT_NOTE. OSABI is not checked either.
 */
static size_t build_solo5_extras(struct image *im, unsigned entries, Elf64_Phdr *p)
{
    static const char interp[24] = "/nonexistent/solo5/";
    size_t bsd_off = EXTRA_OFF(entries);
    size_t interp_off = bsd_off + HVT_NOTE_HDR_SIZE + 4;

    put_note(im, bsd_off, "OpenBSD", 1, 4);     /* name padded to 8, desc 0 */
    memcpy(im->b + interp_off, interp, sizeof interp);
    ehdr(im)->e_ident[EI_OSABI] = 0xff;
    ehdr(im)->e_ident[EI_ABIVERSION] = 1;

    uint64_t va = RODATA_VADDR + (bsd_off - RODATA_OFF);
    set_phdr(&p[0], PT_LOAD, PF_R, 0, 0, 0, 0, PAGE);
    set_phdr(&p[1], PT_LOAD, PF_R | PF_W, 0, RODATA_VADDR + PAGE, 0, MEM_2M, PAGE);
    set_phdr(&p[2], PT_NOTE, PF_R, bsd_off, va, 24, 24, 4);
    set_phdr(&p[3], PT_INTERP, PF_R, interp_off, va + 24, sizeof interp, sizeof interp, 1);
    return interp_off + sizeof interp - RODATA_OFF;
}

static void build(struct image *im, const struct shape *s)
{
    unsigned entries = s->blk ? 2 : 1;
    unsigned phnum = s->solo5 ? PH_COUNT + 4 : PH_COUNT;
    Elf64_Phdr p[PH_COUNT + 4];

    memset(im->b, 0, IMAGE_CAP);
    im->len = TEXT_OFF + TEXT_SIZE;
    build_ehdr(im, phnum);
    memcpy(im->b + TEXT_OFF, text_code, TEXT_SIZE);
    size_t rodata = build_rodata(im, entries, s->blk);
    if (s->solo5)
        rodata = build_solo5_extras(im, entries, &p[PH_COUNT]);

    set_phdr(&p[PH_TEXT], PT_LOAD, s->solo5 ? PF_X : PF_R | PF_X, TEXT_OFF, TEXT_VADDR,
             TEXT_SIZE, TEXT_SIZE, PAGE);
    set_phdr(&p[PH_RODATA], PT_LOAD, PF_R, RODATA_OFF, RODATA_VADDR, rodata, rodata, PAGE);
    set_phdr(&p[PH_ABI], PT_NOTE, PF_R, ABI_NOTE_OFF,
             RODATA_VADDR + (ABI_NOTE_OFF - RODATA_OFF),
             HVT_NOTE_HDR_SIZE + sizeof(struct hvt_abi1_desc),
             HVT_NOTE_HDR_SIZE + sizeof(struct hvt_abi1_desc), 4);
    set_phdr(&p[PH_MFT], PT_NOTE, PF_R, MFT_NOTE_OFF,
             RODATA_VADDR + (MFT_NOTE_OFF - RODATA_OFF),
             mft_note_size(entries), mft_note_size(entries), 4);

    if (s->solo5) {
        /* Solo5 order: INTERP, text, rodata, tdata, BSS, then the notes. */
        Elf64_Phdr o[] = { p[PH_COUNT + 3], p[PH_TEXT], p[PH_RODATA], p[PH_COUNT],
                           p[PH_COUNT + 1], p[PH_COUNT + 2], p[PH_ABI], p[PH_MFT] };
        memcpy(phdr(im, 0), o, sizeof o);
    } else {
        memcpy(phdr(im, 0), p, PH_COUNT * sizeof p[0]);
    }
}

/* --- Mutations ---------------------------------------------------------- */

/* Overwrite one little-endian field at a file offset. */
struct edit {
    size_t at;
    unsigned width;     /* 0: no edit */
    uint64_t value;
};

#define FIELD(base, type, f, v) \
    { .at = (base) + offsetof(type, f), .width = sizeof(((type *)0)->f), .value = (uint64_t)(v) }
#define EH(f, v)      FIELD(0, Elf64_Ehdr, f, v)
#define PH(i, f, v)   FIELD(PH_OFF + (i) * sizeof(Elf64_Phdr), Elf64_Phdr, f, v)
#define NOTE(o, f, v) FIELD(o, Elf64_Nhdr, f, v)
#define ABI(f, v)     FIELD(ABI_DESC_OFF, struct hvt_abi1_desc, f, v)
#define MFT(f, v)     FIELD(MFT_OFF, struct mft, f, v)
#define ENT(i, f, v)  FIELD(ENTRY_OFF(i), struct mft_entry, f, v)
#define BYTE(o, v)    { .at = (o), .width = 1, .value = (uint64_t)(v) }

struct variant {
    const char *file;
    const char *expect;         /* NULL: must run and HALT 7 */
    bool blk;                   /* derive from valid-blk.hvt */
    struct edit edit[2];
    bool cut;                   /* truncate the file to `keep` bytes */
    size_t keep;
    void (*fn)(struct image *); /* a mutation that is not a field write */
};

#define CUT(n) .cut = true, .keep = (n)
#define BAD(f, m, ...)     { .file = (f), .expect = (m), .edit = { __VA_ARGS__ } }
#define GOOD(f, ...)       BAD(f, NULL, __VA_ARGS__)
#define BAD_BLK(f, m, ...) { .file = (f), .expect = (m), .blk = true, .edit = { __VA_ARGS__ } }

/* Expected diagnostics. The first four are the spec's own words. The spec
 * says per-segment errors usually read "invalid executable: phdr[i] ...",
 * and gives no wording for an unreadable program header table, so those
 * two stay short to leave the details to the loader. */
#define M_HDR   "invalid or unsupported executable"
#define M_NOTE  "note does not fall within valid size"
#define M_MFT   "Solo5 manifest is invalid"
#define M_WX    "requests WRITE and EXEC permissions"
#define M_PHDR  "invalid executable: phdr"     /* per-segment checks (1.2) */
#define M_PHTAB "invalid executable"           /* program header table unreadable */

static void swap_load_segments(struct image *im)
{
    Elf64_Phdr t = *phdr(im, PH_TEXT);
    *phdr(im, PH_TEXT) = *phdr(im, PH_RODATA);
    *phdr(im, PH_RODATA) = t;
}

/* The rodata reaches exactly the end of guest memory: still acceptable. */
static void rodata_to_edge(struct image *im)
{
    phdr(im, PH_RODATA)->p_memsz = MEM_2M - RODATA_VADDR;
}

static const struct variant variants[] = {
    /* Controls. */
    GOOD("valid-osabi.hvt", BYTE(EI_OSABI, 0x61), BYTE(EI_ABIVERSION, 3)),
    { .file = "valid-edge.hvt", .fn = rodata_to_edge },

    /* ELF header (1.1). */
    { .file = "bad-empty.hvt", .expect = M_HDR, CUT(0) },
    { .file = "bad-short.hvt", .expect = M_HDR, CUT(sizeof(Elf64_Ehdr) - 1) },
    BAD("bad-magic.hvt", M_HDR, BYTE(EI_MAG1, 'e')),
    BAD("bad-class32.hvt", M_HDR, BYTE(EI_CLASS, ELFCLASS32)),
    BAD("bad-bigendian.hvt", M_HDR, BYTE(EI_DATA, ELFDATA2MSB)),
    BAD("bad-version.hvt", M_HDR, EH(e_version, 2)),
    BAD("bad-version0.hvt", M_HDR, EH(e_version, 0)),
    BAD("bad-ehsize.hvt", M_HDR, EH(e_ehsize, sizeof(Elf32_Ehdr))),
    BAD("bad-phentsize.hvt", M_HDR, EH(e_phentsize, sizeof(Elf32_Phdr))),
    BAD("bad-phnum0.hvt", M_HDR, EH(e_phnum, 0)),
    BAD("bad-type-dyn.hvt", M_HDR, EH(e_type, ET_DYN)),
    BAD("bad-type-rel.hvt", M_HDR, EH(e_type, ET_REL)),
    BAD("bad-machine.hvt", M_HDR, EH(e_machine, EM_386)),
    BAD("bad-entry-low.hvt", M_HDR, EH(e_entry, TEXT_VADDR - 1)),
    BAD("bad-entry-zero.hvt", M_HDR, EH(e_entry, 0)),
    BAD("bad-entry-high.hvt", M_HDR, EH(e_entry, 0x300000)),
    BAD("bad-entry-at-mem.hvt", M_HDR, EH(e_entry, MEM_2M)),
    BAD("bad-entry-huge.hvt", M_HDR, EH(e_entry, UINT64_MAX)),

    /* Program header table. */
    BAD("bad-phoff-eof.hvt", M_PHTAB, EH(e_phoff, 0x100000)),
    BAD("bad-phoff-straddle.hvt", M_PHTAB, EH(e_phoff, TEXT_OFF)),
    BAD("bad-phoff-wrap.hvt", M_PHTAB, EH(e_phoff, UINT64_MAX - 0x3f)),
    BAD("bad-phnum-eof.hvt", M_PHTAB, EH(e_phnum, 1000)),

    /* Note lookup (1.4). */
    BAD("bad-note-filesz.hvt", M_NOTE, PH(PH_ABI, p_filesz, 11)),
    BAD("bad-note-filesz0.hvt", M_NOTE, PH(PH_ABI, p_filesz, 0)),
    BAD("bad-note-short.hvt", M_NOTE,
        PH(PH_ABI, p_filesz, HVT_NOTE_HDR_SIZE + sizeof(struct hvt_abi1_desc) - 1)),
    BAD("bad-note-descsz-max.hvt", M_NOTE,
        NOTE(ABI_NOTE_OFF, n_descsz, HVT_NOTE_ABI1_MAX + 1)),
    BAD("bad-note-descsz0.hvt", M_NOTE, NOTE(ABI_NOTE_OFF, n_descsz, 0)),
    /* 20 + n_descsz wraps to 0 in 32 bits: only the maximum stops it. */
    BAD("bad-note-descsz-wrap.hvt", M_NOTE,
        NOTE(MFT_NOTE_OFF, n_descsz, UINT32_MAX - HVT_NOTE_HDR_SIZE + 1)),
    BAD("bad-mft-descsz-max.hvt", M_NOTE,
        NOTE(MFT_NOTE_OFF, n_descsz, HVT_NOTE_MFT1_MAX + 1)),
    BAD("bad-mft-descsz1.hvt", M_NOTE, NOTE(MFT_NOTE_OFF, n_descsz, 1)),
    BAD("bad-mft-descsz-pad.hvt", M_NOTE,
        NOTE(MFT_NOTE_OFF, n_descsz, HVT_NOTE_MFT1_PAD)),
    BAD("bad-note-offset-eof.hvt", M_NOTE, PH(PH_ABI, p_offset, 0x100000)),
    BAD("bad-note-offset-wrap.hvt", M_NOTE, PH(PH_MFT, p_offset, UINT64_MAX - 7)),

    /* ABI1 (1.5). */
    BAD("bad-abi-missing.hvt", "No Solo5 ABI information found in executable",
        PH(PH_ABI, p_type, PT_NULL)),
    BAD("bad-abi-name.hvt", "No Solo5 ABI information found in executable",
        BYTE(ABI_NOTE_OFF + sizeof(Elf64_Nhdr) + 4, '6')),
    BAD("bad-abi-namesz.hvt", "No Solo5 ABI information found in executable",
        NOTE(ABI_NOTE_OFF, n_namesz, 5)),
    BAD("bad-abi-target.hvt", "Executable is not for the solo5-hvt target",
        ABI(abi_target, 2)),
    BAD("bad-abi-version1.hvt", "Executable requests unsupported ABI version 1",
        ABI(abi_version, 1)),
    BAD("bad-abi-version3.hvt", "Executable requests unsupported ABI version 3",
        ABI(abi_version, 3)),

    /* MFT1 (1.6). */
    BAD("bad-mft-missing.hvt", "No Solo5 manifest found in executable",
        PH(PH_MFT, p_type, PT_NULL)),
    BAD("bad-mft-version.hvt", M_MFT, MFT(version, 2)),
    BAD("bad-mft-entries0.hvt", M_MFT, MFT(entries, 0)),
    BAD("bad-mft-entries65.hvt", M_MFT, MFT(entries, MFT_MAX_ENTRIES + 1)),
    /* 8 + 104 * entries wraps to the true size in 32 bits. */
    BAD("bad-mft-entries-wrap.hvt", M_MFT, MFT(entries, 0x20000001)),
    BAD("bad-mft-size.hvt", M_MFT,
        NOTE(MFT_NOTE_OFF, n_descsz, HVT_NOTE_MFT1_PAD + MFT_SIZE(1) - 8)),
    BAD("bad-mft-payload7.hvt", M_MFT,
        NOTE(MFT_NOTE_OFF, n_descsz, HVT_NOTE_MFT1_PAD + 7)),
    BAD_BLK("bad-mft-entries-short.hvt", M_MFT, MFT(entries, 1)),
    BAD("bad-mft-e0-type.hvt", M_MFT, ENT(0, type, MFT_DEV_BLOCK_BASIC)),
    BAD("bad-mft-e0-name.hvt", M_MFT, ENT(0, name[0], 'x')),
    BAD("bad-mft-e0-name67.hvt", M_MFT, ENT(0, name[MFT_NAME_SIZE - 1], 'x')),
    BAD("bad-mft-e0-attached.hvt", M_MFT, ENT(0, attached, 1)),
    BAD_BLK("bad-mft-e1-name67.hvt", M_MFT, ENT(1, name[MFT_NAME_SIZE - 1], 'x')),
    BAD_BLK("bad-mft-e1-attached.hvt", M_MFT, ENT(1, attached, 1)),

    /* PT_LOAD (1.2), against 2 MiB of guest memory. */
    BAD("bad-load-vaddr-low.hvt", M_PHDR, PH(PH_TEXT, p_vaddr, TEXT_VADDR - PAGE)),
    { .file = "bad-load-unsorted.hvt", .expect = M_PHDR, .fn = swap_load_segments },
    BAD("bad-load-overlap.hvt", M_PHDR, PH(PH_RODATA, p_vaddr, TEXT_VADDR + 0x800)),
    /* Rounding the start down to p_align reaches into the text. */
    BAD("bad-load-overlap-align.hvt", M_PHDR, PH(PH_RODATA, p_align, 2 * PAGE)),
    BAD("bad-load-start-low.hvt", M_PHDR, PH(PH_TEXT, p_align, MEM_2M)),
    BAD("bad-load-align0.hvt", M_PHDR, PH(PH_TEXT, p_align, 0)),
    BAD("bad-load-align-npot.hvt", M_PHDR, PH(PH_TEXT, p_align, 0x1800)),
    BAD("bad-load-vaddr-mem.hvt", M_PHDR, PH(PH_RODATA, p_vaddr, MEM_2M)),
    BAD("bad-load-filesz-mem.hvt", M_PHDR,
        PH(PH_RODATA, p_filesz, MEM_2M - RODATA_VADDR + 1)),
    /* p_vaddr + p_filesz wraps to 0x10: a naive bound check passes. */
    BAD("bad-load-filesz-wrap.hvt", M_PHDR,
        PH(PH_TEXT, p_filesz, 0x10 - TEXT_VADDR)),
    BAD("bad-load-memsz-small.hvt", M_PHDR, PH(PH_TEXT, p_memsz, TEXT_SIZE - 1)),
    BAD("bad-load-memsz-wrap.hvt", M_PHDR, PH(PH_TEXT, p_memsz, 0x10 - TEXT_VADDR)),
    BAD("bad-load-memsz-huge.hvt", M_PHDR, PH(PH_RODATA, p_memsz, MEM_2M)),
    BAD("bad-load-memsz-mem.hvt", M_PHDR,
        PH(PH_RODATA, p_memsz, MEM_2M - RODATA_VADDR + 1)),
    BAD("bad-load-align16.hvt", M_PHDR, PH(PH_TEXT, p_align, 16)),
    BAD("bad-load-unaligned-start.hvt", M_PHDR,
        PH(PH_RODATA, p_vaddr, RODATA_VADDR + 0x10), PH(PH_RODATA, p_align, 16)),
    BAD("bad-load-wx.hvt", M_WX, PH(PH_TEXT, p_flags, PF_R | PF_W | PF_X)),
    BAD("bad-load-wx-noread.hvt", M_WX, PH(PH_RODATA, p_flags, PF_W | PF_X)),
    BAD("bad-load-offset-eof.hvt", M_PHDR, PH(PH_TEXT, p_offset, 0x100000)),
    BAD("bad-load-offset-straddle.hvt", M_PHDR,
        PH(PH_TEXT, p_offset, TEXT_OFF + 4)),
    BAD("bad-load-offset-wrap.hvt", M_PHDR, PH(PH_TEXT, p_offset, UINT64_MAX - 3)),
    { .file = "bad-truncated.hvt", .expect = M_PHDR, CUT(TEXT_OFF + TEXT_SIZE / 2) },
};

static void apply_edit(struct image *im, const struct edit *e)
{
    for (unsigned i = 0; i < e->width; i++)
        im->b[e->at + i] = (uint8_t)(e->value >> (8 * i));
}

static void mutate(struct image *im, const struct variant *v)
{
    for (size_t i = 0; i < sizeof v->edit / sizeof v->edit[0]; i++)
        apply_edit(im, &v->edit[i]);
    if (v->fn != NULL)
        v->fn(im);
    if (v->cut)
        im->len = v->keep;
}

/* --- Output ------------------------------------------------------------- */

static int write_file(const char *dir, const char *name, const void *buf, size_t len)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        fprintf(stderr, "mkelf: %s/%s: path too long\n", dir, name);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "mkelf: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = len ? fwrite(buf, 1, len, f) : 0;
    if (fclose(f) != 0 || n != len) {
        fprintf(stderr, "mkelf: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

static int write_image(const char *dir, const char *name, const struct image *im)
{
    return write_file(dir, name, im->b, im->len);
}

/* Append one line to a text buffer; the lists are small and bounded. */
static int list_add(char *list, size_t cap, const char *name, const char *expect)
{
    size_t used = strlen(list);
    int n = expect != NULL ? snprintf(list + used, cap - used, "%s\t%s\n", name, expect)
                           : snprintf(list + used, cap - used, "%s\n", name);
    if (n < 0 || (size_t)n >= cap - used) {
        fprintf(stderr, "mkelf: case list overflow at %s\n", name);
        return -1;
    }
    return 0;
}

static int write_variants(const char *dir, const struct image *valid,
                          const struct image *blk, struct image *work)
{
    static char cases[16384], valids[2048];
    if (list_add(valids, sizeof valids, "valid.hvt", NULL) < 0 ||
        list_add(valids, sizeof valids, "valid-solo5.hvt", NULL) < 0)
        return -1;

    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        const struct variant *v = &variants[i];
        const struct image *base = v->blk ? blk : valid;
        memcpy(work->b, base->b, IMAGE_CAP);
        work->len = base->len;
        mutate(work, v);
        if (write_image(dir, v->file, work) < 0)
            return -1;
        int rc = v->expect != NULL ? list_add(cases, sizeof cases, v->file, v->expect)
                                   : list_add(valids, sizeof valids, v->file, NULL);
        if (rc < 0)
            return -1;
    }
    if (write_file(dir, "cases.txt", cases, strlen(cases)) < 0 ||
        write_file(dir, "valid.txt", valids, strlen(valids)) < 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mkelf OUTDIR\n");
        return 2;
    }
    const char *dir = argv[1];
    struct image valid = { malloc(IMAGE_CAP), 0 };
    struct image blk = { malloc(IMAGE_CAP), 0 };
    struct image work = { malloc(IMAGE_CAP), 0 };
    int rc = 1;
    if (valid.b == NULL || blk.b == NULL || work.b == NULL) {
        fprintf(stderr, "mkelf: out of memory\n");
        goto out;
    }

    build(&valid, &(struct shape){ .blk = false });
    build(&blk, &(struct shape){ .blk = true });
    build(&work, &(struct shape){ .solo5 = true });
    if (write_image(dir, "valid.hvt", &valid) < 0 ||
        write_image(dir, "valid-blk.hvt", &blk) < 0 ||
        write_image(dir, "valid-solo5.hvt", &work) < 0 ||
        write_variants(dir, &valid, &blk, &work) < 0)
        goto out;
    rc = 0;
out:
    free(valid.b);
    free(blk.b);
    free(work.b);
    return rc;
}
