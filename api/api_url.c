#include "api_url.h"

#include <stdlib.h>
#include <string.h>

#include "am_error.h"

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int api_pct_decode(const char *src, size_t len, int plus_is_space, char *dst,
                   size_t *dst_len)
{
    size_t i = 0, o = 0;

    while (i < len) {
        char c = src[i];

        if (c == '%') {
            int hi, lo;

            if (len - i < 3)
                return AM_ERR_MALFORMED;
            hi = hex_val(src[i + 1]);
            lo = hex_val(src[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return AM_ERR_MALFORMED;
            dst[o++] = (char)(hi << 4 | lo);
            i += 3;
            continue;
        }
        if (c == '\0')
            return AM_ERR_MALFORMED;
        dst[o++] = (plus_is_space && c == '+') ? ' ' : c;
        i++;
    }
    dst[o] = '\0';
    if (dst_len != NULL)
        *dst_len = o;
    return AM_OK;
}

/* Decode one "key=value" piece into mem at *pos. */
static int query_piece(api_query *q, const char *p, size_t len, size_t *pos,
                       api_err *err)
{
    const char *eq = memchr(p, '=', len);
    size_t klen = eq ? (size_t)(eq - p) : len;
    size_t vlen = eq ? len - klen - 1 : 0;
    char *key = q->mem + *pos, *val;
    size_t out;

    if (q->n == API_QUERY_MAX)
        return api_fail(err, API_BAD_REQUEST,
                        "too many query parameters (at most %d)",
                        API_QUERY_MAX);
    if (api_pct_decode(p, klen, 1, key, &out) != AM_OK)
        return api_fail(err, API_BAD_REQUEST,
                        "invalid percent-encoding in the query string");
    if (out == 0)
        return api_fail(err, API_BAD_REQUEST,
                        "a query parameter has an empty name");
    val = key + out + 1;
    if (api_pct_decode(eq ? eq + 1 : "", vlen, 1, val, &out) != AM_OK)
        return api_fail(err, API_BAD_REQUEST,
                        "invalid percent-encoding in the query string");
    q->key[q->n] = key;
    q->val[q->n] = val;
    q->n++;
    *pos = (size_t)(val - q->mem) + out + 1;
    return 0;
}

int api_query_parse(const char *raw, api_query *q, api_err *err)
{
    size_t len, pos = 0;
    const char *p, *end;

    memset(q, 0, sizeof *q);
    if (raw == NULL || raw[0] == '\0')
        return 0;
    len = strlen(raw);
    /* Decoded text never grows; +2 per piece for the two NULs. */
    q->mem = malloc(len + 2 * (API_QUERY_MAX + 1));
    if (q->mem == NULL)
        return api_fail(err, API_INTERNAL, "out of memory");
    p = raw;
    end = raw + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t plen = amp ? (size_t)(amp - p) : (size_t)(end - p);

        if (plen > 0 && query_piece(q, p, plen, &pos, err) != 0)
            return -1;
        p += plen + 1;
    }
    return 0;
}

void api_query_free(api_query *q)
{
    free(q->mem);
    memset(q, 0, sizeof *q);
}

const char *api_query_get(const api_query *q, const char *key)
{
    size_t i;

    for (i = 0; i < q->n; i++)
        if (strcmp(q->key[i], key) == 0)
            return q->val[i];
    return NULL;
}

int api_name_listed(const char *name, const char *const *list)
{
    for (; list != NULL && *list != NULL; list++)
        if (strcmp(name, *list) == 0)
            return 1;
    return 0;
}

int api_query_check(const api_query *q, const char *const *allowed,
                    api_err *err)
{
    size_t i, j;

    for (i = 0; i < q->n; i++) {
        if (!api_name_listed(q->key[i], allowed))
            return api_fail(err, API_BAD_REQUEST,
                            "unknown query parameter '%s'", q->key[i]);
        for (j = 0; j < i; j++)
            if (strcmp(q->key[i], q->key[j]) == 0)
                return api_fail(err, API_BAD_REQUEST,
                                "query parameter '%s' is given twice",
                                q->key[i]);
    }
    return 0;
}
