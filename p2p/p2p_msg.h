/*
 * p2p_msg.h - payloads of the Bitcoin P2P messages the address face uses.
 *
 *   version     see p2p_version below
 *   verack, sendaddrv2, wtxidrelay, getaddr    empty
 *   ping, pong  u64 LE nonce
 *   addr        CompactSize count (<= 1000), then per entry
 *               u32 LE time | u64 LE services | 16-byte address | u16 BE port
 *               (IPv4 as ::ffff:a.b.c.d)
 *   addrv2      BIP155: core/addrv2.h's am_addrv2_decode / am_addrv2_encode
 *               are its codec; `addr` entries use the same entry type, so a
 *               caller handles both alike.
 *
 * Every parser takes the whole payload.  A payload too short is
 * AM_ERR_TRUNCATED, bytes left after the message are AM_ERR_MALFORMED, a
 * non-canonical CompactSize is AM_ERR_MALFORMED (as in Bitcoin Core), and
 * on any error the output is left as it was.  Every builder writes into
 * buf[0..cap) and sets *len_out; when cap is too small or an input is out
 * of its range it returns AM_ERR_INVAL and writes nothing.  Builders and
 * parsers agree: parsing what a builder wrote gives back its input.
 */
#ifndef P2P_MSG_H
#define P2P_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "addrv2.h"
#include "netaddr.h"

typedef enum p2p_msg_type {
    P2P_MSG_OTHER,        /* a command this face does not read */
    P2P_MSG_VERSION,
    P2P_MSG_VERACK,
    P2P_MSG_SENDADDRV2,
    P2P_MSG_WTXIDRELAY,
    P2P_MSG_PING,
    P2P_MSG_PONG,
    P2P_MSG_GETADDR,
    P2P_MSG_ADDR,
    P2P_MSG_ADDRV2
} p2p_msg_type;

/* The type of a command ("version", ...); P2P_MSG_OTHER when unknown. */
p2p_msg_type p2p_msg_type_of(const char *command);
/* The command of a type; NULL for P2P_MSG_OTHER. */
const char *p2p_msg_command(p2p_msg_type type);

/* ---- empty messages and nonces ------------------------------------------ */

/* verack, sendaddrv2, wtxidrelay, getaddr: AM_OK for an empty payload,
 * AM_ERR_MALFORMED otherwise. */
int p2p_empty_parse(const uint8_t *buf, size_t len);

#define P2P_NONCE_SIZE 8
/* ping, pong: exactly 8 bytes (AM_ERR_TRUNCATED / AM_ERR_MALFORMED). */
int p2p_nonce_parse(const uint8_t *buf, size_t len, uint64_t *nonce);
void p2p_nonce_build(uint64_t nonce, uint8_t out[P2P_NONCE_SIZE]);

/* ---- the network address of `version` ------------------------------------ */

/* u64 LE services | 16 bytes | u16 BE port, as the wire has it (version's
 * two addresses carry no time, and may hold anything a peer likes). */
typedef struct p2p_netaddr {
    uint64_t services;
    uint8_t ip[16];
    uint16_t port;
} p2p_netaddr;

/* 1 when the v1 wire can carry `a`: IPv4 and IPv6 (as Bitcoin Core's
 * IsAddrV1Compatible; Tor v3, I2P and CJDNS need addrv2). */
int p2p_addr_fits_v1(const am_addr *a);
/* `a` as 16 wire bytes and port; AM_ERR_INVAL when it does not fit v1. */
int p2p_netaddr_from_addr(p2p_netaddr *out, const am_addr *a,
                          uint64_t services);
/*
 * The address 16 wire bytes and a port carry: IPv4 for ::ffff:0:0/96,
 * otherwise IPv6 checked by am_addr_from_bytes (OnionCat is AM_ERR_TORV2).
 * *out is unchanged on error.
 */
int p2p_netaddr_to_addr(const p2p_netaddr *na, am_addr *out);

/* ---- version ------------------------------------------------------------- */

#define P2P_USER_AGENT_MAX 256     /* Core's MAX_SUBVERSION_LENGTH */
/* 4 + 8 + 8 + 26 + 26 + 8 + 3 + 256 + 4 + 1 */
#define P2P_VERSION_MAX_SIZE 344

typedef struct p2p_version {
    int32_t version;          /* protocol version */
    uint64_t services;
    int64_t timestamp;
    p2p_netaddr addr_recv;    /* the receiver as the sender sees it */
    p2p_netaddr addr_from;
    uint64_t nonce;
    size_t user_agent_len;    /* <= P2P_USER_AGENT_MAX */
    char user_agent[P2P_USER_AGENT_MAX + 1];  /* NUL after the bytes; the
                                               * bytes are the peer's own */
    int32_t start_height;
    int has_relay;            /* the relay byte was (is to be) sent */
    int relay;                /* 0 or 1 */
} p2p_version;

/*
 * Parse a version payload.  The relay byte is optional (absent before
 * protocol 70001); when present it must be 0 or 1 (AM_ERR_MALFORMED
 * otherwise: stricter than Core, which reads any non-zero byte as 1, and
 * no node sends another value).  A user agent above 256 bytes is
 * AM_ERR_RANGE.
 */
int p2p_version_parse(const uint8_t *buf, size_t len, p2p_version *out);
/* Build one; AM_ERR_INVAL for a user agent above 256 bytes or a relay
 * value other than 0 or 1. */
int p2p_version_build(const p2p_version *v, uint8_t *buf, size_t cap,
                      size_t *len_out);

/* ---- addr ---------------------------------------------------------------- */

#define P2P_ADDR_MAX_ENTRIES AM_ADDRV2_MAX_ENTRIES   /* Core's MAX_ADDR_TO_SEND */
#define P2P_ADDR_ENTRY_SIZE 30
#define P2P_ADDR_MAX_SIZE (3 + P2P_ADDR_ENTRY_SIZE * P2P_ADDR_MAX_ENTRIES)

/*
 * Parse an addr payload into out[0..*n_out) (cap >= the count, else
 * AM_ERR_TOOMANY, as is a count over 1000).  Each entry gets a status, as
 * am_addrv2_decode gives them: AM_OK with addr set, or why the address is
 * not usable (AM_ERR_TORV2 for OnionCat) with addr zeroed; net_id is the
 * network the bytes were read as (1 or 2).  An unusable entry does not
 * fail the message.
 */
int p2p_addr_parse(const uint8_t *buf, size_t len, am_addrv2_entry *out,
                   size_t cap, size_t *n_out);
/*
 * Build an addr payload of entries[0..n) (time, services and addr are
 * read); AM_ERR_INVAL when n > 1000 or an address does not fit v1
 * (p2p_addr_fits_v1).  P2P_ADDR_MAX_SIZE always suffices.
 */
int p2p_addr_build(const am_addrv2_entry *entries, size_t n, uint8_t *buf,
                   size_t cap, size_t *len_out);

#endif
