/*
 * pool.c - nodes, their connections and leases, and diverse selection.
 *
 * Each node keeps two small arrays (connections, leases) of "holds": a peer
 * id with its network group packed into 64 bits.  A per-peer record, found
 * through an idxmap, says which node leases the peer and how many nodes are
 * connected to it, so the skip test during selection is O(1) for the
 * cross-node rules.  The per-node rules use sets built once per select (the
 * ids it picked, the groups the node holds); only a candidate some node is
 * connected to is looked up in the asking node's connections.
 */
#include "pool.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bits.h"
#include "counter.h"
#include "idxmap.h"

#define MAX_NODES 10000
#define NO_NODE (-1)

typedef struct hold {
    uint64_t peer;
    uint64_t group;
    int64_t until;              /* leases only */
} hold;

typedef struct holds {
    hold *v;
    size_t n, cap;
} holds;

typedef struct node {
    char name[AM_NODE_NAME_MAX + 1];
    int live;
    int64_t last_seen;
    uint64_t selects, handed;
    uint64_t pruned_at;         /* the core's removals at the last prune */
    holds conns, leases;
    /* The network groups of conns and leases, with how many holds each:
     * kept as holds come and go, so that a select by a node holding
     * thousands of leases does not gather them every time.  Allocated on
     * its own (while live): an am_counter points at itself, and the
     * nodes array moves when it grows. */
    am_counter *held;
} node;

typedef struct prec {
    uint64_t peer;
    int32_t lease_node;         /* NO_NODE: not leased */
    uint32_t n_conn;            /* nodes connected to it */
    uint32_t next_free;
} prec;

struct am_pool {
    am_pool_config cfg;
    node *nodes;
    size_t n_nodes, cap_nodes;  /* slots, live or not */
    prec *recs;
    uint32_t r_high, r_cap, r_free;
    am_idxmap map;
    uint64_t *orphans;          /* last connection ended by a node drop */
    size_t n_orphans, cap_orphans;
    int64_t lease_due;          /* no lease ends before this (INT64_MAX:
                                 * none): tick scans the leases only then */
};

/* ------------------------------------------------------------ helpers */

static int64_t real_clock(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL);
}

static int64_t now_of(am_pool *p)
{
    return p->cfg.clock(p->cfg.clock_ctx);
}

static uint64_t rec_hash(void *ctx, uint32_t idx)
{
    am_pool *p = ctx;
    return am_mix64(p->recs[idx].peer);
}

static int rec_eq(void *ctx, uint32_t idx, const void *key)
{
    am_pool *p = ctx;
    return p->recs[idx].peer == *(const uint64_t *)key;
}

static hold *holds_find(holds *h, uint64_t peer)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].peer == peer)
            return &h->v[i];
    return NULL;
}

static int holds_add(holds *h, uint64_t peer, uint64_t group, int64_t until)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 8;
        hold *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return AM_ERR_NOMEM;
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n].peer = peer;
    h->v[h->n].group = group;
    h->v[h->n].until = until;
    h->n++;
    return AM_OK;
}

static void holds_del(holds *h, hold *x)
{
    *x = h->v[--h->n];
}

/* A node's hold and its group, together. */
static int node_hold_add(node *n, holds *h, uint64_t peer, uint64_t group,
                         int64_t until)
{
    if (am_counter_inc(n->held, group) != 0)
        return AM_ERR_NOMEM;
    if (holds_add(h, peer, group, until) != AM_OK) {
        am_counter_dec(n->held, group);
        return AM_ERR_NOMEM;
    }
    return AM_OK;
}

static void node_hold_del(node *n, holds *h, hold *x)
{
    am_counter_dec(n->held, x->group);
    holds_del(h, x);
}

/* ------------------------------------------------------- peer records */

static prec *rec_find(am_pool *p, uint64_t peer)
{
    uint32_t i = am_idxmap_find(&p->map, am_mix64(peer), &peer);
    return i == AM_IDX_NONE ? NULL : &p->recs[i];
}

