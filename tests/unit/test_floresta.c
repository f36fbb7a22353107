/*
 * test_floresta.c - Floresta's file format: the real seed files, ids and
 * services above INT64_MAX, every address variant, states and bans, entry
 * errors by index, the document we write (Floresta's key set first, our
 * keys after) and its exact round trip, anchors.
 */
#include "store_test.h"

#include <jansson.h>

#include "js_reader.h"

static const char *const seed_files[] = {
    "floresta/mainnet_seeds.json", "floresta/signet_seeds.json",
    "floresta/testnet_seeds.json", "floresta/testnet4_seeds.json"};

/* Routable distinct endpoints of a seed file, counted without our reader:
 * plain jansson (seed files hold no big integers) and the core's parser. */
static size_t count_routable(const char *text, am_addr *out, size_t cap)
{
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    size_t n = 0, i;
    json_t *e;

    assert_non_null(root);
    json_array_foreach(root, i, e) {
        json_t *a = json_object_get(e, "address");
        const char *host = json_string_value(json_object_get(a, "V4"));
        am_addr x;
        if (host == NULL)
            host = json_string_value(json_object_get(a, "V6"));
        assert_non_null(host);
        if (am_addr_parse_host(&x, host) != AM_OK || !am_addr_is_routable(&x))
            continue;
        x.port = (uint16_t)json_integer_value(json_object_get(e, "port"));
        int dup = 0;
        for (size_t k = 0; k < n; k++)
            dup |= am_addr_eq(&out[k], &x);
        if (!dup) {
            assert_true(n < cap);
            out[n++] = x;
        }
    }
    json_decref(root);
    return n;
}

static void test_seed_files_import_every_routable_entry(void **state)
{
    (void)state;
    static am_addr want[1024];

    for (size_t f = 0; f < 4; f++) {
        size_t len;
        char *text = st_data(seed_files[f], &len);
        size_t n = count_routable(text, want, 1024);
        assert_true(n > 150);
        /* Several secrets: no placement may turn a seed away. */
        for (uint8_t salt = 0; salt < 8; salt++) {
            am_config cfg;
            t_now = T_START;
            t_config(&cfg, 1024, 256);
            t_key(cfg.key, (uint8_t)(salt * 29));
            am_man *m = t_man_cfg(&cfg);
            st_merge_result r;
            st_merge_result_init(&r);
            ASSERT_RC(st_floresta_merge(m, text, len, NULL, &r), AM_OK);
            if (r.added != n)
                fail_msg("%s key %u: added %zu of %zu routable (ignored %zu, "
                         "errors %zu)", seed_files[f], salt, r.added, n,
                         r.ignored, r.n_errors);
            assert_int_equal(r.n_errors, 0);
            assert_int_equal(am_size(m), n);
            for (size_t k = 0; k < n; k++) {
                am_peer p;
                ASSERT_RC(am_find(m, &want[k], &p), AM_OK);
                assert_int_equal(p.state, AM_STATE_TRIED);
                assert_true(p.services != 0);
            }
            CHECK(m);
            st_merge_result_free(&r);
            am_free(m);
        }
        free(text);
    }
}

static void test_seed_entry_fields_are_read(void **state)
{
    (void)state;
    size_t len;
    char *text = st_data("floresta/mainnet_seeds.json", &len);
    st_doc doc;
    st_merge_result r;
    st_doc_init(&doc);
    st_merge_result_init(&r);
    ASSERT_RC(st_floresta_read(text, len, &doc, &r), AM_OK);
    assert_int_equal(doc.entries, 222);
    /* The first entry: 189.44.63.101:8333, {"Tried": 0}, 15369,
     * last_connected 1678986166. */
    const st_rec *e = &doc.recs[0];
    assert_int_equal(e->index, 0);
    assert_int_equal(e->addr.net, AM_NET_IPV4);
    assert_memory_equal(e->addr.bytes, "\xbd\x2c\x3f\x65", 4);
    assert_int_equal(e->addr.port, 8333);
    assert_int_equal(e->services, 15369);
    assert_int_equal(e->state, AM_STATE_TRIED);
    assert_true(e->in_tried);
    assert_int_equal(e->last_connected, 1678986166);
    assert_int_equal(e->last_success, 1678986166);  /* Tried(0) */
    assert_false(e->ours);
    st_doc_free(&doc);
    st_merge_result_free(&r);
    free(text);
}

