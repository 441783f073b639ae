#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "control_snap.h"
#include "dirty_log.h"
#include "log.h"
#include "vcpu_ctl.h"
#include "vcpu_state.h"

static unsigned vcpu_count(const struct hv *hv)
{
    return hv->nvcpus;
}

static int vcpu_fd(const struct hv *hv, unsigned i)
{
    return hv->vcpus[i].fd;
}

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int hv_snap_get_state(struct hv *hv, Skiff__Monitor__V1__Stats *st, char *msg, size_t size)
{
    if (hv->snap.incoming && !hv->snap.state_loaded) {
        snprintf(msg, size, "no state loaded yet (--incoming)");
        return EBUSY;
    }
    hv_vcpu_pause(hv);      /* parked vCPUs have completed their last exit */
    unsigned n = vcpu_count(hv);
    Skiff__Snapshot__V1__MachineState *m = calloc(1, sizeof *m);
    Skiff__Snapshot__V1__VcpuState *v = calloc(n, sizeof *v);
    Skiff__Snapshot__V1__VcpuState **pv = calloc(n, sizeof *pv);
    if (m == NULL || v == NULL || pv == NULL) {
        free(m);
        free(v);
        free(pv);
        snprintf(msg, size, "out of memory");
        return ENOMEM;
    }
    skiff__snapshot__v1__machine_state__init(m);
    m->vcpus = pv;
    st->machine = m;
    for (unsigned i = 0; i < n; i++) {
        if (hv_vcpu_state_get(vcpu_fd(hv, i), i, &v[i]) < 0) {
            snprintf(msg, size, "cannot read the state of vCPU %u", i);
            for (unsigned j = 0; j < i; j++)
                hv_vcpu_state_clear(&v[j]);
            free(v);
            free(pv);
            free(m);
            st->machine = NULL;
            return EIO;
        }
        pv[i] = &v[i];
        m->n_vcpus = i + 1;
    }
    m->tsc_khz = hv->tsc_hz / 1000;
    m->memory_bytes = hv->mem.size;
    m->manifest.data = (uint8_t *)hv->mft;
    m->manifest.len = hv->mft_size;
    m->control_events = hv->control_events;
    pthread_mutex_lock(&hv->ctl.lock);
    m->guest_request = hv->ctl.guest_request;
    m->last_request = hv->ctl.last_request;
    m->smp_started = hv->ctl.smp_started;
    pthread_mutex_unlock(&hv->ctl.lock);
    m->wall_ns = realtime_ns();
    return 0;
}

void hv_snap_stats_clear(Skiff__Monitor__V1__Stats *st)
{
    Skiff__Snapshot__V1__MachineState *m = st->machine;
    if (m != NULL) {
        for (size_t i = 0; i < m->n_vcpus; i++)
            hv_vcpu_state_clear(m->vcpus[i]);
        if (m->n_vcpus > 0)
            free(m->vcpus[0]);      /* one array holds them all */
        free(m->vcpus);
        free(m);
        st->machine = NULL;
    }
}

/* The image restored must be the one saved: same devices by name and type. */
static int same_manifest(const struct hv *hv, const ProtobufCBinaryData *b, char *msg,
                         size_t size)
{
    const struct mft *saved = (const struct mft *)(const void *)b->data;
    if (b->len < sizeof(struct mft) || b->len != MFT_SIZE(saved->entries) ||
        saved->entries != hv->mft->entries) {
        snprintf(msg, size, "the guest image's manifest differs from the saved one (%u "
                 "devices here)", hv->mft->entries);
        return -1;
    }
    for (uint32_t i = 0; i < saved->entries; i++) {
        const struct mft_entry *a = &saved->e[i], *e = &hv->mft->e[i];
        if (a->type != e->type || strncmp(a->name, e->name, MFT_NAME_SIZE) != 0) {
            snprintf(msg, size, "the guest image's manifest differs from the saved one "
                     "(entry %u is '%.*s' here)", i, MFT_NAME_SIZE, e->name);
            return -1;
        }
    }
    return 0;
}

/* The guest's clock ticks at the saved rate, or the restore is refused. */
static int same_tsc_rate(struct hv *hv, uint64_t khz, char *msg, size_t size)
{
    if (khz == hv->tsc_hz / 1000)
        return 0;
    for (unsigned i = 0; i < vcpu_count(hv); i++) {
        if (ioctl(vcpu_fd(hv, i), KVM_SET_TSC_KHZ, (unsigned long)khz) < 0) {
            snprintf(msg, size, "the guest's TSC ran at %llu kHz, this host's at %llu kHz, "
                     "and KVM cannot scale it: %s", (unsigned long long)khz,
                     (unsigned long long)(hv->tsc_hz / 1000), strerror(errno));
            return -1;
        }
    }
    hv->tsc_hz = khz * 1000;
    return 0;
}

