/* BLOCK_BASIC devices backed by files: --block and --block-sector-size. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "dirty_log.h"
#include "log.h"

#define BLOCK_DEFAULT_SECTOR 512

static int block_attach(struct hv *hv, struct mft_entry *e, const char *path)
{
    if (*path == '\0' || strlen(path) > 4096) {
        hv_err("Could not open block device: '%s': bad path", path);
        return -1;
    }
    struct hv_dev *d = &hv->dev[hv_dev_handle(hv, e)];
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        hv_err("Could not open block device: %s: %m", path);
        return -1;
    }
    if (d->fd >= 0)     /* the last --block for a name wins */
        close(d->fd);
    d->fd = fd;
    e->attached = 1;
    return 0;
}

static int block_sector_size(struct mft_entry *e, const char *text)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 0);
    if (errno != 0 || end == text || *end != '\0' || *text == '-' || v > 0xffff ||
        v < BLOCK_DEFAULT_SECTOR || (v & (v - 1)) != 0) {
        hv_err("Block size must be a multiple of 2 greater than or equal 512 "
               "(a power of two, at most 32768): '%s'", text);
        return -1;
    }
    e->u.block_basic.block_size = (uint16_t)v;
    return 0;
}

static int block_option(struct hv *hv, const char *arg)
{
    const char *name, *value;
    size_t len;
    int rc = hv_dev_option(arg, "block-sector-size", &name, &len, &value);
    if (rc == 0) {
        struct mft_entry *e = hv_dev_declared(hv, name, len, MFT_DEV_BLOCK_BASIC);
        return e ? block_sector_size(e, value) : -1;
    }
    if (rc < 0)
        return -1;
    rc = hv_dev_option(arg, "block", &name, &len, &value);
    if (rc != 0)
        return rc;
    struct mft_entry *e = hv_dev_declared(hv, name, len, MFT_DEV_BLOCK_BASIC);
    return e ? block_attach(hv, e, value) : -1;
}

/* Check the request against the device; EINVAL for the guest otherwise. */
static int request_ok(const struct mft_entry *e, uint64_t offset, uint64_t len)
{
    uint64_t cap = e->u.block_basic.capacity;
    return len <= SSIZE_MAX && offset < cap && len <= cap - offset;
}

static enum hv_action block_io(struct hv *hv, uint64_t gpa, int write)
{
    struct hvt_hc_block_io a;
    if (!hv_args_in(hv, gpa, &a, sizeof a, write ? "BLOCK_WRITE arguments"
                                                 : "BLOCK_READ arguments"))
        return HV_STOP;
    struct mft_entry *e = hv_dev_by_handle(hv, a.handle, MFT_DEV_BLOCK_BASIC);
    if (e == NULL || !request_ok(e, a.offset, a.len)) {
        a.ret = HVT_R_EINVAL;
        hv_args_out(hv, gpa, &a, sizeof a);
        return HV_CONTINUE;
    }
    uint8_t *data = hv_gpa(hv, a.data, a.len, write ? "BLOCK_WRITE data" : "BLOCK_READ data");
    if (data == NULL)
        return HV_STOP;

    int fd = hv->dev[a.handle].fd;
    uint64_t done = 0;
    while (done < a.len) {
        ssize_t n = write ? pwrite(fd, data + done, a.len - done, (off_t)(a.offset + done))
                          : pread(fd, data + done, a.len - done, (off_t)(a.offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hv_stop_guest(hv, "Fatal error when %s block device '%s': %s",
                                 write ? "writing to" : "reading from", e->name,
                                 strerror(errno));
        if (n == 0)
            return hv_stop_guest(hv, "Fatal error: %s only %llu out of %llu bytes of "
                                 "block device '%s'", write ? "wrote" : "read",
                                 (unsigned long long)done, (unsigned long long)a.len, e->name);
        done += (uint64_t)n;
    }
    if (!write)
        hv_dirty_mark(hv, a.data, a.len);
    a.ret = HVT_R_OK;
    hv_args_out(hv, gpa, &a, sizeof a);
    return HV_CONTINUE;
}

static enum hv_action hc_block_write(struct hv *hv, uint64_t gpa)
{
    return block_io(hv, gpa, 1);
}

static enum hv_action hc_block_read(struct hv *hv, uint64_t gpa)
{
    return block_io(hv, gpa, 0);
}

static int block_setup(struct hv *hv)
{
    int any = 0;
    for (uint32_t i = 1; i < hv->mft->entries; i++) {
        struct mft_entry *e = &hv->mft->e[i];
        if (e->type != MFT_DEV_BLOCK_BASIC || !e->attached)
            continue;
        if (e->u.block_basic.block_size == 0)
            e->u.block_basic.block_size = BLOCK_DEFAULT_SECTOR;
        uint64_t bs = e->u.block_basic.block_size;
        off_t size = lseek(hv->dev[i].fd, 0, SEEK_END);
        if (size < 0) {
            hv_err("%s: cannot determine the size of the backing storage: %m", e->name);
            return -1;
        }
        if ((uint64_t)size % bs != 0) {
            hv_err("%s: Backing storage size must be block aligned (%llu bytes)", e->name,
                   (unsigned long long)bs);
            return -1;
        }
        if ((uint64_t)size < bs) {
            hv_err("%s: Backing storage must be at least 1 block (%llu bytes) in size",
                   e->name, (unsigned long long)bs);
            return -1;
        }
        e->u.block_basic.capacity = (uint64_t)size;
        any = 1;
    }
    if (any) {
        hv_hypercall_register(hv, HVT_HYPERCALL_BLOCK_WRITE, hc_block_write);
        hv_hypercall_register(hv, HVT_HYPERCALL_BLOCK_READ, hc_block_read);
    }
    return 0;
}

const struct hv_module hv_module_block = {
    .name = "block",
    .usage = "  --block:NAME=PATH (attach block device/file as NAME)\n"
             "  --block-sector-size:NAME=SIZE (sector size of NAME, default 512)\n",
    .option = block_option,
    .setup = block_setup,
};
