/*
 * st_pool.c - the durable pool (st_pool.h): every call takes the lock, asks
 * the core and the pool, and journals what changed before letting go.
 *
 * Functions named j_* and settle() run under the lock (asserted).
 */
#include "st_pool.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"
#include "st_floresta.h"
#include "st_lock.h"

struct st_pool {
    am_man *core;
    am_pool *pool;           /* nodes, connections, leases */
    st_store *store;         /* NULL: nothing is saved */
    st_lock lock;
    atomic_uint_fast64_t ban_epoch;   /* see st_pool_ban_epoch */
};

static void lock(st_pool *p)
{
    st_lock_take(&p->lock);
}

static void unlock(st_pool *p)
{
    st_lock_release(&p->lock);
}

/* The pool reads the core's clock, so that leases, node timeouts and the
 * core's retry times agree (and a test clock moves them all). */
static int64_t pool_clock(void *core)
{
    return am_now(core);
}

int st_pool_new(const st_pool_config *cfg, st_pool **out)
{
    am_pool_config pc;
    st_pool *p;
    int rc;

    *out = NULL;
    if (cfg == NULL || cfg->core == NULL)
        return AM_ERR_INVAL;
    p = calloc(1, sizeof *p);
    if (p == NULL)
        return AM_ERR_NOMEM;
    if (st_lock_init(&p->lock) != AM_OK) {
        free(p);
        return AM_ERR_NOMEM;
    }
    p->core = cfg->core;
    p->store = cfg->store;
    am_pool_config_default(&pc);
    if (cfg->node_timeout > 0)
        pc.node_timeout = cfg->node_timeout;
    pc.clock = pool_clock;
    pc.clock_ctx = cfg->core;
    pc.core = cfg->core;
    if ((rc = am_pool_new(&pc, &p->pool)) != AM_OK) {
        st_pool_free(p);
        return rc;
    }
    if (p->store != NULL)
        st_store_set_lock(p->store, &p->lock);
    *out = p;
    return AM_OK;
}

void st_pool_free(st_pool *p)
{
    if (p == NULL)
        return;
    if (p->store != NULL)
        st_store_set_lock(p->store, NULL);
    am_pool_free(p->pool);
    st_lock_destroy(&p->lock);
    free(p);
}

st_store *st_pool_store(const st_pool *p)
{
    return p->store;
}

int64_t st_pool_now(st_pool *p)
{
    return am_now(p->core);
}

/* ---- journalling (under the lock) ------------------------------------ */

static int j_peer(st_pool *p, uint64_t id)
{
    assert(st_lock_held(&p->lock));
    return p->store ? st_store_journal_peer(p->store, p->core, id) : AM_OK;
}

static void j_batch_begin(st_pool *p)
{
    assert(st_lock_held(&p->lock));
    if (p->store)
        st_store_batch_begin(p->store);
}

static int j_batch_end(st_pool *p)
{
    return p->store ? st_store_batch_end(p->store) : AM_OK;
}

/* The first failure of a sequence of journal calls. */
static void j_keep(int *jrc, int rc)
{
    if (*jrc == AM_OK)
        *jrc = rc;
}

/* Around a call that may settle tried-table collisions: the waiting
 * newcomers it moved are journalled (st_store.h). */
static void j_watch_begin(st_pool *p, st_store_watch *w)
{
    assert(st_lock_held(&p->lock));
    if (p->store)
        st_store_watch_begin(p->core, w);
    else
        w->n = 0;
}

static int j_watch_end(st_pool *p, const st_store_watch *w)
{
    return p->store ? st_store_watch_end(p->store, p->core, w) : AM_OK;
}

/* am_set_state and its records in one write: the peer, then the newcomers
 * moved. */
static int j_set_state(st_pool *p, uint64_t id, am_state_op op, am_peer *out,
                       int *jrc)
{
    st_store_watch w;
    int rc;

    j_batch_begin(p);
    j_watch_begin(p, &w);
    rc = am_set_state(p->core, id, op, out);
    *jrc = rc == AM_OK ? j_peer(p, id) : AM_OK;
    if (rc == AM_OK && *jrc == AM_OK)
        *jrc = j_watch_end(p, &w);
    j_keep(jrc, j_batch_end(p));
    return rc;
}

