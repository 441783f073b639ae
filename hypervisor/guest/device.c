/*
 * Device lookup in the monitor's copy of the manifest (read-only memory,
 * filled in at attach time). A handle is the entry's index.
 */
#include "internal.h"

static const struct mft *manifest(void)
{
    return (const struct mft *)(uintptr_t)skiff_bi->mft;
}

static uint32_t nr_entries(const struct mft *m)
{
    if (!m)
        return 0;
    return m->entries < MFT_MAX_ENTRIES ? m->entries : MFT_MAX_ENTRIES;
}

const struct mft_entry *skiff_device(unsigned handle, uint32_t type)
{
    const struct mft *m = manifest();

    /* Entry 0 is reserved and never a device. */
    if (handle == 0 || handle >= nr_entries(m))
        return 0;

    const struct mft_entry *e = &m->e[handle];

    if (e->type != type || !e->attached)
        return 0;
    return e;
}

skiff_result_t skiff_device_find(const char *name, uint32_t type,
                                 unsigned *handle)
{
    const struct mft *m = manifest();
    uint32_t n = nr_entries(m);

    for (uint32_t i = 1; i < n; i++) {
        const struct mft_entry *e = &m->e[i];

        if (e->type == type && e->attached &&
            strncmp(e->name, name, MFT_NAME_SIZE) == 0) {
            *handle = i;
            return SKIFF_R_OK;
        }
    }
    return SKIFF_R_EINVAL;
}
