/*
 * test_btcd.c - importing btcd's peers.json: a hand-written sample with
 * realistic values (tests/data/btcd/peers.json: IPv4, IPv6, Tor v3 and a
 * Tor v2 name, tried buckets, Go zero times, a failed peer, an unroutable
 * one), malformed documents and entries.
 */
#include "store_test.h"

#include "st_btcd.h"

static am_peer find(am_man *m, const char *endpoint)
{
    am_addr a;
    am_peer p;
    ASSERT_RC(am_addr_parse(&a, endpoint, 8333), AM_OK);
    memset(&p, 0, sizeof p);
    if (am_find(m, &a, &p) != AM_OK)
        fail_msg("%s was not imported", endpoint);
    return p;
}

static am_addr host(const char *text)
{
    am_addr a;
    ASSERT_RC(am_addr_parse_host(&a, text), AM_OK);
    return a;
}

/* A new pool with doc merged into it; r holds the result (to be freed). */
static am_man *merged(const char *doc, size_t len, st_merge_result *r)
{
    am_man *m = t_man(1024, 256);
    st_merge_result_init(r);
    ASSERT_RC(st_btcd_merge(m, doc, len, NULL, r), AM_OK);
    return m;
}

static void test_sample_imports_addresses_sources_times_and_tried(void **s)
{
    (void)s;
    size_t len;
    char *text = st_data("btcd/peers.json", &len);
    st_merge_result r;
    am_man *m = merged(text, len, &r);
    assert_int_equal(r.n_errors, 0);
    assert_int_equal(r.added, 5);
    assert_int_equal(r.ignored, 2);     /* the Tor v2 name, 203.0.113.5 */
    assert_int_equal(r.ignored_by[ST_IGN_TOR_V2], 1);
    assert_int_equal(r.ignored_by[ST_IGN_UNROUTABLE], 1);
    assert_int_equal(am_size(m), 5);

    /* Tried (listed in TriedBuckets): our tried table, times as saved. */
    am_peer p = find(m, "185.25.48.184:8333");
    assert_true(p.in_tried);
    assert_int_equal(p.state, AM_STATE_TRIED);
    assert_int_equal(p.time, 1699990000);
    assert_int_equal(p.last_try, 1699995000);
    assert_int_equal(p.last_success, 1699995000);
    assert_int_equal(p.services, 1033);
    assert_true(p.has_source);
    am_addr src = host("52.15.62.20");
    assert_true(am_addr_eq(&p.source, &src));

    p = find(m, "[2001:41d0:203:3739::1]:8333");
    assert_true(p.in_tried);
    assert_int_equal(p.last_success, 1699999000);
    assert_int_equal(p.services, 3081);

    /* Go's zero time means never. */
    p = find(m, "[2a01:4f8:c0c:1234::2]:8333");
    assert_false(p.in_tried);
    assert_int_equal(p.state, AM_STATE_NEVER_TRIED);
    assert_int_equal(p.last_try, 0);
    assert_int_equal(p.last_success, 0);
    assert_int_equal(p.time, 1699900000);
    assert_int_equal(p.services, 1037);

    /* Tor v3 with an IPv6 source, two failed attempts. */
    p = find(m, "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd"
                ".onion:8333");
    assert_int_equal(p.addr.net, AM_NET_TORV3);
    assert_int_equal(p.state, AM_STATE_FAILED);
    assert_int_equal(p.attempts, 2);
    assert_int_equal(p.last_try, 1699950000);
    assert_int_equal(p.last_success, 0);
    src = host("2a01:4f8:c0c:1234::2");
    assert_true(am_addr_eq(&p.source, &src));

    /* Failed after an older success, on another port. */
    p = find(m, "104.248.139.211:18333");
    assert_int_equal(p.state, AM_STATE_FAILED);
    assert_int_equal(p.attempts, 1);
    assert_int_equal(p.last_success, 1699000000);
    assert_false(p.in_tried);
    CHECK(m);

    /* A second import only refreshes. */
    st_merge_result_free(&r);
    st_merge_result_init(&r);
    ASSERT_RC(st_btcd_merge(m, text, len, NULL, &r), AM_OK);
    assert_int_equal(r.added, 0);
    assert_int_equal(r.updated, 5);
    assert_int_equal(am_size(m), 5);
    st_merge_result_free(&r);
    free(text);
    am_free(m);
}

