/*
 * test_api_peer.c - the peer JSON codec and request validation: the JSON
 * writer (escaping, u64), body parsing (u64 above INT64_MAX, \u0000,
 * duplicates), typed getters, peer entries and peer/relay objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "js_writer.h"
#include "api_peer_json.h"

/* The writer's text, NUL-terminated; free() it. */
static char *jw_text(js_w *w)
{
    char *out;
    size_t len;

    assert_int_equal(js_w_take(w, &out, &len), AM_OK);
    assert_int_equal(strlen(out), len);
    return out;
}

static js_reader *doc;      /* what holds the last parse_ok() root */

static const js_val *parse_ok(const char *text)
{
    const js_val *root;
    api_err err;

    if (api_json_parse(text, strlen(text), &doc, &root, &err) != 0)
        fail_msg("'%s' refused: %s", text, err.msg);
    return root;
}

static void parse_done(void)
{
    api_json_free(doc);
    doc = NULL;
}

static api_code parse_fails(const char *text)
{
    const js_val *root = NULL;
    js_reader *d = NULL;
    api_err err;

    if (api_json_parse(text, strlen(text), &d, &root, &err) == 0)
        fail_msg("'%s' should be refused", text);
    assert_null(root);
    assert_null(d);
    return err.code;
}

static void test_writer(void **state)
{
    js_w w;
    char *s;

    (void)state;
    js_w_init(&w);
    js_w_object(&w);
    js_w_ku64(&w, "u", UINT64_MAX);
    js_w_ki64(&w, "i", INT64_MIN);
    js_w_kbool(&w, "t", 1);
    js_w_key(&w, "n");
    js_w_null(&w);
    js_w_key(&w, "a");
    js_w_array(&w);
    js_w_array(&w);
    js_w_array_end(&w);
    js_w_str(&w, "x");
    js_w_object(&w);
    js_w_object_end(&w);
    js_w_array_end(&w);
    js_w_object_end(&w);
    s = jw_text(&w);
    assert_string_equal(s, "{\"u\":18446744073709551615,\"i\":-9223372036854775808,"
                           "\"t\":true,\"n\":null,\"a\":[[],\"x\",{}]}");
    free(s);
}

/* The number formatters against printf, around every length change. */
static void test_number_text_matches_printf(void **state)
{
    uint64_t v = 1;

    (void)state;
    for (int k = 0; k <= 20; k++) {
        const uint64_t around[] = {v - 1, v, v + 1, v * 2, v * 9 + 8};
        for (size_t i = 0; i < sizeof around / sizeof around[0]; i++) {
            char want[32], got[32], *end;
            int64_t s = (int64_t)around[i];

            snprintf(want, sizeof want, "%" PRIu64, around[i]);
            end = js_w_fmt_u64(got, around[i]);
            *end = '\0';
            assert_string_equal(got, want);
            snprintf(want, sizeof want, "%" PRId64, s);
            end = js_w_fmt_i64(got, s);
            *end = '\0';
            assert_string_equal(got, want);
            snprintf(want, sizeof want, "%" PRId64, -s);
            end = js_w_fmt_i64(got, s == INT64_MIN ? s : -s);
            *end = '\0';
            if (s != INT64_MIN)
                assert_string_equal(got, want);
        }
        if (k < 19)
            v *= 10;
    }
    {
        char got[32];
        *js_w_fmt_u64(got, UINT64_MAX) = '\0';
        assert_string_equal(got, "18446744073709551615");
        *js_w_fmt_i64(got, INT64_MIN) = '\0';
        assert_string_equal(got, "-9223372036854775808");
        *js_w_fmt_u64(got, 0) = '\0';
        assert_string_equal(got, "0");
    }
}

static void test_writer_escapes(void **state)
{
    js_w w;
    char *s;

    (void)state;
    js_w_init(&w);
    js_w_array(&w);
    js_w_str(&w, "q\"b\\\n\t\x01\x7f");
    js_w_str(&w, "\xe2\x82\xac \xf0\x9f\x98\x80");   /* valid UTF-8 */
    js_w_str(&w, "\xff\xc0\xaf\xed\xa0\x80\xe2\x82");  /* not UTF-8 */
    js_w_array_end(&w);
    s = jw_text(&w);
    assert_string_equal(s, "[\"q\\\"b\\\\\\u000a\\u0009\\u0001\x7f\","
                           "\"\xe2\x82\xac \xf0\x9f\x98\x80\","
                           "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
                           "\\ufffd\\ufffd\"]");
    free(s);
}