static prec *rec_get(am_pool *p, uint64_t peer)
{
    prec *r = rec_find(p, peer);
    if (r)
        return r;
    uint32_t i;
    if (p->r_free != AM_IDX_NONE) {
        i = p->r_free;
        p->r_free = p->recs[i].next_free;
    } else {
        if (p->r_high == p->r_cap) {
            uint32_t cap = p->r_cap ? p->r_cap * 2 : 64;
            prec *v = realloc(p->recs, (size_t)cap * sizeof *v);
            if (!v)
                return NULL;
            p->recs = v;
            p->r_cap = cap;
        }
        i = p->r_high++;
    }
    r = &p->recs[i];
    r->peer = peer;
    r->lease_node = NO_NODE;
    r->n_conn = 0;
    if (am_idxmap_insert(&p->map, i) != 0) {
        r->next_free = p->r_free;
        p->r_free = i;
        return NULL;
    }
    return r;
}

/* Free a record nobody holds any more. */
static void rec_release(am_pool *p, prec *r)
{
    if (r->lease_node != NO_NODE || r->n_conn > 0)
        return;
    uint32_t i = (uint32_t)(r - p->recs);
    am_idxmap_remove(&p->map, i);
    r->next_free = p->r_free;
    p->r_free = i;
}

/* ------------------------------------------------------------- nodes */

int am_node_name_valid(const char *name)
{
    size_t n = 0;
    if (!name)
        return 0;
    for (; name[n]; n++) {
        char c = name[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok || n >= AM_NODE_NAME_MAX)
            return 0;
    }
    return n > 0;
}

static int node_find(am_pool *p, const char *name)
{
    for (size_t i = 0; i < p->n_nodes; i++)
        if (p->nodes[i].live && strcmp(p->nodes[i].name, name) == 0)
            return (int)i;
    return NO_NODE;
}

static int node_get(am_pool *p, const char *name, int *out)
{
    int i = node_find(p, name);
    if (i == NO_NODE) {
        for (size_t k = 0; k < p->n_nodes && i == NO_NODE; k++)
            if (!p->nodes[k].live)
                i = (int)k;
    }
    if (i == NO_NODE) {
        if (p->n_nodes >= MAX_NODES)
            return AM_ERR_FULL;
        if (p->n_nodes == p->cap_nodes) {
            size_t cap = p->cap_nodes ? p->cap_nodes * 2 : 8;
            node *v = realloc(p->nodes, cap * sizeof *v);
            if (!v)
                return AM_ERR_NOMEM;
            p->nodes = v;
            p->cap_nodes = cap;
        }
        i = (int)p->n_nodes++;
        p->nodes[i].live = 0;
    }
    node *n = &p->nodes[i];
    if (!n->live) {
        am_counter *held = malloc(sizeof *held);
        if (!held)
            return AM_ERR_NOMEM;
        am_counter_init(held);
        memset(n, 0, sizeof *n);
        snprintf(n->name, sizeof n->name, "%s", name);
        n->held = held;
        n->live = 1;
    }
    n->last_seen = now_of(p);
    *out = i;
    return AM_OK;
}

/* The core's mark of a lease (see pool.h); a peer the core no longer has
 * needs none. */
static void core_hold(am_pool *p, uint64_t peer, int on)
{
    if (p->cfg.core)
        (void)am_hold(p->cfg.core, peer, on);
}

static void lease_end(am_pool *p, int ni, hold *h)
{
    prec *r = rec_find(p, h->peer);
    if (r && r->lease_node == ni) {
        r->lease_node = NO_NODE;
        core_hold(p, h->peer, 0);
        rec_release(p, r);
    }
    node_hold_del(&p->nodes[ni], &p->nodes[ni].leases, h);
}

static void conn_end(am_pool *p, int ni, hold *h)
{
    prec *r = rec_find(p, h->peer);
    if (r && r->n_conn > 0) {
        r->n_conn--;
        rec_release(p, r);
    }
    node_hold_del(&p->nodes[ni], &p->nodes[ni].conns, h);
}

/* Remember a peer nobody is connected to any more because its node was
 * dropped: the owner of the am_man marks it disconnected
 * (am_pool_take_orphans).  Out of memory, it is not remembered and the
 * peer keeps its state until a node reports on it. */
