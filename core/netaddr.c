/*
 * netaddr.c - parse, format and classify addresses of every BIP155 network.
 *
 * Text parsing is our own on purpose: inet_pton() differs between libcs
 * (leading zeros, zone ids, "::" for a single group), and the canonical text
 * of an address is part of the API contract, so every accepted form is
 * decided here.  Parsers work on (pointer, length) slices so that endpoint
 * and subnet parsing never need to copy the host part.
 *
 * Routability and network groups follow Bitcoin Core's netaddress.cpp and
 * NetGroupManager (without an AS map), with the additions netaddr.h lists.
 */
#include "netaddr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "am_error.h"

#define TORV3_CHECKSUM_LEN 2
#define TORV3_VERSION 0x03
#define TORV3_RAW_LEN (32 + TORV3_CHECKSUM_LEN + 1)  /* pubkey|checksum|version */
#define TORV3_B32_LEN 56
#define TORV2_B32_LEN 16
#define I2P_B32_LEN 52
#define ONION_SUFFIX ".onion"
#define I2P_SUFFIX ".b32.i2p"
#define IPV6_TEXT_MAX 40            /* 39 characters + NUL */

/* ::ffff:0:0/96, IPv4-mapped IPv6. */
static const uint8_t ipv4_mapped_prefix[12] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};
/* ::ffff:0:0:0/96, RFC 6145 (SIIT) IPv4-translated IPv6. */
static const uint8_t rfc6145_prefix[12] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0
};
/* 64:ff9b::/96, RFC 6052 NAT64 well-known prefix. */
static const uint8_t rfc6052_prefix[12] = {
    0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0
};
/* fd87:d87e:eb43::/48, OnionCat: how Tor v2 names were carried in IPv6. */
static const uint8_t onioncat_prefix[6] = {
    0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43
};

/* ------------------------------------------------------------------------ */
/* Character helpers.  Our own, so that the locale never changes a result. */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char to_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Host names are case-insensitive, so ".ONION" names the same thing. */
static int has_suffix_ci(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);

    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++) {
        if (to_lower(s[n - k + i]) != suffix[i])
            return 0;
    }
    return 1;
}

/*
 * Strict decimal: 1..max_digits digits, no sign, no leading zero (so that
 * "010" can never be read as octal by someone else and every number has one
 * spelling).  Returns 0 and sets *v, or -1.
 */
static int parse_decimal(const char *s, size_t n, size_t max_digits,
                         unsigned long *v)
{
    unsigned long acc = 0;

    if (n == 0 || n > max_digits)
        return -1;
    if (s[0] == '0' && n > 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        acc = acc * 10 + (unsigned long)(s[i] - '0');
    }
    *v = acc;
    return 0;
}

/* Copy a NUL-terminated string into a caller buffer, failing if too small. */
static int put_text(char *buf, size_t len, const char *text)
{
    size_t n = strlen(text);

    if (buf == NULL || n >= len)
        return AM_ERR_INVAL;
    memcpy(buf, text, n + 1);
    return AM_OK;
}

/*
 * Where a parser says what is wrong with text (am_addr_parse_ex).  NULL
 * when nobody asked; the first sentence set is the one kept, so the
 * innermost parser, which knows most, speaks.
 */
typedef struct why_buf {
    char *text;
    size_t len;
    int set;
} why_buf;

__attribute__((format(printf, 3, 4)))
static int why(why_buf *w, int rc, const char *fmt, ...)
{
    va_list ap;

    if (w == NULL || w->set || w->text == NULL || w->len == 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(w->text, w->len, fmt, ap);
    va_end(ap);
    w->set = 1;
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Networks. */

size_t am_net_len(int net)
{
    switch (net) {
    case AM_NET_IPV4:  return 4;
    case AM_NET_IPV6:  return 16;
    case AM_NET_TORV3: return 32;
    case AM_NET_I2P:   return 32;
    case AM_NET_CJDNS: return 16;
    default:           return 0;
    }
}

const char *am_net_name(int net)
{
    switch (net) {
    case AM_NET_IPV4:  return "ipv4";
    case AM_NET_IPV6:  return "ipv6";
    case AM_NET_TORV3: return "torv3";
    case AM_NET_I2P:   return "i2p";
    case AM_NET_CJDNS: return "cjdns";
    default:           return NULL;
    }
}

int am_net_from_name(const char *name, int *net)
{
    if (name == NULL || net == NULL)
        return AM_ERR_INVAL;
    for (int i = 0; i < AM_NET_MAX; i++) {
        const char *known = am_net_name(i);
        if (known != NULL && strcmp(known, name) == 0) {
            *net = i;
            return AM_OK;
        }
    }
    return AM_ERR_UNKNOWN_NET;
}

/* ------------------------------------------------------------------------ */
/* Base32, RFC 4648 alphabet, lower case, no padding. */

static const char b32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

static int b32_value(char c)
{
    c = to_lower(c);
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

/* Characters needed for n bytes without padding. */
static size_t b32_text_len(size_t n)
{
    return (n * 8 + 4) / 5;
}

/*
 * Decode exactly outlen bytes from exactly b32_text_len(outlen) characters.
 * The unused low bits of the last character must be zero: otherwise two
 * texts would name one address and format(parse(x)) == x would break.
 */
static int b32_decode(const char *s, size_t n, uint8_t *out, size_t outlen)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t k = 0;

    if (n != b32_text_len(outlen))
        return AM_ERR_ADDR;
    for (size_t i = 0; i < n; i++) {
        int v = b32_value(s[i]);
        if (v < 0)
            return AM_ERR_ADDR;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (k != outlen || acc != 0)
        return AM_ERR_ADDR;
    return AM_OK;
}

/* Encode n bytes; out must hold b32_text_len(n) + 1 characters. */
static void b32_encode(const uint8_t *in, size_t n, char *out)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    char *p = out;

    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            *p++ = b32_alphabet[(acc >> bits) & 31];
        }
        acc &= (1u << bits) - 1;
    }
    if (bits > 0)
        *p++ = b32_alphabet[(acc << (5 - bits)) & 31];
    *p = '\0';
}

