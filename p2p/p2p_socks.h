/*
 * p2p_socks.h - the client side of a SOCKS5 CONNECT (RFC 1928), without I/O.
 *
 * The prober reaches Tor v3 and I2P peers (and, with --proxy, every peer)
 * through a SOCKS5 proxy: after its TCP connect to the proxy it runs this
 * handshake, then the connection is the peer's.  The codec owns no socket
 * and allocates nothing: the caller embeds a p2p_socks, sends what
 * p2p_socks_output holds (reporting it with p2p_socks_consumed), feeds what
 * the proxy sent to p2p_socks_feed, and reads p2p_socks_get_status.
 *
 * Wire (every number big endian; only "no authentication" is offered):
 *   client greeting   05 01 00                        VER, NMETHODS, METHODS
 *   proxy's choice    05 MM                           MM 00 = no authentication
 *   client request    05 01 00 ATYP DST.ADDR DST.PORT[2]     CMD 1 = CONNECT
 *   proxy's reply     05 REP RSV ATYP BND.ADDR BND.PORT[2]
 * where ATYP 1 is 4 address bytes (IPv4), ATYP 4 is 16 (IPv6), ATYP 3 is a
 * length byte and that many name bytes (1..255).  The request is output
 * only after the proxy chose method 00, as some proxies do not take a
 * pipelined request.  Tor's SOCKS port and i2pd's SOCKS proxy both take a
 * "x.onion" / "x.b32.i2p" name in ATYP 3.
 *
 * The status is PENDING until the reply's last byte (its BND.PORT), then
 * OPEN; it turns FAILED, with one sentence in p2p_socks_why, as early as
 * the proxy's bytes show the fault:
 *   - a version byte that is not 05 (in the choice or the reply);
 *   - a method other than 00 (FF: none acceptable; 02: it wants a user
 *     name and password);
 *   - a REP other than 00 (RFC 1928's codes 1..8 and Tor's extended codes
 *     F0..F7 are named), at the REP byte: the rest of the reply is not read;
 *   - an ATYP other than 1, 3 or 4.
 * RSV is not checked (the RFC names it reserved; nothing depends on it).
 * FAILED and OPEN are final: a later feed consumes nothing.  p2p_socks_feed
 * never consumes a byte past the reply: the bytes after it are the
 * tunnelled peer's and stay with the caller.
 */
#ifndef P2P_SOCKS_H
#define P2P_SOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

#define P2P_SOCKS_NAME_MAX 255
/* 05 01 00 03 len name[255] port[2] */
#define P2P_SOCKS_REQUEST_MAX (4 + 1 + P2P_SOCKS_NAME_MAX + 2)

typedef enum p2p_socks_status {
    P2P_SOCKS_PENDING,
    P2P_SOCKS_OPEN,
    P2P_SOCKS_FAILED
} p2p_socks_status;

/* All fields are private to p2p_socks.c. */
typedef struct p2p_socks {
    int phase;                 /* where the handshake is (p2p_socks.c) */
    p2p_socks_status status;
    uint8_t req[P2P_SOCKS_REQUEST_MAX];  /* the CONNECT request */
    size_t req_len;
    size_t sent;               /* bytes of the current output sent */
    uint8_t head[5];           /* the reply's VER REP RSV ATYP and first
                                * address byte (ATYP 3's length) */
    size_t head_have;          /* bytes of the current reply read */
    size_t reply_len;          /* the whole reply's length once known */
    int reply;                 /* REP, or -1 before it came */
    char why[80];
} p2p_socks;

/*
 * CONNECT by name (ATYP 3) to `port`: AM_OK, or AM_ERR_INVAL for a NULL or
 * empty name or one above 255 bytes (*s is then unusable: status FAILED).
 * The greeting is output first.
 */
int p2p_socks_init_name(p2p_socks *s, const char *name, uint16_t port);
/*
 * CONNECT to an address: IPv4 as ATYP 1, IPv6 and CJDNS as ATYP 4, Tor v3
 * and I2P as ATYP 3 with the name am_addr_format writes; the port is
 * a->port.  AM_ERR_INVAL for a NULL or unknown address.
 */
int p2p_socks_init_addr(p2p_socks *s, const am_addr *a);

/* The bytes to send now (*len 0 when none): valid until the next call
 * that takes a non-const p2p_socks. */
void p2p_socks_output(const p2p_socks *s, const uint8_t **p, size_t *len);
/* n of those bytes were sent (n above what was output is clamped). */
void p2p_socks_consumed(p2p_socks *s, size_t n);

/*
 * The proxy's bytes buf[0..len): AM_OK with *used the bytes consumed, which
 * stop at the end of the CONNECT reply (its variable BND.ADDR included).
 * A fault of the proxy is status FAILED, not an error code; *used then
 * counts up to and including the faulty byte.  AM_ERR_INVAL for NULL
 * arguments (buf may be NULL when len is 0).
 */
int p2p_socks_feed(p2p_socks *s, const uint8_t *buf, size_t len, size_t *used);

p2p_socks_status p2p_socks_get_status(const p2p_socks *s);
/* When FAILED, one sentence ("proxy: host unreachable (reply 4)", "proxy
 * wants authentication (method 2)", ...); "" otherwise.  Never NULL. */
const char *p2p_socks_why(const p2p_socks *s);
/* The proxy's REP once its reply came (0 = succeeded), else -1. */
int p2p_socks_reply(const p2p_socks *s);

#endif
