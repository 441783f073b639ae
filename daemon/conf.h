/* hostd.conf: the daemon's configuration file (skiff.cfg(5) syntax). */
#ifndef SKIFF_HOSTD_CONF_H
#define SKIFF_HOSTD_CONF_H

#include <stdbool.h>
#include <stddef.h>

struct hostd_conf;

#define DEFAULT_SHUTDOWN_GRACE_MS 10000
#define DEFAULT_MAX_CONNECTIONS_PER_UID 128
#define DEFAULT_CLIENT_TIMEOUT_MS 30000
#define DEFAULT_MIGRATE_TIMEOUT_MS 30000

/* Read path into conf (keys it sets replace conf's values). A missing file
 * is an error only when required. */
int conf_load(const char *path, bool required, struct hostd_conf *conf);
void conf_clear(struct hostd_conf *conf);
/* Lists of strings (listen_tls, tls_allow): append a copy; free all. */
int conf_strv_add(char ***v, size_t *n, const char *s);
void conf_strv_free(char ***v, size_t *n);

#endif
