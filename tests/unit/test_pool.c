/*
 * test_pool.c - the shared pool: leases, per-node connections, diversity,
 * node timeout; all with an injected clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pool.h"

static int64_t fake_now = 1700000000;

static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}

typedef struct fixture {
    am_man *m;
    am_pool *p;
} fixture;

static am_addr v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    am_addr x;
    memset(&x, 0, sizeof x);
    x.net = AM_NET_IPV4;
    x.bytes[0] = (uint8_t)a;
    x.bytes[1] = (uint8_t)b;
    x.bytes[2] = (uint8_t)c;
    x.bytes[3] = (uint8_t)d;
    x.port = 8333;
    return x;
}

static void check_all(fixture *f)
{
    char why[256];
    int rc = am_check(f->m, why, sizeof why);
    if (rc != AM_OK)
        fail_msg("am_check: %s", why);
    rc = am_pool_check(f->p, why, sizeof why);
    if (rc != AM_OK)
        fail_msg("am_pool_check: %s", why);
}

/* A pool of `groups` /16 groups with `per_group` peers each. */
static fixture *make(unsigned groups, unsigned per_group)
{
    fixture *f = test_malloc(sizeof *f);
    am_config c;
    am_config_default(&c);
    c.seed = 7;
    c.have_key = 1;
    memset(c.key, 3, sizeof c.key);
    c.clock = fake_clock;
    assert_int_equal(am_new(&c, &f->m), AM_OK);
    am_pool_config pc;
    am_pool_config_default(&pc);
    pc.clock = fake_clock;
    pc.core = f->m;
    assert_int_equal(am_pool_new(&pc, &f->p), AM_OK);
    /* One source group per position k, so a group's peers spread over
     * buckets; in big pools a few collide and are turned away. */
    for (unsigned g = 0; g < groups; g++)
        for (unsigned k = 0; k < per_group; k++) {
            am_addr a = v4(20 + g / 200, g % 200, k / 200, 1 + k % 200);
            am_addr src = v4(60 + k % 100, k / 100, 0, 1);
            int is_new;
            int rc = am_add(f->m, &a, &src, 1, 0, 0, &is_new, NULL);
            assert_true(rc == AM_OK || rc == AM_ERR_REJECTED);
        }
    if (groups * per_group <= 60)
        assert_int_equal(am_size(f->m), groups * per_group);
    check_all(f);
    return f;
}

static void destroy(fixture *f)
{
    am_pool_free(f->p);
    am_free(f->m);
    test_free(f);
}

static size_t pick(fixture *f, const char *node, unsigned count, int64_t lease,
                   int exclusive, int diverse, am_peer *out)
{
    am_pool_select_opts o;
    memset(&o, 0, sizeof o);
    o.node = node;
    o.count = count;
    o.lease_seconds = lease;
    o.exclusive = exclusive;
    o.diverse = diverse;
    size_t n = 0;
    assert_int_equal(am_pool_select(f->p, f->m, &o, out, &n), AM_OK);
    check_all(f);
    return n;
}

static void report(fixture *f, const char *node, const am_peer *peer, am_state_op op)
{
    am_peer upd;
    assert_int_equal(am_set_state(f->m, peer->id, op, &upd), AM_OK);
    assert_int_equal(am_pool_report(f->p, node, &upd, op), AM_OK);
    check_all(f);
}

static void test_node_names_are_validated(void **state)
{
    (void)state;
    assert_true(am_node_name_valid("node-1.a_b"));
    assert_false(am_node_name_valid(""));
    assert_false(am_node_name_valid("bad name"));
    assert_false(am_node_name_valid("slash/"));
    char longname[70];
    memset(longname, 'a', 64);
    longname[64] = '\0';
    assert_true(am_node_name_valid(longname));
    longname[64] = 'a';
    longname[65] = '\0';
    assert_false(am_node_name_valid(longname));
}

static void test_leased_peer_is_not_handed_to_another_node(void **state)
{
    (void)state;
    fixture *f = make(1, 1);
    am_peer a[4];
    assert_int_equal(pick(f, "A", 1, 120, 0, 1, a), 1);
    assert_int_equal(pick(f, "B", 1, 120, 0, 1, a + 1), 0);
    const char *holder;
    size_t nconn;
    assert_int_equal(am_pool_peer_holders(f->p, a[0].id, &holder, &nconn), AM_OK);
    assert_string_equal(holder, "A");
    destroy(f);
}

