/*
 * CPU set values of configuration files: domains' cpus/cpus_soft and
 * pools' cpus. Only the spelling is checked here; whether the CPUs and
 * nodes exist is for hostd, which knows the host.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-priv.h"

#define NODE_MAX 63

/* One decimal number at *p, at most max; advances *p. */
static int number(const char **p, long max, long *out)
{
    const char *s = *p;
    long v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (*s++ - '0');
        if (v > max)
            return -1;
    }
    *p = s;
    *out = v;
    return 0;
}

static void skip_blanks(const char **s)
{
    while (**s == ' ' || **s == '\t')
        (*s)++;
}

/*
 * Append the canonical spelling of s ("0-3, 6", "node:1", "nodes:0-1",
 * "all") to out at *o; out has room for 2 * strlen(s) + 2 more bytes.
 * *all is set when s means every CPU.
 */
static int canonical(const char *s, char *out, size_t *o, bool *all)
{
    skip_blanks(&s);
    if (strcmp(s, "all") == 0 || *s == '\0') {
        *all = true;
        return 0;
    }
    for (;;) {
        skip_blanks(&s);
        long lo, hi, max = CFG_CPU_MAX;
        const char *prefix = "";
        if (strncmp(s, "nodes:", 6) == 0 || strncmp(s, "node:", 5) == 0) {
            s += s[4] == 's' ? 6 : 5;
            prefix = "node:";
            max = NODE_MAX;
        }
        if (number(&s, max, &lo) < 0)
            return -1;
        hi = lo;
        if (*s == '-') {
            s++;
            if (number(&s, max, &hi) < 0 || hi < lo)
                return -1;
        }
        if (*o > 0)
            out[(*o)++] = ',';
        *o += (size_t)(hi == lo ? sprintf(out + *o, "%s%ld", prefix, lo)
                                : sprintf(out + *o, "%s%ld-%ld", prefix, lo, hi));
        skip_blanks(&s);
        if (*s == '\0')
            return 0;
        if (*s++ != ',')
            return -1;
    }
}

int cfg_cpus_value(const struct skiff_cfg_entry *e, char **out, struct skiff_cfg_error *err)
{
    const struct skiff_cfg_value *v = &e->value;
    const struct skiff_cfg_value *items = v->type == SKIFF_CFG_LIST ? v->items : v;
    size_t n = v->type == SKIFF_CFG_LIST ? v->n_items : 1, room = 1;
    *out = NULL;
    if (v->type != SKIFF_CFG_STRING && v->type != SKIFF_CFG_INT && v->type != SKIFF_CFG_LIST)
        return cfg_type_error(err, e->file, e->key, v,
                              "a string like \"0-3,6\" or \"node:1\", or a list of CPUs");
    for (size_t i = 0; i < n; i++)
        room += items[i].type == SKIFF_CFG_STRING ? 2 * strlen(items[i].str) + 2 : 8;
    char *buf = malloc(room);
    if (buf == NULL)
        return -ENOMEM;
    size_t o = 0;
    bool all = false;
    for (size_t i = 0; i < n; i++) {
        const struct skiff_cfg_value *it = &items[i];
        int bad = 0;
        if (it->type == SKIFF_CFG_INT && it->num <= CFG_CPU_MAX)
            o += (size_t)sprintf(buf + o, o ? ",%lld" : "%lld", it->num);
        else if (it->type == SKIFF_CFG_STRING)
            bad = canonical(it->str, buf, &o, &all);
        else
            bad = -1;
        if (bad < 0) {
            char q[CFG_QUOTE_SIZE];
            if (it->type == SKIFF_CFG_STRING)
                cfg_error(err, e->file, it->line, it->col,
                          "%s: '%s' is not a CPU list like \"0-3,6\" or \"node:1\" "
                          "(CPUs 0 to %d, nodes 0 to %d)",
                          e->key, cfg_quote(q, sizeof q, it->str, CFG_QUOTE_MAX), CFG_CPU_MAX,
                          NODE_MAX);
            else
                cfg_error(err, e->file, it->line, it->col,
                          "%s: expected CPU numbers from 0 to %d", e->key, CFG_CPU_MAX);
            free(buf);
            return -EINVAL;
        }
    }
    buf[all ? 0 : o] = '\0';
    *out = buf;
    return 0;
}
