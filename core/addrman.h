/*
 * addrman.h - the address manager: new/tried tables, selection, bans.
 *
 * Modelled on Bitcoin Core's addrman, with Floresta's peer states on top.
 *
 * Tables.  A "new" table (default 1024 buckets) holds addresses we heard
 * about, a "tried" table (default 256 buckets) addresses we connected to.
 * Every bucket has AM_BUCKET_SIZE (64) slots.  Placement is keyed by a
 * secret 128-bit key (SipHash-2-4) and network groups (am_addr_group):
 *   - new bucket  = H(group(source), H(group(addr), group(source)) % 64):
 *     one source group reaches at most 64 new buckets;
 *   - tried bucket = H(group(addr), H(addr, port) % 8): one group reaches at
 *     most 8 tried buckets;
 *   - slot = H(table, bucket, addr, port) % 64.
 * An address sits in one tried slot, or in 1..8 new slots.  A taken new slot
 * changes hands only when its occupant is terrible (am_peer_is_terrible) or
 * sits in other slots as well while the newcomer has none; otherwise the
 * newcomer is turned away (AM_ERR_REJECTED).  Moving to tried uses
 * test-before-evict: a taken tried slot is not overwritten, the pair is kept
 * as a collision (at most AM_MAX_COLLISIONS) and the old occupant is offered
 * to the feeler; am_resolve_collisions() settles them with Core's rules.
 *
 * Selection is expected O(1) whatever the table size: per table, network and
 * service bit the core keeps which buckets hold an eligible entry and which
 * slots in them, so it never scans empty buckets or slots.  It keeps Core's
 * statistics: a table 50/50, a random non-empty bucket, a random entry in it,
 * accepted with probability chance * factor (Core's GetChance; factor grows
 * 1.2x per rejection).  Never selected: banned peers, peers whose last
 * failure is younger than the retry time.  When the fast path cannot find a
 * candidate quickly, an exact pass over the table's buckets (bounded by the
 * table size, not the peer count) decides.
 *
 * Group cap.  Core lets one address group fill a slot in every new bucket
 * it is announced into, and an attacker with many sources reaches a third
 * of selections with addresses from a single /16.  We also cap how many
 * new-table slots one network group may hold (new_group_cap): past it,
 * new addresses of that group are turned away (AM_ERR_GROUP_CAP) and known
 * ones gain no further slot.  Slots, not addresses, are counted, so
 * re-announcing a few addresses from many sources cannot multiply them.  The cost
 * falls on honest nodes crowded into one large hosting network: beyond
 * the cap, their addresses wait until others of the group leave the table.
 *
 * Peer state (Floresta's): never_tried, tried, connected, failed; "banned"
 * is reported whenever an active ban covers the address.  See am_set_state.
 *
 * Ids are 64-bit, start at 1, are never reused and stay below 2^53.
 *
 * Time and randomness come from the config (a clock function and a seed) so
 * that tests are deterministic; by default the real clock and getrandom().
 *
 * THREADS: an am_man is not thread-safe.  Every call, lookups included
 * (they expire bans and retry timers and draw random numbers), must hold the
 * caller's one exclusive lock for the duration of the call.  am_peer, am_ban
 * and am_stats results are copies: they may be used after the lock is gone.
 */
#ifndef AM_ADDRMAN_H
#define AM_ADDRMAN_H

#include <stddef.h>
#include <stdint.h>

#include "am_error.h"
#include "netaddr.h"

#define AM_BUCKET_SIZE 64
#define AM_MAX_NEW_REFS 8        /* new slots one address may occupy */
#define AM_MAX_COLLISIONS 10
#define AM_MAX_BUCKETS 65536
#define AM_BAN_REASON_MAX 256    /* bytes, NUL included */
#define AM_ID_MAX ((UINT64_C(1) << 53) - 1)

typedef int64_t (*am_clock_fn)(void *ctx);   /* Unix seconds */

