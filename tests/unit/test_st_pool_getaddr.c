/*
 * test_st_pool_getaddr.c - the addresses of a P2P getaddr answer
 * (st_pool_getaddr): only peers serving blocks (NODE_NETWORK or
 * NODE_NETWORK_LIMITED), never banned or terrible ones, never one peer
 * twice, distinct network groups while any remain, and selection's
 * statistics: a source flooding the new table gets its share of buckets,
 * not of addresses.
 */
#include "am_test.h"

#include "st_pool.h"

typedef struct fixture {
    am_man *core;
    st_pool *pool;
    am_peer out[ST_GETADDR_MAX];
} fixture;

static void start(fixture *f, int allow_local)
{
    am_config cfg;
    st_pool_config pc;

    t_now = T_START;
    t_config(&cfg, 1024, 256);
    cfg.allow_local = allow_local;
    f->core = t_man_cfg(&cfg);
    memset(&pc, 0, sizeof pc);
    pc.core = f->core;
    ASSERT_RC(st_pool_new(&pc, &f->pool), AM_OK);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    start(f, 0);
    *state = f;
    return 0;
}

static int setup_local(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    start(f, 1);
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

static size_t getaddr(fixture *f, size_t max)
{
    size_t n = 12345;
    ASSERT_RC(st_pool_getaddr(f->pool, max, f->out, &n), AM_OK);
    assert_true(n <= max);
    return n;
}

/* Peer i of a test: its own /16 (so its own group), its own source /16,
 * last seen at `time` (0: now). */
static uint64_t add_peer_at(fixture *f, unsigned i, uint64_t services,
                            int64_t time)
{
    am_addr a = t_v4(20 + i / 200, i % 200, 1, 1, T_PORT);
    am_addr src = t_v4(60 + i / 200, i % 200, 0, 1, 0);
    return t_add(f->core, a, &src, services, time);
}

static uint64_t add_peer(fixture *f, unsigned i, uint64_t services)
{
    return add_peer_at(f, i, services, 0);
}

/* Three failures of each peer, past its retry time after each; a success
 * elsewhere in between, since failures count once per success (Core). */
static void fail_thrice(fixture *f, const uint64_t *ids, size_t n)
{
    uint64_t other = add_peer(f, 999, 8);
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < n; i++)
            t_set(f->core, ids[i], AM_OP_FAILED);
        t_advance(700);
        t_set(f->core, other, AM_OP_TRIED);
    }
    t_advance(700);
}

static int answered(const fixture *f, size_t n, uint64_t id)
{
    for (size_t i = 0; i < n; i++)
        if (f->out[i].id == id)
            return 1;
    return 0;
}

/* No peer twice in out[0..n). */
static void no_duplicates(const fixture *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (f->out[i].id == f->out[j].id)
                fail_msg("peer %llu answered twice (%zu, %zu)",
                         (unsigned long long)f->out[i].id, i, j);
}

/* How many distinct groups out[0..n) holds. */
static size_t distinct_groups(const fixture *f, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t g = am_addr_group_key(&f->out[i].addr);
        size_t j = 0;
        while (j < i && am_addr_group_key(&f->out[j].addr) != g)
            j++;
        d += j == i;
    }
    return d;
}

static void test_getaddr_refuses_bad_arguments(void **state)
{
    fixture *f = *state;
    size_t n = 7;
    add_peer(f, 0, 1);
    ASSERT_RC(st_pool_getaddr(f->pool, 0, f->out, &n), AM_ERR_INVAL);
    assert_int_equal(n, 0);
    n = 7;
    ASSERT_RC(st_pool_getaddr(f->pool, ST_GETADDR_MAX + 1, f->out, &n),
              AM_ERR_INVAL);
    assert_int_equal(n, 0);
    ASSERT_RC(st_pool_getaddr(f->pool, 10, NULL, &n), AM_ERR_INVAL);
    ASSERT_RC(st_pool_getaddr(f->pool, 10, f->out, NULL), AM_ERR_INVAL);
    ASSERT_RC(st_pool_getaddr(NULL, 10, f->out, &n), AM_ERR_INVAL);
    /* The largest max is fine. */
    assert_int_equal(getaddr(f, ST_GETADDR_MAX), 1);
}

static void test_getaddr_of_an_empty_pool_answers_none(void **state)
{
    fixture *f = *state;
    assert_int_equal(getaddr(f, 1), 0);
    assert_int_equal(getaddr(f, ST_GETADDR_MAX), 0);
}

