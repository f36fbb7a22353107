/*
 * test_p2p_sess.c - the per-connection state machine (p2p/p2p_sess.c):
 * messages built with the frame and message codecs are fed in, and the
 * bytes and events that come out are checked.
 */
#include "p2p_test.h"

#include "am_error.h"
#include "netaddr.h"
#include "chain.h"
#include "p2p_frame.h"
#include "p2p_msg.h"
#include "p2p_sess.h"

#define T0 INT64_C(1700000000)
#define NONCE UINT64_C(0x1122334455667788)
#define BIG (P2P_HEADER_SIZE + 3 + 1001 * P2P_ADDR_ENTRY_SIZE)

static uint8_t g_msg[BIG];
static uint8_t g_payload[BIG];

static const am_chain *regtest(void)
{
    return am_chain_get(AM_CHAIN_REGTEST);
}

static am_addr addr_of(const char *text, uint16_t port)
{
    am_addr a;
    assert_int_equal(am_addr_parse_host(&a, text), AM_OK);
    a.port = port;
    return a;
}

static p2p_sess *new_sess(void)
{
    p2p_sess_config c;
    am_addr peer = addr_of("203.0.113.9", 50000);
    p2p_sess *s;

    p2p_sess_config_default(&c, regtest());
    c.nonce = NONCE;
    s = p2p_sess_new(&c, &peer, T0);
    assert_non_null(s);
    return s;
}

/* `command` framed for regtest into out; its length. */
static size_t frame(const char *command, const uint8_t *payload, size_t len,
                    uint8_t *out, size_t cap)
{
    size_t n = 0;
    assert_int_equal(p2p_frame_build(regtest()->magic, command, payload, len,
                                     out, cap, &n), AM_OK);
    return n;
}

static void feed(p2p_sess *s, const uint8_t *buf, size_t len, int64_t now)
{
    size_t used = 0;
    assert_int_equal(p2p_sess_feed(s, buf, len, now, &used), AM_OK);
    assert_int_equal(used, len);
}

static void feed_msg(p2p_sess *s, const char *command, const uint8_t *payload,
                     size_t len, int64_t now)
{
    feed(s, g_msg, frame(command, payload, len, g_msg, sizeof g_msg), now);
}

static p2p_version peer_version(int32_t protocol)
{
    p2p_version v;

    memset(&v, 0, sizeof v);
    v.version = protocol;
    v.services = 0x409;
    v.timestamp = T0;
    v.nonce = 7;
    strcpy(v.user_agent, "/Satoshi:27.0.0/");
    v.user_agent_len = strlen(v.user_agent);
    v.start_height = 850000;
    v.has_relay = 1;
    v.relay = 1;
    return v;
}

/* The peer's version message framed into out; its length. */
static size_t version_msg(int32_t protocol, uint8_t *out, size_t cap)
{
    p2p_version v = peer_version(protocol);
    uint8_t p[P2P_VERSION_MAX_SIZE];
    size_t n = 0;

    assert_int_equal(p2p_version_build(&v, p, sizeof p, &n), AM_OK);
    return frame("version", p, n, out, cap);
}

/* The bytes waiting to be sent, which are then taken. */
static size_t take_output(p2p_sess *s, uint8_t *out, size_t cap)
{
    const uint8_t *p = NULL;
    size_t n = 0;

    p2p_sess_output(s, &p, &n);
    assert_true(n <= cap);
    if (n > 0)
        memcpy(out, p, n);
    p2p_sess_consumed(s, n);
    return n;
}

static void assert_no_output(p2p_sess *s)
{
    const uint8_t *p = NULL;
    size_t n = 1;
    p2p_sess_output(s, &p, &n);
    assert_int_equal(n, 0);
}

static void assert_no_event(p2p_sess *s)
{
    p2p_sess_event ev;
    assert_int_equal(p2p_sess_next_event(s, &ev), 0);
}

