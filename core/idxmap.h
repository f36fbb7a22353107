/*
 * idxmap.h - an open-addressing hash set of uint32 indexes.
 *
 * The address manager keeps its records in arrays; an idxmap finds a record
 * by some key (an endpoint, a source host) without storing the key twice:
 * each slot holds only the record's index, and the caller supplies how to
 * hash a stored index and how to compare one with a key.  Linear probing,
 * capacity a power of two, at most 3/4 full, deletion by backward shift (no
 * tombstones, so lookups never slow down after many removals).
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
    size_t n;
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
/* Insert idx (not present yet); 0, or -1 when memory runs out. */
int am_idxmap_insert(am_idxmap *map, uint32_t idx);
/* The same when the caller already knows idx's hash (saves hashing twice). */
int am_idxmap_insert_hashed(am_idxmap *map, uint32_t idx, uint64_t hash);
/* Remove idx; 0, or -1 when it is not there. */
int am_idxmap_remove(am_idxmap *map, uint32_t idx);

#endif
