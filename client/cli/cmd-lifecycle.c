/* Commands that change a domain: create, define, undefine, start, pause,
 * unpause, shutdown, reboot, destroy, rename. Quiet on success (as xl),
 * except where something new is made (a UUID, a run id). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int from_file(struct cli *cli, const struct cli_args *a, bool create)
{
    struct skiff_domain_config cfg;
    int rc = cli_load_config(cli, a->pos[0], a->pos + 1, a->npos - 1, &cfg);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (a->seen & OPT_DRY_RUN) {
        cli_print_config(&cfg, cli_json(cli, a));
        skiff_domain_config_clear(&cfg);
        return CLI_EXIT_OK;
    }
    rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK) {
        skiff_domain_config_clear(&cfg);
        return rc;
    }
    struct skiff_error err;
    struct skiff_domain_info d;
    bool paused = (a->seen & OPT_PAUSED) != 0;
    int r = create ? skiff_create(cli->conn, &cfg, paused, &d, &err)
                   : skiff_define(cli->conn, &cfg, &d, &err);
    if (r < 0) {
        skiff_domain_config_clear(&cfg);
        return cli_fail(cli, &err);
    }
    const char *name = d.name != NULL && *d.name ? d.name : cfg.name;
    if (create)
        printf("Domain %s created%s (uuid %s, id %u)\n", name, paused ? ", paused" : "",
               d.uuid[0] ? d.uuid : "?", d.id);
    else
        printf("Domain %s defined (uuid %s)\n", name, d.uuid[0] ? d.uuid : "?");
    skiff_domain_info_clear(&d);
    skiff_domain_config_clear(&cfg);
    return CLI_EXIT_OK;
}

int cli_cmd_create(struct cli *cli, const struct cli_args *a)
{
    return from_file(cli, a, true);
}

int cli_cmd_define(struct cli *cli, const struct cli_args *a)
{
    if (a->seen & OPT_PAUSED)
        return cli_usage_error(cli, "-p applies to create only");
    return from_file(cli, a, false);
}

typedef int domain_op(struct skiff_conn *, const char *, struct skiff_error *);

static int simple(struct cli *cli, const struct cli_args *a, domain_op *op)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    if (op(cli->conn, a->pos[0], &err) < 0)
        return cli_fail(cli, &err);
    return CLI_EXIT_OK;
}

int cli_cmd_undefine(struct cli *cli, const struct cli_args *a)
{
    return simple(cli, a, skiff_undefine);
}

int cli_cmd_pause(struct cli *cli, const struct cli_args *a)
{
    return simple(cli, a, skiff_pause);
}

int cli_cmd_unpause(struct cli *cli, const struct cli_args *a)
{
    return simple(cli, a, skiff_unpause);
}

int cli_cmd_reboot(struct cli *cli, const struct cli_args *a)
{
    return simple(cli, a, skiff_reboot);
}

int cli_cmd_destroy(struct cli *cli, const struct cli_args *a)
{
    return simple(cli, a, skiff_destroy);
}

int cli_cmd_start(struct cli *cli, const struct cli_args *a)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    struct skiff_domain_info d;
    if (skiff_start(cli->conn, a->pos[0], &d, &err) < 0)
        return cli_fail(cli, &err);
    printf("Domain %s started (id %u)\n", d.name != NULL && *d.name ? d.name : a->pos[0], d.id);
    skiff_domain_info_clear(&d);
    return CLI_EXIT_OK;
}

int cli_cmd_shutdown(struct cli *cli, const struct cli_args *a)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    uint32_t grace_ms = (a->seen & OPT_TIMEOUT) ? a->timeout_s * 1000u : 0;
    if ((a->seen & OPT_TIMEOUT) && grace_ms == 0)
        return cli_usage_error(cli, "--timeout must be at least 1 second");
    if (skiff_shutdown(cli->conn, a->pos[0], (a->seen & OPT_WAIT) != 0, grace_ms, &err) < 0)
        return cli_fail(cli, &err);
    return CLI_EXIT_OK;
}

int cli_cmd_rename(struct cli *cli, const struct cli_args *a)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    if (skiff_rename(cli->conn, a->pos[0], a->pos[1], &err) < 0)
        return cli_fail(cli, &err);
    return CLI_EXIT_OK;
}
