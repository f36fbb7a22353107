/*
 * js_writer.h - a streaming JSON writer.
 *
 * The API writes its responses with this rather than with jansson because
 * service flags are unsigned 64-bit and jansson integers are signed: a u64
 * above INT64_MAX must come out as its exact decimal text.  The writer
 * places commas and colons itself: callers say begin/key/value/end.
 * Strings are escaped and any byte sequence that is not valid UTF-8 is
 * written as U+FFFD, so text quoted from a request (an invalid address in
 * an error message) always gives valid JSON.  Errors are sticky like
 * js_buf's: check once with js_w_take().
 */
#ifndef JS_WRITER_H
#define JS_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "js_buf.h"

#define JS_W_MAX_DEPTH 31

typedef struct js_w {
    js_buf buf;
    unsigned depth;        /* open containers */
    uint32_t has_items;    /* bit d: the container at depth d has a value */
    int after_key;         /* a key was written, its value comes next */
} js_w;

void js_w_init(js_w *w);
void js_w_free(js_w *w);

void js_w_object(js_w *w);
void js_w_object_end(js_w *w);
void js_w_array(js_w *w);
void js_w_array_end(js_w *w);
void js_w_key(js_w *w, const char *key);

void js_w_str(js_w *w, const char *s);
void js_w_strn(js_w *w, const char *s, size_t n);
void js_w_u64(js_w *w, uint64_t v);
void js_w_i64(js_w *w, int64_t v);
void js_w_bool(js_w *w, int v);
void js_w_null(js_w *w);
/* A value that is already JSON text (e.g. an array built by another writer). */
void js_w_raw(js_w *w, const char *json, size_t n);

/* key + value in one call, for the many object members. */
void js_w_kstr(js_w *w, const char *key, const char *s);
void js_w_ku64(js_w *w, const char *key, uint64_t v);
void js_w_ki64(js_w *w, const char *key, int64_t v);
void js_w_kbool(js_w *w, const char *key, int v);

/* The decimal text of v written at p, without a NUL: at most 20 bytes
 * (21 with the sign of an i64).  Returns the end.  For writers that build
 * a whole member list in a stack buffer and add it with js_w_raw(). */
char *js_w_fmt_u64(char *p, uint64_t v);
char *js_w_fmt_i64(char *p, int64_t v);

/* The finished text (see js_buf_take); AM_ERR_NOMEM on failure. */
int js_w_take(js_w *w, char **out, size_t *len);

#endif
