/*
 * test_api_handle.c - api_handle() end to end on a real core, no sockets:
 * every route, its errors, auth, limits, content types and metrics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"

#define T_NOW INT64_C(1700000000)
#define T_TOKEN "s3cret-token"

static int64_t t_now = T_NOW;

static int64_t t_clock(void *ctx)
{
    return *(const int64_t *)ctx;
}

typedef struct fixture {
    am_man *core;
    api_ctx *api;
    char datadir[64];
} fixture;

static int setup_with(void **state, const char *token, int debug)
{
    fixture *f = calloc(1, sizeof *f);
    am_config ac;
    api_config cfg;

    assert_non_null(f);
    t_now = T_NOW;
    am_config_default(&ac);
    ac.seed = 42;
    ac.have_key = 1;
    memset(ac.key, 7, sizeof ac.key);
    ac.clock = t_clock;
    ac.clock_ctx = &t_now;
    assert_int_equal(am_new(&ac, &f->core), AM_OK);
    snprintf(f->datadir, sizeof f->datadir, "/tmp/test_api_handle.%ld",
             (long)getpid());
    mkdir(f->datadir, 0700);
    api_config_default(&cfg);
    cfg.core = f->core;
    cfg.api_token = token;
    cfg.datadir = f->datadir;
    cfg.max_body = 4096;
    cfg.enable_debug = debug;
    assert_int_equal(api_new(&cfg, &f->api), AM_OK);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, NULL, 1);
}

static int setup_auth(void **state)
{
    return setup_with(state, T_TOKEN, 0);
}

static int teardown(void **state)
{
    fixture *f = *state;

    api_free(f->api);
    am_free(f->core);
    rmdir(f->datadir);
    free(f);
    return 0;
}

/* One request: "target" is path and optional "?query". */
typedef struct reply {
    api_response resp;
    json_t *json;           /* parsed body when it is JSON, else NULL */
} reply;

static reply call_full(fixture *f, const char *method, const char *target,
                       const char *ctype, const void *body, size_t len,
                       const char *auth)
{
    char path[512];
    const char *q = strchr(target, '?');
    api_request req;
    reply r;

    snprintf(path, sizeof path, "%.*s",
             (int)(q ? (size_t)(q - target) : strlen(target)), target);
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.query = q ? q + 1 : NULL;
    req.content_type = ctype;
    req.authorization = auth;
    req.body = body;
    req.body_len = len;
    assert_int_equal(api_handle(f->api, &req, &r.resp), AM_OK);
    r.json = NULL;
    if (r.resp.content_type != NULL &&
        strcmp(r.resp.content_type, "application/json") == 0)
        r.json = json_loadb(r.resp.body, r.resp.body_len, 0, NULL);
    return r;
}

static reply call(fixture *f, const char *method, const char *target,
                  const char *json_body)
{
    return call_full(f, method, target, json_body ? "application/json" : NULL,
                     json_body, json_body ? strlen(json_body) : 0, NULL);
}

static void done(reply *r)
{
    json_decref(r->json);
    api_response_free(&r->resp);
}

static const char *error_code(const reply *r)
{
    json_t *e = json_object_get(r->json, "error");
    json_t *c = json_object_get(e, "code");

    assert_non_null(c);
    assert_true(json_is_string(json_object_get(e, "message")));
    return json_string_value(c);
}

/* Status and, for errors, the code. */
static void expect(fixture *f, const char *method, const char *target,
                   const char *body, int status, const char *code)
{
    reply r = call(f, method, target, body);

    if (r.resp.status != status)
        fail_msg("%s %s: status %d, expected %d (%.*s)", method, target,
                 r.resp.status, status, (int)r.resp.body_len,
                 r.resp.body ? r.resp.body : "");
    if (code != NULL && strcmp(error_code(&r), code) != 0)
        fail_msg("%s %s: code %s, expected %s", method, target, error_code(&r),
                 code);
    done(&r);
}

static json_int_t get_int(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    if (!json_is_integer(v))
        fail_msg("member %s is not an integer", key);
    return json_integer_value(v);
}

static const char *get_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    if (!json_is_string(v))
        fail_msg("member %s is not a string", key);
    return json_string_value(v);
}

