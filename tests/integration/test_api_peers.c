/*
 * test_api_peers.c - adding peers (every network, canonical text, batch
 * errors, time and source rules), fetching, listing, deleting, and state
 * and services updates.
 */
#include "it_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIVE_DAYS (5 * 86400)
#define SLACK 60

/* ---- helpers --------------------------------------------------------- */

static void expect_near(json_int_t got, json_int_t want, json_int_t slack,
                        const char *what)
{
    if (got < want - slack || got > want + slack)
        fail_msg("%s: expected %lld (+-%lld), got %lld", what,
                 (long long)want, (long long)slack, (long long)got);
}

/* A fresh peer (it_add_fresh) reported `state` ("tried" or "connected"); the
 * answer (a new reference).  The tried slot it needs may be held by
 * another peer (in a shared pool above all): a collision, and it stays in
 * the new table for now; then it is reset and another address is drawn. */
static json_t *add_tried(it_server *s, int kind, char host[IT_HOST_MAX],
                         uint64_t svc, const char *state)
{
    int tries = 0;

    for (;;) {
        json_t *p;

        it_add_fresh(s, kind, IT_PORT, svc, host);
        p = it_set_state(s, host, IT_PORT, state);
        if (!IT_TURNED_AWAY(strcmp(IT_JSTR(p, "table"), "tried") != 0,
                            &tries))
            return p;
        json_decref(p);
        json_decref(it_set_state(s, host, IT_PORT, "never_tried"));
    }
}

/* Add `input` (any text form); the peer must read back as `canon` on
 * `network`.  The add may be turned away (NULL: the test tries another
 * address, IT_TURNED_AWAY); in shared mode a real seed may already be
 * known (`known_ok`). */
static json_t *add_and_check(it_server *s, const char *input,
                             const char *canon, const char *network,
                             int known_ok)
{
    static int ignored;
    char body[512];
    int port;
    it_counts c;
    json_t *p;

    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}", input);
    c = it_add_json(s, body, NULL);
    assert_int_equal(c.n_errors, 0);
    if (c.ignored == 1 && c.added + c.updated == 0) {
        if (++ignored >= IT_FRESH_TRIES)
            fail_msg("%d adds in a row ignored", ignored);
        return NULL;
    }
    ignored = 0;
    if (known_ok && s->shared)
        assert_int_equal(c.added + c.updated, 1);
    else
        assert_int_equal(c.added, 1);
    /* Without a port, I2P peers get 0, the only port I2P uses. */
    port = strcmp(network, "i2p") == 0 ? 0 : IT_PORT;
    p = it_peer(s, canon, port);
    IT_STREQ(IT_JSTR(p, "address"), canon);
    IT_STREQ(IT_JSTR(p, "network"), network);
    assert_int_equal(IT_JINT(p, "port"), port);
    return p;
}

static void upper(char *s)
{
    for (; *s != '\0'; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
}

/* The error of entry `index` in an errors array has `code`. */
static void expect_entry_error(const json_t *errors, json_int_t index,
                               const char *code)
{
    size_t i;
    json_t *e;

    json_array_foreach(errors, i, e)
        if (IT_JINT(e, "index") == index) {
            IT_STREQ(IT_JSTR(e, "code"), code);
            return;
        }
    fail_msg("no error reported for entry %lld (%s)", (long long)index, code);
}

/* ---- adding: every network ------------------------------------------- */

static void test_add_ipv4_peer_has_every_field(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];
    json_t *p;

    it_add_fresh(s, '4', IT_PORT, 1033, host);
    p = it_peer(s, host, IT_PORT);
    IT_STREQ(IT_JSTR(p, "address"), host);
    IT_STREQ(IT_JSTR(p, "network"), "ipv4");
    assert_int_equal(IT_JINT(p, "port"), IT_PORT);
    assert_int_equal(IT_JINT(p, "services"), 1033);
    IT_STREQ(IT_JSTR(p, "state"), "never_tried");
    IT_STREQ(IT_JSTR(p, "table"), "new");
    expect_near(IT_JINT(p, "time"), it_now(), SLACK, "time");
    assert_int_equal(IT_JINT(p, "last_connected"), 0);
    assert_int_equal(IT_JINT(p, "last_try"), 0);
    assert_int_equal(IT_JINT(p, "last_success"), 0);
    assert_int_equal(IT_JINT(p, "attempts"), 0);
    json_decref(p);
}

static void test_add_without_source_peer_is_its_own_source(void **state)
{
    it_server *s = *state;
    char v4[IT_HOST_MAX], onion[IT_HOST_MAX];
    json_t *p;

    it_add_fresh(s, '4', IT_PORT, 1, v4);
    it_add_fresh(s, 'o', IT_PORT, 1, onion);
    p = it_peer(s, v4, IT_PORT);
    IT_STREQ(IT_JSTR(p, "source"), v4);
    json_decref(p);
    p = it_peer(s, onion, IT_PORT);
    IT_STREQ(IT_JSTR(p, "source"), onion);
    json_decref(p);
}

static void test_add_ipv6_noncanonical_echoed_canonical(void **state)
{
    it_server *s = *state;
    char canon[IT_HOST_MAX], nc[IT_HOST_MAX];
    json_t *p, *q;

    do {
        it_uniq_ipv6(canon, nc);
        p = add_and_check(s, nc, canon, "ipv6", 0);
    } while (p == NULL);
    q = it_peer(s, nc, IT_PORT);
    assert_int_equal(IT_JINT(q, "id"), IT_JINT(p, "id"));
    json_decref(p);
    json_decref(q);
}

static void test_add_ipv6_seed_echoed_canonical(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];
    json_t *p;

    do {
        it_seed_host("ipv6", host);
        p = add_and_check(s, host, host, "ipv6", 1);
    } while (p == NULL);
    json_decref(p);
}

static void test_add_ipv4_mapped_ipv6_text_is_ipv4(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], mapped[IT_HOST_MAX + 8];
    json_t *p;

    do {
        it_uniq_ipv4(host);
        snprintf(mapped, sizeof mapped, "::ffff:%s", host);
        p = add_and_check(s, mapped, host, "ipv4", 0);
    } while (p == NULL);
    json_decref(p);
}

static void test_add_torv3_seed_echoed_lower_case(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], in[IT_HOST_MAX];
    json_t *p;

    do {
        it_seed_host("onion", host);
        assert_int_equal(strlen(host), 56 + 6);
        snprintf(in, sizeof in, "%s", host);
        upper(in);
        p = add_and_check(s, in, host, "torv3", 1);
    } while (p == NULL);
    json_decref(p);
}

