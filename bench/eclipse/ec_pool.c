/*
 * ec_pool.c - random numbers, endpoint keys, key sets and the naive pool.
 *
 * The naive pool is what a single-list address manager keeps (Floresta's
 * AddressMan: at most 50 000 addresses; when full, the entry with the
 * oldest last_connected goes first, and an announced time counts as
 * last_connected, so announced future times win).  It is a min-heap on
 * time plus a hash from key to heap position; selection from it is a
 * uniform draw over the list.
 */
#include "ec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (p == NULL) {
        fprintf(stderr, "eclipse: out of memory\n");
        exit(2);
    }
    return p;
}

/* ---- random numbers ---- */

uint64_t ec_rand(ec_rng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t ec_below(ec_rng *r, uint64_t n)
{
    uint64_t lim = UINT64_MAX - UINT64_MAX % n, v;

    do
        v = ec_rand(r);
    while (v >= lim);
    return v % n;
}

/* ---- addresses ---- */

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    h ^= h >> 33;
    h *= UINT64_C(0xc4ceb9fe1a85ec53);
    return h ^ (h >> 33);
}

uint64_t ec_key(const am_addr *a)
{
    uint64_t h = UINT64_C(1469598103934665603);
    size_t i, n = am_net_len(a->net);

    h = (h ^ a->net) * UINT64_C(1099511628211);
    h = (h ^ a->port) * UINT64_C(1099511628211);
    for (i = 0; i < n; i++)
        h = (h ^ a->bytes[i]) * UINT64_C(1099511628211);
    h = mix(h);
    return h ? h : 1;
}

void ec_v4(am_addr *a, uint32_t ip, uint16_t port)
{
    memset(a, 0, sizeof *a);
    a->net = AM_NET_IPV4;
    a->port = port;
    a->bytes[0] = (uint8_t)(ip >> 24);
    a->bytes[1] = (uint8_t)(ip >> 16);
    a->bytes[2] = (uint8_t)(ip >> 8);
    a->bytes[3] = (uint8_t)ip;
}

void ec_host(const am_addr *a, char *buf, size_t len)
{
    if (a->net == AM_NET_IPV4)
        snprintf(buf, len, "%u.%u.%u.%u", a->bytes[0], a->bytes[1],
                 a->bytes[2], a->bytes[3]);
    else if (am_addr_format(a, buf, len) != 0)
        snprintf(buf, len, "?");
}

/* ---- key sets (open addressing, linear probing) ---- */

void ec_set_init(ec_set *s)
{
    memset(s, 0, sizeof *s);
}

void ec_set_free(ec_set *s)
{
    free(s->k);
    ec_set_init(s);
}

static size_t probe(const uint64_t *k, size_t cap, uint64_t key)
{
    size_t i = (size_t)mix(key) & (cap - 1);

    while (k[i] != 0 && k[i] != key)
        i = (i + 1) & (cap - 1);
    return i;
}

int ec_set_add(ec_set *s, uint64_t key)
{
    size_t i;

    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024, j;
        uint64_t *k = xrealloc(NULL, cap * sizeof *k);

        memset(k, 0, cap * sizeof *k);
        for (j = 0; j < s->cap; j++)
            if (s->k[j])
                k[probe(k, cap, s->k[j])] = s->k[j];
        free(s->k);
        s->k = k;
        s->cap = cap;
    }
    i = probe(s->k, s->cap, key);
    if (s->k[i] == key)
        return 0;
    s->k[i] = key;
    s->n++;
    return 1;
}

int ec_set_has(const ec_set *s, uint64_t key)
{
    return s->cap && s->k[probe(s->k, s->cap, key)] == key;
}

/* ---- the naive pool ---- */

typedef struct nentry {
    uint64_t key;
    int64_t time;
    int attacker;
} nentry;

typedef struct nslot {
    uint64_t key;       /* 0: empty */
    uint32_t pos;       /* heap position */
} nslot;

struct ec_naive {
    size_t cap, n, attackers;
    nentry *heap;       /* min-heap on time, cap + 1 entries */
    nslot *map;
    size_t map_cap;     /* power of two, >= 4 * (cap + 1) */
};

