/*
 * test_p2p_out.c - the outbound probe session (p2p/p2p_out.c), driven in
 * process as a peer would drive it: the peer's messages are built with the
 * frame and message codecs and fed in, and what the session sends is read
 * back with a p2p_reader.
 */
#include "p2p_test.h"

#include <time.h>

#include "addrv2.h"
#include "am_error.h"
#include "chain.h"
#include "netaddr.h"
#include "p2p_frame.h"
#include "p2p_msg.h"
#include "p2p_out.h"
#include "p2p_sess.h"

#define T0 INT64_C(1700000000000)       /* ms */
#define TIMEOUT 5000
#define WAIT 2000
#define NONCE UINT64_C(0x1122334455667788)
#define STAMP INT64_C(1600000000)     /* our version's time: not T0's */
#define UA "/addrmand-prober:0.1.0/"
#define BIG (P2P_HEADER_SIZE + P2P_ADDR_MAX_SIZE + 64)
#define MAX_SENT 16

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

static am_addr the_peer(void)
{
    return addr_of("203.0.113.9", 18444);
}

static p2p_out_config config(void)
{
    p2p_out_config c;

    memset(&c, 0, sizeof c);
    c.chain = regtest();
    c.user_agent = UA;
    c.nonce = NONCE;
    c.timestamp = STAMP;
    c.timeout = TIMEOUT;
    c.answer_wait = WAIT;
    c.max_payload = P2P_SESS_MIN_PAYLOAD;
    return c;
}

static p2p_out *new_out(void)
{
    p2p_out_config c = config();
    am_addr peer = the_peer();
    p2p_out *s = p2p_out_new(&c, &peer, T0);

    assert_non_null(s);
    return s;
}

/* `command` framed with `magic` into out; its length. */
static size_t frame_magic(const uint8_t magic[4], const char *command,
                          const uint8_t *payload, size_t len, uint8_t *out,
                          size_t cap)
{
    size_t n = 0;
    assert_int_equal(p2p_frame_build(magic, command, payload, len, out, cap,
                                     &n), AM_OK);
    return n;
}

static size_t frame(const char *command, const uint8_t *payload, size_t len,
                    uint8_t *out, size_t cap)
{
    return frame_magic(regtest()->magic, command, payload, len, out, cap);
}

static void feed(p2p_out *s, const uint8_t *buf, size_t len, int64_t now)
{
    assert_int_equal(p2p_out_feed(s, buf, len, now), AM_OK);
}

static void feed_msg(p2p_out *s, const char *command, const uint8_t *payload,
                     size_t len, int64_t now)
{
    feed(s, g_msg, frame(command, payload, len, g_msg, sizeof g_msg), now);
}

static p2p_version peer_version(int32_t protocol, uint64_t services)
{
    p2p_version v;

    memset(&v, 0, sizeof v);
    v.version = protocol;
    v.services = services;
    v.timestamp = T0 / 1000;
    v.nonce = 7;
    strcpy(v.user_agent, "/Satoshi:27.0.0/");
    v.user_agent_len = strlen(v.user_agent);
    v.start_height = 850000;
    v.has_relay = 1;
    v.relay = 1;
    return v;
}

/* The peer's version payload into out; its length. */
static size_t version_payload(int32_t protocol, uint64_t services,
                              uint8_t *out, size_t cap)
{
    p2p_version v = peer_version(protocol, services);
    size_t n = 0;

    assert_int_equal(p2p_version_build(&v, out, cap, &n), AM_OK);
    return n;
}

/* The peer's version message framed into out; its length. */
static size_t version_msg(int32_t protocol, uint64_t services, uint8_t *out,
                          size_t cap)
{
    uint8_t p[P2P_VERSION_MAX_SIZE];
    size_t n = version_payload(protocol, services, p, sizeof p);

    return frame("version", p, n, out, cap);
}

static void feed_version(p2p_out *s, int32_t protocol, uint64_t services,
                         int64_t now)
{
    feed(s, g_msg, version_msg(protocol, services, g_msg, sizeof g_msg), now);
}

/* What the session sent, read back as a peer reads it. */
typedef struct sent {
    size_t n;
    char command[MAX_SENT][P2P_COMMAND_SIZE + 1];
    uint8_t payload[MAX_SENT][P2P_VERSION_MAX_SIZE];
    size_t len[MAX_SENT];
} sent;

/* Parse bytes[0..len) as whole frames of regtest into *out. */
static void parse_sent(const uint8_t *bytes, size_t len, sent *out)
{
    p2p_reader r;
    size_t pos = 0, whole = 0;

    memset(out, 0, sizeof *out);
    p2p_reader_init(&r, regtest());
    while (pos < len) {
        p2p_frame f;
        size_t used = 0;
        int got = 0;

        assert_int_equal(p2p_reader_feed(&r, bytes + pos, len - pos, &used,
                                         &f, &got), AM_OK);
        pos += used;
        if (!got)
            continue;
        whole = pos;
        assert_true(out->n < MAX_SENT);
        assert_true(f.len <= P2P_VERSION_MAX_SIZE);
        strcpy(out->command[out->n], f.command);
        if (f.len > 0)
            memcpy(out->payload[out->n], f.payload, f.len);
        out->len[out->n++] = f.len;
    }
    assert_int_equal(whole, len);             /* nothing left half-sent */
    p2p_reader_free(&r);
}

