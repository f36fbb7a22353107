/*
 * idxmap.h - an open-addressing hash set of uint32 indexes.
 *
 * The address manager keeps its records in arrays; an idxmap finds a record
 * by some key (an endpoint, a source host) without storing the key twice:
 * each slot holds only the record's index, and the caller supplies how to
 * hash a stored index and how to compare one with a key.  Linear probing,
 * capacity a power of two, at most 3/4 full, deletion by backward shift (no
 * tombstones, so lookups never slow down after many removals).
 *
 * Growing is incremental (as Redis' dict rehashes): a full table is kept
 * as the "old" one beside a new table of twice its size, inserts go to the
 * new one, and each insert or remove moves a few whole probe runs of the
 * old table across; lookups look in both.  Rehashing 200 000 indexes at
 * once (a siphash each) held the pool's lock for some 15 ms; now no single
 * call does more than a few runs' worth.  Moving whole runs keeps every
 * lookup in the old table valid: a run is the only place its members can
 * be found, and a removal's backward shift stays within its run.
 */
#ifndef AM_IDXMAP_H
#define AM_IDXMAP_H

#include <stddef.h>
#include <stdint.h>

#define AM_IDX_NONE UINT32_MAX

typedef uint64_t (*am_idxmap_hash_fn)(void *ctx, uint32_t idx);
typedef int (*am_idxmap_eq_fn)(void *ctx, uint32_t idx, const void *key);

typedef struct am_idxmap {
    uint32_t *slots;
    size_t cap;     /* power of two, or 0 before the first insert */
    size_t n;       /* indexes stored, in both tables */
    uint32_t *old;  /* the table being moved into slots; NULL when none */
    size_t old_cap;
    size_t cursor;  /* the next old slot to look at (a run's start) */
    size_t left;    /* old slots still to look at */
    am_idxmap_hash_fn hash;
    am_idxmap_eq_fn eq;
    void *ctx;
} am_idxmap;

void am_idxmap_init(am_idxmap *map, am_idxmap_hash_fn hash, am_idxmap_eq_fn eq,
                    void *ctx);
void am_idxmap_free(am_idxmap *map);
/* The stored index whose key equals `key` (hash is the key's hash), or
 * AM_IDX_NONE. */
uint32_t am_idxmap_find(const am_idxmap *map, uint64_t hash, const void *key);
/* Insert idx (not present yet, not AM_IDX_NONE); 0, or -1 when memory runs
 * out (nothing changed). */
int am_idxmap_insert(am_idxmap *map, uint32_t idx);
/* The same when the caller already knows idx's hash (saves hashing twice). */
int am_idxmap_insert_hashed(am_idxmap *map, uint32_t idx, uint64_t hash);
/* Remove idx; 0, or -1 when it is not there. */
int am_idxmap_remove(am_idxmap *map, uint32_t idx);

/* Every stored index, for checks: am_idxmap_at(map, i) for i below
 * am_idxmap_span(map) is a stored index or AM_IDX_NONE. */
size_t am_idxmap_span(const am_idxmap *map);
uint32_t am_idxmap_at(const am_idxmap *map, size_t i);

#endif
