/*
 * test_persist.c - the data directory across restarts: a full pool comes
 * back identical (every field, table and slot, the ban list, the id
 * counter) after SIGTERM (snapshot) and after SIGKILL (journal replay);
 * POST /v1/dump, the persistence figures of /v1/stats and /metrics, the
 * save timer, --fsync always, and one server per directory.
 */
#include "it_persist.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

static const char *const debug_args[] = { "--enable-debug", NULL };

static json_int_t next_id(it_server *s)
{
    json_t *st = it_stats(s);
    json_int_t v = IT_JINT(st, "next_id");

    json_decref(st);
    return v;
}

typedef struct pool_view {
    json_t *peers, *bans;
    json_int_t next_id;
} pool_view;

static void view_take(it_server *s, pool_view *v)
{
    v->peers = it_pool(s, 1);
    v->bans = it_bans(s);
    v->next_id = next_id(s);
}

static void view_free(pool_view *v)
{
    json_decref(v->peers);
    json_decref(v->bans);
}

static void view_same(const pool_view *a, const pool_view *b)
{
    it_same_json(a->peers, b->peers, "peers (fields and places)");
    it_same_json(a->bans, b->bans, "bans");
    assert_int_equal(a->next_id, b->next_id);
}

/* The pool before a restart by `sig` is the pool after it. */
static void expect_round_trip_args(it_server *s, int sig,
                                   const char *const *args)
{
    pool_view before, after;

    view_take(s, &before);
    it_pool_unconnected(before.peers);
    it_bounce(s, sig, args);
    view_take(s, &after);
    view_same(&before, &after);
    view_free(&before);
    view_free(&after);
}

static void expect_round_trip(it_server *s, int sig)
{
    expect_round_trip_args(s, sig, debug_args);
}

static void check_filled(it_server *s)
{
    json_t *st = it_stats(s);
    json_t *tables = IT_JOBJ(st, "tables"), *nets = IT_JOBJ(st, "networks");
    static const char *const names[] = { "ipv4", "ipv6", "torv3", "i2p",
                                         "cjdns" };

    assert_true(IT_JINT(IT_JOBJ(tables, "tried"), "peers") > 0);
    assert_true(IT_JINT(IT_JOBJ(tables, "new"), "peers") > 0);
    for (size_t i = 0; i < 5; i++)
        assert_true(IT_JINT(IT_JOBJ(nets, names[i]), "total") > 0);
    assert_true(IT_JINT(IT_JOBJ(st, "states"), "banned") > 0);
    assert_true(IT_JINT(IT_JOBJ(st, "states"), "failed") > 0);
    assert_true(IT_JINT(st, "bans") >= 4);
    json_decref(st);
}

static void test_round_trip_after_sigterm(void **state)
{
    it_server *s = *state;

    it_need_own(s);
    it_fill(s, 96, IT_FILL_ALL);
    check_filled(s);
    expect_round_trip(s, SIGTERM);
    /* What was loaded is saved again unchanged. */
    expect_round_trip(s, SIGINT);
}

static void test_round_trip_after_sigkill(void **state)
{
    it_server *s = *state;

    it_need_own(s);
    it_fill(s, 96, IT_FILL_ALL);
    /* Nothing but the journal holds the pool: the start-up snapshot was
     * of an empty directory. */
    expect_round_trip(s, SIGKILL);
    /* A snapshot after the replay, then a journal on top of it. */
    it_fill(s, 32, IT_FILL_ALL);
    expect_round_trip(s, SIGTERM);
    it_fill(s, 32, IT_FILL_OLD);
    expect_round_trip(s, SIGKILL);
}

/* A connection reported by node "a" ends with the process that knew of
 * it: after a restart (clean or a crash) the peer is tried, with its last
 * success kept, no node is listed, and the stats count no connection. */
