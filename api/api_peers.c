/*
 * api_peers.c - adding peers (JSON and addrv2), listing them, one peer:
 * get, delete, state and services.
 *
 * Adding works in chunks: a chunk of entries is validated without any
 * lock, handed to st_pool_add (which adds it in slices, each journalled in
 * one write), then reported in entry order.
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
#include "api_peer_json.h"

#define ADD_CHUNK 64
#define LIST_DEFAULT 100
#define LIST_MAX 10000
/* Peer times are stored as u32 seconds. */
#define VERIFIED_SINCE_MAX UINT32_MAX

/* ---- adding ---------------------------------------------------------- */

/* The chunk being added: what st_pool_add takes, and beside each entry
 * the error it was refused with before reaching the pool. */
typedef struct add_batch {
    size_t n;
    st_add item[ADD_CHUNK];     /* skip: ignored for this code (AM_ERR_TORV2,
                                 * AM_ERR_UNKNOWN_NET) or failed */
    int failed[ADD_CHUNK];      /* 1: reported as error perr */
    api_err perr[ADD_CHUNK];
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

static void tally_item(add_tally *t, size_t index, const add_batch *b,
                       size_t i)
{
    const st_add *it = &b->item[i];
    st_ignore why;
    api_err e;
    int rc = it->skip ? it->skip : it->rc;

    if (b->failed[i]) {
        tally_error(t, index, &b->perr[i]);
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
 * Add the valid items of a chunk, then report them.  Without a source each
 * peer is its own source (api/openapi.yaml): the pool passes it
 * explicitly, so that the core records it and the peer shows it, keeping
 * "source": null for peers whose source is truly unknown (imported ones).
 */
static void batch_run(api_ctx *ctx, add_batch *b, const am_addr *source,
                      size_t base, add_tally *t)
{
    int jrc;

    (void)st_pool_add(ctx->pool, b->item, b->n, source, &jrc);
    if (t->journal_rc == AM_OK)
        t->journal_rc = jrc;
    for (size_t i = 0; i < b->n; i++)
        tally_item(t, base + i, b, i);
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

/* Entry i of the batch, cleared. */
static st_add *batch_next(add_batch *b)
{
    st_add *it = &b->item[b->n];

    memset(it, 0, sizeof *it);
    b->failed[b->n] = 0;
    b->n++;
    return it;
}

/* The entry just taken is refused before the pool: err is its answer. */
static void batch_refuse(add_batch *b, st_add *it)
{
    it->skip = AM_ERR_INVAL;
    b->failed[b->n - 1] = 1;
}

static void item_from_json(add_batch *b, const js_val *entry)
{
    st_add *it = batch_next(b);
    api_peer_in in;

    if (api_peer_in_parse(entry, &in, &b->perr[b->n - 1]) != 0) {
        batch_refuse(b, it);
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
        item_from_json(b, e);
        if (b->n == ADD_CHUNK || i + 1 == n)
            batch_run(c->ctx, b, src, i + 1 - b->n, &t);
    }
    free(b);
    return tally_reply(c, &t, err);
}

/* An addrv2 entry: unknown networks and Tor v2 are skipped on purpose
 * (BIP155 says to ignore them), other unusable entries are errors, port 0
 * outside I2P included, as in the JSON form. */
static void item_from_addrv2(add_batch *b, const am_addrv2_entry *e)
{
    st_add *it = batch_next(b);
    api_err *perr = &b->perr[b->n - 1];

    if (e->status == AM_OK && !am_addr_port_usable(&e->addr)) {
        batch_refuse(b, it);
        api_fail(perr, API_INVALID_ADDRESS,
                 "entry with network id %u: port 0", (unsigned)e->net_id);
    } else if (e->status == AM_OK) {
        it->addr = e->addr;
        it->services = e->services;
        it->time = e->time;
    } else if (e->status == AM_ERR_UNKNOWN_NET || e->status == AM_ERR_TORV2) {
        it->skip = e->status;
    } else {
        batch_refuse(b, it);
        api_fail(perr, API_INVALID_ADDRESS,
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
        item_from_addrv2(b, &entries[i]);
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
    uint64_t since = 0;

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
    if ((v = api_query_get(q, "verified_since")) != NULL &&
        api_parse_u64(v, "verified_since", 1, VERIFIED_SINCE_MAX, &since,
                      err) != 0)
        return -1;
    a->filter.verified_since = (int64_t)since;
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
    rc = st_pool_list(c->ctx->pool, &a.filter, a.after, peers,
                      (size_t)a.limit, &n, &next);
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

/* How a path names a peer: its id (all digits; 0 when out of range: such
 * a peer never exists) or its endpoint. */
static int peer_ref_parse(const char *text, st_ref *ref, api_err *err)
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
    st_ref ref;
    am_peer p;
    int rc;

    if (peer_ref_parse(c->param, &ref, err) != 0)
        return -1;
    rc = st_pool_peer(c->ctx->pool, &ref, &p);
    if (rc != AM_OK)
        return peer_not_found(c, rc, err);
    return reply_peer(c, &p, err);
}

int api_h_peer_delete(api_call *c, api_err *err)
{
    st_ref ref;
    am_peer p;
    int rc, jrc = AM_OK;

    if (peer_ref_parse(c->param, &ref, err) != 0)
        return -1;
    rc = st_pool_remove(c->ctx->pool, &ref, &p, &jrc);
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
    st_ref ref;
    am_peer p;
    int rc, prc = AM_OK, jrc = AM_OK;

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
    rc = st_pool_report(c->ctx->pool, node, &ref, op, &p, &prc, &jrc);
    if (rc != AM_OK)
        return peer_not_found(c, rc, err);
    if (jrc != AM_OK)
        return api_fail_journal(err, jrc, "the state change");
    if (prc != AM_OK)
        return api_fail_pool(err, prc, "recording the node's report failed");
    return reply_peer(c, &p, err);
}

int api_h_peer_services(api_call *c, api_err *err)
{
    uint64_t services;
    st_ref ref;
    am_peer p;
    int rc, jrc = AM_OK;

    if (peer_ref_parse(c->param, &ref, err) != 0)
        return -1;
    rc = api_json_get_u64(c->body, "services", 0, UINT64_MAX, &services, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return api_fail(err, API_BAD_REQUEST, "services is required");
    rc = st_pool_set_services(c->ctx->pool, &ref, services, &p, &jrc);
    if (rc != AM_OK)
        return peer_not_found(c, rc, err);
    if (jrc != AM_OK)
        return api_fail_journal(err, jrc, "the services change");
    return reply_peer(c, &p, err);
}
