/*
 * test_api_addrv2.c - POST /v1/peers/addrv2 with hand-built BIP155 addrv2
 * payloads: every network, skipped and unusable entries, broken framing,
 * the source parameter and the content type.
 */
#include "it_api.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- payload builder ------------------------------------------------- */

typedef struct payload {
    uint8_t b[8192];
    size_t n;
} payload;

static void put(payload *p, const void *data, size_t len)
{
    assert_true(p->n + len <= sizeof p->b);
    memcpy(p->b + p->n, data, len);
    p->n += len;
}

static void put_u8(payload *p, uint8_t v)
{
    put(p, &v, 1);
}

/* Bitcoin's CompactSize, canonical. */
static void put_cs(payload *p, uint64_t v)
{
    uint8_t b[9];
    size_t len, i;

    if (v < 0xfd) {
        put_u8(p, (uint8_t)v);
        return;
    }
    b[0] = v <= 0xffff ? 0xfd : v <= 0xffffffffu ? 0xfe : 0xff;
    len = b[0] == 0xfd ? 2 : b[0] == 0xfe ? 4 : 8;
    for (i = 0; i < len; i++)
        b[1 + i] = (uint8_t)(v >> (8 * i));
    put(p, b, 1 + len);
}

static void put_entry(payload *p, uint32_t time, uint64_t services,
                      uint8_t net, const uint8_t *addr, size_t len,
                      uint16_t port)
{
    uint8_t t[4] = { (uint8_t)time, (uint8_t)(time >> 8),
                     (uint8_t)(time >> 16), (uint8_t)(time >> 24) };
    uint8_t pt[2] = { (uint8_t)(port >> 8), (uint8_t)port };

    put(p, t, 4);
    put_cs(p, services);
    put_u8(p, net);
    put_cs(p, len);
    put(p, addr, len);
    put(p, pt, 2);
}

static void put_ipv4(payload *p, const char *host, uint32_t time,
                     uint64_t services, uint16_t port)
{
    uint8_t a[4];

    assert_int_equal(inet_pton(AF_INET, host, a), 1);
    put_entry(p, time, services, 1, a, 4, port);
}

static void put_ipv6(payload *p, const char *host, uint32_t time,
                     uint64_t services, uint16_t port)
{
    uint8_t a[16];

    assert_int_equal(inet_pton(AF_INET6, host, a), 1);
    put_entry(p, time, services, 2, a, 16, port);
}

static it_resp *post_payload(it_server *s, const char *query,
                             const payload *p)
{
    char path[256];
    it_req rq = { .method = "POST", .path = path, .body = p->b,
                  .body_len = p->n,
                  .content_type = "application/octet-stream" };

    snprintf(path, sizeof path, "/v1/peers/addrv2%s", query ? query : "");
    return it_do(s, NULL, &rq);
}

/* The answer's ignored_by count for `reason`, from the last post_ok. */
static json_int_t last_by[8];
static const char *const by_names[8] = {
    "unroutable", "banned", "table_full", "group_cap", "tor_v2",
    "unknown_network", "banned_entry", "duplicate"};

static json_int_t ignored_for(const char *reason)
{
    for (size_t i = 0; i < 8; i++)
        if (strcmp(by_names[i], reason) == 0)
            return last_by[i];
    fail_msg("unknown reason %s", reason);
    return -1;
}

static it_counts post_ok(it_server *s, const char *query, const payload *p,
                         json_t **errors)
{
    it_resp *r = post_payload(s, query, p);
    it_counts c;
    json_t *b, *e;

    IT_STATUS(r, 200);
    b = IT_BODY(r);
    c.added = IT_JINT(b, "added");
    c.updated = IT_JINT(b, "updated");
    c.ignored = IT_JINT(b, "ignored");
    for (size_t i = 0; i < 8; i++)
        last_by[i] = it_ignored_by(b, by_names[i]);
    e = IT_JARR(b, "errors");
    c.n_errors = json_array_size(e);
    if (errors != NULL)
        *errors = json_incref(e);
    it_resp_free(r);
    return c;
}

static void expect_framing_error(it_server *s, const payload *p)
{
    it_resp *r = post_payload(s, NULL, p);

    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
}

static void check_peer(it_server *s, const char *host, int port,
                       const char *net, uint64_t services, json_int_t time)
{
    json_t *peer = it_peer(s, host, port);

    IT_STREQ(IT_JSTR(peer, "address"), host);
    IT_STREQ(IT_JSTR(peer, "network"), net);
    assert_int_equal(IT_JINT(peer, "port"), port);
    assert_int_equal((uint64_t)IT_JINT(peer, "services"), services);
    assert_int_equal(IT_JINT(peer, "time"), time);
    json_decref(peer);
}

