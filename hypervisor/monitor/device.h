/* What the device modules share: option parsing and handle lookup. */
#ifndef SKIFF_HV_DEVICE_H
#define SKIFF_HV_DEVICE_H

#include <stddef.h>

#include "hv.h"

/*
 * Split "--PREFIX:NAME=VALUE". Returns 1 when arg does not start with
 * --PREFIX:, 0 on success, -1 when NAME is not a legal device name.
 */
int hv_dev_option(const char *arg, const char *prefix, const char **name, size_t *name_len,
                  const char **value);

/*
 * The manifest entry a NAME option refers to, which must be declared with
 * `type`; reports "Resource not declared in manifest" and returns NULL.
 */
struct mft_entry *hv_dev_declared(struct hv *hv, const char *name, size_t name_len,
                                  uint32_t type);

/* The attached entry of `type` at `handle`, or NULL. */
struct mft_entry *hv_dev_by_handle(struct hv *hv, uint64_t handle, uint32_t type);

static inline size_t hv_dev_handle(const struct hv *hv, const struct mft_entry *e)
{
    return (size_t)(e - hv->mft->e);
}

#endif
