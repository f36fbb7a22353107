/*
 * test_netaddr.c - text forms, byte rules, routability, groups and subnets
 * of core/netaddr.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_error.h"
#include "netaddr.h"

/* The Tor v3 and I2P vectors of ADDRMAN-NOTES.md (Bitcoin Core's tests). */
#define ONION_NAME "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
#define I2P_NAME "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p"
static const uint8_t onion_key[32] = {
    0x79, 0xbc, 0xc6, 0x25, 0x18, 0x4b, 0x05, 0x19, 0x49, 0x75, 0xc2, 0x8b,
    0x66, 0xb6, 0x6b, 0x04, 0x69, 0xf7, 0xf6, 0x55, 0x6f, 0xb1, 0xac, 0x31,
    0x89, 0xa7, 0x9b, 0x40, 0xdd, 0xa3, 0x2f, 0x1f
};
static const uint8_t i2p_hash[32] = {
    0xa2, 0x89, 0x4d, 0xab, 0xae, 0xc0, 0x8c, 0x00, 0x51, 0xa4, 0x81, 0xa6,
    0xda, 0xc8, 0x8b, 0x64, 0xf9, 0x82, 0x32, 0xae, 0x42, 0xd4, 0xb6, 0xfd,
    0x2f, 0xa8, 0x19, 0x52, 0xdf, 0xe3, 0x6a, 0x87
};

/* ---- helpers ------------------------------------------------------------ */

static void rc_at(int got, int want, const char *what, const char *file,
                  int line)
{
    if (got != want)
        fail_msg("%s:%d: %s returned %d (%s), expected %d (%s)", file, line,
                 what, got, am_strerror(got), want, am_strerror(want));
}
#define ASSERT_RC(expr, want) rc_at((expr), (want), #expr, __FILE__, __LINE__)

static am_addr host(const char *text)
{
    am_addr a;
    memset(&a, 0xa5, sizeof(a));
    ASSERT_RC(am_addr_parse_host(&a, text), AM_OK);
    return a;
}

/* Parse `in` as a host; its canonical text must be `want`. */
static void canon_at(const char *in, const char *want, const char *file,
                     int line)
{
    am_addr a;
    char buf[AM_ADDR_STRLEN];
    int rc = am_addr_parse_host(&a, in);
    if (rc != AM_OK)
        fail_msg("%s:%d: parse \"%s\": %s", file, line, in, am_strerror(rc));
    rc = am_addr_format(&a, buf, sizeof(buf));
    if (rc != AM_OK || strcmp(buf, want) != 0)
        fail_msg("%s:%d: \"%s\" formats as \"%s\" (rc %d), want \"%s\"", file,
                 line, in, rc == AM_OK ? buf : "", rc, want);
}
#define CANON(in, want) canon_at((in), (want), __FILE__, __LINE__)

static void host_fails_at(const char *in, int want, const char *file, int line)
{
    am_addr a, before;
    memset(&a, 0x5a, sizeof(a));
    before = a;
    int rc = am_addr_parse_host(&a, in);
    if (rc != want)
        fail_msg("%s:%d: parse \"%s\" returned %d (%s), want %d (%s)", file,
                 line, in, rc, am_strerror(rc), want, am_strerror(want));
    if (memcmp(&a, &before, sizeof(a)) != 0)
        fail_msg("%s:%d: failed parse of \"%s\" changed its output", file,
                 line, in);
}
#define HOST_FAILS(in, want) host_fails_at((in), (want), __FILE__, __LINE__)

static int routable(const char *text)
{
    am_addr a = host(text);
    return am_addr_is_routable(&a);
}

static void group_at(const char *text, const uint8_t *want, size_t want_len,
                     const char *file, int line)
{
    uint8_t g[AM_GROUP_MAXLEN];
    am_addr a;
    if (am_addr_parse(&a, text, 8333) != AM_OK)
        fail_msg("%s:%d: parse \"%s\" failed", file, line, text);
    size_t n = am_addr_group(&a, g);
    if (n != want_len || memcmp(g, want, n) != 0)
        fail_msg("%s:%d: group of \"%s\" has length %zu, want %zu, or "
                 "different bytes (first %02x)", file, line, text, n,
                 want_len, n ? g[0] : 0);
}
#define GROUP(text, ...)                                                    \
    do {                                                                    \
        static const uint8_t want_[] = {__VA_ARGS__};                       \
        group_at((text), want_, sizeof(want_), __FILE__, __LINE__);         \
    } while (0)

static int same_group(const char *x, const char *y)
{
    uint8_t gx[AM_GROUP_MAXLEN], gy[AM_GROUP_MAXLEN];
    am_addr a, b;
    ASSERT_RC(am_addr_parse(&a, x, 8333), AM_OK);
    ASSERT_RC(am_addr_parse(&b, y, 8333), AM_OK);
    size_t nx = am_addr_group(&a, gx), ny = am_addr_group(&b, gy);
    return nx == ny && memcmp(gx, gy, nx) == 0;
}

static am_addr from_bytes(int net, const uint8_t *b, size_t len)
{
    am_addr a;
    ASSERT_RC(am_addr_from_bytes(&a, net, b, len, 0), AM_OK);
    return a;
}

/* Test-side base32 (RFC 4648 lower case), to forge onion names. */
static const char b32_abc[] = "abcdefghijklmnopqrstuvwxyz234567";

static void b32_encode(const uint8_t *in, size_t n, char *out)
{
    unsigned acc = 0, bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8 | in[i]) & 0xfff;
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            *out++ = b32_abc[(acc >> bits) & 31];
        }
    }
    if (bits > 0)
        *out++ = b32_abc[(acc << (5 - bits)) & 31];
    *out = '\0';
}

static size_t b32_decode(const char *in, size_t n, uint8_t *out)
{
    unsigned acc = 0, bits = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 5 | (unsigned)(strchr(b32_abc, in[i]) - b32_abc)) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (uint8_t)(acc >> bits);
        }
    }
    return k;
}

/* The vector's pubkey | checksum with another version byte, as a name. */
static void forge_onion(uint8_t version, char name[80])
{
    uint8_t raw[35];
    assert_int_equal(b32_decode(ONION_NAME, 56, raw), sizeof(raw));
    assert_memory_equal(raw, onion_key, 32);
    assert_int_equal(raw[34], 3);
    raw[34] = version;
    b32_encode(raw, sizeof(raw), name);
    strcat(name, ".onion");
}

/* ---- networks ----------------------------------------------------------- */

static void test_net_lengths_and_names(void **state)
{
    (void)state;
    assert_int_equal(am_net_len(AM_NET_IPV4), 4);
    assert_int_equal(am_net_len(AM_NET_IPV6), 16);
    assert_int_equal(am_net_len(AM_NET_TORV3), 32);
    assert_int_equal(am_net_len(AM_NET_I2P), 32);
    assert_int_equal(am_net_len(AM_NET_CJDNS), 16);
    assert_int_equal(am_net_len(0), 0);
    assert_int_equal(am_net_len(3), 0);
    assert_int_equal(am_net_len(7), 0);
    assert_int_equal(am_net_len(-1), 0);
    const char *names[] = {"ipv4", "ipv6", "torv3", "i2p", "cjdns"};
    const int nets[] = {1, 2, 4, 5, 6};
    for (size_t i = 0; i < 5; i++) {
        int net = -1;
        assert_string_equal(am_net_name(nets[i]), names[i]);
        ASSERT_RC(am_net_from_name(names[i], &net), AM_OK);
        assert_int_equal(net, nets[i]);
        assert_true(AM_NET_ALL & (1u << nets[i]));
    }
    assert_null(am_net_name(3));
    assert_null(am_net_name(0));
}

static void test_net_from_name_is_exact(void **state)
{
    int net = 0;
    (void)state;
    ASSERT_RC(am_net_from_name("IPv4", &net), AM_ERR_UNKNOWN_NET);
    ASSERT_RC(am_net_from_name("tor", &net), AM_ERR_UNKNOWN_NET);
    ASSERT_RC(am_net_from_name("torv2", &net), AM_ERR_UNKNOWN_NET);
    ASSERT_RC(am_net_from_name("", &net), AM_ERR_UNKNOWN_NET);
    ASSERT_RC(am_net_from_name("ipv4 ", &net), AM_ERR_UNKNOWN_NET);
    ASSERT_RC(am_net_from_name(NULL, &net), AM_ERR_INVAL);
}

/* ---- IPv4 text ---------------------------------------------------------- */

static void test_ipv4_round_trip(void **state)
{
    (void)state;
    CANON("1.2.3.4", "1.2.3.4");
    CANON("0.0.0.0", "0.0.0.0");
    CANON("255.255.255.255", "255.255.255.255");
    CANON("10.100.0.9", "10.100.0.9");
    am_addr a = host("192.0.2.33");
    assert_int_equal(a.net, AM_NET_IPV4);
    assert_int_equal(a.port, 0);
    assert_int_equal(a.reserved, 0);
    assert_memory_equal(a.bytes, "\xc0\x00\x02\x21", 4);
    for (size_t i = 4; i < AM_ADDR_MAXLEN; i++)
        assert_int_equal(a.bytes[i], 0);
}

