/*
 * test_api_basics.c - the general rules of the v1 contract: health,
 * readiness, metrics, the OpenAPI document, error bodies, 404/405/413/415,
 * bad JSON, query and path validation, and the API token.
 */
#include "it_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- helpers --------------------------------------------------------- */

/* 1 when the comma-separated Allow value lists `method`. */
static int allow_has(const char *allow, const char *method)
{
    char buf[256], *tok, *save = NULL;

    snprintf(buf, sizeof buf, "%s", allow);
    for (tok = strtok_r(buf, ", ", &save); tok != NULL;
         tok = strtok_r(NULL, ", ", &save))
        if (strcmp(tok, method) == 0)
            return 1;
    return 0;
}

/* `method path` is 405 and its Allow header lists every one of `want`. */
static void expect_405(it_server *s, const char *method, const char *path,
                       const char *const *want)
{
    it_req rq = { .method = method, .path = path };
    char allow[256];
    it_resp *r = it_do(s, NULL, &rq);
    size_t i;

    IT_ERROR(r, 405, "method_not_allowed");
    if (!it_header(r, "Allow", allow, sizeof allow))
        fail_msg("%s: 405 without an Allow header", r->what);
    for (i = 0; want[i] != NULL; i++)
        if (!allow_has(allow, want[i]))
            fail_msg("%s: Allow \"%s\" lacks %s", r->what, allow, want[i]);
    if (allow_has(allow, method))
        fail_msg("%s: Allow \"%s\" lists the refused method", r->what, allow);
    it_resp_free(r);
}

/* A request with a raw body and content type. */
static it_resp *send_raw(it_server *s, const char *method, const char *path,
                         const char *ctype, const char *body)
{
    it_req rq = { .method = method, .path = path, .body = body,
                  .body_len = strlen(body), .content_type = ctype };

    return it_do(s, NULL, &rq);
}

static void expect_raw_error(it_server *s, const char *method,
                             const char *path, const char *ctype,
                             const char *body, long status, const char *code)
{
    it_resp *r = send_raw(s, method, path, ctype, body);

    IT_ERROR(r, status, code);
    it_resp_free(r);
}

static void expect_get_error(it_server *s, const char *path, long status,
                             const char *code)
{
    it_resp *r = it_get(s, path);

    IT_ERROR(r, status, code);
    it_resp_free(r);
}

static double metric_now(it_server *s, const char *name)
{
    it_resp *r = it_get(s, "/metrics");
    double v;

    IT_STATUS(r, 200);
    v = it_metric_sum(r->body, name);
    it_resp_free(r);
    return v;
}

/* ---- health, readiness, documents ------------------------------------ */

static void test_healthz_answers_ok(void **state)
{
    it_server *s = *state;
    it_req rq = { .method = "GET", .path = "/healthz", .auth = IT_AUTH_NONE };
    it_resp *r = it_do(s, NULL, &rq);
    char ctype[128];

    IT_STATUS(r, 200);
    IT_STREQ(IT_JSTR(IT_BODY(r), "status"), "ok");
    assert_true(it_header(r, "Content-Type", ctype, sizeof ctype));
    assert_non_null(strstr(ctype, "application/json"));
    it_resp_free(r);
}

static void test_readyz_ready_with_writable_datadir(void **state)
{
    it_server *s = *state;
    it_req rq = { .method = "GET", .path = "/readyz", .auth = IT_AUTH_NONE };
    it_resp *r = it_do(s, NULL, &rq);

    IT_STATUS(r, 200);
    IT_STREQ(IT_JSTR(IT_BODY(r), "status"), "ready");
    it_resp_free(r);
}

static void test_readyz_503_while_datadir_unusable(void **state)
{
    it_server *s = *state;
    char gone[sizeof s->datadir + 8];
    it_resp *r;

    it_need_own(s);
    snprintf(gone, sizeof gone, "%s.gone", s->datadir);
    assert_int_equal(rename(s->datadir, gone), 0);
    r = it_get(s, "/readyz");
    assert_int_equal(rename(gone, s->datadir), 0);
    IT_ERROR(r, 503, "not_ready");
    it_resp_free(r);
    r = it_get(s, "/readyz");
    IT_STATUS(r, 200);
    it_resp_free(r);
    r = it_get(s, "/healthz");
    IT_STATUS(r, 200);
    it_resp_free(r);
}

/* A typo must not widen a request: an unknown key anywhere in a body is
 * refused (400, naming it) and nothing changes; a null member still reads
 * as absent. */
