/*
 * p2p_out.h - one outbound probe connection's protocol, without I/O.
 *
 * The prober (p2p_probe.h) opens a TCP connection, directly or through a
 * SOCKS5 proxy, and hands this session the peer's bytes with the time in
 * milliseconds.  We speak first, as an outbound node does:
 *   - our version at once (services 0 and relay 0: a prober serves
 *     nothing and wants no transactions);
 *   - the peer's version: protocol >= 70001, else OLD_VERSION; services
 *     with NODE_NETWORK (1) or NODE_NETWORK_LIMITED (1024), else
 *     NO_SERVICES (a peer that serves no blocks is no use to a node);
 *     answered with sendaddrv2 (to a protocol of 70016 or more, as Core:
 *     older nodes may take an unknown message badly) and verack;
 *   - the peer's verack: the handshake is done and getaddr is sent;
 *   - addr/addrv2 entries are kept (usable ones, at most
 *     P2P_OUT_MAX_LEARNED) until a message of other than one entry came
 *     (a lone entry is usually the peer announcing itself; a getaddr
 *     answer comes in one message, empty when the peer knows nobody) or
 *     answer_wait ms passed: then the session is done, OK;
 *   - ping is answered with pong, every other message ignored.
 * Until the handshake ends, a fault fails the probe: the chain's magic
 * missing from the first bytes is WRONG_MAGIC (another network, or BIP324
 * v2 or no Bitcoin at all), any other framing fault or a version that
 * does not parse BAD_MESSAGE, the peer closing CLOSED (p2p_out_eof), the
 * handshake not done within `timeout` ms of p2p_out_new TIMEOUT.  After
 * it, nothing the peer does fails the probe: a fault or a close only ends
 * the wait for the answer.
 *
 * Memory: the session holds one message of at most max_payload bytes and,
 * once an answer comes, its entries (2000 slots: up to a thousand lone
 * announcements, then a whole answer of a thousand).
 */
#ifndef P2P_OUT_H
#define P2P_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "addrv2.h"
#include "chain.h"
#include "netaddr.h"
#include "p2p_msg.h"

#define P2P_OUT_MAX_LEARNED 1000   /* entries kept: Core's MAX_ADDR_TO_SEND */
#define P2P_NODE_NETWORK UINT64_C(1)
#define P2P_NODE_NETWORK_LIMITED UINT64_C(1024)

/* How a probe ended.  The session sets OK to CLOSED; the prober sets
 * REFUSED and PROXY (p2p_out_abort). */
typedef enum p2p_outcome {
    P2P_OUT_OK,            /* handshake done: the peer is alive and useful */
    P2P_OUT_REFUSED,       /* the TCP connect failed (refused, unreachable) */
    P2P_OUT_TIMEOUT,       /* connect plus handshake not done in time */
    P2P_OUT_WRONG_MAGIC,   /* not this chain's magic: another network */
    P2P_OUT_BAD_MESSAGE,   /* a framing fault or a version that is bad */
    P2P_OUT_OLD_VERSION,   /* protocol below 70001 */
    P2P_OUT_NO_SERVICES,   /* neither NODE_NETWORK nor NODE_NETWORK_LIMITED */
    P2P_OUT_CLOSED,        /* the peer closed before the handshake ended */
    P2P_OUT_PROXY,         /* the SOCKS5 proxy could not reach the peer */
    P2P_OUT_NO_ROUTE       /* no route to the peer's network from here
                            * (the kernel refused to start the connect,
                            * or the proxy did not answer or replied 3):
                            * not the peer's fault */
} p2p_outcome;
#define P2P_OUTCOMES (P2P_OUT_NO_ROUTE + 1)

/* The metrics name of an outcome ("ok", "refused", ...); "unknown" for a
 * value outside the enum. */
const char *p2p_outcome_name(p2p_outcome o);

typedef struct p2p_out_config {
    const am_chain *chain;
    const char *user_agent;   /* at most 256 bytes; borrowed for the
                               * session's life */
    uint64_t nonce;           /* our version's */
    int64_t timestamp;        /* our version's time, unix seconds; 0 for
                               * the time of day (the `now` of the calls
                               * below may be any clock: deadlines only) */
    int64_t timeout;          /* ms from p2p_out_new to the handshake's end */
    int64_t answer_wait;      /* ms after the handshake for the answer */
    uint32_t max_payload;     /* the largest message read, bytes; at least
                               * P2P_SESS_MIN_PAYLOAD (p2p_sess.h) */
} p2p_out_config;

typedef struct p2p_out p2p_out;

/*
 * A session towards `peer` (its version's addr_recv; zeros when it does
 * not fit v1) begun at `now` ms, with our version already in the output.
 * NULL when an argument is invalid or memory runs out.
 */
p2p_out *p2p_out_new(const p2p_out_config *cfg, const am_addr *peer,
                     int64_t now);
void p2p_out_free(p2p_out *s);

/* The peer's bytes at `now`: AM_OK, every byte consumed (a done session
 * drops them); AM_ERR_INVAL for NULL arguments. */
int p2p_out_feed(p2p_out *s, const uint8_t *buf, size_t len, int64_t now);
/* The deadlines at `now`; may end the session. */
void p2p_out_tick(p2p_out *s, int64_t now);
/* The peer closed the connection (or reading failed). */
void p2p_out_eof(p2p_out *s);
/* End the session with `o` (REFUSED, PROXY, ...) and a sentence, unless
 * it is done already. */
void p2p_out_abort(p2p_out *s, p2p_outcome o, const char *why);

/* Bytes to send (*len 0 when none); valid until the next call. */
void p2p_out_output(const p2p_out *s, const uint8_t **ptr, size_t *len);
void p2p_out_consumed(p2p_out *s, size_t n);

/* 1 once the session is done: the caller closes the connection. */
int p2p_out_done(const p2p_out *s);
/* How it ended (valid once done) and why, one sentence ("" for OK). */
p2p_outcome p2p_out_outcome(const p2p_out *s);
const char *p2p_out_why(const p2p_out *s);
/* 1 once the peer's version and verack came. */
int p2p_out_ready(const p2p_out *s);
/* The peer's version, NULL before it came. */
const p2p_version *p2p_out_peer_version(const p2p_out *s);
/* The usable entries the peer answered (status AM_OK, at most
 * P2P_OUT_MAX_LEARNED), in message order; *n 0 when none. */
const am_addrv2_entry *p2p_out_learned(const p2p_out *s, size_t *n);

#endif
