/*
 * st_bansfile.c - bans.json (see st_bansfile.h).
 */
#include "st_bansfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrman_persist.h"
#include "st_jload.h"
#include "js_writer.h"

static void bans_write(js_w *w, const am_ban *b, size_t n)
{
    char target[AM_ADDR_STRLEN + 8];

    js_w_object(w);
    js_w_key(w, "bans");
    js_w_array(w);
    for (size_t i = 0; i < n; i++) {
        if (am_subnet_format(&b[i].target, target, sizeof target) != AM_OK)
            continue;
        js_buf_putc(&w->buf, '\n');
        js_w_object(w);
        js_w_kstr(w, "target", target);
        js_w_ki64(w, "until", b[i].until);
        js_w_kstr(w, "reason", b[i].reason);
        js_w_ki64(w, "created", b[i].created);
        js_w_object_end(w);
    }
    js_w_array_end(w);
    js_w_object_end(w);
    js_buf_putc(&w->buf, '\n');
}

int st_bans_text(am_man *m, char **out, size_t *len)
{
    size_t cap = am_ban_count(m), n = 0;
    am_ban *b = cap ? malloc(cap * sizeof *b) : NULL;
    js_w w;

    if (cap && b == NULL)
        return AM_ERR_NOMEM;
    if (cap)
        am_ban_list(m, b, cap, &n);
    js_w_init(&w);
    bans_write(&w, b, n);
    free(b);
    return js_w_take(&w, out, len);
}

/* One entry; NULL, or what is wrong with it. */
static const char *ban_entry(const json_t *e, am_ban *b)
{
    const char *target = st_jstr(json_object_get(e, "target"));
    const json_t *reason = json_object_get(e, "reason");
    const char *rs = reason ? st_jstr(reason) : "";

    memset(b, 0, sizeof *b);
    if (!json_is_object(e) || target == NULL ||
        am_subnet_parse(&b->target, target) != AM_OK)
        return "no valid \"target\"";
    if (st_jnum_i64(json_object_get(e, "until"), 1, INT64_MAX, &b->until) ||
        st_jnum_i64(json_object_get(e, "created"), 0, INT64_MAX,
                     &b->created))
        return "\"until\" or \"created\" is not a time";
    if (rs == NULL || strlen(rs) >= AM_BAN_REASON_MAX)
        return "\"reason\" is not a string below 256 bytes";
    strcpy(b->reason, rs);
    return NULL;
}

int st_bans_load(am_man *m, const char *text, size_t len, size_t *errors,
                  char *why, size_t why_len)
{
    json_t *root;
    const json_t *list;
    const char *bad;
    am_ban b;
    int rc = st_jload(text, len, &root, why, why_len);

    if (rc != AM_OK)
        return rc;
    list = json_object_get(root, "bans");
    if (!json_is_array(list)) {
        json_decref(root);
        snprintf(why, why_len, "not an object with a \"bans\" array");
        return AM_ERR_MALFORMED;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        if ((bad = ban_entry(json_array_get(list, i), &b)) != NULL) {
            if ((*errors)++ == 0)
                snprintf(why, why_len, "unreadable entries (first: entry "
                         "%zu: %s)", i, bad);
            continue;
        }
        am_ban_restore(m, &b);      /* an expired ban simply stays out */
    }
    json_decref(root);
    return *errors ? AM_ERR_MALFORMED : AM_OK;
}