static void test_lease_expires_after_its_seconds(void **state)
{
    (void)state;
    fixture *f = make(1, 1);
    am_peer a[2];
    assert_int_equal(pick(f, "A", 1, 120, 0, 1, a), 1);
    fake_now += 119;
    assert_int_equal(pick(f, "B", 1, 120, 0, 1, a + 1), 0);
    fake_now += 1;
    assert_int_equal(pick(f, "B", 1, 120, 0, 1, a + 1), 1);
    assert_int_equal(a[1].id, a[0].id);
    destroy(f);
}

static void test_zero_lease_is_a_pure_read(void **state)
{
    (void)state;
    fixture *f = make(1, 1);
    am_peer a[2];
    assert_int_equal(pick(f, "A", 1, 0, 0, 1, a), 1);
    assert_int_equal(pick(f, "B", 1, 0, 0, 1, a + 1), 1);
    size_t n;
    uint64_t ids[4];
    assert_int_equal(am_pool_node_peers(f->p, "A", 1, ids, 4, &n), AM_OK);
    assert_int_equal(n, 0);
    destroy(f);
}

static void lease_released_by(am_state_op op)
{
    fixture *f = make(1, 1);
    am_peer a[2];
    assert_int_equal(pick(f, "A", 1, 120, 0, 1, a), 1);
    report(f, "A", &a[0], op);
    size_t n;
    uint64_t ids[4];
    assert_int_equal(am_pool_node_peers(f->p, "A", 1, ids, 4, &n), AM_OK);
    assert_int_equal(n, 0);
    /* B may have it now (a failed peer rests for the retry time first). */
    if (op == AM_OP_FAILED)
        fake_now += 600;
    assert_int_equal(pick(f, "B", 1, 120, 0, 1, a + 1), 1);
    destroy(f);
}

static void test_connected_report_ends_lease(void **state)
{
    (void)state;
    lease_released_by(AM_OP_CONNECTED);
}

static void test_failed_report_ends_lease(void **state)
{
    (void)state;
    lease_released_by(AM_OP_FAILED);
}

static void test_disconnected_report_ends_lease(void **state)
{
    (void)state;
    lease_released_by(AM_OP_DISCONNECTED);
}

static void test_connected_peer_never_selected_for_same_node(void **state)
{
    (void)state;
    fixture *f = make(1, 1);
    am_peer a[2];
    assert_int_equal(pick(f, "A", 1, 120, 0, 1, a), 1);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    assert_int_equal(pick(f, "A", 1, 120, 0, 0, a + 1), 0);
    report(f, "A", &a[0], AM_OP_DISCONNECTED);
    assert_int_equal(pick(f, "A", 1, 120, 0, 0, a + 1), 1);
    destroy(f);
}

static void test_connected_peer_still_candidate_for_other_node(void **state)
{
    (void)state;
    fixture *f = make(1, 1);
    am_peer a[2];
    assert_int_equal(pick(f, "A", 1, 120, 0, 1, a), 1);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    assert_int_equal(pick(f, "B", 1, 120, 0, 1, a + 1), 1);
    assert_int_equal(a[1].id, a[0].id);
    destroy(f);
}

static void test_exclusive_leaves_out_peers_connected_anywhere(void **state)
{
    (void)state;
    fixture *f = make(1, 2);
    am_peer a[3];
    assert_int_equal(pick(f, "A", 1, 120, 0, 0, a), 1);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    assert_int_equal(pick(f, "B", 2, 0, 1, 0, a + 1), 1);
    assert_int_not_equal(a[1].id, a[0].id);
    destroy(f);
}

static void test_diverse_with_few_groups_returns_fewer(void **state)
{
    (void)state;
    fixture *f = make(3, 20);
    am_peer a[8];
    size_t n = pick(f, "A", 8, 120, 0, 1, a);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            assert_false(a[i].addr.bytes[0] == a[j].addr.bytes[0] &&
                         a[i].addr.bytes[1] == a[j].addr.bytes[1]);
    /* The node's leases count: no new group is left for it. */
    assert_int_equal(pick(f, "A", 1, 120, 0, 1, a), 0);
    /* Without diversity the same node still gets peers. */
    assert_int_equal(pick(f, "A", 8, 120, 0, 0, a), 8);
    destroy(f);
}

