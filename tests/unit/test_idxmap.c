/*
 * test_idxmap.c - the index hash set: what is stored is found, what is
 * removed is not, through every incremental growth, with removals in the
 * middle of a move and probe runs that wrap around the table's end; and
 * no single insert rehashes the whole table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "idxmap.h"

#define N 60000

typedef struct model {
    uint64_t key[N];            /* the key of index i */
    unsigned char in[N];        /* index i is stored */
    int narrow;                 /* hash into few homes: long runs */
    size_t hash_calls;
} model;

static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t key_hash(const model *m, uint64_t key)
{
    uint64_t h = mix(key);
    /* Narrow: every key homes in the last 16 slots of any table of 64 or
     * more, so runs are long and wrap around the end. */
    return m->narrow ? (h | ~(uint64_t)15) : h;
}

static uint64_t hash_idx(void *ctx, uint32_t idx)
{
    model *m = ctx;
    m->hash_calls++;
    return key_hash(m, m->key[idx]);
}

static int eq_idx(void *ctx, uint32_t idx, const void *key)
{
    const model *m = ctx;
    return m->key[idx] == *(const uint64_t *)key;
}

static void check_all(const am_idxmap *map, const model *m, uint32_t u)
{
    size_t stored = 0, seen = 0;

    for (uint32_t i = 0; i < u; i++) {
        uint32_t got = am_idxmap_find(map, key_hash(m, m->key[i]), &m->key[i]);
        assert_int_equal(got, m->in[i] ? i : AM_IDX_NONE);
        stored += m->in[i];
    }
    assert_int_equal(map->n, stored);
    for (size_t i = 0; i < am_idxmap_span(map); i++) {
        uint32_t v = am_idxmap_at(map, i);
        if (v == AM_IDX_NONE)
            continue;
        assert_true(v < u && m->in[v]);
        seen++;
    }
    assert_int_equal(seen, stored);
}

/* ops random calls over the indexes below u. */
static void random_ops(model *m, uint32_t u, size_t ops, unsigned check_every)
{
    am_idxmap map;
    uint64_t rng = 42;

    for (uint32_t i = 0; i < N; i++)
        m->key[i] = mix(i + 1000);
    memset(m->in, 0, sizeof m->in);
    am_idxmap_init(&map, hash_idx, eq_idx, m);
    for (size_t op = 0; op < ops; op++) {
        rng = mix(rng);
        uint32_t i = (uint32_t)(rng % u);
        /* Mostly inserts at first (growth after growth), then a mix. */
        int insert = op < ops / 2 ? (rng >> 40) % 4 != 0 : (rng >> 40) % 2;
        if (insert && !m->in[i]) {
            assert_int_equal(am_idxmap_insert(&map, i), 0);
            m->in[i] = 1;
        } else if (!insert && m->in[i]) {
            assert_int_equal(am_idxmap_remove(&map, i), 0);
            m->in[i] = 0;
        } else if (!insert) {
            assert_int_equal(am_idxmap_remove(&map, i), -1);
        }
        if (check_every && op % check_every == 0)
            check_all(&map, m, u);
    }
    check_all(&map, m, u);
    am_idxmap_free(&map);
}

static void test_random_inserts_and_removals_through_every_growth(void **state)
{
    static model m;

    (void)state;
    m.narrow = 0;
    random_ops(&m, N, 200000, 5003);
}

static void test_long_runs_that_wrap_survive_moves_and_removals(void **state)
{
    static model m;

    (void)state;
    m.narrow = 1;
    random_ops(&m, 1500, 6000, 97);
}

static void test_no_insert_rehashes_the_whole_table(void **state)
{
    static model m;
    am_idxmap map;
    size_t worst = 0;

    (void)state;
    m.narrow = 0;
    for (uint32_t i = 0; i < N; i++)
        m.key[i] = mix(i + 7);
    am_idxmap_init(&map, hash_idx, eq_idx, &m);
    for (uint32_t i = 0; i < N; i++) {
        size_t before = m.hash_calls;
        assert_int_equal(am_idxmap_insert(&map, i), 0);
        if (m.hash_calls - before > worst)
            worst = m.hash_calls - before;
    }
    /* Growing at once would hash every stored index (45 000 at the last
     * growth); moving a few runs at a time hashes a few dozen. */
    assert_true(worst < 200);
    assert_true(map.cap >= 65536);
    am_idxmap_free(&map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_inserts_and_removals_through_every_growth),
        cmocka_unit_test(test_long_runs_that_wrap_survive_moves_and_removals),
        cmocka_unit_test(test_no_insert_rehashes_the_whole_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
