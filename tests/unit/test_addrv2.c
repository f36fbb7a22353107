/*
 * test_addrv2.c - the BIP155 addrv2 payload codec and CompactSize
 * (core/addrv2.c), with the vectors of ADDRMAN-NOTES.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrv2.h"
#include "am_error.h"
#include "netaddr.h"

/* Every wrapped vector uses these entry fields around the address part. */
#define W_TIME_HEX "00e1f505"           /* 100000000, little endian */
#define W_TIME 100000000u
#define W_SERVICES_HEX "fd0904"         /* 0x0409 = NETWORK|WITNESS|LIMITED */
#define W_SERVICES 0x0409u
#define W_PORT_HEX "208d"               /* 8333, big endian */
#define W_PORT 8333

#define ONION_NAME "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
#define I2P_NAME "ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p"

/* The address parts of BIP155's vectors (Bitcoin Core's tests). */
#define V_IPV4 "010401020304"
#define V_IPV6 "02101a1b2a2b3a3b4a4b5a5b6a6b7a7b8a8b"
#define V_TORV3 "042079bcc625184b05194975c28b66b66b0469f7f6556fb1ac3189a79b40dda32f1f"
#define V_I2P "0520a2894dabaec08c0051a481a6dac88b64f98232ae42d4b6fd2fa81952dfe36a87"
#define V_CJDNS "0610fc000001000200030004000500060007"
#define V_MAPPED "021000000000000000000000ffff01020304"
#define V_ONIONCAT "0210fd87d87eeb430102030405060708090a"
#define V_TORV2 "030af1f2f3f4f5f6f7f8f9fa"
#define V_CJDNS_BAD "0610aa000001000200030004000500060007"
#define V_UNKNOWN "aa0401020304"

/* ---- helpers ------------------------------------------------------------ */

static void rc_at(int got, int want, const char *what, const char *file,
                  int line)
{
    if (got != want)
        fail_msg("%s:%d: %s returned %d (%s), expected %d (%s)", file, line,
                 what, got, am_strerror(got), want, am_strerror(want));
}
#define ASSERT_RC(expr, want) rc_at((expr), (want), #expr, __FILE__, __LINE__)

/* A heap copy of exactly the decoded bytes, so ASan sees any over-read. */
static uint8_t *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    uint8_t *b;
    assert_int_equal(n % 2, 0);
    b = malloc(n / 2 ? n / 2 : 1);
    assert_non_null(b);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        b[i] = (uint8_t)v;
    }
    *len = n / 2;
    return b;
}

/* count | time | services | entry | port, as hex, for one address part. */
static char *wrap1(const char *addr_hex)
{
    size_t n = strlen(addr_hex) + 64;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "01" W_TIME_HEX W_SERVICES_HEX "%s" W_PORT_HEX, addr_hex);
    return s;
}

/* Decode a wrapped single-entry vector; returns the decoder's code. */
static int decode1(const char *addr_hex, am_addrv2_entry *e, size_t *n)
{
    am_addrv2_entry out[2];
    size_t len;
    char *hex = wrap1(addr_hex);
    uint8_t *buf = unhex(hex, &len);
    int rc;
    *n = 99;
    rc = am_addrv2_decode(buf, len, out, 2, n);
    if (rc == AM_OK && *n == 1)
        *e = out[0];
    free(buf);
    free(hex);
    return rc;
}

