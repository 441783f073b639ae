/*
 * kvm-bare IMAGE: the floor under a hypercall. Runs a benchmark guest from
 * mkbenchguest in the least a KVM program can do, to compare skiff-hv's
 * hypercall round trip with a bare KVM_EXIT_IO round trip.
 *
 * The guest is the very image skiff-hv runs, so both execute the same
 * instructions. Here every OUT is answered by re-entering at once, except
 * PUTS, which copies its bytes to stdout the way the monitor does (the
 * driver reads the guest's TSC result from it), and HALT, which ends the
 * run. The VM has one memory slot, 2 MiB pages, a GDT, and nothing else:
 * no CPUID, no sandbox, no checks beyond what keeps this program safe.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvt_abi.h"

#define MEM_SIZE      (64UL << 20)  /* what the driver gives skiff-hv */
#define PDE_2M        0x83ULL       /* present, writable, 2 MiB page */
#define PTE_TABLE     0x03ULL       /* present, writable */

struct vm {
    int kvm, vm, vcpu;
    uint8_t *mem;
    struct kvm_run *run;
};

static int fail(const char *what)
{
    fprintf(stderr, "kvm-bare: %s: %s\n", what, strerror(errno));
    return -1;
}

/* Copy the PT_LOAD segments to their addresses; nothing more is needed. */
static int load(uint8_t *mem, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(path);
    static uint8_t file[1 << 16];
    ssize_t len = read(fd, file, sizeof file);
    close(fd);
    Elf64_Ehdr e;
    if (len < (ssize_t)sizeof e) {
        fprintf(stderr, "kvm-bare: %s: not a benchmark guest\n", path);
        return -1;
    }
    memcpy(&e, file, sizeof e);
    for (unsigned i = 0; i < e.e_phnum; i++) {
        Elf64_Phdr p;
        uint64_t at = e.e_phoff + (uint64_t)i * sizeof p;
        if (at + sizeof p > (uint64_t)len)
            goto bad;
        memcpy(&p, file + at, sizeof p);
        if (p.p_type != PT_LOAD)
            continue;
        if (p.p_offset + p.p_filesz > (uint64_t)len || p.p_vaddr + p.p_memsz > MEM_SIZE ||
            p.p_filesz > p.p_memsz)
            goto bad;
        memcpy(mem + p.p_vaddr, file + p.p_offset, p.p_filesz);
    }
    return (int)e.e_entry;
bad:
    fprintf(stderr, "kvm-bare: %s: bad program header\n", path);
    return -1;
}

/* Identity map guest memory with 2 MiB pages, at the ABI's addresses. */
static void page_tables(uint8_t *mem)
{
    uint64_t *pml4 = (uint64_t *)(mem + HVT_PML4_BASE);
    uint64_t *pdpt = (uint64_t *)(mem + HVT_PDPT_BASE);
    uint64_t *pd = (uint64_t *)(mem + HVT_PD_BASE);
    pml4[0] = HVT_PDPT_BASE | PTE_TABLE;
    pdpt[0] = HVT_PD_BASE | PTE_TABLE;
    for (uint64_t i = 0; i < MEM_SIZE / HVT_MEM_GRANULE; i++)
        pd[i] = i * HVT_MEM_GRANULE | PDE_2M;
    uint64_t *gdt = (uint64_t *)(mem + HVT_GDT_BASE);
    gdt[1] = 0x00AF9B000000FFFFULL;     /* 64-bit code */
    gdt[2] = 0x00CF93000000FFFFULL;     /* data */
}