static void expect_connected_comes_back_tried(it_server *s, int sig)
{
    char path[IT_PATH_MAX], host[IT_HOST_MAX];
    json_t *p, *st, *nodes;
    json_int_t success;
    it_resp *r;

    it_uniq_ipv4(host);
    it_add_one(s, host, IT_PORT, 9);
    it_peer_path(host, IT_PORT, "/state", path, sizeof path);
    r = it_send(s, "PUT", path, "{\"state\": \"connected\", \"node\": \"a\"}");
    IT_STATUS(r, 200);
    it_resp_free(r);
    p = it_peer(s, host, IT_PORT);
    IT_STREQ(IT_JSTR(p, "state"), "connected");
    success = IT_JINT(p, "last_success");
    json_decref(p);

    it_bounce(s, sig, debug_args);
    p = it_peer(s, host, IT_PORT);
    IT_STREQ(IT_JSTR(p, "state"), "tried");
    IT_STREQ(IT_JSTR(p, "table"), "tried");
    assert_int_equal(IT_JINT(p, "last_success"), success);
    json_decref(p);
    st = it_stats(s);
    assert_int_equal(IT_JINT(IT_JOBJ(st, "states"), "connected"), 0);
    json_decref(st);
    r = it_get(s, "/v1/nodes");
    IT_STATUS(r, 200);
    nodes = IT_JARR(IT_BODY(r), "nodes");
    assert_int_equal(json_array_size(nodes), 0);
    it_resp_free(r);
    r = it_delete(s, "/v1/nodes/a");
    IT_ERROR(r, 404, "not_found");
    it_resp_free(r);
    /* The tried state it came back in is what the next restart keeps. */
    it_bounce(s, SIGTERM, debug_args);
    p = it_peer(s, host, IT_PORT);
    IT_STREQ(IT_JSTR(p, "state"), "tried");
    json_decref(p);
}

static void test_connected_comes_back_tried_after_sigterm(void **state)
{
    it_need_own(*state);
    expect_connected_comes_back_tried(*state, SIGTERM);
}

static void test_connected_comes_back_tried_after_a_crash(void **state)
{
    it_need_own(*state);
    expect_connected_comes_back_tried(*state, SIGKILL);
}

/* Tiny tables: adds evict, state changes collide in the tried table and
 * selects settle collisions; the journal must repeat all of it. */
static void test_round_trip_small_tables(void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--enable-debug", "--new-buckets", "4",
                                 "--tried-buckets", "1", NULL };

    it_need_own(s);
    it_start(s, args, NULL, 1);
    it_fill(s, 128, IT_FILL_ALL);
    expect_round_trip_args(s, SIGKILL, args);
    it_fill(s, 128, IT_FILL_OLD);
    expect_round_trip_args(s, SIGKILL, args);
    expect_round_trip_args(s, SIGTERM, args);
}

static json_t *persistence(it_server *s)
{
    json_t *st = it_stats(s), *p = json_incref(IT_JOBJ(st, "persistence"));

    json_decref(st);
    return p;
}

static void test_dump_writes_peers_json(void **state)
{
    it_server *s = *state;
    json_t *p, *doc, *b;
    json_int_t saves;
    size_t len;
    char *text;
    it_resp *r;

    it_need_own(s);
    it_fill(s, 32, IT_FILL_OLD);
    p = persistence(s);
    saves = IT_JINT(p, "saves");
    assert_true(IT_JINT(p, "journal_records") > 0);
    assert_true(IT_JINT(p, "journal_bytes") > 8);
    json_decref(p);
    r = it_send(s, "POST", "/v1/dump", NULL);
    IT_STATUS(r, 200);
    b = IT_BODY(r);
    IT_STREQ(IT_JSTR(b, "file"), "peers.json");
    text = it_file_get(s, "peers.json", &len);
    assert_non_null(text);
    doc = json_loadb(text, len, 0, NULL);
    assert_non_null(doc);
    assert_true(json_is_array(doc));
    assert_int_equal(json_array_size(doc), IT_JINT(b, "peers"));
    assert_int_equal(json_array_size(doc), it_count_peers(s, NULL));
    json_decref(doc);
    free(text);
    it_resp_free(r);
    p = persistence(s);
    assert_int_equal(IT_JINT(p, "saves"), saves + 1);
    assert_int_equal(IT_JINT(p, "journal_records"), 0);
    assert_true(IT_JINT(p, "last_save") >= it_now() - 5);
    assert_int_equal(IT_JINT(p, "save_failures"), 0);
    json_decref(p);
    assert_true(it_metric(s, "addrmand_saves_total") >= (double)saves + 1);
    assert_true(it_metric(s, "addrmand_journal_bytes") >= 8);
    assert_true(it_metric(s, "addrmand_last_save_timestamp_seconds") > 0);
    assert_true(it_metric(s, "addrmand_save_failures_total") == 0);
    assert_true(it_metric(s, "addrmand_corrupt_files_total") == 0);
}

