/*
 * test_persist_files.c - the file routes: POST /v1/load (names inside the
 * data directory only, bad files set aside), PUT/GET /v1/anchors,
 * GET /v1/export and POST /v1/import (Floresta's seed files, btcd's
 * peers.json, an export into an empty server gives the same pool).
 */
#include "it_persist.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const floresta_files[] = {
    "floresta/mainnet_seeds.json", "floresta/signet_seeds.json",
    "floresta/testnet4_seeds.json", "floresta/testnet_seeds.json", NULL };

static json_t *post_load(it_server *s, const char *body, long status,
                         const char *code)
{
    it_resp *r = it_send(s, "POST", "/v1/load", body);
    json_t *b = NULL;

    if (code != NULL)
        IT_ERROR(r, status, code);
    else
        IT_STATUS(r, status);
    if (status == 200)
        it_check_ignored_by(IT_BODY(r));
    if (r->json != NULL)
        b = json_incref(r->json);
    it_resp_free(r);
    return b;
}

static size_t n_errors(const json_t *result)
{
    return json_array_size(IT_JARR(result, "errors"));
}

/* ---- compatibility --------------------------------------------------- */

static void test_import_floresta_seed_files(void **state)
{
    it_server *s = *state;
    size_t i, len;

    for (i = 0; floresta_files[i] != NULL; i++) {
        char *doc = it_data_file(floresta_files[i], &len);
        json_t *all = json_loadb(doc, len, 0, NULL), *b;

        assert_non_null(all);
        b = it_import(s, "floresta", doc, len, 200);
        if (n_errors(b) != 0)
            fail_msg("%s: %zu errors", floresta_files[i], n_errors(b));
        /* A shared pool may know every peer already (an earlier import). */
        if (s->shared)
            assert_true(IT_JINT(b, "added") + IT_JINT(b, "updated") > 0);
        else
            assert_true(IT_JINT(b, "added") > 0);
        assert_int_equal(IT_JINT(b, "added") + IT_JINT(b, "updated") +
                             IT_JINT(b, "ignored"),
                         json_array_size(all));
        json_decref(b);
        json_decref(all);
        free(doc);
    }
}

/*
 * tests/data/btcd/peers.json with its times moved forward by one amount so
 * that the newest is now.  Entries last seen in 2023 are terrible, and a
 * terrible entry gives up its slot to a newcomer where a sound one turns
 * it away: two of the file's entries sharing a slot (one time in 4096)
 * would then push each other out at every import.
 */
static char *btcd_file(size_t *len)
{
    static const char *const times[] = {"TimeStamp", "LastAttempt",
                                        "LastSuccess"};
    char *raw = it_data_file("btcd/peers.json", len), *out;
    json_t *doc = json_loadb(raw, *len, 0, NULL), *all, *e;
    json_int_t newest = 0;
    size_t i;

    assert_non_null(doc);
    all = IT_JARR(doc, "Addresses");
    json_array_foreach(all, i, e)
        if (IT_JINT(e, "TimeStamp") > newest)
            newest = IT_JINT(e, "TimeStamp");
    json_array_foreach(all, i, e)
        for (size_t k = 0; k < 3; k++) {
            json_int_t t = IT_JINT(e, times[k]);

            if (t > 0)      /* not Go's zero time */
                json_object_set_new(e, times[k],
                                    json_integer(t + it_now() - newest));
        }
    out = json_dumps(doc, JSON_COMPACT);
    assert_non_null(out);
    *len = strlen(out);
    json_decref(doc);
    free(raw);
    return out;
}

/* Put `key` (a JSON string) into stopped b's addrmand.json. */
static void put_key(it_server *b, json_t *key)
{
    char *tb = it_file_get(b, "addrmand.json", NULL), *out;
    json_t *mb = json_loads(tb, 0, NULL);

    assert_non_null(mb);
    json_object_set(mb, "key", key);
    out = json_dumps(mb, JSON_COMPACT);
    it_file_put(b, "addrmand.json", out, strlen(out));
    free(out);
    free(tb);
    json_decref(mb);
}

