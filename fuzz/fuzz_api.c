/*
 * fuzz_api.c - request handling: api_handle() on a real core, no sockets.
 *
 * Input: one or more requests separated by a line "%%":
 *
 *     METHOD [options]
 *     /path?query
 *     body (the rest, up to the separator)
 *
 * Options on the method line, separated by spaces:
 *     +N          move the clock N seconds forward before the request
 *     ct=TYPE     Content-Type (ct=- for none); default application/json,
 *                 application/octet-stream when the path mentions addrv2
 *     auth=VALUE  the raw Authorization header ('_' stands for a space);
 *                 default "Bearer fuzz-token" (the configured token)
 *     noauth      no Authorization header
 *     big         the transport says the body was too large
 * Without a '?' the query is NULL; "?" alone gives "".
 *
 * Each input gets a fresh core (16 x 4 buckets, fake clock) and a fresh API
 * context, so a crash reproduces from its input alone; the requests of one
 * input share them, which is how state builds up.  After every request:
 * the response is well formed (status, content type, JSON bodies parse,
 * errors have {"error": {"code", "message"}}, 401 and 405 carry their
 * headers, never a 500), am_check and am_pool_check pass.
 *
 * FUZZ_VERBOSE=1 in the environment prints each request and its answer
 * (for reading a crash input).
 */
#include "fuzz_common.h"

#include <jansson.h>

#include "api.h"
#include "api_internal.h"
#include "st_pool.h"

#define MAX_REQUESTS 32
#define TOKEN "fuzz-token"

typedef struct req_buf {
    char method[32];
    char ct[128];
    char auth[160];
    int has_ct, has_auth, big;
    char *path, *query;         /* into one malloc'd line */
    const uint8_t *body;
    size_t body_len;
} req_buf;

static const uint8_t *find_sep(const uint8_t *p, size_t n)
{
    static const char sep[] = "\n%%\n";
    for (size_t i = 0; i + 4 <= n; i++)
        if (memcmp(p + i, sep, 4) == 0)
            return p + i;
    return NULL;
}

static void copy_token(char *out, size_t cap, const char *s, size_t n,
                       int underscores)
{
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = underscores && s[i] == '_' ? ' ' : s[i];
    out[n] = '\0';
}

/* Parse one request out of p[0..n); returns 0 when there is no path line. */
static int parse_request(const uint8_t *p, size_t n, req_buf *r)
{
    const uint8_t *nl1 = memchr(p, '\n', n);
    if (nl1 == NULL)
        return 0;
    size_t l1 = (size_t)(nl1 - p);
    const uint8_t *rest = nl1 + 1;
    size_t rest_n = n - l1 - 1;
    const uint8_t *nl2 = memchr(rest, '\n', rest_n);
    size_t l2 = nl2 ? (size_t)(nl2 - rest) : rest_n;

    memset(r, 0, sizeof *r);
    r->has_auth = 1;
    snprintf(r->auth, sizeof r->auth, "Bearer " TOKEN);

    /* Method line: METHOD then options. */
    const char *s = (const char *)p;
    size_t i = 0, start;
    while (i < l1 && s[i] != ' ')
        i++;
    copy_token(r->method, sizeof r->method, s, i, 0);
    while (i < l1) {
        while (i < l1 && s[i] == ' ')
            i++;
        start = i;
        while (i < l1 && s[i] != ' ')
            i++;
        const char *tok = s + start;
        size_t tl = i - start;
        if (tl > 1 && tok[0] == '+') {
            int64_t adv = 0;
            for (size_t k = 1; k < tl && k < 10 && tok[k] >= '0' && tok[k] <= '9'; k++)
                adv = adv * 10 + (tok[k] - '0');
            fz_advance(adv);
        } else if (tl >= 3 && memcmp(tok, "ct=", 3) == 0) {
            if (tl == 4 && tok[3] == '-') {
                r->has_ct = -1;
            } else {
                r->has_ct = 1;
                copy_token(r->ct, sizeof r->ct, tok + 3, tl - 3, 1);
            }
        } else if (tl >= 5 && memcmp(tok, "auth=", 5) == 0) {
            copy_token(r->auth, sizeof r->auth, tok + 5, tl - 5, 1);
        } else if (tl == 6 && memcmp(tok, "noauth", 6) == 0) {
            r->has_auth = 0;
        } else if (tl == 3 && memcmp(tok, "big", 3) == 0) {
            r->big = 1;
        }
    }

    /* Path line: a NUL inside cuts it, as a C transport would. */
    r->path = malloc(l2 + 1);
    if (r->path == NULL)
        return 0;
    memcpy(r->path, rest, l2);
    r->path[l2] = '\0';
    char *q = strchr(r->path, '?');
    r->query = NULL;
    if (q) {
        *q = '\0';
        r->query = q + 1;
    }
    if (nl2) {
        r->body = nl2 + 1;
        r->body_len = rest_n - l2 - 1;
    } else {
        r->body = NULL;
        r->body_len = 0;
    }
    if (r->has_ct == 0) {
        r->has_ct = 1;
        snprintf(r->ct, sizeof r->ct, "%s",
                 strstr(r->path, "addrv2") ? "application/octet-stream"
                                           : "application/json");
    } else if (r->has_ct < 0) {
        r->has_ct = 0;
    }
    return 1;
}

