/* The listening UNIX socket: who may connect, and handing connections over. */
#ifndef SKIFF_HOSTD_SERVER_H
#define SKIFF_HOSTD_SERVER_H

struct hostd;

/* Bind and listen on h->conf.listen_unix (mode 0660, group = the configured group).
 * Refuses to replace a socket another process still listens on. */
int server_listen(struct hostd *h);
/* Stop accepting and remove the socket file. */
void server_stop(struct hostd *h);
/* Resolve the configured group name (hostd.conf `group`). */
int server_resolve_group(struct hostd *h);

#endif
