#include <errno.h>
#include <linux/kvm.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm.h"
#include "log.h"
#include "run.h"
#include "vcpu_ctl.h"

void hv_hypercall_register(struct hv *hv, int nr, hv_hypercall_fn fn)
{
    if (nr > 0 && nr < HV_HYPERCALL_SLOTS)
        hv->hypercalls[nr] = fn;
}

static enum hv_action handle_io(struct hv *hv, struct hv_vcpu *v)
{
    const struct kvm_run *run = v->run;
    unsigned port = run->io.port;
    unsigned nr = port - HVT_HYPERCALL_PIO_BASE;
    /* The hvt ports always count as hypercalls; Skiff's only once the
     * guest opted in and the handler exists. */
    bool hypercall_port = port >= HVT_HYPERCALL_PIO_BASE &&
                          (nr < HVT_HYPERCALL_MAX ||
                           (nr < HV_HYPERCALL_SLOTS && hv->hypercalls[nr] != NULL));
    if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 || run->io.count != 1 ||
        !hypercall_port)
        return hv_stop_guest(hv, "Invalid guest port access: port=0x%x (%s, %u byte%s, "
                              "count %u), rip=0x%llx", port,
                              run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
                              run->io.size, run->io.size == 1 ? "" : "s", run->io.count,
                              (unsigned long long)hv_kvm_rip(v));

    hv_hypercall_fn fn = hv->hypercalls[nr];
    if (fn == NULL)
        return hv_stop_guest(hv, "Invalid guest hypercall: num=%u, rip=0x%llx", nr,
                              (unsigned long long)hv_kvm_rip(v));
    /* The argument is a 32-bit GPA, zero-extended. */
    uint32_t gpa = *(const uint32_t *)((const uint8_t *)run + run->io.data_offset);
    __atomic_add_fetch(&hv->hypercalls_served, 1, __ATOMIC_RELAXED);
    return fn(hv, gpa);
}

static const char *exit_name(uint32_t reason)
{
    switch (reason) {
    case KVM_EXIT_UNKNOWN: return "UNKNOWN";
    case KVM_EXIT_EXCEPTION: return "EXCEPTION";
    case KVM_EXIT_HLT: return "HLT: the guest halted the CPU; idle with POLL instead";
    case KVM_EXIT_MMIO: return "MMIO: access outside guest RAM";
    case KVM_EXIT_SHUTDOWN: return "SHUTDOWN: triple fault";
    case KVM_EXIT_DEBUG: return "DEBUG";
    case KVM_EXIT_IRQ_WINDOW_OPEN: return "IRQ_WINDOW_OPEN";
    case KVM_EXIT_SYSTEM_EVENT: return "SYSTEM_EVENT";
    default: return "unexpected";
    }
}

static enum hv_action handle_mmio(struct hv *hv, struct hv_vcpu *v)
{
    const struct kvm_run *run = v->run;
    /* A write to guest RAM that is read-only on the host (an R or X
     * segment) arrives as MMIO on some kernels instead of EFAULT. */
    if (run->mmio.is_write && run->mmio.phys_addr < hv->mem.alloc)
        return hv_stop_guest(hv, "KVM: host/guest translation fault: rip=0x%llx, "
                              "write to read-only guest memory at gpa=0x%llx",
                              (unsigned long long)hv_kvm_rip(v),
                              (unsigned long long)run->mmio.phys_addr);
    return hv_stop_guest(hv, "KVM: unhandled exit: exit_reason=0x%x (%s), rip=0x%llx, "
                          "gpa=0x%llx", KVM_EXIT_MMIO, exit_name(KVM_EXIT_MMIO),
                          (unsigned long long)hv_kvm_rip(v),
                          (unsigned long long)run->mmio.phys_addr);
}

static enum hv_action handle_internal_error(struct hv *hv, struct hv_vcpu *v)
{
    const struct kvm_run *run = v->run;
    uint32_t sub = run->internal.suberror;
    if (sub != KVM_INTERNAL_ERROR_EMULATION)
        return hv_stop_guest(hv, "KVM: internal error exit: suberror=0x%x, rip=0x%llx", sub,
                              (unsigned long long)hv_kvm_rip(v));
    /* Nested or old hosts emulate some guest instructions in KVM; x87, SSE
     * and AVX instructions cannot be emulated there. */
    char bytes[3 * 16 + 1] = "";
    if (run->emulation_failure.ndata >= 3 &&
        (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
        unsigned n = run->emulation_failure.insn_size;
        if (n > 15)
            n = 15;
        for (unsigned i = 0; i < n; i++) {
            static const char hex[] = "0123456789abcdef";
            uint8_t b = run->emulation_failure.insn_bytes[i];
            bytes[3 * i] = ' ';
            bytes[3 * i + 1] = hex[b >> 4];
            bytes[3 * i + 2] = hex[b & 15];
            bytes[3 * i + 3] = '\0';
        }
    }
    return hv_stop_guest(hv, "KVM: internal error exit: suberror=0x%x (instruction emulation "
                          "failed), rip=0x%llx%s%s: the guest used an instruction this host's "
                          "KVM cannot emulate (x87/SSE/AVX on a nested host?)", sub,
                          (unsigned long long)hv_kvm_rip(v), bytes[0] ? ", bytes:" : "",
                          bytes);
}

static enum hv_action handle_exit(struct hv *hv, struct hv_vcpu *v)
{
    const struct kvm_run *run = v->run;
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        return handle_io(hv, v);
    case KVM_EXIT_MMIO:
        return handle_mmio(hv, v);
    case KVM_EXIT_INTERNAL_ERROR:
        return handle_internal_error(hv, v);
    case KVM_EXIT_FAIL_ENTRY:
        return hv_stop_guest(hv, "KVM: entry failure: hw_entry_failure_reason=0x%llx, "
                              "rip=0x%llx",
                              (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
                              (unsigned long long)hv_kvm_rip(v));
    default:
        return hv_stop_guest(hv, "KVM: unhandled exit: exit_reason=0x%x (%s), rip=0x%llx",
                              run->exit_reason, exit_name(run->exit_reason),
                              (unsigned long long)hv_kvm_rip(v));
    }
}

int hv_run(struct hv *hv, struct hv_vcpu *v)
{
    bool threaded = hv->ctl.threaded;
    bool managed = hv->managed;
    for (;;) {
        if (threaded && hv_vcpu_checkpoint(hv, v) == HV_STOP)
            return hv->exit_status;
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (errno == EFAULT) {
                hv_stop_guest(hv, "KVM: host/guest translation fault: rip=0x%llx",
                               (unsigned long long)hv_kvm_rip(v));
                return hv->exit_status;
            }
            hv_stop_guest(hv, "KVM: ioctl (RUN) failed: %s", strerror(errno));
            return hv->exit_status;
        }
        if (managed)    /* for the controller's statistics; vDSO, no system call */
            __atomic_store_n(&v->host_cpu, sched_getcpu(), __ATOMIC_RELAXED);
        __atomic_add_fetch(&hv->exits, 1, __ATOMIC_RELAXED);
        if (handle_exit(hv, v) == HV_STOP)
            return hv->exit_status;
    }
}
