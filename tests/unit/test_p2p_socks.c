/*
 * test_p2p_socks.c - the SOCKS5 client handshake (p2p/p2p_socks.c): the
 * bytes it writes for each kind of destination, the proxy's replies whole,
 * split byte by byte and followed by the peer's bytes, and every way a
 * proxy can refuse or talk nonsense.
 */
#include "p2p_test.h"

#include "am_error.h"
#include "netaddr.h"
#include "p2p_socks.h"

static const uint8_t choice_none[2] = {0x05, 0x00};
/* A success reply with BND 10.0.0.1:9050. */
static const uint8_t reply_ok_v4[10] = {0x05, 0x00, 0x00, 0x01, 10, 0, 0, 1,
                                        0x23, 0x5a};

/* All the output now, marked sent; its length. */
static size_t take_output(p2p_socks *s, uint8_t *out, size_t cap)
{
    const uint8_t *p;
    size_t len;
    p2p_socks_output(s, &p, &len);
    assert_true(len <= cap);
    if (len)
        memcpy(out, p, len);
    p2p_socks_consumed(s, len);
    return len;
}

static void feed_whole(p2p_socks *s, const uint8_t *buf, size_t len)
{
    size_t used = 99;
    assert_int_equal(p2p_socks_feed(s, buf, len, &used), AM_OK);
    assert_int_equal(used, len);
}

/* Greeting out, choice 00 in, the request out: the request's bytes. */
static size_t handshake_to_request(p2p_socks *s, uint8_t *req, size_t cap)
{
    uint8_t greet[8];
    assert_int_equal(take_output(s, greet, sizeof greet), 3);
    assert_memory_equal(greet, "\x05\x01\x00", 3);
    feed_whole(s, choice_none, sizeof choice_none);
    assert_int_equal(p2p_socks_get_status(s), P2P_SOCKS_PENDING);
    return take_output(s, req, cap);
}

static void init_ipv4(p2p_socks *s)
{
    am_addr a;
    assert_int_equal(am_addr_parse(&a, "127.1.2.3:18444", 8333), AM_OK);
    assert_int_equal(p2p_socks_init_addr(s, &a), AM_OK);
}

/* ---- the request --------------------------------------------------------- */

static void test_name_request_is_atyp3_after_the_choice(void **state)
{
    p2p_socks s;
    uint8_t req[P2P_SOCKS_REQUEST_MAX];
    const uint8_t want[] = {0x05, 0x01, 0x00, 0x03, 7, 'a', '.', 'o', 'n',
                            'i', 'o', 'n', 0x1f, 0x90};
    const uint8_t *p;
    size_t len;
    (void)state;
    assert_int_equal(p2p_socks_init_name(&s, "a.onion", 8080), AM_OK);
    assert_int_equal(p2p_socks_reply(&s), -1);
    assert_string_equal(p2p_socks_why(&s), "");
    /* greeting only; nothing more until the proxy chooses */
    uint8_t greet[3];
    assert_int_equal(take_output(&s, greet, sizeof greet), 3);
    p2p_socks_output(&s, &p, &len);
    assert_int_equal(len, 0);
    feed_whole(&s, choice_none, 2);
    assert_int_equal(take_output(&s, req, sizeof req), sizeof want);
    assert_memory_equal(req, want, sizeof want);
    p2p_socks_output(&s, &p, &len);
    assert_int_equal(len, 0);
}