typedef struct am_config {
    uint32_t new_buckets;     /* power of two, 1..AM_MAX_BUCKETS; default 1024 */
    uint32_t tried_buckets;   /* power of two, 1..AM_MAX_BUCKETS; default 256 */
    int64_t retry_time;       /* seconds a failed peer rests; default 600 */
    uint32_t new_group_cap;   /* most new-table slots of one network group;
                                 0 = no cap; default 256 (see below) */
    int have_key;             /* 0: draw a random key */
    uint8_t key[16];          /* the bucketing secret when have_key */
    uint64_t seed;            /* RNG seed; 0: seed from getrandom() */
    am_clock_fn clock;        /* NULL: time(NULL) */
    void *clock_ctx;
    int allow_local;          /* 1: also admit loopback and private
                                 addresses (am_addr_is_local_ok), for a
                                 local test network; default 0 (see
                                 am_admits) */
} am_config;

typedef enum am_state {
    AM_STATE_NEVER_TRIED = 0,
    AM_STATE_TRIED = 1,
    AM_STATE_CONNECTED = 2,
    AM_STATE_FAILED = 3,
    AM_STATE_BANNED = 4        /* reported only; derived from the ban list */
} am_state;
#define AM_STATE_COUNT 5

/* "never_tried", "tried", "connected", "failed", "banned": the one table of
 * state names (the API, the files and the metrics use it); "unknown" for
 * a value outside the enum. */
const char *am_state_name(am_state state);
/* The reverse (exact, lower case): AM_OK or AM_ERR_INVAL. */
int am_state_from_name(const char *name, am_state *out);

/* What a node reports about a peer (am_set_state). */
typedef enum am_state_op {
    AM_OP_CONNECTED = 0,    /* handshake done, connection open: Core's Good */
    AM_OP_TRIED = 1,        /* handshake done: Core's Good */
    AM_OP_FAILED = 2,       /* attempt failed: Core's Attempt, counted */
    AM_OP_NEVER_TRIED = 3,  /* forget the history, back to the new table */
    AM_OP_DISCONNECTED = 4  /* connection ended: Core's Connected; -> tried */
} am_state_op;

/* A copy of one peer. */
typedef struct am_peer {
    uint64_t id;
    am_addr addr;               /* with port */
    am_addr source;             /* host only (port 0); the peer itself when
                                   it was added without a source */
    int has_source;             /* 0: source unknown (e.g. imported) */
    uint64_t services;
    am_state state;             /* AM_STATE_BANNED when a ban covers it */
    int in_tried;               /* table: 1 tried, 0 new */
    int64_t time;               /* last seen by the network */
    int64_t last_connected;     /* 0 = never */
    int64_t last_try;           /* 0 = never */
    int64_t last_success;       /* 0 = never */
    uint32_t attempts;          /* failures since the last success */
    uint32_t ref_count;         /* new slots held (0 when in tried) */
} am_peer;

/* Where a peer sits: its tried slot, or its new slots. */
typedef struct am_place {
    int in_tried;
    uint32_t n;                         /* 1 when in tried */
    uint32_t bucket[AM_MAX_NEW_REFS];
    uint32_t slot[AM_MAX_NEW_REFS];
} am_place;

typedef struct am_ban {
    am_subnet target;
    int64_t until;              /* the ban is active while now < until */
    int64_t created;
    char reason[AM_BAN_REASON_MAX];
} am_ban;

typedef struct am_stats {
    size_t total;
    size_t by_table[2];                     /* [0] new, [1] tried */
    size_t by_state[AM_STATE_COUNT];        /* effective state */
    size_t by_net[AM_NET_MAX];
    size_t by_net_table[AM_NET_MAX][2];
    uint32_t buckets[2];                    /* bucket count per table */
    uint32_t buckets_used[2];               /* buckets with >= 1 entry */
    size_t slots_used[2];                   /* occupied slots per table */
    size_t bans;
    size_t collisions;
    size_t cooling;                         /* failed, inside the retry time */
    size_t timers;                          /* retry timers queued: at most
                                               one a peer, plus those of
                                               peers removed meanwhile */
    size_t new_groups;                      /* network groups in the new table */
    uint64_t next_id;
} am_stats;

typedef struct am_man am_man;

/* Defaults: 1024 x 64 new, 256 x 64 tried, retry 600 s, random key/seed,
 * public addresses only. */
void am_config_default(am_config *cfg);
int am_new(const am_config *cfg, am_man **out);
void am_free(am_man *m);

/* The secret bucketing key (to persist it) and the table sizes. */
void am_get_key(const am_man *m, uint8_t key[16]);
int64_t am_now(am_man *m);

