#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "hostd.h"
#include "log.h"
#include "systemd.h"

void systemd_ready(struct hostd *h)
{
    /* Without NOTIFY_SOCKET these are no-ops. */
    sd_notify(0, "READY=1");
}

void systemd_status(const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sd_notifyf(0, "STATUS=%s", msg);
}

void systemd_stopping(void)
{
    sd_notify(0, "STOPPING=1");
}

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
    sd_notify(0, "WATCHDOG=1");
}

int systemd_watchdog_start(struct hostd *h)
{
    uint64_t usec = 0;
    int rc = sd_watchdog_enabled(0, &usec);
    if (rc <= 0 || usec == 0)
        return 0;
    h->watchdog = event_new(h->base, -1, EV_PERSIST, watchdog_cb, h);
    if (h->watchdog == NULL)
        return -1;
    uint64_t half = usec / 2;
    struct timeval tv = { (time_t)(half / 1000000), (suseconds_t)(half % 1000000) };
    event_add(h->watchdog, &tv);
    log_debug("systemd watchdog: every %llu ms", (unsigned long long)(half / 1000));
    return 0;
}