static void test_output_sent_in_pieces_resumes_where_it_stopped(void **state)
{
    p2p_socks s;
    const uint8_t *p;
    size_t len;
    (void)state;
    init_ipv4(&s);
    p2p_socks_output(&s, &p, &len);
    assert_int_equal(len, 3);
    p2p_socks_consumed(&s, 1);
    p2p_socks_output(&s, &p, &len);
    assert_int_equal(len, 2);
    assert_int_equal(p[0], 0x01);
    p2p_socks_consumed(&s, 50);    /* clamped */
    p2p_socks_output(&s, &p, &len);
    assert_int_equal(len, 0);
    feed_whole(&s, choice_none, 2);
    p2p_socks_output(&s, &p, &len);
    assert_int_equal(len, 10);
    p2p_socks_consumed(&s, 4);
    p2p_socks_output(&s, &p, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(p, "\x7f\x01\x02\x03\x48\x0c", 6);
}

static void test_addr_request_per_network(void **state)
{
    static const struct { const char *text; uint8_t atyp; size_t len; } cases[] = {
        {"127.1.2.3:18444", 0x01, 4 + 4 + 2},
        {"[2001:db8::1]:8333", 0x04, 4 + 16 + 2},
        {"[fc00::1]:8333", 0x04, 4 + 16 + 2},
        {"pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:8333",
         0x03, 4 + 1 + 62 + 2},
        {"ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p",
         0x03, 4 + 1 + 60 + 2},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        p2p_socks s;
        am_addr a;
        uint8_t req[P2P_SOCKS_REQUEST_MAX];
        assert_int_equal(am_addr_parse(&a, cases[i].text, 8333), AM_OK);
        assert_int_equal(p2p_socks_init_addr(&s, &a), AM_OK);
        size_t n = handshake_to_request(&s, req, sizeof req);
        assert_int_equal(n, cases[i].len);
        assert_int_equal(req[3], cases[i].atyp);
        assert_int_equal((req[n - 2] << 8) | req[n - 1], a.port);
        if (cases[i].atyp == 0x01 || cases[i].atyp == 0x04) {
            assert_memory_equal(req + 4, a.bytes, am_net_len(a.net));
        } else {
            char host[AM_ADDR_STRLEN];
            assert_int_equal(am_addr_format(&a, host, sizeof host), AM_OK);
            assert_int_equal(req[4], strlen(host));
            assert_memory_equal(req + 5, host, strlen(host));
        }
    }
}

static void test_init_refuses_bad_destinations(void **state)
{
    p2p_socks s;
    am_addr a;
    char name[300];
    const uint8_t *p;
    size_t len;
    (void)state;
    assert_int_equal(p2p_socks_init_name(&s, "", 80), AM_ERR_INVAL);
    assert_int_equal(p2p_socks_get_status(&s), P2P_SOCKS_FAILED);
    p2p_socks_output(&s, &p, &len);
    assert_int_equal(len, 0);
    assert_int_equal(p2p_socks_init_name(&s, NULL, 80), AM_ERR_INVAL);
    memset(name, 'a', sizeof name);
    name[256] = '\0';
    assert_int_equal(p2p_socks_init_name(&s, name, 80), AM_ERR_INVAL);
    name[255] = '\0';
    assert_int_equal(p2p_socks_init_name(&s, name, 80), AM_OK);
    assert_int_equal(p2p_socks_init_addr(&s, NULL), AM_ERR_INVAL);
    memset(&a, 0, sizeof a);
    a.net = 3;
    assert_int_equal(p2p_socks_init_addr(&s, &a), AM_ERR_INVAL);
    a.net = 0;
    assert_int_equal(p2p_socks_init_addr(&s, &a), AM_ERR_INVAL);
    assert_int_equal(p2p_socks_init_name(NULL, "a", 1), AM_ERR_INVAL);
}

static void test_longest_name_fills_the_request(void **state)
{
    p2p_socks s;
    char name[256];
    uint8_t req[P2P_SOCKS_REQUEST_MAX];
    (void)state;
    memset(name, 'x', 255);
    name[255] = '\0';
    assert_int_equal(p2p_socks_init_name(&s, name, 65535), AM_OK);
    assert_int_equal(handshake_to_request(&s, req, sizeof req),
                     P2P_SOCKS_REQUEST_MAX);
    assert_int_equal(req[4], 255);
    assert_int_equal(req[P2P_SOCKS_REQUEST_MAX - 1], 0xff);
}

/* ---- replies ------------------------------------------------------------- */

static void test_reply_with_each_bnd_type_opens(void **state)
{
    static const uint8_t v6[22] = {0x05, 0, 0, 0x04, 0x20, 0x01, 0x0d, 0xb8,
                                   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80};
    static const uint8_t name[] = {0x05, 0, 0, 0x03, 5, 'h', 'o', 's', 't',
                                   's', 0, 80};
    static const uint8_t name0[] = {0x05, 0, 0, 0x03, 0, 0, 80};
    const struct { const uint8_t *b; size_t n; } cases[] = {
        {reply_ok_v4, sizeof reply_ok_v4}, {v6, sizeof v6},
        {name, sizeof name}, {name0, sizeof name0},
    };
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        p2p_socks s;
        uint8_t req[P2P_SOCKS_REQUEST_MAX];
        init_ipv4(&s);
        handshake_to_request(&s, req, sizeof req);
        feed_whole(&s, cases[i].b, cases[i].n);
        assert_int_equal(p2p_socks_get_status(&s), P2P_SOCKS_OPEN);
        assert_int_equal(p2p_socks_reply(&s), 0);
        assert_string_equal(p2p_socks_why(&s), "");
    }
}

