/*
 * api.c - the context and the dispatcher: decode, route, authenticate,
 * check the body, run the handler, and the one place where an api_err
 * becomes an error response.
 */
#include "api_internal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api_json.h"

void api_config_default(api_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_body = API_DEFAULT_MAX_BODY;
    cfg->node_timeout = API_DEFAULT_NODE_TIMEOUT;
    cfg->default_lease = API_DEFAULT_LEASE;
    cfg->max_lease = API_DEFAULT_MAX_LEASE;
}

/* The durable pool the handlers call: the server's (borrowed), or one of
 * our own around a bare core (unit tests, the fuzzer). */
static int open_pool(api_ctx *ctx, const api_config *cfg)
{
    st_pool_config pc;
    int rc;

    ctx->default_lease = cfg->default_lease;
    ctx->max_lease = cfg->max_lease;
    if (cfg->pool != NULL) {
        ctx->pool = cfg->pool;
    } else {
        memset(&pc, 0, sizeof pc);
        pc.core = cfg->core;
        pc.store = cfg->store;
        pc.node_timeout = cfg->node_timeout;
        if ((rc = st_pool_new(&pc, &ctx->pool)) != AM_OK)
            return rc;
        ctx->own_pool = 1;
    }
    ctx->store = st_pool_store(ctx->pool);
    return AM_OK;
}

/* The distinct patterns become the metrics' route labels. */
static int build_labels(api_ctx *ctx)
{
    size_t i, j;

    ctx->labels = calloc(ctx->n_routes, sizeof *ctx->labels);
    ctx->route_label = calloc(ctx->n_routes, sizeof *ctx->route_label);
    if (ctx->labels == NULL || ctx->route_label == NULL)
        return AM_ERR_NOMEM;
    for (i = 0; i < ctx->n_routes; i++) {
        for (j = 0; j < ctx->n_labels; j++)
            if (strcmp(ctx->labels[j], ctx->routes[i].pattern) == 0)
                break;
        if (j == ctx->n_labels)
            ctx->labels[ctx->n_labels++] = ctx->routes[i].pattern;
        ctx->route_label[i] = j;
    }
    return api_metrics_new(ctx->labels, ctx->n_labels, &ctx->metrics);
}

static int digest(const char *text, size_t len, unsigned char out[32])
{
    unsigned int out_len = 0;

    if (EVP_Digest(text, len, out, &out_len, EVP_sha256(), NULL) != 1 ||
        out_len != 32)
        return AM_ERR_INTERNAL;
    return AM_OK;
}

int api_new(const api_config *cfg, api_ctx **out)
{
    api_ctx *ctx;
    int rc;

    *out = NULL;
    if (cfg == NULL || (cfg->core == NULL && cfg->pool == NULL) ||
        cfg->default_lease < 0 ||
        cfg->max_lease < cfg->default_lease)
        return AM_ERR_INVAL;
    ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return AM_ERR_NOMEM;
    ctx->max_body = cfg->max_body ? cfg->max_body : API_DEFAULT_MAX_BODY;
    ctx->enable_debug = cfg->enable_debug;
    ctx->metrics_more = cfg->metrics_more;
    ctx->stats_more = cfg->stats_more;
    ctx->metrics_ctx = cfg->metrics_ctx;
    ctx->chain = cfg->chain ? cfg->chain : am_chain_get(AM_CHAIN_MAIN);
    ctx->routes = api_route_table(&ctx->n_routes);
    rc = build_labels(ctx);
    if (rc == AM_OK)
        rc = open_pool(ctx, cfg);
    if (rc == AM_OK && cfg->api_token != NULL && cfg->api_token[0] != '\0') {
        ctx->have_token = 1;
        rc = digest(cfg->api_token, strlen(cfg->api_token),
                    ctx->token_digest);
    }
    if (rc == AM_OK && cfg->datadir != NULL) {
        ctx->datadir = strdup(cfg->datadir);
        if (ctx->datadir == NULL)
            rc = AM_ERR_NOMEM;
    }
    if (rc != AM_OK) {
        api_free(ctx);
        return rc;
    }
    *out = ctx;
    return AM_OK;
}