static void test_add_torv3_generated_name(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], in[IT_HOST_MAX + 8];
    json_t *p;

    do {
        it_uniq_onion(host, NULL);
        snprintf(in, sizeof in, "%s:8333", host);
        p = add_and_check(s, in, host, "torv3", 0);
    } while (p == NULL);
    json_decref(p);
}

static void test_add_i2p_seed_echoed_canonical(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], in[IT_HOST_MAX];
    json_t *p;

    do {
        it_seed_host("i2p", host);
        assert_int_equal(strlen(host), 52 + 8);
        snprintf(in, sizeof in, "%s", host);
        upper(in);
        p = add_and_check(s, in, host, "i2p", 1);
    } while (p == NULL);
    json_decref(p);
}

static void test_add_cjdns_seed_is_network_cjdns(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], in[IT_HOST_MAX];
    json_t *p;

    do {
        it_seed_host("cjdns", host);
        snprintf(in, sizeof in, "%s", host);
        upper(in);
        p = add_and_check(s, in, host, "cjdns", 1);
    } while (p == NULL);
    json_decref(p);
}

static void test_add_cjdns_generated_is_network_cjdns(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];
    json_t *p;

    do {
        it_uniq_cjdns(host, NULL);
        p = add_and_check(s, host, host, "cjdns", 0);
    } while (p == NULL);
    json_decref(p);
}

/* ---- adding: refusals ------------------------------------------------ */

static void expect_single_error(it_server *s, const char *address,
                                const char *code)
{
    char body[512];
    json_t *errors;
    it_counts c;

    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}",
             address);
    c = it_add_json(s, body, &errors);
    assert_int_equal(c.added, 0);
    assert_int_equal(c.updated, 0);
    assert_int_equal(c.n_errors, 1);
    expect_entry_error(errors, 0, code);
    json_decref(errors);
}

static void test_add_torv2_rejected_as_invalid_address(void **state)
{
    it_server *s = *state;

    expect_single_error(s, "expyuzz4wqqyqhjn.onion", "invalid_address");
    expect_single_error(s, "expyuzz4wqqyqhjn.onion:8333", "invalid_address");
    expect_single_error(s, "fd87:d87e:eb43:1:2:3:4:5", "invalid_address");
}

static void test_add_torv3_bad_checksum_rejected(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];

    it_uniq_onion(host, NULL);
    host[53] = host[53] == 'a' ? 'b' : 'a';     /* inside the checksum */
    expect_single_error(s, host, "invalid_address");
}

static void test_add_garbage_addresses_rejected(void **state)
{
    it_server *s = *state;

    expect_single_error(s, "not-an-address", "invalid_address");
    expect_single_error(s, "1.2.3.256", "invalid_address");
    expect_single_error(s, "1.2.3", "invalid_address");
    expect_single_error(s, "12.3.4.5:99999", "invalid_address");
    expect_single_error(s, "", "invalid_address");
    expect_single_error(s, "abc.b32.i2p", "invalid_address");
}

static void test_add_unroutable_addresses_ignored(void **state)
{
    static const char *const hosts[] = {
        "10.1.2.3", "127.0.0.1", "192.168.1.20", "172.16.5.4", "100.64.1.1",
        "169.254.3.3", "0.0.0.0", "224.0.0.1", "255.255.255.255",
        "192.0.2.7", "198.51.100.7", "203.0.113.7", "2001:db8::7", "::1",
        "fe80::1", "fd00::1", NULL
    };
    it_server *s = *state;
    char body[2048];
    size_t i, n = 0, len;
    it_counts c;

    len = (size_t)snprintf(body, sizeof body, "{\"peers\": [");
    for (i = 0; hosts[i] != NULL; i++, n++)
        len += (size_t)snprintf(body + len, sizeof body - len,
                                "%s{\"address\": \"%s\"}", i ? ", " : "",
                                hosts[i]);
    snprintf(body + len, sizeof body - len, "]}");
    c = it_add_json(s, body, NULL);
    assert_int_equal(c.added, 0);
    assert_int_equal(c.updated, 0);
    assert_int_equal(c.n_errors, 0);
    assert_int_equal(c.ignored, n);
    for (i = 0; hosts[i] != NULL; i++)
        assert_int_equal(it_peer_status(s, hosts[i], IT_PORT), 404);
}

static void test_add_batch_reports_errors_by_index(void **state)
{
    it_server *s = *state;
    char a[IT_HOST_MAX], b[IT_HOST_MAX], c3[IT_HOST_MAX], body[1024];
    json_t *errors;
    it_counts c;
    int tries = 0;

again:
    it_uniq_ipv4(a);
    it_uniq_ipv4(b);
    it_uniq_ipv4(c3);
    snprintf(body, sizeof body,
             "{\"peers\": [{\"address\": \"%s\"}, {\"address\": \"bogus\"}, "
             "{\"address\": \"%s\", \"port\": 18333}, {\"address\": 5}, "
             "{\"port\": 8333}, {\"address\": \"%s\", \"port\": 70000}, "
             "{\"address\": \"expyuzz4wqqyqhjn.onion\"}, "
             "{\"address\": \"10.0.0.1\"}, 7, "
             "{\"address\": \"%s\", \"services\": -1}, "
             "{\"address\": \"%s\", \"time\": \"now\"}]}",
             a, b, c3, c3, c3);
    c = it_add_json(s, body, &errors);
    if (IT_TURNED_AWAY(c.ignored > 1, &tries)) {
        json_decref(errors);
        goto again;
    }
    assert_int_equal(c.added, 2);
    assert_int_equal(c.updated, 0);
    assert_int_equal(c.ignored, 1);
    assert_int_equal(c.n_errors, 8);
    expect_entry_error(errors, 1, "invalid_address");
    expect_entry_error(errors, 3, "bad_request");
    expect_entry_error(errors, 4, "bad_request");
    expect_entry_error(errors, 5, "bad_request");
    expect_entry_error(errors, 6, "invalid_address");
    expect_entry_error(errors, 8, "bad_request");
    expect_entry_error(errors, 9, "bad_request");
    expect_entry_error(errors, 10, "bad_request");
    json_decref(errors);
    json_decref(it_peer(s, a, IT_PORT));
    json_decref(it_peer(s, b, 18333));
    assert_int_equal(it_peer_status(s, c3, IT_PORT), 404);
}

/* An answer cannot grow without bound: the first 1000 entry errors are
 * listed, in entry order, as an import lists them (this answer listed
 * every one before). */