static void test_reply_fed_byte_by_byte_opens_at_its_last_byte(void **state)
{
    static const uint8_t name[] = {0x05, 0, 0, 0x03, 3, 'a', 'b', 'c', 1, 2};
    const struct { const uint8_t *b; size_t n; } cases[] = {
        {reply_ok_v4, sizeof reply_ok_v4}, {name, sizeof name},
    };
    (void)state;
    for (size_t c = 0; c < 2; c++) {
        p2p_socks s;
        uint8_t req[P2P_SOCKS_REQUEST_MAX];
        size_t used;
        init_ipv4(&s);
        take_output(&s, req, sizeof req);
        for (size_t i = 0; i < 2; i++) {
            assert_int_equal(p2p_socks_feed(&s, choice_none + i, 1, &used), AM_OK);
            assert_int_equal(used, 1);
        }
        take_output(&s, req, sizeof req);
        for (size_t i = 0; i < cases[c].n; i++) {
            assert_int_equal(p2p_socks_get_status(&s), P2P_SOCKS_PENDING);
            assert_int_equal(p2p_socks_feed(&s, cases[c].b + i, 1, &used), AM_OK);
            assert_int_equal(used, 1);
        }
        assert_int_equal(p2p_socks_get_status(&s), P2P_SOCKS_OPEN);
    }
}

static void test_bytes_after_the_reply_stay_with_the_caller(void **state)
{
    p2p_socks s;
    uint8_t buf[64];
    size_t used;
    (void)state;
    init_ipv4(&s);
    take_output(&s, buf, sizeof buf);
    /* choice, reply and the peer's first bytes in one read */
    memcpy(buf, choice_none, 2);
    memcpy(buf + 2, reply_ok_v4, sizeof reply_ok_v4);
    memcpy(buf + 12, "\xfa\xbf\xb5\xda", 4);
    assert_int_equal(p2p_socks_feed(&s, buf, 16, &used), AM_OK);
    assert_int_equal(used, 12);
    assert_int_equal(p2p_socks_get_status(&s), P2P_SOCKS_OPEN);
    /* open is final: nothing more is consumed, nothing output */
    assert_int_equal(p2p_socks_feed(&s, buf + 12, 4, &used), AM_OK);
    assert_int_equal(used, 0);
    const uint8_t *p;
    size_t len;
    p2p_socks_output(&s, &p, &len);
    assert_int_equal(len, 0);
}

static void test_every_reply_code_fails_with_its_sentence(void **state)
{
    static const char *const want[] = {
        NULL, "general SOCKS server failure", "connection not allowed by ruleset",
        "network unreachable", "host unreachable", "connection refused",
        "TTL expired", "command not supported", "address type not supported",
    };
    (void)state;
    for (int rep = 1; rep <= 255; rep++) {
        p2p_socks s;
        uint8_t req[P2P_SOCKS_REQUEST_MAX];
        uint8_t reply[10];
        char text[96];
        size_t used;
        memcpy(reply, reply_ok_v4, sizeof reply);
        reply[1] = (uint8_t)rep;
        init_ipv4(&s);
        handshake_to_request(&s, req, sizeof req);
        assert_int_equal(p2p_socks_feed(&s, reply, sizeof reply, &used), AM_OK);
        assert_int_equal(used, 2);    /* failed at the REP byte */
        assert_int_equal(p2p_socks_get_status(&s), P2P_SOCKS_FAILED);
        assert_int_equal(p2p_socks_reply(&s), rep);
        if (rep <= 8) {
            snprintf(text, sizeof text, "proxy: %s (reply %d)", want[rep], rep);
            assert_string_equal(p2p_socks_why(&s), text);
        } else if (rep >= 0xf0 && rep <= 0xf7) {
            assert_non_null(strstr(p2p_socks_why(&s), "onion"));
        } else {
            snprintf(text, sizeof text, "proxy: unknown failure (reply %d)", rep);
            assert_string_equal(p2p_socks_why(&s), text);
        }
        assert_int_equal(p2p_socks_feed(&s, reply, sizeof reply, &used), AM_OK);
        assert_int_equal(used, 0);
    }
}