static void expect_unknown_key(it_server *s, const char *method,
                               const char *path, const char *body,
                               const char *named)
{
    it_resp *r = it_send(s, method, path, body);

    IT_ERROR(r, 400, "bad_request");
    if (strstr(IT_JSTR(IT_JOBJ(IT_BODY(r), "error"), "message"), named) == NULL)
        fail_msg("%s %s: the message does not name %s", method, path, named);
    it_resp_free(r);
}

static void test_unknown_keys_are_refused(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[512], path[IT_PATH_MAX];
    size_t before = it_count_peers(s, "");

    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}, "
             "{\"address\": \"%s\", \"servics\": 9}]}", host, host);
    expect_unknown_key(s, "POST", "/v1/peers", body, "'servics' in peers[1]");
    snprintf(body, sizeof body, "{\"future\": 1, \"peers\": "
             "[{\"address\": \"%s\"}]}", host);
    expect_unknown_key(s, "POST", "/v1/peers", body, "'future'");
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
    assert_int_equal(it_count_peers(s, ""), before);
    expect_unknown_key(s, "POST", "/v1/select",
                       "{\"count\": 5, \"netwroks\": [\"ipv6\"]}",
                       "'netwroks'");
    expect_unknown_key(s, "POST", "/v1/bans",
                       "{\"target\": \"198.51.100.7\", \"durration\": 5}",
                       "'durration'");
    expect_unknown_key(s, "POST", "/v1/load", "{\"fiel\": \"x.json\"}",
                       "'fiel'");
    expect_unknown_key(s, "POST", "/v1/dump", "{\"now\": true}", "'now'");
    expect_unknown_key(s, "PUT", "/v1/anchors", "{\"peer\": []}", "'peer'");
    /* A peer to refuse the next keys on: another fresh host when this
     * one is turned away (in a shared pool its slot may be held). */
    it_add_fresh(s, '4', IT_PORT, 1, host);
    it_peer_path(host, IT_PORT, "/state", path, sizeof path);
    expect_unknown_key(s, "PUT", path, "{\"state\": \"failed\", \"nod\": \"a\"}",
                       "'nod'");
    it_peer_path(host, IT_PORT, "/services", path, sizeof path);
    expect_unknown_key(s, "PUT", path, "{\"service\": 9}", "'service'");
    json_t *p = it_peer(s, host, IT_PORT);
    IT_STREQ(IT_JSTR(p, "state"), "never_tried");
    assert_int_equal(IT_JINT(p, "services"), 1);
    json_decref(p);
    it_resp *r = it_get(s, "/v1/bans");
    IT_STATUS(r, 200);
    assert_null(strstr(r->body, "198.51.100.7"));
    it_resp_free(r);
    /* null still reads as absent. */
    r = it_send(s, "POST", "/v1/select", "{\"count\": 2, \"node\": null}");
    IT_STATUS(r, 200);
    it_resp_free(r);
}

static void test_head_answered_where_get_is(void **state)
{
    it_server *s = *state;
    it_req rq = { .method = "HEAD", .path = "/healthz" };
    it_resp *r = it_do(s, NULL, &rq);

    IT_STATUS(r, 200);
    assert_int_equal(r->body_len, 0);
    it_resp_free(r);
}

static void test_metrics_is_prometheus_text(void **state)
{
    it_server *s = *state;
    it_req rq = { .method = "GET", .path = "/metrics", .auth = IT_AUTH_NONE };
    it_resp *r = it_do(s, NULL, &rq);
    char ctype[128];

    IT_STATUS(r, 200);
    assert_true(it_header(r, "Content-Type", ctype, sizeof ctype));
    assert_non_null(strstr(ctype, "text/plain"));
    assert_non_null(strstr(r->body, "# TYPE addrmand_http_requests_total counter"));
    assert_non_null(strstr(r->body, "addrmand_http_request_duration_seconds"));
    assert_non_null(strstr(r->body, "addrmand_peers{"));
    it_resp_free(r);
}

static void test_metrics_request_counter_increases(void **state)
{
    it_server *s = *state;
    double before = metric_now(s, "addrmand_http_requests_total"), after;
    int i;

    for (i = 0; i < 5; i++) {
        it_resp *r = it_get(s, "/v1/stats");

        IT_STATUS(r, 200);
        it_resp_free(r);
    }
    after = metric_now(s, "addrmand_http_requests_total");
    if (after < before + 5)
        fail_msg("addrmand_http_requests_total went from %.0f to %.0f after "
                 "5 requests", before, after);
}

