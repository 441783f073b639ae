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
        s->dirty_bitmap = calloc(1, len);
        if (s->dirty_bitmap == NULL)
            return -ENOMEM;
        s->dirty_len = len;
    }
    int rc = set_slot(hv, on ? KVM_MEM_LOG_DIRTY_PAGES : 0);
    if (rc == 0)
        s->dirty_logging = on;
    return rc;
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
    *bitmap = s->dirty_bitmap;
    *len = s->dirty_len;
    return 0;
}
