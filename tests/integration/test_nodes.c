/*
 * test_nodes.c - the shared pool over HTTP, one rule per test: GET
 * /v1/nodes, DELETE /v1/nodes/{name}, lease expiry, exclusive, diverse,
 * node name validation, the node timeout, lease options, feelers, and the
 * per-node stats and metrics.
 *
 * Each test uses its own node names and service bits (it_uniq_services),
 * so it sees only its own peers and nodes even on a shared server; tests
 * that need server options or the whole pool start their own.
 */
#include "it_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

/* ---- helpers --------------------------------------------------------- */

static void sleep_s(double sec)
{
    struct timespec ts = { (time_t)sec, (long)((sec - (time_t)sec) * 1e9) };

    nanosleep(&ts, NULL);
}

static void node_name(char out[32])
{
    snprintf(out, 32, "it-%016" PRIx64, it_rand64());
}

/* POST /v1/select for `node` among the peers with `svc`; `more` adds
 * members (", \"lease_seconds\": 0"). */
static json_t *sel(it_server *s, const char *node, uint64_t svc, int count,
                   const char *more)
{
    char body[512];

    snprintf(body, sizeof body, "{\"node\": \"%s\", \"services\": %" PRIu64
             ", \"count\": %d%s}", node, svc, count, more ? more : "");
    return it_select(s, body);
}

static json_int_t id_at(const json_t *peers, size_t i)
{
    return IT_JINT(json_array_get(peers, i), "id");
}

static long report_status(it_server *s, json_int_t id, const char *state,
                          const char *node_json)
{
    char path[64];
    it_resp *r;
    long st;

    snprintf(path, sizeof path, "/v1/peers/%lld/state", (long long)id);
    r = it_sendf(s, "PUT", path, "{\"state\": \"%s\"%s%s}", state,
                 node_json ? ", \"node\": " : "", node_json ? node_json : "");
    st = r->status;
    if (st == 400)
        IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
    return st;
}

static void report(it_server *s, json_int_t id, const char *state,
                   const char *node)
{
    char quoted[80];

    snprintf(quoted, sizeof quoted, "\"%s\"", node);
    assert_int_equal(report_status(s, id, state, quoted), 200);
}

/* GET /v1/nodes (a new reference), its shape checked. */
static json_t *nodes_get(it_server *s)
{
    it_resp *r = it_get(s, "/v1/nodes");
    json_t *b, *n;
    size_t i;

    IT_STATUS(r, 200);
    b = json_incref(IT_BODY(r));
    it_resp_free(r);
    json_array_foreach(IT_JARR(b, "nodes"), i, n) {
        (void)IT_JSTR(n, "name");
        (void)IT_JARR(n, "connected");
        (void)IT_JARR(n, "leased");
        (void)IT_JINT(n, "last_seen");
        (void)IT_JINT(n, "selects");
    }
    return b;
}

/* The node `name` of a GET /v1/nodes answer (borrowed), or NULL. */
static json_t *node_in(const json_t *answer, const char *name)
{
    json_t *n;
    size_t i;

    json_array_foreach(json_object_get(answer, "nodes"), i, n)
        if (strcmp(json_string_value(json_object_get(n, "name")), name) == 0)
            return n;
    return NULL;
}

static int has_id(const json_t *ids, json_int_t id)
{
    json_t *v;
    size_t i;

    json_array_foreach(ids, i, v)
        if (json_integer_value(v) == id)
            return 1;
    return 0;
}

/* The node's connected (which 0) or leased (1) ids; asserts it is listed. */
static json_t *node_ids(it_server *s, const char *name, int which)
{
    json_t *all = nodes_get(s), *n = node_in(all, name), *ids;

    if (n == NULL)
        fail_msg("node %s is not in GET /v1/nodes", name);
    ids = json_incref(IT_JARR(n, which ? "leased" : "connected"));
    json_decref(all);
    return ids;
}

static int node_listed(it_server *s, const char *name)
{
    json_t *all = nodes_get(s);
    int listed = node_in(all, name) != NULL;

    json_decref(all);
    return listed;
}

