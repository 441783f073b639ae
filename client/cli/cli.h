/*
 * The skiff command line: shared state, the command table and the helpers
 * the command files use. Each cmd-*.c file implements one group.
 */
#ifndef SKIFF_CLI_H
#define SKIFF_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "skiff/skiff.h"

#include "args.h"
#include "json.h"

/* Exit statuses (skiff(1), EXIT STATUS). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAIL = 1,          /* hostd refused or failed the operation; bad config file */
    CLI_EXIT_USAGE = 2,         /* bad command line */
    CLI_EXIT_CONNECT = 3,       /* cannot reach hostd, or the connection broke */
};

struct cli {
    const char *uri;            /* -c, else NULL (libskiff consults $SKIFF_URI) */
    bool json;                  /* --json before the command */
    const char *cmd;            /* the command's name, for messages */
    struct skiff_conn *conn;    /* opened by cli_connect */
};

struct cli_cmd {
    const char *name;
    const char *synopsis;       /* arguments, e.g. "[-p] FILE [KEY=VALUE...]" */
    const char *summary;        /* one line */
    const char *details;        /* options, one per line, or NULL */
    struct cli_argspec spec;
    int (*run)(struct cli *cli, const struct cli_args *args);
};

/* The command table (commands.c); NULL-name terminated. */
extern const struct cli_cmd cli_commands[];
const struct cli_cmd *cli_find_command(const char *name);

/* Connect (once) to hostd; prints the error with a hint. Returns 0 or an
 * exit status. */
int cli_connect(struct cli *cli);

/* Print "skiff: CMD: message" (with a hint for the code) to stderr and
 * return the exit status for the error. */
int cli_fail(const struct cli *cli, const struct skiff_error *err);
/* Print a message for a failure of the command line itself: exit 2. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Exit status for a libskiff error code. */
int cli_exit_status(enum skiff_errcode code);

/* Whether this invocation prints JSON (--json before or after the command). */
bool cli_json(const struct cli *cli, const struct cli_args *args);

/* help.c */
void cli_print_usage(FILE *f);
void cli_print_command_help(FILE *f, const struct cli_cmd *c);
int cli_cmd_help(struct cli *cli, const struct cli_args *args);

/* format.c: shared renderings. */
/* "2026-11-25T03:40:00.123Z" for a CLOCK_REALTIME time in ns ("-" for 0). */
void cli_format_time(char *buf, size_t len, uint64_t ns);
/* "3 days, 4:05:06" or "0:01:02". */
void cli_format_duration(char *buf, size_t len, uint64_t seconds);
/* Seconds since a CLOCK_REALTIME start in ns (0 if not started). */
uint64_t cli_uptime_s(uint64_t started_at_ns);
void cli_json_config(struct json *j, const struct skiff_domain_config *cfg);
void cli_json_domain(struct json *j, const struct skiff_domain_info *d);
/* A libskiff call's rc as an exit status: cli_fail's when rc < 0. */
int cli_status(const struct cli *cli, int rc, const struct skiff_error *err);
/* A JSON array on stdout of n objects, items[i] (each size bytes) written
 * by fields between the braces. */
void cli_json_objects(const void *items, size_t n, size_t size,
                      void (*fields)(struct json *j, const void *item));

/* load-config.c: FILE plus KEY=VALUE overrides -> a config with absolute
 * paths. Prints errors/warnings; returns 0 or an exit status. */
int cli_load_config(const struct cli *cli, const char *file, char *const *overrides,
                    size_t n_overrides, struct skiff_domain_config *out);
void cli_print_config(const struct skiff_domain_config *cfg, bool json);

/* The commands. */
int cli_cmd_create(struct cli *cli, const struct cli_args *args);
int cli_cmd_define(struct cli *cli, const struct cli_args *args);
int cli_cmd_undefine(struct cli *cli, const struct cli_args *args);
int cli_cmd_start(struct cli *cli, const struct cli_args *args);
int cli_cmd_pause(struct cli *cli, const struct cli_args *args);
int cli_cmd_unpause(struct cli *cli, const struct cli_args *args);
int cli_cmd_shutdown(struct cli *cli, const struct cli_args *args);
int cli_cmd_reboot(struct cli *cli, const struct cli_args *args);
int cli_cmd_destroy(struct cli *cli, const struct cli_args *args);
int cli_cmd_rename(struct cli *cli, const struct cli_args *args);
/* path made absolute against the current directory (malloc'd); 0 or -errno. */
int cli_absolute_path(const char *path, char **dst);
int cli_cmd_save(struct cli *cli, const struct cli_args *args);
int cli_cmd_migrate(struct cli *cli, const struct cli_args *args);
int cli_cmd_restore(struct cli *cli, const struct cli_args *args);
int cli_cmd_list(struct cli *cli, const struct cli_args *args);
int cli_cmd_dominfo(struct cli *cli, const struct cli_args *args);
int cli_cmd_info(struct cli *cli, const struct cli_args *args);
int cli_cmd_uptime(struct cli *cli, const struct cli_args *args);
int cli_cmd_top(struct cli *cli, const struct cli_args *args);
int cli_cmd_console(struct cli *cli, const struct cli_args *args);
int cli_cmd_events(struct cli *cli, const struct cli_args *args);
/* CPU pools, vCPUs, scheduling (cmd-pool.c, cmd-vcpu.c, cmd-sched.c). */
int cli_cmd_cpupool_list(struct cli *cli, const struct cli_args *args);
int cli_cmd_cpupool_create(struct cli *cli, const struct cli_args *args);
int cli_cmd_cpupool_destroy(struct cli *cli, const struct cli_args *args);
int cli_cmd_cpupool_rename(struct cli *cli, const struct cli_args *args);
int cli_cmd_cpupool_cpu_add(struct cli *cli, const struct cli_args *args);
int cli_cmd_cpupool_cpu_remove(struct cli *cli, const struct cli_args *args);
int cli_cmd_cpupool_migrate(struct cli *cli, const struct cli_args *args);
int cli_cmd_cpupool_numa_split(struct cli *cli, const struct cli_args *args);
int cli_cmd_vcpu_list(struct cli *cli, const struct cli_args *args);
int cli_cmd_vcpu_pin(struct cli *cli, const struct cli_args *args);
int cli_cmd_sched_credit(struct cli *cli, const struct cli_args *args);
/* topology.c: `info -n`. */
void cli_print_topology(const struct skiff_topology *t);
void cli_json_topology(struct json *j, const struct skiff_topology *t);
int cli_cmd_getenforce(struct cli *cli, const struct cli_args *args);
int cli_cmd_setenforce(struct cli *cli, const struct cli_args *args);
int cli_cmd_loadpolicy(struct cli *cli, const struct cli_args *args);
int cli_cmd_labels(struct cli *cli, const struct cli_args *args);
int cli_cmd_audit(struct cli *cli, const struct cli_args *args);

#endif
