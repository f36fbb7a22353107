#include "counter.h"

#include <stdlib.h>
#include <string.h>


void am_counter_init(am_counter *c)
{
    c->slot = NULL;
    c->mask = 0;
    c->used = 0;
    c->fixed = NULL;
}

void am_counter_init_in(am_counter *c, am_counter_slot *slots, size_t n)
{
    memset(slots, 0, n * sizeof *slots);
    c->slot = c->fixed = slots;
    c->mask = n - 1;
    c->used = 0;
}

void am_counter_free(am_counter *c)
{
    if (c->slot != c->fixed)
        free(c->slot);
    am_counter_init(c);
}

#define probe am__counter_probe

int am_counter_reserve(am_counter *c, size_t keys)
{
    if (am__counter_fits(c, keys))
        return 0;
    size_t cap = c->slot ? (c->mask + 1) * 2 : 16;
    while (keys * 4 > cap * 3)
        cap *= 2;
    am_counter bigger = {calloc(cap, sizeof *c->slot), cap - 1, c->used, NULL};
    if (!bigger.slot)
        return -1;
    for (size_t i = 0; c->slot && i <= c->mask; i++)
        if (c->slot[i].count != 0)
            bigger.slot[probe(&bigger, am__counter_key(&c->slot[i]))] =
                c->slot[i];
    if (c->slot != c->fixed)
        free(c->slot);
    *c = bigger;
    return 0;
}

int am__counter_inc_grow(am_counter *c, uint64_t key)
{
    /* One more key needs room; one more of a key held does not. */
    if (am_counter_get(c, key) == 0 &&
        am_counter_reserve(c, c->used + 1) != 0)
        return -1;
    am__counter_put(c, key);
    return 0;
}

void am_counter_dec(am_counter *c, uint64_t key)
{
    if (!c->slot)
        return;
    size_t i = probe(c, key);
    if (c->slot[i].count == 0 || --c->slot[i].count > 0)
        return;
    /* The last one: the keys after it shift back into the gap when it lies
     * on their probe path (from their home slot to where they are). */
    for (size_t j = (i + 1) & c->mask; c->slot[j].count != 0;
         j = (j + 1) & c->mask) {
        size_t home = am_mix64(am__counter_key(&c->slot[j])) & c->mask;
        if (((j - i) & c->mask) <= ((j - home) & c->mask)) {
            c->slot[i] = c->slot[j];
            i = j;
        }
    }
    memset(&c->slot[i], 0, sizeof c->slot[i]);
    c->used--;
}

size_t am_counter_size(const am_counter *c)
{
    return c->used;
}

int am_counter_differ(const am_counter *a, const am_counter *b, uint64_t *key)
{
    for (size_t i = 0; a->slot && i <= a->mask; i++) {
        const am_counter_slot *s = &a->slot[i];
        if (s->count && am_counter_get(b, am__counter_key(s)) != s->count) {
            *key = am__counter_key(s);
            return 1;
        }
    }
    return am_counter_size(a) != am_counter_size(b) ? 2 : 0;
}
