/*
 * am_parse.c - the one decimal parser (am_parse.h).
 */
#include "am_parse.h"

#include <string.h>

#include "am_error.h"

int am_parse_u64(const char *text, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    int over = 0;

    if (len == 0)
        return AM_ERR_MALFORMED;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return AM_ERR_MALFORMED;
        /* Keep scanning after an overflow: "99999999999999999999x" is
         * malformed, not out of range. */
        unsigned d = (unsigned)(text[i] - '0');
        if (over || v > (UINT64_MAX - d) / 10)
            over = 1;
        else
            v = v * 10 + d;
    }
    if (over || v > max)
        return AM_ERR_RANGE;
    *out = v;
    return AM_OK;
}

int am_parse_u64_str(const char *s, uint64_t max, uint64_t *out)
{
    return am_parse_u64(s, strlen(s), max, out);
}
