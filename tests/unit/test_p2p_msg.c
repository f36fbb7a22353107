/*
 * test_p2p_msg.c - the message payload codecs (p2p/p2p_msg.c), against the
 * payloads of messages python-bitcoinlib serialized.
 */
#include "p2p_test.h"

#include "am_error.h"
#include "netaddr.h"
#include "p2p_frame.h"
#include "p2p_msg.h"

/* The payload of a vector message (the frame's header dropped). */
static size_t payload_of(const char *chain, const char *what, uint8_t *out,
                         size_t cap)
{
    uint8_t msg[P2P_VECTOR_MAX];
    size_t n = p2p_t_vector(chain, what, msg, sizeof msg);

    assert_true(n - P2P_HEADER_SIZE <= cap);
    memcpy(out, msg + P2P_HEADER_SIZE, n - P2P_HEADER_SIZE);
    return n - P2P_HEADER_SIZE;
}

static am_addr addr_of(const char *text, uint16_t port)
{
    am_addr a;
    assert_int_equal(am_addr_parse_host(&a, text), AM_OK);
    a.port = port;
    return a;
}

/* The fields make_vectors.py gives its version messages. */
static p2p_version vector_version(int relay)
{
    p2p_version v;
    am_addr recv = addr_of("203.0.113.7", 8333), from = addr_of("2001:db8::1", 18444);

    memset(&v, 0, sizeof v);
    v.version = 70016;
    v.services = 0x409;
    v.timestamp = 1700000000;
    assert_int_equal(p2p_netaddr_from_addr(&v.addr_recv, &recv, 0), AM_OK);
    assert_int_equal(p2p_netaddr_from_addr(&v.addr_from, &from, 0x409), AM_OK);
    v.nonce = UINT64_C(0x0123456789ABCDEF);
    strcpy(v.user_agent, "/Satoshi:27.0.0/");
    v.user_agent_len = strlen(v.user_agent);
    v.start_height = 850000;
    v.has_relay = 1;
    v.relay = relay;
    return v;
}

static void assert_version_equal(const p2p_version *a, const p2p_version *b)
{
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->services, b->services);
    assert_int_equal(a->timestamp, b->timestamp);
    assert_memory_equal(&a->addr_recv.ip, &b->addr_recv.ip, 16);
    assert_int_equal(a->addr_recv.port, b->addr_recv.port);
    assert_int_equal(a->addr_recv.services, b->addr_recv.services);
    assert_memory_equal(&a->addr_from.ip, &b->addr_from.ip, 16);
    assert_int_equal(a->addr_from.port, b->addr_from.port);
    assert_int_equal(a->addr_from.services, b->addr_from.services);
    assert_int_equal(a->nonce, b->nonce);
    assert_int_equal(a->user_agent_len, b->user_agent_len);
    assert_memory_equal(a->user_agent, b->user_agent, a->user_agent_len + 1);
    assert_int_equal(a->start_height, b->start_height);
    assert_int_equal(a->has_relay, b->has_relay);
    assert_int_equal(a->relay, b->relay);
}

/* ---- message types -------------------------------------------------------- */

static void test_command_names_map_to_types_and_back(void **state)
{
    (void)state;
    for (int t = P2P_MSG_VERSION; t <= P2P_MSG_ADDRV2; t++) {
        const char *cmd = p2p_msg_command((p2p_msg_type)t);
        assert_non_null(cmd);
        assert_true(p2p_command_valid(cmd));
        assert_int_equal(p2p_msg_type_of(cmd), t);
    }
    assert_int_equal(p2p_msg_type_of("inv"), P2P_MSG_OTHER);
    assert_int_equal(p2p_msg_type_of("Version"), P2P_MSG_OTHER);
    assert_int_equal(p2p_msg_type_of(NULL), P2P_MSG_OTHER);
    assert_null(p2p_msg_command(P2P_MSG_OTHER));
}

/* ---- version ---------------------------------------------------------------- */