/* ---- tests ----------------------------------------------------------- */

static void test_addrv2_adds_every_network(void **state)
{
    it_server *s = *state;
    char v4[IT_HOST_MAX], v6[IT_HOST_MAX], onion[IT_HOST_MAX];
    char i2p[IT_HOST_MAX], cj[IT_HOST_MAX];
    uint8_t key[32], hash[32], cjb[16];
    uint32_t t = (uint32_t)(it_now() - 3600);
    payload p = { .n = 0 };
    it_counts c;
    int tries = 0;

again:
    p.n = 0;
    it_uniq_ipv4(v4);
    it_uniq_ipv6(v6, NULL);
    it_uniq_onion(onion, key);
    it_uniq_i2p(i2p, hash);
    it_uniq_cjdns(cj, cjb);
    put_cs(&p, 5);
    put_ipv4(&p, v4, t, 1, 8333);
    put_ipv6(&p, v6, t, 1033, 18333);
    put_entry(&p, t, 0x409, 4, key, 32, 8333);
    put_entry(&p, t, 0xfd, 5, hash, 32, 0);
    put_entry(&p, t, 0x10000, 6, cjb, 16, 8333);
    c = post_ok(s, NULL, &p, NULL);
    if (IT_TURNED_AWAY(c.ignored > 0, &tries))
        goto again;
    assert_int_equal(c.added, 5);
    assert_int_equal(c.ignored + c.updated, 0);
    assert_int_equal(c.n_errors, 0);
    check_peer(s, v4, 8333, "ipv4", 1, t);
    check_peer(s, v6, 18333, "ipv6", 1033, t);
    check_peer(s, onion, 8333, "torv3", 0x409, t);
    check_peer(s, i2p, 0, "i2p", 0xfd, t);
    check_peer(s, cj, 8333, "cjdns", 0x10000, t);
}

static void test_addrv2_services_full_u64_kept(void **state)
{
    it_server *s = *state;
    char v4[IT_HOST_MAX], path[IT_PATH_MAX];
    payload p = { .n = 0 };
    it_counts c;
    it_resp *r;
    int tries = 0;

    do {
        p.n = 0;
        it_uniq_ipv4(v4);
        put_cs(&p, 1);
        put_ipv4(&p, v4, 0, UINT64_MAX, 8333);
        c = post_ok(s, NULL, &p, NULL);
    } while (IT_TURNED_AWAY(c.ignored > 0, &tries));
    assert_int_equal(c.added, 1);
    it_peer_path(v4, 8333, NULL, path, sizeof path);
    r = it_get(s, path);
    IT_STATUS(r, 200);
    if (strstr(r->body, "18446744073709551615") == NULL)
        fail_msg("services 2^64-1 not kept exactly: %s", r->body);
    it_resp_free(r);
    /* Leave no such peer behind: the tests' JSON reader (jansson) cannot
     * read integers above INT64_MAX in later listings of a shared server. */
    r = it_delete(s, path);
    IT_STATUS(r, 204);
    it_resp_free(r);
}

