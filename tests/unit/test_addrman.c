/*
 * test_addrman.c - the address manager: creation, add/find/get, time rules,
 * state operations, ids, listing, statistics, determinism, IsTerrible.
 *
 * Tables, selection and bans have their own files (test_addrman_*.c).
 */
#include "am_test.h"

#define SRC1 t_v4(1, 2, 3, 4, 0)

/* ---- creation ------------------------------------------------------------ */

static void expect_bad_config(uint32_t nb, uint32_t tb)
{
    am_config cfg;
    am_man *m = NULL;
    t_config(&cfg, nb, tb);
    ASSERT_RC(am_new(&cfg, &m), AM_ERR_INVAL);
    assert_null(m);
}

static void test_new_rejects_table_sizes_outside_contract(void **state)
{
    (void)state;
    expect_bad_config(3, 256);
    expect_bad_config(1024, 6);
    expect_bad_config(0, 256);
    expect_bad_config(1024, 0);
    expect_bad_config(AM_MAX_BUCKETS * 2, 256);
    expect_bad_config(1024, AM_MAX_BUCKETS * 2);
}

static void test_new_accepts_smallest_and_largest_tables(void **state)
{
    (void)state;
    am_man *m = t_man(1, 1);
    am_stats st = t_stats(m);
    assert_int_equal(st.buckets[0], 1);
    assert_int_equal(st.buckets[1], 1);
    am_free(m);
    m = t_man(AM_MAX_BUCKETS, 16);
    st = t_stats(m);
    assert_int_equal(st.buckets[0], AM_MAX_BUCKETS);
    assert_int_equal(st.buckets[1], 16);
    am_free(m);
}

static void test_config_default_matches_documented_values(void **state)
{
    (void)state;
    am_config cfg;
    memset(&cfg, 0x5a, sizeof cfg);
    am_config_default(&cfg);
    assert_int_equal(cfg.new_buckets, 1024);
    assert_int_equal(cfg.tried_buckets, 256);
    assert_int_equal(cfg.retry_time, 600);
    assert_int_equal(cfg.have_key, 0);
    assert_int_equal(cfg.seed, 0);
    assert_null(cfg.clock);
}

static void test_new_reports_key_clock_and_empty_tables(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint8_t want[16], got[16];
    t_key(want, 0);
    am_get_key(m, got);
    assert_memory_equal(got, want, 16);
    assert_int_equal(am_now(m), T_START);
    t_advance(42);
    assert_int_equal(am_now(m), T_START + 42);
    assert_int_equal(am_size(m), 0);
    am_stats st = t_stats(m);
    assert_int_equal(st.total, 0);
    assert_int_equal(st.buckets[0], 1024);
    assert_int_equal(st.buckets[1], 256);
    assert_int_equal(st.buckets_used[0] + st.buckets_used[1], 0);
    am_free(m);
}

static void test_new_without_key_draws_a_random_key(void **state)
{
    (void)state;
    am_config cfg;
    am_man *a = NULL, *b = NULL;
    uint8_t ka[16], kb[16];
    t_config(&cfg, 1024, 256);
    cfg.have_key = 0;
    cfg.seed = 0;
    ASSERT_RC(am_new(&cfg, &a), AM_OK);
    ASSERT_RC(am_new(&cfg, &b), AM_OK);
    am_get_key(a, ka);
    am_get_key(b, kb);
    assert_memory_not_equal(ka, kb, 16);
    am_free(a);
    am_free(b);
}

/* ---- add / find / get ----------------------------------------------------- */

static void test_first_add_gets_id_1_and_get_find_agree(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT), src = SRC1;
    int is_new = -1;
    uint64_t id = 0;
    ASSERT_RC(am_add(m, &a, &src, 9, 0, 0, &is_new, &id), AM_OK);
    CHECK(m);
    assert_int_equal(is_new, 1);
    assert_int_equal(id, 1);
    assert_int_equal(am_size(m), 1);

    am_peer p = t_get(m, id), q;
    assert_true(am_addr_eq(&p.addr, &a));
    assert_int_equal(p.has_source, 1);
    assert_true(am_addr_host_eq(&p.source, &src));
    assert_int_equal(p.source.port, 0);
    assert_int_equal(p.services, 9);
    assert_int_equal(p.state, AM_STATE_NEVER_TRIED);
    assert_int_equal(p.in_tried, 0);
    assert_int_equal(p.time, T_START);
    assert_int_equal(p.last_connected, 0);
    assert_int_equal(p.last_try, 0);
    assert_int_equal(p.last_success, 0);
    assert_int_equal(p.attempts, 0);
    assert_int_equal(p.ref_count, 1);

    ASSERT_RC(am_find(m, &a, &q), AM_OK);
    assert_memory_equal(&p, &q, sizeof p);
    am_place pl = t_place(m, id);
    assert_int_equal(pl.in_tried, 0);
    assert_int_equal(pl.n, 1);
    assert_true(pl.bucket[0] < 1024 && pl.slot[0] < AM_BUCKET_SIZE);
    am_free(m);
}

static void test_add_without_source_is_its_own_source(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    am_peer p = t_get(m, t_add(m, a, NULL, 1, 0));
    if (p.has_source) {
        assert_true(am_addr_host_eq(&p.source, &a));
        assert_int_equal(p.source.port, 0);
    }
    am_free(m);
}

static void test_add_accepts_every_network(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr list[] = {
        t_v4(5, 6, 7, 8, T_PORT), t_v6(0x4f8, 7, 1, T_PORT),
        t_named(AM_NET_TORV3, 1, T_PORT), t_named(AM_NET_I2P, 2, 0),
        t_named(AM_NET_CJDNS, 3, T_PORT),
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        uint64_t id = t_add(m, list[i], &list[0], 1, 0);
        am_peer p;
        ASSERT_RC(am_find(m, &list[i], &p), AM_OK);
        assert_int_equal(p.id, id);
        assert_int_equal(p.addr.net, list[i].net);
    }
    assert_int_equal(am_size(m), 5);
    am_free(m);
}

