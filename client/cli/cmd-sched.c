/* sched-credit: the credit scheduler's weight and cap per domain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_cmd_sched_credit(struct cli *cli, const struct cli_args *a)
{
    bool set = a->seen & (OPT_WEIGHT | OPT_CAP);
    if (set && !(a->seen & OPT_DOMAIN))
        return cli_usage_error(cli, "-w and -c need -d DOMAIN");
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    if (set) {
        rc = skiff_sched_credit_set(cli->conn, a->domain, a->seen & OPT_WEIGHT ? a->weight : 0,
                                    a->seen & OPT_CAP ? (int32_t)a->cap : -1, &err);
        return cli_status(cli, rc, &err);
    }
    struct skiff_sched_credit *list;
    size_t n;
    char *controller = NULL;
    if (skiff_sched_credit_list(cli->conn, a->domain, &list, &n, &controller, &err) < 0)
        return cli_fail(cli, &err);
    if (cli_json(cli, a)) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_string(&j, "controller", controller);
        json_key(&j, "domains");
        json_array_begin(&j);
        for (size_t i = 0; i < n; i++) {
            json_object_begin(&j);
            json_kv_string(&j, "name", list[i].domain);
            json_kv_u64(&j, "id", list[i].domain_id);
            json_kv_u64(&j, "weight", list[i].weight);
            json_kv_u64(&j, "cap", list[i].cap);
            json_kv_bool(&j, "applied", list[i].applied);
            json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        json_end(&j);
    } else {
        int w = 20;
        for (size_t i = 0; i < n; i++)
            if (list[i].domain && (int)strlen(list[i].domain) > w)
                w = (int)strlen(list[i].domain);
        printf("%-*s %5s %6s %4s\n", w, "Name", "ID", "Weight", "Cap");
        for (size_t i = 0; i < n; i++) {
            char id[16];
            snprintf(id, sizeof id, list[i].domain_id ? "%u" : "-", list[i].domain_id);
            printf("%-*s %5s %6u %4u\n", w, list[i].domain, id, list[i].weight, list[i].cap);
        }
    }
    free(controller);
    skiff_sched_credit_list_free(list, n);
    return CLI_EXIT_OK;
}
