/*
 * test_store_docs.c - addrmand.json and bans.json as read by their codecs:
 * u64 and int64 fields exactly at their limits, fractions and values one
 * past a limit refused with their sentence, the last of repeated keys
 * counts, and text that is not JSON is told with its place.
 */
#include "store_test.h"

#include "st_bansfile.h"
#include "st_meta.h"

#define META_HEAD "{\"format\":1,\"key\":\"000102030405060708090a0b0c0d0e0f\"," \
                  "\"new_buckets\":1024,\"tried_buckets\":256,"

static int meta_parse(const char *text, st_meta *m, char *why, size_t len)
{
    memset(m, 0, sizeof *m);
    why[0] = '\0';
    return st_meta_parse(text, strlen(text), m, why, len);
}

static void test_meta_reads_u64_fields_at_their_limits(void **s)
{
    st_meta m;
    char why[160];

    (void)s;
    ASSERT_RC(meta_parse(META_HEAD "\"next_id\":9007199254740992,"
                         "\"journal\":18446744073709551615,"
                         "\"saved\":9223372036854775807}", &m, why,
                         sizeof why), AM_OK);
    assert_true(m.next_id == AM_ID_MAX + 1);
    assert_true(m.gen == UINT64_MAX);
    assert_true(m.saved == INT64_MAX);
    assert_int_equal(m.new_buckets, 1024);
    assert_int_equal(m.key[15], 0x0f);
}

static void test_meta_refuses_fractions_and_values_past_a_limit(void **s)
{
    static const struct {
        const char *tail, *why;
    } cases[] = {
        {"\"next_id\":9007199254740993,\"journal\":1}",
         "\"next_id\" is missing or out of range"},
        {"\"next_id\":5.0,\"journal\":1}",
         "\"next_id\" is missing or out of range"},
        {"\"next_id\":-0,\"journal\":1}",
         "\"next_id\" is missing or out of range"},
        {"\"next_id\":5,\"journal\":18446744073709551616}",
         "\"journal\" is missing or not an integer"},
        {"\"next_id\":5,\"journal\":1e3}",
         "\"journal\" is missing or not an integer"},
    };
    st_meta m;
    char text[256], why[160];

    (void)s;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(text, sizeof text, "%s%s", META_HEAD, cases[i].tail);
        ASSERT_RC(meta_parse(text, &m, why, sizeof why), AM_ERR_MALFORMED);
        assert_string_equal(why, cases[i].why);
    }
    /* "saved" is informative: a bad one reads as 0, the rest is kept. */
    ASSERT_RC(meta_parse(META_HEAD "\"next_id\":5,\"journal\":1,"
                         "\"saved\":1.5}", &m, why, sizeof why), AM_OK);
    assert_int_equal(m.saved, 0);
    assert_int_equal(m.next_id, 5);
}

static void test_meta_last_repeated_key_counts(void **s)
{
    st_meta m;
    char why[160];

    (void)s;
    ASSERT_RC(meta_parse(META_HEAD "\"next_id\":5,\"journal\":1,"
                         "\"format\":2}", &m, why, sizeof why),
              AM_ERR_MALFORMED);
    assert_string_equal(why, "\"format\" is not 1");
    ASSERT_RC(meta_parse("{\"format\":2,\"format\":1,\"key\":"
                         "\"000102030405060708090a0b0c0d0e0f\","
                         "\"new_buckets\":4,\"tried_buckets\":4,"
                         "\"next_id\":5,\"journal\":1}", &m, why, sizeof why),
              AM_OK);
    ASSERT_RC(meta_parse(META_HEAD "\"next_id\":5,\"journal\":1,"
                         "\"next_id\":7}", &m, why, sizeof why), AM_OK);
    assert_int_equal(m.next_id, 7);
}

static void test_meta_not_json_or_not_an_object(void **s)
{
    st_meta m;
    char why[160];

    (void)s;
    ASSERT_RC(meta_parse("{\"format\":1,\n\"key\":", &m, why, sizeof why),
              AM_ERR_MALFORMED);
    assert_non_null(strstr(why, "not JSON"));
    assert_non_null(strstr(why, "line 2"));
    ASSERT_RC(meta_parse("", &m, why, sizeof why), AM_ERR_MALFORMED);
    assert_non_null(strstr(why, "not JSON"));
    ASSERT_RC(meta_parse("[1]", &m, why, sizeof why), AM_ERR_MALFORMED);
    assert_string_equal(why, "not a JSON object");
}

static int bans_load(am_man *m, const char *text, size_t *errors, char *why,
                     size_t len)
{
    *errors = 0;
    why[0] = '\0';
    return st_bans_load(m, text, strlen(text), errors, why, len);
}

static void test_bans_times_past_int64_lose_only_their_entry(void **s)
{
    char text[512], why[256];
    size_t errors;
    am_man *m = t_man(1024, 256);

    (void)s;
    snprintf(text, sizeof text,
             "{\"bans\":[{\"target\":\"1.2.0.0/16\",\"until\":"
             "9223372036854775808,\"created\":1},"
             "{\"target\":\"1.3.0.0/16\",\"until\":%lld,\"created\":"
             "9223372036854775807,\"reason\":\"x\",\"reason\":\"last\"},"
             "{\"target\":\"1.4.0.0/16\",\"until\":%lld.0,\"created\":1}]}",
             (long long)(t_now + T_DAY), (long long)(t_now + T_DAY));
    ASSERT_RC(bans_load(m, text, &errors, why, sizeof why), AM_ERR_MALFORMED);
    assert_int_equal(errors, 2);
    assert_string_equal(why, "unreadable entries (first: entry 0: \"until\" "
                             "or \"created\" is not a time)");
    am_ban b;
    size_t n;
    ASSERT_RC(am_ban_list(m, &b, 1, &n), AM_OK);
    assert_int_equal(n, 1);
    assert_string_equal(b.reason, "last");
    assert_true(b.created == INT64_MAX);
    am_free(m);
}

static void test_bans_document_shapes(void **s)
{
    static const char *const bad[] = {"[]", "{\"bans\":{}}", "{}", "7"};
    char why[256];
    size_t errors;
    am_man *m = t_man(1024, 256);

    (void)s;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ASSERT_RC(bans_load(m, bad[i], &errors, why, sizeof why),
                  AM_ERR_MALFORMED);
        assert_string_equal(why, "not an object with a \"bans\" array");
    }
    ASSERT_RC(bans_load(m, "{\"bans\":[", &errors, why, sizeof why),
              AM_ERR_MALFORMED);
    assert_non_null(strstr(why, "not JSON"));
    ASSERT_RC(bans_load(m, "{\"bans\":[]}", &errors, why, sizeof why), AM_OK);
    assert_int_equal(am_ban_count(m), 0);
    am_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_reads_u64_fields_at_their_limits),
        cmocka_unit_test(test_meta_refuses_fractions_and_values_past_a_limit),
        cmocka_unit_test(test_meta_last_repeated_key_counts),
        cmocka_unit_test(test_meta_not_json_or_not_an_object),
        cmocka_unit_test(test_bans_times_past_int64_lose_only_their_entry),
        cmocka_unit_test(test_bans_document_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
