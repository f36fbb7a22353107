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
#include "st_ignore.h"

static void expect_reason(int rc, st_ignore want)
{
    st_ignore why = ST_IGN_DUPLICATE;

    assert_int_equal(st_ignore_of(rc, &why), 1);
    assert_int_equal(why, want);
}

static void test_core_codes_map_to_reasons(void **state)
{
    st_ignore why;

    (void)state;
    expect_reason(AM_ERR_UNROUTABLE, ST_IGN_UNROUTABLE);
    expect_reason(AM_ERR_BANNED, ST_IGN_BANNED);
    expect_reason(AM_ERR_REJECTED, ST_IGN_TABLE_FULL);
    expect_reason(AM_ERR_GROUP_CAP, ST_IGN_GROUP_CAP);
    expect_reason(AM_ERR_TORV2, ST_IGN_TOR_V2);
    expect_reason(AM_ERR_UNKNOWN_NET, ST_IGN_UNKNOWN_NETWORK);
    expect_reason(AM_ERR_EXISTS, ST_IGN_DUPLICATE);
    /* Success and real errors are no reason to ignore. */
    assert_int_equal(st_ignore_of(AM_OK, &why), 0);
    assert_int_equal(st_ignore_of(AM_ERR_ADDR, &why), 0);
    assert_int_equal(st_ignore_of(AM_ERR_NOMEM, &why), 0);
    assert_int_equal(st_ignore_of(AM_ERR_FULL, &why), 0);
}

static void test_reason_names_are_distinct_snake_case(void **state)
{
    (void)state;
    assert_string_equal(st_ignore_name(ST_IGN_TABLE_FULL), "table_full");
    assert_string_equal(st_ignore_name(ST_IGN_GROUP_CAP), "group_cap");
    for (int i = 0; i < ST_IGN_COUNT; i++) {
        const char *n = st_ignore_name((st_ignore)i);
        assert_true(strlen(n) > 0);
        assert_true(n[strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_")] == '\0');
        for (int k = 0; k < i; k++)
            assert_string_not_equal(n, st_ignore_name((st_ignore)k));
    }
}

static char *written(size_t total, const size_t by[ST_IGN_COUNT])
{
    js_w w;
    char *out;
    size_t len;

    js_w_init(&w);
    js_w_object(&w);
    st_ignored_write(&w, total, by);
    js_w_object_end(&w);
    assert_int_equal(js_w_take(&w, &out, &len), AM_OK);
    return out;
}

static void test_ignored_by_lists_only_reasons_that_occurred(void **state)
{
    size_t by[ST_IGN_COUNT] = {0}, total = 0;
    char *out;

    (void)state;
    out = written(total, by);
    assert_string_equal(out, "{\"ignored\":0,\"ignored_by\":{}}");
    free(out);
    st_ignore_count(&total, by, ST_IGN_TOR_V2);
    st_ignore_count(&total, by, ST_IGN_UNROUTABLE);
    st_ignore_count(&total, by, ST_IGN_TOR_V2);
    assert_int_equal(total, 3);
    out = written(total, by);
    assert_string_equal(out, "{\"ignored\":3,\"ignored_by\":{\"unroutable\":1,"
                             "\"tor_v2\":2}}");
    free(out);
}

static void test_log_text_names_each_reason(void **state)
{
    size_t by[ST_IGN_COUNT] = {0};
    char buf[128], small[12];

    (void)state;
    st_ignored_text(by, buf, sizeof buf);
    assert_string_equal(buf, "");
    by[ST_IGN_UNROUTABLE] = 3;
    by[ST_IGN_DUPLICATE] = 1;
    st_ignored_text(by, buf, sizeof buf);
    assert_string_equal(buf, "unroutable 3, duplicate 1");
    st_ignored_text(by, small, sizeof small);     /* truncated, terminated */
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
