/* skiff migrate: a one-line progress bar on a terminal, JSON lines with
 * --json, then the report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"

#define BAR_WIDTH 20

struct view {
    bool json;
    bool tty;
    bool drawn;
};

static void json_progress(const struct skiff_migrate_progress *p)
{
    struct json j;
    json_init(&j, stdout);
    json_object_begin(&j);
    json_kv_string(&j, "event", p->done ? "done" : "progress");
    json_kv_u64(&j, "round", p->round);
    json_kv_u64(&j, "bytes_sent", p->bytes_sent);
    json_kv_u64(&j, "dirty_pages", p->dirty_pages);
    json_kv_u64(&j, "downtime_ns", p->downtime_ns);
    json_kv_u64(&j, "total_ns", p->total_ns);
    json_kv_u64(&j, "round_bytes", p->round_bytes);
    json_kv_u64(&j, "round_sent", p->round_sent);
    json_kv_u64(&j, "dirty_rate", p->dirty_rate);
    json_kv_u64(&j, "expected_downtime_ns", p->expected_downtime_ns);
    if (p->done)
        json_kv_u64(&j, "stream_ns", p->stream_ns);
    json_object_end(&j);
    json_end(&j);
}

static void on_progress(const struct skiff_migrate_progress *p, void *arg)
{
    struct view *v = arg;
    if (v->json) {
        json_progress(p);
        return;
    }
    if (!v->tty || p->done)
        return;
    /* round 2 [########------------]  41%  180.3 MiB  12034 pg/s  ~3.1 ms  1.2 s */
    unsigned pct = p->round_bytes ? (unsigned)(100 * p->round_sent / p->round_bytes) : 100;
    if (pct > 100)
        pct = 100;
    char bar[BAR_WIDTH + 1];
    for (unsigned i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < pct * BAR_WIDTH / 100 ? '#' : '-';
    bar[BAR_WIDTH] = '\0';
    char what[16];
    if (p->downtime_ns > 0)         /* the guest is stopped: the last pages */
        snprintf(what, sizeof what, "stopped ");
    else
        snprintf(what, sizeof what, "round %-2u", p->round);
    fprintf(stderr, "\r  %s [%s] %3u%%  %8.1f MiB  %7llu pg/s  ~%.1f ms  %5.1f s ",
            what, bar, pct, (double)p->bytes_sent / (1 << 20),
            (unsigned long long)p->dirty_rate, (double)p->expected_downtime_ns / 1e6,
            (double)p->total_ns / 1e9);
    v->drawn = true;
}

int cli_cmd_migrate(struct cli *cli, const struct cli_args *a)
{
    char host[256];
    unsigned long port = 0;
    const char *dest = a->pos[1];
    const char *colon = strrchr(dest, ':');
    if (dest[0] == '[') {               /* [ADDR6]:PORT */
        const char *end = strchr(dest, ']');
        colon = end != NULL && end[1] == ':' ? end + 1 : NULL;
    }
    size_t hl = colon != NULL ? (size_t)(colon - dest) : strlen(dest);
    if (colon != NULL) {
        char *e;
        port = strtoul(colon + 1, &e, 10);
        if (*e != '\0' || port == 0 || port > 65535) {
            fprintf(stderr, "skiff: %s: bad port\n", dest);
            return CLI_EXIT_USAGE;
        }
    }
    if (dest[0] == '[' && hl >= 2) {
        dest++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof host) {
        fprintf(stderr, "skiff: %s: bad destination\n", a->pos[1]);
        return CLI_EXIT_USAGE;
    }
    memcpy(host, dest, hl);
    host[hl] = '\0';
    int rc = cli_connect(cli);
    if (rc != CLI_EXIT_OK)
        return rc;
    struct view v = { (a->seen & OPT_JSON) != 0, isatty(STDERR_FILENO) != 0, false };
    struct skiff_migrate_progress res;
    struct skiff_error err;
    bool live = (a->seen & OPT_LIVE) != 0;
    int r = skiff_migrate(cli->conn, a->pos[0], host, (uint16_t)port, live, on_progress, &v,
                          &res, &err);
    if (v.drawn)
        fputc('\n', stderr);
    if (r < 0)
        return cli_fail(cli, &err);
    if (!v.json)
        printf("Domain %s migrated to %s%s: %.1f ms total, %.2f ms downtime, %u round%s, "
               "%.1f MiB at %.0f MB/s\n", a->pos[0], a->pos[1], live ? " live" : "",
               (double)res.total_ns / 1e6, (double)res.downtime_ns / 1e6, res.round,
               res.round == 1 ? "" : "s", (double)res.bytes_sent / (1 << 20),
               res.stream_ns ? (double)res.bytes_sent * 1e3 / (double)res.stream_ns : 0.0);
    return CLI_EXIT_OK;
}
