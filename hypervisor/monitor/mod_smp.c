/*
 * SMP, a Skiff extension (hvt_abi.h): --vcpus=N, the check that the guest
 * handles it, and the SMP_START hypercall that lets secondaries run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "smp.h"
#include "vcpu_ctl.h"

static int smp_option(struct hv *hv, const char *arg)
{
    if (strncmp(arg, "--vcpus=", 8) != 0)
        return 1;
    const char *text = arg + 8;
    char *end;
    errno = 0;
    unsigned long n = strtoul(text, &end, 10);
    if (*text < '0' || *text > '9' || errno != 0 || *end != '\0' || n < 1 ||
        n > SKIFF_SMP_MAX_VCPUS) {
        hv_err("--vcpus=%s: want a number of vCPUs from 1 to %d", text, SKIFF_SMP_MAX_VCPUS);
        return -1;
    }
    hv->nvcpus = (unsigned)n;
    return 0;
}

int hv_smp_check(const struct hv *hv)
{
    if (hv->nvcpus > 1 && !hv->smp) {
        hv_err("%s: cannot run on %u vCPUs: the guest is not built for SMP "
               "(no Skiff SMP note); use --vcpus=1", hv->kernel, hv->nvcpus);
        return -1;
    }
    if (hv->nvcpus > hv->smp_max && hv->smp) {
        hv_err("%s: cannot run on %u vCPUs: the guest handles at most %u", hv->kernel,
               hv->nvcpus, hv->smp_max);
        return -1;
    }
    return 0;
}

static enum hv_action hc_smp_start(struct hv *hv, uint64_t gpa)
{
    struct skiff_hc_smp_start a;
    if (!hv_args_in(hv, gpa, &a, sizeof a, "SMP_START arguments"))
        return HV_STOP;
    a.started = hv->nvcpus > 1 ? hv_vcpu_start_secondaries(hv) : 0;
    a.ret = HVT_R_OK;
    hv_args_out(hv, gpa, &a, sizeof a);
    return HV_CONTINUE;
}

static int smp_setup(struct hv *hv)
{
    if (!hv->smp)
        return 0;
    /* Checked here, once the memory size is final. */
    if (hv->nvcpus > 1 &&
        (hv->smp_entry < HVT_GUEST_MIN_BASE || hv->smp_entry >= hv->mem.size)) {
        hv_err("%s: SMP entry 0x%llx lies outside guest memory", hv->kernel,
               (unsigned long long)hv->smp_entry);
        return -1;
    }
    hv_hypercall_register(hv, SKIFF_HYPERCALL_SMP_START, hc_smp_start);
    return 0;
}

const struct hv_module hv_module_smp = {
    .name = "smp",
    .usage = "  --vcpus=N (vCPUs, 1 to 512, default 1; more than 1 needs an SMP guest)\n",
    .option = smp_option,
    .setup = smp_setup,
};
