/*
 * test_addrman_ban.c - bans: single addresses, IPv4/IPv6 subnets, Tor v3 and
 * I2P names; their effect on state, select, sample and add; expiry at the
 * stored `until` time; removal, clearing and replacement.
 */
#include "am_test.h"

#define UNTIL (T_START + T_DAY)

static void ban(am_man *m, am_subnet s, int64_t until, const char *reason)
{
    am_ban out;
    memset(&out, 0, sizeof out);
    ASSERT_RC(am_ban_add(m, &s, until, reason, &out), AM_OK);
    CHECK(m);
    assert_int_equal(out.until, until);
    assert_int_equal(out.target.prefix, s.prefix);
    assert_true(am_addr_host_eq(&out.target.base, &s.base));
    assert_string_equal(out.reason, reason);
}

static int banned(am_man *m, uint64_t id)
{
    return t_get(m, id).state == AM_STATE_BANNED;
}

static int selectable(am_man *m, uint64_t id)
{
    am_select_opts o = t_opts(0, 0, 0);
    am_peer p;
    for (int i = 0; i < 200; i++) {
        int rc = am_select(m, &o, &p);
        CHECK(m);
        if (rc == AM_OK && p.id == id)
            return 1;
    }
    return 0;
}

/* ---- targets ------------------------------------------------------------------- */

static void test_ban_single_address_marks_only_that_host(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT), a2 = t_v4(5, 6, 7, 8, 18333);
    uint64_t ia = t_add(m, a, NULL, 1, 0), ia2 = t_add(m, a2, NULL, 1, 0);
    uint64_t ib = t_add(m, t_v4(5, 6, 7, 9, T_PORT), NULL, 1, 0);
    ban(m, t_subnet("5.6.7.8"), UNTIL, "misbehaving");
    assert_true(banned(m, ia));
    assert_true(banned(m, ia2));     /* a ban covers the host on every port */
    assert_false(banned(m, ib));
    assert_true(am_is_banned(m, &a));
    am_peer p;
    ASSERT_RC(am_find(m, &a, &p), AM_OK);
    assert_int_equal(p.state, AM_STATE_BANNED);
    assert_int_equal(am_ban_count(m), 1);
    assert_int_equal(t_stats(m).bans, 1);
    assert_int_equal(t_stats(m).by_state[AM_STATE_BANNED], 2);
    am_free(m);
}

static void test_ban_ipv4_subnet_covers_only_its_range(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint64_t in1 = t_add(m, t_v4(11, 22, 0, 1, T_PORT), NULL, 1, 0);
    uint64_t in2 = t_add(m, t_v4(11, 22, 255, 254, T_PORT), NULL, 1, 0);
    uint64_t out1 = t_add(m, t_v4(11, 23, 0, 1, T_PORT), NULL, 1, 0);
    uint64_t out2 = t_add(m, t_v4(11, 21, 255, 255, T_PORT), NULL, 1, 0);
    ban(m, t_subnet("11.22.0.0/16"), UNTIL, "range");
    assert_true(banned(m, in1));
    assert_true(banned(m, in2));
    assert_false(banned(m, out1));
    assert_false(banned(m, out2));
    am_addr probe = t_v4(11, 22, 99, 99, 0);
    assert_true(am_is_banned(m, &probe));
    am_free(m);
}

static void test_ban_ipv4_subnet_text_with_host_bits_is_normalised(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint64_t in = t_add(m, t_v4(11, 22, 33, 44, T_PORT), NULL, 1, 0);
    ban(m, t_subnet("11.22.33.99/24"), UNTIL, "");
    assert_true(banned(m, in));
    /* The same target, written with its host bits cleared. */
    ASSERT_RC(am_ban_remove(m, &(am_subnet){t_v4(11, 22, 33, 0, 0), 24}), AM_OK);
    CHECK(m);
    assert_false(banned(m, in));
    am_free(m);
}

static void test_ban_ipv6_subnet_covers_only_its_range(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint64_t in1 = t_add(m, t_v6(0x4f8, 1, 1, T_PORT), NULL, 1, 0);
    uint64_t in2 = t_add(m, t_v6(0x4f8, 0xffff, 9, T_PORT), NULL, 1, 0);
    uint64_t out = t_add(m, t_v6(0x4f9, 1, 1, T_PORT), NULL, 1, 0);
    uint64_t v4 = t_add(m, t_v4(42, 1, 1, 1, T_PORT), NULL, 1, 0);
    ban(m, t_subnet("2a01:4f8::/32"), UNTIL, "v6 range");
    assert_true(banned(m, in1));
    assert_true(banned(m, in2));
    assert_false(banned(m, out));
    assert_false(banned(m, v4));
    am_free(m);
}

