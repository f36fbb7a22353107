/*
 * fuzz_netaddr.c - the text address parsers and formatters, every network.
 *
 * The input is read three ways:
 *   1. as text (up to the first NUL) for am_addr_parse, am_addr_parse_host
 *      and am_subnet_parse;
 *   2. as raw bytes: network id (1 byte) | port (2 bytes, LE) | address
 *      bytes, for am_addr_from_bytes.
 * Properties: what parses is a well-formed am_addr (known network, zero
 * reserved byte and zero bytes past its length); its canonical text fits
 * AM_ADDR_STRLEN, parses back to the same address and formats to the same
 * text; a buffer one byte short is refused without being overrun; a
 * subnet's host bits are clear, it contains its base, and its text round
 * trips too.  The one documented exception: IPv6 (network 2) bytes inside
 * fc00::/8 read back as CJDNS.
 */
#include "fuzz_common.h"

static void check_shape(const am_addr *a, const char *what)
{
    size_t len = am_net_len(a->net);

    FZ_ASSERT(len > 0, "%s: unknown network %u", what, (unsigned)a->net);
    FZ_ASSERT(a->reserved == 0, "%s: reserved byte %u", what,
              (unsigned)a->reserved);
    for (size_t k = len; k < AM_ADDR_MAXLEN; k++)
        FZ_ASSERT(a->bytes[k] == 0, "%s: byte %zu past the length", what, k);
    uint8_t g[AM_GROUP_MAXLEN];
    size_t glen = am_addr_group(a, g);
    FZ_ASSERT(glen >= 1 && glen <= AM_GROUP_MAXLEN, "%s: group length %zu", what,
              glen);
    /* Local admission only widens routability. */
    FZ_ASSERT(!am_addr_is_routable(a) || am_addr_is_local_ok(a),
              "%s: routable but not local_ok", what);
    (void)am_addr_group_key(a);
}

/* A formatter called with a buffer exactly as long as the text (no room for
 * the NUL) must refuse it, and not write past it. */
static void check_short_buffer(const am_addr *a, size_t text_len, int endpoint)
{
    char *small = malloc(text_len ? text_len : 1);
    if (small == NULL)
        return;
    int rc = endpoint ? am_addr_format_endpoint(a, small, text_len)
                      : am_addr_format(a, small, text_len);
    free(small);
    FZ_ASSERT(rc != AM_OK, "format into %zu bytes for %zu characters succeeded",
              text_len, text_len);
}

/* `want` is what the text must read back as (a, or its CJDNS twin). */
static void round_trip(const am_addr *a, const am_addr *want, const char *what)
{
    char s1[AM_ADDR_STRLEN], s2[AM_ADDR_STRLEN];
    am_addr b, c;
    int rc;

    check_shape(a, what);

    /* Endpoint text. */
    rc = am_addr_format_endpoint(a, s1, sizeof s1);
    FZ_ASSERT(rc == AM_OK, "%s: format_endpoint: %s", what, am_strerror(rc));
    FZ_ASSERT(strlen(s1) < AM_ADDR_STRLEN, "%s: endpoint text too long", what);
    rc = am_addr_parse(&b, s1, (uint16_t)(a->port ^ 0x5555));
    FZ_ASSERT(rc == AM_OK, "%s: '%s' does not parse back: %s", what, s1,
              am_strerror(rc));
    FZ_ASSERT(am_addr_eq(&b, want), "%s: '%s' parses to another address", what,
              s1);
    FZ_ASSERT(memcmp(&b, want, sizeof b) == 0, "%s: '%s' struct bytes differ",
              what, s1);
    rc = am_addr_format_endpoint(&b, s2, sizeof s2);
    FZ_ASSERT(rc == AM_OK && strcmp(s1, s2) == 0,
              "%s: endpoint text not canonical: '%s' then '%s'", what, s1, s2);
    check_short_buffer(a, strlen(s1), 1);

    /* Host text. */
    rc = am_addr_format(a, s1, sizeof s1);
    FZ_ASSERT(rc == AM_OK, "%s: format: %s", what, am_strerror(rc));
    rc = am_addr_parse_host(&c, s1);
    FZ_ASSERT(rc == AM_OK, "%s: host '%s' does not parse back: %s", what, s1,
              am_strerror(rc));
    FZ_ASSERT(am_addr_host_eq(&c, want) && c.port == 0,
              "%s: host '%s' parses to another address", what, s1);
    rc = am_addr_format(&c, s2, sizeof s2);
    FZ_ASSERT(rc == AM_OK && strcmp(s1, s2) == 0,
              "%s: host text not canonical: '%s' then '%s'", what, s1, s2);
    check_short_buffer(a, strlen(s1), 0);

    /* The host parser and the endpoint parser agree on bare hosts; I2P
     * without a port is port 0. */
    rc = am_addr_parse(&b, s1, 8333);
    FZ_ASSERT(rc == AM_OK && am_addr_host_eq(&b, want) &&
              b.port == (want->net == AM_NET_I2P ? 0 : 8333),
              "%s: '%s' as an endpoint without a port", what, s1);

    /* A single-address subnet of it. */
    am_subnet sn;
    rc = am_subnet_parse(&sn, s1);
    FZ_ASSERT(rc == AM_OK, "%s: '%s' is not a subnet: %s", what, s1,
              am_strerror(rc));
    FZ_ASSERT(am_subnet_is_single(&sn) && am_subnet_contains(&sn, want),
              "%s: single subnet '%s'", what, s1);
}

