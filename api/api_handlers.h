/*
 * api_handlers.h - the handlers of the routes (api_routes.c).  Each answers
 * one route: it reads the call (parameter, query, body), fills the response
 * through api_reply_*() and returns 0, or returns -1 with err.
 */
#ifndef API_HANDLERS_H
#define API_HANDLERS_H

#include "api_internal.h"

/* api_info.c */
int api_h_healthz(api_call *c, api_err *err);
int api_h_readyz(api_call *c, api_err *err);
int api_h_metrics(api_call *c, api_err *err);
int api_h_openapi(api_call *c, api_err *err);
int api_h_stats(api_call *c, api_err *err);
int api_h_debug_check(api_call *c, api_err *err);

/* api_peers.c */
int api_h_peers_add(api_call *c, api_err *err);
int api_h_peers_addrv2(api_call *c, api_err *err);
int api_h_peers_list(api_call *c, api_err *err);
int api_h_peer_get(api_call *c, api_err *err);
int api_h_peer_delete(api_call *c, api_err *err);
int api_h_peer_state(api_call *c, api_err *err);
int api_h_peer_services(api_call *c, api_err *err);

/* api_select.c */
int api_h_select(api_call *c, api_err *err);
int api_h_addresses(api_call *c, api_err *err);

/* api_nodes.c */
int api_h_nodes_list(api_call *c, api_err *err);
int api_h_node_delete(api_call *c, api_err *err);
/* The "nodes" member of /v1/stats and the per-node series of /metrics; an
 * allocation failure fails the writer (its reply becomes a 500). */
void api_nodes_stats(api_ctx *ctx, js_w *w);
void api_nodes_metrics(api_ctx *ctx, js_buf *b);
/* api_fail_core(), but a full node table (AM_ERR_FULL) is 409 conflict. */
int api_fail_pool(api_err *err, int am_rc, const char *what);

/* api_bans.c */
int api_h_bans_add(api_call *c, api_err *err);
int api_h_bans_list(api_call *c, api_err *err);
int api_h_bans_clear(api_call *c, api_err *err);
int api_h_ban_delete(api_call *c, api_err *err);

/* api_data.c: the data directory's routes. */
int api_h_dump(api_call *c, api_err *err);
int api_h_load(api_call *c, api_err *err);
int api_h_anchors_put(api_call *c, api_err *err);
int api_h_anchors_get(api_call *c, api_err *err);
int api_h_export(api_call *c, api_err *err);
int api_h_import(api_call *c, api_err *err);
int api_h_debug_place(api_call *c, api_err *err);
/* The "persistence" member of /v1/stats and its series of /metrics. */
void api_data_stats(api_ctx *ctx, js_w *w);
void api_data_metrics(api_ctx *ctx, js_buf *b);
/* 1 and why when the store says the directory cannot take writes. */
int api_data_not_ready(api_ctx *ctx, char *why, size_t why_len);

/* 500 io_error: `what` was done in memory but is not durable. */
int api_fail_journal(api_err *err, int am_rc, const char *what);

#endif
