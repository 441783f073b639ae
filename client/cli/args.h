/*
 * Command-line parsing of one skiff command's arguments. Every command
 * declares which options it takes and how many positional arguments;
 * one parser handles them all, so every command treats "--", "--opt=val",
 * bundled short flags and options after positionals the same way.
 */
#ifndef SKIFF_CLI_ARGS_H
#define SKIFF_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The options any command may take; each command allows a subset. */
enum cli_opt {
    OPT_PAUSED = 1u << 0,       /* -p, --paused */
    OPT_DRY_RUN = 1u << 1,      /* -n, --dry-run */
    OPT_WAIT = 1u << 2,         /* -w, --wait */
    OPT_TIMEOUT = 1u << 3,      /* -t, --timeout SECONDS */
    OPT_LONG = 1u << 4,         /* -l, --long */
    OPT_RUNNING = 1u << 5,      /* -r, --running */
    OPT_JSON = 1u << 6,         /* --json */
    OPT_NO_HISTORY = 1u << 7,   /* --no-history */
    OPT_SINCE = 1u << 8,        /* --since SEQ */
    OPT_COUNT = 1u << 9,        /* --count N */
    OPT_HELP = 1u << 10,        /* -h, --help: every command */
    OPT_BATCH = 1u << 11,       /* -b, --batch */
    OPT_DELAY = 1u << 12,       /* -d, --delay SECONDS (fractions allowed) */
    OPT_ITERATIONS = 1u << 13,  /* -i, --iterations N */
    /* A short name may mean different options for different commands;
     * each command allows only one of them. */
    OPT_NUMA = 1u << 14,        /* -n, --numa (info) */
    OPT_CPULIST = 1u << 15,     /* -c, --cpus (cpupool-list) */
    OPT_DOMAIN = 1u << 16,      /* -d, --domain DOMAIN */
    OPT_WEIGHT = 1u << 17,      /* -w, --weight W */
    OPT_CAP = 1u << 18,         /* -c, --cap C */
    OPT_FOLLOW = 1u << 19,      /* -f, --follow */
    OPT_CHECKPOINT = 1u << 20,  /* -c, --checkpoint (save: keep running) */
    OPT_LIVE = 1u << 21,        /* --live (migrate) */
};

struct cli_args {
    unsigned seen;              /* enum cli_opt bits given */
    uint32_t timeout_s;         /* -t */
    uint64_t since;             /* --since */
    uint64_t count;             /* --count */
    uint32_t delay_ms;          /* -d */
    uint64_t iterations;        /* -i */
    const char *domain;         /* -d DOMAIN (points into argv) */
    uint32_t weight;            /* -w */
    uint32_t cap;               /* -c */
    size_t npos;
    char **pos;                 /* positional arguments (point into argv) */
};

/* What a command accepts. max_pos < 0: no limit. */
struct cli_argspec {
    unsigned opts;
    int min_pos, max_pos;
};

/*
 * Parse argv[1..argc-1] (argv[0] is the command's name) by spec. The
 * positional array is allocated (free args->pos). Returns 0, or -1 with a
 * message in errbuf; -ENOMEM as -2. -h/--help sets OPT_HELP and skips the
 * positional-count check.
 */
int cli_parse_args(const struct cli_argspec *spec, int argc, char **argv,
                   struct cli_args *args, char *errbuf, size_t errlen);

void cli_args_free(struct cli_args *args);

/* Seconds with up to 3 decimals ("1", "0.2") as milliseconds, at most
 * max_ms. 0 or -1. */
int cli_parse_seconds_ms(const char *s, uint32_t max_ms, uint32_t *out);

/* A decimal unsigned number, all of s, at most max. 0 or -1. */
int cli_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif
