/*
 * api_internal.h - what the modules of api/ share: the context, the call
 * being answered and the reply helpers.  Not for transports.  The
 * handlers reach the pool only through st_pool.h: they hold no lock and
 * write no journal themselves.
 */
#ifndef API_INTERNAL_H
#define API_INTERNAL_H

#include "api.h"
#include "api_err.h"
#include "api_metrics.h"
#include "api_router.h"
#include "api_url.h"
#include "js_buf.h"
#include "js_reader.h"
#include "js_writer.h"
#include "st_pool.h"

struct api_ctx {
    st_pool *pool;                   /* every core, pool and journal call */
    int own_pool;                    /* made by api_new: freed by api_free */
    int64_t default_lease, max_lease;
    st_store *store;                 /* the pool's; NULL: nothing is saved */
    int have_token;
    unsigned char token_digest[32];  /* SHA-256 of the token */
    char *datadir;
    size_t max_body;
    int enable_debug;
    const api_route *routes;
    size_t n_routes;
    size_t *route_label;             /* route index -> metrics label */
    const char **labels;             /* distinct patterns */
    size_t n_labels;
    api_metrics *metrics;
    void (*metrics_more)(void *ctx, js_buf *b);  /* api_config's */
    void (*stats_more)(void *ctx, js_w *w);
    void *metrics_ctx;
    const am_chain *chain;           /* api_config's, never NULL */
};

/* The request being answered, as a handler sees it. */
typedef struct api_call {
    api_ctx *ctx;
    const api_request *req;
    const char *param;          /* decoded path parameter, NULL if none */
    api_query *query;
    const js_val *body;         /* JSON routes: the body object */
    js_reader *body_doc;    /* what holds it (NULL for an empty body) */
    api_response *resp;
} api_call;

/* 1 when the media type of a Content-Type value (parameters such as
 * "; charset=utf-8" aside, any case) is `want`. */
int api_media_type_is(const char *ct, const char *want);

/* Finish the response with the JSON of `w` (taken); 0, or -1 internal. */
int api_reply_json(api_call *c, int status, js_w *w, api_err *err);
/* Finish the response with text of `b` (taken). */
int api_reply_text(api_call *c, int status, const char *content_type,
                   js_buf *b, api_err *err);
/* A response without a body (204). */
int api_reply_empty(api_call *c, int status);

#endif