static void same16(const char *a, const char *b, int *same)
{
    unsigned a0, a1, b0, b1;

    sscanf(a, "%u.%u", &a0, &a1);
    sscanf(b, "%u.%u", &b0, &b1);
    *same = a0 == b0 && a1 == b1;
}

/* n peers with `svc`, each in a /16 of its own. */
static void add_distinct(it_server *s, size_t n, uint64_t svc,
                         char (*hosts)[IT_HOST_MAX])
{
    size_t i, j;
    int same, tries = 0;

    for (i = 0; i < n;) {
        do {
            it_uniq_ipv4(hosts[i]);
            same = 0;
            for (j = 0; j < i && !same; j++)
                same16(hosts[i], hosts[j], &same);
        } while (same);
        if (it_try_add(s, hosts[i], IT_PORT, svc, NULL, NULL)) {
            i++;
            tries = 0;
        } else if (++tries > IT_FRESH_TRIES) {
            fail_msg("%d fresh addresses in a row ignored", tries);
        }
    }
}

/*
 * n peers with `svc`, all in one /16.  Each is told by a source of its own:
 * peers of one group that are their own source share one new bucket, where
 * two may want the same slot (the second is ignored); then another host is
 * drawn.
 */
static void add_one_group(it_server *s, size_t n, uint64_t svc,
                          char (*hosts)[IT_HOST_MAX])
{
    char src[IT_HOST_MAX], body[512];
    unsigned a, b;
    size_t i = 0;
    int tries = 0;

    it_uniq_ipv4(hosts[0]);
    sscanf(hosts[0], "%u.%u", &a, &b);
    while (i < n) {
        it_counts c;

        if (tries++ > 100)
            fail_msg("could not add %zu peers to %u.%u.0.0/16", n, a, b);
        snprintf(hosts[i], IT_HOST_MAX, "%u.%u.%u.%u", a, b,
                 (unsigned)(it_rand64() % 256), 1u + (unsigned)(it_rand64() % 254));
        it_uniq_ipv4(src);
        snprintf(body, sizeof body, "{\"source\": \"%s\", \"peers\": [{"
                 "\"address\": \"%s\", \"services\": %" PRIu64 "}]}",
                 src, hosts[i], svc);
        c = it_add_json(s, body, NULL);
        assert_int_equal(c.n_errors, 0);
        if (c.added == 1)
            i++;
    }
}

static void expect_select_400(it_server *s, const char *body)
{
    it_resp *r = it_send(s, "POST", "/v1/select", body);

    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
}

static void expect_delete(it_server *s, const char *raw_name, long status)
{
    char path[IT_PATH_MAX];
    it_resp *r;

    snprintf(path, sizeof path, "/v1/nodes/%s", raw_name);
    r = it_delete(s, path);
    if (status == 204) {
        IT_STATUS(r, 204);
    } else {
        IT_ERROR(r, status, status == 404 ? "not_found" : "bad_request");
    }
    it_resp_free(r);
}

/* ---- GET /v1/nodes --------------------------------------------------- */

static void test_nodes_list_connected_and_leased(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[3][IT_HOST_MAX], node[32];
    json_int_t before = it_now(), ids[3];
    json_t *peers, *all, *n, *leased;
    size_t i;

    node_name(node);
    add_distinct(s, 3, svc, hosts);
    peers = sel(s, node, svc, 3, NULL);
    assert_int_equal(json_array_size(peers), 3);
    for (i = 0; i < 3; i++)
        ids[i] = id_at(peers, i);
    json_decref(peers);
    report(s, ids[0], "connected", node);
    report(s, ids[1], "failed", node);
    all = nodes_get(s);
    n = node_in(all, node);
    assert_non_null(n);
    assert_int_equal(json_array_size(IT_JARR(n, "connected")), 1);
    assert_true(has_id(IT_JARR(n, "connected"), ids[0]));
    leased = IT_JARR(n, "leased");
    assert_int_equal(json_array_size(leased), 1);
    assert_true(has_id(leased, ids[2]));
    assert_true(IT_JINT(n, "last_seen") >= before);
    assert_true(IT_JINT(n, "last_seen") <= it_now());
    assert_int_equal(IT_JINT(n, "selects"), 1);
    json_decref(all);
    report(s, ids[0], "disconnected", node);
    leased = node_ids(s, node, 0);
    assert_int_equal(json_array_size(leased), 0);
    json_decref(leased);
}

