/*
 * test_p2p.c - the daemon's P2P face as a well-behaved node sees it: the
 * handshake, ping, getaddr answered with addr or addrv2 from the pool, and
 * the addresses a peer announces reaching the pool through the token
 * bucket.  Each case starts its own server (--p2p-listen 127.0.0.1:0) and
 * checks the socket, the pool (over HTTP) and /metrics.
 */
#include "it_api.h"
#include "it_p2p.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "am_error.h"

#define NODE_NETWORK 1u
#define NODE_WITNESS 8u
#define NODE_NETWORK_LIMITED 1024u
#define TIME_PENALTY 7200      /* seconds taken off an announced time */

static const char *const no_args[] = { NULL };

/* ---- helpers ------------------------------------------------------------ */

/* The daemon's getaddr answer on c: its entries into out (cap 1000), how
 * many; `want` is "addr" or "addrv2", the other one fails the test. */
static size_t ask_getaddr(it_p2p *c, const char *want, am_addrv2_entry *out)
{
    const char *const other[] = { strcmp(want, "addr") == 0 ? "addrv2" : "addr",
                                  NULL };
    p2p_frame f;
    size_t n = 0;
    int rc;

    assert_int_equal(it_p2p_send_msg(c, "getaddr", NULL, 0), 0);
    if (it_p2p_expect(c, want, &f, IT_P2P_IO_TIMEOUT_MS, other) != 1)
        fail_msg("no %s answer to getaddr", want);
    if (strcmp(want, "addr") == 0)
        rc = p2p_addr_parse(f.payload, f.len, out, P2P_ADDR_MAX_ENTRIES, &n);
    else
        rc = am_addrv2_decode(f.payload, f.len, out, AM_ADDRV2_MAX_ENTRIES, &n);
    if (rc != AM_OK)
        fail_msg("the %s answer (%u bytes) does not parse: %d", want, f.len,
                 rc);
    return n;
}

/* Index of e's host in hosts[0..n), or -1. */
static int host_index(const am_addrv2_entry *e, char (*hosts)[IT_HOST_MAX],
                      size_t n)
{
    char text[AM_ADDR_STRLEN];
    size_t i;

    assert_int_equal(e->status, AM_OK);
    assert_int_equal(am_addr_format(&e->addr, text, sizeof text), AM_OK);
    for (i = 0; i < n; i++)
        if (strcmp(text, hosts[i]) == 0)
            return (int)i;
    return -1;
}

/* Every entry is one of hosts[0..n) (no peer twice) and has NODE_NETWORK
 * or NODE_NETWORK_LIMITED. */
static void check_answer(const am_addrv2_entry *e, size_t n_e,
                         char (*hosts)[IT_HOST_MAX], size_t n)
{
    int seen[16] = { 0 };
    size_t i;

    assert_true(n <= 16);
    for (i = 0; i < n_e; i++) {
        int k = host_index(&e[i], hosts, n);
        char text[AM_ADDR_STRLEN];

        am_addr_format(&e[i].addr, text, sizeof text);
        if (k < 0)
            fail_msg("getaddr answered %s, not an eligible peer of the pool",
                     text);
        if (seen[k]++)
            fail_msg("getaddr answered %s twice", text);
        if ((e[i].services & (NODE_NETWORK | NODE_NETWORK_LIMITED)) == 0)
            fail_msg("getaddr answered %s with services %" PRIu64, text,
                     e[i].services);
    }
}

/* A pool of eligible peers: a Tor v3 (NODE_NETWORK), an I2P
 * (NODE_NETWORK_LIMITED), two IPv4 and an IPv6; their hosts into hosts,
 * how many. */
static size_t add_eligible(it_server *s, char (*hosts)[IT_HOST_MAX])
{
    it_add_fresh(s, 'o', 8333, NODE_NETWORK, hosts[0]);
    it_add_fresh(s, 'i', 0, NODE_NETWORK_LIMITED, hosts[1]);
    it_add_fresh(s, '4', 8333, NODE_NETWORK | NODE_WITNESS, hosts[2]);
    it_add_fresh(s, '4', 8333, NODE_NETWORK_LIMITED | NODE_WITNESS, hosts[3]);
    it_add_fresh(s, '6', 8333, NODE_NETWORK, hosts[4]);
    return 5;
}

static double messages(it_server *s, const char *direction,
                       const char *command)
{
    char labels[96];

    snprintf(labels, sizeof labels, "direction=\"%s\",command=\"%s\"",
             direction, command);
    return it_p2p_metric(s, IT_P2P_M_MESSAGES, labels);
}