/* ------------------------------------------------------------------------ */
/* Tor v3 and I2P names. */

/* checksum = SHA3-256(".onion checksum" | pubkey | version)[0..2] (rend-spec-v3) */
static int onion_checksum(const uint8_t pubkey[32], uint8_t sum[TORV3_CHECKSUM_LEN])
{
    static const char tag[] = ".onion checksum";
    uint8_t msg[sizeof(tag) - 1 + 32 + 1];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    memcpy(msg, tag, sizeof(tag) - 1);
    memcpy(msg + sizeof(tag) - 1, pubkey, 32);
    msg[sizeof(msg) - 1] = TORV3_VERSION;
    if (EVP_Digest(msg, sizeof(msg), md, &md_len, EVP_sha3_256(), NULL) != 1 ||
        md_len < TORV3_CHECKSUM_LEN)
        return AM_ERR_INTERNAL;
    memcpy(sum, md, TORV3_CHECKSUM_LEN);
    return AM_OK;
}

/* s[0..n) is the name without ".onion". */
static int parse_onion(am_addr *out, const char *s, size_t n, why_buf *w)
{
    uint8_t raw[TORV3_RAW_LEN];
    uint8_t sum[TORV3_CHECKSUM_LEN];
    int rc;

    if (n == TORV2_B32_LEN) {
        /* Still check it is base32, so garbage is reported as garbage. */
        uint8_t v2[10];
        if (b32_decode(s, n, v2, sizeof(v2)) != AM_OK)
            return why(w, AM_ERR_ADDR, "onion name is not base32");
        return why(w, AM_ERR_TORV2, "Tor v2 addresses are not supported");
    }
    if (n != TORV3_B32_LEN)
        return why(w, AM_ERR_ADDR, "onion name must be %d base32 characters, "
                   "not %zu", TORV3_B32_LEN, n);
    if (b32_decode(s, n, raw, sizeof(raw)) != AM_OK)
        return why(w, AM_ERR_ADDR, "onion name is not base32");
    if (raw[TORV3_RAW_LEN - 1] != TORV3_VERSION)
        return why(w, AM_ERR_ADDR, "onion version is not 3");
    if ((rc = onion_checksum(raw, sum)) != AM_OK)
        return rc;
    if (memcmp(sum, raw + 32, TORV3_CHECKSUM_LEN) != 0)
        return why(w, AM_ERR_ADDR, "onion checksum does not match");
    memset(out, 0, sizeof(*out));
    out->net = AM_NET_TORV3;
    memcpy(out->bytes, raw, 32);
    return AM_OK;
}

/* s[0..n) is the name without ".b32.i2p". */
static int parse_i2p(am_addr *out, const char *s, size_t n, why_buf *w)
{
    uint8_t raw[32];

    if (n != I2P_B32_LEN)
        return why(w, AM_ERR_ADDR, "I2P name must be %d base32 characters, "
                   "not %zu", I2P_B32_LEN, n);
    if (b32_decode(s, n, raw, sizeof(raw)) != AM_OK)
        return why(w, AM_ERR_ADDR, "I2P name is not base32");
    memset(out, 0, sizeof(*out));
    out->net = AM_NET_I2P;
    memcpy(out->bytes, raw, 32);
    return AM_OK;
}

static int format_onion(const am_addr *a, char *buf, size_t len)
{
    uint8_t raw[TORV3_RAW_LEN];
    char text[TORV3_B32_LEN + sizeof(ONION_SUFFIX)];
    int rc;

    memcpy(raw, a->bytes, 32);
    if ((rc = onion_checksum(a->bytes, raw + 32)) != AM_OK)
        return rc;
    raw[TORV3_RAW_LEN - 1] = TORV3_VERSION;
    b32_encode(raw, sizeof(raw), text);
    memcpy(text + TORV3_B32_LEN, ONION_SUFFIX, sizeof(ONION_SUFFIX));
    return put_text(buf, len, text);
}

static int format_i2p(const am_addr *a, char *buf, size_t len)
{
    char text[I2P_B32_LEN + sizeof(I2P_SUFFIX)];

    b32_encode(a->bytes, 32, text);
    memcpy(text + I2P_B32_LEN, I2P_SUFFIX, sizeof(I2P_SUFFIX));
    return put_text(buf, len, text);
}