static void ban_by_name(int net)
{
    am_man *m = t_man(1024, 256);
    am_addr a = t_named(net, 1, T_PORT), b = t_named(net, 2, T_PORT);
    uint64_t ia = t_add(m, a, NULL, 1, 0), ib = t_add(m, b, NULL, 1, 0);
    char name[AM_ADDR_STRLEN];
    ASSERT_RC(am_addr_format(&a, name, sizeof name), AM_OK);
    ban(m, t_subnet(name), UNTIL, "name");
    assert_true(banned(m, ia));
    assert_false(banned(m, ib));
    assert_true(am_is_banned(m, &a));
    assert_false(am_is_banned(m, &b));
    am_free(m);
}

static void test_ban_tor_name_covers_that_onion_only(void **state)
{
    (void)state;
    ban_by_name(AM_NET_TORV3);
}

static void test_ban_i2p_name_covers_that_destination_only(void **state)
{
    (void)state;
    ban_by_name(AM_NET_I2P);
}

/* ---- effects --------------------------------------------------------------------- */

static void test_banned_peer_is_excluded_from_select_and_sample(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint64_t ia = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    uint64_t ib = t_add(m, t_v4(9, 6, 7, 8, T_PORT), NULL, 1, 0);
    t_set(m, ib, AM_OP_TRIED);
    ban(m, t_single(t_v4(9, 6, 7, 8, 0)), UNTIL, "");
    am_select_opts o = t_opts(0, 0, 0);
    for (int i = 0; i < 200; i++)
        assert_int_equal(t_select(m, &o).id, ia);
    am_peer out[4];
    size_t n = 0;
    for (int i = 0; i < 20; i++) {
        ASSERT_RC(am_sample(m, 4, 0, 0, 0, out, &n), AM_OK);
        assert_int_equal(n, 1);
        assert_int_equal(out[0].id, ia);
    }
    am_free(m);
}

static void test_add_inside_a_ban_is_refused_and_not_stored(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint64_t known = t_add(m, t_v4(11, 22, 1, 1, T_PORT), NULL, 1, 0);
    ban(m, t_subnet("11.22.0.0/16"), UNTIL, "");
    am_addr fresh = t_v4(11, 22, 3, 3, T_PORT);
    am_peer p;
    ASSERT_RC(t_try_add(m, fresh, NULL, 1, 0, NULL), AM_ERR_BANNED);
    ASSERT_RC(am_find(m, &fresh, &p), AM_ERR_NOTFOUND);
    ASSERT_RC(t_try_add(m, t_v4(11, 22, 1, 1, T_PORT), NULL, 8, 0, NULL),
              AM_ERR_BANNED);
    assert_int_equal(t_get(m, known).services, 1);
    assert_int_equal(am_size(m), 1);
    am_free(m);
}

static void test_ban_lifts_itself_at_until_not_after_its_duration(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    uint64_t id = t_add(m, a, NULL, 1, 0);
    ban(m, t_single(a), T_START + 86400, "one day");
    /* Floresta stored 86400 (the duration) as the time; here it is a time:
     * still active an hour and a day minus a second later. */
    t_advance(3601);
    assert_true(banned(m, id));
    t_now = T_START + 86399;
    assert_true(am_is_banned(m, &a));
    assert_true(banned(m, id));
    assert_false(selectable(m, id));
    t_now = T_START + 86400;
    assert_false(am_is_banned(m, &a));
    am_peer p = t_get(m, id);
    assert_int_equal(p.state, AM_STATE_NEVER_TRIED);
    assert_true(selectable(m, id));
    CHECK(m);
    assert_int_equal(am_ban_count(m), 0);
    assert_int_equal(t_stats(m).bans, 0);
    assert_int_equal(t_stats(m).by_state[AM_STATE_BANNED], 0);
    uint64_t id2 = t_add(m, t_v4(5, 6, 7, 8, 1), NULL, 1, 0);
    assert_int_not_equal(id2, id);
    am_free(m);
}

static void test_expired_ban_gives_back_the_peer_own_state(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    uint64_t id = t_add(m, a, NULL, 1, 0);
    t_set(m, id, AM_OP_TRIED);
    ban(m, t_single(a), T_START + 100, "");
    am_peer p = t_get(m, id);
    assert_int_equal(p.state, AM_STATE_BANNED);
    assert_int_equal(p.in_tried, 1);
    assert_int_equal(t_stats(m).by_table[1], 1);
    t_advance(100);
    assert_int_equal(t_get(m, id).state, AM_STATE_TRIED);
    am_free(m);
}

/* ---- management ---------------------------------------------------------------------- */

