/*
 * test_st_pool_probe.c - what the prober draws (st_pool_probe_next) and
 * what a probe's end changes (st_pool_probe_done): collision occupants
 * first, then the new table, then stale tried peers; never a banned,
 * connected, resting or unreachable peer; a success records the services
 * the peer announced and makes it tried, a failure counts an attempt, and
 * a collision ends as Core ends it.
 */
#include "am_test.h"

#include "st_pool.h"

typedef struct fixture {
    am_man *core;
    st_pool *pool;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    am_config cfg;
    st_pool_config pc;

    assert_non_null(f);
    t_now = T_START;
    t_config(&cfg, 1024, 256);
    f->core = t_man_cfg(&cfg);
    memset(&pc, 0, sizeof pc);
    pc.core = f->core;
    ASSERT_RC(st_pool_new(&pc, &f->pool), AM_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    st_pool_free(f->pool);
    am_free(f->core);
    free(f);
    return 0;
}

static st_probe_query query(void)
{
    st_probe_query q;
    memset(&q, 0, sizeof q);
    q.networks = AM_NET_ALL;
    q.retry = 600;
    q.stale_age = 4 * T_HOUR;
    return q;
}

static int next(fixture *f, const st_probe_query *q, am_peer *out,
                st_probe_phase *phase)
{
    return st_pool_probe_next(f->pool, q, out, phase);
}

static am_peer done(fixture *f, uint64_t id, int ok, uint64_t services)
{
    am_peer before = t_get(f->core, id), after;
    int jrc = -1;
    ASSERT_RC(st_pool_probe_done(f->pool, id, &before.addr, ok, services,
                                 &after, &jrc), AM_OK);
    ASSERT_RC(jrc, AM_OK);
    CHECK(f->core);
    return after;
}

static void test_probe_draws_new_table_then_stale_tried(void **state)
{
    fixture *f = *state;
    st_probe_query q = query();
    st_probe_phase ph;
    am_peer p;

    uint64_t a = t_add(f->core, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    uint64_t b = t_add(f->core, t_v4(9, 6, 7, 8, T_PORT), NULL, 1, 0);
    t_set(f->core, b, AM_OP_TRIED);
    /* b was verified just now: only a is a candidate. */
    for (int i = 0; i < 20; i++) {
        ASSERT_RC(next(f, &q, &p, &ph), AM_OK);
        assert_int_equal(p.id, a);
        assert_int_equal(ph, ST_PROBE_NEW);
    }
    /* Hours later b is stale; the new table still comes first. */
    t_advance(4 * T_HOUR);
    ASSERT_RC(next(f, &q, &p, &ph), AM_OK);
    assert_int_equal(p.id, a);
    q.stale_first = 1;
    ASSERT_RC(next(f, &q, &p, &ph), AM_OK);
    assert_int_equal(p.id, b);
    assert_int_equal(ph, ST_PROBE_STALE);
    /* Once a is checked it rests for the retry time; b remains. */
    q.stale_first = 0;
    done(f, a, 0, 0);
    ASSERT_RC(next(f, &q, &p, &ph), AM_OK);
    assert_int_equal(p.id, b);
    done(f, b, 1, 1);
    ASSERT_RC(next(f, &q, &p, &ph), AM_ERR_NOTFOUND);
    t_advance(601);
    ASSERT_RC(next(f, &q, &p, &ph), AM_OK);
    assert_int_equal(p.id, a);
}

static void test_probe_never_draws_banned_connected_or_unreachable(void **state)
{
    fixture *f = *state;
    st_probe_query q = query();
    st_probe_phase ph;
    am_peer p;
    am_subnet sn;
    am_ban ban;
    int jrc;

    uint64_t a = t_add(f->core, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    uint64_t b = t_add(f->core, t_v4(9, 6, 7, 8, T_PORT), NULL, 1, 0);
    t_add(f->core, t_named(AM_NET_TORV3, 7, T_PORT), NULL, 1, 0);
    ASSERT_RC(am_subnet_parse(&sn, "5.6.7.8"), AM_OK);
    ASSERT_RC(st_pool_ban(f->pool, &sn, 24 * T_HOUR, "test", &ban, &jrc), AM_OK);
    t_set(f->core, b, AM_OP_CONNECTED);
    t_advance(5 * T_HOUR);              /* b is stale, but connected */
    q.networks = 1u << AM_NET_IPV4;     /* no route to Tor */
    ASSERT_RC(next(f, &q, &p, &ph), AM_ERR_NOTFOUND);
    q.networks = AM_NET_ALL;
    ASSERT_RC(next(f, &q, &p, &ph), AM_OK);
    assert_int_equal(p.addr.net, AM_NET_TORV3);
    (void)a;
}

static int skip_tor(void *ctx, const am_peer *p)
{
    (*(int *)ctx)++;
    return p->addr.net == AM_NET_TORV3;
}

static void test_probe_asks_the_callers_skip_test(void **state)
{
    fixture *f = *state;
    st_probe_query q = query();
    st_probe_phase ph;
    am_peer p;
    int calls = 0;

    t_add(f->core, t_named(AM_NET_TORV3, 7, T_PORT), NULL, 1, 0);
    q.skip = skip_tor;
    q.skip_ctx = &calls;
    ASSERT_RC(next(f, &q, &p, &ph), AM_ERR_NOTFOUND);
    assert_true(calls > 0);
    uint64_t a = t_add(f->core, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    ASSERT_RC(next(f, &q, &p, &ph), AM_OK);
    assert_int_equal(p.id, a);
    q.networks = 0;                     /* no network reached at all */
    ASSERT_RC(next(f, &q, &p, &ph), AM_ERR_NOTFOUND);
}

static void test_probe_success_records_services_and_makes_tried(void **state)
{
    fixture *f = *state;
    uint64_t a = t_add(f->core, t_v4(5, 6, 7, 8, T_PORT), NULL, 1 | 8, 0);
    am_peer p = done(f, a, 1, 1024 | 4);
    assert_int_equal(p.services, 1024 | 4);   /* replaced, not OR-ed */
    assert_int_equal(p.in_tried, 1);
    assert_int_equal(p.state, AM_STATE_TRIED);
    assert_int_equal(p.last_success, t_now);
    /* A failure: one attempt, the services stay what it announced. */
    t_advance(60);
    p = done(f, a, 0, 0);
    assert_int_equal(p.services, 1024 | 4);
    assert_int_equal(p.attempts, 1);
    assert_int_equal(p.last_try, t_now);
    assert_int_equal(p.state, AM_STATE_FAILED);
}

static void test_probe_leaves_a_connected_peer_connected(void **state)
{
    fixture *f = *state;
    uint64_t a = t_add(f->core, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    t_set(f->core, a, AM_OP_CONNECTED);
    am_peer p = done(f, a, 0, 0);
    assert_int_equal(p.state, AM_STATE_CONNECTED);
    assert_int_equal(p.attempts, 0);
    p = done(f, a, 1, 9);
    assert_int_equal(p.state, AM_STATE_CONNECTED);
    assert_int_equal(p.services, 9);
}

static void test_probe_done_for_a_gone_peer_is_notfound(void **state)
{
    fixture *f = *state;
    uint64_t a = t_add(f->core, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    am_addr other = t_v4(5, 6, 7, 9, T_PORT);
    am_peer p;
    int jrc;
    ASSERT_RC(st_pool_probe_done(f->pool, a, &other, 1, 1, &p, &jrc),
              AM_ERR_NOTFOUND);
    assert_int_equal(t_get(f->core, a).in_tried, 0);
    t_remove(f->core, a);
    am_addr addr = t_v4(5, 6, 7, 8, T_PORT);
    ASSERT_RC(st_pool_probe_done(f->pool, a, &addr, 1, 1, &p, &jrc),
              AM_ERR_NOTFOUND);
}

/* A collision in a one-bucket tried table (as test_addrman_tables.c): the
 * old occupant succeeded at T_START, five hours pass, then newcomers are
 * made tried until one collides.  Returns the newcomer; *old the occupant. */
static uint64_t make_collision(fixture *f, uint64_t *old)
{
    am_config cfg;
    st_pool_config pc;
    am_addr src = t_v4(9, 9, 9, 9, 0);
    uint32_t ctr = 4242;

    st_pool_free(f->pool);
    am_free(f->core);
    t_config(&cfg, 1024, 1);
    f->core = t_man_cfg(&cfg);
    memset(&pc, 0, sizeof pc);
    pc.core = f->core;
    ASSERT_RC(st_pool_new(&pc, &f->pool), AM_OK);
    *old = t_add(f->core, t_v4(5, 6, 7, 8, T_PORT), &src, 1, 0);
    t_set(f->core, *old, AM_OP_TRIED);
    t_advance(5 * T_HOUR);
    for (int i = 0; i < 20000; i++) {
        uint64_t id = 0;
        if (t_try_add(f->core, t_distinct_v4(&ctr, T_PORT), &src, 1, 0,
                      &id) != AM_OK)
            continue;
        if (!t_set(f->core, id, AM_OP_TRIED).in_tried)
            return id;
        t_remove(f->core, id);
    }
    fail_msg("no tried collision found in 20000 tries");
    return 0;
}

static void test_probe_tests_the_collision_occupant_first_and_keeps_it_alive(
    void **state)
{
    fixture *f = *state;
    st_probe_query q = query();
    st_probe_phase ph;
    am_peer p;
    uint64_t old, fresh = make_collision(f, &old);

    ASSERT_RC(next(f, &q, &p, &ph), AM_OK);
    assert_int_equal(p.id, old);
    assert_int_equal(ph, ST_PROBE_COLLISION);
    done(f, old, 1, 1);
    am_resolve_collisions(f->core);
    assert_int_equal(t_stats(f->core).collisions, 0);
    assert_int_equal(t_get(f->core, old).in_tried, 1);
    assert_int_equal(t_get(f->core, fresh).in_tried, 0);
}

static void test_probe_evicts_a_dead_collision_occupant(void **state)
{
    fixture *f = *state;
    uint64_t old, fresh = make_collision(f, &old);

    done(f, old, 0, 0);
    t_advance(61);                      /* Core's minute for the attempt */
    am_resolve_collisions(f->core);
    CHECK(f->core);
    assert_int_equal(t_stats(f->core).collisions, 0);
    assert_int_equal(t_get(f->core, old).in_tried, 0);
    assert_int_equal(t_get(f->core, fresh).in_tried, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_probe_draws_new_table_then_stale_tried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_never_draws_banned_connected_or_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_asks_the_callers_skip_test, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_success_records_services_and_makes_tried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_leaves_a_connected_peer_connected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_done_for_a_gone_peer_is_notfound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_tests_the_collision_occupant_first_and_keeps_it_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_evicts_a_dead_collision_occupant, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