static am_addrv2_entry decode_ok(const char *addr_hex)
{
    am_addrv2_entry e;
    size_t n;
    ASSERT_RC(decode1(addr_hex, &e, &n), AM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(e.time, W_TIME);
    assert_int_equal(e.services, W_SERVICES);
    return e;
}

static void decode_fails_at(const char *addr_hex, int want, const char *file,
                            int line)
{
    am_addrv2_entry e;
    size_t n;
    int rc = decode1(addr_hex, &e, &n);
    if (rc != want)
        fail_msg("%s:%d: %s: %d (%s), expected %d (%s)", file, line, addr_hex,
                 rc, am_strerror(rc), want, am_strerror(want));
    if (n != 0)
        fail_msg("%s:%d: %s: failed decode left n_out %zu", file, line,
                 addr_hex, n);
}
#define DECODE_FAILS(hex, want) decode_fails_at((hex), (want), __FILE__, __LINE__)

static void assert_text(const am_addr *a, const char *want)
{
    char buf[AM_ADDR_STRLEN];
    ASSERT_RC(am_addr_format(a, buf, sizeof(buf)), AM_OK);
    assert_string_equal(buf, want);
}

static am_addrv2_entry entry_of(const char *endpoint, uint32_t time,
                                uint64_t services)
{
    am_addrv2_entry e;
    memset(&e, 0, sizeof(e));
    ASSERT_RC(am_addr_parse(&e.addr, endpoint, 8333), AM_OK);
    e.time = time;
    e.services = services;
    e.net_id = e.addr.net;
    return e;
}

/* ---- CompactSize -------------------------------------------------------- */

static void test_compactsize_round_trip_at_boundaries(void **state)
{
    static const struct { uint64_t v; size_t size; } cases[] = {
        {0, 1}, {1, 1}, {0xfc, 1}, {0xfd, 3}, {0xff, 3}, {0xffff, 3},
        {0x10000, 5}, {0xffffffff, 5}, {UINT64_C(0x100000000), 9},
        {UINT64_MAX, 9},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t buf[9];
        uint64_t v = 12345;
        size_t pos = 0;
        size_t n = am_compactsize_write(buf, sizeof(buf), cases[i].v);
        assert_int_equal(n, cases[i].size);
        ASSERT_RC(am_compactsize_read(buf, n, &pos, &v), AM_OK);
        assert_int_equal(pos, n);
        assert_true(v == cases[i].v);
    }
}

static void test_compactsize_encoding_bytes(void **state)
{
    uint8_t buf[9];
    (void)state;
    assert_int_equal(am_compactsize_write(buf, 9, 0xfc), 1);
    assert_memory_equal(buf, "\xfc", 1);
    assert_int_equal(am_compactsize_write(buf, 9, 0xfd), 3);
    assert_memory_equal(buf, "\xfd\xfd\x00", 3);
    assert_int_equal(am_compactsize_write(buf, 9, 0x12345), 5);
    assert_memory_equal(buf, "\xfe\x45\x23\x01\x00", 5);
    assert_int_equal(am_compactsize_write(buf, 9, UINT64_C(0x0102030405060708)), 9);
    assert_memory_equal(buf, "\xff\x08\x07\x06\x05\x04\x03\x02\x01", 9);
}

static void test_compactsize_write_cap_too_small_returns_zero(void **state)
{
    uint8_t buf[9];
    (void)state;
    assert_int_equal(am_compactsize_write(buf, 0, 1), 0);
    assert_int_equal(am_compactsize_write(buf, 2, 0xfd), 0);
    assert_int_equal(am_compactsize_write(buf, 4, 0x10000), 0);
    assert_int_equal(am_compactsize_write(buf, 8, UINT64_MAX), 0);
    assert_int_equal(am_compactsize_write(buf, 3, 0xfd), 3);
}

static void test_compactsize_non_canonical_is_malformed(void **state)
{
    static const char *bad[] = {
        "fd0000", "fdfc00", "fe00000000", "feffff0000",
        "ff0000000000000000", "ffffffffff00000000",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t len, pos = 0;
        uint64_t v = 7;
        uint8_t *b = unhex(bad[i], &len);
        ASSERT_RC(am_compactsize_read(b, len, &pos, &v), AM_ERR_MALFORMED);
        assert_int_equal(pos, 0);       /* not advanced on error */
        assert_int_equal(v, 7);
        free(b);
    }
}

static void test_compactsize_truncated(void **state)
{
    static const char *cut[] = {"", "fd", "fdff", "fe000001", "ff00000000000001"};
    (void)state;
    for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
        size_t len, pos = 0;
        uint64_t v;
        uint8_t *b = unhex(cut[i], &len);
        ASSERT_RC(am_compactsize_read(b, len, &pos, &v), AM_ERR_TRUNCATED);
        assert_int_equal(pos, 0);
        free(b);
    }
}

