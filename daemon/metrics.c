/*
 * The metrics endpoint (see metrics.h). A scrape first refreshes the
 * domains' statistics (stats.c, asynchronous and cached), then renders.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "metrics.h"
#include "skiff.pb-c.h"
#include "stats.h"
#include "util.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define HTTP_TIMEOUT_S 30
#define MAX_HEADERS_SIZE 8192
#define MAX_BODY_SIZE 4096

struct metrics {
    struct hostd *h;
    struct evhttp *http;
    char *port_file;
    struct list scrapes;          /* struct scrape.link: waiting for statistics */
};

/* One GET /metrics waiting for fresh statistics. req becomes NULL when
 * the client goes away or the endpoint stops: there is nobody to answer. */
struct scrape {
    struct hostd *h;
    struct evhttp_request *req;
    struct list link;
};

int metrics_parse_listen(const char *spec, char *addr, size_t addrlen, uint16_t *port)
{
    const char *p = spec, *host = "127.0.0.1";
    size_t hlen = strlen(host);
    if (spec == NULL || *spec == '\0')
        return -EINVAL;
    if (*spec == '[') {
        const char *close = strchr(spec, ']');
        if (close == NULL || close[1] != ':')
            return -EINVAL;
        host = spec + 1;
        hlen = (size_t)(close - host);
        p = close + 2;
    } else if (strchr(spec, ':') != NULL) {
        const char *colon = strrchr(spec, ':');
        host = spec;
        hlen = (size_t)(colon - spec);
        p = colon + 1;
        if (memchr(host, ':', hlen) != NULL)
            return -EINVAL;   /* an IPv6 address needs brackets */
    }
    if (hlen == 0 || hlen >= addrlen || *p == '\0')
        return -EINVAL;
    unsigned long v = 0;
    for (const char *q = p; *q; q++) {
        if (*q < '0' || *q > '9')
            return -EINVAL;
        v = v * 10 + (unsigned long)(*q - '0');
        if (v > 65535)
            return -EINVAL;
    }
    memcpy(addr, host, hlen);
    addr[hlen] = '\0';
    *port = (uint16_t)v;
    return 0;
}

bool metrics_addr_is_loopback(const char *addr)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(addr, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, addr, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
    }
    return false;
}

int metrics_label_escape(struct evbuffer *buf, const char *s)
{
    for (; s != NULL && *s; s++) {
        int rc;
        if (*s == '\\')
            rc = evbuffer_add(buf, "\\\\", 2);
        else if (*s == '"')
            rc = evbuffer_add(buf, "\\\"", 2);
        else if (*s == '\n')
            rc = evbuffer_add(buf, "\\n", 2);
        else
            rc = evbuffer_add(buf, s, 1);
        if (rc < 0)
            return -ENOMEM;
    }
    return 0;
}

static void header(struct evbuffer *b, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{domain="...",uuid="..." (without the closing brace) */
static void domain_labels(struct evbuffer *b, const char *metric, const struct domain *d)
{
    evbuffer_add_printf(b, "%s{domain=\"", metric);
    metrics_label_escape(b, d->row.name);
    evbuffer_add_printf(b, "\",uuid=\"%s\"", d->row.uuid);
}

static const int state_order[] = {
    SKIFF__V1__DOMAIN_STATE__RUNNING, SKIFF__V1__DOMAIN_STATE__PAUSED,
    SKIFF__V1__DOMAIN_STATE__SHUTDOWN, SKIFF__V1__DOMAIN_STATE__CRASHED,
    SKIFF__V1__DOMAIN_STATE__DEFINED,
};
#define N_STATES (sizeof state_order / sizeof state_order[0])

static void render_hostd(struct hostd *h, struct evbuffer *b)
{
    header(b, "hostd_up", "gauge", "Whether hostd is serving (always 1 when it answers).");
    evbuffer_add_printf(b, "hostd_up 1\n");
    uint64_t now = now_realtime_ns();
    header(b, "hostd_uptime_seconds", "gauge", "Seconds since hostd started.");
    evbuffer_add_printf(b, "hostd_uptime_seconds %.3f\n",
                        now > h->started_at_ns ? (double)(now - h->started_at_ns) / 1e9 : 0.0);

    unsigned counts[N_STATES] = { 0 };
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        for (size_t i = 0; i < N_STATES; i++)
            if (d->row.state == state_order[i])
                counts[i]++;
    }
    header(b, "hostd_domains", "gauge", "Domains hostd knows, by state.");
    for (size_t i = 0; i < N_STATES; i++)
        evbuffer_add_printf(b, "hostd_domains{state=\"%s\"} %u\n",
                            domain_state_name(state_order[i]), counts[i]);

    header(b, "hostd_rpc_requests_total", "counter", "API requests received, by operation.");
    const ProtobufCMessageDescriptor *desc = &skiff__v1__request__descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) == 0 || f->id >= HOSTD_RPC_OPS)
            continue;
        evbuffer_add_printf(b, "hostd_rpc_requests_total{op=\"%s\"} %" PRIu64 "\n", f->name,
                            h->rpc_requests[f->id]);
    }
    if (h->rpc_requests[0] != 0)
        evbuffer_add_printf(b, "hostd_rpc_requests_total{op=\"unknown\"} %" PRIu64 "\n",
                            h->rpc_requests[0]);

    unsigned conns = 0;
    list_for_each_safe(p, t, &h->conns)
        conns++;
    header(b, "hostd_connections", "gauge", "API clients connected.");
    evbuffer_add_printf(b, "hostd_connections %u\n", conns);
}