static int has_header(const api_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_headers; i++)
        if (strcmp(resp->headers[i].name, name) == 0)
            return 1;
    return 0;
}

static void check_response(const req_buf *r, const api_response *resp, size_t k)
{
    const char *path = r->path;
    FZ_ASSERT(resp->status >= 200 && resp->status <= 599,
              "request %zu %s %s: status %d", k, r->method, path, resp->status);
    FZ_ASSERT(resp->route != NULL, "request %zu: no route label", k);
    FZ_ASSERT(resp->n_headers <= API_MAX_HEADERS, "request %zu: %zu headers", k,
              resp->n_headers);
    for (size_t i = 0; i < resp->n_headers; i++)
        FZ_ASSERT(memchr(resp->headers[i].value, '\0', API_HEADER_VALUE_MAX) != NULL,
                  "request %zu: header not terminated", k);
    if (resp->body_len > 0)
        FZ_ASSERT(resp->body != NULL && resp->content_type != NULL,
                  "request %zu: a body without a content type", k);
    if (resp->status == 401)
        FZ_ASSERT(has_header(resp, "WWW-Authenticate"), "401 without WWW-Authenticate");
    if (resp->status == 405)
        FZ_ASSERT(has_header(resp, "Allow"), "405 without Allow");
    FZ_ASSERT(resp->status != 500, "request %zu %s %s?%s: 500: %.*s", k, r->method,
              path, r->query ? r->query : "", (int)(resp->body_len > 400 ? 400 : resp->body_len),
              resp->body ? resp->body : "");
    if (resp->content_type && strcmp(resp->content_type, "application/json") == 0) {
        json_error_t jerr;
        json_t *j = json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY, &jerr);
        FZ_ASSERT(j != NULL, "request %zu %s %s: response is not JSON (%s): %.*s", k,
                  r->method, path, jerr.text,
                  (int)(resp->body_len > 300 ? 300 : resp->body_len), resp->body);
        if (resp->status >= 400) {
            json_t *e = json_object_get(j, "error");
            FZ_ASSERT(json_is_object(e) &&
                      json_is_string(json_object_get(e, "code")) &&
                      json_is_string(json_object_get(e, "message")),
                      "request %zu: error body without error.code/message", k);
        }
        json_decref(j);
    }
}

static void check_core(api_ctx *ctx, size_t k)
{
    char why[512];
    why[0] = '\0';
    /* am_check and am_pool_check, under the pool's lock. */
    if (st_pool_check(ctx->pool, why, sizeof why) != AM_OK)
        FZ_FAIL("the core or the pool is broken after request %zu: %s", k,
                why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    api_config cfg;
    api_ctx *ctx = NULL;
    am_man *m;
    size_t k = 0;

    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    fz_now = FZ_T0;
    m = fz_new_core(16, 4);
    api_config_default(&cfg);
    cfg.core = m;
    cfg.api_token = TOKEN;
    cfg.max_body = 2048;
    cfg.enable_debug = 1;
    cfg.node_timeout = 300;
    if (api_new(&cfg, &ctx) != AM_OK)
        FZ_FAIL("api_new");

    while (size > 0 && k < MAX_REQUESTS) {
        const uint8_t *sep = find_sep(data, size);
        size_t len = sep ? (size_t)(sep - data) : size;
        req_buf r;
        if (parse_request(data, len, &r)) {
            api_request req;
            api_response resp;
            memset(&req, 0, sizeof req);
            req.method = r.method;
            req.path = r.path;
            req.query = r.query;
            req.content_type = r.has_ct ? r.ct : NULL;
            req.authorization = r.has_auth ? r.auth : NULL;
            req.body = r.body;
            req.body_len = r.body_len;
            req.body_too_large = r.big;
            int rc = api_handle(ctx, &req, &resp);
            FZ_ASSERT(rc == AM_OK, "api_handle returned %d", rc);
            if (verbose)
                fprintf(stderr, "[%zu] %s %s%s%s -> %d %.*s\n", k, r.method, r.path,
                        r.query ? "?" : "", r.query ? r.query : "", resp.status,
                        (int)(resp.body_len > 200 ? 200 : resp.body_len),
                        resp.body ? resp.body : "");
            check_response(&r, &resp, k);
            api_response_free(&resp);
            free(r.path);
            check_core(ctx, k);
        }
        k++;
        if (sep == NULL)
            break;
        size -= len + 4;
        data = sep + 4;
    }
    api_free(ctx);
    am_free(m);
    return 0;
}