static void test_changes_grow_the_journal(void **state)
{
    it_server *s = *state;
    char h[2][IT_HOST_MAX];
    json_t *p;
    json_int_t bytes, records;

    it_need_own(s);
    p = persistence(s);
    bytes = IT_JINT(p, "journal_bytes");
    records = IT_JINT(p, "journal_records");
    json_decref(p);
    it_add_ipv4s(s, 2, 1, h);
    json_decref(it_ban(s, "11.44.0.0/16"));
    p = persistence(s);
    assert_int_equal(IT_JINT(p, "journal_records"), records + 3);
    assert_true(IT_JINT(p, "journal_bytes") > bytes);
    json_decref(p);
}

static void test_save_timer(void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--save-interval", "1", NULL };
    char h[1][IT_HOST_MAX];
    json_int_t saves = 0;
    json_t *p;
    int i;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    it_add_ipv4s(s, 1, 1, h);
    for (i = 0; i < 60 && saves < 2; i++) {
        struct timespec ts = { 0, 100000000 };

        nanosleep(&ts, NULL);
        p = persistence(s);
        saves = IT_JINT(p, "saves");    /* 1: the start-up snapshot */
        json_decref(p);
    }
    assert_true(saves >= 2);
    p = persistence(s);
    assert_int_equal(IT_JINT(p, "journal_records"), 0);
    assert_int_equal(IT_JINT(p, "last_save_peers"), 1);
    json_decref(p);
    /* An idle pool is not written again. */
    {
        struct timespec ts = { 1, 500000000 };

        nanosleep(&ts, NULL);
    }
    p = persistence(s);
    assert_int_equal(IT_JINT(p, "saves"), saves);
    json_decref(p);
}

static void test_fsync_always_survives_kill(void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--fsync", "always", NULL };
    char h[8][IT_HOST_MAX];
    size_t i;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    it_add_ipv4s(s, 8, 1, h);
    it_bounce(s, SIGKILL, args);
    for (i = 0; i < 8; i++)
        assert_int_equal(it_peer_status(s, h[i], IT_PORT), 200);
}

static void test_one_server_per_directory(void **state)
{
    it_server *s = *state;
    char port[16], out[4096];
    const char *argv[] = { ADDRMAND_BIN, "--listen", port, "--datadir",
                           s->datadir, NULL };
    int st;

    it_need_own(s);
    snprintf(port, sizeof port, "127.0.0.1:%d", it_free_port());
    st = it_run(argv, NULL, 10000, out, sizeof out);
    assert_true(st != -1);
    if (!WIFEXITED(st) || WEXITSTATUS(st) == 0)
        fail_msg("a second server on %s should be refused: %s", s->datadir,
                 out);
    if (strstr(out, "in use by another addrmand") == NULL)
        fail_msg("no clear message: %s", out);
}

static void test_readyz_follows_the_directory(void **state)
{
    it_server *s = *state;
    it_req rq = { .method = "GET", .path = "/readyz", .auth = IT_AUTH_NONE };
    char gone[sizeof s->datadir + 8];
    it_resp *r;

    it_need_own(s);
    r = it_do(s, NULL, &rq);
    IT_STATUS(r, 200);
    it_resp_free(r);
    snprintf(gone, sizeof gone, "%s.gone", s->datadir);
    assert_int_equal(rename(s->datadir, gone), 0);
    r = it_do(s, NULL, &rq);
    assert_int_equal(rename(gone, s->datadir), 0);
    IT_ERROR(r, 503, "not_ready");
    it_resp_free(r);
}

#define T(f) cmocka_unit_test_setup_teardown(f, it_fx_setup, it_fx_teardown)
#define TN(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_round_trip_after_sigterm),
        T(test_round_trip_after_sigkill),
        TN(test_round_trip_small_tables),
        T(test_connected_comes_back_tried_after_sigterm),
        T(test_connected_comes_back_tried_after_a_crash),
        T(test_dump_writes_peers_json),
        T(test_changes_grow_the_journal),
        TN(test_save_timer),
        TN(test_fsync_always_survives_kill),
        T(test_one_server_per_directory),
        T(test_readyz_follows_the_directory),
    };

    return IT_RUN(tests);
}