/*
 * Peers whose last connection was forgotten with a dropped node (DELETE or
 * the node timeout) are marked disconnected in the core: they stay tried
 * but no longer show as connected.  After any pool call that may drop
 * nodes.  AM_OK or the journal's error.
 */
static int settle(st_pool *p)
{
    uint64_t ids[64];
    size_t n, i;
    int rc = AM_OK, jrc;
    am_peer peer;

    assert(st_lock_held(&p->lock));
    while ((n = am_pool_take_orphans(p->pool, ids, 64)) > 0)
        for (i = 0; i < n; i++) {
            if (am_get(p->core, ids[i], &peer) != AM_OK ||
                peer.state != AM_STATE_CONNECTED)
                continue;
            if (j_set_state(p, ids[i], AM_OP_DISCONNECTED, &peer, &jrc) ==
                AM_OK)
                j_keep(&rc, jrc);
        }
    return rc;
}

/* ---- adding ---------------------------------------------------------- */

/* One slice under one hold, journalled in one write. */
static int add_slice(st_pool *p, st_add *items, size_t n,
                     const am_addr *source, int64_t penalty)
{
    am_addr self;
    uint64_t id;
    int jrc = AM_OK;

    lock(p);
    j_batch_begin(p);
    for (size_t i = 0; i < n; i++) {
        st_add *it = &items[i];

        if (it->skip)
            continue;
        /* The adding rule every face shares (a face may say more first). */
        if (!am_addr_port_usable(&it->addr)) {
            it->rc = AM_ERR_ADDR;
            continue;
        }
        self = it->addr;
        self.port = 0;
        it->rc = am_add(p->core, &it->addr, source ? source : &self,
                        it->services, it->time, penalty, &it->is_new, &id);
        if (it->rc == AM_OK)
            j_keep(&jrc, j_peer(p, id));
    }
    if (j_batch_end(p) != AM_OK)
        j_keep(&jrc, AM_ERR_IO);
    unlock(p);
    return jrc;
}

int st_pool_add(st_pool *p, st_add *items, size_t n, const am_addr *source,
                int *jrc)
{
    return st_pool_add_heard(p, items, n, source, 0, jrc);
}

int st_pool_add_heard(st_pool *p, st_add *items, size_t n,
                      const am_addr *source, int64_t penalty, int *jrc)
{
    size_t done = 0, k;

    *jrc = AM_OK;
    while (done < n) {
        k = n - done < ST_POOL_SLICE ? n - done : ST_POOL_SLICE;
        *jrc = add_slice(p, items + done, k, source, penalty);
        done += k;
        if (*jrc != AM_OK)
            break;
    }
    for (; done < n; done++)        /* not offered: the journal failed */
        if (!items[done].skip)
            items[done].rc = AM_ERR_IO;
    return AM_OK;
}

/* ---- peers ----------------------------------------------------------- */

static int find(st_pool *p, const st_ref *ref, am_peer *out)
{
    assert(st_lock_held(&p->lock));
    if (ref->by_id)
        return ref->id ? am_get(p->core, ref->id, out) : AM_ERR_NOTFOUND;
    return am_find(p->core, &ref->endpoint, out);
}

int st_pool_peer(st_pool *p, const st_ref *ref, am_peer *out)
{
    int rc;

    lock(p);
    rc = find(p, ref, out);
    unlock(p);
    return rc;
}

int st_pool_list(st_pool *p, const am_filter *f, uint64_t after,
                 am_peer *out, size_t max, size_t *n, uint64_t *next)
{
    int rc;

    lock(p);
    rc = am_list(p->core, f, after, out, max, n, next);
    unlock(p);
    return rc;
}

int st_pool_remove(st_pool *p, const st_ref *ref, am_peer *out, int *jrc)
{
    int rc;

    *jrc = AM_OK;
    lock(p);
    rc = find(p, ref, out);
    if (rc == AM_OK)
        rc = am_remove(p->core, out->id);
    if (rc == AM_OK) {
        am_pool_forget_peer(p->pool, out->id);
        *jrc = p->store ? st_store_journal_remove(p->store, out->id) : AM_OK;
    }
    unlock(p);
    return rc;
}

