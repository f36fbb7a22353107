/*
 * idxmap.c - an open-addressing hash set of uint32 indexes, grown
 * incrementally (idxmap.h).
 */
#include "idxmap.h"

#include <assert.h>
#include <stdlib.h>

/* A slot holds idx + 1, and 0 when empty: a new table comes from calloc,
 * whose large blocks are fresh zero pages that the kernel maps as they are
 * first touched, so growing a table of 200 000 slots costs neither a pass
 * to mark it empty nor a burst of page faults under the caller's lock. */
#define EMPTY 0u
#define IN(idx) ((idx) + 1u)
#define OUT(v) ((v) - 1u)

/* Old slots looked at per insert or remove while growing: the old table
 * is empty after cap/4 calls at most, long before the new one (twice its
 * size) can fill up (3/4 of the old capacity more inserts). */
#define MOVE_STEPS 4

void am_idxmap_init(am_idxmap *map, am_idxmap_hash_fn hash, am_idxmap_eq_fn eq,
                    void *ctx)
{
    map->slots = NULL;
    map->cap = 0;
    map->n = 0;
    map->old = NULL;
    map->old_cap = map->cursor = map->left = 0;
    map->hash = hash;
    map->eq = eq;
    map->ctx = ctx;
}

void am_idxmap_free(am_idxmap *map)
{
    free(map->slots);
    free(map->old);
    map->slots = map->old = NULL;
    map->cap = map->n = map->old_cap = map->cursor = map->left = 0;
}

static uint32_t find_in(const am_idxmap *map, const uint32_t *slots,
                        size_t cap, uint64_t hash, const void *key)
{
    if (cap == 0)
        return AM_IDX_NONE;
    size_t mask = cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        uint32_t v = slots[i];
        if (v == EMPTY)
            return AM_IDX_NONE;
        if (map->eq(map->ctx, OUT(v), key))
            return OUT(v);
    }
}

uint32_t am_idxmap_find(const am_idxmap *map, uint64_t hash, const void *key)
{
    uint32_t v = find_in(map, map->slots, map->cap, hash, key);

    if (v == AM_IDX_NONE && map->old != NULL)
        v = find_in(map, map->old, map->old_cap, hash, key);
    return v;
}

/* Store v (an IN() value) in its run. */
static void place(uint32_t *slots, size_t mask, uint64_t hash, uint32_t v)
{
    size_t i = hash & mask;
    while (slots[i] != EMPTY)
        i = (i + 1) & mask;
    slots[i] = v;
}

/* ---- growing --------------------------------------------------------- */

/* Move the run that starts at the cursor (or skip an empty slot). */
static void move_step(am_idxmap *map)
{
    size_t mask = map->old_cap - 1;

    if (map->old[map->cursor] == EMPTY) {
        map->cursor = (map->cursor + 1) & mask;
        map->left--;
        return;
    }
    while (map->left > 0 && map->old[map->cursor] != EMPTY) {
        uint32_t v = map->old[map->cursor];
        place(map->slots, map->cap - 1, map->hash(map->ctx, OUT(v)), v);
        map->old[map->cursor] = EMPTY;
        map->cursor = (map->cursor + 1) & mask;
        map->left--;
    }
}

static void move_some(am_idxmap *map, size_t steps)
{
    while (map->old != NULL && steps-- > 0) {
        if (map->left > 0)
            move_step(map);
        if (map->left == 0) {
            free(map->old);
            map->old = NULL;
            map->old_cap = 0;
        }
    }
}

/* The first slot after an empty one: where a run starts. */
static size_t run_start(const uint32_t *slots, size_t cap)
{
    size_t i = 0;

    while (slots[i] != EMPTY)
        i++;                        /* at most 3/4 full: one is empty */
    return (i + 1) & (cap - 1);
}

static int grow(am_idxmap *map)
{
    size_t cap = map->cap ? map->cap * 2 : 64;
    uint32_t *slots;

    /* A table still being moved is finished first (it cannot happen with
     * MOVE_STEPS, but the contract holds without that arithmetic). */
    move_some(map, SIZE_MAX);
    slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    if (map->cap > 0) {
        map->old = map->slots;
        map->old_cap = map->cap;
        map->cursor = run_start(map->old, map->old_cap);
        map->left = map->old_cap;
    }
    map->slots = slots;
    map->cap = cap;
    return 0;
}

/* ---- changing -------------------------------------------------------- */

int am_idxmap_insert_hashed(am_idxmap *map, uint32_t idx, uint64_t hash)
{
    /* The new table alone must stay at most 3/4 full. */
    if ((map->n + 1) * 4 > map->cap * 3 && grow(map) != 0)
        return -1;
    assert(idx != AM_IDX_NONE);
    place(map->slots, map->cap - 1, hash, IN(idx));
    map->n++;
    move_some(map, MOVE_STEPS);
    return 0;
}

int am_idxmap_insert(am_idxmap *map, uint32_t idx)
{
    return am_idxmap_insert_hashed(map, idx, map->hash(map->ctx, idx));
}

/* Remove idx from one table by backward shift: later members of its run
 * are pulled into the hole when their home slot does not lie (cyclically)
 * between hole and them.  0, or -1 when it is not there. */
static int remove_in(const am_idxmap *map, uint32_t *slots, size_t cap,
                     uint32_t idx)
{
    if (cap == 0)
        return -1;
    size_t mask = cap - 1;
    size_t i = map->hash(map->ctx, idx) & mask;
    while (slots[i] != IN(idx)) {
        if (slots[i] == EMPTY)
            return -1;
        i = (i + 1) & mask;
    }
    size_t hole = i;
    for (size_t j = (i + 1) & mask; slots[j] != EMPTY;
         j = (j + 1) & mask) {
        size_t home = map->hash(map->ctx, OUT(slots[j])) & mask;
        int between = hole <= j ? (home > hole && home <= j)
                                : (home > hole || home <= j);
        if (!between) {
            slots[hole] = slots[j];
            hole = j;
        }
    }
    slots[hole] = EMPTY;
    return 0;
}

int am_idxmap_remove(am_idxmap *map, uint32_t idx)
{
    if (remove_in(map, map->slots, map->cap, idx) != 0 &&
        (map->old == NULL ||
         remove_in(map, map->old, map->old_cap, idx) != 0))
        return -1;
    map->n--;
    move_some(map, MOVE_STEPS);
    return 0;
}

/* ---- walking --------------------------------------------------------- */

size_t am_idxmap_span(const am_idxmap *map)
{
    return map->cap + (map->old ? map->old_cap : 0);
}

uint32_t am_idxmap_at(const am_idxmap *map, size_t i)
{
    uint32_t v;

    assert(i < am_idxmap_span(map));
    v = i < map->cap ? map->slots[i] : map->old[i - map->cap];
    return v == EMPTY ? AM_IDX_NONE : OUT(v);
}
