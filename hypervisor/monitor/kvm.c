#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot.h"
#include "kvm.h"
#include "log.h"

#define KVM_API_EXPECTED 12

int hv_kvm_init(struct hv *hv)
{
    hv->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (hv->kvm_fd < 0) {
        hv_err("KVM: cannot open /dev/kvm: %m");
        return -1;
    }
    int api = ioctl(hv->kvm_fd, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_EXPECTED) {
        hv_err("KVM: API version is %d, %s requires version %d", api, hv_progname(),
               KVM_API_EXPECTED);
        return -1;
    }
    if (ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0) {
        hv_err("KVM: host does not support KVM_CAP_USER_MEMORY");
        return -1;
    }
    if (ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ) != 1) {
        hv_err("KVM: host does not support KVM_CAP_GET_TSC_KHZ");
        return -1;
    }
    hv->vm_fd = ioctl(hv->kvm_fd, KVM_CREATE_VM, 0);
    if (hv->vm_fd < 0) {
        hv_err("KVM: cannot create VM: %m");
        return -1;
    }
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = hv->mem.alloc,
        .userspace_addr = (uint64_t)(uintptr_t)hv->mem.base,
    };
    if (ioctl(hv->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        hv_err("KVM: cannot register guest memory: %m");
        return -1;
    }
    return 0;
}

/* The host's KVM-supported CPUID, growing the table as needed. */
static struct kvm_cpuid2 *supported_cpuid(struct hv *hv)
{
    for (unsigned n = 128; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof *c + n * sizeof(struct kvm_cpuid_entry2));
        if (c == NULL) {
            hv_err("KVM: out of memory for CPUID");
            return NULL;
        }
        c->nent = n;
        if (ioctl(hv->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
            return c;
        int e = errno;
        free(c);
        if (e != E2BIG) {
            errno = e;
            hv_err("KVM: ioctl (GET_SUPPORTED_CPUID) failed: %m");
            return NULL;
        }
    }
    hv_err("KVM: ioctl (GET_SUPPORTED_CPUID) failed: table too large");
    return NULL;
}

/* Pass CPUID through, with the vCPU's index as its APIC ID. */
static int setup_cpuid(const struct hv_vcpu *v, struct kvm_cpuid2 *c)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        if (e->function == 1)
            e->ebx = (e->ebx & 0x00ffffffU) | ((v->index & 0xffU) << 24);
        else if (e->function == 0xb || e->function == 0x1f)
            e->edx = v->index;
    }
    if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0) {
        hv_err("KVM: ioctl (SET_CPUID2) failed: %m");
        return -1;
    }
    return 0;
}

static void set_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t l,
                        uint8_t db)
{
    *s = (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
        .present = 1, .dpl = 0, .db = db, .s = 1, .l = l, .g = 1,
    };
}

static int setup_sregs(const struct hv_vcpu *v)
{
    struct kvm_sregs sr;
    if (ioctl(v->fd, KVM_GET_SREGS, &sr) < 0) {
        hv_err("KVM: ioctl (GET_SREGS) failed: %m");
        return -1;
    }
    set_segment(&sr.cs, 0x08, 9, 1, 0);
    set_segment(&sr.ds, 0x10, 3, 0, 1);
    sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
    sr.tr = (struct kvm_segment){ .type = 11, .present = 1 };   /* dummy busy TSS */
    sr.ldt = (struct kvm_segment){ .unusable = 1 };
    sr.gdt.base = HVT_GDT_BASE;
    sr.gdt.limit = 3 * 8 - 1;
    sr.idt.base = 0;
    sr.idt.limit = 0;
    sr.cr0 = 0x80010021;        /* PE NE WP PG */
    sr.cr3 = HVT_PML4_BASE;
    sr.cr4 = 0x620;             /* PAE OSFXSR OSXMMEXCPT */
    sr.efer = 0x500;            /* LME LMA */
    sr.cr2 = 0;
    sr.cr8 = 0;
    if (ioctl(v->fd, KVM_SET_SREGS, &sr) < 0) {
        hv_err("KVM: ioctl (SET_SREGS) failed: %m");
        return -1;
    }
    return 0;
}

