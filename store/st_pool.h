/*
 * st_pool.h - the durable pool: the one API every face calls.
 *
 * A face (the HTTP API, the Bitcoin P2P face, the prober) never touches the
 * address manager, the shared pool, the lock or the journal itself.  It
 * parses its input without any lock, then makes one call here; the call
 * takes the lock, asks the core (am_man) and the pool (am_pool: per-node
 * connections and leases), journals what changed in the data directory
 * (st_store.h) before it returns, and answers through out-parameters.  So
 * every face locks, journals and snapshots exactly alike.
 *
 * Answers: a call returns the core's code (AM_OK, AM_ERR_NOTFOUND, ...).
 * Calls that change something also give *jrc: AM_OK when the change is
 * durable, else the journal's error (AM_ERR_IO, AM_ERR_NOMEM) -- the change
 * is then in memory but would be lost by a crash before the next snapshot,
 * and the face must say so.  Without a data directory (store NULL) nothing
 * is journalled and *jrc is always AM_OK.
 *
 * LOCKING (st_lock.h): one first-come, first-served lock around the core,
 * the pool and the journal's appends.  No call holds it while parsing or
 * writing JSON, nor for long: calls over many peers (st_pool_add,
 * st_pool_merge, st_pool_load_file) take it in slices of ST_POOL_SLICE
 * entries, so that a select waits for one slice at most, not for a whole
 * 200 000-entry import.  Each slice is journalled in one write before the
 * lock is let go; a reader may see an import half done, never a peer half
 * added.  A snapshot and an export must be one consistent picture: they
 * copy the peers in one hold and write the text after it.  Every function here may be called from
 * any thread.
 */
#ifndef ST_POOL_H
#define ST_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "addrman.h"
#include "pool.h"
#include "st_coredat.h"
#include "st_lock.h"
#include "st_merge.h"
#include "st_store.h"

/* Entries handled per hold of the lock by the long calls: 64 adds or
 * merges with their journal write take one to two milliseconds (256 took
 * up to 10 ms in the import path of bench/lock_bench). */
#define ST_POOL_SLICE 64

typedef struct st_pool st_pool;

typedef struct st_pool_config {
    am_man *core;           /* borrowed, required; nothing else may use it
                             * while the pool lives.  Its config decides
                             * what every face may add: with allow_local
                             * (regtest) loopback and private addresses
                             * too, here and in the loaders (am_admits) */
    st_store *store;        /* the data directory, loaded; borrowed.
                             * NULL: nothing is saved */
    int64_t node_timeout;   /* seconds a silent node is kept; 0: 900 */
} st_pool_config;

/* AM_OK, AM_ERR_INVAL (no core) or AM_ERR_NOMEM. */
int st_pool_new(const st_pool_config *cfg, st_pool **out);
void st_pool_free(st_pool *p);
/* The data directory, or NULL (no lock needed: it never changes). */
st_store *st_pool_store(const st_pool *p);
/* The core's clock (Unix seconds). */
int64_t st_pool_now(st_pool *p);

/* ---- adding ---------------------------------------------------------- */

typedef struct st_add {
    am_addr addr;
    uint64_t services;
    int64_t time;
    int skip;               /* in: non-zero: not offered to the core */
    int rc;                 /* out: am_add's answer (AM_OK when added or
                             * refreshed, else why it was not) */
    int is_new;             /* out: added (1) or refreshed (0) */
} st_add;

/*
 * Offer items[0..n) to the core (am_add) in slices, journalling each peer
 * added or refreshed.  An address with port 0 outside I2P is not offered
 * (rc AM_ERR_ADDR): no face may store a peer nobody can connect to.  Without a source each peer is its own source (the
 * host, port 0).  AM_OK; the items carry their answers.  A journal failure
 * stops the call: the items after it keep rc AM_ERR_IO and *jrc has it.
 */
int st_pool_add(st_pool *p, st_add *items, size_t n, const am_addr *source,
                int *jrc);
/* st_pool_add for addresses heard from a peer (a P2P addr message):
 * `penalty` seconds come off each entry's time when the source is not the
 * address itself, as Core's 2-hour addr penalty (am_add). */