/* Send an addr of `n` fresh IPv4 peers (time now, services 1033) on c;
 * their hosts into hosts. */
static void announce_ipv4s(it_p2p *c, size_t n, char (*hosts)[IT_HOST_MAX])
{
    am_addrv2_entry e[16];
    uint8_t buf[P2P_ADDR_MAX_SIZE];
    size_t i, len;

    assert_true(n <= 16);
    for (i = 0; i < n; i++) {
        it_uniq_ipv4(hosts[i]);
        it_p2p_entry(&e[i], hosts[i], 1033, 0);
    }
    assert_int_equal(p2p_addr_build(e, n, buf, sizeof buf, &len), AM_OK);
    assert_int_equal(it_p2p_send_msg(c, "addr", buf, len), 0);
}

/* How many of hosts[0..n) (port 8333) the pool has. */
static size_t in_pool(it_server *s, char (*hosts)[IT_HOST_MAX], size_t n)
{
    size_t i, k = 0;

    for (i = 0; i < n; i++)
        k += it_peer_status(s, hosts[i], 8333) == 200;
    return k;
}

/* Wait (5 s at most) until the face has offered `n` addresses to the
 * pool: learned, or refused because the slot is held (heard from
 * 127.0.0.1, a fresh address meets each one heard from there before in
 * one slot one time in 4096).  Returns how many were learned; asserts
 * that no more than n were offered. */
static size_t wait_offered(it_server *s, double n)
{
    long end = it_p2p_ms() + 5000;
    double learned, refused;

    for (;;) {
        learned = it_p2p_metric(s, IT_P2P_M_LEARNED, "");
        refused = it_p2p_metric(s, IT_P2P_M_DROPPED, "reason=\"refused\"");
        if (learned + refused >= n || it_p2p_ms() > end)
            break;
        it_p2p_sleep_ms(20);
    }
    if (learned + refused != n)
        fail_msg("%.0f learned and %.0f refused, want %.0f in all", learned,
                 refused, n);
    return (size_t)learned;
}

/* ---- handshake and ping ------------------------------------------------- */

static void handshake_answers_version_sendaddrv2_verack_in_order(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    p2p_version v;
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 1, &v);
    assert_int_equal(v.version, 70016);
    assert_int_equal(v.services, 9);
    assert_int_equal(v.start_height, 0);
    assert_true(v.has_relay);
    assert_int_equal(v.relay, 0);
    it_p2p_sync(&c);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_CONNECTIONS,
                                        "state=\"ready\"", 1, 5000), 1);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CONNECTIONS,
                                   "state=\"handshake\""), 0);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_ACCEPTED, ""), 1);
    assert_int_equal(messages(s, "in", "version"), 1);
    assert_int_equal(messages(s, "out", "version"), 1);
    assert_int_equal(messages(s, "out", "sendaddrv2"), 1);
    assert_int_equal(messages(s, "out", "verack"), 1);
    it_p2p_close(&c);
}

static void handshake_announces_the_configured_services(void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--p2p-services", "1033", NULL };
    int port = it_p2p_start(s, "main", args);
    p2p_version v;
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 0, &v);
    assert_int_equal(v.services, 1033);
    assert_int_equal(v.version, 70016);
    it_p2p_close(&c);
}

static void handshake_ignores_wtxidrelay_and_sendtxrcncl_before_verack(
    void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    uint8_t txrcncl[12] = { 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 };
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    assert_int_equal(it_p2p_send_version(&c, IT_P2P_PROTOCOL), 0);
    assert_int_equal(it_p2p_send_msg(&c, "wtxidrelay", NULL, 0), 0);
    assert_int_equal(it_p2p_send_msg(&c, "sendtxrcncl", txrcncl,
                                     sizeof txrcncl), 0);
    assert_int_equal(it_p2p_send_msg(&c, "sendaddrv2", NULL, 0), 0);
    it_p2p_await_answer(&c, NULL);
    assert_int_equal(it_p2p_send_msg(&c, "verack", NULL, 0), 0);
    it_p2p_sync(&c);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CONNECTIONS,
                                   "state=\"ready\""), 1);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CLOSED, ""), 0);
    it_p2p_close(&c);
}