static void assert_closed_for(p2p_sess *s, p2p_close_reason reason)
{
    p2p_sess_event ev;

    assert_true(p2p_sess_closed(s));
    assert_int_equal(p2p_sess_next_event(s, &ev), 1);
    assert_int_equal(ev.type, P2P_EV_CLOSE);
    assert_string_equal(p2p_close_reason_name(ev.close.reason),
                        p2p_close_reason_name(reason));
    assert_true(strlen(ev.close.why) > 0);
    assert_no_output(s);
}

/* The handshake answer the session must send, byte for byte. */
static size_t expected_answer(uint8_t *out, size_t cap)
{
    p2p_version v;
    am_addr peer = addr_of("203.0.113.9", 50000);
    uint8_t p[P2P_VERSION_MAX_SIZE];
    size_t n = 0, at;

    memset(&v, 0, sizeof v);
    v.version = 70016;
    v.services = 9;
    v.timestamp = T0;
    assert_int_equal(p2p_netaddr_from_addr(&v.addr_recv, &peer, 0), AM_OK);
    v.addr_from.services = 9;
    v.nonce = NONCE;
    strcpy(v.user_agent, "/addrmand:0.1.0/");
    v.user_agent_len = strlen(v.user_agent);
    v.has_relay = 1;
    assert_int_equal(p2p_version_build(&v, p, sizeof p, &n), AM_OK);
    at = frame("version", p, n, out, cap);
    at += frame("sendaddrv2", NULL, 0, out + at, cap - at);
    at += frame("verack", NULL, 0, out + at, cap - at);
    return at;
}

/* version, [sendaddrv2], verack from the peer at T0; the answer taken. */
static p2p_sess *handshaken(int addrv2)
{
    p2p_sess *s = new_sess();
    uint8_t out[1024];

    feed(s, g_msg, version_msg(70016, g_msg, sizeof g_msg), T0);
    if (addrv2)
        feed_msg(s, "sendaddrv2", NULL, 0, T0);
    feed_msg(s, "verack", NULL, 0, T0);
    assert_true(p2p_sess_ready(s));
    assert_true(take_output(s, out, sizeof out) > 0);
    assert_no_event(s);
    return s;
}

/* ---- the handshake -------------------------------------------------------- */

static void test_a_new_session_has_no_output_and_no_buffer(void **state)
{
    p2p_sess *s = new_sess();
    const uint8_t *p = (const uint8_t *)"x";
    size_t n = 1;

    (void)state;
    p2p_sess_output(s, &p, &n);       /* UBSan once flagged NULL + 0 here */
    assert_null(p);
    assert_int_equal(n, 0);
    p2p_sess_consumed(s, 0);
    p2p_sess_free(s);
}

static void test_version_is_answered_with_version_sendaddrv2_verack(void **state)
{
    uint8_t want[1024], got[1024];
    size_t n_want = expected_answer(want, sizeof want);
    p2p_sess *s = new_sess();
    const p2p_version *pv;

    (void)state;
    feed(s, g_msg, version_msg(70016, g_msg, sizeof g_msg), T0);
    assert_int_equal(take_output(s, got, sizeof got), n_want);
    assert_memory_equal(got, want, n_want);
    assert_false(p2p_sess_ready(s));
    pv = p2p_sess_peer_version(s);
    assert_non_null(pv);
    assert_int_equal(pv->services, 0x409);
    assert_int_equal(pv->version, 70016);
    feed_msg(s, "verack", NULL, 0, T0);
    assert_true(p2p_sess_ready(s));
    assert_int_equal(p2p_sess_get_stats(s)->msgs_out[P2P_MSG_VERACK], 1);
    assert_int_equal(p2p_sess_get_stats(s)->msgs_in[P2P_MSG_VERSION], 1);
    assert_no_event(s);
    p2p_sess_free(s);
}

static void test_handshake_fed_one_byte_at_a_time(void **state)
{
    uint8_t want[1024], got[1024], in[1024];
    size_t n_want = expected_answer(want, sizeof want), n;
    p2p_sess *s = new_sess();

    (void)state;
    n = version_msg(70016, in, sizeof in);
    n += frame("verack", NULL, 0, in + n, sizeof in - n);
    for (size_t i = 0; i < n; i++)
        feed(s, in + i, 1, T0);
    assert_true(p2p_sess_ready(s));
    assert_int_equal(take_output(s, got, sizeof got), n_want);
    assert_memory_equal(got, want, n_want);
    p2p_sess_free(s);
}

