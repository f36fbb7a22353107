/*
 * test_api_router.c - path splitting and decoding, route matching, 404,
 * 405 with Allow, HEAD, REST parameters, debug routes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api_router.h"

static int h_dummy(struct api_call *c, api_err *err)
{
    (void)c;
    (void)err;
    return 0;
}

static const api_route routes[] = {
    {"GET", "/healthz", 0, NULL, h_dummy, NULL},
    {"POST", "/v1/peers", API_ROUTE_JSON, NULL, h_dummy, NULL},
    {"GET", "/v1/peers", 0, NULL, h_dummy, NULL},
    {"POST", "/v1/peers/addrv2", API_ROUTE_BINARY, NULL, h_dummy, NULL},
    {"GET", "/v1/peers/{peer}", 0, NULL, h_dummy, NULL},
    {"DELETE", "/v1/peers/{peer}", 0, NULL, h_dummy, NULL},
    {"PUT", "/v1/peers/{peer}/state", API_ROUTE_JSON, NULL, h_dummy, NULL},
    {"DELETE", "/v1/bans", 0, NULL, h_dummy, NULL},
    {"DELETE", "/v1/bans/{target}", API_ROUTE_REST, NULL, h_dummy, NULL},
    {"GET", "/debug/check", API_ROUTE_DEBUG, NULL, h_dummy, NULL},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

/* Match method + raw path; the path object stays alive in *p. */
static void match(const char *method, const char *raw, api_path *p,
                  api_match *m, unsigned skip)
{
    api_err err;

    assert_int_equal(api_path_parse(raw, p, &err), 0);
    api_route_match(routes, N_ROUTES, skip, method, p, m);
}

static const api_route *matched(const char *method, const char *raw,
                                char *param, size_t param_len)
{
    const api_route *r = NULL;
    api_match m;
    api_path p;

    match(method, raw, &p, &m, API_ROUTE_DEBUG);
    if (m.kind == API_MATCHED) {
        r = m.route;
        if (param != NULL)
            snprintf(param, param_len, "%s", m.param ? m.param : "(none)");
    }
    api_path_free(&p);
    return r;
}

static void test_literal_routes(void **state)
{
    (void)state;
    assert_ptr_equal(matched("GET", "/healthz", NULL, 0), &routes[0]);
    assert_ptr_equal(matched("POST", "/v1/peers", NULL, 0), &routes[1]);
    assert_ptr_equal(matched("GET", "/v1/peers", NULL, 0), &routes[2]);
    /* Literal segments are compared after decoding. */
    assert_ptr_equal(matched("GET", "/v1/%70eers", NULL, 0), &routes[2]);
}

static void test_literal_beats_parameter(void **state)
{
    char param[64];

    (void)state;
    assert_ptr_equal(matched("POST", "/v1/peers/addrv2", NULL, 0), &routes[3]);
    assert_ptr_equal(matched("GET", "/v1/peers/17", param, sizeof param),
                     &routes[4]);
    assert_string_equal(param, "17");
    assert_ptr_equal(matched("PUT", "/v1/peers/17/state", param, sizeof param),
                     &routes[6]);
    assert_string_equal(param, "17");
}

static void test_parameter_is_decoded(void **state)
{
    char param[64];

    (void)state;
    assert_non_null(matched("GET", "/v1/peers/%5B2001%3Adb8%3A%3A1%5D%3A8333",
                            param, sizeof param));
    assert_string_equal(param, "[2001:db8::1]:8333");
    /* %2F stays inside its segment: the parameter holds the slash. */
    assert_non_null(matched("GET", "/v1/peers/a%2Fb", param, sizeof param));
    assert_string_equal(param, "a/b");
    /* '+' is itself in a path. */
    assert_non_null(matched("GET", "/v1/peers/a+b", param, sizeof param));
    assert_string_equal(param, "a+b");
}

static void test_rest_parameter(void **state)
{
    char param[64];

    (void)state;
    assert_ptr_equal(matched("DELETE", "/v1/bans/11.0.0.0/8", param,
                             sizeof param), &routes[8]);
    assert_string_equal(param, "11.0.0.0/8");
    assert_ptr_equal(matched("DELETE", "/v1/bans/11.0.0.0%2F8", param,
                             sizeof param), &routes[8]);
    assert_string_equal(param, "11.0.0.0/8");
    assert_ptr_equal(matched("DELETE", "/v1/bans/2001%3Adb8%3A%3A/32", param,
                             sizeof param), &routes[8]);
    assert_string_equal(param, "2001:db8::/32");
    assert_ptr_equal(matched("DELETE", "/v1/bans", NULL, 0), &routes[7]);
}

