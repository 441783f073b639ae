/* Diagnostics: "<progname>: message" on stderr, as solo5-hvt prints them. */
#ifndef SKIFF_HV_LOG_H
#define SKIFF_HV_LOG_H

#include <stdarg.h>

void hv_log_init(const char *argv0);
const char *hv_progname(void);

/* Print "<progname>: <message>\n". */
void hv_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hv_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
