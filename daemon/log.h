/*
 * hostd's one logging module: lines on stderr; under systemd (the journal
 * reads stderr) each line starts with a syslog priority prefix "<N>".
 */
#ifndef SKIFF_HOSTD_LOG_H
#define SKIFF_HOSTD_LOG_H

#include <syslog.h>

/* Level names: error, warning, info, debug. */
int log_parse_level(const char *name, int *level);
void log_set_level(int level);
int log_get_level(void);
/* Decide the line format (systemd prefixes or timestamps) from the environment. */
void log_init(void);

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
