/*
 * api_router.h - method + path pattern -> handler.
 *
 * A pattern is a '/'-separated list of literal segments and "{name}"
 * parameters ("/v1/peers/{peer}/state").  A request path is split on '/'
 * BEFORE percent-decoding, then every segment is decoded, so "%2F" inside a
 * parameter stays part of that parameter.  A route flagged API_ROUTE_REST
 * lets its last parameter take the rest of the path, slashes included
 * ("/v1/bans/11.0.0.0/8" gives "11.0.0.0/8").  Parameters are never empty.
 *
 * When several patterns match one path, the most literal one wins, compared
 * from the left ("/v1/peers/addrv2" beats "/v1/peers/{peer}").  If the
 * winning pattern has no route for the method the answer is 405 with the
 * methods it has; no pattern at all is 404.  HEAD is served by GET routes.
 */
#ifndef API_ROUTER_H
#define API_ROUTER_H

#include <stddef.h>

#include "api_err.h"

struct api_call;
typedef int (*api_handler_fn)(struct api_call *call, api_err *err);

enum api_route_flags {
    API_ROUTE_JSON = 1,     /* takes an application/json body */
    API_ROUTE_BINARY = 2,   /* takes an application/octet-stream body */
    API_ROUTE_REST = 4,     /* the last parameter takes the rest of the path */
    API_ROUTE_DEBUG = 8     /* exists only with --enable-debug; undocumented */
};

typedef struct api_route {
    const char *method;           /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern;          /* also the `route` label of metrics */
    unsigned flags;
    const char *const *query;     /* allowed query parameters; NULL: none */
    api_handler_fn fn;
    const char *const *body;      /* API_ROUTE_JSON: the keys its body
                                   * object may have; NULL: none */
} api_route;

/* The service's routes (api_routes.c), for the dispatcher and the tests. */
const api_route *api_route_table(size_t *n);

#define API_PATH_MAX_LEN 8192
#define API_PATH_MAX_SEGMENTS 16

/* A request path split into decoded segments (without the leading '/'). */
typedef struct api_path {
    size_t n;
    char *seg[API_PATH_MAX_SEGMENTS];
    int too_deep;           /* more segments than API_PATH_MAX_SEGMENTS */
    char *mem;
} api_path;

/*
 * Split and decode a raw path ("/v1/peers/%5B%3A%3A1%5D%3A8333").  400
 * bad_request when it does not start with '/', is longer than
 * API_PATH_MAX_LEN or has an invalid escape.  0 or -1 with err; always
 * release with api_path_free().
 */
int api_path_parse(const char *raw, api_path *p, api_err *err);
void api_path_free(api_path *p);

typedef enum api_match_kind {
    API_MATCHED = 0,
    API_NO_ROUTE,
    API_WRONG_METHOD
} api_match_kind;

typedef struct api_match {
    api_match_kind kind;
    const api_route *route;    /* MATCHED: the route; WRONG_METHOD: a route
                                  of the winning pattern; else NULL */
    const char *param;         /* decoded parameter text, NULL if none */
    char allow[64];            /* WRONG_METHOD: "GET, HEAD, DELETE" */
} api_match;

/*
 * Match `method` and `path` against routes[0..n), leaving out routes with
 * any of `skip_flags`.  May rewrite path's memory (to join a REST
 * parameter); m->param points into it.
 */
void api_route_match(const api_route *routes, size_t n, unsigned skip_flags,
                     const char *method, api_path *path, api_match *m);

#endif
