/*
 * After set-up the monitor needs only the run loop's system calls, on the
 * file descriptors it already holds. Everything else -- open, socket,
 * fork, exec, mmap -- kills the process. Arguments are checked where that
 * is cheap: ioctl only on the vCPU with three requests, I/O only on the
 * fds each call is for.
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

#define ALLOW(ctx, call, ...) \
    seccomp_rule_add((ctx), SCMP_ACT_ALLOW, SCMP_SYS(call), __VA_ARGS__)
#define ON_FD(fd) SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)(fd))

static int allow_device_io(scmp_filter_ctx ctx, const struct hv *hv)
{
    int rc = 0;
    for (uint32_t i = 1; i < hv->mft->entries && rc == 0; i++) {
        const struct mft_entry *e = &hv->mft->e[i];
        int fd = hv->dev[i].fd;
        if (!e->attached)
            continue;
        if (e->type == MFT_DEV_BLOCK_BASIC)
            rc = ALLOW(ctx, pread64, 1, ON_FD(fd)) | ALLOW(ctx, pwrite64, 1, ON_FD(fd));
        else if (e->type == MFT_DEV_NET_BASIC)
            rc = ALLOW(ctx, read, 1, ON_FD(fd)) | ALLOW(ctx, write, 1, ON_FD(fd));
    }
    return rc;
}

static int allow_dumpcore(scmp_filter_ctx ctx, const struct hv *hv)
{
    if (hv->dumpcore.dirfd < 0)
        return 0;
    /* The core file: created in the directory opened at set-up only. */
    return ALLOW(ctx, openat, 1, ON_FD(hv->dumpcore.dirfd)) |
           ALLOW(ctx, lseek, 1, ON_FD(hv->mem.fd)) |
           ALLOW(ctx, pread64, 1, ON_FD(hv->mem.fd)) |
           ALLOW(ctx, pwrite64, 0) | ALLOW(ctx, ftruncate, 0) | ALLOW(ctx, close, 0);
}

/*
 * Managed mode adds the control thread: its connection fds come and go,
 * so reads and writes are not tied to fds; it allocates (protobuf), but
 * never maps anything executable; it kicks the vCPU thread with a signal.
 */
static int allow_managed(scmp_filter_ctx ctx, const struct hv *hv)
{
    if (!hv->managed)
        return 0;
    int ep = hv->ctl.epfd;
    scmp_datum_t noexec = PROT_EXEC;
    return ALLOW(ctx, accept4, 1, ON_FD(hv->ctl.listen_fd)) |
           ALLOW(ctx, epoll_wait, 1, ON_FD(ep)) | ALLOW(ctx, epoll_pwait, 1, ON_FD(ep)) |
           ALLOW(ctx, epoll_ctl, 1, ON_FD(ep)) |
           ALLOW(ctx, read, 0) | ALLOW(ctx, write, 0) | ALLOW(ctx, sendto, 0) |
           ALLOW(ctx, close, 0) |
           ALLOW(ctx, newfstatat, 1, ON_FD(hv->mem.fd)) | ALLOW(ctx, fstat, 1, ON_FD(hv->mem.fd)) |
           ALLOW(ctx, brk, 0) | ALLOW(ctx, munmap, 0) | ALLOW(ctx, madvise, 0) |
           ALLOW(ctx, mmap, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, noexec, 0)) |
           ALLOW(ctx, mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, noexec, 0)) |
           ALLOW(ctx, mremap, 0);
}

/*
 * Save, restore and migration (managed mode): guest RAM's memfd goes to
 * hostd with sendmsg (SCM_RIGHTS; the flags are the control loop's), vCPU
 * state in and out of parked vCPUs, and the VM's dirty log.
 */
static const unsigned long vcpu_state_ioctls[] = {
    KVM_SET_REGS, KVM_SET_SREGS, KVM_GET_XSAVE, KVM_SET_XSAVE, KVM_GET_XCRS, KVM_SET_XCRS,
    KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS, KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS,
    KVM_GET_MSRS, KVM_SET_MSRS, KVM_SET_TSC_KHZ, KVM_SET_DEVICE_ATTR,
};

/* Every vCPU fd (made after every other KVM fd: see allow_vcpu_ioctls). */
static struct scmp_arg_cmp vcpu_fds(const struct hv *hv)
{
    int lo = hv->vcpus[0].fd;
    return hv->nvcpus == 1 ? ON_FD(lo) : SCMP_A0(SCMP_CMP_GE, (scmp_datum_t)lo);
}

static int allow_snapshot(scmp_filter_ctx ctx, const struct hv *hv)
{
    if (!hv->managed)
        return 0;
    int rc = ALLOW(ctx, sendmsg, 1, SCMP_A2(SCMP_CMP_EQ, MSG_NOSIGNAL | MSG_DONTWAIT)) |
             ALLOW(ctx, ioctl, 2, ON_FD(hv->vm_fd), SCMP_A1(SCMP_CMP_EQ, KVM_GET_DIRTY_LOG)) |
             ALLOW(ctx, ioctl, 2, ON_FD(hv->vm_fd),
                   SCMP_A1(SCMP_CMP_EQ, KVM_SET_USER_MEMORY_REGION));
    for (size_t i = 0; i < sizeof vcpu_state_ioctls / sizeof vcpu_state_ioctls[0]; i++)
        rc |= ALLOW(ctx, ioctl, 2, vcpu_fds(hv), SCMP_A1(SCMP_CMP_EQ, vcpu_state_ioctls[i]));
    return rc;
}

