#include "idxmap.h"

#include <stdlib.h>

void am_idxmap_init(am_idxmap *map, am_idxmap_hash_fn hash, am_idxmap_eq_fn eq,
                    void *ctx)
{
    map->slots = NULL;
    map->cap = 0;
    map->n = 0;
    map->hash = hash;
    map->eq = eq;
    map->ctx = ctx;
}

void am_idxmap_free(am_idxmap *map)
{
    free(map->slots);
    map->slots = NULL;
    map->cap = map->n = 0;
}

uint32_t am_idxmap_find(const am_idxmap *map, uint64_t hash, const void *key)
{
    if (map->cap == 0)
        return AM_IDX_NONE;
    size_t mask = map->cap - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        uint32_t v = map->slots[i];
        if (v == AM_IDX_NONE)
            return AM_IDX_NONE;
        if (map->eq(map->ctx, v, key))
            return v;
    }
}

static void place(uint32_t *slots, size_t mask, uint64_t hash, uint32_t idx)
{
    size_t i = hash & mask;
    while (slots[i] != AM_IDX_NONE)
        i = (i + 1) & mask;
    slots[i] = idx;
}

static int grow(am_idxmap *map)
{
    size_t cap = map->cap ? map->cap * 2 : 64;
    uint32_t *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < cap; i++)
        slots[i] = AM_IDX_NONE;
    for (size_t i = 0; i < map->cap; i++)
        if (map->slots[i] != AM_IDX_NONE)
            place(slots, cap - 1, map->hash(map->ctx, map->slots[i]),
                  map->slots[i]);
    free(map->slots);
    map->slots = slots;
    map->cap = cap;
    return 0;
}

int am_idxmap_insert_hashed(am_idxmap *map, uint32_t idx, uint64_t hash)
{
    if ((map->n + 1) * 4 > map->cap * 3 && grow(map) != 0)
        return -1;
    place(map->slots, map->cap - 1, hash, idx);
    map->n++;
    return 0;
}

int am_idxmap_insert(am_idxmap *map, uint32_t idx)
{
    return am_idxmap_insert_hashed(map, idx, map->hash(map->ctx, idx));
}

int am_idxmap_remove(am_idxmap *map, uint32_t idx)
{
    if (map->cap == 0)
        return -1;
    size_t mask = map->cap - 1;
    size_t i = map->hash(map->ctx, idx) & mask;
    while (map->slots[i] != idx) {
        if (map->slots[i] == AM_IDX_NONE)
            return -1;
        i = (i + 1) & mask;
    }
    /* Backward shift: pull later members of the probe run into the hole
     * when their home slot does not lie (cyclically) between hole and them. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; map->slots[j] != AM_IDX_NONE;
         j = (j + 1) & mask) {
        size_t home = map->hash(map->ctx, map->slots[j]) & mask;
        int between = hole <= j ? (home > hole && home <= j)
                                : (home > hole || home <= j);
        if (!between) {
            map->slots[hole] = map->slots[j];
            hole = j;
        }
    }
    map->slots[hole] = AM_IDX_NONE;
    map->n--;
    return 0;
}