static void ping_is_answered_with_pong_of_the_same_nonce(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    uint64_t nonce = 0x0123456789abcdefULL, got = 0;
    p2p_frame f;
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 0, NULL);
    assert_int_equal(it_p2p_send_ping(&c, nonce), 0);
    assert_int_equal(it_p2p_expect(&c, "pong", &f, IT_P2P_IO_TIMEOUT_MS,
                                   NULL), 1);
    assert_int_equal(p2p_nonce_parse(f.payload, f.len, &got), AM_OK);
    assert_true(got == nonce);
    assert_int_equal(messages(s, "in", "ping"), 1);
    assert_int_equal(messages(s, "out", "pong"), 1);
    it_p2p_close(&c);
}

static void p2p_listens_on_ipv6_loopback(void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--enable-debug", "--p2p-listen", "[::1]:0",
                                 NULL };
    p2p_version v;
    int port;
    it_p2p c;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    port = it_p2p_port_of(s, "[::1]");
    it_p2p_open_at(&c, "::1", port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 1, &v);
    assert_int_equal(v.version, 70016);
    it_p2p_sync(&c);
    it_p2p_close(&c);
}

/* ---- getaddr ------------------------------------------------------------ */

/* A fresh server whose pool holds add_eligible's 5 peers, asked getaddr
 * by a peer that sent sendaddrv2 (v2) or not: the answer's entries into
 * a new array *out (free it), how many; checks them and the counts of
 * messages sent. */
static size_t getaddr_of_eligible_pool(it_server *s, int v2,
                                       am_addrv2_entry **out)
{
    int port = it_p2p_start(s, "main", no_args);
    char hosts[5][IT_HOST_MAX];
    am_addrv2_entry *e = calloc(AM_ADDRV2_MAX_ENTRIES, sizeof *e);
    size_t n_hosts, n;
    it_p2p c;

    assert_non_null(e);
    n_hosts = add_eligible(s, hosts);
    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, v2, NULL);
    n = ask_getaddr(&c, v2 ? "addrv2" : "addr", e);
    check_answer(e, n, hosts, n_hosts);
    assert_true(n >= 2);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_SERVED, "", (double)n,
                                        5000), (double)n);
    assert_int_equal(messages(s, "out", "addrv2"), v2);
    assert_int_equal(messages(s, "out", "addr"), !v2);
    it_p2p_close(&c);
    *out = e;
    return n;
}

static void getaddr_is_answered_with_addrv2_after_sendaddrv2(void **state)
{
    am_addrv2_entry *e;
    size_t n = getaddr_of_eligible_pool(*state, 1, &e), i, overlay = 0;

    for (i = 0; i < n; i++)
        overlay += e[i].addr.net == AM_NET_TORV3 || e[i].addr.net == AM_NET_I2P;
    if (overlay == 0)
        fail_msg("the addrv2 answer (%zu entries) holds no Tor v3 or I2P peer "
                 "though 2 of the pool's 5 are", n);
    free(e);
}

static void getaddr_is_answered_with_addr_of_ipv4_ipv6_only_without_sendaddrv2(
    void **state)
{
    am_addrv2_entry *e;
    size_t n = getaddr_of_eligible_pool(*state, 0, &e), i;

    for (i = 0; i < n; i++)
        assert_true(e[i].addr.net == AM_NET_IPV4 ||
                    e[i].addr.net == AM_NET_IPV6);
    free(e);
}

static void getaddr_is_answered_once_per_connection(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    const char *const answers[] = { "addr", "addrv2", NULL };
    char hosts[5][IT_HOST_MAX];
    am_addrv2_entry *e = calloc(P2P_ADDR_MAX_ENTRIES, sizeof *e);
    uint64_t nonce = 77;
    p2p_frame f;
    it_p2p c, d;

    assert_non_null(e);
    add_eligible(s, hosts);
    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 0, NULL);
    assert_true(ask_getaddr(&c, "addr", e) >= 2);
    /* The second getaddr is read before the ping: no answer before pong. */
    assert_int_equal(it_p2p_send_msg(&c, "getaddr", NULL, 0), 0);
    assert_int_equal(it_p2p_send_ping(&c, nonce), 0);
    assert_int_equal(it_p2p_expect(&c, "pong", &f, IT_P2P_IO_TIMEOUT_MS,
                                   answers), 1);
    assert_int_equal(messages(s, "in", "getaddr"), 2);
    assert_int_equal(messages(s, "out", "addr"), 1);
    /* Once per connection, not once per daemon. */
    it_p2p_open(&d, port, it_p2p_chain("main"));
    it_p2p_handshake(&d, 0, NULL);
    assert_true(ask_getaddr(&d, "addr", e) >= 2);
    assert_int_equal(messages(s, "out", "addr"), 2);
    it_p2p_close(&d);
    it_p2p_close(&c);
    free(e);
}

