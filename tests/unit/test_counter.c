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

/* Many keys (the table grows, and shifts keys back on removals): removing
 * every other one leaves the rest found with their counts, and the removed
 * ones can be counted again. */
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
    for (uint64_t k = 0; k < 5000; k += 2)
        assert_int_equal(am_counter_inc(&c, k << 16), 0);
    for (uint64_t k = 0; k < 5000; k++)
        assert_int_equal(am_counter_get(&c, k << 16), k % 2 ? k % 3 + 1 : 1);
    assert_int_equal(am_counter_size(&c), 5000);
    am_counter_free(&c);
}

/* No key value is reserved: 0 and UINT64_MAX count like any other. */
static void test_every_key_value_can_be_counted(void **state)
{
    (void)state;
    am_counter c;
    am_counter_init(&c);
    assert_int_equal(am_counter_inc(&c, 0), 0);
    assert_int_equal(am_counter_inc(&c, UINT64_MAX), 0);
    assert_int_equal(am_counter_inc(&c, UINT64_MAX), 0);
    assert_int_equal(am_counter_get(&c, 0), 1);
    assert_int_equal(am_counter_get(&c, UINT64_MAX), 2);
    am_counter_dec(&c, 0);
    assert_int_equal(am_counter_get(&c, 0), 0);
    assert_int_equal(am_counter_get(&c, UINT64_MAX), 2);
    assert_int_equal(am_counter_size(&c), 1);
    am_counter_free(&c);
}

/* A counter in the caller's slots works there, and outgrows them into its
 * own (keeping every count) without freeing them. */
static void test_counter_in_caller_slots_outgrows_them(void **state)
{
    (void)state;
    am_counter_slot own[8];
    am_counter c;
    am_counter_init_in(&c, own, 8);
    for (uint64_t k = 1; k <= 6; k++)
        assert_int_equal(am_counter_inc(&c, k), 0);
    assert_ptr_equal(c.slot, own);
    assert_int_equal(am_counter_inc(&c, 7), 0);
    assert_ptr_not_equal(c.slot, own);
    for (uint64_t k = 1; k <= 7; k++)
        assert_int_equal(am_counter_get(&c, k), 1);
    am_counter_free(&c);
}

/* Reserved room is there: the keys go in without the table moving. */
static void test_reserve_makes_room_up_front(void **state)
{
    (void)state;
    am_counter_slot own[16];
    am_counter c;
    am_counter_init_in(&c, own, 16);
    assert_int_equal(am_counter_reserve(&c, 12), 0);
    assert_ptr_equal(c.slot, own);
    assert_int_equal(am_counter_reserve(&c, 1000), 0);
    const am_counter_slot *table = c.slot;
    for (uint64_t k = 0; k < 1000; k++)
        assert_int_equal(am_counter_inc(&c, k * 7919), 0);
    assert_ptr_equal(c.slot, table);
    assert_int_equal(am_counter_size(&c), 1000);
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
        cmocka_unit_test(test_every_key_value_can_be_counted),
        cmocka_unit_test(test_counter_in_caller_slots_outgrows_them),
        cmocka_unit_test(test_reserve_makes_room_up_front),
        cmocka_unit_test(test_differ_names_the_key_counted_differently),
    };
    return cmocka_run_group_tests_name("counter", tests, NULL, NULL);
}
