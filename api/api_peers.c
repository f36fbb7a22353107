/*
 * api_peers.c - adding peers (JSON and addrv2), listing them, one peer:
 * get, delete, state and services.
 *
 * Adding works in chunks: a chunk of entries is validated without the
 * lock, added under one lock (so a large batch does not hold the core for
 * long at a time, nor pay a lock per entry), then reported in entry order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addrv2.h"
#include "api_handlers.h"
#include "st_ignore.h"
#include "api_json.h"
#include "st_merge.h"
#include "api_metrics.h"
#include "api_peer.h"

#define ADD_CHUNK 64
#define LIST_DEFAULT 100
#define LIST_MAX 10000

/* ---- adding ---------------------------------------------------------- */

typedef struct add_item {
    am_addr addr;
    uint64_t services;
    int64_t time;
    int skip;           /* non-zero: ignored for this code (AM_ERR_TORV2,
                         * AM_ERR_UNKNOWN_NET), no core call */
    int failed;         /* 1: reported as error `perr` */
    api_err perr;
    int rc;             /* am_add's answer */
    int is_new;
} add_item;

typedef struct add_batch {
    size_t n;
    add_item item[ADD_CHUNK];
} add_batch;

/* The answer as it grows (st_merge_result: the same counts, reasons and
 * capped errors as an import's), and the first journal failure, which
 * ends the request. */
typedef struct add_tally {
    st_merge_result r;
    int journal_rc;
} add_tally;

static void tally_init(add_tally *t)
{
    st_merge_result_init(&t->r);
    t->journal_rc = AM_OK;
}

static void tally_error(add_tally *t, size_t index, const api_err *e)
{
    st_merge_error_add(&t->r, index,
                       e->code == API_INVALID_ADDRESS ? ST_ENTRY_BAD_ADDRESS
                                                      : ST_ENTRY_BAD,
                       "%s", e->msg);
}

static void tally_item(add_tally *t, size_t index, const add_item *it)
{
    st_ignore why;
    api_err e;
    int rc = it->skip ? it->skip : it->rc;

    if (it->failed) {
        tally_error(t, index, &it->perr);
    } else if (rc == AM_OK) {
        if (it->is_new)
            t->r.added++;
        else
            t->r.updated++;
    } else if (st_ignore_of(rc, &why)) {
        st_merge_ignore(&t->r, why);
    } else {
        api_fail_core(&e, rc, "cannot add the address");
        tally_error(t, index, &e);
    }
}

/*
 * Add the valid items of a chunk under one lock, then report them.  Without
 * a source each peer is its own source (api/openapi.yaml); it is passed explicitly so
 * that the core records it and the peer shows it, keeping "source": null
 * for peers whose source is truly unknown (imported ones).  Every peer
 * added or refreshed is journalled in the same lock hold, in one write.
 */
static void batch_run(api_ctx *ctx, add_batch *b, const am_addr *source,
                      size_t base, add_tally *t)
{
    am_addr self;
    uint64_t id;
    size_t i;
    int jrc = AM_OK;

    api_lock(ctx);
    api_j_batch_begin(ctx);
    for (i = 0; i < b->n; i++) {
        add_item *it = &b->item[i];

        if (it->failed || it->skip)
            continue;
        self = it->addr;
        self.port = 0;
        it->rc = am_add(ctx->core, &it->addr, source ? source : &self,
                        it->services, it->time, 0, &it->is_new, &id);
        if (it->rc == AM_OK && jrc == AM_OK)
            jrc = api_j_peer(ctx, id);
    }
    if (api_j_batch_end(ctx) != AM_OK && jrc == AM_OK)
        jrc = AM_ERR_IO;
    api_unlock(ctx);
    if (t->journal_rc == AM_OK)
        t->journal_rc = jrc;
    for (i = 0; i < b->n; i++)
        tally_item(t, base + i, &b->item[i]);
    b->n = 0;
}

static int tally_reply(api_call *c, add_tally *t, api_err *err)
{
    js_w w;
    int rc;

    /* Counted even when the journal failed: the entries were looked at. */
    api_metrics_ignored(c->ctx->metrics, t->r.ignored_by);
    if (t->journal_rc != AM_OK) {
        rc = api_fail_journal(err, t->journal_rc, "adding the peers");
    } else {
        js_w_init(&w);
        st_merge_result_write(&w, &t->r);
        rc = api_reply_json(c, 200, &w, err);
    }
    st_merge_result_free(&t->r);
    return rc;
}

/* A source is a host; a port given with it is dropped. */
static int parse_source(const char *text, am_addr *out, api_err *err)
{
    if (api_addr_parse(text, 0, "source", out, err) != 0)
        return -1;
    out->port = 0;
    return 0;
}