int st_pool_set_services(st_pool *p, const st_ref *ref, uint64_t services,
                         am_peer *out, int *jrc)
{
    int rc;

    *jrc = AM_OK;
    lock(p);
    rc = find(p, ref, out);
    if (rc == AM_OK)
        rc = am_set_services(p->core, out->id, services, out);
    if (rc == AM_OK)
        *jrc = j_peer(p, out->id);
    unlock(p);
    return rc;
}

int st_pool_report(st_pool *p, const char *node, const st_ref *ref,
                   am_state_op op, am_peer *out, int *prc, int *jrc)
{
    int rc, src;

    *jrc = AM_OK;
    *prc = AM_OK;
    lock(p);
    src = settle(p);
    rc = find(p, ref, out);
    /* One node's disconnect leaves a peer another node is still connected
     * to as it is: connected. */
    if (rc == AM_OK &&
        !(op == AM_OP_DISCONNECTED &&
          am_pool_other_connections(p->pool, node, out->id) > 0))
        rc = j_set_state(p, out->id, op, out, jrc);
    /* The same hold: no select may see the core's new state with the
     * node's old connections and leases. */
    if (rc == AM_OK)
        *prc = am_pool_report(p->pool, node, out, op);
    unlock(p);
    j_keep(jrc, src);
    return rc;
}

int st_pool_place(st_pool *p, const st_ref *ref, uint64_t *id, am_place *out)
{
    am_peer peer;
    int rc;

    lock(p);
    rc = find(p, ref, &peer);
    if (rc == AM_OK) {
        *id = peer.id;
        rc = am_place_of(p->core, peer.id, out);
    }
    unlock(p);
    return rc;
}

/* ---- selecting ------------------------------------------------------- */

int st_pool_select(st_pool *p, const am_pool_select_opts *o, am_peer *out,
                   size_t *n, int *jrc)
{
    st_store_watch w;
    int rc;

    lock(p);
    j_batch_begin(p);
    j_watch_begin(p, &w);
    rc = am_pool_select(p->pool, p->core, o, out, n);
    *jrc = j_watch_end(p, &w);
    j_keep(jrc, settle(p));
    j_keep(jrc, j_batch_end(p));
    unlock(p);
    return rc;
}

int st_pool_sample(st_pool *p, size_t count, uint32_t networks,
                   uint64_t services, am_peer *out, size_t *n)
{
    int rc;

    lock(p);
    rc = am_sample(p->core, count, 0, networks, services, out, n);
    unlock(p);
    return rc;
}

/* ---- probing --------------------------------------------------------- */

typedef struct probe_draw {
    const st_probe_query *q;
    st_probe_phase phase;
    int64_t now;
} probe_draw;

static int probe_skip(void *ctx, const am_peer *c)
{
    const probe_draw *d = ctx;
    const st_probe_query *q = d->q;

    if (c->state == AM_STATE_CONNECTED || c->state == AM_STATE_BANNED ||
        !(q->networks & (1u << c->addr.net)) || d->now - c->last_try < q->retry)
        return 1;
    if (d->phase == ST_PROBE_STALE && d->now - c->last_success < q->stale_age)
        return 1;
    return q->skip != NULL && q->skip(q->skip_ctx, c);
}

/* One phase's candidate: AM_OK with *out, or AM_ERR_NOTFOUND. */
static int probe_pick(st_pool *p, probe_draw *d, am_peer *out)
{
    am_select_opts so;

    if (d->phase == ST_PROBE_COLLISION)
        return am_collision_peer(p->core, out) == AM_OK && !probe_skip(d, out)
                   ? AM_OK : AM_ERR_NOTFOUND;
    memset(&so, 0, sizeof so);
    so.networks = d->q->networks;
    so.tables = d->phase == ST_PROBE_NEW ? 1u : 2u;
    so.skip = probe_skip;
    so.skip_ctx = d;
    return am_select(p->core, &so, out);
}

