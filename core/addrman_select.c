/*
 * addrman_select.c - choosing peers to connect to, and peers to relay.
 *
 * Selection keeps Bitcoin Core's statistics (a table 50/50, a random
 * bucket that holds a candidate, a random candidate in it, accepted with
 * probability GetChance * factor) but never scans: the tables keep, per
 * service bit and network, the list of buckets holding an eligible entry
 * and the mask of such slots (table.h).  A filtered select draws its
 * bucket from the rarest required key's list (or from the union of the
 * lists of the networks or of the any_services bits asked for, when that
 * is shorter) and tests the bucket's combined mask; a bucket drawn uniformly from that list and kept only when
 * it holds a candidate is uniform among the buckets that do.  When too many
 * draws miss (a rare combination of filters, or a skip callback refusing
 * most candidates), an exact pass over the table's non-empty buckets
 * decides, so the cost is bounded by the table size, never the peer count.
 */
#include "addrman_int.h"

#include <stdlib.h>
#include <string.h>

#include "bits.h"

#define MAX_MISSES 64
#define RECENT_TRY 600

typedef struct query {
    uint32_t nets;          /* network bits asked for (AM_NET_ALL: any) */
    int net_sub;            /* nets is a strict subset of AM_NET_ALL */
    uint64_t services;
    uint64_t any_services;  /* 0: no such test */
    const am_select_opts *opts;
} query;

static double chance_of(const entry *e, int64_t now)
{
    static const double fail_factor[9] = {
        1.0, 0.66, 0.4356, 0.287496, 0.18974736, 0.1252332576,
        0.082653950016, 0.05455160701056, 0.0360040606269696,
    };
    double c = 1.0;
    if (now - (int64_t)e->last_try < RECENT_TRY)
        c *= 0.01;
    return c * fail_factor[e->attempts < 8 ? e->attempts : 8];
}

/* Slots of bucket b holding a candidate for q. */
static uint64_t candidates(const am_table *t, uint32_t b, const query *q)
{
    uint64_t c = am_table_mask(t, AM_KEY_ALL, b);
    if (q->net_sub) {
        uint64_t any = 0;
        for (uint32_t nets = q->nets; nets; nets &= nets - 1)
            any |= am_table_mask(t, AM_KEY_NET(am_ctz64(nets)), b);
        c &= any;
    }
    for (uint64_t sv = q->services; sv && c; sv &= sv - 1)
        c &= am_table_mask(t, (int)am_ctz64(sv), b);
    if (q->any_services && c) {
        uint64_t any = 0;
        for (uint64_t sv = q->any_services; sv; sv &= sv - 1)
            any |= am_table_mask(t, (int)am_ctz64(sv), b);
        c &= any;
    }
    return c;
}

/* Where draws come from: one key's bucket list, or the union of the
 * lists of the asked networks or of the any_services bits. */
enum { DRIVE_NETS = -1, DRIVE_ANY = -2 };
typedef struct driver {
    int key;                /* a key, or a union: DRIVE_NETS, DRIVE_ANY */
    uint32_t total;         /* list length, or the sum for a union */
} driver;

/* The keys of a union: bit i of *keys is key base + i. */
static uint64_t union_keys(const query *q, int which, int *base)
{
    *base = which == DRIVE_NETS ? AM_KEY_NET(0) : 0;
    return which == DRIVE_NETS ? q->nets : q->any_services;
}

static uint32_t union_total(const am_table *t, const query *q, int which)
{
    int base;
    uint32_t total = 0;
    for (uint64_t k = union_keys(q, which, &base); k; k &= k - 1)
        total += t->nlist[base + (int)am_ctz64(k)];
    return total;
}

static int pick_driver(const am_table *t, const query *q, driver *d)
{
    uint32_t net_total = q->net_sub ? union_total(t, q, DRIVE_NETS) : 0;
    uint32_t any_total = union_total(t, q, DRIVE_ANY);
    if (q->any_services && any_total == 0)
        return 0;                   /* no bucket holds any of the bits */
    d->key = AM_KEY_ALL;
    d->total = t->nlist[AM_KEY_ALL];
    for (uint64_t sv = q->services; sv; sv &= sv - 1) {
        int k = (int)am_ctz64(sv);
        if (t->nlist[k] < d->total) {
            d->key = k;
            d->total = t->nlist[k];
        }
    }
    if (q->net_sub && (q->services == 0 || net_total < d->total)) {
        d->key = DRIVE_NETS;
        d->total = net_total;
    }
    /* Rare fitting peers: draw among the buckets that hold them. */
    if (q->any_services && any_total < d->total) {
        d->key = DRIVE_ANY;
        d->total = any_total;
    }
    return d->total > 0;
}