static void orphan_add(am_pool *p, uint64_t peer)
{
    if (p->n_orphans == p->cap_orphans) {
        size_t cap = p->cap_orphans ? p->cap_orphans * 2 : 16;
        uint64_t *v = realloc(p->orphans, cap * sizeof *v);
        if (!v)
            return;
        p->orphans = v;
        p->cap_orphans = cap;
    }
    p->orphans[p->n_orphans++] = peer;
}

static void node_free_held(node *n)
{
    if (n->held)
        am_counter_free(n->held);
    free(n->held);
}

static void node_drop(am_pool *p, int ni)
{
    node *n = &p->nodes[ni];
    while (n->leases.n > 0)
        lease_end(p, ni, &n->leases.v[n->leases.n - 1]);
    while (n->conns.n > 0) {
        hold *h = &n->conns.v[n->conns.n - 1];
        prec *r = rec_find(p, h->peer);
        if (r && r->n_conn == 1)
            orphan_add(p, h->peer);
        conn_end(p, ni, h);
    }
    free(n->leases.v);
    free(n->conns.v);
    node_free_held(n);
    memset(n, 0, sizeof *n);
}

/* Expired leases end, silent nodes go.  Every pool call ticks, so the
 * leases (possibly the whole pool) are scanned only when one is due, which
 * the clock's whole seconds make at most once a second. */
static void tick(am_pool *p)
{
    int64_t now = now_of(p);
    int scan = now >= p->lease_due;
    int64_t due = INT64_MAX;
    for (size_t i = 0; i < p->n_nodes; i++) {
        node *n = &p->nodes[i];
        if (!n->live)
            continue;
        if (now - n->last_seen >= p->cfg.node_timeout) {
            node_drop(p, (int)i);
            continue;
        }
        for (size_t k = scan ? n->leases.n : 0; k-- > 0;) {
            if (n->leases.v[k].until <= now)
                lease_end(p, (int)i, &n->leases.v[k]);
            else if (n->leases.v[k].until < due)
                due = n->leases.v[k].until;
        }
    }
    if (scan)
        p->lease_due = due;
}

/* --------------------------------------------------------- lifecycle */

void am_pool_config_default(am_pool_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->node_timeout = 900;
}

int am_pool_new(const am_pool_config *cfg, am_pool **out)
{
    am_pool_config def;
    if (!cfg) {
        am_pool_config_default(&def);
        cfg = &def;
    }
    if (!out || cfg->node_timeout <= 0)
        return AM_ERR_INVAL;
    am_pool *p = calloc(1, sizeof *p);
    if (!p)
        return AM_ERR_NOMEM;
    p->cfg = *cfg;
    if (!p->cfg.clock)
        p->cfg.clock = real_clock;
    p->r_free = AM_IDX_NONE;
    p->lease_due = INT64_MAX;
    am_idxmap_init(&p->map, rec_hash, rec_eq, p);
    *out = p;
    return AM_OK;
}

void am_pool_free(am_pool *p)
{
    if (!p)
        return;
    /* The core may outlive the pool: its leased peers become selectable. */
    for (size_t i = 0; i < p->n_nodes; i++)
        for (size_t k = 0; k < p->nodes[i].leases.n; k++)
            core_hold(p, p->nodes[i].leases.v[k].peer, 0);
    for (size_t i = 0; i < p->n_nodes; i++) {
        free(p->nodes[i].conns.v);
        free(p->nodes[i].leases.v);
        node_free_held(&p->nodes[i]);
    }
    free(p->nodes);
    free(p->recs);
    free(p->orphans);
    am_idxmap_free(&p->map);
    free(p);
}

/* --------------------------------------------------------- selection */

/*
 * A set of keys for one select: the ids it picked, the groups it handed
 * out.  When most candidates are refused the core tests every one of them
 * (its exact pass), so the skip test must not scan lists: open addressing.
 */
#define KSET_INLINE 32          /* a select of a few peers allocates nothing */
/* The free slot: ids stay below 2^53 and group keys below 2^63. */
#define KEY_NONE UINT64_MAX