static void test_unknown_id_or_endpoint_is_notfound(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    am_peer p;
    am_place pl;
    t_add(m, a, NULL, 1, 0);
    am_addr other = t_v4(5, 6, 7, 9, T_PORT);
    ASSERT_RC(am_find(m, &other, &p), AM_ERR_NOTFOUND);
    ASSERT_RC(am_get(m, 999, &p), AM_ERR_NOTFOUND);
    ASSERT_RC(am_get(m, 0, &p), AM_ERR_NOTFOUND);
    ASSERT_RC(am_place_of(m, 999, &pl), AM_ERR_NOTFOUND);
    ASSERT_RC(am_set_state(m, 999, AM_OP_TRIED, &p), AM_ERR_NOTFOUND);
    ASSERT_RC(am_set_services(m, 999, 1, &p), AM_ERR_NOTFOUND);
    ASSERT_RC(am_remove(m, 999), AM_ERR_NOTFOUND);
    CHECK(m);
    assert_int_equal(am_size(m), 1);
    am_free(m);
}

static void test_add_same_endpoint_twice_is_known(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT), src = SRC1;
    uint64_t id = t_add(m, a, &src, 1, 0), id2 = 0;
    int is_new = -1;
    ASSERT_RC(am_add(m, &a, &src, 8, 0, 0, &is_new, &id2), AM_OK);
    CHECK(m);
    assert_int_equal(is_new, 0);
    assert_int_equal(id2, id);
    assert_int_equal(am_size(m), 1);
    assert_int_equal(t_get(m, id).services, 9);
    /* Another source, no new bits: still the same peer, bits kept. */
    am_addr src2 = t_v4(9, 9, 9, 9, 0);
    ASSERT_RC(am_add(m, &a, &src2, 0, 0, 0, &is_new, &id2), AM_OK);
    CHECK(m);
    assert_int_equal(is_new, 0);
    assert_int_equal(id2, id);
    assert_int_equal(t_get(m, id).services, 9);
    assert_int_equal(am_size(m), 1);
    am_free(m);
}

static void test_add_same_ip_other_port_is_another_peer(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, 8333), b = t_v4(5, 6, 7, 8, 8334);
    am_addr c = t_v4(5, 6, 7, 8, 8335);
    am_peer p;
    uint64_t ia = t_add(m, a, NULL, 1, 0);
    uint64_t ib = t_add(m, b, NULL, 2, 0);
    assert_int_not_equal(ia, ib);
    assert_int_equal(am_size(m), 2);
    ASSERT_RC(am_find(m, &a, &p), AM_OK);
    assert_int_equal(p.id, ia);
    assert_int_equal(p.services, 1);
    ASSERT_RC(am_find(m, &b, &p), AM_OK);
    assert_int_equal(p.id, ib);
    assert_int_equal(p.services, 2);
    ASSERT_RC(am_find(m, &c, &p), AM_ERR_NOTFOUND);
    am_free(m);
}

static void test_add_unroutable_is_refused_and_not_stored(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr bad[] = {
        t_v4(0, 1, 2, 3, T_PORT),       t_v4(10, 1, 2, 3, T_PORT),
        t_v4(100, 64, 0, 1, T_PORT),    t_v4(127, 0, 0, 1, T_PORT),
        t_v4(169, 254, 1, 1, T_PORT),   t_v4(172, 16, 5, 4, T_PORT),
        t_v4(192, 168, 0, 1, T_PORT),   t_v4(198, 18, 0, 1, T_PORT),
        t_v4(192, 0, 2, 1, T_PORT),     t_v4(198, 51, 100, 1, T_PORT),
        t_v4(203, 0, 113, 1, T_PORT),   t_v4(224, 0, 0, 1, T_PORT),
        t_v4(240, 0, 0, 1, T_PORT),     t_v4(255, 255, 255, 255, T_PORT),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        am_peer p;
        ASSERT_RC(t_try_add(m, bad[i], NULL, 1, 0, NULL), AM_ERR_UNROUTABLE);
        ASSERT_RC(am_find(m, &bad[i], &p), AM_ERR_NOTFOUND);
    }
    /* IPv6: ::1, fe80::1, fd00::1, 2001:db8::1 */
    static const uint8_t v6[][2] = {{0x00, 0x00}, {0xfe, 0x80},
                                    {0xfd, 0x00}, {0x20, 0x01}};
    for (size_t i = 0; i < 4; i++) {
        am_addr a = t_v6(0, 0, 1, T_PORT);
        a.bytes[0] = v6[i][0];
        a.bytes[1] = v6[i][1];
        if (i == 3) {
            a.bytes[2] = 0x0d;
            a.bytes[3] = 0xb8;
        }
        ASSERT_RC(t_try_add(m, a, NULL, 1, 0, NULL), AM_ERR_UNROUTABLE);
    }
    assert_int_equal(am_size(m), 0);
    assert_int_equal(t_stats(m).total, 0);
    am_free(m);
}

static void test_add_unknown_network_is_addr_error(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    a.net = 9;
    ASSERT_RC(t_try_add(m, a, NULL, 1, 0, NULL), AM_ERR_ADDR);
    a.net = 0;
    ASSERT_RC(t_try_add(m, a, NULL, 1, 0, NULL), AM_ERR_ADDR);
    assert_int_equal(am_size(m), 0);
    am_free(m);
}

static void test_remove_forgets_peer_and_frees_its_slots(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT), b = t_v4(9, 6, 7, 8, T_PORT);
    am_peer p;
    uint64_t ia = t_add(m, a, NULL, 1, 0);
    uint64_t ib = t_add(m, b, NULL, 1, 0);
    t_set(m, ib, AM_OP_TRIED);
    assert_true(am_has(m, ia) && am_has(m, ib));
    t_remove(m, ia);
    t_remove(m, ib);
    assert_int_equal(am_size(m), 0);
    ASSERT_RC(am_find(m, &a, &p), AM_ERR_NOTFOUND);
    ASSERT_RC(am_get(m, ib, &p), AM_ERR_NOTFOUND);
    assert_false(am_has(m, ia));
    assert_false(am_has(m, ib));
    ASSERT_RC(am_remove(m, ia), AM_ERR_NOTFOUND);
    am_stats st = t_stats(m);
    assert_int_equal(st.slots_used[0] + st.slots_used[1], 0);
    assert_int_equal(st.buckets_used[0] + st.buckets_used[1], 0);
    am_free(m);
}

/* ---- time rules ------------------------------------------------------------ */

static int64_t stored_time(am_man *m, am_addr a, const am_addr *src,
                           int64_t time, int64_t penalty)
{
    int is_new = -1;
    uint64_t id = 0;
    ASSERT_RC(am_add(m, &a, src, 1, time, penalty, &is_new, &id), AM_OK);
    CHECK(m);
    assert_int_equal(is_new, 1);
    return t_get(m, id).time;
}