static void test_nodes_listed_in_name_order(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char base[32], names[3][40];
    json_t *all, *n;
    const char *prev = "";
    size_t i;

    node_name(base);
    snprintf(names[0], sizeof names[0], "%s-b", base);
    snprintf(names[1], sizeof names[1], "%s-c", base);
    snprintf(names[2], sizeof names[2], "%s-a", base);
    for (i = 0; i < 3; i++)
        json_decref(sel(s, names[i], svc, 1, NULL));
    all = nodes_get(s);
    json_array_foreach(IT_JARR(all, "nodes"), i, n) {
        assert_true(strcmp(prev, IT_JSTR(n, "name")) < 0);
        prev = IT_JSTR(n, "name");
    }
    for (i = 0; i < 3; i++)
        assert_non_null(node_in(all, names[i]));
    json_decref(all);
}

/* ---- DELETE /v1/nodes/{name} ----------------------------------------- */

static void test_delete_node_ends_leases_and_connections(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[2][IT_HOST_MAX], a[32], b[32], table[8];
    json_t *peers, *p;
    json_int_t connected;

    node_name(a);
    node_name(b);
    add_distinct(s, 2, svc, hosts);
    peers = sel(s, a, svc, 2, ", \"lease_seconds\": 3600");
    assert_int_equal(json_array_size(peers), 2);
    connected = id_at(peers, 0);
    json_decref(peers);
    report(s, connected, "connected", a);
    /* In a shared pool its tried slot may be held by another test's peer (a
     * collision): then it is still in the new table. */
    p = it_peer_id(s, connected);
    snprintf(table, sizeof table, "%s",
             s->shared ? IT_JSTR(p, "table") : "tried");
    json_decref(p);
    /* Held by a: an exclusive select of b gets nothing. */
    peers = sel(s, b, svc, 2, ", \"exclusive\": true, \"lease_seconds\": 0");
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
    expect_delete(s, a, 204);
    assert_false(node_listed(s, a));
    expect_delete(s, a, 404);
    peers = sel(s, b, svc, 2, ", \"exclusive\": true");
    assert_int_equal(json_array_size(peers), 2);
    json_decref(peers);
    /* The peer stays tried. */
    p = it_peer_id(s, connected);
    IT_STREQ(IT_JSTR(p, "table"), table);
    json_decref(p);
}

static void test_delete_unknown_node_is_404(void **state)
{
    it_server *s = *state;
    char a[32];

    node_name(a);
    expect_delete(s, a, 404);
}

static void test_delete_peer_leaves_every_node(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[2][IT_HOST_MAX], a[32], path[64];
    json_t *peers, *ids;
    json_int_t leased, connected;
    it_resp *r;

    node_name(a);
    add_distinct(s, 2, svc, hosts);
    peers = sel(s, a, svc, 2, NULL);
    assert_int_equal(json_array_size(peers), 2);
    connected = id_at(peers, 0);
    leased = id_at(peers, 1);
    json_decref(peers);
    report(s, connected, "connected", a);
    snprintf(path, sizeof path, "/v1/peers/%lld", (long long)leased);
    r = it_delete(s, path);
    IT_STATUS(r, 204);
    it_resp_free(r);
    snprintf(path, sizeof path, "/v1/peers/%lld", (long long)connected);
    r = it_delete(s, path);
    IT_STATUS(r, 204);
    it_resp_free(r);
    ids = node_ids(s, a, 1);
    assert_int_equal(json_array_size(ids), 0);
    json_decref(ids);
    ids = node_ids(s, a, 0);
    assert_int_equal(json_array_size(ids), 0);
    json_decref(ids);
}

/* ---- leases ---------------------------------------------------------- */

