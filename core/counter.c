#include "counter.h"

#include <stdlib.h>

#include "bits.h"

static uint64_t rec_hash(void *ctx, uint32_t idx)
{
    am_counter *c = ctx;
    return am_mix64(c->recs[idx].key);
}

static int rec_eq(void *ctx, uint32_t idx, const void *key)
{
    am_counter *c = ctx;
    return c->recs[idx].key == *(const uint64_t *)key;
}

void am_counter_init(am_counter *c)
{
    c->recs = NULL;
    c->high = c->cap = 0;
    c->free_head = AM_IDX_NONE;
    am_idxmap_init(&c->map, rec_hash, rec_eq, c);
}

void am_counter_free(am_counter *c)
{
    free(c->recs);
    am_idxmap_free(&c->map);
    am_counter_init(c);
}

static uint32_t find(const am_counter *c, uint64_t key)
{
    return am_idxmap_find(&c->map, am_mix64(key), &key);
}

uint32_t am_counter_get(const am_counter *c, uint64_t key)
{
    uint32_t i = find(c, key);
    return i == AM_IDX_NONE ? 0 : c->recs[i].count;
}

int am_counter_inc(am_counter *c, uint64_t key)
{
    uint32_t i = find(c, key);
    if (i != AM_IDX_NONE) {
        c->recs[i].count++;
        return 0;
    }
    if (c->free_head != AM_IDX_NONE) {
        i = c->free_head;
        c->free_head = c->recs[i].next_free;
    } else {
        if (c->high == c->cap) {
            uint32_t cap = c->cap ? c->cap * 2 : 64;
            am_counter_rec *r = realloc(c->recs, (size_t)cap * sizeof *r);
            if (!r)
                return -1;
            c->recs = r;
            c->cap = cap;
        }
        i = c->high++;
    }
    c->recs[i].key = key;
    c->recs[i].count = 1;
    if (am_idxmap_insert(&c->map, i) != 0) {
        c->recs[i].count = 0;
        c->recs[i].next_free = c->free_head;
        c->free_head = i;
        return -1;
    }
    return 0;
}

void am_counter_dec(am_counter *c, uint64_t key)
{
    uint32_t i = find(c, key);
    if (i == AM_IDX_NONE || --c->recs[i].count > 0)
        return;
    am_idxmap_remove(&c->map, i);
    c->recs[i].next_free = c->free_head;
    c->free_head = i;
}

size_t am_counter_size(const am_counter *c)
{
    return c->map.n;
}

int am_counter_differ(const am_counter *a, const am_counter *b, uint64_t *key)
{
    for (uint32_t i = 0; i < a->high; i++) {
        const am_counter_rec *r = &a->recs[i];
        if (r->count && am_counter_get(b, r->key) != r->count) {
            *key = r->key;
            return 1;
        }
    }
    return am_counter_size(a) != am_counter_size(b) ? 2 : 0;
}
