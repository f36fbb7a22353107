/*
 * test_api_bans.c - POST/GET/DELETE /v1/bans: canonical targets, subnets,
 * duration and reason, expiry, lifting one or all, and what a ban does to
 * peers (state banned, adds ignored).
 *
 * 11.0.0.0/8 is kept for these tests: the unique test addresses
 * (itest_addr.h) never fall inside it.
 */
#include "it_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers --------------------------------------------------------- */

static void expect_ban_target(it_server *s, const char *input,
                              const char *canon)
{
    json_t *b = it_ban(s, input);
    char enc[256];

    IT_STREQ(IT_JSTR(b, "target"), canon);
    json_decref(b);
    it_pct(canon, enc, sizeof enc);
    assert_int_equal(it_unban(s, enc), 204);
}

static void expect_ban_error(it_server *s, const char *body,
                             const char *code)
{
    it_resp *r = it_send(s, "POST", "/v1/bans", body);

    IT_ERROR(r, 400, code);
    it_resp_free(r);
}

/* The ban on `target` in GET /v1/bans (new reference), or NULL. */
static json_t *listed_ban(it_server *s, const char *target)
{
    it_resp *r = it_get(s, "/v1/bans");
    json_t *bans, *b, *found = NULL;
    size_t i;

    IT_STATUS(r, 200);
    bans = IT_JARR(IT_BODY(r), "bans");
    json_array_foreach(bans, i, b) {
        if (strcmp(IT_JSTR(b, "target"), target) != 0)
            continue;
        if (found != NULL)
            fail_msg("ban %s listed twice", target);
        found = json_incref(b);
    }
    it_resp_free(r);
    return found;
}

static size_t ban_count(it_server *s)
{
    it_resp *r = it_get(s, "/v1/bans");
    size_t n;

    IT_STATUS(r, 200);
    n = json_array_size(IT_JARR(IT_BODY(r), "bans"));
    it_resp_free(r);
    return n;
}

static void sleep_s(double sec)
{
    struct timespec ts = { (time_t)sec, (long)((sec - (time_t)sec) * 1e9) };

    nanosleep(&ts, NULL);
}

/* ---- targets --------------------------------------------------------- */

static void test_list_bans_before_any_ban(void **state)
{
    it_server *s = *state;
    it_resp *r;

    r = it_get(s, "/v1/bans");
    IT_STATUS(r, 200);
    (void)IT_JARR(IT_BODY(r), "bans");
    if (!s->shared)
        assert_int_equal(json_array_size(IT_JARR(IT_BODY(r), "bans")), 0);
    it_resp_free(r);
}

static void test_ban_single_address_target_is_canonical(void **state)
{
    it_server *s = *state;
    json_t *b = it_ban(s, "1.2.3.4/32");
    json_int_t now = it_now();

    IT_STREQ(IT_JSTR(b, "target"), "1.2.3.4");
    if (IT_JINT(b, "until") < now + 86400 - 5 ||
        IT_JINT(b, "until") > now + 86400 + 5)
        fail_msg("default duration: until %lld, now %lld",
                 (long long)IT_JINT(b, "until"), (long long)now);
    assert_true(IT_JINT(b, "created") >= now - 5 &&
                IT_JINT(b, "created") <= now + 5);
    IT_STREQ(IT_JSTR(b, "reason"), "");
    json_decref(b);
    assert_int_equal(it_unban(s, "1.2.3.4"), 204);
}

static void test_ban_subnet_host_bits_cleared(void **state)
{
    it_server *s = *state;

    expect_ban_target(s, "10.1.2.3/8", "10.0.0.0/8");
    expect_ban_target(s, "11.255.1.1/16", "11.255.0.0/16");
    expect_ban_target(s, "11.17.2.3/12", "11.16.0.0/12");
}

static void test_ban_ipv6_targets_are_canonical(void **state)
{
    it_server *s = *state;

    expect_ban_target(s, "2001:0DB8:0:0::1", "2001:db8::1");
    expect_ban_target(s, "2001:DB8:ffff::/32", "2001:db8::/32");
    expect_ban_target(s, "2001:db8::1/128", "2001:db8::1");
}

