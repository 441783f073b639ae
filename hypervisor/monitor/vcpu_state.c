/*
 * vCPU state for save, restore and migration. The guest runs in long
 * mode with no in-kernel irqchip, so what defines a vCPU is: general and
 * special registers, the XSAVE area (FPU/SSE/AVX), XCR0, pending events,
 * debug registers and a few MSRs (syscall targets, PAT, and the TSC,
 * which is the guest's monotonic clock: restoring it makes that clock
 * continue from the save, never going backwards).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "log.h"
#include "vcpu_state.h"

#define MSR_TSC 0x00000010

/* Read in this order; KVM stops at the first one it does not know, so the
 * optional ones come last. */
static const uint32_t msr_list[] = {
    0x00000010,     /* IA32_TSC */
    0x00000174,     /* SYSENTER_CS */
    0x00000175,     /* SYSENTER_ESP */
    0x00000176,     /* SYSENTER_EIP */
    0x00000277,     /* PAT */
    0xc0000081,     /* STAR */
    0xc0000082,     /* LSTAR */
    0xc0000083,     /* CSTAR */
    0xc0000084,     /* SFMASK */
    0xc0000102,     /* KERNEL_GS_BASE */
    0x000001a0,     /* MISC_ENABLE */
    0xc0000103,     /* TSC_AUX (needs RDTSCP) */
};
#define NMSR (sizeof msr_list / sizeof msr_list[0])

void hv_vcpu_state_settle(int fd, struct kvm_run *run)
{
    run->immediate_exit = 1;
    /* Returns EINTR at once, after completing the pending I/O. */
    (void)ioctl(fd, KVM_RUN, 0);
    run->immediate_exit = 0;
}

static int get_blob(int fd, unsigned long req, size_t size, ProtobufCBinaryData *out,
                    const char *what)
{
    void *p = calloc(1, size);
    if (p == NULL)
        return -ENOMEM;
    if (ioctl(fd, req, p) < 0) {
        int e = errno;
        free(p);
        hv_err("KVM: ioctl (GET_%s) failed: %s", what, strerror(e));
        return -e;
    }
    out->data = p;
    out->len = size;
    return 0;
}

static int get_msrs(int fd, Skiff__Snapshot__V1__VcpuState *s)
{
    struct {
        struct kvm_msrs h;
        struct kvm_msr_entry e[NMSR];
    } m;
    memset(&m, 0, sizeof m);
    m.h.nmsrs = NMSR;
    for (size_t i = 0; i < NMSR; i++)
        m.e[i].index = msr_list[i];
    int n = ioctl(fd, KVM_GET_MSRS, &m);
    if (n < 1) {
        hv_err("KVM: ioctl (GET_MSRS) failed: %m");
        return -EIO;
    }
    s->msrs = calloc((size_t)n, sizeof *s->msrs);
    Skiff__Snapshot__V1__Msr *v = calloc((size_t)n, sizeof *v);
    if (s->msrs == NULL || v == NULL) {
        free(v);
        return -ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        skiff__snapshot__v1__msr__init(&v[i]);
        v[i].index = m.e[i].index;
        v[i].value = m.e[i].data;
        s->msrs[i] = &v[i];
    }
    s->n_msrs = (size_t)n;
    return 0;
}

