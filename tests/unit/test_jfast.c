/*
 * test_jfast.c - js_reader, the strict JSON reader: it accepts and refuses
 * what jansson does (numbers jansson cannot hold aside: those it reads),
 * reads strings, numbers and members exactly, and reports errors with a
 * place.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_error.h"
#include "js_reader.h"
#include <jansson.h>

/* Read a whole document: AM_OK with the element count, or the error. */
static int read_all(const char *text, size_t len, size_t *count)
{
    js_reader *r;
    const js_val *v;
    char why[160];
    int rc = js_open(text, len, &r, why, sizeof why);

    *count = 0;
    if (rc != AM_OK)
        return rc;
    while ((rc = js_next(r, &v, why, sizeof why)) == 1)
        (*count)++;
    js_close(r);
    if (rc != 0)
        assert_non_null(strstr(why, "line "));
    return rc;
}

static void test_same_verdict_as_jansson(void **state)
{
    static const char *const docs[] = {
        "[]", " [ ] ", "[1]", "[1,2,3]", "[{}]", "[[]]", "[null,true,false]",
        "[\"a\\u00e9\\ud83d\\ude00\\n\"]", "[{\"a\":1,\"a\":2}]",
        "[-0, 0.5, -1.5e-3, 9223372036854775807, -9223372036854775808]",
        "[\"\xc3\xa9\"]", "[\"\\u0000\"]",
        /* refused */
        "", "[", "[1,]", "[,1]", "[1 2]", "{\"a\":1", "[\"abc]", "[01]",
        "[1.]", "[.5]", "[-]", "[1e]", "[tru]", "[nul]", "[\"\\x\"]",
        "[\"\\u12\"]", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"a\x01\"]",
        "[\"\xff\"]", "[\"\xc3\"]", "[\"\xed\xa0\x80\"]", "[1] x", "[1]]",
        "[{\"a\"}]", "[{\"a\":}]", "[{1:2}]", "[{\"a\":1,}]", "x",
    };
    (void)state;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        size_t n, len = strlen(docs[i]);
        json_error_t jerr;
        json_t *j = json_loadb(docs[i], len, JSON_DECODE_ANY | JSON_ALLOW_NUL,
                               &jerr);
        int want = j != NULL;
        int got = read_all(docs[i], len, &n) == AM_OK;

        if (want && !json_is_array(j))
            want = 0;
        if (got != want)
            fail_msg("document %zu (%s): jansson %s it, js_reader %s it", i,
                     docs[i], want ? "accepts" : "refuses",
                     got ? "accepts" : "refuses");
        if (got)
            assert_int_equal(n, json_array_size(j));
        json_decref(j);
    }
}

/* jansson refuses integers outside int64 and doubles that overflow; they
 * are valid JSON, and files hold u64 values: this reader keeps them. */
static void test_accepts_numbers_jansson_cannot_hold(void **state)
{
    static const char doc[] = "[18446744073709551615, 1e999, -1e999, "
                              "-99999999999999999999, 123456789012345678901]";
    json_error_t jerr;
    size_t n;

    (void)state;
    assert_null(json_loadb(doc, strlen(doc), JSON_DECODE_ANY, &jerr));
    assert_int_equal(read_all(doc, strlen(doc), &n), AM_OK);
    assert_int_equal(n, 5);
}

