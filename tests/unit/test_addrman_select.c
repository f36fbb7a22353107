/*
 * test_addrman_select.c - choosing peers to connect to (am_select) and
 * addresses to relay (am_sample).
 */
#include "am_test.h"

/* `n` IPv4 peers from many sources, services `svc`; ids into ids[]. */
static size_t add_many(am_man *m, size_t n, uint64_t svc, uint64_t *ids)
{
    uint32_t ctr = 1, sctr = 900000;
    size_t stored = 0;
    for (size_t i = 0; i < n; i++) {
        am_addr src = t_distinct_v4(&sctr, 0);
        uint64_t id = 0;
        int rc = t_try_add(m, t_distinct_v4(&ctr, T_PORT), &src, svc, 0, &id);
        assert_true(rc == AM_OK || rc == AM_ERR_REJECTED);
        if (rc == AM_OK && ids != NULL)
            ids[stored] = id;
        stored += rc == AM_OK;
    }
    return stored;
}

static void expect_none(am_man *m, const am_select_opts *o)
{
    am_peer p;
    ASSERT_RC(am_select(m, o, &p), AM_ERR_NOTFOUND);
    CHECK(m);
}

/* ---- basics ------------------------------------------------------------------ */

static void test_select_on_empty_table_is_notfound(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    am_select_opts o = t_opts(0, 0, 0);
    expect_none(m, &o);
    o.feeler = 1;
    expect_none(m, &o);
    am_free(m);
}

static void select_single_quickly(int tried)
{
    am_man *m = t_man(256, 64);
    uint64_t id = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    if (tried)
        t_set(m, id, AM_OP_TRIED);
    am_select_opts o = t_opts(0, 0, 0);
    double t0 = t_secs();
    for (int i = 0; i < 10000; i++) {
        am_peer p;
        ASSERT_RC(am_select(m, &o, &p), AM_OK);
        assert_int_equal(p.id, id);
    }
    double dt = t_secs() - t0;
    CHECK(m);
    print_message("  10000 selects from one %s entry: %.3f s\n",
                  tried ? "tried" : "new", dt);
    assert_true(dt < 2.0);
    am_free(m);
}

static void test_select_from_one_new_entry_returns_it_in_bounded_time(void **state)
{
    (void)state;
    select_single_quickly(0);
}

static void test_select_from_one_tried_entry_returns_it_in_bounded_time(void **state)
{
    (void)state;
    select_single_quickly(1);
}

static void test_select_spreads_over_many_peers(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t ids[1000];
    size_t n = add_many(m, 1000, 1, ids);
    assert_true(n > 950);
    for (size_t i = 0; i < n; i += 3)
        t_set(m, ids[i], AM_OP_TRIED);
    t_advance(T_HOUR);
    uint64_t max_id = t_stats(m).next_id;
    uint8_t *seen = calloc(max_id + 1, 1);
    assert_non_null(seen);
    am_select_opts o = t_opts(0, 0, 0);
    size_t distinct = 0, tried = 0;
    for (int i = 0; i < 3000; i++) {
        am_peer p;
        ASSERT_RC(am_select(m, &o, &p), AM_OK);
        assert_true(p.id < max_id);
        distinct += !seen[p.id];
        seen[p.id] = 1;
        tried += p.in_tried != 0;
    }
    CHECK(m);
    print_message("  %zu distinct of %zu, %zu/3000 from tried\n", distinct, n,
                  tried);
    assert_true(distinct >= 500);
    /* Core's 50/50 choice between the tables. */
    assert_true(tried > 1200 && tried < 1800);
    free(seen);
    am_free(m);
}

/* ---- filters ------------------------------------------------------------------- */