static void test_add_time_zero_is_now(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    t_advance(1234);
    assert_int_equal(stored_time(m, t_v4(5, 6, 7, 8, 1), NULL, 0, 0),
                     T_START + 1234);
    am_free(m);
}

static void test_add_time_too_old_or_future_is_now_minus_5_days(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    const int64_t now = T_START, fallback = now - 5 * T_DAY;
    assert_int_equal(stored_time(m, t_v4(41, 6, 7, 8, 1), NULL, 1, 0), fallback);
    assert_int_equal(stored_time(m, t_v4(42, 6, 7, 8, 1), NULL, 100000000, 0),
                     fallback);
    assert_int_equal(stored_time(m, t_v4(43, 6, 7, 8, 1), NULL, -5, 0),
                     fallback);
    assert_int_equal(stored_time(m, t_v4(44, 6, 7, 8, 1), NULL, now + 601, 0),
                     fallback);
    assert_int_equal(stored_time(m, t_v4(45, 6, 7, 8, 1), NULL,
                                 now + 10 * T_DAY, 0), fallback);
    am_free(m);
}

static void test_add_time_inside_limits_is_kept(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    const int64_t now = T_START;
    assert_int_equal(stored_time(m, t_v4(41, 6, 7, 8, 1), NULL, 100000001, 0),
                     100000001);
    assert_int_equal(stored_time(m, t_v4(42, 6, 7, 8, 1), NULL, now + 600, 0),
                     now + 600);
    assert_int_equal(stored_time(m, t_v4(43, 6, 7, 8, 1), NULL, now - 3 * T_DAY,
                                 0), now - 3 * T_DAY);
    am_free(m);
}

static void test_add_penalty_applies_only_when_source_differs(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    const int64_t t = T_START - 1000;
    am_addr other = t_v4(9, 9, 9, 9, 0);
    am_addr a = t_v4(41, 6, 7, 8, T_PORT), b = t_v4(42, 6, 7, 8, T_PORT);
    am_addr c = t_v4(43, 6, 7, 8, T_PORT), d = t_v4(44, 6, 7, 8, T_PORT);
    am_addr self_b = t_host(b);
    assert_int_equal(stored_time(m, a, &other, t, 7200), t - 7200);
    assert_int_equal(stored_time(m, b, &self_b, t, 7200), t);
    assert_int_equal(stored_time(m, c, NULL, t, 7200), t);
    assert_int_equal(stored_time(m, d, &other, 0, 7200), T_START - 7200);
    am_free(m);
}

static void test_add_known_with_fresher_time_refreshes_time(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    int is_new = -1;
    uint64_t id = t_add(m, a, NULL, 1, T_START - 3 * T_HOUR);
    ASSERT_RC(am_add(m, &a, NULL, 1, T_START, 0, &is_new, NULL), AM_OK);
    CHECK(m);
    assert_int_equal(is_new, 0);
    assert_int_equal(t_get(m, id).time, T_START);
    /* An older announcement never moves the time back. */
    ASSERT_RC(am_add(m, &a, NULL, 1, T_START - 5 * T_HOUR, 0, &is_new, NULL),
              AM_OK);
    CHECK(m);
    assert_int_equal(t_get(m, id).time, T_START);
    am_free(m);
}

/* ---- state operations -------------------------------------------------------- */

/* A manager with one new peer announced an hour ago; clock at T_START. */
static am_man *one_peer(uint64_t *id)
{
    am_man *m = t_man(1024, 256);
    am_addr src = SRC1;
    *id = t_add(m, t_v4(5, 6, 7, 8, T_PORT), &src, 1, T_START - T_HOUR);
    return m;
}

static void test_state_connected_moves_to_tried_and_stamps_times(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    t_advance(10);
    am_peer p = t_set(m, id, AM_OP_CONNECTED);
    assert_int_equal(p.id, id);
    assert_int_equal(p.state, AM_STATE_CONNECTED);
    assert_int_equal(p.in_tried, 1);
    assert_int_equal(p.ref_count, 0);
    assert_int_equal(p.attempts, 0);
    assert_int_equal(p.last_try, T_START + 10);
    assert_int_equal(p.last_success, T_START + 10);
    assert_int_equal(p.last_connected, T_START + 10);
    assert_int_equal(p.time, T_START - T_HOUR);
    am_peer g = t_get(m, id);
    assert_memory_equal(&p, &g, sizeof p);
    am_place pl = t_place(m, id);
    assert_int_equal(pl.in_tried, 1);
    assert_int_equal(pl.n, 1);
    assert_true(pl.bucket[0] < 256 && pl.slot[0] < AM_BUCKET_SIZE);
    am_free(m);
}

static void test_state_tried_moves_to_tried_without_touching_time(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    t_advance(20);
    am_peer p = t_set(m, id, AM_OP_TRIED);
    assert_int_equal(p.state, AM_STATE_TRIED);
    assert_int_equal(p.in_tried, 1);
    assert_int_equal(p.ref_count, 0);
    assert_int_equal(p.attempts, 0);
    assert_int_equal(p.last_try, T_START + 20);
    assert_int_equal(p.last_success, T_START + 20);
    assert_int_equal(p.last_connected, 0);
    assert_int_equal(p.time, T_START - T_HOUR);
    am_stats st = t_stats(m);
    assert_int_equal(st.by_table[1], 1);
    assert_int_equal(st.by_table[0], 0);
    am_free(m);
}

static void test_state_failed_stamps_last_try_and_counts_attempt(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    t_advance(30);
    am_peer p = t_set(m, id, AM_OP_FAILED);
    assert_int_equal(p.state, AM_STATE_FAILED);
    assert_int_equal(p.in_tried, 0);
    assert_int_equal(p.attempts, 1);
    assert_int_equal(p.last_try, T_START + 30);
    assert_int_equal(p.last_success, 0);
    assert_int_equal(p.last_connected, 0);
    assert_int_equal(p.time, T_START - T_HOUR);
    assert_int_equal(t_stats(m).cooling, 1);
    am_free(m);
}