static void test_add_lists_the_first_1000_errors(void **state)
{
    it_server *s = *state;
    size_t n = 1500, i, len = 0, cap = n * 24 + 64;
    char *body = malloc(cap);
    json_t *errors;
    it_counts c;

    assert_non_null(body);
    len += (size_t)snprintf(body + len, cap - len, "{\"peers\": [");
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(body + len, cap - len, "%s{\"address\": %zu}",
                                i ? "," : "", i);
    snprintf(body + len, cap - len, "]}");
    c = it_add_json(s, body, &errors);
    assert_int_equal(c.added + c.updated + c.ignored, 0);
    assert_int_equal(json_array_size(errors), 1000);
    assert_int_equal(IT_JINT(json_array_get(errors, 0), "index"), 0);
    assert_int_equal(IT_JINT(json_array_get(errors, 999), "index"), 999);
    json_decref(errors);
    free(body);
}

/* The error of entry `index` has `code` and a message containing `frag`. */
static void expect_entry_message(const json_t *errors, json_int_t index,
                                 const char *code, const char *frag)
{
    size_t i;
    json_t *e;

    json_array_foreach(errors, i, e)
        if (IT_JINT(e, "index") == index) {
            IT_STREQ(IT_JSTR(e, "code"), code);
            if (strstr(IT_JSTR(e, "message"), frag) == NULL)
                fail_msg("entry %lld: '%s' does not say '%s'",
                         (long long)index, IT_JSTR(e, "message"), frag);
            return;
        }
    fail_msg("no error reported for entry %lld (%s)", (long long)index, code);
}

static void test_add_port_0_refused_except_for_i2p(void **state)
{
    it_server *s = *state;
    char a[IT_HOST_MAX], b[IT_HOST_MAX], v6[IT_HOST_MAX], onion[IT_HOST_MAX];
    char cj[IT_HOST_MAX], i2p[IT_HOST_MAX], i2p2[IT_HOST_MAX], body[1024];
    json_t *errors, *p;
    it_counts c;
    int tries = 0;

again:
    it_uniq_ipv4(a);
    it_uniq_ipv4(b);
    it_uniq_ipv6(v6, NULL);
    it_uniq_onion(onion, NULL);
    it_uniq_cjdns(cj, NULL);
    it_uniq_i2p(i2p, NULL);
    it_uniq_i2p(i2p2, NULL);
    snprintf(body, sizeof body,
             "{\"peers\": [{\"address\": \"%s:0\"}, "
             "{\"address\": \"%s\", \"port\": 0}, "
             "{\"address\": \"[%s]:0\"}, {\"address\": \"%s:0\"}, "
             "{\"address\": \"[%s]:0\"}, {\"address\": \"%s\"}, "
             "{\"address\": \"%s\", \"port\": 8333}]}",
             a, b, v6, onion, cj, i2p, i2p2);
    c = it_add_json(s, body, &errors);
    if (IT_TURNED_AWAY(c.ignored > 0, &tries)) {
        json_decref(errors);
        goto again;
    }
    assert_int_equal(c.added, 2);
    assert_int_equal(c.n_errors, 5);
    for (json_int_t i = 0; i < 5; i++)
        expect_entry_message(errors, i, "invalid_address", "port 0");
    json_decref(errors);
    assert_int_equal(it_peer_status(s, a, 0), 404);
    assert_int_equal(it_peer_status(s, b, 0), 404);
    /* I2P: 0 when no port is given, a given port kept. */
    p = it_peer(s, i2p, 0);
    assert_int_equal(IT_JINT(p, "port"), 0);
    json_decref(p);
    json_decref(it_peer(s, i2p2, 8333));
}

static void test_add_invalid_address_message_says_what_is_wrong(void **state)
{
    it_server *s = *state;
    char a[IT_HOST_MAX], body[512];
    json_t *errors;
    it_counts c;

    it_uniq_ipv4(a);
    snprintf(body, sizeof body,
             "{\"peers\": [{\"address\": \"%s:70000\"}, "
             "{\"address\": \"no-such-host\"}, "
             "{\"address\": \"expyuzz4wqqyqhjn.onion\"}]}", a);
    c = it_add_json(s, body, &errors);
    assert_int_equal(c.added + c.updated + c.ignored, 0);
    expect_entry_message(errors, 0, "invalid_address",
                         "port 70000 is out of range");
    expect_entry_message(errors, 1, "invalid_address",
                         "not an IPv4 or IPv6 address, .onion or .b32.i2p name");
    expect_entry_message(errors, 2, "invalid_address",
                         "Tor v2 addresses are not supported");
    json_decref(errors);
}

/* One series of addrmand_peers_ignored_total, by its reason label. */
static double ignored_metric(it_server *s, const char *reason)
{
    char series[96];
    it_resp *r = it_get(s, "/metrics");
    const char *at;
    double v = -1;

    IT_STATUS(r, 200);
    snprintf(series, sizeof series,
             "\naddrmand_peers_ignored_total{reason=\"%s\"} ", reason);
    at = strstr(r->body, series);
    if (at == NULL)
        fail_msg("/metrics has no series for reason %s", reason);
    v = strtod(at + strlen(series), NULL);
    it_resp_free(r);
    return v;
}

static void test_add_answer_says_why_entries_were_ignored(void **state)
{
    it_server *s = *state;
    char a[IT_HOST_MAX], banned[IT_HOST_MAX], body[512];
    double unroutable_before = ignored_metric(s, "unroutable");
    double banned_before = ignored_metric(s, "banned");
    it_resp *r;
    json_t *b;
    int tries = 0;

    it_uniq_ipv4(banned);
    json_decref(it_ban(s, banned));
again:
    it_uniq_ipv4(a);
    snprintf(body, sizeof body,
             "{\"peers\": [{\"address\": \"10.0.0.1\"}, "
             "{\"address\": \"192.168.1.1\"}, {\"address\": \"%s\"}, "
             "{\"address\": \"%s\"}]}", banned, a);
    r = it_send(s, "POST", "/v1/peers", body);
    IT_STATUS(r, 200);
    b = IT_BODY(r);
    if (IT_TURNED_AWAY(IT_JINT(b, "ignored") > 3, &tries)) {
        it_resp_free(r);
        goto again;
    }
    assert_int_equal(IT_JINT(b, "added"), 1);
    assert_int_equal(IT_JINT(b, "ignored"), 3);
    assert_int_equal(it_ignored_by(b, "unroutable"), 2);
    assert_int_equal(it_ignored_by(b, "banned"), 1);
    assert_int_equal(json_object_size(json_object_get(b, "ignored_by")), 2);
    it_resp_free(r);
    /* The metric counts them too (at least: a shared server has others). */
    assert_true(ignored_metric(s, "unroutable") >= unroutable_before + 2);
    assert_true(ignored_metric(s, "banned") >= banned_before + 1);
    assert_int_equal(it_unban(s, banned), 204);

    /* Nothing ignored: an empty object. */
    tries = 0;
    do {
        it_uniq_ipv4(a);
        snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}",
                 a);
        r = it_send(s, "POST", "/v1/peers", body);
        IT_STATUS(r, 200);
        b = IT_BODY(r);
        if (!IT_TURNED_AWAY(IT_JINT(b, "ignored") > 0, &tries))
            break;
        it_resp_free(r);
    } while (1);
    assert_int_equal(IT_JINT(b, "added"), 1);
    assert_true(json_is_object(json_object_get(b, "ignored_by")));
    assert_int_equal(json_object_size(json_object_get(b, "ignored_by")), 0);
    it_resp_free(r);
}

