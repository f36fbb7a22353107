/*
 * p2p_face.h - the Bitcoin P2P face: stock nodes connect, draw addresses
 * from the pool with getaddr and feed it with addr/addrv2.
 *
 * The face listens on one TCP address and serves inbound v1 connections on
 * a libuv loop in a thread of its own.  Each connection is a p2p_sess (the
 * protocol, p2p_sess.h); the face does the I/O, the limits, the pool calls
 * and the metrics:
 *   - accepting: a connection beyond max_connections, beyond max_per_ip from
 *     one address, beyond max_per_group from one network group (routable
 *     peers only: local clients on one host share 127.0/16), or
 *     from a banned address is closed at once, without a byte sent;
 *   - getaddr: answered from a cache per network of the asker (Core's
 *     defence against scraping the table by reconnecting), made by
 *     st_pool_getaddr and renewed after a random 21 to 27 hours, or
 *     sooner when it holds fewer than 1000 entries and the pool has grown
 *     by more than a quarter since (so that a daemon asked right after
 *     its start does not hand out an empty answer for a day);
 *   - addr/addrv2 that passed the session's rate limit: st_pool_add_heard
 *     with the peer's address as source and Core's 2-hour penalty;
 *   - timeouts: the session's, checked every second, and bans: within a
 *     second of a ban (st_pool_ban_epoch), the connections it covers are
 *     closed.
 *
 * MEMORY per connection is bounded: the session (about a kilobyte idle;
 * its output buffer of P2P_SESS_OUT_CAP and one message of at most
 * max_payload while in use), one write in flight (at most
 * P2P_SESS_OUT_CAP) and the bytes of one read the session has not taken
 * (at most P2P_FACE_READ_SIZE; reading stops until it takes them).
 *
 * THREADS: the loop runs in a thread of its own, P2P_LOOP_NICE nicer than
 * the daemon, so that when the CPU is short the HTTP threads go first.
 * p2p_face_new, _start, _stop and _free are called by one thread
 * (the daemon's main).  p2p_face_metrics may be called from any thread at
 * any time between new and free: the counters are C11 atomics.  Every
 * other piece of state belongs to the loop thread.
 *
 * On error nothing is left running and nothing is changed.
 */
#ifndef P2P_FACE_H
#define P2P_FACE_H

#include <stddef.h>
#include <stdint.h>

#include "js_buf.h"
#include "chain.h"
#include "p2p_log.h"
#include "st_pool.h"

#define P2P_FACE_MAX_CONNECTIONS_DEFAULT 125   /* Core's -maxconnections */
#define P2P_FACE_MAX_PER_IP_DEFAULT 8
#define P2P_FACE_MAX_PER_GROUP_DEFAULT 16
/* The largest message read: nothing we serve needs more than an addrv2 of
 * 1000 entries (49 kB); headers of 2000 blocks (162 kB), the largest
 * message a stock node might send a peer at height 0, still fits. */
#define P2P_FACE_MAX_PAYLOAD_DEFAULT (256u * 1024u)
#define P2P_FACE_READ_SIZE (64u * 1024u)
/* Core's 2-hour penalty on the time of an address heard from another. */
#define P2P_FACE_ADDR_PENALTY (2 * 60 * 60)
/* The getaddr cache lives 21 hours plus up to 6 more (Core's). */
#define P2P_FACE_CACHE_MIN (21 * 60 * 60)
#define P2P_FACE_CACHE_SPREAD (6 * 60 * 60)

typedef struct p2p_face_config {
    const am_chain *chain;
    const char *host;             /* to listen on: a name or numeric host */
    const char *port;             /* decimal; "0": a free port */
    uint64_t services;            /* in our version */
    unsigned max_connections;     /* > 0 */
    unsigned max_per_ip;          /* 0: no cap */
    unsigned max_per_group;       /* 0: no cap */
    int64_t handshake_timeout;    /* seconds, > 0 */
    int64_t idle_timeout;         /* seconds, > 0 */
    uint32_t max_payload;         /* >= P2P_SESS_MIN_PAYLOAD */
    p2p_log_fn log;               /* optional */
    void *log_ctx;
} p2p_face_config;

typedef struct p2p_face p2p_face;

/* The defaults above, for `chain`; host and port are left NULL. */
void p2p_face_config_default(p2p_face_config *cfg, const am_chain *chain);

/*
 * Bind and listen (the loop does not run yet): AM_OK and *out;
 * AM_ERR_INVAL for a bad config (with a sentence in err), AM_ERR_IO when
 * the address cannot be resolved or bound (err says why), AM_ERR_NOMEM.
 * The pool is borrowed and must outlive the face.
 */
int p2p_face_new(const p2p_face_config *cfg, st_pool *pool, p2p_face **out,
                 char *err, size_t err_len);
/* "host:port" or "[v6]:port" as bound (the real port when 0 was asked). */
const char *p2p_face_address(const p2p_face *f);
/* Run the loop in a new thread: AM_OK, or AM_ERR_IO. */
int p2p_face_start(p2p_face *f);
/*
 * Stop accepting, close every connection (reason "shutdown"), end the
 * loop and join its thread.  Returns within a second or so, whatever the
 * peers do.  A face that was not started is only closed.
 */
void p2p_face_stop(p2p_face *f);
/* Stops the face if running, then frees it. */
void p2p_face_free(p2p_face *f);

/* The face's Prometheus series (addrmand_p2p_*), appended to b. */
void p2p_face_metrics(p2p_face *f, js_buf *b);

#endif
