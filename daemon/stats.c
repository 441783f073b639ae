/* Batched, cached stats requests to the monitors (see stats.h). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include <event2/event.h>

#include "domain.h"
#include "hostd.h"
#include "monitor.h"
#include "stats.h"
#include "util.h"

/* One refresh: alive until every request has answered and done has run. */
struct batch {
    struct hostd *h;
    unsigned pending;
    bool finished;               /* done has been called */
    stats_done_fn done;
    void *arg;
    struct event *timer;
};

static void batch_maybe_free(struct batch *b)
{
    if (b->pending == 0 && b->finished) {
        if (b->timer != NULL)
            event_free(b->timer);
        free(b);
    }
}

static void batch_finish(struct batch *b)
{
    if (b->finished)
        return;
    b->finished = true;
    if (b->timer != NULL)
        event_del(b->timer);
    b->done(b->h, b->arg);
}

static void reply_cb(struct monitor *m, void *arg, int err,
                     const Skiff__Monitor__V1__MonitorReply *rep)
{
    struct batch *b = arg;
    if (err == 0 && rep->error == 0 && m->dom != NULL)
        domain_update_stats(m->dom, rep->stats);
    b->pending--;
    if (b->pending == 0)
        batch_finish(b);
    batch_maybe_free(b);
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    struct batch *b = arg;
    batch_finish(b);   /* late answers still update the domains */
    batch_maybe_free(b);
}

int stats_refresh(struct hostd *h, stats_done_fn done, void *arg)
{
    struct batch *b = calloc(1, sizeof *b);
    if (b == NULL)
        return -ENOMEM;
    b->h = h;
    b->done = done;
    b->arg = arg;
    /* One count of our own keeps callbacks that run before the loop ends
     * (a channel failing on send) from finishing the batch early. */
    b->pending = 1;
    uint64_t now = now_monotonic_ns();
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        if (!domain_active(d) || d->mon == NULL || !d->mon->ready)
            continue;
        if (d->stats_at_ns != 0 && now - d->stats_at_ns < STATS_MAX_AGE_MS * 1000000ULL)
            continue;
        b->pending++;
        if (monitor_simple(d->mon, SKIFF__MONITOR__V1__MONITOR_REQUEST__OP_STATS, reply_cb,
                           b) < 0)
            b->pending--;
    }
    if (--b->pending == 0) {
        free(b);
        done(h, arg);
        return 0;
    }
    struct timeval tv = { .tv_sec = STATS_WAIT_MS / 1000,
                          .tv_usec = (STATS_WAIT_MS % 1000) * 1000 };
    b->timer = evtimer_new(h->base, timeout_cb, b);
    if (b->timer != NULL)
        evtimer_add(b->timer, &tv);
    return 1;
}