static void test_metrics_label_route_method_and_status(void **state)
{
    it_server *s = *state;
    it_resp *r = it_get(s, "/v1/no-such-thing");
    const char *line;
    int found_stats = 0, found_404 = 0;

    IT_STATUS(r, 404);
    it_resp_free(r);
    r = it_get(s, "/v1/stats");
    it_resp_free(r);
    r = it_get(s, "/metrics");
    IT_STATUS(r, 200);
    for (line = r->body; line != NULL; line = strchr(line + 1, '\n')) {
        char l[512] = "";

        sscanf(line + (*line == '\n'), "%511[^\n]", l);
        if (strncmp(l, "addrmand_http_requests_total{", 29) != 0)
            continue;
        if (strstr(l, "route=\"/v1/stats\"") && strstr(l, "method=\"GET\"") &&
            strstr(l, "status=\"200\""))
            found_stats = 1;
        if (strstr(l, "route=\"unmatched\"") && strstr(l, "status=\"404\""))
            found_404 = 1;
    }
    if (!found_stats || !found_404)
        fail_msg("metrics lack GET /v1/stats 200 (%d) or unmatched 404 (%d):"
                 "\n%.2000s", found_stats, found_404, r->body);
    it_resp_free(r);
}

static void test_openapi_yaml_served(void **state)
{
    it_server *s = *state;
    it_req rq = { .method = "GET", .path = "/openapi.yaml",
                  .auth = IT_AUTH_NONE };
    it_resp *r = it_do(s, NULL, &rq);

    IT_STATUS(r, 200);
    assert_true(strncmp(r->body, "openapi: 3", 10) == 0);
    assert_non_null(strstr(r->body, "/v1/select:"));
    assert_non_null(strstr(r->body, "/v1/peers/{peer}:"));
    it_resp_free(r);
}

/* ---- routing errors -------------------------------------------------- */

static void test_unknown_path_is_404_not_found(void **state)
{
    it_server *s = *state;

    expect_get_error(s, "/v1/nope", 404, "not_found");
    expect_get_error(s, "/nope", 404, "not_found");
    expect_get_error(s, "/v1/peers/1/nope", 404, "not_found");
    expect_get_error(s, "/v2/peers", 404, "not_found");
}

static void test_wrong_method_is_405_with_allow_header(void **state)
{
    static const char *const get[] = { "GET", NULL };
    static const char *const get_post[] = { "GET", "POST", NULL };
    static const char *const get_delete[] = { "GET", "DELETE", NULL };
    static const char *const post[] = { "POST", NULL };
    static const char *const put[] = { "PUT", NULL };
    static const char *const bans[] = { "GET", "POST", "DELETE", NULL };
    it_server *s = *state;

    expect_405(s, "DELETE", "/v1/stats", get);
    expect_405(s, "PATCH", "/v1/peers", get_post);
    expect_405(s, "PUT", "/v1/peers/1", get_delete);
    expect_405(s, "GET", "/v1/select", post);
    expect_405(s, "GET", "/v1/peers/1/state", put);
    expect_405(s, "POST", "/v1/peers/1/services", put);
    expect_405(s, "PUT", "/v1/bans", bans);
    expect_405(s, "POST", "/healthz", get);
    expect_405(s, "DELETE", "/metrics", get);
    expect_405(s, "GET", "/v1/peers/addrv2", post);
}

/* ---- bodies ---------------------------------------------------------- */

static void test_wrong_content_type_is_415(void **state)
{
    it_server *s = *state;
    const char *body = "{\"peers\": []}";

    expect_raw_error(s, "POST", "/v1/peers", "text/plain", body, 415,
                     "unsupported_media_type");
    expect_raw_error(s, "POST", "/v1/peers", NULL, body, 415,
                     "unsupported_media_type");
    expect_raw_error(s, "POST", "/v1/select", "application/x-www-form-urlencoded",
                     "{}", 415, "unsupported_media_type");
    expect_raw_error(s, "POST", "/v1/bans", "application/octet-stream",
                     "{\"target\": \"1.2.3.4\"}", 415,
                     "unsupported_media_type");
    expect_raw_error(s, "POST", "/v1/peers/addrv2", "application/json", "{}",
                     415, "unsupported_media_type");
}

static void test_json_with_charset_parameter_is_accepted(void **state)
{
    it_server *s = *state;
    it_resp *r = send_raw(s, "POST", "/v1/peers",
                          "application/json; charset=utf-8",
                          "{\"peers\": []}");

    IT_STATUS(r, 200);
    assert_int_equal(IT_JINT(IT_BODY(r), "added"), 0);
    it_resp_free(r);
}