static void test_lease_keeps_peer_from_other_nodes_until_it_expires(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[1][IT_HOST_MAX], a[32], b[32];
    json_t *peers, *ids;
    json_int_t id;

    node_name(a);
    node_name(b);
    add_distinct(s, 1, svc, hosts);
    /* Two seconds: the server counts whole seconds of a coarse clock, so
     * a one-second lease can end a moment after it was given. */
    peers = sel(s, a, svc, 1, ", \"lease_seconds\": 2");
    assert_int_equal(json_array_size(peers), 1);
    id = id_at(peers, 0);
    json_decref(peers);
    ids = node_ids(s, a, 1);
    assert_true(has_id(ids, id));
    json_decref(ids);
    peers = sel(s, b, svc, 1, NULL);
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
    /* Nor again to a while its lease lasts. */
    peers = sel(s, a, svc, 1, ", \"diverse\": false");
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
    sleep_s(3.1);
    ids = node_ids(s, a, 1);
    assert_int_equal(json_array_size(ids), 0);
    json_decref(ids);
    peers = sel(s, b, svc, 1, NULL);
    assert_int_equal(json_array_size(peers), 1);
    assert_int_equal(id_at(peers, 0), id);
    json_decref(peers);
}

static void test_report_ends_lease(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[1][IT_HOST_MAX], a[32], b[32];
    json_t *peers;
    json_int_t id;

    node_name(a);
    node_name(b);
    add_distinct(s, 1, svc, hosts);
    peers = sel(s, a, svc, 1, ", \"lease_seconds\": 3600");
    id = id_at(peers, 0);
    json_decref(peers);
    /* Another node's report does not end a's lease. */
    report(s, id, "tried", b);
    peers = sel(s, b, svc, 1, NULL);
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
    report(s, id, "disconnected", a);
    peers = sel(s, b, svc, 1, NULL);
    assert_int_equal(json_array_size(peers), 1);
    json_decref(peers);
}

static void test_zero_lease_is_a_pure_read(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[1][IT_HOST_MAX], a[32], b[32];
    json_t *peers, *ids;

    node_name(a);
    node_name(b);
    add_distinct(s, 1, svc, hosts);
    peers = sel(s, a, svc, 1, ", \"lease_seconds\": 0");
    assert_int_equal(json_array_size(peers), 1);
    json_decref(peers);
    ids = node_ids(s, a, 1);
    assert_int_equal(json_array_size(ids), 0);
    json_decref(ids);
    peers = sel(s, b, svc, 1, NULL);
    assert_int_equal(json_array_size(peers), 1);
    json_decref(peers);
}

static void test_lease_over_the_maximum_is_400(void **state)
{
    it_server *s = *state;

    expect_select_400(s, "{\"lease_seconds\": 3601}");
    expect_select_400(s, "{\"lease_seconds\": -1}");
    expect_select_400(s, "{\"lease_seconds\": \"60\"}");
    expect_select_400(s, "{\"lease_seconds\": 1.5}");
}

static void test_lease_options(void **state)
{
    static const char *const args[] = { "--enable-debug", "--default-lease",
                                         "0", "--max-lease", "10", NULL };
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[1][IT_HOST_MAX];
    json_t *peers, *ids;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    add_distinct(s, 1, svc, hosts);
    expect_select_400(s, "{\"lease_seconds\": 11}");
    /* The default is no lease: b gets what a got. */
    peers = sel(s, "a", svc, 1, NULL);
    assert_int_equal(json_array_size(peers), 1);
    json_decref(peers);
    ids = node_ids(s, "a", 1);
    assert_int_equal(json_array_size(ids), 0);
    json_decref(ids);
    peers = sel(s, "b", svc, 1, ", \"lease_seconds\": 10");
    assert_int_equal(json_array_size(peers), 1);
    json_decref(peers);
    peers = sel(s, "a", svc, 1, NULL);
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
}