static void getaddr_leaves_out_banned_and_non_network_peers(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    char good[3][IT_HOST_MAX], witness_only[IT_HOST_MAX];
    am_addrv2_entry *e = calloc(AM_ADDRV2_MAX_ENTRIES, sizeof *e);
    size_t n, i;
    it_p2p c;

    assert_non_null(e);
    /* First, into the empty pool: a fixed host's slot cannot be held. */
    it_add_one(s, "11.7.7.7", 8333, NODE_NETWORK);
    for (i = 0; i < 3; i++)
        it_add_fresh(s, '4', 8333, NODE_NETWORK, good[i]);
    it_add_fresh(s, '4', 8333, NODE_WITNESS, witness_only);
    json_decref(it_ban(s, "11.0.0.0/8"));
    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 1, NULL);
    n = ask_getaddr(&c, "addrv2", e);
    /* Only the three good ones may be there (check_answer). */
    check_answer(e, n, good, 3);
    assert_true(n >= 2);
    it_p2p_close(&c);
    free(e);
}

static void getaddr_with_two_eligible_peers_answers_both(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    char good[2][IT_HOST_MAX], bloom_only[IT_HOST_MAX];
    am_addrv2_entry *e = calloc(P2P_ADDR_MAX_ENTRIES, sizeof *e);
    it_p2p c;

    assert_non_null(e);
    it_add_fresh(s, '4', 8333, NODE_NETWORK, good[0]);
    it_add_fresh(s, '4', 8333, NODE_NETWORK_LIMITED, good[1]);
    it_add_fresh(s, '4', 8333, 4, bloom_only);
    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 0, NULL);
    assert_int_equal(ask_getaddr(&c, "addr", e), 2);
    check_answer(e, 2, good, 2);
    it_p2p_close(&c);
    free(e);
}

static void getaddr_before_verack_is_ignored(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    const char *const answers[] = { "addr", "addrv2", NULL };
    char hosts[5][IT_HOST_MAX];
    p2p_frame f;
    it_p2p c;

    add_eligible(s, hosts);
    it_p2p_open(&c, port, it_p2p_chain("main"));
    assert_int_equal(it_p2p_send_version(&c, IT_P2P_PROTOCOL), 0);
    assert_int_equal(it_p2p_send_msg(&c, "getaddr", NULL, 0), 0);
    it_p2p_await_answer(&c, NULL);
    assert_int_equal(it_p2p_send_msg(&c, "verack", NULL, 0), 0);
    assert_int_equal(it_p2p_send_ping(&c, 9), 0);
    assert_int_equal(it_p2p_expect(&c, "pong", &f, IT_P2P_IO_TIMEOUT_MS,
                                   answers), 1);
    assert_int_equal(messages(s, "out", "addr"), 0);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_SERVED, ""), 0);
    it_p2p_close(&c);
}

/* `n` fresh IPv4 peers with NODE_NETWORK into hosts. */
static void add_network_ipv4s(it_server *s, size_t n,
                              char (*hosts)[IT_HOST_MAX])
{
    size_t i;

    for (i = 0; i < n; i++) {
        it_add_fresh(s, '4', 8333, NODE_NETWORK, hosts[i]);
    }
}

/* getaddr on a new connection: the answer's entries into e, how many. */
static size_t getaddr_once(int port, am_addrv2_entry *e)
{
    size_t n;
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 0, NULL);
    n = ask_getaddr(&c, "addr", e);
    it_p2p_close(&c);
    return n;
}

/* Core's defence against scraping the table by reconnecting: a later
 * connection from the same network gets the cached answer, not a new draw
 * that would show the peers added since.  A short answer (fewer peers than
 * an answer takes) is made again once the pool is a quarter larger, so
 * that an answer made right after the start does not stay empty a day. */