static void test_diverse_with_many_groups_returns_all_distinct(void **state)
{
    (void)state;
    fixture *f = make(400, 5);
    am_peer a[64];
    size_t n = pick(f, "A", 64, 120, 0, 1, a);
    assert_int_equal(n, 64);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            assert_false(a[i].addr.bytes[0] == a[j].addr.bytes[0] &&
                         a[i].addr.bytes[1] == a[j].addr.bytes[1]);
    destroy(f);
}

static void test_silent_node_is_dropped_with_its_leases(void **state)
{
    (void)state;
    fixture *f = make(1, 2);
    am_peer a[3];
    assert_int_equal(pick(f, "A", 1, 3600, 0, 0, a), 1);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    assert_int_equal(pick(f, "A", 1, 3600, 0, 0, a + 1), 1);
    assert_int_equal(am_pool_node_count(f->p), 1);
    fake_now += 899;
    assert_int_equal(am_pool_node_count(f->p), 1);
    fake_now += 1;
    assert_int_equal(am_pool_node_count(f->p), 0);
    check_all(f);
    const char *holder;
    size_t nconn;
    assert_int_equal(am_pool_peer_holders(f->p, a[1].id, &holder, &nconn), AM_OK);
    assert_null(holder);
    /* The peers stay tried in the pool. */
    am_peer p;
    assert_int_equal(am_get(f->m, a[0].id, &p), AM_OK);
    assert_int_equal(p.in_tried, 1);
    destroy(f);
}

static void test_drop_node_ends_leases_and_connections(void **state)
{
    (void)state;
    fixture *f = make(2, 1);
    am_peer a[2];
    assert_int_equal(pick(f, "A", 2, 120, 0, 0, a), 2);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    assert_int_equal(am_pool_drop_node(f->p, "A"), AM_OK);
    assert_int_equal(am_pool_drop_node(f->p, "A"), AM_ERR_NOTFOUND);
    check_all(f);
    am_peer b[2];
    assert_int_equal(pick(f, "B", 2, 120, 1, 0, b), 2);
    destroy(f);
}

/* A dropped node's last connections are handed out once as orphans, so
 * the service can mark those peers disconnected; a peer another node still
 * holds, or that a node connected to again since, is not one. */
static void test_dropped_node_leaves_orphans_once(void **state)
{
    (void)state;
    fixture *f = make(4, 1);
    am_peer a[4];
    uint64_t out[8];
    assert_int_equal(pick(f, "A", 3, 120, 0, 0, a), 3);
    for (int i = 0; i < 3; i++)
        report(f, "A", &a[i], AM_OP_CONNECTED);
    report(f, "B", &a[1], AM_OP_CONNECTED);
    assert_int_equal(am_pool_take_orphans(f->p, out, 8), 0);
    assert_int_equal(am_pool_drop_node(f->p, "A"), AM_OK);
    report(f, "C", &a[2], AM_OP_CONNECTED);
    assert_int_equal(am_pool_take_orphans(f->p, out, 8), 1);
    assert_true(out[0] == a[0].id);
    assert_int_equal(am_pool_take_orphans(f->p, out, 8), 0);
    destroy(f);
}

static void test_timed_out_node_leaves_orphans(void **state)
{
    (void)state;
    fixture *f = make(2, 1);
    am_peer a[2];
    uint64_t out[4];
    assert_int_equal(pick(f, "A", 2, 120, 0, 0, a), 2);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    report(f, "A", &a[1], AM_OP_CONNECTED);
    fake_now += 900;
    /* Two at most per call: the rest waits for the next. */
    assert_int_equal(am_pool_take_orphans(f->p, out, 1), 1);
    assert_int_equal(am_pool_take_orphans(f->p, out + 1, 4), 1);
    assert_true((out[0] == a[0].id && out[1] == a[1].id) ||
                (out[0] == a[1].id && out[1] == a[0].id));
    check_all(f);
    destroy(f);
}