static void test_version_vectors_parse_to_their_fields(void **state)
{
    static const char *const chains[] = {"main", "regtest"};
    uint8_t buf[P2P_VECTOR_MAX];
    (void)state;

    for (size_t c = 0; c < 2; c++) {
        for (int relay = 0; relay <= 1; relay++) {
            size_t n = payload_of(chains[c], relay ? "version" : "version_norelay",
                                  buf, sizeof buf);
            p2p_version got, want = vector_version(relay);

            assert_int_equal(p2p_version_parse(buf, n, &got), AM_OK);
            assert_version_equal(&got, &want);
        }
    }
}

static void test_version_build_reproduces_the_vectors(void **state)
{
    uint8_t buf[P2P_VECTOR_MAX], out[P2P_VERSION_MAX_SIZE];
    (void)state;

    for (int relay = 0; relay <= 1; relay++) {
        size_t n = payload_of("main", relay ? "version" : "version_norelay", buf,
                              sizeof buf), len = 0;
        p2p_version v = vector_version(relay);

        assert_int_equal(p2p_version_build(&v, out, sizeof out, &len), AM_OK);
        assert_int_equal(len, n);
        assert_memory_equal(out, buf, n);
    }
}

static void test_version_without_relay_byte_parses_and_rebuilds(void **state)
{
    uint8_t buf[P2P_VECTOR_MAX], out[P2P_VERSION_MAX_SIZE];
    size_t n = payload_of("main", "version", buf, sizeof buf) - 1, len = 0;
    p2p_version v;
    (void)state;

    assert_int_equal(p2p_version_parse(buf, n, &v), AM_OK);
    assert_int_equal(v.has_relay, 0);
    assert_int_equal(p2p_version_build(&v, out, sizeof out, &len), AM_OK);
    assert_int_equal(len, n);
    assert_memory_equal(out, buf, n);
}

static void test_version_truncated_at_every_length_changes_nothing(void **state)
{
    uint8_t buf[P2P_VECTOR_MAX];
    size_t n = payload_of("main", "version", buf, sizeof buf);
    p2p_version v, before;
    (void)state;

    memset(&v, 0x5a, sizeof v);
    before = v;
    /* n - 1 is a message without its relay byte. */
    for (size_t len = 0; len < n - 1; len++) {
        assert_int_equal(p2p_version_parse(buf, len, &v), AM_ERR_TRUNCATED);
        assert_memory_equal(&v, &before, sizeof v);
    }
}

static void test_version_trailing_bytes_and_bad_relay_are_refused(void **state)
{
    uint8_t buf[P2P_VECTOR_MAX];
    size_t n = payload_of("main", "version", buf, sizeof buf);
    p2p_version v;
    (void)state;

    buf[n] = 0;
    assert_int_equal(p2p_version_parse(buf, n + 1, &v), AM_ERR_MALFORMED);
    buf[n - 1] = 2;
    assert_int_equal(p2p_version_parse(buf, n, &v), AM_ERR_MALFORMED);
    v = vector_version(1);
    v.relay = 2;
    assert_int_equal(p2p_version_build(&v, buf, sizeof buf, &n), AM_ERR_INVAL);
}

/* A version payload with a user agent of `ua_len` bytes, its length written
 * as the CompactSize bytes cs[0..cs_len). */
static size_t version_with_agent(uint8_t *out, const uint8_t *cs, size_t cs_len,
                                 size_t ua_len)
{
    uint8_t buf[P2P_VECTOR_MAX];
    size_t n = payload_of("main", "version", buf, sizeof buf);
    /* Fixed fields before the user agent: 4+8+8+26+26+8. */
    const size_t head = 80, ua_old = 17, tail = n - head - ua_old;

    memcpy(out, buf, head);
    memcpy(out + head, cs, cs_len);
    memset(out + head + cs_len, 'a', ua_len);
    memcpy(out + head + cs_len + ua_len, buf + head + ua_old, tail);
    return head + cs_len + ua_len + tail;
}

