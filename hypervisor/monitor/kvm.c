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

/* Pass the host's KVM-supported CPUID through, growing the table as needed. */
static int setup_cpuid(struct hv *hv)
{
    for (unsigned n = 128; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof *c + n * sizeof(struct kvm_cpuid_entry2));
        if (c == NULL) {
            hv_err("KVM: out of memory for CPUID");
            return -1;
        }
        c->nent = n;
        if (ioctl(hv->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
            int e = errno;
            free(c);
            if (e == E2BIG)
                continue;
            errno = e;
            hv_err("KVM: ioctl (GET_SUPPORTED_CPUID) failed: %m");
            return -1;
        }
        int rc = ioctl(hv->vcpu.fd, KVM_SET_CPUID2, c);
        free(c);
        if (rc < 0) {
            hv_err("KVM: ioctl (SET_CPUID2) failed: %m");
            return -1;
        }
        return 0;
    }
    hv_err("KVM: ioctl (GET_SUPPORTED_CPUID) failed: table too large");
    return -1;
}

static void set_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t l,
                        uint8_t db)
{
    *s = (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
        .present = 1, .dpl = 0, .db = db, .s = 1, .l = l, .g = 1,
    };
}

static int setup_sregs(struct hv *hv)
{
    struct kvm_sregs sr;
    if (ioctl(hv->vcpu.fd, KVM_GET_SREGS, &sr) < 0) {
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
    if (ioctl(hv->vcpu.fd, KVM_SET_SREGS, &sr) < 0) {
        hv_err("KVM: ioctl (SET_SREGS) failed: %m");
        return -1;
    }
    return 0;
}

static int setup_tsc(struct hv *hv)
{
    int khz = ioctl(hv->vcpu.fd, KVM_GET_TSC_KHZ, 0);
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

int hv_kvm_vcpu_init(struct hv *hv)
{
    hv->vcpu.fd = ioctl(hv->vm_fd, KVM_CREATE_VCPU, 0);
    if (hv->vcpu.fd < 0) {
        hv_err("KVM: cannot create vCPU: %m");
        return -1;
    }
    int sz = ioctl(hv->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (sz < (int)sizeof(struct kvm_run)) {
        hv_err("KVM: ioctl (GET_VCPU_MMAP_SIZE) failed: %m");
        return -1;
    }
    void *run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, hv->vcpu.fd, 0);
    if (run == MAP_FAILED) {
        hv_err("KVM: cannot map the vCPU run area: %m");
        return -1;
    }
    hv->vcpu.run = run;
    hv->vcpu.run_size = (size_t)sz;

    if (setup_cpuid(hv) < 0 || setup_sregs(hv) < 0 || setup_tsc(hv) < 0)
        return -1;

    struct kvm_regs regs = {
        .rip = hv->entry,
        .rsp = hv->mem.size - 8,    /* as if _start had just been called */
        .rdi = HVT_BOOT_INFO_BASE,
        .rflags = 0x2,
    };
    if (ioctl(hv->vcpu.fd, KVM_SET_REGS, &regs) < 0) {
        hv_err("KVM: ioctl (SET_REGS) failed: %m");
        return -1;
    }
    return 0;
}

uint64_t hv_kvm_rip(const struct hv *hv)
{
    struct kvm_regs regs;
    if (hv->vcpu.fd < 0 || ioctl(hv->vcpu.fd, KVM_GET_REGS, &regs) < 0)
        return 0;
    return regs.rip;
}

void hv_kvm_close(struct hv *hv)
{
    if (hv->vcpu.run != NULL)
        munmap(hv->vcpu.run, hv->vcpu.run_size);
    if (hv->vcpu.fd >= 0)
        close(hv->vcpu.fd);
    if (hv->vm_fd >= 0)
        close(hv->vm_fd);
    if (hv->kvm_fd >= 0)
        close(hv->kvm_fd);
    hv->vcpu.run = NULL;
    hv->vcpu.fd = hv->vm_fd = hv->kvm_fd = -1;
}