#define ONION_BYTES                                                          \
    "[121,188,198,37,24,75,5,25,73,117,194,139,102,182,107,4,105,247,246,"  \
    "85,111,177,172,49,137,167,155,64,221,163,47,31]"
#define I2P_BYTES                                                            \
    "[162,137,77,171,174,192,140,0,81,164,129,166,218,200,139,100,249,130,"  \
    "50,174,66,212,182,253,47,168,25,82,223,227,106,135]"

static const char variants_doc[] =
    "[\n"
    " {\"address\":{\"V4\":\"8.8.4.4\"},\"last_connected\":1699990000,"
    "  \"state\":{\"Tried\":1699990000},\"services\":18446744073709551615,"
    "  \"port\":8333,\"id\":18446744073709551615},\n"
    " {\"address\":{\"V6\":\"2a01:4f8::1\"},\"last_connected\":1699990000,"
    "  \"state\":\"NeverTried\",\"services\":9223372036854775808,"
    "  \"port\":8333,\"id\":9223372036854775808},\n"
    " {\"address\":{\"OnionV3\":" ONION_BYTES "},\"last_connected\":0,"
    "  \"state\":\"NeverTried\",\"services\":1033,\"port\":8333,"
    "  \"id\":12345678901234567890,\"unknown_key\":[1,{\"x\":2}]},\n"
    " {\"address\":{\"I2p\":" I2P_BYTES "},\"last_connected\":1699980000,"
    "  \"state\":{\"Failed\":1699999000},\"services\":1,\"port\":0},\n"
    " {\"address\":{\"Cjdns\":\"fc00:1:2:3:4:5:6:7\"},\"last_connected\":"
    "  1699995000,\"state\":\"Connected\",\"services\":9,\"port\":8333},\n"
    " {\"address\":{\"OnionV2\":[1,2,3,4,5,6,7,8,9,10]},\"last_connected\":0,"
    "  \"state\":\"NeverTried\",\"services\":1,\"port\":8333},\n"
    " {\"address\":{\"Yggdrasil\":\"200::1\"},\"last_connected\":0,"
    "  \"state\":\"NeverTried\",\"services\":1,\"port\":8333},\n"
    " {\"address\":{\"V4\":\"10.0.0.1\"},\"last_connected\":0,"
    "  \"state\":\"NeverTried\",\"services\":1,\"port\":8333},\n"
    " {\"address\":{\"V4\":\"9.9.9.9\"},\"last_connected\":1699990000,"
    "  \"state\":{\"Banned\":1700086400},\"services\":1,\"port\":8333},\n"
    " {\"address\":{\"V4\":\"9.9.9.10\"},\"last_connected\":1699990000,"
    "  \"state\":{\"Banned\":86400},\"services\":1,\"port\":8333}\n"
    "]\n";

/* The answer st_merge_result_write makes of r (malloc'd). */
static char *result_json(const st_merge_result *r)
{
    js_w w;
    char *out;
    size_t len;

    js_w_init(&w);
    st_merge_result_write(&w, r);
    ASSERT_RC(js_w_take(&w, &out, &len), AM_OK);
    return out;
}

static am_addr addr_of(const char *text, uint16_t port)
{
    am_addr a;
    ASSERT_RC(am_addr_parse(&a, text, port), AM_OK);
    return a;
}

static am_peer find(am_man *m, am_addr a)
{
    am_peer p;
    memset(&p, 0, sizeof p);
    ASSERT_RC(am_find(m, &a, &p), AM_OK);
    return p;
}

