#include "table.h"

#include "bits.h"

#include <stdlib.h>
#include <string.h>

int am_table_init(am_table *t, uint32_t nb)
{
    size_t keyed = (size_t)AM_KEY_COUNT * nb;
    memset(t, 0, sizeof *t);
    t->nb = nb;
    t->slots = malloc((size_t)nb * AM_TABLE_SLOTS * sizeof *t->slots);
    t->occ = calloc(nb, sizeof *t->occ);
    t->mask = calloc(keyed, sizeof *t->mask);
    t->list = calloc(keyed, sizeof *t->list);
    t->lpos = calloc(keyed, sizeof *t->lpos);
    if (!t->slots || !t->occ || !t->mask || !t->list || !t->lpos) {
        am_table_free(t);
        return -1;
    }
    for (size_t i = 0; i < (size_t)nb * AM_TABLE_SLOTS; i++)
        t->slots[i] = AM_IDX_NONE;
    return 0;
}

void am_table_free(am_table *t)
{
    free(t->slots);
    free(t->occ);
    free(t->mask);
    free(t->list);
    free(t->lpos);
    memset(t, 0, sizeof *t);
}

void am_table_put(am_table *t, uint32_t b, unsigned s, uint32_t idx)
{
    t->slots[(size_t)b * AM_TABLE_SLOTS + s] = idx;
    if (t->occ[b] == 0)
        t->used_buckets++;
    t->occ[b] |= UINT64_C(1) << s;
    t->used_slots++;
}

void am_table_clear(am_table *t, uint32_t b, unsigned s)
{
    t->slots[(size_t)b * AM_TABLE_SLOTS + s] = AM_IDX_NONE;
    t->occ[b] &= ~(UINT64_C(1) << s);
    if (t->occ[b] == 0)
        t->used_buckets--;
    t->used_slots--;
}

/* Keep the dense bucket list of `key` in step with its mask: a bucket is
 * listed exactly while its mask is non-zero.  Removal swaps the last
 * listed bucket into the hole. */
static void key_set(am_table *t, int key, uint32_t b, uint64_t bit)
{
    size_t base = (size_t)key * t->nb;
    if (t->mask[base + b] == 0) {
        uint32_t n = t->nlist[key]++;
        t->list[base + n] = (uint16_t)b;
        t->lpos[base + b] = (uint16_t)n;
    }
    t->mask[base + b] |= bit;
}

static void key_clear(am_table *t, int key, uint32_t b, uint64_t bit)
{
    size_t base = (size_t)key * t->nb;
    t->mask[base + b] &= ~bit;
    if (t->mask[base + b] == 0) {
        uint16_t pos = t->lpos[base + b];
        uint16_t last = t->list[base + --t->nlist[key]];
        t->list[base + pos] = last;
        t->lpos[base + last] = pos;
    }
}

void am_table_mark(am_table *t, uint32_t b, unsigned s, int net,
                   uint64_t services, int on)
{
    uint64_t bit = UINT64_C(1) << s;
    void (*apply)(am_table *, int, uint32_t, uint64_t) = on ? key_set : key_clear;

    apply(t, AM_KEY_ALL, b, bit);
    apply(t, AM_KEY_NET(net), b, bit);
    for (; services; services &= services - 1)
        apply(t, (int)am_ctz64(services), b, bit);
}
