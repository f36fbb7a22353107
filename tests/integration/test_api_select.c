/*
 * test_api_select.c - POST /v1/select (services, networks, count, feeler,
 * bans, retry time, validation) and GET /v1/addresses (relay samples).
 *
 * Each test tags its peers with service bits no other test uses, so a
 * select or sample filtered on them sees only this test's peers even on a
 * shared server.  There the selects also name a node of the test's own:
 * the default node is everybody's, and its leases and connections (diverse
 * selection) would keep peers of the same groups as ours out.
 */
#include "it_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers --------------------------------------------------------- */

/* A select that leases nothing (a pure read): for tests that look at the
 * same few peers again and again. */
#define NO_LEASE ", \"lease_seconds\": 0"

/* ", \"node\": \"...\"" on a shared server, "" on ours. */
static char own_node[64];

static int fx_setup(void **state)
{
    int rc = it_fx_setup(state);
    const it_server *s = *state;

    own_node[0] = '\0';
    if (s != NULL && s->shared)
        snprintf(own_node, sizeof own_node, ", \"node\": \"it-%016" PRIx64 "\"",
                 it_rand64());
    return rc;
}

static json_t *select_svc(it_server *s, uint64_t svc, int count,
                          const char *more)
{
    char body[512];

    snprintf(body, sizeof body, "{\"services\": %" PRIu64 ", \"count\": %d%s%s}",
             svc, count, more ? more : "",
             more && strstr(more, "\"node\"") ? "" : own_node);
    return it_select(s, body);
}

/* Every peer of `peers` is distinct and among hosts[0..n) (port 8333). */
static void expect_subset(const json_t *peers, char (*hosts)[IT_HOST_MAX],
                          size_t n)
{
    size_t i, j, k;
    json_t *p, *q;

    json_array_foreach(peers, i, p) {
        for (k = 0; k < n; k++)
            if (strcmp(IT_JSTR(p, "address"), hosts[k]) == 0)
                break;
        if (k == n)
            fail_msg("select returned a foreign peer %s", IT_JSTR(p, "address"));
        json_array_foreach(peers, j, q)
            if (j != i && IT_JINT(q, "id") == IT_JINT(p, "id"))
                fail_msg("select returned peer %lld twice",
                         (long long)IT_JINT(p, "id"));
    }
}

static void expect_select_error(it_server *s, const char *body)
{
    it_resp *r = it_send(s, "POST", "/v1/select", body);

    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
}

static void sleep_s(double sec)
{
    struct timespec ts = { (time_t)sec, (long)((sec - (time_t)sec) * 1e9) };

    nanosleep(&ts, NULL);
}

/* ---- select ---------------------------------------------------------- */

static void test_select_returns_only_peers_with_required_services(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[3][IT_HOST_MAX], other[1][IT_HOST_MAX];
    json_t *peers;

    it_add_ipv4s(s, 3, svc, hosts);
    it_add_ipv4s(s, 1, svc & ~(uint64_t)1, other);
    peers = select_svc(s, svc, 10, NULL);
    assert_int_equal(json_array_size(peers), 3);
    expect_subset(peers, hosts, 3);
    json_decref(peers);
}

static void test_select_filters_by_network(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char h[3][IT_HOST_MAX];
    json_t *peers;

    it_add_fresh(s, '4', IT_PORT, svc, h[0]);
    it_add_fresh(s, 'o', IT_PORT, svc, h[1]);
    it_add_fresh(s, 'i', IT_PORT, svc, h[2]);
    peers = select_svc(s, svc, 10, ", \"networks\": [\"torv3\"]");
    assert_int_equal(json_array_size(peers), 1);
    IT_STREQ(IT_JSTR(json_array_get(peers, 0), "address"), h[1]);
    IT_STREQ(IT_JSTR(json_array_get(peers, 0), "network"), "torv3");
    json_decref(peers);
    peers = select_svc(s, svc, 10, ", \"networks\": [\"ipv4\", \"i2p\"]");
    assert_int_equal(json_array_size(peers), 2);
    assert_int_equal(it_find(peers, h[1], IT_PORT), -1);
    json_decref(peers);
    peers = select_svc(s, svc, 10, ", \"networks\": [\"cjdns\"]");
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
}

