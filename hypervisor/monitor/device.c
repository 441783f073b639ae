#include <string.h>

#include "device.h"
#include "log.h"
#include "manifest.h"

int hv_dev_option(const char *arg, const char *prefix, const char **name, size_t *name_len,
                  const char **value)
{
    size_t plen = strlen(prefix);
    if (strncmp(arg, "--", 2) != 0 || strncmp(arg + 2, prefix, plen) != 0 ||
        arg[2 + plen] != ':')
        return 1;
    const char *n = arg + 3 + plen;
    const char *eq = strchr(n, '=');
    if (eq == NULL || !hv_mft_name_ok(n, (size_t)(eq - n)))
        return -1;
    *name = n;
    *name_len = (size_t)(eq - n);
    *value = eq + 1;
    return 0;
}

struct mft_entry *hv_dev_declared(struct hv *hv, const char *name, size_t name_len,
                                  uint32_t type)
{
    struct mft_entry *e = hv_mft_find(hv->mft, name, name_len, type);
    if (e == NULL)
        hv_err("Resource not declared in manifest: '%.*s'", (int)name_len, name);
    return e;
}

struct mft_entry *hv_dev_by_handle(struct hv *hv, uint64_t handle, uint32_t type)
{
    if (handle == 0 || handle >= hv->mft->entries)
        return NULL;
    struct mft_entry *e = &hv->mft->e[handle];
    return (e->type == type && e->attached) ? e : NULL;
}
