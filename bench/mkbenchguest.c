/*
 * mkbenchguest OUTDIR N: write the benchmark guests, hand-assembled.
 *
 * The guests are built here rather than with the guest runtime so that a
 * benchmark measures the monitor and nothing else: each is a few dozen
 * bytes of general-register code, because on a nested host KVM emulates
 * every guest instruction and x87/SSE/AVX cannot be emulated at all.
 *
 *   quiet.hvt       HALT 0 at once: start-up is exec to exit.
 *   first-puts.hvt  PUTS of one byte ("."), then HALT 0: the byte marks the
 *                   first KVM_RUN.
 *   walltime.hvt    N WALLTIME hypercalls in a loop `out; loop`, timed with
 *                   RDTSC; PUTS 24 bytes (u64 TSC cycles of the loop,
 *                   boot_info.cpu_cycle_freq, N), then HALT 0.
 *   walltime0.hvt   the same with N = 0: the cost of everything but the loop.
 *   idle.hvt        POLL with a one-hour timeout, forever: a running guest
 *                   that costs no CPU, for the hostd benchmarks that keep
 *                   hundreds of domains up on a small host.
 *
 * File layout:
 *   0x0000  ELF header, program headers (not loaded)
 *   0x1000  text,   vaddr 0x100000, RX
 *   0x2000  rodata, vaddr 0x101000, R:  ABI1 note, MFT1 note
 *   0x3000  data,   vaddr 0x102000, RW: hypercall argument structs
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvt_abi.h"

#define PAGE          0x1000UL
#define TEXT_OFF      0x1000UL
#define RODATA_OFF    0x2000UL
#define DATA_OFF      0x3000UL
#define TEXT_VADDR    0x100000UL
#define RODATA_VADDR  0x101000UL
#define DATA_VADDR    0x102000UL
#define IMAGE_SIZE    (DATA_OFF + PAGE)

/* The data page: argument structs at fixed offsets. */
#define D_HALT        0x00    /* struct hvt_hc_halt: cookie 0, status 0 */
#define D_PUTS_BYTE   0x10    /* struct hvt_hc_puts: one byte at D_BYTE */
#define D_PUTS_RESULT 0x20    /* struct hvt_hc_puts: 24 bytes at D_RESULT */
#define D_WALLTIME    0x30    /* struct hvt_hc_walltime */
#define D_RESULT      0x40    /* u64 cycles, u64 cpu_cycle_freq, u64 N */
#define RESULT_SIZE   24
#define D_BYTE        0x58
#define D_POLL        0x60    /* struct hvt_hc_poll: IDLE_TIMEOUT_NS */
#define DATA_SIZE     0x78
#define GPA(off)      ((uint32_t)(DATA_VADDR + (off)))
#define IDLE_TIMEOUT_NS 3600000000000ULL   /* an hour: one wake-up, then sleep again */

#define ABI_NOTE_OFF  RODATA_OFF
#define MFT_NOTE_OFF  (RODATA_OFF + 0x28)
#define ABI_NOTE_SIZE (HVT_NOTE_HDR_SIZE + sizeof(struct hvt_abi1_desc))
#define MFT_NOTE_SIZE (HVT_NOTE_HDR_SIZE + HVT_NOTE_MFT1_PAD + MFT_SIZE(1))

enum { PH_TEXT, PH_RODATA, PH_DATA, PH_ABI, PH_MFT, PH_COUNT };

/* --- A tiny assembler: just the instructions the guests use. ----------- */

struct code {
    uint8_t b[256];
    size_t n;
};

static void emit(struct code *c, size_t len, const uint8_t *bytes)
{
    if (c->n + len > sizeof c->b) {
        fprintf(stderr, "mkbenchguest: code buffer overflow\n");
        exit(1);
    }
    memcpy(c->b + c->n, bytes, len);
    c->n += len;
}

#define EMIT(c, ...) \
    emit((c), sizeof((const uint8_t[]){ __VA_ARGS__ }), (const uint8_t[]){ __VA_ARGS__ })
#define IMM32(v) (uint8_t)(v), (uint8_t)((v) >> 8), (uint8_t)((v) >> 16), (uint8_t)((v) >> 24)

static void mov_eax(struct code *c, uint32_t v) { EMIT(c, 0xb8, IMM32(v)); }
static void mov_ebx(struct code *c, uint32_t v) { EMIT(c, 0xbb, IMM32(v)); }
static void mov_ecx(struct code *c, uint32_t v) { EMIT(c, 0xb9, IMM32(v)); }   /* zero-extends */
static void mov_dx(struct code *c, uint16_t v) { EMIT(c, 0x66, 0xba, (uint8_t)v, (uint8_t)(v >> 8)); }
static void out_eax_dx(struct code *c) { EMIT(c, 0xef); }