static const char *header(const api_response *resp, const char *name)
{
    size_t i;

    for (i = 0; i < resp->n_headers; i++)
        if (strcmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

#define ONION "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
#define I2P "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p"

/* Add the five networks plus errors; returns nothing, checks the tally. */
static void add_sample(fixture *f)
{
    reply r = call(f, "POST", "/v1/peers",
                   "{\"source\": \"198.51.100.4\", \"peers\": ["
                   "{\"address\": \"203.0.113.7\"},"                    /* 0: unroutable (TEST-NET-3) */
                   "{\"address\": \"8.8.8.8:8333\", \"services\": 1033},"
                   "{\"address\": \"2a01:4f8::1\", \"port\": 18333},"
                   "{\"address\": \"" ONION ":8333\"},"
                   "{\"address\": \"" I2P "\", \"port\": 0},"
                   "{\"address\": \"fc00::1\"},"
                   "{\"address\": \"not-an-address\"},"                /* 6 */
                   "{\"address\": \"9.9.9.9\", \"port\": 70000},"       /* 7 */
                   "\"9.9.9.9\","                                     /* 8 */
                   "{\"address\": \"8.8.8.8\", \"services\": 8}"        /* 9: known */
                   "]}");
    json_t *errors;

    assert_int_equal(r.resp.status, 200);
    assert_int_equal(get_int(r.json, "added"), 5);
    assert_int_equal(get_int(r.json, "updated"), 1);
    assert_int_equal(get_int(r.json, "ignored"), 1);
    errors = json_object_get(r.json, "errors");
    assert_int_equal(json_array_size(errors), 3);
    assert_int_equal(get_int(json_array_get(errors, 0), "index"), 6);
    assert_string_equal(get_str(json_array_get(errors, 0), "code"),
                        "invalid_address");
    assert_int_equal(get_int(json_array_get(errors, 1), "index"), 7);
    assert_string_equal(get_str(json_array_get(errors, 1), "code"), "bad_request");
    assert_int_equal(get_int(json_array_get(errors, 2), "index"), 8);
    done(&r);
}

static void test_health_and_docs(void **state)
{
    fixture *f = *state;
    reply r;

    r = call(f, "GET", "/healthz", NULL);
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(get_str(r.json, "status"), "ok");
    done(&r);
    r = call(f, "HEAD", "/healthz", NULL);
    assert_int_equal(r.resp.status, 200);
    done(&r);
    r = call(f, "GET", "/readyz", NULL);
    assert_int_equal(r.resp.status, 200);
    done(&r);
    rmdir(f->datadir);
    r = call(f, "GET", "/readyz", NULL);
    assert_int_equal(r.resp.status, 503);
    assert_string_equal(error_code(&r), "not_ready");
    done(&r);
    mkdir(f->datadir, 0700);
    r = call(f, "GET", "/openapi.yaml", NULL);
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(r.resp.content_type, "application/yaml");
    assert_non_null(strstr(r.resp.body, "openapi: 3.0"));
    done(&r);
    r = call(f, "GET", "/debug/check", NULL);
    assert_int_equal(r.resp.status, 200);
    assert_true(json_is_true(json_object_get(r.json, "ok")));
    done(&r);
}

static void test_routing_errors(void **state)
{
    fixture *f = *state;
    reply r;

    (void)state;
    expect(f, "GET", "/nope", NULL, 404, "not_found");
    expect(f, "GET", "/v1/peers/", NULL, 404, "not_found");
    expect(f, "GET", "/v1/peers/%zz", NULL, 400, "bad_request");
    expect(f, "GET", "/v1/peers?limit=%", NULL, 400, "bad_request");
    r = call(f, "DELETE", "/v1/stats", NULL);
    assert_int_equal(r.resp.status, 405);
    assert_string_equal(error_code(&r), "method_not_allowed");
    assert_string_equal(header(&r.resp, "Allow"), "GET, HEAD");
    done(&r);
    r = call(f, "PATCH", "/v1/bans", NULL);
    assert_int_equal(r.resp.status, 405);
    assert_string_equal(header(&r.resp, "Allow"), "POST, GET, HEAD, DELETE");
    done(&r);
    expect(f, "GET", "/v1/stats?verbose=1", NULL, 400, "bad_request");
    expect(f, "GET", "/v1/peers?limit=1&limit=2", NULL, 400, "bad_request");
}

static void test_debug_route_hidden(void **state)
{
    fixture *f = *state;

    expect(f, "GET", "/debug/check", NULL, 404, "not_found");
}

static void test_auth(void **state)
{
    fixture *f = *state;
    reply r;

    r = call(f, "GET", "/v1/stats", NULL);
    assert_int_equal(r.resp.status, 401);
    assert_string_equal(error_code(&r), "unauthorized");
    assert_non_null(header(&r.resp, "WWW-Authenticate"));
    assert_null(strstr(r.resp.body, T_TOKEN));
    done(&r);
    /* Unknown /v1 paths and wrong methods are not told either. */
    expect(f, "GET", "/v1/nothing", NULL, 401, "unauthorized");
    expect(f, "PATCH", "/v1/stats", NULL, 401, "unauthorized");
    /* Open routes stay open. */
    expect(f, "GET", "/healthz", NULL, 200, NULL);
    expect(f, "GET", "/metrics", NULL, 200, NULL);
    expect(f, "GET", "/readyz", NULL, 200, NULL);
    {
        static const char *const bad[] = {
            "Bearer", "Bearer ", "Bearer s3cret-toke", "Bearer s3cret-token2",
            "Basic s3cret-token", "s3cret-token", "Bearers3cret-token",
            "Bearer S3CRET-TOKEN"};
        static const char *const good[] = {
            "Bearer " T_TOKEN, "bearer " T_TOKEN, "BEARER  " T_TOKEN " ",
            "  Bearer\t" T_TOKEN};
        size_t i;

        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            r = call_full(f, "GET", "/v1/stats", NULL, NULL, 0, bad[i]);
            if (r.resp.status != 401)
                fail_msg("'%s' was accepted", bad[i]);
            done(&r);
        }
        for (i = 0; i < sizeof good / sizeof good[0]; i++) {
            r = call_full(f, "GET", "/v1/stats", NULL, NULL, 0, good[i]);
            if (r.resp.status != 200)
                fail_msg("'%s' was refused", good[i]);
            done(&r);
        }
        r = call_full(f, "GET", "/v1/nothing", NULL, NULL, 0, good[0]);
        assert_int_equal(r.resp.status, 404);
        done(&r);
    }
}

static void test_bodies(void **state)
{
    fixture *f = *state;
    char big[5000];
    api_request req;
    reply r;

    expect(f, "POST", "/v1/peers", "{", 400, "bad_json");
    expect(f, "POST", "/v1/peers", "[]", 400, "bad_request");
    expect(f, "POST", "/v1/peers", "{}", 400, "bad_request");
    expect(f, "POST", "/v1/peers", "{\"peers\": {}}", 400, "bad_request");
    expect(f, "POST", "/v1/peers", "{\"peers\": [], \"source\": \"x\"}", 400,
           "invalid_address");
    expect(f, "POST", "/v1/peers", "{\"peers\": [], \"future\": 1}", 400,
           "bad_request");
    r = call_full(f, "POST", "/v1/peers", "text/plain", "{\"peers\":[]}", 12, NULL);
    assert_int_equal(r.resp.status, 415);
    assert_string_equal(error_code(&r), "unsupported_media_type");
    done(&r);
    r = call_full(f, "POST", "/v1/peers", NULL, "{\"peers\":[]}", 12, NULL);
    assert_int_equal(r.resp.status, 415);
    done(&r);
    r = call_full(f, "POST", "/v1/peers", "Application/JSON; charset=utf-8",
                  "{\"peers\":[]}", 12, NULL);
    assert_int_equal(r.resp.status, 200);
    done(&r);
    /* Empty body: no content type needed, reads as {}. */
    r = call_full(f, "POST", "/v1/select", NULL, NULL, 0, NULL);
    assert_int_equal(r.resp.status, 200);
    done(&r);
    /* Over max_body (4096 here), and a transport that gave up reading. */
    memset(big, ' ', sizeof big);
    r = call_full(f, "POST", "/v1/peers", "application/json", big, sizeof big,
                  NULL);
    assert_int_equal(r.resp.status, 413);
    assert_string_equal(error_code(&r), "payload_too_large");
    done(&r);
    memset(&req, 0, sizeof req);
    req.method = "PUT";
    req.path = "/v1/peers/1/state";
    req.body_too_large = 1;
    assert_int_equal(api_handle(f->api, &req, &r.resp), AM_OK);
    assert_int_equal(r.resp.status, 413);
    api_response_free(&r.resp);
}

static void test_add_and_get(void **state)
{
    fixture *f = *state;
    char target[256];
    json_int_t id;
    reply r;

    add_sample(f);
    r = call(f, "GET", "/v1/peers/8.8.8.8:8333", NULL);
    assert_int_equal(r.resp.status, 200);
    id = get_int(r.json, "id");
    assert_string_equal(get_str(r.json, "address"), "8.8.8.8");
    assert_string_equal(get_str(r.json, "network"), "ipv4");
    assert_int_equal(get_int(r.json, "services"), 1033 | 8);
    assert_string_equal(get_str(r.json, "state"), "never_tried");
    assert_string_equal(get_str(r.json, "table"), "new");
    assert_string_equal(get_str(r.json, "source"), "198.51.100.4");
    done(&r);
    snprintf(target, sizeof target, "/v1/peers/%lld", (long long)id);
    r = call(f, "GET", target, NULL);
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(get_str(r.json, "address"), "8.8.8.8");
    done(&r);
    /* Endpoint forms: bare IPv4 means port 8333; IPv6 percent-encoded. */
    expect(f, "GET", "/v1/peers/8.8.8.8", NULL, 200, NULL);
    r = call(f, "GET", "/v1/peers/%5B2a01%3A4f8%3A%3A1%5D%3A18333", NULL);
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(get_str(r.json, "network"), "ipv6");
    assert_int_equal(get_int(r.json, "port"), 18333);
    done(&r);
    r = call(f, "GET", "/v1/peers/[fc00::1]:8333", NULL);
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(get_str(r.json, "network"), "cjdns");
    done(&r);
    r = call(f, "GET", "/v1/peers/" ONION ":8333", NULL);
    assert_string_equal(get_str(r.json, "network"), "torv3");
    done(&r);
    r = call(f, "GET", "/v1/peers/" I2P ":0", NULL);
    assert_string_equal(get_str(r.json, "network"), "i2p");
    assert_int_equal(get_int(r.json, "port"), 0);
    done(&r);
    expect(f, "GET", "/v1/peers/8.8.8.8:1", NULL, 404, "not_found");
    expect(f, "GET", "/v1/peers/999999", NULL, 404, "not_found");
    expect(f, "GET", "/v1/peers/0", NULL, 404, "not_found");
    expect(f, "GET", "/v1/peers/99999999999999999999999", NULL, 404, "not_found");
    expect(f, "GET", "/v1/peers/bogus", NULL, 400, "invalid_address");
}

static void test_u64_services(void **state)
{
    fixture *f = *state;
    reply r;

    r = call(f, "POST", "/v1/peers", "{\"peers\": [{\"address\": \"1.1.1.1\", "
                                     "\"services\": 18446744073709551615}]}");
    assert_int_equal(get_int(r.json, "added"), 1);
    done(&r);
    r = call(f, "GET", "/v1/peers/1.1.1.1:8333", NULL);
    assert_non_null(strstr(r.resp.body, "\"services\":18446744073709551615"));
    /* Added without a source: it is its own source.  (jansson cannot read
     * this body back: its services are above INT64_MAX.) */
    assert_null(r.json);
    assert_non_null(strstr(r.resp.body, "\"source\":\"1.1.1.1\"}"));
    done(&r);
    r = call(f, "PUT", "/v1/peers/1.1.1.1:8333/services",
             "{\"services\": 9223372036854775808}");
    assert_int_equal(r.resp.status, 200);
    assert_non_null(strstr(r.resp.body, "\"services\":9223372036854775808"));
    done(&r);
    expect(f, "GET", "/v1/peers?services=9223372036854775808", NULL, 200, NULL);
    r = call(f, "GET", "/v1/peers?services=9223372036854775808", NULL);
    assert_non_null(strstr(r.resp.body, "1.1.1.1"));
    done(&r);
    expect(f, "PUT", "/v1/peers/1.1.1.1:8333/services", "{}", 400, "bad_request");
    expect(f, "PUT", "/v1/peers/1.1.1.1:8333/services",
           "{\"services\": 18446744073709551616}", 400, "bad_request");
    expect(f, "PUT", "/v1/peers/1.2.3.5:8333/services", "{\"services\": 1}", 404,
           "not_found");
}

static void test_list(void **state)
{
    fixture *f = *state;
    json_t *peers;
    reply r;

    add_sample(f);
    r = call(f, "GET", "/v1/peers", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "peers")), 5);
    assert_true(json_is_null(json_object_get(r.json, "next")));
    done(&r);
    r = call(f, "GET", "/v1/peers?limit=2", NULL);
    peers = json_object_get(r.json, "peers");
    assert_int_equal(json_array_size(peers), 2);
    assert_int_equal(get_int(r.json, "next"),
                     get_int(json_array_get(peers, 1), "id"));
    done(&r);
    r = call(f, "GET", "/v1/peers?limit=2&after=2", NULL);
    assert_int_equal(get_int(json_array_get(json_object_get(r.json, "peers"), 0),
                             "id"), 3);
    done(&r);
    r = call(f, "GET", "/v1/peers?network=ipv6,cjdns", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "peers")), 2);
    done(&r);
    r = call(f, "GET", "/v1/peers?network=torv3&table=new&state=never_tried", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "peers")), 1);
    done(&r);
    r = call(f, "GET", "/v1/peers?table=tried", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "peers")), 0);
    done(&r);
    r = call(f, "GET", "/v1/peers?services=8", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "peers")), 1);
    done(&r);
    expect(f, "GET", "/v1/peers?limit=0", NULL, 400, "bad_request");
    expect(f, "GET", "/v1/peers?limit=10001", NULL, 400, "bad_request");
    expect(f, "GET", "/v1/peers?state=sleeping", NULL, 400, "bad_request");
    expect(f, "GET", "/v1/peers?network=tor", NULL, 400, "bad_request");
    expect(f, "GET", "/v1/peers?table=old", NULL, 400, "bad_request");
    expect(f, "GET", "/v1/peers?after=-1", NULL, 400, "bad_request");
}