static void test_compactsize_reads_at_offset(void **state)
{
    static const uint8_t buf[] = {0xaa, 0xfd, 0x00, 0x01, 0x05};
    size_t pos = 1;
    uint64_t v;
    (void)state;
    ASSERT_RC(am_compactsize_read(buf, sizeof(buf), &pos, &v), AM_OK);
    assert_int_equal(v, 0x100);
    assert_int_equal(pos, 4);
    ASSERT_RC(am_compactsize_read(buf, sizeof(buf), &pos, &v), AM_OK);
    assert_int_equal(v, 5);
    ASSERT_RC(am_compactsize_read(buf, sizeof(buf), &pos, &v), AM_ERR_TRUNCATED);
}

/* ---- BIP155 vectors: valid ---------------------------------------------- */

static void test_vector_ipv4_decodes(void **state)
{
    (void)state;
    am_addrv2_entry e = decode_ok(V_IPV4);
    ASSERT_RC(e.status, AM_OK);
    assert_int_equal(e.net_id, 1);
    assert_int_equal(e.addr.net, AM_NET_IPV4);
    assert_int_equal(e.addr.port, W_PORT);
    assert_text(&e.addr, "1.2.3.4");
}

static void test_vector_ipv6_decodes(void **state)
{
    (void)state;
    am_addrv2_entry e = decode_ok(V_IPV6);
    ASSERT_RC(e.status, AM_OK);
    assert_int_equal(e.addr.net, AM_NET_IPV6);
    assert_int_equal(e.addr.port, W_PORT);
    assert_text(&e.addr, "1a1b:2a2b:3a3b:4a4b:5a5b:6a6b:7a7b:8a8b");
}

static void test_vector_torv3_decodes(void **state)
{
    (void)state;
    am_addrv2_entry e = decode_ok(V_TORV3);
    ASSERT_RC(e.status, AM_OK);
    assert_int_equal(e.addr.net, AM_NET_TORV3);
    assert_text(&e.addr, ONION_NAME);
}

static void test_vector_i2p_decodes(void **state)
{
    (void)state;
    am_addrv2_entry e = decode_ok(V_I2P);
    ASSERT_RC(e.status, AM_OK);
    assert_int_equal(e.addr.net, AM_NET_I2P);
    assert_text(&e.addr, I2P_NAME);
}

static void test_vector_cjdns_decodes(void **state)
{
    (void)state;
    am_addrv2_entry e = decode_ok(V_CJDNS);
    ASSERT_RC(e.status, AM_OK);
    assert_int_equal(e.addr.net, AM_NET_CJDNS);
    assert_text(&e.addr, "fc00:1:2:3:4:5:6:7");
}

static void test_wire_ipv6_in_fc00_stays_ipv6(void **state)
{
    (void)state;
    am_addrv2_entry e = decode_ok("0210fc000001000200030004000500060007");
    ASSERT_RC(e.status, AM_OK);
    assert_int_equal(e.net_id, 2);
    assert_int_equal(e.addr.net, AM_NET_IPV6);
    assert_false(am_addr_is_routable(&e.addr));
}

/* ---- BIP155 vectors: decode but unusable --------------------------------- */

static void unusable_at(const char *hex, int net_id, int status,
                        const char *file, int line)
{
    am_addrv2_entry e = decode_ok(hex);
    am_addr zero;
    memset(&zero, 0, sizeof(zero));
    if (e.status != status || e.net_id != net_id)
        fail_msg("%s:%d: %s: status %d net %d, want status %d net %d", file,
                 line, hex, e.status, e.net_id, status, net_id);
    if (memcmp(&e.addr, &zero, sizeof(zero)) != 0)
        fail_msg("%s:%d: unusable entry carries an address", file, line);
}
#define UNUSABLE(hex, net, st) unusable_at((hex), (net), (st), __FILE__, __LINE__)

static void test_vector_ipv4_mapped_ipv6_is_addr_error(void **state)
{
    (void)state;
    UNUSABLE(V_MAPPED, 2, AM_ERR_ADDR);
}

static void test_vector_onioncat_is_torv2(void **state)
{
    (void)state;
    UNUSABLE(V_ONIONCAT, 2, AM_ERR_TORV2);
}

static void test_vector_torv2_is_torv2(void **state)
{
    (void)state;
    UNUSABLE(V_TORV2, 3, AM_ERR_TORV2);
}

static void test_vector_cjdns_outside_fc_is_addr_error(void **state)
{
    (void)state;
    UNUSABLE(V_CJDNS_BAD, 6, AM_ERR_ADDR);
}

