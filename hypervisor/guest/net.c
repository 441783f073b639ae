/*
 * Network devices: whole Ethernet frames through the NET_WRITE and
 * NET_READ hypercalls (the optional shared ring is not used).
 */
#include "internal.h"

skiff_result_t skiff_net_acquire(const char *name, unsigned *handle,
                                 struct skiff_net_info *info)
{
    unsigned h;

    if (skiff_device_find(name, MFT_DEV_NET_BASIC, &h) != SKIFF_R_OK)
        return SKIFF_R_EINVAL;

    const struct mft_entry *e = skiff_device(h, MFT_DEV_NET_BASIC);

    *handle = h;
    memcpy(info->mac, e->u.net_basic.mac, sizeof(info->mac));
    info->mtu = e->u.net_basic.mtu;
    return SKIFF_R_OK;
}

skiff_result_t skiff_net_write(unsigned handle, const void *buf, size_t len)
{
    const struct mft_entry *e = skiff_device(handle, MFT_DEV_NET_BASIC);

    if (!e || len > (size_t)e->u.net_basic.mtu + SKIFF_ETH_HLEN)
        return SKIFF_R_EINVAL;

    volatile struct hvt_hc_net_io io = {
        .handle = handle,
        .data = (uintptr_t)buf,
        .len = len,
        .ret = SKIFF_R_EUNSPEC,
    };

    skiff_hypercall(HVT_HYPERCALL_NET_WRITE, &io);
    return (skiff_result_t)io.ret;
}

skiff_result_t skiff_net_read(unsigned handle, void *buf, size_t size,
                              size_t *len)
{
    const struct mft_entry *e = skiff_device(handle, MFT_DEV_NET_BASIC);

    /* A smaller buffer would silently truncate frames. */
    if (!e || size < (size_t)e->u.net_basic.mtu + SKIFF_ETH_HLEN)
        return SKIFF_R_EINVAL;

    volatile struct hvt_hc_net_io io = {
        .handle = handle,
        .data = (uintptr_t)buf,
        .len = size,
        .ret = SKIFF_R_EUNSPEC,
    };

    skiff_hypercall(HVT_HYPERCALL_NET_READ, &io);
    if (io.ret == SKIFF_R_OK)
        *len = io.len;
    return (skiff_result_t)io.ret;
}
