/*
 * Rotating the monitors' log files by copy and truncate: the monitor keeps
 * its descriptor (it cannot reopen anything inside its sandbox), opened
 * with O_APPEND, so after the truncation it writes at the start again.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "console_log.h"
#include "domain.h"
#include "hostd.h"
#include "log.h"
#include "util.h"

static int copy_fd(int from, int to)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(from, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(to, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return -errno;
            }
            off += w;
        }
    }
}

int console_log_rotate(const char *path, uint64_t limit)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if ((uint64_t)st.st_size < limit)
        return 0;
    char *old = xasprintf("%s.1", path), *tmp = xasprintf("%s.1.tmp", path);
    int rc = -ENOMEM, in = -1, out = -1;
    if (old == NULL || tmp == NULL)
        goto out;
    in = open(path, O_RDONLY | O_CLOEXEC);
    out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (in < 0 || out < 0) {
        rc = -errno;
        goto out;
    }
    /* A full disk fails the copy: then the old copy stays and the file is
     * still truncated, so the cap holds whatever happens. */
    rc = copy_fd(in, out);
    if (rc == 0 && rename(tmp, old) < 0)
        rc = -errno;
    if (rc < 0)
        unlink(tmp);
    if (truncate(path, 0) < 0 && rc == 0)
        rc = -errno;
out:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    free(old);
    free(tmp);
    return rc;
}

static void check_cb(evutil_socket_t fd, short what, void *arg)
{
    struct hostd *h = arg;
    /* Rotate at three quarters of the cap, before the monitor has to drop. */
    uint64_t at = (uint64_t)h->conf.console_log_max_bytes * 3 / 4;
    struct list *p, *t;
    list_for_each_safe(p, t, &h->domains.all) {
        struct domain *d = list_entry(p, struct domain, link);
        if (d->mon == NULL)
            continue;
        char *path = domain_path(d, "monitor.log");
        if (path == NULL)
            continue;
        int rc = console_log_rotate(path, at);
        if (rc < 0)
            log_warn("domain %s: cannot rotate %s: %s", d->row.name, path, strerror(-rc));
        free(path);
    }
}

int console_log_start(struct hostd *h)
{
    if (h->conf.console_log_max_bytes == 0)
        return 0;
    h->console_log_timer = event_new(h->base, -1, EV_PERSIST, check_cb, h);
    if (h->console_log_timer == NULL)
        return -ENOMEM;
    struct timeval tv = { 0, CONSOLE_LOG_CHECK_MS * 1000 };
    return event_add(h->console_log_timer, &tv) < 0 ? -ENOMEM : 0;
}

void console_log_stop(struct hostd *h)
{
    if (h->console_log_timer != NULL) {
        event_free(h->console_log_timer);
        h->console_log_timer = NULL;
    }
}
