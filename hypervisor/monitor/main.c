/*
 * skiff-hv: run one unikernel on KVM. The start-up order follows the hvt
 * tender (HVT-ABI 1.7), so the same error wins when several things are
 * wrong: arguments, image notes, options and devices, memory, KVM, the
 * image, the vCPU, device set-up, boot info, sandbox, run.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "boot.h"
#include "console.h"
#include "control.h"
#include "elf_loader.h"
#include "kvm.h"
#include "log.h"
#include "manifest.h"
#include "mem.h"
#include "run.h"
#include "place.h"
#include "sandbox.h"
#include "smp.h"
#include "vcpu_ctl.h"

const struct hv_module *const hv_modules[] = {
    &hv_module_core, &hv_module_block, &hv_module_net, &hv_module_dumpcore,
    &hv_module_control, &hv_module_smp, &hv_module_place, NULL,
};

static void on_signal(int sig)
{
    /* Only async-signal-safe calls, and only ones the sandbox allows. */
    char msg[64];
    int n = snprintf(msg, sizeof msg, "%s: Exiting on signal %d\n", hv_progname(), sig);
    if (n > 0)
        (void)!write(STDERR_FILENO, msg, (size_t)n);
    _exit(1);
}

static void install_signals(void)
{
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* A closed console must not kill the guest. */
    signal(SIGPIPE, SIG_IGN);
}

static void hv_init(struct hv *hv)
{
    memset(hv, 0, sizeof *hv);
    hv->kernel_fd = hv->kvm_fd = hv->vm_fd = -1;
    hv->mem.fd = hv->dumpcore.dirfd = -1;
    hv->nvcpus = 1;
    for (int i = 0; i < MFT_MAX_ENTRIES; i++)
        hv->dev[i].fd = -1;
    hv->mem_request = HVT_MEM_DEFAULT;
    hv->sandbox = true;
    hv->control_fd = -1;
    hv->console.wake_fd = hv->ctl.request_fd = hv->ctl.stopped_fd = hv->ctl.listen_fd = -1;
    hv->ctl.epfd = hv->ctl.attention_fd = -1;
    pthread_mutex_init(&hv->console.lock, NULL);
    pthread_mutex_init(&hv->ctl.lock, NULL);
    pthread_cond_init(&hv->ctl.cond, NULL);
}

/* ABI1: the image must be built for hvt, ABI version 2. */
static int check_abi(struct hv *hv)
{
    void *desc = NULL;
    size_t len = 0;
    int rc = hv_elf_find_note(hv->kernel_fd, hv->kernel, HVT_NOTE_NAME, HVT_NOTE_TYPE_ABI1,
                              HVT_NOTE_ABI1_MAX, 4, &desc, &len);
    if (rc == HV_ELF_NOTE_MISSING)
        hv_err("%s: No Solo5 ABI information found in executable", hv->kernel);
    if (rc != HV_ELF_NOTE_FOUND)
        return -1;
    struct hvt_abi1_desc abi = { 0 };
    memcpy(&abi, desc, len < sizeof abi ? len : sizeof abi);
    free(desc);
    if (len < sizeof abi) {
        hv_err("%s: ABI note too short (%zu bytes)", hv->kernel, len);
        return -1;
    }
    if (abi.abi_target != HVT_ABI_TARGET_HVT) {
        hv_err("%s: Executable is not for the solo5-hvt target (target %u)", hv->kernel,
               abi.abi_target);
        return -1;
    }
    if (abi.abi_version != HVT_ABI_VERSION) {
        hv_err("%s: Executable requests unsupported ABI version %u", hv->kernel,
               abi.abi_version);
        return -1;
    }
    return 0;
}

/* MFT1: the devices the image declares; kept as the host's copy. */
static int load_manifest(struct hv *hv)
{
    void *desc = NULL;
    size_t len = 0;
    int rc = hv_elf_find_note(hv->kernel_fd, hv->kernel, HVT_NOTE_NAME, HVT_NOTE_TYPE_MFT1,
                              HVT_NOTE_MFT1_MAX, 8, &desc, &len);
    if (rc == HV_ELF_NOTE_MISSING)
        hv_err("%s: No Solo5 manifest found in executable", hv->kernel);
    if (rc != HV_ELF_NOTE_FOUND)
        return -1;
    if (!hv_mft_valid(desc, len)) {
        hv_err("%s: Solo5 manifest is invalid", hv->kernel);
        free(desc);
        return -1;
    }
    hv->mft = desc;
    hv->mft_size = len;
    return 0;
}

