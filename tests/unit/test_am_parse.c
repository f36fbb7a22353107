/*
 * test_am_parse.c - the one decimal parser: digits only, u64 exact, the
 * limit and the overflow told apart from garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "am_error.h"
#include "am_parse.h"

static void test_digits_read_exactly_up_to_uint64_max(void **state)
{
    uint64_t v = 1;

    (void)state;
    assert_int_equal(am_parse_u64_str("0", UINT64_MAX, &v), AM_OK);
    assert_true(v == 0);
    assert_int_equal(am_parse_u64_str("007", UINT64_MAX, &v), AM_OK);
    assert_true(v == 7);
    assert_int_equal(am_parse_u64_str("18446744073709551615", UINT64_MAX, &v),
                     AM_OK);
    assert_true(v == UINT64_MAX);
    assert_int_equal(am_parse_u64("12345", 3, UINT64_MAX, &v), AM_OK);
    assert_true(v == 123);
}

static void test_overflow_and_limit_are_range_errors(void **state)
{
    uint64_t v = 42;

    (void)state;
    assert_int_equal(am_parse_u64_str("18446744073709551616", UINT64_MAX, &v),
                     AM_ERR_RANGE);
    assert_int_equal(am_parse_u64_str("99999999999999999999999", UINT64_MAX,
                                      &v), AM_ERR_RANGE);
    assert_int_equal(am_parse_u64_str("65536", 65535, &v), AM_ERR_RANGE);
    assert_int_equal(am_parse_u64_str("65535", 65535, &v), AM_OK);
    assert_true(v == 65535);
}

static void test_anything_but_digits_is_malformed_and_changes_nothing(void **state)
{
    static const char *const bad[] = {"", "-1", "+1", " 1", "1 ", "1.0", "1e3",
                                      "0x10", "١", "99999999999999999999x"};
    uint64_t v = 42;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(am_parse_u64_str(bad[i], UINT64_MAX, &v),
                         AM_ERR_MALFORMED);
    assert_int_equal(am_parse_u64("1\0" "2", 3, UINT64_MAX, &v),
                     AM_ERR_MALFORMED);
    assert_true(v == 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digits_read_exactly_up_to_uint64_max),
        cmocka_unit_test(test_overflow_and_limit_are_range_errors),
        cmocka_unit_test(test_anything_but_digits_is_malformed_and_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
