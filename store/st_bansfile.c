/*
 * st_bansfile.c - bans.json (see st_bansfile.h).
 *
 * Read with js_parse (json/js_reader.h), the reader of every data file
 * written with exact 64-bit integers ("until", "created"); repeated keys
 * keep the last value, as this file has always been read.
 */
#include "st_bansfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrman_persist.h"
#include "js_reader.h"
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
static const char *ban_entry(const js_val *e, am_ban *b)
{
    const char *target = js_str(js_get(e, "target"));
    const js_val *reason = js_get(e, "reason");
    const char *rs = reason ? js_str(reason) : "";

    memset(b, 0, sizeof *b);
    if (e->type != JS_OBJ || target == NULL ||
        am_subnet_parse(&b->target, target) != AM_OK)
        return "no valid \"target\"";
    if (js_i64(js_get(e, "until"), 1, INT64_MAX, &b->until) ||
        js_i64(js_get(e, "created"), 0, INT64_MAX, &b->created))
        return "\"until\" or \"created\" is not a time";
    if (rs == NULL || strlen(rs) >= AM_BAN_REASON_MAX)
        return "\"reason\" is not a string below 256 bytes";
    strcpy(b->reason, rs);
    return NULL;
}

int st_bans_load(am_man *m, const char *text, size_t len, size_t *errors,
                  char *why, size_t why_len)
{
    js_reader *doc;
    const js_val *root, *list, *e;
    const char *bad;
    am_ban b;
    size_t i = 0;
    int rc = js_parse(text, len, 0, &doc, &root, why, why_len);

    if (rc != AM_OK)
        return rc;
    list = js_get(root, "bans");
    if (list == NULL || list->type != JS_ARR) {
        js_close(doc);
        snprintf(why, why_len, "not an object with a \"bans\" array");
        return AM_ERR_MALFORMED;
    }
    for (e = list->child; e != NULL; e = e->next, i++) {
        if ((bad = ban_entry(e, &b)) != NULL) {
            if ((*errors)++ == 0)
                snprintf(why, why_len, "unreadable entries (first: entry "
                         "%zu: %s)", i, bad);
            continue;
        }
        am_ban_restore(m, &b);      /* an expired ban simply stays out */
    }
    js_close(doc);
    return *errors ? AM_ERR_MALFORMED : AM_OK;
}