static void test_lease_options_are_checked(void **state)
{
    static const char *const both[] = { ADDRMAND_BIN, "--default-lease", "20",
                                         "--max-lease", "10", "--help", NULL };
    static const char *const bad[] = { ADDRMAND_BIN, "--node-timeout", "0",
                                        "--help", NULL };
    static const char *const env[] = { "ADDRMAND_MAX_LEASE=5", NULL };
    static const char *const by_env[] = { ADDRMAND_BIN, "--help", NULL };
    char out[2048];
    int st;

    (void)state;
    st = it_run(both, NULL, 10000, out, sizeof out);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    assert_non_null(strstr(out, "default-lease"));
    st = it_run(bad, NULL, 10000, out, sizeof out);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    assert_non_null(strstr(out, "node-timeout"));
    /* The default lease (120) is above a max-lease of 5 from the env. */
    st = it_run(by_env, env, 10000, out, sizeof out);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    assert_non_null(strstr(out, "max-lease"));
}

/* ---- exclusive and diverse ------------------------------------------- */

static void test_exclusive_leaves_out_peers_connected_anywhere(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[1][IT_HOST_MAX], a[32], b[32];
    json_t *peers;
    json_int_t id;

    node_name(a);
    node_name(b);
    add_distinct(s, 1, svc, hosts);
    peers = sel(s, a, svc, 1, NULL);
    id = id_at(peers, 0);
    json_decref(peers);
    report(s, id, "connected", a);
    /* Never to a again; to b, unless b asks for exclusive. */
    peers = sel(s, a, svc, 1, ", \"lease_seconds\": 0");
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
    peers = sel(s, b, svc, 1, ", \"lease_seconds\": 0");
    assert_int_equal(json_array_size(peers), 1);
    json_decref(peers);
    peers = sel(s, b, svc, 1, ", \"exclusive\": true");
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
    report(s, id, "disconnected", a);
    peers = sel(s, b, svc, 1, ", \"exclusive\": true");
    assert_int_equal(json_array_size(peers), 1);
    assert_int_equal(id_at(peers, 0), id);
    json_decref(peers);
}

static void test_diverse_false_allows_one_group(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[3][IT_HOST_MAX], a[32];
    json_t *peers;

    node_name(a);
    add_one_group(s, 3, svc, hosts);
    peers = sel(s, a, svc, 3, ", \"lease_seconds\": 0");
    assert_int_equal(json_array_size(peers), 1);
    json_decref(peers);
    peers = sel(s, a, svc, 3, ", \"lease_seconds\": 0, \"diverse\": false");
    assert_int_equal(json_array_size(peers), 3);
    json_decref(peers);
    /* The node's own lease takes the group: nothing more unless diverse
     * is off. */
    peers = sel(s, a, svc, 3, NULL);
    assert_int_equal(json_array_size(peers), 1);
    json_decref(peers);
    peers = sel(s, a, svc, 3, NULL);
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
    peers = sel(s, a, svc, 3, ", \"diverse\": false");
    assert_int_equal(json_array_size(peers), 2);
    json_decref(peers);
}

static void test_diverse_spreads_over_groups(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char g1[4][IT_HOST_MAX], g2[4][IT_HOST_MAX], a[32];
    json_t *peers, *p;
    int from1 = 0, from2 = 0;
    size_t i;

    node_name(a);
    add_one_group(s, 4, svc, g1);
    add_one_group(s, 4, svc, g2);
    peers = sel(s, a, svc, 8, NULL);
    assert_int_equal(json_array_size(peers), 2);
    json_array_foreach(peers, i, p) {
        int same;

        same16(IT_JSTR(p, "address"), g1[0], &same);
        from1 += same;
        same16(IT_JSTR(p, "address"), g2[0], &same);
        from2 += same;
    }
    assert_int_equal(from1, 1);
    assert_int_equal(from2, 1);
    json_decref(peers);
}

/* ---- names ----------------------------------------------------------- */