static void check_subnet(const am_subnet *s, const char *text)
{
    char s1[AM_ADDR_STRLEN + 8], s2[AM_ADDR_STRLEN + 8];
    am_subnet t;
    size_t len = am_net_len(s->base.net);
    int rc;

    check_shape(&s->base, "subnet base");
    FZ_ASSERT(s->base.port == 0, "subnet '%s': port %u", text,
              (unsigned)s->base.port);
    FZ_ASSERT(s->prefix <= 8 * len, "subnet '%s': prefix %u", text,
              (unsigned)s->prefix);
    for (size_t bit = s->prefix; bit < 8 * len; bit++)
        FZ_ASSERT(!(s->base.bytes[bit / 8] & (0x80 >> (bit % 8))),
                  "subnet '%s': host bit %zu set", text, bit);
    FZ_ASSERT(am_subnet_contains(s, &s->base), "subnet '%s' misses its base",
              text);
    FZ_ASSERT(am_subnet_is_single(s) == (s->prefix == 8 * len),
              "subnet '%s': is_single", text);
    if (s->base.net == AM_NET_TORV3 || s->base.net == AM_NET_I2P)
        FZ_ASSERT(s->prefix == 8 * len, "subnet '%s': a partial name", text);

    rc = am_subnet_format(s, s1, sizeof s1);
    FZ_ASSERT(rc == AM_OK, "subnet '%s': format: %s", text, am_strerror(rc));
    rc = am_subnet_parse(&t, s1);
    FZ_ASSERT(rc == AM_OK, "subnet '%s': '%s' does not parse back: %s", text, s1,
              am_strerror(rc));
    FZ_ASSERT(t.prefix == s->prefix && memcmp(&t.base, &s->base, sizeof t.base) == 0,
              "subnet '%s': '%s' parses to another subnet", text, s1);
    rc = am_subnet_format(&t, s2, sizeof s2);
    FZ_ASSERT(rc == AM_OK && strcmp(s1, s2) == 0,
              "subnet '%s': text not canonical: '%s' then '%s'", text, s1, s2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    am_addr a;
    am_subnet s;
    int rc;

    /* 1. Text. */
    text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    rc = am_addr_parse(&a, text, 8333);
    if (rc == AM_OK)
        round_trip(&a, &a, "am_addr_parse");
    {
        /* The explaining parser agrees, and says something on failure. */
        char why[64];
        am_addr e;
        int erc = am_addr_parse_ex(&e, text, 8333, NULL, why, sizeof why);
        FZ_ASSERT(erc == rc, "parse_ex %d, parse %d", erc, rc);
        FZ_ASSERT((erc == AM_OK) == (why[0] == '\0'),
                  "parse_ex: rc %d with why '%s'", erc, why);
    }
    rc = am_addr_parse_host(&a, text);
    if (rc == AM_OK) {
        FZ_ASSERT(a.port == 0, "parse_host set port %u", (unsigned)a.port);
        round_trip(&a, &a, "am_addr_parse_host");
    }
    rc = am_subnet_parse(&s, text);
    if (rc == AM_OK)
        check_subnet(&s, text);
    free(text);

    /* 2. Bytes. */
    if (size >= 3) {
        int net = data[0];
        uint16_t port = (uint16_t)(data[1] | data[2] << 8);
        rc = am_addr_from_bytes(&a, net, data + 3, size - 3, port);
        if (rc == AM_OK) {
            am_addr want = a;
            FZ_ASSERT(a.net == net, "from_bytes: network %d became %u", net,
                      (unsigned)a.net);
            FZ_ASSERT(size - 3 == am_net_len(net), "from_bytes: %zu bytes for %d",
                      size - 3, net);
            if (a.net == AM_NET_IPV6 && a.bytes[0] == 0xfc)
                want.net = AM_NET_CJDNS;
            round_trip(&a, &want, "am_addr_from_bytes");
        }
    }
    return 0;
}
