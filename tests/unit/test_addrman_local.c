/*
 * test_addrman_local.c - local addresses for a local test network
 * (regtest): the core refuses loopback and private addresses unless its
 * config allows them (am_config.allow_local, am_admits), still refuses
 * unspecified, link-local, multicast and documentation addresses then, and
 * a store over such a core keeps its local peers across a restart (journal
 * replay and snapshot load).
 */
#include "store_test.h"

/* Loopback and private: refused by default, admitted with allow_local. */
static const char *const local_hosts[] = {
    "127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.1.2", "172.16.0.1",
    "172.31.255.254", "192.168.1.10", "100.64.0.1", "100.127.255.254",
    "::1", "fd00::1", "fdff:1234::5",
};
#define N_LOCAL (sizeof local_hosts / sizeof *local_hosts)

/* Refused even with allow_local. */
static const char *const never_hosts[] = {
    "0.0.0.0", "0.1.2.3", "169.254.1.1", "224.0.0.1", "239.255.255.250",
    "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.51.100.7",
    "203.0.113.9", "198.18.0.1", "::", "ff02::1", "ff0e::1", "2001:db8::1",
    "fe80::1", "2001:10::1", "2002:7f00:1::1", "2002:a00:1::1",
    "64:ff9b::7f00:1",
};
#define N_NEVER (sizeof never_hosts / sizeof *never_hosts)

static am_addr host(const char *text)
{
    am_addr a;
    if (am_addr_parse(&a, text, T_PORT) != AM_OK)
        fail_msg("cannot parse %s", text);
    return a;
}

static am_man *local_man(int allow_local)
{
    am_config cfg;
    t_now = T_START;
    t_config(&cfg, 1024, 256);
    cfg.allow_local = allow_local;
    return t_man_cfg(&cfg);
}

/* A saved peer of address a (what a loader hands am_restore). */
static am_peer saved_peer(uint64_t id, am_addr a)
{
    am_peer p;
    memset(&p, 0, sizeof p);
    p.id = id;
    p.addr = a;
    p.services = 1;
    p.state = AM_STATE_NEVER_TRIED;
    p.time = t_now - T_HOUR;
    return p;
}

/* The core turns the host away, added or restored (as id). */
static void refused(am_man *m, const char *text, uint64_t id)
{
    am_addr a = host(text);
    am_peer p = saved_peer(id, a);
    assert_false(am_admits(m, &a));
    ASSERT_RC(t_try_add(m, a, NULL, 1, 0, NULL), AM_ERR_UNROUTABLE);
    ASSERT_RC(am_restore(m, &p, NULL), AM_ERR_UNROUTABLE);
}

static void test_local_addresses_refused_by_default(void **state)
{
    (void)state;
    am_man *m = local_man(0);
    for (size_t i = 0; i < N_LOCAL; i++) {
        am_addr a = host(local_hosts[i]);
        assert_true(am_addr_is_local_ok(&a));
        refused(m, local_hosts[i], i + 1);
    }
    assert_int_equal(am_size(m), 0);
    CHECK(m);
    am_free(m);
}

static void test_allow_local_admits_loopback_and_private_addresses(void **state)
{
    (void)state;
    am_man *m = local_man(1);
    uint64_t unroutable = am_addr_group_key(&(am_addr){.net = AM_NET_IPV4});
    for (size_t i = 0; i < N_LOCAL; i++) {
        am_addr a = host(local_hosts[i]);
        assert_false(am_addr_is_routable(&a));
        assert_true(am_admits(m, &a));
        /* Different sources: two of these share a /16 (127/8, 10/8,
         * 172.16/12 ...), and with one source they would share one new
         * bucket, where two may want the same slot. */
        am_addr src = t_v4(50, (unsigned)i, 1, 1, 0);
        uint64_t id = t_add(m, a, &src, 1, 0);
        am_peer p = t_get(m, id);
        assert_true(am_addr_eq(&p.addr, &a));
        /* Grouped by /16 (/32), not in the one unroutable group. */
        assert_true(am_addr_group_key(&a) != unroutable);
    }
    assert_int_equal(am_size(m), N_LOCAL);
    am_stats st = t_stats(m);
    /* 127.0, 127.255, 10.0, 10.255, 172.16, 172.31, 192.168, 100.64,
     * 100.127, ::/32, fd00::/32, fdff:1234::/32. */
    assert_int_equal(st.new_groups, N_LOCAL);
    /* A selection finds them like any others. */
    am_peer got = t_select(m, NULL);
    assert_true(am_addr_is_local_ok(&got.addr));
    am_free(m);
}

static void test_allow_local_restores_local_peers(void **state)
{
    (void)state;
    am_man *m = local_man(1);
    for (size_t i = 0; i < N_LOCAL; i++) {
        am_peer p = saved_peer(10 + i, host(local_hosts[i]));
        p.has_source = 1;
        p.source = t_v4(60, (unsigned)i, 0, 1, 0);
        ASSERT_RC(am_restore(m, &p, NULL), AM_OK);
    }
    assert_int_equal(am_size(m), N_LOCAL);
    CHECK(m);
    am_free(m);
}

static void test_allow_local_still_refuses_unspecified_link_local_multicast_documentation(void **state)
{
    (void)state;
    am_man *m = local_man(1);
    for (size_t i = 0; i < N_NEVER; i++) {
        am_addr a = host(never_hosts[i]);
        if (am_addr_is_local_ok(&a))
            fail_msg("%s taken as local", never_hosts[i]);
        refused(m, never_hosts[i], i + 1);
    }
    assert_int_equal(am_size(m), 0);
    am_free(m);
}