static void test_variants_big_numbers_states_and_bans(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    st_merge_result r;
    st_merge_result_init(&r);
    ASSERT_RC(st_floresta_merge(m, variants_doc, sizeof variants_doc - 1,
                                 NULL, &r),
              AM_OK);
    assert_int_equal(r.n_errors, 0);
    /* 8.8.4.4, 2a01:4f8::1, onion, i2p, cjdns, 9.9.9.10 */
    assert_int_equal(r.added, 6);
    /* OnionV2, Yggdrasil, 10.0.0.1, the banned 9.9.9.9 */
    assert_int_equal(r.ignored, 4);
    assert_int_equal(r.bans, 1);
    /* ... each for its reason, and only these in the answer. */
    assert_int_equal(r.ignored_by[ST_IGN_TOR_V2], 1);
    assert_int_equal(r.ignored_by[ST_IGN_UNKNOWN_NETWORK], 1);
    assert_int_equal(r.ignored_by[ST_IGN_UNROUTABLE], 1);
    assert_int_equal(r.ignored_by[ST_IGN_BANNED_ENTRY], 1);
    char *out = result_json(&r);
    assert_non_null(strstr(out, "\"ignored\":4,\"ignored_by\":{"
                                "\"unroutable\":1,\"tor_v2\":1,"
                                "\"unknown_network\":1,\"banned_entry\":1},"));
    free(out);

    am_peer p = find(m, addr_of("8.8.4.4", 8333));
    assert_true(p.services == UINT64_MAX);
    assert_int_equal(p.state, AM_STATE_TRIED);
    assert_true(p.in_tried);
    assert_int_equal(p.last_success, 1699990000);
    assert_true(p.id < 100);        /* our own id, not Floresta's */
    p = find(m, addr_of("2a01:4f8::1", 8333));
    assert_true(p.services == UINT64_C(9223372036854775808));
    assert_int_equal(p.state, AM_STATE_NEVER_TRIED);
    p = find(m, addr_of("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4"
                        "pscryd.onion", 8333));
    assert_int_equal(p.addr.net, AM_NET_TORV3);
    /* last_connected 0: the time seen follows the adding rule. */
    assert_int_equal(p.time, T_START - 5 * T_DAY);
    p = find(m, addr_of("ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq"
                        ".b32.i2p", 0));
    assert_int_equal(p.state, AM_STATE_FAILED);
    assert_int_equal(p.last_try, 1699999000);
    assert_int_equal(p.attempts, 1);
    p = find(m, addr_of("fc00:1:2:3:4:5:6:7", 8333));
    assert_int_equal(p.addr.net, AM_NET_CJDNS);
    assert_int_equal(p.state, AM_STATE_TRIED);
    assert_int_equal(p.last_success, 1699995000);
    /* Banned(t ahead): a ban of that one address until t. */
    am_ban bans[4];
    size_t nb = 0;
    ASSERT_RC(am_ban_list(m, bans, 4, &nb), AM_OK);
    assert_int_equal(nb, 1);
    assert_int_equal(bans[0].until, 1700086400);
    assert_true(am_subnet_is_single(&bans[0].target));
    am_addr nine = addr_of("9.9.9.9", 8333);
    assert_true(am_is_banned(m, &nine));
    /* Banned(86400), a duration: never tried, not banned. */
    p = find(m, addr_of("9.9.9.10", 8333));
    assert_int_equal(p.state, AM_STATE_NEVER_TRIED);
    CHECK(m);
    st_merge_result_free(&r);
    am_free(m);
}

/* Floresta's id is an Option<usize>: serde writes None as null.  Such an
 * entry loads like one without "id"; a wrong type is still an error. */
