/*
 * counter.h - a multiset of 64-bit keys: how many times each key is held.
 *
 * The address manager counts how many new-table entries each network group
 * holds (to cap one group's share of the table), and the shared pool how
 * many holds each node has in each group (diversity).  Keys with a count of
 * zero are removed, so the structure is as large as the number of distinct
 * keys in use.
 *
 * One open-addressing table of (key, count) slots, hashed with am_mix64:
 * a lookup reads the slots themselves (no callbacks, no second array), as
 * both users look keys up on their hot paths (every add; every candidate
 * of a diverse pool select).  Linear probing, at most 3/4 full, deletion
 * by backward shift (no tombstones).  Any key may be counted; an empty
 * slot is one whose count is 0.  A counter holds no pointer to itself, so
 * it may be moved (copied) freely.
 *
 * A short-lived counter may start in slots of the caller's
 * (am_counter_init_in): the pool's select keeps its sets of one call (the
 * peers it picked, the groups it handed out) on the stack that way, so a
 * select of a few peers allocates nothing.
 */
#ifndef AM_COUNTER_H
#define AM_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "bits.h"

/* 12 bytes, the key in two halves: a padded 16-byte slot would make the
 * new table's group counts a third larger. */
typedef struct am_counter_slot {
    uint32_t key_lo, key_hi;
    uint32_t count;         /* 0: empty */
} am_counter_slot;

typedef struct am_counter {
    am_counter_slot *slot;  /* NULL before the first key */
    size_t mask;            /* slots - 1 */
    size_t used;            /* distinct keys */
    am_counter_slot *fixed; /* the caller's slots: never freed */
} am_counter;

void am_counter_init(am_counter *c);
/* Start empty in the caller's n slots (n a power of two, at least 4),
 * which must outlive the counter; it moves to slots of its own only when
 * it outgrows them. */
void am_counter_init_in(am_counter *c, am_counter_slot *slots, size_t n);
/* Make room for `keys` distinct keys in all: 0, or -1 out of memory. */
int am_counter_reserve(am_counter *c, size_t keys);
void am_counter_free(am_counter *c);
static inline uint32_t am_counter_get(const am_counter *c, uint64_t key);
/* Add one; 0, or -1 when memory runs out (nothing changed). */
static inline int am_counter_inc(am_counter *c, uint64_t key);
/* Take one away (a key not counted is left alone). */
void am_counter_dec(am_counter *c, uint64_t key);
/* Distinct keys counted. */
size_t am_counter_size(const am_counter *c);
/*
 * Compare two counters (the consistency checks recount into a fresh one):
 * 0 when they hold the same keys, each the same number of times; 1 when a
 * counts some key differently from b (*key is that key); 2 when they agree
 * on a's keys but b holds more.
 */
int am_counter_differ(const am_counter *a, const am_counter *b, uint64_t *key);

static inline uint64_t am__counter_key(const am_counter_slot *s)
{
    return (uint64_t)s->key_hi << 32 | s->key_lo;
}

/* The inline part: lookups and counting up are on hot paths (every add,
 * every candidate of a diverse pool select).  The slot holding key, or the
 * empty slot where it would go; c->slot is not NULL. */
static inline size_t am__counter_probe(const am_counter *c, uint64_t key)
{
    size_t i = am_mix64(key) & c->mask;
    while (c->slot[i].count != 0 && am__counter_key(&c->slot[i]) != key)
        i = (i + 1) & c->mask;
    return i;
}

static inline uint32_t am_counter_get(const am_counter *c, uint64_t key)
{
    return c->slot ? c->slot[am__counter_probe(c, key)].count : 0;
}

/* Room for `keys` keys keeps the table at most 3/4 full. */
static inline int am__counter_fits(const am_counter *c, size_t keys)
{
    return c->slot && keys * 4 <= (c->mask + 1) * 3;
}

/* One more of key, where there is room for it. */
static inline void am__counter_put(am_counter *c, uint64_t key)
{
    size_t i = am__counter_probe(c, key);
    c->used += c->slot[i].count == 0;
    c->slot[i].key_lo = (uint32_t)key;
    c->slot[i].key_hi = (uint32_t)(key >> 32);
    c->slot[i].count++;
}

/* am_counter_inc when the table may have to grow first. */
int am__counter_inc_grow(am_counter *c, uint64_t key);

static inline int am_counter_inc(am_counter *c, uint64_t key)
{
    if (!am__counter_fits(c, c->used + 1))
        return am__counter_inc_grow(c, key);
    am__counter_put(c, key);
    return 0;
}

#endif
