/*
 * The label mapping file: one rule a line,
 *   uid USER|NUMBER CONTEXT | gid GROUP|NUMBER CONTEXT |
 *   cert "SUBJECT" CONTEXT  | default CONTEXT
 * with # comments. Contexts are only checked for their shape here; the
 * policy decides whether they are valid when it is loaded.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "labels.h"

struct parser {
    const char *name;
    int line;
    char *err;
    size_t errlen;
    labels_warn_fn *warn;
    void *warn_ctx;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "%s:%d: %s", p->name, p->line, msg);
    return -EINVAL;
}

static void warn(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct parser *p, const char *fmt, ...)
{
    if (p->warn == NULL)
        return;
    char msg[512], line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s:%d: %s", p->name, p->line, msg);
    p->warn(p->warn_ctx, line);
}

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* A bare word: up to white space or a comment. *s moves past it. */
static char *word(const char **s)
{
    const char *b = *s, *e = b;
    while (*e && *e != ' ' && *e != '\t' && *e != '#')
        e++;
    *s = e;
    return strndup(b, (size_t)(e - b));
}

/* A double-quoted string with \" and \\ escapes; NULL with *bad set on a
 * malformed one. */
static char *quoted(const char **s, const char **bad)
{
    const char *p = *s + 1;
    size_t n = strlen(p);
    char *out = malloc(n + 1), *o = out;
    if (out == NULL)
        return NULL;
    for (; *p && *p != '"'; p++) {
        if (*p == '\\') {
            p++;
            if (*p != '"' && *p != '\\') {
                free(out);
                *bad = "only \\\" and \\\\ may be escaped in a quoted string";
                return NULL;
            }
        }
        *o++ = *p;
    }
    if (*p != '"') {
        free(out);
        *bad = "unterminated quoted string";
        return NULL;
    }
    *o = '\0';
    *s = p + 1;
    return out;
}

/* user:role:type[:level]: printable, no spaces, three or more fields. */
static bool context_shape_ok(const char *c)
{
    int colons = 0;
    const char *prev = c - 1;
    for (const char *p = c; *p; p++) {
        if (!isgraph((unsigned char)*p))
            return false;
        if (*p == ':') {
            if (p - prev == 1 && colons < 3)
                return false;   /* an empty user, role or type */
            colons++;
            prev = p;
        }
    }
    return colons >= 2 && c[strlen(c) - 1] != ':';
}

static bool parse_number(const char *s, unsigned *out)
{
    if (*s == '\0' || strlen(s) > 10)
        return false;
    unsigned long long v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return false;
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (v > 0xfffffffeULL)   /* (uid_t)-1 means "none" */
        return false;
    *out = (unsigned)v;
    return true;
}

/* A uid or gid by number or name: 1, 0 (a name that does not exist: skip), or < 0. */
static int resolve_id(struct parser *p, enum labels_kind kind, const char *arg, unsigned *id)
{
    if (parse_number(arg, id))
        return 1;
    if (isdigit((unsigned char)arg[0]))
        return fail(p, "'%s' is not a valid %s", arg, kind == LABELS_UID ? "uid" : "gid");
    if (kind == LABELS_UID) {
        struct passwd *pw = getpwnam(arg);
        if (pw == NULL) {
            warn(p, "no user '%s'; line skipped", arg);
            return 0;
        }
        *id = pw->pw_uid;
    } else {
        struct group *gr = getgrnam(arg);
        if (gr == NULL) {
            warn(p, "no group '%s'; line skipped", arg);
            return 0;
        }
        *id = gr->gr_gid;
    }
    return 1;
}