static void test_vector_unknown_network_skipped(void **state)
{
    (void)state;
    UNUSABLE(V_UNKNOWN, 0xaa, AM_ERR_UNKNOWN_NET);
    /* Unknown networks may use any length up to 512, even zero. */
    UNUSABLE("0700", 7, AM_ERR_UNKNOWN_NET);
    UNUSABLE("0000", 0, AM_ERR_UNKNOWN_NET);
}

static void test_unknown_network_with_512_bytes_skipped(void **state)
{
    char hex[2 * 520 + 1] = "abfd0002";
    am_addrv2_entry e;
    size_t n;
    (void)state;
    for (size_t i = 0; i < 512; i++)
        memcpy(hex + 8 + 2 * i, "5a", 3);
    ASSERT_RC(decode1(hex, &e, &n), AM_OK);
    assert_int_equal(n, 1);
    ASSERT_RC(e.status, AM_ERR_UNKNOWN_NET);
    assert_int_equal(e.net_id, 0xab);
}

/* ---- BIP155 vectors: malformed ------------------------------------------ */

static void test_vector_truncated_address_is_truncated(void **state)
{
    size_t len, n = 9;
    am_addrv2_entry out[1];
    (void)state;
    /* As a whole payload that ends inside the address bytes. */
    uint8_t *b = unhex("01" W_TIME_HEX W_SERVICES_HEX "01040102", &len);
    ASSERT_RC(am_addrv2_decode(b, len, out, 1, &n), AM_ERR_TRUNCATED);
    assert_int_equal(n, 0);
    free(b);
    /* Wrapped (the port bytes then stand in for address bytes). */
    DECODE_FAILS("01040102", AM_ERR_TRUNCATED);
}

static void test_vector_known_network_wrong_length_is_malformed(void **state)
{
    (void)state;
    DECODE_FAILS("010501020304", AM_ERR_MALFORMED);
    DECODE_FAILS("020400", AM_ERR_MALFORMED);
    DECODE_FAILS("040000", AM_ERR_MALFORMED);
    DECODE_FAILS("050300", AM_ERR_MALFORMED);
    DECODE_FAILS("060100", AM_ERR_MALFORMED);
    DECODE_FAILS("0103010203", AM_ERR_MALFORMED);
}

static void test_vector_address_over_512_bytes_is_malformed(void **state)
{
    (void)state;
    DECODE_FAILS("01fd010201020304", AM_ERR_MALFORMED);
    DECODE_FAILS("aafe0000000201020304050607", AM_ERR_MALFORMED);
    DECODE_FAILS("aafd0102", AM_ERR_MALFORMED);          /* unknown net, 513 */
    DECODE_FAILS("aaffffffffffffffffff", AM_ERR_MALFORMED);
}

static void test_torv2_id_with_other_length_is_malformed(void **state)
{
    (void)state;
    DECODE_FAILS("030bf1f2f3f4f5f6f7f8f9fafb", AM_ERR_MALFORMED);
    DECODE_FAILS("0309f1f2f3f4f5f6f7f8f9", AM_ERR_MALFORMED);
    DECODE_FAILS("0320" "00000000000000000000000000000000"
                 "00000000000000000000000000000000", AM_ERR_MALFORMED);
}

static void test_non_canonical_compactsize_in_payload_is_malformed(void **state)
{
    static const char *bad[] = {
        /* count 5 as fd 05 00 */
        "fd0500" W_TIME_HEX "01" V_IPV4 W_PORT_HEX,
        /* count 1 as fe 01 00 00 00 */
        "fe01000000" W_TIME_HEX "01" V_IPV4 W_PORT_HEX,
        /* services 1 as fd 01 00 */
        "01" W_TIME_HEX "fd0100" V_IPV4 W_PORT_HEX,
        /* services as ff with a value below 2^32 */
        "01" W_TIME_HEX "ff0100000000000000" V_IPV4 W_PORT_HEX,
        /* address length 4 as fd 04 00 */
        "01" W_TIME_HEX "01" "01fd0400" "01020304" W_PORT_HEX,
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t len, n = 9;
        am_addrv2_entry out[8];
        uint8_t *b = unhex(bad[i], &len);
        ASSERT_RC(am_addrv2_decode(b, len, out, 8, &n), AM_ERR_MALFORMED);
        assert_int_equal(n, 0);
        free(b);
    }
}