static void test_select_requires_every_service_bit(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    t_add(m, t_v4(5, 6, 7, 1, T_PORT), NULL, 1, 0);
    uint64_t both = t_add(m, t_v4(5, 7, 7, 2, T_PORT), NULL, 1 | 8 | 1024, 0);
    t_add(m, t_v4(5, 8, 7, 3, T_PORT), NULL, 8, 0);
    am_select_opts o = t_opts(1 | 8, 0, 0);
    for (int i = 0; i < 200; i++)
        assert_int_equal(t_select(m, &o).id, both);
    o.services = 64;
    expect_none(m, &o);
    am_free(m);
}

static am_addr net_addr(int net, uint64_t i)
{
    switch (net) {
    case AM_NET_IPV4: return t_v4(20 + (unsigned)i, 3, 4, 5, T_PORT);
    case AM_NET_IPV6: return t_v6((uint16_t)(0x200 + i), 9, 1, T_PORT);
    default: return t_named(net, i, T_PORT);
    }
}

static const int k_nets[] = {AM_NET_IPV4, AM_NET_IPV6, AM_NET_TORV3,
                             AM_NET_I2P, AM_NET_CJDNS};

/* Stored peers per network, and of those the ones with service bit 8. */
typedef struct net_counts {
    size_t n[AM_NET_MAX];
    size_t bit8[AM_NET_MAX];
} net_counts;

/* Up to `per_net` peers of each network (one of I2P when `one_i2p`), each
 * from its own source /16; odd ones get services 1|8, even ones 1. */
static void add_nets(am_man *m, unsigned per_net, int one_i2p, net_counts *c)
{
    memset(c, 0, sizeof *c);
    for (unsigned k = 0; k < 5; k++) {
        int net = k_nets[k];
        unsigned count = one_i2p && net == AM_NET_I2P ? 1 : per_net;
        for (unsigned i = 0; i < count; i++) {
            am_addr src = t_v4(20 + i, 10 + k, 0, 1, 0);
            uint64_t svc = i % 2 ? 1 | 8 : 1;
            int rc = t_try_add(m, net_addr(net, i), &src, svc, 0, NULL);
            assert_true(rc == AM_OK || rc == AM_ERR_REJECTED);
            c->n[net] += rc == AM_OK;
            c->bit8[net] += rc == AM_OK && (svc & 8);
        }
        assert_true(c->n[net] > 0);
    }
}

static void test_select_with_network_filter_returns_only_that_network(
    void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    net_counts c;
    add_nets(m, 40, 1, &c);
    for (int k = 0; k < 5; k++) {
        am_select_opts o = t_opts(0, T_NET_BIT(k_nets[k]), 0);
        for (int i = 0; i < 300; i++)
            assert_int_equal(t_select(m, &o).addr.net, k_nets[k]);
    }
    am_select_opts two = t_opts(0, T_NET_BIT(AM_NET_I2P) | T_NET_BIT(AM_NET_TORV3), 0);
    for (int i = 0; i < 300; i++) {
        int net = t_select(m, &two).addr.net;
        assert_true(net == AM_NET_I2P || net == AM_NET_TORV3);
    }
    am_free(m);
}

static void test_select_network_without_peers_is_notfound(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    add_many(m, 200, 1, NULL);
    am_select_opts o = t_opts(0, T_NET_BIT(AM_NET_I2P), 0);
    expect_none(m, &o);
    o.networks = T_NET_BIT(AM_NET_IPV6) | T_NET_BIT(AM_NET_CJDNS);
    expect_none(m, &o);
    am_free(m);
}

typedef struct skip_ctx {
    uint64_t keep;      /* 0: skip everyone */
    size_t calls;
} skip_ctx;

static int skip_all_but(void *ctx, const am_peer *candidate)
{
    skip_ctx *s = ctx;
    s->calls++;
    return candidate->id != s->keep;
}

