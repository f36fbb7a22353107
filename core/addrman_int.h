/*
 * addrman_int.h - the address manager's insides, shared by addrman*.c only.
 *
 * Records ("entries") live in fixed-size chunks, addressed by a 32-bit
 * index that is stable while the entry lives (dead indexes are reused
 * through a free list); chunks never move, so growing the pool never copies
 * records.  Everything else refers to entries by that index:
 *   - the two tables (table.h) hold indexes in their slots;
 *   - `endpoints` finds an entry by address + port;
 *   - `rnd` lists every live index densely (e->rpos is the position), for
 *     uniform sampling;
 *   - `ids` lists (id, index) pairs in increasing id order, for lookup by
 *     id (binary search) and stable listing; removal leaves a tombstone
 *     that compaction sweeps out.
 * Sources are interned (`srcs`): thousands of entries heard from one peer
 * share one record.  Times are stored as unsigned 32-bit Unix seconds
 * (good until 2106) to keep an entry within 128 bytes (asserted below).
 */
#ifndef AM_ADDRMAN_INT_H
#define AM_ADDRMAN_INT_H

#include "addrman.h"
#include "counter.h"
#include "idxmap.h"
#include "rng.h"
#include "table.h"
#include "timerq.h"

enum {
    F_LIVE = 1,      /* the record is in use */
    F_BANNED = 2,    /* an active ban covers it */
    F_COOLING = 4,   /* failed, inside the retry time */
    F_SELF_SRC = 8,  /* its own source (src is AM_IDX_NONE) */
    F_HELD = 16,     /* held by its owner's pool (a lease): not selectable;
                        runtime only, never saved */
    F_TIMED = 32     /* a retry timer of it is in m->cooling (at most one:
                        see addrman.c, "retry timers"); runtime only */
};

typedef struct entry {
    am_addr addr;
    uint32_t src;              /* index in srcs, AM_IDX_NONE: itself
                                  (F_SELF_SRC) or unknown */
    uint32_t rpos;             /* position in rnd; next free when dead */
    uint32_t ep_hash;          /* endpoint hash (low bits), so the endpoint
                                  map grows without hashing again */
    uint64_t id;
    uint64_t services;
    uint32_t time;
    uint32_t last_try;
    uint32_t last_success;
    uint32_t last_count_attempt;
    uint32_t last_connected;
    uint32_t attempts;
    uint8_t ref_count;         /* new slots held */
    uint8_t in_tried;
    uint8_t state;             /* am_state, never AM_STATE_BANNED */
    uint8_t flags;
    uint32_t loc[AM_MAX_NEW_REFS];  /* bucket << 6 | slot */
} entry;
/* Two records a cache line pair: the memory per address of
 * docs/BENCHMARKS.md rests on it, so a field that grows it is seen here. */
_Static_assert(sizeof(entry) <= 128, "an entry outgrew 128 bytes");

typedef struct source {
    am_addr host;              /* port 0 */
    uint32_t refs;             /* entries pointing here; 0: free */
    uint32_t next_free;        /* free list link while refs == 0 */
} srcrec;

typedef struct idrec {
    uint64_t id;
    uint32_t idx;              /* AM_IDX_NONE: removed */
} idrec;

struct am_man {
    am_config cfg;
    am_rng rng;
    uint8_t key[16];

    entry **chunks;
    uint32_t n_chunks;
    uint32_t e_high, e_free;            /* e_free: head of free list */
    size_t count;

    srcrec *s;
    uint32_t s_cap, s_high, s_free;
    am_idxmap srcmap;
    uint32_t last_src;                  /* source of the last add: batches
                                           from one source skip the lookup */

    am_idxmap endpoints;
    uint32_t *rnd;

    idrec *ids;
    size_t n_ids, n_dead_ids, ids_cap;
    uint64_t removals;                  /* peers that ever left: am_removals */
    int ids_unsorted;
    uint64_t next_id;

    am_table tables[2];                 /* [0] new, [1] tried */

    am_ban *bans;
    size_t n_bans, bans_cap;
    int64_t next_ban_expiry;            /* INT64_MAX: none */

    am_timerq cooling;
    size_t n_cooling;

    uint64_t collisions[AM_MAX_COLLISIONS];
    size_t n_collisions;

    int64_t last_good;                  /* Core's m_last_good */
    am_counter new_groups;              /* new-table entries per group */

