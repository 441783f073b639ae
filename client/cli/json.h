/*
 * A tiny streaming JSON writer for --json output: compact, one document
 * per line, strings always valid JSON (control characters escaped,
 * invalid UTF-8 replaced by U+FFFD), so any parser accepts the output.
 */
#ifndef SKIFF_CLI_JSON_H
#define SKIFF_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
    FILE *f;
    int depth;
    bool need_comma[JSON_MAX_DEPTH + 1];
    bool after_key;
};

void json_init(struct json *j, FILE *f);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
/* A string value; NULL writes null. */
void json_string(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
/* A number with that many decimals (null if not finite). */
void json_double(struct json *j, double v, int decimals);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Finish a top-level document: a newline, and flush (for streams). */
void json_end(struct json *j);

/* key + value shorthands for objects. */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_i64(struct json *j, const char *key, int64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

/* Write s (len bytes) as a quoted JSON string. */
void json_write_string(FILE *f, const char *s, size_t len);

#endif
