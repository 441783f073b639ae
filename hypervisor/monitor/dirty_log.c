#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "dirty_log.h"
#include "log.h"

static int set_slot(struct hv *hv, uint32_t flags)
{
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .flags = flags,
        .guest_phys_addr = 0,
        .memory_size = hv->mem.alloc,
        .userspace_addr = (uint64_t)(uintptr_t)hv->mem.base,
    };
    if (ioctl(hv->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
        int e = errno;
        hv_err("KVM: cannot %s dirty logging: %s", flags ? "enable" : "disable", strerror(e));
        return -e;
    }
    return 0;
}

int hv_dirty_log_enable(struct hv *hv, bool on)
{
    struct hv_snap *s = &hv->snap;
    if (on == s->dirty_logging)
        return 0;
    size_t len = (size_t)((hv->mem.alloc / 4096 + 63) / 64 * 8);
    if (on && s->dirty_bitmap == NULL) {
        uint64_t *user = calloc(1, len);
        s->dirty_bitmap = calloc(1, len);
        if (s->dirty_bitmap == NULL || user == NULL) {
            free(user);
            free(s->dirty_bitmap);
            s->dirty_bitmap = NULL;
            return -ENOMEM;
        }
        s->dirty_len = len;
        __atomic_store_n(&s->user_dirty, user, __ATOMIC_RELEASE);
    }
    int rc = set_slot(hv, on ? KVM_MEM_LOG_DIRTY_PAGES : 0);
    if (rc == 0)
        __atomic_store_n(&s->dirty_logging, on, __ATOMIC_RELEASE);
    return rc;
}

void hv_dirty_mark(struct hv *hv, uint64_t gpa, uint64_t len)
{
    if (len == 0 || !__atomic_load_n(&hv->snap.dirty_logging, __ATOMIC_ACQUIRE))
        return;
    uint64_t *bits = __atomic_load_n(&hv->snap.user_dirty, __ATOMIC_ACQUIRE);
    for (uint64_t p = gpa / 4096; p <= (gpa + len - 1) / 4096; p++)
        __atomic_fetch_or(&bits[p / 64], 1ULL << (p % 64), __ATOMIC_RELAXED);
}

int hv_dirty_log_fetch(struct hv *hv, const uint8_t **bitmap, size_t *len)
{
    struct hv_snap *s = &hv->snap;
    if (!s->dirty_logging)
        return -ENOENT;
    memset(s->dirty_bitmap, 0, s->dirty_len);
    struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = s->dirty_bitmap };
    if (ioctl(hv->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0) {
        int e = errno;
        hv_err("KVM: ioctl (GET_DIRTY_LOG) failed: %s", strerror(e));
        return -e;
    }
    /* KVM's bitmap is an array of longs, bit i for page i, as ours. */
    uint64_t *kvm = (uint64_t *)(void *)s->dirty_bitmap;
    for (size_t i = 0; i < s->dirty_len / 8; i++)
        kvm[i] |= __atomic_exchange_n(&s->user_dirty[i], 0, __ATOMIC_RELAXED);
    *bitmap = s->dirty_bitmap;
    *len = s->dirty_len;
    return 0;
}