typedef struct kset {
    uint64_t *slot;             /* own, or malloc'd when larger */
    size_t mask;
    uint64_t own[KSET_INLINE];
} kset;

static int kset_init(kset *s, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    s->slot = cap <= KSET_INLINE ? s->own : malloc(cap * sizeof *s->slot);
    if (!s->slot)
        return AM_ERR_NOMEM;
    for (size_t i = 0; i < cap; i++)
        s->slot[i] = KEY_NONE;
    s->mask = cap - 1;
    return AM_OK;
}

static void kset_free(kset *s)
{
    if (s->slot != s->own)
        free(s->slot);
    s->slot = NULL;
}

static int kset_has(const kset *s, uint64_t k)
{
    for (size_t i = am_mix64(k) & s->mask; s->slot[i] != KEY_NONE; i = (i + 1) & s->mask)
        if (s->slot[i] == k)
            return 1;
    return 0;
}

/* Room for every key was made by kset_init. */
static void kset_add(kset *s, uint64_t k)
{
    size_t i = am_mix64(k) & s->mask;
    while (s->slot[i] != KEY_NONE && s->slot[i] != k)
        i = (i + 1) & s->mask;
    s->slot[i] = k;
}

typedef struct pick_ctx {
    am_pool *p;
    int ni;
    const am_pool_select_opts *o;
    kset ids;                   /* picked by this call */
    kset groups;                /* diverse: this call's (the node's are in
                                 * its `held`) */
    size_t n;
    uint64_t last_id;           /* the last candidate pick_skip grouped */
    uint64_t last_group;        /* (the core accepts the last candidate it
                                 * tested, so its group is not computed
                                 * again) */
} pick_ctx;

static int pick_skip(void *ctx, const am_peer *cand)
{
    pick_ctx *c = ctx;
    if (kset_has(&c->ids, cand->id))
        return 1;
    prec *r = rec_find(c->p, cand->id);
    if (r && (r->lease_node != NO_NODE || (c->o->exclusive && r->n_conn > 0)))
        return 1;
    if (r && r->n_conn > 0 && holds_find(&c->p->nodes[c->ni].conns, cand->id))
        return 1;
    if (!c->o->diverse)
        return 0;
    c->last_id = cand->id;
    c->last_group = am_addr_group_key(&cand->addr);
    return kset_has(&c->groups, c->last_group) ||
           am_counter_get(c->p->nodes[c->ni].held, c->last_group) > 0;
}

static uint64_t group_of(const pick_ctx *c, const am_peer *peer)
{
    return c->o->diverse && c->last_id == peer->id ? c->last_group
                                                   : am_addr_group_key(&peer->addr);
}

/* The sets of this call, sized for `count` picks. */
static int pick_init(pick_ctx *c, unsigned count)
{
    c->groups.slot = NULL;
    if (kset_init(&c->ids, count) != AM_OK)
        return AM_ERR_NOMEM;
    if (c->o->diverse && kset_init(&c->groups, count) != AM_OK) {
        kset_free(&c->ids);
        return AM_ERR_NOMEM;
    }
    return AM_OK;
}

static int lease_take(am_pool *p, int ni, const am_peer *peer, uint64_t group,
                      int64_t until)
{
    prec *r = rec_get(p, peer->id);
    if (!r)
        return AM_ERR_NOMEM;
    if (node_hold_add(&p->nodes[ni], &p->nodes[ni].leases, peer->id, group,
                      until) != AM_OK) {
        rec_release(p, r);
        return AM_ERR_NOMEM;
    }
    r->lease_node = ni;
    core_hold(p, peer->id, 1);
    if (until < p->lease_due)
        p->lease_due = until;
    return AM_OK;
}

/* Forget the node's holds on peers the am_man no longer has (evicted by
 * an add, or removed without am_pool_forget_peer): a connection to a peer
 * that is gone cannot be reported ended, and would keep its group. */