int hv_vcpu_state_get(int fd, unsigned index, Skiff__Snapshot__V1__VcpuState *s)
{
    skiff__snapshot__v1__vcpu_state__init(s);
    s->index = index;
    int rc = get_blob(fd, KVM_GET_REGS, sizeof(struct kvm_regs), &s->regs, "REGS");
    if (rc == 0)
        rc = get_blob(fd, KVM_GET_SREGS, sizeof(struct kvm_sregs), &s->sregs, "SREGS");
    if (rc == 0)
        rc = get_blob(fd, KVM_GET_XSAVE, sizeof(struct kvm_xsave), &s->xsave, "XSAVE");
    if (rc == 0)
        rc = get_blob(fd, KVM_GET_XCRS, sizeof(struct kvm_xcrs), &s->xcrs, "XCRS");
    if (rc == 0)
        rc = get_blob(fd, KVM_GET_VCPU_EVENTS, sizeof(struct kvm_vcpu_events), &s->events,
                      "VCPU_EVENTS");
    if (rc == 0)
        rc = get_blob(fd, KVM_GET_DEBUGREGS, sizeof(struct kvm_debugregs), &s->debugregs,
                      "DEBUGREGS");
    if (rc == 0)
        rc = get_msrs(fd, s);
    if (rc < 0)
        hv_vcpu_state_clear(s);
    return rc;
}

void hv_vcpu_state_clear(Skiff__Snapshot__V1__VcpuState *s)
{
    free(s->regs.data);
    free(s->sregs.data);
    free(s->xsave.data);
    free(s->xcrs.data);
    free(s->events.data);
    free(s->debugregs.data);
    if (s->n_msrs > 0)
        free(s->msrs[0]);       /* one array holds them all */
    free(s->msrs);
    skiff__snapshot__v1__vcpu_state__init(s);
}

static int set_blob(int fd, unsigned long req, const ProtobufCBinaryData *b, size_t size,
                    const char *what, char *msg, size_t msize)
{
    if (b->len != size) {
        snprintf(msg, msize, "vCPU %s state is %zu bytes, this host's KVM uses %zu", what,
                 b->len, size);
        return -1;
    }
    /* A copy: the ioctl wants aligned memory the kernel may also write. */
    void *p = malloc(size);
    if (p == NULL) {
        snprintf(msg, msize, "out of memory");
        return -1;
    }
    memcpy(p, b->data, size);
    int rc = ioctl(fd, req, p);
    int e = errno;
    free(p);
    if (rc < 0) {
        snprintf(msg, msize, "KVM refused the vCPU %s state: %s", what, strerror(e));
        return -1;
    }
    return 0;
}

static int set_msrs(int fd, const Skiff__Snapshot__V1__VcpuState *s, char *msg, size_t msize)
{
    struct {
        struct kvm_msrs h;
        struct kvm_msr_entry e[NMSR];
    } m;
    memset(&m, 0, sizeof m);
    if (s->n_msrs == 0 || s->n_msrs > NMSR) {
        snprintf(msg, msize, "%zu MSRs in the vCPU state (1 to %zu)", s->n_msrs, NMSR);
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < s->n_msrs; i++) {
        bool known = false;
        for (size_t k = 0; k < NMSR; k++)
            known |= msr_list[k] == s->msrs[i]->index;
        if (!known) {
            snprintf(msg, msize, "MSR 0x%x is not one a vCPU state may set", s->msrs[i]->index);
            return -1;
        }
        if (s->msrs[i]->index == MSR_TSC)
            continue;       /* hv_vcpu_state_set_tsc */
        m.e[n].index = s->msrs[i]->index;
        m.e[n].data = s->msrs[i]->value;
        n++;
    }
    m.h.nmsrs = (uint32_t)n;
    int done = ioctl(fd, KVM_SET_MSRS, &m);
    if (done != (int)n) {
        snprintf(msg, msize, "KVM refused MSR 0x%x", done >= 0 && (size_t)done < n
                 ? m.e[done].index : 0);
        return -1;
    }
    return 0;
}

int hv_vcpu_state_tsc(const Skiff__Snapshot__V1__VcpuState *s, uint64_t *tsc)
{
    for (size_t i = 0; i < s->n_msrs; i++) {
        if (s->msrs[i]->index == MSR_TSC) {
            *tsc = s->msrs[i]->value;
            return 0;
        }
    }
    return -1;
}