/* Take all the session's output and read it back. */
static void take(p2p_out *s, sent *out)
{
    static uint8_t bytes[4096];
    const uint8_t *p = NULL;
    size_t n = 0;

    p2p_out_output(s, &p, &n);
    assert_true(n <= sizeof bytes);
    if (n > 0)
        memcpy(bytes, p, n);
    p2p_out_consumed(s, n);
    parse_sent(bytes, n, out);
}

/* The session sent exactly the commands given (a NULL-ended list). */
static void assert_sent(p2p_out *s, const char *first, ...)
{
    sent got;
    va_list ap;
    size_t i = 0;

    take(s, &got);
    va_start(ap, first);
    for (const char *c = first; c != NULL; c = va_arg(ap, const char *), i++) {
        assert_true(i < got.n);
        assert_string_equal(got.command[i], c);
    }
    va_end(ap);
    assert_int_equal(got.n, i);
}

static void assert_nothing_sent(p2p_out *s)
{
    const uint8_t *p = NULL;
    size_t n = 1;

    p2p_out_output(s, &p, &n);
    assert_int_equal(n, 0);
}

static void assert_outcome(p2p_out *s, p2p_outcome o)
{
    assert_true(p2p_out_done(s));
    assert_string_equal(p2p_outcome_name(p2p_out_outcome(s)),
                        p2p_outcome_name(o));
}

/* A failure has a reason; OK has none. */
static void assert_failed(p2p_out *s, p2p_outcome o)
{
    assert_outcome(s, o);
    assert_true(strlen(p2p_out_why(s)) > 0);
}

/* A session past the handshake (protocol 70016, services 0x409), its
 * output taken; the handshake ends at T0 + 10. */
static p2p_out *ready_out(void)
{
    p2p_out *s = new_out();

    take(s, &(sent){0});
    feed_version(s, 70016, 0x409, T0 + 5);
    feed_msg(s, "verack", NULL, 0, T0 + 10);
    assert_true(p2p_out_ready(s));
    assert_false(p2p_out_done(s));
    assert_sent(s, "sendaddrv2", "verack", "getaddr", NULL);
    return s;
}

/* n IPv4 entries 10.a.b.c:8333, numbered from `first`. */
static void make_entries(am_addrv2_entry *e, size_t n, unsigned first)
{
    memset(e, 0, n * sizeof *e);
    for (size_t i = 0; i < n; i++) {
        char host[32];
        unsigned k = first + (unsigned)i;

        snprintf(host, sizeof host, "10.%u.%u.%u", (k >> 16) & 255,
                 (k >> 8) & 255, k & 255);
        e[i].addr = addr_of(host, 8333);
        e[i].time = 1700000000u + k;
        e[i].services = 0x409;
    }
}

static size_t addr_payload(const am_addrv2_entry *e, size_t n, uint8_t *out,
                           size_t cap)
{
    size_t len = 0;
    assert_int_equal(p2p_addr_build(e, n, out, cap, &len), AM_OK);
    return len;
}

static void feed_addr(p2p_out *s, const am_addrv2_entry *e, size_t n,
                      int64_t now)
{
    feed_msg(s, "addr", g_payload,
             addr_payload(e, n, g_payload, sizeof g_payload), now);
}

static void assert_learned(p2p_out *s, const am_addrv2_entry *want, size_t n)
{
    size_t got = 99;
    const am_addrv2_entry *e = p2p_out_learned(s, &got);

    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(e[i].status, AM_OK);
        assert_true(am_addr_eq(&e[i].addr, &want[i].addr));
        assert_int_equal(e[i].time, want[i].time);
        assert_int_equal(e[i].services, want[i].services);
    }
}

/* ------------------------------------------------------------------------ */
/* The handshake. */

static void test_sends_its_version_first_with_no_services_no_relay(void **st)
{
    p2p_out *s = new_out();
    am_addr peer = the_peer();
    p2p_netaddr want;
    p2p_version v;
    sent got;

    (void)st;
    assert_false(p2p_out_done(s));
    assert_false(p2p_out_ready(s));
    assert_null(p2p_out_peer_version(s));
    take(s, &got);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.command[0], "version");
    assert_int_equal(p2p_version_parse(got.payload[0], got.len[0], &v), AM_OK);
    assert_int_equal(v.version, P2P_SESS_PROTOCOL);
    assert_int_equal(v.services, 0);
    assert_true(v.has_relay);
    assert_int_equal(v.relay, 0);
    assert_int_equal(v.nonce, NONCE);
    assert_string_equal(v.user_agent, UA);
    assert_int_equal(v.timestamp, STAMP);
    assert_int_equal(p2p_netaddr_from_addr(&want, &peer, 0), AM_OK);
    assert_memory_equal(v.addr_recv.ip, want.ip, 16);
    assert_int_equal(v.addr_recv.port, 18444);
    assert_nothing_sent(s);
    p2p_out_free(s);
}

