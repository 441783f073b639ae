/*
 * badhandle: block and network hypercalls with handles that name no
 * device of the right type. The monitor must answer EINVAL and carry on;
 * the runtime would refuse these itself, so they are issued raw.
 */
#include "skiff/guest.h"
#include "skiff/hypercall.h"

SKIFF_MANIFEST(SKIFF_BLOCK("storage"), SKIFF_NET("service0"));

#define H_BLOCK 1
#define H_NET   2

static uint8_t buf[4096] __attribute__((aligned(8)));

static const uint64_t not_block[] = { 0, H_NET, 3, 63, 64, 1ULL << 32, ~0ULL };
static const uint64_t not_net[] = { 0, H_BLOCK, 3, 63, 64, 1ULL << 32, ~0ULL };

static int expect_einval(const char *call, uint64_t handle, int32_t ret)
{
    if (ret == SKIFF_R_EINVAL)
        return 1;
    skiff_printf("FAILURE: %s with handle 0x%lx returned %d\n", call,
                 (unsigned long)handle, ret);
    return 0;
}

int skiff_main(const char *cmdline)
{
    int ok = 1;

    (void)cmdline;
    for (unsigned i = 0; i < sizeof(not_block) / sizeof(not_block[0]); i++) {
        for (unsigned nr = HVT_HYPERCALL_BLOCK_WRITE;
             nr <= HVT_HYPERCALL_BLOCK_READ; nr++) {
            volatile struct hvt_hc_block_io io = {
                .handle = not_block[i], .offset = 0,
                .data = (uintptr_t)buf, .len = 512, .ret = -1 };

            skiff_hypercall(nr, &io);
            ok &= expect_einval(nr == HVT_HYPERCALL_BLOCK_WRITE ?
                                "BLOCK_WRITE" : "BLOCK_READ",
                                not_block[i], io.ret);
        }
    }
    for (unsigned i = 0; i < sizeof(not_net) / sizeof(not_net[0]); i++) {
        for (unsigned nr = HVT_HYPERCALL_NET_WRITE;
             nr <= HVT_HYPERCALL_NET_READ; nr++) {
            volatile struct hvt_hc_net_io io = {
                .handle = not_net[i], .data = (uintptr_t)buf, .len = 60,
                .ret = -1 };

            skiff_hypercall(nr, &io);
            ok &= expect_einval(nr == HVT_HYPERCALL_NET_WRITE ?
                                "NET_WRITE" : "NET_READ",
                                not_net[i], io.ret);
        }
    }
    /* The real devices still work afterwards. */
    volatile struct hvt_hc_block_io io = {
        .handle = H_BLOCK, .data = (uintptr_t)buf, .len = 512, .ret = -1 };

    skiff_hypercall(HVT_HYPERCALL_BLOCK_READ, &io);
    if (io.ret != SKIFF_R_OK) {
        skiff_printf("FAILURE: BLOCK_READ on the real device returned %d\n",
                     io.ret);
        ok = 0;
    }
    if (!ok)
        return 1;
    skiff_printf("SUCCESS\n");
    return 0;
}