static void test_other_connections_leave_out_the_reporter(void **state)
{
    (void)state;
    fixture *f = make(1, 1);
    am_peer a[1];
    assert_int_equal(pick(f, "A", 1, 120, 0, 0, a), 1);
    assert_int_equal(am_pool_other_connections(f->p, "A", a[0].id), 0);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    assert_int_equal(am_pool_other_connections(f->p, "A", a[0].id), 0);
    assert_int_equal(am_pool_other_connections(f->p, "B", a[0].id), 1);
    report(f, NULL, &a[0], AM_OP_CONNECTED);
    assert_int_equal(am_pool_other_connections(f->p, "A", a[0].id), 1);
    assert_int_equal(am_pool_other_connections(f->p, NULL, a[0].id), 1);
    assert_int_equal(am_pool_other_connections(f->p, "Z", a[0].id), 2);
    destroy(f);
}

/* A peer the core dropped behind the pool's back (evicted by an add) no
 * longer holds its group for the node connected to it. */
static void test_select_forgets_holds_on_peers_gone_from_core(void **state)
{
    (void)state;
    fixture *f = make(1, 2);
    am_peer a[2];
    assert_int_equal(pick(f, "A", 1, 120, 0, 1, a), 1);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    assert_int_equal(pick(f, "A", 1, 0, 0, 1, a + 1), 0);
    assert_int_equal(am_remove(f->m, a[0].id), AM_OK);
    assert_int_equal(pick(f, "A", 1, 0, 0, 1, a + 1), 1);
    assert_true(a[1].id != a[0].id);
    uint64_t ids[4];
    size_t n;
    assert_int_equal(am_pool_node_peers(f->p, "A", 0, ids, 4, &n), AM_OK);
    assert_int_equal(n, 0);
    destroy(f);
}

static void test_prune_forgets_every_nodes_holds_on_gone_peers(void **state)
{
    (void)state;
    fixture *f = make(2, 1);
    am_peer a[2];
    assert_int_equal(pick(f, "A", 1, 120, 0, 0, a), 1);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    assert_int_equal(pick(f, "B", 1, 120, 0, 0, a + 1), 1);
    assert_int_equal(am_remove(f->m, a[0].id), AM_OK);
    assert_int_equal(am_remove(f->m, a[1].id), AM_OK);
    am_pool_prune(f->p, f->m);
    check_all(f);
    const char *holder;
    size_t nconn;
    assert_int_equal(am_pool_peer_holders(f->p, a[0].id, &holder, &nconn), AM_OK);
    assert_int_equal(nconn, 0);
    assert_int_equal(am_pool_peer_holders(f->p, a[1].id, &holder, &nconn), AM_OK);
    assert_null(holder);
    destroy(f);
}

static void test_forgotten_peer_leaves_every_node(void **state)
{
    (void)state;
    fixture *f = make(1, 1);
    am_peer a[1];
    assert_int_equal(pick(f, "A", 1, 120, 0, 0, a), 1);
    assert_int_equal(am_remove(f->m, a[0].id), AM_OK);
    am_pool_forget_peer(f->p, a[0].id);
    check_all(f);
    size_t n;
    uint64_t ids[2];
    assert_int_equal(am_pool_node_peers(f->p, "A", 1, ids, 2, &n), AM_OK);
    assert_int_equal(n, 0);
    destroy(f);
}

static void test_nodes_listing_counts_selects(void **state)
{
    (void)state;
    fixture *f = make(10, 1);
    am_peer a[4];
    pick(f, "b-node", 2, 120, 0, 1, a);
    pick(f, "a-node", 1, 0, 0, 1, a);
    pick(f, "a-node", 1, 0, 0, 1, a);
    am_node_info info[4];
    size_t n;
    assert_int_equal(am_pool_nodes(f->p, info, 4, &n), AM_OK);
    assert_int_equal(n, 2);
    assert_string_equal(info[0].name, "a-node");
    assert_int_equal(info[0].selects, 2);
    assert_int_equal(info[0].n_leased, 0);
    assert_string_equal(info[1].name, "b-node");
    assert_int_equal(info[1].handed, 2);
    assert_int_equal(info[1].n_leased, 2);
    assert_int_equal(info[1].last_seen, fake_now);
    destroy(f);
}