static void test_host_unreachable_reads_as_the_header_says(void **state)
{
    p2p_socks s;
    uint8_t req[P2P_SOCKS_REQUEST_MAX];
    uint8_t reply[10];
    size_t used;
    (void)state;
    memcpy(reply, reply_ok_v4, sizeof reply);
    reply[1] = 4;
    assert_int_equal(p2p_socks_init_name(&s, "x.onion", 8333), AM_OK);
    handshake_to_request(&s, req, sizeof req);
    assert_int_equal(p2p_socks_feed(&s, reply, sizeof reply, &used), AM_OK);
    assert_string_equal(p2p_socks_why(&s), "proxy: host unreachable (reply 4)");
}

static void test_methods_other_than_none_fail(void **state)
{
    static const struct { uint8_t method; const char *has; } cases[] = {
        {0x02, "wants authentication"}, {0xff, "no method"},
        {0x01, "method 1"}, {0x80, "method 128"},
    };
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        p2p_socks s;
        uint8_t b[2] = {0x05, cases[i].method};
        uint8_t out[8];
        size_t used;
        init_ipv4(&s);
        take_output(&s, out, sizeof out);
        assert_int_equal(p2p_socks_feed(&s, b, 2, &used), AM_OK);
        assert_int_equal(used, 2);
        assert_int_equal(p2p_socks_get_status(&s), P2P_SOCKS_FAILED);
        assert_non_null(strstr(p2p_socks_why(&s), cases[i].has));
        assert_int_equal(p2p_socks_reply(&s), -1);
        assert_int_equal(take_output(&s, out, sizeof out), 0);  /* no request */
    }
}

static void test_not_socks5_fails_at_the_version_byte(void **state)
{
    p2p_socks s;
    uint8_t req[P2P_SOCKS_REQUEST_MAX];
    size_t used;
    (void)state;
    /* a SOCKS4 reply, then an HTTP proxy's answer, as the method choice */
    init_ipv4(&s);
    take_output(&s, req, sizeof req);
    assert_int_equal(p2p_socks_feed(&s, (const uint8_t *)"\x00\x5a", 2, &used), AM_OK);
    assert_int_equal(used, 1);
    assert_int_equal(p2p_socks_get_status(&s), P2P_SOCKS_FAILED);
    assert_non_null(strstr(p2p_socks_why(&s), "SOCKS5"));
    init_ipv4(&s);
    take_output(&s, req, sizeof req);
    assert_int_equal(p2p_socks_feed(&s, (const uint8_t *)"HTTP/1.1 400", 12, &used), AM_OK);
    assert_int_equal(used, 1);
    assert_int_equal(p2p_socks_get_status(&s), P2P_SOCKS_FAILED);
    /* a good choice, then a reply of another version */
    init_ipv4(&s);
    handshake_to_request(&s, req, sizeof req);
    assert_int_equal(p2p_socks_feed(&s, (const uint8_t *)"\x04\x00", 2, &used), AM_OK);
    assert_int_equal(used, 1);
    assert_int_equal(p2p_socks_get_status(&s), P2P_SOCKS_FAILED);
    assert_int_equal(p2p_socks_reply(&s), -1);
}

