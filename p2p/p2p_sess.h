/*
 * p2p_sess.h - one inbound P2P connection's protocol state, without I/O.
 *
 * The session owns no socket and reads no clock: the caller feeds the bytes
 * it received with the current time (seconds), calls p2p_sess_tick now and
 * then, sends what p2p_sess_output holds, and acts on the events it polls
 * with p2p_sess_next_event:
 *   P2P_EV_CLOSE       close the connection now (the reason says why); the
 *                      session's unsent output is dropped, so a peer of
 *                      another network or a BIP324 v2 handshake gets no reply
 *   P2P_EV_WANT_ADDRS  the peer asked (getaddr): answer with
 *                      p2p_sess_send_addrs, at most `max` entries
 *   P2P_EV_LEARNED     addresses the peer announced that passed the rate
 *                      limit, for the caller's pool
 *
 * Protocol (an inbound connection, so the peer speaks first):
 *   - the peer's `version` (protocol >= 70001, else closed) is answered with
 *     our version, `sendaddrv2`, `verack`, in that order (BIP155 wants
 *     sendaddrv2 before verack); a second version is ignored;
 *   - until the peer's verack every other message is ignored, except a
 *     `sendaddrv2` after its version, which makes our addr answer addrv2;
 *   - the handshake (the peer's version and verack) must end within
 *     handshake_timeout seconds of p2p_sess_new, then a peer silent for
 *     idle_timeout seconds is closed;
 *   - after the handshake: ping gets its pong, the first getaddr a
 *     P2P_EV_WANT_ADDRS (later ones are ignored), addr/addrv2 go through a
 *     token bucket as Bitcoin Core's (1 token at first, 0.1 per second, at
 *     most 1000; each entry takes one; entries without a token are dropped
 *     and counted) and more than 1000 entries close the connection; every
 *     other message is ignored;
 *   - a framing fault (p2p_frame.h), or a message the session reads
 *     (version, ping, addr, addrv2) that does not parse, closes it.
 *
 * Flow control: p2p_sess_feed stops early (*used < len) while an event is
 * waiting that must be taken first (a P2P_EV_LEARNED, whose entries live in
 * the session) or while the output has less room than a reply needs;
 * the caller takes the events, sends the output and feeds the rest again,
 * as Core stops reading a peer whose send buffer is full.  Memory is
 * bounded: the output buffer is P2P_SESS_OUT_CAP bytes, the frame reader
 * holds at most one message of max_payload bytes (a longer header closes
 * the session before its payload is read), the addr entries one message's.
 * The output and entry buffers are allocated while in use only.
 *
 * Every function leaves the session unchanged when it returns an error.
 */
#ifndef P2P_SESS_H
#define P2P_SESS_H

#include <stddef.h>
#include <stdint.h>

#include "addrv2.h"
#include "netaddr.h"
#include "chain.h"
#include "p2p_msg.h"

#define P2P_SESS_PROTOCOL 70016          /* the version we announce */
#define P2P_SESS_MIN_PROTOCOL 70001      /* older peers are closed */
#define P2P_SESS_SERVICES_DEFAULT 9u     /* NODE_NETWORK | NODE_WITNESS */
#define P2P_SESS_USER_AGENT_DEFAULT "/addrmand:0.1.0/"
#define P2P_SESS_HANDSHAKE_TIMEOUT_DEFAULT 60
#define P2P_SESS_IDLE_TIMEOUT_DEFAULT 120
/* Room for the largest addrv2 answer (1000 entries) and the replies. */
#define P2P_SESS_OUT_CAP (64u * 1024u)
/* The smallest max_payload: an addrv2 of 1000 entries of the networks we
 * know must be read whole, else the 1000-entry rule could not be applied. */
#define P2P_SESS_MIN_PAYLOAD (3u + P2P_ADDR_MAX_ENTRIES * AM_ADDRV2_MAX_ENTRY_SIZE)
/* Message types counted: p2p_msg_type's values, P2P_MSG_OTHER included. */
#define P2P_SESS_MSG_TYPES (P2P_MSG_ADDRV2 + 1)

typedef enum p2p_close_reason {
    P2P_CLOSE_WRONG_MAGIC,        /* another network, or a v2 handshake */
    P2P_CLOSE_BAD_COMMAND,        /* a header's command is not ASCII */
    P2P_CLOSE_BAD_CHECKSUM,
    P2P_CLOSE_TOO_LARGE,          /* a payload above the maximum */
    P2P_CLOSE_BAD_MESSAGE,        /* a payload the session reads is bad */
    P2P_CLOSE_OLD_VERSION,        /* protocol below 70001 */
    P2P_CLOSE_HANDSHAKE_TIMEOUT,
    P2P_CLOSE_IDLE,
    P2P_CLOSE_TOO_MANY_ADDRESSES, /* addr/addrv2 above 1000 entries */
    P2P_CLOSE_NO_MEMORY           /* the frame reader could not grow */
} p2p_close_reason;
#define P2P_CLOSE_REASONS (P2P_CLOSE_NO_MEMORY + 1)

/* The metrics name of a reason ("wrong_magic", ...); "unknown" for a value
 * outside the enum. */
const char *p2p_close_reason_name(p2p_close_reason reason);

typedef struct p2p_sess_config {
    const am_chain *chain;
    uint64_t services;            /* in our version */
    const char *user_agent;       /* at most 256 bytes; copied */
    uint64_t nonce;               /* our version's nonce */
    int64_t handshake_timeout;    /* seconds, > 0 */
    int64_t idle_timeout;         /* seconds, > 0 */
    uint32_t max_payload;         /* the largest message read, bytes; at
                                   * least P2P_SESS_MIN_PAYLOAD */
} p2p_sess_config;