static void test_wtxidrelay_before_verack_is_ignored(void **state)
{
    uint8_t out[1024];
    p2p_sess *s = new_sess();

    (void)state;
    feed(s, g_msg, version_msg(70016, g_msg, sizeof g_msg), T0);
    take_output(s, out, sizeof out);
    feed_msg(s, "wtxidrelay", NULL, 0, T0);
    feed_msg(s, "sendtxrcncl", (const uint8_t *)"12345678abcd", 12, T0);
    feed_msg(s, "getaddr", NULL, 0, T0);   /* too early: ignored too */
    assert_false(p2p_sess_closed(s));
    assert_no_output(s);
    assert_no_event(s);
    feed_msg(s, "verack", NULL, 0, T0);
    assert_true(p2p_sess_ready(s));
    assert_int_equal(p2p_sess_get_stats(s)->msgs_in[P2P_MSG_WTXIDRELAY], 1);
    assert_int_equal(p2p_sess_get_stats(s)->msgs_in[P2P_MSG_OTHER], 1);
    p2p_sess_free(s);
}

static void test_second_version_is_ignored(void **state)
{
    p2p_sess *s = handshaken(0);

    (void)state;
    feed(s, g_msg, version_msg(60000, g_msg, sizeof g_msg), T0);
    assert_false(p2p_sess_closed(s));
    assert_no_output(s);
    assert_no_event(s);
    p2p_sess_free(s);
}

static void test_old_version_closes_without_reply(void **state)
{
    p2p_sess *s = new_sess();

    (void)state;
    feed(s, g_msg, version_msg(70000, g_msg, sizeof g_msg), T0);
    assert_closed_for(s, P2P_CLOSE_OLD_VERSION);
    assert_null(p2p_sess_peer_version(s));
    p2p_sess_free(s);
}

static void test_wrong_magic_closes_at_the_first_wrong_byte(void **state)
{
    uint8_t in[1024];
    size_t n = version_msg(70016, in, sizeof in);
    p2p_sess *s = new_sess();

    (void)state;
    in[2] ^= 0xff;                      /* two right bytes, then a wrong one */
    feed(s, in, 1, T0);
    feed(s, in + 1, 1, T0);
    assert_false(p2p_sess_closed(s));
    feed(s, in + 2, 1, T0);
    assert_closed_for(s, P2P_CLOSE_WRONG_MAGIC);
    feed(s, in + 3, n - 3, T0);         /* later bytes are dropped */
    assert_no_event(s);
    assert_no_output(s);
    p2p_sess_free(s);
}

static void test_bad_checksum_closes(void **state)
{
    size_t n = version_msg(70016, g_msg, sizeof g_msg);
    p2p_sess *s = new_sess();

    (void)state;
    g_msg[n - 1] ^= 1;
    feed(s, g_msg, n, T0);
    assert_closed_for(s, P2P_CLOSE_BAD_CHECKSUM);
    p2p_sess_free(s);
}

static void test_bad_command_closes(void **state)
{
    size_t n = version_msg(70016, g_msg, sizeof g_msg);
    p2p_sess *s = new_sess();

    (void)state;
    g_msg[5] = 0x01;                    /* "v\x01rsion" */
    feed(s, g_msg, n, T0);
    assert_closed_for(s, P2P_CLOSE_BAD_COMMAND);
    p2p_sess_free(s);
}

static void test_oversized_payload_closes_at_its_header(void **state)
{
    p2p_sess *s = new_sess();

    (void)state;
    frame("inv", NULL, 0, g_msg, sizeof g_msg);
    g_msg[16] = 0x01;                   /* length 0x3d090001 > 4 000 000 */
    g_msg[18] = 0x09;
    g_msg[19] = 0x3d;
    feed(s, g_msg, P2P_HEADER_SIZE, T0);
    assert_closed_for(s, P2P_CLOSE_TOO_LARGE);
    p2p_sess_free(s);
}