static void test_add_port_in_text_and_member_must_agree(void **state)
{
    it_server *s = *state;
    char a[IT_HOST_MAX], b[IT_HOST_MAX], body[512];
    json_t *errors, *p;
    it_counts c;

    int tries = 0;

again:
    it_uniq_ipv4(a);
    it_uniq_ipv4(b);
    snprintf(body, sizeof body,
             "{\"peers\": [{\"address\": \"%s:1000\", \"port\": 2000}, "
             "{\"address\": \"%s:18444\", \"port\": 18444}]}", a, b);
    c = it_add_json(s, body, &errors);
    if (IT_TURNED_AWAY(c.ignored > 0, &tries)) {
        json_decref(errors);
        goto again;
    }
    assert_int_equal(c.added, 1);
    assert_int_equal(c.n_errors, 1);
    expect_entry_error(errors, 0, "bad_request");
    json_decref(errors);
    p = it_peer(s, b, 18444);
    assert_int_equal(IT_JINT(p, "port"), 18444);
    json_decref(p);
}

static void test_add_port_from_address_text(void **state)
{
    it_server *s = *state;
    char v4[IT_HOST_MAX], v6[IT_HOST_MAX], body[512];
    json_t *p;
    it_counts c;

    /* Two ports of one host from one source share a new bucket; one time
     * in 64 their slots collide and the second is turned away: then try
     * other addresses. */
    int tries = 0;
    do {
        it_uniq_ipv4(v4);
        it_uniq_ipv6(v6, NULL);
        snprintf(body, sizeof body,
                 "{\"peers\": [{\"address\": \"%s:18444\"}, "
                 "{\"address\": \"[%s]:38333\"}, {\"address\": \"[%s]\"}]}",
                 v4, v6, v6);
        c = it_add_json(s, body, NULL);
    } while (c.added != 3 && c.ignored > 0 && ++tries < 10);
    assert_int_equal(c.added, 3);
    p = it_peer(s, v4, 18444);
    assert_int_equal(IT_JINT(p, "port"), 18444);
    json_decref(p);
    json_decref(it_peer(s, v6, 38333));
    json_decref(it_peer(s, v6, IT_PORT));
    assert_int_equal(it_peer_status(s, v4, IT_PORT), 404);
}

static void test_add_same_address_twice_in_one_batch(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[512];
    it_counts c;
    json_t *p;

    int tries = 0;

    do {
        it_uniq_ipv4(host);
        snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\", "
                 "\"services\": 1}, {\"address\": \"%s:8333\", "
                 "\"services\": 4}]}", host, host);
        c = it_add_json(s, body, NULL);
    } while (IT_TURNED_AWAY(c.ignored > 0, &tries));
    assert_int_equal(c.added, 1);
    assert_int_equal(c.updated, 1);
    p = it_peer(s, host, IT_PORT);
    assert_int_equal(IT_JINT(p, "services"), 5);
    json_decref(p);
}

static void test_add_empty_list_changes_nothing(void **state)
{
    it_server *s = *state;
    it_counts c = it_add_json(s, "{\"peers\": []}", NULL);

    assert_int_equal(c.added + c.updated + c.ignored, 0);
    assert_int_equal(c.n_errors, 0);
}

/* ---- adding: known peers, time, source ------------------------------- */

static void test_add_known_peer_is_updated_and_services_ored(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[256];
    it_counts c;
    json_t *p;

    it_add_fresh(s, '4', IT_PORT, 1, host);
    snprintf(body, sizeof body,
             "{\"peers\": [{\"address\": \"%s\", \"services\": 8}]}", host);
    c = it_add_json(s, body, NULL);
    assert_int_equal(c.added, 0);
    assert_int_equal(c.updated, 1);
    p = it_peer(s, host, IT_PORT);
    assert_int_equal(IT_JINT(p, "services"), 9);
    json_decref(p);
}

static json_int_t added_time(it_server *s, const char *time_member)
{
    char host[IT_HOST_MAX], body[256];
    it_counts c;
    json_t *p;
    json_int_t t;

    int tries = 0;

    do {
        it_uniq_ipv4(host);
        snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"%s%s}]}",
                 host, time_member ? ", \"time\": " : "",
                 time_member ? time_member : "");
        c = it_add_json(s, body, NULL);
    } while (IT_TURNED_AWAY(c.ignored > 0, &tries));
    assert_int_equal(c.added, 1);
    p = it_peer(s, host, IT_PORT);
    t = IT_JINT(p, "time");
    json_decref(p);
    return t;
}

static void test_add_time_rules(void **state)
{
    it_server *s = *state;
    json_int_t now = it_now();
    char v[32];

    expect_near(added_time(s, NULL), now, 5, "omitted time");
    expect_near(added_time(s, "0"), now, 5, "time 0");
    snprintf(v, sizeof v, "%lld", (long long)(now - 3600));
    assert_int_equal(added_time(s, v), now - 3600);
    snprintf(v, sizeof v, "%lld", (long long)(now + 300));
    assert_int_equal(added_time(s, v), now + 300);
    expect_near(added_time(s, "5"), now - FIVE_DAYS, 5, "time 5");
    expect_near(added_time(s, "100000000"), now - FIVE_DAYS, 5,
                "time 100000000");
    assert_int_equal(added_time(s, "100000001"), 100000001);
    expect_near(added_time(s, "-7"), now - FIVE_DAYS, 5, "negative time");
    snprintf(v, sizeof v, "%lld", (long long)(now + 3600));
    expect_near(added_time(s, v), now - FIVE_DAYS, 5, "time in an hour");
}

