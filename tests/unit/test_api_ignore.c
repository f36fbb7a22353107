/*
 * test_api_ignore.c - reasons for ignored entries: which core code is which
 * reason, the "ignored_by" member and the log text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "am_error.h"
#include "api_ignore.h"

static void expect_reason(int rc, api_ignore want)
{
    api_ignore why = API_IGN_DUPLICATE;

    assert_int_equal(api_ignore_of(rc, &why), 1);
    assert_int_equal(why, want);
}

static void test_core_codes_map_to_reasons(void **state)
{
    api_ignore why;

    (void)state;
    expect_reason(AM_ERR_UNROUTABLE, API_IGN_UNROUTABLE);
    expect_reason(AM_ERR_BANNED, API_IGN_BANNED);
    expect_reason(AM_ERR_REJECTED, API_IGN_TABLE_FULL);
    expect_reason(AM_ERR_GROUP_CAP, API_IGN_GROUP_CAP);
    expect_reason(AM_ERR_TORV2, API_IGN_TOR_V2);
    expect_reason(AM_ERR_UNKNOWN_NET, API_IGN_UNKNOWN_NETWORK);
    expect_reason(AM_ERR_EXISTS, API_IGN_DUPLICATE);
    /* Success and real errors are no reason to ignore. */
    assert_int_equal(api_ignore_of(AM_OK, &why), 0);
    assert_int_equal(api_ignore_of(AM_ERR_ADDR, &why), 0);
    assert_int_equal(api_ignore_of(AM_ERR_NOMEM, &why), 0);
    assert_int_equal(api_ignore_of(AM_ERR_FULL, &why), 0);
}

static void test_reason_names_are_distinct_snake_case(void **state)
{
    (void)state;
    assert_string_equal(api_ignore_name(API_IGN_TABLE_FULL), "table_full");
    assert_string_equal(api_ignore_name(API_IGN_GROUP_CAP), "group_cap");
    for (int i = 0; i < API_IGN_COUNT; i++) {
        const char *n = api_ignore_name((api_ignore)i);
        assert_true(strlen(n) > 0);
        assert_true(n[strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_")] == '\0');
        for (int k = 0; k < i; k++)
            assert_string_not_equal(n, api_ignore_name((api_ignore)k));
    }
}

static char *written(size_t total, const size_t by[API_IGN_COUNT])
{
    api_jw w;
    char *out;
    size_t len;

    api_jw_init(&w);
    api_jw_object(&w);
    api_ignored_write(&w, total, by);
    api_jw_object_end(&w);
    assert_int_equal(api_jw_take(&w, &out, &len), AM_OK);
    return out;
}

static void test_ignored_by_lists_only_reasons_that_occurred(void **state)
{
    size_t by[API_IGN_COUNT] = {0}, total = 0;
    char *out;

    (void)state;
    out = written(total, by);
    assert_string_equal(out, "{\"ignored\":0,\"ignored_by\":{}}");
    free(out);
    api_ignore_count(&total, by, API_IGN_TOR_V2);
    api_ignore_count(&total, by, API_IGN_UNROUTABLE);
    api_ignore_count(&total, by, API_IGN_TOR_V2);
    assert_int_equal(total, 3);
    out = written(total, by);
    assert_string_equal(out, "{\"ignored\":3,\"ignored_by\":{\"unroutable\":1,"
                             "\"tor_v2\":2}}");
    free(out);
}

static void test_log_text_names_each_reason(void **state)
{
    size_t by[API_IGN_COUNT] = {0};
    char buf[128], small[12];

    (void)state;
    api_ignored_text(by, buf, sizeof buf);
    assert_string_equal(buf, "");
    by[API_IGN_UNROUTABLE] = 3;
    by[API_IGN_DUPLICATE] = 1;
    api_ignored_text(by, buf, sizeof buf);
    assert_string_equal(buf, "unroutable 3, duplicate 1");
    api_ignored_text(by, small, sizeof small);     /* truncated, terminated */
    assert_string_equal(small, "unroutable ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_codes_map_to_reasons),
        cmocka_unit_test(test_reason_names_are_distinct_snake_case),
        cmocka_unit_test(test_ignored_by_lists_only_reasons_that_occurred),
        cmocka_unit_test(test_log_text_names_each_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
