/*
 * Declaring an application manifest (the MFT1 note), and opting in to
 * Skiff extensions (the SKF1 note).
 *
 * Every image carries exactly one manifest, naming the devices it needs:
 *
 *     SKIFF_MANIFEST(SKIFF_BLOCK("storage"), SKIFF_NET("service0"));
 *     SKIFF_MANIFEST_NONE();
 *
 * at file scope in one source file. The macros emit the note the monitor
 * reads before it starts the guest: entry 0 is the reserved entry, the
 * devices follow in order, so the first device gets handle 1. Names are
 * 1..67 characters [A-Za-z0-9]; at most 63 devices fit. The linker script
 * refuses to link an image without a manifest.
 */
#ifndef SKIFF_MANIFEST_H
#define SKIFF_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include "hvt_abi.h"

/* ELF note header with a 6-byte name ("Solo5", "Skiff") padded to 8 bytes. */
struct skiff_note_header {
    uint32_t namesz;
    uint32_t descsz;
    uint32_t type;
    char name[8];
};

/* A block device (BLOCK_BASIC) called NAME. */
#define SKIFF_BLOCK(n) { .name = n, .type = MFT_DEV_BLOCK_BASIC }
/* A network device (NET_BASIC) called NAME. */
#define SKIFF_NET(n) { .name = n, .type = MFT_DEV_NET_BASIC }

#define SKIFF_MFT_RESERVED_ { .name = "", .type = MFT_RESERVED_FIRST }

#define SKIFF_MFT_COUNT_(...) \
    (sizeof((const struct mft_entry[]){ __VA_ARGS__ }) / sizeof(struct mft_entry))

/* The note: header, 4 zero pad bytes so that struct mft is 8-aligned,
 * then struct mft itself. descsz counts the pad. */
#define SKIFF_MFT_EMIT_(n, ...)                                              \
    _Static_assert((n) <= MFT_MAX_ENTRIES, "at most 63 devices");            \
    __attribute__((section(".note.skiff.manifest"), used, aligned(8)))      \
    const struct {                                                           \
        struct skiff_note_header hdr;                                        \
        uint32_t pad;                                                        \
        uint32_t version;                                                    \
        uint32_t entries;                                                    \
        struct mft_entry e[(n)];                                             \
    } skiff_manifest = {                                                     \
        { HVT_NOTE_NAMESZ,                                                   \
          HVT_NOTE_MFT1_PAD + 8 + (uint32_t)sizeof(struct mft_entry) * (n),  \
          HVT_NOTE_TYPE_MFT1, HVT_NOTE_NAME },                               \
        0, MFT_VERSION, (n), { __VA_ARGS__ }                                 \
    }

#define SKIFF_MFT_ENTRIES_(...) \
    SKIFF_MFT_EMIT_(SKIFF_MFT_COUNT_(__VA_ARGS__), __VA_ARGS__)

/* Declare the devices this image needs (up to 63). */
#define SKIFF_MANIFEST(...) SKIFF_MFT_ENTRIES_(SKIFF_MFT_RESERVED_, __VA_ARGS__)
/* Declare that this image needs no devices. */
#define SKIFF_MANIFEST_NONE() SKIFF_MFT_ENTRIES_(SKIFF_MFT_RESERVED_)

/*
 * Opting in to Skiff extensions (the SKF1 note), at file scope in one
 * source file, one of:
 *
 *     SKIFF_CONTROL_EVENTS();   shutdown and reboot requests
 *                               (skiff_sleep_until() in skiff/guest.h)
 *     SKIFF_SMP();              several CPUs (skiff_smp_start())
 *     SKIFF_EXTENSIONS(SKIFF_EXT_CONTROL_EVENTS | SKIFF_EXT_SMP);   both
 *
 * The note tells skiff-hv what the guest handles; other hvt monitors skip
 * it. Images without one of the macros carry no SKF1 note at all.
 *
 * Layout, like MFT1: the 20-byte header (name "Skiff" padded to 8), 4 zero
 * pad bytes so that the descriptor is 8-aligned, then struct
 * skiff_ext1_desc at offset 24; descsz (28) counts the pad.
 */
struct skiff_ext1_note {
    struct skiff_note_header hdr;
    uint32_t pad;
    struct skiff_ext1_desc desc;
};

_Static_assert(sizeof(struct skiff_note_header) == HVT_NOTE_HDR_SIZE, "note header");
_Static_assert(offsetof(struct skiff_ext1_note, desc) == 24, "SKF1 descriptor offset");
_Static_assert(sizeof(struct skiff_ext1_note) == 48, "SKF1 note size");

/* Where secondary CPUs start (libskiff-guest's smp_entry.S). */
void skiff_smp_entry(void);

#define SKIFF_EXTENSIONS(f)                                                  \
    __attribute__((section(".note.skiff.ext"), used, aligned(8)))           \
    const struct skiff_ext1_note skiff_ext1_note = {                         \
        { SKIFF_NOTE_NAMESZ,                                                 \
          (uint32_t)(sizeof(struct skiff_ext1_note) - HVT_NOTE_HDR_SIZE),    \
          SKIFF_NOTE_TYPE_EXT1, SKIFF_NOTE_NAME },                           \
        0,                                                                   \
        { .version = 1, .features = (f),                                     \
          .smp_entry = ((f) & SKIFF_EXT_SMP) ?                               \
              (uint64_t)(uintptr_t)skiff_smp_entry : 0,                      \
          .smp_max_vcpus = ((f) & SKIFF_EXT_SMP) ? SKIFF_SMP_MAX_VCPUS : 0 } \
    }

#define SKIFF_CONTROL_EVENTS() SKIFF_EXTENSIONS(SKIFF_EXT_CONTROL_EVENTS)
#define SKIFF_SMP() SKIFF_EXTENSIONS(SKIFF_EXT_SMP)

#endif /* SKIFF_MANIFEST_H */
