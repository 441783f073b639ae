#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

struct optdef {
    enum cli_opt bit;
    char short_name;            /* 0: long only */
    const char *long_name;
    const char *arg;            /* NULL: a flag; else the argument's name */
};

static const struct optdef optdefs[] = {
    { OPT_PAUSED, 'p', "paused", NULL },
    { OPT_DRY_RUN, 'n', "dry-run", NULL },
    { OPT_WAIT, 'w', "wait", NULL },
    { OPT_TIMEOUT, 't', "timeout", "SECONDS" },
    { OPT_LONG, 'l', "long", NULL },
    { OPT_RUNNING, 'r', "running", NULL },
    { OPT_JSON, 0, "json", NULL },
    { OPT_NO_HISTORY, 0, "no-history", NULL },
    { OPT_SINCE, 0, "since", "SEQ" },
    { OPT_COUNT, 0, "count", "N" },
    { OPT_HELP, 'h', "help", NULL },
    { OPT_BATCH, 'b', "batch", NULL },
    { OPT_DELAY, 'd', "delay", "SECONDS" },
    { OPT_ITERATIONS, 'i', "iterations", "N" },
    { OPT_NUMA, 'n', "numa", NULL },
    { OPT_CPULIST, 'c', "cpus", NULL },
    { OPT_DOMAIN, 'd', "domain", "DOMAIN" },
    { OPT_WEIGHT, 'w', "weight", "WEIGHT" },
    { OPT_CAP, 'c', "cap", "CAP" },
    { OPT_FOLLOW, 'f', "follow", NULL },
    { OPT_CHECKPOINT, 'c', "checkpoint", NULL },
    { OPT_LIVE, 0, "live", NULL },
};

#define N_OPTDEFS (sizeof optdefs / sizeof optdefs[0])

int cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int cli_parse_seconds_ms(const char *s, uint32_t max_ms, uint32_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    uint64_t ms = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        ms = ms * 10 + (uint64_t)(*s - '0');
        if (ms > max_ms)
            return -1;
    }
    ms *= 1000;
    if (*s == '.') {
        s++;
        uint64_t scale = 100;
        if (*s < '0' || *s > '9')
            return -1;
        for (; *s >= '0' && *s <= '9'; s++, scale /= 10)
            ms += scale * (uint64_t)(*s - '0');   /* digits past the third add 0 */
    }
    if (*s != '\0' || ms > max_ms)
        return -1;
    *out = (uint32_t)ms;
    return 0;
}

static const struct optdef *find_long(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTDEFS; i++)
        if (strlen(optdefs[i].long_name) == len && strncmp(optdefs[i].long_name, name, len) == 0)
            return &optdefs[i];
    return NULL;
}

/* The option the command allows under this short name, else the first
 * one of that name (refused by allowed()). */
static const struct optdef *find_short(const struct cli_argspec *spec, char c)
{
    const struct optdef *first = NULL;
    for (size_t i = 0; i < N_OPTDEFS; i++) {
        if (optdefs[i].short_name != c)
            continue;
        if ((spec->opts | OPT_HELP) & optdefs[i].bit)
            return &optdefs[i];
        if (first == NULL)
            first = &optdefs[i];
    }
    return first;
}