void api_free(api_ctx *ctx)
{
    if (ctx == NULL)
        return;
    api_metrics_free(ctx->metrics);
    if (ctx->own_pool)
        st_pool_free(ctx->pool);
    free(ctx->labels);
    free(ctx->route_label);
    free(ctx->datadir);
    free(ctx);
}

void api_response_free(api_response *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}

static void add_header(api_response *resp, const char *name, const char *value)
{
    api_header *h;

    if (resp->n_headers == API_MAX_HEADERS)
        return;
    h = &resp->headers[resp->n_headers++];
    h->name = name;
    snprintf(h->value, sizeof h->value, "%s", value);
}

int api_reply_json(api_call *c, int status, js_w *w, api_err *err)
{
    api_response *resp = c->resp;

    if (js_w_take(w, &resp->body, &resp->body_len) != AM_OK)
        return api_fail(err, API_INTERNAL, "out of memory");
    resp->status = status;
    resp->content_type = "application/json";
    return 0;
}

int api_reply_text(api_call *c, int status, const char *content_type,
                   js_buf *b, api_err *err)
{
    api_response *resp = c->resp;

    if (js_buf_take(b, &resp->body, &resp->body_len) != AM_OK)
        return api_fail(err, API_INTERNAL, "out of memory");
    resp->status = status;
    resp->content_type = content_type;
    return 0;
}

int api_reply_empty(api_call *c, int status)
{
    c->resp->status = status;
    c->resp->content_type = NULL;
    return 0;
}

/* The one place an error becomes a response.  AM_ERR_NOMEM leaves a
 * bodiless 500. */
static int render_error(api_response *resp, const api_err *err)
{
    js_w w;

    api_response_free(resp);
    js_w_init(&w);
    js_w_object(&w);
    js_w_key(&w, "error");
    js_w_object(&w);
    js_w_kstr(&w, "code", api_code_name(err->code));
    js_w_kstr(&w, "message", err->msg);
    js_w_object_end(&w);
    js_w_object_end(&w);
    resp->status = api_code_status(err->code);
    resp->content_type = "application/json";
    if (js_w_take(&w, &resp->body, &resp->body_len) != AM_OK) {
        resp->status = 500;
        resp->content_type = NULL;
        return AM_ERR_NOMEM;
    }
    return AM_OK;
}

/* "Bearer <token>", scheme case-insensitive (RFC 7235), compared through
 * SHA-256 digests with CRYPTO_memcmp: the time taken depends neither on
 * where the tokens differ nor on their lengths. */
static int auth_ok(const api_ctx *ctx, const char *header)
{
    unsigned char got[32];
    size_t len;

    if (!ctx->have_token)
        return 1;
    if (header == NULL)
        return 0;
    header += strspn(header, " \t");
    if (strncasecmp(header, "Bearer", 6) != 0 ||
        (header[6] != ' ' && header[6] != '\t'))
        return 0;
    header += 6;
    header += strspn(header, " \t");
    len = strlen(header);
    while (len > 0 && (header[len - 1] == ' ' || header[len - 1] == '\t'))
        len--;
    return digest(header, len, got) == AM_OK &&
           CRYPTO_memcmp(got, ctx->token_digest, sizeof got) == 0;
}

int api_media_type_is(const char *ct, const char *want)
{
    size_t len;

    if (ct == NULL)
        return 0;
    ct += strspn(ct, " \t");
    len = strcspn(ct, "; \t");
    return len == strlen(want) && strncasecmp(ct, want, len) == 0;
}