static void test_version_user_agent_over_256_bytes_is_refused(void **state)
{
    static const uint8_t cs256[] = {0xfd, 0x00, 0x01}, cs257[] = {0xfd, 0x01, 0x01};
    uint8_t buf[600], out[P2P_VERSION_MAX_SIZE];
    size_t n, len = 0;
    p2p_version v;
    (void)state;

    n = version_with_agent(buf, cs256, 3, 256);
    assert_int_equal(p2p_version_parse(buf, n, &v), AM_OK);
    assert_int_equal(v.user_agent_len, 256);
    assert_int_equal(v.user_agent[256], '\0');
    assert_int_equal(p2p_version_build(&v, out, sizeof out, &len), AM_OK);
    assert_int_equal(len, n);
    assert_int_equal(len, P2P_VERSION_MAX_SIZE);
    assert_memory_equal(out, buf, n);

    n = version_with_agent(buf, cs257, 3, 257);
    assert_int_equal(p2p_version_parse(buf, n, &v), AM_ERR_RANGE);
    v.user_agent_len = 257;
    assert_int_equal(p2p_version_build(&v, out, sizeof out, &len), AM_ERR_INVAL);
}

static void test_version_noncanonical_agent_length_is_refused(void **state)
{
    static const uint8_t cs[] = {0xfd, 0x10, 0x00};   /* 16 in 3 bytes */
    uint8_t buf[600];
    size_t n = version_with_agent(buf, cs, 3, 16);
    p2p_version v;
    (void)state;

    assert_int_equal(p2p_version_parse(buf, n, &v), AM_ERR_MALFORMED);
}

static void test_version_build_refuses_a_small_buffer(void **state)
{
    uint8_t out[P2P_VERSION_MAX_SIZE];
    p2p_version v = vector_version(1);
    size_t len = 7;
    (void)state;

    memset(out, 0xaa, sizeof out);
    assert_int_equal(p2p_version_build(&v, out, 101, &len), AM_ERR_INVAL);
    assert_int_equal(len, 7);
    assert_int_equal(out[0], 0xaa);
    assert_int_equal(p2p_version_build(&v, out, 102, &len), AM_OK);
    assert_int_equal(len, 102);
}

/* ---- empty messages and nonces ----------------------------------------------- */

static void test_empty_messages_take_no_bytes(void **state)
{
    uint8_t buf[P2P_VECTOR_MAX] = {0};
    (void)state;

    assert_int_equal(payload_of("main", "verack", buf, sizeof buf), 0);
    assert_int_equal(payload_of("regtest", "getaddr", buf, sizeof buf), 0);
    assert_int_equal(p2p_empty_parse(buf, 0), AM_OK);
    assert_int_equal(p2p_empty_parse(NULL, 0), AM_OK);
    assert_int_equal(p2p_empty_parse(buf, 1), AM_ERR_MALFORMED);
}

static void test_ping_vector_parses_and_rebuilds(void **state)
{
    uint8_t buf[P2P_VECTOR_MAX], out[P2P_NONCE_SIZE];
    size_t n = payload_of("main", "ping", buf, sizeof buf);
    uint64_t nonce = 1;
    (void)state;

    assert_int_equal(n, 8);
    assert_int_equal(p2p_nonce_parse(buf, n, &nonce), AM_OK);
    assert_int_equal(nonce, UINT64_C(0xDEADBEEFCAFEF00D));
    p2p_nonce_build(nonce, out);
    assert_memory_equal(out, buf, 8);
    nonce = 1;
    assert_int_equal(p2p_nonce_parse(buf, 7, &nonce), AM_ERR_TRUNCATED);
    assert_int_equal(p2p_nonce_parse(buf, 0, &nonce), AM_ERR_TRUNCATED);
    buf[8] = 0;
    assert_int_equal(p2p_nonce_parse(buf, 9, &nonce), AM_ERR_MALFORMED);
    assert_int_equal(nonce, 1);
}

/* ---- addr -------------------------------------------------------------------- */

static void test_addr_vector_parses_to_its_entries(void **state)
{
    static const struct { const char *host; uint16_t port; uint64_t services; uint32_t time; int net; } want[] = {
        {"1.2.3.4", 8333, 1, 1700000000u, AM_NET_IPV4},
        {"2001:db8:85a3::8a2e:370:7334", 8333, 0x409, 1700000001u, AM_NET_IPV6},
        {"198.51.100.23", 38333, 0, 4294967295u, AM_NET_IPV4},
    };
    uint8_t buf[P2P_VECTOR_MAX];
    am_addrv2_entry e[4];
    size_t n = payload_of("regtest", "addr", buf, sizeof buf), count = 0;
    (void)state;

    assert_int_equal(p2p_addr_parse(buf, n, e, 4, &count), AM_OK);
    assert_int_equal(count, 3);
    for (size_t i = 0; i < 3; i++) {
        am_addr a = addr_of(want[i].host, want[i].port);
        assert_int_equal(e[i].status, AM_OK);
        assert_true(am_addr_eq(&e[i].addr, &a));
        assert_int_equal(e[i].services, want[i].services);
        assert_int_equal(e[i].time, want[i].time);
        assert_int_equal(e[i].net_id, want[i].net);
    }
}