enum metric_kind { M_CPU, M_TOUCHED, M_MAX, M_VCPUS, M_EXITS, M_RESTARTS, M_STATE };

static const struct {
    const char *name, *type, *help;
    bool live_only;               /* only domains with a running guest */
} domain_metrics[] = {
    [M_CPU] = { "skiff_domain_cpu_seconds_total", "counter",
                "vCPU time the domain's guest has used since it started.", true },
    [M_TOUCHED] = { "skiff_domain_memory_touched_bytes", "gauge",
                    "Guest memory the guest has touched.", true },
    [M_MAX] = { "skiff_domain_memory_max_bytes", "gauge", "The domain's configured memory.",
                false },
    [M_VCPUS] = { "skiff_domain_vcpus", "gauge", "The domain's configured vCPUs.", false },
    [M_EXITS] = { "skiff_domain_exits_total", "counter",
                  "VM exits served since the guest started.", true },
    [M_RESTARTS] = { "skiff_domain_restarts_total", "counter",
                     "Times hostd restarted the domain (on_crash/on_reboot).", false },
    [M_STATE] = { "skiff_domain_state", "gauge",
                  "The domain's state: 1 for the state it is in.", false },
};

static void render_domain_metric(struct hostd *h, struct evbuffer *b, enum metric_kind k)
{
    header(b, domain_metrics[k].name, domain_metrics[k].type, domain_metrics[k].help);
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        if (domain_metrics[k].live_only && !domain_active(d))
            continue;
        domain_labels(b, domain_metrics[k].name, d);
        switch (k) {
        case M_CPU:
            evbuffer_add_printf(b, "} %.9f\n", (double)d->cpu_time_ns / 1e9);
            break;
        case M_TOUCHED:
            evbuffer_add_printf(b, "} %" PRIu64 "\n", d->memory_touched);
            break;
        case M_MAX:
            evbuffer_add_printf(b, "} %" PRIu64 "\n",
                                d->cfg ? (uint64_t)d->cfg->memory_mb << 20 : 0);
            break;
        case M_VCPUS:
            evbuffer_add_printf(b, "} %u\n", d->cfg ? d->cfg->vcpus : 0);
            break;
        case M_EXITS:
            evbuffer_add_printf(b, "} %" PRIu64 "\n", d->exits);
            break;
        case M_RESTARTS:
            evbuffer_add_printf(b, "} %u\n", (unsigned)d->row.restarts);
            break;
        case M_STATE:
            evbuffer_add_printf(b, ",state=\"%s\"} 1\n", domain_state_name(d->row.state));
            break;
        }
    }
}

int metrics_render(struct hostd *h, struct evbuffer *b)
{
    render_hostd(h, b);
    for (int k = M_CPU; k <= M_STATE; k++)
        render_domain_metric(h, b, (enum metric_kind)k);
    return 0;
}

static void send_metrics(struct hostd *h, struct evhttp_request *req)
{
    struct evbuffer *b = evbuffer_new();
    if (b == NULL || metrics_render(h, b) < 0) {
        if (b != NULL)
            evbuffer_free(b);
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", CONTENT_TYPE);
    evhttp_send_reply(req, HTTP_OK, "OK", b);
    evbuffer_free(b);
}

static void scrape_closed(struct evhttp_connection *evcon, void *arg)
{
    struct scrape *s = arg;
    s->req = NULL;   /* libevent frees the request with its connection */
}

static void scrape_ready(struct hostd *h, void *arg)
{
    struct scrape *s = arg;
    list_del(&s->link);
    if (s->req != NULL) {
        evhttp_connection_set_closecb(evhttp_request_get_connection(s->req), NULL, NULL);
        send_metrics(h, s->req);
    }
    free(s);
}

static void handle(struct evhttp_request *req, void *arg)
{
    struct metrics *m = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (path == NULL || strcmp(path, "/metrics") != 0) {
        evhttp_send_error(req, HTTP_NOTFOUND, NULL);
        return;
    }
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        evhttp_send_error(req, HTTP_BADMETHOD, NULL);
        return;
    }
    struct scrape *s = calloc(1, sizeof *s);
    if (s == NULL) {
        send_metrics(m->h, req);   /* with the statistics we have */
        return;
    }
    s->h = m->h;
    s->req = req;
    list_add_tail(&m->scrapes, &s->link);
    evhttp_connection_set_closecb(evhttp_request_get_connection(req), scrape_closed, s);
    if (stats_refresh(m->h, scrape_ready, s) < 0) {
        list_del(&s->link);
        evhttp_connection_set_closecb(evhttp_request_get_connection(req), NULL, NULL);
        free(s);
        send_metrics(m->h, req);
    }
}