/* rdx = TSC (64 bits); clobbers rax. */
static void rdtsc_rdx(struct code *c)
{
    EMIT(c, 0x0f, 0x31,                 /* rdtsc */
         0x48, 0xc1, 0xe2, 0x20,        /* shl $32,%rdx */
         0x48, 0x09, 0xc2);             /* or %rax,%rdx */
}

static void hypercall(struct code *c, unsigned nr, uint32_t arg_gpa)
{
    mov_eax(c, arg_gpa);
    mov_dx(c, (uint16_t)(HVT_HYPERCALL_PIO_BASE + nr));
    out_eax_dx(c);
}

static void halt_and_spin(struct code *c)
{
    hypercall(c, HVT_HYPERCALL_HALT, GPA(D_HALT));
    EMIT(c, 0xeb, 0xfe);                /* jmp . (never reached) */
}

static void code_quiet(struct code *c)
{
    halt_and_spin(c);
}

static void code_first_puts(struct code *c)
{
    hypercall(c, HVT_HYPERCALL_PUTS, GPA(D_PUTS_BYTE));
    halt_and_spin(c);
}

/*
 * The loop body is two instructions, `out %eax,%dx; loop 1b`, the fewest
 * that can count: kvm-bare runs this very image, so both sides execute
 * the same guest instructions and differ only in how the host answers.
 */
static void code_walltime(struct code *c, uint32_t n)
{
    rdtsc_rdx(c);
    EMIT(c, 0x49, 0x89, 0xd0);          /* mov %rdx,%r8: start */
    mov_ecx(c, n);
    mov_eax(c, GPA(D_WALLTIME));
    mov_dx(c, HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_WALLTIME);
    EMIT(c, 0xe3, 0x03);                /* jrcxz 2f: N = 0 must not loop 2^64 times */
    out_eax_dx(c);                      /* 1: */
    EMIT(c, 0xe2, 0xfd);                /* loop 1b */
    rdtsc_rdx(c);                       /* 2: */
    EMIT(c, 0x4c, 0x29, 0xc2);          /* sub %r8,%rdx */
    mov_ebx(c, GPA(D_RESULT));
    EMIT(c, 0x48, 0x89, 0x13,           /* mov %rdx,(%rbx): cycles */
         0x48, 0x8b, 0x47, 0x10,        /* mov 16(%rdi),%rax: boot_info.cpu_cycle_freq */
         0x48, 0x89, 0x43, 0x08);       /* mov %rax,8(%rbx) */
    hypercall(c, HVT_HYPERCALL_PUTS, GPA(D_PUTS_RESULT));
    halt_and_spin(c);
}

/* No device is ready, ever: each POLL sleeps until its timer. */
static void code_idle(struct code *c)
{
    mov_eax(c, GPA(D_POLL));
    mov_dx(c, HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_POLL);
    out_eax_dx(c);                      /* 1: */
    EMIT(c, 0xeb, 0xfd);                /* jmp 1b */
}

/* --- The ELF image ------------------------------------------------------ */

static void put_u64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof v);
}

static void note(uint8_t *at, uint32_t type, uint32_t descsz)
{
    Elf64_Nhdr n = { .n_namesz = HVT_NOTE_NAMESZ, .n_descsz = descsz, .n_type = type };
    memcpy(at, &n, sizeof n);
    memcpy(at + sizeof n, HVT_NOTE_NAME, HVT_NOTE_NAMESZ);
}

static void rodata(uint8_t *img)
{
    note(img + ABI_NOTE_OFF, HVT_NOTE_TYPE_ABI1, sizeof(struct hvt_abi1_desc));
    struct hvt_abi1_desc abi = { .abi_target = HVT_ABI_TARGET_HVT,
                                 .abi_version = HVT_ABI_VERSION };
    memcpy(img + ABI_NOTE_OFF + HVT_NOTE_HDR_SIZE, &abi, sizeof abi);

    /* A manifest with only the reserved entry 0: no devices. */
    note(img + MFT_NOTE_OFF, HVT_NOTE_TYPE_MFT1, HVT_NOTE_MFT1_PAD + MFT_SIZE(1));
    uint8_t *m = img + MFT_NOTE_OFF + HVT_NOTE_HDR_SIZE + HVT_NOTE_MFT1_PAD;
    struct mft hdr = { .version = MFT_VERSION, .entries = 1 };
    memcpy(m, &hdr, sizeof hdr);
    uint32_t reserved = MFT_RESERVED_FIRST;
    memcpy(m + sizeof hdr + offsetof(struct mft_entry, type), &reserved, sizeof reserved);
}

