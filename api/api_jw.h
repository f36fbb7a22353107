/*
 * api_jw.h - a streaming JSON writer.
 *
 * The API writes its responses with this rather than with jansson because
 * service flags are unsigned 64-bit and jansson integers are signed: a u64
 * above INT64_MAX must come out as its exact decimal text.  The writer
 * places commas and colons itself: callers say begin/key/value/end.
 * Strings are escaped and any byte sequence that is not valid UTF-8 is
 * written as U+FFFD, so text quoted from a request (an invalid address in
 * an error message) always gives valid JSON.  Errors are sticky like
 * api_buf's: check once with api_jw_take().
 */
#ifndef API_JW_H
#define API_JW_H

#include <stddef.h>
#include <stdint.h>

#include "api_buf.h"

#define API_JW_MAX_DEPTH 31

typedef struct api_jw {
    api_buf buf;
    unsigned depth;        /* open containers */
    uint32_t has_items;    /* bit d: the container at depth d has a value */
    int after_key;         /* a key was written, its value comes next */
} api_jw;

void api_jw_init(api_jw *w);
void api_jw_free(api_jw *w);

void api_jw_object(api_jw *w);
void api_jw_object_end(api_jw *w);
void api_jw_array(api_jw *w);
void api_jw_array_end(api_jw *w);
void api_jw_key(api_jw *w, const char *key);

void api_jw_str(api_jw *w, const char *s);
void api_jw_strn(api_jw *w, const char *s, size_t n);
void api_jw_u64(api_jw *w, uint64_t v);
void api_jw_i64(api_jw *w, int64_t v);
void api_jw_bool(api_jw *w, int v);
void api_jw_null(api_jw *w);
/* A value that is already JSON text (e.g. an array built by another writer). */
void api_jw_raw(api_jw *w, const char *json, size_t n);

/* key + value in one call, for the many object members. */
void api_jw_kstr(api_jw *w, const char *key, const char *s);
void api_jw_ku64(api_jw *w, const char *key, uint64_t v);
void api_jw_ki64(api_jw *w, const char *key, int64_t v);
void api_jw_kbool(api_jw *w, const char *key, int v);

/* The decimal text of v written at p, without a NUL: at most 20 bytes
 * (21 with the sign of an i64).  Returns the end.  For writers that build
 * a whole member list in a stack buffer and add it with api_jw_raw(). */
char *api_jw_fmt_u64(char *p, uint64_t v);
char *api_jw_fmt_i64(char *p, int64_t v);

/* The finished text (see api_buf_take); AM_ERR_NOMEM on failure. */
int api_jw_take(api_jw *w, char **out, size_t *len);

#endif
