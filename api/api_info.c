/*
 * api_info.c - the routes about the service itself: /healthz, /readyz,
 * /metrics, /openapi.yaml, /v1/stats and the debug check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_handlers.h"
#include "api_peer_json.h"

/* Generated at build time from openapi.yaml (cmake/embed.cmake). */
extern const unsigned char api_openapi_data[];
extern const size_t api_openapi_size;

const char *api_openapi(size_t *len)
{
    *len = api_openapi_size;
    return (const char *)api_openapi_data;
}

int api_h_healthz(api_call *c, api_err *err)
{
    js_w w;

    js_w_init(&w);
    js_w_object(&w);
    js_w_kstr(&w, "status", "ok");
    js_w_object_end(&w);
    return api_reply_json(c, 200, &w, err);
}

/* Why the data directory cannot be used, or 0 when it can. */
static int datadir_problem(const char *dir, api_err *err)
{
    char reason[128];
    struct stat st;
    int e;

    if (dir == NULL)
        return api_fail(err, API_NOT_READY, "no data directory is configured");
    if (stat(dir, &st) != 0)
        e = errno;
    else if (!S_ISDIR(st.st_mode))
        e = ENOTDIR;
    else if (access(dir, W_OK | X_OK) != 0)
        e = errno;
    else
        return 0;
    if (strerror_r(e, reason, sizeof reason) != 0)
        snprintf(reason, sizeof reason, "error %d", e);
    return api_fail(err, API_NOT_READY, "data directory '%s' is not usable: %s",
                    dir, reason);
}

int api_h_readyz(api_call *c, api_err *err)
{
    char why[256];
    js_w w;

    if (datadir_problem(c->ctx->datadir, err) != 0)
        return -1;
    if (api_data_not_ready(c->ctx, why, sizeof why))
        return api_fail(err, API_NOT_READY, "%s", why);
    js_w_init(&w);
    js_w_object(&w);
    js_w_kstr(&w, "status", "ready");
    js_w_object_end(&w);
    return api_reply_json(c, 200, &w, err);
}

int api_h_openapi(api_call *c, api_err *err)
{
    size_t len;
    const char *text = api_openapi(&len);
    js_buf b;

    js_buf_init(&b);
    js_buf_put(&b, text, len);
    return api_reply_text(c, 200, "application/yaml", &b, err);
}

int api_h_debug_check(api_call *c, api_err *err)
{
    char why[256] = "";
    js_w w;
    int rc;

    rc = st_pool_check(c->ctx->pool, why, sizeof why);
    if (rc != AM_OK)
        return api_fail(err, API_INTERNAL, "invariant broken: %s", why);
    js_w_init(&w);
    js_w_object(&w);
    js_w_kbool(&w, "ok", 1);
    js_w_object_end(&w);
    return api_reply_json(c, 200, &w, err);
}

static void stats_get(api_ctx *ctx, am_stats *st)
{
    st_pool_stats(ctx->pool, st);
}

/* ---- /v1/stats ------------------------------------------------------- */

static void write_table(js_w *w, const am_stats *st, int t)
{
    js_w_key(w, t ? "tried" : "new");
    js_w_object(w);
    js_w_ku64(w, "peers", st->by_table[t]);
    js_w_ku64(w, "buckets", st->buckets[t]);
    js_w_ku64(w, "buckets_used", st->buckets_used[t]);
    js_w_ku64(w, "slots", (uint64_t)st->buckets[t] * AM_BUCKET_SIZE);
    js_w_ku64(w, "slots_used", st->slots_used[t]);
    js_w_object_end(w);
}

static void write_networks(js_w *w, const am_stats *st)
{
    int net;

    js_w_key(w, "networks");
    js_w_object(w);
    for (net = 0; net < AM_NET_MAX; net++) {
        if (am_net_name(net) == NULL)
            continue;
        js_w_key(w, am_net_name(net));
        js_w_object(w);
        js_w_ku64(w, "total", st->by_net[net]);
        js_w_ku64(w, "new", st->by_net_table[net][0]);
        js_w_ku64(w, "tried", st->by_net_table[net][1]);
        js_w_object_end(w);
    }
    js_w_object_end(w);
}

/* How much of the pool is known alive: checks by nodes and the prober
 * alike (one walk over the pool). */
static void write_verified(api_ctx *ctx, js_w *w)
{
    am_verify_stats vs;

    st_pool_verify_stats(ctx->pool, &vs, NULL);
    js_w_key(w, "verified");
    js_w_object(w);
    js_w_ku64(w, "tried_last_24h", vs.tried_verified);
    js_w_ku64(w, "never_checked", vs.never_checked);
    js_w_key(w, "oldest_check");
    if (vs.oldest_check > 0)
        js_w_i64(w, vs.oldest_check);
    else
        js_w_null(w);
    js_w_object_end(w);
}

