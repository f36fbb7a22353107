/*
 * api_bans.c - POST/GET/DELETE /v1/bans and DELETE /v1/bans/{target}.
 *
 * Targets are read with am_subnet_parse, so they are kept and shown in
 * canonical form ("1.2.3.4/32" is "1.2.3.4", host bits cleared).
 */
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"
#include "api_json.h"

#define BAN_DEFAULT 86400
#define BAN_MAX (INT64_C(100) * 366 * 86400)    /* a century */

static int parse_target(const char *text, am_subnet *out, api_err *err)
{
    int rc = am_subnet_parse(out, text);

    if (rc != AM_OK)
        return api_fail(err, API_INVALID_ADDRESS,
                        "ban target '%s' is not valid: %s", text,
                        am_strerror(rc));
    return 0;
}

static void write_ban(js_w *w, const am_ban *b)
{
    char target[AM_ADDR_STRLEN + 8];

    if (am_subnet_format(&b->target, target, sizeof target) != AM_OK)
        strcpy(target, "?");
    js_w_object(w);
    js_w_kstr(w, "target", target);
    js_w_ki64(w, "until", b->until);
    js_w_kstr(w, "reason", b->reason);
    js_w_ki64(w, "created", b->created);
    js_w_object_end(w);
}

typedef struct ban_args {
    am_subnet target;
    int64_t duration;
    const char *reason;
} ban_args;

static int ban_parse(const js_val *body, ban_args *a, api_err *err)
{
    const char *text;
    int rc;

    a->duration = BAN_DEFAULT;
    a->reason = "";
    rc = api_json_get_str(body, "target", (size_t)-1, &text, err);
    if (rc == 0)
        return api_fail(err, API_BAD_REQUEST, "target is required");
    if (rc < 0 || parse_target(text, &a->target, err) != 0 ||
        api_json_get_i64(body, "duration", 1, BAN_MAX, &a->duration, err) < 0 ||
        api_json_get_str(body, "reason", AM_BAN_REASON_MAX - 1, &a->reason,
                         err) < 0)
        return -1;
    return 0;
}

int api_h_bans_add(api_call *c, api_err *err)
{
    ban_args a;
    am_ban ban;
    js_w w;
    int rc, jrc = AM_OK;

    if (ban_parse(c->body, &a, err) != 0)
        return -1;
    rc = st_pool_ban(c->ctx->pool, &a.target, a.duration, a.reason, &ban,
                     &jrc);
    if (rc != AM_OK)
        return api_fail_core(err, rc, "cannot add the ban");
    if (jrc != AM_OK)
        return api_fail_journal(err, jrc, "the ban");
    js_w_init(&w);
    write_ban(&w, &ban);
    return api_reply_json(c, 201, &w, err);
}

int api_h_bans_list(api_call *c, api_err *err)
{
    am_ban *bans = NULL;
    size_t i, n = 0;
    js_w w;
    int rc;

    rc = st_pool_bans(c->ctx->pool, &bans, &n);
    if (rc != AM_OK) {
        free(bans);
        return api_fail_core(err, rc, "cannot list bans");
    }
    js_w_init(&w);
    js_w_object(&w);
    js_w_key(&w, "bans");
    js_w_array(&w);
    for (i = 0; i < n; i++)
        write_ban(&w, &bans[i]);
    js_w_array_end(&w);
    js_w_object_end(&w);
    free(bans);
    return api_reply_json(c, 200, &w, err);
}

int api_h_bans_clear(api_call *c, api_err *err)
{
    int jrc;

    (void)st_pool_unban_all(c->ctx->pool, &jrc);
    if (jrc != AM_OK)
        return api_fail_journal(err, jrc, "lifting the bans");
    return api_reply_empty(c, 204);
}

int api_h_ban_delete(api_call *c, api_err *err)
{
    am_subnet target;
    int rc, jrc = AM_OK;

    if (parse_target(c->param, &target, err) != 0)
        return -1;
    rc = st_pool_unban(c->ctx->pool, &target, &jrc);
    if (rc == AM_ERR_NOTFOUND)
        return api_fail(err, API_NOT_FOUND, "no ban on '%s'", c->param);
    if (rc != AM_OK)
        return api_fail_core(err, rc, "cannot lift the ban");
    if (jrc != AM_OK)
        return api_fail_journal(err, jrc, "lifting the ban");
    return api_reply_empty(c, 204);
}
