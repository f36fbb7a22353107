/*
 * test_snapshot_keeps_zero_time.c - a peer whose time is 0 keeps it through
 * a snapshot (peers.json export, then the start-up restore).
 *
 * Found by fuzz/fuzz_journal.c (the snapshot round trip after a replay).
 * The core stores time 0 when an add's time penalty exceeds the time
 * (Core's max(0, time - penalty)) or a restored peer's time is <= 0; such a
 * peer is terrible (am__terrible: time == 0).  The export writes "time": 0,
 * but st_merge_doc reads an "ours" time of 0 as a foreign one and stores
 * now - 5 days (store/st_merge.c, merge_one: rec->time > 0), so after a
 * restart the peer is no longer terrible: the state did not come back
 * exactly, as st_floresta.h promises.
 */
#include "am_test.h"

#include "st_floresta.h"

static void test_time_zero_survives_export_and_restore(void **state)
{
    (void)state;
    am_man *a = t_man(16, 4);
    am_addr addr = t_v4(1, 2, 3, 4, T_PORT);
    am_addr src = t_v4(5, 6, 7, 8, 0);
    int is_new = 0;
    uint64_t id = 0;
    ASSERT_RC(am_add(a, &addr, &src, 1, T_START, INT64_C(1) << 40, &is_new, &id),
              AM_OK);
    am_peer before = t_get_at(a, id, __FILE__, __LINE__);
    assert_int_equal(before.time, 0);
    assert_true(am_peer_is_terrible(&before, t_now));

    char *text = NULL;
    size_t len = 0;
    ASSERT_RC(st_floresta_export(a, &text, &len, NULL), AM_OK);

    am_man *b = t_man(16, 4);
    st_merge_opts o;
    st_merge_result r;
    memset(&o, 0, sizeof o);
    o.snapshot = 1;
    st_merge_result_init(&r);
    ASSERT_RC(st_floresta_merge(b, text, len, &o, &r), AM_OK);
    assert_int_equal(r.added, 1);
    CHECK(b);
    am_peer after = t_get_at(b, id, __FILE__, __LINE__);
    if (after.time != before.time)
        fail_msg("time %lld came back as %lld", (long long)before.time,
                 (long long)after.time);
    assert_true(am_peer_is_terrible(&after, t_now));

    st_merge_result_free(&r);
    free(text);
    am_free(b);
    am_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_zero_survives_export_and_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