static void test_values(void **state)
{
    const char *doc =
        "[{\"s\": \"x\\\"y\\u00e9\", \"n\": 18446744073709551615, "
        "\"big\": 18446744073709551616, \"neg\": -1, \"z\": -0, "
        "\"f\": 1.5, \"e\": 1e3, \"a\": [1, [2], {}], \"d\": 1, \"d\": 7, "
        "\"nul\": \"a\\u0000b\", \"k\\u0000\": 3}]";
    js_reader *r;
    const js_val *v, *a;
    char why[160];
    uint64_t x;

    (void)state;
    assert_int_equal(js_open(doc, strlen(doc), &r, why, sizeof why),
                     AM_OK);
    assert_int_equal(js_next(r, &v, why, sizeof why), 1);
    assert_string_equal(js_str(js_get(v, "s")), "x\"y\xc3\xa9");
    assert_int_equal(js_u64(js_get(v, "n"), 0, UINT64_MAX, &x),
                     AM_OK);
    assert_true(x == UINT64_MAX);
    assert_int_equal(js_u64(js_get(v, "big"), 0, UINT64_MAX, &x),
                     AM_ERR_RANGE);
    assert_int_equal(js_u64(js_get(v, "neg"), 0, 9, &x),
                     AM_ERR_RANGE);
    assert_int_equal(js_u64(js_get(v, "z"), 0, 9, &x), AM_OK);
    assert_true(x == 0);
    assert_int_equal(js_u64(js_get(v, "f"), 0, 9, &x),
                     AM_ERR_MALFORMED);
    assert_int_equal(js_u64(js_get(v, "e"), 0, 9999, &x),
                     AM_ERR_MALFORMED);
    assert_int_equal(js_u64(js_get(v, "s"), 0, 9, &x),
                     AM_ERR_MALFORMED);
    a = js_get(v, "a");
    assert_int_equal(js_size(a), 3);
    assert_int_equal(js_at(a, 1)->type, JS_ARR);
    assert_int_equal(js_at(a, 2)->type, JS_OBJ);
    assert_null(js_at(a, 3));
    /* The last of repeated keys counts; they are one key. */
    assert_int_equal(js_u64(js_get(v, "d"), 0, 9, &x), AM_OK);
    assert_true(x == 7);
    assert_int_equal(js_size(v), 11);
    /* Text with NUL bytes is no text; a key with them is no name. */
    assert_null(js_str(js_get(v, "nul")));
    assert_null(js_get(v, "k"));
    assert_null(js_get(v, "missing"));
    assert_null(js_get(a, "x"));
    assert_int_equal(js_next(r, &v, why, sizeof why), 0);
    assert_int_equal(js_next(r, &v, why, sizeof why), 0);
    js_close(r);
}

static void test_errors_and_shapes(void **state)
{
    js_reader *r;
    const js_val *v;
    char why[160], *deep;
    size_t n, i;

    (void)state;
    assert_int_equal(js_open("{\"a\": 1}", 8, &r, why, sizeof why),
                     AM_ERR_INVAL);
    assert_int_equal(js_open("{\"a\": ", 6, &r, why, sizeof why),
                     AM_ERR_MALFORMED);
    assert_non_null(strstr(why, "not JSON"));
    /* Elements before a syntax error come out; then the error. */
    assert_int_equal(js_open("[1,\n2,\n3 4]", 11, &r, why, sizeof why),
                     AM_OK);
    assert_int_equal(js_next(r, &v, why, sizeof why), 1);
    assert_int_equal(js_next(r, &v, why, sizeof why), 1);
    assert_int_equal(js_next(r, &v, why, sizeof why), 1);
    assert_int_equal(js_next(r, &v, why, sizeof why), AM_ERR_MALFORMED);
    assert_non_null(strstr(why, "line 3"));
    js_close(r);
    /* Nesting deeper than the limit is refused, not a stack overflow. */
    deep = malloc(4 * JS_MAX_DEPTH + 8);
    assert_non_null(deep);
    for (i = 0; i < 2 * JS_MAX_DEPTH; i++)
        deep[i] = '[';
    for (; i < 4 * JS_MAX_DEPTH; i++)
        deep[i] = ']';
    assert_int_equal(read_all(deep, i, &n), AM_ERR_MALFORMED);
    free(deep);
}

/* Many elements, some large: the arena is reused and grows as needed. */
/* Parse a whole document: AM_OK or the error code (the root is dropped). */
static int parse_doc(const char *text, unsigned flags)
{
    js_reader *r;
    const js_val *root;
    char why[160];
    int rc = js_parse(text, strlen(text), flags, &r, &root, why,
                          sizeof why);

    if (rc == AM_OK) {
        assert_non_null(root);
        js_close(r);
    } else {
        assert_null(r);
        assert_non_null(strstr(why, "line "));
    }
    return rc;
}