static void test_state_failed_counts_once_per_success_epoch(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    uint64_t other = t_add(m, t_v4(9, 8, 7, 6, T_PORT), NULL, 1, 0);
    t_advance(10);
    assert_int_equal(t_set(m, id, AM_OP_FAILED).attempts, 1);
    t_advance(10);
    am_peer p = t_set(m, id, AM_OP_FAILED);
    assert_int_equal(p.attempts, 1);
    assert_int_equal(p.last_try, T_START + 20);
    /* A success (of any peer) opens a new epoch: the next failure counts. */
    t_advance(10);
    t_set(m, other, AM_OP_TRIED);
    t_advance(10);
    assert_int_equal(t_set(m, id, AM_OP_FAILED).attempts, 2);
    am_free(m);
}

static void test_state_success_after_failure_resets_attempts(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    t_advance(10);
    t_set(m, id, AM_OP_FAILED);
    t_advance(10);
    am_peer p = t_set(m, id, AM_OP_TRIED);
    assert_int_equal(p.state, AM_STATE_TRIED);
    assert_int_equal(p.attempts, 0);
    assert_int_equal(p.last_success, T_START + 20);
    assert_int_equal(t_stats(m).cooling, 0);
    /* Failing while in tried keeps the table. */
    t_advance(10);
    p = t_set(m, id, AM_OP_FAILED);
    assert_int_equal(p.state, AM_STATE_FAILED);
    assert_int_equal(p.in_tried, 1);
    assert_int_equal(p.attempts, 1);
    assert_int_equal(p.last_success, T_START + 20);
    assert_int_equal(p.last_try, T_START + 30);
    am_free(m);
}

static void test_state_never_tried_moves_tried_peer_back_to_new(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    t_advance(10);
    t_set(m, id, AM_OP_CONNECTED);
    t_advance(10);
    t_set(m, id, AM_OP_FAILED);
    t_advance(10);
    am_peer p = t_set(m, id, AM_OP_NEVER_TRIED);
    assert_int_equal(p.state, AM_STATE_NEVER_TRIED);
    assert_int_equal(p.in_tried, 0);
    assert_true(p.ref_count >= 1);
    assert_int_equal(p.attempts, 0);
    assert_int_equal(p.last_try, 0);
    assert_int_equal(p.last_success, 0);
    assert_int_equal(p.time, T_START - T_HOUR);
    am_place pl = t_place(m, id);
    assert_int_equal(pl.in_tried, 0);
    assert_int_equal(pl.n, p.ref_count);
    am_stats st = t_stats(m);
    assert_int_equal(st.by_table[0], 1);
    assert_int_equal(st.by_table[1], 0);
    assert_int_equal(st.cooling, 0);
    am_free(m);
}

static void test_state_never_tried_on_new_peer_clears_history(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    t_advance(10);
    t_set(m, id, AM_OP_FAILED);
    am_peer p = t_set(m, id, AM_OP_NEVER_TRIED);
    assert_int_equal(p.state, AM_STATE_NEVER_TRIED);
    assert_int_equal(p.in_tried, 0);
    assert_int_equal(p.attempts, 0);
    assert_int_equal(p.last_try, 0);
    am_free(m);
}

static void test_state_disconnected_sets_tried_and_refreshes_old_time(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    t_advance(10);
    t_set(m, id, AM_OP_CONNECTED);
    t_advance(100);
    am_peer p = t_set(m, id, AM_OP_DISCONNECTED);
    assert_int_equal(p.state, AM_STATE_TRIED);
    assert_int_equal(p.in_tried, 1);
    assert_int_equal(p.last_connected, T_START + 110);
    assert_int_equal(p.last_success, T_START + 10);
    assert_int_equal(p.time, T_START + 110);
    am_free(m);
}

static void test_state_disconnected_keeps_time_younger_than_20_min(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint64_t id = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, T_START - 60);
    t_set(m, id, AM_OP_CONNECTED);
    t_advance(100);
    am_peer p = t_set(m, id, AM_OP_DISCONNECTED);
    assert_int_equal(p.state, AM_STATE_TRIED);
    assert_int_equal(p.last_connected, T_START + 100);
    assert_int_equal(p.time, T_START - 60);
    am_free(m);
}

static void test_set_services_overwrites_bits(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    am_peer p;
    ASSERT_RC(am_set_services(m, id, 1024 | 8, &p), AM_OK);
    CHECK(m);
    assert_int_equal(p.services, 1024 | 8);
    ASSERT_RC(am_set_services(m, id, 64, NULL), AM_OK);
    CHECK(m);
    assert_int_equal(t_get(m, id).services, 64);
    ASSERT_RC(am_set_services(m, id, 0, NULL), AM_OK);
    CHECK(m);
    assert_int_equal(t_get(m, id).services, 0);
    am_free(m);
}

static void test_set_state_accepts_null_out(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    ASSERT_RC(am_set_state(m, id, AM_OP_TRIED, NULL), AM_OK);
    CHECK(m);
    assert_int_equal(t_get(m, id).state, AM_STATE_TRIED);
    am_free(m);
}

/* ---- ids ------------------------------------------------------------------------ */

static void test_remove_then_add_again_gives_new_larger_id(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    uint64_t id1 = t_add(m, a, NULL, 1, 0);
    t_add(m, t_v4(5, 6, 7, 9, T_PORT), NULL, 1, 0);
    t_remove(m, id1);
    uint64_t id2 = t_add(m, a, NULL, 1, 0);
    assert_true(id2 > id1 + 1);
    am_peer p;
    ASSERT_RC(am_get(m, id1, &p), AM_ERR_NOTFOUND);
    am_free(m);
}

static void test_ids_stay_unique_after_many_remove_add_cycles(void **state)
{
    (void)state;
    am_man *m = t_man(256, 64);
    uint32_t ctr = 0;
    uint64_t last = 0, ids[8];
    am_addr addrs[8];
    for (int i = 0; i < 8; i++) {
        addrs[i] = t_distinct_v4(&ctr, T_PORT);
        ids[i] = t_add(m, addrs[i], NULL, 1, 0);
        assert_true(ids[i] > last);
        last = ids[i];
    }
    for (int cycle = 0; cycle < 3000; cycle++) {
        int k = cycle % 8;
        t_remove(m, ids[k]);
        if (cycle % 3 == 0)
            addrs[k] = t_distinct_v4(&ctr, T_PORT);
        /* A fresh address may find its new slot taken: take another. */
        while (t_try_add(m, addrs[k], NULL, 1, 0, &ids[k]) != AM_OK)
            addrs[k] = t_distinct_v4(&ctr, T_PORT);
        assert_true(ids[k] > last);
        last = ids[k];
    }
    assert_int_equal(am_size(m), 8);
    assert_true(t_stats(m).next_id > last);
    am_free(m);
}

