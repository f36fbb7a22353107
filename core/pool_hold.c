/*
 * pool_hold.c - what nodes hold: connections and leases, their counted
 * groups, the per-peer records, the nodes themselves, and the clock that
 * ends leases and drops silent nodes.
 */
#include "pool_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bits.h"

int64_t am__pool_now(am_pool *p)
{
    return p->cfg.clock(p->cfg.clock_ctx);
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

int am__node_hold_add(node *n, holds *h, uint64_t peer, uint64_t group,
                      int64_t until)
{
    if (am_counter_inc(&n->held, group) != 0)
        return AM_ERR_NOMEM;
    if (holds_add(h, peer, group, until) != AM_OK) {
        am_counter_dec(&n->held, group);
        return AM_ERR_NOMEM;
    }
    return AM_OK;
}

static void node_hold_del(node *n, holds *h, hold *x)
{
    am_counter_dec(&n->held, x->group);
    holds_del(h, x);
}

/* ------------------------------------------------------- peer records */

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

void am__precs_init(am_pool *p)
{
    p->recs = NULL;
    p->r_high = p->r_cap = 0;
    p->r_free = AM_IDX_NONE;
    am_idxmap_init(&p->map, rec_hash, rec_eq, p);
}

void am__precs_free(am_pool *p)
{
    free(p->recs);
    am_idxmap_free(&p->map);
}

prec *am__prec_get(am_pool *p, uint64_t peer)
{
    prec *r = am__prec_find(p, peer);
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

void am__prec_release(am_pool *p, prec *r)
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

int am__node_find(am_pool *p, const char *name)
{
    for (size_t i = 0; i < p->n_nodes; i++)
        if (p->nodes[i].live && strcmp(p->nodes[i].name, name) == 0)
            return (int)i;
    return NO_NODE;
}

/* A slot for a new node: a dead one, or one more. */
static int node_slot(am_pool *p, int *out)
{
    for (size_t k = 0; k < p->n_nodes; k++)
        if (!p->nodes[k].live) {
            *out = (int)k;
            return AM_OK;
        }
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
    memset(&p->nodes[p->n_nodes], 0, sizeof *p->nodes);
    *out = (int)p->n_nodes++;
    return AM_OK;
}

/* Bring a dead slot to life as node `name`, holding nothing. */
static void node_start(node *n, const char *name)
{
    memset(n, 0, sizeof *n);
    snprintf(n->name, sizeof n->name, "%s", name);
    am_counter_init(&n->held);
    n->live = 1;
}

/* The live node of that name, made when missing; seen now. */
static int node_get(am_pool *p, const char *name, int *out)
{
    int i = am__node_find(p, name);
    if (i == NO_NODE) {
        int rc = node_slot(p, &i);
        if (rc != AM_OK)
            return rc;
        node_start(&p->nodes[i], name);
    }
    p->nodes[i].last_seen = am__pool_now(p);
    *out = i;
    return AM_OK;
}

int am__node_enter(am_pool *p, const char *name, int *out)
{
    if (!name)
        name = "default";
    if (!am_node_name_valid(name))
        return AM_ERR_INVAL;
    am__pool_tick(p);
    return node_get(p, name, out);
}

void am__lease_end(am_pool *p, int ni, hold *h)
{
    prec *r = am__prec_find(p, h->peer);
    if (r && r->lease_node == ni) {
        r->lease_node = NO_NODE;
        am__core_hold(p, h->peer, 0);
        am__prec_release(p, r);
    }
    node_hold_del(&p->nodes[ni], &p->nodes[ni].leases, h);
}

void am__conn_end(am_pool *p, int ni, hold *h)
{
    prec *r = am__prec_find(p, h->peer);
    if (r && r->n_conn > 0) {
        r->n_conn--;
        am__prec_release(p, r);
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

void am__node_free(node *n)
{
    free(n->leases.v);
    free(n->conns.v);
    am_counter_free(&n->held);
}

void am__node_drop(am_pool *p, int ni)
{
    node *n = &p->nodes[ni];
    while (n->leases.n > 0)
        am__lease_end(p, ni, &n->leases.v[n->leases.n - 1]);
    while (n->conns.n > 0) {
        hold *h = &n->conns.v[n->conns.n - 1];
        prec *r = am__prec_find(p, h->peer);
        if (r && r->n_conn == 1)
            orphan_add(p, h->peer);
        am__conn_end(p, ni, h);
    }
    am__node_free(n);
    memset(n, 0, sizeof *n);
}

/* ------------------------------------------------------------- expiry */

/* Every pool call ticks, so the leases (possibly the whole pool) are
 * scanned only when one is due, which the clock's whole seconds make at
 * most once a second. */
void am__pool_tick(am_pool *p)
{
    int64_t now = am__pool_now(p);
    int scan = now >= p->lease_due;
    int64_t due = INT64_MAX;
    for (size_t i = 0; i < p->n_nodes; i++) {
        node *n = &p->nodes[i];
        if (!n->live)
            continue;
        if (now - n->last_seen >= p->cfg.node_timeout) {
            am__node_drop(p, (int)i);
            continue;
        }
        for (size_t k = scan ? n->leases.n : 0; k-- > 0;) {
            if (n->leases.v[k].until <= now)
                am__lease_end(p, (int)i, &n->leases.v[k]);
            else if (n->leases.v[k].until < due)
                due = n->leases.v[k].until;
        }
    }
    if (scan)
        p->lease_due = due;
}

/* Forget the node's holds on peers the am_man no longer has (evicted by
 * an add, or removed without am_pool_forget_peer): a connection to a peer
 * that is gone cannot be reported ended, and would keep its group. */
void am__node_prune(am_pool *p, am_man *m, int ni)
{
    node *n = &p->nodes[ni];
    uint64_t removals = am_removals(m);
    if (n->pruned_at == removals)
        return;                 /* nobody left since: every hold is alive */
    n->pruned_at = removals;
    for (size_t k = n->leases.n; k-- > 0;)
        if (!am_has(m, n->leases.v[k].peer))
            am__lease_end(p, ni, &n->leases.v[k]);
    for (size_t k = n->conns.n; k-- > 0;)
        if (!am_has(m, n->conns.v[k].peer))
            am__conn_end(p, ni, &n->conns.v[k]);
}