/* The prober's clock is monotonic (seconds since boot): a peer that took
 * it for the version's time would think us decades behind. */
static void test_version_time_is_the_time_of_day_not_the_callers_clock(
    void **st)
{
    p2p_out_config c = config();
    am_addr peer = the_peer();
    int64_t before = (int64_t)time(NULL), after;
    p2p_out *s;
    p2p_version v;
    sent got;

    (void)st;
    c.timestamp = 0;
    s = p2p_out_new(&c, &peer, INT64_C(31484000));
    after = (int64_t)time(NULL);
    assert_non_null(s);
    take(s, &got);
    assert_int_equal(p2p_version_parse(got.payload[0], got.len[0], &v), AM_OK);
    assert_true(v.timestamp >= before && v.timestamp <= after);
    p2p_out_free(s);
}

static void test_version_to_a_peer_beyond_v1_has_zero_addr_recv(void **st)
{
    p2p_out_config c = config();
    am_addr peer = addr_of(
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion", 8333);
    static const uint8_t zeros[16];
    p2p_out *s = p2p_out_new(&c, &peer, T0);
    p2p_version v;
    sent got;

    (void)st;
    assert_non_null(s);
    take(s, &got);
    assert_int_equal(got.n, 1);
    assert_int_equal(p2p_version_parse(got.payload[0], got.len[0], &v), AM_OK);
    assert_memory_equal(v.addr_recv.ip, zeros, 16);
    assert_int_equal(v.addr_recv.port, 0);
    p2p_out_free(s);
}

static void test_answers_a_70016_version_with_sendaddrv2_and_verack(void **st)
{
    p2p_out *s = new_out();
    const p2p_version *pv;

    (void)st;
    take(s, &(sent){0});
    feed_version(s, 70016, 0x409, T0 + 1);
    assert_sent(s, "sendaddrv2", "verack", NULL);
    assert_false(p2p_out_ready(s));
    assert_false(p2p_out_done(s));
    pv = p2p_out_peer_version(s);
    assert_non_null(pv);
    assert_int_equal(pv->version, 70016);
    assert_int_equal(pv->services, 0x409);
    assert_string_equal(pv->user_agent, "/Satoshi:27.0.0/");
    p2p_out_free(s);
}

static void test_answers_an_older_version_with_verack_alone(void **st)
{
    p2p_out *s = new_out();

    (void)st;
    take(s, &(sent){0});
    feed_version(s, 70015, 1, T0 + 1);
    assert_sent(s, "verack", NULL);
    feed_msg(s, "verack", NULL, 0, T0 + 2);
    assert_sent(s, "getaddr", NULL);
    assert_true(p2p_out_ready(s));
    p2p_out_free(s);
}

static void test_sends_getaddr_only_after_the_peers_verack(void **st)
{
    p2p_out *s = new_out();

    (void)st;
    take(s, &(sent){0});
    feed_version(s, 70016, 0x409, T0 + 1);
    assert_sent(s, "sendaddrv2", "verack", NULL);
    feed_msg(s, "sendaddrv2", NULL, 0, T0 + 2);
    feed_msg(s, "wtxidrelay", NULL, 0, T0 + 2);
    assert_nothing_sent(s);
    assert_false(p2p_out_ready(s));
    feed_msg(s, "verack", NULL, 0, T0 + 3);
    assert_sent(s, "getaddr", NULL);
    assert_true(p2p_out_ready(s));
    feed_msg(s, "verack", NULL, 0, T0 + 4);       /* a second one: nothing */
    assert_nothing_sent(s);
    assert_false(p2p_out_done(s));
    p2p_out_free(s);
}

static void test_ignores_a_verack_before_the_version(void **st)
{
    p2p_out *s = new_out();

    (void)st;
    take(s, &(sent){0});
    feed_msg(s, "verack", NULL, 0, T0 + 1);
    assert_false(p2p_out_ready(s));
    assert_nothing_sent(s);
    feed_version(s, 70016, 0x409, T0 + 2);
    assert_false(p2p_out_ready(s));
    assert_sent(s, "sendaddrv2", "verack", NULL);
    feed_msg(s, "verack", NULL, 0, T0 + 3);
    assert_true(p2p_out_ready(s));
    p2p_out_free(s);
}

static void test_accepts_network_limited_alone(void **st)
{
    p2p_out *s = new_out();

    (void)st;
    feed_version(s, 70016, P2P_NODE_NETWORK_LIMITED, T0 + 1);
    feed_msg(s, "verack", NULL, 0, T0 + 2);
    assert_true(p2p_out_ready(s));
    assert_false(p2p_out_done(s));
    p2p_out_free(s);
}

static void test_answers_ping_with_pong(void **st)
{
    p2p_out *s = ready_out();
    uint8_t ping[P2P_NONCE_SIZE];
    uint64_t nonce = 0;
    sent got;

    (void)st;
    p2p_nonce_build(UINT64_C(0xdeadbeefcafe0001), ping);
    feed_msg(s, "ping", ping, sizeof ping, T0 + 20);
    take(s, &got);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.command[0], "pong");
    assert_int_equal(p2p_nonce_parse(got.payload[0], got.len[0], &nonce),
                     AM_OK);
    assert_int_equal(nonce, UINT64_C(0xdeadbeefcafe0001));
    assert_false(p2p_out_done(s));
    p2p_out_free(s);
}

