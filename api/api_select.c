/*
 * api_select.c - POST /v1/select (peers to connect to) and
 * GET /v1/addresses (addresses to relay).
 *
 * Select asks the core for one peer at a time, each call under the lock,
 * leaving out the peers already chosen through the core's skip callback, so
 * up to `count` distinct peers come back.  `node`, `lease_seconds`,
 * `exclusive` and `diverse` are validated here; the shared-pool rules they
 * stand for are a later issue.
 */
#include <stdlib.h>
#include <string.h>

#include "api_handlers.h"
#include "api_json.h"
#include "api_peer.h"

#define SELECT_MAX 1000
#define LEASE_MAX 86400
#define RELAY_MAX 1000

typedef struct select_args {
    am_select_opts opts;
    uint64_t count;
} select_args;

static int parse_networks(const json_t *body, uint32_t *mask, api_err *err)
{
    json_t *list;
    size_t i;
    int rc = api_json_get_array(body, "networks", &list, err);

    if (rc <= 0)
        return rc;
    if (json_array_size(list) == 0)
        return api_fail(err, API_BAD_REQUEST,
                        "networks must name at least one network "
                        "(leave it out for every network)");
    for (i = 0; i < json_array_size(list); i++) {
        const char *name;
        uint32_t bit;

        if (api_json_str(json_array_get(list, i), "each of networks", 32,
                         &name, err) < 0 ||
            api_network_bit(name, &bit, err) != 0)
            return -1;
        *mask |= bit;
    }
    return 1;
}

static int select_parse(const json_t *body, select_args *a, api_err *err)
{
    const char *node;
    uint64_t lease;
    int flag;

    memset(a, 0, sizeof *a);
    a->count = 1;
    if (api_json_get_u64(body, "services", 0, UINT64_MAX, &a->opts.services,
                         err) < 0 ||
        api_json_get_bool(body, "feeler", &a->opts.feeler, err) < 0 ||
        parse_networks(body, &a->opts.networks, err) < 0 ||
        api_json_get_u64(body, "count", 1, SELECT_MAX, &a->count, err) < 0 ||
        api_get_node(body, &node, err) < 0 ||
        api_json_get_u64(body, "lease_seconds", 0, LEASE_MAX, &lease, err) < 0 ||
        api_json_get_bool(body, "exclusive", &flag, err) < 0 ||
        api_json_get_bool(body, "diverse", &flag, err) < 0)
        return -1;
    if (a->opts.feeler)
        a->count = 1;       /* a feeler is one peer to test */
    return 0;
}

/* The ids chosen so far: open addressing, 0 marks a free slot (ids >= 1). */
typedef struct id_set {
    uint64_t *slot;
    size_t mask;
} id_set;

static int id_set_init(id_set *s, size_t count)
{
    size_t cap = 16;

    while (cap < 2 * count)
        cap *= 2;
    s->slot = calloc(cap, sizeof *s->slot);
    s->mask = cap - 1;
    return s->slot ? 0 : -1;
}

static size_t id_hash(uint64_t id)
{
    return (size_t)(id * UINT64_C(0x9e3779b97f4a7c15) >> 32);
}

static int id_set_has(const id_set *s, uint64_t id)
{
    size_t i;

    for (i = id_hash(id) & s->mask; s->slot[i] != 0; i = (i + 1) & s->mask)
        if (s->slot[i] == id)
            return 1;
    return 0;
}

static void id_set_add(id_set *s, uint64_t id)
{
    size_t i = id_hash(id) & s->mask;

    while (s->slot[i] != 0 && s->slot[i] != id)
        i = (i + 1) & s->mask;
    s->slot[i] = id;
}

static int skip_chosen(void *ctx, const am_peer *candidate)
{
    return id_set_has(ctx, candidate->id);
}

static int reply_peers(api_call *c, const am_peer *peers, size_t n,
                       api_err *err)
{
    api_jw w;
    size_t i;

    api_jw_init(&w);
    api_jw_object(&w);
    api_jw_key(&w, "peers");
    api_jw_array(&w);
    for (i = 0; i < n; i++)
        api_peer_write(&w, &peers[i]);
    api_jw_array_end(&w);
    api_jw_object_end(&w);
    return api_reply_json(c, 200, &w, err);
}

int api_h_select(api_call *c, api_err *err)
{
    select_args a;
    am_peer *peers;
    id_set chosen;
    size_t n = 0;
    int rc = AM_OK;

    if (select_parse(c->body, &a, err) != 0)
        return -1;
    peers = malloc((size_t)a.count * sizeof *peers);
    if (peers == NULL || id_set_init(&chosen, (size_t)a.count) != 0) {
        free(peers);
        return api_fail(err, API_INTERNAL, "out of memory");
    }
    a.opts.skip = skip_chosen;
    a.opts.skip_ctx = &chosen;
    while (n < a.count) {
        api_lock(c->ctx);
        rc = am_select(c->ctx->core, &a.opts, &peers[n]);
        api_unlock(c->ctx);
        if (rc != AM_OK)
            break;
        id_set_add(&chosen, peers[n].id);
        n++;
    }
    free(chosen.slot);
    if (rc != AM_OK && rc != AM_ERR_NOTFOUND) {
        free(peers);
        return api_fail_core(err, rc, "selection failed");
    }
    rc = reply_peers(c, peers, n, err);
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
    api_jw w;
    int rc;

    if (relay_parse(c->query, &a, err) != 0)
        return -1;
    peers = malloc((size_t)a.count * sizeof *peers);
    if (peers == NULL)
        return api_fail(err, API_INTERNAL, "out of memory");
    /* No percentage cap (Core's 23 % is for gossip to untrusted peers;
     * clients of this API ask for what they need). */
    api_lock(c->ctx);
    rc = am_sample(c->ctx->core, (size_t)a.count, 0, a.networks, a.services,
                   peers, &n);
    api_unlock(c->ctx);
    if (rc != AM_OK) {
        free(peers);
        return api_fail_core(err, rc, "sampling failed");
    }
    api_jw_init(&w);
    api_jw_object(&w);
    api_jw_key(&w, "addresses");
    api_jw_array(&w);
    for (i = 0; i < n; i++)
        api_relay_write(&w, &peers[i]);
    api_jw_array_end(&w);
    api_jw_object_end(&w);
    free(peers);
    return api_reply_json(c, 200, &w, err);
}