/* ---- listing --------------------------------------------------------------------- */

#define MIX_N 48

static am_addr mix_addr(int i)
{
    switch (i % 4) {
    case 0: return t_v4(20 + (unsigned)i, 1, 2, 3, T_PORT);
    case 1: return t_v6((uint16_t)(0x100 + i), 1, 1, T_PORT);
    case 2: return t_named(AM_NET_TORV3, (uint64_t)i, T_PORT);
    default: return t_named(AM_NET_I2P, (uint64_t)i, 0);
    }
}

/* 48 peers over four networks, services and states, one of them banned. */
static am_man *mixed_man(uint64_t *ids)
{
    am_man *m = t_man(1024, 256);
    for (int i = 0; i < MIX_N; i++) {
        am_addr src = t_v4(30 + (unsigned)i, 9, 9, 9, 0);
        uint64_t svc = (i % 3 == 0 ? 1u : 0u) | (i % 5 == 0 ? 8u : 0u);
        ids[i] = t_add(m, mix_addr(i), &src, svc, 0);
    }
    for (int i = 0; i < MIX_N; i++) {
        t_advance(1);
        if (i % 6 == 1)
            t_set(m, ids[i], AM_OP_TRIED);
        else if (i % 6 == 2)
            t_set(m, ids[i], AM_OP_CONNECTED);
        else if (i % 6 == 3)
            t_set(m, ids[i], AM_OP_FAILED);
        else if (i == 4) {
            am_subnet s = t_single(mix_addr(i));
            ASSERT_RC(am_ban_add(m, &s, T_START + T_DAY, "test", NULL), AM_OK);
            CHECK(m);
        }
    }
    return m;
}

static void expect_list_matches(am_man *m, const uint64_t *all, am_filter f)
{
    uint64_t want[MIX_N], got[MIX_N];
    size_t nw = 0;
    for (int i = 0; i < MIX_N; i++) {
        am_peer p = t_get(m, all[i]);
        if (t_peer_matches(&p, &f))
            want[nw++] = all[i];
    }
    for (size_t page = 1; page <= 16; page += 5) {
        size_t ng = t_list_ids(m, &f, page, got, MIX_N);
        assert_int_equal(ng, nw);
        if (nw > 0)
            assert_memory_equal(got, want, nw * sizeof want[0]);
    }
}

static void test_list_returns_all_peers_in_id_order_across_pages(void **state)
{
    (void)state;
    uint64_t ids[MIX_N], got[MIX_N];
    am_man *m = mixed_man(ids);
    am_filter f = t_filter_any();
    size_t n = t_list_ids(m, &f, 7, got, MIX_N);
    assert_int_equal(n, MIX_N);
    assert_memory_equal(got, ids, sizeof ids);
    am_free(m);
}

static void test_list_filters_by_state_network_table_services(void **state)
{
    (void)state;
    uint64_t ids[MIX_N];
    am_man *m = mixed_man(ids);
    am_filter f = t_filter_any();
    f.states = 1u << AM_STATE_TRIED;
    expect_list_matches(m, ids, f);
    f.states = (1u << AM_STATE_FAILED) | (1u << AM_STATE_BANNED);
    expect_list_matches(m, ids, f);
    f = t_filter_any();
    f.networks = T_NET_BIT(AM_NET_IPV6);
    expect_list_matches(m, ids, f);
    f = t_filter_any();
    f.table = 1;
    expect_list_matches(m, ids, f);
    f.table = 0;
    expect_list_matches(m, ids, f);
    f = t_filter_any();
    f.services = 9;
    expect_list_matches(m, ids, f);
    f.networks = T_NET_BIT(AM_NET_IPV4) | T_NET_BIT(AM_NET_TORV3);
    f.table = 0;
    f.services = 1;
    expect_list_matches(m, ids, f);
    f = t_filter_any();
    f.states = 1u << AM_STATE_BANNED;
    uint64_t got[MIX_N];
    assert_int_equal(t_list_ids(m, &f, 4, got, MIX_N), 1);
    assert_int_equal(got[0], ids[4]);
    am_free(m);
}

static void test_list_after_skips_lower_ids(void **state)
{
    (void)state;
    uint64_t ids[MIX_N], next = 1;
    am_man *m = mixed_man(ids);
    am_filter f = t_filter_any();
    am_peer out[4];
    size_t n = 0;
    ASSERT_RC(am_list(m, &f, ids[MIX_N - 3], out, 4, &n, &next), AM_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].id, ids[MIX_N - 2]);
    assert_int_equal(out[1].id, ids[MIX_N - 1]);
    assert_int_equal(next, 0);
    ASSERT_RC(am_list(m, &f, ids[MIX_N - 1], out, 4, &n, &next), AM_OK);
    assert_int_equal(n, 0);
    assert_int_equal(next, 0);
    am_free(m);
}

/* ---- statistics ------------------------------------------------------------------- */

static int has_pair(const uint32_t *b, const uint32_t *s, size_t n,
                    uint32_t bucket, uint32_t slot)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] == bucket && s[i] == slot)
            return 1;
    return 0;
}