static void test_ipv4_octet_over_255_rejected(void **state)
{
    (void)state;
    HOST_FAILS("256.1.1.1", AM_ERR_ADDR);
    HOST_FAILS("1.2.3.256", AM_ERR_ADDR);
    HOST_FAILS("1.2.3.1000", AM_ERR_ADDR);
    HOST_FAILS("1.2.3.99999999999999999999", AM_ERR_ADDR);
}

static void test_ipv4_leading_zero_rejected(void **state)
{
    (void)state;
    /* "010" is octal to inet_aton(): refuse rather than guess. */
    HOST_FAILS("01.2.3.4", AM_ERR_ADDR);
    HOST_FAILS("1.2.3.04", AM_ERR_ADDR);
    HOST_FAILS("1.2.3.00", AM_ERR_ADDR);
    HOST_FAILS("0x1.2.3.4", AM_ERR_ADDR);
}

static void test_ipv4_wrong_octet_count_rejected(void **state)
{
    (void)state;
    HOST_FAILS("1.2.3", AM_ERR_ADDR);
    HOST_FAILS("1.2.3.4.5", AM_ERR_ADDR);
    HOST_FAILS("1", AM_ERR_ADDR);
    HOST_FAILS("16909060", AM_ERR_ADDR);
}

static void test_ipv4_junk_rejected(void **state)
{
    (void)state;
    HOST_FAILS("+1.2.3.4", AM_ERR_ADDR);
    HOST_FAILS(" 1.2.3.4", AM_ERR_ADDR);
    HOST_FAILS("1.2.3.4 ", AM_ERR_ADDR);
    HOST_FAILS("1.2.3.4.", AM_ERR_ADDR);
    HOST_FAILS(".1.2.3.4", AM_ERR_ADDR);
    HOST_FAILS("1..2.3", AM_ERR_ADDR);
    HOST_FAILS("1.2.3.-4", AM_ERR_ADDR);
    HOST_FAILS("1.2.3.4a", AM_ERR_ADDR);
    HOST_FAILS("1.2.3.4\n", AM_ERR_ADDR);
}

static void test_garbage_rejected(void **state)
{
    am_addr a;
    (void)state;
    HOST_FAILS("", AM_ERR_ADDR);
    HOST_FAILS(" ", AM_ERR_ADDR);
    HOST_FAILS("hello", AM_ERR_ADDR);
    HOST_FAILS("localhost", AM_ERR_ADDR);
    HOST_FAILS("example.com", AM_ERR_ADDR);
    HOST_FAILS(":", AM_ERR_ADDR);
    HOST_FAILS("[", AM_ERR_ADDR);
    HOST_FAILS("]", AM_ERR_ADDR);
    HOST_FAILS(".", AM_ERR_ADDR);
    HOST_FAILS(".onion", AM_ERR_ADDR);
    HOST_FAILS(".b32.i2p", AM_ERR_ADDR);
    HOST_FAILS("foo.i2p", AM_ERR_ADDR);
    HOST_FAILS("\xff\xfe", AM_ERR_ADDR);
    ASSERT_RC(am_addr_parse_host(NULL, "1.2.3.4"), AM_ERR_INVAL);
    ASSERT_RC(am_addr_parse_host(&a, NULL), AM_ERR_INVAL);
    ASSERT_RC(am_addr_parse(&a, NULL, 1), AM_ERR_INVAL);
}

/* ---- IPv6 text: RFC 4291 input, RFC 5952 output ------------------------ */