static void getaddr_answer_is_cached_until_the_pool_grows_by_a_quarter(
    void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    char hosts[11][IT_HOST_MAX];
    am_addrv2_entry *e = calloc(P2P_ADDR_MAX_ENTRIES, sizeof *e);
    const char *renewals = "addrmand_p2p_getaddr_cache_renewals_total";
    size_t n;

    assert_non_null(e);
    add_network_ipv4s(s, 8, hosts);
    n = getaddr_once(port, e);
    check_answer(e, n, hosts, 8);
    assert_int_equal(n, 8);
    /* 10 peers: not more than 8 + 8 / 4; the same answer. */
    add_network_ipv4s(s, 2, hosts + 8);
    n = getaddr_once(port, e);
    check_answer(e, n, hosts, 8);
    assert_int_equal(n, 8);
    assert_int_equal(it_p2p_metric(s, renewals, ""), 1);
    /* 11 peers: a new answer, which holds all of them. */
    add_network_ipv4s(s, 1, hosts + 10);
    n = getaddr_once(port, e);
    check_answer(e, n, hosts, 11);
    assert_int_equal(n, 11);
    assert_int_equal(it_p2p_metric(s, renewals, ""), 2);
    free(e);
}

static void getaddr_on_an_empty_pool_is_answered_with_no_entries(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    am_addrv2_entry *e = calloc(P2P_ADDR_MAX_ENTRIES, sizeof *e);
    it_p2p c;

    assert_non_null(e);
    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 0, NULL);
    assert_int_equal(ask_getaddr(&c, "addr", e), 0);
    it_p2p_sync(&c);
    it_p2p_close(&c);
    free(e);
}

/* POST n peers (Tor v3 when onion, else IPv4) with NODE_NETWORK in one
 * request; how many the pool took. */
static json_int_t add_many(it_server *s, size_t n, int onion)
{
    size_t cap = 128 + n * 128, len = 0, i;
    char *body = malloc(cap), host[IT_HOST_MAX];
    uint8_t key[32];
    it_counts c;

    assert_non_null(body);
    len += (size_t)snprintf(body + len, cap - len, "{\"peers\": [");
    for (i = 0; i < n; i++) {
        if (onion)
            it_uniq_onion(host, key);
        else
            it_uniq_ipv4(host);
        len += (size_t)snprintf(body + len, cap - len,
                                "%s{\"address\": \"%s\", \"services\": 1}",
                                i ? ", " : "", host);
    }
    snprintf(body + len, cap - len, "]}");
    c = it_add_json(s, body, NULL);
    free(body);
    return c.added;
}

/* The largest answers: 1000 entries (a Tor v3 entry is 41 bytes of
 * addrv2, an IPv4 one 11), each a distinct peer, for both formats. */
static void getaddr_answer_of_1000_entries_comes_whole(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    am_addrv2_entry *e = calloc(AM_ADDRV2_MAX_ENTRIES, sizeof *e);
    json_int_t onions = add_many(s, 1200, 1), v4 = add_many(s, 1200, 0);
    size_t n, i, j;
    it_p2p c, d;

    assert_non_null(e);
    print_message("pool: %lld Tor v3 and %lld IPv4 peers\n",
                  (long long)onions, (long long)v4);
    assert_true(onions + v4 >= 1000 && v4 > 0);
    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 1, NULL);
    n = ask_getaddr(&c, "addrv2", e);
    assert_int_equal(n, 1000);
    for (i = 1; i < n; i++)
        for (j = 0; j < i; j++)
            if (am_addr_eq(&e[i].addr, &e[j].addr))
                fail_msg("entries %zu and %zu are the same peer", j, i);
    it_p2p_sync(&c);
    it_p2p_close(&c);
    /* The v1 answer: the IPv4 entries of the same cached draw. */
    it_p2p_open(&d, port, it_p2p_chain("main"));
    it_p2p_handshake(&d, 0, NULL);
    n = ask_getaddr(&d, "addr", e);
    print_message("the addr answer holds %zu IPv4 peers\n", n);
    assert_true(n > 0 && n <= 1000);
    for (i = 0; i < n; i++)
        assert_int_equal(e[i].addr.net, AM_NET_IPV4);
    it_p2p_sync(&d);
    it_p2p_close(&d);
    free(e);
}

/* ---- addresses from the peer -------------------------------------------- */

static void addr_from_peer_reaches_pool_with_peer_as_source_and_penalty(
    void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "regtest", no_args);
    char hosts[1][IT_HOST_MAX];
    json_int_t now = it_now(), t;
    json_t *p;
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("regtest"));
    it_p2p_handshake(&c, 0, NULL);
    announce_ipv4s(&c, 1, hosts);
    it_p2p_sync(&c);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_LEARNED, "", 1, 5000), 1);
    p = it_peer(s, hosts[0], 8333);
    IT_STREQ(IT_JSTR(p, "source"), "127.0.0.1");
    assert_int_equal(IT_JINT(p, "services"), 1033);
    t = IT_JINT(p, "time");
    if (t < now - TIME_PENALTY - 120 || t > now - TIME_PENALTY + 120)
        fail_msg("time %lld, expected about now - 2 h = %lld", (long long)t,
                 (long long)(now - TIME_PENALTY));
    json_decref(p);
    it_p2p_close(&c);
}

