/* vCPUs: vcpu-list and vcpu-pin (as xl's). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* xl's state letters: r running (or runnable), b blocked, p paused. */
static const char *state(const struct skiff_vcpu_info *v)
{
    if (v->paused)
        return "--p";
    return v->blocked ? "-b-" : "r--";
}

static void vcpu_fields(struct json *j, const void *item)
{
    const struct skiff_vcpu_info *v = item;
    json_kv_string(j, "domain", v->domain);
    json_kv_u64(j, "id", v->domain_id);
    json_kv_u64(j, "vcpu", v->vcpu);
    json_kv_i64(j, "tid", v->tid);
    json_kv_i64(j, "cpu", v->cpu);
    json_kv_string(j, "state", state(v));
    json_kv_u64(j, "time_ns", v->time_ns);
    json_kv_string(j, "hard", v->hard);
    json_kv_string(j, "soft", v->soft);
    json_kv_string(j, "affinity", v->affinity);
}

int cli_cmd_vcpu_list(struct cli *cli, const struct cli_args *a)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    struct skiff_vcpu_info *list;
    size_t n;
    if (skiff_vcpu_list(cli->conn, a->npos ? a->pos[0] : NULL, &list, &n, &err) < 0)
        return cli_fail(cli, &err);
    if (cli_json(cli, a)) {
        cli_json_objects(list, n, sizeof *list, vcpu_fields);
    } else {
        int w = 20;
        for (size_t i = 0; i < n; i++)
            if ((int)strlen(list[i].domain ? list[i].domain : "") > w)
                w = (int)strlen(list[i].domain ? list[i].domain : "");
        printf("%-*s %5s %5s %8s %4s %-5s %9s %s\n", w, "Name", "ID", "VCPU", "TID", "CPU",
               "State", "Time(s)", "Affinity (Hard / Soft)");
        for (size_t i = 0; i < n; i++) {
            const struct skiff_vcpu_info *v = &list[i];
            char cpu[16], tid[16];
            snprintf(cpu, sizeof cpu, v->cpu >= 0 ? "%d" : "-", v->cpu);
            snprintf(tid, sizeof tid, v->tid > 0 ? "%d" : "-", v->tid);
            printf("%-*s %5u %5u %8s %4s %-5s %9.1f %s / %s\n", w, v->domain, v->domain_id,
                   v->vcpu, tid, cpu, state(v), (double)v->time_ns / 1e9, v->hard, v->soft);
        }
    }
    skiff_vcpu_list_free(list, n);
    return CLI_EXIT_OK;
}

int cli_cmd_vcpu_pin(struct cli *cli, const struct cli_args *a)
{
    int vcpu = SKIFF_VCPU_ALL;
    if (strcmp(a->pos[1], "all") != 0) {
        uint64_t v;
        if (cli_parse_u64(a->pos[1], 511, &v) < 0)
            return cli_usage_error(cli, "'%s' is not a vCPU number (0-511) or 'all'", a->pos[1]);
        vcpu = (int)v;
    }
    /* "-" leaves that affinity as it is, as in xl. */
    const char *hard = strcmp(a->pos[2], "-") == 0 ? NULL : a->pos[2];
    const char *soft = a->npos > 3 && strcmp(a->pos[3], "-") != 0 ? a->pos[3] : NULL;
    if (hard == NULL && soft == NULL)
        return cli_usage_error(cli, "nothing to change: give a hard or a soft CPU list");
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    return cli_status(cli, skiff_vcpu_pin(cli->conn, a->pos[0], vcpu, hard, soft, &err), &err);
}
