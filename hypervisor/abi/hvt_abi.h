/*
 * The hvt guest/host ABI, version 2 (x86_64).
 *
 * Shared by skiff-hv (host side) and libskiff-guest (guest side); it uses
 * only fixed-width types so it compiles freestanding as well as hosted.
 * Every layout here is part of the ABI: the static assertions at the end
 * pin sizes and offsets so a careless edit cannot change them.
 */
#ifndef SKIFF_HVT_ABI_H
#define SKIFF_HVT_ABI_H

#include <stddef.h>
#include <stdint.h>

#define HVT_ABI_VERSION       2
#define HVT_ABI_TARGET_HVT    1

/* Guest-physical layout (identity-mapped). */
#define HVT_GUEST_MIN_BASE    0x100000UL  /* lowest load address of the image */
#define HVT_GDT_BASE          0x1000UL
#define HVT_PML4_BASE         0x2000UL
#define HVT_PDPT_BASE         0x3000UL
#define HVT_PD_BASE           0x4000UL    /* four page directories */
#define HVT_PT0_BASE          0x8000UL    /* 4 KiB table for the first 2 MiB */
#define HVT_BOOT_INFO_BASE    0x10000UL
#define HVT_CMDLINE_SIZE      8192        /* including the NUL */
#define HVT_HALT_COOKIE_MAX   512
#define HVT_MEM_GRANULE       0x200000UL  /* 2 MiB */
#define HVT_MEM_MAX           0x100000000ULL  /* 4 GiB */
#define HVT_MEM_DEFAULT       0x20000000UL    /* 512 MiB */

/* Hypercalls: a 32-bit OUT to HVT_HYPERCALL_PIO_BASE + nr, EAX = GPA of args. */
#define HVT_HYPERCALL_PIO_BASE 0x500
#define HVT_RING_KICK_PIO_BASE 0x600

enum hvt_hypercall {
    HVT_HYPERCALL_RESERVED = 0,
    HVT_HYPERCALL_WALLTIME = 1,
    HVT_HYPERCALL_PUTS = 2,
    HVT_HYPERCALL_POLL = 3,
    HVT_HYPERCALL_BLOCK_WRITE = 4,
    HVT_HYPERCALL_BLOCK_READ = 5,
    HVT_HYPERCALL_NET_WRITE = 6,
    HVT_HYPERCALL_NET_READ = 7,
    HVT_HYPERCALL_HALT = 8,
    HVT_HYPERCALL_MAX = 9
};

/* solo5_result_t */
enum hvt_result {
    HVT_R_OK = 0,
    HVT_R_AGAIN = 1,
    HVT_R_EINVAL = 2,
    HVT_R_EUNSPEC = 3
};

#define HVT_FEATURE_RING_IO   1U

struct hvt_boot_info {
    uint64_t mem_size;        /* guest-visible RAM [0, mem_size) */
    uint64_t kernel_end;      /* rounded end of the highest loaded segment */
    uint64_t cpu_cycle_freq;  /* TSC Hz */
    uint64_t cmdline;         /* GPA of the NUL-terminated command line */
    uint64_t mft;             /* GPA of the manifest copy */
    uint32_t host_features;
    uint32_t guest_features;  /* reserved, always 0 */
    uint64_t net_ring;        /* GPA of the ring, when HVT_FEATURE_RING_IO */
};

struct hvt_hc_walltime {
    uint64_t nsecs;           /* OUT */
};

struct hvt_hc_puts {
    uint64_t data;            /* IN: GPA */
    uint64_t len;             /* IN */
};

struct hvt_hc_poll {
    uint64_t timeout_nsecs;   /* IN */
    uint64_t ready_set;       /* OUT */
    int32_t ret;              /* OUT */
    uint32_t skiff_flags;     /* IN, read only in SMP guests (padding in hvt) */
};

struct hvt_hc_block_io {      /* BLOCK_WRITE and BLOCK_READ */
    uint64_t handle;          /* IN */
    uint64_t offset;          /* IN: bytes */
    uint64_t data;            /* IN: GPA */
    uint64_t len;             /* IN */
    int32_t ret;              /* OUT */
};

struct hvt_hc_net_io {        /* NET_WRITE and NET_READ */
    uint64_t handle;          /* IN */
    uint64_t data;            /* IN: GPA */
    uint64_t len;             /* IN (READ: IN buffer size, OUT frame length) */
    int32_t ret;              /* OUT */
};