int st_pool_probe_next(st_pool *p, const st_probe_query *q, am_peer *out,
                       st_probe_phase *phase)
{
    st_probe_phase order[3] = {ST_PROBE_COLLISION, ST_PROBE_NEW,
                               ST_PROBE_STALE};
    st_store_watch w;
    probe_draw d;
    int rc = AM_ERR_NOTFOUND;

    if (q->networks == 0)
        return AM_ERR_NOTFOUND;
    if (q->stale_first) {
        order[1] = ST_PROBE_STALE;
        order[2] = ST_PROBE_NEW;
    }
    d.q = q;
    lock(p);
    j_batch_begin(p);
    j_watch_begin(p, &w);
    d.now = am_now(p->core);
    for (size_t k = 0; k < 3 && rc != AM_OK; k++) {
        d.phase = order[k];
        rc = probe_pick(p, &d, out);
    }
    if (rc == AM_OK)
        *phase = d.phase;
    /* A journal failure is counted by the store (journal_failures); the
     * next snapshot has the true places. */
    (void)j_watch_end(p, &w);
    (void)j_batch_end(p);
    unlock(p);
    return rc;
}

int st_pool_probe_done(st_pool *p, uint64_t id, const am_addr *addr, int ok,
                       uint64_t services, am_peer *out, int *jrc)
{
    int rc;

    *jrc = AM_OK;
    lock(p);
    rc = am_get(p->core, id, out);
    if (rc == AM_OK && !am_addr_eq(&out->addr, addr))
        rc = AM_ERR_NOTFOUND;
    if (rc == AM_OK && ok && services != out->services)
        rc = am_set_services(p->core, id, services, out);
    if (rc == AM_OK && out->state != AM_STATE_CONNECTED)
        rc = j_set_state(p, id, ok ? AM_OP_TRIED : AM_OP_FAILED, out, jrc);
    else if (rc == AM_OK && ok)
        *jrc = j_peer(p, id);
    unlock(p);
    return rc;
}

void st_pool_verify_stats(st_pool *p, am_verify_stats *out, int64_t *now)
{
    int64_t t;

    lock(p);
    t = am_now(p->core);
    am_verify_stats_get(p->core, t - ST_VERIFIED_WINDOW, out);
    unlock(p);
    if (now != NULL)
        *now = t;
}

/* ---- getaddr --------------------------------------------------------- */

/* A peer worth relaying serves blocks: all of them (NODE_NETWORK) or the
 * recent ones (NODE_NETWORK_LIMITED). */
#define GA_SERVICES (UINT64_C(1) | UINT64_C(1024))

/* One st_pool_getaddr call.  The sets are am_counters (O(1) lookups):
 * an exact pass tests every candidate against them. */
typedef struct ga_draw {
    am_counter ids;          /* the peers drawn */
    am_counter groups;       /* their network groups (first phase) */
    int distinct;            /* first phase: a group only once */
    size_t tests;            /* skip tests so far: the call's work */
    int64_t now;             /* the slice's time, for the terrible test */
    am_peer *out;
    size_t n, max;
} ga_draw;

static int ga_skip(void *ctx, const am_peer *cand)
{
    ga_draw *d = ctx;

    d->tests++;
    return am_counter_get(&d->ids, cand->id) > 0 ||
           (d->distinct &&
            am_counter_get(&d->groups, am_addr_group_key(&cand->addr)) > 0) ||
           am_peer_is_terrible(cand, d->now);
}

/* One draw: the fast path, then the exact pass while the work it may
 * cost (a test of every peer at most) fits in what is left. */
static int ga_select(st_pool *p, ga_draw *d, am_peer *out)
{
    am_select_opts so;

    memset(&so, 0, sizeof so);
    so.any_services = GA_SERVICES;
    so.skip = ga_skip;
    so.skip_ctx = d;
    so.fast_only = 1;
    if (am_select(p->core, &so, out) == AM_OK)
        return AM_OK;
    if (d->tests + am_size(p->core) > ST_GETADDR_WORK)
        return AM_ERR_NOTFOUND;
    so.fast_only = 0;
    return am_select(p->core, &so, out);
}

/* Up to ST_POOL_SLICE draws under one hold (the selects' settled
 * collisions journalled in one write); 1 while the call goes on. */