static void test_ipv6_rfc5952_longest_zero_run_shortened(void **state)
{
    (void)state;
    CANON("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    CANON("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
    CANON("2001:db8:0:0:0:0:2:1", "2001:db8::2:1");
    CANON("2001:db8::0:1", "2001:db8::1");
    CANON("1:0:0:0:0:0:0:0", "1::");
    CANON("0:0:0:0:0:0:0:1", "::1");
    CANON("0:0:1:0:0:0:1:0", "0:0:1::1:0");
}

static void test_ipv6_rfc5952_first_run_wins_tie(void **state)
{
    (void)state;
    CANON("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
    CANON("1:0:0:2:0:0:3:4", "1::2:0:0:3:4");
    CANON("0:0:1:1:1:1:0:0", "::1:1:1:1:0:0");
}

static void test_ipv6_rfc5952_single_zero_group_not_shortened(void **state)
{
    (void)state;
    CANON("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
    CANON("2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
    CANON("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0");
    CANON("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8");
}

static void test_ipv6_rfc5952_lower_case_no_leading_zeros(void **state)
{
    (void)state;
    CANON("2001:DB8::ABCD", "2001:db8::abcd");
    CANON("2001:Db8:0a:00Bc::1", "2001:db8:a:bc::1");
    CANON("2001:0db8:00a0:000f::0001", "2001:db8:a0:f::1");
}

static void test_ipv6_unspecified_is_double_colon(void **state)
{
    (void)state;
    CANON("::", "::");
    CANON("0:0:0:0:0:0:0:0", "::");
    CANON("0::0", "::");
    am_addr a = host("::");
    assert_int_equal(a.net, AM_NET_IPV6);
}

static void test_ipv6_loopback_is_double_colon_one(void **state)
{
    (void)state;
    CANON("::1", "::1");
    CANON("0:0::0:1", "::1");
    CANON("0000:0000:0000:0000:0000:0000:0000:0001", "::1");
}

static void test_ipv6_embedded_ipv4_input_accepted(void **state)
{
    (void)state;
    CANON("64:ff9b::192.0.2.33", "64:ff9b::c000:221");
    CANON("2001:db8:1:2:3:4:1.2.3.4", "2001:db8:1:2:3:4:102:304");
    CANON("::1.2.3.4", "::102:304");
    CANON("::ffff:0:8.8.4.4", "::ffff:0:808:404");
    CANON("2001:db8::255.255.255.255", "2001:db8::ffff:ffff");
}

static void test_ipv6_two_double_colons_rejected(void **state)
{
    (void)state;
    HOST_FAILS("1::2::3", AM_ERR_ADDR);
    HOST_FAILS("::1::", AM_ERR_ADDR);
    HOST_FAILS("::1::2", AM_ERR_ADDR);
    HOST_FAILS("1:::2", AM_ERR_ADDR);
    HOST_FAILS(":::", AM_ERR_ADDR);
}

static void test_ipv6_more_than_eight_groups_rejected(void **state)
{
    (void)state;
    HOST_FAILS("1:2:3:4:5:6:7:8:9", AM_ERR_ADDR);
    HOST_FAILS("1:2:3:4:5:6:7:8::", AM_ERR_ADDR);
    HOST_FAILS("::1:2:3:4:5:6:7:8", AM_ERR_ADDR);
    HOST_FAILS("1:2:3:4::5:6:7:8", AM_ERR_ADDR);
    HOST_FAILS("1:2:3:4:5:6:7:1.2.3.4", AM_ERR_ADDR);
    HOST_FAILS("1:2:3:4:5:6:7::1.2.3.4", AM_ERR_ADDR);
}

static void test_ipv6_too_few_groups_rejected(void **state)
{
    (void)state;
    HOST_FAILS("1:2:3:4:5:6:7", AM_ERR_ADDR);
    HOST_FAILS("1:2", AM_ERR_ADDR);
    HOST_FAILS("1:2:3:4:5:1.2.3.4", AM_ERR_ADDR);
}

static void test_ipv6_group_over_four_hex_digits_rejected(void **state)
{
    (void)state;
    HOST_FAILS("12345::", AM_ERR_ADDR);
    HOST_FAILS("::00001", AM_ERR_ADDR);
    HOST_FAILS("2001:db8:0:0:0:0:0:10000", AM_ERR_ADDR);
}

static void test_ipv6_junk_rejected(void **state)
{
    (void)state;
    HOST_FAILS(":1:2:3:4:5:6:7", AM_ERR_ADDR);      /* leading single colon */
    HOST_FAILS("1:2:3:4:5:6:7:", AM_ERR_ADDR);      /* trailing single colon */
    HOST_FAILS("1:2:3:4:5:6:7:8:", AM_ERR_ADDR);
    HOST_FAILS("::g", AM_ERR_ADDR);
    HOST_FAILS("2001:db8::x1", AM_ERR_ADDR);
    HOST_FAILS("fe80::1%eth0", AM_ERR_ADDR);        /* zone ids are local */
    HOST_FAILS("[::1]", AM_ERR_ADDR);               /* host text: no brackets */
    HOST_FAILS(" ::1", AM_ERR_ADDR);
    HOST_FAILS("::1 ", AM_ERR_ADDR);
    HOST_FAILS("::1.2.3", AM_ERR_ADDR);
    HOST_FAILS("::1.2.3.256", AM_ERR_ADDR);
    HOST_FAILS("::01.2.3.4", AM_ERR_ADDR);
    HOST_FAILS("::1.2.3.4:5", AM_ERR_ADDR);         /* IPv4 only at the end */
    HOST_FAILS("::1.2.3.4.5", AM_ERR_ADDR);
    HOST_FAILS("1.2.3.4::", AM_ERR_ADDR);
    HOST_FAILS("::-1", AM_ERR_ADDR);
    HOST_FAILS("::+1", AM_ERR_ADDR);
}

static void test_ipv4_mapped_text_becomes_ipv4(void **state)
{
    (void)state;
    am_addr a = host("::ffff:1.2.3.4");
    am_addr b = host("1.2.3.4");
    assert_int_equal(a.net, AM_NET_IPV4);
    assert_true(am_addr_eq(&a, &b));
    assert_memory_equal(&a, &b, sizeof(a));
    CANON("::ffff:1.2.3.4", "1.2.3.4");
    CANON("::FFFF:0102:0304", "1.2.3.4");
    CANON("0:0:0:0:0:ffff:808:808", "8.8.8.8");
    /* Next to the mapped range, but not in it. */
    CANON("::fffe:1.2.3.4", "::fffe:102:304");
    CANON("::1:ffff:1.2.3.4", "::1:ffff:102:304");
}

static void test_onioncat_text_is_torv2(void **state)
{
    (void)state;
    HOST_FAILS("fd87:d87e:eb43::1", AM_ERR_TORV2);
    HOST_FAILS("fd87:d87e:eb43:ffff:ffff:ffff:ffff:ffff", AM_ERR_TORV2);
    /* Just outside the /48. */
    CANON("fd87:d87e:eb44::1", "fd87:d87e:eb44::1");
    CANON("fd87:d87e:eb42::1", "fd87:d87e:eb42::1");
}

static void test_cjdns_text_detected(void **state)
{
    (void)state;
    am_addr a = host("fc00:1:2:3:4:5:6:7");
    assert_int_equal(a.net, AM_NET_CJDNS);
    assert_int_equal(host("fc00::").net, AM_NET_CJDNS);
    assert_int_equal(host("fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").net,
                     AM_NET_CJDNS);
    assert_int_equal(host("FC12::AB").net, AM_NET_CJDNS);
    CANON("FC12::AB", "fc12::ab");
    /* Just outside fc00::/8: plain IPv6. */
    assert_int_equal(host("fd00::1").net, AM_NET_IPV6);
    assert_int_equal(host("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").net,
                     AM_NET_IPV6);
}

/* ---- Tor v3 and I2P ----------------------------------------------------- */

static void test_torv3_vector_round_trip(void **state)
{
    (void)state;
    am_addr a = host(ONION_NAME);
    assert_int_equal(a.net, AM_NET_TORV3);
    assert_memory_equal(a.bytes, onion_key, 32);
    CANON(ONION_NAME, ONION_NAME);
    /* Only the key is stored: formatting recomputes checksum and version. */
    am_addr b = from_bytes(AM_NET_TORV3, onion_key, 32);
    char buf[AM_ADDR_STRLEN];
    ASSERT_RC(am_addr_format(&b, buf, sizeof(buf)), AM_OK);
    assert_string_equal(buf, ONION_NAME);
}

static void test_torv3_upper_case_accepted(void **state)
{
    char up[sizeof(ONION_NAME)];
    (void)state;
    for (size_t i = 0; i < sizeof(up); i++)
        up[i] = (char)toupper((unsigned char)ONION_NAME[i]);
    CANON(up, ONION_NAME);
    /* Mixed case too. */
    up[0] = 'p';
    CANON(up, ONION_NAME);
}

static void test_torv3_bad_checksum_rejected(void **state)
{
    char name[sizeof(ONION_NAME)];
    (void)state;
    /* A changed key character: the stored checksum no longer matches. */
    memcpy(name, ONION_NAME, sizeof(name));
    name[0] = 'q';
    HOST_FAILS(name, AM_ERR_ADDR);
    /* A changed checksum character (characters 52..54 hold the checksum). */
    memcpy(name, ONION_NAME, sizeof(name));
    name[53] = name[53] == 'a' ? 'b' : 'a';
    HOST_FAILS(name, AM_ERR_ADDR);
}

static void test_torv3_wrong_version_rejected(void **state)
{
    char name[80];
    (void)state;
    forge_onion(0x03, name);
    CANON(name, ONION_NAME);            /* the forger itself is right */
    forge_onion(0x02, name);
    HOST_FAILS(name, AM_ERR_ADDR);
    forge_onion(0x04, name);
    HOST_FAILS(name, AM_ERR_ADDR);
    forge_onion(0x00, name);
    HOST_FAILS(name, AM_ERR_ADDR);
}

static void test_torv3_bad_base32_chars_rejected(void **state)
{
    const char bad[] = {'0', '1', '8', '9', '=', '-', ' ', '.', '@'};
    char name[sizeof(ONION_NAME)];
    (void)state;
    for (size_t i = 0; i < sizeof(bad); i++) {
        memcpy(name, ONION_NAME, sizeof(name));
        name[10] = bad[i];
        HOST_FAILS(name, AM_ERR_ADDR);
    }
}

static void test_torv3_wrong_length_rejected(void **state)
{
    char name[sizeof(ONION_NAME) + 1];
    (void)state;
    /* One character short, one too many. */
    memcpy(name, &ONION_NAME[1], sizeof(ONION_NAME) - 1);
    HOST_FAILS(name, AM_ERR_ADDR);
    name[0] = 'a';
    memcpy(name + 1, ONION_NAME, sizeof(ONION_NAME));
    HOST_FAILS(name, AM_ERR_ADDR);
    HOST_FAILS("abc.onion", AM_ERR_ADDR);
    HOST_FAILS("aaaaaaaaaaaaaaaaa.onion", AM_ERR_ADDR);     /* 17 chars */
    HOST_FAILS(ONION_NAME ".onion", AM_ERR_ADDR);
}

static void test_torv2_name_rejected(void **state)
{
    (void)state;
    HOST_FAILS("expyuzz4wqqyqhjn.onion", AM_ERR_TORV2);
    HOST_FAILS("EXPYUZZ4WQQYQHJN.onion", AM_ERR_TORV2);
    am_addr a;
    ASSERT_RC(am_addr_parse(&a, "expyuzz4wqqyqhjn.onion:8333", 8333),
              AM_ERR_TORV2);
    /* 16 characters that are not base32 are just garbage. */
    HOST_FAILS("expyuzz4wqqyqhj1.onion", AM_ERR_ADDR);
}

static void test_i2p_vector_round_trip(void **state)
{
    (void)state;
    am_addr a = host(I2P_NAME);
    assert_int_equal(a.net, AM_NET_I2P);
    assert_memory_equal(a.bytes, i2p_hash, 32);
    CANON(I2P_NAME, I2P_NAME);
    CANON("UKEU3K5OYCGAAUNEQGTNVSELMT4YEMVOILKLN7JPVAMVFX7DNKDQ.B32.I2P",
          I2P_NAME);
}

static void test_i2p_invalid_names_rejected(void **state)
{
    char name[sizeof(I2P_NAME)];
    (void)state;
    HOST_FAILS(&I2P_NAME[1], AM_ERR_ADDR);                      /* 51 chars */
    HOST_FAILS("a" I2P_NAME, AM_ERR_ADDR);                      /* 53 chars */
    memcpy(name, I2P_NAME, sizeof(name));
    name[5] = '1';
    HOST_FAILS(name, AM_ERR_ADDR);                              /* bad char */
    /* The last character carries 1 bit and 4 zero padding bits: 'q' is
     * 10000; 'r' (10001) would be a second spelling of another text. */
    memcpy(name, I2P_NAME, sizeof(name));
    assert_int_equal(name[51], 'q');
    name[51] = 'r';
    HOST_FAILS(name, AM_ERR_ADDR);
    HOST_FAILS("ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.i2p",
               AM_ERR_ADDR);
    HOST_FAILS("ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p.",
               AM_ERR_ADDR);
}

/* ---- endpoints ---------------------------------------------------------- */

static am_addr endpoint(const char *text, uint16_t def)
{
    am_addr a;
    memset(&a, 0xa5, sizeof(a));
    ASSERT_RC(am_addr_parse(&a, text, def), AM_OK);
    return a;
}

static void test_endpoint_ports_parsed(void **state)
{
    (void)state;
    am_addr a = endpoint("1.2.3.4:8333", 1);
    assert_int_equal(a.net, AM_NET_IPV4);
    assert_int_equal(a.port, 8333);
    assert_int_equal(endpoint("1.2.3.4", 18333).port, 18333);
    assert_int_equal(endpoint("1.2.3.4:0", 1).port, 0);
    assert_int_equal(endpoint("1.2.3.4:65535", 1).port, 65535);
    a = endpoint("[2001:db8::1]:8333", 1);
    assert_int_equal(a.net, AM_NET_IPV6);
    assert_int_equal(a.port, 8333);
    assert_int_equal(endpoint("[2001:db8::1]", 7).port, 7);
    a = endpoint("[fc00::1]:9", 1);
    assert_int_equal(a.net, AM_NET_CJDNS);
    assert_int_equal(a.port, 9);
    a = endpoint("[::ffff:1.2.3.4]:5", 1);
    assert_int_equal(a.net, AM_NET_IPV4);
    assert_int_equal(a.port, 5);
    a = endpoint(ONION_NAME ":8333", 1);
    assert_int_equal(a.net, AM_NET_TORV3);
    assert_int_equal(a.port, 8333);
    assert_int_equal(endpoint(ONION_NAME, 9050).port, 9050);
    a = endpoint(I2P_NAME ":0", 1);
    assert_int_equal(a.net, AM_NET_I2P);
    assert_int_equal(a.port, 0);
}

static void test_i2p_without_port_gets_port_0(void **state)
{
    int has_port = -1;
    am_addr a;
    (void)state;
    assert_int_equal(endpoint(I2P_NAME, 8333).port, 0);
    assert_int_equal(endpoint(I2P_NAME ":8333", 1).port, 8333);  /* as given */
    assert_int_equal(endpoint(ONION_NAME, 8333).port, 8333);
    ASSERT_RC(am_addr_parse_ex(&a, I2P_NAME, 8333, &has_port, NULL, 0), AM_OK);
    assert_int_equal(has_port, 0);
    ASSERT_RC(am_addr_parse_ex(&a, I2P_NAME ":0", 8333, &has_port, NULL, 0),
              AM_OK);
    assert_int_equal(has_port, 1);
    ASSERT_RC(am_addr_parse_ex(&a, "[::1]:1", 8333, &has_port, NULL, 0), AM_OK);
    assert_int_equal(has_port, 1);
}

static void test_port_0_usable_only_for_i2p(void **state)
{
    (void)state;
    assert_false(am_addr_port_usable(&(am_addr){0}));
    am_addr a = endpoint("1.2.3.4:0", 1);
    assert_false(am_addr_port_usable(&a));
    a = endpoint("[2001:db8::1]:0", 1);
    assert_false(am_addr_port_usable(&a));
    a = endpoint("[fc00::1]:0", 1);
    assert_false(am_addr_port_usable(&a));
    a = endpoint(ONION_NAME ":0", 1);
    assert_false(am_addr_port_usable(&a));
    a = endpoint(I2P_NAME ":0", 1);
    assert_true(am_addr_port_usable(&a));
    a = endpoint(I2P_NAME ":8333", 1);
    assert_true(am_addr_port_usable(&a));
    a = endpoint("1.2.3.4:1", 1);
    assert_true(am_addr_port_usable(&a));
    assert_false(am_addr_port_usable(NULL));
}

/* What am_addr_parse_ex says about text it refuses. */
static void expect_why(const char *text, int rc, const char *want)
{
    char why[96];
    am_addr a;

    memset(why, 'x', sizeof why);
    ASSERT_RC(am_addr_parse_ex(&a, text, 8333, NULL, why, sizeof why), rc);
    if (strcmp(why, want) != 0)
        fail_msg("\"%s\": \"%s\", wanted \"%s\"", text, why, want);
}

static void test_parse_says_what_is_wrong(void **state)
{
    char onion[sizeof(ONION_NAME)];
    char why[8];
    am_addr a;
    (void)state;
    expect_why("1.2.3.4:70000", AM_ERR_ADDR, "port 70000 is out of range");
    expect_why("[::1]:4294967297", AM_ERR_ADDR,
               "port 4294967297 is out of range");
    expect_why("1.2.3.4:12345678901234", AM_ERR_ADDR,
               "port 123456789012... is out of range");
    expect_why("1.2.3.4:08", AM_ERR_ADDR,
               "port '08' is not a decimal number 0..65535");
    expect_why("1.2.3.4:x", AM_ERR_ADDR,
               "port 'x' is not a decimal number 0..65535");
    expect_why("1.2.3.4:", AM_ERR_ADDR, "the port is empty");
    expect_why("nope", AM_ERR_ADDR,
               "not an IPv4 or IPv6 address, .onion or .b32.i2p name");
    expect_why("1.2.3.256", AM_ERR_ADDR,
               "not an IPv4 or IPv6 address, .onion or .b32.i2p name");
    expect_why("[1.2.3.4]:1", AM_ERR_ADDR, "not a valid IPv6 address");
    expect_why("[::1", AM_ERR_ADDR, "'[' without ']'");
    expect_why("[::1]x", AM_ERR_ADDR, "']' must be followed by ':' and a port");
    expect_why("", AM_ERR_ADDR, "the host is empty");
    expect_why("expyuzz4wqqyqhjn.onion", AM_ERR_TORV2,
               "Tor v2 addresses are not supported");
    expect_why("[fd87:d87e:eb43::1]:1", AM_ERR_TORV2,
               "Tor v2 addresses are not supported");
    expect_why("abc.onion", AM_ERR_ADDR,
               "onion name must be 56 base32 characters, not 3");
    expect_why("abc.b32.i2p", AM_ERR_ADDR,
               "I2P name must be 52 base32 characters, not 3");
    memcpy(onion, ONION_NAME, sizeof onion);
    onion[0] = onion[0] == 'a' ? 'b' : 'a';     /* the key changes */
    expect_why(onion, AM_ERR_ADDR, "onion checksum does not match");
    memcpy(onion, ONION_NAME, sizeof onion);
    onion[55] = 'a';                            /* the version byte changes */
    expect_why(onion, AM_ERR_ADDR, "onion version is not 3");
    memcpy(onion, ONION_NAME, sizeof onion);
    onion[10] = '1';                            /* not in the alphabet */
    expect_why(onion, AM_ERR_ADDR, "onion name is not base32");
    /* Success leaves "", and a short buffer gets a truncated sentence. */
    expect_why("1.2.3.4:1", AM_OK, "");
    ASSERT_RC(am_addr_parse_ex(&a, "1.2.3.4:70000", 1, NULL, why, sizeof why),
              AM_ERR_ADDR);
    assert_string_equal(why, "port 70");
}

static void test_bare_ipv6_never_carries_port(void **state)
{
    (void)state;
    am_addr a = endpoint("2001:db8::1", 8333);
    assert_int_equal(a.port, 8333);
    /* The last group is part of the address, not a port. */
    a = endpoint("2001:db8::1:8333", 1);
    assert_int_equal(a.port, 1);
    assert_int_equal(a.bytes[14], 0x83);
    assert_int_equal(a.bytes[15], 0x33);
    assert_int_equal(endpoint("::", 2).port, 2);
}

static void test_port_over_65535_rejected(void **state)
{
    am_addr a;
    (void)state;
    ASSERT_RC(am_addr_parse(&a, "1.2.3.4:65536", 1), AM_ERR_ADDR);
    ASSERT_RC(am_addr_parse(&a, "1.2.3.4:99999", 1), AM_ERR_ADDR);
    ASSERT_RC(am_addr_parse(&a, "1.2.3.4:4294967297", 1), AM_ERR_ADDR);
    ASSERT_RC(am_addr_parse(&a, "[::1]:65536", 1), AM_ERR_ADDR);
    ASSERT_RC(am_addr_parse(&a, ONION_NAME ":100000", 1), AM_ERR_ADDR);
}

static void test_endpoint_junk_rejected(void **state)
{
    static const char *bad[] = {
        "1.2.3.4:", "1.2.3.4:-1", "1.2.3.4:+1", "1.2.3.4:08333",
        "1.2.3.4:8333x", "1.2.3.4: 8333", "1.2.3.4:0x10", ":8333",
        "[::1]:", "[::1]x", "[::1]8333", "[::1", "::1]", "[]", "[]:1",
        "[1.2.3.4]:80", "[" ONION_NAME "]:1", "[[::1]]:1", "[::1]:1:2",
        "1.2.3.4:1:2", "", "[2001:db8::1]:8333 ",
    };
    am_addr a, before;
    (void)state;
    memset(&a, 0x5a, sizeof(a));
    before = a;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = am_addr_parse(&a, bad[i], 8333);
        if (rc == AM_OK)
            fail_msg("\"%s\" was accepted", bad[i]);
        assert_memory_equal(&a, &before, sizeof(a));
    }
}

static void test_format_endpoint_brackets_ipv6_and_cjdns(void **state)
{
    char buf[AM_ADDR_STRLEN];
    (void)state;
    struct { const char *in, *out; } cases[] = {
        {"1.2.3.4:8333", "1.2.3.4:8333"},
        {"[2001:DB8:0::1]:8333", "[2001:db8::1]:8333"},
        {"[fc00:0::1]:1", "[fc00::1]:1"},
        {"[::ffff:1.2.3.4]:0", "1.2.3.4:0"},
        {ONION_NAME ":65535", ONION_NAME ":65535"},
        {I2P_NAME ":0", I2P_NAME ":0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        am_addr a = endpoint(cases[i].in, 1);
        ASSERT_RC(am_addr_format_endpoint(&a, buf, sizeof(buf)), AM_OK);
        assert_string_equal(buf, cases[i].out);
    }
}

static void test_format_buffer_too_small_is_inval(void **state)
{
    char buf[AM_ADDR_STRLEN];
    (void)state;
    am_addr a = endpoint("1.2.3.4:8333", 1);
    ASSERT_RC(am_addr_format(&a, buf, 7), AM_ERR_INVAL);    /* needs 8 */
    ASSERT_RC(am_addr_format(&a, buf, 0), AM_ERR_INVAL);
    ASSERT_RC(am_addr_format(&a, buf, 8), AM_OK);           /* exactly */
    assert_string_equal(buf, "1.2.3.4");
    ASSERT_RC(am_addr_format_endpoint(&a, buf, 12), AM_ERR_INVAL);
    ASSERT_RC(am_addr_format_endpoint(&a, buf, 13), AM_OK);
    a = host(ONION_NAME);
    ASSERT_RC(am_addr_format(&a, buf, sizeof(ONION_NAME) - 1), AM_ERR_INVAL);
    ASSERT_RC(am_addr_format(&a, buf, sizeof(ONION_NAME)), AM_OK);
    a.net = 3;
    ASSERT_RC(am_addr_format(&a, buf, sizeof(buf)), AM_ERR_UNKNOWN_NET);
    ASSERT_RC(am_addr_format(NULL, buf, sizeof(buf)), AM_ERR_INVAL);
}

static void test_longest_texts_fit_strlen(void **state)
{
    char buf[AM_ADDR_STRLEN];
    (void)state;
    am_addr a = endpoint(ONION_NAME ":65535", 1);
    ASSERT_RC(am_addr_format_endpoint(&a, buf, sizeof(buf)), AM_OK);
    a = endpoint("[1111:2222:3333:4444:5555:6666:7777:8888]:65535", 1);
    ASSERT_RC(am_addr_format_endpoint(&a, buf, sizeof(buf)), AM_OK);
    assert_string_equal(buf, "[1111:2222:3333:4444:5555:6666:7777:8888]:65535");
}

/* Every line of Bitcoin Core's mainnet seed list reads and writes back. */
static void test_nodes_main_round_trip(void **state)
{
    char path[512], line[512], out[AM_ADDR_STRLEN];
    size_t per_net[AM_NET_MAX] = {0}, total = 0;
    FILE *f;
    (void)state;
    snprintf(path, sizeof(path), "%s/nodes_main.txt", AM_TEST_DATA_DIR);
    f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    while (fgets(line, sizeof(line), f) != NULL) {
        char *hash = strchr(line, '#');
        size_t n;
        am_addr a, b;
        if (hash != NULL)
            *hash = '\0';
        n = strlen(line);
        while (n > 0 && isspace((unsigned char)line[n - 1]))
            line[--n] = '\0';
        if (n == 0)
            continue;
        if (am_addr_parse(&a, line, 1) != AM_OK)
            fail_msg("cannot parse \"%s\"", line);
        ASSERT_RC(am_addr_format_endpoint(&a, out, sizeof(out)), AM_OK);
        if (strcmp(out, line) != 0)
            fail_msg("\"%s\" formats as \"%s\"", line, out);
        ASSERT_RC(am_addr_parse(&b, out, 1), AM_OK);
        assert_true(am_addr_eq(&a, &b));
        assert_true(am_addr_is_routable(&a));
        /* Core's seed list is never refused for its port (I2P's is 0). */
        if (!am_addr_port_usable(&a))
            fail_msg("\"%s\": its port would be refused", line);
        per_net[a.net]++;
        total++;
    }
    fclose(f);
    assert_int_equal(total, 2056);
    assert_int_equal(per_net[AM_NET_IPV4], 512);
    assert_int_equal(per_net[AM_NET_IPV6], 512);
    assert_int_equal(per_net[AM_NET_TORV3], 512);
    assert_int_equal(per_net[AM_NET_I2P], 512);
    assert_int_equal(per_net[AM_NET_CJDNS], 8);
}

/* ---- bytes and equality ------------------------------------------------- */

static void test_from_bytes_applies_bip155_rules(void **state)
{
    static const uint8_t v4[4] = {1, 2, 3, 4};
    static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
                                       1, 2, 3, 4};
    static const uint8_t onioncat[16] = {0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43,
                                         1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    static const uint8_t cjdns_bad[16] = {0xaa, 0, 0, 1};
    static const uint8_t cjdns_ok[16] = {0xfc, 0, 0, 1};
    uint8_t big[33] = {0};
    am_addr a, before;
    (void)state;
    memset(&a, 0x5a, sizeof(a));
    before = a;
    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_IPV6, mapped, 16, 1), AM_ERR_ADDR);
    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_IPV6, onioncat, 16, 1), AM_ERR_TORV2);
    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_CJDNS, cjdns_bad, 16, 1), AM_ERR_ADDR);
    ASSERT_RC(am_addr_from_bytes(&a, 3, big, 10, 1), AM_ERR_TORV2);
    ASSERT_RC(am_addr_from_bytes(&a, 3, big, 11, 1), AM_ERR_MALFORMED);
    ASSERT_RC(am_addr_from_bytes(&a, 0xaa, big, 4, 1), AM_ERR_UNKNOWN_NET);
    ASSERT_RC(am_addr_from_bytes(&a, 7, big, 16, 1), AM_ERR_UNKNOWN_NET);
    ASSERT_RC(am_addr_from_bytes(&a, 0, big, 0, 1), AM_ERR_UNKNOWN_NET);
    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_IPV4, big, 5, 1), AM_ERR_MALFORMED);
    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_IPV6, big, 4, 1), AM_ERR_MALFORMED);
    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_TORV3, big, 33, 1), AM_ERR_MALFORMED);
    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_I2P, big, 0, 1), AM_ERR_MALFORMED);
    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_CJDNS, cjdns_ok, 15, 1),
              AM_ERR_MALFORMED);
    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_IPV4, NULL, 4, 1), AM_ERR_INVAL);
    assert_memory_equal(&a, &before, sizeof(a));    /* untouched on error */

    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_IPV4, v4, 4, 8333), AM_OK);
    assert_true(am_addr_eq(&a, &(am_addr){0}) == 0);
    am_addr b = endpoint("1.2.3.4:8333", 1);
    assert_memory_equal(&a, &b, sizeof(a));
    ASSERT_RC(am_addr_from_bytes(&a, AM_NET_CJDNS, cjdns_ok, 16, 0), AM_OK);
    assert_int_equal(a.net, AM_NET_CJDNS);
}

