#include <errno.h>
#include <linux/kvm.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "run.h"
#include "vcpu_ctl.h"
#include "vcpu_state.h"

#define KICK_SIGNAL SIGUSR1
/* vCPU threads need little: the run loop, hypercalls, a core dump. */
#define VCPU_THREAD_STACK (256 * 1024)
/* POLL reports this "handle" for the attention eventfd: never a device. */
#define ATTENTION_HANDLE UINT64_MAX

/* The signal handler reaches the vCPU of its thread through this. */
static _Thread_local struct hv_vcpu *self;

struct hv_vcpu *hv_vcpu_self(void)
{
    return self;
}

static void on_kick(int sig)
{
    (void)sig;
    /* If the kick lands just before KVM_RUN, this makes it return at
     * once instead of being lost. */
    struct hv_vcpu *v = self;
    if (v != NULL && v->run != NULL)
        v->run->immediate_exit = 1;
}

int hv_vcpu_ctl_init(struct hv *hv)
{
    struct hv_ctl *c = &hv->ctl;
    c->threaded = true;
    c->attention_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->attention_fd < 0) {
        hv_err("cannot create the vCPU attention eventfd: %m");
        return -1;
    }
    if (hv->managed) {
        c->request_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        c->stopped_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (c->request_fd < 0 || c->stopped_fd < 0) {
            hv_err("cannot create control eventfds: %m");
            return -1;
        }
    }
    if (hv_poll_add(hv, c->attention_fd, ATTENTION_HANDLE) < 0)
        return -1;
    struct sigaction sa = { .sa_handler = on_kick };   /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    sigaction(KICK_SIGNAL, &sa, NULL);
    c->pause_req = hv->start_paused;
    c->attention = hv->start_paused;
    c->live = hv->nvcpus;
    return 0;
}

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Caller holds the lock. Kick every running vCPU but the caller's own. */
static void kick_running(struct hv *hv)
{
    for (unsigned i = 0; i < hv->nvcpus; i++) {
        struct hv_vcpu *v = &hv->vcpus[i];
        if (v != self && v->state == HV_VCPU_RUNNING)
            pthread_kill(v->thread, KICK_SIGNAL);
    }
}

/* Caller holds the lock: make every vCPU look at the flags. */
static void raise_attention(struct hv *hv)
{
    struct hv_ctl *c = &hv->ctl;
    __atomic_store_n(&c->attention, true, __ATOMIC_RELEASE);
    if (!c->threaded)
        return;
    uint64_t one = 1;
    (void)!write(c->attention_fd, &one, sizeof one);
    pthread_cond_broadcast(&c->cond);
    kick_running(hv);
}

static void set_state(struct hv *hv, struct hv_vcpu *v, enum hv_vcpu_state state)
{
    if (v->state != HV_VCPU_STOPPED && state == HV_VCPU_STOPPED)
        hv->ctl.live--;
    v->state = state;
    pthread_cond_broadcast(&hv->ctl.cond);
}

static unsigned count_state(const struct hv *hv, enum hv_vcpu_state state)
{
    unsigned n = 0;
    for (unsigned i = 0; i < hv->nvcpus; i++)
        n += hv->vcpus[i].state == state;
    return n;
}

bool hv_guest_stop(struct hv *hv, int status, bool faulted, const char *reason)
{
    struct hv_ctl *c = &hv->ctl;
    pthread_mutex_lock(&c->lock);
    bool first = !c->stopping;
    if (first) {
        c->stopping = true;
        hv->exit_status = status;
        hv->faulted = faulted;
        snprintf(hv->exit_reason, sizeof hv->exit_reason, "%s", reason);
        raise_attention(hv);
    }
    pthread_mutex_unlock(&c->lock);
    return first;
}

/* The vCPU has left its run loop; the last one out tells the controller. */
static void finished(struct hv *hv, struct hv_vcpu *v)
{
    struct hv_ctl *c = &hv->ctl;
    pthread_mutex_lock(&c->lock);
    set_state(hv, v, HV_VCPU_STOPPED);
    bool last = c->live == 0;
    pthread_mutex_unlock(&c->lock);
    if (last && hv->managed) {
        uint64_t one = 1;
        (void)!write(c->stopped_fd, &one, sizeof one);
    }
}

static bool may_start(const struct hv_ctl *c, const struct hv_vcpu *v)
{
    return c->stopping || c->destroy_req || (c->go && (v->index == 0 || c->smp_started));
}

static void *vcpu_main(void *arg)
{
    struct hv_vcpu *v = arg;
    struct hv *hv = v->hv;
    struct hv_ctl *c = &hv->ctl;
    self = v;
    v->tid = (int)gettid();
    v->host_cpu = sched_getcpu();
    pthread_mutex_lock(&c->lock);
    c->ready++;
    pthread_cond_broadcast(&c->cond);
    while (!may_start(c, v))
        pthread_cond_wait(&c->cond, &c->lock);
    set_state(hv, v, HV_VCPU_RUNNING);
    pthread_mutex_unlock(&c->lock);

    if (v->index == 0)
        hv->started_at_ns = realtime_ns();
    hv_run(hv, v);
    finished(hv, v);
    return NULL;
}

