/* Live migration: the source hostd streams MigrateProgress messages
 * before its final reply. */
#include <errno.h>
#include <string.h>

#include "internal.h"

static void copy_progress(struct skiff_migrate_progress *o, const Skiff__V1__MigrateProgress *p)
{
    o->round = p->round;
    o->bytes_sent = p->bytes_sent;
    o->dirty_pages = p->dirty_pages;
    o->downtime_ns = p->downtime_ns;
    o->total_ns = p->total_ns;
    o->done = p->done;
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
    int rc = sk_send_request(conn, &req, err);
    for (;;) {
        if (rc < 0)
            return rc;
        Skiff__V1__Response *r;
        rc = sk_wait(conn, req.id, &r, err);
        if (rc < 0)
            return rc;
        rc = sk_error_from_proto(r->error, err);
        if (rc == 0 && r->result_case == SKIFF__V1__RESPONSE__RESULT_MIGRATE_PROGRESS &&
            r->migrate_progress != NULL) {
            struct skiff_migrate_progress p;
            copy_progress(&p, r->migrate_progress);
            if (out != NULL)
                *out = p;
            if (cb != NULL)
                cb(&p, arg);
        }
        bool more = r->more;
        skiff__v1__response__free_unpacked(r, NULL);
        if (rc < 0 || !more)
            return rc;
    }
}