static void test_ban_onion_i2p_and_cjdns_names(void **state)
{
    it_server *s = *state;
    char onion[IT_HOST_MAX], up[IT_HOST_MAX], i2p[IT_HOST_MAX];
    char cj[IT_HOST_MAX];
    size_t i;

    it_uniq_onion(onion, NULL);
    snprintf(up, sizeof up, "%s", onion);
    for (i = 0; up[i] != '\0'; i++)
        if (up[i] >= 'a' && up[i] <= 'z')
            up[i] = (char)(up[i] - 'a' + 'A');
    expect_ban_target(s, up, onion);
    it_uniq_i2p(i2p, NULL);
    expect_ban_target(s, i2p, i2p);
    it_uniq_cjdns(cj, NULL);
    expect_ban_target(s, cj, cj);
    expect_ban_target(s, "fc12:3456::1/16", "fc12::/16");
}

static void test_ban_invalid_targets_are_400(void **state)
{
    it_server *s = *state;
    char onion[IT_HOST_MAX], body[256];

    expect_ban_error(s, "{\"target\": \"1.2.3.4/33\"}", "invalid_address");
    expect_ban_error(s, "{\"target\": \"nonsense\"}", "invalid_address");
    expect_ban_error(s, "{\"target\": \"1.2.3\"}", "invalid_address");
    expect_ban_error(s, "{\"target\": \"\"}", "invalid_address");
    expect_ban_error(s, "{\"target\": \"2001:db8::/129\"}", "invalid_address");
    expect_ban_error(s, "{\"target\": \"1.2.3.4/x\"}", "invalid_address");
    expect_ban_error(s, "{\"target\": \"expyuzz4wqqyqhjn.onion\"}",
                     "invalid_address");
    it_uniq_onion(onion, NULL);
    snprintf(body, sizeof body, "{\"target\": \"%s/8\"}", onion);
    expect_ban_error(s, body, "invalid_address");
}

static void test_ban_invalid_fields_are_400(void **state)
{
    it_server *s = *state;
    char body[512], reason[300];

    expect_ban_error(s, "{}", "bad_request");
    expect_ban_error(s, "{\"target\": 5}", "bad_request");
    expect_ban_error(s, "{\"target\": \"11.9.9.9\", \"duration\": 0}",
                     "bad_request");
    expect_ban_error(s, "{\"target\": \"11.9.9.9\", \"duration\": -5}",
                     "bad_request");
    expect_ban_error(s, "{\"target\": \"11.9.9.9\", \"duration\": \"1\"}",
                     "bad_request");
    expect_ban_error(s, "{\"target\": \"11.9.9.9\", \"reason\": 3}",
                     "bad_request");
    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    snprintf(body, sizeof body, "{\"target\": \"11.9.9.9\", \"reason\": \"%s\"}",
             reason);
    expect_ban_error(s, body, "bad_request");
    expect_ban_error(s, "{\"target\": \"11.9.9.9\", \"duration\": 3162240001}",
                     "bad_request");
    assert_null(listed_ban(s, "11.9.9.9"));
}

static void test_ban_reason_of_255_bytes_and_longest_duration(void **state)
{
    it_server *s = *state;
    char body[512], reason[256];
    it_resp *r;
    json_t *b;

    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    snprintf(body, sizeof body, "{\"target\": \"11.9.9.8\", \"reason\": \"%s\", "
             "\"duration\": 3162240000}", reason);
    r = it_send(s, "POST", "/v1/bans", body);
    IT_STATUS(r, 201);
    IT_STREQ(IT_JSTR(IT_BODY(r), "reason"), reason);
    assert_true(IT_JINT(IT_BODY(r), "until") >= it_now() + 3162240000LL - 5);
    it_resp_free(r);
    b = listed_ban(s, "11.9.9.8");
    assert_non_null(b);
    json_decref(b);
    assert_int_equal(it_unban(s, "11.9.9.8"), 204);
}

/* ---- listing, duration, expiry --------------------------------------- */

static void test_ban_duration_and_reason_kept(void **state)
{
    it_server *s = *state;
    json_int_t now = it_now();
    it_resp *r;
    json_t *b;

    r = it_send(s, "POST", "/v1/bans", "{\"target\": \"11.7.7.7\", "
                "\"duration\": 3600, \"reason\": \"spam \\u00e9\"}");
    IT_STATUS(r, 201);
    it_resp_free(r);
    b = listed_ban(s, "11.7.7.7");
    assert_non_null(b);
    assert_true(IT_JINT(b, "until") >= now + 3600 - 5 &&
                IT_JINT(b, "until") <= now + 3600 + 5);
    IT_STREQ(IT_JSTR(b, "reason"), "spam \xc3\xa9");
    assert_true(IT_JINT(b, "created") >= now - 5);
    json_decref(b);
    assert_int_equal(it_unban(s, "11.7.7.7"), 204);
}