struct hvt_hc_halt {
    uint64_t cookie;          /* IN: GPA of a trap frame, or 0 */
    int32_t exit_status;      /* IN */
};

/* The trap frame an x86_64 guest may pass as the HALT cookie. */
struct hvt_trap_frame {
    uint64_t cr2, ec, rip, cs, rflags, rsp, ss;
};

/* ELF notes: name "Solo5", one per PT_NOTE segment, first in it. */
#define HVT_NOTE_NAME         "Solo5"
#define HVT_NOTE_NAMESZ       6
#define HVT_NOTE_HDR_SIZE     20          /* 12-byte header + name padded to 8 */
#define HVT_NOTE_TYPE_ABI1    0x31494241U /* "ABI1" */
#define HVT_NOTE_TYPE_MFT1    0x3154464DU /* "MFT1" */
#define HVT_NOTE_ABI1_MAX     32
#define HVT_NOTE_MFT1_MAX     6668
#define HVT_NOTE_MFT1_PAD     4           /* desc starts with 4 zero bytes */

struct hvt_abi1_desc {
    uint32_t abi_target;
    uint32_t abi_version;
    uint32_t reserved0;
    uint32_t reserved1;
};

/* The application manifest (MFT1). */
#define MFT_VERSION           1
#define MFT_MAX_ENTRIES       64          /* entry 0 is reserved */
#define MFT_NAME_SIZE         68          /* 1..67 chars [A-Za-z0-9] + NUL */

enum mft_type {
    MFT_DEV_BLOCK_BASIC = 1,
    MFT_DEV_NET_BASIC = 2,
    MFT_RESERVED_FIRST = 0x40000000
};

struct mft_block_basic {
    uint64_t capacity;        /* bytes */
    uint16_t block_size;
};

struct mft_net_basic {
    uint8_t mac[6];
    uint16_t mtu;             /* excluding the 14-byte Ethernet header */
};

struct mft_entry {
    char name[MFT_NAME_SIZE];
    uint32_t type;            /* enum mft_type */
    union {
        struct mft_block_basic block_basic;
        struct mft_net_basic net_basic;
        uint8_t raw[16];
    } u;
    union {
        int32_t hostfd;       /* private to the host; the guest sees a number */
        uint64_t pad;
    } b;
    uint8_t attached;
    uint8_t pad[7];
};

struct mft {
    uint32_t version;
    uint32_t entries;
    struct mft_entry e[];
};

#define MFT_SIZE(n) (sizeof(struct mft) + (size_t)(n) * sizeof(struct mft_entry))

/*
 * Skiff extensions. A guest opts in with a note of its own (name "Skiff",
 * type SKF1, first in its own PT_NOTE like the Solo5 notes), so plain hvt
 * guests never see them.
 *
 * Control events: when the management daemon asks the guest to shut down
 * or reboot, POLL reports bit 0 of ready_set (handle 0 is the manifest's
 * reserved entry, never a device) and returns at once; the guest then
 * makes the CONTROL hypercall to read (and clear) the request.
 */
#define SKIFF_NOTE_NAME       "Skiff"
#define SKIFF_NOTE_NAMESZ     6
#define SKIFF_NOTE_TYPE_EXT1  0x31464B53U /* "SKF1" */
#define SKIFF_NOTE_EXT1_MAX   64

#define SKIFF_EXT_CONTROL_EVENTS  (1U << 0)
#define SKIFF_EXT_SMP             (1U << 1)

/*
 * Version 1 of the descriptor; the SMP fields were reserved (0) before
 * SKIFF_EXT_SMP existed, so older images still read as "no SMP".
 */
struct skiff_ext1_desc {
    uint32_t version;         /* 1 */
    uint32_t features;        /* SKIFF_EXT_* the guest handles */
    uint64_t smp_entry;       /* SKIFF_EXT_SMP: GPA where secondaries start */
    uint32_t smp_max_vcpus;   /* SKIFF_EXT_SMP: most vCPUs it handles, 0 = 512 */
    uint32_t reserved;        /* 0 */
};