/* STATE_DIR/metrics.port: the port bound, for scripts (useful with port 0). */
static char *write_port_file(struct hostd *h, unsigned port)
{
    char *path = xasprintf("%s/metrics.port", h->conf.state_dir);
    char *tmp = xasprintf("%s/metrics.port.tmp", h->conf.state_dir);
    if (path == NULL || tmp == NULL)
        goto fail;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        goto fail;
    char line[16];
    int len = snprintf(line, sizeof line, "%u\n", port);
    bool ok = write(fd, line, (size_t)len) == len;
    if (close(fd) < 0 || !ok || rename(tmp, path) < 0) {
        unlink(tmp);
        goto fail;
    }
    free(tmp);
    return path;
fail:
    log_warn("cannot write %s/metrics.port: %s", h->conf.state_dir, strerror(errno));
    free(path);
    free(tmp);
    return NULL;
}

static unsigned bound_port(struct evhttp_bound_socket *bs)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

int metrics_start(struct hostd *h)
{
    const char *spec = h->conf.metrics_listen;
    if (spec == NULL || *spec == '\0')
        return 0;
    char addr[256];
    uint16_t port;
    if (metrics_parse_listen(spec, addr, sizeof addr, &port) < 0) {
        log_err("metrics_listen '%s': expected ADDR:PORT, [ADDR6]:PORT or PORT", spec);
        return -EINVAL;
    }
    struct in6_addr any;
    bool numeric = strcmp(addr, "localhost") == 0 || inet_pton(AF_INET, addr, &any) == 1 ||
                   inet_pton(AF_INET6, addr, &any) == 1;
    if (!numeric) {
        log_err("metrics_listen '%s': give a numeric address (or localhost)", spec);
        return -EINVAL;
    }
    if (!metrics_addr_is_loopback(addr)) {
        if (!h->conf.metrics_allow_remote) {
            log_err("metrics_listen %s is not a loopback address: the metrics would be "
                    "visible to the network; set metrics_allow_remote = true to allow it",
                    addr);
            return -EPERM;
        }
        log_warn("metrics endpoint on non-loopback address %s: anyone who can reach it "
                 "can read the domains' names and statistics", addr);
    }
    struct metrics *m = calloc(1, sizeof *m);
    if (m == NULL)
        return -ENOMEM;
    m->h = h;
    list_init(&m->scrapes);
    m->http = evhttp_new(h->base);
    if (m->http == NULL) {
        free(m);
        return -ENOMEM;
    }
    /* Every method reaches handle(), which answers 405 itself. */
    evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
                                            EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
    evhttp_set_timeout(m->http, HTTP_TIMEOUT_S);
    evhttp_set_max_headers_size(m->http, MAX_HEADERS_SIZE);
    evhttp_set_max_body_size(m->http, MAX_BODY_SIZE);
    evhttp_set_gencb(m->http, handle, m);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(m->http, addr, port);
    if (bs == NULL) {
        int err = errno ? errno : EADDRNOTAVAIL;
        log_err("cannot listen for metrics on %s port %u: %s", addr, port, strerror(err));
        evhttp_free(m->http);
        free(m);
        return -err;
    }
    unsigned bound = bound_port(bs);
    m->port_file = write_port_file(h, bound);
    h->metrics = m;
    log_info("metrics on http://%s%s%s:%u/metrics", strchr(addr, ':') ? "[" : "", addr,
             strchr(addr, ':') ? "]" : "", bound);
    return 0;
}

void metrics_stop(struct hostd *h)
{
    struct metrics *m = h->metrics;
    if (m == NULL)
        return;
    /* Scrapes still waiting are answered by nobody: their batches only free them. */
    struct list *p, *t;
    list_for_each_safe(p, t, &m->scrapes) {
        struct scrape *s = list_entry(p, struct scrape, link);
        if (s->req != NULL)
            evhttp_connection_set_closecb(evhttp_request_get_connection(s->req), NULL, NULL);
        s->req = NULL;
        list_del(&s->link);
    }
    evhttp_free(m->http);
    if (m->port_file != NULL) {
        unlink(m->port_file);
        free(m->port_file);
    }
    free(m);
    h->metrics = NULL;
}
