/*
 * test_addrman_restore.c - am_restore: putting saved peers back (the
 * persistence path) with their ids, fields, state and slots.
 */
#include "addrman_persist.h"
#include "am_test.h"

#define N_PEERS 300

typedef struct saved {
    size_t n;
    am_peer peer[N_PEERS];
    am_place place[N_PEERS];
} saved;

/* A manager with a mix of new, tried, connected and failed peers. */
static am_man *populated(saved *s)
{
    am_man *m = t_man(1024, 256);
    uint32_t ctr = 1, sctr = 50000;
    uint64_t ids[N_PEERS];
    size_t n = 0;
    for (int i = 0; i < N_PEERS; i++) {
        am_addr src = t_distinct_v4(&sctr, 0);
        if (t_try_add(m, t_distinct_v4(&ctr, T_PORT), &src, (uint64_t)i, 0,
                      &ids[n]) == AM_OK)
            n++;
    }
    t_advance(T_HOUR);
    for (size_t i = 0; i < n; i++) {
        am_state_op op = i % 4 == 1 ? AM_OP_TRIED
                         : i % 4 == 2 ? AM_OP_CONNECTED
                         : i % 4 == 3 ? AM_OP_FAILED : AM_OP_NEVER_TRIED;
        if (op != AM_OP_NEVER_TRIED)
            t_set(m, ids[i], op);
    }
    s->n = n;
    for (size_t i = 0; i < n; i++) {
        s->peer[i] = t_get(m, ids[i]);
        s->place[i] = t_place(m, ids[i]);
    }
    return m;
}

static void restore_ok(am_man *m, const am_peer *p, const am_place *pl)
{
    ASSERT_RC(am_restore(m, p, pl), AM_OK);
    CHECK(m);
}

static void test_restore_with_place_gives_back_ids_fields_and_slots(void **state)
{
    (void)state;
    saved *s = calloc(1, sizeof *s);
    assert_non_null(s);
    am_man *m1 = populated(s);
    am_stats st1 = t_stats(m1);
    am_man *m2 = t_man(1024, 256);
    t_now = T_START + T_HOUR;
    for (size_t i = s->n; i-- > 0;)   /* any order */
        restore_ok(m2, &s->peer[i], &s->place[i]);
    for (size_t i = 0; i < s->n; i++) {
        am_peer p = t_get(m2, s->peer[i].id);
        am_place pl = t_place(m2, s->peer[i].id);
        am_peer want = s->peer[i];
        if (want.state == AM_STATE_CONNECTED)
            want.state = AM_STATE_TRIED;
        assert_memory_equal(&p, &want, sizeof p);
        assert_memory_equal(&pl, &s->place[i], sizeof pl);
    }
    am_stats st2 = t_stats(m2);
    assert_int_equal(st2.total, st1.total);
    assert_true(st1.by_state[AM_STATE_CONNECTED] > 0);
    st1.by_state[AM_STATE_TRIED] += st1.by_state[AM_STATE_CONNECTED];
    st1.by_state[AM_STATE_CONNECTED] = 0;
    assert_memory_equal(st2.by_state, st1.by_state, sizeof st1.by_state);
    assert_memory_equal(st2.slots_used, st1.slots_used, sizeof st1.slots_used);
    assert_int_equal(st2.cooling, st1.cooling);
    uint64_t fresh = t_add(m2, t_v4(200, 1, 2, 3, T_PORT), NULL, 1, 0);
    assert_true(fresh > s->peer[s->n - 1].id);
    am_free(m1);
    am_free(m2);
    free(s);
}