static void test_payload_above_the_configured_maximum_closes(void **state)
{
    p2p_sess_config c;
    am_addr peer = addr_of("203.0.113.9", 50000);
    p2p_sess *s;
    uint32_t len = P2P_SESS_MIN_PAYLOAD + 1;

    (void)state;
    p2p_sess_config_default(&c, regtest());
    c.max_payload = P2P_SESS_MIN_PAYLOAD - 1;       /* below the floor */
    assert_null(p2p_sess_new(&c, &peer, T0));
    c.max_payload = P2P_SESS_MIN_PAYLOAD;
    s = p2p_sess_new(&c, &peer, T0);
    assert_non_null(s);
    frame("inv", NULL, 0, g_msg, sizeof g_msg);
    g_msg[16] = (uint8_t)len;                      /* one byte too long */
    g_msg[17] = (uint8_t)(len >> 8);
    g_msg[18] = (uint8_t)(len >> 16);
    g_msg[19] = (uint8_t)(len >> 24);
    feed(s, g_msg, P2P_HEADER_SIZE, T0);
    assert_closed_for(s, P2P_CLOSE_TOO_LARGE);
    p2p_sess_free(s);
}

static void make_entries(am_addrv2_entry *e);

static void test_new_refuses_bad_config_and_send_addrs_needs_getaddr(void **state)
{
    p2p_sess_config c;
    am_addr peer = addr_of("203.0.113.9", 50000);
    char ua[P2P_USER_AGENT_MAX + 2];
    p2p_sess *s = handshaken(0);
    am_addrv2_entry e[3];

    (void)state;
    p2p_sess_config_default(&c, regtest());
    c.idle_timeout = 0;
    assert_null(p2p_sess_new(&c, &peer, T0));
    p2p_sess_config_default(&c, NULL);
    assert_null(p2p_sess_new(&c, &peer, T0));
    p2p_sess_config_default(&c, regtest());
    memset(ua, 'a', sizeof ua - 1);
    ua[sizeof ua - 1] = '\0';
    c.user_agent = ua;
    assert_null(p2p_sess_new(&c, &peer, T0));
    make_entries(e);
    assert_int_equal(p2p_sess_send_addrs(s, e, 3), AM_ERR_INVAL);
    assert_no_output(s);
    p2p_sess_free(s);
}

static void test_handshake_timeout_closes(void **state)
{
    p2p_sess *s = new_sess();

    (void)state;
    p2p_sess_tick(s, T0 + 59);
    assert_false(p2p_sess_closed(s));
    p2p_sess_tick(s, T0 + 60);
    assert_closed_for(s, P2P_CLOSE_HANDSHAKE_TIMEOUT);
    p2p_sess_free(s);
}

static void test_idle_peer_is_closed(void **state)
{
    p2p_sess *s = handshaken(0);
    uint8_t nonce[P2P_NONCE_SIZE], out[64];

    (void)state;
    p2p_nonce_build(1, nonce);
    feed_msg(s, "ping", nonce, sizeof nonce, T0 + 100);
    take_output(s, out, sizeof out);
    p2p_sess_tick(s, T0 + 219);
    assert_false(p2p_sess_closed(s));
    p2p_sess_tick(s, T0 + 220);
    assert_closed_for(s, P2P_CLOSE_IDLE);
    p2p_sess_free(s);
}

/* ---- after the handshake --------------------------------------------------- */

static void test_ping_gets_pong_with_the_same_nonce(void **state)
{
    p2p_sess *s = handshaken(0);
    uint8_t nonce[P2P_NONCE_SIZE], want[64], got[64];
    size_t n;

    (void)state;
    p2p_nonce_build(UINT64_C(0xdeadbeefcafe0001), nonce);
    n = frame("pong", nonce, sizeof nonce, want, sizeof want);
    feed_msg(s, "ping", nonce, sizeof nonce, T0);
    assert_int_equal(take_output(s, got, sizeof got), n);
    assert_memory_equal(got, want, n);
    p2p_sess_free(s);
}