/* The defaults above for `chain`, nonce 0, max_payload
 * P2P_MAX_PAYLOAD_DEFAULT. */
void p2p_sess_config_default(p2p_sess_config *c, const am_chain *chain);

typedef enum p2p_sess_event_type {
    P2P_EV_CLOSE,
    P2P_EV_WANT_ADDRS,
    P2P_EV_LEARNED
} p2p_sess_event_type;

typedef struct p2p_sess_event {
    p2p_sess_event_type type;
    struct {                      /* P2P_EV_CLOSE */
        p2p_close_reason reason;
        const char *why;          /* one sentence; lives as the session */
    } close;
    struct {                      /* P2P_EV_WANT_ADDRS */
        size_t max;               /* 1000 */
        int v2;                   /* the answer will be addrv2 */
    } want;
    struct {                      /* P2P_EV_LEARNED */
        const am_addrv2_entry *entries;  /* status AM_OK, message order;
                                          * valid until the next feed */
        size_t n;
        size_t dropped;           /* entries over the rate limit */
        size_t unusable;          /* within it, but no usable address */
    } learned;
} p2p_sess_event;

typedef struct p2p_sess_stats {
    uint64_t msgs_in[P2P_SESS_MSG_TYPES];   /* by p2p_msg_type */
    uint64_t msgs_out[P2P_SESS_MSG_TYPES];
    uint64_t bytes_in, bytes_out;           /* fed; consumed by the caller */
    uint64_t addrs_learned, addrs_dropped, addrs_unusable;
} p2p_sess_stats;

typedef struct p2p_sess p2p_sess;

/*
 * The version message we send, inbound (p2p_sess) or as a probe
 * (p2p_out): protocol P2P_SESS_PROTOCOL, `services` in it and in its
 * addr_from (as Core: services, :: and port 0), height 0, relay 0 (no
 * transactions).  user_agent at most P2P_USER_AGENT_MAX bytes.
 */
void p2p_sess_our_version(p2p_version *v, uint64_t services, int64_t timestamp,
                          const p2p_netaddr *addr_recv, uint64_t nonce,
                          const char *user_agent);

/*
 * A session for a peer that connected from `peer` (addr_recv of our
 * version; zeros when it does not fit v1) at time `now`.  NULL when an
 * argument is invalid (no chain, a user agent above 256 bytes, a timeout
 * <= 0) or memory runs out.
 */
p2p_sess *p2p_sess_new(const p2p_sess_config *config, const am_addr *peer,
                       int64_t now);
void p2p_sess_free(p2p_sess *s);

/*
 * Take received bytes buf[0..len) at `now`: AM_OK with *used the bytes
 * consumed (less than len when the session paused, see flow control; a
 * closed session consumes and drops everything); AM_ERR_INVAL for NULL
 * arguments.  Protocol faults are not errors: they close the session.
 */
int p2p_sess_feed(p2p_sess *s, const uint8_t *buf, size_t len, int64_t now,
                  size_t *used);

/* Check the timeouts at `now`; may close the session. */
void p2p_sess_tick(p2p_sess *s, int64_t now);

/* The bytes to send: *ptr, *len (0 when none); valid until the next call
 * of any other p2p_sess function. */
void p2p_sess_output(const p2p_sess *s, const uint8_t **ptr, size_t *len);
/* The first n output bytes were sent; n above the output's length counts
 * as all of it. */
void p2p_sess_consumed(p2p_sess *s, size_t n);

/* The next event into *ev: 1, or 0 when there is none. */
int p2p_sess_next_event(p2p_sess *s, p2p_sess_event *ev);

/*
 * Answer the peer's getaddr with entries[0..n) (time, services, addr read):
 * addrv2 when the peer sent sendaddrv2, else addr with the IPv4 and IPv6
 * entries only (the others are dropped).  AM_OK; AM_ERR_INVAL when no
 * getaddr waits for an answer (none came, or it was answered), n > 1000 or
 * an entry's network is unknown; AM_ERR_FULL when the output lacks the
 * room (send it, then call again); AM_ERR_EXISTS when the session is
 * closed.
 */
int p2p_sess_send_addrs(p2p_sess *s, const am_addrv2_entry *entries, size_t n);

/*
 * The same answer as a message built once for many sessions: the framed
 * addrv2 (v2) or addr of entries[0..n) for `chain` into buf[0..cap):
 * AM_OK and *len_out; AM_ERR_INVAL for a bad argument, cap below
 * p2p_addrs_message_size(v2, n), or an entry of unknown network.
 */
int p2p_addrs_message(const am_chain *chain, int v2,
                      const am_addrv2_entry *entries, size_t n, uint8_t *buf,
                      size_t cap, size_t *len_out);
/* Bytes that always hold p2p_addrs_message's answer for n entries. */
size_t p2p_addrs_message_size(int v2, size_t n);
/*
 * Answer the peer's getaddr with such a message (copied): the codes of
 * p2p_sess_send_addrs; AM_ERR_INVAL too when msg is not of this chain or
 * not of the format the peer asked for (p2p_sess_addrv2).
 */
int p2p_sess_send_addrs_message(p2p_sess *s, const uint8_t *msg, size_t len);

/* 1 once the session is closed (the CLOSE event may still be queued). */
int p2p_sess_closed(const p2p_sess *s);
/* 1 once the peer's version and verack came. */
int p2p_sess_ready(const p2p_sess *s);
/* 1 once the peer asked for addrv2 (sendaddrv2 after its version). */
int p2p_sess_addrv2(const p2p_sess *s);
/* The peer's version, NULL before it came. */
const p2p_version *p2p_sess_peer_version(const p2p_sess *s);
const p2p_sess_stats *p2p_sess_get_stats(const p2p_sess *s);

#endif