static void test_malformed_json_is_400_bad_json(void **state)
{
    static const char *const bodies[] = {
        "{", "{\"peers\": [}", "not json", "{\"peers\": []} x",
        "{\"peers\": [], \"peers\": []}", "{\"peers\": \"\xff\xfe\"}",
        "{'peers': []}", NULL
    };
    it_server *s = *state;
    size_t i;

    for (i = 0; bodies[i] != NULL; i++)
        expect_raw_error(s, "POST", "/v1/peers", "application/json",
                         bodies[i], 400, "bad_json");
    expect_raw_error(s, "POST", "/v1/select", "application/json", "{\"count\"",
                     400, "bad_json");
    expect_raw_error(s, "POST", "/v1/bans", "application/json", "[",
                     400, "bad_json");
}

static void test_top_level_not_an_object_is_400(void **state)
{
    it_server *s = *state;

    expect_raw_error(s, "POST", "/v1/peers", "application/json", "[]", 400,
                     "bad_request");
    expect_raw_error(s, "POST", "/v1/select", "application/json", "42", 400,
                     "bad_request");
}

static void test_wrong_member_types_are_400_bad_request(void **state)
{
    static const char *const peers[] = {
        "{\"peers\": \"1.2.3.4\"}", "{\"peers\": {}}",
        "{\"peers\": [], \"source\": 5}", NULL
    };
    static const char *const select[] = {
        "{\"count\": \"2\"}", "{\"count\": 1.5}", "{\"feeler\": 1}",
        "{\"networks\": \"ipv4\"}", "{\"services\": \"1\"}",
        "{\"services\": -1}", NULL
    };
    it_server *s = *state;
    size_t i;

    for (i = 0; peers[i] != NULL; i++)
        expect_raw_error(s, "POST", "/v1/peers", "application/json", peers[i],
                         400, "bad_request");
    for (i = 0; select[i] != NULL; i++)
        expect_raw_error(s, "POST", "/v1/select", "application/json",
                         select[i], 400, "bad_request");
    expect_raw_error(s, "POST", "/v1/bans", "application/json",
                     "{\"target\": 5}", 400, "bad_request");
    expect_raw_error(s, "POST", "/v1/bans", "application/json",
                     "{\"target\": \"11.0.0.1\", \"duration\": \"x\"}", 400,
                     "bad_request");
}

static void test_missing_required_members_are_400_bad_request(void **state)
{
    it_server *s = *state;

    expect_raw_error(s, "POST", "/v1/peers", "application/json", "{}", 400,
                     "bad_request");
    expect_raw_error(s, "POST", "/v1/peers", "application/json",
                     "{\"peers\": null}", 400, "bad_request");
    expect_raw_error(s, "POST", "/v1/peers", "application/json", "", 400,
                     "bad_request");
    expect_raw_error(s, "PUT", "/v1/peers/1/state", "application/json", "",
                     400, "bad_request");
    expect_raw_error(s, "POST", "/v1/bans", "application/json",
                     "{\"reason\": \"x\"}", 400, "bad_request");
}

static void test_unknown_or_repeated_query_parameter_is_400(void **state)
{
    it_server *s = *state;

    expect_get_error(s, "/v1/peers?bogus=1", 400, "bad_request");
    expect_get_error(s, "/v1/peers?limit=1&limit=2", 400, "bad_request");
    expect_get_error(s, "/v1/stats?x=1", 400, "bad_request");
    expect_get_error(s, "/v1/addresses?limit=5", 400, "bad_request");
}

static void test_invalid_percent_escape_is_400(void **state)
{
    it_server *s = *state;

    expect_get_error(s, "/v1/peers/%ZZ", 400, "bad_request");
    expect_get_error(s, "/v1/peers/1%2", 400, "bad_request");
    expect_get_error(s, "/v1/peers/%00", 400, "bad_request");
    expect_get_error(s, "/v1/peers?state=%G1", 400, "bad_request");
}

static void test_malformed_requests_change_nothing(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[256];
    json_t *before = it_stats(s), *after;

    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]", host);
    expect_raw_error(s, "POST", "/v1/peers", "application/json", body, 400,
                     "bad_json");
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}", host);
    expect_raw_error(s, "POST", "/v1/peers", "text/plain", body, 415,
                     "unsupported_media_type");
    snprintf(body, sizeof body, "{\"source\": \"x\", \"peers\": "
             "[{\"address\": \"%s\"}]}", host);
    expect_raw_error(s, "POST", "/v1/peers", "application/json", body, 400,
                     "invalid_address");
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
    after = it_stats(s);
    if (!s->shared)
        assert_true(json_equal(json_object_get(before, "peers"),
                               json_object_get(after, "peers")));
    json_decref(before);
    json_decref(after);
}