static void test_state_and_delete(void **state)
{
    fixture *f = *state;
    reply r;

    add_sample(f);
    r = call(f, "PUT", "/v1/peers/8.8.8.8:8333/state",
             "{\"state\": \"connected\", \"node\": \"n1\"}");
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(get_str(r.json, "state"), "connected");
    assert_string_equal(get_str(r.json, "table"), "tried");
    assert_int_equal(get_int(r.json, "last_success"), T_NOW);
    assert_int_equal(get_int(r.json, "last_connected"), T_NOW);
    done(&r);
    t_now += 60;
    /* Another node's disconnect leaves n1's connection standing. */
    r = call(f, "PUT", "/v1/peers/8.8.8.8:8333/state",
             "{\"state\": \"disconnected\"}");
    assert_string_equal(get_str(r.json, "state"), "connected");
    done(&r);
    r = call(f, "PUT", "/v1/peers/8.8.8.8:8333/state",
             "{\"state\": \"disconnected\", \"node\": \"n1\"}");
    assert_string_equal(get_str(r.json, "state"), "tried");
    done(&r);
    r = call(f, "PUT", "/v1/peers/2a01:4f8::1/state", "{\"state\": \"failed\"}");
    assert_int_equal(r.resp.status, 404);   /* port 8333 is another peer */
    done(&r);
    r = call(f, "PUT", "/v1/peers/%5B2a01:4f8::1%5D:18333/state",
             "{\"state\": \"failed\"}");
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(get_str(r.json, "state"), "failed");
    assert_int_equal(get_int(r.json, "attempts"), 1);
    done(&r);
    r = call(f, "PUT", "/v1/peers/8.8.8.8:8333/state", "{\"state\": \"never_tried\"}");
    assert_string_equal(get_str(r.json, "table"), "new");
    assert_string_equal(get_str(r.json, "state"), "never_tried");
    done(&r);
    r = call(f, "PUT", "/v1/peers/8.8.8.8:8333/state", "{\"state\": \"tried\"}");
    assert_string_equal(get_str(r.json, "state"), "tried");
    done(&r);
    expect(f, "PUT", "/v1/peers/8.8.8.8:8333/state", "{}", 400, "bad_request");
    expect(f, "PUT", "/v1/peers/8.8.8.8:8333/state", "{\"state\": \"banned\"}",
           400, "bad_request");
    expect(f, "PUT", "/v1/peers/8.8.8.8:8333/state", "{\"state\": 1}", 400,
           "bad_request");
    expect(f, "PUT", "/v1/peers/8.8.8.8:8333/state",
           "{\"state\": \"tried\", \"node\": \"bad node\"}", 400, "bad_request");
    expect(f, "PUT", "/v1/peers/77/state", "{\"state\": \"tried\"}", 404,
           "not_found");
    expect(f, "DELETE", "/v1/peers/8.8.8.8:8333", NULL, 204, NULL);
    expect(f, "DELETE", "/v1/peers/8.8.8.8:8333", NULL, 404, "not_found");
    expect(f, "GET", "/v1/peers/8.8.8.8:8333", NULL, 404, "not_found");
    expect(f, "GET", "/debug/check", NULL, 200, NULL);
}

