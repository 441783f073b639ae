/*
 * Block devices: exactly one aligned block per call. The monitor does not
 * check alignment, so the runtime refuses anything else itself, before
 * any hypercall.
 */
#include "internal.h"

skiff_result_t skiff_block_acquire(const char *name, unsigned *handle,
                                   struct skiff_block_info *info)
{
    unsigned h;

    if (skiff_device_find(name, MFT_DEV_BLOCK_BASIC, &h) != SKIFF_R_OK)
        return SKIFF_R_EINVAL;

    const struct mft_entry *e = skiff_device(h, MFT_DEV_BLOCK_BASIC);

    *handle = h;
    info->capacity = e->u.block_basic.capacity;
    info->block_size = e->u.block_basic.block_size;
    return SKIFF_R_OK;
}

static skiff_result_t block_io(unsigned nr, unsigned handle, uint64_t offset,
                               uintptr_t buf, size_t len)
{
    const struct mft_entry *e = skiff_device(handle, MFT_DEV_BLOCK_BASIC);

    if (!e)
        return SKIFF_R_EINVAL;

    uint64_t bs = e->u.block_basic.block_size;
    uint64_t cap = e->u.block_basic.capacity;

    if (bs == 0 || len != bs || offset % bs != 0 || offset >= cap ||
        cap - offset < len)
        return SKIFF_R_EINVAL;

    volatile struct hvt_hc_block_io io = {
        .handle = handle,
        .offset = offset,
        .data = buf,
        .len = len,
        .ret = SKIFF_R_EUNSPEC,
    };

    skiff_hypercall(nr, &io);
    return (skiff_result_t)io.ret;
}

skiff_result_t skiff_block_write(unsigned handle, uint64_t offset,
                                 const void *buf, size_t len)
{
    return block_io(HVT_HYPERCALL_BLOCK_WRITE, handle, offset,
                    (uintptr_t)buf, len);
}

skiff_result_t skiff_block_read(unsigned handle, uint64_t offset, void *buf,
                                size_t len)
{
    return block_io(HVT_HYPERCALL_BLOCK_READ, handle, offset, (uintptr_t)buf,
                    len);
}