/* ---- limits and auth (own servers) ----------------------------------- */

/* A JSON object of exactly `size` bytes: a long "pad" and no peers. */
static char *big_body(size_t size)
{
    char *b = malloc(size + 1);
    size_t n;
    static const char tail[] = ", \"peers\": []}";

    assert_non_null(b);
    n = (size_t)snprintf(b, size + 1, "{\"source\": \"1.2.3.4\"");
    memset(b + n, ' ', size - n - (sizeof tail - 1));
    memcpy(b + size - (sizeof tail - 1), tail, sizeof tail);
    assert_int_equal(strlen(b), size);
    return b;
}

static void test_body_over_max_body_is_413(void **state)
{
    static const char *const args[] = { "--enable-debug", "--max-body",
                                         "1024", NULL };
    it_server *s = *state;
    char *body = big_body(2000);
    it_resp *r;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    r = send_raw(s, "POST", "/v1/peers", "application/json", body);
    IT_ERROR(r, 413, "payload_too_large");
    it_resp_free(r);
    r = send_raw(s, "POST", "/v1/select", "application/json", body);
    IT_ERROR(r, 413, "payload_too_large");
    it_resp_free(r);
    r = send_raw(s, "POST", "/v1/peers/addrv2", "application/octet-stream",
                 body);
    IT_ERROR(r, 413, "payload_too_large");
    it_resp_free(r);
    free(body);
    /* The limit itself is allowed; one byte more is not. */
    body = big_body(1024);
    r = send_raw(s, "POST", "/v1/peers", "application/json", body);
    IT_STATUS(r, 200);
    it_resp_free(r);
    free(body);
    body = big_body(1025);
    r = send_raw(s, "POST", "/v1/peers", "application/json", body);
    IT_ERROR(r, 413, "payload_too_large");
    it_resp_free(r);
    free(body);
}

static void test_chunked_body_over_max_body_is_413(void **state)
{
    static const char *const args[] = { "--enable-debug", "--max-body",
                                         "1024", NULL };
    static const char *const chunked[] = { "Transfer-Encoding: chunked",
                                           NULL };
    it_server *s = *state;
    char *body = big_body(5000);
    it_req rq = { .method = "POST", .path = "/v1/peers",
                  .content_type = "application/json", .headers = chunked };
    it_resp *r;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    rq.body = body;
    rq.body_len = strlen(body);
    r = it_do(s, NULL, &rq);
    IT_ERROR(r, 413, "payload_too_large");
    it_resp_free(r);
    free(body);
    body = big_body(900);
    rq.body = body;
    rq.body_len = strlen(body);
    r = it_do(s, NULL, &rq);
    IT_STATUS(r, 200);
    it_resp_free(r);
    free(body);
}

static void test_debug_check_only_with_enable_debug(void **state)
{
    it_server *s = *state;
    it_resp *r;

    it_need_own(s);
    it_start(s, NULL, NULL, 1);
    r = it_get(s, "/debug/check");
    IT_ERROR(r, 404, "not_found");
    it_resp_free(r);
    it_close(s);
    it_open(s, NULL);
    r = it_get(s, "/debug/check");
    IT_STATUS(r, 200);
    assert_true(json_is_true(IT_MEMBER(IT_BODY(r), "ok", JSON_TRUE)));
    it_resp_free(r);
}

static void expect_auth(it_server *s, int auth, const char *value,
                        const char *path, long status)
{
    it_req rq = { .method = "GET", .path = path, .auth = auth,
                  .authorization = value };
    it_resp *r = it_do(s, NULL, &rq);
    char www[128];

    if (status == 401) {
        IT_ERROR(r, 401, "unauthorized");
        if (!it_header(r, "WWW-Authenticate", www, sizeof www) ||
            strncasecmp(www, "Bearer", 6) != 0)
            fail_msg("%s: 401 without WWW-Authenticate: Bearer", r->what);
    } else {
        IT_STATUS(r, status);
    }
    it_resp_free(r);
}