/* ------------------------------------------------------------------------ */
/* IPv4 and IPv6 text. */

/* Exactly four decimal octets 0..255 separated by dots, nothing else. */
static int parse_ipv4(const char *s, size_t n, uint8_t out[4])
{
    size_t i = 0;

    for (int k = 0; k < 4; k++) {
        size_t start = i;
        unsigned long v;

        while (i < n && is_digit(s[i]))
            i++;
        if (parse_decimal(s + start, i - start, 3, &v) != 0 || v > 255)
            return AM_ERR_ADDR;
        out[k] = (uint8_t)v;
        if (k < 3) {
            if (i >= n || s[i] != '.')
                return AM_ERR_ADDR;
            i++;
        }
    }
    return i == n ? AM_OK : AM_ERR_ADDR;
}

/*
 * Any RFC 4291 text form into 16 bytes: eight groups of 1..4 hex digits,
 * at most one "::" standing for one or more zero groups, and optionally a
 * dotted IPv4 address as the last 32 bits.  No zone ids, no brackets.
 */
/* The 16 bytes of ngroups 16-bit groups, zeros filling the "::" before
 * group `gap` (-1: none). */
static void ipv6_expand(const uint16_t *groups, int ngroups, int gap,
                        uint8_t out[16])
{
    memset(out, 0, 16);
    for (int k = 0; k < ngroups; k++) {
        /* Groups after the gap are right-aligned. */
        int pos = (gap >= 0 && k >= gap) ? k + 8 - ngroups : k;
        out[2 * pos] = (uint8_t)(groups[k] >> 8);
        out[2 * pos + 1] = (uint8_t)groups[k];
    }
}

static int parse_ipv6_raw(const char *s, size_t n, uint8_t out[16])
{
    uint16_t groups[8];
    int ngroups = 0;
    int gap = -1;           /* group index where "::" sits */
    size_t i = 0;

    if (n == 0)
        return AM_ERR_ADDR;
    if (s[0] == ':') {
        /* A leading colon is only valid as the first half of "::". */
        if (n < 2 || s[1] != ':')
            return AM_ERR_ADDR;
        gap = 0;
        i = 2;
    }
    while (i < n) {
        size_t start = i;
        unsigned v = 0;

        while (i < n && hex_value(s[i]) >= 0)
            i++;
        if (i < n && s[i] == '.') {
            /* The dotted IPv4 tail must end the text and fit two groups. */
            uint8_t v4[4];
            if (ngroups > 6 || parse_ipv4(s + start, n - start, v4) != AM_OK)
                return AM_ERR_ADDR;
            groups[ngroups++] = (uint16_t)(v4[0] << 8 | v4[1]);
            groups[ngroups++] = (uint16_t)(v4[2] << 8 | v4[3]);
            i = n;
            break;
        }
        if (i == start || i - start > 4 || ngroups == 8)
            return AM_ERR_ADDR;
        for (size_t j = start; j < i; j++)
            v = v << 4 | (unsigned)hex_value(s[j]);
        groups[ngroups++] = (uint16_t)v;
        if (i == n)
            break;
        if (s[i] != ':')
            return AM_ERR_ADDR;
        i++;
        if (i < n && s[i] == ':') {
            if (gap >= 0)
                return AM_ERR_ADDR;     /* a second "::" is ambiguous */
            gap = ngroups;
            i++;
        } else if (i == n) {
            return AM_ERR_ADDR;         /* a single trailing colon */
        }
    }
    if (gap < 0 ? ngroups != 8 : ngroups > 7)
        return AM_ERR_ADDR;
    ipv6_expand(groups, ngroups, gap, out);
    return AM_OK;
}

/*
 * The network IPv6 text stands for: mapped IPv4 is IPv4, OnionCat is a Tor
 * v2 name (refused), fc00::/8 is CJDNS (api/openapi.yaml), anything else is IPv6.
 */
static int addr_from_ipv6_text(am_addr *out, const uint8_t raw[16])
{
    memset(out, 0, sizeof(*out));
    if (memcmp(raw, ipv4_mapped_prefix, sizeof(ipv4_mapped_prefix)) == 0) {
        out->net = AM_NET_IPV4;
        memcpy(out->bytes, raw + 12, 4);
        return AM_OK;
    }
    if (memcmp(raw, onioncat_prefix, sizeof(onioncat_prefix)) == 0)
        return AM_ERR_TORV2;
    out->net = AM_NET_IPV6;
    memcpy(out->bytes, raw, 16);
    *out = am_addr_canon(*out);
    return AM_OK;
}