static void test_node_names_are_validated(void **state)
{
    static const char *const bad[] = {
        "\"bad name\"", "\"\"", "\"a/b\"", "\"caf\\u00e9\"", "\"tab\\t\"",
        "5", "true", "[\"a\"]",
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
        NULL };
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[1][IT_HOST_MAX], body[256], long_ok[65];
    json_t *p, *peers;
    json_int_t id;
    size_t i;

    add_distinct(s, 1, svc, hosts);
    p = it_peer(s, hosts[0], IT_PORT);
    id = IT_JINT(p, "id");
    json_decref(p);
    for (i = 0; bad[i] != NULL; i++) {
        snprintf(body, sizeof body, "{\"node\": %s}", bad[i]);
        expect_select_400(s, body);
        assert_int_equal(report_status(s, id, "connected", bad[i]), 400);
    }
    /* Refused reports changed nothing. */
    p = it_peer_id(s, id);
    IT_STREQ(IT_JSTR(p, "state"), "never_tried");
    json_decref(p);
    expect_delete(s, "bad%20name", 400);
    expect_delete(s, "a%2Fb", 400);
    expect_delete(s, "caf%C3%A9", 400);
    expect_delete(s, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                  400);
    /* 64 characters of every kind allowed are fine (7 + 33 + 16 + 8). */
    snprintf(long_ok, sizeof long_ok, "Az09._-%033d%016" PRIx64 "qqqqqqqq", 0,
             it_rand64());
    assert_int_equal(strlen(long_ok), 64);
    peers = sel(s, long_ok, svc, 1, ", \"lease_seconds\": 0");
    assert_int_equal(json_array_size(peers), 1);
    json_decref(peers);
    assert_true(node_listed(s, long_ok));
    expect_delete(s, long_ok, 204);
}

static void test_requests_without_name_act_as_default(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[1][IT_HOST_MAX], body[128];
    json_t *peers, *ids;
    json_int_t id;

    it_need_own(s);
    add_distinct(s, 1, svc, hosts);
    snprintf(body, sizeof body, "{\"services\": %" PRIu64 "}", svc);
    peers = it_select(s, body);
    assert_int_equal(json_array_size(peers), 1);
    id = id_at(peers, 0);
    json_decref(peers);
    ids = node_ids(s, "default", 1);
    assert_true(has_id(ids, id));
    json_decref(ids);
    assert_int_equal(report_status(s, id, "connected", NULL), 200);
    ids = node_ids(s, "default", 0);
    assert_true(has_id(ids, id));
    json_decref(ids);
}

/* ---- node timeout ---------------------------------------------------- */

static void test_silent_node_is_dropped(void **state)
{
    static const char *const args[] = { "--enable-debug", "--node-timeout",
                                         "2", NULL };
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[2][IT_HOST_MAX];
    json_t *peers, *p;
    json_int_t connected;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    add_distinct(s, 2, svc, hosts);
    peers = sel(s, "crashy", svc, 2, ", \"lease_seconds\": 3600");
    assert_int_equal(json_array_size(peers), 2);
    connected = id_at(peers, 0);
    json_decref(peers);
    report(s, connected, "connected", "crashy");
    assert_true(node_listed(s, "crashy"));
    sleep_s(3.2);
    assert_false(node_listed(s, "crashy"));
    it_check_debug(s);
    /* Its leases ended and its connection is forgotten. */
    peers = sel(s, "other", svc, 2, ", \"exclusive\": true");
    assert_int_equal(json_array_size(peers), 2);
    json_decref(peers);
    p = it_peer_id(s, connected);
    IT_STREQ(IT_JSTR(p, "table"), "tried");
    json_decref(p);
    /* A name coming back starts clean. */
    peers = sel(s, "crashy", svc, 2, ", \"lease_seconds\": 0");
    json_decref(peers);
    peers = node_ids(s, "crashy", 0);
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
}

/* ---- feeler ---------------------------------------------------------- */

static void test_feeler_is_leased_too(void **state)
{
    it_server *s = *state;
    char hosts[1][IT_HOST_MAX];
    json_t *peers;

    it_need_own(s);
    add_distinct(s, 1, 1, hosts);
    peers = it_select(s, "{\"feeler\": true, \"node\": \"f1\"}");
    assert_int_equal(json_array_size(peers), 1);
    json_decref(peers);
    peers = it_select(s, "{\"feeler\": true, \"node\": \"f2\"}");
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
    peers = it_select(s, "{\"node\": \"f2\"}");
    assert_int_equal(json_array_size(peers), 0);
    json_decref(peers);
}

/* ---- stats and metrics ----------------------------------------------- */

static void expect_metric(const char *text, const char *family,
                          const char *node, long value)
{
    char line[160];

    snprintf(line, sizeof line, "\n%s{node=\"%s\"} %ld\n", family, node, value);
    if (strstr(text, line) == NULL)
        fail_msg("/metrics has no line '%s'", line + 1);
}