static void node_prune(am_pool *p, am_man *m, int ni)
{
    node *n = &p->nodes[ni];
    uint64_t removals = am_removals(m);
    if (n->pruned_at == removals)
        return;                 /* nobody left since: every hold is alive */
    n->pruned_at = removals;
    for (size_t k = n->leases.n; k-- > 0;)
        if (!am_has(m, n->leases.v[k].peer))
            lease_end(p, ni, &n->leases.v[k]);
    for (size_t k = n->conns.n; k-- > 0;)
        if (!am_has(m, n->conns.v[k].peer))
            conn_end(p, ni, &n->conns.v[k]);
}

void am_pool_prune(am_pool *p, am_man *m)
{
    if (!p || !m)
        return;
    tick(p);
    for (size_t i = 0; i < p->n_nodes; i++)
        if (p->nodes[i].live)
            node_prune(p, m, (int)i);
}

int am_pool_select(am_pool *p, am_man *m, const am_pool_select_opts *o,
                   am_peer *out, size_t *n_out)
{
    if (!p || !m || !o || !out || !n_out)
        return AM_ERR_INVAL;
    *n_out = 0;
    const char *name = o->node ? o->node : "default";
    if (!am_node_name_valid(name) || o->count < 1 || o->count > AM_POOL_MAX_COUNT ||
        o->lease_seconds < 0)
        return AM_ERR_INVAL;
    tick(p);
    pick_ctx pc, *c = &pc;
    int rc = node_get(p, name, &c->ni);
    if (rc != AM_OK)
        return rc;
    node_prune(p, m, c->ni);
    c->p = p;
    c->o = o;
    c->n = 0;
    c->last_id = 0;             /* ids start at 1 */
    if (pick_init(c, o->count) != AM_OK)
        return AM_ERR_NOMEM;
    am_select_opts so = o->base;
    so.skip = pick_skip;
    so.skip_ctx = c;
    int64_t until = now_of(p) + o->lease_seconds;
    while (c->n < o->count && rc == AM_OK) {
        am_peer *peer = &out[c->n];
        if (am_select(m, &so, peer) != AM_OK)
            break;
        uint64_t group = group_of(c, peer);
        if (o->lease_seconds > 0)
            rc = lease_take(p, c->ni, peer, group, until);
        kset_add(&c->ids, peer->id);
        if (o->diverse)
            kset_add(&c->groups, group);
        c->n++;
    }
    node *n = &p->nodes[c->ni];
    n->selects++;
    n->handed += c->n;
    *n_out = c->n;
    kset_free(&c->ids);
    kset_free(&c->groups);
    return rc;
}

/* ----------------------------------------------------------- reports */

int am_pool_report(am_pool *p, const char *node_name, const am_peer *peer,
                   am_state_op op)
{
    if (!p || !peer)
        return AM_ERR_INVAL;
    const char *name = node_name ? node_name : "default";
    if (!am_node_name_valid(name))
        return AM_ERR_INVAL;
    tick(p);
    int ni;
    int rc = node_get(p, name, &ni);
    if (rc != AM_OK)
        return rc;
    if (op != AM_OP_CONNECTED && op != AM_OP_DISCONNECTED && op != AM_OP_FAILED)
        return AM_OK;
    node *n = &p->nodes[ni];
    hold *l = holds_find(&n->leases, peer->id);
    if (l)
        lease_end(p, ni, l);
    hold *h = holds_find(&n->conns, peer->id);
    if (op != AM_OP_CONNECTED) {
        if (h)
            conn_end(p, ni, h);
        return AM_OK;
    }
    if (h)
        return AM_OK;
    prec *r = rec_get(p, peer->id);
    if (!r)
        return AM_ERR_NOMEM;
    if (node_hold_add(n, &n->conns, peer->id, am_addr_group_key(&peer->addr),
                      0) != AM_OK) {
        rec_release(p, r);
        return AM_ERR_NOMEM;
    }
    r->n_conn++;
    return AM_OK;
}

void am_pool_forget_peer(am_pool *p, uint64_t peer_id)
{
    if (!p || !rec_find(p, peer_id))
        return;
    for (size_t i = 0; i < p->n_nodes; i++) {
        node *n = &p->nodes[i];
        if (!n->live)
            continue;
        hold *h = holds_find(&n->leases, peer_id);
        if (h)
            lease_end(p, (int)i, h);
        h = holds_find(&n->conns, peer_id);
        if (h)
            conn_end(p, (int)i, h);
    }
}

