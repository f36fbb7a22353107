/*
 * pool_int.h - the shared pool's insides, shared by pool*.c only.
 *
 * Each node keeps two small arrays (connections, leases) of "holds": a peer
 * id and its network group.  A per-peer record ("prec"), found through an
 * idxmap, says which node leases the peer and how many nodes are connected
 * to it, so the skip test during selection is O(1) for the cross-node
 * rules.  The per-node rules use sets built once per select (the ids it
 * picked, the groups it handed out) and the node's counted groups (`held`);
 * only a candidate some node is connected to is looked up in the asking
 * node's connections.
 *
 *   pool_hold.c    holds, group counts, peer records, nodes, expiry (tick)
 *   pool_select.c  am_pool_select and its per-select sets
 *   pool.c         lifecycle, reports, listings, the consistency check
 */
#ifndef AM_POOL_INT_H
#define AM_POOL_INT_H

#include "bits.h"
#include "counter.h"
#include "idxmap.h"
#include "pool.h"

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
     * thousands of leases does not gather them every time. */
    am_counter held;
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

/* The two lookups of every candidate a select tests: inline. */
static inline hold *am__hold_find(holds *h, uint64_t peer)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].peer == peer)
            return &h->v[i];
    return NULL;
}

static inline prec *am__prec_find(am_pool *p, uint64_t peer)
{
    uint32_t i = am_idxmap_find(&p->map, am_mix64(peer), &peer);
    return i == AM_IDX_NONE ? NULL : &p->recs[i];
}

/* The core's mark of a lease (see pool.h); a peer the core no longer has
 * needs none. */
static inline void am__core_hold(am_pool *p, uint64_t peer, int on)
{
    if (p->cfg.core)
        (void)am_hold(p->cfg.core, peer, on);
}

/* pool_hold.c */
int64_t am__pool_now(am_pool *p);
/* Expired leases end, silent nodes go; every pool call ticks first. */
void am__pool_tick(am_pool *p);
void am__precs_init(am_pool *p);
void am__precs_free(am_pool *p);
/* A node's hold and its group, together: AM_OK or AM_ERR_NOMEM. */
int am__node_hold_add(node *n, holds *h, uint64_t peer, uint64_t group,
                      int64_t until);
/* The peer's record, made when missing; NULL out of memory. */
prec *am__prec_get(am_pool *p, uint64_t peer);
/* Free a record nobody holds any more. */
void am__prec_release(am_pool *p, prec *r);
int am__node_find(am_pool *p, const char *name);   /* NO_NODE: none */
/* A pool call by node `name` (NULL: "default") starts: AM_ERR_INVAL for a
 * bad name; else tick, and the node (made when missing) in *out. */
int am__node_enter(am_pool *p, const char *name, int *out);
void am__lease_end(am_pool *p, int ni, hold *h);
void am__conn_end(am_pool *p, int ni, hold *h);
/* Free what a node owns (not its holds' records: see am__node_drop). */
void am__node_free(node *n);
void am__node_drop(am_pool *p, int ni);
/* Forget the node's holds on peers the am_man no longer has. */
void am__node_prune(am_pool *p, am_man *m, int ni);

#endif
