/*
 * api_json.h - reading request bodies with jansson, and typed fields.
 *
 * Unsigned 64-bit integers: jansson keeps integers as signed 64-bit and
 * refuses larger ones, but service flags are u64.  api_json_parse() scans the
 * text first (a small tokenizer that knows strings and numbers) and turns
 * every integer literal outside the int64 range into a string holding a NUL
 * byte and then the literal's digits; jansson is run with JSON_ALLOW_NUL.
 * The getters below read such a "big integer" back exactly, so `services`
 * accepts 0..18446744073709551615 as a plain JSON integer.  The mark cannot
 * be forged: a client string containing "\u0000" is refused (bad_json), as a
 * NUL byte is never valid inside any field of the API.
 *
 * Duplicate keys are refused (bad_json).  The top level must be an object.
 *
 * Getters return 1 when the member is present and valid (*out set), 0 when
 * it is absent or null (*out untouched), -1 with err (400 bad_request,
 * naming the member) when it has the wrong type or is out of range.
 */
#ifndef API_JSON_H
#define API_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "api_err.h"

/* Parse a request body into an object.  0, or -1 with bad_json /
 * bad_request.  An empty body reads as {}. */
int api_json_parse(const void *body, size_t len, json_t **out, api_err *err);

/* Members of an object. */
int api_json_get_u64(const json_t *obj, const char *key, uint64_t min,
                     uint64_t max, uint64_t *out, api_err *err);
int api_json_get_i64(const json_t *obj, const char *key, int64_t min,
                     int64_t max, int64_t *out, api_err *err);
int api_json_get_bool(const json_t *obj, const char *key, int *out,
                      api_err *err);
/* A string without NUL bytes, at most max_len bytes. */
int api_json_get_str(const json_t *obj, const char *key, size_t max_len,
                     const char **out, api_err *err);
/* An array (any elements). */
int api_json_get_array(const json_t *obj, const char *key, json_t **out,
                       api_err *err);

/* A single value, `name` is used in messages ("peers[3].port"). */
int api_json_u64(const json_t *v, const char *name, uint64_t min,
                 uint64_t max, uint64_t *out, api_err *err);
int api_json_i64(const json_t *v, const char *name, int64_t min, int64_t max,
                 int64_t *out, api_err *err);
int api_json_str(const json_t *v, const char *name, size_t max_len,
                 const char **out, api_err *err);

/* Plain decimal text ("0".."18446744073709551615", no sign, no spaces)
 * within [min, max], as query parameters carry numbers.  0 or -1 with err. */
int api_parse_u64(const char *text, const char *name, uint64_t min,
                  uint64_t max, uint64_t *out, api_err *err);

#endif