static void test_bad_requests_are_refused(void **state)
{
    (void)state;
    fixture *f = make(1, 1);
    am_peer a[1];
    am_pool_select_opts o;
    memset(&o, 0, sizeof o);
    size_t n;
    o.count = 0;
    assert_int_equal(am_pool_select(f->p, f->m, &o, a, &n), AM_ERR_INVAL);
    o.count = 1;
    o.node = "no spaces";
    assert_int_equal(am_pool_select(f->p, f->m, &o, a, &n), AM_ERR_INVAL);
    o.node = NULL;
    o.lease_seconds = -1;
    assert_int_equal(am_pool_select(f->p, f->m, &o, a, &n), AM_ERR_INVAL);
    destroy(f);
}

static void test_report_of_another_node_keeps_the_lease(void **state)
{
    (void)state;
    fixture *f = make(1, 1);
    am_peer a[2];
    assert_int_equal(pick(f, "A", 1, 120, 0, 1, a), 1);
    report(f, "B", &a[0], AM_OP_CONNECTED);
    report(f, "B", &a[0], AM_OP_DISCONNECTED);
    const char *holder;
    size_t nconn;
    assert_int_equal(am_pool_peer_holders(f->p, a[0].id, &holder, &nconn), AM_OK);
    assert_string_equal(holder, "A");
    assert_int_equal(pick(f, "C", 1, 120, 0, 0, a + 1), 0);
    destroy(f);
}

static void test_diverse_counts_the_node_connections(void **state)
{
    (void)state;
    fixture *f = make(2, 3);
    am_peer a[4];
    assert_int_equal(pick(f, "A", 1, 120, 0, 1, a), 1);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    /* One group is taken by the connection: one peer, of the other group. */
    assert_int_equal(pick(f, "A", 4, 120, 0, 1, a + 1), 1);
    assert_int_not_equal(am_addr_group_key(&a[1].addr), am_addr_group_key(&a[0].addr));
    /* Disconnected, the group is free again for A. */
    report(f, "A", &a[0], AM_OP_DISCONNECTED);
    assert_int_equal(pick(f, "A", 4, 120, 0, 1, a + 2), 1);
    assert_int_equal(am_addr_group_key(&a[2].addr), am_addr_group_key(&a[0].addr));
    destroy(f);
}

static void test_two_nodes_connected_to_one_peer(void **state)
{
    (void)state;
    fixture *f = make(1, 1);
    am_peer a[2];
    assert_int_equal(pick(f, "A", 1, 0, 0, 0, a), 1);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    report(f, "A", &a[0], AM_OP_CONNECTED);     /* twice: still one */
    report(f, "B", &a[0], AM_OP_CONNECTED);
    const char *holder;
    size_t nconn;
    assert_int_equal(am_pool_peer_holders(f->p, a[0].id, &holder, &nconn), AM_OK);
    assert_int_equal(nconn, 2);
    report(f, "A", &a[0], AM_OP_DISCONNECTED);
    assert_int_equal(am_pool_peer_holders(f->p, a[0].id, &holder, &nconn), AM_OK);
    assert_int_equal(nconn, 1);
    /* Still connected to B: exclusive leaves it out, A may have it. */
    assert_int_equal(pick(f, "C", 1, 0, 1, 0, a + 1), 0);
    assert_int_equal(pick(f, "A", 1, 0, 0, 0, a + 1), 1);
    report(f, "B", &a[0], AM_OP_FAILED);
    assert_int_equal(am_pool_peer_holders(f->p, a[0].id, &holder, &nconn), AM_OK);
    assert_int_equal(nconn, 0);
    destroy(f);
}

static void test_reports_keep_a_node_alive(void **state)
{
    (void)state;
    fixture *f = make(1, 2);
    am_peer a[2];
    assert_int_equal(pick(f, "A", 1, 3600, 0, 0, a), 1);
    fake_now += 600;
    report(f, "A", &a[0], AM_OP_TRIED);         /* any report is news */
    fake_now += 600;
    assert_int_equal(am_pool_node_count(f->p), 1);
    am_node_info info[1];
    size_t n;
    assert_int_equal(am_pool_nodes(f->p, info, 1, &n), AM_OK);
    assert_int_equal(info[0].last_seen, fake_now - 600);
    assert_int_equal(info[0].n_leased, 1);      /* TRIED keeps the lease */
    fake_now += 300;
    assert_int_equal(am_pool_node_count(f->p), 0);
    destroy(f);
}