int am_pool_drop_node(am_pool *p, const char *name)
{
    if (!p || !name)
        return AM_ERR_INVAL;
    tick(p);
    int ni = node_find(p, name);
    if (ni == NO_NODE)
        return AM_ERR_NOTFOUND;
    node_drop(p, ni);
    return AM_OK;
}

size_t am_pool_take_orphans(am_pool *p, uint64_t *out, size_t cap)
{
    size_t n = 0;
    if (!p || !out)
        return 0;
    tick(p);
    while (p->n_orphans > 0 && n < cap) {
        uint64_t peer = p->orphans[--p->n_orphans];
        prec *r = rec_find(p, peer);
        if (!r || r->n_conn == 0)       /* nobody connected again since */
            out[n++] = peer;
    }
    return n;
}

size_t am_pool_other_connections(am_pool *p, const char *node_name,
                                 uint64_t peer_id)
{
    if (!p)
        return 0;
    tick(p);
    prec *r = rec_find(p, peer_id);
    if (!r)
        return 0;
    int ni = node_find(p, node_name ? node_name : "default");
    size_t own = ni != NO_NODE && holds_find(&p->nodes[ni].conns, peer_id);
    return r->n_conn - own;
}

/* ---------------------------------------------------------- listings */

size_t am_pool_node_count(am_pool *p)
{
    tick(p);
    size_t n = 0;
    for (size_t i = 0; i < p->n_nodes; i++)
        n += p->nodes[i].live != 0;
    return n;
}

static int info_cmp(const void *a, const void *b)
{
    return strcmp(((const am_node_info *)a)->name, ((const am_node_info *)b)->name);
}

int am_pool_nodes(am_pool *p, am_node_info *out, size_t cap, size_t *n_out)
{
    if (!p || !n_out || (cap > 0 && !out))
        return AM_ERR_INVAL;
    tick(p);
    size_t n = 0;
    for (size_t i = 0; i < p->n_nodes && n < cap; i++) {
        const node *nd = &p->nodes[i];
        if (!nd->live)
            continue;
        am_node_info *x = &out[n++];
        memcpy(x->name, nd->name, sizeof x->name);
        x->last_seen = nd->last_seen;
        x->selects = nd->selects;
        x->handed = nd->handed;
        x->n_connected = nd->conns.n;
        x->n_leased = nd->leases.n;
    }
    qsort(out, n, sizeof *out, info_cmp);
    *n_out = n;
    return AM_OK;
}

int am_pool_node_peers(am_pool *p, const char *name, int which, uint64_t *out,
                       size_t cap, size_t *n_out)
{
    if (!p || !name || !n_out || (cap > 0 && !out))
        return AM_ERR_INVAL;
    tick(p);
    int ni = node_find(p, name);
    if (ni == NO_NODE)
        return AM_ERR_NOTFOUND;
    const holds *h = which ? &p->nodes[ni].leases : &p->nodes[ni].conns;
    size_t n = h->n < cap ? h->n : cap;
    for (size_t i = 0; i < n; i++)
        out[i] = h->v[i].peer;
    *n_out = n;
    return AM_OK;
}

int am_pool_peer_holders(am_pool *p, uint64_t peer_id, const char **lease_node,
                         size_t *n_connected)
{
    if (!p || !lease_node || !n_connected)
        return AM_ERR_INVAL;
    tick(p);
    prec *r = rec_find(p, peer_id);
    *lease_node = r && r->lease_node != NO_NODE ? p->nodes[r->lease_node].name : NULL;
    *n_connected = r ? r->n_conn : 0;
    return AM_OK;
}

/* ------------------------------------------------------------- check */

__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t len, const char *fmt, ...)
{
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return AM_ERR_INTERNAL;
}

/* The node's leases are recorded as its, end no earlier than the pool's
 * lease_due, and are held in the core. */