/* Keys are copied as they are when plain, escaped like strings when not
 * (the writer's fast path for its own names must not lose that). */
static void test_writer_keys_plain_and_escaped(void **state)
{
    js_w w;
    char *s;

    (void)state;
    js_w_init(&w);
    js_w_object(&w);
    js_w_ki64(&w, "plain_key", 1);
    js_w_ki64(&w, "q\"b\\\n", 2);
    js_w_ki64(&w, "\xe2\x82\xac", 3);
    js_w_ki64(&w, "", 4);
    js_w_object_end(&w);
    s = jw_text(&w);
    assert_string_equal(s, "{\"plain_key\":1,\"q\\\"b\\\\\\u000a\":2,"
                           "\"\xe2\x82\xac\":3,\"\":4}");
    free(s);
}

static void test_writer_unbalanced(void **state)
{
    js_w w;
    char *out;
    size_t len;

    (void)state;
    js_w_init(&w);
    js_w_object(&w);
    assert_int_equal(js_w_take(&w, &out, &len), AM_ERR_NOMEM);
    assert_null(out);
}

static void test_parse_u64(void **state)
{
    const js_val *root;
    uint64_t u;
    int64_t i;
    api_err err;

    (void)state;
    root = parse_ok("{\"a\": 18446744073709551615, \"b\": 9223372036854775808,"
                    " \"c\": 9223372036854775807, \"d\": -9223372036854775809,"
                    " \"e\": 18446744073709551616, \"f\": [1e30, 99999999999999999999]}");
    assert_int_equal(api_json_get_u64(root, "a", 0, UINT64_MAX, &u, &err), 1);
    assert_true(u == UINT64_MAX);
    assert_int_equal(api_json_get_u64(root, "b", 0, UINT64_MAX, &u, &err), 1);
    assert_true(u == UINT64_C(9223372036854775808));
    assert_int_equal(api_json_get_u64(root, "c", 0, UINT64_MAX, &u, &err), 1);
    assert_true(u == INT64_MAX);
    assert_int_equal(api_json_get_u64(root, "d", 0, UINT64_MAX, &u, &err), -1);
    assert_int_equal(api_json_get_u64(root, "e", 0, UINT64_MAX, &u, &err), -1);
    assert_int_equal(err.code, API_BAD_REQUEST);
    assert_non_null(strstr(err.msg, "e must be an integer"));
    assert_int_equal(api_json_get_i64(root, "b", INT64_MIN, INT64_MAX, &i, &err), -1);
    /* A big integer is not a string. */
    {
        const char *s;
        assert_int_equal(api_json_get_str(root, "a", 100, &s, &err), -1);
    }
    assert_int_equal(js_get(root, "f")->len, 2);
    parse_done();
}

static void test_parse_refusals(void **state)
{
    const js_val *root;

    (void)state;
    assert_int_equal(parse_fails("{"), API_BAD_JSON);
    assert_int_equal(parse_fails("{\"a\":1,}"), API_BAD_JSON);
    assert_int_equal(parse_fails("{\"a\":1,\"a\":2}"), API_BAD_JSON);
    assert_int_equal(parse_fails("{\"a\":\"x\\u0000y\"}"), API_BAD_JSON);
    assert_int_equal(parse_fails("{\"\\u0000\":1}"), API_BAD_JSON);
    assert_int_equal(parse_fails("{\"a\":\"\xff\"}"), API_BAD_JSON);
    assert_int_equal(parse_fails("{\"a\":012}"), API_BAD_JSON);
    /* A leading zero keeps a big literal invalid instead of a string. */
    assert_int_equal(parse_fails("{\"a\":018446744073709551615}"), API_BAD_JSON);
    assert_int_equal(parse_fails("[1]"), API_BAD_REQUEST);
    assert_int_equal(parse_fails("\"s\""), API_BAD_REQUEST);
    assert_int_equal(parse_fails("99999999999999999999"), API_BAD_REQUEST);
    /* An escaped backslash before "u0000" is not a NUL escape. */
    root = parse_ok("{\"a\":\"\\\\u0000\"}");
    assert_string_equal(js_str(js_get(root, "a")), "\\u0000");
    parse_done();
    /* Empty body reads as {}. */
    {
        api_err err;
        assert_int_equal(api_json_parse("", 0, &doc, &root, &err), 0);
        assert_int_equal(root->type, JS_OBJ);
        assert_null(root->child);
        parse_done();
    }
}

