/*
 * api_routes.c - the route table of the service.  Every route but the
 * debug ones is described in openapi.yaml (tests/unit/test_openapi.c checks
 * both ways).
 */
#include "api_handlers.h"

static const char *const q_peers_list[] = {"state", "network", "table",
                                           "services", "limit", "after", NULL};
static const char *const q_addrv2[] = {"source", NULL};
static const char *const q_addresses[] = {"count", "network", "services", NULL};
static const char *const q_import[] = {"format", NULL};

static const api_route routes[] = {
    {"GET", "/healthz", 0, NULL, api_h_healthz},
    {"GET", "/readyz", 0, NULL, api_h_readyz},
    {"GET", "/metrics", 0, NULL, api_h_metrics},
    {"GET", "/openapi.yaml", 0, NULL, api_h_openapi},
    {"GET", "/debug/check", API_ROUTE_DEBUG, NULL, api_h_debug_check},
    {"GET", "/debug/place/{peer}", API_ROUTE_DEBUG, NULL, api_h_debug_place},
    {"POST", "/v1/peers", API_ROUTE_JSON, NULL, api_h_peers_add},
    {"GET", "/v1/peers", 0, q_peers_list, api_h_peers_list},
    {"POST", "/v1/peers/addrv2", API_ROUTE_BINARY, q_addrv2,
     api_h_peers_addrv2},
    {"GET", "/v1/peers/{peer}", 0, NULL, api_h_peer_get},
    {"DELETE", "/v1/peers/{peer}", 0, NULL, api_h_peer_delete},
    {"PUT", "/v1/peers/{peer}/state", API_ROUTE_JSON, NULL, api_h_peer_state},
    {"PUT", "/v1/peers/{peer}/services", API_ROUTE_JSON, NULL,
     api_h_peer_services},
    {"POST", "/v1/select", API_ROUTE_JSON, NULL, api_h_select},
    {"GET", "/v1/addresses", 0, q_addresses, api_h_addresses},
    {"POST", "/v1/bans", API_ROUTE_JSON, NULL, api_h_bans_add},
    {"GET", "/v1/bans", 0, NULL, api_h_bans_list},
    {"DELETE", "/v1/bans", 0, NULL, api_h_bans_clear},
    {"DELETE", "/v1/bans/{target}", API_ROUTE_REST, NULL, api_h_ban_delete},
    {"POST", "/v1/dump", API_ROUTE_JSON, NULL, api_h_dump},
    {"POST", "/v1/load", API_ROUTE_JSON, NULL, api_h_load},
    {"PUT", "/v1/anchors", API_ROUTE_JSON, NULL, api_h_anchors_put},
    {"GET", "/v1/anchors", 0, NULL, api_h_anchors_get},
    {"GET", "/v1/export", 0, NULL, api_h_export},
    /* The document may be an array: the handler reads the body itself. */
    {"POST", "/v1/import", 0, q_import, api_h_import},
    {"GET", "/v1/stats", 0, NULL, api_h_stats},
    {"GET", "/v1/nodes", 0, NULL, api_h_nodes_list},
    {"DELETE", "/v1/nodes/{name}", 0, NULL, api_h_node_delete},
};

const api_route *api_route_table(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
