/*
 * The state of one skiff-hv instance: one guest, one process.
 *
 * Everything the monitor knows lives in struct hv and is passed
 * explicitly; modules keep their own state in the fields named for them.
 */
#ifndef SKIFF_HV_H
#define SKIFF_HV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvt_abi.h"

struct kvm_run;
struct hv;

/* Hypercall numbers the table can hold: the hvt ones and Skiff's. */
#define HV_HYPERCALL_SLOTS (SKIFF_HYPERCALL_SMP_START + 1)

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

/* Where a vCPU thread is; changed under hv->ctl.lock. */
enum hv_vcpu_state {
    HV_VCPU_WAITING,    /* created, not started yet (or secondary before SMP_START) */
    HV_VCPU_RUNNING,
    HV_VCPU_PARKED,     /* paused by the controller */
    HV_VCPU_STOPPED     /* left its run loop for good */
};

struct hv_vcpu {
    struct hv *hv;
    unsigned index;
    int fd;
    struct kvm_run *run;
    size_t run_size;
    pthread_t thread;
    int tid;                    /* host thread id, once the thread runs */
    enum hv_vcpu_state state;
    bool blocked;               /* sleeping in POLL (atomic) */
    int host_cpu;               /* where it last ran (atomic, managed mode) */
};

/* The most devices POLL watches, plus the control request and attention. */
#define HV_POLL_FDS (MFT_MAX_ENTRIES + 2)

struct hv_poll {
    int fds[HV_POLL_FDS];       /* readiness fds, read-only once running */
    uint64_t handle[HV_POLL_FDS];   /* the handle each one reports */
    int nfds;
    uint64_t handles;           /* set of handles registered for readiness */
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

/*
 * Console output: best effort to stdout, and in managed mode a ring of
 * recent output plus a bounded queue for the controller. The guest never
 * waits for a reader: what does not fit is dropped and counted.
 */
#define HV_CONSOLE_RING   (64 * 1024)
#define HV_CONSOLE_QUEUE  (1024 * 1024)

struct hv_console {
    pthread_mutex_t lock;
    uint8_t *ring;              /* HV_CONSOLE_RING bytes, managed mode only */
    uint64_t ring_total;        /* bytes ever written; ring holds the tail */
    uint8_t *queue;             /* for the controller, HV_CONSOLE_QUEUE bytes */
    size_t queued;
    bool subscribed;
    uint64_t dropped;
    int wake_fd;                /* eventfd: output queued for the controller */
    uint64_t log_max;           /* --log-max: stdout file size cap, 0 = none */
    uint64_t log_size;          /* stdout's size as last seen plus what we wrote */
    bool log_full;              /* output dropped until the file is rotated */
};

/*
 * vCPU threads and whoever steers them meet here. Managed mode
 * (--control=PATH): every vCPU runs on its own thread while the main
 * thread serves hostd's control socket. Standalone, vCPU 0 runs on the
 * main thread and secondaries on threads of their own.
 */
struct hv_ctl {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool threaded;              /* managed or SMP: vCPUs check in before KVM_RUN */
    bool attention;             /* pause, destroy or stop pending (atomic) */
    int attention_fd;           /* eventfd in every POLL: readable while attention */
    unsigned ready;             /* vCPU threads that finished starting */
    bool go;                    /* the guest may start (after the sandbox) */
    bool smp_started;           /* SMP_START: secondaries may run */
    bool stopping;              /* a vCPU stopped the guest: all stop */
    unsigned live;              /* vCPUs not yet HV_VCPU_STOPPED */
    bool pause_req;             /* hostd asked for a pause */
    bool destroy_req;
    uint32_t guest_request;     /* pending skiff_control_request */
    uint32_t last_request;      /* the last one the guest read */
    int request_fd;             /* eventfd in POLL's set: a request is pending */
    int stopped_fd;             /* eventfd: the guest has stopped */
    int listen_fd;              /* the control socket */
    int epfd;                   /* the control loop's event set */
    bool stopped;
};

/* Placement options: where vCPU threads run and guest RAM lives. */
struct hv_place {
    const char *cpus;           /* --cpus: initial affinity of every vCPU thread */
    const char *mem_nodes;      /* --mem-nodes: NUMA nodes for guest RAM */
    int mem_policy;             /* MPOL_BIND (default) or MPOL_PREFERRED */
    bool mem_policy_set;
};

/* Save, restore and migration (control_snap.c, dirty_log.c). */
struct hv_snap {
    bool incoming;              /* --incoming: wait for a saved state, boot nothing */
    bool state_loaded;          /* set_state has succeeded */
    bool dirty_logging;
    uint8_t *dirty_bitmap;      /* KVM_GET_DIRTY_LOG's buffer */
    size_t dirty_len;
    uint64_t *user_dirty;       /* pages the monitor wrote (KVM does not see those) */
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
    struct hv_vcpu *vcpus;      /* nvcpus of them, by index */
    unsigned nvcpus;            /* --vcpus, default 1 */
    uint64_t entry;
    uint64_t kernel_end;
    uint64_t tsc_hz;

    hv_hypercall_fn hypercalls[HV_HYPERCALL_SLOTS];
    struct hv_poll poll;
    struct hv_dumpcore dumpcore;
    bool sandbox;               /* false only with --no-sandbox (debugging) */

    bool managed;               /* --control or --control-fd: hostd drives it */
    const char *control_path;   /* --control: the socket to create */
    int control_fd;             /* --control-fd: a listening socket to adopt */
    bool start_paused;
    bool control_events;        /* the guest opted in (Skiff SKF1 note) */
    bool smp;                   /* the guest handles SMP (SKF1 note) */
    uint64_t smp_entry;         /* where secondaries start */
    unsigned smp_max;           /* most vCPUs the guest handles */
    struct hv_place place;      /* --cpus, --mem-nodes, --mem-policy */
    struct hv_console console;
    struct hv_ctl ctl;
    uint64_t exits;             /* VM exits served */
    uint64_t hypercalls_served;
    uint64_t started_at_ns;     /* CLOCK_REALTIME at the first KVM_RUN */
    struct hv_snap snap;

    /* How the guest stopped, for the controller. */
    bool faulted;               /* stopped by the monitor, not by HALT */
    bool destroyed;
    char exit_reason[256];

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
extern const struct hv_module hv_module_control;
extern const struct hv_module hv_module_smp;
extern const struct hv_module hv_module_place;
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

/* Console output from the guest (PUTS). */
void hv_console_write(struct hv *hv, const uint8_t *data, size_t len);

/* Stop the guest with exit status 1 and a message: the guest's own fault,
 * or a host failure it cannot continue after (an I/O error). With several
 * vCPUs the message names the vCPU that made the call. */
enum hv_action hv_stop_guest(struct hv *hv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The vCPU the calling thread runs (NULL on the control thread). */
struct hv_vcpu *hv_vcpu_self(void);

#endif
