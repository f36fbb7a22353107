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
 * The core (am_man) is borrowed.  The context keeps beside it the shared
 * pool's runtime state (am_pool: per-node connections and leases, never
 * saved) and reads the time from the core's clock.  api_handle() may run on
 * many threads at once: every core and pool call holds the context's one
 * mutex for the call itself, never while JSON is parsed or written.
 * Nothing else may use the core while the context is alive.
 *
 * Request rules: see api/openapi.yaml.  In short: unknown JSON members are
 * ignored; unknown or repeated query parameters are refused (400); a
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

typedef struct api_config {
    am_man *core;            /* borrowed, required */
    const char *api_token;   /* NULL or "": /v1 needs no token (copied) */
    const char *datadir;     /* /readyz checks it; NULL: never ready (copied) */
    size_t max_body;         /* bytes; default API_DEFAULT_MAX_BODY */
    int enable_debug;        /* serve GET /debug/check, /debug/place/{peer} */
    int64_t node_timeout;    /* seconds a silent node is kept; 0: 900 */
    int64_t default_lease;   /* lease_seconds of a select naming none */
    int64_t max_lease;       /* larger lease_seconds are 400 */
    struct st_store *store; /* the data directory (st_store.h), loaded;
                              * borrowed.  NULL: nothing is saved, the file
                              * routes answer 503 */
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
 * Write a snapshot of the data directory now: the texts are built under the
 * context's mutex, the files written after it is released.  For the save
 * timer and shutdown; *peers (optional) gets the peer count.  AM_OK,
 * AM_ERR_INVAL without a store, or the store's error (logged and counted
 * by the store).
 */
int api_save(api_ctx *ctx, size_t *peers);

/* The OpenAPI document, embedded at build time (served as /openapi.yaml). */
const char *api_openapi(size_t *len);

#endif