static void test_null_id_reads_as_no_id(void **state)
{
    static const char doc[] =
        "[{\"address\": {\"V4\": \"8.8.4.4\"}, \"last_connected\": 1699990000,"
        "  \"state\": \"NeverTried\", \"services\": 9, \"port\": 8333,"
        "  \"id\": null},"
        " {\"address\": {\"V4\": \"8.8.4.5\"}, \"last_connected\": 1699990000,"
        "  \"state\": \"NeverTried\", \"services\": 9, \"port\": 8333},"
        " {\"address\": {\"V4\": \"8.8.4.6\"}, \"last_connected\": 1699990000,"
        "  \"state\": \"NeverTried\", \"services\": 9, \"port\": 8333,"
        "  \"id\": \"7\"}]";
    (void)state;
    am_man *m = t_man(1024, 256);
    st_merge_result r;
    st_merge_result_init(&r);
    ASSERT_RC(st_floresta_merge(m, doc, sizeof doc - 1, NULL, &r), AM_OK);
    assert_int_equal(r.added, 2);
    assert_int_equal(r.n_errors, 1);
    assert_int_equal(r.errors[0].index, 2);
    am_peer a = find(m, addr_of("8.8.4.4", 8333));
    am_peer b = find(m, addr_of("8.8.4.5", 8333));
    assert_int_equal(a.services, b.services);
    assert_int_equal(a.state, b.state);
    assert_int_equal(a.time, b.time);
    CHECK(m);
    st_merge_result_free(&r);
    am_free(m);
}

static void test_entry_errors_are_reported_by_index(void **state)
{
    (void)state;
    static const char doc[] =
        "[{\"address\":{\"V4\":\"1.1.1.1\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1,\"port\":8333},\n"          /* 0 ok */
        "{\"address\":{\"V4\":\"1.2.3\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1,\"port\":8333},\n"          /* 1 */
        "{\"address\":{\"V4\":\"1.1.1.2\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1,\"port\":\"x\"},\n"         /* 2 */
        "{\"address\":{\"V4\":\"1.1.1.3\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"port\":8333},\n"                         /* 3 */
        "{\"address\":{\"V4\":\"1.1.1.4\"},\"last_connected\":1,\"state\":"
        "\"Weird\",\"services\":1,\"port\":8333},\n"               /* 4 */
        "{\"address\":{\"V4\":\"1.1.1.5\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1,\"port\":70000},\n"         /* 5 */
        "{\"address\":{\"V4\":\"1.1.1.6\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":-1,\"port\":8333},\n"         /* 6 */
        "{\"address\":{\"V4\":\"1.1.1.7\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1.5,\"port\":8333},\n"        /* 7 */
        "{\"address\":{\"V4\":\"1.1.1.8\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1e400,\"port\":8333},\n"      /* 8 */
        "{\"address\":{\"V4\":\"1.1.1.9\"},\"last_connected\":99999999999,"
        "\"state\":\"NeverTried\",\"services\":1,\"port\":8333},\n"/* 9 */
        "[1,2],\n"                                                 /* 10 */
        "{\"address\":{\"V4\":\"1.1.1.10\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":123456789012345678901234567890,"
        "\"port\":8333},\n"                                        /* 11 */
        "{\"address\":{\"OnionV3\":[1,2,3]},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1,\"port\":8333},\n"          /* 12 */
        "{\"address\":{\"V4\":\"1.1.1.11\"},\"last_connected\":1,\"state\":"
        "{\"Tried\":\"x\"},\"services\":1,\"port\":8333},\n"       /* 13 */
        "{\"address\":{\"V4\":\"1.1.1.12\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1,\"port\":8333,\"id\":-5},\n"/* 14 */
        "{\"address\":{\"V4\":\"1.1.1.13\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1,\"port\":8333}]";           /* 15 ok */
    am_man *m = t_man(1024, 256);
    st_merge_result r;
    st_merge_result_init(&r);
    ASSERT_RC(st_floresta_merge(m, doc, sizeof doc - 1, NULL, &r), AM_OK);
    assert_int_equal(r.added, 2);
    assert_int_equal(r.n_errors, 14);
    assert_int_equal(r.errors_kept, 14);
    for (size_t i = 0; i < 14; i++) {
        assert_int_equal(r.errors[i].index, i + 1);
        assert_true(strlen(r.errors[i].message) > 5);
    }
    assert_int_equal(r.errors[0].code, ST_ENTRY_BAD_ADDRESS);
    assert_int_equal(r.errors[1].code, ST_ENTRY_BAD);
    /* The answer has the shape of POST /v1/peers. */
    char *out = result_json(&r);
    assert_non_null(strstr(out, "\"added\":2,\"updated\":0,\"ignored\":0,"
                                "\"ignored_by\":{},"
                                "\"errors\":[{\"index\":1,\"code\":"
                                "\"invalid_address\""));
    free(out);
    st_merge_result_free(&r);
    am_free(m);
}

