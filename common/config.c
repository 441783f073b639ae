/* The parsed configuration: storage, lookups, file reading, messages. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config-priv.h"

void cfg_error(struct skiff_cfg_error *err, const char *file, int line, int col,
               const char *fmt, ...)
{
    if (err == NULL)
        return;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "<input>");
    err->line = line;
    err->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

int skiff_cfg_error_format(const struct skiff_cfg_error *err, char *buf, size_t size)
{
    if (err->line <= 0)
        return snprintf(buf, size, "%s: %s", err->file, err->message);
    return snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->col, err->message);
}

const char *cfg_type_name(enum skiff_cfg_type type)
{
    switch (type) {
    case SKIFF_CFG_STRING: return "a string";
    case SKIFF_CFG_INT: return "an integer";
    case SKIFF_CFG_BOOL: return "a boolean";
    case SKIFF_CFG_LIST: return "a list";
    }
    return "a value";
}

const char *cfg_quote(char *buf, size_t size, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, i;
    for (i = 0; s[i] != '\0' && i < max && o + 5 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            buf[o++] = (char)c;
        } else {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 15];
        }
    }
    if (s[i] != '\0' && o + 4 <= size) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

int cfg_type_error(struct skiff_cfg_error *err, const char *file, const char *label,
                   const struct skiff_cfg_value *v, const char *what)
{
    cfg_error(err, file, v->line, v->col, "%s: expected %s, got %s", label, what,
              cfg_type_name(v->type));
    return -EINVAL;
}

struct skiff_cfg *cfg_new(const char *file)
{
    struct skiff_cfg *cfg = calloc(1, sizeof *cfg);
    if (cfg == NULL)
        return NULL;
    cfg->file = strdup(file ? file : "<input>");
    if (cfg->file == NULL) {
        free(cfg);
        return NULL;
    }
    return cfg;
}

void cfg_value_clear(struct skiff_cfg_value *v)
{
    free(v->str);
    for (size_t i = 0; i < v->n_items; i++)
        free(v->items[i].str);    /* items are never lists */
    free(v->items);
    memset(v, 0, sizeof *v);
}

static struct skiff_cfg_entry *find(const struct skiff_cfg *cfg, const char *key, size_t klen)
{
    for (size_t i = 0; i < cfg->n; i++) {
        const char *k = cfg->entries[i].key;
        if (strncmp(k, key, klen) == 0 && k[klen] == '\0')
            return &cfg->entries[i];
    }
    return NULL;
}

int cfg_assign(struct skiff_cfg *cfg, const char *key, size_t klen, const char *file,
               int line, int col, struct skiff_cfg_value *v)
{
    struct skiff_cfg_entry *e = find(cfg, key, klen);
    if (e == NULL) {
        if (cfg->n >= SKIFF_CFG_MAX_KEYS)
            return -E2BIG;
        if (cfg->n == cfg->cap) {
            size_t cap = cfg->cap ? cfg->cap * 2 : 16;
            struct skiff_cfg_entry *n = realloc(cfg->entries, cap * sizeof *n);
            if (n == NULL)
                return -ENOMEM;
            cfg->entries = n;
            cfg->cap = cap;
        }
        char *k = strndup(key, klen);
        if (k == NULL)
            return -ENOMEM;
        e = &cfg->entries[cfg->n++];
        memset(e, 0, sizeof *e);
        e->key = k;
    } else {
        cfg_value_clear(&e->value);
    }
    e->file = file;
    e->line = line;
    e->col = col;
    e->value = *v;
    memset(v, 0, sizeof *v);
    return 0;
}

void skiff_cfg_free(struct skiff_cfg *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->n; i++) {
        free((char *)cfg->entries[i].key);
        cfg_value_clear(&cfg->entries[i].value);
    }
    free(cfg->entries);
    free(cfg->file);
    free(cfg);
}

size_t skiff_cfg_count(const struct skiff_cfg *cfg)
{
    return cfg->n;
}