static void test_trailing_bytes_are_malformed(void **state)
{
    char hex[256];
    size_t len, n = 9;
    am_addrv2_entry out[2];
    (void)state;
    snprintf(hex, sizeof(hex), "01" W_TIME_HEX "01" V_IPV4 W_PORT_HEX "00");
    uint8_t *b = unhex(hex, &len);
    ASSERT_RC(am_addrv2_decode(b, len, out, 2, &n), AM_ERR_MALFORMED);
    assert_int_equal(n, 0);
    /* Without the extra byte the same payload is fine. */
    ASSERT_RC(am_addrv2_decode(b, len - 1, out, 2, &n), AM_OK);
    assert_int_equal(n, 1);
    free(b);
    /* An empty message followed by a byte. */
    b = unhex("0000", &len);
    ASSERT_RC(am_addrv2_decode(b, len, out, 2, &n), AM_ERR_MALFORMED);
    free(b);
}

static void test_empty_payload_truncated_zero_count_ok(void **state)
{
    am_addrv2_entry out[1];
    size_t n = 9;
    uint8_t zero = 0;
    (void)state;
    ASSERT_RC(am_addrv2_decode(&zero, 0, out, 1, &n), AM_ERR_TRUNCATED);
    assert_int_equal(n, 0);
    ASSERT_RC(am_addrv2_decode(&zero, 1, out, 1, &n), AM_OK);
    assert_int_equal(n, 0);
    ASSERT_RC(am_addrv2_decode(&zero, 1, NULL, 0, &n), AM_OK);
    ASSERT_RC(am_addrv2_decode(&zero, 1, out, 1, NULL), AM_ERR_INVAL);
}

/* ---- counts ------------------------------------------------------------- */

/* A payload of `count` IPv4 entries (the count field says `claimed`). */
static uint8_t *many(size_t claimed, size_t count, size_t *len)
{
    size_t cap = 9 + count * 13, pos;
    uint8_t *b = malloc(cap);
    assert_non_null(b);
    pos = am_compactsize_write(b, cap, claimed);
    for (size_t i = 0; i < count; i++) {
        static const uint8_t e[13] = {0, 0xe1, 0xf5, 0x05, 0x01, 0x01, 0x04,
                                      8, 8, 0, 0, 0x20, 0x8d};
        memcpy(b + pos, e, sizeof(e));
        b[pos + 9] = (uint8_t)(i >> 8);
        b[pos + 10] = (uint8_t)i;
        pos += sizeof(e);
    }
    *len = pos;
    return b;
}

static void test_1000_entries_accepted(void **state)
{
    am_addrv2_entry *out = calloc(AM_ADDRV2_MAX_ENTRIES, sizeof(*out));
    size_t len, n = 0;
    (void)state;
    uint8_t *b = many(1000, 1000, &len);
    ASSERT_RC(am_addrv2_decode(b, len, out, AM_ADDRV2_MAX_ENTRIES, &n), AM_OK);
    assert_int_equal(n, 1000);
    for (size_t i = 0; i < n; i++) {
        ASSERT_RC(out[i].status, AM_OK);
        assert_int_equal(out[i].addr.bytes[2], (uint8_t)(i >> 8));
        assert_int_equal(out[i].addr.bytes[3], (uint8_t)i);
    }
    free(b);
    free(out);
}

static void test_1001_entries_too_many(void **state)
{
    am_addrv2_entry *out = calloc(AM_ADDRV2_MAX_ENTRIES + 1, sizeof(*out));
    size_t len, n = 9;
    (void)state;
    uint8_t *b = many(1001, 1001, &len);
    ASSERT_RC(am_addrv2_decode(b, len, out, AM_ADDRV2_MAX_ENTRIES + 1, &n),
              AM_ERR_TOOMANY);
    assert_int_equal(n, 0);
    free(b);
    /* A huge claimed count is refused before anything is read. */
    b = many(UINT64_MAX, 0, &len);
    ASSERT_RC(am_addrv2_decode(b, len, out, AM_ADDRV2_MAX_ENTRIES, &n),
              AM_ERR_TOOMANY);
    free(b);
    free(out);
}