static void test_select_skip_callback_leaves_candidates_out(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t ids[100];
    size_t n = add_many(m, 100, 1, ids);
    assert_true(n > 90);
    skip_ctx s = {ids[n / 2], 0};
    am_select_opts o = t_opts(0, 0, 0);
    o.skip = skip_all_but;
    o.skip_ctx = &s;
    for (int i = 0; i < 50; i++)
        assert_int_equal(t_select(m, &o).id, ids[n / 2]);
    assert_true(s.calls >= 50);
    s.keep = 0;
    expect_none(m, &o);
    o.feeler = 1;
    expect_none(m, &o);
    am_free(m);
}

static void test_select_follows_set_services(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t ids[50];
    size_t n = add_many(m, 50, 1, ids);
    uint64_t id = ids[n / 2];
    ASSERT_RC(am_set_services(m, id, 8 | 64, NULL), AM_OK);
    CHECK(m);
    am_select_opts o = t_opts(8, 0, 0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(t_select(m, &o).id, id);
    o.services = 1;
    for (int i = 0; i < 200; i++)
        assert_int_not_equal(t_select(m, &o).id, id);
    ASSERT_RC(am_set_services(m, id, 1, NULL), AM_OK);
    CHECK(m);
    o.services = 8;
    expect_none(m, &o);
    am_free(m);
}

static void test_select_sees_services_learnt_from_a_later_add(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    add_many(m, 50, 1, NULL);
    am_addr a = t_v4(200, 1, 2, 3, T_PORT);
    am_addr src = t_v4(201, 1, 2, 3, 0);
    uint64_t id = t_add(m, a, &src, 1, 0);
    am_select_opts o = t_opts(1024, 0, 0);
    expect_none(m, &o);
    int is_new = -1;
    ASSERT_RC(am_add(m, &a, &src, 1024, 0, 0, &is_new, NULL), AM_OK);
    CHECK(m);
    assert_int_equal(is_new, 0);
    assert_int_equal(t_select(m, &o).id, id);
    am_free(m);
}

static void test_select_finds_the_only_match_in_either_table(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t ids[100];
    size_t n = add_many(m, 100, 1, ids);
    for (size_t i = 0; i < n / 2; i++)
        t_set(m, ids[i], AM_OP_TRIED);
    uint64_t in_tried = ids[3], in_new = ids[n - 3];
    ASSERT_RC(am_set_services(m, in_tried, 1 | 8, NULL), AM_OK);
    ASSERT_RC(am_set_services(m, in_new, 1 | 64, NULL), AM_OK);
    CHECK(m);
    am_select_opts o = t_opts(8, 0, 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(t_select(m, &o).id, in_tried);
    o.services = 64;
    for (int i = 0; i < 100; i++)
        assert_int_equal(t_select(m, &o).id, in_new);
    am_addr i2p = t_named(AM_NET_I2P, 77, 0);
    uint64_t i2p_id = t_add(m, i2p, NULL, 1, 0);
    t_set(m, i2p_id, AM_OP_TRIED);
    o = t_opts(0, T_NET_BIT(AM_NET_I2P), 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(t_select(m, &o).id, i2p_id);
    am_free(m);
}

/* ---- bans and retry time --------------------------------------------------------- */

static void test_select_never_returns_a_banned_peer(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t ids[200];
    size_t n = add_many(m, 200, 1, ids);
    for (size_t i = 0; i < n; i++) {
        if (i == 7)
            continue;
        am_subnet s = t_single(t_get(m, ids[i]).addr);
        ASSERT_RC(am_ban_add(m, &s, T_START + T_DAY, "", NULL), AM_OK);
        if (i % 3 == 0)
            t_set(m, ids[i], AM_OP_TRIED);
    }
    CHECK(m);
    am_select_opts o = t_opts(0, 0, 0);
    for (int i = 0; i < 300; i++)
        assert_int_equal(t_select(m, &o).id, ids[7]);
    o.feeler = 1;
    for (int i = 0; i < 50; i++)
        assert_int_equal(t_select(m, &o).id, ids[7]);
    am_subnet s = t_single(t_get(m, ids[7]).addr);
    ASSERT_RC(am_ban_add(m, &s, T_START + T_DAY, "", NULL), AM_OK);
    CHECK(m);
    o.feeler = 0;
    expect_none(m, &o);
    o.feeler = 1;
    expect_none(m, &o);
    am_free(m);
}

static void test_select_skips_failed_peer_until_retry_time_passed(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t id = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    am_select_opts o = t_opts(0, 0, 0);
    t_set(m, id, AM_OP_FAILED);
    expect_none(m, &o);
    t_advance(599);
    expect_none(m, &o);
    t_advance(2);
    assert_int_equal(t_select(m, &o).id, id);
    am_free(m);
}

static void test_select_prefers_others_while_a_peer_cools_down(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t a = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    uint64_t b = t_add(m, t_v4(9, 6, 7, 8, T_PORT), NULL, 1, 0);
    t_set(m, b, AM_OP_TRIED);
    t_set(m, a, AM_OP_FAILED);
    am_select_opts o = t_opts(0, 0, 0);
    for (int i = 0; i < 300; i++)
        assert_int_equal(t_select(m, &o).id, b);
    o.feeler = 1;   /* new table empty of eligible peers: any peer */
    for (int i = 0; i < 50; i++)
        assert_int_equal(t_select(m, &o).id, b);
    am_free(m);
}

static void test_select_honours_configured_retry_time(void **state)
{
    (void)state;
    am_config cfg;
    t_now = T_START;
    t_config(&cfg, 256, 64);
    cfg.retry_time = 60;
    am_man *m = t_man_cfg(&cfg);
    uint64_t id = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    am_select_opts o = t_opts(0, 0, 0);
    t_set(m, id, AM_OP_FAILED);
    t_advance(59);
    expect_none(m, &o);
    t_advance(2);
    assert_int_equal(t_select(m, &o).id, id);
    am_free(m);
}

static void test_select_with_every_peer_cooling_is_notfound_quickly(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t ids[1000];
    size_t n = add_many(m, 1000, 1, ids);
    for (size_t i = 0; i < n; i++) {
        if (i % 2)
            t_set(m, ids[i], AM_OP_TRIED);
        ASSERT_RC(am_set_state(m, ids[i], AM_OP_FAILED, NULL), AM_OK);
    }
    CHECK(m);
    assert_int_equal(t_stats(m).cooling, n);
    am_select_opts o = t_opts(0, 0, 0);
    double t0 = t_secs();
    for (int i = 0; i < 1000; i++) {
        am_peer p;
        ASSERT_RC(am_select(m, &o, &p), AM_ERR_NOTFOUND);
    }
    double dt = t_secs() - t0;
    print_message("  1000 selects over %zu cooling peers: %.3f s\n", n, dt);
    assert_true(dt < 2.0);
    t_advance(600);
    t_select(m, &o);
    am_free(m);
}

static void test_select_after_success_ends_retry_wait(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t id = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    am_select_opts o = t_opts(0, 0, 0);
    t_set(m, id, AM_OP_FAILED);
    expect_none(m, &o);
    t_advance(5);
    t_set(m, id, AM_OP_CONNECTED);
    assert_int_equal(t_select(m, &o).id, id);
    am_free(m);
}

static void test_select_favours_peers_not_tried_recently(void **state)
{
    (void)state;
    /* Core's GetChance: x0.01 when tried in the last 10 minutes. */
    am_config cfg;
    t_now = T_START;
    t_config(&cfg, 256, 64);
    cfg.retry_time = 60;
    am_man *m = t_man_cfg(&cfg);
    uint64_t fresh = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    uint64_t recent = t_add(m, t_v4(9, 6, 7, 8, T_PORT), NULL, 1, 0);
    t_set(m, recent, AM_OP_FAILED);
    t_advance(120);
    am_select_opts o = t_opts(0, 0, 0);
    int n_fresh = 0, n_recent = 0;
    for (int i = 0; i < 2000; i++) {
        uint64_t id = t_select(m, &o).id;
        n_fresh += id == fresh;
        n_recent += id == recent;
    }
    print_message("  fresh %d, tried 2 min ago %d\n", n_fresh, n_recent);
    assert_int_equal(n_fresh + n_recent, 2000);
    assert_true(n_recent > 0);
    assert_true(n_recent < 200);
    am_free(m);
}

/* ---- feeler ------------------------------------------------------------------------ */

static void test_feeler_without_collision_takes_new_table(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t ids[300];
    size_t n = add_many(m, 300, 1, ids);
    for (size_t i = 0; i < n; i++)
        if (i % 4 != 0)
            t_set(m, ids[i], AM_OP_TRIED);
    assert_int_equal(t_stats(m).collisions, 0);
    am_select_opts o = t_opts(0, 0, 1);
    for (int i = 0; i < 300; i++)
        assert_int_equal(t_select(m, &o).in_tried, 0);
    am_free(m);
}

static void test_feeler_falls_back_to_tried_when_new_is_empty(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t id = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    t_set(m, id, AM_OP_TRIED);
    am_select_opts o = t_opts(0, 0, 1);
    am_peer p = t_select(m, &o);
    assert_int_equal(p.id, id);
    assert_int_equal(p.in_tried, 1);
    am_free(m);
}

static void test_feeler_ignores_services(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t id = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 0, 0);
    am_select_opts o = t_opts(1 | 8, 0, 1);
    assert_int_equal(t_select(m, &o).id, id);
    o.feeler = 0;
    expect_none(m, &o);
    am_free(m);
}

/* ---- sample (GetAddr) ---------------------------------------------------------------- */

static void expect_distinct(const am_peer *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_int_not_equal(p[i].id, p[j].id);
}

static void test_sample_on_empty_table_gives_nothing(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    am_peer out[4];
    size_t n = 99;
    ASSERT_RC(am_sample(m, 4, 23, 0, 0, out, &n), AM_OK);
    assert_int_equal(n, 0);
    am_free(m);
}

static void test_sample_caps_by_count_and_percent(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    size_t stored = add_many(m, 1000, 1, NULL);
    am_peer *out = calloc(2500, sizeof *out);
    assert_non_null(out);
    size_t n = 0;
    ASSERT_RC(am_sample(m, 100, 0, 0, 0, out, &n), AM_OK);
    assert_int_equal(n, 100);
    expect_distinct(out, n);
    ASSERT_RC(am_sample(m, 2500, 23, 0, 0, out, &n), AM_OK);
    print_message("  %zu stored, sample(2500, 23%%) gave %zu\n", stored, n);
    assert_true(n <= stored * 23 / 100 + 1);
    assert_true(n + 2 >= stored * 23 / 100);
    expect_distinct(out, n);
    ASSERT_RC(am_sample(m, 2500, 0, 0, 0, out, &n), AM_OK);
    assert_int_equal(n, stored);
    expect_distinct(out, n);
    free(out);
    am_free(m);
}

static void test_sample_is_random_not_fixed(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    add_many(m, 500, 1, NULL);
    am_peer a[20], b[20];
    size_t na = 0, nb = 0;
    ASSERT_RC(am_sample(m, 20, 0, 0, 0, a, &na), AM_OK);
    ASSERT_RC(am_sample(m, 20, 0, 0, 0, b, &nb), AM_OK);
    assert_int_equal(na, 20);
    assert_int_equal(nb, 20);
    int same = 1;
    for (size_t i = 0; i < 20; i++)
        same &= a[i].id == b[i].id;
    assert_false(same);
    am_free(m);
}

static void test_sample_filters_network_and_services(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    net_counts c;
    add_nets(m, 30, 0, &c);
    am_peer out[200];
    size_t n = 0, bit8 = 0;
    for (int k = 0; k < AM_NET_MAX; k++)
        bit8 += c.bit8[k];
    ASSERT_RC(am_sample(m, 200, 0, T_NET_BIT(AM_NET_TORV3), 0, out, &n), AM_OK);
    assert_int_equal(n, c.n[AM_NET_TORV3]);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(out[i].addr.net, AM_NET_TORV3);
    ASSERT_RC(am_sample(m, 200, 0, 0, 8, out, &n), AM_OK);
    assert_int_equal(n, bit8);
    for (size_t i = 0; i < n; i++)
        assert_true(out[i].services & 8);
    ASSERT_RC(am_sample(m, 200, 0, T_NET_BIT(AM_NET_IPV6), 9, out, &n), AM_OK);
    assert_int_equal(n, c.bit8[AM_NET_IPV6]);
    for (size_t i = 0; i < n; i++)
        assert_true(out[i].addr.net == AM_NET_IPV6 && out[i].services == 9);
    am_free(m);
}

static void test_sample_leaves_out_banned_and_terrible_peers(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t good[10];
    for (unsigned i = 0; i < 10; i++) {
        am_addr src = t_v4(60 + i, 1, 1, 1, 0);
        good[i] = t_add(m, t_v4(20 + i, 1, 1, 1, T_PORT), &src, 1, 0);
        t_add(m, t_v4(40 + i, 1, 1, 1, T_PORT), &src, 1, T_START - 31 * T_DAY);
        t_add(m, t_v4(11, 22, 0, (uint8_t)(i + 1), T_PORT), &src, 1, 0);
    }
    am_subnet s = t_subnet("11.22.0.0/16");
    ASSERT_RC(am_ban_add(m, &s, T_START + T_DAY, "spam", NULL), AM_OK);
    CHECK(m);
    am_peer out[64];
    size_t n = 0;
    ASSERT_RC(am_sample(m, 64, 0, 0, 0, out, &n), AM_OK);
    assert_int_equal(n, 10);
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (int k = 0; k < 10; k++)
            found |= out[i].id == good[k];
        assert_true(found);
        assert_false(am_peer_is_terrible(&out[i], am_now(m)));
        assert_int_not_equal(out[i].state, AM_STATE_BANNED);
    }
    am_free(m);
}

/* ---- any_services and fast_only ---------------------------------------- */

static void test_select_any_services_takes_peers_with_one_of_the_bits(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    static const uint64_t svc[] = {0, 8, 1, 1024, 1 | 8, 1024 | 8, 4};
    uint32_t ctr = 1;
    size_t fit = 0, seen[7] = {0};
    uint64_t ids[7 * 20];
    for (int i = 0; i < 7 * 20; i++) {
        ids[i] = t_add(m, t_distinct_v4(&ctr, T_PORT), NULL, svc[i % 7], 0);
        fit += (svc[i % 7] & 1025) != 0;
    }
    am_select_opts o = t_opts(0, 0, 0);
    o.any_services = 1 | 1024;
    for (int k = 0; k < 2000; k++) {
        am_peer p = t_select(m, &o);
        assert_true((p.services & 1025) != 0);
        for (int i = 0; i < 7 * 20; i++)
            if (ids[i] == p.id)
                seen[i % 7]++;
    }
    /* Either bit suffices: each kind with one of them is drawn. */
    assert_true(seen[2] > 0 && seen[3] > 0 && seen[4] > 0 && seen[5] > 0);
    assert_int_equal(seen[0] + seen[1] + seen[6], 0);
    assert_int_equal(fit, 4 * 20);
    /* With services: both tests. */
    o.services = 8;
    for (int k = 0; k < 200; k++) {
        am_peer p = t_select(m, &o);
        assert_true((p.services & 8) && (p.services & 1025));
    }
    /* No peer has the bit: NOTFOUND at once. */
    o.services = 0;
    o.any_services = UINT64_C(1) << 40;
    am_peer p;
    ASSERT_RC(am_select(m, &o, &p), AM_ERR_NOTFOUND);
    am_free(m);
}

/* n distinct IPv4 peers of services `svc`, but peer `odd` of `odd_svc`;
 * the id of that one (0 when its slot turned it away). */
static uint64_t fill_but_one(am_man *m, int n, uint64_t svc, int odd,
                             uint64_t odd_svc)
{
    uint32_t ctr = 1;
    uint64_t id, odd_id = 0;
    for (int i = 0; i < n; i++)
        if (t_try_add(m, t_distinct_v4(&ctr, T_PORT), NULL,
                      i == odd ? odd_svc : svc, 0, &id) == AM_OK && i == odd)
            odd_id = id;
    return odd_id;
}

static void test_select_any_services_finds_a_rare_fitting_peer_fast(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 64);
    uint64_t rare = fill_but_one(m, 4000, 8, 1234, 1024);
    assert_true(rare != 0);
    /* One fitting peer among thousands: the draw goes to its bucket, so
     * even the fast path alone finds it every time. */
    am_select_opts o = t_opts(0, 0, 0);
    o.any_services = 1 | 1024;
    o.fast_only = 1;
    for (int k = 0; k < 50; k++)
        assert_int_equal(t_select(m, &o).id, rare);
    am_free(m);
}