static void test_add_source_kept_in_canonical_form(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[512];
    it_counts c;
    json_t *p;

    int tries = 0;

    do {
        it_uniq_ipv4(host);
        snprintf(body, sizeof body, "{\"source\": \"2001:0DB8:0:0::1\", "
                 "\"peers\": [{\"address\": \"%s\"}]}", host);
        c = it_add_json(s, body, NULL);
    } while (IT_TURNED_AWAY(c.ignored > 0, &tries));
    assert_int_equal(c.added, 1);
    p = it_peer(s, host, IT_PORT);
    IT_STREQ(IT_JSTR(p, "source"), "2001:db8::1");
    json_decref(p);
}

static void test_add_source_with_port_drops_port(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], src[IT_HOST_MAX], body[512];
    it_counts c;
    json_t *p;

    int tries = 0;

    do {
        it_uniq_ipv4(host);
        it_uniq_ipv4(src);
        snprintf(body, sizeof body, "{\"source\": \"%s:8333\", "
                 "\"peers\": [{\"address\": \"%s\"}]}", src, host);
        c = it_add_json(s, body, NULL);
    } while (IT_TURNED_AWAY(c.ignored > 0, &tries));
    assert_int_equal(c.added, 1);
    p = it_peer(s, host, IT_PORT);
    IT_STREQ(IT_JSTR(p, "source"), src);
    json_decref(p);
}

static void test_add_invalid_source_rejects_whole_request(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];
    it_resp *r;

    it_uniq_ipv4(host);
    r = it_sendf(s, "POST", "/v1/peers", "{\"source\": \"nonsense\", "
                 "\"peers\": [{\"address\": \"%s\"}]}", host);
    IT_ERROR(r, 400, "invalid_address");
    it_resp_free(r);
    r = it_sendf(s, "POST", "/v1/peers", "{\"source\": "
                 "\"expyuzz4wqqyqhjn.onion\", \"peers\": [{\"address\": "
                 "\"%s\"}]}", host);
    IT_ERROR(r, 400, "invalid_address");
    it_resp_free(r);
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
}

/* ---- fetching and deleting ------------------------------------------- */

static void test_get_peer_by_id_equals_get_by_endpoint(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];
    json_t *a, *b;

    it_add_fresh(s, '6', IT_PORT, 5, host);
    a = it_peer(s, host, IT_PORT);
    b = it_peer_id(s, IT_JINT(a, "id"));
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
}

static void test_get_peer_by_percent_encoded_ipv6_endpoint(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[IT_PATH_MAX];
    it_resp *r;

    it_add_fresh(s, '6', 18333, 0, host);
    it_peer_path(host, 18333, NULL, path, sizeof path);
    assert_non_null(strstr(path, "%5B"));
    assert_non_null(strstr(path, "%5D%3A18333"));
    r = it_get(s, path);
    IT_STATUS(r, 200);
    IT_STREQ(IT_JSTR(IT_BODY(r), "address"), host);
    assert_int_equal(IT_JINT(IT_BODY(r), "port"), 18333);
    it_resp_free(r);
}

static void test_get_peer_endpoint_without_port_means_8333(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[IT_PATH_MAX];
    it_resp *r;

    it_add_fresh(s, '4', IT_PORT, 0, host);
    snprintf(path, sizeof path, "/v1/peers/%s", host);
    r = it_get(s, path);
    IT_STATUS(r, 200);
    assert_int_equal(IT_JINT(IT_BODY(r), "port"), IT_PORT);
    it_resp_free(r);
}

static void test_same_host_other_port_is_other_peer(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[256];
    json_t *a, *b;
    it_counts c;
    int tries = 0;

    /* Two ports of one host (its own source) share a new bucket, and one
     * time in 64 their slots collide: the second is turned away.  Then
     * start again with another host (the first stays behind, harmlessly). */
    do {
        it_add_fresh(s, '4', IT_PORT, 0, host);
        snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\", "
                 "\"port\": 18333, \"services\": 0}]}", host);
        c = it_add_json(s, body, NULL);
    } while (IT_TURNED_AWAY(c.added == 0 && c.ignored == 1, &tries));
    assert_int_equal(c.added, 1);
    a = it_peer(s, host, IT_PORT);
    b = it_peer(s, host, 18333);
    assert_int_not_equal(IT_JINT(a, "id"), IT_JINT(b, "id"));
    json_decref(a);
    json_decref(b);
}

static void test_get_unknown_peer_is_404(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];
    it_resp *r;

    it_uniq_ipv4(host);
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
    r = it_get(s, "/v1/peers/9007199254740000");
    IT_ERROR(r, 404, "not_found");
    it_resp_free(r);
    r = it_get(s, "/v1/peers/0");
    IT_ERROR(r, 404, "not_found");
    it_resp_free(r);
}

static void test_get_peer_neither_id_nor_endpoint_is_400(void **state)
{
    it_server *s = *state;
    it_resp *r;

    r = it_get(s, "/v1/peers/not-a-peer");
    IT_ERROR(r, 400, "invalid_address");
    it_resp_free(r);
    r = it_get(s, "/v1/peers/expyuzz4wqqyqhjn.onion%3A8333");
    IT_ERROR(r, 400, "invalid_address");
    it_resp_free(r);
}

static void test_get_peer_bad_endpoint_message_says_what_is_wrong(void **state)
{
    it_server *s = *state;
    it_resp *r;

    r = it_get(s, "/v1/peers/1.2.3.4%3A70000");
    IT_ERROR(r, 400, "invalid_address");
    if (strstr(r->body, "port 70000 is out of range") == NULL)
        fail_msg("the message does not say what is wrong: %s", r->body);
    it_resp_free(r);
    r = it_get(s, "/v1/peers/expyuzz4wqqyqhjn.onion");
    IT_ERROR(r, 400, "invalid_address");
    if (strstr(r->body, "Tor v2 addresses are not supported") == NULL)
        fail_msg("the message does not say what is wrong: %s", r->body);
    it_resp_free(r);
}

static void test_delete_peer_is_204_then_404(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[64];
    json_t *p;
    it_resp *r;

    it_add_fresh(s, '4', IT_PORT, 0, host);
    p = it_peer(s, host, IT_PORT);
    snprintf(path, sizeof path, "/v1/peers/%lld",
             (long long)IT_JINT(p, "id"));
    json_decref(p);
    r = it_delete(s, path);
    IT_STATUS(r, 204);
    assert_int_equal(r->body_len, 0);
    it_resp_free(r);
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
    r = it_delete(s, path);
    IT_ERROR(r, 404, "not_found");
    it_resp_free(r);
}

