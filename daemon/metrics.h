/*
 * The metrics endpoint: GET /metrics in the Prometheus text format
 * (version 0.0.4) over HTTP, for monitoring systems to scrape. Off unless
 * metrics_listen is configured; loopback only unless metrics_allow_remote.
 */
#ifndef SKIFF_HOSTD_METRICS_H
#define SKIFF_HOSTD_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct hostd;
struct evbuffer;

/* Bind h->conf.metrics_listen (if set) and serve. The bound port is
 * logged and written to STATE_DIR/metrics.port. */
int metrics_start(struct hostd *h);
/* Stop serving, remove metrics.port. Safe when never started. */
void metrics_stop(struct hostd *h);

/*
 * Parse "ADDR:PORT", "[ADDR6]:PORT" or "PORT" (then ADDR is 127.0.0.1)
 * into addr (a numeric address or "localhost") and port. -EINVAL if malformed.
 */
int metrics_parse_listen(const char *spec, char *addr, size_t addrlen, uint16_t *port);
/* Is addr (as metrics_parse_listen returns it) a loopback address? */
bool metrics_addr_is_loopback(const char *addr);
/* Append s to buf as a label value: \\, \" and \n escaped. */
int metrics_label_escape(struct evbuffer *buf, const char *s);
/* Render every metric of h into buf (what GET /metrics answers). */
int metrics_render(struct hostd *h, struct evbuffer *buf);

#endif
