/*
 * netaddr.h - one address type for every BIP155 network.
 *
 * An am_addr is a network id (the BIP155 id: IPv4 1, IPv6 2, Tor v3 4,
 * I2P 5, CJDNS 6), the raw address bytes in network order and a port.  It is
 * a plain value: copy it with `=`, compare it with am_addr_eq(); bytes past
 * the network's length are always zero, so memcmp over the struct also works.
 * Service flags and times belong to the address manager, not to this type.
 *
 * Text forms (am_addr_parse / am_addr_format):
 *   IPv4   dotted quad, four decimal octets 0..255, no leading '+' or spaces
 *   IPv6   every RFC 4291 form ("::", embedded dotted IPv4 in the last 32
 *          bits), formatted per RFC 5952 (lower case, longest run of two or
 *          more zero groups shortened, first one on a tie).  Text in
 *          ::ffff:0:0/96 is read as the IPv4 address it carries.  Text in
 *          fd87:d87e:eb43::/48 (OnionCat, Tor v2) is AM_ERR_TORV2.
 *   CJDNS  IPv6 text inside fc00::/8: network AM_NET_CJDNS
 *   Tor v3 56 base32 characters + ".onion": pubkey(32) | checksum(2) |
 *          version(1) with version 3 and checksum =
 *          SHA3-256(".onion checksum" | pubkey | 0x03)[0..2].  A 16-character
 *          (Tor v2) name is AM_ERR_TORV2.  Only the pubkey is stored.
 *   I2P    52 base32 characters + ".b32.i2p" (32-byte hash)
 * Base32 is RFC 4648 lower case without padding; upper case is accepted on
 * input, output is always lower case.  Parsing the formatted text of any
 * valid address gives back the same address, with one exception: IPv6
 * (network 2) bytes inside fc00::/8, which only the wire can produce, are
 * formatted as IPv6 text and that text reads back as CJDNS.
 *
 * Endpoints ("host:port") put IPv6 and CJDNS in brackets: "[2001:db8::1]:8333".
 */
#ifndef AM_NETADDR_H
#define AM_NETADDR_H

#include <stddef.h>
#include <stdint.h>

/* The port of Bitcoin's main network: an address given without one has
 * it (I2P aside, whose only port is 0). */
#define AM_DEFAULT_PORT 8333

enum am_net {
    AM_NET_IPV4 = 1,
    AM_NET_IPV6 = 2,
    AM_NET_TORV3 = 4,
    AM_NET_I2P = 5,
    AM_NET_CJDNS = 6
};
#define AM_NET_MAX 7            /* network ids are < AM_NET_MAX */
#define AM_NET_ALL 0x76u        /* bit (1u << net) of every known network */
#define AM_ADDR_MAXLEN 32       /* longest address (Tor v3, I2P) */
#define AM_ADDR_STRLEN 80       /* room for any host or endpoint text + NUL */
#define AM_GROUP_MAXLEN 8       /* longest network group (am_addr_group) */

typedef struct am_addr {
    uint8_t net;                    /* enum am_net */
    uint8_t reserved;               /* always 0 */
    uint16_t port;                  /* host byte order */
    uint8_t bytes[AM_ADDR_MAXLEN];  /* network order, zero past the length */
} am_addr;

/* Byte length of a known network's address (4, 16, 32); 0 when unknown. */
size_t am_net_len(int net);
/* "ipv4", "ipv6", "torv3", "i2p", "cjdns"; NULL when unknown. */
const char *am_net_name(int net);
/* The reverse of am_net_name (exact, lower case): AM_OK or AM_ERR_UNKNOWN_NET. */
int am_net_from_name(const char *name, int *net);

/*
 * Build an address from BIP155 network id and bytes.  Checks BIP155's rules:
 * exact length for the network (else AM_ERR_MALFORMED), IPv6 carrying an
 * IPv4-mapped or OnionCat prefix is AM_ERR_ADDR/AM_ERR_TORV2, CJDNS must
 * start with 0xfc (AM_ERR_ADDR), network id 3 is AM_ERR_TORV2, any other
 * unknown id is AM_ERR_UNKNOWN_NET.  IPv6 bytes inside fc00::/8 stay IPv6
 * here (the wire says which network it is; am_addr_canon gives the pool's).
 */