static int check_all_attached(const struct hv *hv)
{
    int missing = 0;
    for (uint32_t i = 1; i < hv->mft->entries; i++) {
        const struct mft_entry *e = &hv->mft->e[i];
        if (!e->attached) {
            hv_err("Device '%s' of type %s declared but not attached.", e->name,
                   hv_mft_type_name(e->type));
            missing = 1;
        }
    }
    if (missing)
        hv_err("All declared devices must be attached. See --help for syntax.");
    return missing ? -1 : 0;
}

static int setup_memory(struct hv *hv)
{
    uint64_t size;
    int adjusted;
    if (hv_mem_size(hv->mem_request, &size, &adjusted) < 0)
        return -1;
    if (adjusted)
        hv_warn("adjusting memory to %llu bytes", (unsigned long long)size);
    return hv_mem_map(&hv->mem, size) < 0 ? -1 : hv_place_memory(hv);
}

static int setup_modules(struct hv *hv)
{
    for (int i = 0; hv_modules[i] != NULL; i++) {
        if (hv_modules[i]->setup != NULL && hv_modules[i]->setup(hv) < 0) {
            hv_err("Module `%s' setup failed", hv_modules[i]->name);
            return -1;
        }
    }
    return 0;
}

static int start(struct hv *hv)
{
    hv->kernel_fd = open(hv->kernel, O_RDONLY | O_CLOEXEC);
    if (hv->kernel_fd < 0) {
        hv_err("%s: Could not open: %m", hv->kernel);
        return -1;
    }
    if (check_abi(hv) < 0 || load_manifest(hv) < 0 || hv_control_read_note(hv) < 0 ||
        hv_args_apply(hv) < 0 || hv_smp_check(hv) < 0 || hv_sandbox_close_inherited(hv) < 0)
        return -1;
    if (hv->snap.incoming && !hv->managed) {
        hv_err("--incoming needs --control or --control-fd: nobody could load the state");
        return -1;
    }
    if (hv->start_paused && !hv->managed) {
        hv_err("--start-paused needs --control or --control-fd: nobody could unpause the guest");
        return -1;
    }
    install_signals();
    if (setup_memory(hv) < 0 || hv_kvm_init(hv) < 0)
        return -1;
    /* --incoming: memory, page tables and boot info all come with the state. */
    if (!hv->snap.incoming &&
        hv_elf_load(hv->kernel_fd, hv->kernel, hv->mem.base, hv->mem.alloc, &hv->entry,
                    &hv->kernel_end) < 0)
        return -1;
    close(hv->kernel_fd);
    hv->kernel_fd = -1;
    if (!hv->snap.incoming)
        hv_boot_setup_paging(hv);
    if (hv_kvm_vcpu_init(hv) < 0)
        return -1;
    if (hv->managed && hv_console_init_managed(hv) < 0)
        return -1;
    /* Threads only when something else must reach the vCPUs: a
     * controller, or other vCPUs. */
    if ((hv->managed || hv->nvcpus > 1) && hv_vcpu_ctl_init(hv) < 0)
        return -1;
    if (setup_modules(hv) < 0 || check_all_attached(hv) < 0 || hv_boot_check_cmdline(hv) < 0)
        return -1;
    if (!hv->snap.incoming)
        hv_boot_write_info(hv);
    hv->dumpcore.pid = (int)getpid();
    /* vCPU threads exist before the sandbox (which covers them too) but
     * run the guest only once told to. */
    if (hv->managed && hv_control_listen(hv) < 0)
        return -1;
    if (hv->ctl.threaded && (hv_vcpu_threads_start(hv) < 0 || hv_place_vcpus(hv) < 0))
        return -1;
    if (!hv->ctl.threaded && hv->place.cpus != NULL) {
        hv->vcpus[0].tid = (int)getpid();
        if (hv_place_vcpus(hv) < 0)
            return -1;
    }
    return hv_sandbox_enter(hv);
}

int main(int argc, char **argv)
{
    static struct hv hv;
    hv_log_init(argv[0]);
    hv_init(&hv);
    int rc = hv_args_locate(&hv, argc, argv);
    if (rc != HV_ARGS_RUN)
        return rc;
    if (start(&hv) < 0)
        return 1;
    /* The process exit releases everything: nothing is torn down here. */
    if (hv.managed)
        return hv_control_serve(&hv);
    return hv_vcpu_run_main(&hv);
}