static void test_select_count_limits_answer(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[5][IT_HOST_MAX], body[128];
    json_t *peers;

    /* Pure reads (no lease), so that each select sees all five. */
    it_add_ipv4s(s, 5, svc, hosts);
    peers = select_svc(s, svc, 3, NO_LEASE);
    assert_int_equal(json_array_size(peers), 3);
    expect_subset(peers, hosts, 5);
    json_decref(peers);
    peers = select_svc(s, svc, 1000, NO_LEASE);
    assert_int_equal(json_array_size(peers), 5);
    expect_subset(peers, hosts, 5);
    json_decref(peers);
    snprintf(body, sizeof body, "{\"services\": %" PRIu64
             ", \"lease_seconds\": 0%s}", svc, own_node);
    peers = it_select(s, body);
    assert_int_equal(json_array_size(peers), 1);
    expect_subset(peers, hosts, 5);
    json_decref(peers);
}

static void test_select_count_out_of_range_is_400(void **state)
{
    it_server *s = *state;

    expect_select_error(s, "{\"count\": 0}");
    expect_select_error(s, "{\"count\": 1001}");
    expect_select_error(s, "{\"count\": -1}");
    expect_select_error(s, "{\"count\": \"1\"}");
}

static void test_select_invalid_fields_are_400(void **state)
{
    it_server *s = *state;

    expect_select_error(s, "{\"networks\": [\"ipv5\"]}");
    expect_select_error(s, "{\"networks\": [\"IPV4\"]}");
    expect_select_error(s, "{\"networks\": []}");
    expect_select_error(s, "{\"networks\": [4]}");
    expect_select_error(s, "{\"feeler\": \"yes\"}");
    expect_select_error(s, "{\"node\": \"bad name\"}");
    expect_select_error(s, "{\"node\": \"\"}");
    expect_select_error(s, "{\"node\": \"nx12345678901234567890123456789012"
                        "3456789012345678901234567890123\"}");
    expect_select_error(s, "{\"lease_seconds\": -1}");
    expect_select_error(s, "{\"lease_seconds\": 86401}");
    expect_select_error(s, "{\"lease_seconds\": 3601}");
    expect_select_error(s, "{\"exclusive\": 1}");
    expect_select_error(s, "{\"diverse\": \"x\"}");
}

static void test_select_accepts_node_lease_exclusive_diverse(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[1][IT_HOST_MAX];
    json_t *peers;

    it_add_ipv4s(s, 1, svc, hosts);
    peers = select_svc(s, svc, 2, ", \"node\": \"node-A.1\", \"lease_seconds\""
                       ": 0, \"exclusive\": false, \"diverse\": true");
    assert_int_equal(json_array_size(peers), 1);
    json_decref(peers);
    json_decref(it_select(s, "{\"node\": \"n1234567890123456789012345678901"
                          "23456789012345678901234567890123\"}"));
    json_decref(it_select(s, "{}"));
    json_decref(it_select(s, NULL));
}

static void test_select_empty_when_nothing_fits(void **state)
{
    it_server *s = *state;
    json_t *peers = select_svc(s, it_uniq_services(), 5, NULL);

    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
}

static void test_select_never_returns_banned_peer(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[2][IT_HOST_MAX];
    json_t *peers;
    int i;

    it_add_ipv4s(s, 2, svc, hosts);
    json_decref(it_ban(s, hosts[0]));
    for (i = 0; i < 20; i++) {
        peers = select_svc(s, svc, 10, NO_LEASE);
        assert_int_equal(json_array_size(peers), 1);
        IT_STREQ(IT_JSTR(json_array_get(peers, 0), "address"), hosts[1]);
        json_decref(peers);
    }
    assert_int_equal(it_unban(s, hosts[0]), 204);
}