static void test_ban_remove_restores_the_peer(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    uint64_t id = t_add(m, a, NULL, 1, 0);
    t_set(m, id, AM_OP_FAILED);
    am_subnet s = t_single(a);
    ban(m, s, UNTIL, "");
    assert_true(banned(m, id));
    ASSERT_RC(am_ban_remove(m, &s), AM_OK);
    CHECK(m);
    assert_int_equal(t_get(m, id).state, AM_STATE_FAILED);
    assert_false(am_is_banned(m, &a));
    assert_int_equal(am_ban_count(m), 0);
    ASSERT_RC(am_ban_remove(m, &s), AM_ERR_NOTFOUND);
    t_advance(601);
    assert_true(selectable(m, id));
    am_free(m);
}

static void test_ban_remove_needs_the_exact_target(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint64_t id = t_add(m, t_v4(11, 22, 3, 4, T_PORT), NULL, 1, 0);
    ban(m, t_subnet("11.22.0.0/16"), UNTIL, "");
    am_subnet narrower = t_subnet("11.22.3.0/24");
    ASSERT_RC(am_ban_remove(m, &narrower), AM_ERR_NOTFOUND);
    am_subnet host = t_subnet("11.22.3.4");
    ASSERT_RC(am_ban_remove(m, &host), AM_ERR_NOTFOUND);
    CHECK(m);
    assert_true(banned(m, id));
    assert_int_equal(am_ban_count(m), 1);
    am_free(m);
}

static void test_ban_clear_restores_every_peer(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint64_t ia = t_add(m, t_v4(11, 22, 3, 4, T_PORT), NULL, 1, 0);
    uint64_t ib = t_add(m, t_v6(0x4f8, 1, 1, T_PORT), NULL, 1, 0);
    am_addr tor = t_named(AM_NET_TORV3, 5, T_PORT);
    uint64_t ic = t_add(m, tor, NULL, 1, 0);
    ban(m, t_subnet("11.22.0.0/16"), UNTIL, "");
    ban(m, t_subnet("2a01:4f8::/32"), UNTIL, "");
    ban(m, t_single(tor), UNTIL, "");
    assert_int_equal(am_ban_count(m), 3);
    am_select_opts o = t_opts(0, 0, 0);
    am_peer p;
    ASSERT_RC(am_select(m, &o, &p), AM_ERR_NOTFOUND);
    am_ban_clear(m);
    CHECK(m);
    assert_int_equal(am_ban_count(m), 0);
    assert_false(banned(m, ia));
    assert_false(banned(m, ib));
    assert_false(banned(m, ic));
    assert_true(selectable(m, ia));
    assert_true(selectable(m, ic));
    assert_int_equal(t_try_add(m, t_v4(11, 22, 9, 9, T_PORT), NULL, 1, 0, NULL),
                     AM_OK);
    am_free(m);
}

static void test_ban_add_existing_target_replaces_until_and_reason(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    uint64_t id = t_add(m, a, NULL, 1, 0);
    ban(m, t_subnet("5.6.0.0/16"), T_START + 7 * T_DAY, "first");
    t_advance(10);
    ban(m, t_subnet("5.6.0.0/16"), T_START + 50, "second");
    assert_int_equal(am_ban_count(m), 1);
    am_ban list[4];
    size_t n = 0;
    ASSERT_RC(am_ban_list(m, list, 4, &n), AM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].until, T_START + 50);
    assert_string_equal(list[0].reason, "second");
    /* The shorter ban now decides. */
    t_now = T_START + 50;
    assert_false(banned(m, id));
    am_free(m);
}

static void test_ban_list_reports_target_created_until_reason(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    t_advance(5);
    ban(m, t_subnet("11.22.0.0/16"), UNTIL, "range");
    t_advance(5);
    ban(m, t_subnet("5.6.7.8"), UNTIL + 1, "host");
    am_ban list[4];
    size_t n = 0;
    ASSERT_RC(am_ban_list(m, list, 4, &n), AM_OK);
    assert_int_equal(n, 2);
    am_subnet range = t_subnet("11.22.0.0/16");
    int k = list[0].target.prefix == 16 ? 0 : 1;
    assert_int_equal(list[k].target.prefix, 16);
    assert_true(am_addr_host_eq(&list[k].target.base, &range.base));
    assert_int_equal(list[k].created, T_START + 5);
    assert_int_equal(list[k].until, UNTIL);
    assert_string_equal(list[k].reason, "range");
    assert_int_equal(list[1 - k].target.prefix, 32);
    assert_int_equal(list[1 - k].created, T_START + 10);
    assert_int_equal(list[1 - k].until, UNTIL + 1);
    assert_string_equal(list[1 - k].reason, "host");
    ASSERT_RC(am_ban_list(m, list, 1, &n), AM_OK);
    assert_int_equal(n, 1);
    am_free(m);
}