static void test_stats_match_a_manual_count(void **state)
{
    (void)state;
    uint64_t ids[MIX_N];
    am_man *m = mixed_man(ids);
    am_stats want;
    memset(&want, 0, sizeof want);
    uint8_t *used[2] = {calloc(1024, 1), calloc(256, 1)};
    uint32_t nb[MIX_N * AM_MAX_NEW_REFS], ns[MIX_N * AM_MAX_NEW_REFS];
    size_t npairs = 0;
    for (int i = 0; i < MIX_N; i++) {
        am_peer p = t_get(m, ids[i]);
        am_place pl = t_place(m, ids[i]);
        int t = p.in_tried;
        assert_int_equal(pl.in_tried, t);
        assert_int_equal(t ? 1 : p.ref_count, pl.n);
        want.total++;
        want.by_table[t]++;
        want.by_state[p.state]++;
        want.by_net[p.addr.net]++;
        want.by_net_table[p.addr.net][t]++;
        want.cooling += p.state == AM_STATE_FAILED && t_now - p.last_try < 600;
        for (uint32_t k = 0; k < pl.n; k++) {
            assert_false(t == 0 && has_pair(nb, ns, npairs, pl.bucket[k],
                                             pl.slot[k]));
            if (t == 0) {
                nb[npairs] = pl.bucket[k];
                ns[npairs++] = pl.slot[k];
            }
            want.buckets_used[t] += !used[t][pl.bucket[k]];
            used[t][pl.bucket[k]] = 1;
            want.slots_used[t]++;
        }
    }
    am_stats got = t_stats(m);
    assert_int_equal(got.total, want.total);
    assert_int_equal(got.total, am_size(m));
    for (int t = 0; t < 2; t++) {
        assert_int_equal(got.by_table[t], want.by_table[t]);
        assert_int_equal(got.buckets_used[t], want.buckets_used[t]);
        assert_int_equal(got.slots_used[t], want.slots_used[t]);
    }
    for (int s = 0; s < AM_STATE_COUNT; s++)
        assert_int_equal(got.by_state[s], want.by_state[s]);
    for (int n = 0; n < AM_NET_MAX; n++) {
        assert_int_equal(got.by_net[n], want.by_net[n]);
        assert_int_equal(got.by_net_table[n][0], want.by_net_table[n][0]);
        assert_int_equal(got.by_net_table[n][1], want.by_net_table[n][1]);
    }
    assert_int_equal(got.bans, 1);
    assert_int_equal(got.bans, am_ban_count(m));
    assert_int_equal(got.collisions, 0);
    assert_int_equal(got.cooling, want.cooling);
    assert_int_equal(got.buckets[0], 1024);
    assert_int_equal(got.buckets[1], 256);
    free(used[0]);
    free(used[1]);
    am_free(m);
}

static void test_stats_cooling_ends_after_retry_time(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    t_set(m, id, AM_OP_FAILED);
    assert_int_equal(t_stats(m).cooling, 1);
    t_advance(599);
    assert_int_equal(t_stats(m).cooling, 1);
    t_advance(2);
    assert_int_equal(t_stats(m).cooling, 0);
    assert_int_equal(t_stats(m).by_state[AM_STATE_FAILED], 1);
    am_free(m);
}

/* Each failure report used to queue a timer of its own: the queue grew with
 * the reports of the last retry time, not with the peers. */
static void test_repeated_failures_of_one_peer_queue_one_retry_timer(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    for (int i = 0; i < 10000; i++) {
        ASSERT_RC(am_set_state(m, id, AM_OP_FAILED, NULL), AM_OK);
        if (i % 100 == 99)
            t_advance(1);
    }
    CHECK(m);
    am_stats st = t_stats(m);
    assert_int_equal(st.cooling, 1);
    assert_int_equal(st.timers, 1);
    am_free(m);
}

static void test_failure_connect_cycles_of_one_peer_queue_one_retry_timer(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    for (int i = 0; i < 1000; i++) {
        ASSERT_RC(am_set_state(m, id, AM_OP_FAILED, NULL), AM_OK);
        ASSERT_RC(am_set_state(m, id, AM_OP_CONNECTED, NULL), AM_OK);
    }
    t_set(m, id, AM_OP_FAILED);
    assert_int_equal(t_stats(m).timers, 1);
    am_free(m);
}

/* The one timer fires at the first failure's retry time and waits on for
 * the rest the last failure left. */
static void test_failing_again_while_resting_rests_from_the_last_failure(void **state)
{
    (void)state;
    uint64_t id;
    am_man *m = one_peer(&id);
    t_set(m, id, AM_OP_FAILED);
    t_advance(300);
    t_set(m, id, AM_OP_FAILED);
    t_advance(301);
    assert_int_equal(t_stats(m).cooling, 1);
    assert_int_equal(t_stats(m).timers, 1);
    t_advance(298);
    assert_int_equal(t_stats(m).cooling, 1);
    t_advance(2);
    am_stats st = t_stats(m);
    assert_int_equal(st.cooling, 0);
    assert_int_equal(st.timers, 0);
    CHECK(m);
    am_free(m);
}

/* Removed peers leave their timers queued; they are dropped when the queue
 * is full, which then does not grow. */
static void test_retry_timers_of_removed_peers_do_not_grow_the_queue(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint64_t ids[40];
    size_t most = 0, failed = 0;
    for (unsigned round = 0; round < 100; round++) {
        unsigned n = 0;
        for (unsigned i = 0; i < 40; i++)
            if (t_try_add(m, t_v4(20 + i, round, 1, 1, T_PORT), NULL, 1, 0,
                          &ids[n]) == AM_OK)
                t_set(m, ids[n++], AM_OP_FAILED);
        failed += n;
        for (unsigned i = 0; i < n; i++)
            t_remove(m, ids[i]);
        am_stats st = t_stats(m);
        if (st.timers > most)
            most = st.timers;
        t_advance(1);
    }
    assert_true(failed > 1000);
    assert_true(most <= 64);    /* the queue's first allocation */
    am_free(m);
}

static void test_stats_next_id_is_the_next_assigned_id(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    assert_int_equal(t_stats(m).next_id, 1);
    uint64_t a = t_add(m, t_v4(5, 6, 7, 8, 1), NULL, 1, 0);
    t_remove(m, a);
    uint64_t want = t_stats(m).next_id;
    assert_true(want > a);
    assert_int_equal(t_add(m, t_v4(5, 6, 7, 8, 1), NULL, 1, 0), want);
    am_free(m);
}

/* ---- determinism ------------------------------------------------------------------ */

#define DET_N 1500
#define DET_SEL 200

typedef struct det_run {
    uint64_t ids[DET_N];
    am_place place[DET_N];
    uint64_t selected[DET_SEL];
    uint64_t sampled[64];
    size_t n_sampled;
} det_run;

static void det_scenario(am_man *m, det_run *r)
{
    uint32_t ctr = 0;
    for (int i = 0; i < DET_N; i++) {
        am_addr src = t_v4(40 + (unsigned)(i % 50), 7, 0, 1, 0);
        int rc = t_try_add(m, t_distinct_v4(&ctr, T_PORT), &src, 1, 0,
                           &r->ids[i]);
        assert_true(rc == AM_OK || rc == AM_ERR_REJECTED);
        if (i % 250 == 0)
            t_advance(30);
    }
    for (int i = 0; i < DET_N; i++) {
        if (r->ids[i] != 0 && i % 7 == 0)
            t_set(m, r->ids[i], AM_OP_TRIED);
        else if (r->ids[i] != 0 && i % 11 == 0)
            t_set(m, r->ids[i], AM_OP_FAILED);
    }
    am_select_opts o = t_opts(0, 0, 0);
    for (int i = 0; i < DET_SEL; i++)
        r->selected[i] = t_select(m, &o).id;
    am_peer out[64];
    ASSERT_RC(am_sample(m, 64, 0, 0, 0, out, &r->n_sampled), AM_OK);
    for (size_t i = 0; i < r->n_sampled; i++)
        r->sampled[i] = out[i].id;
    for (int i = 0; i < DET_N; i++) {
        memset(&r->place[i], 0, sizeof r->place[i]);
        if (r->ids[i] != 0)
            r->place[i] = t_place(m, r->ids[i]);
    }
}