/* An entry a ban covers is ignored as banned (not as a Banned entry). */
static void test_banned_entry_is_ignored_as_banned(void **state)
{
    (void)state;
    static const char doc[] =
        "[{\"address\":{\"V4\":\"9.9.9.9\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1,\"port\":8333},\n"
        "{\"address\":{\"V4\":\"31.7.0.1\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1,\"port\":8333}]";
    am_man *m = t_man(1024, 256);
    am_subnet nine;
    ASSERT_RC(am_subnet_parse(&nine, "9.9.9.9"), AM_OK);
    ASSERT_RC(am_ban_add(m, &nine, T_START + T_DAY, "test", NULL), AM_OK);
    st_merge_result r;
    st_merge_result_init(&r);
    ASSERT_RC(st_floresta_merge(m, doc, sizeof doc - 1, NULL, &r), AM_OK);
    assert_int_equal(r.added, 1);
    assert_int_equal(r.ignored, 1);
    assert_int_equal(r.ignored_by[ST_IGN_BANNED], 1);
    st_merge_result_free(&r);
    am_free(m);
}

static void test_port_0_is_an_error_except_for_i2p(void **state)
{
    (void)state;
    static const char doc[] =
        "[{\"address\":{\"V4\":\"8.8.8.8\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1,\"port\":0},\n"             /* 0 */
        "{\"address\":{\"OnionV3\":" ONION_BYTES "},\"last_connected\":1,"
        "\"state\":\"NeverTried\",\"services\":1,\"port\":0},\n"   /* 1 */
        "{\"address\":{\"Cjdns\":\"fc00::5\"},\"last_connected\":1,"
        "\"state\":\"NeverTried\",\"services\":1,\"port\":0},\n"   /* 2 */
        "{\"address\":{\"V6\":\"2a01:4f8::5\"},\"last_connected\":1,"
        "\"state\":\"NeverTried\",\"services\":1,\"port\":0},\n"   /* 3 */
        "{\"address\":{\"I2p\":" I2P_BYTES "},\"last_connected\":1,"
        "\"state\":\"NeverTried\",\"services\":1,\"port\":0},\n"   /* ok */
        "{\"address\":{\"V4\":\"8.8.8.8\"},\"last_connected\":1,\"state\":"
        "\"NeverTried\",\"services\":1,\"port\":8333}]";             /* ok */
    am_man *m = t_man(1024, 256);
    st_merge_result r;
    st_merge_result_init(&r);
    ASSERT_RC(st_floresta_merge(m, doc, sizeof doc - 1, NULL, &r), AM_OK);
    assert_int_equal(r.added, 2);
    assert_int_equal(r.ignored, 0);
    assert_int_equal(r.n_errors, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r.errors[i].index, i);
        assert_int_equal(r.errors[i].code, ST_ENTRY_BAD_ADDRESS);
        assert_non_null(strstr(r.errors[i].message, "port 0"));
    }
    find(m, addr_of("ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq"
                    ".b32.i2p", 0));
    find(m, addr_of("8.8.8.8", 8333));
    assert_int_equal(am_size(m), 2);
    st_merge_result_free(&r);
    am_free(m);
}