/* One bucket drawn through the driver; AM_IDX_NONE when the draw is thrown
 * back (a union draw is kept with probability 1/(lists holding it), which
 * makes it uniform over the union). */
static uint32_t draw_bucket(am_man *m, const am_table *t, const query *q,
                            const driver *d)
{
    uint32_t r = (uint32_t)am_rng_below(&m->rng, d->total);
    if (d->key >= 0)
        return am_table_list_at(t, d->key, r);
    int base;
    uint64_t keys = union_keys(q, d->key, &base);
    uint32_t b = AM_IDX_NONE;
    for (uint64_t k = keys; k; k &= k - 1) {
        int key = base + (int)am_ctz64(k);
        if (r < t->nlist[key]) {
            b = am_table_list_at(t, key, r);
            break;
        }
        r -= t->nlist[key];
    }
    unsigned holders = 0;
    for (uint64_t k = keys; k; k &= k - 1)
        holders += am_table_mask(t, base + (int)am_ctz64(k), b) != 0;
    if (holders > 1 && am_rng_below(&m->rng, holders) != 0)
        return AM_IDX_NONE;
    return b;
}

static int skipped(am_man *m, const query *q, const entry *e)
{
    if (!q->opts->skip)
        return 0;
    am_peer p;
    am__to_peer(m, e, &p);
    return q->opts->skip(q->opts->skip_ctx, &p);
}

/* Accept-or-reject loop over a fixed candidate set (the exact pass). */
typedef struct cand_bucket {
    uint32_t b;
    uint64_t mask;
} cand_bucket;

static uint32_t exact_pick(am_man *m, am_table *t, const query *q, int64_t now)
{
    uint32_t n_all = t->nlist[AM_KEY_ALL];
    cand_bucket *cb = malloc((size_t)(n_all ? n_all : 1) * sizeof *cb);
    if (!cb)
        return AM_IDX_NONE;
    uint32_t n = 0;
    for (uint32_t k = 0; k < n_all; k++) {
        uint32_t b = am_table_list_at(t, AM_KEY_ALL, k);
        uint64_t c = candidates(t, b, q);
        for (uint64_t rest = c; rest; rest &= rest - 1) {
            unsigned s = am_ctz64(rest);
            if (skipped(m, q, E(m, am_table_get(t, b, s))))
                c &= ~(UINT64_C(1) << s);
        }
        if (c) {
            cb[n].b = b;
            cb[n].mask = c;
            n++;
        }
    }
    uint32_t found = AM_IDX_NONE;
    for (double factor = 1.0; n > 0; factor *= 1.2) {
        cand_bucket *pick = &cb[am_rng_below(&m->rng, n)];
        unsigned cnt = am_popcount64(pick->mask);
        unsigned s = am_nth_bit64(pick->mask, (unsigned)am_rng_below(&m->rng, cnt));
        uint32_t i = am_table_get(t, pick->b, s);
        if (am_rng_double(&m->rng) < chance_of(E(m, i), now) * factor) {
            found = i;
            break;
        }
    }
    free(cb);
    return found;
}

/* One table: the fast randomized path, then the exact pass. */
static uint32_t table_pick(am_man *m, am_table *t, const query *q, int64_t now)
{
    driver d;
    if (!pick_driver(t, q, &d))
        return AM_IDX_NONE;
    double factor = 1.0;
    for (unsigned misses = 0; misses < MAX_MISSES;) {
        uint32_t b = draw_bucket(m, t, q, &d);
        uint64_t c = b == AM_IDX_NONE ? 0 : candidates(t, b, q);
        if (c == 0) {
            misses++;
            continue;
        }
        unsigned s = am_nth_bit64(c, (unsigned)am_rng_below(&m->rng, am_popcount64(c)));
        uint32_t i = am_table_get(t, b, s);
        if (skipped(m, q, E(m, i))) {
            misses++;
            continue;
        }
        if (am_rng_double(&m->rng) < chance_of(E(m, i), now) * factor)
            return i;
        factor *= 1.2;
    }
    if (q->opts->fast_only)
        return AM_IDX_NONE;
    return exact_pick(m, t, q, now);
}