static void test_select_unban_makes_peer_selectable_again(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[1][IT_HOST_MAX], sub[IT_HOST_MAX + 8], enc[64];
    unsigned a, b;
    json_t *peers;

    it_add_ipv4s(s, 1, svc, hosts);
    sscanf(hosts[0], "%u.%u", &a, &b);
    snprintf(sub, sizeof sub, "%u.%u.0.0/16", a, b);
    json_decref(it_ban(s, sub));
    peers = select_svc(s, svc, 10, NULL);
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
    it_pct(sub, enc, sizeof enc);
    assert_int_equal(it_unban(s, enc), 204);
    peers = select_svc(s, svc, 10, NULL);
    assert_int_equal(json_array_size(peers), 1);
    IT_STREQ(IT_JSTR(json_array_get(peers, 0), "address"), hosts[0]);
    IT_STREQ(IT_JSTR(json_array_get(peers, 0), "state"), "never_tried");
    json_decref(peers);
}

static void test_select_skips_failed_peer_during_retry_time(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[2][IT_HOST_MAX];
    json_t *peers;

    it_add_ipv4s(s, 2, svc, hosts);
    json_decref(it_set_state(s, hosts[0], IT_PORT, "failed"));
    peers = select_svc(s, svc, 10, NULL);
    assert_int_equal(json_array_size(peers), 1);
    IT_STREQ(IT_JSTR(json_array_get(peers, 0), "address"), hosts[1]);
    json_decref(peers);
}

static void test_select_failed_peer_returns_after_retry_time(void **state)
{
    static const char *const args[] = { "--enable-debug", "--retry-time",
                                         "1", NULL };
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[1][IT_HOST_MAX];
    json_t *peers;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    it_add_ipv4s(s, 1, svc, hosts);
    json_decref(it_set_state(s, hosts[0], IT_PORT, "failed"));
    peers = select_svc(s, svc, 10, NULL);
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
    sleep_s(2.2);
    peers = select_svc(s, svc, 10, NULL);
    assert_int_equal(json_array_size(peers), 1);
    IT_STREQ(IT_JSTR(json_array_get(peers, 0), "address"), hosts[0]);
    json_decref(peers);
}

static void test_select_serves_both_tables(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[2][IT_HOST_MAX];
    json_t *peers;

    it_add_ipv4s(s, 2, svc, hosts);
    json_decref(it_set_state(s, hosts[0], IT_PORT, "tried"));
    peers = select_svc(s, svc, 10, NULL);
    assert_int_equal(json_array_size(peers), 2);
    expect_subset(peers, hosts, 2);
    json_decref(peers);
}

static void test_select_feeler_ignores_services(void **state)
{
    it_server *s = *state;
    char hosts[1][IT_HOST_MAX], body[128];
    json_t *peers;

    it_need_own(s);
    it_add_ipv4s(s, 1, 1, hosts);
    snprintf(body, sizeof body, "{\"feeler\": true, \"services\": %" PRIu64 "}",
             it_uniq_services());
    peers = it_select(s, body);
    assert_int_equal(json_array_size(peers), 1);
    IT_STREQ(IT_JSTR(json_array_get(peers, 0), "address"), hosts[0]);
    json_decref(peers);
}

static void test_select_feeler_is_one_peer_whatever_count(void **state)
{
    it_server *s = *state;
    char hosts[3][IT_HOST_MAX];
    json_t *peers;

    it_add_ipv4s(s, 3, 1, hosts);
    peers = it_select(s, "{\"feeler\": true, \"count\": 5}");
    assert_int_equal(json_array_size(peers), 1);
    if (!s->shared)
        expect_subset(peers, hosts, 3);
    json_decref(peers);
}

static void test_select_feeler_prefers_new_table(void **state)
{
    it_server *s = *state;
    char hosts[2][IT_HOST_MAX];
    json_t *peers;
    int i;

    it_need_own(s);
    it_add_ipv4s(s, 2, 1, hosts);
    json_decref(it_set_state(s, hosts[0], IT_PORT, "tried"));
    for (i = 0; i < 10; i++) {
        peers = it_select(s, "{\"feeler\": true, \"lease_seconds\": 0}");
        assert_int_equal(json_array_size(peers), 1);
        IT_STREQ(IT_JSTR(json_array_get(peers, 0), "address"), hosts[1]);
        IT_STREQ(IT_JSTR(json_array_get(peers, 0), "table"), "new");
        json_decref(peers);
    }
}