static void test_select(void **state)
{
    fixture *f = *state;
    json_t *peers;
    size_t i, j;
    reply r;

    r = call(f, "POST", "/v1/select", "{}");
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "peers")), 0);
    done(&r);
    add_sample(f);
    r = call(f, "POST", "/v1/select", "{\"count\": 1000, \"node\": \"a\", "
                                      "\"lease_seconds\": 0, \"exclusive\": true, "
                                      "\"diverse\": false}");
    peers = json_object_get(r.json, "peers");
    assert_int_equal(json_array_size(peers), 5);
    for (i = 0; i < 5; i++)
        for (j = 0; j < i; j++)
            assert_true(get_int(json_array_get(peers, i), "id") !=
                        get_int(json_array_get(peers, j), "id"));
    done(&r);
    r = call(f, "POST", "/v1/select", "{\"count\": 10, \"networks\": [\"torv3\", \"i2p\"]}");
    peers = json_object_get(r.json, "peers");
    assert_int_equal(json_array_size(peers), 2);
    for (i = 0; i < 2; i++) {
        const char *net = get_str(json_array_get(peers, i), "network");
        assert_true(strcmp(net, "torv3") == 0 || strcmp(net, "i2p") == 0);
    }
    done(&r);
    r = call(f, "POST", "/v1/select", "{\"count\": 10, \"services\": 1024}");
    assert_int_equal(json_array_size(json_object_get(r.json, "peers")), 1);
    done(&r);
    r = call(f, "POST", "/v1/select", "{\"feeler\": true, \"count\": 5}");
    assert_int_equal(json_array_size(json_object_get(r.json, "peers")), 1);
    done(&r);
    /* A failed peer rests: never selected inside the retry time. */
    expect(f, "PUT", "/v1/peers/8.8.8.8/state", "{\"state\": \"failed\"}", 200, NULL);
    r = call(f, "POST", "/v1/select", "{\"count\": 10, \"networks\": [\"ipv4\"]}");
    assert_int_equal(json_array_size(json_object_get(r.json, "peers")), 0);
    done(&r);
    expect(f, "POST", "/v1/select", "{\"count\": 0}", 400, "bad_request");
    expect(f, "POST", "/v1/select", "{\"count\": 1001}", 400, "bad_request");
    expect(f, "POST", "/v1/select", "{\"count\": \"1\"}", 400, "bad_request");
    expect(f, "POST", "/v1/select", "{\"networks\": []}", 400, "bad_request");
    expect(f, "POST", "/v1/select", "{\"networks\": [\"tor\"]}", 400, "bad_request");
    expect(f, "POST", "/v1/select", "{\"networks\": \"ipv4\"}", 400, "bad_request");
    expect(f, "POST", "/v1/select", "{\"networks\": [4]}", 400, "bad_request");
    expect(f, "POST", "/v1/select", "{\"feeler\": 1}", 400, "bad_request");
    expect(f, "POST", "/v1/select", "{\"lease_seconds\": 86401}", 400, "bad_request");
    expect(f, "POST", "/v1/select", "{\"lease_seconds\": -1}", 400, "bad_request");
    expect(f, "POST", "/v1/select", "{\"exclusive\": \"yes\"}", 400, "bad_request");
    expect(f, "POST", "/v1/select", "{\"diverse\": null}", 200, NULL);
    expect(f, "POST", "/v1/select", "{\"node\": \"\"}", 400, "bad_request");
    expect(f, "POST", "/v1/select", "{\"services\": -5}", 400, "bad_request");
}

