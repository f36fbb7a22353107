/*
 * test_counter.c - am_counter: a multiset of 64-bit keys (the new table's
 * group counts, the pool's per-node held groups).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "counter.h"

static void test_counts_each_key_separately(void **state)
{
    (void)state;
    am_counter c;
    am_counter_init(&c);
    assert_int_equal(am_counter_get(&c, 7), 0);
    assert_int_equal(am_counter_inc(&c, 7), 0);
    assert_int_equal(am_counter_inc(&c, 7), 0);
    assert_int_equal(am_counter_inc(&c, 9), 0);
    assert_int_equal(am_counter_get(&c, 7), 2);
    assert_int_equal(am_counter_get(&c, 9), 1);
    assert_int_equal(am_counter_get(&c, 8), 0);
    assert_int_equal(am_counter_size(&c), 2);
    am_counter_free(&c);
}

static void test_key_counted_down_to_zero_is_gone(void **state)
{
    (void)state;
    am_counter c;
    am_counter_init(&c);
    assert_int_equal(am_counter_inc(&c, 5), 0);
    assert_int_equal(am_counter_inc(&c, 5), 0);
    am_counter_dec(&c, 5);
    assert_int_equal(am_counter_size(&c), 1);
    am_counter_dec(&c, 5);
    assert_int_equal(am_counter_get(&c, 5), 0);
    assert_int_equal(am_counter_size(&c), 0);
    /* Taking away a key not counted changes nothing. */
    am_counter_dec(&c, 5);
    assert_int_equal(am_counter_size(&c), 0);
    am_counter_free(&c);
}

/* Many keys (the idxmap grows and shifts back on removals); removing every
 * other one leaves the rest found with their counts, and freed records are
 * reused rather than grown. */
static void test_many_keys_survive_growth_and_removals(void **state)
{
    (void)state;
    am_counter c;
    am_counter_init(&c);
    for (uint64_t k = 0; k < 5000; k++)
        for (uint64_t n = 0; n <= k % 3; n++)
            assert_int_equal(am_counter_inc(&c, k << 16), 0);
    for (uint64_t k = 0; k < 5000; k += 2)
        for (uint64_t n = 0; n <= k % 3; n++)
            am_counter_dec(&c, k << 16);
    assert_int_equal(am_counter_size(&c), 2500);
    for (uint64_t k = 0; k < 5000; k++)
        assert_int_equal(am_counter_get(&c, k << 16), k % 2 ? k % 3 + 1 : 0);
    uint32_t high = c.high;
    for (uint64_t k = 0; k < 2500; k++)
        assert_int_equal(am_counter_inc(&c, (k << 16) + 1), 0);
    assert_int_equal(c.high, high);
    am_counter_free(&c);
}

static void test_differ_names_the_key_counted_differently(void **state)
{
    (void)state;
    am_counter a, b;
    uint64_t key = 0;
    am_counter_init(&a);
    am_counter_init(&b);
    assert_int_equal(am_counter_differ(&a, &b, &key), 0);
    for (uint64_t k = 1; k <= 3; k++) {
        assert_int_equal(am_counter_inc(&a, k), 0);
        assert_int_equal(am_counter_inc(&b, 4 - k), 0);
    }
    assert_int_equal(am_counter_differ(&a, &b, &key), 0);
    assert_int_equal(am_counter_inc(&b, 2), 0);
    assert_int_equal(am_counter_differ(&a, &b, &key), 1);
    assert_int_equal(key, 2);
    am_counter_dec(&b, 2);
    assert_int_equal(am_counter_inc(&b, 4), 0);
    assert_int_equal(am_counter_differ(&a, &b, &key), 2);
    assert_int_equal(am_counter_differ(&b, &a, &key), 1);
    assert_int_equal(key, 4);
    am_counter_free(&a);
    am_counter_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_each_key_separately),
        cmocka_unit_test(test_key_counted_down_to_zero_is_gone),
        cmocka_unit_test(test_many_keys_survive_growth_and_removals),
        cmocka_unit_test(test_differ_names_the_key_counted_differently),
    };
    return cmocka_run_group_tests_name("counter", tests, NULL, NULL);
}