static uint64_t host_tsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static uint64_t read_tsc(int fd)
{
    struct {
        struct kvm_msrs h;
        struct kvm_msr_entry e[1];
    } m;
    memset(&m, 0, sizeof m);
    m.h.nmsrs = 1;
    m.e[0].index = MSR_TSC;
    return ioctl(fd, KVM_GET_MSRS, &m) == 1 ? m.e[0].data : 0;
}

int hv_vcpu_state_set_tsc(const int *fds, unsigned n, uint64_t tsc, uint64_t tsc_hz, char *msg,
                          size_t size)
{
    /* KVM takes a write of the TSC MSR within a second of what it expects
     * as an attempt to synchronise vCPUs and keeps its own value; the
     * offset attribute is exact. One offset for all keeps them in step. */
    uint64_t offset = tsc - host_tsc();
    struct kvm_device_attr attr = {
        .group = KVM_VCPU_TSC_CTRL,
        .attr = KVM_VCPU_TSC_OFFSET,
        .addr = (uint64_t)(uintptr_t)&offset,
    };
    for (unsigned i = 0; i < n; i++) {
        if (ioctl(fds[i], KVM_SET_DEVICE_ATTR, &attr) == 0)
            continue;
        /* Older KVM: the MSR, as close as it gets. */
        struct {
            struct kvm_msrs h;
            struct kvm_msr_entry e[1];
        } m;
        memset(&m, 0, sizeof m);
        m.h.nmsrs = 1;
        m.e[0].index = MSR_TSC;
        m.e[0].data = tsc;
        if (ioctl(fds[i], KVM_SET_MSRS, &m) != 1) {
            snprintf(msg, size, "KVM refused the vCPU's TSC: %s", strerror(errno));
            return -1;
        }
    }
    /* Some hosts (nested KVM among them) ignore TSC offsets: the guest's
     * TSC then simply goes on with the host's, which is fine as long as
     * it is ahead of the saved one -- the guest's monotonic clock jumps
     * forward over the time it was saved, as after a long pause -- and a
     * refusal when it is behind, since that clock must never go back. */
    uint64_t now = read_tsc(fds[0]);
    if (now + tsc_hz / 10 < tsc) {
        snprintf(msg, size, "this host cannot set the guest's TSC, and it is behind the "
                 "saved one (%llu < %llu): the guest's monotonic clock would go back",
                 (unsigned long long)now, (unsigned long long)tsc);
        return -1;
    }
    if (now > tsc + tsc_hz)
        hv_warn("KVM does not set the guest's TSC on this host: the guest's monotonic "
                "clock jumps %llu ms forward", (unsigned long long)((now - tsc) / (tsc_hz / 1000)));
    return 0;
}

int hv_vcpu_state_set(int fd, const Skiff__Snapshot__V1__VcpuState *s, char *msg, size_t size)
{
    /* Special registers first: the rest is read in the mode they set. */
    if (set_blob(fd, KVM_SET_SREGS, &s->sregs, sizeof(struct kvm_sregs), "SREGS", msg, size) < 0 ||
        set_blob(fd, KVM_SET_XCRS, &s->xcrs, sizeof(struct kvm_xcrs), "XCRS", msg, size) < 0 ||
        set_blob(fd, KVM_SET_XSAVE, &s->xsave, sizeof(struct kvm_xsave), "XSAVE", msg, size) < 0 ||
        set_blob(fd, KVM_SET_REGS, &s->regs, sizeof(struct kvm_regs), "REGS", msg, size) < 0 ||
        set_blob(fd, KVM_SET_DEBUGREGS, &s->debugregs, sizeof(struct kvm_debugregs),
                 "DEBUGREGS", msg, size) < 0 ||
        set_msrs(fd, s, msg, size) < 0 ||
        set_blob(fd, KVM_SET_VCPU_EVENTS, &s->events, sizeof(struct kvm_vcpu_events),
                 "VCPU_EVENTS", msg, size) < 0)
        return -1;
    return 0;
}