static int ga_slice(st_pool *p, ga_draw *d)
{
    st_store_watch w;
    int more = 1;

    lock(p);
    j_batch_begin(p);
    j_watch_begin(p, &w);
    d->now = am_now(p->core);
    for (size_t k = 0; k < ST_POOL_SLICE && d->n < d->max; k++) {
        am_peer *peer = &d->out[d->n];

        if (ga_select(p, d, peer) != AM_OK) {
            /* Nothing drawn yet: the second phase would find nothing
             * either. */
            if (!d->distinct || d->n == 0) {
                more = 0;
                break;
            }
            d->distinct = 0;
            continue;
        }
        (void)am_counter_inc(&d->ids, peer->id);        /* room reserved */
        if (d->distinct)
            (void)am_counter_inc(&d->groups, am_addr_group_key(&peer->addr));
        d->n++;
    }
    (void)j_watch_end(p, &w);       /* failures: the store counts them */
    (void)j_batch_end(p);
    unlock(p);
    return more && d->n < d->max;
}

int st_pool_getaddr(st_pool *p, size_t max, am_peer *out, size_t *n_out)
{
    ga_draw d;
    int rc = AM_OK;

    if (n_out != NULL)
        *n_out = 0;
    if (p == NULL || out == NULL || n_out == NULL || max == 0 ||
        max > ST_GETADDR_MAX)
        return AM_ERR_INVAL;
    memset(&d, 0, sizeof d);
    d.distinct = 1;
    d.out = out;
    d.max = max;
    am_counter_init(&d.ids);
    am_counter_init(&d.groups);
    /* Room for every draw now (no lock held): counting cannot fail later. */
    if (am_counter_reserve(&d.ids, max) != 0 ||
        am_counter_reserve(&d.groups, max) != 0)
        rc = AM_ERR_NOMEM;
    while (rc == AM_OK && ga_slice(p, &d))
        ;
    *n_out = d.n;
    am_counter_free(&d.ids);
    am_counter_free(&d.groups);
    return rc;
}

/* ---- bans ------------------------------------------------------------ */

int st_pool_ban(st_pool *p, const am_subnet *target, int64_t duration,
                const char *reason, am_ban *out, int *jrc)
{
    int rc;

    *jrc = AM_OK;
    lock(p);
    rc = am_ban_add(p->core, target, am_now(p->core) + duration, reason, out);
    if (rc == AM_OK && p->store)
        *jrc = st_store_journal_ban(p->store, out);
    unlock(p);
    if (rc == AM_OK)
        atomic_fetch_add_explicit(&p->ban_epoch, 1, memory_order_relaxed);
    return rc;
}

uint64_t st_pool_ban_epoch(st_pool *p)
{
    return atomic_load_explicit(&p->ban_epoch, memory_order_relaxed);
}

size_t st_pool_size(st_pool *p)
{
    size_t n;

    lock(p);
    n = am_size(p->core);
    unlock(p);
    return n;
}

int st_pool_banned(st_pool *p, const am_addr *a)
{
    int banned;

    lock(p);
    banned = am_is_banned(p->core, a);
    unlock(p);
    return banned;
}

int st_pool_bans(st_pool *p, am_ban **out, size_t *n)
{
    size_t cap;
    int rc;

    *n = 0;
    lock(p);
    cap = am_ban_count(p->core);
    *out = malloc((cap ? cap : 1) * sizeof **out);
    rc = *out ? am_ban_list(p->core, *out, cap, n) : AM_ERR_NOMEM;
    unlock(p);
    return rc;
}

int st_pool_unban(st_pool *p, const am_subnet *target, int *jrc)
{
    int rc;

    *jrc = AM_OK;
    lock(p);
    rc = am_ban_remove(p->core, target);
    if (rc == AM_OK && p->store)
        *jrc = st_store_journal_unban(p->store, target);
    unlock(p);
    return rc;
}

int st_pool_unban_all(st_pool *p, int *jrc)
{
    lock(p);
    am_ban_clear(p->core);
    *jrc = p->store ? st_store_journal_unban_all(p->store) : AM_OK;
    unlock(p);
    return AM_OK;
}

/* ---- nodes ----------------------------------------------------------- */

