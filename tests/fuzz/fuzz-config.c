/*
 * Fuzz target: the skiff.cfg(5) parser (common/config*.c), as the CLI and
 * hostd use it. The input is a configuration file; when its first line
 * starts with "#override ", the rest of that line is also applied as a
 * command-line override. Whatever parses is converted to a DomainConfig,
 * which must then encode (every string set, nothing dangling).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config-file.h"
#include "fuzz.h"

static const char *const keys[] = { "name", "kernel", "memory", "cmdline", "disk", "vif",
                                    "on_crash", "autostart", NULL };

static void ignore(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

static void apply_override(struct skiff_cfg *cfg, const uint8_t *data, size_t size)
{
    static const char tag[] = "#override ";
    if (size < sizeof tag - 1 || memcmp(data, tag, sizeof tag - 1) != 0)
        return;
    const uint8_t *start = data + sizeof tag - 1, *end = memchr(start, '\n', size - (sizeof tag - 1));
    size_t len = end ? (size_t)(end - start) : size - (sizeof tag - 1);
    char *line = strndup((const char *)start, len);
    if (line == NULL)
        return;
    struct skiff_cfg_error err;
    skiff_cfg_override(cfg, line, &err);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct skiff_cfg *cfg = NULL;
    struct skiff_cfg_error err;
    char msg[600];
    int rc = skiff_cfg_parse((const char *)data, size, "fuzz.cfg", &cfg, &err);
    skiff_cfg_error_format(&err, msg, sizeof msg);
    if (rc < 0)
        return 0;
    apply_override(cfg, data, size);
    skiff_cfg_warn_unknown(cfg, keys, ignore, NULL);
    for (size_t i = 0; i < skiff_cfg_count(cfg); i++) {
        const struct skiff_cfg_entry *e = skiff_cfg_at(cfg, i);
        long long n;
        bool b;
        skiff_cfg_string(cfg, e->key);
        skiff_cfg_int(cfg, e->key, &n);
        skiff_cfg_bool(cfg, e->key, &b);
        skiff_cfg_expect(cfg, e->key, SKIFF_CFG_STRING, "a string", &err);
    }
    Skiff__V1__DomainConfig *dc = NULL;
    if (skiff_cfg_to_domain(cfg, &dc, ignore, NULL, &err) == 0) {
        size_t len = skiff__v1__domain_config__get_packed_size(dc);
        uint8_t *buf = malloc(len ? len : 1);
        if (buf != NULL) {
            skiff__v1__domain_config__pack(dc, buf);
            /* What was packed must read back. */
            Skiff__V1__DomainConfig *back = skiff__v1__domain_config__unpack(NULL, len, buf);
            if (back == NULL)
                abort();
            skiff__v1__domain_config__free_unpacked(back, NULL);
            free(buf);
        }
        skiff_cfg_domain_free(dc);
    } else {
        skiff_cfg_error_format(&err, msg, sizeof msg);
    }
    skiff_cfg_free(cfg);
    return 0;
}