int am_addr_from_bytes(am_addr *out, int net, const uint8_t *bytes, size_t len,
                       uint16_t port);

/*
 * The form the pool holds: IPv6 bytes inside fc00::/8 are CJDNS, as their
 * text reads (am_addr_parse).  BIP155's network 2, the 16-byte form of addr
 * messages and Core's older files may name such bytes IPv6; the core takes
 * every address in this form (am_add, am_restore, am_find, am_admits,
 * am_is_banned), so one peer has one entry and keeps its network across a
 * snapshot, whichever way it came.  Anything else is returned unchanged.
 */
am_addr am_addr_canon(am_addr a);

/* Host text only (no port, no brackets).  Port of `out` is set to 0. */
int am_addr_parse_host(am_addr *out, const char *text);
/* The same, saying what is wrong as am_addr_parse_ex does. */
int am_addr_parse_host_ex(am_addr *out, const char *text, char *why,
                          size_t why_len);
/*
 * Host with an optional port: "1.2.3.4", "1.2.3.4:8333", "2001:db8::1",
 * "[2001:db8::1]", "[2001:db8::1]:8333", "<name>.onion:8333".  Bare IPv6 text
 * (more than one ':') never carries a port.  Without a port, `default_port`,
 * except for I2P, which gets 0: I2P has no ports, and Bitcoin Core and BIP155
 * practice use 0 for every I2P peer.  A port must be decimal 0..65535; port
 * 0 is read like any other (am_addr_port_usable says whether a peer may
 * have it).
 */
int am_addr_parse(am_addr *out, const char *text, uint16_t default_port);
/*
 * am_addr_parse, also saying whether the text carried its own port
 * (*has_port, optional, set on success) and, on failure, what is wrong with
 * the text as one short sentence ("port 70000 is out of range", "onion
 * checksum does not match", "onion version is not 3", "Tor v2 addresses are
 * not supported", "not an IPv4 or IPv6 address, .onion or .b32.i2p name")
 * into why[0..why_len) (optional; truncated to fit; "" on success).  The
 * codes are those of am_addr_parse.
 */
int am_addr_parse_ex(am_addr *out, const char *text, uint16_t default_port,
                     int *has_port, char *why, size_t why_len);
/*
 * 1 when a peer may have this address and port: any port for I2P, which
 * uses 0, and any but 0 elsewhere (nothing listens on port 0, so a peer
 * there could only waste a connection).
 */
int am_addr_port_usable(const am_addr *a);

/* Canonical host text into buf (NUL-terminated); AM_ERR_INVAL if too small. */
int am_addr_format(const am_addr *a, char *buf, size_t len);
/* Canonical "host:port" ("[v6]:port" for IPv6 and CJDNS). */
int am_addr_format_endpoint(const am_addr *a, char *buf, size_t len);

/* Same network, bytes and port. */
int am_addr_eq(const am_addr *a, const am_addr *b);
/* Same network and bytes, ports ignored. */
int am_addr_host_eq(const am_addr *a, const am_addr *b);

/*
 * Publicly routable.  Not routable: unspecified, loopback, RFC 1918,
 * RFC 2544, RFC 3927, RFC 4193 (fc00::/7 for network IPv6; text in fc00::/8
 * parses as CJDNS, so from text this is fd00::/8),
 * RFC 4843 / RFC 7343 (ORCHID), RFC 5737, RFC 3849, RFC 6598, RFC 4862
 * link-local fe80::/64, multicast, 0.0.0.0/8, 255.255.255.255, 240.0.0.0/4,
 * IPv4-embedding IPv6 forms whose IPv4 part is unroutable.  Tor v3, I2P and
 * CJDNS addresses are routable.
 */