static char *put_hex16(char *p, unsigned v)
{
    static const char digits[] = "0123456789abcdef";
    int shift = 12;

    while (shift > 0 && ((v >> shift) & 0xf) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        *p++ = digits[(v >> shift) & 0xf];
    return p;
}

/* First longest run of zero groups; *len stays 0 when there is none. */
static void longest_zero_run(const unsigned g[8], int *start, int *len)
{
    int run = 0;

    *start = 0;
    *len = 0;
    for (int i = 0; i < 8; i++) {
        run = g[i] == 0 ? run + 1 : 0;
        if (run > *len) {       /* strictly longer: the first run wins ties */
            *start = i - run + 1;
            *len = run;
        }
    }
}

/*
 * RFC 5952: lower case, no leading zeros, the longest run of two or more
 * zero groups becomes "::" (the first such run on a tie).  Mixed dotted
 * notation is never produced, like Bitcoin Core: one spelling per address.
 */
static void format_ipv6(const uint8_t b[16], char out[IPV6_TEXT_MAX])
{
    unsigned g[8];
    int zstart, zlen;
    char *p = out;

    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
    longest_zero_run(g, &zstart, &zlen);
    if (zlen < 2)
        zlen = 0;               /* a single zero group is written out */
    for (int i = 0; i < 8; i++) {
        if (zlen > 0 && i >= zstart && i < zstart + zlen) {
            if (i == zstart) {
                *p++ = ':';
                *p++ = ':';
            }
            continue;
        }
        if (p != out && p[-1] != ':')
            *p++ = ':';
        p = put_hex16(p, g[i]);
    }
    *p = '\0';
}

static int format_ipv4(const uint8_t b[4], char *buf, size_t len)
{
    char text[16];
    /* Straight into buf when it has room for the longest text: peers are
     * formatted for every answer that lists them. */
    char *p = buf != NULL && len >= sizeof text ? buf : text;
    char *start = p;

    for (int k = 0; k < 4; k++) {
        unsigned v = b[k];
        if (k > 0)
            *p++ = '.';
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
    }
    *p = '\0';
    return start == buf ? AM_OK : put_text(buf, len, text);
}

/* ------------------------------------------------------------------------ */
/* Host and endpoint parsing. */

static int contains_char(const char *s, size_t n, char c)
{
    return memchr(s, c, n) != NULL;
}

/* IPv6 (or CJDNS, or mapped IPv4) text only: what brackets may hold. */
static int parse_ipv6_host(am_addr *out, const char *s, size_t n, why_buf *w)
{
    uint8_t raw[16];
    int rc;

    if (!contains_char(s, n, ':') || parse_ipv6_raw(s, n, raw) != AM_OK)
        return why(w, AM_ERR_ADDR, "not a valid IPv6 address");
    if ((rc = addr_from_ipv6_text(out, raw)) == AM_ERR_TORV2)
        return why(w, rc, "Tor v2 addresses are not supported");
    return rc;
}

static int parse_host_n(am_addr *out, const char *s, size_t n, why_buf *w)
{
    size_t onion_len = sizeof(ONION_SUFFIX) - 1;
    size_t i2p_len = sizeof(I2P_SUFFIX) - 1;
    uint8_t v4[4];

    if (n == 0)
        return why(w, AM_ERR_ADDR, "the host is empty");
    if (has_suffix_ci(s, n, ONION_SUFFIX))
        return parse_onion(out, s, n - onion_len, w);
    if (has_suffix_ci(s, n, I2P_SUFFIX))
        return parse_i2p(out, s, n - i2p_len, w);
    if (contains_char(s, n, ':'))
        return parse_ipv6_host(out, s, n, w);
    if (parse_ipv4(s, n, v4) != AM_OK)
        return why(w, AM_ERR_ADDR, "not an IPv4 or IPv6 address, .onion or "
                   ".b32.i2p name");
    memset(out, 0, sizeof(*out));
    out->net = AM_NET_IPV4;
    memcpy(out->bytes, v4, 4);
    return AM_OK;
}

static int parse_port(const char *s, size_t n, uint16_t *port, why_buf *w)
{
    int shown = n > 12 ? 12 : (int)n;
    unsigned long v;
    size_t digits = 0;

    while (digits < n && is_digit(s[digits]))
        digits++;
    if (n == 0)
        return why(w, AM_ERR_ADDR, "the port is empty");
    if (digits < n || (n > 1 && s[0] == '0'))
        return why(w, AM_ERR_ADDR, "port '%.*s' is not a decimal number "
                   "0..65535", shown, s);
    if (parse_decimal(s, n, 5, &v) != 0 || v > 65535)
        return why(w, AM_ERR_ADDR, "port %.*s%s is out of range", shown, s,
                   n > 12 ? "..." : "");
    *port = (uint16_t)v;
    return AM_OK;
}

/* Parse into a temporary so that `out` is untouched on failure.  Without a
 * port, I2P gets 0 (the only port I2P peers use), the others default_port. */
static int parse_host_port(am_addr *out, const char *host, size_t hn,
                           const char *port, size_t pn, int bracketed,
                           uint16_t default_port, why_buf *w)
{
    am_addr a;
    uint16_t p;
    int rc;

    rc = bracketed ? parse_ipv6_host(&a, host, hn, w)
                   : parse_host_n(&a, host, hn, w);
    if (rc != AM_OK)
        return rc;
    p = a.net == AM_NET_I2P ? 0 : default_port;
    if (port != NULL && (rc = parse_port(port, pn, &p, w)) != AM_OK)
        return rc;
    a.port = p;
    *out = a;
    return AM_OK;
}

int am_addr_parse_host_ex(am_addr *out, const char *text, char *why_text,
                          size_t why_len)
{
    why_buf w = {why_text, why_len, 0};
    am_addr a;
    int rc;

    if (why_text != NULL && why_len > 0)
        why_text[0] = '\0';
    if (out == NULL || text == NULL)
        return why(&w, AM_ERR_INVAL, "no text");
    if ((rc = parse_host_n(&a, text, strlen(text), &w)) != AM_OK)
        return why(&w, rc, "%s", am_strerror(rc));
    *out = a;
    return AM_OK;
}

int am_addr_parse_host(am_addr *out, const char *text)
{
    return am_addr_parse_host_ex(out, text, NULL, 0);
}

/* Split text into host and port as am_addr_parse_ex documents. */
static int parse_endpoint(am_addr *out, const char *text, uint16_t default_port,
                          int *has_port, why_buf *w)
{
    size_t n = strlen(text);
    const char *colon;

    *has_port = 0;
    if (n > 0 && text[0] == '[') {
        const char *close = memchr(text, ']', n);
        const char *rest;
        if (close == NULL)
            return why(w, AM_ERR_ADDR, "'[' without ']'");
        rest = close + 1;
        if (*rest == '\0')
            return parse_host_port(out, text + 1, (size_t)(close - text - 1),
                                   NULL, 0, 1, default_port, w);
        if (*rest != ':')
            return why(w, AM_ERR_ADDR, "']' must be followed by ':' and a "
                       "port");
        *has_port = 1;
        return parse_host_port(out, text + 1, (size_t)(close - text - 1),
                               rest + 1, strlen(rest + 1), 1, default_port, w);
    }
    colon = memchr(text, ':', n);
    if (colon == NULL || memchr(colon + 1, ':', strlen(colon + 1)) != NULL) {
        /* No colon, or bare IPv6 text, which never carries a port. */
        return parse_host_port(out, text, n, NULL, 0, 0, default_port, w);
    }
    *has_port = 1;
    return parse_host_port(out, text, (size_t)(colon - text), colon + 1,
                           strlen(colon + 1), 0, default_port, w);
}

int am_addr_parse_ex(am_addr *out, const char *text, uint16_t default_port,
                     int *has_port, char *why_text, size_t why_len)
{
    why_buf w = {why_text, why_len, 0};
    int own_port = 0;
    int rc;

    if (why_text != NULL && why_len > 0)
        why_text[0] = '\0';
    if (out == NULL || text == NULL)
        return why(&w, AM_ERR_INVAL, "no text");
    rc = parse_endpoint(out, text, default_port, &own_port, &w);
    if (rc == AM_OK && has_port != NULL)
        *has_port = own_port;
    if (rc != AM_OK)
        why(&w, rc, "%s", am_strerror(rc));     /* a reason nobody gave */
    return rc;
}

int am_addr_parse(am_addr *out, const char *text, uint16_t default_port)
{
    return am_addr_parse_ex(out, text, default_port, NULL, NULL, 0);
}

int am_addr_port_usable(const am_addr *a)
{
    return a != NULL && (a->port != 0 || a->net == AM_NET_I2P);
}

/* ------------------------------------------------------------------------ */
/* Bytes, formatting, equality. */

int am_addr_from_bytes(am_addr *out, int net, const uint8_t *bytes, size_t len,
                       uint16_t port)
{
    am_addr a;
    size_t want;

    if (out == NULL || (bytes == NULL && len > 0))
        return AM_ERR_INVAL;
    if (net == 3)   /* BIP155 Tor v2: known length, unsupported network */
        return len == 10 ? AM_ERR_TORV2 : AM_ERR_MALFORMED;
    want = am_net_len(net);
    if (want == 0)
        return AM_ERR_UNKNOWN_NET;
    if (len != want)
        return AM_ERR_MALFORMED;
    if (net == AM_NET_IPV6) {
        if (memcmp(bytes, ipv4_mapped_prefix, sizeof(ipv4_mapped_prefix)) == 0)
            return AM_ERR_ADDR;
        if (memcmp(bytes, onioncat_prefix, sizeof(onioncat_prefix)) == 0)
            return AM_ERR_TORV2;
    }
    if (net == AM_NET_CJDNS && bytes[0] != 0xfc)
        return AM_ERR_ADDR;
    memset(&a, 0, sizeof(a));
    a.net = (uint8_t)net;
    a.port = port;
    memcpy(a.bytes, bytes, len);
    *out = a;
    return AM_OK;
}

am_addr am_addr_canon(am_addr a)
{
    if (a.net == AM_NET_IPV6 && a.bytes[0] == 0xfc)
        a.net = AM_NET_CJDNS;
    return a;
}

int am_addr_format(const am_addr *a, char *buf, size_t len)
{
    char text[IPV6_TEXT_MAX];

    if (a == NULL || buf == NULL)
        return AM_ERR_INVAL;
    switch (a->net) {
    case AM_NET_IPV4:
        return format_ipv4(a->bytes, buf, len);
    case AM_NET_IPV6:
    case AM_NET_CJDNS:
        format_ipv6(a->bytes, text);
        return put_text(buf, len, text);
    case AM_NET_TORV3:
        return format_onion(a, buf, len);
    case AM_NET_I2P:
        return format_i2p(a, buf, len);
    default:
        return AM_ERR_UNKNOWN_NET;
    }
}

int am_addr_format_endpoint(const am_addr *a, char *buf, size_t len)
{
    char host[AM_ADDR_STRLEN];
    char text[AM_ADDR_STRLEN + 16];
    int bracket;
    int rc;
    size_t n;

    if (a == NULL || buf == NULL)
        return AM_ERR_INVAL;
    if ((rc = am_addr_format(a, host, sizeof(host))) != AM_OK)
        return rc;
    /* Brackets keep the colons of IPv6 text apart from the port's. */
    bracket = a->net == AM_NET_IPV6 || a->net == AM_NET_CJDNS;
    n = 0;
    if (bracket)
        text[n++] = '[';
    memcpy(text + n, host, strlen(host));
    n += strlen(host);
    if (bracket)
        text[n++] = ']';
    text[n++] = ':';
    {
        /* The port in decimal, written backwards then reversed. */
        char digits[6];
        int k = 0;
        unsigned p = a->port;
        do {
            digits[k++] = (char)('0' + p % 10);
            p /= 10;
        } while (p > 0);
        while (k > 0)
            text[n++] = digits[--k];
    }
    text[n] = '\0';
    return put_text(buf, len, text);
}

int am_addr_host_eq(const am_addr *a, const am_addr *b)
{
    size_t n;

    if (a == NULL || b == NULL || a->net != b->net)
        return 0;
    n = am_net_len(a->net);
    return memcmp(a->bytes, b->bytes, n) == 0;
}

int am_addr_eq(const am_addr *a, const am_addr *b)
{
    return am_addr_host_eq(a, b) && a->port == b->port;
}

/* ------------------------------------------------------------------------ */
/* Routability. */

static int has_prefix(const uint8_t *b, const uint8_t *prefix, size_t n)
{
    return memcmp(b, prefix, n) == 0;
}

static int ipv4_is_routable(const uint8_t b[4])
{
    if (b[0] == 0 || b[0] == 127)                   /* 0/8, loopback */
        return 0;
    if (b[0] == 10 ||                               /* RFC 1918 */
        (b[0] == 172 && b[1] >= 16 && b[1] <= 31) ||
        (b[0] == 192 && b[1] == 168))
        return 0;
    if (b[0] == 198 && (b[1] == 18 || b[1] == 19))  /* RFC 2544 */
        return 0;
    if (b[0] == 169 && b[1] == 254)                 /* RFC 3927 */
        return 0;
    if (b[0] == 100 && b[1] >= 64 && b[1] <= 127)   /* RFC 6598 */
        return 0;
    if ((b[0] == 192 && b[1] == 0 && b[2] == 2) ||  /* RFC 5737 */
        (b[0] == 198 && b[1] == 51 && b[2] == 100) ||
        (b[0] == 203 && b[1] == 0 && b[2] == 113))
        return 0;
    if (b[0] >= 224)    /* multicast 224/4, reserved 240/4, broadcast */
        return 0;
    return 1;
}

/*
 * The IPv4 address an IPv6 address carries (Core's GetLinkedIPv4), if any.
 * IPv4-mapped bytes cannot come from the parser or from am_addr_from_bytes,
 * but a hand-built am_addr may hold them, so they are handled too.
 */
static int ipv6_linked_ipv4(const uint8_t b[16], uint8_t v4[4])
{
    static const uint8_t six_to_four[2] = {0x20, 0x02};
    static const uint8_t teredo[4] = {0x20, 0x01, 0x00, 0x00};

    if (has_prefix(b, ipv4_mapped_prefix, 12) ||
        has_prefix(b, rfc6145_prefix, 12) ||
        has_prefix(b, rfc6052_prefix, 12)) {
        memcpy(v4, b + 12, 4);
        return 1;
    }
    if (has_prefix(b, six_to_four, 2)) {
        memcpy(v4, b + 2, 4);
        return 1;
    }
    if (has_prefix(b, teredo, 4)) {
        /* Teredo stores the client address with every bit inverted. */
        for (int i = 0; i < 4; i++)
            v4[i] = (uint8_t)~b[12 + i];
        return 1;
    }
    return 0;
}

static int ipv6_is_routable(const uint8_t b[16])
{
    static const uint8_t zero[16] = {0};
    static const uint8_t doc[4] = {0x20, 0x01, 0x0d, 0xb8};
    static const uint8_t link_local[8] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0};
    uint8_t v4[4];

    if (ipv6_linked_ipv4(b, v4))
        return ipv4_is_routable(v4);
    if (has_prefix(b, zero, 15) && b[15] <= 1)      /* ::, ::1 */
        return 0;
    if (has_prefix(b, doc, 4))                      /* RFC 3849 */
        return 0;
    if ((b[0] & 0xfe) == 0xfc)                      /* RFC 4193 fc00::/7 */
        return 0;
    if (has_prefix(b, link_local, 8))               /* RFC 4862 */
        return 0;
    if (b[0] == 0xff)                               /* multicast */
        return 0;
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 &&
        ((b[3] & 0xf0) == 0x10 || (b[3] & 0xf0) == 0x20))
        return 0;                                   /* RFC 4843, RFC 7343 */
    return 1;
}