static void test_peer_stays_banned_while_another_ban_covers_it(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(11, 22, 3, 4, T_PORT);
    uint64_t id = t_add(m, a, NULL, 1, 0);
    am_subnet host = t_single(a);
    ban(m, t_subnet("11.22.0.0/16"), T_START + 200, "range");
    ban(m, host, T_START + 100, "host");
    ASSERT_RC(am_ban_remove(m, &host), AM_OK);
    CHECK(m);
    assert_true(banned(m, id));
    ban(m, host, T_START + 1000, "host again");
    t_advance(200);                 /* the range expires, the host ban not */
    assert_true(banned(m, id));
    assert_false(selectable(m, id));
    t_advance(800);
    assert_false(banned(m, id));
    assert_true(selectable(m, id));
    am_free(m);
}

static void test_bans_expire_each_at_its_own_time(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT), b = t_v4(9, 6, 7, 8, T_PORT);
    uint64_t ia = t_add(m, a, NULL, 1, 0), ib = t_add(m, b, NULL, 1, 0);
    ban(m, t_single(a), T_START + 1000, "later");
    assert_true(banned(m, ia));     /* a lookup between the two adds */
    ban(m, t_single(b), T_START + 100, "sooner");
    t_advance(100);
    assert_false(banned(m, ib));
    assert_true(banned(m, ia));
    assert_int_equal(am_ban_count(m), 1);
    assert_true(selectable(m, ib));
    t_advance(900);
    assert_false(banned(m, ia));
    assert_int_equal(am_ban_count(m), 0);
    am_free(m);
}

static void test_unbanned_failed_peer_still_waits_its_retry_time(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    uint64_t id = t_add(m, a, NULL, 1, 0);
    am_subnet s = t_single(a);
    t_set(m, id, AM_OP_FAILED);
    ban(m, s, T_START + 60, "");
    t_advance(60);                  /* ban over, retry time not */
    assert_int_equal(t_get(m, id).state, AM_STATE_FAILED);
    assert_false(selectable(m, id));
    t_advance(541);
    assert_true(selectable(m, id));
    am_free(m);
}

static void test_unbanned_tried_peer_is_selectable_again(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    uint64_t id = t_add(m, a, NULL, 1, 0);
    t_set(m, id, AM_OP_CONNECTED);
    am_subnet s = t_single(a);
    ban(m, s, UNTIL, "");
    assert_false(selectable(m, id));
    ASSERT_RC(am_ban_remove(m, &s), AM_OK);
    CHECK(m);
    assert_int_equal(t_get(m, id).state, AM_STATE_CONNECTED);
    assert_true(selectable(m, id));
    am_free(m);
}

/* Regression: listing an empty ban list passed NULL to memcpy (UBSan). */
static void test_ban_list_when_empty_returns_nothing(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_ban out[2];
    size_t n = 99;
    ASSERT_RC(am_ban_list(m, out, 2, &n), AM_OK);
    assert_int_equal(n, 0);
    am_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ban_list_when_empty_returns_nothing),
        cmocka_unit_test(test_ban_single_address_marks_only_that_host),
        cmocka_unit_test(test_ban_ipv4_subnet_covers_only_its_range),
        cmocka_unit_test(test_ban_ipv4_subnet_text_with_host_bits_is_normalised),
        cmocka_unit_test(test_ban_ipv6_subnet_covers_only_its_range),
        cmocka_unit_test(test_ban_tor_name_covers_that_onion_only),
        cmocka_unit_test(test_ban_i2p_name_covers_that_destination_only),
        cmocka_unit_test(test_banned_peer_is_excluded_from_select_and_sample),
        cmocka_unit_test(test_add_inside_a_ban_is_refused_and_not_stored),
        cmocka_unit_test(test_ban_lifts_itself_at_until_not_after_its_duration),
        cmocka_unit_test(test_expired_ban_gives_back_the_peer_own_state),
        cmocka_unit_test(test_ban_remove_restores_the_peer),
        cmocka_unit_test(test_ban_remove_needs_the_exact_target),
        cmocka_unit_test(test_ban_clear_restores_every_peer),
        cmocka_unit_test(test_ban_add_existing_target_replaces_until_and_reason),
        cmocka_unit_test(test_ban_list_reports_target_created_until_reason),
        cmocka_unit_test(test_peer_stays_banned_while_another_ban_covers_it),
        cmocka_unit_test(test_bans_expire_each_at_its_own_time),
        cmocka_unit_test(test_unbanned_failed_peer_still_waits_its_retry_time),
        cmocka_unit_test(test_unbanned_tried_peer_is_selectable_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