static void test_local_ranges_end_where_their_rfcs_say(void **state)
{
    (void)state;
    /* Just outside the private ranges: public, admitted either way. */
    static const char *const public_hosts[] = {
        "172.15.255.254", "172.32.0.1", "100.63.255.254", "100.128.0.1",
        "11.0.0.1", "126.255.255.254", "128.0.0.1", "192.169.0.1",
    };
    for (size_t i = 0; i < sizeof public_hosts / sizeof *public_hosts; i++) {
        am_addr a = host(public_hosts[i]);
        assert_true(am_addr_is_routable(&a));
        assert_true(am_addr_is_local_ok(&a));
    }
    /* fc00::/7 as network IPv6 (the wire form; text in fc00::/8 is CJDNS,
     * routable anyway). */
    uint8_t ula[16] = {0xfc, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    am_addr a;
    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_IPV6, ula, 16, T_PORT), AM_OK);
    assert_false(am_addr_is_routable(&a));
    assert_true(am_addr_is_local_ok(&a));
    ula[0] = 0xfe;                              /* fe80::1: link-local */
    ula[1] = 0x80;
    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_IPV6, ula, 16, T_PORT), AM_OK);
    assert_false(am_addr_is_local_ok(&a));
    assert_false(am_addr_is_local_ok(NULL));
}

/* ---- a regtest store --------------------------------------------------- */

static char dir[64];

static int store_setup(void **state)
{
    (void)state;
    st_tmpdir(dir);
    st_seed_meta(dir);
    t_now = T_START;
    return 0;
}

static int store_teardown(void **state)
{
    (void)state;
    st_rmrf(dir);
    return 0;
}

static void start(st_env *env, int allow_local)
{
    st_store_opts o;
    am_config cfg;
    st_store_opts_default(&o);
    t_config(&cfg, 1024, 256);
    cfg.allow_local = allow_local;
    st_start_cfg(env, dir, &o, cfg);
}

/* Every local address, journalled; the first one tried. */
static void fill_local(st_env *env)
{
    for (size_t i = 0; i < N_LOCAL; i++) {
        am_addr src = t_v4(50, (unsigned)i, 1, 1, 0);
        uint64_t id = t_add(env->core, host(local_hosts[i]), &src, 1, 0);
        if (i == 0)
            t_set(env->core, id, AM_OP_TRIED);
        ASSERT_RC(st_store_journal_peer(env->store, env->core, id), AM_OK);
    }
}

static void test_regtest_store_keeps_local_peers_across_restarts(void **state)
{
    (void)state;
    st_env a, b;
    start(&a, 1);
    fill_local(&a);
    st_store_close(a.store);            /* a crash: the journal alone */

    start(&b, 1);
    assert_int_equal(b.rep.journal_records, N_LOCAL);
    assert_int_equal(b.rep.journal_failed, 0);
    assert_true(b.rep.saved);           /* folded into a snapshot */
    st_same_core(a.core, b.core);
    st_stop(&b);

    start(&b, 1);                       /* the snapshot alone */
    assert_int_equal(b.rep.journal_records, 0);
    assert_int_equal(b.rep.peers_read, N_LOCAL);
    assert_int_equal(b.rep.peers_ignored, 0);
    st_same_core(a.core, b.core);
    st_stop(&b);
    am_free(a.core);
}

static void test_store_without_allow_local_ignores_saved_local_peers(void **state)
{
    (void)state;
    st_env a, b;
    start(&a, 1);
    fill_local(&a);
    uint64_t pub = t_add(a.core, t_v4(8, 8, 4, 4, T_PORT), NULL, 1, 0);
    ASSERT_RC(st_store_journal_peer(a.store, a.core, pub), AM_OK);
    ASSERT_RC(st_store_save(a.store, a.core, NULL), AM_OK);
    st_stop(&a);

    start(&b, 0);
    assert_int_equal(b.rep.peers_ignored_by[ST_IGN_UNROUTABLE], N_LOCAL);
    assert_int_equal(am_size(b.core), 1);
    assert_int_equal(t_get(b.core, pub).addr.bytes[0], 8);
    st_stop(&b);
}

static void test_local_addresses_are_grouped_by_their_16(void **state)
{
    (void)state;
    am_addr a = host("127.0.0.1"), b = host("127.0.200.3"),
            c = host("127.1.0.1"), d = host("10.0.0.1"), e = host("::1"),
            f = host("169.254.1.1"), g = host("0.1.2.3");
    assert_true(am_addr_group_key(&a) == am_addr_group_key(&b));
    assert_true(am_addr_group_key(&a) != am_addr_group_key(&c));
    assert_true(am_addr_group_key(&a) != am_addr_group_key(&d));
    assert_true(am_addr_group_key(&a) != am_addr_group_key(&e));
    /* Other unroutable addresses keep the one group of class 0. */
    assert_true(am_addr_group_key(&f) == am_addr_group_key(&g));
    assert_true(am_addr_group_key(&f) != am_addr_group_key(&a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_addresses_refused_by_default),
        cmocka_unit_test(test_allow_local_admits_loopback_and_private_addresses),
        cmocka_unit_test(test_local_addresses_are_grouped_by_their_16),
        cmocka_unit_test(test_allow_local_restores_local_peers),
        cmocka_unit_test(
            test_allow_local_still_refuses_unspecified_link_local_multicast_documentation),
        cmocka_unit_test(test_local_ranges_end_where_their_rfcs_say),
        cmocka_unit_test_setup_teardown(
            test_regtest_store_keeps_local_peers_across_restarts, store_setup,
            store_teardown),
        cmocka_unit_test_setup_teardown(
            test_store_without_allow_local_ignores_saved_local_peers,
            store_setup, store_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
