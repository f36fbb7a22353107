/*
 * api_jfast.h - a fast reader for a large JSON array of small values.
 *
 * peers.json holds one object per peer: 100 000 peers are some 26 MB and
 * 1.5 million JSON values.  jansson builds all of them (a hash table per
 * object) before the first entry can be read, which takes seconds.  This
 * reader parses one element at a time into a small arena that the next
 * element reuses: no value is allocated on its own, and the memory in use
 * stays small and hot.  Numbers keep their text, so every integer is read
 * exactly (u64 included) with the rules of api_jload.h.
 *
 * The same parser reads request bodies whole (api_jf_parse): a select's
 * body of some thirty bytes cost more through jansson (a hash table per
 * object, an allocation per value) than the selection.
 *
 * JSON is read as jansson reads it (RFC 8259: UTF-8 checked, no control
 * characters in strings, \u escapes with surrogate pairs, nesting at most
 * API_JF_MAX_DEPTH); duplicate keys of an object: the last one counts,
 * unless the document is read strictly.
 * Errors are sentences with the line and column, like api_jload's.
 *
 * No locks: a reader belongs to one thread.
 */
#ifndef API_JFAST_H
#define API_JFAST_H

#include <stddef.h>
#include <stdint.h>

#define API_JF_MAX_DEPTH 512

typedef enum api_jf_type {
    API_JF_NULL = 0,
    API_JF_FALSE,
    API_JF_TRUE,
    API_JF_NUM,
    API_JF_STR,
    API_JF_ARR,
    API_JF_OBJ
} api_jf_type;

/* One value.  Members of arrays and objects are a list: child, next. */
typedef struct api_jf {
    api_jf_type type;
    size_t len;                 /* STR: bytes; NUM: token length */
    const char *text;           /* STR: the bytes, NUL-terminated; NUM: the
                                 * token (not terminated) */
    unsigned char nul;          /* STR: holds a NUL byte (\u0000) */
    const char *key;            /* a member of an object: its key */
    const struct api_jf *child; /* ARR, OBJ: the first member */
    const struct api_jf *next;  /* the next member of the same parent */
} api_jf;

typedef struct api_jf_reader api_jf_reader;

/*
 * Start reading text[0..len) (which must outlive the reader) as an array.
 * AM_OK; AM_ERR_MALFORMED with why when the text is not JSON;
 * AM_ERR_INVAL when it is JSON but not an array; AM_ERR_NOMEM.
 */
int api_jf_open(const char *text, size_t len, api_jf_reader **out,
                char *why, size_t why_len);
/*
 * The next element: 1 with *v (valid until the next call), 0 after the
 * last one (the rest of the text is checked), or AM_ERR_MALFORMED with why,
 * AM_ERR_NOMEM.
 */
int api_jf_next(api_jf_reader *r, const api_jf **v, char *why,
                size_t why_len);
void api_jf_close(api_jf_reader *r);

/*
 * A whole document of any type (a request body), read with the same rules:
 * AM_OK with *root, valid until api_jf_close(*out); AM_ERR_MALFORMED with
 * why; AM_ERR_NOMEM.  With API_JF_STRICT, a key repeated within an object
 * and a string or key holding a NUL byte (\u0000) make it malformed.
 */
#define API_JF_STRICT 1u
int api_jf_parse(const char *text, size_t len, unsigned flags,
                 api_jf_reader **out, const api_jf **root, char *why,
                 size_t why_len);

/* Member `key` of an object (the last when repeated), NULL when absent or
 * when obj is not an object. */
const api_jf *api_jf_get(const api_jf *obj, const char *key);
/* Elements of an array, distinct keys of an object, else 0. */
size_t api_jf_size(const api_jf *v);
/* Element i of an array, or NULL. */
const api_jf *api_jf_at(const api_jf *arr, size_t i);
/* As api_jnum_u64: AM_OK, AM_ERR_MALFORMED (not an integer), AM_ERR_RANGE. */
int api_jf_u64(const api_jf *v, uint64_t min, uint64_t max, uint64_t *out);
/* The same for a signed integer. */
int api_jf_i64(const api_jf *v, int64_t min, int64_t max, int64_t *out);
/* The text of a string without NUL bytes, else NULL. */
const char *api_jf_str(const api_jf *v);

#endif
