/*
 * Guest RAM is one memfd mapped shared: untouched pages cost nothing, so
 * start-up does not grow with --mem, and hostd can later map the same
 * pages (save, restore, migration) without copying through the monitor.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dirty_log.h"
#include "log.h"
#include "mem.h"
#include "vcpu_ctl.h"

int hv_mem_parse_mib(const char *text, uint64_t *bytes)
{
    char *end;
    errno = 0;
    if (*text < '0' || *text > '9')
        return -1;
    unsigned long long mib = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || mib == 0 || mib > (UINT64_MAX >> 20))
        return -1;
    *bytes = (uint64_t)mib << 20;
    return 0;
}

int hv_mem_size(uint64_t request, uint64_t *size, int *adjusted)
{
    uint64_t s = request & ~(uint64_t)(HVT_MEM_GRANULE - 1);
    if (s == 0)
        s = HVT_MEM_GRANULE;
    *adjusted = (s != request);
    if (s > HVT_MEM_MAX) {
        hv_err("guest memory size %llu bytes exceeds the max size %llu bytes",
               (unsigned long long)s, (unsigned long long)HVT_MEM_MAX);
        return -1;
    }
    *size = s;
    return 0;
}

int hv_mem_map(struct hv_mem *mem, uint64_t size)
{
    mem->fd = memfd_create("skiff-guest-ram", MFD_CLOEXEC);
    if (mem->fd < 0) {
        hv_err("memfd_create: %m");
        return -1;
    }
    if (ftruncate(mem->fd, (off_t)size) < 0) {
        hv_err("cannot size guest memory to %llu bytes: %m", (unsigned long long)size);
        goto fail;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                   mem->fd, 0);
    if (p == MAP_FAILED) {
        hv_err("cannot map guest memory: %m");
        goto fail;
    }
    mem->base = p;
    mem->alloc = size;
    mem->size = size;
    return 0;
fail:
    close(mem->fd);
    mem->fd = -1;
    return -1;
}

void hv_mem_unmap(struct hv_mem *mem)
{
    if (mem->base != NULL)
        munmap(mem->base, mem->alloc);
    if (mem->fd >= 0)
        close(mem->fd);
    mem->base = NULL;
    mem->fd = -1;
}

void *hv_gpa(struct hv *hv, uint64_t gpa, uint64_t len, const char *what)
{
    if (!hv_range_ok(gpa, len, hv->mem.size)) {
        hv_stop_guest(hv, "Invalid guest access: gpa=0x%llx, sz=%llu (%s)",
                       (unsigned long long)gpa, (unsigned long long)len, what);
        return NULL;
    }
    return hv->mem.base + gpa;
}

bool hv_args_in(struct hv *hv, uint64_t gpa, void *args, size_t size, const char *what)
{
    const void *p = hv_gpa(hv, gpa, size, what);
    if (p == NULL)
        return false;
    memcpy(args, p, size);
    return true;
}

void hv_args_out(struct hv *hv, uint64_t gpa, const void *args, size_t size)
{
    memcpy(hv->mem.base + gpa, args, size);
    hv_dirty_mark(hv, gpa, size);
}

enum hv_action hv_stop_guest(struct hv *hv, const char *fmt, ...)
{
    char msg[512];
    size_t n = 0;
    const struct hv_vcpu *v = hv_vcpu_self();
    if (hv->nvcpus > 1 && v != NULL)
        n = (size_t)snprintf(msg, sizeof msg, "vCPU %u: ", v->index);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - n, fmt, ap);   /* truncated if long */
    va_end(ap);
    /* Several vCPUs may fail at once: only the first one counts. */
    if (hv_guest_stop(hv, 1, true, msg))
        hv_err("%s", msg);
    return HV_STOP;
}
