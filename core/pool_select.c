/*
 * pool_select.c - am_pool_select: a node's choice of peers through the
 * core's select, with a skip test for the pool's rules.
 */
#include "pool_int.h"

/*
 * The sets of one call (the peers it picked, the groups it handed out) are
 * am_counters: when most candidates are refused the core tests every one
 * of them (its exact pass), so the skip test must not scan lists.  They
 * start in slots on the stack (PICK_INLINE: a select of up to 12 peers
 * allocates nothing).
 */
#define PICK_INLINE 16

typedef struct pick_ctx {
    am_pool *p;
    int ni;
    const am_pool_select_opts *o;
    am_counter ids;             /* picked by this call */
    am_counter groups;          /* diverse: this call's (the node's are in
                                 * its `held`) */
    am_counter_slot ids_in[PICK_INLINE], groups_in[PICK_INLINE];
    size_t n;
    uint64_t last_id;           /* the last candidate pick_skip grouped */
    uint64_t last_group;        /* (the core accepts the last candidate it
                                 * tested, so its group is not computed
                                 * again) */
} pick_ctx;

static int pick_skip(void *ctx, const am_peer *cand)
{
    pick_ctx *c = ctx;
    if (am_counter_get(&c->ids, cand->id) > 0)
        return 1;
    prec *r = am__prec_find(c->p, cand->id);
    if (r && (r->lease_node != NO_NODE || (c->o->exclusive && r->n_conn > 0)))
        return 1;
    if (r && r->n_conn > 0 && am__hold_find(&c->p->nodes[c->ni].conns, cand->id))
        return 1;
    if (!c->o->diverse)
        return 0;
    c->last_id = cand->id;
    c->last_group = am_addr_group_key(&cand->addr);
    return am_counter_get(&c->groups, c->last_group) > 0 ||
           am_counter_get(&c->p->nodes[c->ni].held, c->last_group) > 0;
}

static uint64_t group_of(const pick_ctx *c, const am_peer *peer)
{
    return c->o->diverse && c->last_id == peer->id ? c->last_group
                                                   : am_addr_group_key(&peer->addr);
}

static int lease_take(am_pool *p, int ni, const am_peer *peer, uint64_t group,
                      int64_t until)
{
    prec *r = am__prec_get(p, peer->id);
    if (!r)
        return AM_ERR_NOMEM;
    if (am__node_hold_add(&p->nodes[ni], &p->nodes[ni].leases, peer->id,
                          group, until) != AM_OK) {
        am__prec_release(p, r);
        return AM_ERR_NOMEM;
    }
    r->lease_node = ni;
    am__core_hold(p, peer->id, 1);
    if (until < p->lease_due)
        p->lease_due = until;
    return AM_OK;
}

/* The context of node ni's call, its sets sized for o->count picks. */
static int pick_init(pick_ctx *c, am_pool *p, int ni,
                     const am_pool_select_opts *o)
{
    c->p = p;
    c->ni = ni;
    c->o = o;
    c->n = 0;
    c->last_id = 0;             /* ids start at 1 */
    /* Room for every pick now: adding to the sets cannot fail later. */
    am_counter_init_in(&c->ids, c->ids_in, PICK_INLINE);
    if (o->diverse)
        am_counter_init_in(&c->groups, c->groups_in, PICK_INLINE);
    else
        am_counter_init(&c->groups);
    if (o->count > PICK_INLINE * 3 / 4 &&
        (am_counter_reserve(&c->ids, o->count) != 0 ||
         (o->diverse && am_counter_reserve(&c->groups, o->count) != 0))) {
        am_counter_free(&c->ids);
        am_counter_free(&c->groups);
        return AM_ERR_NOMEM;
    }
    return AM_OK;
}

/* Pick until o->count or no more fitting peers; AM_OK or a lease's error. */
static int pick_all(pick_ctx *c, am_man *m, am_peer *out)
{
    const am_pool_select_opts *o = c->o;
    am_select_opts so = o->base;
    so.skip = pick_skip;
    so.skip_ctx = c;
    int64_t until = am__pool_now(c->p) + o->lease_seconds;
    int rc = AM_OK;
    while (c->n < o->count && rc == AM_OK) {
        am_peer *peer = &out[c->n];
        if (am_select(m, &so, peer) != AM_OK)
            break;
        uint64_t group = group_of(c, peer);
        if (o->lease_seconds > 0)
            rc = lease_take(c->p, c->ni, peer, group, until);
        (void)am_counter_inc(&c->ids, peer->id);        /* room reserved */
        if (o->diverse)
            (void)am_counter_inc(&c->groups, group);
        c->n++;
    }
    return rc;
}

int am_pool_select(am_pool *p, am_man *m, const am_pool_select_opts *o,
                   am_peer *out, size_t *n_out)
{
    if (!p || !m || !o || !out || !n_out)
        return AM_ERR_INVAL;
    *n_out = 0;
    if (o->count < 1 || o->count > AM_POOL_MAX_COUNT || o->lease_seconds < 0)
        return AM_ERR_INVAL;
    int ni;
    int rc = am__node_enter(p, o->node, &ni);
    if (rc != AM_OK)
        return rc;
    am__node_prune(p, m, ni);
    pick_ctx c;
    if (pick_init(&c, p, ni, o) != AM_OK)
        return AM_ERR_NOMEM;
    rc = pick_all(&c, m, out);
    p->nodes[ni].selects++;
    p->nodes[ni].handed += c.n;
    *n_out = c.n;
    am_counter_free(&c.ids);
    am_counter_free(&c.groups);
    return rc;
}