/* ------------------------------------------------------------------------ */
/* The answer. */

static void test_keeps_an_addr_answer_and_ends_ok(void **st)
{
    p2p_out *s = ready_out();
    am_addrv2_entry e[3];

    (void)st;
    make_entries(e, 3, 1);
    feed_addr(s, e, 3, T0 + 20);
    assert_outcome(s, P2P_OUT_OK);
    assert_string_equal(p2p_out_why(s), "");
    assert_learned(s, e, 3);
    assert_nothing_sent(s);
    p2p_out_free(s);
}

static void test_keeps_an_addrv2_answer_of_every_network(void **st)
{
    p2p_out *s = ready_out();
    am_addrv2_entry e[3];
    size_t len = 0;

    (void)st;
    memset(e, 0, sizeof e);
    e[0].addr = addr_of("198.51.100.1", 8333);
    e[1].addr = addr_of(
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion", 8333);
    e[2].addr = addr_of("2001:db8::2", 18444);
    for (size_t i = 0; i < 3; i++) {
        e[i].time = 1700000100u + (uint32_t)i;
        e[i].services = 0x408 + i;
    }
    assert_int_equal(am_addrv2_encode(e, 3, g_payload, sizeof g_payload, &len),
                     AM_OK);
    feed_msg(s, "addrv2", g_payload, len, T0 + 20);
    assert_outcome(s, P2P_OUT_OK);
    assert_learned(s, e, 3);
    p2p_out_free(s);
}

/* An addr entry by hand: an OnionCat address (Tor v2), which v1 carries
 * and nobody can reach any more. */
static size_t onioncat_addr_payload(const am_addrv2_entry *good, size_t n,
                                    uint8_t *out)
{
    static const uint8_t onioncat[16] = {0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43,
                                         1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    size_t len = addr_payload(good, n, out, P2P_ADDR_MAX_SIZE);
    uint8_t *p = out + len;

    assert_true(n + 1 < 0xfd);
    out[0] = (uint8_t)(n + 1);
    memset(p, 0, 12);                 /* time and services */
    memcpy(p + 12, onioncat, 16);
    p[28] = 0x20;
    p[29] = 0x8d;
    return len + P2P_ADDR_ENTRY_SIZE;
}

static void test_drops_unusable_entries(void **st)
{
    p2p_out *s = ready_out();
    am_addrv2_entry e[2];
    size_t len;

    (void)st;
    make_entries(e, 2, 7);
    len = onioncat_addr_payload(e, 2, g_payload);
    feed_msg(s, "addr", g_payload, len, T0 + 20);
    assert_outcome(s, P2P_OUT_OK);
    assert_learned(s, e, 2);
    p2p_out_free(s);
}

static void test_a_lone_unusable_entry_does_not_end_the_wait(void **st)
{
    p2p_out *s = ready_out();
    am_addrv2_entry e[2];

    (void)st;
    make_entries(e, 2, 1);
    feed_msg(s, "addr", g_payload, onioncat_addr_payload(e, 0, g_payload),
             T0 + 20);
    assert_false(p2p_out_done(s));
    feed_addr(s, e, 2, T0 + 30);
    assert_outcome(s, P2P_OUT_OK);
    assert_learned(s, e, 2);
    p2p_out_free(s);
}

static void test_a_lone_entry_then_the_real_answer(void **st)
{
    p2p_out *s = ready_out();
    am_addrv2_entry e[4];

    (void)st;
    make_entries(e, 4, 100);
    feed_addr(s, e, 1, T0 + 20);          /* the peer announcing itself */
    assert_false(p2p_out_done(s));
    feed_addr(s, e + 1, 3, T0 + 30);
    assert_outcome(s, P2P_OUT_OK);
    assert_learned(s, e, 4);
    p2p_out_free(s);
}

static void test_keeps_at_most_1000_entries(void **st)
{
    static am_addrv2_entry e[1 + P2P_ADDR_MAX_ENTRIES];
    p2p_out *s = ready_out();

    (void)st;
    make_entries(e, 1 + P2P_ADDR_MAX_ENTRIES, 1);
    feed_addr(s, e, 1, T0 + 20);
    feed_addr(s, e + 1, P2P_ADDR_MAX_ENTRIES, T0 + 30);
    assert_outcome(s, P2P_OUT_OK);
    assert_learned(s, e, P2P_OUT_MAX_LEARNED);
    p2p_out_free(s);
}

static void test_an_empty_answer_ends_the_wait(void **st)
{
    p2p_out *s = ready_out();

    (void)st;
    feed_addr(s, NULL, 0, T0 + 20);
    assert_outcome(s, P2P_OUT_OK);
    assert_learned(s, NULL, 0);
    p2p_out_free(s);
}

static void test_answer_wait_expiry_ends_ok_with_what_came(void **st)
{
    p2p_out *s = ready_out();
    am_addrv2_entry e[1];

    (void)st;
    make_entries(e, 1, 5);
    feed_addr(s, e, 1, T0 + 20);
    p2p_out_tick(s, T0 + 10 + WAIT - 1);
    assert_false(p2p_out_done(s));
    p2p_out_tick(s, T0 + 10 + WAIT);
    assert_outcome(s, P2P_OUT_OK);
    assert_learned(s, e, 1);
    p2p_out_free(s);
}

static void test_addr_before_the_handshake_is_not_kept(void **st)
{
    p2p_out *s = new_out();
    am_addrv2_entry e[3];

    (void)st;
    make_entries(e, 3, 1);
    feed_version(s, 70016, 0x409, T0 + 1);
    feed_addr(s, e, 3, T0 + 2);
    assert_false(p2p_out_done(s));
    feed_msg(s, "verack", NULL, 0, T0 + 3);
    feed_addr(s, e + 1, 2, T0 + 4);
    assert_outcome(s, P2P_OUT_OK);
    assert_learned(s, e + 1, 2);
    p2p_out_free(s);
}

/* ------------------------------------------------------------------------ */
/* Failures before the handshake's end, and none after. */

static void test_times_out_without_a_handshake(void **st)
{
    p2p_out *s = new_out();

    (void)st;
    p2p_out_tick(s, T0 + TIMEOUT - 1);
    assert_false(p2p_out_done(s));
    p2p_out_tick(s, T0 + TIMEOUT);
    assert_failed(s, P2P_OUT_TIMEOUT);
    p2p_out_free(s);
}

static void test_times_out_with_a_version_but_no_verack(void **st)
{
    p2p_out *s = new_out();

    (void)st;
    feed_version(s, 70016, 0x409, T0 + TIMEOUT - 100);
    p2p_out_tick(s, T0 + TIMEOUT);
    assert_failed(s, P2P_OUT_TIMEOUT);
    p2p_out_free(s);
}

static void test_another_chains_magic_is_wrong_magic(void **st)
{
    p2p_out *s = new_out();
    uint8_t p[P2P_VERSION_MAX_SIZE];
    size_t n = version_payload(70016, 0x409, p, sizeof p);

    (void)st;
    n = frame_magic(am_chain_get(AM_CHAIN_MAIN)->magic, "version", p, n,
                    g_msg, sizeof g_msg);
    feed(s, g_msg, n, T0 + 1);
    assert_failed(s, P2P_OUT_WRONG_MAGIC);
    p2p_out_free(s);
}

static void test_random_bytes_are_wrong_magic(void **st)
{
    static const char http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    p2p_out *s = new_out();

    (void)st;
    feed(s, (const uint8_t *)http, sizeof http - 1, T0 + 1);
    assert_failed(s, P2P_OUT_WRONG_MAGIC);
    p2p_out_free(s);
}

static void test_a_bad_checksum_is_bad_message(void **st)
{
    p2p_out *s = new_out();
    size_t n = version_msg(70016, 0x409, g_msg, sizeof g_msg);

    (void)st;
    g_msg[20] ^= 1;                       /* the checksum's first byte */
    feed(s, g_msg, n, T0 + 1);
    assert_failed(s, P2P_OUT_BAD_MESSAGE);
    assert_null(p2p_out_peer_version(s));
    p2p_out_free(s);
}

static void test_an_unparsable_version_is_bad_message(void **st)
{
    static const uint8_t junk[10] = {0x71, 0x11, 1, 0};
    p2p_out *s = new_out();

    (void)st;
    feed_msg(s, "version", junk, sizeof junk, T0 + 1);
    assert_failed(s, P2P_OUT_BAD_MESSAGE);
    p2p_out_free(s);
}

static void test_a_protocol_below_70001_is_old_version(void **st)
{
    p2p_out *s = new_out();

    (void)st;
    take(s, &(sent){0});
    feed_version(s, 70000, 0x409, T0 + 1);
    assert_failed(s, P2P_OUT_OLD_VERSION);
    assert_nothing_sent(s);
    p2p_out_free(s);
}

static void test_no_services_for_zero_services(void **st)
{
    p2p_out *s = new_out();

    (void)st;
    take(s, &(sent){0});
    feed_version(s, 70016, 0, T0 + 1);
    assert_failed(s, P2P_OUT_NO_SERVICES);
    assert_nothing_sent(s);
    p2p_out_free(s);
}

static void test_no_services_without_bits_1_or_1024(void **st)
{
    /* bloom, witness, compact filters, P2P v2: all but blocks */
    p2p_out *s = new_out();

    (void)st;
    feed_version(s, 70016, 4 | 8 | 64 | 2048, T0 + 1);
    assert_failed(s, P2P_OUT_NO_SERVICES);
    p2p_out_free(s);
}

static void test_closed_before_the_version(void **st)
{
    p2p_out *s = new_out();

    (void)st;
    p2p_out_eof(s);
    assert_failed(s, P2P_OUT_CLOSED);
    assert_non_null(strstr(p2p_out_why(s), "before"));
    p2p_out_free(s);
}

static void test_closed_after_the_version(void **st)
{
    p2p_out *s = new_out();

    (void)st;
    feed_version(s, 70016, 0x409, T0 + 1);
    p2p_out_eof(s);
    assert_failed(s, P2P_OUT_CLOSED);
    assert_non_null(strstr(p2p_out_why(s), "after"));
    p2p_out_free(s);
}

static void test_a_fault_after_the_handshake_is_ok(void **st)
{
    p2p_out *s = ready_out();
    am_addrv2_entry e[1];
    size_t n;

    (void)st;
    make_entries(e, 1, 1);
    feed_addr(s, e, 1, T0 + 20);
    n = frame("ping", (const uint8_t *)"12345678", 8, g_msg, sizeof g_msg);
    g_msg[20] ^= 0xff;
    feed(s, g_msg, n, T0 + 30);
    assert_outcome(s, P2P_OUT_OK);
    assert_learned(s, e, 1);
    p2p_out_free(s);
}

static void test_wrong_magic_after_the_handshake_is_ok(void **st)
{
    p2p_out *s = ready_out();

    (void)st;
    feed(s, (const uint8_t *)"garbage", 7, T0 + 30);
    assert_outcome(s, P2P_OUT_OK);
    p2p_out_free(s);
}

static void test_a_close_after_the_handshake_is_ok(void **st)
{
    p2p_out *s = ready_out();

    (void)st;
    p2p_out_eof(s);
    assert_outcome(s, P2P_OUT_OK);
    assert_learned(s, NULL, 0);
    p2p_out_free(s);
}

static void test_the_handshake_timeout_no_longer_applies_once_ready(void **st)
{
    p2p_out *s = new_out();

    (void)st;
    feed_version(s, 70016, 0x409, T0 + TIMEOUT - 2);
    feed_msg(s, "verack", NULL, 0, T0 + TIMEOUT - 1);
    p2p_out_tick(s, T0 + TIMEOUT);
    assert_false(p2p_out_done(s));
    p2p_out_tick(s, T0 + TIMEOUT - 1 + WAIT);
    assert_outcome(s, P2P_OUT_OK);
    p2p_out_free(s);
}

/* ------------------------------------------------------------------------ */
/* The caller's side. */

/* A whole exchange: version, sendaddrv2, verack, ping, lone entry, answer. */
static size_t whole_exchange(uint8_t *out, size_t cap, am_addrv2_entry *e)
{
    uint8_t ping[P2P_NONCE_SIZE];
    size_t n = 0;

    make_entries(e, 4, 40);
    p2p_nonce_build(99, ping);
    n += version_msg(70016, 0x409, out + n, cap - n);
    n += frame("sendaddrv2", NULL, 0, out + n, cap - n);
    n += frame("verack", NULL, 0, out + n, cap - n);
    n += frame("ping", ping, sizeof ping, out + n, cap - n);
    n += frame("addr", g_payload, addr_payload(e, 1, g_payload, sizeof g_payload),
               out + n, cap - n);
    n += frame("addr", g_payload,
               addr_payload(e + 1, 3, g_payload, sizeof g_payload), out + n,
               cap - n);
    return n;
}

static void test_byte_by_byte_feeding_gives_the_same_result(void **st)
{
    static uint8_t stream[4096];
    am_addrv2_entry e[4];
    size_t n = whole_exchange(stream, sizeof stream, e);
    p2p_out *whole = new_out(), *bytes = new_out();
    sent a, b;

    (void)st;
    feed(whole, stream, n, T0 + 1);
    for (size_t i = 0; i < n; i++)
        feed(bytes, stream + i, 1, T0 + 1);
    for (p2p_out **s = (p2p_out *[]){whole, bytes, NULL}; *s != NULL; s++) {
        assert_outcome(*s, P2P_OUT_OK);
        assert_learned(*s, e, 4);
    }
    take(whole, &a);
    take(bytes, &b);
    assert_int_equal(a.n, 5);       /* version sendaddrv2 verack getaddr pong */
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        assert_string_equal(a.command[i], b.command[i]);
        assert_int_equal(a.len[i], b.len[i]);
        assert_memory_equal(a.payload[i], b.payload[i], a.len[i]);
    }
    p2p_out_free(whole);
    p2p_out_free(bytes);
}

static void test_a_done_session_drops_further_bytes(void **st)
{
    p2p_out *s = new_out();
    size_t n = version_msg(70016, 0x409, g_msg, sizeof g_msg);

    (void)st;
    take(s, &(sent){0});
    p2p_out_tick(s, T0 + TIMEOUT);
    assert_failed(s, P2P_OUT_TIMEOUT);
    feed(s, g_msg, n, T0 + TIMEOUT + 1);
    assert_null(p2p_out_peer_version(s));
    assert_nothing_sent(s);
    p2p_out_eof(s);
    p2p_out_tick(s, T0 + 10 * TIMEOUT);
    assert_failed(s, P2P_OUT_TIMEOUT);
    p2p_out_free(s);
}

static void test_abort_keeps_a_done_outcome(void **st)
{
    p2p_out *s = new_out(), *live = new_out();

    (void)st;
    p2p_out_eof(s);
    p2p_out_abort(s, P2P_OUT_REFUSED, "connection refused");
    assert_failed(s, P2P_OUT_CLOSED);
    p2p_out_abort(live, P2P_OUT_PROXY, "general SOCKS server failure");
    assert_failed(live, P2P_OUT_PROXY);
    assert_string_equal(p2p_out_why(live), "general SOCKS server failure");
    p2p_out_tick(live, T0 + TIMEOUT);
    assert_failed(live, P2P_OUT_PROXY);
    p2p_out_free(s);
    p2p_out_free(live);
}

static void test_output_can_be_consumed_in_pieces(void **st)
{
    static uint8_t bytes[1024];
    p2p_out *s = new_out();
    const uint8_t *p = NULL;
    size_t n = 0, total = 0, first_len;
    sent got;

    (void)st;
    p2p_out_output(s, &p, &first_len);
    assert_true(first_len > 7);
    while (p2p_out_output(s, &p, &n), n > 0) {
        size_t piece = n < 7 ? n : 7;

        memcpy(bytes + total, p, piece);
        total += piece;
        p2p_out_consumed(s, piece);
        if (total == 14)            /* more comes while some is pending */
            feed_version(s, 70016, 0x409, T0 + 1);
    }
    p2p_out_consumed(s, 100);       /* more than there is: nothing breaks */
    assert_nothing_sent(s);
    parse_sent(bytes, total, &got);
    assert_int_equal(got.n, 3);
    assert_string_equal(got.command[0], "version");
    assert_string_equal(got.command[1], "sendaddrv2");
    assert_string_equal(got.command[2], "verack");
    p2p_out_free(s);
}

static void test_pongs_to_a_ping_flood_stay_whole_frames(void **st)
{
    static uint8_t stream[200 * (P2P_HEADER_SIZE + P2P_NONCE_SIZE)];
    p2p_out *s = ready_out();
    uint8_t ping[P2P_NONCE_SIZE];
    size_t n = 0;
    sent got;

    (void)st;
    p2p_nonce_build(1, ping);
    for (int i = 0; i < 200; i++)
        n += frame("ping", ping, sizeof ping, stream + n, sizeof stream - n);
    feed(s, stream, n, T0 + 20);      /* more than the output holds */
    {
        const uint8_t *p = NULL;
        size_t len = 0;
        p2p_reader r;
        size_t pos = 0, frames = 0, whole = 0;

        p2p_out_output(s, &p, &len);
        assert_true(len > 0);
        p2p_reader_init(&r, regtest());
        while (pos < len) {
            p2p_frame f;
            size_t used = 0;
            int g = 0;

            assert_int_equal(p2p_reader_feed(&r, p + pos, len - pos, &used,
                                             &f, &g), AM_OK);
            pos += used;
            frames += (size_t)g;
            if (g) {
                assert_string_equal(f.command, "pong");
                whole = pos;
            }
        }
        assert_int_equal(whole, len);
        assert_true(frames > 0 && frames <= 200);
        p2p_reader_free(&r);
        p2p_out_consumed(s, len);
    }
    take(s, &got);
    assert_int_equal(got.n, 0);
    assert_false(p2p_out_done(s));
    p2p_out_free(s);
}

/* ------------------------------------------------------------------------ */
/* Arguments and names. */

static void test_new_refuses_bad_arguments(void **st)
{
    char long_ua[P2P_USER_AGENT_MAX + 2];
    am_addr peer = the_peer();
    p2p_out_config c;

    (void)st;
    memset(long_ua, 'a', sizeof long_ua - 1);
    long_ua[sizeof long_ua - 1] = '\0';
    c = config();
    assert_null(p2p_out_new(NULL, &peer, T0));
    assert_null(p2p_out_new(&c, NULL, T0));
    c.chain = NULL;
    assert_null(p2p_out_new(&c, &peer, T0));
    c = config();
    c.user_agent = NULL;
    assert_null(p2p_out_new(&c, &peer, T0));
    c.user_agent = long_ua;
    assert_null(p2p_out_new(&c, &peer, T0));
    c = config();
    c.timeout = 0;
    assert_null(p2p_out_new(&c, &peer, T0));
    c = config();
    c.answer_wait = -1;
    assert_null(p2p_out_new(&c, &peer, T0));
    c = config();
    c.max_payload = P2P_SESS_MIN_PAYLOAD - 1;
    assert_null(p2p_out_new(&c, &peer, T0));
}

static void test_feed_refuses_null_arguments(void **st)
{
    p2p_out *s = new_out();

    (void)st;
    assert_int_equal(p2p_out_feed(NULL, g_msg, 1, T0), AM_ERR_INVAL);
    assert_int_equal(p2p_out_feed(s, NULL, 1, T0), AM_ERR_INVAL);
    assert_int_equal(p2p_out_feed(s, NULL, 0, T0), AM_OK);
    assert_false(p2p_out_done(s));
    p2p_out_tick(NULL, T0);
    p2p_out_eof(NULL);
    p2p_out_abort(NULL, P2P_OUT_REFUSED, "x");
    p2p_out_free(NULL);
    p2p_out_free(s);
}

static void test_every_outcome_has_its_own_name(void **st)
{
    (void)st;
    for (int i = 0; i < P2P_OUTCOMES; i++) {
        const char *a = p2p_outcome_name((p2p_outcome)i);

        assert_string_not_equal(a, "unknown");
        for (int j = 0; j < i; j++)
            assert_string_not_equal(a, p2p_outcome_name((p2p_outcome)j));
    }
    assert_string_equal(p2p_outcome_name(P2P_OUT_OK), "ok");
    assert_string_equal(p2p_outcome_name((p2p_outcome)P2P_OUTCOMES), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sends_its_version_first_with_no_services_no_relay),
        cmocka_unit_test(test_version_time_is_the_time_of_day_not_the_callers_clock),
        cmocka_unit_test(test_version_to_a_peer_beyond_v1_has_zero_addr_recv),
        cmocka_unit_test(test_answers_a_70016_version_with_sendaddrv2_and_verack),
        cmocka_unit_test(test_answers_an_older_version_with_verack_alone),
        cmocka_unit_test(test_sends_getaddr_only_after_the_peers_verack),
        cmocka_unit_test(test_ignores_a_verack_before_the_version),
        cmocka_unit_test(test_accepts_network_limited_alone),
        cmocka_unit_test(test_answers_ping_with_pong),
        cmocka_unit_test(test_keeps_an_addr_answer_and_ends_ok),
        cmocka_unit_test(test_keeps_an_addrv2_answer_of_every_network),
        cmocka_unit_test(test_drops_unusable_entries),
        cmocka_unit_test(test_a_lone_unusable_entry_does_not_end_the_wait),
        cmocka_unit_test(test_a_lone_entry_then_the_real_answer),
        cmocka_unit_test(test_keeps_at_most_1000_entries),
        cmocka_unit_test(test_an_empty_answer_ends_the_wait),
        cmocka_unit_test(test_answer_wait_expiry_ends_ok_with_what_came),
        cmocka_unit_test(test_addr_before_the_handshake_is_not_kept),
        cmocka_unit_test(test_times_out_without_a_handshake),
        cmocka_unit_test(test_times_out_with_a_version_but_no_verack),
        cmocka_unit_test(test_another_chains_magic_is_wrong_magic),
        cmocka_unit_test(test_random_bytes_are_wrong_magic),
        cmocka_unit_test(test_a_bad_checksum_is_bad_message),
        cmocka_unit_test(test_an_unparsable_version_is_bad_message),
        cmocka_unit_test(test_a_protocol_below_70001_is_old_version),
        cmocka_unit_test(test_no_services_for_zero_services),
        cmocka_unit_test(test_no_services_without_bits_1_or_1024),
        cmocka_unit_test(test_closed_before_the_version),
        cmocka_unit_test(test_closed_after_the_version),
        cmocka_unit_test(test_a_fault_after_the_handshake_is_ok),
        cmocka_unit_test(test_wrong_magic_after_the_handshake_is_ok),
        cmocka_unit_test(test_a_close_after_the_handshake_is_ok),
        cmocka_unit_test(test_the_handshake_timeout_no_longer_applies_once_ready),
        cmocka_unit_test(test_byte_by_byte_feeding_gives_the_same_result),
        cmocka_unit_test(test_a_done_session_drops_further_bytes),
        cmocka_unit_test(test_abort_keeps_a_done_outcome),
        cmocka_unit_test(test_output_can_be_consumed_in_pieces),
        cmocka_unit_test(test_pongs_to_a_ping_flood_stay_whole_frames),
        cmocka_unit_test(test_new_refuses_bad_arguments),
        cmocka_unit_test(test_feed_refuses_null_arguments),
        cmocka_unit_test(test_every_outcome_has_its_own_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