int hv_snap_set_state(struct hv *hv, const Skiff__Snapshot__V1__MachineState *m, char *msg,
                      size_t size)
{
    if (!hv->snap.incoming || hv->snap.state_loaded) {
        snprintf(msg, size, hv->snap.incoming ? "the state is already loaded"
                                              : "not started with --incoming");
        return EBUSY;
    }
    if (m->n_vcpus != vcpu_count(hv)) {
        snprintf(msg, size, "the state has %zu vCPUs, this guest %u", m->n_vcpus,
                 vcpu_count(hv));
        return EINVAL;
    }
    if (m->memory_bytes != hv->mem.size) {
        snprintf(msg, size, "the state has %llu bytes of memory, this guest %llu",
                 (unsigned long long)m->memory_bytes, (unsigned long long)hv->mem.size);
        return EINVAL;
    }
    if (m->control_events != hv->control_events) {
        snprintf(msg, size, "the guest image's control-event note differs from the saved one");
        return EINVAL;
    }
    if (same_manifest(hv, &m->manifest, msg, size) < 0 ||
        same_tsc_rate(hv, m->tsc_khz, msg, size) < 0)
        return EINVAL;
    for (unsigned i = 0; i < vcpu_count(hv); i++) {
        char why[200];
        if (m->vcpus[i]->index != i) {
            snprintf(msg, size, "vCPU states out of order");
            return EINVAL;
        }
        if (hv_vcpu_state_set(vcpu_fd(hv, i), m->vcpus[i], why, sizeof why) < 0) {
            snprintf(msg, size, "vCPU %u: %s", i, why);
            return EINVAL;
        }
    }
    uint64_t tsc;
    if (hv_vcpu_state_tsc(m->vcpus[0], &tsc) < 0) {
        snprintf(msg, size, "the saved state has no TSC");
        return EINVAL;
    }
    int *fds = malloc(vcpu_count(hv) * sizeof *fds);
    if (fds == NULL) {
        snprintf(msg, size, "out of memory");
        return ENOMEM;
    }
    for (unsigned i = 0; i < vcpu_count(hv); i++)
        fds[i] = vcpu_fd(hv, i);
    int rc = hv_vcpu_state_set_tsc(fds, vcpu_count(hv), tsc, hv->tsc_hz, msg, size);
    free(fds);
    if (rc < 0)
        return EINVAL;
    uint32_t req = m->guest_request;
    pthread_mutex_lock(&hv->ctl.lock);
    hv->ctl.guest_request = req == SKIFF_CONTROL_SHUTDOWN || req == SKIFF_CONTROL_REBOOT
                            ? req : SKIFF_CONTROL_NONE;
    hv->ctl.last_request = m->last_request;
    pthread_mutex_unlock(&hv->ctl.lock);
    if (hv->ctl.guest_request != SKIFF_CONTROL_NONE) {
        uint64_t one = 1;
        (void)!write(hv->ctl.request_fd, &one, sizeof one);
    }
    /* Secondaries the guest had started run again (parked until unpause). */
    if (m->smp_started && hv->nvcpus > 1)
        hv_vcpu_start_secondaries(hv);
    hv->snap.state_loaded = true;
    return 0;
}

int hv_snap_dirty_log(struct hv *hv, const Skiff__Monitor__V1__DirtyLog *rq,
                      Skiff__Monitor__V1__Stats *st, char *msg, size_t size)
{
    int rc = 0;
    if (rq->enable || rq->disable)
        rc = hv_dirty_log_enable(hv, rq->enable);
    if (rc == 0 && rq->fetch) {
        const uint8_t *bits;
        size_t len;
        rc = hv_dirty_log_fetch(hv, &bits, &len);
        if (rc == 0) {
            st->dirty_bitmap.data = (uint8_t *)bits;
            st->dirty_bitmap.len = len;
        }
    }
    if (rc < 0) {
        snprintf(msg, size, rc == -ENOENT ? "dirty logging is off" : "dirty log: %s",
                 strerror(-rc));
        return -rc;
    }
    return 0;
}
