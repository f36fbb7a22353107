/*
 * test_addrman_tables.c - placement in the new and tried tables: bucket
 * spread limits per network group, new-slot references, full-slot rules,
 * test-before-evict collisions and their resolution.
 *
 * The bulk tests run am_check every CHECK_EVERY operations and at the end
 * (a full check after each of 100 000 adds would take minutes).
 */
#include "am_test.h"

#define CHECK_EVERY 1000

static size_t count_distinct(const uint8_t *used, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += used[i] != 0;
    return k;
}

/* ---- spread limits ---------------------------------------------------------- */

static void test_one_source_group_reaches_at_most_64_new_buckets(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint32_t ctr = 0;
    size_t stored = 0, rejected = 0;
    for (uint32_t i = 0; i < 100000; i++) {
        am_addr a = t_distinct_v4(&ctr, T_PORT);
        am_addr src = t_v4(1, 2, (i >> 8) & 255, i & 255, 0);
        int is_new = -1;
        int rc = am_add(m, &a, &src, 1, 0, 0, &is_new, NULL);
        if (rc == AM_OK)
            assert_int_equal(is_new, 1);
        else
            assert_int_equal(rc, AM_ERR_REJECTED);
        stored += rc == AM_OK;
        rejected += rc != AM_OK;
        if (i % CHECK_EVERY == 0)
            CHECK(m);
    }
    CHECK(m);
    assert_int_equal(am_size(m), stored);
    assert_true(stored <= 64 * AM_BUCKET_SIZE);
    assert_true(stored > 1000);
    assert_true(rejected > 0);

    uint8_t used[1024] = {0};
    am_filter f = t_filter_any();
    uint64_t *ids = calloc(stored, sizeof *ids);
    assert_non_null(ids);
    assert_int_equal(t_list_ids(m, &f, 16, ids, stored), stored);
    for (size_t i = 0; i < stored; i++) {
        am_place pl = t_place(m, ids[i]);
        assert_int_equal(pl.in_tried, 0);
        for (uint32_t k = 0; k < pl.n; k++)
            used[pl.bucket[k]] = 1;
    }
    size_t buckets = count_distinct(used, 1024);
    print_message("  %zu stored, %zu rejected, %zu new buckets\n", stored,
                  rejected, buckets);
    assert_true(buckets <= 64);
    assert_true(buckets >= 40);
    assert_int_equal(t_stats(m).buckets_used[0], buckets);
    free(ids);
    am_free(m);
}

static void test_one_address_group_reaches_at_most_8_tried_buckets(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    enum { N = 2000 };
    uint64_t *ids = calloc(N, sizeof *ids);
    assert_non_null(ids);
    uint32_t ctr = 31337;
    for (uint32_t i = 0; i < N; i++) {
        am_addr a = t_v4(5, 6, (i >> 8) & 255, i & 255, T_PORT);
        am_addr src = t_distinct_v4(&ctr, 0);
        int rc = t_try_add(m, a, &src, 1, 0, &ids[i]);
        /* One /16: past new_group_cap its addresses are turned away. */
        assert_true(rc == AM_OK || rc == AM_ERR_REJECTED ||
                    rc == AM_ERR_GROUP_CAP);
    }
    for (uint32_t i = 0; i < N; i++) {
        if (ids[i] == 0)
            continue;
        am_peer p;
        ASSERT_RC(am_set_state(m, ids[i], AM_OP_TRIED, &p), AM_OK);
        if (i % 100 == 0)
            CHECK(m);
        assert_true(t_stats(m).collisions <= AM_MAX_COLLISIONS);
    }
    CHECK(m);
    uint8_t used[256] = {0};
    size_t counted = 0;
    for (uint32_t i = 0; i < N; i++) {
        if (ids[i] == 0)
            continue;
        am_place pl = t_place(m, ids[i]);
        if (!pl.in_tried)
            continue;
        counted++;
        used[pl.bucket[0]] = 1;
    }
    size_t buckets = count_distinct(used, 256);
    print_message("  %zu in tried over %zu tried buckets\n", counted, buckets);
    assert_true(buckets <= 8);
    assert_true(counted <= 8 * AM_BUCKET_SIZE);
    assert_true(counted > 64);
    assert_int_equal(t_stats(m).by_table[1], counted);
    free(ids);
    am_free(m);
}