static void test_count_over_cap_too_many(void **state)
{
    am_addrv2_entry out[3];
    size_t len, n = 9;
    (void)state;
    uint8_t *b = many(4, 4, &len);
    ASSERT_RC(am_addrv2_decode(b, len, out, 3, &n), AM_ERR_TOOMANY);
    assert_int_equal(n, 0);
    free(b);
}

/* ---- mixed messages, round trips, truncation ----------------------------- */

/* One entry of every kind the decoder knows, with varied fields. */
static char *mixed_payload_hex(void)
{
    static const char *parts[] = {
        V_IPV4, V_IPV6, V_TORV3, V_I2P, V_CJDNS, V_MAPPED, V_ONIONCAT,
        V_TORV2, V_CJDNS_BAD, V_UNKNOWN, "0700",
    };
    static const char *services[] = {
        "00", "01", "fc", "fdfd00", "fe00000100", "ff0000000001000000",
        "fd0904", "01", "00", "ffffffffffffffffff", "00",
    };
    size_t cap = 4096, used;
    char *s = malloc(cap);
    assert_non_null(s);
    used = (size_t)snprintf(s, cap, "0b");
    for (size_t i = 0; i < 11; i++)
        used += (size_t)snprintf(s + used, cap - used, "%02x000000%s%s%04x",
                                 (unsigned)i, services[i], parts[i],
                                 (unsigned)(1000 + i));
    assert_true(used < cap);
    return s;
}

static void test_mixed_message_reports_every_entry_in_order(void **state)
{
    static const int status[] = {
        AM_OK, AM_OK, AM_OK, AM_OK, AM_OK, AM_ERR_ADDR, AM_ERR_TORV2,
        AM_ERR_TORV2, AM_ERR_ADDR, AM_ERR_UNKNOWN_NET, AM_ERR_UNKNOWN_NET,
    };
    static const uint8_t net_id[] = {1, 2, 4, 5, 6, 2, 2, 3, 6, 0xaa, 7};
    static const uint64_t services[] = {
        0, 1, 0xfc, 0xfd, 0x10000, UINT64_C(0x100000000), 0x409, 1, 0,
        UINT64_MAX, 0,
    };
    am_addrv2_entry out[AM_ADDRV2_MAX_ENTRIES];
    size_t len, n = 0;
    char *hex = mixed_payload_hex();
    uint8_t *b = unhex(hex, &len);
    (void)state;
    ASSERT_RC(am_addrv2_decode(b, len, out, AM_ADDRV2_MAX_ENTRIES, &n), AM_OK);
    assert_int_equal(n, 11);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].time, i);
        assert_true(out[i].services == services[i]);
        assert_int_equal(out[i].net_id, net_id[i]);
        ASSERT_RC(out[i].status, status[i]);
        if (status[i] == AM_OK) {
            assert_int_equal(out[i].addr.net, net_id[i]);
            assert_int_equal(out[i].addr.port, 1000 + i);
        }
    }
    free(b);
    free(hex);
}

/* Every proper prefix of a valid payload fails cleanly, never reads past. */
static void test_truncation_at_every_offset_fails(void **state)
{
    am_addrv2_entry out[16];
    size_t len;
    char *hex = mixed_payload_hex();
    uint8_t *full = unhex(hex, &len);
    (void)state;
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *b = malloc(cut ? cut : 1);
        size_t n = 9;
        assert_non_null(b);
        memcpy(b, full, cut);
        int rc = am_addrv2_decode(b, cut, out, 16, &n);
        if (rc != AM_ERR_TRUNCATED)
            fail_msg("cut at %zu of %zu: %d (%s)", cut, len, rc,
                     am_strerror(rc));
        assert_int_equal(n, 0);
        free(b);
    }
    free(full);
    free(hex);
}