void st_nodes_free(st_nodes *s)
{
    free(s->v);
    free(s->block);
    memset(s, 0, sizeof *s);
}

static int id_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* The nodes' infos (under the lock). */
static int nodes_infos(st_pool *p, st_nodes *s)
{
    size_t cap = am_pool_node_count(p->pool), i;
    am_node_info *in = malloc((cap ? cap : 1) * sizeof *in);
    int rc = AM_OK;

    assert(st_lock_held(&p->lock));
    s->v = calloc(cap ? cap : 1, sizeof *s->v);
    if (in == NULL || s->v == NULL)
        rc = AM_ERR_NOMEM;
    else if (am_pool_nodes(p->pool, in, cap, &s->n) != AM_OK)
        rc = AM_ERR_INTERNAL;
    for (i = 0; rc == AM_OK && i < s->n; i++)
        s->v[i].info = in[i];
    free(in);
    return rc;
}

/* Every node's peer ids into one block (under the lock). */
static int nodes_ids(st_pool *p, st_nodes *s)
{
    size_t total = 0, pos = 0, i;

    assert(st_lock_held(&p->lock));
    for (i = 0; i < s->n; i++)
        total += s->v[i].info.n_connected + s->v[i].info.n_leased;
    s->block = malloc((total ? total : 1) * sizeof *s->block);
    if (s->block == NULL)
        return AM_ERR_NOMEM;
    for (i = 0; i < s->n; i++) {
        am_node_info *in = &s->v[i].info;

        for (int which = 0; which < 2; which++) {
            size_t *cnt = which ? &in->n_leased : &in->n_connected, got = 0;

            s->v[i].ids[which] = s->block + pos;
            /* Same hold, but the clock may tick a second between the
             * calls and end a lease: keep what the pool says now. */
            if (am_pool_node_peers(p->pool, in->name, which, s->block + pos,
                                   *cnt, &got) != AM_OK)
                got = 0;
            *cnt = got;
            pos += got;
        }
    }
    return AM_OK;
}

int st_pool_nodes(st_pool *p, int with_ids, st_nodes *out)
{
    int rc;

    memset(out, 0, sizeof *out);
    lock(p);
    /* A listing may be the first to see a node time out, or peers the
     * core evicted since. */
    (void)settle(p);
    am_pool_prune(p->pool, p->core);
    rc = nodes_infos(p, out);
    if (rc == AM_OK && with_ids)
        rc = nodes_ids(p, out);
    unlock(p);
    if (rc != AM_OK) {
        st_nodes_free(out);
        return rc;
    }
    for (size_t i = 0; with_ids && i < out->n; i++) {
        st_node *v = &out->v[i];
        qsort(v->ids[0], v->info.n_connected, sizeof(uint64_t), id_cmp);
        qsort(v->ids[1], v->info.n_leased, sizeof(uint64_t), id_cmp);
    }
    return AM_OK;
}

int st_pool_drop_node(st_pool *p, const char *name, int *jrc)
{
    int rc;

    lock(p);
    rc = am_pool_drop_node(p->pool, name);
    *jrc = settle(p);
    unlock(p);
    return rc;
}

/* ---- the pool as a whole --------------------------------------------- */

void st_pool_stats(st_pool *p, am_stats *out)
{
    lock(p);
    am_stats_get(p->core, out);
    unlock(p);
}

void st_pool_lock_stats(st_pool *p, st_lock_stats *out, int reset)
{
    st_lock_stats_get(&p->lock, out, reset);
}

int st_pool_check(st_pool *p, char *why, size_t why_len)
{
    int rc;

    lock(p);
    rc = am_check(p->core, why, why_len);
    if (rc == AM_OK)
        rc = am_pool_check(p->pool, why, why_len);
    unlock(p);
    return rc;
}

int st_pool_export(st_pool *p, char **text, size_t *len)
{
    st_floresta_copy *c = NULL;
    int rc;

    *text = NULL;
    *len = 0;
    lock(p);
    rc = st_floresta_copy_take(p->core, &c);
    unlock(p);
    if (rc == AM_OK)
        rc = st_floresta_copy_text(c, text, len, NULL);
    st_floresta_copy_free(c);
    return rc;
}

