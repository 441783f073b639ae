#include <string.h>

#include "manifest.h"

bool hv_mft_valid(const void *payload, size_t len)
{
    if (len < sizeof(struct mft))
        return false;
    const struct mft *m = payload;
    if (m->version != MFT_VERSION || m->entries > MFT_MAX_ENTRIES || m->entries < 1)
        return false;
    if (len != MFT_SIZE(m->entries))
        return false;
    if (m->e[0].type != MFT_RESERVED_FIRST || m->e[0].name[0] != '\0')
        return false;
    for (uint32_t i = 0; i < m->entries; i++) {
        if (m->e[i].name[MFT_NAME_SIZE - 1] != '\0' || m->e[i].attached != 0)
            return false;
    }
    return true;
}

bool hv_mft_name_ok(const char *name, size_t len)
{
    if (len < 1 || len > MFT_NAME_SIZE - 1)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

struct mft_entry *hv_mft_find(struct mft *mft, const char *name, size_t name_len,
                              uint32_t type)
{
    if (name_len >= MFT_NAME_SIZE)
        return NULL;
    for (uint32_t i = 1; i < mft->entries; i++) {
        struct mft_entry *e = &mft->e[i];
        if (e->type == type && strncmp(e->name, name, name_len) == 0 &&
            e->name[name_len] == '\0')
            return e;
    }
    return NULL;
}

const char *hv_mft_type_name(uint32_t type)
{
    switch (type) {
    case MFT_DEV_BLOCK_BASIC:
        return "BLOCK_BASIC";
    case MFT_DEV_NET_BASIC:
        return "NET_BASIC";
    default:
        return "UNKNOWN";
    }
}