int am_addr_is_routable(const am_addr *a)
{
    if (a == NULL)
        return 0;
    switch (a->net) {
    case AM_NET_IPV4:  return ipv4_is_routable(a->bytes);
    case AM_NET_IPV6:  return ipv6_is_routable(a->bytes);
    case AM_NET_TORV3:
    case AM_NET_I2P:   return 1;
    case AM_NET_CJDNS: return a->bytes[0] == 0xfc;
    default:           return 0;
    }
}

/* Loopback and private IPv4 (the local part of am_addr_is_local_ok). */
static int ipv4_is_local(const uint8_t b[4])
{
    return b[0] == 127 || b[0] == 10 ||                 /* RFC 1918 */
           (b[0] == 172 && b[1] >= 16 && b[1] <= 31) ||
           (b[0] == 192 && b[1] == 168) ||
           (b[0] == 100 && b[1] >= 64 && b[1] <= 127);  /* RFC 6598 */
}

/* ::1 and fc00::/7 (no IPv4-embedding prefix starts like these). */
static int ipv6_is_local(const uint8_t b[16])
{
    static const uint8_t zero[15] = {0};

    return (has_prefix(b, zero, 15) && b[15] == 1) || (b[0] & 0xfe) == 0xfc;
}

/* Loopback or private: the unroutable addresses a local network uses. */
static int is_local(const am_addr *a)
{
    switch (a->net) {
    case AM_NET_IPV4: return ipv4_is_local(a->bytes);
    case AM_NET_IPV6: return ipv6_is_local(a->bytes);
    default:          return 0;
    }
}