static void test_select_feeler_never_returns_banned_peer(void **state)
{
    it_server *s = *state;
    char hosts[1][IT_HOST_MAX];
    json_t *peers;

    it_need_own(s);
    it_add_ipv4s(s, 1, 1, hosts);
    json_decref(it_ban(s, hosts[0]));
    peers = it_select(s, "{\"feeler\": true}");
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
}

static void test_select_on_empty_pool_is_empty(void **state)
{
    it_server *s = *state;
    json_t *peers;

    it_need_own(s);
    peers = it_select(s, "{\"count\": 10}");
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
    peers = it_select(s, "{\"feeler\": true}");
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
}

/* ---- relay: GET /v1/addresses ---------------------------------------- */

static json_t *addresses(it_server *s, const char *query)
{
    char path[256];
    it_resp *r;
    json_t *a, *e;
    size_t i;

    snprintf(path, sizeof path, "/v1/addresses%s%s", query ? "?" : "",
             query ? query : "");
    r = it_get(s, path);
    IT_STATUS(r, 200);
    a = json_incref(IT_JARR(IT_BODY(r), "addresses"));
    it_resp_free(r);
    json_array_foreach(a, i, e) {
        (void)IT_JSTR(e, "address");
        (void)IT_JSTR(e, "network");
        (void)IT_JINT(e, "port");
        (void)IT_JINT(e, "services");
        (void)IT_JINT(e, "time");
    }
    return a;
}

static void test_addresses_sample_has_relay_fields(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[3][IT_HOST_MAX], q[64];
    json_t *a, *e;
    size_t i;

    it_add_ipv4s(s, 3, svc, hosts);
    snprintf(q, sizeof q, "services=%" PRIu64, svc);
    a = addresses(s, q);
    assert_int_equal(json_array_size(a), 3);
    json_array_foreach(a, i, e) {
        IT_STREQ(IT_JSTR(e, "network"), "ipv4");
        assert_int_equal(IT_JINT(e, "port"), IT_PORT);
        assert_int_equal((uint64_t)IT_JINT(e, "services"), svc);
        if (it_find(a, hosts[i], IT_PORT) < 0)
            fail_msg("%s missing from the relay sample", hosts[i]);
    }
    json_decref(a);
}

static void add_many(it_server *s, size_t n)
{
    char body[64 * 1024], host[IT_HOST_MAX];
    size_t i, len;
    it_counts c;

    len = (size_t)snprintf(body, sizeof body, "{\"peers\": [");
    for (i = 0; i < n; i++) {
        it_uniq_ipv4(host);
        len += (size_t)snprintf(body + len, sizeof body - len,
                                "%s{\"address\": \"%s\"}", i ? "," : "", host);
    }
    snprintf(body + len, sizeof body - len, "]}");
    c = it_add_json(s, body, NULL);
    assert_int_equal(c.added + c.ignored, n);
}

static void test_addresses_count_default_and_max_is_1000(void **state)
{
    it_server *s = *state;
    json_t *a;
    int i;
    it_resp *r;

    it_need_own(s);
    for (i = 0; i < 11; i++)
        add_many(s, 100);
    assert_true(it_count_peers(s, NULL) > 1000);
    a = addresses(s, NULL);
    assert_int_equal(json_array_size(a), 1000);
    json_decref(a);
    a = addresses(s, "count=1000");
    assert_int_equal(json_array_size(a), 1000);
    json_decref(a);
    a = addresses(s, "count=5");
    assert_int_equal(json_array_size(a), 5);
    json_decref(a);
    r = it_get(s, "/v1/addresses?count=1001");
    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
    r = it_get(s, "/v1/addresses?count=0");
    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
}