static void test_addresses(void **state)
{
    fixture *f = *state;
    json_t *a;
    reply r;

    add_sample(f);
    r = call(f, "GET", "/v1/addresses", NULL);
    a = json_object_get(r.json, "addresses");
    assert_int_equal(json_array_size(a), 5);
    assert_non_null(json_object_get(json_array_get(a, 0), "network"));
    assert_null(json_object_get(json_array_get(a, 0), "id"));
    done(&r);
    r = call(f, "GET", "/v1/addresses?count=2", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "addresses")), 2);
    done(&r);
    r = call(f, "GET", "/v1/addresses?network=i2p", NULL);
    a = json_object_get(r.json, "addresses");
    assert_int_equal(json_array_size(a), 1);
    assert_string_equal(get_str(json_array_get(a, 0), "address"), I2P);
    done(&r);
    r = call(f, "GET", "/v1/addresses?services=1024", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "addresses")), 1);
    done(&r);
    expect(f, "GET", "/v1/addresses?count=1001", NULL, 400, "bad_request");
    expect(f, "GET", "/v1/addresses?count=0", NULL, 400, "bad_request");
    expect(f, "GET", "/v1/addresses?network=", NULL, 400, "bad_request");
}

static void test_bans(void **state)
{
    fixture *f = *state;
    json_t *bans;
    reply r;

    add_sample(f);
    r = call(f, "POST", "/v1/bans", "{\"target\": \"8.8.8.8/32\", \"reason\": \"spam\"}");
    assert_int_equal(r.resp.status, 201);
    assert_string_equal(get_str(r.json, "target"), "8.8.8.8");
    assert_int_equal(get_int(r.json, "until"), T_NOW + 86400);
    assert_int_equal(get_int(r.json, "created"), T_NOW);
    assert_string_equal(get_str(r.json, "reason"), "spam");
    done(&r);
    r = call(f, "POST", "/v1/bans", "{\"target\": \"2a01:4f8:1:2::/32\", \"duration\": 60}");
    assert_int_equal(r.resp.status, 201);
    assert_string_equal(get_str(r.json, "target"), "2a01:4f8::/32");
    assert_string_equal(get_str(r.json, "reason"), "");
    done(&r);
    r = call(f, "POST", "/v1/bans", "{\"target\": \"" ONION "\"}");
    assert_int_equal(r.resp.status, 201);
    done(&r);
    r = call(f, "GET", "/v1/peers/8.8.8.8", NULL);
    assert_string_equal(get_str(r.json, "state"), "banned");
    done(&r);
    /* Banned: not selected, not relayed, adding them is ignored. */
    r = call(f, "POST", "/v1/select", "{\"count\": 100}");
    assert_int_equal(json_array_size(json_object_get(r.json, "peers")), 2);
    done(&r);
    r = call(f, "GET", "/v1/addresses", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "addresses")), 2);
    done(&r);
    r = call(f, "POST", "/v1/peers", "{\"peers\": [{\"address\": \"2a01:4f8::99\"}]}");
    assert_int_equal(get_int(r.json, "ignored"), 1);
    done(&r);
    r = call(f, "GET", "/v1/bans", NULL);
    bans = json_object_get(r.json, "bans");
    assert_int_equal(json_array_size(bans), 3);
    done(&r);
    expect(f, "DELETE", "/v1/bans/2a01:4f8::%2F32", NULL, 204, NULL);
    expect(f, "DELETE", "/v1/bans/2a01:4f8::/32", NULL, 404, "not_found");
    expect(f, "DELETE", "/v1/bans/8.8.8.8/32", NULL, 204, NULL);
    expect(f, "DELETE", "/v1/bans/8.8.8.8", NULL, 404, "not_found");
    expect(f, "DELETE", "/v1/bans/nonsense", NULL, 400, "invalid_address");
    expect(f, "DELETE", "/v1/bans/1.2.3.0/33", NULL, 400, "invalid_address");
    expect(f, "DELETE", "/v1/bans", NULL, 204, NULL);
    r = call(f, "GET", "/v1/bans", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "bans")), 0);
    done(&r);
    /* Expiry. */
    expect(f, "POST", "/v1/bans", "{\"target\": \"8.8.0.0/16\", \"duration\": 10}",
           201, NULL);
    t_now += 11;
    r = call(f, "GET", "/v1/peers/8.8.8.8", NULL);
    assert_string_equal(get_str(r.json, "state"), "never_tried");
    done(&r);
    expect(f, "POST", "/v1/bans", "{}", 400, "bad_request");
    expect(f, "POST", "/v1/bans", "{\"target\": \"x\"}", 400, "invalid_address");
    expect(f, "POST", "/v1/bans", "{\"target\": \"1.2.3.4\", \"duration\": 0}",
           400, "bad_request");
    expect(f, "POST", "/v1/bans", "{\"target\": \"1.2.3.4\", \"duration\": 1.5}",
           400, "bad_request");
    expect(f, "POST", "/v1/bans", "{\"target\": \"1.2.3.4\", \"reason\": 5}",
           400, "bad_request");
    expect(f, "POST", "/v1/bans", "{\"target\": \"" ONION "/8\"}", 400,
           "invalid_address");
    expect(f, "GET", "/debug/check", NULL, 200, NULL);
}