int am_addr_is_local_ok(const am_addr *a)
{
    if (am_addr_is_routable(a))
        return 1;
    return a != NULL && is_local(a);
}

/* ------------------------------------------------------------------------ */
/* Network groups. */

static int is_he_net(const uint8_t b[16])
{
    /* Core's IsHeNet: Hurricane Electric's 2001:470::/32, grouped by /36. */
    static const uint8_t he[4] = {0x20, 0x01, 0x04, 0x70};
    return has_prefix(b, he, 4);
}

size_t am_addr_group(const am_addr *a, uint8_t out[AM_GROUP_MAXLEN])
{
    uint8_t v4[4];

    if (a == NULL || out == NULL)
        return 0;
    memset(out, 0, AM_GROUP_MAXLEN);
    if (!am_addr_is_routable(a)) {
        size_t len = a->net == AM_NET_IPV4 ? 2 : 4;

        if (!is_local(a))
            return 1;   /* class 0 alone */
        /* A local test network (regtest) is grouped as the Internet is:
         * one group for all would crowd its peers into one new bucket. */
        out[1] = a->net;
        memcpy(out + 2, a->bytes, len);
        return 2 + len;
    }
    if (a->net == AM_NET_IPV4 ||
        (a->net == AM_NET_IPV6 && ipv6_linked_ipv4(a->bytes, v4))) {
        const uint8_t *src = a->net == AM_NET_IPV4 ? a->bytes : v4;
        out[0] = AM_NET_IPV4;
        out[1] = src[0];
        out[2] = src[1];
        return 3;
    }
    out[0] = a->net;
    switch (a->net) {
    case AM_NET_IPV6:
        memcpy(out + 1, a->bytes, 4);
        if (!is_he_net(a->bytes))
            return 5;
        out[5] = a->bytes[4] & 0xf0;
        return 6;
    case AM_NET_TORV3:
    case AM_NET_I2P:
        /* The bytes are a key or hash: 16 groups spread them evenly. */
        out[1] = a->bytes[0] & 0xf0;
        return 2;
    case AM_NET_CJDNS:
        /* The first byte is always 0xfc; the next 4 bits carry entropy. */
        out[1] = a->bytes[0];
        out[2] = a->bytes[1] & 0xf0;
        return 3;
    default:
        return 1;       /* unreachable: unknown networks are unroutable */
    }
}