int st_pool_add_heard(st_pool *p, st_add *items, size_t n,
                      const am_addr *source, int64_t penalty, int *jrc);

/* ---- peers ----------------------------------------------------------- */

/* How a face names a peer: its id, or its endpoint. */
typedef struct st_ref {
    int by_id;
    uint64_t id;            /* 0 with by_id: a peer that cannot exist */
    am_addr endpoint;
} st_ref;

/* The peer: AM_OK or AM_ERR_NOTFOUND. */
int st_pool_peer(st_pool *p, const st_ref *ref, am_peer *out);
/* am_list under the lock. */
int st_pool_list(st_pool *p, const am_filter *f, uint64_t after,
                 am_peer *out, size_t max, size_t *n, uint64_t *next);
/* Forget the peer (its leases and connections too); *out: what it was. */
int st_pool_remove(st_pool *p, const st_ref *ref, am_peer *out, int *jrc);
/* New service flags; *out: the peer after. */
int st_pool_set_services(st_pool *p, const st_ref *ref, uint64_t services,
                         am_peer *out, int *jrc);
/*
 * Node `node` reports the outcome `op` for the peer (am_pool_report): the
 * core's state changes (unless the node disconnects from a peer another
 * node is still connected to), the node's lease ends, its connections
 * follow.  Returns the core's code; *prc gets the pool's (AM_ERR_FULL when
 * no new node fits), *out the peer after.
 */
int st_pool_report(st_pool *p, const char *node, const st_ref *ref,
                   am_state_op op, am_peer *out, int *prc, int *jrc);
/* The peer's id and where it sits in the tables (GET /debug/place). */
int st_pool_place(st_pool *p, const st_ref *ref, uint64_t *id, am_place *out);

/* ---- selecting ------------------------------------------------------- */

/* am_pool_select; the peers it moves while settling tried-table
 * collisions are journalled. */
int st_pool_select(st_pool *p, const am_pool_select_opts *o, am_peer *out,
                   size_t *n, int *jrc);
/* am_sample: peers to gossip, no lease, no change. */
int st_pool_sample(st_pool *p, size_t count, uint32_t networks,
                   uint64_t services, am_peer *out, size_t *n);

/* The most peers one getaddr answer carries (Bitcoin's MAX_ADDR_TO_SEND). */
#define ST_GETADDR_MAX 1000
/* The work of one st_pool_getaddr: skip tests (one a candidate peer)
 * beyond which it makes no further exact pass (see its cost below).  A
 * test of the exact pass reads a random peer record and its source (two
 * cache misses, 150-250 ns measured on a busy 2-core machine): 32768 of
 * them take some 5-8 ms, the longest hold the call may make. */
#define ST_GETADDR_WORK 32768

/*
 * Addresses for a P2P getaddr answer: up to max (<= 1000) peers drawn with
 * selection's statistics (am_select: a table 50/50, a random non-empty
 * bucket, an entry in it), each of a network group not drawn before while
 * such groups remain, then any peer not drawn before; only peers with
 * NODE_NETWORK (1) or NODE_NETWORK_LIMITED (1024), never banned, never
 * terrible, never the same peer twice.  Takes the lock in slices.
 * AM_OK with *n_out (0 when none fits), AM_ERR_INVAL for bad arguments
 * (max 0 or over ST_GETADDR_MAX, out or n_out NULL), AM_ERR_NOMEM.
 *
 * Statistics: a draw picks a bucket, not an address, so a source that
 * floods the new table with addresses gets the share of the buckets it
 * reaches (64 new buckets a source group), not of the addresses.  Being
 * selection's, the draw also leaves out what selection never picks: peers
 * resting after a failure (the retry time) and peers a node holds on
 * lease (am_hold).  Local addresses (regtest) are grouped by /16 (/32).
 *
 * Cost, bounded whatever the pool holds: every draw is an am_select whose
 * masks leave out peers without either service bit (am_select_opts
 * .any_services: they cost nothing) and whose skip test refuses the
 * other peers above.  Its first try is the fast path only
 * (am_select_opts.fast_only: per table at most 64 missed bucket draws and
 * 44 chance retries of Core's, so at most 217 tests); only when that
 * misses does a second select with the exact pass decide, which tests each
 * peer at most once more (<= the pool's size), and only while the call's
 * tests so far plus the pool's size stay within ST_GETADDR_WORK (so a
 * pool of more peers than that draws by the fast path alone).  A draw
 * that finds nothing (the exact pass's NOTFOUND, or a fast miss with no
 * exact pass allowed) ends the distinct-group phase, and ends the call in
 * the second phase or when nothing was drawn at all.  So a call makes at
 * most max + 2 draws and fewer than ST_GETADDR_WORK + 500 (max + 2) skip
 * tests; a pool where nothing fits costs one draw: two fast paths and
 * (pool size permitting) one exact pass.  The price of the bound: on a
 * large pool where few peers fit among very many, the answer may hold
 * fewer peers (or groups) than fit.
 *
 * Each slice of ST_POOL_SLICE draws is one hold of the lock (an exact pass
 * is one select: a hold of one such pass at most); a peer changed, banned
 * or removed between two slices may be answered as it was when drawn.
 * Tried-table collisions that the selects settle are journalled; a journal
 * failure there is counted by the store (journal_failures), not answered:
 * the next snapshot has the true places.
 */