static void test_getaddr_serves_only_peers_with_network_or_network_limited(void **state)
{
    fixture *f = *state;
    static const uint64_t svc[] = {0, 8, 1, 1024, 1 | 8, 1024 | 8, 4 | 2048};
    enum { KINDS = 7, EACH = 10 };
    uint64_t ids[KINDS * EACH];
    for (unsigned i = 0; i < KINDS * EACH; i++)
        ids[i] = add_peer(f, i, svc[i % KINDS]);
    for (int round = 0; round < 5; round++) {
        size_t n = getaddr(f, ST_GETADDR_MAX);
        /* Every peer with bit 0 or bit 10, and no other. */
        assert_int_equal(n, 4 * EACH);
        for (unsigned i = 0; i < KINDS * EACH; i++) {
            int fits = (svc[i % KINDS] & (1 | 1024)) != 0;
            if (answered(f, n, ids[i]) != fits)
                fail_msg("peer with services %llu %s",
                         (unsigned long long)svc[i % KINDS],
                         fits ? "left out" : "answered");
        }
    }
}

static void test_getaddr_never_serves_banned_peers(void **state)
{
    fixture *f = *state;
    uint64_t ids[100];
    am_ban ban;
    int jrc;
    for (unsigned i = 0; i < 100; i++)
        ids[i] = add_peer(f, i, 1);
    for (unsigned i = 0; i < 100; i += 2) {
        am_subnet one = t_single(t_get(f->core, ids[i]).addr);
        ASSERT_RC(st_pool_ban(f->pool, &one, T_DAY, "test", &ban, &jrc), AM_OK);
    }
    for (int round = 0; round < 5; round++) {
        size_t n = getaddr(f, ST_GETADDR_MAX);
        assert_int_equal(n, 50);
        for (unsigned i = 0; i < 100; i++)
            assert_int_equal(answered(f, n, ids[i]), i % 2);
    }
}

static void test_getaddr_never_serves_terrible_peers(void **state)
{
    fixture *f = *state;
    uint64_t good[30], stale[30], failing[30];
    for (unsigned i = 0; i < 30; i++) {
        good[i] = add_peer(f, i, 1);
        /* Not seen for 40 days: past Core's horizon. */
        stale[i] = add_peer_at(f, 200 + i, 1, t_now - 40 * T_DAY);
        failing[i] = add_peer(f, 400 + i, 1024);
    }
    /* Three failures, no success ever. */
    fail_thrice(f, failing, 30);
    for (unsigned i = 0; i < 30; i++) {
        am_peer p = t_get(f->core, stale[i]);
        assert_true(am_peer_is_terrible(&p, t_now));
        p = t_get(f->core, failing[i]);
        assert_true(am_peer_is_terrible(&p, t_now));
    }
    size_t n = getaddr(f, ST_GETADDR_MAX);
    assert_int_equal(n, 30);
    for (unsigned i = 0; i < 30; i++)
        assert_true(answered(f, n, good[i]));
}

static void test_getaddr_of_a_pool_where_nothing_fits_answers_none(void **state)
{
    fixture *f = *state;
    uint64_t failing[300], id;
    size_t n_failing = 0;
    for (unsigned i = 0; i < 600; i++) {
        am_addr a = t_v4(20 + i / 200, i % 200, 1, 1, T_PORT);
        am_addr src = t_v4(60 + i / 200, i % 200, 0, 1, 0);
        if (t_try_add(f->core, a, &src, i % 2 ? 8 : 1, 0, &id) == AM_OK &&
            i % 2 == 0)             /* terrible: three failures */
            failing[n_failing++] = id;
    }
    assert_true(am_size(f->core) > 500);
    fail_thrice(f, failing, n_failing);
    assert_int_equal(getaddr(f, ST_GETADDR_MAX), 0);
    assert_int_equal(getaddr(f, 1), 0);
}

/* 50 groups of 20 peers each (sources spread so that no slot is shared). */
static size_t fill_groups(fixture *f, unsigned groups, unsigned each)
{
    for (unsigned g = 0; g < groups; g++)
        for (unsigned k = 0; k < each; k++) {
            am_addr a = t_v4(30 + g, 7, k, 1, T_PORT);
            am_addr src = t_v4(100 + g % 100, k * 11 + g / 100, 0, 1, 0);
            (void)t_try_add(f->core, a, &src, 1, 0, NULL);
        }
    return am_size(f->core);
}