int api_h_stats(api_call *c, api_err *err)
{
    am_stats st;
    js_w w;
    int s;

    stats_get(c->ctx, &st);
    js_w_init(&w);
    js_w_object(&w);
    js_w_ku64(&w, "peers", st.total);
    js_w_key(&w, "states");
    js_w_object(&w);
    for (s = 0; s < AM_STATE_COUNT; s++)
        js_w_ku64(&w, am_state_name((am_state)s), st.by_state[s]);
    js_w_object_end(&w);
    write_networks(&w, &st);
    js_w_key(&w, "tables");
    js_w_object(&w);
    write_table(&w, &st, 0);
    write_table(&w, &st, 1);
    js_w_object_end(&w);
    js_w_ku64(&w, "capacity",
                ((uint64_t)st.buckets[0] + st.buckets[1]) * AM_BUCKET_SIZE);
    js_w_ku64(&w, "bans", st.bans);
    js_w_ku64(&w, "collisions", st.collisions);
    js_w_ku64(&w, "cooling", st.cooling);
    js_w_ku64(&w, "next_id", st.next_id);
    api_nodes_stats(c->ctx, &w);
    api_data_stats(c->ctx, &w);
    write_verified(c->ctx, &w);
    if (c->ctx->stats_more != NULL)
        c->ctx->stats_more(c->ctx->metrics_ctx, &w);
    js_w_object_end(&w);
    return api_reply_json(c, 200, &w, err);
}

/* ---- /metrics -------------------------------------------------------- */

static void gauge_head(js_buf *b, const char *name, const char *help)
{
    js_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void write_pool(js_buf *b, const am_stats *st)
{
    int net, t, s;

    gauge_head(b, "addrmand_peers", "Peers known, by table and network.");
    for (t = 0; t < 2; t++)
        for (net = 0; net < AM_NET_MAX; net++)
            if (am_net_name(net) != NULL)
                js_buf_printf(b, "addrmand_peers{table=\"%s\",network=\"%s\"} %zu\n",
                               api_table_name(t), am_net_name(net),
                               st->by_net_table[net][t]);
    gauge_head(b, "addrmand_peers_by_state", "Peers known, by state.");
    for (s = 0; s < AM_STATE_COUNT; s++)
        js_buf_printf(b, "addrmand_peers_by_state{state=\"%s\"} %zu\n",
                       am_state_name((am_state)s), st->by_state[s]);
    gauge_head(b, "addrmand_table_slots", "Slots of a table (its capacity).");
    for (t = 0; t < 2; t++)
        js_buf_printf(b, "addrmand_table_slots{table=\"%s\"} %llu\n",
                       api_table_name(t),
                       (unsigned long long)st->buckets[t] * AM_BUCKET_SIZE);
    gauge_head(b, "addrmand_table_slots_used", "Occupied slots of a table.");
    for (t = 0; t < 2; t++)
        js_buf_printf(b, "addrmand_table_slots_used{table=\"%s\"} %zu\n",
                       api_table_name(t), st->slots_used[t]);
    gauge_head(b, "addrmand_table_buckets_used",
               "Buckets of a table holding at least one peer.");
    for (t = 0; t < 2; t++)
        js_buf_printf(b, "addrmand_table_buckets_used{table=\"%s\"} %u\n",
                       api_table_name(t), (unsigned)st->buckets_used[t]);
    gauge_head(b, "addrmand_bans", "Active bans.");
    js_buf_printf(b, "addrmand_bans %zu\n", st->bans);
    gauge_head(b, "addrmand_collisions",
               "Pending tried-table collisions (test-before-evict).");
    js_buf_printf(b, "addrmand_collisions %zu\n", st->collisions);
    gauge_head(b, "addrmand_peers_cooling",
               "Failed peers resting for the retry time.");
    js_buf_printf(b, "addrmand_peers_cooling %zu\n", st->cooling);
}

int api_h_metrics(api_call *c, api_err *err)
{
    am_stats st;
    js_buf b;

    stats_get(c->ctx, &st);
    js_buf_init(&b);
    api_metrics_write(c->ctx->metrics, &b);
    write_pool(&b, &st);
    api_nodes_metrics(c->ctx, &b);
    api_data_metrics(c->ctx, &b);
    if (c->ctx->metrics_more != NULL)
        c->ctx->metrics_more(c->ctx->metrics_ctx, &b);
    return api_reply_text(c, 200, "text/plain; version=0.0.4; charset=utf-8",
                          &b, err);
}