/* Core reads an announced time of 100000000 or less, or more than 10
 * minutes ahead, as bogus and stores now - 5 days (then the penalty): a
 * peer cannot make its addresses look fresh, nor put them in the future. */
static void addr_with_a_bogus_time_is_stored_as_five_days_old(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "regtest", no_args);
    const char *what[] = { "time 0", "time 1000", "a time 1 day ahead" };
    char host[3][IT_HOST_MAX];
    json_int_t now = it_now(), t[3];
    uint8_t buf[64];
    am_addrv2_entry e;
    size_t len;
    int i, bad = 0;

    for (i = 0; i < 3; i++) {
        int tries = 0;
        double refused;
        it_p2p c;

        /* Heard from one source (127.0.0.1), two fresh addresses share a
         * slot one time in 4096: one turned away, another is sent. */
        do {
            refused = it_p2p_metric(s, IT_P2P_M_DROPPED, "reason=\"refused\"");
            it_uniq_ipv4(host[i]);
            it_p2p_entry(&e, host[i], NODE_NETWORK, 0);
            e.time = i == 0 ? 0 : i == 1 ? 1000 : (uint32_t)(now + 86400);
            assert_int_equal(p2p_addr_build(&e, 1, buf, sizeof buf, &len),
                             AM_OK);
            it_p2p_open(&c, port, it_p2p_chain("regtest"));
            it_p2p_handshake(&c, 0, NULL);
            assert_int_equal(it_p2p_send_msg(&c, "addr", buf, len), 0);
            it_p2p_sync(&c);
            it_p2p_close(&c);
        } while (IT_TURNED_AWAY(it_p2p_metric(s, IT_P2P_M_DROPPED,
                                              "reason=\"refused\"") > refused,
                                &tries));
    }
    for (i = 0; i < 3; i++) {
        json_t *p = it_peer(s, host[i], 8333);

        t[i] = IT_JINT(p, "time");
        json_decref(p);
        if (t[i] > now - 5 * 86400 + 120 ||
            t[i] < now - 5 * 86400 - TIME_PENALTY - 120) {
            print_error("%s: stored time is now %+lld s, expected about "
                        "-5 days (-432000 s) minus up to 2 h\n", what[i],
                        (long long)(t[i] - now));
            bad++;
        }
    }
    if (bad)
        fail_msg("%d of 3 bogus announced times were not stored as 5 days "
                 "old", bad);
}

static void addrv2_from_peer_reaches_pool_with_its_tor_address(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "regtest", no_args);
    char onion[IT_HOST_MAX], ep[IT_HOST_MAX + 8];
    uint8_t key[32], buf[64];
    am_addrv2_entry e;
    size_t len;
    json_t *p;
    it_p2p c;

    it_uniq_onion(onion, key);
    snprintf(ep, sizeof ep, "%s:8333", onion);
    it_p2p_entry(&e, ep, NODE_NETWORK, 0);
    assert_int_equal(am_addrv2_encode(&e, 1, buf, sizeof buf, &len), AM_OK);
    it_p2p_open(&c, port, it_p2p_chain("regtest"));
    it_p2p_handshake(&c, 1, NULL);
    assert_int_equal(it_p2p_send_msg(&c, "addrv2", buf, len), 0);
    it_p2p_sync(&c);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_LEARNED, "", 1, 5000), 1);
    p = it_peer(s, onion, 8333);
    IT_STREQ(IT_JSTR(p, "network"), "torv3");
    IT_STREQ(IT_JSTR(p, "source"), "127.0.0.1");
    json_decref(p);
    it_p2p_close(&c);
}

/* Send one addr entry for `host` on a fresh connection; the pool's
 * answer to GET /v1/peers/<host>:8333 after it was read. */
static long announce_one(it_server *s, int port, const char *chain,
                         const char *host)
{
    uint8_t buf[64];
    am_addrv2_entry e;
    size_t len;
    it_p2p c;

    it_p2p_entry(&e, host, NODE_NETWORK, 0);
    assert_int_equal(p2p_addr_build(&e, 1, buf, sizeof buf, &len), AM_OK);
    it_p2p_open(&c, port, it_p2p_chain(chain));
    it_p2p_handshake(&c, 0, NULL);
    assert_int_equal(it_p2p_send_msg(&c, "addr", buf, len), 0);
    it_p2p_sync(&c);
    it_p2p_close(&c);
    return it_peer_status(s, host, 8333);
}