static void test_restore_without_place_uses_the_hashed_slots(void **state)
{
    (void)state;
    saved *s = calloc(1, sizeof *s);
    assert_non_null(s);
    am_man *m1 = populated(s);
    am_man *m2 = t_man(512, 128);
    t_now = T_START + T_HOUR;
    size_t restored = 0;
    for (size_t i = 0; i < s->n; i++) {
        int rc = am_restore(m2, &s->peer[i], i % 2 ? &s->place[i] : NULL);
        CHECK(m2);
        assert_true(rc == AM_OK || rc == AM_ERR_REJECTED);
        if (rc != AM_OK)
            continue;
        restored++;
        am_peer p = t_get(m2, s->peer[i].id);
        assert_true(am_addr_eq(&p.addr, &s->peer[i].addr));
        assert_int_equal(p.state, s->peer[i].state == AM_STATE_CONNECTED
                                      ? AM_STATE_TRIED : s->peer[i].state);
        assert_int_equal(p.last_success, s->peer[i].last_success);
        am_place pl = t_place(m2, p.id);
        for (uint32_t k = 0; k < pl.n; k++)
            assert_true(pl.bucket[k] < (pl.in_tried ? 128u : 512u));
    }
    assert_true(restored > s->n * 9 / 10);
    am_free(m1);
    am_free(m2);
    free(s);
}