/* A BIP155 payload: 1.2.3.4, an unknown network, Tor v2, IPv4-mapped IPv6. */
static const uint8_t addrv2_payload[] = {
    0x04,
    0x00, 0xf1, 0x53, 0x65, 0x09, 0x01, 0x04, 1, 2, 3, 4, 0x20, 0x8d,
    0x00, 0xf1, 0x53, 0x65, 0x00, 0xaa, 0x04, 1, 2, 3, 4, 0x20, 0x8d,
    0x00, 0xf1, 0x53, 0x65, 0x00, 0x03, 0x0a, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5,
    0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0x20, 0x8d,
    0x00, 0xf1, 0x53, 0x65, 0x00, 0x02, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff, 1, 2, 3, 4, 0x20, 0x8d,
};

static void test_addrv2(void **state)
{
    fixture *f = *state;
    json_t *errors;
    reply r;

    r = call_full(f, "POST", "/v1/peers/addrv2?source=198.51.100.9",
                  "application/octet-stream", addrv2_payload,
                  sizeof addrv2_payload, NULL);
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(get_int(r.json, "added"), 1);
    assert_int_equal(get_int(r.json, "ignored"), 2);
    errors = json_object_get(r.json, "errors");
    assert_int_equal(json_array_size(errors), 1);
    assert_int_equal(get_int(json_array_get(errors, 0), "index"), 3);
    assert_string_equal(get_str(json_array_get(errors, 0), "code"),
                        "invalid_address");
    done(&r);
    r = call(f, "GET", "/v1/peers/1.2.3.4:8333", NULL);
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(get_int(r.json, "services"), 9);
    assert_string_equal(get_str(r.json, "source"), "198.51.100.9");
    done(&r);
    r = call_full(f, "POST", "/v1/peers/addrv2", "application/octet-stream",
                  addrv2_payload, sizeof addrv2_payload - 1, NULL);
    assert_int_equal(r.resp.status, 400);
    assert_string_equal(error_code(&r), "bad_request");
    done(&r);
    r = call_full(f, "POST", "/v1/peers/addrv2", "application/json",
                  addrv2_payload, sizeof addrv2_payload, NULL);
    assert_int_equal(r.resp.status, 415);
    done(&r);
    r = call_full(f, "POST", "/v1/peers/addrv2?source=zzz",
                  "application/octet-stream", addrv2_payload,
                  sizeof addrv2_payload, NULL);
    assert_int_equal(r.resp.status, 400);
    assert_string_equal(error_code(&r), "invalid_address");
    done(&r);
    r = call_full(f, "POST", "/v1/peers/addrv2", NULL, NULL, 0, NULL);
    assert_int_equal(r.resp.status, 400);
    done(&r);
    expect(f, "GET", "/v1/peers/addrv2", NULL, 405, "method_not_allowed");
}