int st_pool_getaddr(st_pool *p, size_t max, am_peer *out, size_t *n_out);

/* ---- probing (the prober, p2p/p2p_probe.h) --------------------------- */

/* Where a probe candidate came from, in the order they are drawn. */
typedef enum st_probe_phase {
    ST_PROBE_COLLISION,     /* the old occupant of a pending tried-table
                             * collision (test-before-evict) */
    ST_PROBE_NEW,           /* the new table */
    ST_PROBE_STALE          /* a tried peer whose last success is old */
} st_probe_phase;
#define ST_PROBE_PHASES (ST_PROBE_STALE + 1)

typedef struct st_probe_query {
    uint32_t networks;      /* the networks the prober reaches (bits
                             * 1u << net); 0: none, nothing is drawn */
    int64_t retry;          /* a peer checked (last_try, success or
                             * failure) less than this many seconds ago is
                             * left out */
    int64_t stale_age;      /* a tried peer is drawn (ST_PROBE_STALE) only
                             * when its last success is at least this old */
    int stale_first;        /* 1: stale tried peers before the new table */
    am_skip_fn skip;        /* optional, called under the lock: the
                             * caller's own test (probes in flight) */
    void *skip_ctx;
} st_probe_query;

/*
 * The next peer to probe, drawn with selection's statistics (am_select:
 * a random non-empty bucket, an entry in it, Core's chance): a collision
 * occupant first, then the new table, then a stale tried peer (those two
 * the other way round with stale_first).  Never a banned peer, one a node
 * is connected to (state connected: it is known alive), one checked
 * within q->retry, one of a network outside q->networks, nor one q->skip
 * refuses.  One hold of the lock; collisions the selects settle are
 * journalled (a failure there is the store's journal_failures, as in
 * st_pool_getaddr).  AM_OK with *out and *phase, or AM_ERR_NOTFOUND.
 */
int st_pool_probe_next(st_pool *p, const st_probe_query *q, am_peer *out,
                       st_probe_phase *phase);

/*
 * A probe of peer `id` ended.  ok: the handshake succeeded, the peer's
 * services become `services` (what its version announced, replacing the
 * stored ones) and it is marked good (Core's Good: tried, or a pending
 * collision; a collision it occupied is resolved in its favour).  Not ok:
 * an attempt is counted (Core's Attempt; it rests for the retry time).  A
 * peer a node is connected to keeps that state (only its services change).
 * Leases and the nodes' connections are not touched: the prober is not a
 * node.  AM_OK with *out the peer after, AM_ERR_NOTFOUND when the id is
 * gone or no longer `addr` (removed meanwhile); *jrc as for every change.
 */
int st_pool_probe_done(st_pool *p, uint64_t id, const am_addr *addr, int ok,
                       uint64_t services, am_peer *out, int *jrc);