static int check_body(api_call *c, const api_route *r, api_err *err)
{
    const api_request *req = c->req;

    if (req->body_too_large || req->body_len > c->ctx->max_body)
        return api_fail(err, API_PAYLOAD_TOO_LARGE,
                        "the body is larger than the limit of %zu bytes",
                        c->ctx->max_body);
    if (r->flags & API_ROUTE_JSON) {
        if (req->body_len > 0 &&
            !api_media_type_is(req->content_type, "application/json"))
            return api_fail(err, API_UNSUPPORTED_MEDIA_TYPE,
                            "the body must be application/json");
        if (api_json_parse(req->body, req->body_len, &c->body_doc, &c->body,
                           err) != 0)
            return -1;
        return api_json_only(c->body, r->body, NULL, err);
    }
    if ((r->flags & API_ROUTE_BINARY) && req->body_len > 0 &&
        !api_media_type_is(req->content_type, "application/octet-stream"))
        return api_fail(err, API_UNSUPPORTED_MEDIA_TYPE,
                        "the body must be application/octet-stream");
    return 0;
}

static int is_v1(const api_path *p)
{
    return p->n > 0 && strcmp(p->seg[0], "v1") == 0;
}

/* Everything before the handler; 0 when it may run. */
static int route_request(api_call *c, api_path *path, api_match *m,
                         size_t *label, api_err *err)
{
    api_ctx *ctx = c->ctx;
    const char *method = c->req->method ? c->req->method : "";

    if (api_path_parse(c->req->path, path, err) != 0)
        return -1;
    api_route_match(ctx->routes, ctx->n_routes,
                    ctx->enable_debug ? 0 : API_ROUTE_DEBUG, method, path, m);
    if (m->route != NULL) {
        *label = ctx->route_label[m->route - ctx->routes];
        c->resp->route = m->route->pattern;
    }
    /* Auth before 404/405: without the token nothing under /v1 is told. */
    if (is_v1(path) && !auth_ok(ctx, c->req->authorization)) {
        add_header(c->resp, "WWW-Authenticate", "Bearer realm=\"addrmand\"");
        return api_fail(err, API_UNAUTHORIZED,
                        "this request needs the header "
                        "'Authorization: Bearer <token>' with the API token");
    }
    if (m->kind == API_NO_ROUTE)
        return api_fail(err, API_NOT_FOUND, "no such path");
    if (m->kind == API_WRONG_METHOD) {
        add_header(c->resp, "Allow", m->allow);
        return api_fail(err, API_METHOD_NOT_ALLOWED,
                        "method %s is not allowed here (allowed: %s)", method,
                        m->allow);
    }
    if (check_body(c, m->route, err) != 0)
        return -1;
    if (api_query_parse(c->req->query, c->query, err) != 0)
        return -1;
    return api_query_check(c->query, m->route->query, err);
}

static double mono_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int api_handle(api_ctx *ctx, const api_request *req, api_response *resp)
{
    double start = mono_seconds();
    size_t label = ctx->n_labels;       /* "unmatched" */
    api_query query;
    api_path path;
    api_match match;
    api_call call;
    api_err err;
    int rc = AM_OK, failed;

    memset(resp, 0, sizeof *resp);
    memset(&query, 0, sizeof query);
    memset(&path, 0, sizeof path);
    resp->status = 500;
    resp->route = "unmatched";
    call.ctx = ctx;
    call.req = req;
    call.param = NULL;
    call.query = &query;
    call.body = NULL;
    call.body_doc = NULL;
    call.resp = resp;
    failed = route_request(&call, &path, &match, &label, &err) != 0;
    if (!failed) {
        call.param = match.param;
        failed = match.route->fn(&call, &err) != 0;
    }
    if (failed)
        rc = render_error(resp, &err);
    api_json_free(call.body_doc);
    api_query_free(&query);
    api_path_free(&path);
    api_metrics_observe(ctx->metrics, label, req->method ? req->method : "",
                        resp->status, mono_seconds() - start);
    return rc;
}
