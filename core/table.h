/*
 * table.h - one bucketed table (new or tried) with occupancy indexes.
 *
 * A table is `nb` buckets of AM_TABLE_SLOTS slots; a slot holds a record
 * index or AM_IDX_NONE.  Beside the slots it keeps, for selection:
 *   - per bucket, a 64-bit mask of occupied slots;
 *   - per key and bucket, a 64-bit mask of slots holding an *eligible*
 *     record with that key, where the keys are the 64 service bits, the
 *     network ids and one key every eligible record has (AM_KEY_ALL);
 *   - per key, the dense list of buckets whose mask is non-zero, with each
 *     bucket's position in it, so a random non-empty bucket for any key is
 *     one array read away.
 * Memory: the per-key arrays are allocated zeroed and a list is a sparse
 * set (a bucket is listed when list[lpos[b]] == b below the length), so
 * they need no initial fill and the pages of keys no entry has (most of
 * the 64 service bits) are never touched and cost no resident memory.
 * Bucket indexes and positions are 16-bit: at most 65536 buckets.
 * Which records are eligible is the owner's business: it calls
 * am_table_mark(..., 1) when a record in a slot becomes eligible (or is put
 * there eligible) and am_table_mark(..., 0) before it stops being so.
 */
#ifndef AM_TABLE_H
#define AM_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "idxmap.h"

#define AM_TABLE_SLOTS 64
#define AM_KEY_NET(net) (64 + (net))
#define AM_KEY_ALL (64 + 7)
#define AM_KEY_COUNT (64 + 8)

typedef struct am_table {
    uint32_t nb;
    uint32_t *slots;              /* nb * 64 */
    uint64_t *occ;                /* nb */
    uint64_t *mask;               /* AM_KEY_COUNT * nb */
    uint16_t *list;               /* AM_KEY_COUNT * nb */
    uint16_t *lpos;               /* AM_KEY_COUNT * nb */
    uint32_t nlist[AM_KEY_COUNT];
    uint32_t used_buckets;
    size_t used_slots;
} am_table;

/* nb > 0; 0, or -1 when memory runs out. */
int am_table_init(am_table *t, uint32_t nb);
void am_table_free(am_table *t);

static inline uint32_t am_table_get(const am_table *t, uint32_t b, unsigned s)
{
    return t->slots[(size_t)b * AM_TABLE_SLOTS + s];
}
static inline uint64_t am_table_mask(const am_table *t, int key, uint32_t b)
{
    return t->mask[(size_t)key * t->nb + b];
}
static inline uint32_t am_table_list_at(const am_table *t, int key, uint32_t i)
{
    return t->list[(size_t)key * t->nb + i];
}
/* Position of bucket b in key's list, or AM_IDX_NONE when not listed. */
static inline uint32_t am_table_list_pos(const am_table *t, int key, uint32_t b)
{
    size_t base = (size_t)key * t->nb;
    uint32_t pos = t->lpos[base + b];
    return pos < t->nlist[key] && t->list[base + pos] == b ? pos : AM_IDX_NONE;
}

/* Put idx in an empty slot / empty a slot (occupancy only). */
void am_table_put(am_table *t, uint32_t b, unsigned s, uint32_t idx);
void am_table_clear(am_table *t, uint32_t b, unsigned s);
/* Set (on) or clear the eligibility bits of slot s for every key the record
 * has: its network, its service bits and AM_KEY_ALL. */
void am_table_mark(am_table *t, uint32_t b, unsigned s, int net,
                   uint64_t services, int on);

#endif