/* n: the loop count, reported with the result so the driver cannot
 * divide by the wrong one. */
static void data(uint8_t *img, uint32_t n)
{
    uint8_t *d = img + DATA_OFF;
    /* The halt struct stays zero: no cookie, exit status 0. */
    put_u64(d + D_PUTS_BYTE, GPA(D_BYTE));
    put_u64(d + D_PUTS_BYTE + 8, 1);
    put_u64(d + D_PUTS_RESULT, GPA(D_RESULT));
    put_u64(d + D_PUTS_RESULT + 8, RESULT_SIZE);
    put_u64(d + D_RESULT + 16, n);
    put_u64(d + D_POLL, IDLE_TIMEOUT_NS);
    d[D_BYTE] = '.';
}

static Elf64_Phdr seg(uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
                      uint64_t size, uint64_t align)
{
    return (Elf64_Phdr){ .p_type = type, .p_flags = flags, .p_offset = off,
                         .p_vaddr = vaddr, .p_paddr = vaddr, .p_filesz = size,
                         .p_memsz = size, .p_align = align };
}

static void headers(uint8_t *img, size_t text_size)
{
    Elf64_Ehdr e = {
        .e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
        .e_entry = TEXT_VADDR, .e_phoff = sizeof(Elf64_Ehdr),
        .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
        .e_phnum = PH_COUNT,
    };
    memcpy(e.e_ident, ELFMAG, SELFMAG);
    e.e_ident[EI_CLASS] = ELFCLASS64;
    e.e_ident[EI_DATA] = ELFDATA2LSB;
    e.e_ident[EI_VERSION] = EV_CURRENT;
    memcpy(img, &e, sizeof e);

    Elf64_Phdr p[PH_COUNT];
    p[PH_TEXT] = seg(PT_LOAD, PF_R | PF_X, TEXT_OFF, TEXT_VADDR, text_size, PAGE);
    p[PH_RODATA] = seg(PT_LOAD, PF_R, RODATA_OFF, RODATA_VADDR,
                       MFT_NOTE_OFF - RODATA_OFF + MFT_NOTE_SIZE, PAGE);
    p[PH_DATA] = seg(PT_LOAD, PF_R | PF_W, DATA_OFF, DATA_VADDR, DATA_SIZE, PAGE);
    p[PH_ABI] = seg(PT_NOTE, PF_R, ABI_NOTE_OFF, RODATA_VADDR, ABI_NOTE_SIZE, 4);
    p[PH_MFT] = seg(PT_NOTE, PF_R, MFT_NOTE_OFF,
                    RODATA_VADDR + (MFT_NOTE_OFF - RODATA_OFF), MFT_NOTE_SIZE, 4);
    memcpy(img + sizeof e, p, sizeof p);
}

static int write_image(const char *dir, const char *name, const struct code *c, uint32_t loop_n)
{
    static uint8_t img[IMAGE_SIZE];
    memset(img, 0, sizeof img);
    headers(img, c->n);
    memcpy(img + TEXT_OFF, c->b, c->n);
    rodata(img);
    data(img, loop_n);

    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        fprintf(stderr, "mkbenchguest: %s/%s: path too long\n", dir, name);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "mkbenchguest: %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* The data page is written in full: the file ends at a page boundary. */
    size_t n = fwrite(img, 1, sizeof img, f);
    if (fclose(f) != 0 || n != sizeof img) {
        fprintf(stderr, "mkbenchguest: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char *end;
    unsigned long n = argc == 3 ? strtoul(argv[2], &end, 10) : 0;
    if (argc != 3 || *argv[2] == '\0' || *end != '\0' || n > UINT32_MAX) {
        fprintf(stderr, "usage: mkbenchguest OUTDIR N\n");
        return 2;
    }
    struct code quiet = { .n = 0 }, first = { .n = 0 }, loop = { .n = 0 }, loop0 = { .n = 0 };
    struct code idle = { .n = 0 };
    code_quiet(&quiet);
    code_first_puts(&first);
    code_walltime(&loop, (uint32_t)n);
    code_walltime(&loop0, 0);
    code_idle(&idle);
    if (write_image(argv[1], "quiet.hvt", &quiet, 0) < 0 ||
        write_image(argv[1], "first-puts.hvt", &first, 0) < 0 ||
        write_image(argv[1], "walltime.hvt", &loop, (uint32_t)n) < 0 ||
        write_image(argv[1], "walltime0.hvt", &loop0, 0) < 0 ||
        write_image(argv[1], "idle.hvt", &idle, 0) < 0)
        return 1;
    return 0;
}