/* What "verified lately" means wherever it is reported (GET /v1/stats,
 * the prober's gauge): a last success within a day. */
#define ST_VERIFIED_WINDOW (24 * 60 * 60)
/* am_verify_stats_get under the lock (one walk over every peer), counting
 * successes within ST_VERIFIED_WINDOW of the core's clock; *now (optional)
 * gets that clock's time. */
void st_pool_verify_stats(st_pool *p, am_verify_stats *out, int64_t *now);

/* ---- bans ------------------------------------------------------------ */

/* Ban target for `duration` seconds from now; *out the ban made. */
int st_pool_ban(st_pool *p, const am_subnet *target, int64_t duration,
                const char *reason, am_ban *out, int *jrc);
/* Every ban, malloc'd (*out may be NULL when *n is 0). */
int st_pool_bans(st_pool *p, am_ban **out, size_t *n);
/* A number that changes whenever a ban may have been added (st_pool_ban,
 * a merged document), so that a face holding connections knows when to
 * check them again; read without the lock. */
uint64_t st_pool_ban_epoch(st_pool *p);
/* Peers in the core now. */
size_t st_pool_size(st_pool *p);
/* 1 when an active ban covers the host of `a` (its port is ignored). */
int st_pool_banned(st_pool *p, const am_addr *a);
int st_pool_unban(st_pool *p, const am_subnet *target, int *jrc);
int st_pool_unban_all(st_pool *p, int *jrc);

/* ---- nodes ----------------------------------------------------------- */

typedef struct st_node {
    am_node_info info;
    uint64_t *ids[2];       /* [0] connected, [1] leased; ascending */
} st_node;

typedef struct st_nodes {
    st_node *v;
    size_t n;
    uint64_t *block;        /* every ids[] */
} st_nodes;

/* The nodes now (those timed out dropped first), with their peer ids when
 * with_ids.  AM_OK or AM_ERR_NOMEM; free with st_nodes_free. */
int st_pool_nodes(st_pool *p, int with_ids, st_nodes *out);
void st_nodes_free(st_nodes *s);
/* Drop a node with its leases and connections: AM_OK, AM_ERR_NOTFOUND. */
int st_pool_drop_node(st_pool *p, const char *name, int *jrc);

/* ---- the pool as a whole --------------------------------------------- */

void st_pool_stats(st_pool *p, am_stats *out);
/* The lock's figures (st_lock.h): the longest wait and hold since the last
 * reset. */
void st_pool_lock_stats(st_pool *p, st_lock_stats *out, int reset);
/* am_check and am_pool_check: AM_OK or AM_ERR_INTERNAL with why. */
int st_pool_check(st_pool *p, char *why, size_t why_len);
/* Every peer as a Floresta document (malloc'd): copied in one hold,
 * written after it. */
int st_pool_export(st_pool *p, char **text, size_t *len);
/* anchors.json of the named peers: AM_OK, or AM_ERR_NOTFOUND with
 * *missing the index of the first unknown one. */
int st_pool_anchors(st_pool *p, const st_ref *refs, size_t n, char **text,
                    size_t *len, size_t *missing);
/* Every peer not banned as Bitcoin Core's peers.dat for `chain`
 * (st_coredat_write: a fresh key; malloc'd *out): copied in one hold,
 * placed and written after it.  *w (optional): what went where. */
int st_pool_export_core(st_pool *p, const am_chain *chain, uint8_t **out,
                        size_t *len, st_coredat_written *w);

/* ---- the data directory ---------------------------------------------- */

/* A snapshot: texts under the lock, files written after it.  AM_ERR_INVAL
 * without a store; else st_store_snapshot_commit's answer. */
int st_pool_save(st_pool *p, size_t *peers);
/* Merge a parsed document (every change journalled), in slices.  AM_OK
 * with r filled, or the error that stopped it (the slices before stay). */
int st_pool_merge(st_pool *p, const st_doc *doc, st_merge_result *r);
/* POST /v1/load: st_store_load_file's contract, merged in slices. */
int st_pool_load_file(st_pool *p, const char *name, st_merge_result *r);

#endif