static void test_bad_atyp_in_reply_fails(void **state)
{
    static const uint8_t bad[] = {0x00, 0x02, 0x05, 0xff};
    (void)state;
    for (size_t i = 0; i < sizeof bad; i++) {
        p2p_socks s;
        uint8_t req[P2P_SOCKS_REQUEST_MAX];
        uint8_t reply[10];
        size_t used;
        memcpy(reply, reply_ok_v4, sizeof reply);
        reply[3] = bad[i];
        init_ipv4(&s);
        handshake_to_request(&s, req, sizeof req);
        assert_int_equal(p2p_socks_feed(&s, reply, sizeof reply, &used), AM_OK);
        assert_int_equal(used, 4);
        assert_int_equal(p2p_socks_get_status(&s), P2P_SOCKS_FAILED);
        assert_non_null(strstr(p2p_socks_why(&s), "address type"));
        assert_int_equal(p2p_socks_reply(&s), 0);
    }
}

static void test_garbage_never_opens_nor_overreads(void **state)
{
    (void)state;
    srand(7);
    for (int round = 0; round < 2000; round++) {
        p2p_socks s;
        uint8_t buf[300], out[P2P_SOCKS_REQUEST_MAX];
        size_t n = (size_t)(rand() % (int)sizeof buf), used = 0, total = 0;
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)rand();
        if (round % 2) {        /* half with a valid start, to reach the reply */
            memcpy(buf, "\x05\x00\x05", n < 3 ? n : 3);
        }
        init_ipv4(&s);
        take_output(&s, out, sizeof out);
        while (total < n) {
            size_t piece = 1 + (size_t)(rand() % 7);
            if (piece > n - total)
                piece = n - total;
            assert_int_equal(p2p_socks_feed(&s, buf + total, piece, &used), AM_OK);
            assert_true(used <= piece);
            total += used;
            take_output(&s, out, sizeof out);
            if (used < piece)
                break;
        }
        p2p_socks_status st = p2p_socks_get_status(&s);
        if (st == P2P_SOCKS_OPEN) {
            /* opened exactly at a well-formed reply's end */
            assert_memory_equal(buf, "\x05\x00\x05\x00", 4);
            size_t rl = buf[5] == 1 ? 12 : buf[5] == 4 ? 24 : 2 + 7 + buf[6];
            assert_int_equal(total, rl);
        } else if (st == P2P_SOCKS_FAILED) {
            assert_true(strlen(p2p_socks_why(&s)) > 0);
        } else {
            assert_int_equal(total, n);
        }
    }
}

static void test_feed_refuses_null_arguments(void **state)
{
    p2p_socks s;
    size_t used;
    (void)state;
    init_ipv4(&s);
    assert_int_equal(p2p_socks_feed(&s, NULL, 1, &used), AM_ERR_INVAL);
    assert_int_equal(p2p_socks_feed(&s, choice_none, 2, NULL), AM_ERR_INVAL);
    assert_int_equal(p2p_socks_feed(NULL, choice_none, 2, &used), AM_ERR_INVAL);
    assert_int_equal(p2p_socks_feed(&s, NULL, 0, &used), AM_OK);
    assert_int_equal(used, 0);
    assert_int_equal(p2p_socks_get_status(&s), P2P_SOCKS_PENDING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_request_is_atyp3_after_the_choice),
        cmocka_unit_test(test_output_sent_in_pieces_resumes_where_it_stopped),
        cmocka_unit_test(test_addr_request_per_network),
        cmocka_unit_test(test_init_refuses_bad_destinations),
        cmocka_unit_test(test_longest_name_fills_the_request),
        cmocka_unit_test(test_reply_with_each_bnd_type_opens),
        cmocka_unit_test(test_reply_fed_byte_by_byte_opens_at_its_last_byte),
        cmocka_unit_test(test_bytes_after_the_reply_stay_with_the_caller),
        cmocka_unit_test(test_every_reply_code_fails_with_its_sentence),
        cmocka_unit_test(test_host_unreachable_reads_as_the_header_says),
        cmocka_unit_test(test_methods_other_than_none_fail),
        cmocka_unit_test(test_not_socks5_fails_at_the_version_byte),
        cmocka_unit_test(test_bad_atyp_in_reply_fails),
        cmocka_unit_test(test_garbage_never_opens_nor_overreads),
        cmocka_unit_test(test_feed_refuses_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