static void test_address_never_sits_in_more_than_8_new_slots(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    const int64_t t0 = T_START - 10000;
    uint64_t id = t_add(m, a, NULL, 1, t0);
    uint32_t max_ref = 1, ctr = 5150;
    for (int i = 1; i <= 3000; i++) {
        am_addr src = t_distinct_v4(&ctr, 0);
        int is_new = -1;
        ASSERT_RC(am_add(m, &a, &src, 1, t0 + i, 0, &is_new, NULL), AM_OK);
        assert_int_equal(is_new, 0);
        if (i % 100 == 0)
            CHECK(m);
        am_peer p = t_get(m, id);
        am_place pl = t_place(m, id);
        assert_true(p.ref_count >= 1 && p.ref_count <= AM_MAX_NEW_REFS);
        assert_int_equal(pl.n, p.ref_count);
        for (uint32_t x = 0; x < pl.n; x++)
            for (uint32_t y = x + 1; y < pl.n; y++)
                assert_false(pl.bucket[x] == pl.bucket[y] &&
                             pl.slot[x] == pl.slot[y]);
        if (p.ref_count > max_ref)
            max_ref = p.ref_count;
    }
    CHECK(m);
    print_message("  highest ref_count %u\n", max_ref);
    assert_true(max_ref >= 2);
    assert_int_equal(t_stats(m).slots_used[0], t_get(m, id).ref_count);
    am_free(m);
}

/* ---- full new slots (one new bucket: every address competes for 64 slots) -- */

/* Keep adding fresh addresses until one lands in `target`'s slot or is
 * turned away; every other newcomer is removed again.  Returns the rc of the
 * deciding add and the newcomer in out and id. */
static int contend_for_slot(am_man *m, uint64_t target, am_addr *out,
                            uint64_t *id)
{
    am_place tp = t_place(m, target);
    uint32_t ctr = 777;
    am_addr src = t_v4(9, 9, 9, 9, 0);
    for (int i = 0; i < 20000; i++) {
        am_addr b = t_distinct_v4(&ctr, T_PORT);
        uint64_t bid = 0;
        am_peer p;
        int rc = t_try_add(m, b, &src, 1, 0, &bid);
        if (rc == AM_ERR_REJECTED || am_get(m, target, &p) != AM_OK) {
            *out = b;
            *id = bid;
            return rc;
        }
        ASSERT_RC(rc, AM_OK);
        am_place bp = t_place(m, bid);
        assert_false(bp.bucket[0] == tp.bucket[0] && bp.slot[0] == tp.slot[0]);
        t_remove(m, bid);
    }
    fail_msg("no address contended for the slot in 20000 tries");
    return AM_ERR_INTERNAL;
}

static void test_full_slot_with_good_occupant_rejects_newcomer(void **state)
{
    (void)state;
    am_man *m = t_man(1, 1);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT), b;
    uint64_t ia = t_add(m, a, NULL, 1, 0), ib = 99;
    am_place before = t_place(m, ia);
    ASSERT_RC(contend_for_slot(m, ia, &b, &ib), AM_ERR_REJECTED);
    am_peer p;
    ASSERT_RC(am_find(m, &b, &p), AM_ERR_NOTFOUND);
    assert_int_equal(ib, 0);
    assert_int_equal(am_size(m), 1);
    am_place after = t_place(m, ia);
    assert_memory_equal(&before, &after, sizeof before);
    am_free(m);
}

static void test_full_slot_with_terrible_occupant_is_taken_over(void **state)
{
    (void)state;
    am_man *m = t_man(1, 1);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT), b;
    uint64_t ia = t_add(m, a, NULL, 1, T_START - 31 * T_DAY), ib = 0;
    am_place before = t_place(m, ia);
    ASSERT_RC(contend_for_slot(m, ia, &b, &ib), AM_OK);
    am_peer p;
    ASSERT_RC(am_find(m, &a, &p), AM_ERR_NOTFOUND);
    ASSERT_RC(am_find(m, &b, &p), AM_OK);
    assert_int_equal(p.id, ib);
    assert_int_equal(am_size(m), 1);
    am_place after = t_place(m, ib);
    assert_int_equal(after.n, 1);
    assert_int_equal(after.bucket[0], before.bucket[0]);
    assert_int_equal(after.slot[0], before.slot[0]);
    am_free(m);
}