static void make_entries(am_addrv2_entry *e)
{
    memset(e, 0, 3 * sizeof *e);
    e[0].addr = addr_of("198.51.100.1", 8333);
    e[1].addr = addr_of("pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion", 8333);
    e[2].addr = addr_of("2001:db8::2", 18444);
    for (int i = 0; i < 3; i++) {
        e[i].time = (uint32_t)T0 - 60;
        e[i].services = 9;
    }
}

/* getaddr fed; the WANT_ADDRS event checked and answered with 3 entries,
 * the answer's payload into g_payload. */
static size_t answer_getaddr(p2p_sess *s, int v2, char *command)
{
    am_addrv2_entry e[3];
    p2p_sess_event ev;
    size_t n;

    make_entries(e);
    feed_msg(s, "getaddr", NULL, 0, T0);
    assert_int_equal(p2p_sess_next_event(s, &ev), 1);
    assert_int_equal(ev.type, P2P_EV_WANT_ADDRS);
    assert_int_equal(ev.want.max, 1000);
    assert_int_equal(ev.want.v2, v2);
    assert_int_equal(p2p_sess_send_addrs(s, e, 3), AM_OK);
    n = take_output(s, g_msg, sizeof g_msg);
    assert_true(n >= P2P_HEADER_SIZE);
    memcpy(command, g_msg + 4, P2P_COMMAND_SIZE);
    command[P2P_COMMAND_SIZE] = '\0';
    memcpy(g_payload, g_msg + P2P_HEADER_SIZE, n - P2P_HEADER_SIZE);
    return n - P2P_HEADER_SIZE;
}