    /* Counters by effective state, network and table. */
    size_t by_state[AM_STATE_COUNT];
    size_t by_net_table[AM_NET_MAX][2];
};

#define AM_CHUNK_BITS 12
#define AM_CHUNK (1u << AM_CHUNK_BITS)
#define E(m, i) (&(m)->chunks[(i) >> AM_CHUNK_BITS][(i) & (AM_CHUNK - 1)])
/* The index of a live entry (its place in rnd names it). */
#define IDX(m, e) ((m)->rnd[(e)->rpos])
#define LOC_BUCKET(l) ((l) >> 6)
#define LOC_SLOT(l) ((l) & 63u)
#define LOC(b, s) (((uint32_t)(b) << 6) | (uint32_t)(s))
/* A location keeps 6 bits of slot and the rest for the bucket. */
_Static_assert(AM_BUCKET_SIZE == 64, "LOC keeps 6 bits of slot");
_Static_assert((uint64_t)AM_MAX_BUCKETS << 6 <= UINT32_MAX,
               "LOC must hold every bucket");
_Static_assert(AM_MAX_NEW_REFS <= UINT8_MAX, "ref_count is a uint8_t");

/* addrman.c */
int64_t am__now(am_man *m);
int64_t am__tick(am_man *m);   /* returns now */
/* Tick, then the live entry of id, or NULL. */
entry *am__tick_find(am_man *m, uint64_t id);
int am__terrible(const entry *e, int64_t now);

/* addrman_table.c: hashing */
uint32_t am__tried_bucket(const am_man *m, const am_addr *a);
uint32_t am__new_bucket(const am_man *m, const am_addr *a, const am_addr *src);
unsigned am__slot(const am_man *m, int tried, uint32_t bucket, const am_addr *a);
uint32_t am__endpoint_hash(const am_man *m, const am_addr *a);
void am__maps_init(am_man *m);          /* endpoints and srcmap, empty */
uint32_t am__find_endpoint(const am_man *m, const am_addr *a);
const am_addr *am__source_of(const am_man *m, const entry *e);

/* addrman_table.c: records */
int am__eligible(const entry *e);
am_state am__effective_state(const entry *e);
/* Counters follow an entry: take it out (-1) before a change, back in
 * (+1) after. */
void am__account(am_man *m, const entry *e, int sign);
void am__set_flag(am_man *m, entry *e, int flag, int on);
void am__services_set(am_man *m, entry *e, uint64_t services);
void am__to_peer(const am_man *m, const entry *e, am_peer *out);
uint32_t am__find_id(am_man *m, uint64_t id);
/* Position in ids of the first record with id >= `id`. */
size_t am__ids_lower_bound(am_man *m, uint64_t id);
void am__ids_compact(am_man *m);
/* A new record, in no table yet: AM_OK (*out its index) or the error. */
int am__entry_create(am_man *m, uint64_t id, const am_addr *addr,
                     uint32_t ep_hash, const am_addr *src, uint64_t services,
                     uint32_t time, uint32_t *out);
void am__entry_delete(am_man *m, entry *e);
void am__collision_forget(am_man *m, uint64_t id);

/* addrman_table.c: placement */
/*
 * May addr, heard from src, take its new slot, by the adding rules?  `refs`
 * is how many new slots it holds (0: a newcomer), `self` its index
 * (AM_IDX_NONE: none).  AM_OK with the slot in *b, *s; AM_ERR_GROUP_CAP
 * when its group has its share of the new table; AM_ERR_EXISTS when self
 * is there already; AM_ERR_REJECTED when the occupant may stay.
 */
int am__new_slot_choose(am_man *m, const am_addr *addr, const am_addr *src,
                        uint32_t self, unsigned refs, int64_t now,
                        uint32_t *b, unsigned *s);
/* Put e into new slot (b, s), evicting whoever holds it. */
void am__new_slot_take(am_man *m, entry *e, uint32_t b, unsigned s);
/* Out of tried into its own new slot. */
void am__move_to_new(am_man *m, entry *e);
/* Into its tried slot; whoever holds it goes back to new. */
void am__make_tried(am_man *m, entry *e);
/* Back to a saved place (still its hashed place, and free); 1 when it went
 * into a table. */
int am__restore_place(am_man *m, entry *e, const am_place *pl);

/* addrman_ban.c */
int am__banned(am_man *m, const am_addr *a);
void am__expire_bans(am_man *m, int64_t now);

#endif
