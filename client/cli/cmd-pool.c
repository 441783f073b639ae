/* CPU pools: cpupool-list, -create, -destroy, -rename, -cpu-add,
 * -cpu-remove, -migrate, -numa-split (as xl's). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-file.h"    /* common/: the pool configuration parser */
#include "cli.h"

static void warn(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "skiff: %s\n", msg);
}

static void pool_fields(struct json *j, const void *item)
{
    const struct skiff_pool_info *p = item;
    json_kv_string(j, "name", p->name);
    json_kv_string(j, "cpus", p->cpus);
    json_kv_u64(j, "ncpus", p->ncpus);
    json_kv_string(j, "sched", p->sched);
    json_kv_u64(j, "domains", p->domains);
    json_key(j, "domain_names");
    json_array_begin(j);
    for (size_t k = 0; k < p->n_domain_names; k++)
        json_string(j, p->domain_names[k]);
    json_array_end(j);
}

int cli_cmd_cpupool_list(struct cli *cli, const struct cli_args *a)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    struct skiff_pool_info *list;
    size_t n;
    if (skiff_pool_list(cli->conn, a->npos ? a->pos[0] : NULL, &list, &n, &err) < 0)
        return cli_fail(cli, &err);
    if (cli_json(cli, a)) {
        cli_json_objects(list, n, sizeof *list, pool_fields);
    } else if (a->seen & OPT_CPULIST) {
        printf("%-19s%s\n", "Name", "CPU list");
        for (size_t i = 0; i < n; i++)
            printf("%-19s%s\n", list[i].name, list[i].cpus);
    } else {
        printf("%-19s%4s%10s%9s%15s\n", "Name", "CPUs", "Sched", "Active", "Domain count");
        for (size_t i = 0; i < n; i++)
            printf("%-19s%4u%10s%9s%15u\n", list[i].name, list[i].ncpus, list[i].sched, "y",
                   list[i].domains);
    }
    skiff_pool_list_free(list, n);
    return CLI_EXIT_OK;
}

int cli_cmd_cpupool_create(struct cli *cli, const struct cli_args *a)
{
    struct skiff_cfg_error e;
    struct skiff_cfg *cfg = NULL;
    memset(&e, 0, sizeof e);
    int rc = skiff_cfg_parse_file(a->pos[0], &cfg, &e);
    for (size_t i = 1; rc == 0 && i < a->npos; i++) {
        if (strchr(a->pos[i], '=') == NULL) {
            skiff_cfg_free(cfg);
            return cli_usage_error(cli, "'%s': expected KEY=VALUE after the file name",
                                   a->pos[i]);
        }
        rc = skiff_cfg_override(cfg, a->pos[i], &e);
    }
    Skiff__V1__PoolConfig *pc = NULL;
    if (rc == 0)
        rc = skiff_cfg_to_pool(cfg, &pc, warn, NULL, &e);
    skiff_cfg_free(cfg);
    if (rc < 0) {
        char msg[600];
        skiff_cfg_error_format(&e, msg, sizeof msg);
        fprintf(stderr, "skiff: %s\n", rc == -ENOMEM ? "out of memory" : msg);
        return CLI_EXIT_FAIL;
    }
    rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK) {
        skiff_cfg_pool_free(pc);
        return rc;
    }
    struct skiff_pool_config c = { pc->name, pc->cpus, pc->sched };
    struct skiff_error err;
    rc = cli_status(cli, skiff_pool_create(cli->conn, &c, &err), &err);
    skiff_cfg_pool_free(pc);
    return rc;
}

/* Commands that take their positional arguments and return nothing. */
enum pool_op { P_DESTROY, P_RENAME, P_ADD, P_REMOVE, P_MIGRATE, P_SPLIT };

static int simple(struct cli *cli, const struct cli_args *a, enum pool_op op)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    switch (op) {
    case P_DESTROY: rc = skiff_pool_destroy(cli->conn, a->pos[0], &err); break;
    case P_RENAME: rc = skiff_pool_rename(cli->conn, a->pos[0], a->pos[1], &err); break;
    case P_ADD: rc = skiff_pool_cpu_add(cli->conn, a->pos[0], a->pos[1], &err); break;
    case P_REMOVE: rc = skiff_pool_cpu_remove(cli->conn, a->pos[0], a->pos[1], &err); break;
    case P_MIGRATE: rc = skiff_pool_migrate(cli->conn, a->pos[0], a->pos[1], &err); break;
    case P_SPLIT: rc = skiff_pool_numa_split(cli->conn, &err); break;
    }
    return cli_status(cli, rc, &err);
}

int cli_cmd_cpupool_destroy(struct cli *cli, const struct cli_args *a)
{
    return simple(cli, a, P_DESTROY);
}

int cli_cmd_cpupool_rename(struct cli *cli, const struct cli_args *a)
{
    return simple(cli, a, P_RENAME);
}

int cli_cmd_cpupool_cpu_add(struct cli *cli, const struct cli_args *a)
{
    return simple(cli, a, P_ADD);
}

int cli_cmd_cpupool_cpu_remove(struct cli *cli, const struct cli_args *a)
{
    return simple(cli, a, P_REMOVE);
}

int cli_cmd_cpupool_migrate(struct cli *cli, const struct cli_args *a)
{
    return simple(cli, a, P_MIGRATE);
}

int cli_cmd_cpupool_numa_split(struct cli *cli, const struct cli_args *a)
{
    return simple(cli, a, P_SPLIT);
}
