/* Read-only commands: list, dominfo, info, uptime (text or --json). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *str(const char *s)
{
    return s != NULL && *s ? s : "-";
}

static bool live(const struct skiff_domain_info *d)
{
    return d->state == SKIFF_STATE_RUNNING || d->state == SKIFF_STATE_PAUSED;
}

static int by_name(const void *a, const void *b)
{
    const struct skiff_domain_info *x = a, *y = b;
    return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static int fetch(struct cli *cli, bool all, struct skiff_domain_info **list, size_t *n)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    if (skiff_list(cli->conn, all, list, n, &err) < 0)
        return cli_fail(cli, &err);
    if (*n > 1)
        qsort(*list, *n, sizeof **list, by_name);
    return CLI_EXIT_OK;
}

static int name_width(const struct skiff_domain_info *list, size_t n)
{
    size_t w = 4;
    for (size_t i = 0; i < n; i++)
        if (list[i].name != NULL && strlen(list[i].name) > w)
            w = strlen(list[i].name);
    return (int)(w > 64 ? 64 : w);
}

int cli_cmd_list(struct cli *cli, const struct cli_args *a)
{
    struct skiff_domain_info *list;
    size_t n;
    int rc = fetch(cli, !(a->seen & OPT_RUNNING), &list, &n);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (cli_json(cli, a)) {
        struct json j;
        json_init(&j, stdout);
        json_array_begin(&j);
        for (size_t i = 0; i < n; i++)
            cli_json_domain(&j, &list[i]);
        json_array_end(&j);
        json_end(&j);
        skiff_domain_list_free(list, n);
        return CLI_EXIT_OK;
    }
    bool wide = a->seen & OPT_LONG;
    int w = name_width(list, n);
    printf("%-*s ", w, "Name");
    if (wide)
        printf("%-36s ", "UUID");
    printf("%5s %6s %5s %-8s %9s", "ID", "Mem", "VCPUs", "State", "Time(s)");
    if (wide)
        printf(" %7s %-10s %s", "Pid", "Type", "Kernel");
    putchar('\n');
    for (size_t i = 0; i < n; i++) {
        const struct skiff_domain_info *d = &list[i];
        char id[16];
        snprintf(id, sizeof id, live(d) ? "%u" : "-", d->id);
        printf("%-*s ", w, str(d->name));
        if (wide)
            printf("%-36s ", d->uuid);
        printf("%5s %6" PRIu64 " %5u %-8s %9.1f", id, d->config.memory_mb, d->config.vcpus,
               skiff_state_name(d->state), (double)d->cpu_time_ns / 1e9);
        if (wide)
            printf(" %7d %-10s %s", d->pid, d->persistent ? "persistent" : "transient",
                   str(d->config.kernel));
        putchar('\n');
    }
    skiff_domain_list_free(list, n);
    return CLI_EXIT_OK;
}

static void row(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void row(const char *key, const char *fmt, ...)
{
    va_list ap;
    printf("%-16s", key);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

static void print_domain(const struct skiff_domain_info *d)
{
    const struct skiff_domain_config *c = &d->config;
    char t[64], up[64];
    row("Name:", "%s", str(d->name));
    row("UUID:", "%s", d->uuid);
    if (live(d))
        row("ID:", "%u", d->id);
    else
        row("ID:", "-");
    row("State:", "%s", skiff_state_name(d->state));
    row("Persistent:", "%s", d->persistent ? "yes" : "no");
    row("Autostart:", "%s", c->autostart ? "yes" : "no");
    row("Memory:", "%" PRIu64 " MiB", c->memory_mb);
    row("VCPUs:", "%u", c->vcpus);
    row("Kernel:", "%s", str(c->kernel));
    row("Cmdline:", "%s", c->cmdline ? c->cmdline : "");
    for (size_t i = 0; i < c->n_disks; i++)
        row("Disk:", "%s as %s", str(c->disks[i].target), str(c->disks[i].vdev));
    for (size_t i = 0; i < c->n_vifs; i++)
        row("Vif:", "%s mac %s %s%s", str(c->vifs[i].vdev), str(c->vifs[i].mac),
            c->vifs[i].tap && *c->vifs[i].tap ? "tap " : "bridge ",
            c->vifs[i].tap && *c->vifs[i].tap ? c->vifs[i].tap : str(c->vifs[i].bridge));
    row("On poweroff:", "%s", skiff_action_name(c->on_poweroff));
    row("On reboot:", "%s", skiff_action_name(c->on_reboot));
    row("On crash:", "%s", skiff_action_name(c->on_crash));
    if (c->pool && *c->pool)
        row("Pool:", "%s", c->pool);
    if (c->cpus && *c->cpus)
        row("CPU affinity:", "%s", c->cpus);
    if (c->cpus_soft && *c->cpus_soft)
        row("Soft affinity:", "%s", c->cpus_soft);
    if (d->numa_nodes && *d->numa_nodes)
        row("NUMA nodes:", "%s", d->numa_nodes);
    row("Weight:", "%u", c->weight ? c->weight : 256);
    row("Cap:", "%u%s", c->cap, c->cap ? "%" : " (none)");
    if (c->seclabel && *c->seclabel)
        row("Security label:", "%s", c->seclabel);
    if (live(d)) {
        cli_format_time(t, sizeof t, d->started_at_ns);
        cli_format_duration(up, sizeof up, cli_uptime_s(d->started_at_ns));
        row("Pid:", "%d", d->pid);
        row("Started:", "%s (up %s)", t, up);
        row("CPU time:", "%.1fs", (double)d->cpu_time_ns / 1e9);
        row("Memory touched:", "%" PRIu64 " KiB", d->memory_touched_bytes / 1024);
        row("VM exits:", "%" PRIu64, d->exits);
    }
    if (d->state == SKIFF_STATE_SHUTDOWN || d->state == SKIFF_STATE_CRASHED ||
        (d->reason && *d->reason)) {
        row("Exit status:", "%d", d->exit_status);
        row("Reason:", "%s", str(d->reason));
    }
    row("Restarts:", "%u", d->restarts);
}

int cli_cmd_dominfo(struct cli *cli, const struct cli_args *a)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    struct skiff_domain_info d;
    if (skiff_info(cli->conn, a->pos[0], &d, &err) < 0)
        return cli_fail(cli, &err);
    if (cli_json(cli, a)) {
        struct json j;
        json_init(&j, stdout);
        cli_json_domain(&j, &d);
        json_end(&j);
    } else {
        print_domain(&d);
    }
    skiff_domain_info_clear(&d);
    return CLI_EXIT_OK;
}

int cli_cmd_info(struct cli *cli, const struct cli_args *a)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    struct skiff_host_info h;
    struct skiff_topology topo = { 0 };
    if (skiff_host_info(cli->conn, &h, &err) < 0)
        return cli_fail(cli, &err);
    if ((a->seen & OPT_NUMA) && skiff_host_topology(cli->conn, &topo, &err) < 0) {
        skiff_host_info_clear(&h);
        return cli_fail(cli, &err);
    }
    if (cli_json(cli, a)) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_string(&j, "uri", skiff_conn_uri(cli->conn));
        json_kv_string(&j, "server", skiff_conn_server(cli->conn));
        json_kv_string(&j, "hostname", h.hostname);
        json_kv_string(&j, "version", h.version);
        json_kv_u64(&j, "started_at_ns", h.started_at_ns);
        json_kv_u64(&j, "uptime_s", h.uptime_ns / 1000000000u);
        json_kv_u64(&j, "cpus", h.cpus);
        json_kv_u64(&j, "memory_bytes", h.memory_bytes);
        json_kv_u64(&j, "domains_running", h.domains_running);
        json_kv_u64(&j, "domains_defined", h.domains_defined);
        json_kv_string(&j, "client_version", skiff_version());
        json_kv_u64(&j, "cores", h.cores);
        json_kv_u64(&j, "sockets", h.sockets);
        json_kv_u64(&j, "nodes", h.nodes);
        json_kv_u64(&j, "threads_per_core", h.threads_per_core);
        json_kv_u64(&j, "max_cpu_id", h.max_cpu_id);
        json_kv_u64(&j, "free_memory_bytes", h.free_memory_bytes);
        json_kv_u64(&j, "pools", h.pools);
        if (a->seen & OPT_NUMA)
            cli_json_topology(&j, &topo);
        json_object_end(&j);
        json_end(&j);
    } else {
        char t[64], up[64];
        cli_format_time(t, sizeof t, h.started_at_ns);
        cli_format_duration(up, sizeof up, h.uptime_ns / 1000000000u);
        row("Host:", "%s", str(h.hostname));
        row("hostd:", "%s (%s)", str(h.version), skiff_conn_uri(cli->conn));
        row("skiff:", "%s", skiff_version());
        row("Started:", "%s (up %s)", t, up);
        row("CPUs:", "%u", h.cpus);
        row("Cores:", "%u", h.cores);
        row("Sockets:", "%u", h.sockets);
        row("NUMA nodes:", "%u", h.nodes);
        row("Threads/core:", "%u", h.threads_per_core);
        row("Max CPU id:", "%u", h.max_cpu_id);
        row("Memory:", "%" PRIu64 " MiB", h.memory_bytes >> 20);
        row("Free memory:", "%" PRIu64 " MiB", h.free_memory_bytes >> 20);
        row("CPU pools:", "%u", h.pools);
        row("Running:", "%u", h.domains_running);
        row("Defined:", "%u", h.domains_defined);
        if (a->seen & OPT_NUMA)
            cli_print_topology(&topo);
    }
    skiff_topology_clear(&topo);
    skiff_host_info_clear(&h);
    return CLI_EXIT_OK;
}

static bool wanted(const struct cli_args *a, const struct skiff_domain_info *d)
{
    if (a->npos == 0)
        return true;
    for (size_t i = 0; i < a->npos; i++)
        if ((d->name && strcmp(a->pos[i], d->name) == 0) || strcmp(a->pos[i], d->uuid) == 0)
            return true;
    return false;
}

int cli_cmd_uptime(struct cli *cli, const struct cli_args *a)
{
    struct skiff_domain_info *list;
    size_t n;
    int rc = fetch(cli, false, &list, &n);
    if (rc != CLI_EXIT_OK)
        return rc;
    /* Every named domain must be running: say which is not. */
    for (size_t i = 0; i < a->npos; i++) {
        bool found = false;
        for (size_t k = 0; k < n && !found; k++)
            found = live(&list[k]) &&
                    ((list[k].name && strcmp(a->pos[i], list[k].name) == 0) ||
                     strcmp(a->pos[i], list[k].uuid) == 0);
        if (!found) {
            fprintf(stderr, "skiff: uptime: no running domain '%s' (see 'skiff list')\n",
                    a->pos[i]);
            skiff_domain_list_free(list, n);
            return CLI_EXIT_FAIL;
        }
    }
    struct json j;
    bool json = cli_json(cli, a);
    if (json) {
        json_init(&j, stdout);
        json_array_begin(&j);
    } else {
        printf("%-*s %5s %s\n", name_width(list, n), "Name", "ID", "Uptime");
    }
    for (size_t i = 0; i < n; i++) {
        const struct skiff_domain_info *d = &list[i];
        if (!live(d) || !wanted(a, d))
            continue;
        uint64_t s = cli_uptime_s(d->started_at_ns);
        if (json) {
            json_object_begin(&j);
            json_kv_string(&j, "name", d->name);
            json_kv_string(&j, "uuid", d->uuid);
            json_kv_u64(&j, "id", d->id);
            json_kv_u64(&j, "uptime_s", s);
            json_object_end(&j);
        } else {
            char up[64];
            cli_format_duration(up, sizeof up, s);
            printf("%-*s %5u %s\n", name_width(list, n), str(d->name), d->id, up);
        }
    }
    if (json) {
        json_array_end(&j);
        json_end(&j);
    }
    skiff_domain_list_free(list, n);
    return CLI_EXIT_OK;
}
