/*
 * api_ignore.c - reasons for ignored entries (see api_ignore.h).
 */
#include "api_ignore.h"

#include <stdio.h>

#include "am_error.h"

const char *api_ignore_name(api_ignore why)
{
    switch (why) {
    case API_IGN_UNROUTABLE:      return "unroutable";
    case API_IGN_BANNED:          return "banned";
    case API_IGN_TABLE_FULL:      return "table_full";
    case API_IGN_GROUP_CAP:       return "group_cap";
    case API_IGN_TOR_V2:          return "tor_v2";
    case API_IGN_UNKNOWN_NETWORK: return "unknown_network";
    case API_IGN_BANNED_ENTRY:    return "banned_entry";
    case API_IGN_DUPLICATE:       return "duplicate";
    }
    return "unknown";
}

int api_ignore_of(int am_rc, api_ignore *why)
{
    switch ((am_err)am_rc) {
    case AM_ERR_UNROUTABLE:  *why = API_IGN_UNROUTABLE;      return 1;
    case AM_ERR_BANNED:      *why = API_IGN_BANNED;          return 1;
    case AM_ERR_REJECTED:    *why = API_IGN_TABLE_FULL;      return 1;
    case AM_ERR_GROUP_CAP:   *why = API_IGN_GROUP_CAP;       return 1;
    case AM_ERR_TORV2:       *why = API_IGN_TOR_V2;          return 1;
    case AM_ERR_UNKNOWN_NET: *why = API_IGN_UNKNOWN_NETWORK; return 1;
    case AM_ERR_EXISTS:      *why = API_IGN_DUPLICATE;       return 1;
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

void api_ignore_count(size_t *total, size_t by[API_IGN_COUNT], api_ignore why)
{
    (*total)++;
    by[why]++;
}

void api_ignored_write(api_jw *w, size_t total, const size_t by[API_IGN_COUNT])
{
    api_jw_ku64(w, "ignored", total);
    api_jw_key(w, "ignored_by");
    api_jw_object(w);
    for (int i = 0; i < API_IGN_COUNT; i++)
        if (by[i] > 0)
            api_jw_ku64(w, api_ignore_name((api_ignore)i), by[i]);
    api_jw_object_end(w);
}

void api_ignored_text(const size_t by[API_IGN_COUNT], char *buf, size_t len)
{
    size_t used = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    for (int i = 0; i < API_IGN_COUNT && used < len; i++) {
        if (by[i] == 0)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s %zu",
                         used > 0 ? ", " : "",
                         api_ignore_name((api_ignore)i), by[i]);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}
