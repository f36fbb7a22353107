/*
 * p2p_probe.h - the prober: addrmand checks its own addresses, as Bitcoin
 * Core's feeler connections and sipa's seeder do, so that the pool knows
 * which peers are alive.
 *
 * On a libuv loop in a thread of its own, the prober starts up to `rate`
 * probes a second (a token bucket), at most `concurrency` at a time.  Each
 * candidate comes from st_pool_probe_next: the old occupants of pending
 * tried-table collisions first (test-before-evict), then the new table,
 * then tried peers whose last success is older than `stale_age`; never a
 * banned peer, one checked within `retry` seconds, one a node is
 * connected to, one of a network it has no route to, nor two at a time of
 * one network group (am_addr_group: so one /16 is never hammered, on a
 * local test network too).  Every fourth probe looks at
 * the stale tried peers before the new table: in strict order a large new
 * table would keep the tried table from ever being checked again.
 *
 * A probe is one outbound v1 connection (p2p_out.h): our version, the
 * peer's version and verack, our getaddr and its answer.  Routes: IPv4
 * and IPv6 directly or through `proxy`; Tor v3 through `onion_proxy`,
 * else `proxy`; I2P through `i2p_proxy`, else `proxy`; CJDNS directly
 * (fc00::/8 goes through the CJDNS interface when the host has one).  The
 * proxies are SOCKS5 (p2p_socks.h), given a .onion or .b32.i2p name as
 * Tor's SOCKS port and i2pd's SOCKS proxy take them.  A network without a
 * route, or left out of `networks`, is not probed; its peers are counted
 * as unreachable (an IPv4-only host leaves IPv6 out: its every probe
 * would fail and count an attempt against live peers).  A probe that
 * finds no route to its network (a connect the kernel refuses to start,
 * as ENETUNREACH, a proxy that cannot be reached, or a proxy's reply 3,
 * "network unreachable") records nothing against its peer, and that
 * network rests 10 minutes: its peers are not drawn and count as
 * unreachable meanwhile, then one probe looks again.  Through a
 * proxy the timeout is twice `timeout`: the circuit is built first.
 *
 * The result goes to the pool through st_pool_probe_done (journalled like
 * every state report; leases and nodes' connections untouched): success
 * records the services of the peer's version and marks it good (tried; a
 * collision it occupied resolved in its favour), failure counts an
 * attempt.  The answer to getaddr (at most 1000 entries) goes to
 * st_pool_add_heard with the probed peer as source and Core's 2-hour
 * penalty, before the connection is closed; a debug line says how many
 * the pool added and why it ignored the rest ("table_full 2": their new
 * slots hold better entries).  A probe cut by the prober's stop records
 * nothing.
 *
 * THREADS: as p2p_face.h.  new, start, stop and free are called by one
 * thread; p2p_probe_metrics from any thread between new and free.  The
 * loop thread runs P2P_LOOP_NICE nicer than the daemon (p2p_loop.h).
 *
 * On error nothing is left running and nothing is changed.
 */
#ifndef P2P_PROBE_H
#define P2P_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "js_buf.h"
#include "js_writer.h"
#include "p2p_face.h"
#include "st_pool.h"

#define P2P_PROBE_RATE_DEFAULT 2.0          /* probes started a second */
#define P2P_PROBE_CONCURRENCY_DEFAULT 32
#define P2P_PROBE_TIMEOUT_DEFAULT 10000     /* ms: connect plus handshake */
#define P2P_PROBE_ANSWER_WAIT_DEFAULT 5000  /* ms for the getaddr answer */
#define P2P_PROBE_STALE_AGE_DEFAULT (4 * 60 * 60)
#define P2P_PROBE_RETRY_DEFAULT 600         /* Core's retry time */
#define P2P_PROBE_USER_AGENT "/addrmand-prober:0.1.0/"

typedef struct p2p_probe_config {
    const am_chain *chain;
    double rate;                  /* > 0 */
    unsigned concurrency;         /* > 0 */
    int64_t timeout;              /* ms, > 0 */
    int64_t answer_wait;          /* ms, >= 0 */
    int64_t stale_age;            /* seconds, > 0 */
    int64_t retry;                /* seconds, >= 0 */
    uint32_t networks;            /* bits 1u << net it may probe (e.g. no
                                   * IPv6 on an IPv4-only host); 0: every
                                   * network it has a route to */
    const char *proxy;            /* "host:port" (numeric), or NULL */
    const char *onion_proxy;
    const char *i2p_proxy;
    p2p_log_fn log;               /* optional */
    void *log_ctx;
} p2p_probe_config;

typedef struct p2p_probe p2p_probe;

/* The defaults above for `chain`; no proxies. */
void p2p_probe_config_default(p2p_probe_config *cfg, const am_chain *chain);

/*
 * AM_OK and *out; AM_ERR_INVAL for a bad config or a proxy that is not a
 * numeric host:port (err says why); AM_ERR_NOMEM.  The pool is borrowed
 * and must outlive the prober.
 */
int p2p_probe_new(const p2p_probe_config *cfg, st_pool *pool, p2p_probe **out,
                  char *err, size_t err_len);
/* Run the loop in a new thread: AM_OK, or AM_ERR_IO. */
int p2p_probe_start(p2p_probe *p);
/* Close every probe (recording nothing), end the loop, join the thread. */
void p2p_probe_stop(p2p_probe *p);
void p2p_probe_free(p2p_probe *p);

/* 1 when the prober reaches `net` (a route: directly or by a proxy). */
int p2p_probe_reaches(const p2p_probe *p, int net);

/* The prober's counts as the member "probe" of GET /v1/stats, into the
 * open object w. */
void p2p_probe_stats(p2p_probe *p, js_w *w);

/* The prober's Prometheus series (addrmand_probe_*), appended to b: one
 * walk over the pool for the verified gauges. */
void p2p_probe_metrics(p2p_probe *p, js_buf *b);

#endif