static void test_whole_document_strict_and_lax(void **state)
{
    char big[64 * 24 + 16];
    size_t n;

    (void)state;
    /* Any top-level value; nothing may follow it. */
    assert_int_equal(parse_doc("{\"a\": [1, {\"b\": null}]}", JS_STRICT), AM_OK);
    assert_int_equal(parse_doc(" 7 ", JS_STRICT), AM_OK);
    assert_int_equal(parse_doc("\"s\"", 0), AM_OK);
    assert_int_equal(parse_doc("{} {}", 0), AM_ERR_MALFORMED);
    assert_int_equal(parse_doc("", 0), AM_ERR_MALFORMED);
    assert_int_equal(parse_doc("{\"a\":1,}", 0), AM_ERR_MALFORMED);
    /* Duplicate keys: refused only when strict, at any depth. */
    assert_int_equal(parse_doc("{\"a\":1,\"a\":2}", 0), AM_OK);
    assert_int_equal(parse_doc("{\"a\":1,\"a\":2}", JS_STRICT), AM_ERR_MALFORMED);
    assert_int_equal(parse_doc("{\"p\":[{\"x\":1,\"y\":2,\"x\":3}]}", JS_STRICT),
                     AM_ERR_MALFORMED);
    assert_int_equal(parse_doc("{\"a\":{\"a\":1},\"b\":{\"a\":1}}", JS_STRICT), AM_OK);
    /* Past 16 members the keys are sorted to find a repeat. */
    for (int last = 63; last >= 7; last -= 56) {    /* k63, then k7 again */
        n = (size_t)sprintf(big, "{");
        for (int i = 0; i < 64; i++)
            n += (size_t)sprintf(big + n, "%s\"k%d\":%d", i ? "," : "",
                                 i == 63 ? last : i, i);
        strcpy(big + n, "}");
        assert_int_equal(parse_doc(big, JS_STRICT),
                         last == 63 ? AM_OK : AM_ERR_MALFORMED);
        assert_int_equal(parse_doc(big, 0), AM_OK);
    }
    /* NUL bytes: in a value or in a key, refused only when strict. */
    assert_int_equal(parse_doc("{\"a\":\"x\\u0000\"}", 0), AM_OK);
    assert_int_equal(parse_doc("{\"a\":\"x\\u0000\"}", JS_STRICT), AM_ERR_MALFORMED);
    assert_int_equal(parse_doc("{\"\\u0000\":1}", JS_STRICT), AM_ERR_MALFORMED);
    assert_int_equal(parse_doc("{\"a\":\"\\\\u0000\"}", JS_STRICT), AM_OK);
}

/* The first element of a document that must parse (js_close(*r) after). */
static const js_val *first_of(const char *doc, js_reader **r)
{
    const js_val *root;
    char why[160];

    assert_int_equal(js_parse(doc, strlen(doc), 0, r, &root, why, sizeof why),
                     AM_OK);
    return root->child;
}