static void test_delete_peer_by_endpoint(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[IT_PATH_MAX];
    it_resp *r;

    it_add_fresh(s, 'o', IT_PORT, 0, host);
    it_peer_path(host, IT_PORT, NULL, path, sizeof path);
    r = it_delete(s, path);
    IT_STATUS(r, 204);
    it_resp_free(r);
    r = it_get(s, path);
    IT_ERROR(r, 404, "not_found");
    it_resp_free(r);
    /* The same address may come back, with a new id. */
    it_add_one(s, host, IT_PORT, 0);
}

/* ---- listing --------------------------------------------------------- */

static size_t list_count(it_server *s, uint64_t svc, const char *more)
{
    char q[256];

    snprintf(q, sizeof q, "services=%" PRIu64 "%s", svc, more);
    return it_count_peers(s, q);
}

static void test_list_filters_by_services_network_state_table(void **state)
{
    it_server *s = *state;
    uint64_t svc;
    char v4[2][IT_HOST_MAX], v6[IT_HOST_MAX], onion[IT_HOST_MAX];
    json_t *p;
    int tries = 0, collided;

    /* On a tried collision (as in add_tried), all four again, tagged
     * anew. */
    do {
        svc = it_uniq_services();
        it_add_ipv4s(s, 2, svc, v4);
        it_add_fresh(s, '6', IT_PORT, svc, v6);
        it_add_fresh(s, 'o', IT_PORT, svc | 2, onion);
        p = it_set_state(s, v4[0], IT_PORT, "tried");
        collided = strcmp(IT_JSTR(p, "table"), "tried") != 0;
        json_decref(p);
    } while (IT_TURNED_AWAY(collided, &tries));
    assert_int_equal(list_count(s, svc, ""), 4);
    assert_int_equal(list_count(s, svc | 2, ""), 1);
    assert_int_equal(list_count(s, svc, "&network=torv3"), 1);
    assert_int_equal(list_count(s, svc, "&network=ipv4,ipv6"), 3);
    assert_int_equal(list_count(s, svc, "&network=i2p"), 0);
    assert_int_equal(list_count(s, svc, "&state=tried"), 1);
    assert_int_equal(list_count(s, svc, "&state=never_tried"), 3);
    assert_int_equal(list_count(s, svc, "&state=tried,never_tried"), 4);
    assert_int_equal(list_count(s, svc, "&table=tried"), 1);
    assert_int_equal(list_count(s, svc, "&table=new"), 3);
    assert_int_equal(list_count(s, svc, "&table=new&network=ipv4"), 1);
}

/* One page: its ids appended to ids[*n]; returns `next` (0 for null). */
static json_int_t list_page(it_server *s, const char *query, json_int_t *ids,
                            size_t *n, size_t want)
{
    it_resp *r = it_get(s, query);
    json_t *b, *peers, *p, *next;
    size_t i;
    json_int_t nx;

    IT_STATUS(r, 200);
    b = IT_BODY(r);
    peers = IT_JARR(b, "peers");
    assert_int_equal(json_array_size(peers), want);
    json_array_foreach(peers, i, p) {
        IT_CHECK_PEER(p);
        ids[(*n)++] = IT_JINT(p, "id");
        if (*n > 1 && ids[*n - 1] <= ids[*n - 2])
            fail_msg("%s: ids not increasing", r->what);
    }
    next = json_object_get(b, "next");
    assert_non_null(next);
    nx = json_is_null(next) ? 0 : json_integer_value(next);
    it_resp_free(r);
    return nx;
}

static void test_list_pages_with_after_and_next(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char hosts[5][IT_HOST_MAX], q[256];
    json_int_t ids[8], next;
    size_t n = 0;

    it_add_ipv4s(s, 5, svc, hosts);
    snprintf(q, sizeof q, "/v1/peers?services=%" PRIu64 "&limit=2", svc);
    next = list_page(s, q, ids, &n, 2);
    assert_int_equal(next, ids[1]);
    snprintf(q, sizeof q, "/v1/peers?services=%" PRIu64 "&limit=2&after=%lld",
             svc, (long long)next);
    next = list_page(s, q, ids, &n, 2);
    assert_int_equal(next, ids[3]);
    snprintf(q, sizeof q, "/v1/peers?services=%" PRIu64 "&limit=2&after=%lld",
             svc, (long long)next);
    next = list_page(s, q, ids, &n, 1);
    assert_int_equal(next, 0);
    assert_int_equal(n, 5);
}

static void test_list_after_last_id_is_empty(void **state)
{
    it_server *s = *state;
    char hosts[1][IT_HOST_MAX];
    json_int_t ids[4];
    size_t n = 0;
    json_t *p;
    char q[128];

    it_add_ipv4s(s, 1, 1, hosts);
    p = it_peer(s, hosts[0], IT_PORT);
    snprintf(q, sizeof q, "/v1/peers?after=%lld", (long long)IT_JINT(p, "id"));
    json_decref(p);
    if (!s->shared)
        assert_int_equal(list_page(s, q, ids, &n, 0), 0);
    assert_int_equal(list_page(s, "/v1/peers?after=9007199254740000", ids, &n,
                               0), 0);
}

static void test_list_default_limit_is_100(void **state)
{
    it_server *s = *state;
    uint64_t svc = it_uniq_services();
    char body[16384], q[128], host[IT_HOST_MAX];
    size_t len, i;
    json_int_t ids[128];
    size_t n = 0;
    it_counts c;

    json_int_t added = 0;
    int tries = 0;

    /* In a shared pool many may be turned away (their slots are held):
     * then add more, until more than 100 carry `svc`. */
    do {
        len = (size_t)snprintf(body, sizeof body, "{\"peers\": [");
        for (i = 0; i < 105; i++) {
            it_uniq_ipv4(host);
            len += (size_t)snprintf(body + len, sizeof body - len,
                                    "%s{\"address\": \"%s\", \"services\": %"
                                    PRIu64 "}", i ? "," : "", host, svc);
        }
        snprintf(body + len, sizeof body - len, "]}");
        c = it_add_json(s, body, NULL);
        assert_int_equal(c.added + c.ignored, 105);
        added += c.added;
    } while (s->shared && added <= 100 && ++tries < 10);
    assert_true(added > 100);
    snprintf(q, sizeof q, "/v1/peers?services=%" PRIu64, svc);
    assert_int_not_equal(list_page(s, q, ids, &n, 100), 0);
}

static void test_list_invalid_parameters_are_400(void **state)
{
    static const char *const queries[] = {
        "limit=0", "limit=10001", "limit=abc", "limit=-1", "after=-1",
        "after=x", "state=bogus", "state=banned,bogus", "network=ipv5",
        "network=", "table=old", "services=-1",
        "services=18446744073709551616", NULL
    };
    it_server *s = *state;
    char path[128];
    size_t i;

    for (i = 0; queries[i] != NULL; i++) {
        it_resp *r;

        snprintf(path, sizeof path, "/v1/peers?%s", queries[i]);
        r = it_get(s, path);
        IT_ERROR(r, 400, "bad_request");
        it_resp_free(r);
    }
}