static int check_leases(am_pool *p, int ni, char *why, size_t why_len)
{
    const node *n = &p->nodes[ni];
    for (size_t k = 0; k < n->leases.n; k++) {
        unsigned long long peer = n->leases.v[k].peer;
        prec *r = rec_find(p, n->leases.v[k].peer);
        if (!r || r->lease_node != ni)
            return fail(why, why_len, "node %s lease of %llu not recorded",
                        n->name, peer);
        if (n->leases.v[k].until < p->lease_due)
            return fail(why, why_len, "node %s lease of %llu ends before "
                        "the earliest end the pool knows", n->name, peer);
        /* (A peer the core evicted keeps its lease until the next prune.) */
        if (p->cfg.core && am_has(p->cfg.core, n->leases.v[k].peer) &&
            !am_held(p->cfg.core, n->leases.v[k].peer))
            return fail(why, why_len, "node %s lease of %llu not held in "
                        "the core", n->name, peer);
    }
    return AM_OK;
}

/* The node's connections are recorded, each peer once. */
static int check_conns(am_pool *p, const node *n, char *why, size_t why_len)
{
    for (size_t k = 0; k < n->conns.n; k++) {
        if (!rec_find(p, n->conns.v[k].peer))
            return fail(why, why_len, "node %s connection not recorded", n->name);
        for (size_t j = 0; j < k; j++)
            if (n->conns.v[j].peer == n->conns.v[k].peer)
                return fail(why, why_len, "node %s connected twice", n->name);
    }
    return AM_OK;
}

/* The group counts are the holds' groups, no more, no less. */
static int check_groups(const node *n, char *why, size_t why_len)
{
    am_counter want;
    am_counter_init(&want);
    int rc = AM_OK;
    for (size_t k = 0; k < n->leases.n && rc == AM_OK; k++)
        rc = am_counter_inc(&want, n->leases.v[k].group) ? AM_ERR_NOMEM : AM_OK;
    for (size_t k = 0; k < n->conns.n && rc == AM_OK; k++)
        rc = am_counter_inc(&want, n->conns.v[k].group) ? AM_ERR_NOMEM : AM_OK;
    uint64_t key = 0;
    if (rc == AM_OK && am_counter_differ(&want, n->held, &key) != 0)
        rc = fail(why, why_len, "node %s counts its held groups wrong "
                  "(%zu groups of %zu holds, counted %zu)", n->name,
                  am_counter_size(&want), n->leases.n + n->conns.n,
                  am_counter_size(n->held));
    am_counter_free(&want);
    return rc;
}

/* The per-peer records count the holds the nodes have. */
static int check_records(am_pool *p, size_t leases, size_t conns, char *why,
                         size_t why_len)
{
    size_t rec_leases = 0, rec_conns = 0;
    for (size_t i = 0; i < p->map.cap; i++) {
        uint32_t ri = p->map.slots[i];
        if (ri == AM_IDX_NONE)
            continue;
        const prec *r = &p->recs[ri];
        if (r->lease_node == NO_NODE && r->n_conn == 0)
            return fail(why, why_len, "record of %llu holds nothing",
                        (unsigned long long)r->peer);
        rec_leases += r->lease_node != NO_NODE;
        rec_conns += r->n_conn;
    }
    if (rec_leases != leases || rec_conns != conns)
        return fail(why, why_len, "records count %zu leases %zu connections, "
                    "nodes %zu and %zu", rec_leases, rec_conns, leases, conns);
    return AM_OK;
}

/* Every hold of every node matches the per-peer records, both ways. */
int am_pool_check(am_pool *p, char *why, size_t why_len)
{
    size_t leases = 0, conns = 0;
    for (size_t i = 0; i < p->n_nodes; i++) {
        const node *n = &p->nodes[i];
        int rc = AM_OK;
        if (!n->live && (n->leases.n || n->conns.n))
            return fail(why, why_len, "dead node %zu holds peers", i);
        if (n->live && ((rc = check_leases(p, (int)i, why, why_len)) != AM_OK ||
                        (rc = check_conns(p, n, why, why_len)) != AM_OK ||
                        (rc = check_groups(n, why, why_len)) != AM_OK))
            return rc;
        leases += n->leases.n;
        conns += n->conns.n;
    }
    return check_records(p, leases, conns, why, why_len);
}
