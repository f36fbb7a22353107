/*
 * test_collision_keeps_failure.c - a failure report is not undone by the
 * settling of a tried-table collision.
 *
 * Found by fuzz/fuzz_core.c (pool_select handed out a peer whose state was
 * failed and whose last_try was "now").  Sequence: peer B reports tried,
 * its tried slot is taken by an old peer, so a collision is kept
 * (test-before-evict); then B reports failed (state failed, last_try, one
 * attempt, a retry wait).  The failure does not drop the pending collision
 * (only never_tried does, core/addrman.c apply_op), and when the collision
 * is settled later (resolve_one -> good()), B moves to tried with last_try
 * = last_success = now and attempts = 0 while its state stays "failed":
 * the failure the node reported is erased, /v1/peers shows a failed peer
 * with a success of right now, and B is handed out at once although its
 * last_try says it failed this second.
 */
#include "am_test.h"

#include "addrman_persist.h"

static void test_failure_report_survives_collision_settling(void **state)
{
    (void)state;
    am_man *m = t_man(16, 1);       /* one tried bucket: 64 slots */
    uint32_t ctr = 0;

    /* Old tried peers, connected five hours ago. */
    for (int i = 0; i < 40; i++) {
        uint64_t id = t_add(m, t_distinct_v4(&ctr, T_PORT), NULL, 1, T_START);
        ASSERT_RC(am_set_state(m, id, AM_OP_TRIED, NULL), AM_OK);
    }
    t_advance(5 * T_HOUR);

    /* A newcomer whose tried slot is taken: a pending collision. */
    uint64_t b = 0, ids[AM_MAX_COLLISIONS];
    for (int i = 0; i < 1000 && b == 0; i++) {
        uint64_t id = t_add(m, t_distinct_v4(&ctr, T_PORT), NULL, 1, t_now);
        ASSERT_RC(am_set_state(m, id, AM_OP_TRIED, NULL), AM_OK);
        if (am_collision_ids(m, ids) > 0)
            b = ids[0];
    }
    assert_true(b != 0);
    CHECK(m);

    /* B fails. */
    t_advance(1);
    int64_t failed_at = t_now;
    am_peer p;
    ASSERT_RC(am_set_state(m, b, AM_OP_FAILED, &p), AM_OK);
    assert_int_equal(p.state, AM_STATE_FAILED);
    assert_int_equal(p.last_try, failed_at);
    assert_int_equal(p.attempts, 1);

    /* Later the collision is settled (select does it too). */
    t_advance(41 * T_MIN);
    am_resolve_collisions(m);
    CHECK(m);
    ASSERT_RC(am_get(m, b, &p), AM_OK);
    if (p.state != AM_STATE_FAILED || p.last_try != failed_at || p.attempts != 1)
        fail_msg("after the collision was settled: state %d, last_try %lld "
                 "(failed at %lld), last_success %lld, attempts %u, in tried %d",
                 (int)p.state, (long long)p.last_try, (long long)failed_at,
                 (long long)p.last_success, p.attempts, p.in_tried);
    am_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_report_survives_collision_settling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