static void test_import_btcd_peers(void **state)
{
    it_server *s = *state;
    size_t len;
    char *doc;
    json_t *b, *p, *key = json_string("6d1f0e2c9b8a7d6c5b4a39281706f5e4");

    it_need_own(s);
    /* A fixed key: with a fresh one the onion below finds its slot held by
     * an earlier entry of the file about one run in 65536. */
    assert_int_equal(it_signal_wait(s, SIGTERM, IT_STOP_TIMEOUT_MS), 0);
    put_key(s, key);
    json_decref(key);
    it_restart(s, NULL);
    doc = btcd_file(&len);
    b = it_import(s, "btcd", doc, len, 200);
    assert_int_equal(n_errors(b), 0);
    assert_true(IT_JINT(b, "added") >= 3);
    /* The Tor v2 name and 203.0.113.5 (documentation space). */
    assert_int_equal(it_ignored_by(b, "tor_v2"), 1);
    assert_int_equal(it_ignored_by(b, "unroutable"), 1);
    json_decref(b);
    p = it_peer(s, "185.25.48.184", 8333);
    assert_int_equal(IT_JINT(p, "services"), 1033);
    IT_STREQ(IT_JSTR(p, "source"), "52.15.62.20");
    json_decref(p);
    p = it_peer(s, "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd"
                   ".onion", 8333);
    IT_STREQ(IT_JSTR(p, "state"), "failed");
    assert_int_equal(IT_JINT(p, "attempts"), 2);
    json_decref(p);
    /* Importing it again changes nothing new. */
    b = it_import(s, "btcd", doc, len, 200);
    assert_int_equal(IT_JINT(b, "added"), 0);
    json_decref(b);
    free(doc);
}

/* Bitcoin Core's contrib/seeds/nodes_main.txt as it is: every line with
 * an address is added, updated or ignored, none is an error. */
static void test_import_core_seed_list_as_lines(void **state)
{
    it_server *s = *state;
    size_t len, i, lines = 0;
    char *doc = it_data_file("nodes_main.txt", &len);
    it_req rq = { .method = "POST", .path = "/v1/import?format=lines",
                  .body = doc, .body_len = len,
                  .content_type = "application/json" };
    it_resp *r;
    json_t *b, *p;

    for (i = 0; i < len; i++) {
        const char *nl = memchr(doc + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - (doc + i)) : len - i;
        if (l > 0 && doc[i] != '#')
            lines++;
        i += l;
    }
    b = it_import(s, "lines&services=9", doc, len, 200);
    assert_int_equal(n_errors(b), 0);
    if (!s->shared)
        assert_true(IT_JINT(b, "added") > 1000);
    assert_int_equal(IT_JINT(b, "added") + IT_JINT(b, "updated") +
                         IT_JINT(b, "ignored"), lines);
    json_decref(b);
    if (!s->shared) {
        r = it_get(s, "/v1/peers?limit=20");
        IT_STATUS(r, 200);
        json_array_foreach(IT_JARR(IT_BODY(r), "peers"), i, p) {
            assert_int_equal(IT_JINT(p, "services"), 9);
            IT_STREQ(IT_JSTR(p, "state"), "never_tried");
            assert_true(json_is_null(json_object_get(p, "source")));
        }
        it_resp_free(r);
    }
    /* A list is text: JSON is refused, and so are flags with other formats. */
    r = it_do(s, NULL, &rq);
    IT_ERROR(r, 415, "unsupported_media_type");
    it_resp_free(r);
    json_decref(it_import(s, "floresta&services=9", "[]", 2, 400));
    json_decref(it_import(s, "lines&services=x", "1.2.3.4\n", 8, 400));
    json_decref(it_import(s, "csv", "1.2.3.4\n", 8, 400));
    free(doc);
}