static void test_full_slot_with_failing_never_good_occupant_is_taken_over(
    void **state)
{
    (void)state;
    /* Never succeeded with 3 counted failures: terrible (Core's retries). */
    am_man *m = t_man(1, 1);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT), b;
    uint64_t ia = t_add(m, a, NULL, 1, 0), ib = 0;
    uint64_t helper = t_add(m, t_v4(9, 8, 7, 6, T_PORT), NULL, 1, 0);
    for (int i = 0; i < 3; i++) {
        t_advance(T_MIN);
        t_set(m, ia, AM_OP_FAILED);
        t_advance(T_MIN);
        t_set(m, helper, AM_OP_TRIED); /* opens a new failure epoch */
    }
    t_advance(2 * T_MIN);
    am_peer p = t_get(m, ia);
    assert_int_equal(p.attempts, 3);
    assert_true(am_peer_is_terrible(&p, am_now(m)));
    ASSERT_RC(contend_for_slot(m, ia, &b, &ib), AM_OK);
    ASSERT_RC(am_find(m, &a, &p), AM_ERR_NOTFOUND);
    am_free(m);
}

/* Two new buckets: an address heard from many sources gets a second slot. */
static uint64_t add_with_two_refs(am_man *m, am_addr a)
{
    const int64_t t0 = T_START - 10000;
    uint64_t id = t_add(m, a, NULL, 1, t0);
    uint32_t ctr = 606;
    for (int i = 1; i < 3000 && t_get(m, id).ref_count < 2; i++) {
        am_addr src = t_distinct_v4(&ctr, 0);
        int is_new;
        ASSERT_RC(am_add(m, &a, &src, 1, t0 + i, 0, &is_new, NULL), AM_OK);
        CHECK(m);
    }
    assert_int_equal(t_get(m, id).ref_count, 2);
    return id;
}

static void test_full_slot_held_by_multi_slot_occupant_goes_to_newcomer(
    void **state)
{
    (void)state;
    am_man *m = t_man(2, 1);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT);
    uint64_t ia = add_with_two_refs(m, a);
    am_place before = t_place(m, ia);
    am_addr src = t_v4(9, 9, 9, 9, 0);
    uint32_t ctr = 8080;
    for (int i = 0; i < 20000; i++) {
        uint64_t ib = 0;
        am_addr b = t_distinct_v4(&ctr, T_PORT);
        ASSERT_RC(t_try_add(m, b, &src, 1, 0, &ib), AM_OK);
        am_peer pa = t_get(m, ia);
        if (pa.ref_count == 2) {
            t_remove(m, ib);
            continue;
        }
        /* b took one of a's two slots; a keeps the other one. */
        assert_int_equal(pa.ref_count, 1);
        am_place pb = t_place(m, ib), pl = t_place(m, ia);
        assert_int_equal(pb.n, 1);
        int took0 = pb.bucket[0] == before.bucket[0] && pb.slot[0] == before.slot[0];
        int took1 = pb.bucket[0] == before.bucket[1] && pb.slot[0] == before.slot[1];
        assert_true(took0 || took1);
        assert_int_equal(pl.bucket[0], before.bucket[took0 ? 1 : 0]);
        assert_int_equal(pl.slot[0], before.slot[took0 ? 1 : 0]);
        am_free(m);
        return;
    }
    fail_msg("no newcomer contended for the slots in 20000 tries");
}

/* ---- test-before-evict ---------------------------------------------------------- */

typedef struct coll {
    am_man *m;
    uint64_t old_id, new_id;
    am_place old_place;
} coll;

/*
 * One tried bucket (64 slots).  The old peer succeeds at T_START, the clock
 * moves 5 hours on (so its success is no longer "recent"), then fresh
 * addresses are marked tried until one's tried slot is the old peer's.
 */
