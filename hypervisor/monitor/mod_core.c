/*
 * The core hypercalls every guest has: WALLTIME, PUTS, POLL and HALT.
 * POLL sleeps in epoll on the taps plus a timerfd, so an idle guest costs
 * the host nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "dumpcore.h"
#include "hv.h"
#include "log.h"
#include "vcpu_ctl.h"

#define POLL_TIMER_TAG UINT64_MAX   /* epoll data of the timer; taps use handles */

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

static int arm_timer(int timerfd, uint64_t ns)
{
    struct itimerspec it = { 0 };
    it.it_value.tv_sec = (time_t)(ns / 1000000000ULL);
    /* An all-zero value would disarm the timer. */
    it.it_value.tv_nsec = (long)(ns % 1000000000ULL) | 1;
    return timerfd_settime(timerfd, 0, &it, NULL);
}

static enum hv_action hc_poll(struct hv *hv, uint64_t gpa)
{
    struct hvt_hc_poll a;
    if (!hv_args_in(hv, gpa, &a, sizeof a, "POLL arguments"))
        return HV_STOP;
    struct epoll_event ev[MFT_MAX_ENTRIES + 1];
    int timeout = 0;
    if (a.timeout_nsecs > 0) {
        if (arm_timer(hv->poll.timerfd, a.timeout_nsecs) < 0) {
            return hv_stop_guest(hv, "POLL: cannot arm the timer: %s", strerror(errno));
        }
        timeout = -1;   /* the timer ends the wait, with nanosecond precision */
    }
    int n;
    do
        n = epoll_wait(hv->poll.epfd, ev, MFT_MAX_ENTRIES + 1, timeout);
    while (n < 0 && errno == EINTR && !hv_vcpu_wanted(hv));
    if (n < 0 && errno == EINTR)
        n = 0;      /* paused or destroyed: end the sleep early, as a timeout */
    if (n < 0) {
        return hv_stop_guest(hv, "POLL: epoll_wait failed: %s", strerror(errno));
    }
    uint64_t ready = 0;
    int nready = 0;
    for (int i = 0; i < n; i++) {
        uint64_t h = ev[i].data.u64;
        if (h == POLL_TIMER_TAG)
            continue;
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
    hv->exit_status = a.exit_status & 0xff;
    snprintf(hv->exit_reason, sizeof hv->exit_reason, "%s with status %d",
             hv->exit_status == 255 ? "aborted" : "halted", a.exit_status);
    if (hv->exit_status == 255 && hv->dumpcore.dirfd >= 0)
        hv_dumpcore_write(hv, frame);
    return HV_STOP;
}

int hv_poll_add(struct hv *hv, int fd, uint64_t handle)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = handle };
    if (epoll_ctl(hv->poll.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        hv_err("cannot poll device %llu: %m", (unsigned long long)handle);
        return -1;
    }
    hv->poll.handles |= 1ULL << handle;
    return 0;
}

static int core_setup(struct hv *hv)
{
    hv->poll.epfd = epoll_create1(EPOLL_CLOEXEC);
    hv->poll.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (hv->poll.epfd < 0 || hv->poll.timerfd < 0) {
        hv_err("cannot create the POLL event set: %m");
        return -1;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = POLL_TIMER_TAG };
    if (epoll_ctl(hv->poll.epfd, EPOLL_CTL_ADD, hv->poll.timerfd, &ev) < 0) {
        hv_err("cannot poll the POLL timer: %m");
        return -1;
    }
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