static void test_ban_again_replaces_until_and_reason(void **state)
{
    it_server *s = *state;
    it_resp *r;
    json_t *b;

    r = it_send(s, "POST", "/v1/bans", "{\"target\": \"11.8.8.8\", "
                "\"duration\": 100, \"reason\": \"a\"}");
    IT_STATUS(r, 201);
    it_resp_free(r);
    r = it_send(s, "POST", "/v1/bans", "{\"target\": \"11.8.8.8/32\", "
                "\"duration\": 7200, \"reason\": \"b\"}");
    IT_STATUS(r, 201);
    it_resp_free(r);
    b = listed_ban(s, "11.8.8.8");
    assert_non_null(b);
    IT_STREQ(IT_JSTR(b, "reason"), "b");
    assert_true(IT_JINT(b, "until") >= it_now() + 7200 - 5);
    json_decref(b);
    assert_int_equal(it_unban(s, "11.8.8.8"), 204);
}

static void test_ban_expires_after_duration(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[1][IT_HOST_MAX], body[256], q[160], node[48];
    json_t *peers;
    it_resp *r;

    it_add_ipv4s(s, 1, svc, hosts);
    snprintf(body, sizeof body, "{\"target\": \"%s\", \"duration\": 1}",
             hosts[0]);
    r = it_send(s, "POST", "/v1/bans", body);
    IT_STATUS(r, 201);
    it_resp_free(r);
    /* On a shared server, a node of our own: the default node's leases and
     * connections (diverse selection) are everybody's. */
    node[0] = '\0';
    if (s->shared)
        snprintf(node, sizeof node, ", \"node\": \"it-%016" PRIx64 "\"",
                 it_rand64());
    snprintf(q, sizeof q, "{\"services\": %" PRIu64 ", \"count\": 5%s}", svc,
             node);
    peers = it_select(s, q);
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
    sleep_s(2.1);
    assert_null(listed_ban(s, hosts[0]));
    peers = it_select(s, q);
    assert_int_equal(json_array_size(peers), 1);
    json_decref(peers);
}

/* ---- effects on peers ------------------------------------------------ */

static void test_ban_marks_peer_state_banned(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[1][IT_HOST_MAX], q[96];
    json_t *p;

    it_add_ipv4s(s, 1, svc, hosts);
    json_decref(it_ban(s, hosts[0]));
    p = it_peer(s, hosts[0], IT_PORT);
    IT_STREQ(IT_JSTR(p, "state"), "banned");
    json_decref(p);
    snprintf(q, sizeof q, "state=banned&services=%" PRIu64, svc);
    assert_int_equal(it_count_peers(s, q), 1);
    assert_int_equal(it_unban(s, hosts[0]), 204);
    p = it_peer(s, hosts[0], IT_PORT);
    IT_STREQ(IT_JSTR(p, "state"), "never_tried");
    json_decref(p);
}

static void test_ban_subnet_covers_peers_inside(void **state)
{
    it_server *s = *state;
    char v6[IT_HOST_MAX], sub[IT_HOST_MAX], enc[128];
    unsigned g0, g1;
    json_t *p;

    it_add_fresh(s, '6', IT_PORT, 1, v6);
    sscanf(v6, "%x:%x", &g0, &g1);
    snprintf(sub, sizeof sub, "%x:%x::/32", g0, g1);
    json_decref(it_ban(s, sub));
    p = it_peer(s, v6, IT_PORT);
    IT_STREQ(IT_JSTR(p, "state"), "banned");
    json_decref(p);
    it_pct(sub, enc, sizeof enc);
    assert_int_equal(it_unban(s, enc), 204);
}

static void test_add_of_banned_address_is_ignored(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], onion[IT_HOST_MAX], body[512];
    it_counts c;

    it_uniq_ipv4(host);
    it_uniq_onion(onion, NULL);
    json_decref(it_ban(s, host));
    json_decref(it_ban(s, onion));
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}, "
             "{\"address\": \"%s:9999\"}]}", host, onion);
    c = it_add_json(s, body, NULL);
    assert_int_equal(c.added, 0);
    assert_int_equal(c.ignored, 2);
    assert_int_equal(c.n_errors, 0);
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
    assert_int_equal(it_peer_status(s, onion, 9999), 404);
    assert_int_equal(it_unban(s, host), 204);
    assert_int_equal(it_unban(s, onion), 204);
}

