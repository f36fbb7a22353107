/*
 * test_api_url.c - percent-decoding and query strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "am_error.h"
#include "api_url.h"

static void decode_ok(const char *in, int plus, const char *want)
{
    char out[256];
    size_t len = 999;

    assert_int_equal(api_pct_decode(in, strlen(in), plus, out, &len), AM_OK);
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
}

static void test_decode(void **state)
{
    (void)state;
    decode_ok("", 0, "");
    decode_ok("plain", 0, "plain");
    decode_ok("%5B2001%3adb8%3A%3A1%5d%3A8333", 0, "[2001:db8::1]:8333");
    decode_ok("11.0.0.0%2F8", 0, "11.0.0.0/8");
    decode_ok("a+b", 0, "a+b");
    decode_ok("a+b%2B", 1, "a b+");
    decode_ok("%25", 0, "%");
    decode_ok("%e2%82%ac", 0, "\xe2\x82\xac");
    decode_ok("%ff", 0, "\xff");
}

static void test_decode_errors(void **state)
{
    static const char *const bad[] = {"%", "%2", "a%", "%g0", "%0g", "%%",
                                      "%00", "x%00y", "% 1"};
    char out[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (api_pct_decode(bad[i], strlen(bad[i]), 0, out, NULL) !=
            AM_ERR_MALFORMED)
            fail_msg("'%s' should be refused", bad[i]);
}

static void test_decode_length_bounded(void **state)
{
    char out[8];

    (void)state;
    /* Only the given length is read: the escape past it is not seen. */
    assert_int_equal(api_pct_decode("ab%41", 2, 0, out, NULL), AM_OK);
    assert_string_equal(out, "ab");
    assert_int_equal(api_pct_decode("ab%41", 4, 0, out, NULL), AM_ERR_MALFORMED);
}

static void test_query(void **state)
{
    api_query q;
    api_err err;

    (void)state;
    assert_int_equal(api_query_parse("state=tried%2Cfailed&limit=5&&flag&x=",
                                     &q, &err), 0);
    assert_int_equal(q.n, 4);
    assert_string_equal(api_query_get(&q, "state"), "tried,failed");
    assert_string_equal(api_query_get(&q, "limit"), "5");
    assert_string_equal(api_query_get(&q, "flag"), "");
    assert_string_equal(api_query_get(&q, "x"), "");
    assert_null(api_query_get(&q, "nope"));
    api_query_free(&q);

    assert_int_equal(api_query_parse("source=a+b%2Bc", &q, &err), 0);
    assert_string_equal(api_query_get(&q, "source"), "a b+c");
    api_query_free(&q);

    assert_int_equal(api_query_parse(NULL, &q, &err), 0);
    assert_int_equal(q.n, 0);
    api_query_free(&q);
    assert_int_equal(api_query_parse("", &q, &err), 0);
    assert_int_equal(q.n, 0);
    api_query_free(&q);
    /* '=' inside a value is part of it. */
    assert_int_equal(api_query_parse("a=b=c", &q, &err), 0);
    assert_string_equal(api_query_get(&q, "a"), "b=c");
    api_query_free(&q);
}

static void test_query_errors(void **state)
{
    static const char *const bad[] = {"a=%zz", "%=1", "=1", "a=1&=2",
                                      "a=%00"};
    char many[256] = "";
    api_query q;
    api_err err;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (api_query_parse(bad[i], &q, &err) != -1)
            fail_msg("'%s' should be refused", bad[i]);
        assert_int_equal(err.code, API_BAD_REQUEST);
        api_query_free(&q);
    }
    for (i = 0; i <= API_QUERY_MAX; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "k%zu=v&", i);
    assert_int_equal(api_query_parse(many, &q, &err), -1);
    assert_non_null(strstr(err.msg, "too many"));
    api_query_free(&q);
}

static void test_query_check(void **state)
{
    static const char *const allowed[] = {"limit", "after", NULL};
    api_query q;
    api_err err;

    (void)state;
    assert_int_equal(api_query_parse("limit=1&after=2", &q, &err), 0);
    assert_int_equal(api_query_check(&q, allowed, &err), 0);
    api_query_free(&q);

    assert_int_equal(api_query_parse("limit=1&limti=2", &q, &err), 0);
    assert_int_equal(api_query_check(&q, allowed, &err), -1);
    assert_non_null(strstr(err.msg, "'limti'"));
    api_query_free(&q);

    assert_int_equal(api_query_parse("limit=1&limit=2", &q, &err), 0);
    assert_int_equal(api_query_check(&q, allowed, &err), -1);
    assert_non_null(strstr(err.msg, "twice"));
    api_query_free(&q);

    assert_int_equal(api_query_parse("x=1", &q, &err), 0);
    assert_int_equal(api_query_check(&q, NULL, &err), -1);
    api_query_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_length_bounded),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_query_errors),
        cmocka_unit_test(test_query_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