static void test_stats_and_metrics(void **state)
{
    fixture *f = *state;
    json_t *nets;
    reply r;

    add_sample(f);
    expect(f, "PUT", "/v1/peers/8.8.8.8/state", "{\"state\": \"tried\"}", 200, NULL);
    expect(f, "GET", "/v1/peers/1", NULL, 200, NULL);
    expect(f, "GET", "/nope", NULL, 404, NULL);
    r = call(f, "GET", "/v1/stats", NULL);
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(get_int(r.json, "peers"), 5);
    assert_int_equal(get_int(json_object_get(r.json, "states"), "tried"), 1);
    assert_int_equal(get_int(json_object_get(r.json, "states"), "never_tried"), 4);
    nets = json_object_get(r.json, "networks");
    assert_int_equal(get_int(json_object_get(nets, "ipv4"), "tried"), 1);
    assert_int_equal(get_int(json_object_get(nets, "cjdns"), "new"), 1);
    assert_int_equal(get_int(json_object_get(json_object_get(r.json, "tables"),
                                             "new"), "buckets"), 1024);
    assert_int_equal(get_int(r.json, "capacity"), (1024 + 256) * 64);
    assert_int_equal(get_int(r.json, "bans"), 0);
    done(&r);
    r = call(f, "GET", "/metrics", NULL);
    assert_int_equal(r.resp.status, 200);
    assert_non_null(strstr(r.resp.content_type, "text/plain"));
    assert_non_null(strstr(r.resp.body,
        "addrmand_http_requests_total{route=\"/v1/peers/{peer}\",method=\"GET\","
        "status=\"200\"} 1\n"));
    assert_non_null(strstr(r.resp.body,
        "addrmand_http_requests_total{route=\"/v1/peers\",method=\"POST\","
        "status=\"200\"} 1\n"));
    assert_non_null(strstr(r.resp.body,
        "addrmand_http_requests_total{route=\"unmatched\",method=\"GET\","
        "status=\"404\"} 1\n"));
    assert_non_null(strstr(r.resp.body,
        "addrmand_http_request_duration_seconds_count{route=\"/v1/stats\"} 1\n"));
    assert_non_null(strstr(r.resp.body,
        "addrmand_http_request_duration_seconds_bucket{route=\"/v1/stats\","
        "le=\"+Inf\"} 1\n"));
    assert_non_null(strstr(r.resp.body,
        "addrmand_peers{table=\"tried\",network=\"ipv4\"} 1\n"));
    assert_non_null(strstr(r.resp.body, "addrmand_peers_by_state{state=\"never_tried\"} 4\n"));
    assert_non_null(strstr(r.resp.body, "addrmand_bans 0\n"));
    assert_null(strstr(r.resp.body, "8.8.8.8"));    /* no raw paths */
    done(&r);
}