static void expect_unreadable(const char *doc)
{
    am_man *m = t_man(16, 16);
    st_merge_result r;
    st_merge_result_init(&r);
    ASSERT_RC(st_floresta_merge(m, doc, strlen(doc), NULL, &r),
              AM_ERR_MALFORMED);
    assert_true(r.unreadable);
    assert_true(strlen(r.why) > 3);
    assert_int_equal(am_size(m), 0);
    st_merge_result_free(&r);
    am_free(m);
}

static void test_unreadable_documents(void **state)
{
    (void)state;
    expect_unreadable("");
    expect_unreadable("not json");
    expect_unreadable("{\"address\": 1}");
    expect_unreadable("[{\"address\":{\"V4\":\"1.1.1.1\"}");
    expect_unreadable("[1.2.3]");
    expect_unreadable("\"[]\"");
}

/* ---- writing -------------------------------------------------------------- */

static const char *const floresta_keys[] = {
    "\"address\":", "\"last_connected\":", "\"state\":", "\"services\":",
    "\"port\":", "\"id\":", "\"source\":", "\"table\":", "\"place\":",
    "\"time\":", "\"last_try\":", "\"last_success\":", "\"attempts\":",
    "\"am_state\":"};

/* A state's time, {"Tried": t} and the like. */
static uint64_t state_time(const js_val *st, const char *kind)
{
    uint64_t t = 0;

    ASSERT_RC(js_u64(js_get(st, kind), 0, UINT64_MAX, &t), AM_OK);
    return t;
}

static void check_entry_state(am_man *m, const js_val *e)
{
    uint64_t id, svc, lc;
    am_peer p;
    const js_val *st = js_get(e, "state");

    ASSERT_RC(js_u64(js_get(e, "id"), 1, AM_ID_MAX, &id), AM_OK);
    ASSERT_RC(am_get(m, id, &p), AM_OK);
    ASSERT_RC(js_u64(js_get(e, "services"), 0, UINT64_MAX, &svc), AM_OK);
    assert_true(svc == p.services);
    ASSERT_RC(js_u64(js_get(e, "last_connected"), 0, UINT64_MAX, &lc),
              AM_OK);
    assert_int_equal(lc, p.last_connected);
    switch (p.state) {
    case AM_STATE_NEVER_TRIED:
        assert_string_equal(js_str(st), "NeverTried");
        break;
    case AM_STATE_CONNECTED:
        assert_string_equal(js_str(st), "Connected");
        break;
    case AM_STATE_TRIED:
        assert_int_equal(state_time(st, "Tried"), p.last_success);
        break;
    case AM_STATE_FAILED:
        assert_int_equal(state_time(st, "Failed"), p.last_try);
        break;
    case AM_STATE_BANNED:
        assert_true(state_time(st, "Banned") > (uint64_t)t_now);
        break;
    }
}