static void item_from_json(add_item *it, const js_val *entry)
{
    api_peer_in in;

    memset(it, 0, sizeof *it);
    if (api_peer_in_parse(entry, &in, &it->perr) != 0) {
        it->failed = 1;
        return;
    }
    it->addr = in.addr;
    it->services = in.services;
    it->time = in.time;
}

/* An unknown key in any entry refuses the whole request before anything
 * is added: a misspelt "servics" is the client's mistake, not the
 * network's, and must not store peers without their services. */
static int entries_only_known_keys(const js_val *peers, api_err *err)
{
    char where[32];
    size_t i = 0;

    for (const js_val *e = peers->child; e != NULL; e = e->next, i++) {
        if (e->type != JS_OBJ)
            continue;           /* an entry error of its own, by index */
        snprintf(where, sizeof where, "peers[%zu]", i);
        if (api_json_only(e, api_peer_in_keys, where, err) != 0)
            return -1;
    }
    return 0;
}

int api_h_peers_add(api_call *c, api_err *err)
{
    const char *src_text;
    am_addr source;
    const am_addr *src = NULL;
    const js_val *peers, *e;
    add_batch *b;
    add_tally t;
    size_t i, n;
    int rc;

    rc = api_json_get_str(c->body, "source", (size_t)-1, &src_text, err);
    if (rc < 0 || (rc > 0 && parse_source(src_text, &source, err) != 0))
        return -1;
    if (rc > 0)
        src = &source;
    rc = api_json_get_array(c->body, "peers", &peers, err);
    if (rc <= 0)
        return rc < 0 ? -1 : api_fail(err, API_BAD_REQUEST, "peers is required");
    if (entries_only_known_keys(peers, err) != 0)
        return -1;
    b = malloc(sizeof *b);
    if (b == NULL)
        return api_fail(err, API_INTERNAL, "out of memory");
    b->n = 0;
    tally_init(&t);
    n = peers->len;
    /* A journal failure ends the request: what follows would not be
     * durable either. */
    for (i = 0, e = peers->child; i < n && t.journal_rc == AM_OK;
         i++, e = e->next) {
        item_from_json(&b->item[b->n++], e);
        if (b->n == ADD_CHUNK || i + 1 == n)
            batch_run(c->ctx, b, src, i + 1 - b->n, &t);
    }
    free(b);
    return tally_reply(c, &t, err);
}

/* An addrv2 entry: unknown networks and Tor v2 are skipped on purpose
 * (BIP155 says to ignore them), other unusable entries are errors, port 0
 * outside I2P included, as in the JSON form. */
static void item_from_addrv2(add_item *it, const am_addrv2_entry *e)
{
    memset(it, 0, sizeof *it);
    if (e->status == AM_OK && !am_addr_port_usable(&e->addr)) {
        it->failed = 1;
        api_fail(&it->perr, API_INVALID_ADDRESS,
                 "entry with network id %u: port 0", (unsigned)e->net_id);
    } else if (e->status == AM_OK) {
        it->addr = e->addr;
        it->services = e->services;
        it->time = e->time;
    } else if (e->status == AM_ERR_UNKNOWN_NET || e->status == AM_ERR_TORV2) {
        it->skip = e->status;
    } else {
        it->failed = 1;
        api_fail(&it->perr, API_INVALID_ADDRESS,
                 "entry with network id %u: %s", (unsigned)e->net_id,
                 am_strerror(e->status));
    }
}

static int decode_addrv2(const api_request *req, am_addrv2_entry **out,
                         size_t *n, api_err *err)
{
    int rc;

    *out = malloc(AM_ADDRV2_MAX_ENTRIES * sizeof **out);
    if (*out == NULL)
        return api_fail(err, API_INTERNAL, "out of memory");
    rc = am_addrv2_decode(req->body, req->body_len, *out,
                          AM_ADDRV2_MAX_ENTRIES, n);
    if (rc != AM_OK) {
        free(*out);
        *out = NULL;
        return api_fail(err, API_BAD_REQUEST, "invalid addrv2 payload: %s",
                        am_strerror(rc));
    }
    return 0;
}

