/*
 * The skiff.cfg(5) syntax: a hand-written scanner over a byte buffer with
 * an explicit length. Nothing recurses deeper than one list, every read
 * checks the length first, and every size is bounded, because the input
 * comes from users and fuzzers.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-priv.h"

struct lexer {
    const char *s;
    size_t len, pos;
    int line, col;
    const char *file;
    struct skiff_cfg_error *err;
};

static int peek(const struct lexer *lx)
{
    return lx->pos < lx->len ? (unsigned char)lx->s[lx->pos] : -1;
}

static int peek2(const struct lexer *lx)
{
    return lx->pos + 1 < lx->len ? (unsigned char)lx->s[lx->pos + 1] : -1;
}

static void advance(struct lexer *lx)
{
    if (lx->s[lx->pos] == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->pos++;
}

static int fail(struct lexer *lx, int line, int col, const char *msg)
{
    cfg_error(lx->err, lx->file, line, col, "%s", msg);
    return -EINVAL;
}

/* "'x'" for printable characters, "byte 0xNN" otherwise. */
static int fail_char(struct lexer *lx, const char *what)
{
    int c = peek(lx);
    if (c < 0)
        cfg_error(lx->err, lx->file, lx->line, lx->col, "%s, got end of input", what);
    else if (c == '\n')
        cfg_error(lx->err, lx->file, lx->line, lx->col, "%s, got end of line", what);
    else if (c > 0x20 && c < 0x7f)
        cfg_error(lx->err, lx->file, lx->line, lx->col, "%s, got '%c'", what, c);
    else
        cfg_error(lx->err, lx->file, lx->line, lx->col, "%s, got byte 0x%02x", what, c);
    return -EINVAL;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_word_start(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int is_word(int c)
{
    return is_word_start(c) || is_digit(c);
}

/* Blanks and comments; newlines too inside a list. */
static void skip_blank(struct lexer *lx, int newlines)
{
    for (;;) {
        int c = peek(lx);
        if (is_space(c) || (newlines && c == '\n')) {
            advance(lx);
        } else if (c == '#') {
            while (peek(lx) >= 0 && peek(lx) != '\n')
                advance(lx);
        } else {
            return;
        }
    }
}

struct buf {
    char *p;
    size_t n, cap;
};

static int buf_put(struct buf *b, char c)
{
    if (b->n + 1 >= b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            return -ENOMEM;
        b->p = p;
        b->cap = cap;
    }
    b->p[b->n++] = c;
    b->p[b->n] = '\0';
    return 0;
}

static int parse_string(struct lexer *lx, struct skiff_cfg_value *v)
{
    int quote = peek(lx), line = lx->line, col = lx->col;
    struct buf b = { 0 };
    int rc;
    advance(lx);
    for (;;) {
        int c = peek(lx);
        if (c < 0 || c == '\n') {
            rc = fail(lx, line, col, "unterminated string");
            break;
        }
        if (c == quote) {
            advance(lx);
            v->str = b.p ? b.p : strdup("");
            if (v->str == NULL)
                return -ENOMEM;
            v->type = SKIFF_CFG_STRING;
            return 0;
        }
        if (c == '\\') {
            int e = peek2(lx);
            char out;
            switch (e) {
            case '\\': out = '\\'; break;
            case '"': out = '"'; break;
            case '\'': out = '\''; break;
            case 'n': out = '\n'; break;
            case 't': out = '\t'; break;
            case -1:
            case '\n':
                rc = fail(lx, line, col, "unterminated string");
                goto out;
            default:
                if (e > 0x20 && e < 0x7f)
                    cfg_error(lx->err, lx->file, lx->line, lx->col,
                              "unknown escape '\\%c' (use \\\\ \\\" \\' \\n or \\t)", e);
                else
                    cfg_error(lx->err, lx->file, lx->line, lx->col,
                              "unknown escape: backslash before byte 0x%02x", e);
                rc = -EINVAL;
                goto out;
            }
            advance(lx);
            advance(lx);
            if ((rc = buf_put(&b, out)) < 0)
                break;
            continue;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            rc = fail(lx, lx->line, lx->col, "control character in string (use \\n or \\t)");
            break;
        }
        advance(lx);
        if ((rc = buf_put(&b, (char)c)) < 0)
            break;
    }
out:
    free(b.p);
    return rc;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/*
 * Decimal, 0x hex or 0 octal, the whole of t[0..n); -EINVAL if malformed,
 * -ERANGE past LLONG_MAX. Shared with the override parser.
 */
static int number_value(const char *t, size_t n, long long *out)
{
    size_t i = 0;
    int base = 10;
    if (n >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (n >= 2 && t[0] == '0') {
        base = 8;
        i = 1;
    }
    if (i >= n)
        return -EINVAL;
    long long v = 0;
    int range = 0;
    for (; i < n; i++) {
        int d = digit_value(t[i]);
        if (d >= base)
            return -EINVAL;
        if (v > (LLONG_MAX - d) / base)
            range = 1;      /* keep going: a bad digit later is -EINVAL */
        else
            v = v * base + d;
    }
    if (range)
        return -ERANGE;
    *out = v;
    return 0;
}

static int all_digits(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)t[i]))
            return 0;
    return 1;
}

static int parse_number(struct lexer *lx, struct skiff_cfg_value *v)
{
    int line = lx->line, col = lx->col;
    size_t start = lx->pos;
    while (is_word(peek(lx)) || peek(lx) == '.')
        advance(lx);
    const char *t = lx->s + start;
    size_t n = lx->pos - start;
    int rc = number_value(t, n, &v->num);
    if (rc == 0) {
        v->type = SKIFF_CFG_INT;
        return 0;
    }
    char shown[40];
    size_t k = n < 32 ? n : 32;
    memcpy(shown, t, k);
    strcpy(shown + k, n > k ? "..." : "");
    if (rc == -ERANGE)
        cfg_error(lx->err, lx->file, line, col, "number out of range: %s", shown);
    else if (n >= 2 && t[0] == '0' && all_digits(t, n))
        cfg_error(lx->err, lx->file, line, col,
                  "invalid number: %s (a leading 0 means octal)", shown);
    else
        cfg_error(lx->err, lx->file, line, col, "invalid number: %s", shown);
    return -EINVAL;
}

/* Outside strings only true and false are words. */
static int parse_word(struct lexer *lx, struct skiff_cfg_value *v)
{
    int line = lx->line, col = lx->col;
    size_t start = lx->pos;
    while (is_word(peek(lx)))
        advance(lx);
    const char *t = lx->s + start;
    size_t n = lx->pos - start;
    if (n == 4 && memcmp(t, "true", 4) == 0) {
        v->type = SKIFF_CFG_BOOL;
        v->num = 1;
        return 0;
    }
    if (n == 5 && memcmp(t, "false", 5) == 0) {
        v->type = SKIFF_CFG_BOOL;
        v->num = 0;
        return 0;
    }
    size_t k = n < 32 ? n : 32;
    cfg_error(lx->err, lx->file, line, col,
              "unexpected word '%.*s%s' (strings need quotes)", (int)k, t, n > k ? "..." : "");
    return -EINVAL;
}

static int parse_value(struct lexer *lx, struct skiff_cfg_value *v, int in_list);

static int parse_list(struct lexer *lx, struct skiff_cfg_value *v)
{
    int line = lx->line, col = lx->col;
    advance(lx);
    v->type = SKIFF_CFG_LIST;
    v->line = line;
    v->col = col;
    size_t cap = 0;
    int rc;
    for (;;) {
        skip_blank(lx, 1);
        int c = peek(lx);
        if (c < 0)
            goto unterminated;
        if (c == ']') {
            advance(lx);
            return 0;
        }
        if (v->n_items == SKIFF_CFG_MAX_LIST) {
            cfg_error(lx->err, lx->file, lx->line, lx->col,
                      "list too long (at most %d items)", SKIFF_CFG_MAX_LIST);
            rc = -EINVAL;
            goto fail;
        }
        if (v->n_items == cap) {
            cap = cap ? cap * 2 : 8;
            struct skiff_cfg_value *items = realloc(v->items, cap * sizeof *items);
            if (items == NULL) {
                rc = -ENOMEM;
                goto fail;
            }
            v->items = items;
        }
        struct skiff_cfg_value *item = &v->items[v->n_items];
        memset(item, 0, sizeof *item);
        if ((rc = parse_value(lx, item, 1)) < 0)
            goto fail;
        v->n_items++;
        skip_blank(lx, 1);
        c = peek(lx);
        if (c == ',') {
            advance(lx);
        } else if (c == ']') {
            advance(lx);
            return 0;
        } else if (c < 0) {
            goto unterminated;
        } else {
            rc = fail_char(lx, "expected ',' or ']' in list");
            goto fail;
        }
    }
unterminated:
    rc = fail(lx, line, col, "unterminated list (no closing ']')");
fail:
    cfg_value_clear(v);
    return rc;
}

static int parse_value(struct lexer *lx, struct skiff_cfg_value *v, int in_list)
{
    int c = peek(lx);
    v->line = lx->line;
    v->col = lx->col;
    if (c == '"' || c == '\'')
        return parse_string(lx, v);
    if (is_digit(c))
        return parse_number(lx, v);
    if (is_word_start(c))
        return parse_word(lx, v);
    if (c == '[') {
        if (in_list)
            return fail(lx, lx->line, lx->col, "lists cannot be nested");
        return parse_list(lx, v);
    }
    if (c == '-' && is_digit(peek2(lx)))
        return fail(lx, lx->line, lx->col, "negative numbers are not allowed");
    return fail_char(lx, "expected a value");
}

/* KEY = VALUE, the lexer on the key's first character. */
static int parse_assignment(struct lexer *lx, struct skiff_cfg *cfg, const char *file)
{
    int line = lx->line, col = lx->col;
    size_t start = lx->pos;
    while (is_word(peek(lx)))
        advance(lx);
    size_t klen = lx->pos - start;
    if (klen > SKIFF_CFG_MAX_KEY_LEN)
        return fail(lx, line, col, "key too long (at most 64 characters)");
    skip_blank(lx, 0);
    if (peek(lx) != '=') {
        char what[100];
        snprintf(what, sizeof what, "expected '=' after '%.*s'", (int)klen, lx->s + start);
        return fail_char(lx, what);
    }
    advance(lx);
    skip_blank(lx, 0);
    struct skiff_cfg_value v = { 0 };
    int rc = parse_value(lx, &v, 0);
    if (rc < 0)
        return rc;
    rc = cfg_assign(cfg, lx->s + start, klen, file, line, col, &v);
    if (rc < 0) {
        cfg_value_clear(&v);
        if (rc == -E2BIG) {
            cfg_error(lx->err, lx->file, line, col, "too many keys (at most %d)",
                      SKIFF_CFG_MAX_KEYS);
            return -EINVAL;
        }
        return rc;
    }
    return 0;
}

static int parse_statements(struct lexer *lx, struct skiff_cfg *cfg)
{
    for (;;) {
        skip_blank(lx, 0);
        int c = peek(lx);
        if (c < 0)
            return 0;
        if (c == '\n' || c == ';') {
            advance(lx);
            continue;
        }
        if (!is_word_start(c))
            return fail_char(lx, "expected a key");
        int rc = parse_assignment(lx, cfg, cfg->file);
        if (rc < 0)
            return rc;
        skip_blank(lx, 0);
        c = peek(lx);
        if (c >= 0 && c != '\n' && c != ';')
            return fail_char(lx, "expected the end of the line or ';' after the value");
    }
}

static void lexer_init(struct lexer *lx, const char *s, size_t len, const char *file,
                       struct skiff_cfg_error *err)
{
    lx->s = s;
    lx->len = len;
    lx->pos = 0;
    lx->line = 1;
    lx->col = 1;
    lx->file = file;
    lx->err = err;
}

int skiff_cfg_parse(const char *text, size_t len, const char *filename,
                    struct skiff_cfg **out, struct skiff_cfg_error *err)
{
    *out = NULL;
    if (filename == NULL)
        filename = "<input>";
    if (len > SKIFF_CFG_MAX_SIZE) {
        cfg_error(err, filename, 0, 0, "too large (more than %u bytes)", SKIFF_CFG_MAX_SIZE);
        return -EFBIG;
    }
    if (text == NULL && len > 0) {
        cfg_error(err, filename, 0, 0, "no text");
        return -EINVAL;
    }
    struct lexer lx;
    lexer_init(&lx, text, len, filename, err);
    /* A NUL cannot be carried in a C string: refuse it wherever it is. */
    const char *nul = len ? memchr(text, '\0', len) : NULL;
    if (nul != NULL) {
        while (lx.s + lx.pos < nul)
            advance(&lx);
        return fail(&lx, lx.line, lx.col, "NUL byte in input");
    }
    struct skiff_cfg *cfg = cfg_new(filename);
    if (cfg == NULL) {
        cfg_error(err, filename, 0, 0, "out of memory");
        return -ENOMEM;
    }
    lx.file = cfg->file;
    int rc = parse_statements(&lx, cfg);
    if (rc < 0) {
        if (rc == -ENOMEM)
            cfg_error(err, filename, 0, 0, "out of memory");
        skiff_cfg_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

/* A bare override value: a number, true/false, or else the text itself. */
static int bare_value(const char *t, size_t n, struct skiff_cfg_value *v)
{
    if (n > 0 && is_digit((unsigned char)t[0]) && number_value(t, n, &v->num) == 0) {
        v->type = SKIFF_CFG_INT;
        return 0;
    }
    if ((n == 4 && memcmp(t, "true", 4) == 0) || (n == 5 && memcmp(t, "false", 5) == 0)) {
        v->type = SKIFF_CFG_BOOL;
        v->num = n == 4;
        return 0;
    }
    v->str = strndup(t, n);
    if (v->str == NULL)
        return -ENOMEM;
    v->type = SKIFF_CFG_STRING;
    return 0;
}

int skiff_cfg_override(struct skiff_cfg *cfg, const char *assignment, struct skiff_cfg_error *err)
{
    const char *file = SKIFF_CFG_CMDLINE;
    size_t len = strnlen(assignment, SKIFF_CFG_MAX_SIZE + 1);
    if (len > SKIFF_CFG_MAX_SIZE) {
        cfg_error(err, file, 0, 0, "override too large (more than %u bytes)",
                  SKIFF_CFG_MAX_SIZE);
        return -EFBIG;
    }
    /* One line of text: no newlines, no terminal controls. */
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)assignment[i];
        if ((b < 0x20 && b != '\t') || b == 0x7f) {
            cfg_error(err, file, 1, (int)i + 1, "control character in override");
            return -EINVAL;
        }
    }
    struct lexer lx;
    lexer_init(&lx, assignment, len, file, err);
    skip_blank(&lx, 0);
    int line = lx.line, col = lx.col;
    if (!is_word_start(peek(&lx)))
        return fail_char(&lx, "expected key=value");
    size_t start = lx.pos;
    while (is_word(peek(&lx)))
        advance(&lx);
    size_t klen = lx.pos - start;
    if (klen > SKIFF_CFG_MAX_KEY_LEN)
        return fail(&lx, line, col, "key too long (at most 64 characters)");
    skip_blank(&lx, 0);
    if (peek(&lx) != '=')
        return fail_char(&lx, "expected '=' after the key");
    advance(&lx);
    while (is_space(peek(&lx)))
        advance(&lx);

    struct skiff_cfg_value v = { .line = lx.line, .col = lx.col };
    int c = peek(&lx), rc;
    if (c == '"' || c == '\'' || c == '[') {
        if ((rc = parse_value(&lx, &v, 0)) < 0) {
            if (rc == -ENOMEM)
                cfg_error(err, file, 0, 0, "out of memory");
            return rc;
        }
        while (is_space(peek(&lx)))
            advance(&lx);
        if (peek(&lx) >= 0) {
            cfg_value_clear(&v);
            return fail_char(&lx, "expected nothing after the value");
        }
    } else {
        size_t n = len - lx.pos;
        while (n > 0 && is_space((unsigned char)assignment[lx.pos + n - 1]))
            n--;
        if ((rc = bare_value(assignment + lx.pos, n, &v)) < 0) {
            cfg_error(err, file, 0, 0, "out of memory");
            return rc;
        }
    }
    rc = cfg_assign(cfg, assignment + start, klen, file, line, col, &v);
    if (rc < 0) {
        cfg_value_clear(&v);
        if (rc == -E2BIG) {
            cfg_error(err, file, line, col, "too many keys (at most %d)", SKIFF_CFG_MAX_KEYS);
            return -EINVAL;
        }
        cfg_error(err, file, 0, 0, "out of memory");
    }
    return rc;
}
