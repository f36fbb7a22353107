/*
 * st_ignore.c - reasons for ignored entries (see st_ignore.h).
 */
#include "st_ignore.h"

#include <stdio.h>

#include "am_error.h"

const char *st_ignore_name(st_ignore why)
{
    switch (why) {
    case ST_IGN_UNROUTABLE:      return "unroutable";
    case ST_IGN_BANNED:          return "banned";
    case ST_IGN_TABLE_FULL:      return "table_full";
    case ST_IGN_GROUP_CAP:       return "group_cap";
    case ST_IGN_TOR_V2:          return "tor_v2";
    case ST_IGN_UNKNOWN_NETWORK: return "unknown_network";
    case ST_IGN_BANNED_ENTRY:    return "banned_entry";
    case ST_IGN_DUPLICATE:       return "duplicate";
    }
    return "unknown";
}

int st_ignore_of(int am_rc, st_ignore *why)
{
    switch ((am_err)am_rc) {
    case AM_ERR_UNROUTABLE:  *why = ST_IGN_UNROUTABLE;      return 1;
    case AM_ERR_BANNED:      *why = ST_IGN_BANNED;          return 1;
    case AM_ERR_REJECTED:    *why = ST_IGN_TABLE_FULL;      return 1;
    case AM_ERR_GROUP_CAP:   *why = ST_IGN_GROUP_CAP;       return 1;
    case AM_ERR_TORV2:       *why = ST_IGN_TOR_V2;          return 1;
    case AM_ERR_UNKNOWN_NET: *why = ST_IGN_UNKNOWN_NETWORK; return 1;
    case AM_ERR_EXISTS:      *why = ST_IGN_DUPLICATE;       return 1;
    case AM_OK:
    case AM_ERR_INVAL:
    case AM_ERR_NOMEM:
    case AM_ERR_ADDR:
    case AM_ERR_NOTFOUND:
    case AM_ERR_TRUNCATED:
    case AM_ERR_MALFORMED:
    case AM_ERR_TOOMANY:
    case AM_ERR_RANGE:
    case AM_ERR_IO:
    case AM_ERR_FULL:
    case AM_ERR_INTERNAL:
        break;
    }
    return 0;
}

void st_ignore_count(size_t *total, size_t by[ST_IGN_COUNT], st_ignore why)
{
    (*total)++;
    by[why]++;
}

void st_ignored_write(js_w *w, size_t total, const size_t by[ST_IGN_COUNT])
{
    js_w_ku64(w, "ignored", total);
    js_w_key(w, "ignored_by");
    js_w_object(w);
    for (int i = 0; i < ST_IGN_COUNT; i++)
        if (by[i] > 0)
            js_w_ku64(w, st_ignore_name((st_ignore)i), by[i]);
    js_w_object_end(w);
}

void st_ignored_text(const size_t by[ST_IGN_COUNT], char *buf, size_t len)
{
    size_t used = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    for (int i = 0; i < ST_IGN_COUNT && used < len; i++) {
        if (by[i] == 0)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s %zu",
                         used > 0 ? ", " : "",
                         st_ignore_name((st_ignore)i), by[i]);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}