/* ---- state ----------------------------------------------------------- */

static void test_state_connected_moves_peer_to_tried_table(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];
    json_t *p, *g;

    p = add_tried(s, '4', host, 1, "connected");
    IT_STREQ(IT_JSTR(p, "state"), "connected");
    IT_STREQ(IT_JSTR(p, "table"), "tried");
    expect_near(IT_JINT(p, "last_connected"), it_now(), 5, "last_connected");
    expect_near(IT_JINT(p, "last_success"), it_now(), 5, "last_success");
    expect_near(IT_JINT(p, "last_try"), it_now(), 5, "last_try");
    assert_int_equal(IT_JINT(p, "attempts"), 0);
    g = it_peer(s, host, IT_PORT);
    assert_true(json_equal(p, g));
    json_decref(p);
    json_decref(g);
}

static void test_state_tried_moves_peer_to_tried_table(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];
    json_t *p;

    json_decref(add_tried(s, 'o', host, 1, "tried"));
    p = it_peer(s, host, IT_PORT);
    IT_STREQ(IT_JSTR(p, "state"), "tried");
    IT_STREQ(IT_JSTR(p, "table"), "tried");
    expect_near(IT_JINT(p, "last_success"), it_now(), 5, "last_success");
    assert_int_equal(IT_JINT(p, "last_connected"), 0);
    json_decref(p);
}

static void test_state_failed_counts_attempt_and_stays_new(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];
    json_t *p;

    it_add_fresh(s, '4', IT_PORT, 1, host);
    json_decref(it_set_state(s, host, IT_PORT, "failed"));
    p = it_peer(s, host, IT_PORT);
    IT_STREQ(IT_JSTR(p, "state"), "failed");
    IT_STREQ(IT_JSTR(p, "table"), "new");
    assert_int_equal(IT_JINT(p, "attempts"), 1);
    expect_near(IT_JINT(p, "last_try"), it_now(), 5, "last_try");
    assert_int_equal(IT_JINT(p, "last_success"), 0);
    json_decref(p);
}

static void test_state_success_after_failure_resets_attempts(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];
    json_t *p;

    it_add_fresh(s, '4', IT_PORT, 1, host);
    json_decref(it_set_state(s, host, IT_PORT, "failed"));
    p = it_set_state(s, host, IT_PORT, "tried");
    IT_STREQ(IT_JSTR(p, "state"), "tried");
    assert_int_equal(IT_JINT(p, "attempts"), 0);
    json_decref(p);
}

static void test_state_never_tried_returns_peer_to_new_table(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];
    json_t *p;

    it_add_fresh(s, '4', IT_PORT, 1, host);
    json_decref(it_set_state(s, host, IT_PORT, "tried"));
    p = it_set_state(s, host, IT_PORT, "never_tried");
    IT_STREQ(IT_JSTR(p, "state"), "never_tried");
    IT_STREQ(IT_JSTR(p, "table"), "new");
    assert_int_equal(IT_JINT(p, "last_success"), 0);
    assert_int_equal(IT_JINT(p, "last_try"), 0);
    assert_int_equal(IT_JINT(p, "attempts"), 0);
    json_decref(p);
    p = it_peer(s, host, IT_PORT);
    IT_STREQ(IT_JSTR(p, "table"), "new");
    json_decref(p);
}

static void test_state_disconnected_keeps_peer_tried(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX];
    json_t *p;

    json_decref(add_tried(s, '6', host, 1, "connected"));
    p = it_set_state(s, host, IT_PORT, "disconnected");
    IT_STREQ(IT_JSTR(p, "state"), "tried");
    IT_STREQ(IT_JSTR(p, "table"), "tried");
    expect_near(IT_JINT(p, "last_connected"), it_now(), 5, "last_connected");
    json_decref(p);
}

static void test_state_by_id_path(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[64];
    json_t *p;
    it_resp *r;

    it_add_fresh(s, '4', IT_PORT, 1, host);
    p = it_peer(s, host, IT_PORT);
    snprintf(path, sizeof path, "/v1/peers/%lld/state",
             (long long)IT_JINT(p, "id"));
    json_decref(p);
    r = it_send(s, "PUT", path, "{\"state\": \"connected\", \"node\": \"n-1\"}");
    IT_STATUS(r, 200);
    IT_STREQ(IT_JSTR(IT_BODY(r), "state"), "connected");
    it_resp_free(r);
}

static void expect_put_error(it_server *s, const char *path, const char *body,
                             long status, const char *code)
{
    it_resp *r = it_send(s, "PUT", path, body);

    IT_ERROR(r, status, code);
    it_resp_free(r);
}

static void test_state_invalid_requests_are_rejected(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], unknown[IT_HOST_MAX];
    char path[IT_PATH_MAX], other[IT_PATH_MAX];
    json_t *p;

    it_add_fresh(s, '4', IT_PORT, 1, host);
    it_peer_path(host, IT_PORT, "/state", path, sizeof path);
    expect_put_error(s, path, "{\"state\": \"bogus\"}", 400, "bad_request");
    expect_put_error(s, path, "{\"state\": \"banned\"}", 400, "bad_request");
    expect_put_error(s, path, "{\"state\": 2}", 400, "bad_request");
    expect_put_error(s, path, "{}", 400, "bad_request");
    expect_put_error(s, path, "{\"state\": \"tried\", \"node\": \"bad name\"}",
                     400, "bad_request");
    expect_put_error(s, path, "{\"state\": \"tried\", \"node\": 7}", 400,
                     "bad_request");
    expect_put_error(s, path, "{\"state\": ", 400, "bad_json");
    it_uniq_ipv4(unknown);
    it_peer_path(unknown, IT_PORT, "/state", other, sizeof other);
    expect_put_error(s, other, "{\"state\": \"tried\"}", 404, "not_found");
    expect_put_error(s, "/v1/peers/9007199254740000/state",
                     "{\"state\": \"tried\"}", 404, "not_found");
    assert_int_equal(it_peer_status(s, unknown, IT_PORT), 404);
    p = it_peer(s, host, IT_PORT);
    IT_STREQ(IT_JSTR(p, "state"), "never_tried");
    IT_STREQ(IT_JSTR(p, "table"), "new");
    json_decref(p);
}