static void test_export_has_floresta_keys_first_and_parses_back(void **state)
{
    (void)state;
    am_man *a = t_man(1024, 256);
    st_fill(a, NULL);
    char *text;
    size_t len, count;
    ASSERT_RC(st_floresta_export(a, &text, &len, &count), AM_OK);
    assert_int_equal(count, am_size(a));
    assert_int_equal(strlen(text), len);

    /* One entry a line, Floresta's keys first, ours after. */
    size_t lines = 0;
    for (char *line = strchr(text, '{'); line; line = strchr(line, '\n')) {
        line++;
        if (*line != '{')
            continue;
        lines++;
        const char *prev = line;
        for (size_t k = 0; k < sizeof floresta_keys / sizeof *floresta_keys;
             k++) {
            const char *at = strstr(prev, floresta_keys[k]);
            const char *eol = strchr(line, '\n');
            if (at == NULL || (eol && at > eol))
                fail_msg("entry %zu: %s missing or out of order", lines,
                         floresta_keys[k]);
            prev = at;
        }
    }
    assert_int_equal(lines + 1, count);   /* the first line starts "[\n{" */

    /* Services and ids may pass INT64_MAX: read with our exact reader. */
    js_reader *rd;
    const js_val *root;
    char why[128];
    ASSERT_RC(js_parse(text, len, JS_STRICT, &rd, &root, why, sizeof why),
              AM_OK);
    assert_int_equal(root->type, JS_ARR);
    assert_int_equal(js_size(root), count);
    size_t i = 0;
    for (const js_val *e = root->child; e != NULL; e = e->next, i++) {
        for (int k = 0; k < 6; k++) {
            char key[32];
            snprintf(key, sizeof key, "%.*s", (int)strlen(floresta_keys[k]) - 3,
                     floresta_keys[k] + 1);
            if (js_get(e, key) == NULL)
                fail_msg("entry %zu lacks %s", i, key);
        }
        check_entry_state(a, e);
    }
    js_close(rd);

    /* Read back into a core with the same key: identical. */
    am_config cfg;
    t_config(&cfg, 1024, 256);
    am_man *b = t_man_cfg(&cfg);
    am_ban bans[16];
    size_t nb;
    ASSERT_RC(am_ban_list(a, bans, 16, &nb), AM_OK);
    for (size_t k = 0; k < nb; k++)
        ASSERT_RC(am_ban_restore(b, &bans[k]), AM_OK);
    st_merge_result r;
    st_merge_result_init(&r);
    st_merge_opts o = {1, NULL, NULL, ST_MERGE_ALL};
    ASSERT_RC(st_floresta_merge(b, text, len, &o, &r), AM_OK);
    assert_int_equal(r.added, count);
    assert_int_equal(r.n_errors, 0);
    CHECK(b);
    am_id_floor(b, t_stats(a).next_id);
    st_same_core(a, b);
    st_merge_result_free(&r);
    free(text);
    am_free(a);
    am_free(b);
}

static void test_export_of_empty_pool_is_an_empty_array(void **state)
{
    (void)state;
    am_man *m = t_man(16, 16);
    char *text;
    size_t len, count = 9;
    ASSERT_RC(st_floresta_export(m, &text, &len, &count), AM_OK);
    assert_string_equal(text, "[]\n");
    assert_int_equal(count, 0);
    free(text);
    am_free(m);
}

static void test_merge_into_a_running_pool(void **state)
{
    (void)state;
    am_man *a = t_man(1024, 256);
    uint64_t id = t_add(a, t_v4(1, 1, 1, 1, 8333), NULL, 1, 0);
    am_subnet ban = t_subnet("2.2.0.0/16");
    ASSERT_RC(am_ban_add(a, &ban, t_now + T_DAY, "x", NULL), AM_OK);
    static const char doc[] =
        "[{\"address\":{\"V4\":\"1.1.1.1\"},\"last_connected\":1699999000,"
        "\"state\":\"NeverTried\",\"services\":8,\"port\":8333},"
        "{\"address\":{\"V4\":\"2.2.3.4\"},\"last_connected\":1699999000,"
        "\"state\":\"NeverTried\",\"services\":8,\"port\":8333},"
        "{\"address\":{\"V4\":\"3.3.3.3\"},\"last_connected\":1699999000,"
        "\"state\":\"NeverTried\",\"services\":8,\"port\":8333}]";
    st_merge_result r;
    st_merge_result_init(&r);
    ASSERT_RC(st_floresta_merge(a, doc, sizeof doc - 1, NULL, &r), AM_OK);
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.ignored, 1);
    assert_int_equal(r.added, 1);
    am_peer p = t_get(a, id);
    assert_int_equal(p.services, 9);        /* OR-ed, as an add does */
    CHECK(a);
    st_merge_result_free(&r);
    am_free(a);
}

