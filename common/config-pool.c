/*
 * From a parsed CPU pool configuration (cpupool-create FILE, as xl's
 * cpupool config) to the API's PoolConfig: name, cpus (or nodes), sched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-priv.h"

/* nodes = [0, 1] or "0-1": the same as cpus = "node:0,node:1". */
static int nodes_value(const struct skiff_cfg_entry *e, char **out, struct skiff_cfg_error *err)
{
    const struct skiff_cfg_value *v = &e->value;
    const struct skiff_cfg_value *items = v->type == SKIFF_CFG_LIST ? v->items : v;
    size_t n = v->type == SKIFF_CFG_LIST ? v->n_items : 1;
    *out = NULL;
    size_t room = 1;
    for (size_t i = 0; i < n; i++)
        room += items[i].type == SKIFF_CFG_STRING ? strlen(items[i].str) + 8 : 32;
    char *buf = malloc(room);
    if (buf == NULL)
        return -ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const struct skiff_cfg_value *it = &items[i];
        bool ok = false;
        if (it->type == SKIFF_CFG_INT && it->num < 64) {
            o += (size_t)sprintf(buf + o, "%snode:%lld", o ? "," : "", it->num);
            ok = true;
        } else if (it->type == SKIFF_CFG_STRING && it->str[0] >= '0' && it->str[0] <= '9' &&
                   strspn(it->str, "0123456789-") == strlen(it->str)) {
            o += (size_t)sprintf(buf + o, "%snode:%s", o ? "," : "", it->str);
            ok = true;
        }
        if (!ok) {
            cfg_error(err, e->file, it->line, it->col,
                      "nodes: expected NUMA node numbers from 0 to 63");
            free(buf);
            return -EINVAL;
        }
    }
    buf[o] = '\0';
    *out = buf;
    return 0;
}

static int pool_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (i > 0 && (c == '-' || c == '_' || c == '.'))))
            return 0;
    }
    return 1;
}

static int set(char **field, char *value)
{
    if (value == NULL)
        return -ENOMEM;
    if (*field != protobuf_c_empty_string)
        free(*field);
    *field = value;
    return 0;
}

static const char *const pool_keys[] = { "name", "cpus", "nodes", "sched", NULL };

int skiff_cfg_to_pool(const struct skiff_cfg *cfg, Skiff__V1__PoolConfig **out,
                      skiff_cfg_warn_fn *warn, void *ctx, struct skiff_cfg_error *err)
{
    *out = NULL;
    Skiff__V1__PoolConfig *pc = malloc(sizeof *pc);
    if (pc == NULL)
        return -ENOMEM;
    *pc = (Skiff__V1__PoolConfig)SKIFF__V1__POOL_CONFIG__INIT;
    int rc = 0;
    skiff_cfg_warn_unknown(cfg, pool_keys, warn, ctx);
    const struct skiff_cfg_entry *e = skiff_cfg_get(cfg, "name");
    if (e == NULL) {
        cfg_error(err, cfg->file, 0, 0, "name is required");
        rc = -EINVAL;
        goto out;
    }
    if (e->value.type != SKIFF_CFG_STRING) {
        rc = cfg_type_error(err, e->file, e->key, &e->value, "a string (the pool's name)");
        goto out;
    }
    if (!pool_name_ok(e->value.str)) {
        char q[CFG_QUOTE_SIZE];
        cfg_error(err, e->file, e->value.line, e->value.col,
                  "name: '%s' is not a valid pool name (1 to 64 of A-Z a-z 0-9 _ . -, "
                  "starting with a letter or digit)",
                  cfg_quote(q, sizeof q, e->value.str, CFG_QUOTE_MAX));
        rc = -EINVAL;
        goto out;
    }
    if ((rc = set(&pc->name, strdup(e->value.str))) < 0)
        goto out;
    const struct skiff_cfg_entry *c = skiff_cfg_get(cfg, "cpus");
    const struct skiff_cfg_entry *n = skiff_cfg_get(cfg, "nodes");
    if (c != NULL && n != NULL) {
        cfg_error(err, n->file, n->line, n->col, "nodes: give cpus or nodes, not both");
        rc = -EINVAL;
        goto out;
    }
    char *cpus = NULL;
    if (c != NULL)
        rc = cfg_cpus_value(c, &cpus, err);
    else if (n != NULL)
        rc = nodes_value(n, &cpus, err);
    if (rc < 0)
        goto out;
    if (cpus != NULL && (rc = set(&pc->cpus, cpus)) < 0)
        goto out;
    e = skiff_cfg_get(cfg, "sched");
    if (e != NULL) {
        if (e->value.type != SKIFF_CFG_STRING || strcmp(e->value.str, "credit") != 0) {
            cfg_error(err, e->file, e->value.line, e->value.col,
                      "sched: only \"credit\" is available");
            rc = -EINVAL;
            goto out;
        }
        if ((rc = set(&pc->sched, strdup("credit"))) < 0)
            goto out;
    }
out:
    if (rc < 0) {
        if (rc == -ENOMEM)
            cfg_error(err, cfg->file, 0, 0, "out of memory");
        skiff_cfg_pool_free(pc);
        return rc;
    }
    *out = pc;
    return 0;
}

void skiff_cfg_pool_free(Skiff__V1__PoolConfig *pc)
{
    if (pc != NULL)
        protobuf_c_message_free_unpacked(&pc->base, NULL);
}