static void test_getters(void **state)
{
    const js_val *root = parse_ok("{\"n\": null, \"b\": true, \"s\": \"text\", "
                            "\"r\": 8333.0, \"neg\": -1, \"arr\": [], \"o\": {}}");
    const char *s;
    uint64_t u = 7;
    int64_t i;
    const js_val *a;
    api_err err;
    int b;

    (void)state;
    assert_int_equal(api_json_get_u64(root, "missing", 0, 10, &u, &err), 0);
    assert_int_equal(api_json_get_u64(root, "n", 0, 10, &u, &err), 0);
    assert_true(u == 7);
    assert_int_equal(api_json_get_u64(root, "r", 0, 65535, &u, &err), -1);
    assert_int_equal(api_json_get_u64(root, "neg", 0, 65535, &u, &err), -1);
    assert_int_equal(api_json_get_u64(root, "s", 0, 65535, &u, &err), -1);
    assert_int_equal(api_json_get_u64(root, "b", 0, 65535, &u, &err), -1);
    assert_int_equal(api_json_get_i64(root, "neg", -5, 5, &i, &err), 1);
    assert_int_equal(i, -1);
    assert_int_equal(api_json_get_i64(root, "neg", 0, 5, &i, &err), -1);
    assert_int_equal(api_json_get_bool(root, "b", &b, &err), 1);
    assert_int_equal(b, 1);
    assert_int_equal(api_json_get_bool(root, "s", &b, &err), -1);
    assert_non_null(strstr(err.msg, "true or false"));
    assert_int_equal(api_json_get_str(root, "s", 4, &s, &err), 1);
    assert_string_equal(s, "text");
    assert_int_equal(api_json_get_str(root, "s", 3, &s, &err), -1);
    assert_int_equal(api_json_get_str(root, "o", 3, &s, &err), -1);
    assert_int_equal(api_json_get_array(root, "arr", &a, &err), 1);
    assert_int_equal(api_json_get_array(root, "o", &a, &err), -1);
    parse_done();

    assert_int_equal(api_parse_u64("18446744073709551615", "x", 0, UINT64_MAX,
                                   &u, &err), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(api_parse_u64("18446744073709551616", "x", 0, UINT64_MAX,
                                   &u, &err), -1);
    assert_int_equal(api_parse_u64("", "x", 0, 5, &u, &err), -1);
    assert_int_equal(api_parse_u64("+1", "x", 0, 5, &u, &err), -1);
    assert_int_equal(api_parse_u64(" 1", "x", 0, 5, &u, &err), -1);
    assert_int_equal(api_parse_u64("0", "x", 1, 5, &u, &err), -1);
}

/* Parse one entry; returns 0 or the error code. */
static int entry(const char *text, api_peer_in *in, api_err *err)
{
    const js_val *root = parse_ok(text);
    int rc = api_peer_in_parse(root, in, err);

    parse_done();
    return rc;
}

static void expect_entry_error(const char *text, api_code code,
                               const char *fragment)
{
    api_peer_in in;
    api_err err;

    if (entry(text, &in, &err) == 0)
        fail_msg("%s should be refused", text);
    if (err.code != code || strstr(err.msg, fragment) == NULL)
        fail_msg("%s: got %s '%s'", text, api_code_name(err.code), err.msg);
}

static void test_peer_entry(void **state)
{
    char text[AM_ADDR_STRLEN];
    api_peer_in in;
    api_err err;

    (void)state;
    assert_int_equal(entry("{\"address\": \"1.2.3.4\"}", &in, &err), 0);
    assert_int_equal(in.addr.net, AM_NET_IPV4);
    assert_int_equal(in.addr.port, 8333);
    assert_true(in.services == 0 && in.time == 0);

    assert_int_equal(entry("{\"address\": \"1.2.3.4:18333\", \"services\": "
                           "18446744073709551615, \"time\": 1700000000, "
                           "\"extra\": [1]}", &in, &err), 0);
    assert_int_equal(in.addr.port, 18333);
    assert_true(in.services == UINT64_MAX);
    assert_true(in.time == 1700000000);

    assert_int_equal(entry("{\"address\": \"2001:db8::1\", \"port\": 1}", &in,
                           &err), 0);
    assert_int_equal(in.addr.net, AM_NET_IPV6);
    assert_int_equal(in.addr.port, 1);
    assert_int_equal(entry("{\"address\": \"[2001:db8::1]:8333\", \"port\": "
                           "8333}", &in, &err), 0);
    assert_int_equal(entry("{\"address\": \"[2001:db8::1]\", \"port\": 1}",
                           &in, &err), 0);
    assert_int_equal(in.addr.port, 1);
    assert_int_equal(entry("{\"address\": \"fc00::1\"}", &in, &err), 0);
    assert_int_equal(in.addr.net, AM_NET_CJDNS);
    assert_int_equal(am_addr_format(&in.addr, text, sizeof text), AM_OK);
    assert_string_equal(text, "fc00::1");
    assert_int_equal(entry("{\"address\": \"1.2.3.4\", \"port\": null, "
                           "\"time\": null}", &in, &err), 0);
    assert_int_equal(in.addr.port, 8333);
}

static void test_peer_entry_errors(void **state)
{
    api_peer_in in;
    api_err err;

    (void)state;
    expect_entry_error("{}", API_BAD_REQUEST, "address is required");
    expect_entry_error("{\"address\": 5}", API_BAD_REQUEST, "must be a string");
    expect_entry_error("{\"address\": \"nope\"}", API_INVALID_ADDRESS, "'nope'");
    expect_entry_error("{\"address\": \"1.2.3.4.5\"}", API_INVALID_ADDRESS, "");
    expect_entry_error("{\"address\": \"expyuzz4wqqyqhjn.onion\"}",
                       API_INVALID_ADDRESS, "Tor v2");
    expect_entry_error("{\"address\": \"1.2.3.4\", \"port\": 65536}",
                       API_BAD_REQUEST, "port must be an integer from 0 to 65535");
    expect_entry_error("{\"address\": \"1.2.3.4\", \"port\": -1}",
                       API_BAD_REQUEST, "port");
    expect_entry_error("{\"address\": \"1.2.3.4\", \"port\": \"8333\"}",
                       API_BAD_REQUEST, "port");
    expect_entry_error("{\"address\": \"1.2.3.4:1\", \"port\": 2}",
                       API_BAD_REQUEST, "different ports");
    expect_entry_error("{\"address\": \"1.2.3.4\", \"services\": -1}",
                       API_BAD_REQUEST, "services");
    expect_entry_error("{\"address\": \"1.2.3.4\", \"services\": "
                       "18446744073709551616}", API_BAD_REQUEST, "services");
    expect_entry_error("{\"address\": \"1.2.3.4\", \"services\": 1.5}",
                       API_BAD_REQUEST, "services");
    expect_entry_error("{\"address\": \"1.2.3.4\", \"time\": \"now\"}",
                       API_BAD_REQUEST, "time");
    expect_entry_error("{\"address\": \"1.2.3.4\", \"time\": 1e3}",
                       API_BAD_REQUEST, "time");
    {
        const js_val *root = parse_ok("{\"peers\": [[]]}");
        assert_int_equal(api_peer_in_parse(js_get(root, "peers")->child,
                                           &in, &err), -1);
        assert_int_equal(err.code, API_BAD_REQUEST);
        parse_done();
    }
}

static void test_peer_entry_port_0_only_for_i2p(void **state)
{
    static const char i2p[] =
        "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p";
    char text[160];
    api_peer_in in;
    api_err err;

    (void)state;
    expect_entry_error("{\"address\": \"1.2.3.4:0\"}", API_INVALID_ADDRESS,
                       "port 0");
    expect_entry_error("{\"address\": \"1.2.3.4\", \"port\": 0}",
                       API_INVALID_ADDRESS, "port 0");
    expect_entry_error("{\"address\": \"[2001:db8::1]:0\"}",
                       API_INVALID_ADDRESS, "port 0");
    expect_entry_error("{\"address\": \"[fc00::1]:0\"}", API_INVALID_ADDRESS,
                       "port 0");
    expect_entry_error("{\"address\": \"pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2y"
                       "mmju6nubxndf4pscryd.onion:0\"}", API_INVALID_ADDRESS,
                       "port 0");
    /* I2P: 0 without a port, a given port kept. */
    snprintf(text, sizeof text, "{\"address\": \"%s\"}", i2p);
    assert_int_equal(entry(text, &in, &err), 0);
    assert_int_equal(in.addr.port, 0);
    snprintf(text, sizeof text, "{\"address\": \"%s:0\"}", i2p);
    assert_int_equal(entry(text, &in, &err), 0);
    assert_int_equal(in.addr.port, 0);
    snprintf(text, sizeof text, "{\"address\": \"%s\", \"port\": 8333}", i2p);
    assert_int_equal(entry(text, &in, &err), 0);
    assert_int_equal(in.addr.port, 8333);
    snprintf(text, sizeof text, "{\"address\": \"%s:7\"}", i2p);
    assert_int_equal(entry(text, &in, &err), 0);
    assert_int_equal(in.addr.port, 7);
}

static void test_peer_entry_error_says_what_is_wrong(void **state)
{
    (void)state;
    expect_entry_error("{\"address\": \"1.2.3.4:70000\"}",
                       API_INVALID_ADDRESS, "port 70000 is out of range");
    expect_entry_error("{\"address\": \"nope\"}", API_INVALID_ADDRESS,
                       "not an IPv4 or IPv6 address, .onion or .b32.i2p name");
    expect_entry_error("{\"address\": \"pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2y"
                       "mmju6nubxndf4pscrya.onion\"}", API_INVALID_ADDRESS,
                       "onion");
}

static am_peer sample_peer(void)
{
    am_peer p;

    memset(&p, 0, sizeof p);
    p.id = 17;
    assert_int_equal(am_addr_parse(&p.addr, "[2001:db8:0:0:1::1]:8333", 0), AM_OK);
    p.services = UINT64_MAX;
    p.state = AM_STATE_TRIED;
    p.in_tried = 1;
    p.time = 1732400000;
    p.last_connected = 1;
    p.last_try = 2;
    p.last_success = 3;
    p.attempts = 4;
    return p;
}

static void test_peer_object(void **state)
{
    am_peer p = sample_peer();
    js_w w;
    char *s;

    (void)state;
    js_w_init(&w);
    api_peer_write(&w, &p);
    s = jw_text(&w);
    assert_string_equal(s, "{\"id\":17,\"address\":\"2001:db8::1:0:0:1\","
                           "\"network\":\"ipv6\",\"port\":8333,"
                           "\"services\":18446744073709551615,\"state\":\"tried\","
                           "\"table\":\"tried\",\"time\":1732400000,"
                           "\"last_connected\":1,\"last_try\":2,\"last_success\":3,"
                           "\"attempts\":4,\"source\":null}");
    free(s);

    p.has_source = 1;
    assert_int_equal(am_addr_parse_host(&p.source, "198.51.100.4"), AM_OK);
    p.state = AM_STATE_BANNED;
    p.in_tried = 0;
    js_w_init(&w);
    api_peer_write(&w, &p);
    s = jw_text(&w);
    assert_non_null(strstr(s, "\"state\":\"banned\",\"table\":\"new\""));
    assert_non_null(strstr(s, "\"source\":\"198.51.100.4\"}"));
    free(s);

    js_w_init(&w);
    api_relay_write(&w, &p);
    s = jw_text(&w);
    assert_string_equal(s, "{\"address\":\"2001:db8::1:0:0:1\",\"network\":\"ipv6\","
                           "\"port\":8333,\"services\":18446744073709551615,"
                           "\"time\":1732400000}");
    free(s);
}

/* Every network's canonical host, the largest numbers and negative times:
 * the object is valid JSON and every member reads back as written. */
static void test_peer_object_every_network_reads_back(void **state)
{
    static const char *const hosts[] = {
        "[2001:db8::ffff:1]:65535", "255.255.255.255:0",
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:8333",
        "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p:0",
        "[fc00:1:2:3:4:5:6:7]:8333",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        am_peer p = sample_peer();
        char host[AM_ADDR_STRLEN];
        json_error_t jerr;
        json_t *o;
        js_w w;
        char *s;

        assert_int_equal(am_addr_parse(&p.addr, hosts[i], 1), AM_OK);
        assert_int_equal(am_addr_format(&p.addr, host, sizeof host), AM_OK);
        p.id = (UINT64_C(1) << 53) - 1;
        p.time = INT64_MIN;
        p.last_connected = INT64_MAX;
        p.last_try = -1;
        p.last_success = 0;
        p.attempts = UINT32_MAX;
        p.has_source = 1;
        p.source = p.addr;
        p.state = AM_STATE_NEVER_TRIED;
        p.services = INT64_MAX;     /* jansson reads no larger integer */
        js_w_init(&w);
        js_w_array(&w);
        api_peer_write(&w, &p);
        api_relay_write(&w, &p);
        js_w_array_end(&w);
        s = jw_text(&w);
        o = json_loads(s, 0, &jerr);
        assert_non_null(o);
        assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "address")), host);
        assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "source")), host);
        assert_string_equal(json_string_value(json_object_get(json_array_get(o, 1), "address")), host);
        assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "network")),
                            am_net_name(p.addr.net));
        assert_string_equal(json_string_value(json_object_get(json_array_get(o, 0), "state")),
                            "never_tried");
        assert_int_equal(json_integer_value(json_object_get(json_array_get(o, 0), "id")),
                         (json_int_t)p.id);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(o, 0), "port")),
                         p.addr.port);
        assert_true(json_integer_value(json_object_get(json_array_get(o, 0), "time")) == INT64_MIN);
        assert_true(json_integer_value(json_object_get(json_array_get(o, 1), "time")) == INT64_MIN);
        assert_true(json_integer_value(json_object_get(json_array_get(o, 0), "last_connected")) ==
                    INT64_MAX);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(o, 0), "last_try")), -1);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(o, 0), "attempts")),
                         UINT32_MAX);
        assert_true(json_integer_value(json_object_get(json_array_get(o, 1), "services")) ==
                    INT64_MAX);
        assert_int_equal(json_object_size(json_array_get(o, 0)), 13);
        assert_int_equal(json_object_size(json_array_get(o, 1)), 5);
        json_decref(o);
        free(s);
    }
}

