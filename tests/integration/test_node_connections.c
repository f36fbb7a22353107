/*
 * test_node_connections.c - a peer's `connected` state when several nodes
 * share it: it stays connected while any node holds a connection, and goes
 * back to tried when the last one ends, whether by the node's report, by
 * DELETE /v1/nodes/{name} or by the node timeout.
 *
 * Each test uses its own peer and node names, so it runs on a shared
 * server too, except the timeout test, which needs its own.
 */
#include "it_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void node_name(char out[32])
{
    snprintf(out, 32, "nc-%016" PRIx64, it_rand64());
}

/* One fresh peer: its host into host, its id returned. */
static json_int_t fresh_peer(it_server *s, char host[IT_HOST_MAX])
{
    json_t *p;
    json_int_t id;

    it_add_fresh(s, '4', IT_PORT, 1, host);
    p = it_peer(s, host, IT_PORT);
    id = IT_JINT(p, "id");
    json_decref(p);
    return id;
}

/* PUT the state as `node`: asserts 200, returns the state answered. */
static void report(it_server *s, json_int_t id, const char *state,
                   const char *node, const char *want)
{
    char path[64];
    it_resp *r;
    json_t *b;

    snprintf(path, sizeof path, "/v1/peers/%lld/state", (long long)id);
    r = it_sendf(s, "PUT", path, "{\"state\": \"%s\", \"node\": \"%s\"}",
                 state, node);
    IT_STATUS(r, 200);
    b = IT_BODY(r);
    IT_STREQ(IT_JSTR(b, "state"), want);
    it_resp_free(r);
}

static void state_is(it_server *s, json_int_t id, const char *want)
{
    json_t *p = it_peer_id(s, id);

    IT_STREQ(IT_JSTR(p, "state"), want);
    json_decref(p);
}

static void test_disconnect_of_one_node_keeps_peer_connected_for_another(
    void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], a[32], b[32];
    json_int_t id = fresh_peer(s, host);

    node_name(a);
    node_name(b);
    report(s, id, "connected", a, "connected");
    report(s, id, "connected", b, "connected");
    report(s, id, "disconnected", a, "connected");
    state_is(s, id, "connected");
    report(s, id, "disconnected", b, "tried");
    state_is(s, id, "tried");
}

static void test_disconnect_by_a_node_never_connected_keeps_peer_connected(
    void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], a[32], b[32];
    json_int_t id = fresh_peer(s, host);

    node_name(a);
    node_name(b);
    report(s, id, "connected", a, "connected");
    report(s, id, "disconnected", b, "connected");
    report(s, id, "disconnected", a, "tried");
}

static void test_deleting_a_node_ends_its_last_connections(void **state)
{
    it_server *s = *state;
    char h1[IT_HOST_MAX], h2[IT_HOST_MAX], a[32], b[32], path[64];
    json_int_t only_a = fresh_peer(s, h1), both = fresh_peer(s, h2);
    it_resp *r;

    node_name(a);
    node_name(b);
    report(s, only_a, "connected", a, "connected");
    report(s, both, "connected", a, "connected");
    report(s, both, "connected", b, "connected");
    snprintf(path, sizeof path, "/v1/nodes/%s", a);
    r = it_delete(s, path);
    IT_STATUS(r, 204);
    it_resp_free(r);
    state_is(s, only_a, "tried");
    state_is(s, both, "connected");
    report(s, both, "disconnected", b, "tried");
}

static void test_timed_out_node_ends_its_last_connections(void **state)
{
    static const char *const args[] = { "--enable-debug", "--node-timeout",
                                         "1", NULL };
    struct timespec pause = { 2, 200000000L };
    it_server *s = *state;
    char host[IT_HOST_MAX], a[32];
    json_int_t id;
    it_resp *r;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    id = fresh_peer(s, host);
    node_name(a);
    report(s, id, "connected", a, "connected");
    nanosleep(&pause, NULL);
    /* Any call into the pool notices the silent node. */
    r = it_get(s, "/v1/nodes");
    IT_STATUS(r, 200);
    it_resp_free(r);
    state_is(s, id, "tried");
    it_check_debug(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_disconnect_of_one_node_keeps_peer_connected_for_another,
            it_fx_setup, it_fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_disconnect_by_a_node_never_connected_keeps_peer_connected,
            it_fx_setup, it_fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_deleting_a_node_ends_its_last_connections,
            it_fx_setup, it_fx_teardown),
        cmocka_unit_test_setup_teardown(
            test_timed_out_node_ends_its_last_connections,
            it_fx_setup_none, it_fx_teardown),
    };

    return IT_RUN(tests);
}