static void test_select_fast_only_gives_up_where_the_exact_pass_finds(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 64);
    uint64_t last = fill_but_one(m, 3000, 1, 2999, 1);
    assert_true(last != 0);
    /* The skip test refuses all peers but one: 64 missed draws of the
     * fast path almost never reach it; the exact pass always does. */
    am_select_opts o = t_opts(0, 0, 0);
    skip_ctx s = {last, 0};
    o.skip = skip_all_but;
    o.skip_ctx = &s;
    size_t fast_found = 0;
    am_peer p;
    for (int k = 0; k < 50; k++) {
        o.fast_only = 1;
        int rc = am_select(m, &o, &p);
        if (rc == AM_OK)
            assert_int_equal(p.id, last);
        else
            ASSERT_RC(rc, AM_ERR_NOTFOUND);
        fast_found += rc == AM_OK;
        o.fast_only = 0;
        assert_int_equal(t_select(m, &o).id, last);
    }
    assert_true(fast_found < 25);
    am_free(m);
}


/* ---- one table only (the prober) ---------------------------------------------- */

static void test_select_tables_bits_keep_the_draw_in_one_table(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t ids[40];
    size_t n = add_many(m, 40, 1, ids);
    for (size_t i = 0; i < n / 2; i++)
        t_set(m, ids[i], AM_OP_TRIED);
    am_stats st = t_stats(m);
    assert_true(st.by_table[0] > 0 && st.by_table[1] > 0);
    am_select_opts o = t_opts(0, 0, 0);
    for (int i = 0; i < 200; i++) {
        o.tables = 1;
        assert_int_equal(t_select(m, &o).in_tried, 0);
        o.tables = 2;
        assert_int_equal(t_select(m, &o).in_tried, 1);
    }
    am_free(m);
}

