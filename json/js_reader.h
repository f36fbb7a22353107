/*
 * js_reader.h - a fast reader for a large JSON array of small values.
 *
 * peers.json holds one object per peer: 100 000 peers are some 26 MB and
 * 1.5 million JSON values.  jansson builds all of them (a hash table per
 * object) before the first entry can be read, which takes seconds.  This
 * reader parses one element at a time into a small arena that the next
 * element reuses: no value is allocated on its own, and the memory in use
 * stays small and hot.  Numbers keep their text, so every integer is read
 * exactly (u64 included) with the rules of st_jload.h.
 *
 * The same parser reads request bodies whole (js_parse): a select's
 * body of some thirty bytes cost more through jansson (a hash table per
 * object, an allocation per value) than the selection.
 *
 * JSON is read as jansson reads it (RFC 8259: UTF-8 checked, no control
 * characters in strings, \u escapes with surrogate pairs, nesting at most
 * JS_MAX_DEPTH); duplicate keys of an object: the last one counts,
 * unless the document is read strictly.
 * Errors are sentences with the line and column, like st_jload's.
 *
 * No locks: a reader belongs to one thread.
 */
#ifndef JS_READER_H
#define JS_READER_H

#include <stddef.h>
#include <stdint.h>

#define JS_MAX_DEPTH 512

typedef enum js_type {
    JS_NULL = 0,
    JS_FALSE,
    JS_TRUE,
    JS_NUM,
    JS_STR,
    JS_ARR,
    JS_OBJ
} js_type;

/* One value.  Members of arrays and objects are a list: child, next. */
typedef struct js_val {
    js_type type;
    size_t len;                 /* STR: bytes; NUM: token length */
    const char *text;           /* STR: the bytes, NUL-terminated; NUM: the
                                 * token (not terminated) */
    unsigned char nul;          /* STR: holds a NUL byte (\u0000) */
    const char *key;            /* a member of an object: its key */
    const struct js_val *child; /* ARR, OBJ: the first member */
    const struct js_val *next;  /* the next member of the same parent */
} js_val;

typedef struct js_reader js_reader;

/*
 * Start reading text[0..len) (which must outlive the reader) as an array.
 * AM_OK; AM_ERR_MALFORMED with why when the text is not JSON;
 * AM_ERR_INVAL when it is JSON but not an array; AM_ERR_NOMEM.
 */
int js_open(const char *text, size_t len, js_reader **out,
                char *why, size_t why_len);
/*
 * The next element: 1 with *v (valid until the next call), 0 after the
 * last one (the rest of the text is checked), or AM_ERR_MALFORMED with why,
 * AM_ERR_NOMEM.
 */
int js_next(js_reader *r, const js_val **v, char *why,
                size_t why_len);
void js_close(js_reader *r);

/*
 * A whole document of any type (a request body), read with the same rules:
 * AM_OK with *root, valid until js_close(*out); AM_ERR_MALFORMED with
 * why; AM_ERR_NOMEM.  With JS_STRICT, a key repeated within an object
 * and a string or key holding a NUL byte (\u0000) make it malformed.
 */
#define JS_STRICT 1u
int js_parse(const char *text, size_t len, unsigned flags,
                 js_reader **out, const js_val **root, char *why,
                 size_t why_len);

/* Member `key` of an object (the last when repeated), NULL when absent or
 * when obj is not an object. */
const js_val *js_get(const js_val *obj, const char *key);
/* Elements of an array, distinct keys of an object, else 0. */
size_t js_size(const js_val *v);
/* Element i of an array, or NULL. */
const js_val *js_at(const js_val *arr, size_t i);
/* As st_jnum_u64: AM_OK, AM_ERR_MALFORMED (not an integer), AM_ERR_RANGE. */
int js_u64(const js_val *v, uint64_t min, uint64_t max, uint64_t *out);
/* The same for a signed integer. */
int js_i64(const js_val *v, int64_t min, int64_t max, int64_t *out);
/* The text of a string without NUL bytes, else NULL. */
const char *js_str(const js_val *v);

#endif
