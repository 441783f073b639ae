/* The command table: names, synopses, help texts and accepted arguments. */
#include <string.h>

#include "cli.h"

#define ALL -1

const struct cli_cmd cli_commands[] = {
    { "create", "[-p] [-n] FILE [KEY=VALUE...]",
      "create and start a domain from a configuration file",
      "  -p, --paused    start with the vCPUs paused (see unpause)\n"
      "  -n, --dry-run   parse the file and print the configuration; change nothing\n"
      "  KEY=VALUE       override a key of FILE (skiff.cfg syntax; bare words are strings)\n"
      "  Relative paths (kernel, disk targets) are made absolute against the current\n"
      "  directory, since hostd does not share it.",
      { OPT_PAUSED | OPT_DRY_RUN | OPT_JSON, 1, ALL }, cli_cmd_create },
    { "define", "[-n] FILE [KEY=VALUE...]",
      "store a persistent domain without starting it",
      "  -n, --dry-run   parse the file and print the configuration; change nothing\n"
      "  KEY=VALUE       override a key of FILE",
      { OPT_DRY_RUN | OPT_JSON, 1, ALL }, cli_cmd_define },
    { "undefine", "DOMAIN", "forget a persistent domain (it must not be running)", NULL,
      { 0, 1, 1 }, cli_cmd_undefine },
    { "start", "DOMAIN", "start a defined domain", NULL, { 0, 1, 1 }, cli_cmd_start },
    { "list", "[-l] [-r] [--json]", "list domains",
      "  -l, --long      add UUID, pid, persistence and kernel columns\n"
      "  -r, --running   only domains that have a running monitor (not merely defined)\n"
      "      --json      a JSON array of domain objects",
      { OPT_LONG | OPT_RUNNING | OPT_JSON, 0, 0 }, cli_cmd_list },
    { "dominfo", "[--json] DOMAIN", "show one domain's state and configuration",
      "      --json      a JSON object", { OPT_JSON, 1, 1 }, cli_cmd_dominfo },
    { "info", "[--json]", "show information about the host and hostd",
      "      --json      a JSON object", { OPT_JSON, 0, 0 }, cli_cmd_info },
    { "uptime", "[--json] [DOMAIN...]", "show how long domains have been running",
      "      --json      a JSON array", { OPT_JSON, 0, ALL }, cli_cmd_uptime },
    { "top", "[-b] [-d SECONDS] [-i N] [--json]",
      "show the domains' CPU, memory and VM exits, refreshed",
      "  -b, --batch     print samples to stdout instead of refreshing the screen\n"
      "                  (implied when stdin or stdout is not a terminal)\n"
      "  -d, --delay SECONDS\n"
      "                  time between samples (default 1; fractions allowed, e.g. 0.2)\n"
      "  -i, --iterations N\n"
      "                  stop after N displays (default: 1 in batch mode, else until q)\n"
      "      --json      with --batch: one JSON object per sample\n"
      "  CPU(%) is the vCPU time used between two samples over the time between them\n"
      "  (100 per busy vCPU), so the first display comes one delay after the start.\n"
      "  On a terminal: q or Ctrl-C quits.",
      { OPT_BATCH | OPT_DELAY | OPT_ITERATIONS | OPT_JSON, 0, 0 }, cli_cmd_top },
    { "pause", "DOMAIN", "pause a domain's vCPUs", NULL, { 0, 1, 1 }, cli_cmd_pause },
    { "unpause", "DOMAIN", "resume a paused domain", NULL, { 0, 1, 1 }, cli_cmd_unpause },
    { "shutdown", "[-w] [-t SECONDS] DOMAIN", "ask a domain to shut down",
      "  -w, --wait      return only once the domain has stopped\n"
      "  -t, --timeout SECONDS\n"
      "                  grace period before hostd destroys the domain (default: hostd's)\n"
      "  Guests without Skiff's control events are destroyed after the grace period.",
      { OPT_WAIT | OPT_TIMEOUT, 1, 1 }, cli_cmd_shutdown },
    { "reboot", "DOMAIN", "ask a domain to reboot", NULL, { 0, 1, 1 }, cli_cmd_reboot },
    { "destroy", "DOMAIN", "stop a domain at once (a defined domain stays defined)", NULL,
      { 0, 1, 1 }, cli_cmd_destroy },
    { "rename", "DOMAIN NEWNAME", "rename a domain", NULL, { 0, 2, 2 }, cli_cmd_rename },
    { "console", "[--no-history] DOMAIN", "attach to a domain's console",
      "      --no-history  show only new output, not hostd's buffer of recent output\n"
      "  On a terminal: keys go to the guest; Ctrl-] detaches.\n"
      "  Otherwise the output is copied until the domain stops.",
      { OPT_NO_HISTORY, 1, 1 }, cli_cmd_console },
    { "events", "[--since SEQ] [--count N] [-t SECONDS] [--json]",
      "follow hostd's event log",
      "      --since SEQ replay stored events from sequence number SEQ on (default 0:\n"
      "                  every event hostd keeps), then follow new ones\n"
      "      --count N   exit after N events\n"
      "  -t, --timeout SECONDS\n"
      "                  exit when no event came for SECONDS\n"
      "      --json      one JSON object per line",
      { OPT_SINCE | OPT_COUNT | OPT_TIMEOUT | OPT_JSON, 0, 0 }, cli_cmd_events },
    { "save", "[-c] DOMAIN FILE", "save a domain's state to a file, then destroy it",
      "  -c, --checkpoint  leave the domain running after the save\n"
      "  FILE is written by hostd (a relative path is made absolute against the current\n"
      "  directory); it appears only once complete.",
      { OPT_CHECKPOINT, 2, 2 }, cli_cmd_save },
    { "restore", "[-p] FILE [KEY=VALUE...]", "start a domain from a saved state",
      "  -p, --paused    leave the restored domain paused\n"
      "  KEY=VALUE       name=, uuid=, on_poweroff=, on_reboot= or on_crash= for the\n"
      "                  restored domain (a copy under a new name gets a new uuid)",
      { OPT_PAUSED, 1, ALL }, cli_cmd_restore },
    { "help", "[COMMAND]", "show help for skiff or one command", NULL, { 0, 0, 1 },
      cli_cmd_help },
    { NULL, NULL, NULL, NULL, { 0, 0, 0 }, NULL },
};

const struct cli_cmd *cli_find_command(const char *name)
{
    for (const struct cli_cmd *c = cli_commands; c->name != NULL; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}
