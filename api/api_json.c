#include "api_json.h"

#include <inttypes.h>
#include <string.h>

#include "api_buf.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Decimal digits (at least one, nothing else) to u64; -1 on overflow. */
static int parse_digits(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (*s == '\0')
        return -1;
    for (; *s != '\0'; s++) {
        if (!is_digit(*s))
            return -1;
        if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* Is the integer literal s[0..n) ('-'? digits) outside int64? */
static int literal_is_big(const char *s, size_t n)
{
    int neg = s[0] == '-';
    const char *limit = neg ? "9223372036854775808" : "9223372036854775807";
    size_t digits = n - (size_t)neg;

    if (digits != 19)
        return digits > 19;
    return memcmp(s + neg, limit, 19) > 0;
}

/* Skip the string starting at s[i] == '"'; returns the index after it, or
 * (size_t)-1 when it holds the escape \u0000. */
static size_t skip_string(const char *s, size_t n, size_t i)
{
    size_t j = i + 1;

    while (j < n) {
        if (s[j] == '\\') {
            if (j + 5 < n && s[j + 1] == 'u' && memcmp(s + j + 2, "0000", 4) == 0)
                return (size_t)-1;
            j += 2;
            continue;
        }
        if (s[j] == '"')
            return j + 1;
        j++;
    }
    return n;       /* unterminated: jansson will say so */
}

/* Skip a number token at s[i]; rewrite it into `out` when it is a valid
 * integer literal outside int64 (see the header). */
static size_t scan_number(const char *s, size_t n, size_t i, size_t *copied,
                          api_buf *out)
{
    size_t j = i, digits_at;

    if (s[j] == '-')
        j++;
    digits_at = j;
    while (j < n && is_digit(s[j]))
        j++;
    if (j > digits_at && (s[digits_at] != '0' || j - digits_at == 1) &&
        !(j < n && (s[j] == '.' || s[j] == 'e' || s[j] == 'E')) &&
        literal_is_big(s + i, j - i)) {
        api_buf_put(out, s + *copied, i - *copied);
        api_buf_put(out, "\"\\u0000", 7);
        api_buf_put(out, s + i, j - i);
        api_buf_putc(out, '"');
        *copied = j;
    }
    while (j < n && (is_digit(s[j]) || s[j] == '.' || s[j] == 'e' ||
                     s[j] == 'E' || s[j] == '+' || s[j] == '-'))
        j++;
    return j;
}

/* The pre-pass; out stays empty (data NULL) when nothing was rewritten. */
static int prescan(const char *s, size_t n, api_buf *out, api_err *err)
{
    size_t i = 0, copied = 0;

    while (i < n) {
        if (s[i] == '"') {
            i = skip_string(s, n, i);
            if (i == (size_t)-1)
                return api_fail(err, API_BAD_JSON,
                                "strings must not contain \\u0000");
        } else if (s[i] == '-' || is_digit(s[i])) {
            i = scan_number(s, n, i, &copied, out);
        } else {
            i++;
        }
    }
    if (copied > 0)
        api_buf_put(out, s + copied, n - copied);
    if (out->failed)
        return api_fail(err, API_INTERNAL, "out of memory");
    return 0;
}

int api_json_parse(const void *body, size_t len, json_t **out, api_err *err)
{
    const char *text = body;
    json_error_t jerr;
    api_buf big;
    json_t *root;

    *out = NULL;
    if (len == 0) {
        *out = json_object();
        return *out ? 0 : api_fail(err, API_INTERNAL, "out of memory");
    }
    api_buf_init(&big);
    if (prescan(text, len, &big, err) != 0) {
        api_buf_free(&big);
        return -1;
    }
    if (big.data != NULL) {
        text = big.data;
        len = big.len;
    }
    root = json_loadb(text, len,
                      JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                      &jerr);
    api_buf_free(&big);
    if (root == NULL)
        return api_fail(err, API_BAD_JSON, "invalid JSON at line %d, column %d: %s",
                        jerr.line, jerr.column, jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return api_fail(err, API_BAD_REQUEST, "the body must be a JSON object");
    }
    *out = root;
    return 0;
}

/* The digits of a big-integer mark, or NULL when v is not one. */
static const char *big_digits(const json_t *v)
{
    const char *s;

    if (!json_is_string(v) || json_string_length(v) < 2)
        return NULL;
    s = json_string_value(v);
    return s[0] == '\0' ? s + 1 : NULL;
}

int api_json_u64(const json_t *v, const char *name, uint64_t min,
                 uint64_t max, uint64_t *out, api_err *err)
{
    const char *digits = big_digits(v);
    uint64_t x;

    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0)
            goto range;
        x = (uint64_t)json_integer_value(v);
    } else if (digits != NULL) {
        if (parse_digits(digits, &x) != 0)
            goto range;
    } else {
        goto range;
    }
    if (x < min || x > max)
        goto range;
    *out = x;
    return 1;
range:
    return api_fail(err, API_BAD_REQUEST,
                    "%s must be an integer from %" PRIu64 " to %" PRIu64,
                    name, min, max);
}