/*
 * vCPU threads (managed mode, or several vCPUs): they wait on each other
 * (futex), are kicked with a signal (tgkill after getpid), exit (madvise
 * of the stack), and the control thread pins them: sched_[gs]etaffinity
 * on their thread ids only.
 */
static int allow_threads(scmp_filter_ctx ctx, const struct hv *hv)
{
    if (!hv->ctl.threaded)
        return 0;
    int rc = ALLOW(ctx, futex, 0) | ALLOW(ctx, getpid, 0) | ALLOW(ctx, gettid, 0) |
             ALLOW(ctx, tgkill, 0) | ALLOW(ctx, madvise, 0) | ALLOW(ctx, getcpu, 0) |
             ALLOW(ctx, write, 1, ON_FD(hv->ctl.attention_fd));
    for (unsigned i = 0; i < hv->nvcpus && rc == 0; i++) {
        scmp_datum_t tid = (scmp_datum_t)hv->vcpus[i].tid;
        rc = ALLOW(ctx, sched_setaffinity, 1, SCMP_A0(SCMP_CMP_EQ, tid)) |
             ALLOW(ctx, sched_getaffinity, 1, SCMP_A0(SCMP_CMP_EQ, tid));
    }
    return rc;
}

/* ioctl on vCPU fds only, with the run loop's three requests. vCPU fds
 * are made after every other KVM fd, so with several the lowest bounds
 * them (a fd above it that is not a vCPU fails these with ENOTTY). */
static int allow_vcpu_ioctls(scmp_filter_ctx ctx, const struct hv *hv)
{
    static const unsigned long req[] = { KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS };
    int lo = hv->vcpus[0].fd;
    struct scmp_arg_cmp fd = hv->nvcpus == 1 ? ON_FD(lo)
                                             : SCMP_A0(SCMP_CMP_GE, (scmp_datum_t)lo);
    int rc = 0;
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++)
        rc |= ALLOW(ctx, ioctl, 2, fd, SCMP_A1(SCMP_CMP_EQ, req[i]));
    return rc;
}

static int build(scmp_filter_ctx ctx, const struct hv *hv)
{
    return allow_vcpu_ioctls(ctx, hv) |
           ALLOW(ctx, write, 1, ON_FD(STDOUT_FILENO)) |
           ALLOW(ctx, write, 1, ON_FD(STDERR_FILENO)) |
           ALLOW(ctx, ppoll, 0) |
           ALLOW(ctx, fstat, 1, ON_FD(STDOUT_FILENO)) |          /* --log-max */
           ALLOW(ctx, newfstatat, 1, ON_FD(STDOUT_FILENO)) |
           ALLOW(ctx, clock_gettime, 0) |
           ALLOW(ctx, rt_sigreturn, 0) | ALLOW(ctx, rt_sigprocmask, 0) |
           ALLOW(ctx, exit_group, 0) | ALLOW(ctx, exit, 0) |
           allow_device_io(ctx, hv) | allow_dumpcore(ctx, hv) | allow_managed(ctx, hv) |
           allow_snapshot(ctx, hv) | allow_threads(ctx, hv);
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int hv_sandbox_close_inherited(const struct hv *hv)
{
    int keep[MFT_MAX_ENTRIES + 3];
    size_t n = 0;
    keep[n++] = hv->kernel_fd;
    if (hv->control_fd >= 0)
        keep[n++] = hv->control_fd;
    for (int i = 1; i < MFT_MAX_ENTRIES; i++) {
        if (hv->dev[i].fd >= 0)
            keep[n++] = hv->dev[i].fd;
    }
    qsort(keep, n, sizeof keep[0], cmp_int);
    unsigned lo = STDERR_FILENO + 1;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)keep[i] > lo && close_range(lo, (unsigned)keep[i] - 1, 0) < 0)
            goto fail;
        if ((unsigned)keep[i] >= lo)
            lo = (unsigned)keep[i] + 1;
    }
    if (close_range(lo, ~0U, 0) < 0)
        goto fail;
    return 0;
fail:
    hv_err("cannot close inherited file descriptors: %m");
    return -1;
}

int hv_sandbox_enter(struct hv *hv)
{
    int pers = personality(0xffffffff);
    if (pers >= 0 && (pers & READ_IMPLIES_EXEC)) {
        hv_err("Cowardly refusing to run with a sys_personality of READ_IMPLIES_EXEC");
        return -1;
    }
    if (!hv->sandbox)
        return 0;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (ctx == NULL) {
        hv_err("sandbox: seccomp_init failed");
        return -1;
    }
    /* TSYNC: the filter covers the vCPU threads, already running. */
    if (build(ctx, hv) != 0 || hv_sandbox_allow_sanitizers(ctx) != 0 ||
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0) {
        seccomp_release(ctx);
        hv_err("sandbox: cannot build the seccomp filter");
        return -1;
    }
    int rc = seccomp_load(ctx);     /* also sets no_new_privs */
    seccomp_release(ctx);
    if (rc != 0) {
        hv_err("sandbox: cannot install the seccomp filter: %s", strerror(-rc));
        return -1;
    }
    return 0;
}
