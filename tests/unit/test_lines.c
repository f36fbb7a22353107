/*
 * test_lines.c - the plain address list (st_lines.h): comments, blanks,
 * CRLF, every network, errors by line, Tor v2 ignored, and Bitcoin Core's
 * own contrib/seeds/nodes_main.txt read whole.
 */
#include "store_test.h"

#include "st_lines.h"

typedef struct lines_read {
    st_doc doc;
    st_merge_result r;
} lines_read;

static void read_text(lines_read *lr, const char *text, size_t len,
                      uint64_t services)
{
    st_doc_init(&lr->doc);
    st_merge_result_init(&lr->r);
    ASSERT_RC(st_lines_read(text, len, services, &lr->doc, &lr->r), AM_OK);
}

static void lines_free(lines_read *lr)
{
    st_doc_free(&lr->doc);
    st_merge_result_free(&lr->r);
}

static void expect_rec(const st_rec *rec, size_t index, const char *endpoint)
{
    char got[AM_ADDR_STRLEN];

    assert_int_equal(rec->index, index);
    ASSERT_RC(am_addr_format_endpoint(&rec->addr, got, sizeof got), AM_OK);
    if (strcmp(got, endpoint) != 0)
        fail_msg("entry %zu: %s, expected %s", index, got, endpoint);
    assert_int_equal(rec->state, AM_STATE_NEVER_TRIED);
    assert_int_equal(rec->has_source, 0);
    assert_int_equal(rec->ours, 0);
    assert_int_equal(rec->time, 0);
}

static void test_comments_blanks_and_crlf_are_skipped(void **state)
{
    static const char text[] =
        "# a list\n"
        "\n"
        "1.2.3.4:8333 # AS1\r\n"
        "   \t\n"
        "\t5.6.7.8\t\n"
        "[2001:db8::1]:18333\n"
        "#1.1.1.1\n"
        "9.9.9.9:8333";                 /* no newline at the end */
    lines_read lr;
    (void)state;
    read_text(&lr, text, sizeof text - 1, 9);
    assert_int_equal(lr.doc.n, 4);
    assert_int_equal(lr.doc.entries, 4);
    assert_int_equal(lr.r.n_errors, 0);
    assert_int_equal(lr.r.ignored, 0);
    expect_rec(&lr.doc.recs[0], 0, "1.2.3.4:8333");
    expect_rec(&lr.doc.recs[1], 1, "5.6.7.8:8333");
    expect_rec(&lr.doc.recs[2], 2, "[2001:db8::1]:18333");
    expect_rec(&lr.doc.recs[3], 3, "9.9.9.9:8333");
    for (size_t i = 0; i < lr.doc.n; i++)
        assert_true(lr.doc.recs[i].services == 9);
    lines_free(&lr);
}

static void test_bad_lines_are_errors_named_by_line(void **state)
{
    static const char text[] =
        "1.2.3.4\n"
        "not-an-address\n"
        "# comment\n"
        "1.2.3.4 5.6.7.8\n"
        "1.2.3.4:70000\n"
        "5.6.7.8\n";
    lines_read lr;
    (void)state;
    read_text(&lr, text, sizeof text - 1, 0);
    assert_int_equal(lr.doc.n, 2);
    assert_int_equal(lr.doc.entries, 5);
    assert_int_equal(lr.r.n_errors, 3);
    assert_int_equal(lr.r.errors[0].index, 1);
    assert_non_null(strstr(lr.r.errors[0].message, "line 2:"));
    assert_non_null(strstr(lr.r.errors[0].message, "not-an-address"));
    assert_int_equal(lr.r.errors[0].code, ST_ENTRY_BAD_ADDRESS);
    assert_int_equal(lr.r.errors[1].index, 2);
    assert_non_null(strstr(lr.r.errors[1].message, "line 4:"));
    assert_int_equal(lr.r.errors[2].index, 3);
    assert_non_null(strstr(lr.r.errors[2].message, "line 5:"));
    expect_rec(&lr.doc.recs[1], 4, "5.6.7.8:8333");
    lines_free(&lr);
}