static void make_collision(coll *c)
{
    am_man *m = t_man(1024, 1);
    am_addr src = t_v4(9, 9, 9, 9, 0);
    uint32_t ctr = 4242;
    c->m = m;
    c->old_id = t_add(m, t_v4(5, 6, 7, 8, T_PORT), &src, 1, 0);
    t_set(m, c->old_id, AM_OP_TRIED);
    c->old_place = t_place(m, c->old_id);
    assert_int_equal(c->old_place.in_tried, 1);
    t_advance(5 * T_HOUR);
    for (int i = 0; i < 20000; i++) {
        uint64_t id = 0;
        if (t_try_add(m, t_distinct_v4(&ctr, T_PORT), &src, 1, 0, &id) != AM_OK)
            continue;
        am_peer p = t_set(m, id, AM_OP_TRIED);
        if (p.in_tried) {
            am_place pl = t_place(m, id);
            assert_false(pl.slot[0] == c->old_place.slot[0]);
            t_remove(m, id);
            continue;
        }
        c->new_id = id;
        return;
    }
    fail_msg("no tried collision found in 20000 tries");
}

static void expect_no_collision(am_man *m)
{
    am_peer p;
    assert_int_equal(t_stats(m).collisions, 0);
    ASSERT_RC(am_collision_peer(m, &p), AM_ERR_NOTFOUND);
}

static void test_tried_collision_keeps_newcomer_in_new(void **state)
{
    (void)state;
    coll c;
    make_collision(&c);
    am_peer n = t_get(c.m, c.new_id), o;
    assert_int_equal(n.in_tried, 0);
    assert_true(n.ref_count >= 1);
    assert_int_equal(n.last_success, T_START + 5 * T_HOUR);
    assert_int_equal(n.attempts, 0);
    assert_int_equal(t_stats(c.m).collisions, 1);
    ASSERT_RC(am_collision_peer(c.m, &o), AM_OK);
    assert_int_equal(o.id, c.old_id);
    assert_int_equal(o.in_tried, 1);
    am_place pl = t_place(c.m, c.old_id);
    assert_memory_equal(&pl, &c.old_place, sizeof pl);
    am_free(c.m);
}

static void test_no_collision_peer_without_collisions(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    expect_no_collision(m);
    uint64_t id = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    t_set(m, id, AM_OP_TRIED);
    expect_no_collision(m);
    am_free(m);
}

static void test_feeler_offers_collision_occupant_first(void **state)
{
    (void)state;
    coll c;
    make_collision(&c);
    /* More new peers, so that a feeler has something else to pick. */
    uint32_t ctr = 99999;
    for (int i = 0; i < 50; i++)
        t_try_add(c.m, t_distinct_v4(&ctr, T_PORT), NULL, 1, 0, NULL);
    am_select_opts o = t_opts(0, 0, 1);
    for (int i = 0; i < 20; i++)
        assert_int_equal(t_select(c.m, &o).id, c.old_id);
    am_free(c.m);
}

static void test_resolve_keeps_occupant_that_succeeded_recently(void **state)
{
    (void)state;
    coll c;
    make_collision(&c);
    t_advance(10);
    t_set(c.m, c.old_id, AM_OP_TRIED);   /* the feeler reached it */
    am_resolve_collisions(c.m);
    CHECK(c.m);
    expect_no_collision(c.m);
    am_place pl = t_place(c.m, c.old_id);
    assert_memory_equal(&pl, &c.old_place, sizeof pl);
    assert_int_equal(t_get(c.m, c.new_id).in_tried, 0);
    am_free(c.m);
}

static void test_resolve_waits_60s_after_failed_try(void **state)
{
    (void)state;
    coll c;
    make_collision(&c);
    t_set(c.m, c.old_id, AM_OP_FAILED);
    t_advance(30);
    am_resolve_collisions(c.m);
    CHECK(c.m);
    assert_int_equal(t_stats(c.m).collisions, 1);
    assert_int_equal(t_get(c.m, c.old_id).in_tried, 1);
    assert_int_equal(t_get(c.m, c.new_id).in_tried, 0);
    am_free(c.m);
}

static void expect_evicted(coll *c)
{
    expect_no_collision(c->m);
    am_peer n = t_get(c->m, c->new_id), o = t_get(c->m, c->old_id);
    assert_int_equal(n.in_tried, 1);
    assert_int_equal(n.ref_count, 0);
    assert_int_equal(o.in_tried, 0);
    assert_true(o.ref_count >= 1);
    am_place pl = t_place(c->m, c->new_id);
    assert_memory_equal(&pl, &c->old_place, sizeof pl);
    am_stats st = t_stats(c->m);
    assert_int_equal(st.by_table[1], 1);
}