static void test_addresses_filter_by_network(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char v4[IT_HOST_MAX], onion[IT_HOST_MAX], q[128];
    json_t *a;
    it_resp *r;

    it_add_fresh(s, '4', IT_PORT, svc, v4);
    it_add_fresh(s, 'o', IT_PORT, svc, onion);
    snprintf(q, sizeof q, "network=torv3&services=%" PRIu64, svc);
    a = addresses(s, q);
    assert_int_equal(json_array_size(a), 1);
    IT_STREQ(IT_JSTR(json_array_get(a, 0), "address"), onion);
    IT_STREQ(IT_JSTR(json_array_get(a, 0), "network"), "torv3");
    json_decref(a);
    snprintf(q, sizeof q, "network=ipv4,torv3&services=%" PRIu64, svc);
    a = addresses(s, q);
    assert_int_equal(json_array_size(a), 2);
    json_decref(a);
    r = it_get(s, "/v1/addresses?network=bogus");
    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
}

static void test_addresses_leave_out_terrible_peers(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char old[IT_HOST_MAX], fresh[IT_HOST_MAX], body[512], q[64];
    json_t *a;
    it_counts c;
    int tries = 0;

    /* One of the two may be turned away (its slot is held): then both
     * again, with other addresses and service bits. */
    do {
        svc = it_uniq_services();
        it_uniq_ipv4(old);
        it_uniq_ipv4(fresh);
        snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\", "
                 "\"services\": %" PRIu64 ", \"time\": %lld}, "
                 "{\"address\": \"%s\", \"services\": %" PRIu64 "}]}", old,
                 svc, (long long)(it_now() - 40 * 86400), fresh, svc);
        c = it_add_json(s, body, NULL);
    } while (IT_TURNED_AWAY(c.added != 2 && c.ignored > 0, &tries));
    assert_int_equal(c.added, 2);
    snprintf(q, sizeof q, "services=%" PRIu64, svc);
    a = addresses(s, q);
    assert_int_equal(json_array_size(a), 1);
    IT_STREQ(IT_JSTR(json_array_get(a, 0), "address"), fresh);
    json_decref(a);
}

static void test_addresses_leave_out_banned_peers(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[2][IT_HOST_MAX], q[64];
    json_t *a;

    it_add_ipv4s(s, 2, svc, hosts);
    json_decref(it_ban(s, hosts[0]));
    snprintf(q, sizeof q, "services=%" PRIu64, svc);
    a = addresses(s, q);
    assert_int_equal(json_array_size(a), 1);
    IT_STREQ(IT_JSTR(json_array_get(a, 0), "address"), hosts[1]);
    json_decref(a);
    assert_int_equal(it_unban(s, hosts[0]), 204);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, it_fx_teardown)
#define TOWN(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)
        T(test_select_returns_only_peers_with_required_services),
        T(test_select_filters_by_network),
        T(test_select_count_limits_answer),
        T(test_select_count_out_of_range_is_400),
        T(test_select_invalid_fields_are_400),
        T(test_select_accepts_node_lease_exclusive_diverse),
        T(test_select_empty_when_nothing_fits),
        T(test_select_never_returns_banned_peer),
        T(test_select_unban_makes_peer_selectable_again),
        T(test_select_skips_failed_peer_during_retry_time),
        TOWN(test_select_failed_peer_returns_after_retry_time),
        T(test_select_serves_both_tables),
        T(test_select_feeler_ignores_services),
        T(test_select_feeler_is_one_peer_whatever_count),
        T(test_select_feeler_prefers_new_table),
        T(test_select_feeler_never_returns_banned_peer),
        T(test_select_on_empty_pool_is_empty),
        T(test_addresses_sample_has_relay_fields),
        T(test_addresses_count_default_and_max_is_1000),
        T(test_addresses_filter_by_network),
        T(test_addresses_leave_out_terrible_peers),
        T(test_addresses_leave_out_banned_peers),
#undef T
#undef TOWN
    };

    return IT_RUN(tests);
}