static void test_dropped_name_starts_clean(void **state)
{
    (void)state;
    fixture *f = make(3, 1);
    am_peer a[3];
    assert_int_equal(pick(f, "A", 2, 120, 0, 1, a), 2);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    assert_int_equal(am_pool_drop_node(f->p, "A"), AM_OK);
    assert_int_equal(pick(f, "A", 1, 120, 0, 1, a + 2), 1);
    am_node_info info[1];
    size_t n;
    assert_int_equal(am_pool_nodes(f->p, info, 1, &n), AM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(info[0].selects, 1);
    assert_int_equal(info[0].n_connected, 0);
    assert_int_equal(info[0].n_leased, 1);
    destroy(f);
}

/* A node's held groups stay counted when the pool's node list grows (and
 * moves) under it, and when other nodes come and go. */
static void test_node_groups_survive_many_nodes(void **state)
{
    (void)state;
    fixture *f = make(3, 1);
    am_peer a[3], b[1];
    assert_int_equal(pick(f, "A", 1, 0, 0, 1, a), 1);
    report(f, "A", &a[0], AM_OP_CONNECTED);
    char name[16];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "n%d", i);
        assert_int_equal(pick(f, name, 1, 0, 0, 1, b), 1);
        if (i % 3 == 0)
            assert_int_equal(am_pool_drop_node(f->p, name), AM_OK);
    }
    check_all(f);
    /* The connection's group is still A's: two peers of the other groups. */
    assert_int_equal(pick(f, "A", 3, 0, 0, 1, a + 1), 2);
    for (int k = 1; k <= 2; k++)
        assert_int_not_equal(am_addr_group_key(&a[k].addr),
                             am_addr_group_key(&a[0].addr));
    destroy(f);
}

static int count_candidate(void *ctx, const am_peer *cand)
{
    (void)cand;
    ++*(unsigned *)ctx;
    return 0;
}

/* The core's own selection, counting the candidates it looks at. */
static int core_select(fixture *f, am_peer *out, unsigned *looked)
{
    am_select_opts o;
    memset(&o, 0, sizeof o);
    o.skip = count_candidate;
    o.skip_ctx = looked;
    *looked = 0;
    return am_select(f->m, &o, out);
}

static void test_leased_peer_is_held_in_the_core_until_the_lease_ends(void **state)
{
    (void)state;
    fixture *f = make(1, 3);
    am_peer a[3], p;
    unsigned looked;
    assert_int_equal(pick(f, "A", 3, 120, 0, 0, a), 3);
    assert_int_equal(core_select(f, &p, &looked), AM_ERR_NOTFOUND);
    assert_int_equal(looked, 0);
    /* A report ends one lease: that peer is selectable again. */
    report(f, "A", &a[0], AM_OP_CONNECTED);
    assert_int_equal(core_select(f, &p, &looked), AM_OK);
    assert_true(p.id == a[0].id);
    /* Expiry ends the others. */
    fake_now += 120;
    assert_int_equal(am_pool_node_count(f->p), 1);
    check_all(f);
    for (int k = 0; k < 30; k++) {
        assert_int_equal(core_select(f, &p, &looked), AM_OK);
        if (p.id != a[0].id)
            break;
    }
    assert_true(p.id != a[0].id);
    destroy(f);
}