static void test_encode_decode_round_trip(void **state)
{
    am_addrv2_entry in[6], out[6];
    uint8_t buf[AM_ADDRV2_MAX_ENTRY_SIZE * 6 + 3];
    size_t len = 0, n = 0;
    (void)state;
    in[0] = entry_of("1.2.3.4:8333", 1, 0);
    in[1] = entry_of("[2001:db8::1]:1", 0xffffffffu, UINT64_MAX);
    in[2] = entry_of(ONION_NAME ":65535", 1700000000, 0x409);
    in[3] = entry_of(I2P_NAME ":0", 2, 0xfd);
    in[4] = entry_of("[fc00:1:2:3:4:5:6:7]:8333", 3, 0x10000);
    in[5] = entry_of("8.8.8.8:0", 0, 0xffffffff);
    ASSERT_RC(am_addrv2_encode(in, 6, buf, sizeof(buf), &len), AM_OK);
    ASSERT_RC(am_addrv2_decode(buf, len, out, 6, &n), AM_OK);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < 6; i++) {
        ASSERT_RC(out[i].status, AM_OK);
        assert_int_equal(out[i].time, in[i].time);
        assert_true(out[i].services == in[i].services);
        assert_int_equal(out[i].net_id, in[i].addr.net);
        assert_true(am_addr_eq(&out[i].addr, &in[i].addr));
        assert_memory_equal(&out[i].addr, &in[i].addr, sizeof(am_addr));
    }
}

static void test_encode_produces_bip155_bytes(void **state)
{
    am_addrv2_entry e = entry_of("1.2.3.4:8333", W_TIME, W_SERVICES);
    uint8_t buf[64];
    size_t len = 0, want_len;
    char *hex = wrap1(V_IPV4);
    uint8_t *want = unhex(hex, &want_len);
    (void)state;
    ASSERT_RC(am_addrv2_encode(&e, 1, buf, sizeof(buf), &len), AM_OK);
    assert_int_equal(len, want_len);
    assert_memory_equal(buf, want, len);
    free(want);
    free(hex);
    /* Decoding the vectors and encoding them again gives the same bytes. */
    const char *vectors[] = {V_IPV6, V_TORV3, V_I2P, V_CJDNS};
    for (size_t i = 0; i < 4; i++) {
        hex = wrap1(vectors[i]);
        want = unhex(hex, &want_len);
        am_addrv2_entry d;
        size_t n;
        ASSERT_RC(am_addrv2_decode(want, want_len, &d, 1, &n), AM_OK);
        ASSERT_RC(am_addrv2_encode(&d, 1, buf, sizeof(buf), &len), AM_OK);
        assert_int_equal(len, want_len);
        assert_memory_equal(buf, want, len);
        free(want);
        free(hex);
    }
}

static void test_encode_ignores_status_and_net_id(void **state)
{
    am_addrv2_entry e = entry_of("1.2.3.4:8333", 0, 0), d;
    uint8_t buf[64];
    size_t len, n;
    (void)state;
    e.status = AM_ERR_ADDR;
    e.net_id = 0xaa;
    ASSERT_RC(am_addrv2_encode(&e, 1, buf, sizeof(buf), &len), AM_OK);
    ASSERT_RC(am_addrv2_decode(buf, len, &d, 1, &n), AM_OK);
    ASSERT_RC(d.status, AM_OK);
    assert_int_equal(d.net_id, AM_NET_IPV4);
}

static void test_encode_rejects_bad_input_and_small_buffers(void **state)
{
    am_addrv2_entry e = entry_of(ONION_NAME ":1", 0, UINT64_MAX);
    uint8_t buf[AM_ADDRV2_MAX_ENTRY_SIZE + 3];
    size_t len = 77, exact;
    (void)state;
    ASSERT_RC(am_addrv2_encode(&e, 1, buf, sizeof(buf), &exact), AM_OK);
    assert_int_equal(exact, 1 + AM_ADDRV2_MAX_ENTRY_SIZE);
    for (size_t cap = 0; cap < exact; cap++)
        ASSERT_RC(am_addrv2_encode(&e, 1, buf, cap, &len), AM_ERR_INVAL);
    assert_int_equal(len, 77);
    e.addr.net = 3;
    ASSERT_RC(am_addrv2_encode(&e, 1, buf, sizeof(buf), &len), AM_ERR_INVAL);
    e.addr.net = 0;
    ASSERT_RC(am_addrv2_encode(&e, 1, buf, sizeof(buf), &len), AM_ERR_INVAL);
    ASSERT_RC(am_addrv2_encode(NULL, 1, buf, sizeof(buf), &len), AM_ERR_INVAL);
    ASSERT_RC(am_addrv2_encode(&e, 1, buf, sizeof(buf), NULL), AM_ERR_INVAL);
    /* Zero entries: just the count. */
    ASSERT_RC(am_addrv2_encode(NULL, 0, buf, sizeof(buf), &len), AM_OK);
    assert_int_equal(len, 1);
    assert_int_equal(buf[0], 0);
}