/* ------------------------------------------------------------------------ */
/* Subnets. */

static unsigned max_prefix(int net)
{
    return (unsigned)(8 * am_net_len(net));
}

/* Clear every bit past the first `bits`. */
static void mask_bits(uint8_t *b, size_t len, unsigned bits)
{
    for (size_t i = 0; i < len; i++) {
        if (bits >= 8 * (i + 1))
            continue;
        if (bits > 8 * i)
            b[i] &= (uint8_t)(0xff << (8 - (bits - 8 * i)));
        else
            b[i] = 0;
    }
}

/*
 * An IPv6 CIDR subnet.  Which network it belongs to is decided on the
 * masked base and only when the prefix lies wholly inside the special
 * range: "::ffff:1.2.3.0/120" is the IPv4 subnet 1.2.3.0/24, "fc00::/16" is
 * CJDNS, but "fc00::/7" is the IPv6 subnet (it reaches past fc00::/8).  The
 * same rule applied to the formatted text gives the same subnet back.
 */
static int subnet_from_ipv6(am_subnet *out, uint8_t raw[16], unsigned bits)
{
    memset(out, 0, sizeof(*out));
    mask_bits(raw, 16, bits);
    if (bits >= 96 && has_prefix(raw, ipv4_mapped_prefix, 12)) {
        out->base.net = AM_NET_IPV4;
        memcpy(out->base.bytes, raw + 12, 4);
        out->prefix = (uint16_t)(bits - 96);
        return AM_OK;
    }
    if (bits >= 48 && has_prefix(raw, onioncat_prefix, 6))
        return AM_ERR_TORV2;
    out->base.net = (bits >= 8 && raw[0] == 0xfc) ? AM_NET_CJDNS : AM_NET_IPV6;
    memcpy(out->base.bytes, raw, 16);
    out->prefix = (uint16_t)bits;
    return AM_OK;
}