/*
 * 1 when this manager admits the address as a peer (am_add, am_restore;
 * anything else that loads peers must ask the same): publicly routable
 * (am_addr_is_routable), or, with cfg.allow_local, loopback or private
 * too (am_addr_is_local_ok).  0 for anything else (AM_ERR_UNROUTABLE).
 * The address is taken in the pool's form (am_addr_canon).  Local
 * addresses are grouped by their /16 (IPv4) or /32 (IPv6) in the
 * unroutable class (am_addr_group), so a regtest network's peers spread
 * over buckets as the Internet's do.
 */
int am_admits(const am_man *m, const am_addr *a);

/*
 * Add one address heard from `source` (NULL: the address is its own source),
 * both taken in the pool's form (am_addr_canon).
 * `time` 0 means now; a time <= 100000000 or more than 10 minutes in the
 * future is stored as now - 5 days.  `penalty` seconds are taken off the
 * time when source is not the address itself (Core's addr time penalty).
 * Services are OR-ed into a known entry.
 *
 * Returns AM_OK and *is_new (1 new peer, 0 known peer refreshed), or
 * AM_ERR_UNROUTABLE (not admitted: am_admits), AM_ERR_BANNED, AM_ERR_REJECTED (its new slot holds a
 * better entry), AM_ERR_GROUP_CAP (its group is at new_group_cap; nothing
 * stored for these four),
 * AM_ERR_ADDR for an address no network knows.  *id_out (optional) gets the
 * peer's id on success.
 */
int am_add(am_man *m, const am_addr *addr, const am_addr *source,
           uint64_t services, int64_t time, int64_t penalty,
           int *is_new, uint64_t *id_out);

/*
 * Report what a node learnt about a peer:
 *   CONNECTED / TRIED: last_success = last_try = now, attempts = 0, moved to
 *     tried (or a collision is recorded: test-before-evict); CONNECTED also
 *     sets last_connected = now.  Ends a retry wait.
 *   FAILED: last_try = now, attempts + 1 (once per success epoch, as Core);
 *     the peer rests for the retry time.
 *   NEVER_TRIED: attempts, last_try, last_success = 0; a tried peer goes back
 *     to its new bucket.
 *   DISCONNECTED: state tried; last_connected = now; time = now when it was
 *     older than 20 minutes.
 * *out (optional) gets the updated peer.
 */
int am_set_state(am_man *m, uint64_t id, am_state_op op, am_peer *out);
int am_set_services(am_man *m, uint64_t id, uint64_t services, am_peer *out);

int am_get(am_man *m, uint64_t id, am_peer *out);
/* 1 when a peer with this id is stored (no copy: for callers that only
 * need to know whether an id they hold is still alive). */
int am_has(am_man *m, uint64_t id);
/*
 * Hold (on) or release a peer: a held peer is left out of selection
 * (am_select, the feeler included) and is otherwise unchanged: listed,
 * relayed, updated and saved as before (the hold itself is not saved).
 * The pool holds the peers it leases, so that a pool whose every peer is
 * leased answers a select at once instead of testing every slot.
 * AM_OK, or AM_ERR_NOTFOUND.
 */
int am_hold(am_man *m, uint64_t id, int on);
/* 1 when the peer is stored and held. */
int am_held(am_man *m, uint64_t id);
/* How many peers have left the am_man since it was made (evicted, removed,
 * replaced): while it stays the same, every id a caller keeps is alive. */
uint64_t am_removals(const am_man *m);
/* Look up by address and port (the same host on another port is another peer). */
int am_find(am_man *m, const am_addr *endpoint, am_peer *out);
int am_place_of(am_man *m, uint64_t id, am_place *out);
int am_remove(am_man *m, uint64_t id);
size_t am_size(const am_man *m);

/*
 * Put back a saved peer (persistence): its id, fields and stored state
 * (AM_STATE_BANNED is read as never tried: bans are restored on their own;
 * AM_STATE_CONNECTED as tried: no connection outlives a restart, and no
 * node could ever end it).
 * With `place` (optional) the peer goes back to the same slots when they are
 * still its hashed slots (same key and table sizes) and free; otherwise, or
 * without it, a tried peer goes to its tried slot when free, and any other
 * to its own new slot under the usual replacement rule and the group cap.
 * The id counter moves past p->id.  AM_ERR_EXISTS when the id or endpoint
 * is known, AM_ERR_GROUP_CAP when its group holds its share of the new
 * table, AM_ERR_REJECTED when no slot would take it, AM_ERR_UNROUTABLE
 * when am_admits refuses the address.
 */