static void test_names(void **state)
{
    uint32_t mask = 0;
    am_state_op op;
    am_state st;
    api_err err;
    int t;

    (void)state;
    assert_int_equal(am_state_from_name("never_tried", &st), AM_OK);
    assert_int_equal(st, AM_STATE_NEVER_TRIED);
    assert_int_equal(am_state_from_name("Tried", &st), AM_ERR_INVAL);
    assert_string_equal(am_state_name(AM_STATE_FAILED), "failed");
    assert_int_equal(api_state_op_from_name("disconnected", &op), AM_OK);
    assert_int_equal(op, AM_OP_DISCONNECTED);
    assert_int_equal(api_state_op_from_name("banned", &op), AM_ERR_INVAL);
    assert_int_equal(api_table_from_name("tried", &t), AM_OK);
    assert_int_equal(t, 1);
    assert_int_equal(api_table_from_name("old", &t), AM_ERR_INVAL);

    assert_int_equal(api_name_list("ipv4,torv3,cjdns", api_network_bit, &mask,
                                   &err), 0);
    assert_int_equal(mask, (1u << AM_NET_IPV4) | (1u << AM_NET_TORV3) |
                               (1u << AM_NET_CJDNS));
    assert_int_equal(api_name_list("ipv4,", api_network_bit, &mask, &err), -1);
    assert_int_equal(api_name_list("onion", api_network_bit, &mask, &err), -1);
    assert_non_null(strstr(err.msg, "'onion'"));
    mask = 0;
    assert_int_equal(api_name_list("tried,banned", api_state_bit, &mask, &err), 0);
    assert_int_equal(mask, (1u << AM_STATE_TRIED) | (1u << AM_STATE_BANNED));
}