static void test_wire_ipv6_in_fc00_stays_ipv6(void **state)
{
    static const uint8_t fc[16] = {0xfc, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                   0, 0, 1};
    char buf[AM_ADDR_STRLEN];
    (void)state;
    am_addr a = from_bytes(AM_NET_IPV6, fc, 16);
    assert_int_equal(a.net, AM_NET_IPV6);
    /* RFC 4193 space for network IPv6: not routable. */
    assert_false(am_addr_is_routable(&a));
    ASSERT_RC(am_addr_format(&a, buf, sizeof(buf)), AM_OK);
    assert_string_equal(buf, "fc00::1");
    /* The documented exception to the round trip: the text is CJDNS. */
    assert_int_equal(host(buf).net, AM_NET_CJDNS);
    ASSERT_RC(am_addr_format_endpoint(&a, buf, sizeof(buf)), AM_OK);
    assert_string_equal(buf, "[fc00::1]:0");
}

static void test_addr_eq_compares_port_host_eq_does_not(void **state)
{
    (void)state;
    am_addr a = endpoint("1.2.3.4:1", 1);
    am_addr b = endpoint("1.2.3.4:2", 1);
    am_addr c = endpoint("1.2.3.5:1", 1);
    am_addr d = endpoint("[::102:304]:1", 1);
    assert_false(am_addr_eq(&a, &b));
    assert_true(am_addr_host_eq(&a, &b));
    assert_true(am_addr_eq(&a, &a));
    assert_false(am_addr_host_eq(&a, &c));
    assert_false(am_addr_host_eq(&a, &d));      /* other network */
    b.port = 1;
    assert_true(am_addr_eq(&a, &b));
}