static void test_import_refuses_bad_documents(void **state)
{
    it_server *s = *state;
    it_req rq = { .method = "POST", .path = "/v1/import?format=floresta",
                  .body = "[]", .body_len = 2, .content_type = "text/plain" };
    static const struct { const char *format, *doc, *code; } bad[] = {
        {"floresta", "not json", "bad_json"},
        {"floresta", "[{\"address\": ", "bad_json"},
        {"floresta", "{\"peers\": []}", "bad_request"},
        {"btcd", "[]", "bad_request"},
        {"btcd", "{\"Addresses\": 5}", "bad_request"},
        {"xml", "[]", "bad_request"},
    };
    const char *mixed =
        "[{\"address\": {\"V4\": \"1.2.3.4\"}, \"port\": \"x\"},"
        " {\"address\": {\"OnionV2\": [1,2,3,4,5,6,7,8,9,10]}, "
        "\"port\": 8333},"
        " {\"address\": {\"V4\": \"99.1.2.3\"}, \"port\": 8333, "
        "\"state\": \"NeverTried\", \"services\": 1, "
        "\"last_connected\": 0}]";
    it_resp *r;
    json_t *b;

    it_need_own(s);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[64];
        it_req q = { .method = "POST", .path = path, .body = bad[i].doc,
                     .body_len = strlen(bad[i].doc),
                     .content_type = "application/json" };

        snprintf(path, sizeof path, "/v1/import?format=%s", bad[i].format);
        r = it_do(s, NULL, &q);
        IT_ERROR(r, 400, bad[i].code);
        it_resp_free(r);
    }
    r = it_do(s, NULL, &rq);
    IT_ERROR(r, 415, "unsupported_media_type");
    it_resp_free(r);
    r = it_send(s, "POST", "/v1/import", NULL);
    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
    r = it_send(s, "POST", "/v1/import?format=floresta&x=1", "[]");
    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
    /* One bad entry does not reject the others; Tor v2 is skipped. */
    b = it_import(s, "floresta", mixed, strlen(mixed), 200);
    assert_int_equal(IT_JINT(b, "added"), 1);
    assert_int_equal(IT_JINT(b, "ignored"), 1);
    assert_int_equal(n_errors(b), 1);
    assert_int_equal(IT_JINT(json_array_get(IT_JARR(b, "errors"), 0),
                             "index"), 0);
    json_decref(b);
}

/* The ban list is not part of a peers document: copy it over so that
 * banned peers read alike. */
static void copy_bans(it_server *from, it_server *to)
{
    json_t *bans = it_bans(from), *b;
    size_t i;

    json_array_foreach(bans, i, b) {
        it_resp *r = it_sendf(to, "POST", "/v1/bans",
                              "{\"target\": \"%s\", \"duration\": %lld}",
                              IT_JSTR(b, "target"),
                              (long long)(IT_JINT(b, "until") - it_now()));
        IT_STATUS(r, 201);
        it_resp_free(r);
    }
    json_decref(bans);
}

/* Export a filled pool from a, import it into the empty b; the ban list
 * too.  Returns how many peers the import added. */
static size_t export_import(it_server *a, it_server *b)
{
    it_resp *r = it_get(a, "/v1/export");
    json_t *res;
    size_t added;

    IT_STATUS(r, 200);
    res = it_import(b, "floresta", r->body, r->body_len, 200);
    assert_int_equal(n_errors(res), 0);
    added = (size_t)IT_JINT(res, "added");
    assert_int_equal(added + (size_t)IT_JINT(res, "ignored"),
                     json_array_size(r->json));
    json_decref(res);
    it_resp_free(r);
    copy_bans(a, b);
    return added;
}

/* Give b (stopped) the bucketing key of a: the one secret a placement
 * depends on.  An operator moving a pool copies addrmand.json likewise. */
static void copy_key(it_server *a, it_server *b)
{
    char *ta = it_file_get(a, "addrmand.json", NULL);
    json_t *ma = json_loads(ta, 0, NULL);

    assert_non_null(ma);
    put_key(b, json_object_get(ma, "key"));
    free(ta);
    json_decref(ma);
}

static void test_export_then_import_gives_the_same_pool(void **state)
{
    const char *const args[] = { "--enable-debug", NULL };
    it_server *a = *state, b;
    json_t *pa, *pb;

    it_need_own(a);
    it_fill(a, 64, IT_FILL_BANS);
    pa = it_pool(a, 1);
    it_pool_unconnected(pa);
    it_open(&b, NULL);
    assert_int_equal(it_signal_wait(&b, SIGTERM, IT_STOP_TIMEOUT_MS), 0);
    copy_key(a, &b);
    it_restart(&b, args);
    assert_int_equal(export_import(a, &b), json_array_size(pa));
    /* Same key: every field, table and slot. */
    pb = it_pool(&b, 1);
    it_same_json(pa, pb, "exported and imported pools");
    json_decref(pa);
    json_decref(pb);
    it_close(&b);
}

/* Without the key every slot is elsewhere: a peer whose slot is taken
 * under the other key waits in the new table (tried) or is turned away
 * (new), as when it was first added.  The others keep id and fields. */