/* --chain regtest lets loopback and private addresses into the pool, by
 * every face (a regtest network lives on such addresses). */
static void private_address_is_learned_on_regtest(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "regtest", no_args);
    /* Into the empty pool first: its slot cannot be held. */
    long p2p = announce_one(s, port, "regtest", "10.1.2.3");
    char host[IT_HOST_MAX];
    int tries = 0, added;

    if (p2p != 200)
        fail_msg("on regtest, addr of 10.1.2.3 from a peer: GET %ld "
                 "(learned %.0f, dropped unusable %.0f, refused %.0f)", p2p,
                 it_p2p_metric(s, IT_P2P_M_LEARNED, ""),
                 it_p2p_metric(s, IT_P2P_M_DROPPED, "reason=\"unusable\""),
                 it_p2p_metric(s, IT_P2P_M_DROPPED, "reason=\"refused\""));
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_LEARNED, ""), 1);
    /* Another private host while one finds 10.1.2.3 holding its slot (the
     * key is fresh each run); turned away for any other reason fails. */
    do {
        snprintf(host, sizeof host, "192.168.7.%d", 7 + tries);
        added = it_try_add(s, host, IT_PORT, 1, NULL, "table_full");
    } while (IT_TURNED_AWAY(!added, &tries));
    assert_true(added);
}

static void private_address_is_dropped_on_main(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);

    assert_int_equal(announce_one(s, port, "main", "10.1.2.3"), 404);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_LEARNED, ""), 0);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_DROPPED, "reason=\"unusable\"") +
                     it_p2p_metric(s, IT_P2P_M_DROPPED, "reason=\"refused\""),
                     1);
}

static void learned_address_survives_a_restart(void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--enable-debug", "--p2p-listen",
                                 "127.0.0.1:0", "--chain", "regtest", NULL };
    int port = it_p2p_start(s, "regtest", no_args), st;
    char host[IT_HOST_MAX];
    json_t *p;

    it_uniq_ipv4(host);
    assert_int_equal(announce_one(s, port, "regtest", host), 200);
    st = it_signal_wait(s, SIGTERM, IT_STOP_TIMEOUT_MS);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    it_restart(s, args);
    p = it_peer(s, host, 8333);
    IT_STREQ(IT_JSTR(p, "source"), "127.0.0.1");
    json_decref(p);
}

/* BIP155: entries of an unknown network, and Tor v2, are skipped; the
 * message is not a fault. */
static void addrv2_entries_of_unknown_networks_are_skipped(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "regtest", no_args);
    uint8_t p[64], *q = p;
    uint32_t now = (uint32_t)it_now();
    int k;
    it_p2p c;

    *q++ = 2;                                   /* two entries */
    for (k = 0; k < 2; k++) {
        *q++ = (uint8_t)now;
        *q++ = (uint8_t)(now >> 8);
        *q++ = (uint8_t)(now >> 16);
        *q++ = (uint8_t)(now >> 24);
        *q++ = 1;                               /* services */
        *q++ = k == 0 ? 3 : 42;                 /* Tor v2; unknown */
        *q++ = k == 0 ? 10 : 5;
        memset(q, 0x5a, k == 0 ? 10 : 5);
        q += k == 0 ? 10 : 5;
        *q++ = 0x20;                            /* port 8333 */
        *q++ = 0x8d;
    }
    it_p2p_open(&c, port, it_p2p_chain("regtest"));
    it_p2p_handshake(&c, 1, NULL);
    assert_int_equal(it_p2p_send_msg(&c, "addrv2", p, (size_t)(q - p)), 0);
    it_p2p_sync(&c);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_LEARNED, ""), 0);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_DROPPED, ""), 2);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CLOSED, ""), 0);
    it_p2p_close(&c);
}

static void addr_before_verack_is_ignored(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "regtest", no_args);
    char hosts[1][IT_HOST_MAX];
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("regtest"));
    assert_int_equal(it_p2p_send_version(&c, IT_P2P_PROTOCOL), 0);
    announce_ipv4s(&c, 1, hosts);
    it_p2p_await_answer(&c, NULL);
    assert_int_equal(it_p2p_send_msg(&c, "verack", NULL, 0), 0);
    it_p2p_sync(&c);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_LEARNED, ""), 0);
    assert_int_equal(in_pool(s, hosts, 1), 0);
    it_p2p_close(&c);
}

