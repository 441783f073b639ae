/*
 * The state of one skiff-hv instance: one guest, one process.
 *
 * Everything the monitor knows lives in struct hv and is passed
 * explicitly; modules keep their own state in the fields named for them.
 */
#ifndef SKIFF_HV_H
#define SKIFF_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvt_abi.h"

struct kvm_run;
struct hv;

/* What the run loop does after a hypercall or exit. */
enum hv_action {
    HV_CONTINUE,
    HV_STOP             /* leave the run loop; hv->exit_status says how */
};

typedef enum hv_action (*hv_hypercall_fn)(struct hv *hv, uint64_t gpa);

struct hv_mem {
    uint8_t *base;      /* host mapping of guest RAM, GPA 0 at base */
    uint64_t size;      /* guest-visible size (boot_info.mem_size) */
    uint64_t alloc;     /* mapped and registered with KVM */
    int fd;             /* memfd backing the RAM, shareable with hostd */
};

struct hv_vcpu {
    int fd;
    struct kvm_run *run;
    size_t run_size;
};

struct hv_poll {
    int epfd;           /* tap fds (data = handle) and the timer */
    int timerfd;
    uint64_t handles;   /* set of handles registered for readiness */
};

/* Host side of a manifest entry: what the guest must not see. */
struct hv_dev {
    int fd;             /* backing file or tap, -1 when not attached */
    bool mac_set;       /* --net-mac given */
};

struct hv_dumpcore {
    int dirfd;          /* -1 unless --dumpcore was given */
    char dir[4096];
    int pid;            /* taken before the sandbox forbids getpid */
};

struct hv {
    const char *kernel;         /* path as given on the command line */
    int kernel_fd;
    char **opt_argv;            /* the options, before KERNEL */
    int opt_argc;
    char **guest_argv;          /* arguments after KERNEL */
    int guest_argc;

    struct mft *mft;            /* host copy; devices fill it as they attach */
    size_t mft_size;
    struct hv_dev dev[MFT_MAX_ENTRIES];     /* indexed by handle */

    uint64_t mem_request;       /* bytes, from --mem */
    struct hv_mem mem;

    int kvm_fd;
    int vm_fd;
    struct hv_vcpu vcpu;
    uint64_t entry;
    uint64_t kernel_end;
    uint64_t tsc_hz;

    hv_hypercall_fn hypercalls[HVT_HYPERCALL_MAX];
    struct hv_poll poll;
    struct hv_dumpcore dumpcore;
    bool sandbox;               /* false only with --no-sandbox (debugging) */

    int exit_status;            /* process exit status once stopped */
};

/*
 * A module owns a group of options and hypercalls (devices, console,
 * core dumps). option() returns 0 when it took the argument, 1 when the
 * argument is not its own, -1 on a bad argument (already reported).
 */
struct hv_module {
    const char *name;
    const char *usage;
    int (*option)(struct hv *hv, const char *arg);
    int (*setup)(struct hv *hv);
};

extern const struct hv_module hv_module_core;
extern const struct hv_module hv_module_block;
extern const struct hv_module hv_module_net;
extern const struct hv_module hv_module_dumpcore;
extern const struct hv_module *const hv_modules[];

void hv_hypercall_register(struct hv *hv, int nr, hv_hypercall_fn fn);

/*
 * Guest memory access. The range [gpa, gpa + len) must lie strictly
 * below mem_size (as the ABI says: a buffer ending exactly at mem_size is
 * refused). On failure the guest is stopped with exit status 1 and a
 * message naming `what`; NULL is returned.
 */
void *hv_gpa(struct hv *hv, uint64_t gpa, uint64_t len, const char *what);

/*
 * Hypercall arguments are copied in before use and the results copied
 * back, so a guest cannot change them while the monitor works on them.
 * hv_args_in() stops the guest and returns false on a bad address;
 * hv_args_out() takes a gpa that hv_args_in() accepted.
 */
bool hv_args_in(struct hv *hv, uint64_t gpa, void *args, size_t size, const char *what);
void hv_args_out(struct hv *hv, uint64_t gpa, const void *args, size_t size);

/* Wake POLL when fd is readable, reporting it as `handle`. */
int hv_poll_add(struct hv *hv, int fd, uint64_t handle);

/* Stop the guest because of its own fault: message, exit status 1. */
enum hv_action hv_guest_fault(struct hv *hv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