static void test_export_to_a_server_with_its_own_key(void **state)
{
    it_server *a = *state, b;
    json_t *pa, *pb, *x, *y;
    size_t i, j = 0;

    it_need_own(a);
    it_fill(a, 64, IT_FILL_BANS);
    pa = it_pool(a, 0);
    it_pool_unconnected(pa);
    it_open(&b, NULL);
    assert_true(export_import(a, &b) * 10 >= json_array_size(pa) * 9);
    pb = it_pool(&b, 0);
    json_array_foreach(pb, i, y) {
        while (j < json_array_size(pa) &&
               IT_JINT(json_array_get(pa, j), "id") < IT_JINT(y, "id"))
            j++;
        assert_true(j < json_array_size(pa));
        x = json_array_get(pa, j);
        if (strcmp(IT_JSTR(x, "table"), IT_JSTR(y, "table")) != 0)
            IT_STREQ(IT_JSTR(x, "table"), "tried");
        json_object_del(x, "table");
        json_object_del(y, "table");
        it_same_json(x, y, "exported and imported peer");
    }
    json_decref(pa);
    json_decref(pb);
    it_close(&b);
}

/* ---- POST /v1/load --------------------------------------------------- */

static void test_load_own_snapshot_and_seed_files(void **state)
{
    it_server *s = *state;
    char h[4][IT_HOST_MAX];
    size_t len;
    char *doc;
    json_t *b;
    it_resp *r;

    it_need_own(s);
    it_add_ipv4s(s, 4, 1, h);
    r = it_send(s, "POST", "/v1/dump", NULL);
    IT_STATUS(r, 200);
    it_resp_free(r);
    b = post_load(s, NULL, 200, NULL);
    assert_int_equal(IT_JINT(b, "added"), 0);
    assert_int_equal(IT_JINT(b, "updated"), 4);
    json_decref(b);
    doc = it_data_file(floresta_files[0], &len);
    it_file_put(s, "seeds.json", doc, len);
    free(doc);
    b = post_load(s, "{\"file\": \"seeds.json\"}", 200, NULL);
    assert_true(IT_JINT(b, "added") > 0);
    assert_int_equal(n_errors(b), 0);
    json_decref(b);
    assert_int_equal(it_file_find(s, "seeds.json.corrupt", NULL, 0, NULL), 0);
}

/* Floresta writes a peer without an id as "id": null (serde's None):
 * imported and loaded like an entry without "id". */
static void test_floresta_null_id_imports_and_loads(void **state)
{
    it_server *s = *state;
    char h[2][IT_HOST_MAX], doc[512];
    json_t *b;
    int tries = 0;

    it_need_own(s);
    for (int i = 0; i < 2; i++) {
        it_uniq_ipv4(h[i]);
        snprintf(doc, sizeof doc,
                 "[{\"address\": {\"V4\": \"%s\"}, \"last_connected\": 0, "
                 "\"state\": \"NeverTried\", \"services\": 9, "
                 "\"port\": 8333, \"id\": null}]", h[i]);
        if (i == 0) {
            b = it_import(s, "floresta", doc, strlen(doc), 200);
        } else {
            it_file_put(s, "floresta-peers.json", doc, strlen(doc));
            b = post_load(s, "{\"file\": \"floresta-peers.json\"}", 200,
                          NULL);
        }
        /* The second may find the first holding its slot (the key is
         * fresh each run): then it is drawn again. */
        if (i == 1 && IT_TURNED_AWAY(IT_JINT(b, "added") == 0 &&
                                     it_ignored_by(b, "table_full") == 1,
                                     &tries)) {
            json_decref(b);
            i--;
            continue;
        }
        assert_int_equal(IT_JINT(b, "added"), 1);
        assert_int_equal(n_errors(b), 0);
        json_decref(b);
        json_decref(it_peer(s, h[i], IT_PORT));
    }
}

static void test_load_accepts_only_names_in_the_directory(void **state)
{
    it_server *s = *state;
    static const char *const bad[] = {
        "{\"file\": \"../peers.json\"}", "{\"file\": \"/etc/passwd\"}",
        "{\"file\": \"a/b.json\"}", "{\"file\": \"..\"}", "{\"file\": \"\"}",
        "{\"file\": \"out.json\"}", "{\"file\": \"bans.json\"}",
        "{\"file\": \"addrmand.json\"}", "{\"file\": \"journal.1\"}",
        "{\"file\": \"sub\"}", "{\"file\": 7}", NULL };
    char link[IT_PATH_MAX], sub[IT_PATH_MAX];

    it_need_own(s);
    snprintf(link, sizeof link, "%s/out.json", s->datadir);
    assert_int_equal(symlink("/etc/hostname", link), 0);
    snprintf(sub, sizeof sub, "%s/sub", s->datadir);
    assert_int_equal(mkdir(sub, 0700), 0);
    for (size_t i = 0; bad[i] != NULL; i++)
        json_decref(post_load(s, bad[i], 400, "bad_request"));
    json_decref(post_load(s, "{\"file\": \"missing.json\"}", 404,
                          "not_found"));
    /* Nothing was renamed: the names were refused, not read. */
    assert_int_equal(access(link, F_OK), 0);
    assert_int_equal(it_file_find(s, "sub.corrupt", NULL, 0, NULL), 0);
    assert_int_equal(it_file_find(s, "bans.json.corrupt", NULL, 0, NULL), 0);
}