static void test_addr_build_reproduces_the_vector(void **state)
{
    uint8_t buf[P2P_VECTOR_MAX], out[P2P_VECTOR_MAX];
    am_addrv2_entry e[3];
    size_t n = payload_of("main", "addr", buf, sizeof buf), count = 0, len = 0;
    (void)state;

    assert_int_equal(p2p_addr_parse(buf, n, e, 3, &count), AM_OK);
    assert_int_equal(p2p_addr_build(e, count, out, sizeof out, &len), AM_OK);
    assert_int_equal(len, n);
    assert_memory_equal(out, buf, n);
    assert_int_equal(p2p_addr_build(e, count, out, n - 1, &len), AM_ERR_INVAL);
}

/* An addr payload of `count` IPv4 entries, with the count as written. */
static size_t addr_payload(uint8_t *out, size_t count)
{
    static am_addrv2_entry e[P2P_ADDR_MAX_ENTRIES + 1];
    size_t len = 0, cs;

    for (size_t i = 0; i < count; i++) {
        memset(&e[i], 0, sizeof e[i]);
        e[i].addr = addr_of("8.8.4.4", (uint16_t)(1000 + i));
        e[i].time = (uint32_t)i;
    }
    if (count <= P2P_ADDR_MAX_ENTRIES) {
        assert_int_equal(p2p_addr_build(e, count, out, P2P_ADDR_MAX_SIZE + 30, &len), AM_OK);
        return len;
    }
    /* The builder refuses 1001: write 1000 and add one more by hand. */
    assert_int_equal(p2p_addr_build(e, count, out, P2P_ADDR_MAX_SIZE + 30, &len),
                     AM_ERR_INVAL);
    assert_int_equal(p2p_addr_build(e, count - 1, out, P2P_ADDR_MAX_SIZE + 30, &len), AM_OK);
    cs = (size_t)(out[0] == 0xfd ? 3 : 1);
    memcpy(out + len, out + cs, P2P_ADDR_ENTRY_SIZE);
    out[1] = (uint8_t)count;
    out[2] = (uint8_t)(count >> 8);
    return len + P2P_ADDR_ENTRY_SIZE;
}

static void test_addr_with_1001_entries_is_refused(void **state)
{
    static uint8_t buf[P2P_ADDR_MAX_SIZE + 30];
    static am_addrv2_entry e[P2P_ADDR_MAX_ENTRIES + 1];
    size_t n, count = 0;
    (void)state;

    n = addr_payload(buf, 1000);
    assert_int_equal(n, P2P_ADDR_MAX_SIZE);
    assert_int_equal(p2p_addr_parse(buf, n, e, P2P_ADDR_MAX_ENTRIES + 1, &count), AM_OK);
    assert_int_equal(count, 1000);
    assert_int_equal(e[999].addr.port, 1999);
    /* A caller with room for fewer is told so, not overrun. */
    e[998].time = 77;
    assert_int_equal(p2p_addr_parse(buf, n, e, 999, &count), AM_ERR_TOOMANY);

    n = addr_payload(buf, 1001);
    count = 5;
    assert_int_equal(p2p_addr_parse(buf, n, e, P2P_ADDR_MAX_ENTRIES + 1, &count),
                     AM_ERR_TOOMANY);
    assert_int_equal(count, 5);
}

