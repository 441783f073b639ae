/*
 * The monitor passes the guest arguments joined by spaces. Leading
 * --skiff:LEVEL / --solo5:LEVEL tokens belong to the runtime; the app sees
 * what follows them. The command line sits in read-only memory, so the
 * app's view is a pointer into it, not a copy.
 */
#include "internal.h"

static const struct {
    const char *word;
    enum skiff_log_level level;
} levels[] = {
    { "quiet", SKIFF_LOG_QUIET },
    { "error", SKIFF_LOG_ERROR },
    { "warn", SKIFF_LOG_WARN },
    { "info", SKIFF_LOG_INFO },
    { "debug", SKIFF_LOG_DEBUG },
};

/* If S starts with a log-level token, set the level and return the text
 * after it; otherwise return NULL. */
static const char *level_token(const char *s)
{
    if (strncmp(s, "--skiff:", 8) != 0 && strncmp(s, "--solo5:", 8) != 0)
        return 0;
    s += 8;
    for (unsigned i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        size_t n = strlen(levels[i].word);

        if (strncmp(s, levels[i].word, n) == 0 &&
            (s[n] == '\0' || s[n] == ' ' || s[n] == '\t')) {
            skiff_log_set_level(levels[i].level);
            return s + n;
        }
    }
    return 0;
}

const char *skiff_cmdline_init(const char *raw)
{
    const char *s = raw ? raw : "";

    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;

        const char *next = level_token(s);

        if (!next)
            return s;
        s = next;
    }
}