int api_h_peers_addrv2(api_call *c, api_err *err)
{
    const char *src_text = api_query_get(c->query, "source");
    am_addrv2_entry *entries;
    am_addr source;
    add_batch *b;
    add_tally t;
    size_t i, n;

    if (src_text != NULL && parse_source(src_text, &source, err) != 0)
        return -1;
    if (decode_addrv2(c->req, &entries, &n, err) != 0)
        return -1;
    b = malloc(sizeof *b);
    if (b == NULL) {
        free(entries);
        return api_fail(err, API_INTERNAL, "out of memory");
    }
    b->n = 0;
    tally_init(&t);
    for (i = 0; i < n && t.journal_rc == AM_OK; i++) {
        item_from_addrv2(&b->item[b->n++], &entries[i]);
        if (b->n == ADD_CHUNK || i + 1 == n)
            batch_run(c->ctx, b, src_text ? &source : NULL, i + 1 - b->n, &t);
    }
    free(b);
    free(entries);
    return tally_reply(c, &t, err);
}

/* ---- listing --------------------------------------------------------- */

typedef struct list_args {
    am_filter filter;
    uint64_t after;
    uint64_t limit;
} list_args;

static int list_parse(const api_query *q, list_args *a, api_err *err)
{
    const char *v;

    memset(a, 0, sizeof *a);
    a->filter.table = -1;
    a->limit = LIST_DEFAULT;
    if ((v = api_query_get(q, "state")) != NULL &&
        api_name_list(v, api_state_bit, &a->filter.states, err) != 0)
        return -1;
    if ((v = api_query_get(q, "network")) != NULL &&
        api_name_list(v, api_network_bit, &a->filter.networks, err) != 0)
        return -1;
    if ((v = api_query_get(q, "table")) != NULL &&
        api_table_from_name(v, &a->filter.table) != AM_OK)
        return api_fail(err, API_BAD_REQUEST,
                        "unknown table '%s' (new, tried)", v);
    if ((v = api_query_get(q, "services")) != NULL &&
        api_parse_u64(v, "services", 0, UINT64_MAX, &a->filter.services,
                      err) != 0)
        return -1;
    if ((v = api_query_get(q, "limit")) != NULL &&
        api_parse_u64(v, "limit", 1, LIST_MAX, &a->limit, err) != 0)
        return -1;
    if ((v = api_query_get(q, "after")) != NULL &&
        api_parse_u64(v, "after", 0, UINT64_MAX, &a->after, err) != 0)
        return -1;
    return 0;
}

int api_h_peers_list(api_call *c, api_err *err)
{
    list_args a;
    am_peer *peers;
    uint64_t next = 0;
    size_t i, n = 0;
    js_w w;
    int rc;

    if (list_parse(c->query, &a, err) != 0)
        return -1;
    peers = malloc((size_t)a.limit * sizeof *peers);
    if (peers == NULL)
        return api_fail(err, API_INTERNAL, "out of memory");
    api_lock(c->ctx);
    rc = am_list(c->ctx->core, &a.filter, a.after, peers, (size_t)a.limit, &n,
                 &next);
    api_unlock(c->ctx);
    if (rc != AM_OK) {
        free(peers);
        return api_fail_core(err, rc, "cannot list peers");
    }
    js_w_init(&w);
    js_w_object(&w);
    js_w_key(&w, "peers");
    js_w_array(&w);
    for (i = 0; i < n; i++)
        api_peer_write(&w, &peers[i]);
    js_w_array_end(&w);
    js_w_key(&w, "next");
    if (next != 0)
        js_w_u64(&w, next);
    else
        js_w_null(&w);
    js_w_object_end(&w);
    free(peers);
    return api_reply_json(c, 200, &w, err);
}

/* ---- one peer -------------------------------------------------------- */

/* How a path names a peer: its id (all digits) or its endpoint. */
typedef struct peer_ref {
    int by_id;
    uint64_t id;        /* 0 when out of range: such a peer never exists */
    am_addr endpoint;
} peer_ref;

static int peer_ref_parse(const char *text, peer_ref *ref, api_err *err)
{
    char why[96];

    memset(ref, 0, sizeof *ref);
    if (text[strspn(text, "0123456789")] == '\0') {
        api_err ignored;

        ref->by_id = 1;
        if (api_parse_u64(text, "id", 1, AM_ID_MAX, &ref->id, &ignored) != 0)
            ref->id = 0;
        return 0;
    }
    if (am_addr_parse_ex(&ref->endpoint, text, AM_DEFAULT_PORT, NULL, why,
                         sizeof why) != AM_OK)
        return api_fail(err, API_INVALID_ADDRESS,
                        "'%.100s' is neither a peer id nor a host:port (%s)",
                        text, why);
    return 0;
}

/* Call with the lock held. */
static int peer_ref_find(api_ctx *ctx, const peer_ref *ref, am_peer *out)
{
    if (ref->by_id)
        return ref->id ? am_get(ctx->core, ref->id, out) : AM_ERR_NOTFOUND;
    return am_find(ctx->core, &ref->endpoint, out);
}

