#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "conn.h"
#include "hostd.h"
#include "log.h"
#include "server.h"
#include "xsm.h"

int server_resolve_group(struct hostd *h)
{
    h->have_group = false;
    if (h->conf.group == NULL || h->conf.group[0] == '\0')
        return 0;
    struct group *gr = getgrnam(h->conf.group);
    if (gr == NULL) {
        log_err("group '%s' (hostd.conf `group`) does not exist", h->conf.group);
        return -ENOENT;
    }
    h->group_gid = gr->gr_gid;
    h->have_group = true;
    return 0;
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int socklen, void *arg)
{
    struct hostd *h = arg;
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        log_warn("cannot read a client's credentials: %s", strerror(errno));
        close(fd);
        return;
    }
    unsigned held = conn_count_uid(h, cred.uid);
    if (conn_new(h, fd, cred.uid, cred.gid, cred.pid) < 0) {
        log_err("out of memory accepting a client");
        return;
    }
    struct conn *c = list_entry(h->conns.prev, struct conn, link);
    char why[200];
    if (!xsm_admit(h, &c->subj, why, sizeof why)) {
        log_warn("client pid %ld uid %ld refused: %s", (long)cred.pid, (long)cred.uid, why);
        conn_deny(c, SKIFF__V1__ERROR_CODE__DENIED,
                  h->have_group ? "permission denied: only root and members of "
                                  "the configured group may use hostd"
                                : "permission denied: only root may use hostd");
        return;
    }
    /* One user's clients (a runaway script) cannot take every connection. */
    unsigned limit = h->conf.max_connections_per_uid;
    if (limit != 0 && held >= limit) {
        snprintf(why, sizeof why, "too many connections: uid %ld already holds %u "
                 "(hostd.conf max_connections_per_uid); close some and retry",
                 (long)cred.uid, held);
        log_warn("client pid %ld uid %ld refused: %u connections already", (long)cred.pid,
                 (long)cred.uid, held);
        conn_deny(c, SKIFF__V1__ERROR_CODE__BUSY, why);
    }
}

static void accept_error_cb(struct evconnlistener *l, void *arg)
{
    int err = EVUTIL_SOCKET_ERROR();
    log_err("accept: %s", strerror(err));
    /* EMFILE and friends: keep serving the clients we have. */
}

/* Is somebody listening on path? */
static bool socket_alive(const struct sockaddr_un *sun)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool alive = connect(fd, (const struct sockaddr *)sun, sizeof *sun) == 0;
    close(fd);
    return alive;
}

int server_listen(struct hostd *h)
{
    const char *path = h->conf.listen_unix;
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sun.sun_path) {
        log_err("socket path '%s' is too long (at most %zu bytes)", path,
                sizeof sun.sun_path - 1);
        return -ENAMETOOLONG;
    }
    strcpy(sun.sun_path, path);
    if (socket_alive(&sun)) {
        log_err("another daemon is already listening on %s", path);
        return -EADDRINUSE;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        log_err("cannot remove stale socket %s: %s", path, strerror(errno));
        return -errno;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* Created 0660 from the start: no window in which others could connect.
     * Under the flask module everybody may connect and the policy decides
     * each request (unmapped clients are allowed nothing): 0666. */
    mode_t old = umask(xsm_is_flask(h) ? 0111 : 0117);
    int rc = bind(fd, (struct sockaddr *)&sun, sizeof sun);
    int err = errno;
    umask(old);
    if (rc < 0) {
        log_err("cannot bind %s: %s", path, strerror(err));
        close(fd);
        return -err;
    }
    if (h->have_group && chown(path, (uid_t)-1, h->group_gid) < 0)
        log_warn("cannot give %s to group %s: %s", path, h->conf.group, strerror(errno));
    if (listen(fd, 128) < 0) {
        err = errno;
        close(fd);
        unlink(path);
        return -err;
    }
    h->listener = evconnlistener_new(h->base, accept_cb, h,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
    if (h->listener == NULL) {
        close(fd);
        unlink(path);
        return -ENOMEM;
    }
    evconnlistener_set_error_cb(h->listener, accept_error_cb);
    h->listening = true;
    log_info("listening on %s", path);
    return 0;
}

void server_stop(struct hostd *h)
{
    if (h->listener != NULL) {
        evconnlistener_free(h->listener);
        h->listener = NULL;
    }
    if (h->listening) {
        unlink(h->conf.listen_unix);
        h->listening = false;
    }
}
