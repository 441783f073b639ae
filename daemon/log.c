#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int max_level = LOG_INFO;
static int journal;   /* stderr is read by systemd: priority prefixes, no timestamps */

static const struct {
    const char *name;
    int level;
} levels[] = {
    { "error", LOG_ERR },
    { "warning", LOG_WARNING },
    { "info", LOG_INFO },
    { "debug", LOG_DEBUG },
};

int log_parse_level(const char *name, int *level)
{
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (strcmp(name, levels[i].name) == 0) {
            *level = levels[i].level;
            return 0;
        }
    }
    return -EINVAL;
}

void log_set_level(int level)
{
    max_level = level;
}

int log_get_level(void)
{
    return max_level;
}

void log_init(void)
{
    journal = getenv("JOURNAL_STREAM") != NULL || getenv("NOTIFY_SOCKET") != NULL;
}

static const char *level_word(int prio)
{
    switch (prio) {
    case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR:
        return "error";
    case LOG_WARNING:
        return "warning";
    case LOG_NOTICE: case LOG_INFO:
        return "info";
    default:
        return "debug";
    }
}

void log_msg(int prio, const char *fmt, ...)
{
    if (prio > max_level)
        return;
    int saved = errno;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One write per line, so lines from a daemon and its log reader never interleave. */
    char out[2200];
    int n;
    if (journal) {
        n = snprintf(out, sizeof out, "<%d>%s\n", prio, line);
    } else {
        struct timespec ts;
        struct tm tm;
        char stamp[32] = "";
        clock_gettime(CLOCK_REALTIME, &ts);
        if (localtime_r(&ts.tv_sec, &tm) != NULL)
            strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
        n = snprintf(out, sizeof out, "%s.%03ld hostd[%ld]: %s: %s\n", stamp,
                     ts.tv_nsec / 1000000, (long)getpid(), level_word(prio), line);
    }
    if (n > 0) {
        size_t len = (size_t)n < sizeof out ? (size_t)n : sizeof out - 1;
        ssize_t w = write(STDERR_FILENO, out, len);
        (void)w;
    }
    errno = saved;
}
