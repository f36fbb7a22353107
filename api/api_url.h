/*
 * api_url.h - percent-decoding of request paths and query strings.
 *
 * The transport hands the API the raw request target, so the API alone
 * decides what an escape means: "%HH" with two hex digits (either case) is
 * the byte 0xHH; a '%' not followed by two hex digits is invalid, and so is
 * "%00" (no C string may carry a NUL).  In query strings '+' is a space
 * (application/x-www-form-urlencoded); in paths it is itself.
 */
#ifndef API_URL_H
#define API_URL_H

#include <stddef.h>

#include "api_err.h"

#define API_QUERY_MAX 16        /* parameters in one query string */

/*
 * Decode src[0..len) into dst, which has room for len + 1 bytes (decoding
 * never lengthens).  dst is NUL-terminated; *dst_len (optional) gets its
 * length.  AM_OK, or AM_ERR_MALFORMED for an invalid escape.
 */
int api_pct_decode(const char *src, size_t len, int plus_is_space, char *dst,
                   size_t *dst_len);

/* A decoded query string: key[i]=val[i] in order of appearance. */
typedef struct api_query {
    size_t n;
    const char *key[API_QUERY_MAX];
    const char *val[API_QUERY_MAX];   /* "" for a key without '=' */
    char *mem;                         /* owns the decoded text */
} api_query;

/*
 * Parse a raw query string (without the '?'; NULL or "" is empty).  Empty
 * pieces ("a=1&&b=2") are skipped.  400 bad_request for an invalid escape,
 * an empty key or more than API_QUERY_MAX parameters.  0 or -1 with err.
 * Always release with api_query_free().
 */
int api_query_parse(const char *raw, api_query *q, api_err *err);
void api_query_free(api_query *q);

/* The value of `key`, or NULL when absent. */
const char *api_query_get(const api_query *q, const char *key);

/* 1 when `name` is one of `list` (NULL-terminated; NULL holds none). */
int api_name_listed(const char *name, const char *const *list);

/*
 * Reject (400 bad_request) a parameter whose key is not in `allowed`
 * (NULL-terminated; NULL allows none) or that appears twice.  0 or -1.
 */
int api_query_check(const api_query *q, const char *const *allowed,
                    api_err *err);

#endif