static int table_may_hold(const am_table *t, const query *q)
{
    driver d;
    return pick_driver(t, q, &d);
}

/* The feeler's first choice: the old occupant of a pending collision. */
static uint32_t collision_pick(am_man *m, const query *q)
{
    am_peer p;
    if (am_collision_peer(m, &p) != AM_OK)
        return AM_IDX_NONE;
    uint32_t i = am__find_id(m, p.id);
    const entry *e = E(m, i);
    if (!am__eligible(e) || !(q->nets & (1u << e->addr.net)) || skipped(m, q, e))
        return AM_IDX_NONE;
    return i;
}

int am_select(am_man *m, const am_select_opts *opts, am_peer *out)
{
    static const am_select_opts none;
    if (!m || !out)
        return AM_ERR_INVAL;
    if (!opts)
        opts = &none;
    am__tick(m);
    am_resolve_collisions(m);
    int64_t now = am__now(m);

    query q;
    q.nets = opts->networks ? (opts->networks & AM_NET_ALL) : AM_NET_ALL;
    if (q.nets == 0)
        return AM_ERR_NOTFOUND;
    q.net_sub = q.nets != AM_NET_ALL;
    q.services = opts->feeler ? 0 : opts->services;
    q.any_services = opts->feeler ? 0 : opts->any_services;
    q.opts = opts;

    uint32_t i = AM_IDX_NONE;
    if (opts->feeler) {
        i = collision_pick(m, &q);
        if (i == AM_IDX_NONE)
            i = table_pick(m, &m->tables[0], &q, now);
        if (i == AM_IDX_NONE)
            i = table_pick(m, &m->tables[1], &q, now);
    } else {
        unsigned tables = opts->tables ? opts->tables : 3u;
        int has_new = (tables & 1u) && table_may_hold(&m->tables[0], &q);
        int has_tried = (tables & 2u) && table_may_hold(&m->tables[1], &q);
        int first = has_new && has_tried ? (int)am_rng_below(&m->rng, 2)
                                         : (has_tried ? 1 : 0);
        if (!has_new && !has_tried)
            return AM_ERR_NOTFOUND;
        i = table_pick(m, &m->tables[first], &q, now);
        if (i == AM_IDX_NONE && (first ? has_new : has_tried))
            i = table_pick(m, &m->tables[!first], &q, now);
    }
    if (i == AM_IDX_NONE)
        return AM_ERR_NOTFOUND;
    am__to_peer(m, E(m, i), out);
    return AM_OK;
}

/* Core's GetAddr: a partial Fisher-Yates shuffle of all entries. */
int am_sample(am_man *m, size_t max_count, unsigned max_pct, uint32_t networks,
              uint64_t services, am_peer *out, size_t *n_out)
{
    if (!m || !n_out || (max_count > 0 && !out) || max_pct > 100)
        return AM_ERR_INVAL;
    am__tick(m);
    int64_t now = am__now(m);
    size_t want = max_count;
    if (max_pct > 0 && m->count * max_pct / 100 < want)
        want = m->count * max_pct / 100;
    uint32_t nets = networks ? networks : AM_NET_ALL;
    size_t n = 0;
    for (size_t k = 0; k < m->count && n < want; k++) {
        size_t j = k + (size_t)am_rng_below(&m->rng, m->count - k);
        uint32_t a = m->rnd[k], b = m->rnd[j];
        m->rnd[k] = b;
        m->rnd[j] = a;
        E(m, b)->rpos = (uint32_t)k;
        E(m, a)->rpos = (uint32_t)j;
        const entry *e = E(m, b);
        if ((e->flags & F_BANNED) || !(nets & (1u << e->addr.net)) ||
            (e->services & services) != services || am__terrible(e, now))
            continue;
        am__to_peer(m, e, &out[n++]);
    }
    *n_out = n;
    return AM_OK;
}