static void test_not_found(void **state)
{
    api_match m;
    api_path p;
    static const char *const paths[] = {
        "/", "/nope", "/v1", "/v1/peers/", "//v1/peers", "/v1/peers/1/state/x",
        "/v1/bans/", "/healthz/", "/v1/peers/17/",
        "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        match("GET", paths[i], &p, &m, API_ROUTE_DEBUG);
        if (m.kind != API_NO_ROUTE)
            fail_msg("%s: expected no route, got kind %d", paths[i], m.kind);
        assert_null(m.route);
        api_path_free(&p);
    }
}

static void test_wrong_method(void **state)
{
    api_match m;
    api_path p;

    (void)state;
    match("PUT", "/v1/peers", &p, &m, API_ROUTE_DEBUG);
    assert_int_equal(m.kind, API_WRONG_METHOD);
    assert_string_equal(m.allow, "POST, GET, HEAD");
    assert_string_equal(m.route->pattern, "/v1/peers");
    api_path_free(&p);

    match("POST", "/v1/peers/9", &p, &m, API_ROUTE_DEBUG);
    assert_int_equal(m.kind, API_WRONG_METHOD);
    assert_string_equal(m.allow, "GET, HEAD, DELETE");
    api_path_free(&p);

    /* The literal pattern wins even for a method only the parameter has. */
    match("GET", "/v1/peers/addrv2", &p, &m, API_ROUTE_DEBUG);
    assert_int_equal(m.kind, API_WRONG_METHOD);
    assert_string_equal(m.allow, "POST");
    api_path_free(&p);

    match("GET", "/v1/bans/1.2.3.4", &p, &m, API_ROUTE_DEBUG);
    assert_int_equal(m.kind, API_WRONG_METHOD);
    assert_string_equal(m.allow, "DELETE");
    api_path_free(&p);

    match("get", "/healthz", &p, &m, API_ROUTE_DEBUG);
    assert_int_equal(m.kind, API_WRONG_METHOD);
    assert_string_equal(m.allow, "GET, HEAD");
    api_path_free(&p);
}

static void test_head_is_get(void **state)
{
    (void)state;
    assert_ptr_equal(matched("HEAD", "/healthz", NULL, 0), &routes[0]);
    assert_ptr_equal(matched("HEAD", "/v1/peers/5", NULL, 0), &routes[4]);
}

static void test_debug_routes(void **state)
{
    api_match m;
    api_path p;

    (void)state;
    match("GET", "/debug/check", &p, &m, API_ROUTE_DEBUG);
    assert_int_equal(m.kind, API_NO_ROUTE);
    api_path_free(&p);
    match("GET", "/debug/check", &p, &m, 0);
    assert_int_equal(m.kind, API_MATCHED);
    assert_ptr_equal(m.route, &routes[9]);
    api_path_free(&p);
}

static void test_bad_paths(void **state)
{
    static const char *const bad[] = {"", "v1/peers", "/v1/peers/%", "/v1/%2",
                                      "/v1/%zz", "/v1/peers/%00", "*"};
    api_path p;
    api_err err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (api_path_parse(bad[i], &p, &err) != -1)
            fail_msg("'%s' should be refused", bad[i]);
        assert_int_equal(err.code, API_BAD_REQUEST);
        api_path_free(&p);
    }
    assert_int_equal(api_path_parse(NULL, &p, &err), -1);
    api_path_free(&p);
}

static void test_route_table_is_sane(void **state)
{
    const api_route *r;
    size_t n, i, j;

    (void)state;
    r = api_route_table(&n);
    assert_true(n > 10);
    for (i = 0; i < n; i++) {
        assert_non_null(r[i].fn);
        assert_int_equal(r[i].pattern[0], '/');
        for (j = 0; j < i; j++)
            if (strcmp(r[i].pattern, r[j].pattern) == 0 &&
                strcmp(r[i].method, r[j].method) == 0)
                fail_msg("%s %s is routed twice", r[i].method, r[i].pattern);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_routes),
        cmocka_unit_test(test_literal_beats_parameter),
        cmocka_unit_test(test_parameter_is_decoded),
        cmocka_unit_test(test_rest_parameter),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_wrong_method),
        cmocka_unit_test(test_head_is_get),
        cmocka_unit_test(test_debug_routes),
        cmocka_unit_test(test_bad_paths),
        cmocka_unit_test(test_route_table_is_sane),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
