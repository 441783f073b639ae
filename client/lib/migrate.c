/* Live migration: the source hostd streams MigrateProgress messages
 * before its final reply. */
#include <errno.h>
#include <string.h>

#include "internal.h"

struct progress_sink {
    skiff_migrate_cb *cb;
    void *arg;
    struct skiff_migrate_progress *out;
};

static void on_progress(const Skiff__V1__Response *r, void *arg)
{
    const struct progress_sink *sink = arg;
    const Skiff__V1__MigrateProgress *p = r->migrate_progress;
    if (r->result_case != SKIFF__V1__RESPONSE__RESULT_MIGRATE_PROGRESS || p == NULL)
        return;
    struct skiff_migrate_progress o = {
        .round = p->round, .bytes_sent = p->bytes_sent, .dirty_pages = p->dirty_pages,
        .downtime_ns = p->downtime_ns, .total_ns = p->total_ns, .done = p->done,
        .stream_ns = p->stream_ns, .round_bytes = p->round_bytes, .round_sent = p->round_sent,
        .dirty_rate = p->dirty_rate, .expected_downtime_ns = p->expected_downtime_ns,
    };
    if (sink->out != NULL)
        *sink->out = o;
    if (sink->cb != NULL)
        sink->cb(&o, sink->arg);
}

int skiff_migrate(struct skiff_conn *conn, const char *domain, const char *host, uint16_t port,
                  bool live, skiff_migrate_cb *cb, void *arg,
                  struct skiff_migrate_progress *out, struct skiff_error *err)
{
    skiff_error_clear(err);
    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (conn == NULL || domain == NULL || *domain == '\0' || host == NULL || *host == '\0')
        return sk_seterr(err, SKIFF_ERR_USAGE, EINVAL, "a connection, a domain and a "
                         "destination host are needed");
    Skiff__V1__MigrateRequest mr = SKIFF__V1__MIGRATE_REQUEST__INIT;
    Skiff__V1__Request req = SKIFF__V1__REQUEST__INIT;
    mr.domain = (char *)domain;
    mr.host = (char *)host;
    mr.port = port;
    mr.live = live;
    req.op_case = SKIFF__V1__REQUEST__OP_MIGRATE;
    req.migrate = &mr;
    struct progress_sink sink = { cb, arg, out };
    return sk_call_streamed(conn, &req, on_progress, &sink, err);
}