ec_naive *ec_naive_new(size_t cap)
{
    ec_naive *n = xrealloc(NULL, sizeof *n);

    n->cap = cap;
    n->n = n->attackers = 0;
    n->heap = xrealloc(NULL, (cap + 1) * sizeof *n->heap);
    for (n->map_cap = 1024; n->map_cap < 4 * (cap + 1); n->map_cap *= 2)
        ;
    n->map = xrealloc(NULL, n->map_cap * sizeof *n->map);
    memset(n->map, 0, n->map_cap * sizeof *n->map);
    return n;
}

void ec_naive_free(ec_naive *n)
{
    if (n == NULL)
        return;
    free(n->heap);
    free(n->map);
    free(n);
}

static size_t map_find(const ec_naive *n, uint64_t key)
{
    size_t i = (size_t)mix(key) & (n->map_cap - 1);

    while (n->map[i].key != 0 && n->map[i].key != key)
        i = (i + 1) & (n->map_cap - 1);
    return i;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void map_del(ec_naive *n, uint64_t key)
{
    size_t mask = n->map_cap - 1, i = map_find(n, key), j = i;

    if (n->map[i].key == 0)
        return;
    for (;;) {
        size_t home;

        j = (j + 1) & mask;
        if (n->map[j].key == 0)
            break;
        home = (size_t)mix(n->map[j].key) & mask;
        /* Move j to i when its home is not in the cyclic range (i, j]. */
        if ((j > i && (home <= i || home > j)) ||
            (j < i && (home <= i && home > j))) {
            n->map[i] = n->map[j];
            i = j;
        }
    }
    n->map[i].key = 0;
}

static void heap_set(ec_naive *n, size_t pos, nentry e)
{
    n->heap[pos] = e;
    n->map[map_find(n, e.key)].pos = (uint32_t)pos;
}

static void sift_up(ec_naive *n, size_t pos)
{
    nentry e = n->heap[pos];

    while (pos > 0) {
        size_t parent = (pos - 1) / 2;

        if (n->heap[parent].time <= e.time)
            break;
        heap_set(n, pos, n->heap[parent]);
        pos = parent;
    }
    heap_set(n, pos, e);
}

static void sift_down(ec_naive *n, size_t pos)
{
    nentry e = n->heap[pos];

    for (;;) {
        size_t c = 2 * pos + 1;

        if (c >= n->n)
            break;
        if (c + 1 < n->n && n->heap[c + 1].time < n->heap[c].time)
            c++;
        if (n->heap[c].time >= e.time)
            break;
        heap_set(n, pos, n->heap[c]);
        pos = c;
    }
    heap_set(n, pos, e);
}

static void pop_min(ec_naive *n)
{
    nentry gone = n->heap[0];

    map_del(n, gone.key);
    n->attackers -= gone.attacker != 0;
    n->n--;
    if (n->n > 0) {
        n->heap[0] = n->heap[n->n];
        sift_down(n, 0);
    }
}

void ec_naive_add(ec_naive *n, uint64_t key, int64_t time, int attacker)
{
    size_t i = map_find(n, key);
    nentry e;

    if (n->map[i].key == key)
        return;
    n->map[i].key = key;
    e.key = key;
    e.time = time;
    e.attacker = attacker;
    n->heap[n->n++] = e;
    n->attackers += attacker != 0;
    sift_up(n, n->n - 1);
    if (n->n > n->cap)
        pop_min(n);
}

size_t ec_naive_size(const ec_naive *n)
{
    return n->n;
}

size_t ec_naive_attackers(const ec_naive *n)
{
    return n->attackers;
}

int ec_naive_has(const ec_naive *n, uint64_t key)
{
    return n->map[map_find(n, key)].key == key;
}

double ec_naive_share(const ec_naive *n, ec_rng *r, size_t draws)
{
    size_t i, hits = 0;

    if (n->n == 0 || draws == 0)
        return 0.0;
    for (i = 0; i < draws; i++)
        hits += n->heap[ec_below(r, n->n)].attacker != 0;
    return (double)hits / (double)draws;
}