/* Store an option's value. */
static int take_value(const struct optdef *d, const char *val, struct cli_args *a, char *errbuf,
                      size_t errlen)
{
    uint64_t v;
    switch (d->bit) {
    case OPT_TIMEOUT:
        /* Seconds become milliseconds in a 32-bit field. */
        if (cli_parse_u64(val, UINT32_MAX / 1000, &v) < 0) {
            snprintf(errbuf, errlen, "--timeout wants whole seconds (0 to %u), not '%s'",
                     UINT32_MAX / 1000, val);
            return -1;
        }
        a->timeout_s = (uint32_t)v;
        break;
    case OPT_SINCE:
        if (cli_parse_u64(val, UINT64_MAX, &a->since) < 0) {
            snprintf(errbuf, errlen, "--since wants an event sequence number, not '%s'", val);
            return -1;
        }
        break;
    case OPT_COUNT:
        if (cli_parse_u64(val, UINT64_MAX, &v) < 0 || v == 0) {
            snprintf(errbuf, errlen, "--count wants a positive number, not '%s'", val);
            return -1;
        }
        a->count = v;
        break;
    case OPT_DELAY:
        if (cli_parse_seconds_ms(val, 86400000, &a->delay_ms) < 0 || a->delay_ms < 10) {
            snprintf(errbuf, errlen, "--delay wants seconds (0.01 to 86400, e.g. 0.5), not '%s'",
                     val);
            return -1;
        }
        break;
    case OPT_ITERATIONS:
        if (cli_parse_u64(val, UINT32_MAX, &v) < 0 || v == 0) {
            snprintf(errbuf, errlen, "--iterations wants a positive number, not '%s'", val);
            return -1;
        }
        a->iterations = v;
        break;
    case OPT_DOMAIN:
        a->domain = val;
        break;
    case OPT_WEIGHT:
        if (cli_parse_u64(val, 65535, &v) < 0 || v == 0) {
            snprintf(errbuf, errlen, "--weight wants a number from 1 to 65535, not '%s'", val);
            return -1;
        }
        a->weight = (uint32_t)v;
        break;
    case OPT_CAP:
        if (cli_parse_u64(val, 51200, &v) < 0) {
            snprintf(errbuf, errlen,
                     "--cap wants a percentage of one CPU from 0 (no cap) to 51200, not '%s'",
                     val);
            return -1;
        }
        a->cap = (uint32_t)v;
        break;
    default:
        break;
    }
    return 0;
}

static int allowed(const struct cli_argspec *spec, const struct optdef *d, const char *spelled,
                   char *errbuf, size_t errlen)
{
    if (d == NULL || !((spec->opts | OPT_HELP) & d->bit)) {
        snprintf(errbuf, errlen, "unknown option '%s'", spelled);
        return -1;
    }
    return 0;
}

int cli_parse_args(const struct cli_argspec *spec, int argc, char **argv,
                   struct cli_args *a, char *errbuf, size_t errlen)
{
    memset(a, 0, sizeof *a);
    errbuf[0] = '\0';
    a->pos = calloc(argc > 0 ? (size_t)argc : 1, sizeof *a->pos);
    if (a->pos == NULL)
        return -2;
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            a->pos[a->npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (arg[1] == '-') {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            const struct optdef *d = find_long(name, len);
            if (allowed(spec, d, arg, errbuf, errlen) < 0)
                goto fail;
            a->seen |= d->bit;
            if (d->arg == NULL) {
                if (eq != NULL) {
                    snprintf(errbuf, errlen, "option '--%s' takes no value", d->long_name);
                    goto fail;
                }
                continue;
            }
            const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (val == NULL) {
                snprintf(errbuf, errlen, "option '--%s' needs %s", d->long_name, d->arg);
                goto fail;
            }
            if (take_value(d, val, a, errbuf, errlen) < 0)
                goto fail;
            continue;
        }
        /* Bundled short options: -pw, -t5, -t 5. */
        for (char *p = arg + 1; *p; p++) {
            char spelled[3] = { '-', *p, '\0' };
            const struct optdef *d = find_short(spec, *p);
            if (allowed(spec, d, spelled, errbuf, errlen) < 0)
                goto fail;
            a->seen |= d->bit;
            if (d->arg == NULL)
                continue;
            const char *val = p[1] ? p + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (val == NULL) {
                snprintf(errbuf, errlen, "option '-%c' needs %s", *p, d->arg);
                goto fail;
            }
            if (take_value(d, val, a, errbuf, errlen) < 0)
                goto fail;
            break;
        }
    }
    if (a->seen & OPT_HELP)
        return 0;
    if (a->npos < (size_t)spec->min_pos) {
        snprintf(errbuf, errlen, "missing argument");
        goto fail;
    }
    if (spec->max_pos >= 0 && a->npos > (size_t)spec->max_pos) {
        snprintf(errbuf, errlen, "unexpected argument '%s'", a->pos[spec->max_pos]);
        goto fail;
    }
    for (size_t i = 0; i < a->npos; i++)
        if (a->pos[i][0] == '\0') {
            snprintf(errbuf, errlen, "empty argument");
            goto fail;
        }
    return 0;
fail:
    cli_args_free(a);
    return -1;
}

void cli_args_free(struct cli_args *a)
{
    free(a->pos);
    a->pos = NULL;
    a->npos = 0;
}