static void test_addr_truncated_or_with_trailing_bytes_is_refused(void **state)
{
    uint8_t buf[P2P_VECTOR_MAX];
    am_addrv2_entry e[4], before;
    size_t n = payload_of("main", "addr", buf, sizeof buf), count = 9;
    (void)state;

    memset(e, 0x5a, sizeof e);
    before = e[0];
    for (size_t len = 0; len < n; len++)
        assert_int_equal(p2p_addr_parse(buf, len, e, 4, &count), AM_ERR_TRUNCATED);
    buf[n] = 0;
    assert_int_equal(p2p_addr_parse(buf, n + 1, e, 4, &count), AM_ERR_MALFORMED);
    assert_int_equal(count, 9);
    assert_memory_equal(&e[0], &before, sizeof before);
}

static void test_addr_noncanonical_count_is_refused(void **state)
{
    uint8_t buf[P2P_VECTOR_MAX + 2];
    am_addrv2_entry e[4];
    size_t n = payload_of("main", "addr", buf + 2, sizeof buf - 2), count = 0;
    (void)state;

    buf[0] = 0xfd;    /* 3 as fd 03 00 */
    buf[1] = 0x03;
    buf[2] = 0x00;
    assert_int_equal(p2p_addr_parse(buf, n + 2, e, 4, &count), AM_ERR_MALFORMED);
}

static void test_addr_onioncat_entry_is_reported_not_fatal(void **state)
{
    uint8_t buf[P2P_VECTOR_MAX];
    am_addrv2_entry e[3];
    size_t n = payload_of("main", "addr", buf, sizeof buf), count = 0;
    static const uint8_t onioncat[6] = {0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43};
    /* Entry 1 (IPv6): 1 + 30 bytes in, after time (4) and services (8). */
    const size_t ip = 1 + 30 + 12;
    (void)state;

    memcpy(buf + ip, onioncat, sizeof onioncat);
    assert_int_equal(p2p_addr_parse(buf, n, e, 3, &count), AM_OK);
    assert_int_equal(count, 3);
    assert_int_equal(e[0].status, AM_OK);
    assert_int_equal(e[1].status, AM_ERR_TORV2);
    assert_int_equal(e[1].addr.net, 0);
    assert_int_equal(e[2].status, AM_OK);
}

static void test_addr_build_refuses_networks_v1_cannot_carry(void **state)
{
    uint8_t out[64];
    am_addrv2_entry e;
    size_t len = 0;
    am_addr cjdns = addr_of("fc00::1", 8333);
    (void)state;

    memset(&e, 0, sizeof e);
    e.addr = cjdns;
    assert_false(p2p_addr_fits_v1(&cjdns));
    assert_int_equal(p2p_addr_build(&e, 1, out, sizeof out, &len), AM_ERR_INVAL);
    assert_int_equal(p2p_netaddr_from_addr(&(p2p_netaddr){0}, &cjdns, 0), AM_ERR_INVAL);
    assert_int_equal(p2p_addr_build(NULL, 0, out, sizeof out, &len), AM_OK);
    assert_int_equal(len, 1);
    assert_int_equal(out[0], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_names_map_to_types_and_back),
        cmocka_unit_test(test_version_vectors_parse_to_their_fields),
        cmocka_unit_test(test_version_build_reproduces_the_vectors),
        cmocka_unit_test(test_version_without_relay_byte_parses_and_rebuilds),
        cmocka_unit_test(test_version_truncated_at_every_length_changes_nothing),
        cmocka_unit_test(test_version_trailing_bytes_and_bad_relay_are_refused),
        cmocka_unit_test(test_version_user_agent_over_256_bytes_is_refused),
        cmocka_unit_test(test_version_noncanonical_agent_length_is_refused),
        cmocka_unit_test(test_version_build_refuses_a_small_buffer),
        cmocka_unit_test(test_empty_messages_take_no_bytes),
        cmocka_unit_test(test_ping_vector_parses_and_rebuilds),
        cmocka_unit_test(test_addr_vector_parses_to_its_entries),
        cmocka_unit_test(test_addr_build_reproduces_the_vector),
        cmocka_unit_test(test_addr_with_1001_entries_is_refused),
        cmocka_unit_test(test_addr_truncated_or_with_trailing_bytes_is_refused),
        cmocka_unit_test(test_addr_noncanonical_count_is_refused),
        cmocka_unit_test(test_addr_onioncat_entry_is_reported_not_fatal),
        cmocka_unit_test(test_addr_build_refuses_networks_v1_cannot_carry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