static void test_btcd_entry_errors_and_unreadable_documents(void **s)
{
    (void)s;
    static const char doc[] =
        "{\"Version\":2,\"Addresses\":["
        "{\"Addr\":\"8.8.8.8:8333\",\"Src\":\"garbage\",\"Attempts\":0,"
        "\"TimeStamp\":1699990000,\"LastAttempt\":-62135596800,"
        "\"LastSuccess\":-62135596800,\"Services\":18446744073709551615},"
        "{\"Addr\":\"8.8.8.9:8333\",\"Attempts\":-1},"
        "{\"Addr\":\"not an address\"},"
        "{\"Addr\":\"8.8.8.10:8333\",\"TimeStamp\":-5},"
        "{\"Addr\":7},"
        "\"x\","
        "{\"Addr\":\"8.8.8.11:8333\",\"Services\":\"1\"}],"
        "\"TriedBuckets\":[[\"8.8.8.8:8333\",\"junk\"],[]]}";
    st_merge_result r;
    am_man *m = merged(doc, sizeof doc - 1, &r);
    assert_int_equal(r.added, 1);
    assert_int_equal(r.n_errors, 6);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(r.errors[i].index, i + 1);
    assert_int_equal(r.errors[1].code, ST_ENTRY_BAD_ADDRESS);
    am_peer p = find(m, "8.8.8.8:8333");
    assert_true(p.services == UINT64_MAX);
    assert_false(p.has_source);         /* "garbage" is no address */
    assert_true(p.in_tried);
    st_merge_result_free(&r);

    static const char *const bad[] = {"", "[]", "{\"Addresses\":{}}",
                                      "{\"Version\":2}", "{\"Addresses\":[",
                                      "{\"Addresses\":[],\"TriedBuckets\":3}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        st_merge_result_init(&r);
        ASSERT_RC(st_btcd_merge(m, bad[i], strlen(bad[i]), NULL, &r),
                  AM_ERR_MALFORMED);
        assert_true(r.unreadable);
        st_merge_result_free(&r);
    }
    assert_int_equal(am_size(m), 1);
    am_free(m);
}

static void test_btcd_port_0_is_an_error_and_i2p_defaults_to_0(void **s)
{
    (void)s;
    static const char doc[] =
        "{\"Version\":2,\"Addresses\":["
        "{\"Addr\":\"8.8.8.8:0\"},"
        "{\"Addr\":\"8.8.8.9:70000\"},"
        "{\"Addr\":\"ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq"
        ".b32.i2p\"},"
        "{\"Addr\":\"8.8.8.10\"}]}";
    st_merge_result r;
    am_man *m = merged(doc, sizeof doc - 1, &r);
    am_peer p;

    assert_int_equal(r.added, 2);
    assert_int_equal(r.n_errors, 2);
    /* Reading finds the text errors, merging the port 0 after them. */
    assert_int_equal(r.errors[0].index, 1);
    assert_int_equal(r.errors[0].code, ST_ENTRY_BAD_ADDRESS);
    assert_non_null(strstr(r.errors[0].message, "port 70000 is out of range"));
    assert_int_equal(r.errors[1].index, 0);
    assert_int_equal(r.errors[1].code, ST_ENTRY_BAD_ADDRESS);
    assert_non_null(strstr(r.errors[1].message, "port 0"));
    p = find(m, "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p:0");
    assert_int_equal(p.addr.port, 0);
    find(m, "8.8.8.10:8333");
    st_merge_result_free(&r);
    am_free(m);
}

/* Services one past u64, a fraction or a time past int64: an error of the
 * entry, with its sentence; repeated keys: the last one counts. */
static void test_btcd_numbers_past_their_limits_and_repeated_keys(void **s)
{
    (void)s;
    static const char doc[] =
        "{\"Version\":2,\"Addresses\":["
        "{\"Addr\":\"8.8.8.8:8333\",\"Services\":18446744073709551616},"
        "{\"Addr\":\"8.8.8.9:8333\",\"Attempts\":1.0},"
        "{\"Addr\":\"8.8.8.10:8333\",\"TimeStamp\":9223372036854775808},"
        "{\"Addr\":\"junk\",\"Addr\":\"8.8.8.11:8333\",\"Services\":1,"
        "\"Services\":18446744073709551615}],"
        "\"TriedBuckets\":[7,[\"8.8.8.11:8333\"]],\"TriedBuckets\":null}";
    st_merge_result r;
    am_man *m = merged(doc, sizeof doc - 1, &r);
    assert_int_equal(r.added, 1);
    assert_int_equal(r.n_errors, 3);
    assert_string_equal(r.errors[0].message,
                        "\"Services\" is not an integer 0..18446744073709551615");
    assert_string_equal(r.errors[1].message,
                        "\"Attempts\" is not an integer 0..4294967295");
    assert_string_equal(r.errors[2].message, "\"TimeStamp\" is not a time");
    am_peer p = find(m, "8.8.8.11:8333");
    assert_true(p.services == UINT64_MAX);
    assert_false(p.in_tried);           /* the last TriedBuckets is null */
    st_merge_result_free(&r);
    am_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_imports_addresses_sources_times_and_tried),
        cmocka_unit_test(test_btcd_entry_errors_and_unreadable_documents),
        cmocka_unit_test(test_btcd_port_0_is_an_error_and_i2p_defaults_to_0),
        cmocka_unit_test(test_btcd_numbers_past_their_limits_and_repeated_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
