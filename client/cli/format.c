/* Renderings shared by the commands: times, durations, JSON objects. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"

void cli_format_time(char *buf, size_t len, uint64_t ns)
{
    if (ns == 0) {
        snprintf(buf, len, "-");
        return;
    }
    time_t t = (time_t)(ns / 1000000000u);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(buf, len, "-");
        return;
    }
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03uZ", day, (unsigned)(ns / 1000000u % 1000u));
}

void cli_format_duration(char *buf, size_t len, uint64_t s)
{
    uint64_t days = s / 86400;
    unsigned h = (unsigned)(s / 3600 % 24), m = (unsigned)(s / 60 % 60), sec = (unsigned)(s % 60);
    if (days > 0)
        snprintf(buf, len, "%" PRIu64 " day%s, %u:%02u:%02u", days, days == 1 ? "" : "s", h, m,
                 sec);
    else
        snprintf(buf, len, "%u:%02u:%02u", h, m, sec);
}

uint64_t cli_uptime_s(uint64_t started_at_ns)
{
    if (started_at_ns == 0)
        return 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    return now > started_at_ns ? (now - started_at_ns) / 1000000000u : 0;
}

void cli_json_config(struct json *j, const struct skiff_domain_config *c)
{
    json_object_begin(j);
    json_kv_string(j, "name", c->name);
    json_kv_string(j, "uuid", c->uuid);
    json_kv_u64(j, "memory_mb", c->memory_mb);
    json_kv_u64(j, "vcpus", c->vcpus);
    json_kv_string(j, "kernel", c->kernel);
    json_kv_string(j, "cmdline", c->cmdline);
    json_key(j, "disks");
    json_array_begin(j);
    for (size_t i = 0; i < c->n_disks; i++) {
        json_object_begin(j);
        json_kv_string(j, "target", c->disks[i].target);
        json_kv_string(j, "vdev", c->disks[i].vdev);
        json_kv_u64(j, "sector_size", c->disks[i].sector_size);
        json_object_end(j);
    }
    json_array_end(j);
    json_key(j, "vifs");
    json_array_begin(j);
    for (size_t i = 0; i < c->n_vifs; i++) {
        json_object_begin(j);
        json_kv_string(j, "vdev", c->vifs[i].vdev);
        json_kv_string(j, "mac", c->vifs[i].mac);
        json_kv_string(j, "bridge", c->vifs[i].bridge);
        json_kv_string(j, "tap", c->vifs[i].tap);
        json_object_end(j);
    }
    json_array_end(j);
    json_kv_string(j, "on_poweroff", skiff_action_name(c->on_poweroff));
    json_kv_string(j, "on_reboot", skiff_action_name(c->on_reboot));
    json_kv_string(j, "on_crash", skiff_action_name(c->on_crash));
    json_kv_string(j, "seclabel", c->seclabel);
    json_kv_string(j, "pool", c->pool);
    json_kv_string(j, "cpus", c->cpus);
    json_kv_bool(j, "autostart", c->autostart);
    json_kv_string(j, "cpus_soft", c->cpus_soft);
    json_kv_u64(j, "weight", c->weight ? c->weight : 256);
    json_kv_u64(j, "cap", c->cap);
    json_object_end(j);
}

void cli_json_domain(struct json *j, const struct skiff_domain_info *d)
{
    json_object_begin(j);
    json_kv_string(j, "name", d->name);
    json_kv_string(j, "uuid", d->uuid);
    json_kv_u64(j, "id", d->id);
    json_kv_string(j, "state", skiff_state_name(d->state));
    json_kv_bool(j, "persistent", d->persistent);
    json_kv_i64(j, "pid", d->pid);
    json_kv_u64(j, "started_at_ns", d->started_at_ns);
    bool live = d->state == SKIFF_STATE_RUNNING || d->state == SKIFF_STATE_PAUSED;
    json_kv_u64(j, "uptime_s", live ? cli_uptime_s(d->started_at_ns) : 0);
    json_kv_u64(j, "cpu_time_ns", d->cpu_time_ns);
    json_kv_u64(j, "memory_touched_bytes", d->memory_touched_bytes);
    json_kv_u64(j, "exits", d->exits);
    json_kv_string(j, "numa_nodes", d->numa_nodes);
    json_kv_i64(j, "exit_status", d->exit_status);
    json_kv_string(j, "reason", d->reason);
    json_kv_u64(j, "restarts", d->restarts);
    json_key(j, "config");
    cli_json_config(j, &d->config);
    json_object_end(j);
}

int cli_status(const struct cli *cli, int rc, const struct skiff_error *err)
{
    return rc < 0 ? cli_fail(cli, err) : CLI_EXIT_OK;
}

void cli_json_objects(const void *items, size_t n, size_t size,
                      void (*fields)(struct json *j, const void *item))
{
    struct json j;
    json_init(&j, stdout);
    json_array_begin(&j);
    for (size_t i = 0; i < n; i++) {
        json_object_begin(&j);
        fields(&j, (const char *)items + i * size);
        json_object_end(&j);
    }
    json_array_end(&j);
    json_end(&j);
}