static void run_with_key(det_run *r, uint8_t salt)
{
    am_config cfg;
    t_now = T_START;
    t_config(&cfg, 256, 64);
    t_key(cfg.key, salt);
    am_man *m = t_man_cfg(&cfg);
    det_scenario(m, r);
    am_free(m);
}

static void test_same_seed_key_and_ops_give_identical_results(void **state)
{
    (void)state;
    det_run *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    run_with_key(a, 0);
    run_with_key(b, 0);
    assert_memory_equal(a->ids, b->ids, sizeof a->ids);
    assert_memory_equal(a->place, b->place, sizeof a->place);
    assert_memory_equal(a->selected, b->selected, sizeof a->selected);
    assert_int_equal(a->n_sampled, b->n_sampled);
    assert_memory_equal(a->sampled, b->sampled, sizeof a->sampled);
    free(a);
    free(b);
}

static void test_other_key_gives_other_placements(void **state)
{
    (void)state;
    det_run *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    run_with_key(a, 0);
    run_with_key(b, 99);
    int same = 0, both = 0;
    for (int i = 0; i < DET_N; i++) {
        if (a->ids[i] == 0 || b->ids[i] == 0)
            continue;
        both++;
        same += a->place[i].in_tried == b->place[i].in_tried &&
                a->place[i].bucket[0] == b->place[i].bucket[0] &&
                a->place[i].slot[0] == b->place[i].slot[0];
    }
    assert_true(both > DET_N / 2);
    assert_true(same < both / 10);
    free(a);
    free(b);
}

/* ---- IsTerrible ------------------------------------------------------------------ */

static am_peer fresh_peer(int64_t now)
{
    am_peer p;
    memset(&p, 0, sizeof p);
    p.addr = t_v4(5, 6, 7, 8, T_PORT);
    p.time = now - T_HOUR;
    return p;
}

static void test_is_terrible_follows_core_rules(void **state)
{
    (void)state;
    const int64_t now = T_START;
    am_peer p = fresh_peer(now);
    assert_false(am_peer_is_terrible(&p, now));
    p.time = now + 601;
    assert_true(am_peer_is_terrible(&p, now));
    p.time = now + 600;
    assert_false(am_peer_is_terrible(&p, now));
    p.time = now - 31 * T_DAY;
    assert_true(am_peer_is_terrible(&p, now));
    p.time = now - 29 * T_DAY;
    assert_false(am_peer_is_terrible(&p, now));
    /* Never succeeded: 3 failures are terrible, 2 are not. */
    p = fresh_peer(now);
    p.attempts = 2;
    p.last_try = now - T_HOUR;
    assert_false(am_peer_is_terrible(&p, now));
    p.attempts = 3;
    assert_true(am_peer_is_terrible(&p, now));
    /* ...unless tried within the last minute. */
    p.last_try = now - 30;
    assert_false(am_peer_is_terrible(&p, now));
    p.time = now - 60 * T_DAY;
    assert_false(am_peer_is_terrible(&p, now));
    /* Succeeded once: 10 failures over a week are terrible. */
    p = fresh_peer(now);
    p.last_success = now - 8 * T_DAY;
    p.last_try = now - T_HOUR;
    p.attempts = 9;
    assert_false(am_peer_is_terrible(&p, now));
    p.attempts = 10;
    assert_true(am_peer_is_terrible(&p, now));
    p.last_success = now - 6 * T_DAY;
    assert_false(am_peer_is_terrible(&p, now));
}

/* Regression: a peer added without a source was reported with no source,
 * though the contract says it is its own source. */
static void test_add_without_source_reports_itself_as_source(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(23, 1, 2, 3, T_PORT), src = t_v4(44, 5, 6, 7, 0);
    am_addr b = t_v4(23, 9, 2, 3, T_PORT);
    am_peer p;
    ASSERT_RC(t_try_add(m, a, NULL, 1, 0, NULL), AM_OK);
    ASSERT_RC(am_find(m, &a, &p), AM_OK);
    assert_int_equal(p.has_source, 1);
    assert_true(am_addr_host_eq(&p.source, &a));
    assert_int_equal(p.source.port, 0);
    ASSERT_RC(t_try_add(m, b, &src, 1, 0, NULL), AM_OK);
    ASSERT_RC(am_find(m, &b, &p), AM_OK);
    assert_int_equal(p.has_source, 1);
    assert_true(am_addr_host_eq(&p.source, &src));
    CHECK(m);
    am_free(m);
}

/* One table of state names: each name reads back as its state. */
static void test_state_names_round_trip(void **state)
{
    (void)state;
    for (int s = 0; s < AM_STATE_COUNT; s++) {
        am_state back;
        ASSERT_RC(am_state_from_name(am_state_name((am_state)s), &back), AM_OK);
        assert_int_equal(back, s);
    }
    am_state st;
    assert_string_equal(am_state_name(AM_STATE_NEVER_TRIED), "never_tried");
    assert_string_equal(am_state_name(AM_STATE_BANNED), "banned");
    assert_string_equal(am_state_name((am_state)AM_STATE_COUNT), "unknown");
    ASSERT_RC(am_state_from_name("Tried", &st), AM_ERR_INVAL);
    ASSERT_RC(am_state_from_name("disconnected", &st), AM_ERR_INVAL);
    ASSERT_RC(am_state_from_name(NULL, &st), AM_ERR_INVAL);
}

/* fc00::/8 bytes named IPv6 (BIP155 network 2, an addr message's 16
 * bytes, Core's older files) are the CJDNS peer their text names: one
 * entry, found, banned and restored as CJDNS.  The bug: such a source was
 * kept as IPv6 and read back from a snapshot as CJDNS. */
