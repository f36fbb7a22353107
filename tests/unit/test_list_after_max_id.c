/*
 * test_list_after_max_id.c - listing peers "after" the largest id there can
 * be gives nothing, also through GET /v1/peers?after=.
 *
 * Found by fuzz/fuzz_core.c: am_list looked for the first id >= after + 1,
 * and after = UINT64_MAX wrapped to 0, so it listed from the start: every
 * id it returned was smaller than `after` (addrman.h: "peers with id >
 * after").  The API takes any u64 for `after`, so a client could see its
 * cursor jump back to the first page.
 */
#include "am_test.h"

#include "api.h"

static void test_list_after_uint64_max_is_empty(void **state)
{
    (void)state;
    am_man *m = t_man(16, 4);
    uint32_t ctr = 0;
    for (int i = 0; i < 5; i++)
        t_add(m, t_distinct_v4(&ctr, T_PORT), NULL, 1, T_START);

    am_peer out[8];
    size_t n = 99;
    uint64_t next = 99;
    ASSERT_RC(am_list(m, NULL, UINT64_MAX, out, 8, &n, &next), AM_OK);
    assert_int_equal(n, 0);
    assert_int_equal(next, 0);
    ASSERT_RC(am_list(m, NULL, AM_ID_MAX, out, 8, &n, &next), AM_OK);
    assert_int_equal(n, 0);
    assert_int_equal(next, 0);
    am_free(m);
}

static void test_api_list_after_uint64_max_is_empty(void **state)
{
    (void)state;
    am_man *m = t_man(16, 4);
    uint32_t ctr = 0;
    for (int i = 0; i < 3; i++)
        t_add(m, t_distinct_v4(&ctr, T_PORT), NULL, 1, T_START);
    api_config cfg;
    api_ctx *ctx = NULL;
    api_config_default(&cfg);
    cfg.core = m;
    assert_int_equal(api_new(&cfg, &ctx), AM_OK);

    api_request req;
    api_response resp;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.path = "/v1/peers";
    req.query = "after=18446744073709551615";
    assert_int_equal(api_handle(ctx, &req, &resp), AM_OK);
    assert_int_equal(resp.status, 200);
    if (resp.body == NULL || strstr(resp.body, "\"peers\":[]") == NULL)
        fail_msg("GET /v1/peers?after=2^64-1: %.*s", (int)resp.body_len,
                 resp.body ? resp.body : "");
    api_response_free(&resp);
    api_free(ctx);
    am_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_after_uint64_max_is_empty),
        cmocka_unit_test(test_api_list_after_uint64_max_is_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