/* ---- routability -------------------------------------------------------- */

static void test_public_addresses_routable(void **state)
{
    (void)state;
    assert_true(routable("8.8.8.8"));
    assert_true(routable("1.1.1.1"));
    assert_true(routable("1.0.0.0"));
    assert_true(routable("223.255.255.255"));
    assert_true(routable("2001:4860:4860::8888"));
    assert_true(routable("2a01:4f8::1"));
    assert_true(routable("2600::"));
    assert_true(routable(ONION_NAME));
    assert_true(routable(I2P_NAME));
    assert_true(routable("fc00:1:2:3:4:5:6:7"));
    assert_true(routable("fc00::"));
}

static void test_ipv4_zero_and_loopback_unroutable(void **state)
{
    (void)state;
    assert_false(routable("0.0.0.0"));
    assert_false(routable("0.255.255.255"));
    assert_false(routable("127.0.0.0"));
    assert_false(routable("127.0.0.1"));
    assert_false(routable("127.255.255.255"));
    assert_true(routable("126.255.255.255"));
    assert_true(routable("128.0.0.0"));
}

static void test_rfc1918_unroutable_edges(void **state)
{
    (void)state;
    assert_false(routable("10.0.0.0"));
    assert_false(routable("10.255.255.255"));
    assert_true(routable("9.255.255.255"));
    assert_true(routable("11.0.0.0"));
    assert_false(routable("172.16.0.0"));
    assert_false(routable("172.31.255.255"));
    assert_true(routable("172.15.255.255"));
    assert_true(routable("172.32.0.0"));
    assert_false(routable("192.168.0.0"));
    assert_false(routable("192.168.255.255"));
    assert_true(routable("192.167.255.255"));
    assert_true(routable("192.169.0.0"));
}

static void test_rfc2544_unroutable_edges(void **state)
{
    (void)state;
    assert_false(routable("198.18.0.0"));
    assert_false(routable("198.19.255.255"));
    assert_true(routable("198.17.255.255"));
    assert_true(routable("198.20.0.0"));
}