static void test_addrv2_skips_unknown_network_and_torv2(void **state)
{
    it_server *s = *state;
    char v4[IT_HOST_MAX];
    uint8_t unk[4] = { 1, 2, 3, 4 }, v2[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    uint8_t big[100] = { 0 };
    payload p = { .n = 0 };
    it_counts c;
    int tries = 0;

    do {
        p.n = 0;
        it_uniq_ipv4(v4);
        put_cs(&p, 4);
        put_entry(&p, 0, 0, 7, unk, 4, 8333);
        put_entry(&p, 0, 0, 3, v2, 10, 8333);
        put_ipv4(&p, v4, 0, 0, 8333);
        put_entry(&p, 0, 0, 0x42, big, sizeof big, 8333);
        c = post_ok(s, NULL, &p, NULL);
    } while (IT_TURNED_AWAY(c.ignored > 3, &tries));
    assert_int_equal(c.added, 1);
    assert_int_equal(c.ignored, 3);
    assert_int_equal(ignored_for("unknown_network"), 2);
    assert_int_equal(ignored_for("tor_v2"), 1);
    assert_int_equal(c.n_errors, 0);
    json_decref(it_peer(s, v4, 8333));
}

static void test_addrv2_reports_unusable_entries_by_index(void **state)
{
    it_server *s = *state;
    char a[IT_HOST_MAX], b[IT_HOST_MAX], mapped[IT_HOST_MAX + 8];
    uint8_t badcj[16] = { 0xfb, 1 };
    payload p = { .n = 0 };
    json_t *errors, *e;
    it_counts c;
    size_t i;
    int tries = 0;

again:
    p.n = 0;
    it_uniq_ipv4(a);
    it_uniq_ipv4(b);
    snprintf(mapped, sizeof mapped, "::ffff:%s", b);
    put_cs(&p, 4);
    put_ipv4(&p, a, 0, 1, 8333);
    put_ipv6(&p, mapped, 0, 1, 8333);
    put_entry(&p, 0, 0, 6, badcj, 16, 8333);
    put_ipv4(&p, b, 0, 1, 8334);
    c = post_ok(s, NULL, &p, &errors);
    if (IT_TURNED_AWAY(c.ignored > 0, &tries)) {
        json_decref(errors);
        goto again;
    }
    assert_int_equal(c.added, 2);
    assert_int_equal(c.n_errors, 2);
    json_array_foreach(errors, i, e) {
        assert_int_equal(IT_JINT(e, "index"), (json_int_t)i + 1);
        IT_STREQ(IT_JSTR(e, "code"), "invalid_address");
    }
    json_decref(errors);
    json_decref(it_peer(s, a, 8333));
    json_decref(it_peer(s, b, 8334));
    assert_int_equal(it_peer_status(s, b, 8333), 404);
}

static void test_addrv2_port_0_is_an_error_except_for_i2p(void **state)
{
    it_server *s = *state;
    char v4[IT_HOST_MAX], v6[IT_HOST_MAX], onion[IT_HOST_MAX];
    char i2p[IT_HOST_MAX], cj[IT_HOST_MAX];
    uint8_t key[32], hash[32], cjb[16];
    payload p = { .n = 0 };
    json_t *errors, *e;
    it_counts c;
    size_t i;
    int tries = 0;

again:
    p.n = 0;
    it_uniq_ipv4(v4);
    it_uniq_ipv6(v6, NULL);
    it_uniq_onion(onion, key);
    it_uniq_i2p(i2p, hash);
    it_uniq_cjdns(cj, cjb);
    put_cs(&p, 5);
    put_ipv4(&p, v4, 0, 1, 0);
    put_ipv6(&p, v6, 0, 1, 0);
    put_entry(&p, 0, 1, 4, key, 32, 0);
    put_entry(&p, 0, 1, 6, cjb, 16, 0);
    put_entry(&p, 0, 1, 5, hash, 32, 0);
    c = post_ok(s, NULL, &p, &errors);
    if (IT_TURNED_AWAY(c.ignored > 0, &tries)) {
        json_decref(errors);
        goto again;
    }
    assert_int_equal(c.added, 1);
    assert_int_equal(c.n_errors, 4);
    json_array_foreach(errors, i, e) {
        assert_int_equal(IT_JINT(e, "index"), (json_int_t)i);
        IT_STREQ(IT_JSTR(e, "code"), "invalid_address");
        if (strstr(IT_JSTR(e, "message"), "port 0") == NULL)
            fail_msg("message '%s' does not say port 0", IT_JSTR(e, "message"));
    }
    json_decref(errors);
    assert_int_equal(it_peer_status(s, v4, 0), 404);
    assert_int_equal(it_peer_status(s, onion, 0), 404);
    json_decref(it_peer(s, i2p, 0));
}

static void test_addrv2_unroutable_entries_ignored(void **state)
{
    it_server *s = *state;
    payload p = { .n = 0 };
    it_counts c;

    put_cs(&p, 2);
    put_ipv4(&p, "10.1.1.1", 0, 1, 8333);
    put_ipv6(&p, "2001:db8::9", 0, 1, 8333);
    c = post_ok(s, NULL, &p, NULL);
    assert_int_equal(c.added, 0);
    assert_int_equal(c.ignored, 2);
    assert_int_equal(ignored_for("unroutable"), 2);
    assert_int_equal(c.n_errors, 0);
}

static void test_addrv2_empty_message_adds_nothing(void **state)
{
    it_server *s = *state;
    payload p = { .n = 0 };
    it_counts c;

    put_cs(&p, 0);
    c = post_ok(s, NULL, &p, NULL);
    assert_int_equal(c.added + c.updated + c.ignored, 0);
    assert_int_equal(c.n_errors, 0);
}

static void test_addrv2_malformed_payload_is_400_and_adds_nothing(void **state)
{
    it_server *s = *state;
    char v4[IT_HOST_MAX];
    uint8_t five[5] = { 1, 2, 3, 4, 5 };
    payload p;

    it_uniq_ipv4(v4);
    p.n = 0;                            /* truncated: count 2, one entry */
    put_cs(&p, 2);
    put_ipv4(&p, v4, 0, 1, 8333);
    expect_framing_error(s, &p);
    p.n -= 1;                           /* truncated inside the entry */
    p.b[0] = 1;
    expect_framing_error(s, &p);
    p.n = 0;                            /* a byte left over */
    put_cs(&p, 1);
    put_ipv4(&p, v4, 0, 1, 8333);
    put_u8(&p, 0);
    expect_framing_error(s, &p);
    p.n = 0;                            /* IPv4 with 5 bytes */
    put_cs(&p, 1);
    put_entry(&p, 0, 0, 1, five, 5, 8333);
    expect_framing_error(s, &p);
    p.n = 0;                            /* non-canonical CompactSize count */
    put_u8(&p, 0xfd);
    put_u8(&p, 1);
    put_u8(&p, 0);
    put_ipv4(&p, v4, 0, 1, 8333);
    expect_framing_error(s, &p);
    assert_int_equal(it_peer_status(s, v4, 8333), 404);
}

static void test_addrv2_more_than_1000_entries_is_400(void **state)
{
    it_server *s = *state;
    payload *p = calloc(1, sizeof *p);
    it_resp *r;
    char path[80];
    size_t i;
    it_req rq = { .method = "POST", .path = path,
                  .content_type = "application/octet-stream" };
    uint8_t *buf = malloc(1001 * 13 + 3);

    assert_non_null(p);
    assert_non_null(buf);
    snprintf(path, sizeof path, "/v1/peers/addrv2");
    put_cs(p, 1001);
    memcpy(buf, p->b, p->n);
    rq.body_len = p->n;
    for (i = 0; i < 1001; i++) {    /* time 0, services 0, ipv4 12.x.x.x */
        uint8_t e[13] = { 0, 0, 0, 0, 0, 1, 4, 12, (uint8_t)(i >> 8),
                          (uint8_t)i, 7, 0x20, 0x8d };

        memcpy(buf + rq.body_len, e, sizeof e);
        rq.body_len += sizeof e;
    }
    rq.body = buf;
    r = it_do(s, NULL, &rq);
    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
    free(buf);
    free(p);
}

static void test_addrv2_source_query_parameter(void **state)
{
    it_server *s = *state;
    char v4[IT_HOST_MAX], src[IT_HOST_MAX], q[128];
    payload p = { .n = 0 };
    json_t *peer;
    it_counts c;
    int tries = 0;

    do {
        p.n = 0;
        it_uniq_ipv4(v4);
        it_uniq_ipv6(src, NULL);
        put_cs(&p, 1);
        put_ipv4(&p, v4, 0, 1, 8333);
        snprintf(q, sizeof q, "?source=%s", src);
        c = post_ok(s, q, &p, NULL);
    } while (IT_TURNED_AWAY(c.ignored > 0, &tries));
    assert_int_equal(c.added, 1);
    peer = it_peer(s, v4, 8333);
    IT_STREQ(IT_JSTR(peer, "source"), src);
    json_decref(peer);
}

static void test_addrv2_bad_source_or_query_is_400(void **state)
{
    it_server *s = *state;
    char v4[IT_HOST_MAX];
    payload p = { .n = 0 };
    it_resp *r;

    it_uniq_ipv4(v4);
    put_cs(&p, 1);
    put_ipv4(&p, v4, 0, 1, 8333);
    r = post_payload(s, "?source=nonsense", &p);
    IT_ERROR(r, 400, "invalid_address");
    it_resp_free(r);
    r = post_payload(s, "?from=1.2.3.4", &p);
    IT_ERROR(r, 400, "bad_request");
    it_resp_free(r);
    assert_int_equal(it_peer_status(s, v4, 8333), 404);
}

static void test_addrv2_requires_octet_stream(void **state)
{
    it_server *s = *state;
    payload p = { .n = 0 };
    it_req rq = { .method = "POST", .path = "/v1/peers/addrv2",
                  .content_type = "application/json" };
    it_resp *r;

    put_cs(&p, 0);
    rq.body = p.b;
    rq.body_len = p.n;
    r = it_do(s, NULL, &rq);
    IT_ERROR(r, 415, "unsupported_media_type");
    it_resp_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, it_fx_setup, it_fx_teardown)
        T(test_addrv2_adds_every_network),
        T(test_addrv2_services_full_u64_kept),
        T(test_addrv2_skips_unknown_network_and_torv2),
        T(test_addrv2_reports_unusable_entries_by_index),
        T(test_addrv2_port_0_is_an_error_except_for_i2p),
        T(test_addrv2_unroutable_entries_ignored),
        T(test_addrv2_empty_message_adds_nothing),
        T(test_addrv2_malformed_payload_is_400_and_adds_nothing),
        T(test_addrv2_more_than_1000_entries_is_400),
        T(test_addrv2_source_query_parameter),
        T(test_addrv2_bad_source_or_query_is_400),
        T(test_addrv2_requires_octet_stream),
#undef T
    };

    return IT_RUN(tests);
}