static void addr_rate_limit_learns_one_of_ten_sent_at_once(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "regtest", no_args);
    char hosts[10][IT_HOST_MAX], more[10][IT_HOST_MAX];
    size_t learned, more_learned;
    it_p2p c, d;

    it_p2p_open(&c, port, it_p2p_chain("regtest"));
    it_p2p_handshake(&c, 0, NULL);
    announce_ipv4s(&c, 10, hosts);
    it_p2p_sync(&c);
    /* One passes the limit (learned, unless its slot is held). */
    learned = wait_offered(s, 1);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_DROPPED,
                                        "reason=\"rate_limit\"", 9, 5000), 9);
    assert_int_equal(in_pool(s, hosts, 10), learned);
    /* The bucket is the connection's: a new one passes one more. */
    it_p2p_open(&d, port, it_p2p_chain("regtest"));
    it_p2p_handshake(&d, 0, NULL);
    announce_ipv4s(&d, 10, more);
    it_p2p_sync(&d);
    more_learned = wait_offered(s, 2) - learned;
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_DROPPED,
                                   "reason=\"rate_limit\""), 18);
    assert_int_equal(in_pool(s, more, 10), more_learned);
    it_p2p_close(&d);
    it_p2p_close(&c);
}

static void addr_rate_limit_refills_a_token_every_10_s(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "regtest", no_args);
    char first[1][IT_HOST_MAX], later[10][IT_HOST_MAX];
    long opened, elapsed;
    double passed, allowed;
    size_t first_learned, learned;
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("regtest"));
    opened = it_p2p_ms();
    it_p2p_handshake(&c, 0, NULL);
    announce_ipv4s(&c, 1, first);
    it_p2p_sync(&c);
    first_learned = wait_offered(s, 1);
    it_p2p_sleep_ms(10500);
    announce_ipv4s(&c, 10, later);
    it_p2p_sync(&c);
    elapsed = it_p2p_ms() - opened;
    /* 1 at first, 0.1 a second since: the tokens the bucket can hold.
     * What passed is learned, or refused when its slot is held. */
    allowed = (double)(long)(1 + 0.1 * (double)elapsed / 1000.0);
    passed = 10 - it_p2p_metric_wait(s, IT_P2P_M_DROPPED,
                                     "reason=\"rate_limit\"", 11 - allowed,
                                     5000);
    print_message("%.0f passed in %ld ms (the bucket allows %.0f)\n",
                  passed + 1, elapsed, allowed);
    if (passed + 1 < 2 || passed + 1 > allowed)
        fail_msg("%.0f passed after %ld ms, expected 2..%.0f", passed + 1,
                 elapsed, allowed);
    learned = wait_offered(s, passed + 1);
    assert_int_equal(in_pool(s, later, 10), learned - first_learned);
    it_p2p_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)
        T(handshake_answers_version_sendaddrv2_verack_in_order),
        T(handshake_announces_the_configured_services),
        T(handshake_ignores_wtxidrelay_and_sendtxrcncl_before_verack),
        T(ping_is_answered_with_pong_of_the_same_nonce),
        T(p2p_listens_on_ipv6_loopback),
        T(getaddr_is_answered_with_addrv2_after_sendaddrv2),
        T(getaddr_is_answered_with_addr_of_ipv4_ipv6_only_without_sendaddrv2),
        T(getaddr_is_answered_once_per_connection),
        T(getaddr_leaves_out_banned_and_non_network_peers),
        T(getaddr_with_two_eligible_peers_answers_both),
        T(getaddr_before_verack_is_ignored),
        T(getaddr_answer_is_cached_until_the_pool_grows_by_a_quarter),
        T(getaddr_on_an_empty_pool_is_answered_with_no_entries),
        T(getaddr_answer_of_1000_entries_comes_whole),
        T(addr_from_peer_reaches_pool_with_peer_as_source_and_penalty),
        T(addr_with_a_bogus_time_is_stored_as_five_days_old),
        T(addrv2_from_peer_reaches_pool_with_its_tor_address),
        T(private_address_is_learned_on_regtest),
        T(private_address_is_dropped_on_main),
        T(learned_address_survives_a_restart),
        T(addrv2_entries_of_unknown_networks_are_skipped),
        T(addr_before_verack_is_ignored),
        T(addr_rate_limit_learns_one_of_ten_sent_at_once),
        T(addr_rate_limit_refills_a_token_every_10_s),
#undef T
    };

    return IT_RUN(tests);
}