static void test_node(void **state)
{
    const char *node;
    const js_val *root;
    api_err err;

    (void)state;
    root = parse_ok("{\"node\": \"node-1.a_b\"}");
    assert_int_equal(api_get_node(root, &node, &err), 1);
    assert_string_equal(node, "node-1.a_b");
    parse_done();
    root = parse_ok("{}");
    assert_int_equal(api_get_node(root, &node, &err), 0);
    parse_done();
    root = parse_ok("{\"node\": \"\"}");
    assert_int_equal(api_get_node(root, &node, &err), -1);
    parse_done();
    root = parse_ok("{\"node\": \"a b\"}");
    assert_int_equal(api_get_node(root, &node, &err), -1);
    parse_done();
    root = parse_ok("{\"node\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                    "aaaaaaaaaaaaaaaaa\"}");   /* 65 */
    assert_int_equal(api_get_node(root, &node, &err), -1);
    parse_done();
    root = parse_ok("{\"node\": 7}");
    assert_int_equal(api_get_node(root, &node, &err), -1);
    parse_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_number_text_matches_printf),
        cmocka_unit_test(test_writer_escapes),
        cmocka_unit_test(test_writer_keys_plain_and_escaped),
        cmocka_unit_test(test_writer_unbalanced),
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_getters),
        cmocka_unit_test(test_peer_entry),
        cmocka_unit_test(test_peer_entry_errors),
        cmocka_unit_test(test_peer_entry_port_0_only_for_i2p),
        cmocka_unit_test(test_peer_entry_error_says_what_is_wrong),
        cmocka_unit_test(test_peer_object),
        cmocka_unit_test(test_peer_object_every_network_reads_back),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