static void test_dropped_node_and_freed_pool_release_their_holds(void **state)
{
    (void)state;
    fixture *f = make(1, 2);
    am_peer a[2], p;
    unsigned looked;
    assert_int_equal(pick(f, "A", 1, 3600, 0, 0, a), 1);
    assert_int_equal(pick(f, "B", 1, 3600, 0, 0, a + 1), 1);
    assert_int_equal(core_select(f, &p, &looked), AM_ERR_NOTFOUND);
    assert_int_equal(am_pool_drop_node(f->p, "A"), AM_OK);
    check_all(f);
    assert_int_equal(core_select(f, &p, &looked), AM_OK);
    assert_true(p.id == a[0].id);
    am_pool_free(f->p);
    f->p = NULL;
    char why[256];
    assert_int_equal(am_check(f->m, why, sizeof why), AM_OK);
    assert_int_equal(am_hold(f->m, a[1].id, 0), AM_OK);   /* already released */
    unsigned seen = 0;
    for (int k = 0; k < 60 && seen != 3; k++) {
        assert_int_equal(core_select(f, &p, &looked), AM_OK);
        seen |= p.id == a[0].id ? 1u : 2u;
    }
    assert_int_equal(seen, 3);
    destroy(f);
}

/* Before leases were held in the core, this select tested every leased
 * peer one by one (the core's exact pass) before it could answer "none". */
static void test_whole_pool_leased_answers_without_testing_candidates(void **state)
{
    (void)state;
    fixture *f = make(40, 5);
    am_peer *a = test_malloc(1000 * sizeof *a), p;
    size_t leased = 0, n;
    unsigned looked;
    while ((n = pick(f, "greedy", 1000, 3600, 0, 0, a)) > 0)
        leased += n;
    assert_int_equal(leased, am_size(f->m));
    assert_int_equal(pick(f, "other", 1, 60, 0, 0, a), 0);
    assert_int_equal(core_select(f, &p, &looked), AM_ERR_NOTFOUND);
    assert_int_equal(looked, 0);
    assert_int_equal(am_hold(f->m, UINT64_C(1) << 50, 1), AM_ERR_NOTFOUND);
    test_free(a);
    destroy(f);
}

static const char *holder_of(fixture *f, uint64_t id)
{
    const char *holder;
    size_t nconn;
    assert_int_equal(am_pool_peer_holders(f->p, id, &holder, &nconn), AM_OK);
    return holder;
}

/* The pool scans its leases only when one is due: each must still end on
 * its own second, whatever the order they were taken in. */
static void test_leases_of_different_lengths_each_end_on_time(void **state)
{
    (void)state;
    fixture *f = make(1, 3);
    am_peer a[3];
    int64_t t0 = fake_now;
    assert_int_equal(pick(f, "A", 1, 10, 0, 0, a), 1);          /* ends t0+10 */
    fake_now = t0 + 3;
    assert_int_equal(pick(f, "A", 1, 100, 0, 0, a + 1), 1);     /* t0+103 */
    fake_now = t0 + 9;
    assert_non_null(holder_of(f, a[0].id));
    fake_now = t0 + 10;
    assert_null(holder_of(f, a[0].id));
    assert_non_null(holder_of(f, a[1].id));
    /* A shorter lease taken now ends before the one already known. */
    fake_now = t0 + 11;
    assert_int_equal(pick(f, "B", 1, 5, 0, 0, a + 2), 1);       /* t0+16 */
    fake_now = t0 + 15;
    assert_non_null(holder_of(f, a[2].id));
    fake_now = t0 + 16;
    assert_null(holder_of(f, a[2].id));
    assert_non_null(holder_of(f, a[1].id));
    check_all(f);
    fake_now = t0 + 102;
    assert_non_null(holder_of(f, a[1].id));
    fake_now = t0 + 103;
    assert_null(holder_of(f, a[1].id));
    check_all(f);
    destroy(f);
}

/* A node's group counts follow its holds as they come and go in any
 * order (am_pool_check recounts them each time), and a group the node no
 * longer holds is handed out again. */
static void test_held_groups_follow_holds_in_any_order(void **state)
{
    (void)state;
    fixture *f = make(120, 1);
    size_t total = am_size(f->m);
    am_peer *a = test_malloc(total * sizeof *a);
    size_t n = pick(f, "A", (unsigned)total, 3600, 0, 1, a);
    assert_int_equal(n, total);
    /* Every group is held: a diverse select finds nothing more. */
    am_peer more;
    assert_int_equal(pick(f, "A", 1, 0, 0, 1, &more), 0);
    /* End the leases in a scrambled order: half by `connected` (the group
     * stays, now as a connection), half by `failed`. */
    uint64_t s = 12345;
    for (size_t i = n; i > 1; i--) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        size_t j = (size_t)(s >> 33) % i;
        am_peer t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        report(f, "A", &a[i], i % 2 ? AM_OP_FAILED : AM_OP_CONNECTED);
    /* Connections keep their groups; the failed peers' groups are free,
     * but the failed peers rest for the retry time. */
    assert_int_equal(pick(f, "A", 1, 0, 0, 1, &more), 0);
    for (size_t i = 0; i < n; i += 2)
        report(f, "A", &a[i], AM_OP_DISCONNECTED);
    assert_int_equal(pick(f, "A", 1, 0, 0, 1, &more), 1);
    test_free(a);
    destroy(f);
}