static void test_getaddr_after_sendaddrv2_is_answered_with_addrv2(void **state)
{
    p2p_sess *s = handshaken(1);
    am_addrv2_entry want[3], got[3];
    char command[P2P_COMMAND_SIZE + 1];
    size_t len = answer_getaddr(s, 1, command), n = 0;

    (void)state;
    make_entries(want);
    assert_string_equal(command, "addrv2");
    assert_int_equal(am_addrv2_decode(g_payload, len, got, 3, &n), AM_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(am_addr_eq(&got[i].addr, &want[i].addr));
    p2p_sess_free(s);
}

static void test_getaddr_without_sendaddrv2_is_answered_with_addr_minus_tor(void **state)
{
    p2p_sess *s = handshaken(0);
    am_addrv2_entry want[3], got[3];
    char command[P2P_COMMAND_SIZE + 1];
    size_t len = answer_getaddr(s, 0, command), n = 0;

    (void)state;
    make_entries(want);
    assert_string_equal(command, "addr");
    assert_int_equal(p2p_addr_parse(g_payload, len, got, 3, &n), AM_OK);
    assert_int_equal(n, 2);
    assert_true(am_addr_eq(&got[0].addr, &want[0].addr));
    assert_true(am_addr_eq(&got[1].addr, &want[2].addr));
    p2p_sess_free(s);
}

static void test_a_prebuilt_answer_is_sent_only_in_the_asked_format(void **state)
{
    static uint8_t v1[4096], v2[4096], sent[4096];
    am_addrv2_entry e[3];
    p2p_sess_event ev;
    size_t n1 = 0, n2 = 0;

    (void)state;
    make_entries(e);
    assert_int_equal(p2p_addrs_message(regtest(), 0, e, 3, v1, sizeof v1, &n1), AM_OK);
    assert_int_equal(p2p_addrs_message(regtest(), 1, e, 3, v2, sizeof v2, &n2), AM_OK);
    assert_int_equal(p2p_addrs_message(regtest(), 1, e, 3, v2,
                                       p2p_addrs_message_size(1, 3) - 1, &n2),
                     AM_ERR_INVAL);
    for (int asked = 0; asked < 2; asked++) {
        p2p_sess *s = handshaken(asked);
        uint8_t *mine = asked ? v2 : v1, *other = asked ? v1 : v2;
        size_t n_mine = asked ? n2 : n1, n_other = asked ? n1 : n2;

        /* Before a getaddr, and in the other format, it is refused. */
        assert_int_equal(p2p_sess_send_addrs_message(s, mine, n_mine), AM_ERR_INVAL);
        feed_msg(s, "getaddr", NULL, 0, T0);
        assert_int_equal(p2p_sess_next_event(s, &ev), 1);
        assert_int_equal(p2p_sess_send_addrs_message(s, other, n_other), AM_ERR_INVAL);
        mine[0] ^= 0xff;                  /* another chain's magic */
        assert_int_equal(p2p_sess_send_addrs_message(s, mine, n_mine), AM_ERR_INVAL);
        mine[0] ^= 0xff;
        assert_int_equal(p2p_sess_send_addrs_message(s, mine, n_mine), AM_OK);
        assert_int_equal(take_output(s, sent, sizeof sent), n_mine);
        assert_memory_equal(sent, mine, n_mine);
        assert_int_equal(p2p_sess_get_stats(s)->msgs_out[asked ? P2P_MSG_ADDRV2
                                                               : P2P_MSG_ADDR], 1);
        assert_int_equal(p2p_sess_send_addrs_message(s, mine, n_mine), AM_ERR_INVAL);
        p2p_sess_free(s);
    }
    {   /* The same bytes the session builds itself. */
        p2p_sess *s = handshaken(1);
        char command[P2P_COMMAND_SIZE + 1];
        size_t len = answer_getaddr(s, 1, command);

        assert_int_equal(len + P2P_HEADER_SIZE, n2);
        assert_memory_equal(g_payload, v2 + P2P_HEADER_SIZE, len);
        p2p_sess_free(s);
    }
}

static void test_sendaddrv2_after_verack_is_ignored(void **state)
{
    p2p_sess *s = handshaken(0);
    char command[P2P_COMMAND_SIZE + 1];

    (void)state;
    feed_msg(s, "sendaddrv2", NULL, 0, T0);
    answer_getaddr(s, 0, command);
    assert_string_equal(command, "addr");
    p2p_sess_free(s);
}

static void test_getaddr_is_answered_once(void **state)
{
    p2p_sess *s = handshaken(1);
    char command[P2P_COMMAND_SIZE + 1];
    am_addrv2_entry e[3];

    (void)state;
    make_entries(e);
    answer_getaddr(s, 1, command);
    assert_int_equal(p2p_sess_send_addrs(s, e, 3), AM_ERR_INVAL);
    feed_msg(s, "getaddr", NULL, 0, T0);
    assert_no_event(s);
    assert_int_equal(p2p_sess_send_addrs(s, e, 3), AM_ERR_INVAL);
    assert_no_output(s);
    assert_int_equal(p2p_sess_get_stats(s)->msgs_in[P2P_MSG_GETADDR], 2);
    assert_int_equal(p2p_sess_get_stats(s)->msgs_out[P2P_MSG_ADDRV2], 1);
    p2p_sess_free(s);
}

/* ---- addresses received ---------------------------------------------------- */

/* An addr payload of `count` IPv4 entries (up to 1001) in g_payload. */
static size_t addr_payload(size_t count)
{
    static am_addrv2_entry e[1000];
    size_t n = 0, base = count > 1000 ? 1000 : count;

    for (size_t i = 0; i < base; i++) {
        char host[32];
        memset(&e[i], 0, sizeof e[i]);
        snprintf(host, sizeof host, "198.51.%zu.%zu", i / 250, i % 250 + 1);
        e[i].addr = addr_of(host, 8333);
        e[i].time = (uint32_t)T0;
        e[i].services = 9;
    }
    assert_int_equal(p2p_addr_build(e, base, g_payload, sizeof g_payload, &n), AM_OK);
    if (count > 1000) {   /* count 1001 (fd e9 03) and one entry more */
        memcpy(g_payload + n, g_payload + 3, P2P_ADDR_ENTRY_SIZE);
        n += P2P_ADDR_ENTRY_SIZE;
        g_payload[1] = 0xe9;
    }
    return n;
}

static void test_addr_of_1001_entries_closes(void **state)
{
    p2p_sess *s = handshaken(0);

    (void)state;
    feed_msg(s, "addr", g_payload, addr_payload(1001), T0);
    assert_closed_for(s, P2P_CLOSE_TOO_MANY_ADDRESSES);
    p2p_sess_free(s);
}

static void expect_learned(p2p_sess *s, size_t n, size_t dropped)
{
    p2p_sess_event ev;

    assert_int_equal(p2p_sess_next_event(s, &ev), 1);
    assert_int_equal(ev.type, P2P_EV_LEARNED);
    assert_int_equal(ev.learned.n, n);
    assert_int_equal(ev.learned.dropped, dropped);
    assert_int_equal(ev.learned.unusable, 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ev.learned.entries[i].status, AM_OK);
}

static void test_addr_is_rate_limited_one_then_a_tenth_per_second(void **state)
{
    p2p_sess *s = handshaken(0);
    size_t len = addr_payload(20);

    (void)state;
    feed_msg(s, "addr", g_payload, len, T0);
    expect_learned(s, 1, 19);
    feed_msg(s, "addr", g_payload, len, T0 + 100);
    expect_learned(s, 10, 10);
    assert_int_equal(p2p_sess_get_stats(s)->addrs_learned, 11);
    assert_int_equal(p2p_sess_get_stats(s)->addrs_dropped, 29);
    p2p_sess_free(s);
}

static void test_feed_pauses_while_learned_waits(void **state)
{
    p2p_sess *s = handshaken(0);
    size_t len = addr_payload(2), one, used = 0;

    (void)state;
    one = frame("addr", g_payload, len, g_msg, sizeof g_msg);
    memcpy(g_msg + one, g_msg, one);
    assert_int_equal(p2p_sess_feed(s, g_msg, 2 * one, T0 + 50, &used), AM_OK);
    assert_int_equal(used, one);
    expect_learned(s, 2, 0);
    feed(s, g_msg + one, one, T0 + 50);
    expect_learned(s, 2, 0);
    p2p_sess_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_new_session_has_no_output_and_no_buffer),
        cmocka_unit_test(test_version_is_answered_with_version_sendaddrv2_verack),
        cmocka_unit_test(test_handshake_fed_one_byte_at_a_time),
        cmocka_unit_test(test_wtxidrelay_before_verack_is_ignored),
        cmocka_unit_test(test_second_version_is_ignored),
        cmocka_unit_test(test_old_version_closes_without_reply),
        cmocka_unit_test(test_wrong_magic_closes_at_the_first_wrong_byte),
        cmocka_unit_test(test_bad_checksum_closes),
        cmocka_unit_test(test_bad_command_closes),
        cmocka_unit_test(test_oversized_payload_closes_at_its_header),
        cmocka_unit_test(test_payload_above_the_configured_maximum_closes),
        cmocka_unit_test(test_new_refuses_bad_config_and_send_addrs_needs_getaddr),
        cmocka_unit_test(test_handshake_timeout_closes),
        cmocka_unit_test(test_idle_peer_is_closed),
        cmocka_unit_test(test_ping_gets_pong_with_the_same_nonce),
        cmocka_unit_test(test_getaddr_after_sendaddrv2_is_answered_with_addrv2),
        cmocka_unit_test(test_getaddr_without_sendaddrv2_is_answered_with_addr_minus_tor),
        cmocka_unit_test(test_sendaddrv2_after_verack_is_ignored),
        cmocka_unit_test(test_a_prebuilt_answer_is_sent_only_in_the_asked_format),
        cmocka_unit_test(test_getaddr_is_answered_once),
        cmocka_unit_test(test_addr_of_1001_entries_closes),
        cmocka_unit_test(test_addr_is_rate_limited_one_then_a_tenth_per_second),
        cmocka_unit_test(test_feed_pauses_while_learned_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