static void test_encode_1000_largest_entries_fit_documented_cap(void **state)
{
    size_t cap = AM_ADDRV2_MAX_ENTRY_SIZE * 1001 + 3, len = 0, n = 0;
    am_addrv2_entry *in = calloc(1001, sizeof(*in));
    am_addrv2_entry *out = calloc(1000, sizeof(*out));
    uint8_t *buf = malloc(cap);
    (void)state;
    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(buf);
    for (size_t i = 0; i < 1001; i++) {
        in[i] = entry_of(I2P_NAME ":65535", 0xffffffffu, UINT64_MAX);
        in[i].addr.bytes[31] = (uint8_t)i;
    }
    ASSERT_RC(am_addrv2_encode(in, 1000, buf, AM_ADDRV2_MAX_ENTRY_SIZE * 1000 + 3,
                               &len), AM_OK);
    assert_int_equal(len, AM_ADDRV2_MAX_ENTRY_SIZE * 1000 + 3);
    ASSERT_RC(am_addrv2_decode(buf, len, out, 1000, &n), AM_OK);
    assert_int_equal(n, 1000);
    assert_int_equal(out[999].addr.bytes[31], (uint8_t)999);
    ASSERT_RC(am_addrv2_encode(in, 1001, buf, cap, &len), AM_ERR_INVAL);
    free(buf);
    free(out);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compactsize_round_trip_at_boundaries),
        cmocka_unit_test(test_compactsize_encoding_bytes),
        cmocka_unit_test(test_compactsize_write_cap_too_small_returns_zero),
        cmocka_unit_test(test_compactsize_non_canonical_is_malformed),
        cmocka_unit_test(test_compactsize_truncated),
        cmocka_unit_test(test_compactsize_reads_at_offset),
        cmocka_unit_test(test_vector_ipv4_decodes),
        cmocka_unit_test(test_vector_ipv6_decodes),
        cmocka_unit_test(test_vector_torv3_decodes),
        cmocka_unit_test(test_vector_i2p_decodes),
        cmocka_unit_test(test_vector_cjdns_decodes),
        cmocka_unit_test(test_wire_ipv6_in_fc00_stays_ipv6),
        cmocka_unit_test(test_vector_ipv4_mapped_ipv6_is_addr_error),
        cmocka_unit_test(test_vector_onioncat_is_torv2),
        cmocka_unit_test(test_vector_torv2_is_torv2),
        cmocka_unit_test(test_vector_cjdns_outside_fc_is_addr_error),
        cmocka_unit_test(test_vector_unknown_network_skipped),
        cmocka_unit_test(test_unknown_network_with_512_bytes_skipped),
        cmocka_unit_test(test_vector_truncated_address_is_truncated),
        cmocka_unit_test(test_vector_known_network_wrong_length_is_malformed),
        cmocka_unit_test(test_vector_address_over_512_bytes_is_malformed),
        cmocka_unit_test(test_torv2_id_with_other_length_is_malformed),
        cmocka_unit_test(test_non_canonical_compactsize_in_payload_is_malformed),
        cmocka_unit_test(test_trailing_bytes_are_malformed),
        cmocka_unit_test(test_empty_payload_truncated_zero_count_ok),
        cmocka_unit_test(test_1000_entries_accepted),
        cmocka_unit_test(test_1001_entries_too_many),
        cmocka_unit_test(test_count_over_cap_too_many),
        cmocka_unit_test(test_mixed_message_reports_every_entry_in_order),
        cmocka_unit_test(test_truncation_at_every_offset_fails),
        cmocka_unit_test(test_encode_decode_round_trip),
        cmocka_unit_test(test_encode_produces_bip155_bytes),
        cmocka_unit_test(test_encode_ignores_status_and_net_id),
        cmocka_unit_test(test_encode_rejects_bad_input_and_small_buffers),
        cmocka_unit_test(test_encode_1000_largest_entries_fit_documented_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