/* Holds on evicted peers are forgotten at the node's next select even
 * though prunes are skipped while nothing leaves the core. */
static void test_prune_runs_only_after_a_removal(void **state)
{
    (void)state;
    fixture *f = make(3, 1);
    am_peer a[3];
    assert_int_equal(pick(f, "A", 2, 3600, 0, 0, a), 2);
    uint64_t before = am_removals(f->m);
    assert_int_equal(pick(f, "A", 1, 3600, 0, 0, a + 2), 1);
    assert_true(am_removals(f->m) == before);
    assert_int_equal(am_remove(f->m, a[0].id), AM_OK);
    assert_true(am_removals(f->m) == before + 1);
    am_peer none;
    assert_int_equal(pick(f, "A", 1, 3600, 0, 0, &none), 0);
    am_node_info info[1];
    size_t k;
    assert_int_equal(am_pool_nodes(f->p, info, 1, &k), AM_OK);
    assert_int_equal(info[0].n_leased, 2);
    destroy(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leased_peer_is_held_in_the_core_until_the_lease_ends),
        cmocka_unit_test(test_dropped_node_and_freed_pool_release_their_holds),
        cmocka_unit_test(test_whole_pool_leased_answers_without_testing_candidates),
        cmocka_unit_test(test_leases_of_different_lengths_each_end_on_time),
        cmocka_unit_test(test_held_groups_follow_holds_in_any_order),
        cmocka_unit_test(test_prune_runs_only_after_a_removal),
        cmocka_unit_test(test_node_names_are_validated),
        cmocka_unit_test(test_leased_peer_is_not_handed_to_another_node),
        cmocka_unit_test(test_lease_expires_after_its_seconds),
        cmocka_unit_test(test_zero_lease_is_a_pure_read),
        cmocka_unit_test(test_connected_report_ends_lease),
        cmocka_unit_test(test_failed_report_ends_lease),
        cmocka_unit_test(test_disconnected_report_ends_lease),
        cmocka_unit_test(test_connected_peer_never_selected_for_same_node),
        cmocka_unit_test(test_connected_peer_still_candidate_for_other_node),
        cmocka_unit_test(test_exclusive_leaves_out_peers_connected_anywhere),
        cmocka_unit_test(test_diverse_with_few_groups_returns_fewer),
        cmocka_unit_test(test_diverse_with_many_groups_returns_all_distinct),
        cmocka_unit_test(test_silent_node_is_dropped_with_its_leases),
        cmocka_unit_test(test_drop_node_ends_leases_and_connections),
        cmocka_unit_test(test_dropped_node_leaves_orphans_once),
        cmocka_unit_test(test_timed_out_node_leaves_orphans),
        cmocka_unit_test(test_other_connections_leave_out_the_reporter),
        cmocka_unit_test(test_select_forgets_holds_on_peers_gone_from_core),
        cmocka_unit_test(test_prune_forgets_every_nodes_holds_on_gone_peers),
        cmocka_unit_test(test_forgotten_peer_leaves_every_node),
        cmocka_unit_test(test_nodes_listing_counts_selects),
        cmocka_unit_test(test_bad_requests_are_refused),
        cmocka_unit_test(test_report_of_another_node_keeps_the_lease),
        cmocka_unit_test(test_diverse_counts_the_node_connections),
        cmocka_unit_test(test_two_nodes_connected_to_one_peer),
        cmocka_unit_test(test_reports_keep_a_node_alive),
        cmocka_unit_test(test_dropped_name_starts_clean),
        cmocka_unit_test(test_node_groups_survive_many_nodes),
    };
    return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
