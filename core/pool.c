/*
 * pool.c - the shared pool: its lifecycle, the nodes' state reports,
 * listings and the consistency check.
 *
 * The insides are described in pool_int.h; holds and nodes are kept in
 * pool_hold.c, selection is in pool_select.c.
 */
#include "pool_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t real_clock(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL);
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
    p->lease_due = INT64_MAX;
    am__precs_init(p);
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
            am__core_hold(p, p->nodes[i].leases.v[k].peer, 0);
    for (size_t i = 0; i < p->n_nodes; i++)
        am__node_free(&p->nodes[i]);
    free(p->nodes);
    am__precs_free(p);
    free(p->orphans);
    free(p);
}

void am_pool_prune(am_pool *p, am_man *m)
{
    if (!p || !m)
        return;
    am__pool_tick(p);
    for (size_t i = 0; i < p->n_nodes; i++)
        if (p->nodes[i].live)
            am__node_prune(p, m, (int)i);
}

/* ----------------------------------------------------------- reports */

/* The node reported a connection it did not have. */
static int conn_start(am_pool *p, node *n, const am_peer *peer)
{
    prec *r = am__prec_get(p, peer->id);
    if (!r)
        return AM_ERR_NOMEM;
    if (am__node_hold_add(n, &n->conns, peer->id,
                          am_addr_group_key(&peer->addr), 0) != AM_OK) {
        am__prec_release(p, r);
        return AM_ERR_NOMEM;
    }
    r->n_conn++;
    return AM_OK;
}

int am_pool_report(am_pool *p, const char *node_name, const am_peer *peer,
                   am_state_op op)
{
    if (!p || !peer)
        return AM_ERR_INVAL;
    int ni;
    int rc = am__node_enter(p, node_name, &ni);
    if (rc != AM_OK)
        return rc;
    if (op != AM_OP_CONNECTED && op != AM_OP_DISCONNECTED && op != AM_OP_FAILED)
        return AM_OK;
    node *n = &p->nodes[ni];
    hold *l = am__hold_find(&n->leases, peer->id);
    if (l)
        am__lease_end(p, ni, l);
    hold *h = am__hold_find(&n->conns, peer->id);
    if (op != AM_OP_CONNECTED) {
        if (h)
            am__conn_end(p, ni, h);
        return AM_OK;
    }
    return h ? AM_OK : conn_start(p, n, peer);
}

void am_pool_forget_peer(am_pool *p, uint64_t peer_id)
{
    if (!p || !am__prec_find(p, peer_id))
        return;
    for (size_t i = 0; i < p->n_nodes; i++) {
        node *n = &p->nodes[i];
        if (!n->live)
            continue;
        hold *h = am__hold_find(&n->leases, peer_id);
        if (h)
            am__lease_end(p, (int)i, h);
        h = am__hold_find(&n->conns, peer_id);
        if (h)
            am__conn_end(p, (int)i, h);
    }
}

int am_pool_drop_node(am_pool *p, const char *name)
{
    if (!p || !name)
        return AM_ERR_INVAL;
    am__pool_tick(p);
    int ni = am__node_find(p, name);
    if (ni == NO_NODE)
        return AM_ERR_NOTFOUND;
    am__node_drop(p, ni);
    return AM_OK;
}

size_t am_pool_take_orphans(am_pool *p, uint64_t *out, size_t cap)
{
    size_t n = 0;
    if (!p || !out)
        return 0;
    am__pool_tick(p);
    while (p->n_orphans > 0 && n < cap) {
        uint64_t peer = p->orphans[--p->n_orphans];
        prec *r = am__prec_find(p, peer);
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
    am__pool_tick(p);
    prec *r = am__prec_find(p, peer_id);
    if (!r)
        return 0;
    int ni = am__node_find(p, node_name ? node_name : "default");
    size_t own = ni != NO_NODE && am__hold_find(&p->nodes[ni].conns, peer_id);
    return r->n_conn - own;
}

/* ---------------------------------------------------------- listings */

size_t am_pool_node_count(am_pool *p)
{
    am__pool_tick(p);
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
    am__pool_tick(p);
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
    am__pool_tick(p);
    int ni = am__node_find(p, name);
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
    am__pool_tick(p);
    prec *r = am__prec_find(p, peer_id);
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
        prec *r = am__prec_find(p, n->leases.v[k].peer);
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
        if (!am__prec_find(p, n->conns.v[k].peer))
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
    if (rc == AM_OK && am_counter_differ(&want, &n->held, &key) != 0)
        rc = fail(why, why_len, "node %s counts its held groups wrong "
                  "(%zu groups of %zu holds, counted %zu)", n->name,
                  am_counter_size(&want), n->leases.n + n->conns.n,
                  am_counter_size(&n->held));
    am_counter_free(&want);
    return rc;
}

/* The per-peer records count the holds the nodes have. */
static int check_records(am_pool *p, size_t leases, size_t conns, char *why,
                         size_t why_len)
{
    size_t rec_leases = 0, rec_conns = 0;
    for (size_t i = 0; i < am_idxmap_span(&p->map); i++) {
        uint32_t ri = am_idxmap_at(&p->map, i);
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