static void test_rfc3927_unroutable_edges(void **state)
{
    (void)state;
    assert_false(routable("169.254.0.0"));
    assert_false(routable("169.254.255.255"));
    assert_true(routable("169.253.255.255"));
    assert_true(routable("169.255.0.0"));
}

static void test_rfc6598_unroutable_edges(void **state)
{
    (void)state;
    assert_false(routable("100.64.0.0"));
    assert_false(routable("100.127.255.255"));
    assert_true(routable("100.63.255.255"));
    assert_true(routable("100.128.0.0"));
}

static void test_rfc5737_unroutable_edges(void **state)
{
    (void)state;
    assert_false(routable("192.0.2.0"));
    assert_false(routable("192.0.2.255"));
    assert_true(routable("192.0.1.255"));
    assert_true(routable("192.0.3.0"));
    assert_false(routable("198.51.100.0"));
    assert_false(routable("198.51.100.255"));
    assert_true(routable("198.51.99.255"));
    assert_true(routable("198.51.101.0"));
    assert_false(routable("203.0.113.0"));
    assert_false(routable("203.0.113.255"));
    assert_true(routable("203.0.112.255"));
    assert_true(routable("203.0.114.0"));
}

static void test_ipv4_multicast_and_reserved_unroutable(void **state)
{
    (void)state;
    assert_false(routable("224.0.0.0"));
    assert_false(routable("224.0.0.1"));
    assert_false(routable("239.255.255.255"));
    assert_false(routable("240.0.0.0"));
    assert_false(routable("255.255.255.254"));
    assert_false(routable("255.255.255.255"));
    assert_true(routable("223.255.255.255"));
}

static void test_ipv6_unspecified_and_loopback_unroutable(void **state)
{
    (void)state;
    assert_false(routable("::"));
    assert_false(routable("::1"));
}