int st_pool_anchors(st_pool *p, const st_ref *refs, size_t n, char **text,
                    size_t *len, size_t *missing)
{
    uint64_t *ids = malloc((n ? n : 1) * sizeof *ids);
    size_t unknown;
    am_peer peer;
    int rc = ids ? AM_OK : AM_ERR_NOMEM;

    lock(p);
    for (size_t i = 0; rc == AM_OK && i < n; i++) {
        if (find(p, &refs[i], &peer) != AM_OK) {
            *missing = i;
            rc = AM_ERR_NOTFOUND;
        }
        ids[i] = peer.id;
    }
    if (rc == AM_OK)
        rc = st_floresta_anchors(p->core, ids, n, text, len, &unknown);
    unlock(p);
    free(ids);
    return rc;
}

/* Peers copied for an export to Core's format: one page of am_list at a
 * time. */
#define CORE_PAGE 256

static int copy_unbanned(am_man *core, am_peer **out, size_t *n)
{
    am_filter f = {((1u << AM_STATE_COUNT) - 1) & ~(1u << AM_STATE_BANNED),
                   0, -1, 0, 0};
    size_t cap = am_size(core), got;
    uint64_t after = 0, next = 0;
    int rc = AM_OK;

    *n = 0;
    *out = malloc((cap ? cap : 1) * sizeof **out);
    if (*out == NULL)
        return AM_ERR_NOMEM;
    do {
        size_t room = cap - *n < CORE_PAGE ? cap - *n : CORE_PAGE;
        if (room == 0)
            break;      /* the core holds no more than am_size said */
        rc = am_list(core, &f, after, *out + *n, room, &got, &next);
        *n += got;
        after = next;
    } while (rc == AM_OK && next != 0);
    return rc;
}

int st_pool_export_core(st_pool *p, const am_chain *chain, uint8_t **out,
                        size_t *len, st_coredat_written *w)
{
    am_peer *peers = NULL;
    size_t n = 0;
    int rc;

    *out = NULL;
    *len = 0;
    lock(p);
    rc = copy_unbanned(p->core, &peers, &n);
    unlock(p);
    if (rc == AM_OK)
        rc = st_coredat_write(chain, NULL, peers, n, out, len, w);
    free(peers);
    return rc;
}

/* ---- the data directory ---------------------------------------------- */

int st_pool_save(st_pool *p, size_t *peers)
{
    st_snapshot *snap;
    int rc;

    if (p->store == NULL)
        return AM_ERR_INVAL;
    lock(p);
    rc = st_store_snapshot_begin(p->store, p->core, &snap);
    unlock(p);
    if (rc != AM_OK)
        return rc;
    return st_store_snapshot_commit(p->store, snap, peers);
}

int st_pool_merge(st_pool *p, const st_doc *doc, st_merge_result *r)
{
    st_merge_opts opts = {0, NULL, NULL, ST_MERGE_ALL};
    int rc = AM_OK, brc;

    if (p->store) {
        opts.on_change = st_store_on_change;
        opts.ctx = p->store;
    }
    for (size_t done = 0; rc == AM_OK && done < doc->n;
         done += ST_POOL_SLICE) {
        st_doc slice = *doc;

        slice.recs = doc->recs + done;
        slice.n = doc->n - done < ST_POOL_SLICE ? doc->n - done
                                                : ST_POOL_SLICE;
        lock(p);
        j_batch_begin(p);
        rc = st_merge_doc(p->core, &slice, &opts, r);
        brc = j_batch_end(p);
        unlock(p);
        if (rc == AM_OK)
            rc = brc;
    }
    /* A document may hold bans. */
    atomic_fetch_add_explicit(&p->ban_epoch, 1, memory_order_relaxed);
    return rc;
}

int st_pool_load_file(st_pool *p, const char *name, st_merge_result *r)
{
    st_doc doc;
    int rc;

    if (p->store == NULL)
        return AM_ERR_INVAL;
    st_doc_init(&doc);
    rc = st_store_load_read(p->store, name, &doc, r);
    if (rc == AM_OK) {
        rc = st_pool_merge(p, &doc, r);
        st_store_load_done(p->store, name, r);
    }
    st_doc_free(&doc);
    return rc;
}