int api_json_i64(const json_t *v, const char *name, int64_t min, int64_t max,
                 int64_t *out, api_err *err)
{
    int64_t x;

    if (!json_is_integer(v))
        goto range;
    x = (int64_t)json_integer_value(v);
    if (x < min || x > max)
        goto range;
    *out = x;
    return 1;
range:
    return api_fail(err, API_BAD_REQUEST,
                    "%s must be an integer from %" PRId64 " to %" PRId64,
                    name, min, max);
}

int api_json_str(const json_t *v, const char *name, size_t max_len,
                 const char **out, api_err *err)
{
    if (!json_is_string(v) || big_digits(v) != NULL)
        return api_fail(err, API_BAD_REQUEST, "%s must be a string", name);
    if (json_string_length(v) > max_len)
        return api_fail(err, API_BAD_REQUEST,
                        "%s must be at most %zu bytes long", name, max_len);
    *out = json_string_value(v);
    return 1;
}

/* The member `key`, or NULL when absent or null. */
static const json_t *member(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    return json_is_null(v) ? NULL : v;
}

int api_json_get_u64(const json_t *obj, const char *key, uint64_t min,
                     uint64_t max, uint64_t *out, api_err *err)
{
    const json_t *v = member(obj, key);

    return v ? api_json_u64(v, key, min, max, out, err) : 0;
}

int api_json_get_i64(const json_t *obj, const char *key, int64_t min,
                     int64_t max, int64_t *out, api_err *err)
{
    const json_t *v = member(obj, key);

    return v ? api_json_i64(v, key, min, max, out, err) : 0;
}

int api_json_get_bool(const json_t *obj, const char *key, int *out,
                      api_err *err)
{
    const json_t *v = member(obj, key);

    if (v == NULL)
        return 0;
    if (!json_is_boolean(v))
        return api_fail(err, API_BAD_REQUEST, "%s must be true or false", key);
    *out = json_is_true(v);
    return 1;
}

int api_json_get_str(const json_t *obj, const char *key, size_t max_len,
                     const char **out, api_err *err)
{
    const json_t *v = member(obj, key);

    return v ? api_json_str(v, key, max_len, out, err) : 0;
}

int api_json_get_array(const json_t *obj, const char *key, json_t **out,
                       api_err *err)
{
    json_t *v = json_object_get(obj, key);

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return api_fail(err, API_BAD_REQUEST, "%s must be an array", key);
    *out = v;
    return 1;
}

int api_parse_u64(const char *text, const char *name, uint64_t min,
                  uint64_t max, uint64_t *out, api_err *err)
{
    uint64_t v;

    if (parse_digits(text, &v) != 0 || v < min || v > max)
        return api_fail(err, API_BAD_REQUEST,
                        "%s must be an integer from %" PRIu64 " to %" PRIu64,
                        name, min, max);
    *out = v;
    return 0;
}