const struct skiff_cfg_entry *skiff_cfg_at(const struct skiff_cfg *cfg, size_t i)
{
    return i < cfg->n ? &cfg->entries[i] : NULL;
}

const struct skiff_cfg_entry *skiff_cfg_get(const struct skiff_cfg *cfg, const char *key)
{
    return find(cfg, key, strlen(key));
}

const char *skiff_cfg_string(const struct skiff_cfg *cfg, const char *key)
{
    const struct skiff_cfg_entry *e = skiff_cfg_get(cfg, key);
    return e && e->value.type == SKIFF_CFG_STRING ? e->value.str : NULL;
}

int skiff_cfg_int(const struct skiff_cfg *cfg, const char *key, long long *out)
{
    const struct skiff_cfg_entry *e = skiff_cfg_get(cfg, key);
    if (e == NULL)
        return -ENOENT;
    if (e->value.type != SKIFF_CFG_INT)
        return -EINVAL;
    *out = e->value.num;
    return 0;
}

int skiff_cfg_bool(const struct skiff_cfg *cfg, const char *key, bool *out)
{
    const struct skiff_cfg_entry *e = skiff_cfg_get(cfg, key);
    if (e == NULL)
        return -ENOENT;
    if ((e->value.type != SKIFF_CFG_BOOL && e->value.type != SKIFF_CFG_INT) ||
        e->value.num < 0 || e->value.num > 1)
        return -EINVAL;
    *out = e->value.num == 1;
    return 0;
}

int skiff_cfg_expect(const struct skiff_cfg *cfg, const char *key, enum skiff_cfg_type type,
                     const char *what, struct skiff_cfg_error *err)
{
    const struct skiff_cfg_entry *e = skiff_cfg_get(cfg, key);
    if (e == NULL || e->value.type == type)
        return 0;
    return cfg_type_error(err, e->file, e->key, &e->value, what ? what : cfg_type_name(type));
}

int skiff_cfg_warn_unknown(const struct skiff_cfg *cfg, const char *const *known,
                           skiff_cfg_warn_fn *warn, void *ctx)
{
    int unknown = 0;
    for (size_t i = 0; i < cfg->n; i++) {
        const struct skiff_cfg_entry *e = &cfg->entries[i];
        size_t k = 0;
        while (known[k] != NULL && strcmp(known[k], e->key) != 0)
            k++;
        if (known[k] != NULL)
            continue;
        unknown++;
        if (warn != NULL) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s:%d:%d: warning: unknown key '%s'", e->file, e->line,
                     e->col, e->key);
            warn(ctx, msg);
        }
    }
    return unknown;
}

/* Read at most SKIFF_CFG_MAX_SIZE + 1 bytes: one more tells "too large". */
static int read_all(int fd, char **text, size_t *len)
{
    size_t cap = 0, n = 0;
    char *buf = NULL;
    for (;;) {
        if (n == cap) {
            if (cap > SKIFF_CFG_MAX_SIZE)
                break;
            size_t ncap = cap ? cap * 2 : 4096;
            if (ncap > SKIFF_CFG_MAX_SIZE + 1)
                ncap = SKIFF_CFG_MAX_SIZE + 1;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                return -ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = -errno;
            free(buf);
            return e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *text = buf;
    *len = n;
    return 0;
}

int skiff_cfg_parse_file(const char *path, struct skiff_cfg **out, struct skiff_cfg_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        cfg_error(err, path, 0, 0, "cannot open: %s", strerror(e));
        return -e;
    }
    char *text = NULL;
    size_t len = 0;
    int rc = read_all(fd, &text, &len);
    close(fd);
    if (rc < 0) {
        cfg_error(err, path, 0, 0, "cannot read: %s", strerror(-rc));
        return rc;
    }
    rc = skiff_cfg_parse(text, len, path, out, err);
    free(text);
    return rc;
}

void skiff_cfg_domain_free(Skiff__V1__DomainConfig *dc)
{
    if (dc != NULL)
        protobuf_c_message_free_unpacked(&dc->base, NULL);
}