static void test_load_sets_bad_files_aside(void **state)
{
    it_server *s = *state;
    const char *garbage = "this is not json";
    const char *mixed =
        "[{\"address\": {\"V4\": \"98.7.6.5\"}, \"port\": 8333, "
        "\"state\": \"NeverTried\", \"services\": 1, \"last_connected\": 0},"
        " {\"address\": {\"V4\": \"98.7.6.6\"}, \"port\": 99999}]";
    char aside[256], *kept;
    json_t *b;

    it_need_own(s);
    it_file_put(s, "bad.json", garbage, strlen(garbage));
    json_decref(post_load(s, "{\"file\": \"bad.json\"}", 400, "bad_request"));
    assert_true(it_file_find(s, "bad.json.corrupt-", aside, sizeof aside,
                             NULL));
    kept = it_file_get(s, aside, NULL);
    IT_STREQ(kept, garbage);
    free(kept);
    assert_null(it_file_get(s, "bad.json", NULL));
    /* Readable entries are merged, the file is set aside all the same. */
    it_file_put(s, "mixed.json", mixed, strlen(mixed));
    b = post_load(s, "{\"file\": \"mixed.json\"}", 200, NULL);
    assert_int_equal(IT_JINT(b, "added"), 1);
    assert_int_equal(n_errors(b), 1);
    json_decref(b);
    assert_true(it_file_find(s, "mixed.json.corrupt-", NULL, 0, NULL));
    assert_int_equal(it_peer_status(s, "98.7.6.5", 8333), 200);
    assert_true(it_metric(s, "addrmand_corrupt_files_total") >= 2);
}

/* POST /v1/load and the start-up load say why entries were ignored (the
 * answer's ignored_by, the log line). */
static const char reasons_doc[] =
    "[{\"address\": {\"V4\": \"98.7.6.7\"}, \"port\": 8333, "
    "\"state\": \"NeverTried\", \"services\": 1, \"last_connected\": 0},"
    " {\"address\": {\"V4\": \"10.9.8.7\"}, \"port\": 8333, "
    "\"state\": \"NeverTried\", \"services\": 1, \"last_connected\": 0},"
    " {\"address\": {\"OnionV2\": [1,2,3,4,5,6,7,8,9,10]}, \"port\": 8333, "
    "\"state\": \"NeverTried\", \"services\": 1, \"last_connected\": 0},"
    " {\"address\": {\"Yggdrasil\": \"200::1\"}, \"port\": 8333, "
    "\"state\": \"NeverTried\", \"services\": 1, \"last_connected\": 0}]";

static void test_load_says_why_entries_were_ignored(void **state)
{
    it_server *s = *state;
    json_t *b;

    it_need_own(s);
    it_file_put(s, "reasons.json", reasons_doc, strlen(reasons_doc));
    b = post_load(s, "{\"file\": \"reasons.json\"}", 200, NULL);
    assert_int_equal(IT_JINT(b, "added"), 1);
    assert_int_equal(IT_JINT(b, "ignored"), 3);
    assert_int_equal(it_ignored_by(b, "unroutable"), 1);
    assert_int_equal(it_ignored_by(b, "tor_v2"), 1);
    assert_int_equal(it_ignored_by(b, "unknown_network"), 1);
    json_decref(b);
}

static void test_startup_load_logs_why_entries_were_ignored(void **state)
{
    it_server *s = *state;
    char *log;
    size_t len;

    it_need_own(s);
    assert_int_equal(it_signal_wait(s, SIGTERM, IT_STOP_TIMEOUT_MS) != -1, 1);
    /* A Floresta document in place of the snapshot. */
    it_file_put(s, "peers.json", reasons_doc, strlen(reasons_doc));
    it_restart(s, NULL);
    assert_int_equal(it_peer_status(s, "98.7.6.7", 8333), 200);
    log = it_log_get(s, &len);
    if (strstr(log, "(3 skipped: unroutable 1, tor_v2 1, unknown_network 1)")
        == NULL) {
        it_dump_log(s);
        fail_msg("the start-up load does not say why entries were skipped");
    }
    free(log);
}

