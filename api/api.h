/*
 * api.h - the addrmand v1 HTTP/JSON API (api/openapi.yaml), without sockets.
 *
 * A transport (server/, a fuzzer, a unit test) hands api_handle() one whole
 * request -- method, RAW path (still percent-encoded), raw query string,
 * the Content-Type and Authorization headers and the body -- and gets back
 * one whole response: status, content type, body and extra headers.  The
 * API does its own percent-decoding, routing, auth, validation, error
 * bodies and metrics, so every transport behaves the same.
 *
 * Every peer, ban and node the API speaks of lives in the durable pool
 * (st_pool.h), which the server shares with its other faces; a handler
 * parses the request without any lock and makes one st_pool call, which
 * locks, journals and answers.  api_handle() may run on many threads at
 * once.
 *
 * Request rules: see api/openapi.yaml.  In short: unknown keys of a body
 * and unknown or repeated query parameters are refused (400); a
 * non-empty body of a JSON route must be application/json and of
 * POST /v1/peers/addrv2 application/octet-stream (else 415); an empty body
 * reads as {}; bodies over max_body are 413.
 */
#ifndef API_H
#define API_H

#include <stddef.h>
#include <stdint.h>

#include "addrman.h"

#define API_DEFAULT_MAX_BODY ((size_t)16 << 20)
#define API_DEFAULT_NODE_TIMEOUT 900
#define API_DEFAULT_LEASE 120
#define API_DEFAULT_MAX_LEASE 3600
#define API_MAX_HEADERS 4
#define API_HEADER_VALUE_MAX 96

typedef struct api_ctx api_ctx;
struct js_buf;
struct js_w;

typedef struct api_config {
    struct st_pool *pool;    /* the durable pool (st_pool.h), borrowed: the
                              * server's, shared with its other faces */
    am_man *core;            /* without a pool: api_new makes its own
                              * around this core and store (borrowed) */
    const char *api_token;   /* NULL or "": /v1 needs no token (copied) */
    const char *datadir;     /* /readyz checks it; NULL: never ready (copied) */
    size_t max_body;         /* bytes; default API_DEFAULT_MAX_BODY */
    int enable_debug;        /* serve GET /debug/check, /debug/place/{peer} */
    int64_t node_timeout;    /* seconds a silent node is kept; 0: 900 */
    int64_t default_lease;   /* lease_seconds of a select naming none */
    int64_t max_lease;       /* larger lease_seconds are 400 */
    struct st_store *store; /* without a pool: the data directory
                              * (st_store.h), loaded; borrowed.  NULL:
                              * nothing is saved, the file routes answer
                              * 503 */
    /* More series for GET /metrics: the daemon's other faces append
     * theirs (called on an HTTP thread for each scrape).  Optional. */
    void (*metrics_more)(void *ctx, struct js_buf *b);
    /* More members for GET /v1/stats, written into its object (keys of
     * their own).  Optional.  Both hooks get metrics_ctx. */
    void (*stats_more)(void *ctx, struct js_w *w);
    void *metrics_ctx;
    /* The daemon's chain (core/chain.h): the magic a peers.dat import
     * must carry and an export gets by default.  NULL: main. */
    const struct am_chain *chain;
} api_config;

typedef struct api_request {
    const char *method;         /* "GET", "POST", ... (case-sensitive) */
    const char *path;           /* raw, percent-encoded, no query */
    const char *query;          /* raw, without '?'; NULL when none */
    const char *content_type;   /* NULL when absent */
    const char *authorization;  /* NULL when absent */
    const void *body;
    size_t body_len;
    int body_too_large;         /* the transport stopped reading it: 413 */
} api_request;

typedef struct api_header {
    const char *name;                   /* static */
    char value[API_HEADER_VALUE_MAX];
} api_header;

typedef struct api_response {
    int status;
    const char *content_type;   /* static; NULL when there is no body */
    char *body;                 /* malloc'd (free() it, or api_response_free) */
    size_t body_len;
    size_t n_headers;
    api_header headers[API_MAX_HEADERS];   /* Allow, WWW-Authenticate */
    const char *route;          /* the route pattern, or "unmatched" */
} api_response;

/* Defaults: max_body API_DEFAULT_MAX_BODY, node_timeout
 * API_DEFAULT_NODE_TIMEOUT, default_lease API_DEFAULT_LEASE, max_lease
 * API_DEFAULT_MAX_LEASE, everything else zero. */
void api_config_default(api_config *cfg);
/* AM_OK, AM_ERR_INVAL (no core, a negative lease, default_lease above
 * max_lease) or AM_ERR_NOMEM. */
int api_new(const api_config *cfg, api_ctx **out);
void api_free(api_ctx *ctx);

/*
 * Answer one request; *resp is always filled (release it with
 * api_response_free).  Returns AM_OK, or AM_ERR_NOMEM when even the
 * response body could not be allocated (then resp is a bodiless 500).
 */
int api_handle(api_ctx *ctx, const api_request *req, api_response *resp);
void api_response_free(api_response *resp);

/*
 * Write a snapshot of the pool behind the context now (st_pool_save: texts
 * under the pool's lock, files after).  AM_OK, AM_ERR_INVAL without a
 * store, or the store's error (logged and counted by the store).
 */
int api_save(api_ctx *ctx, size_t *peers);

/* The OpenAPI document, embedded at build time (served as /openapi.yaml). */
const char *api_openapi(size_t *len);

#endif
