/*
 * api_json.h - reading request bodies, and typed fields.
 *
 * A body is parsed by js_reader in strict mode into one small
 * arena: no value is allocated on its own, and numbers keep their text, so
 * every integer is read exactly -- `services` accepts
 * 0..18446744073709551615 as a plain JSON integer.  Duplicate keys and
 * strings holding a NUL byte ("\u0000", never valid in any field of the
 * API) are refused as bad_json.  The top level must be an object.
 *
 * Getters return 1 when the member is present and valid (*out set), 0 when
 * it is absent or null (*out untouched), -1 with err (400 bad_request,
 * naming the member) when it has the wrong type or is out of range.
 */
#ifndef API_JSON_H
#define API_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "api_err.h"
#include "js_reader.h"

/* A parsed body: *root is an object, valid until api_json_free(*doc).  An
 * empty body reads as {}.  0, or -1 with bad_json / bad_request. */
int api_json_parse(const void *body, size_t len, js_reader **doc,
                   const js_val **root, api_err *err);
void api_json_free(js_reader *doc);

/*
 * Refuse (400 bad_request) a member of obj whose key is not in `allowed`
 * (NULL-terminated; NULL allows none): a typo ("netwroks") must not widen
 * a request silently.  `where` (NULL at the top level) names the object in
 * the message ("peers[3]").  0 or -1.
 */
int api_json_only(const js_val *obj, const char *const *allowed,
                  const char *where, api_err *err);

/* Members of an object. */
int api_json_get_u64(const js_val *obj, const char *key, uint64_t min,
                     uint64_t max, uint64_t *out, api_err *err);
int api_json_get_i64(const js_val *obj, const char *key, int64_t min,
                     int64_t max, int64_t *out, api_err *err);
int api_json_get_bool(const js_val *obj, const char *key, int *out,
                      api_err *err);
/* A string at most max_len bytes long. */
int api_json_get_str(const js_val *obj, const char *key, size_t max_len,
                     const char **out, api_err *err);
/* An array (any elements): walk it with child / next. */
int api_json_get_array(const js_val *obj, const char *key,
                       const js_val **out, api_err *err);

/* A single value, `name` is used in messages ("peers[3].port"). */
int api_json_u64(const js_val *v, const char *name, uint64_t min,
                 uint64_t max, uint64_t *out, api_err *err);
int api_json_i64(const js_val *v, const char *name, int64_t min, int64_t max,
                 int64_t *out, api_err *err);
int api_json_str(const js_val *v, const char *name, size_t max_len,
                 const char **out, api_err *err);

/* Plain decimal text ("0".."18446744073709551615", no sign, no spaces)
 * within [min, max], as query parameters carry numbers.  0 or -1 with err. */
int api_parse_u64(const char *text, const char *name, uint64_t min,
                  uint64_t max, uint64_t *out, api_err *err);

#endif