int am_addr_is_routable(const am_addr *a);

/*
 * Routable, or a loopback or private address that a local test network
 * (regtest) runs its nodes on: IPv4 127/8, 10/8, 172.16/12, 192.168/16,
 * 100.64/10 (RFC 6598) and, for network IPv6, ::1 and fc00::/7 (RFC 4193;
 * from text that is fd00::/8, since fc00::/8 reads as CJDNS).  Still 0:
 * unspecified (0/8, ::), link-local (169.254/16, fe80::/64), multicast,
 * documentation (RFC 5737, RFC 3849), RFC 2544, 240/4 and broadcast,
 * ORCHID, and IPv6 forms carrying an IPv4 address (6to4, Teredo, NAT64,
 * mapped) whose IPv4 part is unroutable.  am_addr_group gives such a local
 * address a group of its /16 (IPv4) or /32 (IPv6) in the unroutable class.
 */
int am_addr_is_local_ok(const am_addr *a);

/*
 * Network group, the unit of bucketing.  Writes at most AM_GROUP_MAXLEN bytes
 * to out and returns the length.  The first byte is the group class so that
 * groups of different networks never collide:
 *   loopback and private (am_addr_is_local_ok, admitted on a local test
 *                   network): class 0, the network, then the IPv4 /16 or
 *                   the IPv6 /32, so that a regtest network's peers spread
 *                   over buckets as the Internet's do
 *   other unroutable  class 0 alone (they all share a group)
 *   IPv4            class 1, then the /16 (2 bytes)
 *   IPv6 carrying an IPv4 address (IPv4-mapped, RFC 6145 ::ffff:0:0:0/96,
 *   RFC 6052 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32 with the IPv4
 *   bits inverted): class 1 and the embedded IPv4 /16
 *   IPv6 in he.net 2001:470::/32 (Core's IsHeNet): class 2 and the /36
 *                   (5 bytes, last nibble 0)
 *   other IPv6      class 2 and the /32 (4 bytes)
 *   Tor v3          class 4 and the top 4 bits of the first byte (low nibble 0)
 *   I2P             class 5 and the top 4 bits of the first byte (low nibble 0)
 *   CJDNS           class 6 and the first 12 bits (2 bytes, last nibble 0)
 * The port never plays a part.
 */
size_t am_addr_group(const am_addr *a, uint8_t out[AM_GROUP_MAXLEN]);
/* The group as one integer (its bytes, zero-padded, big-endian): the class
 * byte (and in class 0 the network byte) fixes the length, so distinct
 * groups give distinct keys. */
uint64_t am_addr_group_key(const am_addr *a);

/*
 * A ban target: a single address, an IPv4/IPv6 subnet in CIDR form, or one
 * Tor v3 / I2P / CJDNS name.  `prefix` is the number of leading bits that
 * must match: 8 * am_net_len(net) for a single address.  Host bits of
 * base.bytes are cleared; base.port is 0.  Subnets apply to IPv4, IPv6 and
 * CJDNS; Tor v3 and I2P accept only a whole name.
 */
typedef struct am_subnet {
    am_addr base;
    uint16_t prefix;
} am_subnet;

/*
 * "1.2.3.4", "1.2.3.0/24", "1.2.3.4/32" (same as "1.2.3.4"),
 * "2001:db8::/32", "[2001:db8::1]", "<name>.onion", "<name>.b32.i2p".
 * Prefix decimal, IPv4 0..32, IPv6/CJDNS 0..128; host bits are cleared.
 */
int am_subnet_parse(am_subnet *out, const char *text);
/* Canonical text: a single address alone, a subnet as "base/prefix". */
int am_subnet_format(const am_subnet *s, char *buf, size_t len);
/* 1 when `a` (its host part) lies inside `s`. */
int am_subnet_contains(const am_subnet *s, const am_addr *a);
/* 1 when the subnet names exactly one address. */
int am_subnet_is_single(const am_subnet *s);

#endif
