/*
 * Skiff's control events (hvt_abi.h): a guest that opted in with the SKF1
 * note learns of shutdown and reboot requests through bit 0 of POLL's
 * ready set and reads them with the CONTROL hypercall. Only in managed
 * mode, where there is someone to make the request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "elf_loader.h"
#include "log.h"


/* Look for the SKF1 note; its absence is normal (a plain hvt guest).
 * It names the extensions the guest handles: control events, SMP. */
int hv_control_read_note(struct hv *hv)
{
    void *desc = NULL;
    size_t len = 0;
    int rc = hv_elf_find_note(hv->kernel_fd, hv->kernel, SKIFF_NOTE_NAME, SKIFF_NOTE_TYPE_EXT1,
                              SKIFF_NOTE_EXT1_MAX, 8, &desc, &len);
    if (rc == HV_ELF_NOTE_MISSING)
        return 0;
    if (rc != HV_ELF_NOTE_FOUND)
        return -1;
    struct skiff_ext1_desc ext = { 0 };
    memcpy(&ext, desc, len < sizeof ext ? len : sizeof ext);
    free(desc);
    if (len < 8 || ext.version != 1) {
        hv_err("%s: unsupported Skiff extension note (version %u, %zu bytes)", hv->kernel,
               ext.version, len);
        return -1;
    }
    hv->control_events = (ext.features & SKIFF_EXT_CONTROL_EVENTS) != 0;
    hv->smp = (ext.features & SKIFF_EXT_SMP) != 0 && len >= sizeof ext;
    if (hv->smp) {
        hv->smp_entry = ext.smp_entry;
        hv->smp_max = ext.smp_max_vcpus == 0 || ext.smp_max_vcpus > SKIFF_SMP_MAX_VCPUS
                          ? SKIFF_SMP_MAX_VCPUS : ext.smp_max_vcpus;
    }
    return 0;
}

static enum hv_action hc_control(struct hv *hv, uint64_t gpa)
{
    struct skiff_hc_control a;
    if (!hv_args_in(hv, gpa, &a, sizeof a, "CONTROL arguments"))
        return HV_STOP;
    uint64_t count;
    (void)!read(hv->ctl.request_fd, &count, sizeof count);   /* clears bit 0 */
    pthread_mutex_lock(&hv->ctl.lock);
    a.request = hv->ctl.guest_request;
    if (a.request != SKIFF_CONTROL_NONE)
        hv->ctl.last_request = a.request;
    hv->ctl.guest_request = SKIFF_CONTROL_NONE;
    pthread_mutex_unlock(&hv->ctl.lock);
    a.pad = 0;
    a.reserved = 0;
    hv_args_out(hv, gpa, &a, sizeof a);
    return HV_CONTINUE;
}

static int control_setup(struct hv *hv)
{
    if (!hv->managed || !hv->control_events)
        return 0;
    if (hv_poll_add(hv, hv->ctl.request_fd, 0) < 0)
        return -1;
    hv_hypercall_register(hv, SKIFF_HYPERCALL_CONTROL, hc_control);
    return 0;
}

/* --incoming: the guest's state and memory come from hostd (restore,
 * migration), so nothing is loaded or booted and the vCPUs wait. */
static int control_option(struct hv *hv, const char *arg)
{
    if (strcmp(arg, "--incoming") != 0)
        return 1;
    hv->snap.incoming = true;
    hv->start_paused = true;
    return 0;
}

const struct hv_module hv_module_control = {
    .name = "control",
    .usage = "  --incoming (with --control: load no image into memory and boot nothing;\n"
             "              wait for a saved state and memory from the controller)\n",
    .option = control_option,
    .setup = control_setup,
};