static int setup_tsc(struct hv *hv)
{
    int khz = ioctl(hv->vcpus[0].fd, KVM_GET_TSC_KHZ, 0);
    if (khz < 0) {
        if (errno == EIO)
            hv_err("KVM: host TSC is unstable, cannot continue");
        else
            hv_err("KVM: ioctl (GET_TSC_KHZ) failed: %m");
        return -1;
    }
    hv->tsc_hz = (uint64_t)khz * 1000;
    return 0;
}

/*
 * vCPU 0 starts at the image's entry like any hvt guest; in an SMP guest
 * it also gets the vCPU count in RSI. Secondaries start at the SMP entry
 * with their index (hvt_abi.h says what each register holds).
 */
static int setup_regs(const struct hv *hv, const struct hv_vcpu *v)
{
    struct kvm_regs regs = { .rflags = 0x2 };
    if (v->index == 0) {
        regs.rip = hv->entry;
        regs.rsp = hv->mem.size - 8;    /* as if _start had just been called */
        regs.rdi = HVT_BOOT_INFO_BASE;
        regs.rsi = hv->smp ? hv->nvcpus : 0;
    } else {
        regs.rip = hv->smp_entry;
        regs.rdi = v->index;
        regs.rsi = hv->nvcpus;
        regs.rdx = HVT_BOOT_INFO_BASE;
    }
    if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0) {
        hv_err("KVM: ioctl (SET_REGS) failed: %m");
        return -1;
    }
    return 0;
}

static int create_vcpu(struct hv *hv, struct hv_vcpu *v, size_t run_size,
                       struct kvm_cpuid2 *cpuid)
{
    v->fd = ioctl(hv->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->index);
    if (v->fd < 0) {
        hv_err("KVM: cannot create vCPU %u: %m", v->index);
        return -1;
    }
    void *run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (run == MAP_FAILED) {
        hv_err("KVM: cannot map the run area of vCPU %u: %m", v->index);
        return -1;
    }
    v->run = run;
    v->run_size = run_size;
    if (setup_cpuid(v, cpuid) < 0 || setup_sregs(v) < 0)
        return -1;
    if (v->index == 0 && setup_tsc(hv) < 0)
        return -1;
    return setup_regs(hv, v);
}

int hv_kvm_vcpu_init(struct hv *hv)
{
    if (hv->nvcpus > 1) {
        int max = ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
        if (max <= 0)
            max = ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
        if (max > 0 && hv->nvcpus > (unsigned)max) {
            hv_err("KVM: this host runs at most %d vCPUs per guest, not %u", max,
                   hv->nvcpus);
            return -1;
        }
    }
    hv->vcpus = calloc(hv->nvcpus, sizeof *hv->vcpus);
    if (hv->vcpus == NULL) {
        hv_err("out of memory for %u vCPUs", hv->nvcpus);
        return -1;
    }
    for (unsigned i = 0; i < hv->nvcpus; i++) {
        hv->vcpus[i] = (struct hv_vcpu){ .hv = hv, .index = i, .fd = -1, .host_cpu = -1 };
    }
    int sz = ioctl(hv->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (sz < (int)sizeof(struct kvm_run)) {
        hv_err("KVM: ioctl (GET_VCPU_MMAP_SIZE) failed: %m");
        return -1;
    }
    struct kvm_cpuid2 *cpuid = supported_cpuid(hv);
    if (cpuid == NULL)
        return -1;
    int rc = 0;
    for (unsigned i = 0; i < hv->nvcpus && rc == 0; i++)
        rc = create_vcpu(hv, &hv->vcpus[i], (size_t)sz, cpuid);
    free(cpuid);
    return rc;
}

uint64_t hv_kvm_rip(const struct hv_vcpu *v)
{
    struct kvm_regs regs;
    if (v == NULL || v->fd < 0 || ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
        return 0;
    return regs.rip;
}

void hv_kvm_close(struct hv *hv)
{
    for (unsigned i = 0; hv->vcpus != NULL && i < hv->nvcpus; i++) {
        struct hv_vcpu *v = &hv->vcpus[i];
        if (v->run != NULL)
            munmap(v->run, v->run_size);
        if (v->fd >= 0)
            close(v->fd);
        v->run = NULL;
        v->fd = -1;
    }
    if (hv->vm_fd >= 0)
        close(hv->vm_fd);
    if (hv->kvm_fd >= 0)
        close(hv->kvm_fd);
    hv->vm_fd = hv->kvm_fd = -1;
}
