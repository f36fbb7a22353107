/*
 * test_st_pool.c - the durable pool's long calls: an add of many slices
 * answers every entry and journals every change, and other calls run
 * between its slices instead of waiting for the whole of it.
 */
#include "store_test.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "st_pool.h"

#define SLICES 160

typedef struct fixture {
    char dir[64];
    st_env env;
    st_pool *pool;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    st_pool_config pc;

    st_tmpdir(f->dir);
    st_seed_meta(f->dir);       /* a fixed key: the same slots every run */
    st_start(&f->env, f->dir);
    memset(&pc, 0, sizeof pc);
    pc.core = f->env.core;
    pc.store = f->env.store;
    ASSERT_RC(st_pool_new(&pc, &f->pool), AM_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    st_pool_free(f->pool);
    st_stop(&f->env);
    st_rmrf(f->dir);
    free(f);
    return 0;
}

/* n routable peers, each in a /16 of its own, so that none is turned away
 * by a full bucket or the group cap. */
static st_add *items(size_t n, uint32_t first)
{
    st_add *it = calloc(n, sizeof *it);

    for (size_t i = 0; i < n; i++) {
        it[i].addr = t_v4u(((first + (uint32_t)i) << 16) | 0x0101, T_PORT);
        it[i].services = 1;
        it[i].time = T_START;
    }
    return it;
}

static void test_add_over_slice_boundaries_answers_and_journals_every_entry(void **state)
{
    fixture *f = *state;
    size_t n = 2 * ST_POOL_SLICE + 3, taken = 0, added = 0;
    st_add *it = items(n, 0x0c00);
    st_store_stats before, after;
    int jrc = -1;

    it[ST_POOL_SLICE].skip = AM_ERR_TORV2;          /* first of slice 2 */
    it[n - 1].addr = it[0].addr;                    /* last: a refresh */
    st_store_stats_get(f->env.store, &before);
    ASSERT_RC(st_pool_add(f->pool, it, n, NULL, &jrc), AM_OK);
    ASSERT_RC(jrc, AM_OK);
    /* Every entry has the core's answer: added, refreshed, or a slot that
     * holds a better entry (peers of one source group share buckets). */
    for (size_t i = 0; i < n; i++) {
        if (i == ST_POOL_SLICE)
            continue;
        if (it[i].rc == AM_ERR_REJECTED)
            continue;
        ASSERT_RC(it[i].rc, AM_OK);
        taken++;
        added += (size_t)it[i].is_new;
    }
    ASSERT_RC(it[0].rc, AM_OK);
    ASSERT_RC(it[n - 1].rc, AM_OK);
    assert_int_equal(it[n - 1].is_new, 0);          /* the refresh */
    assert_true(taken > n * 9 / 10);
    assert_int_equal(am_size(f->env.core), added);
    st_store_stats_get(f->env.store, &after);
    /* One record per peer added or refreshed, none for the skipped one. */
    assert_int_equal(after.journal_records - before.journal_records, taken);
    free(it);
}

static void test_add_refuses_port_0_outside_i2p(void **state)
{
    fixture *f = *state;
    st_add *it = items(2, 0x0d00);
    int jrc;

    it[1].addr.port = 0;
    ASSERT_RC(st_pool_add(f->pool, it, 2, NULL, &jrc), AM_OK);
    ASSERT_RC(jrc, AM_OK);
    ASSERT_RC(it[0].rc, AM_OK);
    ASSERT_RC(it[1].rc, AM_ERR_ADDR);
    assert_int_equal(am_size(f->env.core), 1);
    free(it);
}

static void test_getaddr_over_a_store_answers_and_journals_nothing_unmoved(void **state)
{
    fixture *f = *state;
    size_t n = 3 * ST_POOL_SLICE, added = 0, got = 0;
    st_add *it = items(n, 0x0e00);
    am_peer *out = calloc(ST_GETADDR_MAX, sizeof *out);
    st_store_stats before, after;
    int jrc;

    ASSERT_RC(st_pool_add(f->pool, it, n, NULL, &jrc), AM_OK);
    for (size_t i = 0; i < n; i++)
        added += it[i].rc == AM_OK;
    st_store_stats_get(f->env.store, &before);
    /* More than one slice of draws. */
    ASSERT_RC(st_pool_getaddr(f->pool, ST_GETADDR_MAX, out, &got), AM_OK);
    assert_int_equal(got, added);
    st_store_stats_get(f->env.store, &after);
    assert_int_equal(after.journal_records, before.journal_records);
    free(out);
    free(it);
}

typedef struct selecting {
    st_pool *pool;
    atomic_int adding;          /* 1 while the big add runs */
    atomic_int stop;
    atomic_int during;          /* selects answered while it ran */
    atomic_int done;            /* selects answered in all */
} selecting;

static void *select_loop(void *arg)
{
    selecting *s = arg;
    am_pool_select_opts o;
    am_peer out[4];
    size_t n;
    int jrc;

    memset(&o, 0, sizeof o);
    o.node = "watcher";
    o.count = 4;
    while (!atomic_load(&s->stop)) {
        (void)st_pool_select(s->pool, &o, out, &n, &jrc);
        atomic_fetch_add(&s->done, 1);
        if (atomic_load(&s->adding))
            atomic_fetch_add(&s->during, 1);
    }
    return NULL;
}

static void test_selects_run_between_the_slices_of_a_long_add(void **state)
{
    fixture *f = *state;
    size_t n = SLICES * ST_POOL_SLICE;
    st_add *it = items(n, 0x0c00);
    selecting s;
    pthread_t t;
    int jrc;

    memset(&s, 0, sizeof s);
    s.pool = f->pool;
    assert_int_equal(pthread_create(&t, NULL, select_loop, &s), 0);
    /* The selecting thread runs before the add starts, so that the add
     * cannot be over before it asks for the lock even once. */
    while (atomic_load(&s.done) == 0)
        sched_yield();
    atomic_store(&s.adding, 1);
    ASSERT_RC(st_pool_add(f->pool, it, n, NULL, &jrc), AM_OK);
    atomic_store(&s.adding, 0);
    atomic_store(&s.stop, 1);
    pthread_join(t, NULL);
    ASSERT_RC(jrc, AM_OK);
    /* One hold for the whole add would let at most the select that was
     * already waiting finish meanwhile; in slices, with a lock that serves
     * in order, a waiting select runs after each slice. */
    assert_true(atomic_load(&s.during) >= 4);
    free(it);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_add_over_slice_boundaries_answers_and_journals_every_entry,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_getaddr_over_a_store_answers_and_journals_nothing_unmoved,
            setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_refuses_port_0_outside_i2p,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_selects_run_between_the_slices_of_a_long_add, setup,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
