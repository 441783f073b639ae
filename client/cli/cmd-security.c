/*
 * The security policy commands: getenforce, setenforce, loadpolicy,
 * labels and audit.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

int cli_cmd_getenforce(struct cli *cli, const struct cli_args *a)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    struct skiff_security s;
    if (skiff_getenforce(cli->conn, &s, &err) < 0)
        return cli_fail(cli, &err);
    bool flask = s.module && strcmp(s.module, "flask") == 0;
    const char *mode = !flask ? "Disabled" : s.enforcing ? "Enforcing" : "Permissive";
    if (cli_json(cli, a)) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_string(&j, "mode", mode);
        json_kv_string(&j, "module", s.module);
        json_kv_bool(&j, "enforcing", s.enforcing);
        json_kv_string(&j, "policy", s.policy);
        json_kv_u64(&j, "loaded_at_ns", s.loaded_at_ns);
        json_kv_u64(&j, "avc_hits", s.avc_hits);
        json_kv_u64(&j, "avc_misses", s.avc_misses);
        json_kv_u64(&j, "denials", s.denials);
        json_object_end(&j);
        json_end(&j);
    } else if (a->seen & OPT_LONG) {
        char t[64];
        cli_format_time(t, sizeof t, s.loaded_at_ns);
        printf("Mode:        %s\n", mode);
        printf("Module:      %s\n", s.module ? s.module : "-");
        if (flask) {
            printf("Policy:      %s\n", s.policy && *s.policy ? s.policy : "-");
            printf("Loaded:      %s\n", t);
            printf("AVC:         %" PRIu64 " hits, %" PRIu64 " misses\n", s.avc_hits,
                   s.avc_misses);
            printf("Denials:     %" PRIu64 "\n", s.denials);
        }
    } else {
        printf("%s\n", mode);
    }
    skiff_security_clear(&s);
    return CLI_EXIT_OK;
}

int cli_cmd_setenforce(struct cli *cli, const struct cli_args *a)
{
    const char *v = a->pos[0];
    bool enforcing;
    if (strcmp(v, "1") == 0 || strcasecmp(v, "enforcing") == 0)
        enforcing = true;
    else if (strcmp(v, "0") == 0 || strcasecmp(v, "permissive") == 0)
        enforcing = false;
    else
        return cli_usage_error(cli, "'%s': expected 1 (Enforcing) or 0 (Permissive)", v);
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    return cli_status(cli, skiff_setenforce(cli->conn, enforcing, &err), &err);
}

/* A whole file, at most max bytes: 0, or an exit status (reported). */
static int read_file(const struct cli *cli, const char *path, size_t max, char **out,
                     size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "skiff: %s: cannot open %s: %s\n", cli->cmd, path, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    bool bad = buf == NULL || ferror(f);
    fclose(f);
    if (bad || n > max) {
        fprintf(stderr, "skiff: %s: %s: %s\n", cli->cmd, path,
                buf == NULL ? "out of memory" : n > max ? "too large for a policy"
                                                        : "read error");
        free(buf);
        return CLI_EXIT_FAIL;
    }
    *out = buf;
    *len = n;
    return CLI_EXIT_OK;
}

/* A request is one frame of at most 4 MiB (common/frame.h); a policy is
 * far smaller (the example is a few KiB). */
#define POLICY_FILE_MAX ((4U << 20) - 4096)

int cli_cmd_loadpolicy(struct cli *cli, const struct cli_args *a)
{
    char *buf;
    size_t len;
    int rc = read_file(cli, a->pos[0], POLICY_FILE_MAX, &buf, &len);
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = cli_connect(cli);
    if (rc == CLI_EXIT_OK) {
        struct skiff_error err;
        rc = cli_status(cli, skiff_loadpolicy(cli->conn, buf, len, &err), &err);
    }
    free(buf);
    return rc;
}

static void label_fields(struct json *j, const void *item)
{
    const struct skiff_label *l = item;
    json_kv_string(j, "kind", l->kind);
    json_kv_string(j, "name", l->name);
    json_kv_string(j, "context", l->context);
}

int cli_cmd_labels(struct cli *cli, const struct cli_args *a)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_error err;
    struct skiff_label *ls;
    size_t n;
    if (skiff_labels(cli->conn, &ls, &n, &err) < 0)
        return cli_fail(cli, &err);
    if (cli_json(cli, a)) {
        cli_json_objects(ls, n, sizeof *ls, label_fields);
    } else {
        printf("%-8s %-24s %s\n", "Kind", "Name", "Context");
        for (size_t i = 0; i < n; i++) {
            const char *name = ls[i].name && *ls[i].name ? ls[i].name
                               : strcmp(ls[i].kind, "subject") == 0 ? "(you)" : "-";
            printf("%-8s %-24s %s\n", ls[i].kind, name,
                   ls[i].context && *ls[i].context ? ls[i].context : "-");
        }
    }
    skiff_labels_free(ls, n);
    return CLI_EXIT_OK;
}

static void print_denial(const struct skiff_event *ev, bool json)
{
    if (json) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j);
        json_kv_u64(&j, "seq", ev->seq);
        json_kv_u64(&j, "time_ns", ev->time_ns);
        json_kv_string(&j, "domain", ev->domain_name);
        json_kv_string(&j, "avc", ev->detail);
        json_object_end(&j);
        json_end(&j);
    } else {
        char t[64];
        cli_format_time(t, sizeof t, ev->time_ns);
        printf("%" PRIu64 " %s %s\n", ev->seq, t, ev->detail ? ev->detail : "");
    }
    fflush(stdout);
}

int cli_cmd_audit(struct cli *cli, const struct cli_args *a)
{
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct skiff_events *evs;
    struct skiff_error err;
    bool follow = (a->seen & OPT_FOLLOW) != 0;
    if (skiff_audit_open(cli->conn, follow, a->since, &evs, &err) < 0)
        return cli_fail(cli, &err);
    /* Following ends with Ctrl-C (the default action) or when hostd ends it. */
    signal(SIGPIPE, SIG_IGN);
    bool json = cli_json(cli, a);
    rc = CLI_EXIT_OK;
    for (;;) {
        struct skiff_event ev;
        int r = skiff_events_next(evs, &ev, &err);
        if (r < 0) {
            rc = cli_fail(cli, &err);
            break;
        }
        if (r == 0)
            break;
        print_denial(&ev, json);
        skiff_event_clear(&ev);
        if (ferror(stdout))
            break;
    }
    skiff_events_close(evs);
    return rc;
}
