/*
 * test_persist_corrupt.c - a damaged data directory: peers.json truncated
 * at several offsets, garbage, of the wrong types, with huge numbers,
 * empty, a directory in its place; bans.json, addrmand.json and a journal
 * broken.  Each time the server starts and answers, the bad file is kept
 * aside byte for byte ("<name>.corrupt-<unix time>"), counted in /metrics,
 * and what else could be read is loaded.
 */
#include "it_persist.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define N_PEERS 24

static const char *const args[] = { "--enable-debug", NULL };

typedef struct good {
    char *peers;                /* the peers.json of a healthy pool */
    size_t len;
    char hosts[N_PEERS][IT_HOST_MAX];
} good;

/* A pool of N_PEERS peers and a ban, saved by SIGTERM; its peers.json. */
static void make_good(it_server *s, good *g)
{
    it_start(s, args, NULL, 1);
    it_add_ipv4s(s, N_PEERS, 1, g->hosts);
    json_decref(it_ban(s, "11.9.0.0/16"));
    assert_int_equal(it_signal_wait(s, SIGTERM, IT_STOP_TIMEOUT_MS), 0);
    g->peers = it_file_get(s, "peers.json", &g->len);
    assert_non_null(g->peers);
    it_restart(s, args);
}

static void remove_path(const it_server *s, const char *name)
{
    char path[IT_PATH_MAX];

    snprintf(path, sizeof path, "%s/%s", s->datadir, name);
    it_rm_tree(path);
}

/* Stop, put `bytes` in place of `name` (NULL: a directory), start. */
static void damage(it_server *s, const char *name, const void *bytes,
                   size_t len)
{
    char path[IT_PATH_MAX];

    assert_int_equal(it_signal_wait(s, SIGTERM, IT_STOP_TIMEOUT_MS), 0);
    remove_path(s, name);
    if (bytes != NULL) {
        it_file_put(s, name, bytes, len);
    } else {
        snprintf(path, sizeof path, "%s/%s", s->datadir, name);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof path, "%s/inside", name);
        it_file_put(s, path, "x", 1);
    }
    it_restart(s, args);        /* fails the test unless /healthz answers */
}

/* The damaged file is aside, unchanged, counted; the server works. */
static void expect_aside(it_server *s, const char *name, const void *bytes,
                         size_t len)
{
    char prefix[64], aside[256], *kept;
    size_t n, klen = 0;
    it_resp *r;

    snprintf(prefix, sizeof prefix, "%s.corrupt-", name);
    if (!it_file_find(s, prefix, aside, sizeof aside, &n))
        fail_msg("%s was not set aside", name);
    assert_int_equal(n, 1);
    if (bytes != NULL) {
        kept = it_file_get(s, aside, &klen);
        assert_non_null(kept);
        assert_int_equal(klen, len);
        assert_memory_equal(kept, bytes, len);
        free(kept);
    }
    assert_true(it_metric(s, "addrmand_corrupt_files_total") == 1);
    it_check_debug(s);
    /* It takes changes and saves them over the broken name. */
    r = it_send(s, "POST", "/v1/peers",
                "{\"peers\": [{\"address\": \"97.1.2.3\"}]}");
    IT_STATUS(r, 200);
    it_resp_free(r);
    r = it_send(s, "POST", "/v1/dump", NULL);
    IT_STATUS(r, 200);
    it_resp_free(r);
    remove_path(s, aside);
}

static void peers_case(it_server *s, const void *bytes, size_t len,
                       size_t expect_peers)
{
    damage(s, "peers.json", bytes, len);
    assert_int_equal(it_count_peers(s, NULL), expect_peers);
    expect_aside(s, "peers.json", bytes, len);
}

static void test_truncated_empty_garbage_directory(void **state)
{
    it_server *s = *state;
    unsigned char garbage[512];
    good g;

    it_need_own(s);
    make_good(s, &g);
    peers_case(s, g.peers, 1, 0);
    peers_case(s, g.peers, g.len / 3, 0);
    peers_case(s, g.peers, g.len / 2, 0);
    peers_case(s, g.peers, g.len - 2, 0);
    peers_case(s, "", 0, 0);
    it_rand_bytes(garbage, sizeof garbage);
    peers_case(s, garbage, sizeof garbage, 0);
    peers_case(s, "{\"peers\": []}", 13, 0);
    damage(s, "peers.json", NULL, 0);
    expect_aside(s, "peers.json", NULL, 0);
    free(g.peers);
}