/*
 * SMP (SKIFF_EXT_SMP). skiff-hv --vcpus=N (1 <= N <= SKIFF_SMP_MAX_VCPUS,
 * and at most smp_max_vcpus) runs the guest on N vCPUs, one host thread
 * each; a guest without the feature is refused when N > 1.
 *
 * vCPU 0 enters as every hvt guest does (_start, RDI = boot info,
 * RSP = mem_size - 8) and, in an SMP guest only, with RSI = N.
 *
 * Secondary vCPUs 1..N-1 do not run until a vCPU makes the SMP_START
 * hypercall. Each then enters at smp_entry in the same 64-bit long mode
 * as vCPU 0 (same page tables, the boot GDT, interrupts disabled, no IDT)
 * with RDI = its index, RSI = N, RDX = GPA of the boot info, RSP = 0
 * (the guest gives it a stack) and RFLAGS = 0x2; CPUID reports its
 * index as the initial APIC ID.
 *
 * Every hypercall may be made from any vCPU at the same time; POLL blocks
 * only the vCPU that makes it (see SKIFF_POLL_IDLE). HALT from any vCPU
 * ends the guest: the other vCPUs are stopped wherever they are. SMP_START
 * starts the secondaries once; later calls change nothing.
 */
#define SKIFF_SMP_MAX_VCPUS       512
#define SKIFF_HYPERCALL_SMP_START 33          /* port 0x521 */

/* POLL skiff_flags (SMP guests): wait for the timeout only. Device input
 * and control events neither end the wait nor show in ready_set, so idle
 * vCPUs stay asleep while another vCPU has input to take. */
#define SKIFF_POLL_IDLE           (1U << 0)

struct skiff_hc_smp_start {
    uint32_t started;         /* OUT: secondary vCPUs running (N - 1) */
    int32_t ret;              /* OUT: HVT_R_OK */
    uint64_t reserved;        /* IN: 0 */
};

#define SKIFF_HYPERCALL_CONTROL   32          /* port 0x520 */
#define SKIFF_READY_CONTROL       (1ULL << 0) /* POLL ready_set bit */

enum skiff_control_request {
    SKIFF_CONTROL_NONE = 0,
    SKIFF_CONTROL_SHUTDOWN = 1,
    SKIFF_CONTROL_REBOOT = 2
};

struct skiff_hc_control {
    uint32_t request;         /* OUT: enum skiff_control_request */
    uint32_t pad;
    uint64_t reserved;
};

/* Layout pins (the ABI document gives every size and offset). */
_Static_assert(sizeof(struct hvt_boot_info) == 56, "boot info size");
_Static_assert(offsetof(struct hvt_boot_info, host_features) == 40, "host_features");
_Static_assert(offsetof(struct hvt_boot_info, net_ring) == 48, "net_ring");
_Static_assert(sizeof(struct hvt_hc_walltime) == 8, "walltime");
_Static_assert(sizeof(struct hvt_hc_puts) == 16, "puts");
_Static_assert(sizeof(struct hvt_hc_poll) == 24, "poll");
_Static_assert(offsetof(struct hvt_hc_poll, skiff_flags) == 20, "poll skiff_flags");
_Static_assert(sizeof(struct hvt_hc_block_io) == 40, "block io");
_Static_assert(sizeof(struct hvt_hc_net_io) == 32, "net io");
_Static_assert(sizeof(struct hvt_hc_halt) == 16, "halt");
_Static_assert(sizeof(struct hvt_trap_frame) == 56, "trap frame");
_Static_assert(sizeof(struct hvt_abi1_desc) == 16, "abi1");
_Static_assert(sizeof(struct mft_entry) == 104, "mft entry");
_Static_assert(offsetof(struct mft_entry, type) == 68, "mft type");
_Static_assert(offsetof(struct mft_entry, u) == 72, "mft u");
_Static_assert(offsetof(struct mft_entry, b) == 88, "mft b");
_Static_assert(offsetof(struct mft_entry, attached) == 96, "mft attached");
_Static_assert(offsetof(struct mft_net_basic, mtu) == 6, "mtu");
_Static_assert(sizeof(struct mft) == 8, "mft header");
_Static_assert(sizeof(struct skiff_ext1_desc) == 24, "skiff ext1");
_Static_assert(sizeof(struct skiff_hc_control) == 16, "skiff control");
_Static_assert(offsetof(struct skiff_ext1_desc, smp_entry) == 8, "skiff smp entry");
_Static_assert(offsetof(struct skiff_ext1_desc, smp_max_vcpus) == 16, "skiff smp max");
_Static_assert(sizeof(struct skiff_hc_smp_start) == 16, "skiff smp start");

#endif /* SKIFF_HVT_ABI_H */