static void test_getaddr_draws_distinct_groups_first_then_distinct_peers(void **state)
{
    fixture *f = *state;
    size_t eligible = fill_groups(f, 50, 20);
    assert_true(eligible > 950);
    /* max below the eligible peers: all distinct groups first. */
    size_t n = getaddr(f, 200);
    assert_int_equal(n, 200);
    assert_int_equal(distinct_groups(f, 50), 50);
    no_duplicates(f, n);
    /* max above: every eligible peer, once. */
    n = getaddr(f, ST_GETADDR_MAX);
    assert_int_equal(n, eligible);
    assert_int_equal(distinct_groups(f, 50), 50);
    no_duplicates(f, n);
    /* A few groups only: those first, then the rest. */
    n = getaddr(f, 10);
    assert_int_equal(distinct_groups(f, 10), 10);
}

static void test_getaddr_of_one_group_still_answers_distinct_peers(void **state)
{
    fixture *f = *state;
    /* Loopback (regtest): every peer is in the one group 127.0/16. */
    for (unsigned i = 0; i < 300; i++) {
        am_addr a = t_v4(127, 0, i / 250, 1 + i % 250, T_PORT);
        am_addr src = t_v4(50, i, 0, 1, 0);
        (void)t_try_add(f->core, a, &src, 1, 0, NULL);
    }
    size_t size = am_size(f->core);
    assert_true(size > 100);
    size_t n = getaddr(f, 100);
    assert_int_equal(n, 100);
    assert_int_equal(distinct_groups(f, n), 1);
    no_duplicates(f, n);
    n = getaddr(f, ST_GETADDR_MAX);
    assert_int_equal(n, size);
    no_duplicates(f, n);
}

/*
 * One source floods the new table with 20 000 addresses; 200 honest
 * sources announce 10 each.  A source group reaches 64 new buckets, so
 * the flood holds most entries but few buckets, and draws go by buckets.
 */
static void test_getaddr_gives_a_flooding_source_its_share_of_buckets_not_entries(void **state)
{
    fixture *f = *state;
    uint64_t rng = 42;
    am_addr attacker = t_v4(66, 66, 66, 66, 0);
    size_t honest = 0, flood = 0;
    for (unsigned s = 0; s < 200; s++) {
        am_addr src = t_v4(80 + s / 100, s % 100, 3, 3, 0);
        for (int k = 0; k < 10; k++)
            honest += t_try_add(f->core, t_random_v4(&rng, T_PORT), &src, 1,
                                0, NULL) == AM_OK;
    }
    for (int k = 0; k < 20000; k++) {
        am_addr a = t_random_v4(&rng, T_PORT);
        int is_new;
        flood += am_add(f->core, &a, &attacker, 1, 0, 0, &is_new, NULL) == AM_OK;
    }
    CHECK(f->core);
    double entry_share = (double)flood / (double)(flood + honest);
    size_t n = getaddr(f, ST_GETADDR_MAX), from_flood = 0;
    assert_int_equal(n, ST_GETADDR_MAX);
    no_duplicates(f, n);
    for (size_t i = 0; i < n; i++)
        from_flood += am_addr_host_eq(&f->out[i].source, &attacker);
    double answer_share = (double)from_flood / (double)n;
    print_message("flood: %zu entries (%.0f%% of %zu), %.1f%% of the answer\n",
                  flood, 100 * entry_share, flood + honest, 100 * answer_share);
    /* At most 64 buckets of 64 slots: 4096 of some 6000 entries. */
    assert_true(entry_share > 0.6);
    assert_true(answer_share < 0.2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_getaddr_refuses_bad_arguments,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_getaddr_of_an_empty_pool_answers_none,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_getaddr_serves_only_peers_with_network_or_network_limited,
            setup, teardown),
        cmocka_unit_test_setup_teardown(test_getaddr_never_serves_banned_peers,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_getaddr_never_serves_terrible_peers,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_getaddr_of_a_pool_where_nothing_fits_answers_none, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_getaddr_draws_distinct_groups_first_then_distinct_peers,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_getaddr_of_one_group_still_answers_distinct_peers,
            setup_local, teardown),
        cmocka_unit_test_setup_teardown(
            test_getaddr_gives_a_flooding_source_its_share_of_buckets_not_entries,
            setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
