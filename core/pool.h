/*
 * pool.h - one address pool shared by many nodes: connections, leases,
 * diversity.
 *
 * An address manager assumes it serves one node.  When several nodes share
 * one, three things must be added, and this module keeps them beside the
 * am_man:
 *   - per-node connections: a peer a node reported `connected` is never
 *     handed to that node again until it reports it disconnected/failed;
 *   - leases: a peer handed out by am_pool_select is leased to the asking
 *     node for some seconds and handed to no other node meanwhile; the lease
 *     ends when the node reports connected, failed or disconnected, or when
 *     it expires;
 *   - diversity: peers handed to one node (in one call, and together with
 *     its connections and leases) come from distinct network groups
 *     (am_addr_group), as long as the pool has the groups.
 * Nodes are named (1..64 of [A-Za-z0-9._-]); a node not heard from for the
 * node timeout is dropped with its leases and connections.  All of this is
 * runtime state: nothing here is saved.
 *
 * The one mark the pool leaves in the am_man (its config's `core`): a
 * leased peer is held there (am_hold) for as long as the lease lasts.
 * Leases are global, so the core can leave leased peers out of its
 * selection indexes; a client that leases the whole pool then gets empty
 * answers at once instead of making every select test every slot.
 *
 * THREADS: not thread-safe; callers hold the same lock as for the am_man.
 */
#ifndef AM_POOL_H
#define AM_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "addrman.h"

#define AM_NODE_NAME_MAX 64
#define AM_POOL_MAX_COUNT 1000

typedef struct am_pool am_pool;

typedef struct am_pool_config {
    int64_t node_timeout;       /* seconds; default 900 */
    am_clock_fn clock;          /* NULL: time(NULL) */
    void *clock_ctx;
    am_man *core;               /* optional: where leased peers are held;
                                 * when set, the am_man the calls get */
} am_pool_config;

typedef struct am_pool_select_opts {
    am_select_opts base;        /* services, networks, feeler; skip unused */
    const char *node;           /* NULL: "default" */
    unsigned count;             /* 1..AM_POOL_MAX_COUNT */
    int64_t lease_seconds;      /* 0: no lease (a pure read) */
    int exclusive;              /* also leave out peers any node holds */
    int diverse;                /* one peer per network group per node */
} am_pool_select_opts;

/* A node's view, for listings. */
typedef struct am_node_info {
    char name[AM_NODE_NAME_MAX + 1];
    int64_t last_seen;
    uint64_t selects;           /* select calls served */
    uint64_t handed;            /* peers handed out */
    size_t n_connected, n_leased;
} am_node_info;

void am_pool_config_default(am_pool_config *cfg);
int am_pool_new(const am_pool_config *cfg, am_pool **out);
void am_pool_free(am_pool *p);

/* 1 when name is 1..64 characters of [A-Za-z0-9._-]. */
int am_node_name_valid(const char *name);

/*
 * Choose up to opts->count peers for a node and lease them.  *n_out may be
 * smaller than count (even 0) when the pool has no more fitting peers or
 * groups.  AM_ERR_INVAL for a bad name or count.
 */
int am_pool_select(am_pool *p, am_man *m, const am_pool_select_opts *opts,
                   am_peer *out, size_t *n_out);

/*
 * Record a state report of `node` about peer (after am_set_state succeeded):
 * CONNECTED adds a connection, DISCONNECTED and FAILED remove it; those three
 * end the node's lease of the peer.  `peer` gives the address for the group.
 */
int am_pool_report(am_pool *p, const char *node, const am_peer *peer,
                   am_state_op op);

/* The peer left the pool (removed): forget it everywhere. */
void am_pool_forget_peer(am_pool *p, uint64_t peer_id);

/*
 * Forget every node's leases and connections of peers the am_man no longer
 * has (an add evicted them).  am_pool_select does it for the asking node
 * first; call this before listing every node's holds.
 */
void am_pool_prune(am_pool *p, am_man *m);

/* Drop a node now: AM_OK or AM_ERR_NOTFOUND. */
int am_pool_drop_node(am_pool *p, const char *node);

/*
 * Peers whose last connection was forgotten because its node was dropped
 * (DELETE or the node timeout), and that no node has connected to since:
 * up to cap of them, each handed out once.  The caller marks them
 * disconnected in the am_man (their connection is gone; they stay tried).
 */
size_t am_pool_take_orphans(am_pool *p, uint64_t *out, size_t cap);

/* How many nodes other than `node` (NULL: "default") are connected to the
 * peer: a node's disconnect leaves the peer connected while this is > 0. */
size_t am_pool_other_connections(am_pool *p, const char *node,
                                 uint64_t peer_id);

size_t am_pool_node_count(am_pool *p);
/* Nodes in name order; up to cap. */
int am_pool_nodes(am_pool *p, am_node_info *out, size_t cap, size_t *n_out);
/* Peer ids a node holds: connected (which = 0) or leased (which = 1). */
int am_pool_node_peers(am_pool *p, const char *node, int which, uint64_t *out,
                       size_t cap, size_t *n_out);

/* Who holds a peer: the leasing node (NULL if none) and how many nodes are
 * connected to it.  For tests and diagnostics. */
int am_pool_peer_holders(am_pool *p, uint64_t peer_id, const char **lease_node,
                         size_t *n_connected);

/* Verify every invariant (the tests call it after each step). */
int am_pool_check(am_pool *p, char *why, size_t why_len);

#endif
