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
    { "info", "[-n] [--json]", "show information about the host and hostd",
      "  -n, --numa      also the CPU topology (cpu: core socket node) and the NUMA\n"
      "                  nodes (memory size and free in MiB, distances), as xl info -n\n"
      "      --json      a JSON object", { OPT_NUMA | OPT_JSON, 0, 0 }, cli_cmd_info },
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
    { "cpupool-list", "[-c] [--json] [POOL]", "list CPU pools",
      "  -c, --cpus      show each pool's CPU list\n"
      "      --json      a JSON array of pools",
      { OPT_CPULIST | OPT_JSON, 0, 1 }, cli_cmd_cpupool_list },
    { "cpupool-create", "FILE [KEY=VALUE...]", "create a CPU pool from a configuration file",
      "  FILE keys: name = \"NAME\" (required); cpus = \"2-3\" or \"node:1\" or a list;\n"
      "  or nodes = [1, 2]; sched = \"credit\". Only free CPUs (in no pool) can be\n"
      "  given: take them out of another pool first (cpupool-cpu-remove).\n"
      "  KEY=VALUE       override a key of FILE",
      { 0, 1, ALL }, cli_cmd_cpupool_create },
    { "cpupool-destroy", "POOL", "destroy a CPU pool that no domain uses (not the first)",
      NULL, { 0, 1, 1 }, cli_cmd_cpupool_destroy },
    { "cpupool-rename", "POOL NEWNAME", "rename a CPU pool", NULL, { 0, 2, 2 },
      cli_cmd_cpupool_rename },
    { "cpupool-cpu-add", "POOL CPUS|node:N", "add free CPUs to a pool",
      "  CPUS is a CPU list (\"2,4-5\") or node:N for every CPU of a NUMA node.\n"
      "  Running domains of the pool may use the new CPUs at once.",
      { 0, 2, 2 }, cli_cmd_cpupool_cpu_add },
    { "cpupool-cpu-remove", "POOL CPUS|node:N", "take CPUs out of a pool (they become free)",
      "  The last CPU of a pool with running domains cannot be removed.",
      { 0, 2, 2 }, cli_cmd_cpupool_cpu_remove },
    { "cpupool-migrate", "DOMAIN POOL", "move a domain to another CPU pool (live)", NULL,
      { 0, 2, 2 }, cli_cmd_cpupool_migrate },
    { "cpupool-numa-split", "", "make one CPU pool per NUMA node",
      "  Only while a single pool exists. Pool-0 becomes Pool-node0 (with node 0's CPUs)\n"
      "  and keeps its domains; Pool-node1, ... get the other nodes' CPUs.",
      { 0, 0, 0 }, cli_cmd_cpupool_numa_split },
    { "vcpu-list", "[--json] [DOMAIN]", "list the vCPUs of running domains",
      "  Columns: host thread (TID), the CPU it last ran on, state (r running,\n"
      "  b blocked, p paused), CPU time, and hard / soft affinity.\n"
      "      --json      a JSON array, with the thread's kernel CPU mask",
      { OPT_JSON, 0, 1 }, cli_cmd_vcpu_list },
    { "vcpu-pin", "DOMAIN VCPU|all CPUS [SOFT]", "set vCPUs' hard (and soft) CPU affinity",
      "  CPUS, SOFT      a CPU list, node:N, 'all', or '-' for no change\n"
      "  Hard affinity is enforced (within the domain's pool); soft affinity narrows\n"
      "  where the vCPU runs when it shares CPUs with the hard set. Kept in the\n"
      "  domain's configuration and applied at once when it runs.",
      { 0, 3, 4 }, cli_cmd_vcpu_pin },
    { "sched-credit", "[-d DOMAIN] [-w WEIGHT] [-c CAP] [--json]",
      "show or set the credit scheduler's weight and cap",
      "  -d, --domain DOMAIN  the domain (without: list every domain)\n"
      "  -w, --weight WEIGHT  relative CPU share, 1-65535 (default 256)\n"
      "  -c, --cap CAP        at most CAP percent of one CPU (0 = no cap)\n"
      "      --json      a JSON object\n"
      "  Applied through the kernel's CPU controller (a cgroup per domain).",
      { OPT_DOMAIN | OPT_WEIGHT | OPT_CAP | OPT_JSON, 0, 0 }, cli_cmd_sched_credit },
    { "getenforce", "[-l] [--json]", "show the security module and whether it enforces",
      "  -l, --long      also the policy's origin, cache and denial counts\n"
      "      --json      a JSON object\n"
      "  Prints Enforcing, Permissive, or Disabled (the dummy module: no policy).",
      { OPT_LONG | OPT_JSON, 0, 0 }, cli_cmd_getenforce },
    { "setenforce", "1|0", "enforce the policy (1) or only log its denials (0)",
      "  Also takes Enforcing and Permissive. Needs host:setenforce; lasts until\n"
      "  hostd restarts (hostd.conf's `enforcing` decides at start).",
      { 0, 1, 1 }, cli_cmd_setenforce },
    { "loadpolicy", "FILE", "replace hostd's security policy with a binary policy",
      "  FILE is checkpolicy's output. hostd reads its label mapping again with it.\n"
      "  A policy with any fault is refused and the running one stays. Needs\n"
      "  host:loadpolicy; lasts until hostd restarts (hostd.conf's `policy` then).",
      { 0, 1, 1 }, cli_cmd_loadpolicy },
    { "labels", "[--json]", "show the security contexts of the caller and of objects",
      "      --json      a JSON array\n"
      "  The caller (subject), the host, the pool and every domain the caller may see.",
      { OPT_JSON, 0, 0 }, cli_cmd_labels },
    { "audit", "[-f] [--since SEQ] [--json]", "show the security policy's recent denials",
      "  -f, --follow    after the recorded denials, print new ones as they happen\n"
      "      --since SEQ start at event sequence number SEQ\n"
      "      --json      one JSON object per line\n"
      "  Lines are in the SELinux AVC format. Needs host:audit.",
      { OPT_FOLLOW | OPT_SINCE | OPT_JSON, 0, 0 }, cli_cmd_audit },
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
    { "migrate", "[--live] [--json] DOMAIN HOST[:PORT]", "move a domain to another host",
      "      --live      copy while the domain runs (pre-copy rounds), pausing it only\n"
      "                  for the last pages; without it the domain is paused first\n"
      "      --json      progress and the report as JSON lines\n"
      "  HOST[:PORT] is the destination hostd's TLS listener (port 7443 by default);\n"
      "  the source hostd connects to it with its own host certificate. On failure\n"
      "  the domain stays on this host.",
      { OPT_LIVE | OPT_JSON, 2, 2 }, cli_cmd_migrate },
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
