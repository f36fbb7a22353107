/*
 * js_reader.h - a strict JSON reader with exact integers.
 *
 * Two ways in.  js_open/js_next read a large array one element at a time
 * into a small arena that the next element reuses: no value is allocated
 * on its own, and the memory in use stays small and hot however long the
 * array.  js_parse reads a whole document of any type into the same kind
 * of arena: a small document costs one allocation, not one per value and
 * a hash table per object.
 *
 * Numbers keep their text, so every integer is read exactly, unsigned
 * 64-bit included (js_u64, js_i64 with am_parse.h), where a general JSON
 * library keeps signed 64-bit integers or doubles and loses or refuses
 * larger ones.
 *
 * JSON is read per RFC 8259: UTF-8 checked, no control characters in
 * strings, \u escapes with surrogate pairs, nesting at most JS_MAX_DEPTH;
 * duplicate keys of an object: the last one counts, unless the document is
 * read strictly.  Errors are sentences "not JSON: ... (line L, column C)".
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
/*
 * An integer number (no fraction, no exponent; "-0" is 0): AM_OK with
 * *out; AM_ERR_MALFORMED when v is NULL, not a number or not an integer;
 * AM_ERR_RANGE outside [min, max] (a negative one included).  *out is
 * unchanged on error.
 */
int js_u64(const js_val *v, uint64_t min, uint64_t max, uint64_t *out);
/* The same for a signed integer. */
int js_i64(const js_val *v, int64_t min, int64_t max, int64_t *out);
/* The text of a string without NUL bytes, else NULL. */
const char *js_str(const js_val *v);

#endif