static void test_rfc3849_unroutable_edges(void **state)
{
    (void)state;
    assert_false(routable("2001:db8::"));
    assert_false(routable("2001:db8::1"));
    assert_false(routable("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_true(routable("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_true(routable("2001:db9::"));
}

static void test_rfc4193_unroutable_edges(void **state)
{
    (void)state;
    assert_false(routable("fd00::"));
    assert_false(routable("fd12:3456::1"));
    assert_false(routable("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_true(routable("fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
    /* fc00::/8 text is CJDNS, routable (see test_wire_ipv6_in_fc00...). */
    assert_true(routable("fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
}

static void test_orchid_rfc4843_rfc7343_unroutable_edges(void **state)
{
    (void)state;
    assert_false(routable("2001:10::"));
    assert_false(routable("2001:1f:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_true(routable("2001:f:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_false(routable("2001:20::"));
    assert_false(routable("2001:2f:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_true(routable("2001:30::"));
}

static void test_rfc4862_link_local_unroutable_edges(void **state)
{
    (void)state;
    assert_false(routable("fe80::"));
    assert_false(routable("fe80::1"));
    assert_false(routable("fe80::ffff:ffff:ffff:ffff"));
}

static void test_ipv6_multicast_unroutable(void **state)
{
    (void)state;
    assert_false(routable("ff00::"));
    assert_false(routable("ff02::1"));
    assert_false(routable("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
}

static void test_embedded_ipv4_routability_follows_ipv4(void **state)
{
    (void)state;
    /* 6to4 */
    assert_false(routable("2002:a00:1::1"));            /* 10.0.0.1 */
    assert_false(routable("2002::"));                   /* 0.0.0.0 */
    assert_true(routable("2002:808:808::1"));           /* 8.8.8.8 */
    /* Teredo: RFC 4380's example client is 192.0.2.45 (documentation). */
    assert_false(routable("2001:0:4136:e378:8000:63bf:3fff:fdd2"));
    assert_true(routable("2001:0:4136:e378:8000:63bf:f7f7:fbfb")); /* 8.8.4.4 */
    /* RFC 6052 */
    assert_false(routable("64:ff9b::10.0.0.1"));
    assert_false(routable("64:ff9b::127.0.0.1"));
    assert_true(routable("64:ff9b::8.8.8.8"));
    /* RFC 6145 */
    assert_false(routable("::ffff:0:192.168.1.1"));
    assert_true(routable("::ffff:0:8.8.8.8"));
}

static void test_hand_built_cjdns_outside_fc_unroutable(void **state)
{
    am_addr a;
    (void)state;
    memset(&a, 0, sizeof(a));
    a.net = AM_NET_CJDNS;
    a.bytes[0] = 0xfd;
    assert_false(am_addr_is_routable(&a));
    a.net = 3;
    assert_false(am_addr_is_routable(&a));
}

/* ---- groups ------------------------------------------------------------- */

static void test_group_ipv4_is_slash16(void **state)
{
    (void)state;
    GROUP("1.2.3.4", 1, 1, 2);
    GROUP("8.8.200.201", 1, 8, 8);
    assert_true(same_group("1.2.3.4", "1.2.255.255"));
    assert_false(same_group("1.2.3.4", "1.3.3.4"));
}

static void test_group_ignores_port(void **state)
{
    (void)state;
    assert_true(same_group("1.2.3.4:1", "1.2.3.4:65535"));
    assert_true(same_group("[2001:4860::1]:1", "[2001:4860::1]:2"));
    assert_true(same_group(ONION_NAME ":1", ONION_NAME ":9"));
}

static void test_group_unroutable_is_class_zero_alone(void **state)
{
    (void)state;
    GROUP("2001:db8::1", 0);
    GROUP("2002:a00:1::", 0);
    GROUP("169.254.1.1", 0);
    assert_true(same_group("0.1.2.3", "fe80::1"));
}

static void test_group_local_is_class_zero_network_and_prefix(void **state)
{
    (void)state;
    GROUP("10.0.0.1", 0, 1, 10, 0);
    GROUP("127.0.0.1", 0, 1, 127, 0);
    GROUP("::1", 0, 2, 0, 0, 0, 0);
    GROUP("fd00::1", 0, 2, 0xfd, 0, 0, 0);
    assert_true(same_group("192.168.1.1", "192.168.200.7"));
    assert_false(same_group("192.168.1.1", "fe80::1"));
    assert_false(same_group("127.0.0.1", "127.1.0.1"));
}

static void test_group_ipv6_is_slash32(void **state)
{
    (void)state;
    GROUP("2001:4860:4860::8888", 2, 0x20, 0x01, 0x48, 0x60);
    assert_true(same_group("2001:4860::1", "2001:4860:ffff::1"));
    assert_false(same_group("2001:4860::1", "2001:4861::1"));
}

static void test_group_he_net_is_slash36(void **state)
{
    (void)state;
    GROUP("2001:470::1", 2, 0x20, 0x01, 0x04, 0x70, 0x00);
    GROUP("2001:470:1234:5678::1", 2, 0x20, 0x01, 0x04, 0x70, 0x10);
    GROUP("2001:470:ffff::", 2, 0x20, 0x01, 0x04, 0x70, 0xf0);
    assert_true(same_group("2001:470:1000::", "2001:470:1fff:ffff::"));
    assert_false(same_group("2001:470:1000::", "2001:470:2000::"));
    /* Next to he.net: ordinary /32. */
    GROUP("2001:471:1234::", 2, 0x20, 0x01, 0x04, 0x71);
}

static void test_group_embedded_ipv4_equals_plain_ipv4(void **state)
{
    (void)state;
    assert_true(same_group("2002:808:404::1", "8.8.4.4"));          /* 6to4 */
    assert_true(same_group("2001:0:4136:e378:8000:63bf:f7f7:fbfb",
                           "8.8.4.4"));                             /* Teredo */
    assert_true(same_group("64:ff9b::8.8.4.4", "8.8.4.4"));         /* 6052 */
    assert_true(same_group("::ffff:0:8.8.4.4", "8.8.4.4"));         /* 6145 */
    GROUP("2001:0:4136:e378:8000:63bf:f7f7:fbfb", 1, 8, 8);
    GROUP("2002:102:304::", 1, 1, 2);
    /* Teredo bits are inverted: the raw bytes are not the group. */
    assert_false(same_group("2001:0:4136:e378:8000:63bf:808:404", "8.8.4.4"));
}

static void test_group_hand_built_mapped_ipv6_equals_ipv4(void **state)
{
    uint8_t g[AM_GROUP_MAXLEN];
    am_addr a;
    (void)state;
    memset(&a, 0, sizeof(a));
    a.net = AM_NET_IPV6;
    a.bytes[10] = 0xff;
    a.bytes[11] = 0xff;
    a.bytes[12] = 9;
    a.bytes[13] = 9;
    a.bytes[14] = 1;
    assert_int_equal(am_addr_group(&a, g), 3);
    assert_memory_equal(g, "\x01\x09\x09", 3);
}

static void test_group_tor_and_i2p_use_four_bits(void **state)
{
    (void)state;
    GROUP(ONION_NAME, 4, 0x70);     /* key starts 0x79 */
    GROUP(I2P_NAME, 5, 0xa0);       /* hash starts 0xa2 */
    uint8_t key[32];
    memcpy(key, onion_key, 32);
    key[0] = 0x7f;
    key[1] ^= 0xff;
    am_addr a = from_bytes(AM_NET_TORV3, key, 32), b = host(ONION_NAME);
    uint8_t ga[AM_GROUP_MAXLEN], gb[AM_GROUP_MAXLEN];
    assert_int_equal(am_addr_group(&a, ga), 2);
    assert_int_equal(am_addr_group(&b, gb), 2);
    assert_memory_equal(ga, gb, 2);
    key[0] = 0x80;
    a = from_bytes(AM_NET_TORV3, key, 32);
    am_addr_group(&a, ga);
    assert_int_equal(ga[1], 0x80);
    /* Same bytes in I2P: another class, another group. */
    a = from_bytes(AM_NET_I2P, onion_key, 32);
    am_addr_group(&a, ga);
    assert_int_equal(ga[0], 5);
}

static void test_group_cjdns_uses_twelve_bits(void **state)
{
    (void)state;
    GROUP("fc00:1:2:3:4:5:6:7", 6, 0xfc, 0x00);
    GROUP("fc1f:22c3:95dc:a3af:4a93:8251:beb9:1858", 6, 0xfc, 0x10);
    GROUP("fcff::", 6, 0xfc, 0xf0);
    assert_true(same_group("fc10::", "fc1f:ffff::"));
    assert_false(same_group("fc10::", "fc20::"));
}

static void test_group_fits_maxlen(void **state)
{
    uint8_t g[AM_GROUP_MAXLEN];
    (void)state;
    am_addr a = host("2001:470:ffff:ffff::");
    assert_true(am_addr_group(&a, g) <= AM_GROUP_MAXLEN);
}

/* ---- subnets ------------------------------------------------------------ */

static am_subnet subnet(const char *text)
{
    am_subnet s;
    memset(&s, 0xa5, sizeof(s));
    ASSERT_RC(am_subnet_parse(&s, text), AM_OK);
    return s;
}

static void subnet_canon_at(const char *in, const char *want,
                            const char *file, int line)
{
    char buf[AM_ADDR_STRLEN + 8];
    am_subnet s, t;
    int rc = am_subnet_parse(&s, in);
    if (rc != AM_OK)
        fail_msg("%s:%d: subnet \"%s\": %s", file, line, in, am_strerror(rc));
    rc = am_subnet_format(&s, buf, sizeof(buf));
    if (rc != AM_OK || strcmp(buf, want) != 0)
        fail_msg("%s:%d: subnet \"%s\" formats as \"%s\", want \"%s\"", file,
                 line, in, rc == AM_OK ? buf : "(error)", want);
    /* The canonical text parses back to the same subnet. */
    rc = am_subnet_parse(&t, buf);
    if (rc != AM_OK || memcmp(&s, &t, sizeof(s)) != 0)
        fail_msg("%s:%d: \"%s\" does not parse back to itself", file, line,
                 buf);
}
#define SUBNET_CANON(in, want) subnet_canon_at((in), (want), __FILE__, __LINE__)

static void subnet_fails_at(const char *in, int want, const char *file,
                            int line)
{
    am_subnet s;
    int rc = am_subnet_parse(&s, in);
    if (rc != want)
        fail_msg("%s:%d: subnet \"%s\" returned %d (%s), want %d (%s)", file,
                 line, in, rc, am_strerror(rc), want, am_strerror(want));
}
#define SUBNET_FAILS(in, want) subnet_fails_at((in), (want), __FILE__, __LINE__)

static int in_subnet(const char *net, const char *addr)
{
    am_subnet s = subnet(net);
    am_addr a;
    ASSERT_RC(am_addr_parse(&a, addr, 8333), AM_OK);
    return am_subnet_contains(&s, &a);
}

static void test_subnet_single_address_forms(void **state)
{
    (void)state;
    SUBNET_CANON("1.2.3.4", "1.2.3.4");
    SUBNET_CANON("1.2.3.4/32", "1.2.3.4");
    SUBNET_CANON("2001:db8::1", "2001:db8::1");
    SUBNET_CANON("2001:db8::1/128", "2001:db8::1");
    SUBNET_CANON("[2001:db8::1]", "2001:db8::1");
    SUBNET_CANON("::ffff:1.2.3.4", "1.2.3.4");
    SUBNET_CANON(ONION_NAME, ONION_NAME);
    SUBNET_CANON(I2P_NAME, I2P_NAME);
    SUBNET_CANON("fc00::1", "fc00::1");
    am_subnet s = subnet("1.2.3.4/32");
    assert_true(am_subnet_is_single(&s));
    assert_int_equal(s.prefix, 32);
    assert_int_equal(s.base.port, 0);
    s = subnet(ONION_NAME);
    assert_true(am_subnet_is_single(&s));
    assert_int_equal(s.prefix, 256);
    s = subnet("fc00::1");
    assert_int_equal(s.base.net, AM_NET_CJDNS);
    assert_int_equal(s.prefix, 128);
}

static void test_subnet_host_bits_cleared(void **state)
{
    (void)state;
    SUBNET_CANON("1.2.3.77/24", "1.2.3.0/24");
    SUBNET_CANON("10.1.2.3/8", "10.0.0.0/8");
    SUBNET_CANON("1.2.3.255/31", "1.2.3.254/31");
    SUBNET_CANON("255.255.255.255/0", "0.0.0.0/0");
    SUBNET_CANON("2001:db8:1234::1/33", "2001:db8::/33");
    SUBNET_CANON("2001:db8:ffff::1/36", "2001:db8:f000::/36");
    SUBNET_CANON("2001:db8::/32", "2001:db8::/32");
    SUBNET_CANON("[2001:db8::]/48", "2001:db8::/48");
    SUBNET_CANON("ffff::/0", "::/0");
    am_subnet s = subnet("1.2.3.77/24");
    assert_memory_equal(s.base.bytes, "\x01\x02\x03\x00", 4);
    assert_false(am_subnet_is_single(&s));
    for (size_t i = 4; i < AM_ADDR_MAXLEN; i++)
        assert_int_equal(s.base.bytes[i], 0);
}

static void test_subnet_ipv6_special_ranges(void **state)
{
    (void)state;
    /* Mapped text with a prefix inside ::ffff:0:0/96 is an IPv4 subnet. */
    SUBNET_CANON("::ffff:1.2.3.0/120", "1.2.3.0/24");
    SUBNET_CANON("::ffff:0:0/96", "0.0.0.0/0");
    /* CJDNS subnets stay CJDNS while inside fc00::/8. */
    SUBNET_CANON("fc00::/8", "fc00::/8");
    assert_int_equal(subnet("fc12::/16").base.net, AM_NET_CJDNS);
    assert_int_equal(subnet("fc00::/7").base.net, AM_NET_IPV6);
    SUBNET_CANON("fd00::/7", "fc00::/7");
    SUBNET_FAILS("fd87:d87e:eb43::/48", AM_ERR_TORV2);
    SUBNET_FAILS("fd87:d87e:eb43::1", AM_ERR_TORV2);
    SUBNET_CANON("fd87:d87e::/32", "fd87:d87e::/32");
}

static void test_subnet_bad_prefix_rejected(void **state)
{
    (void)state;
    SUBNET_FAILS("1.2.3.4/33", AM_ERR_ADDR);
    SUBNET_FAILS("2001:db8::/129", AM_ERR_ADDR);
    SUBNET_FAILS("fc00::/129", AM_ERR_ADDR);
    SUBNET_FAILS("1.2.3.4/", AM_ERR_ADDR);
    SUBNET_FAILS("1.2.3.4/-1", AM_ERR_ADDR);
    SUBNET_FAILS("1.2.3.4/+8", AM_ERR_ADDR);
    SUBNET_FAILS("1.2.3.4/08", AM_ERR_ADDR);
    SUBNET_FAILS("1.2.3.4/8a", AM_ERR_ADDR);
    SUBNET_FAILS("1.2.3.4/8/8", AM_ERR_ADDR);
    SUBNET_FAILS("1.2.3.4/ 8", AM_ERR_ADDR);
    SUBNET_FAILS("1.2.3.4/4294967304", AM_ERR_ADDR);
    SUBNET_FAILS("1.2.3.4/255.255.255.0", AM_ERR_ADDR);
    SUBNET_FAILS(ONION_NAME "/256", AM_ERR_ADDR);
    SUBNET_FAILS(ONION_NAME "/4", AM_ERR_ADDR);
    SUBNET_FAILS(I2P_NAME "/8", AM_ERR_ADDR);
}

static void test_subnet_junk_rejected(void **state)
{
    am_subnet s;
    (void)state;
    SUBNET_FAILS("", AM_ERR_ADDR);
    SUBNET_FAILS("/8", AM_ERR_ADDR);
    SUBNET_FAILS("1.2.3/24", AM_ERR_ADDR);
    SUBNET_FAILS("1.2.3.4 /8", AM_ERR_ADDR);
    SUBNET_FAILS("[1.2.3.4]", AM_ERR_ADDR);
    SUBNET_FAILS("[1.2.3.4]/8", AM_ERR_ADDR);
    SUBNET_FAILS("[" ONION_NAME "]", AM_ERR_ADDR);
    SUBNET_FAILS("[2001:db8::]:8333", AM_ERR_ADDR);
    SUBNET_FAILS("1.2.3.4:8333", AM_ERR_ADDR);
    SUBNET_FAILS("2001:db8::/32 ", AM_ERR_ADDR);
    SUBNET_FAILS("hello/8", AM_ERR_ADDR);
    SUBNET_FAILS("expyuzz4wqqyqhjn.onion", AM_ERR_TORV2);
    ASSERT_RC(am_subnet_parse(&s, NULL), AM_ERR_INVAL);
    ASSERT_RC(am_subnet_parse(NULL, "1.2.3.4"), AM_ERR_INVAL);
}

static void test_subnet_contains_edges(void **state)
{
    (void)state;
    assert_true(in_subnet("10.0.0.0/8", "10.0.0.0"));
    assert_true(in_subnet("10.0.0.0/8", "10.255.255.255:1"));
    assert_false(in_subnet("10.0.0.0/8", "9.255.255.255"));
    assert_false(in_subnet("10.0.0.0/8", "11.0.0.0"));
    assert_true(in_subnet("1.2.3.128/25", "1.2.3.255"));
    assert_false(in_subnet("1.2.3.128/25", "1.2.3.127"));
    assert_true(in_subnet("0.0.0.0/0", "255.255.255.255"));
    assert_false(in_subnet("0.0.0.0/0", "::1"));            /* other network */
    assert_true(in_subnet("1.2.3.4", "1.2.3.4:8333"));      /* port ignored */
    assert_false(in_subnet("1.2.3.4", "1.2.3.5"));
    assert_true(in_subnet("2001:db8::/32", "[2001:db8:ffff::1]:1"));
    assert_false(in_subnet("2001:db8::/32", "2001:db9::"));
    assert_false(in_subnet("2001:db8::/33", "2001:db8:8000::"));
    assert_true(in_subnet("2001:db8::/33", "2001:db8:7fff::"));
    assert_true(in_subnet("::/0", "2001:4860::1"));
    assert_false(in_subnet("::/0", "fc00::1"));             /* CJDNS */
    assert_false(in_subnet("::/0", "1.2.3.4"));
    assert_true(in_subnet("fc00::/8", "fc12::1"));
    assert_true(in_subnet("::ffff:1.2.3.0/120", "1.2.3.99"));
    assert_true(in_subnet(ONION_NAME, ONION_NAME ":8333"));
    assert_false(in_subnet(ONION_NAME, I2P_NAME));
    assert_true(in_subnet(I2P_NAME, I2P_NAME ":0"));
}

static void test_subnet_format_checks_struct(void **state)
{
    char buf[AM_ADDR_STRLEN + 8];
    (void)state;
    am_subnet s = subnet("1.2.3.0/24");
    ASSERT_RC(am_subnet_format(&s, buf, 10), AM_ERR_INVAL);     /* needs 11 */
    ASSERT_RC(am_subnet_format(&s, buf, 11), AM_OK);
    assert_string_equal(buf, "1.2.3.0/24");
    s.prefix = 33;
    ASSERT_RC(am_subnet_format(&s, buf, sizeof(buf)), AM_ERR_INVAL);
    assert_false(am_subnet_is_single(&s));
    am_addr a = host("1.2.3.4");
    assert_false(am_subnet_contains(&s, &a));
    s = subnet(ONION_NAME);
    s.prefix = 8;
    ASSERT_RC(am_subnet_format(&s, buf, sizeof(buf)), AM_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_net_lengths_and_names),
        cmocka_unit_test(test_net_from_name_is_exact),
        cmocka_unit_test(test_ipv4_round_trip),
        cmocka_unit_test(test_ipv4_octet_over_255_rejected),
        cmocka_unit_test(test_ipv4_leading_zero_rejected),
        cmocka_unit_test(test_ipv4_wrong_octet_count_rejected),
        cmocka_unit_test(test_ipv4_junk_rejected),
        cmocka_unit_test(test_garbage_rejected),
        cmocka_unit_test(test_ipv6_rfc5952_longest_zero_run_shortened),
        cmocka_unit_test(test_ipv6_rfc5952_first_run_wins_tie),
        cmocka_unit_test(test_ipv6_rfc5952_single_zero_group_not_shortened),
        cmocka_unit_test(test_ipv6_rfc5952_lower_case_no_leading_zeros),
        cmocka_unit_test(test_ipv6_unspecified_is_double_colon),
        cmocka_unit_test(test_ipv6_loopback_is_double_colon_one),
        cmocka_unit_test(test_ipv6_embedded_ipv4_input_accepted),
        cmocka_unit_test(test_ipv6_two_double_colons_rejected),
        cmocka_unit_test(test_ipv6_more_than_eight_groups_rejected),
        cmocka_unit_test(test_ipv6_too_few_groups_rejected),
        cmocka_unit_test(test_ipv6_group_over_four_hex_digits_rejected),
        cmocka_unit_test(test_ipv6_junk_rejected),
        cmocka_unit_test(test_ipv4_mapped_text_becomes_ipv4),
        cmocka_unit_test(test_onioncat_text_is_torv2),
        cmocka_unit_test(test_cjdns_text_detected),
        cmocka_unit_test(test_torv3_vector_round_trip),
        cmocka_unit_test(test_torv3_upper_case_accepted),
        cmocka_unit_test(test_torv3_bad_checksum_rejected),
        cmocka_unit_test(test_torv3_wrong_version_rejected),
        cmocka_unit_test(test_torv3_bad_base32_chars_rejected),
        cmocka_unit_test(test_torv3_wrong_length_rejected),
        cmocka_unit_test(test_torv2_name_rejected),
        cmocka_unit_test(test_i2p_vector_round_trip),
        cmocka_unit_test(test_i2p_invalid_names_rejected),
        cmocka_unit_test(test_endpoint_ports_parsed),
        cmocka_unit_test(test_bare_ipv6_never_carries_port),
        cmocka_unit_test(test_port_over_65535_rejected),
        cmocka_unit_test(test_endpoint_junk_rejected),
        cmocka_unit_test(test_format_endpoint_brackets_ipv6_and_cjdns),
        cmocka_unit_test(test_format_buffer_too_small_is_inval),
        cmocka_unit_test(test_longest_texts_fit_strlen),
        cmocka_unit_test(test_nodes_main_round_trip),
        cmocka_unit_test(test_from_bytes_applies_bip155_rules),
        cmocka_unit_test(test_wire_ipv6_in_fc00_stays_ipv6),
        cmocka_unit_test(test_addr_eq_compares_port_host_eq_does_not),
        cmocka_unit_test(test_public_addresses_routable),
        cmocka_unit_test(test_ipv4_zero_and_loopback_unroutable),
        cmocka_unit_test(test_rfc1918_unroutable_edges),
        cmocka_unit_test(test_rfc2544_unroutable_edges),
        cmocka_unit_test(test_rfc3927_unroutable_edges),
        cmocka_unit_test(test_rfc6598_unroutable_edges),
        cmocka_unit_test(test_rfc5737_unroutable_edges),
        cmocka_unit_test(test_ipv4_multicast_and_reserved_unroutable),
        cmocka_unit_test(test_ipv6_unspecified_and_loopback_unroutable),
        cmocka_unit_test(test_rfc3849_unroutable_edges),
        cmocka_unit_test(test_rfc4193_unroutable_edges),
        cmocka_unit_test(test_orchid_rfc4843_rfc7343_unroutable_edges),
        cmocka_unit_test(test_rfc4862_link_local_unroutable_edges),
        cmocka_unit_test(test_ipv6_multicast_unroutable),
        cmocka_unit_test(test_embedded_ipv4_routability_follows_ipv4),
        cmocka_unit_test(test_hand_built_cjdns_outside_fc_unroutable),
        cmocka_unit_test(test_group_ipv4_is_slash16),
        cmocka_unit_test(test_group_ignores_port),
        cmocka_unit_test(test_group_unroutable_is_class_zero_alone),
        cmocka_unit_test(test_group_local_is_class_zero_network_and_prefix),
        cmocka_unit_test(test_group_ipv6_is_slash32),
        cmocka_unit_test(test_group_he_net_is_slash36),
        cmocka_unit_test(test_group_embedded_ipv4_equals_plain_ipv4),
        cmocka_unit_test(test_group_hand_built_mapped_ipv6_equals_ipv4),
        cmocka_unit_test(test_group_tor_and_i2p_use_four_bits),
        cmocka_unit_test(test_group_cjdns_uses_twelve_bits),
        cmocka_unit_test(test_group_fits_maxlen),
        cmocka_unit_test(test_subnet_single_address_forms),
        cmocka_unit_test(test_subnet_host_bits_cleared),
        cmocka_unit_test(test_subnet_ipv6_special_ranges),
        cmocka_unit_test(test_subnet_bad_prefix_rejected),
        cmocka_unit_test(test_subnet_junk_rejected),
        cmocka_unit_test(test_i2p_without_port_gets_port_0),
        cmocka_unit_test(test_port_0_usable_only_for_i2p),
        cmocka_unit_test(test_parse_says_what_is_wrong),
        cmocka_unit_test(test_subnet_contains_edges),
        cmocka_unit_test(test_subnet_format_checks_struct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
