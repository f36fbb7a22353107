/*
 * test_check_after_ban_expiry.c - am_check (and GET /debug/check, which
 * calls it) must pass right after a ban's end has passed, before any other
 * call has expired the ban.
 *
 * Found by fuzz/fuzz_core.c: the check compares each peer's banned flag
 * with the bans active at the clock's current time (am__banned), but the
 * flags are only updated when an operation expires the bans (am__tick).
 * Between the two, am_check reports "banned flag disagrees with the ban
 * list" although nothing is wrong, and /debug/check answers 500.
 */
#include "am_test.h"

#include "api.h"

static void test_core_check_passes_when_a_ban_has_just_expired(void **state)
{
    (void)state;
    am_man *m = t_man(16, 4);
    am_addr a = t_v4(1, 2, 3, 4, T_PORT);
    t_add(m, a, NULL, 1, T_START);
    am_subnet s = t_single(a);
    ASSERT_RC(am_ban_add(m, &s, T_START + 60, "test", NULL), AM_OK);
    CHECK(m);

    t_advance(61);          /* the ban is over; no call has seen it yet */
    CHECK(m);
    am_free(m);
}

static void test_debug_check_passes_when_a_ban_has_just_expired(void **state)
{
    (void)state;
    am_man *m = t_man(16, 4);
    am_addr a = t_v4(1, 2, 3, 4, T_PORT);
    t_add(m, a, NULL, 1, T_START);
    am_subnet s = t_single(a);
    ASSERT_RC(am_ban_add(m, &s, T_START + 60, "test", NULL), AM_OK);

    api_config cfg;
    api_ctx *ctx = NULL;
    api_config_default(&cfg);
    cfg.core = m;
    cfg.enable_debug = 1;
    assert_int_equal(api_new(&cfg, &ctx), AM_OK);

    t_advance(61);
    api_request req;
    api_response resp;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.path = "/debug/check";
    assert_int_equal(api_handle(ctx, &req, &resp), AM_OK);
    if (resp.status != 200)
        fail_msg("GET /debug/check: %d %.*s", resp.status, (int)resp.body_len,
                 resp.body ? resp.body : "");
    api_response_free(&resp);
    api_free(ctx);
    am_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_check_passes_when_a_ban_has_just_expired),
        cmocka_unit_test(test_debug_check_passes_when_a_ban_has_just_expired),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