static int subnet_parse_cidr(am_subnet *out, const char *host, size_t hn,
                             const char *pfx, size_t pn)
{
    unsigned long bits;
    uint8_t raw[16];
    int rc;

    if (parse_decimal(pfx, pn, 3, &bits) != 0)
        return AM_ERR_ADDR;
    if (contains_char(host, hn, ':')) {
        if (bits > 128)
            return AM_ERR_ADDR;
        if ((rc = parse_ipv6_raw(host, hn, raw)) != AM_OK)
            return rc;
        return subnet_from_ipv6(out, raw, (unsigned)bits);
    }
    /* Tor and I2P names only ever name themselves: no prefix. */
    if (bits > 32)
        return AM_ERR_ADDR;
    memset(out, 0, sizeof(*out));
    if ((rc = parse_ipv4(host, hn, raw)) != AM_OK)
        return rc;
    mask_bits(raw, 4, (unsigned)bits);
    out->base.net = AM_NET_IPV4;
    memcpy(out->base.bytes, raw, 4);
    out->prefix = (uint16_t)bits;
    return AM_OK;
}

int am_subnet_parse(am_subnet *out, const char *text)
{
    am_subnet s;
    const char *host, *slash;
    size_t n, hn;
    int rc;

    if (out == NULL || text == NULL)
        return AM_ERR_INVAL;
    n = strlen(text);
    slash = memchr(text, '/', n);
    host = text;
    hn = slash != NULL ? (size_t)(slash - text) : n;
    if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']') {
        /* Brackets are allowed around IPv6 text, as in endpoints. */
        host++;
        hn -= 2;
        if (!contains_char(host, hn, ':'))
            return AM_ERR_ADDR;
    }
    if (slash != NULL) {
        rc = subnet_parse_cidr(&s, host, hn, slash + 1, strlen(slash + 1));
    } else {
        memset(&s, 0, sizeof(s));
        rc = parse_host_n(&s.base, host, hn, NULL);
        s.prefix = (uint16_t)max_prefix(s.base.net);
    }
    if (rc != AM_OK)
        return rc;
    s.base.port = 0;
    *out = s;
    return AM_OK;
}

static int subnet_is_valid(const am_subnet *s)
{
    unsigned max = max_prefix(s->base.net);

    if (max == 0 || s->prefix > max)
        return 0;
    /* Tor v3 and I2P names are atoms. */
    if ((s->base.net == AM_NET_TORV3 || s->base.net == AM_NET_I2P) &&
        s->prefix != max)
        return 0;
    return 1;
}

int am_subnet_is_single(const am_subnet *s)
{
    return s != NULL && subnet_is_valid(s) &&
           s->prefix == max_prefix(s->base.net);
}

int am_subnet_format(const am_subnet *s, char *buf, size_t len)
{
    char text[AM_ADDR_STRLEN + 8];
    size_t n;
    int rc;

    if (s == NULL || buf == NULL || !subnet_is_valid(s))
        return AM_ERR_INVAL;
    if (am_subnet_is_single(s))
        return am_addr_format(&s->base, buf, len);
    if ((rc = am_addr_format(&s->base, text, AM_ADDR_STRLEN)) != AM_OK)
        return rc;
    n = strlen(text);
    text[n++] = '/';
    if (s->prefix >= 100)
        text[n++] = (char)('0' + s->prefix / 100);
    if (s->prefix >= 10)
        text[n++] = (char)('0' + s->prefix / 10 % 10);
    text[n++] = (char)('0' + s->prefix % 10);
    text[n] = '\0';
    return put_text(buf, len, text);
}

int am_subnet_contains(const am_subnet *s, const am_addr *a)
{
    unsigned full, rest;

    if (s == NULL || a == NULL || !subnet_is_valid(s) || a->net != s->base.net)
        return 0;
    full = s->prefix / 8;
    rest = s->prefix % 8;
    if (memcmp(s->base.bytes, a->bytes, full) != 0)
        return 0;
    if (rest != 0) {
        uint8_t m = (uint8_t)(0xff << (8 - rest));
        if ((s->base.bytes[full] & m) != (a->bytes[full] & m))
            return 0;
    }
    return 1;
}

uint64_t am_addr_group_key(const am_addr *a)
{
    uint8_t g[AM_GROUP_MAXLEN] = {0};
    am_addr_group(a, g);
    uint64_t k = 0;
    for (int i = 0; i < AM_GROUP_MAXLEN; i++)
        k = (k << 8) | g[i];
    return k;
}