static void test_stats_and_metrics_per_node(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[3][IT_HOST_MAX], a[32];
    json_t *peers, *st, *n;
    it_resp *r;

    node_name(a);
    add_distinct(s, 3, svc, hosts);
    peers = sel(s, a, svc, 2, NULL);
    assert_int_equal(json_array_size(peers), 2);
    report(s, id_at(peers, 0), "connected", a);
    json_decref(peers);
    json_decref(sel(s, a, svc, 1, ", \"lease_seconds\": 0"));
    st = it_stats(s);
    n = IT_JOBJ(IT_JOBJ(st, "nodes"), a);
    assert_int_equal(IT_JINT(n, "connected"), 1);
    assert_int_equal(IT_JINT(n, "leased"), 1);
    assert_int_equal(IT_JINT(n, "selects"), 2);
    json_decref(st);
    r = it_get(s, "/metrics");
    IT_STATUS(r, 200);
    expect_metric(r->body, "addrmand_node_connected", a, 1);
    expect_metric(r->body, "addrmand_node_leased", a, 1);
    expect_metric(r->body, "addrmand_node_selects_total", a, 2);
    assert_non_null(strstr(r->body, "# TYPE addrmand_node_selects_total counter\n"));
    assert_non_null(strstr(r->body, "# TYPE addrmand_node_leased gauge\n"));
    assert_true(it_metric_sum(r->body, "addrmand_nodes") >= 1);
    it_resp_free(r);
}

/* ---- restart --------------------------------------------------------- */

static void test_restart_starts_every_node_clean(void **state)
{
    char dir[] = "/tmp/addrmand-nodes-XXXXXX", query[64];
    const char *const args[] = { "--enable-debug", "--datadir", dir, NULL };
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[2][IT_HOST_MAX];
    json_t *peers, *all;
    size_t known;

    it_need_own(s);
    assert_non_null(mkdtemp(dir));
    it_start(s, args, NULL, 1);
    add_distinct(s, 2, svc, hosts);
    peers = sel(s, "a", svc, 2, ", \"lease_seconds\": 3600");
    assert_int_equal(json_array_size(peers), 2);
    report(s, id_at(peers, 0), "connected", "a");
    json_decref(peers);
    it_close(s);
    it_start(s, args, NULL, 1);
    all = nodes_get(s);
    assert_int_equal(json_array_size(IT_JARR(all, "nodes")), 0);
    json_decref(all);
    /* Whatever peers the data directory kept, no lease or connection
     * pins them: another node may have them all, exclusively. */
    snprintf(query, sizeof query, "services=%" PRIu64, svc);
    known = it_count_peers(s, query);
    peers = sel(s, "b", svc, 2, ", \"exclusive\": true");
    assert_int_equal(json_array_size(peers), known);
    json_decref(peers);
    it_close(s);
    it_rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, it_fx_setup, it_fx_teardown)
#define TOWN(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)
        T(test_nodes_list_connected_and_leased),
        T(test_nodes_listed_in_name_order),
        T(test_delete_node_ends_leases_and_connections),
        T(test_delete_unknown_node_is_404),
        T(test_delete_peer_leaves_every_node),
        T(test_lease_keeps_peer_from_other_nodes_until_it_expires),
        T(test_report_ends_lease),
        T(test_zero_lease_is_a_pure_read),
        T(test_lease_over_the_maximum_is_400),
        TOWN(test_lease_options),
        cmocka_unit_test(test_lease_options_are_checked),
        T(test_exclusive_leaves_out_peers_connected_anywhere),
        T(test_diverse_false_allows_one_group),
        T(test_diverse_spreads_over_groups),
        T(test_node_names_are_validated),
        T(test_requests_without_name_act_as_default),
        TOWN(test_silent_node_is_dropped),
        T(test_feeler_is_leased_too),
        T(test_stats_and_metrics_per_node),
        TOWN(test_restart_starts_every_node_clean),
#undef T
#undef TOWN
    };

    return IT_RUN(tests);
}
