/*
 * The core hypercalls every guest has: WALLTIME, PUTS, POLL and HALT.
 * POLL sleeps in ppoll on the taps (and the control eventfds) with the
 * guest's timeout, so an idle vCPU costs the host nothing; every vCPU may
 * sleep in it at once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "dumpcore.h"
#include "hv.h"
#include "log.h"
#include "vcpu_ctl.h"

static enum hv_action hc_walltime(struct hv *hv, uint64_t gpa)
{
    struct hvt_hc_walltime a;
    if (!hv_args_in(hv, gpa, &a, sizeof a, "WALLTIME arguments"))
        return HV_STOP;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    a.nsecs = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    hv_args_out(hv, gpa, &a, sizeof a);
    return HV_CONTINUE;
}

static enum hv_action hc_puts(struct hv *hv, uint64_t gpa)
{
    struct hvt_hc_puts a;
    if (!hv_args_in(hv, gpa, &a, sizeof a, "PUTS arguments"))
        return HV_STOP;
    const uint8_t *data = hv_gpa(hv, a.data, a.len, "PUTS data");
    if (data == NULL)
        return HV_STOP;
    hv_console_write(hv, data, a.len);
    return HV_CONTINUE;
}

/* ppoll takes a timespec: nanosecond timeouts, nothing to set up per
 * vCPU, and a vCPU that sleeps costs the host nothing. */
static struct timespec poll_timeout(uint64_t ns)
{
    return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000ULL),
                              .tv_nsec = (long)(ns % 1000000000ULL) };
}

static enum hv_action hc_poll(struct hv *hv, uint64_t gpa)
{
    struct hvt_hc_poll a;
    if (!hv_args_in(hv, gpa, &a, sizeof a, "POLL arguments"))
        return HV_STOP;
    struct pollfd pfd[HV_POLL_FDS];
    uint64_t handle[HV_POLL_FDS];
    /* An idle vCPU of an SMP guest waits for its timeout and for the
     * monitor (the attention eventfd) only. */
    bool idle = hv->smp && (a.skiff_flags & SKIFF_POLL_IDLE);
    int nfds = 0;
    for (int i = 0; i < hv->poll.nfds; i++) {
        if (idle && hv->poll.handle[i] < MFT_MAX_ENTRIES)
            continue;
        pfd[nfds] = (struct pollfd){ .fd = hv->poll.fds[i], .events = POLLIN };
        handle[nfds++] = hv->poll.handle[i];
    }
    struct timespec ts = poll_timeout(a.timeout_nsecs);
    struct hv_vcpu *self = hv_vcpu_self();
    __atomic_store_n(&self->blocked, true, __ATOMIC_RELAXED);
    int n = ppoll(pfd, (nfds_t)nfds, &ts, NULL);
    __atomic_store_n(&self->blocked, false, __ATOMIC_RELAXED);
    if (n < 0 && errno == EINTR)
        n = 0;      /* a kick or a signal: end the sleep early, as a timeout */
    if (n < 0)
        return hv_stop_guest(hv, "POLL: ppoll failed: %s", strerror(errno));
    uint64_t ready = 0;
    int nready = 0;
    for (int i = 0; i < nfds && n > 0; i++) {
        uint64_t h = handle[i];
        if (pfd[i].revents == 0 || h >= MFT_MAX_ENTRIES)
            continue;   /* not ready, or the attention eventfd: no handle */
        ready |= 1ULL << h;
        nready += h != 0;       /* handle 0 is the control event, not a device */
    }
    a.ready_set = ready;
    a.ret = nready;
    hv_args_out(hv, gpa, &a, sizeof a);
    return HV_CONTINUE;
}

static enum hv_action hc_halt(struct hv *hv, uint64_t gpa)
{
    struct hvt_hc_halt a;
    if (!hv_args_in(hv, gpa, &a, sizeof a, "HALT arguments"))
        return HV_STOP;
    const struct hvt_trap_frame *frame = NULL;
    if (a.cookie != 0) {
        frame = hv_gpa(hv, a.cookie, HVT_HALT_COOKIE_MAX, "HALT cookie");
        if (frame == NULL)
            return HV_STOP;
    }
    int status = a.exit_status & 0xff;
    char reason[64];
    int n = snprintf(reason, sizeof reason, "%s with status %d",
                     status == 255 ? "aborted" : "halted", a.exit_status);
    if (hv->nvcpus > 1 && n > 0 && (size_t)n < sizeof reason)
        snprintf(reason + n, sizeof reason - (size_t)n, " on vCPU %u", hv_vcpu_self()->index);
    /* Only the first vCPU to stop the guest decides how it ended. */
    if (hv_guest_stop(hv, status, false, reason) && status == 255 &&
        hv->dumpcore.dirfd >= 0)
        hv_dumpcore_write(hv, frame);
    return HV_STOP;
}

int hv_poll_add(struct hv *hv, int fd, uint64_t handle)
{
    if (hv->poll.nfds >= HV_POLL_FDS) {
        hv_err("cannot poll device %llu: too many", (unsigned long long)handle);
        return -1;
    }
    hv->poll.fds[hv->poll.nfds] = fd;
    hv->poll.handle[hv->poll.nfds] = handle;
    hv->poll.nfds++;
    if (handle < MFT_MAX_ENTRIES)
        hv->poll.handles |= 1ULL << handle;
    return 0;
}

static int core_setup(struct hv *hv)
{
    hv_hypercall_register(hv, HVT_HYPERCALL_WALLTIME, hc_walltime);
    hv_hypercall_register(hv, HVT_HYPERCALL_PUTS, hc_puts);
    hv_hypercall_register(hv, HVT_HYPERCALL_POLL, hc_poll);
    hv_hypercall_register(hv, HVT_HYPERCALL_HALT, hc_halt);
    return 0;
}

const struct hv_module hv_module_core = {
    .name = "core",
    .usage = "  --mem=MB (guest memory in MiB, default 512, at most 4096)\n",
    .option = NULL,
    .setup = core_setup,
};