static void test_fc00_named_ipv6_is_the_cjdns_peer(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr v6, src, cj, cj_src;
    am_peer p;
    int is_new;
    uint64_t id;

    ASSERT_RC(am_addr_parse(&cj, "fc32:17ea::1", T_PORT), AM_OK);
    ASSERT_RC(am_addr_parse(&src, "fc9a:1::2", 0), AM_OK);
    v6 = cj;
    v6.net = AM_NET_IPV6;
    src.net = AM_NET_IPV6;
    assert_int_equal(cj.net, AM_NET_CJDNS);
    assert_int_equal(v6.net, AM_NET_IPV6);
    assert_memory_equal(v6.bytes, cj.bytes, 16);
    cj_src = am_addr_canon(src);
    assert_int_equal(cj_src.net, AM_NET_CJDNS);
    assert_int_equal(am_addr_canon(cj).net, AM_NET_CJDNS);
    assert_true(am_admits(m, &v6));

    ASSERT_RC(am_add(m, &v6, &src, 1, 0, 0, &is_new, &id), AM_OK);
    assert_true(is_new);
    ASSERT_RC(am_get(m, id, &p), AM_OK);
    assert_int_equal(p.addr.net, AM_NET_CJDNS);
    assert_true(p.has_source);
    assert_true(am_addr_host_eq(&p.source, &cj_src));
    ASSERT_RC(am_add(m, &cj, NULL, 1, 0, 0, &is_new, NULL), AM_OK);
    assert_false(is_new);
    assert_int_equal(am_size(m), 1);
    ASSERT_RC(am_find(m, &v6, &p), AM_OK);
    assert_int_equal(p.id, id);
    CHECK(m);

    /* A saved peer named IPv6 comes back as CJDNS too. */
    am_man *m2 = t_man(1024, 256);
    p.addr = v6;
    p.source = src;
    ASSERT_RC(am_restore(m2, &p, NULL), AM_OK);
    ASSERT_RC(am_find(m2, &cj, &p), AM_OK);
    assert_int_equal(p.addr.net, AM_NET_CJDNS);
    assert_int_equal(p.source.net, AM_NET_CJDNS);
    CHECK(m2);
    am_free(m2);

    /* A ban of the CJDNS range covers the bytes named IPv6. */
    am_subnet net;
    ASSERT_RC(am_subnet_parse(&net, "fc32::/16"), AM_OK);
    ASSERT_RC(am_ban_add(m, &net, T_START + 3600, "test", NULL), AM_OK);
    assert_true(am_is_banned(m, &v6));
    ASSERT_RC(am_add(m, &v6, NULL, 1, 0, 0, &is_new, NULL), AM_ERR_BANNED);
    CHECK(m);
    am_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_names_round_trip),
        cmocka_unit_test(test_new_rejects_table_sizes_outside_contract),
        cmocka_unit_test(test_add_without_source_reports_itself_as_source),
        cmocka_unit_test(test_new_accepts_smallest_and_largest_tables),
        cmocka_unit_test(test_config_default_matches_documented_values),
        cmocka_unit_test(test_new_reports_key_clock_and_empty_tables),
        cmocka_unit_test(test_new_without_key_draws_a_random_key),
        cmocka_unit_test(test_first_add_gets_id_1_and_get_find_agree),
        cmocka_unit_test(test_add_without_source_is_its_own_source),
        cmocka_unit_test(test_add_accepts_every_network),
        cmocka_unit_test(test_unknown_id_or_endpoint_is_notfound),
        cmocka_unit_test(test_add_same_endpoint_twice_is_known),
        cmocka_unit_test(test_add_same_ip_other_port_is_another_peer),
        cmocka_unit_test(test_add_unroutable_is_refused_and_not_stored),
        cmocka_unit_test(test_add_unknown_network_is_addr_error),
        cmocka_unit_test(test_remove_forgets_peer_and_frees_its_slots),
        cmocka_unit_test(test_add_time_zero_is_now),
        cmocka_unit_test(test_add_time_too_old_or_future_is_now_minus_5_days),
        cmocka_unit_test(test_add_time_inside_limits_is_kept),
        cmocka_unit_test(test_add_penalty_applies_only_when_source_differs),
        cmocka_unit_test(test_add_known_with_fresher_time_refreshes_time),
        cmocka_unit_test(test_state_connected_moves_to_tried_and_stamps_times),
        cmocka_unit_test(test_state_tried_moves_to_tried_without_touching_time),
        cmocka_unit_test(test_state_failed_stamps_last_try_and_counts_attempt),
        cmocka_unit_test(test_state_failed_counts_once_per_success_epoch),
        cmocka_unit_test(test_state_success_after_failure_resets_attempts),
        cmocka_unit_test(test_state_never_tried_moves_tried_peer_back_to_new),
        cmocka_unit_test(test_state_never_tried_on_new_peer_clears_history),
        cmocka_unit_test(test_state_disconnected_sets_tried_and_refreshes_old_time),
        cmocka_unit_test(test_state_disconnected_keeps_time_younger_than_20_min),
        cmocka_unit_test(test_set_services_overwrites_bits),
        cmocka_unit_test(test_set_state_accepts_null_out),
        cmocka_unit_test(test_remove_then_add_again_gives_new_larger_id),
        cmocka_unit_test(test_ids_stay_unique_after_many_remove_add_cycles),
        cmocka_unit_test(test_list_returns_all_peers_in_id_order_across_pages),
        cmocka_unit_test(test_list_filters_by_state_network_table_services),
        cmocka_unit_test(test_list_after_skips_lower_ids),
        cmocka_unit_test(test_stats_match_a_manual_count),
        cmocka_unit_test(test_stats_cooling_ends_after_retry_time),
        cmocka_unit_test(test_repeated_failures_of_one_peer_queue_one_retry_timer),
        cmocka_unit_test(test_failure_connect_cycles_of_one_peer_queue_one_retry_timer),
        cmocka_unit_test(test_failing_again_while_resting_rests_from_the_last_failure),
        cmocka_unit_test(test_retry_timers_of_removed_peers_do_not_grow_the_queue),
        cmocka_unit_test(test_stats_next_id_is_the_next_assigned_id),
        cmocka_unit_test(test_same_seed_key_and_ops_give_identical_results),
        cmocka_unit_test(test_other_key_gives_other_placements),
        cmocka_unit_test(test_is_terrible_follows_core_rules),
        cmocka_unit_test(test_fc00_named_ipv6_is_the_cjdns_peer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