static void test_state_rejected_request_leaves_peer_unchanged(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[IT_PATH_MAX];
    json_t *before, *after;

    it_add_fresh(s, '4', IT_PORT, 1, host);
    before = it_peer(s, host, IT_PORT);
    it_peer_path(host, IT_PORT, "/state", path, sizeof path);
    expect_put_error(s, path, "{\"state\": \"tried\", \"node\": \"\"}", 400,
                     "bad_request");
    after = it_peer(s, host, IT_PORT);
    assert_true(json_equal(before, after));
    json_decref(before);
    json_decref(after);
}

/* ---- services -------------------------------------------------------- */

static void test_services_update_replaces_flags(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[IT_PATH_MAX];
    it_resp *r;
    json_t *p;

    it_add_fresh(s, '4', IT_PORT, 1033, host);
    it_peer_path(host, IT_PORT, "/services", path, sizeof path);
    r = it_send(s, "PUT", path, "{\"services\": 8}");
    IT_STATUS(r, 200);
    IT_CHECK_PEER(IT_BODY(r));
    assert_int_equal(IT_JINT(IT_BODY(r), "services"), 8);
    it_resp_free(r);
    p = it_peer(s, host, IT_PORT);
    assert_int_equal(IT_JINT(p, "services"), 8);
    IT_STREQ(IT_JSTR(p, "state"), "never_tried");
    json_decref(p);
}

static void expect_services_text(it_server *s, const char *path,
                                 const char *value)
{
    char needle[64];
    it_resp *r = it_sendf(s, "PUT", path, "{\"services\": %s}", value);

    IT_STATUS(r, 200);
    snprintf(needle, sizeof needle, "\"services\":%s", value);
    if (strstr(r->body, needle) == NULL) {
        snprintf(needle, sizeof needle, "\"services\": %s", value);
        if (strstr(r->body, needle) == NULL)
            fail_msg("%s: services %s not echoed exactly: %s", r->what,
                     value, r->body);
    }
    it_resp_free(r);
}

static void test_services_full_u64_range_round_trips(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[IT_PATH_MAX];
    it_resp *r;

    it_add_fresh(s, '4', IT_PORT, 1, host);
    it_peer_path(host, IT_PORT, "/services", path, sizeof path);
    expect_services_text(s, path, "18446744073709551615");
    expect_services_text(s, path, "9223372036854775808");
    it_peer_path(host, IT_PORT, NULL, path, sizeof path);
    r = it_get(s, path);
    IT_STATUS(r, 200);
    assert_non_null(strstr(r->body, "9223372036854775808"));
    it_resp_free(r);
    it_peer_path(host, IT_PORT, "/services", path, sizeof path);
    expect_services_text(s, path, "0");
}

static void test_services_invalid_requests_are_rejected(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[IT_PATH_MAX];
    json_t *p;

    it_add_fresh(s, '4', IT_PORT, 77, host);
    it_peer_path(host, IT_PORT, "/services", path, sizeof path);
    expect_put_error(s, path, "{\"services\": -1}", 400, "bad_request");
    expect_put_error(s, path, "{\"services\": \"5\"}", 400, "bad_request");
    expect_put_error(s, path, "{\"services\": 1.5}", 400, "bad_request");
    expect_put_error(s, path, "{\"services\": 18446744073709551616}", 400,
                     "bad_request");
    expect_put_error(s, path, "{}", 400, "bad_request");
    expect_put_error(s, "/v1/peers/9007199254740000/services",
                     "{\"services\": 1}", 404, "not_found");
    p = it_peer(s, host, IT_PORT);
    assert_int_equal(IT_JINT(p, "services"), 77);
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, it_fx_setup, it_fx_teardown)
        T(test_add_ipv4_peer_has_every_field),
        T(test_add_without_source_peer_is_its_own_source),
        T(test_add_ipv6_noncanonical_echoed_canonical),
        T(test_add_ipv6_seed_echoed_canonical),
        T(test_add_ipv4_mapped_ipv6_text_is_ipv4),
        T(test_add_torv3_seed_echoed_lower_case),
        T(test_add_torv3_generated_name),
        T(test_add_i2p_seed_echoed_canonical),
        T(test_add_cjdns_seed_is_network_cjdns),
        T(test_add_cjdns_generated_is_network_cjdns),
        T(test_add_torv2_rejected_as_invalid_address),
        T(test_add_torv3_bad_checksum_rejected),
        T(test_add_garbage_addresses_rejected),
        T(test_add_unroutable_addresses_ignored),
        T(test_add_batch_reports_errors_by_index),
        T(test_add_lists_the_first_1000_errors),
        T(test_add_port_0_refused_except_for_i2p),
        T(test_add_answer_says_why_entries_were_ignored),
        T(test_get_peer_bad_endpoint_message_says_what_is_wrong),
        T(test_add_invalid_address_message_says_what_is_wrong),
        T(test_add_port_in_text_and_member_must_agree),
        T(test_add_port_from_address_text),
        T(test_add_same_address_twice_in_one_batch),
        T(test_add_empty_list_changes_nothing),
        T(test_add_known_peer_is_updated_and_services_ored),
        T(test_add_time_rules),
        T(test_add_source_kept_in_canonical_form),
        T(test_add_source_with_port_drops_port),
        T(test_add_invalid_source_rejects_whole_request),
        T(test_get_peer_by_id_equals_get_by_endpoint),
        T(test_get_peer_by_percent_encoded_ipv6_endpoint),
        T(test_get_peer_endpoint_without_port_means_8333),
        T(test_same_host_other_port_is_other_peer),
        T(test_get_unknown_peer_is_404),
        T(test_get_peer_neither_id_nor_endpoint_is_400),
        T(test_delete_peer_is_204_then_404),
        T(test_delete_peer_by_endpoint),
        T(test_list_filters_by_services_network_state_table),
        T(test_list_pages_with_after_and_next),
        T(test_list_after_last_id_is_empty),
        T(test_list_default_limit_is_100),
        T(test_list_invalid_parameters_are_400),
        T(test_state_connected_moves_peer_to_tried_table),
        T(test_state_tried_moves_peer_to_tried_table),
        T(test_state_failed_counts_attempt_and_stays_new),
        T(test_state_success_after_failure_resets_attempts),
        T(test_state_never_tried_returns_peer_to_new_table),
        T(test_state_disconnected_keeps_peer_tried),
        T(test_state_by_id_path),
        T(test_state_invalid_requests_are_rejected),
        T(test_state_rejected_request_leaves_peer_unchanged),
        T(test_services_update_replaces_flags),
        T(test_services_full_u64_range_round_trips),
        T(test_services_invalid_requests_are_rejected),
#undef T
    };

    return IT_RUN(tests);
}