static void test_i64(void **state)
{
    static const struct {
        const char *doc;
        int rc;
        int64_t v;
    } cases[] = {
        {"[-9223372036854775808]", AM_OK, INT64_MIN},
        {"[9223372036854775807]", AM_OK, INT64_MAX},
        {"[-0]", AM_OK, 0},
        {"[-17]", AM_OK, -17},
        {"[9223372036854775808]", AM_ERR_RANGE, 0},
        {"[-9223372036854775809]", AM_ERR_RANGE, 0},
        {"[-99999999999999999999]", AM_ERR_RANGE, 0},
        {"[1.0]", AM_ERR_MALFORMED, 0},
        {"[-1e3]", AM_ERR_MALFORMED, 0},
        {"[\"1\"]", AM_ERR_MALFORMED, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        js_reader *r;
        int64_t x = 42;

        if (js_i64(first_of(cases[i].doc, &r), INT64_MIN, INT64_MAX, &x) !=
            cases[i].rc)
            fail_msg("%s: wrong verdict", cases[i].doc);
        if (cases[i].rc == AM_OK && x != cases[i].v)
            fail_msg("%s: read %lld", cases[i].doc, (long long)x);
        js_close(r);
    }
    {
        js_reader *r;
        const js_val *root;
        char why[160];
        int64_t x;

        assert_int_equal(js_parse("[5]", 3, 0, &r, &root, why, sizeof why), AM_OK);
        assert_int_equal(js_i64(root->child, -5, 4, &x), AM_ERR_RANGE);
        assert_int_equal(js_i64(root->child, 5, 5, &x), AM_OK);
        js_close(r);
    }
}

/* Strict whole documents: the same verdict as jansson refusing duplicate
 * keys (numbers jansson cannot hold aside: the API reads those itself). */
/* js_u64's verdicts: not an integer before too big, too big before out of
 * [min, max]; "-0" is 0 and any other negative is out of range. */
static void test_u64_verdicts(void **state)
{
    static const struct {
        const char *doc;
        uint64_t min, max;
        int rc;
        uint64_t v;
    } cases[] = {
        {"[0]", 0, 0, AM_OK, 0},
        {"[-0]", 0, 5, AM_OK, 0},
        {"[-0]", 1, 5, AM_ERR_RANGE, 0},
        {"[-1]", 0, UINT64_MAX, AM_ERR_RANGE, 0},
        {"[18446744073709551615]", 0, UINT64_MAX, AM_OK, UINT64_MAX},
        {"[18446744073709551616]", 0, UINT64_MAX, AM_ERR_RANGE, 0},
        {"[99999999999999999999.5]", 0, UINT64_MAX, AM_ERR_MALFORMED, 0},
        {"[-99999999999999999999e1]", 0, UINT64_MAX, AM_ERR_MALFORMED, 0},
        {"[7]", 8, 9, AM_ERR_RANGE, 0},
        {"[10]", 8, 9, AM_ERR_RANGE, 0},
        {"[null]", 0, 9, AM_ERR_MALFORMED, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        js_reader *r;
        uint64_t x = 42;
        int rc = js_u64(first_of(cases[i].doc, &r), cases[i].min,
                        cases[i].max, &x);

        if (rc != cases[i].rc)
            fail_msg("%s in [%llu, %llu]: %d, want %d", cases[i].doc,
                     (unsigned long long)cases[i].min,
                     (unsigned long long)cases[i].max, rc, cases[i].rc);
        if (x != (cases[i].rc == AM_OK ? cases[i].v : 42))
            fail_msg("%s: read %llu", cases[i].doc, (unsigned long long)x);
        js_close(r);
    }
    assert_int_equal(js_u64(NULL, 0, 9, &(uint64_t){0}), AM_ERR_MALFORMED);
}

static void test_strict_same_verdict_as_jansson(void **state)
{
    static const char *const docs[] = {
        "{}", "{\"a\":1}", "{\"a\":{\"b\":[1,{\"c\":null}]}}", " [1] ", "7",
        "\"x\"", "{\"a\":1,\"b\":2,\"a\":3}", "{\"o\":{\"k\":1,\"k\":1}}",
        "[{\"x\":1},{\"x\":2}]", "[{\"x\":1,\"x\":2}]",
        "{\"a\":\"\\u0000\"}", "{\"\\u0000\":0}", "{\"a\\u0000b\":0}",
        "{\"a\":\"\\\\u0000\"}", "{\"\xc3\xa9\":\"\xe2\x82\xac\"}",
        "{\"a\":1}x", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{\"a\":[1,]}",
        "{\"a\":01}", "{\"a\":-}", "{\"a\":\"\xff\"}", "{\"a\":tru}", "",
        "  ", "{\"a\":\"b", "{\"a\":1}}", "[[[]]]", "{\"\":1,\"\":2}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_error_t jerr;
        json_t *j = json_loadb(docs[i], strlen(docs[i]),
                               JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
        int want = j != NULL, got;
        js_reader *r;
        const js_val *root;
        char why[160];

        got = js_parse(docs[i], strlen(docs[i]), JS_STRICT, &r, &root,
                           why, sizeof why) == AM_OK;
        if (got != want)
            fail_msg("document %zu (%s): jansson %s it, js_parse %s it", i,
                     docs[i], want ? "accepts" : "refuses",
                     got ? "accepts" : "refuses");
        json_decref(j);
        if (got)
            js_close(r);
    }
}

static void test_large_document(void **state)
{
    size_t cap = 8 << 20, len = 0, n, i;
    char *doc = malloc(cap);

    (void)state;
    assert_non_null(doc);
    doc[len++] = '[';
    for (i = 0; i < 20000; i++)
        len += (size_t)snprintf(doc + len, cap - len,
                                "%s{\"address\":{\"V4\":\"1.2.%zu.%zu\"},"
                                "\"port\":8333,\"id\":%zu}", i ? "," : "",
                                (i >> 8) & 255, i & 255, i + 1);
    len += (size_t)snprintf(doc + len, cap - len, ",\"");
    memset(doc + len, 'x', 200000);     /* one string larger than a block */
    len += 200000;
    len += (size_t)snprintf(doc + len, cap - len, "\"]");
    assert_int_equal(read_all(doc, len, &n), AM_OK);
    assert_int_equal(n, 20001);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_verdict_as_jansson),
        cmocka_unit_test(test_accepts_numbers_jansson_cannot_hold),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors_and_shapes),
        cmocka_unit_test(test_large_document),
        cmocka_unit_test(test_whole_document_strict_and_lax),
        cmocka_unit_test(test_i64),
        cmocka_unit_test(test_u64_verdicts),
        cmocka_unit_test(test_strict_same_verdict_as_jansson),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
