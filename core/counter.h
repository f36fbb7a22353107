/*
 * counter.h - a multiset of 64-bit keys: how many times each key is held.
 *
 * The address manager counts how many new-table entries each network group
 * holds (to cap one group's share of the table).  Keys with a count of zero
 * are removed, so the structure is as large as the number of distinct keys
 * in use.  Built on idxmap: records in an array, found by key (hashed by
 * am_mix64).  The shared pool counts each node's held groups with it too.
 */
#ifndef AM_COUNTER_H
#define AM_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "idxmap.h"

typedef struct am_counter_rec {
    uint64_t key;
    uint32_t count;         /* 0: free */
    uint32_t next_free;
} am_counter_rec;

typedef struct am_counter {
    am_counter_rec *recs;
    uint32_t high, cap, free_head;
    am_idxmap map;
} am_counter;

void am_counter_init(am_counter *c);
void am_counter_free(am_counter *c);
uint32_t am_counter_get(const am_counter *c, uint64_t key);
/* Add one; 0, or -1 when memory runs out (nothing changed). */
int am_counter_inc(am_counter *c, uint64_t key);
/* Take one away (the key must be counted). */
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

#endif
