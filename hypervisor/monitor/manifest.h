/* The application manifest (MFT1): validation and device lookup. */
#ifndef SKIFF_HV_MANIFEST_H
#define SKIFF_HV_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "hvt_abi.h"

/* Validate an untrusted MFT1 payload of len bytes (HVT-ABI 1.6). */
bool hv_mft_valid(const void *payload, size_t len);

/* True for 1..67 characters of [A-Za-z0-9]: a legal device name. */
bool hv_mft_name_ok(const char *name, size_t len);

/* The entry named `name` of `type`, or NULL. */
struct mft_entry *hv_mft_find(struct mft *mft, const char *name, size_t name_len,
                              uint32_t type);

const char *hv_mft_type_name(uint32_t type);

#endif
