/*
 * api_routes.c - the route table of the service.  Every route but the
 * debug ones is described in openapi.yaml (tests/unit/test_openapi.c checks
 * both ways).
 */
#include "api_handlers.h"

static const char *const q_peers_list[] = {"state", "network", "table",
                                           "services", "limit", "after",
                                           "verified_since", NULL};
static const char *const q_addrv2[] = {"source", NULL};
static const char *const q_addresses[] = {"count", "network", "services", NULL};
static const char *const q_import[] = {"format", "services", NULL};
static const char *const q_export[] = {"format", "chain", NULL};

/* The keys of each JSON body (entries of POST /v1/peers are checked by
 * its handler: api_peer_in_keys). */
static const char *const b_peers[] = {"source", "peers", NULL};
static const char *const b_state[] = {"state", "node", NULL};
static const char *const b_services[] = {"services", NULL};
static const char *const b_select[] = {"count", "services", "networks",
                                       "feeler", "node", "lease_seconds",
                                       "exclusive", "diverse", NULL};
static const char *const b_ban[] = {"target", "duration", "reason", NULL};
static const char *const b_load[] = {"file", NULL};
static const char *const b_anchors[] = {"peers", NULL};

static const api_route routes[] = {
    {"GET", "/healthz", 0, NULL, api_h_healthz, NULL},
    {"GET", "/readyz", 0, NULL, api_h_readyz, NULL},
    {"GET", "/metrics", 0, NULL, api_h_metrics, NULL},
    {"GET", "/openapi.yaml", 0, NULL, api_h_openapi, NULL},
    {"GET", "/debug/check", API_ROUTE_DEBUG, NULL, api_h_debug_check, NULL},
    {"GET", "/debug/place/{peer}", API_ROUTE_DEBUG, NULL, api_h_debug_place, NULL},
    {"POST", "/v1/peers", API_ROUTE_JSON, NULL, api_h_peers_add, b_peers},
    {"GET", "/v1/peers", 0, q_peers_list, api_h_peers_list, NULL},
    {"POST", "/v1/peers/addrv2", API_ROUTE_BINARY, q_addrv2,
     api_h_peers_addrv2, NULL},
    {"GET", "/v1/peers/{peer}", 0, NULL, api_h_peer_get, NULL},
    {"DELETE", "/v1/peers/{peer}", 0, NULL, api_h_peer_delete, NULL},
    {"PUT", "/v1/peers/{peer}/state", API_ROUTE_JSON, NULL, api_h_peer_state,
     b_state},
    {"PUT", "/v1/peers/{peer}/services", API_ROUTE_JSON, NULL,
     api_h_peer_services, b_services},
    {"POST", "/v1/select", API_ROUTE_JSON, NULL, api_h_select, b_select},
    {"GET", "/v1/addresses", 0, q_addresses, api_h_addresses, NULL},
    {"POST", "/v1/bans", API_ROUTE_JSON, NULL, api_h_bans_add, b_ban},
    {"GET", "/v1/bans", 0, NULL, api_h_bans_list, NULL},
    {"DELETE", "/v1/bans", 0, NULL, api_h_bans_clear, NULL},
    {"DELETE", "/v1/bans/{target}", API_ROUTE_REST, NULL, api_h_ban_delete, NULL},
    {"POST", "/v1/dump", API_ROUTE_JSON, NULL, api_h_dump, NULL},
    {"POST", "/v1/load", API_ROUTE_JSON, NULL, api_h_load, b_load},
    {"PUT", "/v1/anchors", API_ROUTE_JSON, NULL, api_h_anchors_put,
     b_anchors},
    {"GET", "/v1/anchors", 0, NULL, api_h_anchors_get, NULL},
    {"GET", "/v1/export", 0, q_export, api_h_export, NULL},
    /* The document may be an array: the handler reads the body itself. */
    {"POST", "/v1/import", 0, q_import, api_h_import, NULL},
    {"GET", "/v1/stats", 0, NULL, api_h_stats, NULL},
    {"GET", "/v1/nodes", 0, NULL, api_h_nodes_list, NULL},
    {"DELETE", "/v1/nodes/{name}", 0, NULL, api_h_node_delete, NULL},
};

const api_route *api_route_table(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