int hv_vcpu_threads_start(struct hv *hv)
{
    unsigned first = hv->managed ? 0 : 1;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0 ||
        pthread_attr_setstacksize(&attr, VCPU_THREAD_STACK) != 0) {
        hv_err("cannot set up vCPU thread attributes");
        return -1;
    }
    /* Only vCPU threads take kicks: in managed mode the main thread
     * serves the control socket and keeps the signal blocked. */
    sigset_t kick;
    sigemptyset(&kick);
    sigaddset(&kick, KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
    int rc = 0;
    unsigned made = 0;
    for (unsigned i = first; i < hv->nvcpus && rc == 0; i++) {
        rc = pthread_create(&hv->vcpus[i].thread, &attr, vcpu_main, &hv->vcpus[i]);
        made += rc == 0;
    }
    pthread_attr_destroy(&attr);
    if (hv->managed)
        pthread_sigmask(SIG_BLOCK, &kick, NULL);
    if (rc != 0) {
        errno = rc;
        hv_err("cannot start vCPU thread %u: %m", first + made);
        return -1;
    }
    /* Each new thread makes its own start-up system calls: let them
     * finish before the sandbox forbids them. */
    pthread_mutex_lock(&hv->ctl.lock);
    while (hv->ctl.ready < made)
        pthread_cond_wait(&hv->ctl.cond, &hv->ctl.lock);
    pthread_mutex_unlock(&hv->ctl.lock);
    if (!hv->managed) {
        hv->vcpus[0].thread = pthread_self();
        hv->vcpus[0].tid = (int)gettid();
        hv->vcpus[0].host_cpu = sched_getcpu();
    }
    return 0;
}

void hv_vcpu_go(struct hv *hv)
{
    pthread_mutex_lock(&hv->ctl.lock);
    hv->ctl.go = true;
    pthread_cond_broadcast(&hv->ctl.cond);
    pthread_mutex_unlock(&hv->ctl.lock);
}

int hv_vcpu_run_main(struct hv *hv)
{
    struct hv_vcpu *v = &hv->vcpus[0];
    struct hv_ctl *c = &hv->ctl;
    self = v;
    if (!c->threaded) {
        v->state = HV_VCPU_RUNNING;
        return hv_run(hv, v);
    }
    pthread_mutex_lock(&c->lock);
    c->go = true;
    set_state(hv, v, HV_VCPU_RUNNING);
    pthread_mutex_unlock(&c->lock);
    hv_run(hv, v);
    finished(hv, v);
    /* Wait for the others to leave KVM_RUN (they were kicked). */
    pthread_mutex_lock(&c->lock);
    while (c->live > 0)
        pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
    return hv->exit_status;
}

unsigned hv_vcpu_start_secondaries(struct hv *hv)
{
    pthread_mutex_lock(&hv->ctl.lock);
    hv->ctl.smp_started = true;
    pthread_cond_broadcast(&hv->ctl.cond);
    pthread_mutex_unlock(&hv->ctl.lock);
    return hv->nvcpus - 1;
}

enum hv_action hv_vcpu_checkpoint(struct hv *hv, struct hv_vcpu *v)
{
    struct hv_ctl *c = &hv->ctl;
    v->run->immediate_exit = 0;
    /* The kick is sent after the flag is set, so a flag missed here
     * means the kick is still to come and will set immediate_exit. */
    if (!__atomic_load_n(&c->attention, __ATOMIC_ACQUIRE))
        return HV_CONTINUE;
    pthread_mutex_lock(&c->lock);
    while (c->pause_req && !c->destroy_req && !c->stopping) {
        if (v->state != HV_VCPU_PARKED) {
            /* Parked means consistent: the last exit is completed, so a
             * saved state never repeats or loses an instruction. */
            hv_vcpu_state_settle(v->fd, v->run);
            set_state(hv, v, HV_VCPU_PARKED);
        }
        pthread_cond_wait(&c->cond, &c->lock);
    }
    if (v->state == HV_VCPU_PARKED)
        set_state(hv, v, HV_VCPU_RUNNING);
    bool stop = c->stopping;
    bool destroy = c->destroy_req && !stop;
    if (destroy) {
        c->stopping = true;
        hv->destroyed = true;
        hv->exit_status = 0;
        snprintf(hv->exit_reason, sizeof hv->exit_reason, "destroyed by request");
        raise_attention(hv);
    }
    pthread_mutex_unlock(&c->lock);
    return stop || destroy ? HV_STOP : HV_CONTINUE;
}

void hv_vcpu_pause(struct hv *hv)
{
    struct hv_ctl *c = &hv->ctl;
    pthread_mutex_lock(&c->lock);
    c->pause_req = true;
    raise_attention(hv);
    /* Before "go" no vCPU runs: as good as parked. */
    while (c->go && count_state(hv, HV_VCPU_RUNNING) > 0 && c->pause_req && !c->stopping)
        pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

void hv_vcpu_unpause(struct hv *hv)
{
    struct hv_ctl *c = &hv->ctl;
    pthread_mutex_lock(&c->lock);
    c->pause_req = false;
    if (!c->destroy_req && !c->stopping) {
        uint64_t count;
        __atomic_store_n(&c->attention, false, __ATOMIC_RELEASE);
        (void)!read(c->attention_fd, &count, sizeof count);
    }
    pthread_cond_broadcast(&c->cond);
    while (count_state(hv, HV_VCPU_PARKED) > 0 && !c->stopping)
        pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

void hv_vcpu_destroy(struct hv *hv)
{
    struct hv_ctl *c = &hv->ctl;
    pthread_mutex_lock(&c->lock);
    c->destroy_req = true;
    raise_attention(hv);
    pthread_mutex_unlock(&c->lock);
}

bool hv_vcpu_paused(struct hv *hv)
{
    pthread_mutex_lock(&hv->ctl.lock);
    bool p = hv->ctl.pause_req;
    pthread_mutex_unlock(&hv->ctl.lock);
    return p;
}