/* ---- anchors --------------------------------------------------------- */

static void test_anchors(void **state)
{
    it_server *s = *state;
    char h[3][IT_HOST_MAX], body[512], *disk;
    json_t *p, *b;
    it_resp *r;

    it_need_own(s);
    r = it_get(s, "/v1/anchors");
    IT_ERROR(r, 404, "not_found");
    it_resp_free(r);
    it_add_ipv4s(s, 3, 1033, h);
    p = it_peer(s, h[0], IT_PORT);
    snprintf(body, sizeof body, "{\"peers\": [%lld, \"%s:8333\", \"%s\"]}",
             (long long)IT_JINT(p, "id"), h[1], h[2]);
    json_decref(p);
    r = it_send(s, "PUT", "/v1/anchors", body);
    IT_STATUS(r, 200);
    IT_STREQ(IT_JSTR(IT_BODY(r), "file"), "anchors.json");
    assert_int_equal(IT_JINT(IT_BODY(r), "peers"), 3);
    it_resp_free(r);
    r = it_get(s, "/v1/anchors");
    IT_STATUS(r, 200);
    assert_true(json_is_array(r->json));
    assert_int_equal(json_array_size(r->json), 3);
    IT_STREQ(IT_JSTR(IT_JOBJ(json_array_get(r->json, 1), "address"), "V4"),
             h[1]);
    disk = it_file_get(s, "anchors.json", NULL);
    IT_STREQ(disk, r->body);
    it_resp_free(r);
    /* An unknown peer: 404 and the file stays as it was. */
    r = it_sendf(s, "PUT", "/v1/anchors", "{\"peers\": [\"%s\", 999999]}",
                 h[0]);
    IT_ERROR(r, 404, "not_found");
    it_resp_free(r);
    r = it_send(s, "PUT", "/v1/anchors", "{\"peers\": [\"12.0.0.1:1\"]}");
    IT_ERROR(r, 404, "not_found");
    it_resp_free(r);
    free(disk);
    disk = it_file_get(s, "anchors.json", NULL);
    b = json_loads(disk, 0, NULL);
    assert_int_equal(json_array_size(b), 3);
    json_decref(b);
    free(disk);
    r = it_send(s, "PUT", "/v1/anchors", "{\"peers\": [true]}");
    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
    r = it_send(s, "PUT", "/v1/anchors", "{}");
    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
    r = it_send(s, "PUT", "/v1/anchors", "{\"peers\": [\"nonsense!\"]}");
    IT_ERROR(r, 400, "invalid_address");
    it_resp_free(r);
    /* The anchors load back like any peers document. */
    b = post_load(s, "{\"file\": \"anchors.json\"}", 200, NULL);
    assert_int_equal(IT_JINT(b, "updated"), 3);
    json_decref(b);
}

static void test_file_routes_need_the_token(void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--api-token", "t0k", NULL };
    static const char *const routes[][2] = {
        {"POST", "/v1/dump"}, {"POST", "/v1/load"}, {"GET", "/v1/anchors"},
        {"PUT", "/v1/anchors"}, {"GET", "/v1/export"},
        {"POST", "/v1/import"}};

    it_need_own(s);
    it_start(s, args, NULL, 1);
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        it_req rq = { .method = routes[i][0], .path = routes[i][1],
                      .auth = IT_AUTH_NONE };
        it_resp *r = it_do(s, NULL, &rq);

        IT_ERROR(r, 401, "unauthorized");
        it_resp_free(r);
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, it_fx_setup, it_fx_teardown)
#define TN(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_import_floresta_seed_files),
        T(test_import_btcd_peers),
        T(test_import_core_seed_list_as_lines),
        T(test_import_refuses_bad_documents),
        T(test_export_then_import_gives_the_same_pool),
        T(test_export_to_a_server_with_its_own_key),
        T(test_load_own_snapshot_and_seed_files),
        T(test_floresta_null_id_imports_and_loads),
        T(test_load_accepts_only_names_in_the_directory),
        T(test_load_sets_bad_files_aside),
        T(test_load_says_why_entries_were_ignored),
        T(test_startup_load_logs_why_entries_were_ignored),
        T(test_anchors),
        TN(test_file_routes_need_the_token),
    };

    return IT_RUN(tests);
}