static void check_token_rules(it_server *s)
{
    char good[IT_TOKEN_MAX + 16], lower[IT_TOKEN_MAX + 16];

    snprintf(good, sizeof good, "Bearer %s", s->token);
    snprintf(lower, sizeof lower, "bearer %s", s->token);
    expect_auth(s, IT_AUTH_NONE, NULL, "/v1/stats", 401);
    expect_auth(s, IT_AUTH_CUSTOM, "Bearer wrong-token", "/v1/stats", 401);
    expect_auth(s, IT_AUTH_CUSTOM, s->token, "/v1/stats", 401);
    expect_auth(s, IT_AUTH_CUSTOM, "Basic dXNlcjpwYXNz", "/v1/stats", 401);
    expect_auth(s, IT_AUTH_NONE, NULL, "/v1/no-such-route", 401);
    expect_auth(s, IT_AUTH_NONE, NULL, "/v1/peers?limit=1", 401);
    expect_auth(s, IT_AUTH_CUSTOM, good, "/v1/stats", 200);
    expect_auth(s, IT_AUTH_CUSTOM, lower, "/v1/stats", 200);
    expect_auth(s, IT_AUTH_NONE, NULL, "/healthz", 200);
    expect_auth(s, IT_AUTH_NONE, NULL, "/readyz", 200);
    expect_auth(s, IT_AUTH_NONE, NULL, "/metrics", 200);
    expect_auth(s, IT_AUTH_NONE, NULL, "/openapi.yaml", 200);
    expect_auth(s, IT_AUTH_CUSTOM, "Bearer wrong-token", "/healthz", 200);
    expect_auth(s, IT_AUTH_CUSTOM, "Bearer wrong-token", "/metrics", 200);
}

static void test_token_required_on_v1_when_configured(void **state)
{
    static const char *const args[] = { "--enable-debug", "--api-token",
                                         "s3cret-T0ken", NULL };
    it_server *s = *state;

    if (s->shared) {
        it_open(s, NULL);
        if (s->token[0] == '\0')
            skip();
    } else {
        it_start(s, args, NULL, 1);
    }
    check_token_rules(s);
}

static void test_add_without_token_changes_nothing(void **state)
{
    static const char *const args[] = { "--enable-debug", "--api-token",
                                         "tok-2", NULL };
    it_server *s = *state;
    char host[IT_HOST_MAX], body[256];
    it_req rq = { .method = "POST", .path = "/v1/peers",
                  .content_type = "application/json", .auth = IT_AUTH_NONE };
    it_resp *r;

    if (s->shared) {
        it_open(s, NULL);
        if (s->token[0] == '\0')
            skip();
    } else {
        it_start(s, args, NULL, 1);
    }
    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}", host);
    rq.body = body;
    rq.body_len = strlen(body);
    r = it_do(s, NULL, &rq);
    IT_ERROR(r, 401, "unauthorized");
    it_resp_free(r);
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
}

static void test_no_token_configured_needs_no_header(void **state)
{
    it_server *s = *state;

    if (s->token[0] != '\0')
        skip();
    expect_auth(s, IT_AUTH_NONE, NULL, "/v1/stats", 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, it_fx_setup, it_fx_teardown)
#define TOWN(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)
        T(test_healthz_answers_ok),
        T(test_readyz_ready_with_writable_datadir),
        T(test_readyz_503_while_datadir_unusable),
        T(test_unknown_keys_are_refused),
        T(test_head_answered_where_get_is),
        T(test_metrics_is_prometheus_text),
        T(test_metrics_request_counter_increases),
        T(test_metrics_label_route_method_and_status),
        T(test_openapi_yaml_served),
        T(test_unknown_path_is_404_not_found),
        T(test_wrong_method_is_405_with_allow_header),
        T(test_wrong_content_type_is_415),
        T(test_json_with_charset_parameter_is_accepted),
        T(test_malformed_json_is_400_bad_json),
        T(test_top_level_not_an_object_is_400),
        T(test_wrong_member_types_are_400_bad_request),
        T(test_missing_required_members_are_400_bad_request),
        T(test_unknown_or_repeated_query_parameter_is_400),
        T(test_invalid_percent_escape_is_400),
        T(test_malformed_requests_change_nothing),
        TOWN(test_body_over_max_body_is_413),
        TOWN(test_chunked_body_over_max_body_is_413),
        TOWN(test_debug_check_only_with_enable_debug),
        TOWN(test_token_required_on_v1_when_configured),
        TOWN(test_add_without_token_changes_nothing),
        T(test_no_token_configured_needs_no_header),
#undef T
#undef TOWN
    };

    return IT_RUN(tests);
}