static void test_nul_bytes_and_long_lines_are_errors(void **state)
{
    char text[ST_LINES_MAX + 64];
    lines_read lr;
    (void)state;
    memcpy(text, "1.2.3.4\0:8333\n", 14);
    memset(text + 14, 'a', ST_LINES_MAX + 1);
    text[14 + ST_LINES_MAX + 1] = '\n';
    read_text(&lr, text, 14 + ST_LINES_MAX + 2, 0);
    assert_int_equal(lr.doc.n, 0);
    assert_int_equal(lr.r.n_errors, 2);
    lines_free(&lr);
}

static void test_tor_v2_is_ignored(void **state)
{
    static const char text[] = "expyuzz4wqqyqhjn.onion:8333\n1.2.3.4\n";
    lines_read lr;
    (void)state;
    read_text(&lr, text, sizeof text - 1, 0);
    assert_int_equal(lr.doc.n, 1);
    assert_int_equal(lr.r.ignored, 1);
    assert_int_equal(lr.r.n_errors, 0);
    lines_free(&lr);
}

/* An import is held to the group cap as adds are: past it, the entries
 * of that group are ignored as group_cap. */
static void test_import_beyond_the_group_cap_is_ignored(void **state)
{
    static const char text[] =
        "44.1.0.7\n44.1.1.7\n44.1.2.7\n44.1.3.7\n44.1.4.7\n"
        "44.1.5.7\n44.1.6.7\n44.1.7.7\n44.1.8.7\n44.1.9.7\n";
    lines_read lr;
    am_config cfg;
    st_merge_result mr;
    (void)state;
    read_text(&lr, text, sizeof text - 1, 9);
    t_config(&cfg, 1024, 256);
    cfg.new_group_cap = 4;
    am_man *m = t_man_cfg(&cfg);
    st_merge_result_init(&mr);
    ASSERT_RC(st_merge_doc(m, &lr.doc, NULL, &mr), AM_OK);
    assert_int_equal(mr.added, 4);
    assert_int_equal(mr.ignored, 6);
    assert_int_equal(mr.ignored_by[ST_IGN_GROUP_CAP], 6);
    CHECK(m);
    st_merge_result_free(&mr);
    am_free(m);
    lines_free(&lr);
}

/* Core's mainnet seed list: every line with an address is one record, of
 * every network it holds, and merges into a core. */
static void test_core_seed_list_reads_whole(void **state)
{
    size_t len, i, lines = 0, by_net[AM_NET_MAX] = {0};
    char *text = st_data("nodes_main.txt", &len);
    lines_read lr;
    (void)state;
    for (i = 0; i < len; i++) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - (text + i)) : len - i;
        if (l > 0 && text[i] != '#')
            lines++;
        i += l;
    }
    read_text(&lr, text, len, 9);
    assert_int_equal(lr.r.n_errors, 0);
    assert_int_equal(lr.doc.entries, lines);
    assert_int_equal(lr.doc.n + lr.r.ignored, lines);
    for (i = 0; i < lr.doc.n; i++)
        by_net[lr.doc.recs[i].addr.net]++;
    assert_true(by_net[AM_NET_IPV4] > 0);
    assert_true(by_net[AM_NET_IPV6] > 0);
    assert_true(by_net[AM_NET_TORV3] > 0);
    assert_true(by_net[AM_NET_I2P] > 0);
    assert_true(by_net[AM_NET_CJDNS] > 0);

    am_man *m = t_man(1024, 256);
    st_merge_result mr;
    st_merge_result_init(&mr);
    ASSERT_RC(st_merge_doc(m, &lr.doc, NULL, &mr), AM_OK);
    assert_true(mr.added > lr.doc.n / 2);
    assert_int_equal(mr.added + mr.updated + mr.ignored, lr.doc.n);
    CHECK(m);
    st_merge_result_free(&mr);
    am_free(m);
    lines_free(&lr);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_comments_blanks_and_crlf_are_skipped),
        cmocka_unit_test(test_bad_lines_are_errors_named_by_line),
        cmocka_unit_test(test_nul_bytes_and_long_lines_are_errors),
        cmocka_unit_test(test_tor_v2_is_ignored),
        cmocka_unit_test(test_import_beyond_the_group_cap_is_ignored),
        cmocka_unit_test(test_core_seed_list_reads_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