static void test_resolve_evicts_occupant_that_failed_over_60s_ago(void **state)
{
    (void)state;
    coll c;
    make_collision(&c);
    t_set(c.m, c.old_id, AM_OP_FAILED);
    t_advance(61);
    am_resolve_collisions(c.m);
    CHECK(c.m);
    expect_evicted(&c);
    am_free(c.m);
}

static void test_resolve_evicts_untested_occupant_after_40_min(void **state)
{
    (void)state;
    coll c;
    make_collision(&c);
    t_advance(30 * T_MIN);
    am_resolve_collisions(c.m);
    CHECK(c.m);
    assert_int_equal(t_stats(c.m).collisions, 1);
    t_advance(11 * T_MIN);
    am_resolve_collisions(c.m);
    CHECK(c.m);
    expect_evicted(&c);
    am_free(c.m);
}

static void test_removing_collision_newcomer_drops_the_collision(void **state)
{
    (void)state;
    coll c;
    make_collision(&c);
    t_remove(c.m, c.new_id);
    expect_no_collision(c.m);
    am_resolve_collisions(c.m);
    CHECK(c.m);
    am_place pl = t_place(c.m, c.old_id);
    assert_memory_equal(&pl, &c.old_place, sizeof pl);
    am_free(c.m);
}

static void test_removing_collision_occupant_lets_newcomer_into_tried(void **state)
{
    (void)state;
    coll c;
    make_collision(&c);
    t_remove(c.m, c.old_id);
    am_resolve_collisions(c.m);
    CHECK(c.m);
    expect_no_collision(c.m);
    am_peer n = t_get(c.m, c.new_id);
    assert_int_equal(n.in_tried, 1);
    am_place pl = t_place(c.m, c.new_id);
    assert_memory_equal(&pl, &c.old_place, sizeof pl);
    am_free(c.m);
}

static void test_feeler_skips_a_banned_collision_occupant(void **state)
{
    (void)state;
    coll c;
    make_collision(&c);
    am_subnet s = t_single(t_get(c.m, c.old_id).addr);
    ASSERT_RC(am_ban_add(c.m, &s, T_START + 10 * T_DAY, "", NULL), AM_OK);
    CHECK(c.m);
    am_select_opts o = t_opts(0, 0, 1);
    for (int i = 0; i < 20; i++) {
        am_peer p;
        int rc = am_select(c.m, &o, &p);
        CHECK(c.m);
        assert_true(rc == AM_OK || rc == AM_ERR_NOTFOUND);
        if (rc == AM_OK)
            assert_int_not_equal(p.id, c.old_id);
    }
    am_free(c.m);
}

static void test_known_tried_peer_re_added_stays_in_tried(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr a = t_v4(5, 6, 7, 8, T_PORT), src = t_v4(9, 9, 9, 9, 0);
    uint64_t id = t_add(m, a, NULL, 1, 0);
    t_set(m, id, AM_OP_TRIED);
    am_place before = t_place(m, id);
    int is_new = -1;
    t_advance(T_HOUR);
    ASSERT_RC(am_add(m, &a, &src, 8, 0, 0, &is_new, NULL), AM_OK);
    CHECK(m);
    assert_int_equal(is_new, 0);
    am_peer p = t_get(m, id);
    assert_int_equal(p.in_tried, 1);
    assert_int_equal(p.ref_count, 0);
    assert_int_equal(p.services, 9);
    am_place after = t_place(m, id);
    assert_memory_equal(&before, &after, sizeof before);
    assert_int_equal(t_stats(m).slots_used[0], 0);
    am_free(m);
}

static void test_removing_multi_slot_peer_frees_every_slot(void **state)
{
    (void)state;
    am_man *m = t_man(2, 1);
    uint64_t id = add_with_two_refs(m, t_v4(5, 6, 7, 8, T_PORT));
    assert_int_equal(t_stats(m).slots_used[0], 2);
    t_remove(m, id);
    am_stats st = t_stats(m);
    assert_int_equal(st.slots_used[0], 0);
    assert_int_equal(st.buckets_used[0], 0);
    am_free(m);
}

/* Sum of the new slots held by the peers of one IPv4 /16. */
static unsigned group_slots(am_man *m, unsigned a, unsigned b)
{
    am_peer page[256];
    size_t n;
    uint64_t next = 0;
    unsigned slots = 0;
    do {
        ASSERT_RC(am_list(m, NULL, next, page, 256, &n, &next), AM_OK);
        for (size_t i = 0; i < n; i++)
            if (page[i].addr.bytes[0] == a && page[i].addr.bytes[1] == b)
                slots += page[i].ref_count;
    } while (next != 0);
    return slots;
}