int am_restore(am_man *m, const am_peer *p, const am_place *place);

/* Selection. */
typedef int (*am_skip_fn)(void *ctx, const am_peer *candidate);
typedef struct am_select_opts {
    uint64_t services;   /* every bit must be set; ignored by the feeler */
    uint32_t networks;   /* bits (1u << net); 0 = every network */
    int feeler;          /* collision occupant, else new table, else any */
    am_skip_fn skip;     /* optional: return 1 to leave a candidate out */
    void *skip_ctx;
    uint64_t any_services; /* at least one of these bits must be set
                            (0: no such test); ignored by the feeler.
                            Filtered like services, by the tables' masks:
                            peers without them cost no skip test */
    int fast_only;       /* 1: when a table's fast path misses (64 draws),
                            give that table up instead of making the exact
                            pass: AM_ERR_NOTFOUND may then come although
                            some peer fits.  For a caller that draws many
                            peers through a skip test refusing most of
                            them and bounds its own cost (st_pool_getaddr) */
    unsigned tables;     /* bits: 1 the new table, 2 the tried table;
                            0 = both.  Outside the feeler: the tables the
                            50/50 draw may take (the prober draws from one
                            at a time) */
} am_select_opts;

/* AM_OK with *out, or AM_ERR_NOTFOUND when no peer fits. */
int am_select(am_man *m, const am_select_opts *opts, am_peer *out);

/* Listing in id order.  Zero fields of the filter match everything. */
typedef struct am_filter {
    uint32_t states;     /* bits (1u << am_state), 0 = any */
    uint32_t networks;   /* bits (1u << net), 0 = any */
    int table;           /* -1 any, 0 new, 1 tried */
    uint64_t services;   /* every bit must be set */
    int64_t verified_since; /* last_success >= this (0 = any: a peer never
                               verified has last_success 0) */
} am_filter;

/*
 * Up to `cap` peers with id > after that match, in increasing id order.
 * *next gets the id to pass as `after` for the next page, or 0 at the end.
 */
int am_list(am_man *m, const am_filter *f, uint64_t after, am_peer *out,
            size_t cap, size_t *n_out, uint64_t *next);

/*
 * A random sample of good addresses to relay (Core's GetAddr): at most
 * max_count and at most max_pct percent of all peers (0 = no percent cap);
 * terrible and banned peers, other networks (networks 0 = all) and peers
 * lacking a service bit are left out, so fewer may come back.
 */
int am_sample(am_man *m, size_t max_count, unsigned max_pct, uint32_t networks,
              uint64_t services, am_peer *out, size_t *n_out);

/* Bans.  Adding an existing target replaces its until and reason. */
int am_ban_add(am_man *m, const am_subnet *target, int64_t until,
               const char *reason, am_ban *out);
int am_ban_remove(am_man *m, const am_subnet *target);
void am_ban_clear(am_man *m);
size_t am_ban_count(am_man *m);
int am_ban_list(am_man *m, am_ban *out, size_t cap, size_t *n_out);
int am_is_banned(am_man *m, const am_addr *a);

/* Test-before-evict. */
/* The old tried occupant of a pending collision, for a feeler to test. */
int am_collision_peer(am_man *m, am_peer *out);
/* Settle pending collisions with Core's rules; called by select and
 * set_state too. */
void am_resolve_collisions(am_man *m);

/* How much of the table has been checked lately (the prober's gauges):
 * one walk over every peer. */
typedef struct am_verify_stats {
    size_t peers;
    size_t never_checked;    /* last_try 0: no attempt, no success yet */
    int64_t oldest_check;    /* the smallest non-zero last_try (0: none) */
    size_t tried;            /* peers in the tried table */
    size_t tried_verified;   /* of them, last_success >= since */
} am_verify_stats;
void am_verify_stats_get(am_man *m, int64_t since, am_verify_stats *out);

/* Core's IsTerrible at time now. */
int am_peer_is_terrible(const am_peer *p, int64_t now);

void am_stats_get(am_man *m, am_stats *out);

/*
 * Walk every structure and verify every invariant.  AM_OK, or
 * AM_ERR_INTERNAL with a description in why (when why != NULL).
 */
int am_check(am_man *m, char *why, size_t why_len);

#endif
