/*
 * st_jload.c - JSON documents with exact integers (see st_jload.h).
 */
#include "st_jload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_error.h"
#include "js_buf.h"

#define MARK '\0'

/* Length of the string token at s[0] == '"' (quotes included), or 0 when
 * it does not end: jansson will report the error. */
static size_t string_len(const char *s, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return 0;
}

static size_t digits(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/*
 * A JSON number token at s: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
 * Returns its length (0 when the grammar does not match) and whether it is
 * a plain integer.
 */
static size_t number_len(const char *s, size_t n, int *integer)
{
    size_t i = 0, j;

    *integer = 1;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if ((j = digits(s, n, i)) > i)
        i = j;
    else
        return 0;
    if (i < n && s[i] == '.') {
        if ((j = digits(s, n, i + 1)) == i + 1)
            return 0;
        i = j;
        *integer = 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if ((j = digits(s, n, i)) == i)
            return 0;
        i = j;
        *integer = 0;
    }
    return i;
}

/* Does an integer token fit int64 (what jansson keeps exactly)? */
static int fits_int64(const char *s, size_t len)
{
    static const char max[] = "9223372036854775807";
    static const char min[] = "9223372036854775808";
    int neg = s[0] == '-';
    const char *lim = neg ? min : max;
    size_t nd = len - (size_t)neg;

    if (nd != sizeof max - 1)
        return nd < sizeof max - 1;
    return memcmp(s + neg, lim, nd) <= 0;
}

/* Copy text to *out with the numbers jansson cannot keep marked; *out is
 * NULL when nothing needed marking. */
static int mark_numbers(const char *text, size_t len, js_buf *out)
{
    size_t i = 0, copied = 0;
    int marked = 0;

    js_buf_init(out);
    while (i < len) {
        char c = text[i];
        size_t tl;
        int integer;

        if (c == '"') {
            tl = string_len(text + i, len - i);
            i = tl ? i + tl : len;
            continue;
        }
        if (c != '-' && (c < '0' || c > '9')) {
            i++;
            continue;
        }
        tl = number_len(text + i, len - i, &integer);
        if (tl == 0 || (integer && fits_int64(text + i, tl))) {
            i += tl ? tl : 1;
            continue;
        }
        js_buf_put(out, text + copied, i - copied);
        js_buf_puts(out, "\"\\u0000");
        js_buf_put(out, text + i, tl);
        js_buf_putc(out, '"');
        i += tl;
        copied = i;
        marked = 1;
    }
    if (!marked)
        return AM_OK;
    js_buf_put(out, text + copied, len - copied);
    return out->failed ? AM_ERR_NOMEM : AM_OK;
}

int st_jload(const char *text, size_t len, json_t **out, char *why,
              size_t why_len)
{
    js_buf marked;
    json_error_t jerr;
    int rc;

    *out = NULL;
    rc = mark_numbers(text, len, &marked);
    if (rc != AM_OK) {
        js_buf_free(&marked);
        snprintf(why, why_len, "out of memory");
        return rc;
    }
    if (marked.data != NULL)
        *out = json_loadb(marked.data, marked.len,
                          JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    else
        *out = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    js_buf_free(&marked);
    if (*out == NULL) {
        snprintf(why, why_len, "not JSON: %s (line %d, column %d)", jerr.text,
                 jerr.line, jerr.column);
        return AM_ERR_MALFORMED;
    }
    return AM_OK;
}

/* The token text of a marked number, or NULL. */
static const char *marked_text(const json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) < 2)
        return NULL;
    const char *s = json_string_value(v);
    return s[0] == MARK ? s + 1 : NULL;
}

/* Decimal digits (nothing else) as u64: AM_OK, AM_ERR_RANGE on overflow,
 * AM_ERR_MALFORMED when a non-digit appears (a fraction or exponent). */
static int parse_digits(const char *s, uint64_t *out)
{
    uint64_t v = 0;

    if (*s == '\0')
        return AM_ERR_MALFORMED;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return AM_ERR_MALFORMED;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return AM_ERR_RANGE;
        v = v * 10 + d;
    }
    *out = v;
    return AM_OK;
}

int st_jnum_u64(const json_t *v, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t x;
    const char *t;

    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0)
            return AM_ERR_RANGE;
        x = (uint64_t)i;
    } else if ((t = marked_text(v)) != NULL) {
        int neg = t[0] == '-';
        int rc = parse_digits(t + neg, &x);
        if (rc != AM_OK)
            return rc;      /* a fraction is the wrong type, a big one range */
        if (neg)
            return AM_ERR_RANGE;
    } else {
        return AM_ERR_MALFORMED;
    }
    if (x < min || x > max)
        return AM_ERR_RANGE;
    *out = x;
    return AM_OK;
}

int st_jnum_i64(const json_t *v, int64_t min, int64_t max, int64_t *out)
{
    const char *t;
    uint64_t dummy;

    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < min || i > max)
            return AM_ERR_RANGE;
        *out = (int64_t)i;
        return AM_OK;
    }
    if ((t = marked_text(v)) == NULL)
        return AM_ERR_MALFORMED;
    /* A marked integer is outside int64 by construction. */
    int rc = parse_digits(t + (t[0] == '-'), &dummy);
    return rc == AM_ERR_MALFORMED ? rc : AM_ERR_RANGE;
}

const char *st_jstr(const json_t *v)
{
    if (!json_is_string(v) || marked_text(v) != NULL)
        return NULL;
    const char *s = json_string_value(v);
    /* A real string holding NUL bytes is no text we can use. */
    return strlen(s) == json_string_length(v) ? s : NULL;
}
