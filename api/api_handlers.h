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

/* api_bans.c */
int api_h_bans_add(api_call *c, api_err *err);
int api_h_bans_list(api_call *c, api_err *err);
int api_h_bans_clear(api_call *c, api_err *err);
int api_h_ban_delete(api_call *c, api_err *err);

#endif
