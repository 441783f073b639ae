/* save and restore. The file is hostd's to read and write, so a relative
 * path is made absolute here, against the client's directory. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* arg made absolute into *path, then connected; on failure *path is freed. */
static int path_and_connect(struct cli *cli, const char *arg, char **path)
{
    *path = NULL;
    if (cli_absolute_path(arg, path) < 0 || *path == NULL) {
        fprintf(stderr, "skiff: %s: cannot make the path absolute\n", arg);
        return CLI_EXIT_FAIL;
    }
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK) {
        free(*path);
        *path = NULL;
    }
    return rc;
}

int cli_cmd_save(struct cli *cli, const struct cli_args *a)
{
    char *path;
    int rc = path_and_connect(cli, a->pos[1], &path);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    struct skiff_save_result res;
    bool keep = (a->seen & OPT_CHECKPOINT) != 0;
    if (skiff_save(cli->conn, a->pos[0], path, keep, &res, &err) < 0) {
        free(path);
        return cli_fail(cli, &err);
    }
    printf("Domain %s saved to %s (%llu pages, %.1f ms paused)%s\n", a->pos[0], path,
           (unsigned long long)res.memory_pages, (double)res.paused_ns / 1e6,
           keep ? "; still running" : "");
    free(path);
    return CLI_EXIT_OK;
}

int cli_cmd_restore(struct cli *cli, const struct cli_args *a)
{
    char *path;
    int rc = path_and_connect(cli, a->pos[0], &path);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    struct skiff_domain_info d;
    bool paused = (a->seen & OPT_PAUSED) != 0;
    if (skiff_restore(cli->conn, path, (const char *const *)(a->pos + 1), a->npos - 1, paused,
                      &d, &err) < 0) {
        free(path);
        return cli_fail(cli, &err);
    }
    printf("Domain %s restored%s (uuid %s, id %u)\n", d.name ? d.name : "?",
           paused ? ", paused" : "", d.uuid[0] ? d.uuid : "?", d.id);
    skiff_domain_info_clear(&d);
    free(path);
    return CLI_EXIT_OK;
}