/* ---- lifting --------------------------------------------------------- */

static void test_unban_subnet_written_with_slash(void **state)
{
    it_server *s = *state;
    json_t *b = it_ban(s, "11.0.0.0/8");

    IT_STREQ(IT_JSTR(b, "target"), "11.0.0.0/8");
    json_decref(b);
    assert_int_equal(it_unban(s, "11.0.0.0/8"), 204);
    assert_null(listed_ban(s, "11.0.0.0/8"));
    assert_int_equal(it_unban(s, "11.0.0.0/8"), 404);
}

static void test_unban_subnet_written_with_encoded_slash(void **state)
{
    it_server *s = *state;

    json_decref(it_ban(s, "11.0.0.0/8"));
    assert_int_equal(it_unban(s, "11.0.0.0%2F8"), 204);
    assert_null(listed_ban(s, "11.0.0.0/8"));
    json_decref(it_ban(s, "11.0.0.0/8"));
    assert_int_equal(it_unban(s, "11.0.0.0%2f8"), 204);
}

static void test_unban_accepts_any_form_of_target(void **state)
{
    it_server *s = *state;

    json_decref(it_ban(s, "11.3.3.3"));
    assert_int_equal(it_unban(s, "11.3.3.3%2F32"), 204);
    json_decref(it_ban(s, "2001:db8::5"));
    assert_int_equal(it_unban(s, "2001%3A0DB8%3A0%3A0%3A%3A5"), 204);
    json_decref(it_ban(s, "11.4.0.0/16"));
    assert_int_equal(it_unban(s, "11.4.9.9/16"), 204);
}

static void test_unban_unknown_is_404_and_garbage_400(void **state)
{
    it_server *s = *state;
    it_resp *r;

    r = it_delete(s, "/v1/bans/11.66.66.66");
    IT_ERROR(r, 404, "not_found");
    it_resp_free(r);
    r = it_delete(s, "/v1/bans/not-a-target");
    IT_ERROR(r, 400, "invalid_address");
    it_resp_free(r);
}

static void test_delete_all_bans_lifts_every_ban(void **state)
{
    it_server *s = *state;
    char hosts[1][IT_HOST_MAX];
    it_resp *r;
    json_t *p;

    it_add_ipv4s(s, 1, 1, hosts);
    json_decref(it_ban(s, "11.5.5.5"));
    json_decref(it_ban(s, "11.6.0.0/16"));
    json_decref(it_ban(s, hosts[0]));
    r = it_delete(s, "/v1/bans");
    IT_STATUS(r, 204);
    it_resp_free(r);
    assert_null(listed_ban(s, "11.5.5.5"));
    assert_null(listed_ban(s, "11.6.0.0/16"));
    if (!s->shared)
        assert_int_equal(ban_count(s), 0);
    p = it_peer(s, hosts[0], IT_PORT);
    IT_STREQ(IT_JSTR(p, "state"), "never_tried");
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, it_fx_setup, it_fx_teardown)
        T(test_list_bans_before_any_ban),
        T(test_ban_single_address_target_is_canonical),
        T(test_ban_subnet_host_bits_cleared),
        T(test_ban_ipv6_targets_are_canonical),
        T(test_ban_onion_i2p_and_cjdns_names),
        T(test_ban_invalid_targets_are_400),
        T(test_ban_invalid_fields_are_400),
        T(test_ban_reason_of_255_bytes_and_longest_duration),
        T(test_ban_duration_and_reason_kept),
        T(test_ban_again_replaces_until_and_reason),
        T(test_ban_expires_after_duration),
        T(test_ban_marks_peer_state_banned),
        T(test_ban_subnet_covers_peers_inside),
        T(test_add_of_banned_address_is_ignored),
        T(test_unban_subnet_written_with_slash),
        T(test_unban_subnet_written_with_encoded_slash),
        T(test_unban_accepts_any_form_of_target),
        T(test_unban_unknown_is_404_and_garbage_400),
        T(test_delete_all_bans_lifts_every_ban),
#undef T
    };

    return IT_RUN(tests);
}
