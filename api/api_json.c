#include "api_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "am_error.h"
#include "am_parse.h"
#include "api_url.h"

int api_json_parse(const void *body, size_t len, js_reader **doc,
                   const js_val **root, api_err *err)
{
    static const js_val empty = {.type = JS_OBJ};
    char why[160];
    int rc;

    *doc = NULL;
    *root = NULL;
    if (len == 0) {
        *root = &empty;
        return 0;
    }
    rc = js_parse(body, len, JS_STRICT, doc, root, why, sizeof why);
    if (rc == AM_ERR_NOMEM)
        return api_fail(err, API_INTERNAL, "out of memory");
    if (rc != AM_OK)
        return api_fail(err, API_BAD_JSON, "the body is %s", why);
    if ((*root)->type != JS_OBJ) {
        api_json_free(*doc);
        *doc = NULL;
        *root = NULL;
        return api_fail(err, API_BAD_REQUEST, "the body must be a JSON object");
    }
    return 0;
}

void api_json_free(js_reader *doc)
{
    js_close(doc);
}

int api_json_u64(const js_val *v, const char *name, uint64_t min,
                 uint64_t max, uint64_t *out, api_err *err)
{
    if (js_u64(v, min, max, out) != AM_OK)
        return api_fail(err, API_BAD_REQUEST,
                        "%s must be an integer from %" PRIu64 " to %" PRIu64,
                        name, min, max);
    return 1;
}

int api_json_i64(const js_val *v, const char *name, int64_t min, int64_t max,
                 int64_t *out, api_err *err)
{
    if (js_i64(v, min, max, out) != AM_OK)
        return api_fail(err, API_BAD_REQUEST,
                        "%s must be an integer from %" PRId64 " to %" PRId64,
                        name, min, max);
    return 1;
}

int api_json_str(const js_val *v, const char *name, size_t max_len,
                 const char **out, api_err *err)
{
    const char *s = js_str(v);

    if (s == NULL)
        return api_fail(err, API_BAD_REQUEST, "%s must be a string", name);
    if (v->len > max_len)
        return api_fail(err, API_BAD_REQUEST,
                        "%s must be at most %zu bytes long", name, max_len);
    *out = s;
    return 1;
}

/* The member `key`, or NULL when absent or null. */
static const js_val *member(const js_val *obj, const char *key)
{
    const js_val *v = js_get(obj, key);

    return v != NULL && v->type == JS_NULL ? NULL : v;
}

/* "a, b, c" (what a route accepts), cut short when it does not fit. */
static void list_names(const char *const *names, char *out, size_t len)
{
    size_t used = 0;

    out[0] = '\0';
    for (; names != NULL && *names != NULL && used < len; names++) {
        int n = snprintf(out + used, len - used, "%s%s", used ? ", " : "",
                         *names);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

int api_json_only(const js_val *obj, const char *const *allowed,
                  const char *where, api_err *err)
{
    char known[160];

    for (const js_val *m = obj->child; m != NULL; m = m->next) {
        if (api_name_listed(m->key, allowed))
            continue;
        list_names(allowed, known, sizeof known);
        return api_fail(err, API_BAD_REQUEST, "unknown key '%s'%s%s (%s%s)",
                        m->key, where ? " in " : "", where ? where : "",
                        known[0] ? "known: " : "no key is taken here",
                        known);
    }
    return 0;
}

int api_json_get_u64(const js_val *obj, const char *key, uint64_t min,
                     uint64_t max, uint64_t *out, api_err *err)
{
    const js_val *v = member(obj, key);

    return v ? api_json_u64(v, key, min, max, out, err) : 0;
}

int api_json_get_i64(const js_val *obj, const char *key, int64_t min,
                     int64_t max, int64_t *out, api_err *err)
{
    const js_val *v = member(obj, key);

    return v ? api_json_i64(v, key, min, max, out, err) : 0;
}

int api_json_get_bool(const js_val *obj, const char *key, int *out,
                      api_err *err)
{
    const js_val *v = member(obj, key);

    if (v == NULL)
        return 0;
    if (v->type != JS_TRUE && v->type != JS_FALSE)
        return api_fail(err, API_BAD_REQUEST, "%s must be true or false", key);
    *out = v->type == JS_TRUE;
    return 1;
}

int api_json_get_str(const js_val *obj, const char *key, size_t max_len,
                     const char **out, api_err *err)
{
    const js_val *v = member(obj, key);

    return v ? api_json_str(v, key, max_len, out, err) : 0;
}

int api_json_get_array(const js_val *obj, const char *key,
                       const js_val **out, api_err *err)
{
    const js_val *v = member(obj, key);

    if (v == NULL)
        return 0;
    if (v->type != JS_ARR)
        return api_fail(err, API_BAD_REQUEST, "%s must be an array", key);
    *out = v;
    return 1;
}

int api_parse_u64(const char *text, const char *name, uint64_t min,
                  uint64_t max, uint64_t *out, api_err *err)
{
    uint64_t v;

    if (am_parse_u64_str(text, max, &v) != AM_OK || v < min)
        return api_fail(err, API_BAD_REQUEST,
                        "%s must be an integer from %" PRIu64 " to %" PRIu64,
                        name, min, max);
    *out = v;
    return 0;
}
