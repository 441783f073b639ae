#include <errno.h>
#include <linux/kvm.h>
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

/* The signal handler can only reach the run area through a global. */
static struct kvm_run *volatile kick_run;
static bool ready;      /* the thread has finished starting (rseq etc.) */
static bool go;

static void on_kick(int sig)
{
    (void)sig;
    /* If the kick lands just before KVM_RUN, this makes it return at
     * once instead of being lost. */
    struct kvm_run *run = kick_run;
    if (run != NULL)
        run->immediate_exit = 1;
}

int hv_vcpu_ctl_init(struct hv *hv)
{
    struct hv_ctl *c = &hv->ctl;
    c->request_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    c->stopped_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (c->request_fd < 0 || c->stopped_fd < 0) {
        hv_err("cannot create control eventfds: %m");
        return -1;
    }
    struct sigaction sa = { .sa_handler = on_kick };   /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    sigaction(KICK_SIGNAL, &sa, NULL);
    c->pause_req = hv->start_paused;
    kick_run = hv->vcpu.run;
    return 0;
}

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void *vcpu_main(void *arg)
{
    struct hv *hv = arg;
    struct hv_ctl *c = &hv->ctl;
    pthread_mutex_lock(&c->lock);
    ready = true;
    pthread_cond_broadcast(&c->cond);
    while (!go)
        pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);

    hv->started_at_ns = realtime_ns();
    int status = hv_run(hv);

    pthread_mutex_lock(&c->lock);
    hv->exit_status = status;
    c->stopped = true;
    c->parked = false;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    uint64_t one = 1;
    (void)!write(c->stopped_fd, &one, sizeof one);
    return NULL;
}

int hv_vcpu_thread_start(struct hv *hv)
{
    /* Only the vCPU thread takes kicks. */
    sigset_t kick, old;
    sigemptyset(&kick);
    sigaddset(&kick, KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &kick, &old);
    int rc = pthread_create(&hv->ctl.vcpu_thread, NULL, vcpu_main, hv);
    pthread_sigmask(SIG_BLOCK, &kick, NULL);
    if (rc != 0) {
        errno = rc;
        hv_err("cannot start the vCPU thread: %m");
        return -1;
    }
    /* The new thread makes its own start-up system calls: let it finish
     * them before the sandbox forbids them. */
    pthread_mutex_lock(&hv->ctl.lock);
    while (!ready)
        pthread_cond_wait(&hv->ctl.cond, &hv->ctl.lock);
    pthread_mutex_unlock(&hv->ctl.lock);
    return 0;
}

void hv_vcpu_go(struct hv *hv)
{
    pthread_mutex_lock(&hv->ctl.lock);
    go = true;
    pthread_cond_broadcast(&hv->ctl.cond);
    pthread_mutex_unlock(&hv->ctl.lock);
}

enum hv_action hv_vcpu_checkpoint(struct hv *hv)
{
    struct hv_ctl *c = &hv->ctl;
    hv->vcpu.run->immediate_exit = 0;
    pthread_mutex_lock(&c->lock);
    while (c->pause_req && !c->destroy_req) {
        if (!c->parked) {
            /* Parked means consistent: the last exit is completed, so a
             * saved state never repeats or loses an instruction. */
            hv_vcpu_state_settle(hv->vcpu.fd, hv->vcpu.run);
            c->parked = true;
            pthread_cond_broadcast(&c->cond);
        }
        pthread_cond_wait(&c->cond, &c->lock);
    }
    if (c->parked) {
        c->parked = false;
        pthread_cond_broadcast(&c->cond);
    }
    bool destroy = c->destroy_req;
    pthread_mutex_unlock(&c->lock);
    if (destroy) {
        hv->destroyed = true;
        hv->exit_status = 0;
        snprintf(hv->exit_reason, sizeof hv->exit_reason, "destroyed by request");
        return HV_STOP;
    }
    return HV_CONTINUE;
}

bool hv_vcpu_wanted(struct hv *hv)
{
    if (!hv->managed)
        return false;
    pthread_mutex_lock(&hv->ctl.lock);
    bool wanted = hv->ctl.pause_req || hv->ctl.destroy_req;
    pthread_mutex_unlock(&hv->ctl.lock);
    return wanted;
}

static void kick(struct hv *hv)
{
    pthread_kill(hv->ctl.vcpu_thread, KICK_SIGNAL);
}

void hv_vcpu_pause(struct hv *hv)
{
    struct hv_ctl *c = &hv->ctl;
    pthread_mutex_lock(&c->lock);
    c->pause_req = true;
    pthread_mutex_unlock(&c->lock);
    kick(hv);
    pthread_mutex_lock(&c->lock);
    /* Before "go" the thread has not started: it is as good as parked. */
    while (go && !c->parked && !c->stopped && c->pause_req)
        pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

void hv_vcpu_unpause(struct hv *hv)
{
    struct hv_ctl *c = &hv->ctl;
    pthread_mutex_lock(&c->lock);
    c->pause_req = false;
    pthread_cond_broadcast(&c->cond);
    while (c->parked && !c->stopped)
        pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

void hv_vcpu_destroy(struct hv *hv)
{
    struct hv_ctl *c = &hv->ctl;
    pthread_mutex_lock(&c->lock);
    c->destroy_req = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    kick(hv);
}

bool hv_vcpu_paused(struct hv *hv)
{
    pthread_mutex_lock(&hv->ctl.lock);
    bool p = hv->ctl.pause_req;
    pthread_mutex_unlock(&hv->ctl.lock);
    return p;
}
