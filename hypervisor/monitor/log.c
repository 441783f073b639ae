/* Monitor diagnostics. Only stderr: stdout belongs to the guest console. */
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *progname = "skiff-hv";

void hv_log_init(const char *argv0)
{
    if (argv0 != NULL) {
        const char *slash = strrchr(argv0, '/');
        progname = slash ? slash + 1 : argv0;
    }
}

const char *hv_progname(void)
{
    return progname;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
    /* One buffer, one write: lines from the monitor never interleave. */
    char line[1024];
    int n = snprintf(line, sizeof line, "%s: %s", progname, prefix);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}

void hv_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void hv_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("warning: ", fmt, ap);
    va_end(ap);
}