/* One line (NUL-terminated, no newline). Adds at most one rule. */
static int parse_line(struct parser *p, const char *s, struct labels *l, size_t *cap)
{
    s = skip_space(s);
    if (*s == '\0' || *s == '#')
        return 0;
    struct labels_rule r = { .line = p->line };
    char *kw = word(&s);
    if (kw == NULL)
        return -ENOMEM;
    int rc = 0;
    if (strcmp(kw, "uid") == 0)
        r.kind = LABELS_UID;
    else if (strcmp(kw, "gid") == 0)
        r.kind = LABELS_GID;
    else if (strcmp(kw, "cert") == 0)
        r.kind = LABELS_CERT;
    else if (strcmp(kw, "default") == 0)
        r.kind = LABELS_DEFAULT;
    else
        rc = fail(p, "unknown keyword '%.40s' (expected uid, gid, cert or default)", kw);
    free(kw);
    if (rc < 0)
        return rc;
    bool skip = false;
    s = skip_space(s);
    if (r.kind == LABELS_CERT) {
        if (*s != '"')
            return fail(p, "cert needs a quoted certificate subject, e.g. \"CN=web,O=Example\"");
        const char *bad = NULL;
        r.cert = quoted(&s, &bad);
        if (r.cert == NULL)
            return bad ? fail(p, "%s", bad) : -ENOMEM;
        if (r.cert[0] == '\0') {
            free(r.cert);
            return fail(p, "empty certificate subject");
        }
    } else if (r.kind != LABELS_DEFAULT) {
        char *arg = word(&s);
        if (arg == NULL)
            return -ENOMEM;
        rc = arg[0] ? resolve_id(p, r.kind, arg, &r.id)
                    : fail(p, "%s needs a %s", r.kind == LABELS_UID ? "uid" : "gid",
                           r.kind == LABELS_UID ? "user name or number" : "group name or number");
        free(arg);
        if (rc < 0)
            return rc;
        skip = rc == 0;
    }
    s = skip_space(s);
    if (*s == '\0' || *s == '#') {
        free(r.cert);
        return fail(p, "no security context (user:role:type) at the end of the line");
    }
    r.context = word(&s);
    if (r.context == NULL) {
        free(r.cert);
        return -ENOMEM;
    }
    s = skip_space(s);
    if (!context_shape_ok(r.context))
        rc = fail(p, "'%.80s' is not a security context (user:role:type)", r.context);
    else if (*s != '\0' && *s != '#')
        rc = fail(p, "unexpected '%.40s' after the context", s);
    else if (!skip && l->n >= LABELS_MAX_RULES)
        rc = fail(p, "more than %d rules", LABELS_MAX_RULES);
    if (rc < 0 || skip) {
        free(r.cert);
        free(r.context);
        return rc;
    }
    if (l->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct labels_rule *nr = realloc(l->rules, ncap * sizeof *nr);
        if (nr == NULL) {
            free(r.cert);
            free(r.context);
            return -ENOMEM;
        }
        l->rules = nr;
        *cap = ncap;
    }
    l->rules[l->n++] = r;
    return 0;
}

int labels_parse(const char *text, size_t len, const char *name, struct labels *out,
                 char *err, size_t errlen, labels_warn_fn *warn_fn, void *warn_ctx)
{
    struct parser p = { .name = name, .err = err, .errlen = errlen, .warn = warn_fn,
                        .warn_ctx = warn_ctx };
    struct labels l = { 0 };
    size_t cap = 0;
    char *line = malloc(LABELS_MAX_LINE + 1);
    if (line == NULL)
        return -ENOMEM;
    int rc = 0;
    if (len > LABELS_MAX_BYTES) {
        p.line = 0;
        rc = fail(&p, "larger than %u bytes", LABELS_MAX_BYTES);
    }
    size_t pos = 0;
    while (rc == 0 && pos < len) {
        p.line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (n > 0 && text[pos + n - 1] == '\r')
            n--;
        if (n > LABELS_MAX_LINE)
            rc = fail(&p, "line longer than %d bytes", LABELS_MAX_LINE);
        else if (memchr(text + pos, '\0', n) != NULL)
            rc = fail(&p, "NUL byte in the line (not a text file?)");
        else {
            memcpy(line, text + pos, n);
            line[n] = '\0';
            rc = parse_line(&p, line, &l, &cap);
        }
        pos += (nl ? (size_t)(nl - (text + pos)) + 1 : len - pos);
    }
    free(line);
    if (rc < 0) {
        if (rc == -ENOMEM)
            snprintf(err, errlen, "%s: out of memory", name);
        labels_free(&l);
        return rc;
    }
    *out = l;
    return 0;
}

int labels_load(const char *path, struct labels *out, char *err, size_t errlen,
                labels_warn_fn *warn_fn, void *warn_ctx)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
        return -e;
    }
    char *buf = malloc(LABELS_MAX_BYTES + 1);
    if (buf == NULL) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, LABELS_MAX_BYTES + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
            free(buf);
            close(fd);
            return -e;
        }
        if (n == 0 || (len += (size_t)n) > LABELS_MAX_BYTES)
            break;
    }
    close(fd);
    int rc = labels_parse(buf, len, path, out, err, errlen, warn_fn, warn_ctx);
    free(buf);
    return rc;
}

void labels_free(struct labels *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->rules[i].cert);
        free(l->rules[i].context);
    }
    free(l->rules);
    l->rules = NULL;
    l->n = 0;
}

const char *labels_lookup(const struct labels *l, uid_t uid, const gid_t *gids, size_t ngids,
                          const char *cert)
{
    const char *gid_match = NULL, *dflt = NULL;
    for (size_t i = 0; i < l->n; i++) {
        const struct labels_rule *r = &l->rules[i];
        switch (r->kind) {
        case LABELS_CERT:
            if (cert != NULL && strcmp(cert, r->cert) == 0)
                return r->context;
            break;
        case LABELS_UID:
            if (cert == NULL && r->id == uid)
                return r->context;
            break;
        case LABELS_GID:
            for (size_t g = 0; cert == NULL && gid_match == NULL && g < ngids; g++)
                if (gids[g] == r->id)
                    gid_match = r->context;
            break;
        case LABELS_DEFAULT:
            if (dflt == NULL)
                dflt = r->context;
            break;
        }
    }
    return gid_match ? gid_match : dflt;
}