/* The good document with the first occurrence of `from` replaced. */
static char *edit(const good *g, const char *from, const char *to,
                  size_t *len)
{
    const char *at = strstr(g->peers, from);
    size_t fl = strlen(from), tl = strlen(to);
    char *out;

    assert_non_null(at);
    *len = g->len - fl + tl;
    out = malloc(*len + 1);
    assert_non_null(out);
    memcpy(out, g->peers, (size_t)(at - g->peers));
    memcpy(out + (at - g->peers), to, tl);
    memcpy(out + (at - g->peers) + tl, at + fl,
           g->len - (size_t)(at - g->peers) - fl + 1);
    return out;
}

/* One bad entry: the others load, the file is set aside all the same. */
static void test_wrong_types_and_huge_numbers(void **state)
{
    static const char *const edits[][2] = {
        {"\"port\":8333", "\"port\":\"8333\""},
        {"\"port\":8333", "\"port\":99999999999999999999999999"},
        {"\"services\":1", "\"services\":1e999"},
        {"\"last_connected\":0", "\"last_connected\":-5"},
        {"\"address\":{\"V4\":", "\"address\":{\"V4\":5,\"x\":"},
        {"\"id\":1,", "\"id\":1.5,"},
        {"\"attempts\":0", "\"attempts\":123456789012345678901"},
    };
    it_server *s = *state;
    size_t i, len;
    good g;

    it_need_own(s);
    make_good(s, &g);
    for (i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char *bad = edit(&g, edits[i][0], edits[i][1], &len);

        peers_case(s, bad, len, N_PEERS - 1);
        free(bad);
    }
    free(g.peers);
}

static void test_bans_meta_and_journal(void **state)
{
    it_server *s = *state;
    char jname[64], *j;
    size_t jlen;
    json_t *bans;
    good g;

    it_need_own(s);
    make_good(s, &g);
    /* bans.json: the peers are still there, the bans are not. */
    damage(s, "bans.json", "[1, 2", 5);
    assert_int_equal(it_count_peers(s, NULL), N_PEERS);
    bans = it_bans(s);
    assert_int_equal(json_array_size(bans), 0);
    json_decref(bans);
    expect_aside(s, "bans.json", "[1, 2", 5);
    /* addrmand.json: a new key; every peer is placed again. */
    damage(s, "addrmand.json", "{\"format\": 99}", 14);
    assert_int_equal(it_count_peers(s, NULL) >= N_PEERS, 1);
    expect_aside(s, "addrmand.json", "{\"format\": 99}", 14);
    /* A journal broken in the middle: the records before the break are
     * replayed.  SIGKILL leaves the changes in the journal only. */
    json_decref(it_ban(s, "11.10.0.0/16"));
    json_decref(it_ban(s, "11.11.0.0/16"));
    assert_true(it_file_find(s, "journal.", jname, sizeof jname, NULL));
    it_signal_wait(s, SIGKILL, IT_STOP_TIMEOUT_MS);
    j = it_file_get(s, jname, &jlen);
    assert_non_null(j);
    assert_true(jlen > 40);
    memset(j + jlen - 20, 0x5a, 4);        /* inside the last record */
    j[12] ^= 0x01;                         /* the first record's CRC */
    it_file_put(s, jname, j, jlen);
    it_restart(s, args);
    assert_true(it_metric(s, "addrmand_corrupt_files_total") == 1);
    {
        char prefix[80];

        snprintf(prefix, sizeof prefix, "%s.corrupt-", jname);
        assert_true(it_file_find(s, prefix, NULL, 0, NULL));
    }
    it_check_debug(s);
    free(j);
    free(g.peers);
}

#define TN(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TN(test_truncated_empty_garbage_directory),
        TN(test_wrong_types_and_huge_numbers),
        TN(test_bans_meta_and_journal),
    };

    return IT_RUN(tests);
}
