/*
 * addrman_persist.h - what persistence needs from the core beyond addrman.h.
 *
 * A saved state must come back exactly: a ban keeps the time it was made,
 * the id counter never goes back (ids of removed peers are not reused after
 * a restart), a banned peer keeps the state it will have again when the ban
 * lifts, and a journal replay must know who holds a slot, and where a
 * peer pushed out of the tried table lands, so that it can repeat an
 * eviction the core made; the store must see which peers a collision
 * resolution may move.  addrman.h exposes none of this, so these calls
 * live here, on top of the core's insides.
 *
 * THREADS: as addrman.h: hold the caller's core lock for every call.
 */
#ifndef AM_ADDRMAN_PERSIST_H
#define AM_ADDRMAN_PERSIST_H

#include <stdint.h>

#include "addrman.h"

/*
 * Put back a saved ban with its own `created` time (am_ban_add stamps now).
 * An existing ban on the same target is replaced.  AM_ERR_RANGE when the
 * ban has already expired (until <= now) or the reason is too long,
 * AM_ERR_INVAL for a bad target.
 */
int am_ban_restore(am_man *m, const am_ban *b);

/* Make the next new id at least `next_id` (never lowers it).  AM_ERR_RANGE
 * when next_id > AM_ID_MAX + 1. */
int am_id_floor(am_man *m, uint64_t next_id);

/* The stored state of a peer: what am_get reports, except that a banned
 * peer gives its own state rather than AM_STATE_BANNED. */
int am_stored_state(am_man *m, uint64_t id, am_state *out);

/* The id of the peer in a slot (tried: 1 tried table, 0 new).  AM_OK,
 * AM_ERR_NOTFOUND for an empty slot, AM_ERR_INVAL outside the table. */
int am_slot_owner(am_man *m, int tried, uint32_t bucket, uint32_t slot,
                  uint64_t *id);

/* The new-table slot an address heard from `source` (NULL: from itself)
 * hashes to: where the core puts a peer pushed out of the tried table. */
int am_home_slot(am_man *m, const am_addr *addr, const am_addr *source,
                 uint32_t *bucket, uint32_t *slot);

/* The ids of the pending tried-table collisions (newcomers waiting for a
 * tried slot): a call that settles collisions (am_set_state, am_select,
 * am_resolve_collisions) may move them into tried.  Returns the count. */
size_t am_collision_ids(am_man *m, uint64_t ids[AM_MAX_COLLISIONS]);

#endif
