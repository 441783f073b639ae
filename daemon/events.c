#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "events.h"
#include "hostd.h"
#include "log.h"
#include "store.h"
#include "util.h"
#include "xsm.h"

#define REPLAY_BATCH 500

/* Does this stream show this event? Denials go to clients that may audit
 * (and only to audit streams); domain events to those that may see the domain. */
static bool visible(struct call *call, const struct store_event *e)
{
    bool avc = e->kind != NULL && strcmp(e->kind, "avc") == 0;
    if (call->audit != avc)
        return false;
    if (call->conn == NULL)
        return false;
    return avc ? xsm_may_audit(call->conn) : xsm_may_see(call->conn, e->label);
}

static void send_event(struct call *call, const struct store_event *e)
{
    if (!visible(call, e))
        return;
    Skiff__V1__Event ev = SKIFF__V1__EVENT__INIT;
    ev.seq = e->seq;
    ev.time_ns = e->time_ns;
    ev.domain_uuid = (char *)e->domain_uuid;
    ev.domain_name = e->domain_name ? e->domain_name : (char *)"";
    ev.kind = e->kind ? e->kind : (char *)"";
    ev.state = (Skiff__V1__DomainState)e->state;
    ev.detail = e->detail ? e->detail : (char *)"";
    Skiff__V1__Response r = SKIFF__V1__RESPONSE__INIT;
    r.result_case = SKIFF__V1__RESPONSE__RESULT_EVENT;
    r.event = &ev;
    call_send_more(call, &r);
}

void events_emit(struct hostd *h, const char *uuid, const char *name, const char *label,
                 const char *kind, int state, const char *detail)
{
    struct store_event e = { 0 };
    e.time_ns = now_realtime_ns();
    snprintf(e.domain_uuid, sizeof e.domain_uuid, "%s", uuid);
    e.domain_name = (char *)name;
    e.kind = (char *)kind;
    e.state = state;
    e.detail = (char *)(detail ? detail : "");
    e.label = (char *)(label ? label : "");
    int rc = store_event_append(h->store, &e);
    if (rc < 0) {
        /* The transition itself is committed; only its log entry is lost. */
        log_err("cannot record event '%s' of %s: %s", kind, name, strerror(-rc));
        return;
    }
    if (strcmp(kind, "avc") != 0)   /* denials have their own log line */
        log_info("domain %s: %s%s%s", name, kind, detail && *detail ? ": " : "",
                 detail ? detail : "");
    struct list *p, *t;
    list_for_each_safe(p, t, &h->event_subs) {
        struct call *call = list_entry(p, struct call, wait_link);
        send_event(call, &e);
    }
}

void events_subscribe(struct hostd *h, struct call *call, uint64_t since_seq, bool follow)
{
    uint64_t after = since_seq > 0 ? since_seq - 1 : 0;
    for (;;) {
        struct store_event *evs = NULL;
        size_t n = 0;
        int rc = store_events_since(h->store, after, REPLAY_BATCH, &evs, &n);
        if (rc < 0) {
            call_error(call, SKIFF__V1__ERROR_CODE__INTERNAL, "cannot read the event log: %s",
                       strerror(-rc));
            return;
        }
        for (size_t i = 0; i < n; i++) {
            send_event(call, &evs[i]);
            after = evs[i].seq;
            store_event_clear(&evs[i]);
        }
        free(evs);
        if (n < REPLAY_BATCH)
            break;
    }
    if (!follow) {
        call_reply_ok(call);   /* the end of the stream */
        return;
    }
    list_add_tail(&h->event_subs, &call->wait_link);
    call->stream = true;
}