static int skip_all(void *ctx, const am_peer *p)
{
    (void)ctx;
    (void)p;
    return 1;
}

static void test_select_one_table_never_falls_back_to_the_other(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t id = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    am_select_opts o = t_opts(0, 0, 0);
    o.tables = 2;                       /* tried only: it is empty */
    expect_none(m, &o);
    t_set(m, id, AM_OP_TRIED);
    o.tables = 1;                       /* new only: it is empty now */
    expect_none(m, &o);
    t_add(m, t_v4(9, 6, 7, 8, T_PORT), NULL, 1, 0);
    o.tables = 2;                       /* the tried peer skipped: no new one */
    o.skip = skip_all;
    expect_none(m, &o);
    am_free(m);
}

static void test_verify_stats_count_checks_and_fresh_tried_peers(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint64_t a = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    uint64_t b = t_add(m, t_v4(9, 6, 7, 8, T_PORT), NULL, 1, 0);
    t_add(m, t_v4(13, 6, 7, 8, T_PORT), NULL, 1, 0);
    am_verify_stats vs;
    am_verify_stats_get(m, t_now, &vs);
    assert_int_equal(vs.peers, 3);
    assert_int_equal(vs.never_checked, 3);
    assert_int_equal(vs.oldest_check, 0);
    int64_t t_a = t_now;
    t_set(m, a, AM_OP_TRIED);
    t_advance(100);
    t_set(m, b, AM_OP_FAILED);
    am_verify_stats_get(m, t_a, &vs);
    assert_int_equal(vs.never_checked, 1);
    assert_int_equal(vs.oldest_check, t_a);
    assert_int_equal(vs.tried, 1);
    assert_int_equal(vs.tried_verified, 1);
    am_verify_stats_get(m, t_a + 1, &vs);
    assert_int_equal(vs.tried_verified, 0);
    am_filter f = t_filter_any();
    uint64_t got[4];
    f.verified_since = t_a;
    assert_int_equal(t_list_ids(m, &f, 10, got, 4), 1);
    assert_int_equal(got[0], a);
    f.verified_since = t_a + 1;
    assert_int_equal(t_list_ids(m, &f, 10, got, 4), 0);
    am_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_on_empty_table_is_notfound),
        cmocka_unit_test(test_select_from_one_new_entry_returns_it_in_bounded_time),
        cmocka_unit_test(test_select_from_one_tried_entry_returns_it_in_bounded_time),
        cmocka_unit_test(test_select_spreads_over_many_peers),
        cmocka_unit_test(test_select_requires_every_service_bit),
        cmocka_unit_test(test_select_with_network_filter_returns_only_that_network),
        cmocka_unit_test(test_select_network_without_peers_is_notfound),
        cmocka_unit_test(test_select_skip_callback_leaves_candidates_out),
        cmocka_unit_test(test_select_follows_set_services),
        cmocka_unit_test(test_select_sees_services_learnt_from_a_later_add),
        cmocka_unit_test(test_select_finds_the_only_match_in_either_table),
        cmocka_unit_test(test_select_never_returns_a_banned_peer),
        cmocka_unit_test(test_select_skips_failed_peer_until_retry_time_passed),
        cmocka_unit_test(test_select_prefers_others_while_a_peer_cools_down),
        cmocka_unit_test(test_select_honours_configured_retry_time),
        cmocka_unit_test(test_select_with_every_peer_cooling_is_notfound_quickly),
        cmocka_unit_test(test_select_after_success_ends_retry_wait),
        cmocka_unit_test(test_select_favours_peers_not_tried_recently),
        cmocka_unit_test(test_feeler_without_collision_takes_new_table),
        cmocka_unit_test(test_feeler_falls_back_to_tried_when_new_is_empty),
        cmocka_unit_test(test_feeler_ignores_services),
        cmocka_unit_test(test_sample_on_empty_table_gives_nothing),
        cmocka_unit_test(test_sample_caps_by_count_and_percent),
        cmocka_unit_test(test_sample_is_random_not_fixed),
        cmocka_unit_test(test_sample_filters_network_and_services),
        cmocka_unit_test(test_sample_leaves_out_banned_and_terrible_peers),
        cmocka_unit_test(test_select_any_services_takes_peers_with_one_of_the_bits),
        cmocka_unit_test(test_select_any_services_finds_a_rare_fitting_peer_fast),
        cmocka_unit_test(test_select_fast_only_gives_up_where_the_exact_pass_finds),
        cmocka_unit_test(test_select_tables_bits_keep_the_draw_in_one_table),
        cmocka_unit_test(test_select_one_table_never_falls_back_to_the_other),
        cmocka_unit_test(test_verify_stats_count_checks_and_fresh_tried_peers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
