/*
 * api_handlers.h - the handlers of the routes (api_routes.c).  Each answers
 * one route: it reads the call (parameter, query, body), fills the response
 * through api_reply_*() and returns 0, or returns -1 with err.
 */
#ifndef API_HANDLERS_H
#define API_HANDLERS_H

#include "api_internal.h"
#include "st_store.h"

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

/* api_files.c: the data directory's routes. */
int api_h_dump(api_call *c, api_err *err);
int api_h_load(api_call *c, api_err *err);
int api_h_anchors_put(api_call *c, api_err *err);
int api_h_anchors_get(api_call *c, api_err *err);
int api_h_export(api_call *c, api_err *err);
int api_h_import(api_call *c, api_err *err);
int api_h_debug_place(api_call *c, api_err *err);
/* The "persistence" member of /v1/stats and its series of /metrics. */
void api_files_stats(api_ctx *ctx, js_w *w);
void api_files_metrics(api_ctx *ctx, js_buf *b);
/* 1 and why when the store says the directory cannot take writes. */
int api_files_not_ready(api_ctx *ctx, char *why, size_t why_len);

/*
 * Journalling for the handlers (api_files.c), with the lock held, in the
 * same hold as the core call whose result they record, before the reply.
 * Without a store they do nothing and return AM_OK.  A failure is AM_ERR_IO
 * (or AM_ERR_NOMEM): answer with api_fail_journal().
 */
int api_j_peer(api_ctx *ctx, uint64_t id);
int api_j_remove(api_ctx *ctx, uint64_t id);
int api_j_ban(api_ctx *ctx, const am_ban *ban);
int api_j_unban(api_ctx *ctx, const am_subnet *target);
int api_j_unban_all(api_ctx *ctx);
/* Group the records until api_j_batch_end into one write (and fsync). */
void api_j_batch_begin(api_ctx *ctx);
int api_j_batch_end(api_ctx *ctx);
/*
 * The core calls that may settle collisions, with their journal records in
 * one write (under the lock): am_set_state (the peer, then the newcomers
 * moved) and am_pool_select.  They return the core's answer; *jrc gets the
 * journal's.
 */
int api_set_state_j(api_ctx *ctx, uint64_t id, am_state_op op, am_peer *out,
                    int *jrc);
int api_select_j(api_ctx *ctx, const am_pool_select_opts *o, am_peer *out,
                 size_t *n, int *jrc);
/*
 * Peers whose last connection was forgotten with a dropped node (DELETE or
 * the node timeout) are marked disconnected in the core: they stay tried
 * but no longer show as connected.  Under the lock, after any pool call
 * that may drop nodes.  AM_OK or the journal's error.
 */
int api_pool_settle(api_ctx *ctx);
/* 500 io_error: `what` was done in memory but is not durable. */
int api_fail_journal(api_err *err, int am_rc, const char *what);

#endif
