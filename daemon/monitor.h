/*
 * The skiff-hv processes hostd supervises: spawning one (monitor_spawn.c),
 * finding one again after a restart, and its control channel
 * (monitor.c). A monitor outlives hostd; it is only ever stopped through
 * its control channel (destroy, release) or, when it stops answering, by
 * a signal to the pid whose start time matches the recorded one.
 */
#ifndef SKIFF_HOSTD_MONITOR_H
#define SKIFF_HOSTD_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "list.h"
#include "monitor.pb-c.h"

/* Spawned monitors get this long to open their control socket. */
#define MONITOR_CONNECT_TIMEOUT_S 60

struct hostd;
struct domain;
struct bufferevent;
struct event;
struct evbuffer;

struct monitor {
    struct hostd *h;
    struct domain *dom;          /* NULL once detached */
    char uuid[37];               /* its domain, also after detaching */
    struct list link;            /* in hostd.zombies once detached */
    pid_t pid;
    uint64_t pid_start;
    bool child;                  /* spawned by this hostd: reaped via SIGCHLD */
    bool reaped;
    char *control;               /* socket path */
    struct bufferevent *bev;
    struct event *timer;         /* connect retries, release/kill deadlines */
    uint64_t deadline_ns;        /* give up connecting at this time */
    uint64_t next_id;
    struct list pending;         /* struct mreq */
    bool ready;                  /* hello, console subscription and stats done */
    bool exited;                 /* Exited received */
    bool released;               /* Release sent */
    bool lost;                   /* reported lost to the domain */
    struct event *reader;        /* reads the channel with recvmsg (monitor.c) */
    struct evbuffer *in;         /* what it read, not yet parsed */
    int passed_fd;               /* the last fd a reply carried, -1 if none */
};

/* err is 0 and reply set, or a negative errno when the channel failed. */
typedef void (*monitor_cb)(struct monitor *m, void *arg, int err,
                           const Skiff__Monitor__V1__MonitorReply *reply);

/* Spawn skiff-hv for d and start connecting to it. */
int monitor_spawn(struct domain *d, bool paused, struct monitor **out);
/* After a hostd restart: find the running monitor again. */
int monitor_adopt(struct domain *d, pid_t pid, uint64_t pid_start, struct monitor **out);
/* Internal to the monitor files: a new monitor object, connecting. */
struct monitor *monitor_new(struct domain *d, pid_t pid, uint64_t pid_start, bool child,
                            unsigned timeout_s);
/* Send a request; cb runs once with its reply. -ENOTCONN when not ready. */
int monitor_request(struct monitor *m, Skiff__Monitor__V1__MonitorRequest *req, monitor_cb cb,
                    void *arg);
/* Shorthands; cb may be NULL. */
int monitor_simple(struct monitor *m, Skiff__Monitor__V1__MonitorRequest__OpCase op,
                   monitor_cb cb, void *arg);
int monitor_guest_request(struct monitor *m, Skiff__Monitor__V1__GuestRequest what,
                          monitor_cb cb, void *arg);
/* The fd that came with the last reply (get_memory), now the caller's; -1
 * if none came. */
int monitor_take_fd(struct monitor *m);
/* The exit is recorded: let the monitor exit and forget it. */
void monitor_release(struct monitor *m);
/* The domain no longer needs this monitor: kill it if still there and let it
 * wind down among the zombies. */
void monitor_discard(struct monitor *m);
/* Kill (verified pid). */
void monitor_kill(struct monitor *m, int sig);
/* SIGCHLD: reap every exited child. */
void monitor_reap_children(struct hostd *h);
/* Is a monitor of this domain still winding down? */
bool monitor_zombie_for(struct hostd *h, const char *uuid);
/* hostd exits: drop the channels, leave the processes running. */
void monitor_disconnect_all(struct hostd *h);

#endif
