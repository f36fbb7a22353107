/*
 * api_select.c - POST /v1/select (peers to connect to) and
 * GET /v1/addresses (addresses to relay).
 *
 * Select hands the whole request to the shared pool (am_pool_select) in one
 * call under the lock: the peers it chooses are leased to the asking node
 * before any other request can look, which is what keeps two nodes from
 * being handed the same peer.
 */
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"
#include "api_json.h"
#include "api_peer_json.h"

#define SELECT_MAX AM_POOL_MAX_COUNT
#define RELAY_MAX 1000

static int parse_networks(const js_val *body, uint32_t *mask, api_err *err)
{
    const js_val *list, *e;
    int rc = api_json_get_array(body, "networks", &list, err);

    if (rc <= 0)
        return rc;
    if (list->child == NULL)
        return api_fail(err, API_BAD_REQUEST,
                        "networks must name at least one network "
                        "(leave it out for every network)");
    for (e = list->child; e != NULL; e = e->next) {
        const char *name;
        uint32_t bit;

        if (api_json_str(e, "each of networks", 32, &name, err) < 0 ||
            api_network_bit(name, &bit, err) != 0)
            return -1;
        *mask |= bit;
    }
    return 1;
}

/* lease_seconds: the server's default when absent, at most its maximum. */
static int parse_lease(const api_ctx *ctx, const js_val *body, int64_t *out,
                       api_err *err)
{
    uint64_t lease = (uint64_t)ctx->default_lease;

    if (api_json_get_u64(body, "lease_seconds", 0, (uint64_t)ctx->max_lease,
                         &lease, err) < 0)
        return -1;
    *out = (int64_t)lease;
    return 0;
}

static int select_parse(const api_ctx *ctx, const js_val *body,
                        am_pool_select_opts *o, api_err *err)
{
    uint64_t count = 1;

    memset(o, 0, sizeof *o);
    o->diverse = 1;
    if (api_json_get_u64(body, "services", 0, UINT64_MAX, &o->base.services,
                         err) < 0 ||
        api_json_get_bool(body, "feeler", &o->base.feeler, err) < 0 ||
        parse_networks(body, &o->base.networks, err) < 0 ||
        api_json_get_u64(body, "count", 1, SELECT_MAX, &count, err) < 0 ||
        api_get_node(body, &o->node, err) < 0 ||
        parse_lease(ctx, body, &o->lease_seconds, err) != 0 ||
        api_json_get_bool(body, "exclusive", &o->exclusive, err) < 0 ||
        api_json_get_bool(body, "diverse", &o->diverse, err) < 0)
        return -1;
    o->count = (unsigned)count;
    if (o->base.feeler) {
        /* A feeler is one short test connection: one peer, and (as in
         * Bitcoin Core) exempt from the one-per-group rule. */
        o->count = 1;
        o->diverse = 0;
    }
    return 0;
}

static int reply_peers(api_call *c, const am_peer *peers, size_t n,
                       api_err *err)
{
    js_w w;
    size_t i;

    js_w_init(&w);
    js_buf_reserve(&w.buf, 16 + n * API_PEER_TEXT_TYPICAL);
    js_w_object(&w);
    js_w_key(&w, "peers");
    js_w_array(&w);
    for (i = 0; i < n; i++)
        api_peer_write(&w, &peers[i]);
    js_w_array_end(&w);
    js_w_object_end(&w);
    return api_reply_json(c, 200, &w, err);
}

#define SELECT_ON_STACK 16      /* the usual counts need no allocation */

int api_h_select(api_call *c, api_err *err)
{
    am_pool_select_opts o;
    am_peer local[SELECT_ON_STACK], *peers = local;
    size_t n = 0;
    int rc, jrc;

    if (select_parse(c->ctx, c->body, &o, err) != 0)
        return -1;
    if (o.count > SELECT_ON_STACK &&
        (peers = malloc((size_t)o.count * sizeof *peers)) == NULL)
        return api_fail(err, API_INTERNAL, "out of memory");
    /* Selecting settles tried-table collisions: the peers it moves are
     * journalled. */
    rc = st_pool_select(c->ctx->pool, &o, peers, &n, &jrc);
    if (rc != AM_OK || jrc != AM_OK) {
        if (peers != local)
            free(peers);
        return rc != AM_OK ? api_fail_pool(err, rc, "selection failed")
                           : api_fail_journal(err, jrc, "a collision "
                                              "settled by the selection");
    }
    rc = reply_peers(c, peers, n, err);
    if (peers != local)
        free(peers);
    return rc;
}

typedef struct relay_args {
    uint64_t count;
    uint32_t networks;
    uint64_t services;
} relay_args;

static int relay_parse(const api_query *q, relay_args *a, api_err *err)
{
    const char *v;

    memset(a, 0, sizeof *a);
    a->count = RELAY_MAX;
    if ((v = api_query_get(q, "count")) != NULL &&
        api_parse_u64(v, "count", 1, RELAY_MAX, &a->count, err) != 0)
        return -1;
    if ((v = api_query_get(q, "network")) != NULL &&
        api_name_list(v, api_network_bit, &a->networks, err) != 0)
        return -1;
    if ((v = api_query_get(q, "services")) != NULL &&
        api_parse_u64(v, "services", 0, UINT64_MAX, &a->services, err) != 0)
        return -1;
    return 0;
}

int api_h_addresses(api_call *c, api_err *err)
{
    relay_args a;
    am_peer *peers;
    size_t i, n = 0;
    js_w w;
    int rc;

    if (relay_parse(c->query, &a, err) != 0)
        return -1;
    peers = malloc((size_t)a.count * sizeof *peers);
    if (peers == NULL)
        return api_fail(err, API_INTERNAL, "out of memory");
    /* No percentage cap (Core's 23 % is for gossip to untrusted peers;
     * clients of this API ask for what they need). */
    rc = st_pool_sample(c->ctx->pool, (size_t)a.count, a.networks,
                        a.services, peers, &n);
    if (rc != AM_OK) {
        free(peers);
        return api_fail_core(err, rc, "sampling failed");
    }
    js_w_init(&w);
    js_w_object(&w);
    js_w_key(&w, "addresses");
    js_w_array(&w);
    for (i = 0; i < n; i++)
        api_relay_write(&w, &peers[i]);
    js_w_array_end(&w);
    js_w_object_end(&w);
    free(peers);
    return api_reply_json(c, 200, &w, err);
}