static void test_group_cap_turns_away_addresses_past_the_cap(void **state)
{
    (void)state;
    am_config cfg;
    t_config(&cfg, 1024, 256);
    cfg.new_group_cap = 40;
    am_man *m = t_man_cfg(&cfg);
    unsigned stored = 0, rejected = 0;
    for (unsigned i = 0; i < 200; i++) {
        am_addr a = t_v4(31, 7, i / 200, 1 + i % 200, T_PORT);
        am_addr src = t_v4(60 + i % 100, i / 100, 0, 1, 0);
        int rc = t_try_add(m, a, &src, 1, 0, NULL);
        if (rc == AM_OK)
            stored++;
        else if (rc == AM_ERR_GROUP_CAP)
            rejected++;
    }
    assert_true(stored <= 40);
    assert_true(rejected >= 160);
    assert_true(group_slots(m, 31, 7) <= 40);
    /* Another group is not affected. */
    am_addr other = t_v4(32, 7, 0, 1, T_PORT);
    ASSERT_RC(t_try_add(m, other, NULL, 1, 0, NULL), AM_OK);
    CHECK(m);
    am_free(m);
}

/* Regression (found by bench/eclipse scenario 5): the cap counted
 * addresses, so re-announcing capped addresses from many sources gave
 * them up to 8 slots each.  Slots are what the cap counts now. */
static void test_group_cap_counts_slots_not_addresses(void **state)
{
    (void)state;
    am_config cfg;
    t_config(&cfg, 1024, 256);
    cfg.new_group_cap = 32;
    am_man *m = t_man_cfg(&cfg);
    for (int round = 0; round < 40; round++) {
        for (unsigned i = 0; i < 32; i++) {
            am_addr a = t_v4(31, 9, 0, 1 + i, T_PORT);
            am_addr src = t_v4(70 + (unsigned)round, 1 + i, 0, 1, 0);
            int rc = t_try_add(m, a, &src, 1, T_START - 3600 + round * 60, NULL);
            assert_true(rc == AM_OK || rc == AM_ERR_REJECTED ||
                        rc == AM_ERR_GROUP_CAP);
        }
        t_advance(60);
    }
    assert_true(group_slots(m, 31, 9) <= 32);
    CHECK(m);
    am_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_cap_turns_away_addresses_past_the_cap),
        cmocka_unit_test(test_group_cap_counts_slots_not_addresses),
        cmocka_unit_test(test_one_source_group_reaches_at_most_64_new_buckets),
        cmocka_unit_test(test_one_address_group_reaches_at_most_8_tried_buckets),
        cmocka_unit_test(test_address_never_sits_in_more_than_8_new_slots),
        cmocka_unit_test(test_full_slot_with_good_occupant_rejects_newcomer),
        cmocka_unit_test(test_full_slot_with_terrible_occupant_is_taken_over),
        cmocka_unit_test(test_full_slot_with_failing_never_good_occupant_is_taken_over),
        cmocka_unit_test(test_full_slot_held_by_multi_slot_occupant_goes_to_newcomer),
        cmocka_unit_test(test_tried_collision_keeps_newcomer_in_new),
        cmocka_unit_test(test_no_collision_peer_without_collisions),
        cmocka_unit_test(test_feeler_offers_collision_occupant_first),
        cmocka_unit_test(test_resolve_keeps_occupant_that_succeeded_recently),
        cmocka_unit_test(test_resolve_waits_60s_after_failed_try),
        cmocka_unit_test(test_resolve_evicts_occupant_that_failed_over_60s_ago),
        cmocka_unit_test(test_resolve_evicts_untested_occupant_after_40_min),
        cmocka_unit_test(test_removing_collision_newcomer_drops_the_collision),
        cmocka_unit_test(test_removing_collision_occupant_lets_newcomer_into_tried),
        cmocka_unit_test(test_feeler_skips_a_banned_collision_occupant),
        cmocka_unit_test(test_known_tried_peer_re_added_stays_in_tried),
        cmocka_unit_test(test_removing_multi_slot_peer_frees_every_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