static void test_import_never_reuses_a_forgotten_id(void **state)
{
    (void)state;
    am_man *a = t_man(1024, 256);
    uint64_t ids[3];
    for (unsigned i = 0; i < 3; i++)
        ids[i] = t_add(a, t_v4(11 + i, 1, 1, 1, 8333), NULL, 1, 0);
    char *text;
    size_t len;
    ASSERT_RC(st_floresta_export(a, &text, &len, NULL), AM_OK);
    am_peer gone = t_get(a, ids[1]);
    t_remove(a, ids[1]);

    /* Back into the same pool: the forgotten peer comes back as a new
     * peer with a new id, its old id stays unused. */
    st_merge_result r;
    st_merge_result_init(&r);
    ASSERT_RC(st_floresta_merge(a, text, len, NULL, &r), AM_OK);
    assert_int_equal(r.added, 1);
    assert_int_equal(r.updated, 2);
    am_peer back;
    ASSERT_RC(am_find(a, &gone.addr, &back), AM_OK);
    assert_int_equal(back.id, ids[2] + 1);
    ASSERT_RC(am_get(a, ids[1], &back), AM_ERR_NOTFOUND);
    CHECK(a);
    st_merge_result_free(&r);

    /* Into a pool that never used those ids: they are kept. */
    am_man *b = t_man(1024, 256);
    st_merge_result_init(&r);
    ASSERT_RC(st_floresta_merge(b, text, len, NULL, &r), AM_OK);
    assert_int_equal(r.added, 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(t_get(b, ids[i]).addr.bytes[0], 11 + i);
    st_merge_result_free(&r);
    free(text);
    am_free(a);
    am_free(b);
}

static void test_anchors_name_known_peers_only(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    uint64_t a = t_add(m, t_v4(5, 6, 7, 8, 8333), NULL, 1, 0);
    uint64_t b = t_add(m, t_named(AM_NET_TORV3, 1, 8333), NULL, 4096, 0);
    uint64_t ids[3] = {b, a, 999};
    char *text;
    size_t len, missing = 77;
    ASSERT_RC(st_floresta_anchors(m, ids, 2, &text, &len, &missing), AM_OK);
    assert_int_equal(missing, 77);
    js_reader *rd;
    const js_val *root;
    char why[128];
    uint64_t first;
    ASSERT_RC(js_parse(text, len, JS_STRICT, &rd, &root, why, sizeof why),
              AM_OK);
    assert_int_equal(js_size(root), 2);
    ASSERT_RC(js_u64(js_get(js_at(root, 0), "id"), 0, UINT64_MAX, &first),
              AM_OK);
    assert_int_equal(first, b);
    assert_non_null(js_get(js_get(js_at(root, 0), "address"), "OnionV3"));
    js_close(rd);
    free(text);
    ASSERT_RC(st_floresta_anchors(m, ids, 3, &text, &len, &missing),
              AM_ERR_NOTFOUND);
    assert_null(text);
    assert_int_equal(missing, 2);
    am_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_files_import_every_routable_entry),
        cmocka_unit_test(test_seed_entry_fields_are_read),
        cmocka_unit_test(test_variants_big_numbers_states_and_bans),
        cmocka_unit_test(test_null_id_reads_as_no_id),
        cmocka_unit_test(test_entry_errors_are_reported_by_index),
        cmocka_unit_test(test_port_0_is_an_error_except_for_i2p),
        cmocka_unit_test(test_banned_entry_is_ignored_as_banned),
        cmocka_unit_test(test_unreadable_documents),
        cmocka_unit_test(test_export_has_floresta_keys_first_and_parses_back),
        cmocka_unit_test(test_export_of_empty_pool_is_an_empty_array),
        cmocka_unit_test(test_merge_into_a_running_pool),
        cmocka_unit_test(test_import_never_reuses_a_forgotten_id),
        cmocka_unit_test(test_anchors_name_known_peers_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
