/* systemd integration: readiness, status, watchdog, stopping (sd_notify). */
#ifndef SKIFF_HOSTD_SYSTEMD_H
#define SKIFF_HOSTD_SYSTEMD_H

struct hostd;

void systemd_ready(struct hostd *h);
void systemd_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void systemd_stopping(void);
/* Pet the watchdog every WATCHDOG_USEC/2 when the unit asks for it. */
int systemd_watchdog_start(struct hostd *h);

#endif