/* The node named `name` in a GET /v1/nodes answer, or NULL. */
static json_t *node_of(const json_t *answer, const char *name)
{
    json_t *n;
    size_t i;

    json_array_foreach(json_object_get(answer, "nodes"), i, n)
        if (strcmp(get_str(n, "name"), name) == 0)
            return n;
    return NULL;
}

static size_t n_peers(const reply *r)
{
    return json_array_size(json_object_get(r->json, "peers"));
}

/* The shared pool through the API, on the fixture's clock: leases between
 * nodes, expiry, reports, listings, drop and timeout. */
static void test_nodes(void **state)
{
    fixture *f = *state;
    json_t *a, *nodes;
    reply r;

    r = call(f, "POST", "/v1/peers", "{\"peers\": [{\"address\": \"20.1.0.1\"}, "
             "{\"address\": \"20.2.0.1\"}, {\"address\": \"20.2.0.2\"}]}");
    assert_int_equal(get_int(r.json, "added"), 3);
    done(&r);
    /* Diverse: one per /16.  B gets only what A has not leased. */
    r = call(f, "POST", "/v1/select", "{\"node\": \"a\", \"count\": 3, \"lease_seconds\": 60}");
    assert_int_equal(n_peers(&r), 2);
    done(&r);
    r = call(f, "POST", "/v1/select", "{\"node\": \"b\", \"count\": 3}");
    assert_int_equal(n_peers(&r), 1);
    assert_string_equal(get_str(json_array_get(json_object_get(r.json, "peers"), 0),
                                "address"), "20.2.0.2");
    done(&r);
    r = call(f, "GET", "/v1/nodes", NULL);
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "nodes")), 2);
    a = node_of(r.json, "a");
    assert_non_null(a);
    assert_int_equal(json_array_size(json_object_get(a, "leased")), 2);
    assert_int_equal(json_array_size(json_object_get(a, "connected")), 0);
    assert_true(json_integer_value(json_array_get(json_object_get(a, "leased"), 0)) <
                json_integer_value(json_array_get(json_object_get(a, "leased"), 1)));
    assert_int_equal(get_int(a, "last_seen"), T_NOW);
    assert_int_equal(get_int(a, "selects"), 1);
    done(&r);
    /* A's leases expire; B still leases 20.2.0.2, so diversity leaves it
     * the 20.1 group only. */
    t_now += 60;
    r = call(f, "POST", "/v1/select", "{\"node\": \"b\", \"count\": 3, \"lease_seconds\": 0}");
    assert_int_equal(n_peers(&r), 1);
    assert_string_equal(get_str(json_array_get(json_object_get(r.json, "peers"), 0),
                                "address"), "20.1.0.1");
    done(&r);
    expect(f, "PUT", "/v1/peers/20.1.0.1/state", "{\"state\": \"connected\", \"node\": \"a\"}",
           200, NULL);
    r = call(f, "GET", "/v1/stats", NULL);
    nodes = json_object_get(r.json, "nodes");
    assert_int_equal(get_int(json_object_get(nodes, "a"), "connected"), 1);
    assert_int_equal(get_int(json_object_get(nodes, "a"), "leased"), 0);
    assert_int_equal(get_int(json_object_get(nodes, "b"), "leased"), 1);
    assert_int_equal(get_int(json_object_get(nodes, "b"), "selects"), 2);
    done(&r);
    r = call(f, "GET", "/metrics", NULL);
    assert_non_null(strstr(r.resp.body, "addrmand_nodes 2\n"));
    assert_non_null(strstr(r.resp.body, "addrmand_node_connected{node=\"a\"} 1\n"));
    assert_non_null(strstr(r.resp.body, "addrmand_node_leased{node=\"b\"} 1\n"));
    assert_non_null(strstr(r.resp.body, "addrmand_node_selects_total{node=\"b\"} 2\n"));
    assert_non_null(strstr(r.resp.body, "# TYPE addrmand_node_selects_total counter\n"));
    done(&r);
    expect(f, "GET", "/debug/check", NULL, 200, NULL);
    expect(f, "POST", "/v1/select", "{\"lease_seconds\": 3601}", 400, "bad_request");
    expect(f, "DELETE", "/v1/nodes/bad%20name", NULL, 400, "bad_request");
    expect(f, "DELETE", "/v1/nodes/a", NULL, 204, NULL);
    expect(f, "DELETE", "/v1/nodes/a", NULL, 404, "not_found");
    /* Silent for the node timeout: b goes too. */
    t_now += 900;
    r = call(f, "GET", "/v1/nodes", NULL);
    assert_int_equal(json_array_size(json_object_get(r.json, "nodes")), 0);
    done(&r);
    expect(f, "GET", "/debug/check", NULL, 200, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health_and_docs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routing_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_debug_route_hidden, setup_auth,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_auth, setup_auth, teardown),
        cmocka_unit_test_setup_teardown(test_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_and_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_u64_services, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select, setup, teardown),
        cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_addrv2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_and_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nodes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
