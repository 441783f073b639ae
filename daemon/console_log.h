/*
 * Size caps on the monitors' log files (DIR/domains/UUID/monitor.log: the
 * guest console and the monitor's diagnostics). skiff-hv stops writing
 * past console_log_max_bytes (--log-max); hostd rotates each file before
 * that, keeping one older file, monitor.log.1. A guest that prints for
 * ever uses at most about twice the cap on disk.
 */
#ifndef SKIFF_HOSTD_CONSOLE_LOG_H
#define SKIFF_HOSTD_CONSOLE_LOG_H

#include <stdint.h>

struct hostd;

#define DEFAULT_CONSOLE_LOG_MAX (1U << 20)
/* How often the files are looked at. */
#define CONSOLE_LOG_CHECK_MS 500

/* Start the periodic check (nothing to do when the cap is 0). */
int console_log_start(struct hostd *h);
void console_log_stop(struct hostd *h);
/* Rotate path if it holds at least limit bytes: path -> path.1, path
 * truncated (the monitor appends, so it goes on at offset 0). */
int console_log_rotate(const char *path, uint64_t limit);

#endif