/* A connection does not outlive a restart: nobody could end it. */
static void test_restore_brings_a_connected_peer_back_tried(void **state)
{
    (void)state;
    am_man *m1 = t_man(1024, 256);
    uint64_t id = t_add(m1, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    t_advance(T_HOUR);
    t_set(m1, id, AM_OP_CONNECTED);
    am_peer before = t_get(m1, id);
    am_place place = t_place(m1, id);
    assert_int_equal(before.state, AM_STATE_CONNECTED);
    assert_true(before.last_success > 0);

    am_man *m2 = t_man(1024, 256);
    ASSERT_RC(am_restore(m2, &before, &place), AM_OK);
    CHECK(m2);
    am_peer p = t_get(m2, id);
    am_state stored;
    ASSERT_RC(am_stored_state(m2, id, &stored), AM_OK);
    assert_int_equal(p.state, AM_STATE_TRIED);
    assert_int_equal(stored, AM_STATE_TRIED);
    assert_int_equal(p.in_tried, 1);
    assert_int_equal(p.last_success, before.last_success);
    assert_int_equal(p.last_connected, before.last_connected);
    am_stats st = t_stats(m2);
    assert_int_equal(st.by_state[AM_STATE_CONNECTED], 0);
    assert_int_equal(st.by_state[AM_STATE_TRIED], 1);
    am_free(m1);
    am_free(m2);
}

/* A record without a usable place is held to the group cap, as an add
 * is: an import cannot fill the new table with one group.  A tried record
 * of that group still takes its tried slot. */
static void test_restore_without_place_keeps_the_group_cap(void **state)
{
    (void)state;
    am_config cfg;
    t_config(&cfg, 1024, 256);
    cfg.new_group_cap = 4;
    am_man *m = t_man_cfg(&cfg);
    am_peer p;
    size_t ok = 0, capped = 0;

    memset(&p, 0, sizeof p);
    p.state = AM_STATE_NEVER_TRIED;
    for (int i = 0; i < 10; i++) {
        p.id = (uint64_t)i + 1;
        p.addr = t_v4(44, 1, (uint8_t)i, 7, T_PORT);
        int rc = am_restore(m, &p, NULL);
        assert_true(rc == AM_OK || rc == AM_ERR_GROUP_CAP);
        ok += rc == AM_OK;
        capped += rc == AM_ERR_GROUP_CAP;
    }
    assert_int_equal(ok, 4);
    assert_int_equal(capped, 6);
    assert_int_equal(am_size(m), 4);
    p.id = 100;
    p.addr = t_v4(44, 1, 200, 7, T_PORT);
    p.state = AM_STATE_TRIED;
    p.in_tried = 1;
    p.last_success = T_START;
    ASSERT_RC(am_restore(m, &p, NULL), AM_OK);
    assert_int_equal(t_get(m, 100).in_tried, 1);
    CHECK(m);
    am_free(m);
}

static void test_restore_known_id_or_endpoint_is_exists(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint64_t id = t_add(m, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    am_peer p = t_get(m, id);
    ASSERT_RC(am_restore(m, &p, NULL), AM_ERR_EXISTS);
    p.addr = t_v4(9, 6, 7, 8, T_PORT);          /* same id, other endpoint */
    ASSERT_RC(am_restore(m, &p, NULL), AM_ERR_EXISTS);
    p = t_get(m, id);
    p.id = id + 100;                            /* same endpoint, other id */
    ASSERT_RC(am_restore(m, &p, NULL), AM_ERR_EXISTS);
    CHECK(m);
    assert_int_equal(am_size(m), 1);
    am_free(m);
}

static void test_restore_moves_id_counter_past_restored_id(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_man *src = t_man(1024, 256);
    uint64_t id = t_add(src, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    am_peer p = t_get(src, id);
    p.id = 5000;
    restore_ok(m, &p, NULL);
    assert_true(t_stats(m).next_id > 5000);
    assert_true(t_add(m, t_v4(9, 6, 7, 8, T_PORT), NULL, 1, 0) > 5000);
    am_free(m);
    am_free(src);
}

static void test_restore_reads_banned_state_as_never_tried(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_man *src = t_man(1024, 256);
    uint64_t id = t_add(src, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    am_peer p = t_get(src, id);
    p.state = AM_STATE_BANNED;
    restore_ok(m, &p, NULL);
    assert_int_equal(t_get(m, id).state, AM_STATE_NEVER_TRIED);
    am_free(m);
    am_free(src);
}

static void test_restore_unroutable_is_refused(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_man *src = t_man(1024, 256);
    uint64_t id = t_add(src, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0);
    am_peer p = t_get(src, id);
    p.addr = t_v4(192, 168, 1, 1, T_PORT);
    ASSERT_RC(am_restore(m, &p, NULL), AM_ERR_UNROUTABLE);
    CHECK(m);
    assert_int_equal(am_size(m), 0);
    am_free(m);
    am_free(src);
}

static void test_restore_refuses_ids_outside_1_to_id_max(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_man *src = t_man(1024, 256);
    am_peer p = t_get(src, t_add(src, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0));
    p.id = 0;
    assert_int_not_equal(am_restore(m, &p, NULL), AM_OK);
    p.id = AM_ID_MAX + 1;
    assert_int_not_equal(am_restore(m, &p, NULL), AM_OK);
    CHECK(m);
    assert_int_equal(am_size(m), 0);
    am_free(m);
    am_free(src);
}

static void test_add_never_hands_out_an_id_beyond_id_max(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_man *src = t_man(1024, 256);
    am_peer p = t_get(src, t_add(src, t_v4(5, 6, 7, 8, T_PORT), NULL, 1, 0));
    p.id = AM_ID_MAX;
    restore_ok(m, &p, NULL);
    am_addr b = t_v4(9, 6, 7, 8, T_PORT);
    uint64_t id = 0;
    int is_new = -1;
    int rc = am_add(m, &b, NULL, 1, 0, 0, &is_new, &id);
    CHECK(m);
    assert_int_not_equal(rc, AM_OK);
    assert_int_equal(am_size(m), 1);
    am_free(m);
    am_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restore_with_place_gives_back_ids_fields_and_slots),
        cmocka_unit_test(test_restore_without_place_uses_the_hashed_slots),
        cmocka_unit_test(test_restore_brings_a_connected_peer_back_tried),
        cmocka_unit_test(test_restore_without_place_keeps_the_group_cap),
        cmocka_unit_test(test_restore_known_id_or_endpoint_is_exists),
        cmocka_unit_test(test_restore_moves_id_counter_past_restored_id),
        cmocka_unit_test(test_restore_reads_banned_state_as_never_tried),
        cmocka_unit_test(test_restore_unroutable_is_refused),
        cmocka_unit_test(test_restore_refuses_ids_outside_1_to_id_max),
        cmocka_unit_test(test_add_never_hands_out_an_id_beyond_id_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
