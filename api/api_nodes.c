/*
 * api_nodes.c - the nodes of the shared pool: GET /v1/nodes,
 * DELETE /v1/nodes/{name}, and their share of /v1/stats and /metrics.
 *
 * Everything is read from the pool in one call (st_pool_nodes: a
 * snapshot), then written without any lock, so a long listing never holds
 * up selects.  Nodes, connections and leases are runtime state: after a
 * restart the list is empty.
 */
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"

int api_fail_pool(api_err *err, int am_rc, const char *what)
{
    if (am_rc == AM_ERR_FULL)
        return api_fail(err, API_CONFLICT,
                        "%s: the pool serves as many nodes as it can; drop one "
                        "(DELETE /v1/nodes/{name}) or wait for the node timeout",
                        what);
    return api_fail_core(err, am_rc, what);
}

/* ---- GET /v1/nodes, DELETE /v1/nodes/{name} --------------------------- */

static void write_ids(js_w *w, const char *key, const uint64_t *ids,
                      size_t n)
{
    size_t i;

    js_w_key(w, key);
    js_w_array(w);
    for (i = 0; i < n; i++)
        js_w_u64(w, ids[i]);
    js_w_array_end(w);
}

int api_h_nodes_list(api_call *c, api_err *err)
{
    st_nodes s;
    js_w w;
    size_t i;

    if (st_pool_nodes(c->ctx->pool, 1, &s) != AM_OK)
        return api_fail(err, API_INTERNAL, "out of memory");
    js_w_init(&w);
    js_w_object(&w);
    js_w_key(&w, "nodes");
    js_w_array(&w);
    for (i = 0; i < s.n; i++) {
        const st_node *v = &s.v[i];

        js_w_object(&w);
        js_w_kstr(&w, "name", v->info.name);
        write_ids(&w, "connected", v->ids[0], v->info.n_connected);
        write_ids(&w, "leased", v->ids[1], v->info.n_leased);
        js_w_ki64(&w, "last_seen", v->info.last_seen);
        js_w_ku64(&w, "selects", v->info.selects);
        js_w_object_end(&w);
    }
    js_w_array_end(&w);
    js_w_object_end(&w);
    st_nodes_free(&s);
    return api_reply_json(c, 200, &w, err);
}

int api_h_node_delete(api_call *c, api_err *err)
{
    int rc, jrc;

    /* A name no node can have is a malformed request, not a missing node. */
    if (!am_node_name_valid(c->param))
        return api_fail(err, API_BAD_REQUEST,
                        "a node name is 1 to 64 characters of A-Z a-z 0-9 . _ -");
    rc = st_pool_drop_node(c->ctx->pool, c->param, &jrc);
    if (rc == AM_ERR_NOTFOUND)
        return api_fail(err, API_NOT_FOUND, "no node named '%s'", c->param);
    if (rc != AM_OK)
        return api_fail_core(err, rc, "dropping the node failed");
    if (jrc != AM_OK)
        return api_fail_journal(err, jrc, "ending the node's connections");
    return api_reply_empty(c, 204);
}

/* ---- /v1/stats and /metrics ------------------------------------------ */

void api_nodes_stats(api_ctx *ctx, js_w *w)
{
    st_nodes s;
    size_t i;

    if (st_pool_nodes(ctx->pool, 0, &s) != AM_OK) {
        w->buf.failed = 1;      /* the reply becomes a 500, as for appends */
        return;
    }
    js_w_key(w, "nodes");
    js_w_object(w);
    for (i = 0; i < s.n; i++) {
        js_w_key(w, s.v[i].info.name);
        js_w_object(w);
        js_w_ku64(w, "connected", s.v[i].info.n_connected);
        js_w_ku64(w, "leased", s.v[i].info.n_leased);
        js_w_ku64(w, "selects", s.v[i].info.selects);
        js_w_object_end(w);
    }
    js_w_object_end(w);
    st_nodes_free(&s);
}

/* A label value as Prometheus' text format wants it: \, " and newline
 * escaped.  Node names cannot hold them today; the writer does not rely on
 * that. */
static void put_label(js_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            js_buf_putc(b, '\\');
        if (*v == '\n')
            js_buf_puts(b, "\\n");
        else
            js_buf_putc(b, *v);
    }
}

static void family_head(js_buf *b, const char *name, const char *type,
                        const char *help)
{
    js_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void node_series(js_buf *b, const char *name, const char *node,
                        unsigned long long v)
{
    js_buf_printf(b, "%s{node=\"", name);
    put_label(b, node);
    js_buf_printf(b, "\"} %llu\n", v);
}

void api_nodes_metrics(api_ctx *ctx, js_buf *b)
{
    st_nodes s;
    size_t i;

    if (st_pool_nodes(ctx->pool, 0, &s) != AM_OK) {
        b->failed = 1;
        return;
    }
    family_head(b, "addrmand_nodes", "gauge",
                "Nodes the pool serves (heard from within the node timeout).");
    js_buf_printf(b, "addrmand_nodes %zu\n", s.n);
    family_head(b, "addrmand_node_connected", "gauge",
                "Peers a node reported connected and not yet disconnected.");
    for (i = 0; i < s.n; i++)
        node_series(b, "addrmand_node_connected", s.v[i].info.name,
                    s.v[i].info.n_connected);
    family_head(b, "addrmand_node_leased", "gauge",
                "Peers leased to a node by select.");
    for (i = 0; i < s.n; i++)
        node_series(b, "addrmand_node_leased", s.v[i].info.name,
                    s.v[i].info.n_leased);
    family_head(b, "addrmand_node_selects_total", "counter",
                "Select requests served to a node (since it was last dropped).");
    for (i = 0; i < s.n; i++)
        node_series(b, "addrmand_node_selects_total", s.v[i].info.name,
                    s.v[i].info.selects);
    st_nodes_free(&s);
}