static int long_mode(const struct vm *v, uint64_t entry, uint64_t tsc_hz)
{
    struct kvm_sregs s;
    if (ioctl(v->vcpu, KVM_GET_SREGS, &s) < 0)
        return fail("KVM_GET_SREGS");
    struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x08,
                                .type = 11, .present = 1, .s = 1, .l = 1, .g = 1 };
    struct kvm_segment dat = { .base = 0, .limit = 0xffffffff, .selector = 0x10,
                               .type = 3, .present = 1, .s = 1, .db = 1, .g = 1 };
    s.cs = code;
    s.ds = s.es = s.fs = s.gs = s.ss = dat;
    s.tr = (struct kvm_segment){ .type = 11, .present = 1 };
    s.gdt = (struct kvm_dtable){ .base = HVT_GDT_BASE, .limit = 0x17 };
    s.cr0 = 0x80010021;                 /* PE NE WP PG */
    s.cr3 = HVT_PML4_BASE;
    s.cr4 = 0x20;                       /* PAE */
    s.efer = 0x500;                     /* LME LMA */
    if (ioctl(v->vcpu, KVM_SET_SREGS, &s) < 0)
        return fail("KVM_SET_SREGS");

    /* The guest reads cpu_cycle_freq from boot info, as under skiff-hv. */
    struct hvt_boot_info *bi = (struct hvt_boot_info *)(v->mem + HVT_BOOT_INFO_BASE);
    bi->mem_size = MEM_SIZE;
    bi->cpu_cycle_freq = tsc_hz;
    struct kvm_regs r = { .rip = entry, .rsp = MEM_SIZE - 8, .rdi = HVT_BOOT_INFO_BASE,
                          .rflags = 2 };
    if (ioctl(v->vcpu, KVM_SET_REGS, &r) < 0)
        return fail("KVM_SET_REGS");
    return 0;
}

static int create(struct vm *v, const char *image)
{
    v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (v->kvm < 0)
        return fail("/dev/kvm");
    v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
    if (v->vm < 0)
        return fail("KVM_CREATE_VM");
    v->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (v->mem == MAP_FAILED)
        return fail("mmap");
    struct kvm_userspace_memory_region slot = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
        .userspace_addr = (uint64_t)(uintptr_t)v->mem,
    };
    if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
        return fail("KVM_SET_USER_MEMORY_REGION");
    v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
    if (v->vcpu < 0)
        return fail("KVM_CREATE_VCPU");
    int size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < 0)
        return fail("KVM_GET_VCPU_MMAP_SIZE");
    v->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
    if (v->run == MAP_FAILED)
        return fail("mmap kvm_run");
    int khz = ioctl(v->vcpu, KVM_GET_TSC_KHZ, 0);
    if (khz < 0)
        return fail("KVM_GET_TSC_KHZ");

    int entry = load(v->mem, image);
    if (entry < 0)
        return -1;
    page_tables(v->mem);
    return long_mode(v, (uint64_t)entry, (uint64_t)khz * 1000);
}

/* PUTS: the one hypercall the guest needs answered, outside the loop. */
static void puts_out(const struct vm *v, uint32_t gpa)
{
    struct hvt_hc_puts a;
    if (gpa > MEM_SIZE - sizeof a)
        return;
    memcpy(&a, v->mem + gpa, sizeof a);
    if (a.data < MEM_SIZE && a.len <= MEM_SIZE - a.data &&
        write(STDOUT_FILENO, v->mem + a.data, a.len) < 0)
        fail("write");
}

static int run(const struct vm *v)
{
    for (;;) {
        if (ioctl(v->vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR)
                continue;
            return fail("KVM_RUN");
        }
        if (v->run->exit_reason != KVM_EXIT_IO) {
            fprintf(stderr, "kvm-bare: unexpected exit %u\n", v->run->exit_reason);
            return -1;
        }
        unsigned port = v->run->io.port;
        if (port == HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_HALT)
            return 0;
        if (port == HVT_HYPERCALL_PIO_BASE + HVT_HYPERCALL_PUTS)
            puts_out(v, *(const uint32_t *)((const uint8_t *)v->run + v->run->io.data_offset));
        /* Anything else, the loop's WALLTIME port: straight back in. */
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: kvm-bare IMAGE\n");
        return 2;
    }
    struct vm v = { .kvm = -1, .vm = -1, .vcpu = -1 };
    if (create(&v, argv[1]) < 0 || run(&v) < 0)
        return 1;
    return 0;
}