static int peer_not_found(api_call *c, int rc, api_err *err)
{
    if (rc == AM_ERR_NOTFOUND)
        return api_fail(err, API_NOT_FOUND, "no peer '%s'", c->param);
    return api_fail_core(err, rc, "peer lookup failed");
}

static int reply_peer(api_call *c, const am_peer *p, api_err *err)
{
    js_w w;

    js_w_init(&w);
    api_peer_write(&w, p);
    return api_reply_json(c, 200, &w, err);
}

int api_h_peer_get(api_call *c, api_err *err)
{
    peer_ref ref;
    am_peer p;
    int rc;

    if (peer_ref_parse(c->param, &ref, err) != 0)
        return -1;
    api_lock(c->ctx);
    rc = peer_ref_find(c->ctx, &ref, &p);
    api_unlock(c->ctx);
    if (rc != AM_OK)
        return peer_not_found(c, rc, err);
    return reply_peer(c, &p, err);
}

int api_h_peer_delete(api_call *c, api_err *err)
{
    peer_ref ref;
    am_peer p;
    int rc, jrc = AM_OK;

    if (peer_ref_parse(c->param, &ref, err) != 0)
        return -1;
    api_lock(c->ctx);
    rc = peer_ref_find(c->ctx, &ref, &p);
    if (rc == AM_OK)
        rc = am_remove(c->ctx->core, p.id);
    if (rc == AM_OK) {
        am_pool_forget_peer(c->ctx->pool, p.id);
        jrc = api_j_remove(c->ctx, p.id);
    }
    api_unlock(c->ctx);
    if (rc != AM_OK)
        return peer_not_found(c, rc, err);
    if (jrc != AM_OK)
        return api_fail_journal(err, jrc, "the removal");
    return api_reply_empty(c, 204);
}

int api_h_peer_state(api_call *c, api_err *err)
{
    const char *name, *node = NULL;
    am_state_op op;
    peer_ref ref;
    am_peer p;
    int rc, prc = AM_OK, jrc = AM_OK, src;

    if (peer_ref_parse(c->param, &ref, err) != 0 ||
        api_get_node(c->body, &node, err) < 0)
        return -1;
    rc = api_json_get_str(c->body, "state", 32, &name, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return api_fail(err, API_BAD_REQUEST, "state is required");
    if (api_state_op_from_name(name, &op) != AM_OK)
        return api_fail(err, API_BAD_REQUEST,
                        "unknown state '%s' (connected, tried, failed, "
                        "never_tried, disconnected)", name);
    api_lock(c->ctx);
    src = api_pool_settle(c->ctx);
    rc = peer_ref_find(c->ctx, &ref, &p);
    /* One node's disconnect leaves a peer another node is still connected
     * to as it is: connected. */
    if (rc == AM_OK &&
        !(op == AM_OP_DISCONNECTED &&
          am_pool_other_connections(c->ctx->pool, node, p.id) > 0))
        rc = api_set_state_j(c->ctx, p.id, op, &p, &jrc);
    /* The same lock: no select may see the core's new state with the
     * node's old connections and leases. */
    if (rc == AM_OK)
        prc = am_pool_report(c->ctx->pool, node, &p, op);
    api_unlock(c->ctx);
    if (rc != AM_OK)
        return peer_not_found(c, rc, err);
    if (jrc == AM_OK)
        jrc = src;
    if (jrc != AM_OK)
        return api_fail_journal(err, jrc, "the state change");
    if (prc != AM_OK)
        return api_fail_pool(err, prc, "recording the node's report failed");
    return reply_peer(c, &p, err);
}

int api_h_peer_services(api_call *c, api_err *err)
{
    uint64_t services;
    peer_ref ref;
    am_peer p;
    int rc, jrc = AM_OK;

    if (peer_ref_parse(c->param, &ref, err) != 0)
        return -1;
    rc = api_json_get_u64(c->body, "services", 0, UINT64_MAX, &services, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return api_fail(err, API_BAD_REQUEST, "services is required");
    api_lock(c->ctx);
    rc = peer_ref_find(c->ctx, &ref, &p);
    if (rc == AM_OK)
        rc = am_set_services(c->ctx->core, p.id, services, &p);
    if (rc == AM_OK)
        jrc = api_j_peer(c->ctx, p.id);
    api_unlock(c->ctx);
    if (rc != AM_OK)
        return peer_not_found(c, rc, err);
    if (jrc != AM_OK)
        return api_fail_journal(err, jrc, "the services change");
    return reply_peer(c, &p, err);
}
