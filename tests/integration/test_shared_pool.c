/*
 * test_shared_pool.c - eight nodes share one pool of 5000 peers.
 *
 * Each node is a thread running the loop a real node runs, 2000 times:
 * select (1..3 peers, now and then exclusive, now and then a short lease)
 * -> report each peer connected or failed (a few are never reported: the
 * node lost track of them, and their lease has to run out) -> sometimes
 * disconnect one of its connections; one round in ten is instead a pure
 * read (no lease, any group), as monitoring does.  A few subnets are
 * banned before the nodes start.  A monitor thread meanwhile reads the
 * server's view (GET /v1/nodes, one snapshot under the server's lock) and
 * runs /debug/check.
 *
 * What must hold:
 *   - no peer is leased to two nodes at once (the server's snapshots, and
 *     every select answer against the leases the test saw handed out);
 *   - no node is handed a peer it is connected to, nor again one it holds
 *     a lease on;
 *   - no banned peer is handed out;
 *   - an exclusive select hands out no peer another node is connected to;
 *   - the peers one select hands a node, its connections and its leases
 *     are all in distinct network groups (IPv4 /16, IPv6 /32);
 *   - /debug/check (am_check and am_pool_check) passes, during and after;
 *   - at the end the server's connections and leases per node are exactly
 *     what the nodes did, and /v1/stats and /metrics count the same.
 *
 * Races between threads: a lease is recorded after the select that made
 * it answered and forgotten before the report that ends it is sent; a
 * connection is recorded after its report answered and forgotten before
 * the disconnect is sent; and another node's hold counts against an
 * answer only when it was recorded before the select was sent and was
 * surely still running when the answer came (lease: answer time before
 * the whole second the select was sent + lease seconds - 1; the server's
 * lease runs from its own whole second, read from a coarse clock that may
 * lag the test's by a tick).  So the checks can miss a race
 * but never see one that did not happen.  Worker threads never call
 * cmocka's assertions: they count failures, the test thread checks the
 * counts.
 */
#include "it_api.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NODES 8
#define ITERATIONS 2000
#define POOL 5000
#define V4_GROUPS 550           /* x 8 peers = 4400 */
#define V6_GROUPS 75            /* x 8 peers = 600 */
#define ADD_BATCH 250
#define BANNED_V4 4             /* /16 subnets banned, plus one IPv6 /32 */
#define TARGET_CONNS 8
#define LONG_LEASE 120
#define SHORT_LEASE 2
#define SILENT_PCT 3            /* handed peers never reported */
#define CONNECT_PCT 60          /* of the reported: connected, else failed */
#define READ_COUNT 8            /* peers of a pure read (no lease, any group) */

/* ---- the pool as the test knows it ----------------------------------- */

typedef struct peer_rec {
    char addr[IT_HOST_MAX];
    uint64_t group;
    int banned;
    /* under g_lock */
    int lease_node;             /* -1: none recorded */
    double lease_sent, lease_recv;
    int64_t lease_len;
    double conn_since[NODES];   /* 0: not connected to that node */
} peer_rec;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static peer_rec **g_by_id;      /* id -> record, NULL: not ours */
static size_t g_max_id;
static peer_rec *g_recs;
static size_t g_n_recs;

static double now_f(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Whole seconds of a (positive) time, as the server's time(NULL). */
static double whole(double t)
{
    return (double)(int64_t)t;
}

/* A lease the server surely still ran when an answer came at `recv`.
 * One second of margin: the server reads time(), a coarse clock that may
 * still show the previous second for a few milliseconds after the test's
 * CLOCK_REALTIME has moved on, so its lease can end a second earlier. */
static int lease_runs(double sent, int64_t len, double recv)
{
    return recv < whole(sent) + (double)len - 1.0;
}

static int lease_sure(const peer_rec *r, double recv)
{
    return r->lease_node >= 0 && lease_runs(r->lease_sent, r->lease_len, recv);
}

/* The network group of a canonical address: IPv4 /16, IPv6 /32. */
static uint64_t group_of(const char *addr)
{
    unsigned char b[16];

    if (inet_pton(AF_INET, addr, b) == 1)
        return (UINT64_C(4) << 32) | ((uint64_t)b[0] << 8) | b[1];
    if (inet_pton(AF_INET6, addr, b) == 1)
        return (UINT64_C(6) << 32) | ((uint64_t)b[0] << 24) |
               ((uint64_t)b[1] << 16) | ((uint64_t)b[2] << 8) | b[3];
    return 0;
}

static peer_rec *rec_of(json_int_t id)
{
    return id > 0 && (size_t)id <= g_max_id ? g_by_id[id] : NULL;
}

/* ---- building the pool ----------------------------------------------- */

typedef struct group_set {
    unsigned v4[V4_GROUPS][2];
    unsigned v6[V6_GROUPS][2];
} group_set;

static void draw_groups(group_set *g)
{
    size_t i, j;

    for (i = 0; i < V4_GROUPS; i++) {
        do {
            g->v4[i][0] = 12u + (unsigned)(it_rand64() % 88);
            g->v4[i][1] = (unsigned)(it_rand64() % 256);
            for (j = 0; j < i; j++)
                if (g->v4[j][0] == g->v4[i][0] && g->v4[j][1] == g->v4[i][1])
                    break;
        } while (j < i);
    }
    for (i = 0; i < V6_GROUPS; i++) {
        do {
            g->v6[i][0] = 0x2a00u + (unsigned)(it_rand64() % 256);
            g->v6[i][1] = 1u + (unsigned)(it_rand64() % 0xffff);
            for (j = 0; j < i; j++)
                if (g->v6[j][0] == g->v6[i][0] && g->v6[j][1] == g->v6[i][1])
                    break;
        } while (j < i);
    }
}

/* A random host in a random group, 12 % of them IPv6. */
static void draw_host(const group_set *g, char *out, size_t len)
{
    uint64_t r = it_rand64();

    if (r % 100 < 12) {
        const unsigned *v = g->v6[(r >> 8) % V6_GROUPS];
        snprintf(out, len, "%x:%x:%x::%x", v[0], v[1],
                 1u + (unsigned)((r >> 24) % 0xfffe), 1u + (unsigned)((r >> 40) % 0xfffe));
    } else {
        const unsigned *v = g->v4[(r >> 8) % V4_GROUPS];
        snprintf(out, len, "%u.%u.%u.%u", v[0], v[1], (unsigned)((r >> 24) % 256),
                 1u + (unsigned)((r >> 32) % 254));
    }
}

/* Add until the pool holds POOL peers: each batch comes from a source of
 * its own, so its peers spread over the new table's buckets; peers the
 * tables turn away (a taken slot) are made up by the next batch. */
static void fill_pool(it_server *s, const group_set *g)
{
    json_int_t total = 0;
    char *body = malloc(ADD_BATCH * 96 + 128), src[IT_HOST_MAX];
    int batches = 0;

    assert_non_null(body);
    while (total < POOL) {
        size_t want = POOL - (size_t)total < ADD_BATCH ? POOL - (size_t)total : ADD_BATCH;
        size_t len, i;
        it_counts c;

        assert_true(batches++ < 200);
        it_uniq_ipv4(src);
        len = (size_t)sprintf(body, "{\"source\": \"%s\", \"peers\": [", src);
        for (i = 0; i < want; i++) {
            char host[IT_HOST_MAX];

            draw_host(g, host, sizeof host);
            len += (size_t)sprintf(body + len, "%s{\"address\": \"%s\", \"services\": 9}",
                                   i ? ", " : "", host);
        }
        strcpy(body + len, "]}");
        c = it_add_json(s, body, NULL);
        assert_int_equal(c.n_errors, 0);
        total += c.added;
    }
    free(body);
}

/* Every peer of the server into the table (the server is ours alone). */
static void load_table(it_server *s)
{
    json_int_t after = 0;
    json_t *st = it_stats(s);

    g_max_id = (size_t)IT_JINT(st, "next_id");
    json_decref(st);
    g_by_id = calloc(g_max_id + 1, sizeof *g_by_id);
    g_recs = calloc(POOL, sizeof *g_recs);
    assert_true(g_by_id != NULL && g_recs != NULL);
    g_n_recs = 0;
    do {
        char path[IT_PATH_MAX];
        it_resp *r;
        json_t *b, *p, *next;
        size_t i;

        snprintf(path, sizeof path, "/v1/peers?limit=10000&after=%lld", (long long)after);
        r = it_get(s, path);
        IT_STATUS(r, 200);
        b = IT_BODY(r);
        json_array_foreach(IT_JARR(b, "peers"), i, p) {
            json_int_t id = IT_JINT(p, "id");
            peer_rec *rec = &g_recs[g_n_recs++];

            assert_true(g_n_recs <= POOL && id > 0 && (size_t)id <= g_max_id);
            snprintf(rec->addr, sizeof rec->addr, "%s", IT_JSTR(p, "address"));
            rec->group = group_of(rec->addr);
            assert_true(rec->group != 0);
            rec->lease_node = -1;
            g_by_id[id] = rec;
        }
        next = json_object_get(b, "next");
        after = json_is_integer(next) ? json_integer_value(next) : 0;
        it_resp_free(r);
    } while (after != 0);
    assert_int_equal(g_n_recs, POOL);
}

/* Ban BANNED_V4 of the /16s and one IPv6 /32; mark their peers. */
static size_t ban_some(it_server *s, const group_set *g)
{
    char target[64];
    size_t i, n = 0;

    for (i = 0; i <= BANNED_V4; i++) {
        uint64_t key;

        if (i < BANNED_V4) {
            snprintf(target, sizeof target, "%u.%u.0.0/16", g->v4[i][0], g->v4[i][1]);
            key = (UINT64_C(4) << 32) | ((uint64_t)g->v4[i][0] << 8) | g->v4[i][1];
        } else {
            snprintf(target, sizeof target, "%x:%x::/32", g->v6[0][0], g->v6[0][1]);
            key = (UINT64_C(6) << 32) | ((uint64_t)g->v6[0][0] << 16) | g->v6[0][1];
        }
        json_decref(it_ban(s, target));
        for (size_t k = 0; k < g_n_recs; k++)
            if (g_recs[k].group == key) {
                g_recs[k].banned = 1;
                n++;
            }
    }
    return n;
}

/* ---- one node -------------------------------------------------------- */

typedef struct lease_note {
    json_int_t id;
    double sent;
    int64_t len;
} lease_note;

typedef struct node_w {
    it_server *s;
    int idx;
    char name[16];
    CURL *c;
    uint64_t rng;
    json_int_t conns[4 * TARGET_CONNS];     /* exact: only this thread */
    size_t n_conns;
    lease_note *silent;                     /* handed, never reported */
    size_t n_silent;
    long selects, reads, handed, connected, failed, disconnected, exclusive;
    long failures;
    char failure[600];
} node_w;

static uint64_t rnd(node_w *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static void failf(node_w *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void failf(node_w *w, const char *fmt, ...)
{
    va_list ap;

    if (w->failures++ > 0)
        return;
    va_start(ap, fmt);
    vsnprintf(w->failure, sizeof w->failure, fmt, ap);
    va_end(ap);
}

static it_resp *req(node_w *w, const char *method, const char *path,
                    const char *json)
{
    it_req rq = { .method = method, .path = path, .body = json,
                  .body_len = json ? strlen(json) : 0,
                  .content_type = json ? "application/json" : NULL };

    return it_do(w->s, w->c, &rq);
}

static int put_state(node_w *w, json_int_t id, const char *state)
{
    char path[64], body[96];
    it_resp *r;
    int ok;

    snprintf(path, sizeof path, "/v1/peers/%lld/state", (long long)id);
    snprintf(body, sizeof body, "{\"state\": \"%s\", \"node\": \"%s\"}", state, w->name);
    r = req(w, "PUT", path, body);
    ok = r->status == 200;
    if (!ok)
        failf(w, "%s: %s %s: HTTP %ld %.200s", w->name, r->what, state, r->status,
              r->body);
    it_resp_free(r);
    return ok;
}

static int own_group_held(const node_w *w, uint64_t group, double recv)
{
    size_t i;

    for (i = 0; i < w->n_conns; i++)
        if (g_by_id[w->conns[i]]->group == group)
            return 1;
    for (i = 0; i < w->n_silent; i++)
        if (lease_runs(w->silent[i].sent, w->silent[i].len, recv) &&
            g_by_id[w->silent[i].id]->group == group)
            return 1;
    return 0;
}

/* One peer of an answer against what the test knows (g_lock held). */
static void check_one(node_w *w, const json_t *p, const json_int_t *ids,
                      size_t k, double sent, double recv, int exclusive,
                      int diverse)
{
    json_int_t id = json_integer_value(json_object_get(p, "id"));
    const char *state = json_string_value(json_object_get(p, "state"));
    peer_rec *r = rec_of(id);
    size_t j;
    int o;

    if (r == NULL) {
        failf(w, "%s was handed unknown peer %lld", w->name, (long long)id);
        return;
    }
    if (r->banned || (state && strcmp(state, "banned") == 0))
        failf(w, "%s was handed banned peer %s", w->name, r->addr);
    if (r->conn_since[w->idx] > 0)
        failf(w, "%s was handed %s, which it is connected to", w->name, r->addr);
    if (lease_sure(r, recv) && r->lease_recv <= sent)
        failf(w, "%s was handed %s while it is leased to node-%d", w->name,
              r->addr, r->lease_node);
    for (o = 0; exclusive && o < NODES; o++)
        if (o != w->idx && r->conn_since[o] > 0 && r->conn_since[o] <= sent)
            failf(w, "%s got %s in an exclusive select; node-%d is connected to it",
                  w->name, r->addr, o);
    for (j = 0; j < k; j++)
        if (ids[j] == id || (diverse && g_by_id[ids[j]]->group == r->group))
            failf(w, "%s: one answer holds %s and %s (same peer or group)",
                  w->name, g_by_id[ids[j]]->addr, r->addr);
    if (diverse && own_group_held(w, r->group, recv))
        failf(w, "%s was handed %s, in a group it already holds", w->name, r->addr);
}

/* Check an answer and record its leases (lease 0: a pure read, not
 * diverse); the ids into ids[]. */
static size_t take_answer(node_w *w, const json_t *peers, double sent,
                          double recv, int exclusive, int64_t lease,
                          json_int_t *ids)
{
    size_t i, n = json_array_size(peers);

    pthread_mutex_lock(&g_lock);
    for (i = 0; i < n; i++) {
        check_one(w, json_array_get(peers, i), ids, i, sent, recv, exclusive,
                  lease > 0);
        ids[i] = json_integer_value(json_object_get(json_array_get(peers, i), "id"));
        if (rec_of(ids[i]) == NULL)
            n = i;      /* reported above; stop before using it */
    }
    for (i = 0; i < n && lease > 0; i++) {
        peer_rec *r = g_by_id[ids[i]];

        r->lease_node = w->idx;
        r->lease_sent = sent;
        r->lease_recv = now_f();
        r->lease_len = lease;
    }
    pthread_mutex_unlock(&g_lock);
    return n;
}

/* select; 0..3 ids handed out into ids[], leased from *sent */
static size_t do_select(node_w *w, json_int_t *ids, int64_t *lease,
                        double *sent)
{
    char body[192];
    int exclusive = rnd(w) % 5 == 0;
    double recv;
    it_resp *r;
    json_t *peers;
    size_t n = 0;

    *lease = rnd(w) % 10 == 0 ? SHORT_LEASE : LONG_LEASE;
    snprintf(body, sizeof body, "{\"node\": \"%s\", \"count\": %d, "
             "\"lease_seconds\": %lld, \"exclusive\": %s}", w->name,
             1 + (int)(rnd(w) % 3), (long long)*lease, exclusive ? "true" : "false");
    *sent = now_f();
    r = req(w, "POST", "/v1/select", body);
    recv = now_f();
    w->selects++;
    w->exclusive += exclusive;
    peers = r->json ? json_object_get(r->json, "peers") : NULL;
    if (r->status != 200 || !json_is_array(peers))
        failf(w, "%s: select: HTTP %ld %.200s", w->name, r->status, r->body);
    else
        n = take_answer(w, peers, *sent, recv, exclusive, *lease, ids);
    it_resp_free(r);
    w->handed += (long)n;
    return n;
}

/* What a node's monitoring does now and then: a pure read of many peers,
 * any group, never connected to.  It still must not hold a peer the node
 * is connected to or one leased to anybody. */
static void pure_read(node_w *w)
{
    char body[160];
    json_int_t ids[READ_COUNT];
    double sent, recv;
    it_resp *r;
    json_t *peers;

    snprintf(body, sizeof body, "{\"node\": \"%s\", \"count\": %d, "
             "\"lease_seconds\": 0, \"diverse\": false}", w->name, READ_COUNT);
    sent = now_f();
    r = req(w, "POST", "/v1/select", body);
    recv = now_f();
    w->selects++;
    w->reads++;
    peers = r->json ? json_object_get(r->json, "peers") : NULL;
    if (r->status != 200 || !json_is_array(peers) ||
        json_array_size(peers) > READ_COUNT)
        failf(w, "%s: read: HTTP %ld %.200s", w->name, r->status, r->body);
    else
        take_answer(w, peers, sent, recv, 0, 0, ids);
    it_resp_free(r);
}

static void end_lease(node_w *w, json_int_t id)
{
    pthread_mutex_lock(&g_lock);
    if (g_by_id[id]->lease_node == w->idx)
        g_by_id[id]->lease_node = -1;
    pthread_mutex_unlock(&g_lock);
}

static void connect_peer(node_w *w, json_int_t id)
{
    size_t i;

    if (!put_state(w, id, "connected"))
        return;
    for (i = 0; i < w->n_conns; i++)
        if (g_by_id[w->conns[i]]->group == g_by_id[id]->group)
            failf(w, "%s is connected to %s and %s, of one group", w->name,
                  g_by_id[w->conns[i]]->addr, g_by_id[id]->addr);
    if (w->n_conns == sizeof w->conns / sizeof w->conns[0]) {
        failf(w, "%s: too many connections", w->name);
        return;
    }
    w->conns[w->n_conns++] = id;
    w->connected++;
    pthread_mutex_lock(&g_lock);
    g_by_id[id]->conn_since[w->idx] = now_f();
    pthread_mutex_unlock(&g_lock);
}

static void disconnect_one(node_w *w)
{
    size_t i = (size_t)(rnd(w) % w->n_conns);
    json_int_t id = w->conns[i];

    w->conns[i] = w->conns[--w->n_conns];
    pthread_mutex_lock(&g_lock);
    g_by_id[id]->conn_since[w->idx] = 0;
    pthread_mutex_unlock(&g_lock);
    if (put_state(w, id, "disconnected"))
        w->disconnected++;
}

static void one_round(node_w *w)
{
    json_int_t ids[3];
    int64_t lease;
    double sent;
    size_t n, i;

    if (rnd(w) % 10 == 0) {
        pure_read(w);
        return;
    }
    n = do_select(w, ids, &lease, &sent);

    for (i = 0; i < n; i++) {
        unsigned roll = (unsigned)(rnd(w) % 100);

        if (roll < SILENT_PCT) {
            lease_note *l = &w->silent[w->n_silent++];
            l->id = ids[i];
            l->sent = sent;
            l->len = lease;
            continue;
        }
        end_lease(w, ids[i]);
        if (roll < SILENT_PCT + CONNECT_PCT * (100 - SILENT_PCT) / 100) {
            connect_peer(w, ids[i]);
        } else if (put_state(w, ids[i], "failed")) {
            w->failed++;
        }
    }
    /* A node keeps about TARGET_CONNS outbound connections, and now and
     * then loses one. */
    while (w->n_conns > TARGET_CONNS)
        disconnect_one(w);
    if (w->n_conns > 0 && rnd(w) % 4 == 0)
        disconnect_one(w);
}

static void *node_main(void *arg)
{
    node_w *w = arg;
    int i;

    for (i = 0; i < ITERATIONS && w->failures < 20; i++)
        one_round(w);
    return NULL;
}

/* ---- the monitor ----------------------------------------------------- */

typedef struct monitor {
    it_server *s;
    CURL *c;
    atomic_int stop;
    long rounds, checks, failures;
    char failure[600];
} monitor;

static void mfail(monitor *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void mfail(monitor *m, const char *fmt, ...)
{
    va_list ap;

    if (m->failures++ > 0)
        return;
    va_start(ap, fmt);
    vsnprintf(m->failure, sizeof m->failure, fmt, ap);
    va_end(ap);
}

/* The server's snapshot: one lease per peer, no banned peer held, and per
 * node connections and leases in distinct groups. */
static void check_snapshot(monitor *m, const json_t *nodes)
{
    static const char *const kinds[2] = { "connected", "leased" };
    int *leased_by = calloc(g_max_id + 1, sizeof *leased_by);
    json_t *n, *v;
    size_t i, k, j;

    if (leased_by == NULL)
        return;
    json_array_foreach(nodes, i, n) {
        uint64_t groups[1024];
        size_t n_groups = 0;
        const char *name = json_string_value(json_object_get(n, "name"));

        for (k = 0; k < 2; k++) {
            json_array_foreach(json_object_get(n, kinds[k]), j, v) {
                json_int_t id = json_integer_value(v);
                peer_rec *r = rec_of(id);
                size_t g;

                if (r == NULL) {
                    mfail(m, "%s holds unknown peer %lld", name, (long long)id);
                    continue;
                }
                if (r->banned)
                    mfail(m, "%s holds banned peer %s (%s)", name, r->addr, kinds[k]);
                if (k == 1 && leased_by[id]++ > 0)
                    mfail(m, "peer %s is leased to two nodes at once", r->addr);
                for (g = 0; g < n_groups; g++)
                    if (groups[g] == r->group)
                        mfail(m, "%s holds two peers of %s's group", name, r->addr);
                if (n_groups < sizeof groups / sizeof groups[0])
                    groups[n_groups++] = r->group;
            }
        }
    }
    free(leased_by);
}

static void monitor_round(monitor *m)
{
    it_req rq = { .method = "GET", .path = "/v1/nodes" };
    it_resp *r = it_do(m->s, m->c, &rq);
    json_t *nodes = r->json ? json_object_get(r->json, "nodes") : NULL;

    if (r->status != 200 || !json_is_array(nodes))
        mfail(m, "GET /v1/nodes: HTTP %ld %.200s", r->status, r->body);
    else
        check_snapshot(m, nodes);
    it_resp_free(r);
    if (m->rounds++ % 8 == 0) {
        rq.path = "/debug/check";
        r = it_do(m->s, m->c, &rq);
        if (r->status != 200)
            mfail(m, "GET /debug/check: HTTP %ld %.300s", r->status, r->body);
        m->checks++;
        it_resp_free(r);
    }
}

static void *monitor_main(void *arg)
{
    monitor *m = arg;
    struct timespec pause = { 0, 20 * 1000 * 1000 };

    while (!atomic_load(&m->stop)) {
        monitor_round(m);
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/* ---- after the run --------------------------------------------------- */

static int ids_equal(const json_t *got, const json_int_t *want, size_t n)
{
    size_t i, j;

    if (json_array_size(got) != n)
        return 0;
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++)
            if (json_integer_value(json_array_get(got, j)) == want[i])
                break;
        if (j == n)
            return 0;
    }
    return 1;
}

/* The server holds exactly what the nodes did: their connections, and the
 * long leases of the peers they never reported (the short ones ran out). */
static void check_final(it_server *s, node_w *ws)
{
    json_t *st = it_stats(s);
    it_resp *r;
    int i;

    for (i = 0; i < NODES; i++) {
        node_w *w = &ws[i];
        json_int_t *longs = calloc(w->n_silent + 1, sizeof *longs);
        size_t n_long = 0, k;
        json_t *all, *n = NULL, *x, *stn;
        char line[128];

        assert_non_null(longs);
        for (k = 0; k < w->n_silent; k++)
            if (w->silent[k].len == LONG_LEASE)
                longs[n_long++] = w->silent[k].id;
        r = it_get(s, "/v1/nodes");
        IT_STATUS(r, 200);
        all = IT_BODY(r);
        json_array_foreach(IT_JARR(all, "nodes"), k, x)
            if (strcmp(IT_JSTR(x, "name"), w->name) == 0)
                n = x;
        if (n == NULL)
            fail_msg("%s is not listed", w->name);
        if (!ids_equal(IT_JARR(n, "connected"), w->conns, w->n_conns))
            fail_msg("%s: the server lists %zu connections, the node holds %zu",
                     w->name, json_array_size(IT_JARR(n, "connected")), w->n_conns);
        if (!ids_equal(IT_JARR(n, "leased"), longs, n_long))
            fail_msg("%s: the server lists %zu leases, the node left %zu unreported",
                     w->name, json_array_size(IT_JARR(n, "leased")), n_long);
        assert_int_equal(IT_JINT(n, "selects"), ITERATIONS);
        stn = IT_JOBJ(IT_JOBJ(st, "nodes"), w->name);
        assert_int_equal(IT_JINT(stn, "connected"), (json_int_t)w->n_conns);
        assert_int_equal(IT_JINT(stn, "leased"), (json_int_t)n_long);
        assert_int_equal(IT_JINT(stn, "selects"), ITERATIONS);
        it_resp_free(r);
        r = it_get(s, "/metrics");
        snprintf(line, sizeof line, "\naddrmand_node_selects_total{node=\"%s\"} %d\n",
                 w->name, ITERATIONS);
        assert_non_null(strstr(r->body, line));
        snprintf(line, sizeof line, "\naddrmand_node_connected{node=\"%s\"} %zu\n",
                 w->name, w->n_conns);
        assert_non_null(strstr(r->body, line));
        it_resp_free(r);
        free(longs);
    }
    json_decref(st);
}

/* ---- the test -------------------------------------------------------- */

static void test_eight_nodes_share_one_pool(void **state)
{
    static const char *const args[] = { "--enable-debug", "--retry-time", "2",
                                         NULL };
    it_server *s = *state;
    group_set *g = malloc(sizeof *g);
    node_w *ws = calloc(NODES, sizeof *ws);
    pthread_t th[NODES], mt;
    monitor m;
    size_t banned;
    int i;

    it_need_own(s);
    assert_true(g != NULL && ws != NULL);
    it_start(s, args, NULL, 1);
    draw_groups(g);
    fill_pool(s, g);
    load_table(s);
    banned = ban_some(s, g);
    assert_true(banned > 0);
    assert_int_equal(it_count_peers(s, "state=banned"), banned);

    memset(&m, 0, sizeof m);
    m.s = s;
    m.c = curl_easy_init();
    assert_non_null(m.c);
    for (i = 0; i < NODES; i++) {
        ws[i].s = s;
        ws[i].idx = i;
        snprintf(ws[i].name, sizeof ws[i].name, "node-%d", i);
        ws[i].c = curl_easy_init();
        ws[i].rng = it_rand64() | 1;
        ws[i].silent = calloc(3 * ITERATIONS, sizeof *ws[i].silent);
        assert_true(ws[i].c != NULL && ws[i].silent != NULL);
    }
    assert_int_equal(pthread_create(&mt, NULL, monitor_main, &m), 0);
    for (i = 0; i < NODES; i++)
        assert_int_equal(pthread_create(&th[i], NULL, node_main, &ws[i]), 0);
    for (i = 0; i < NODES; i++)
        pthread_join(th[i], NULL);
    atomic_store(&m.stop, 1);
    pthread_join(mt, NULL);

    for (i = 0; i < NODES; i++) {
        node_w *w = &ws[i];

        print_message("%s: %ld selects (%ld exclusive, %ld pure reads), %ld "
                      "peers handed, %ld connected, %ld failed, %ld disconnected, "
                      "%zu never reported\n", w->name, w->selects, w->exclusive,
                      w->reads, w->handed, w->connected, w->failed,
                      w->disconnected, w->n_silent);
        if (w->failures > 0)
            fail_msg("%ld failures; the first: %s", w->failures, w->failure);
        assert_int_equal(w->selects, ITERATIONS);
        /* Not a vacuous run: every node got peers and connected. */
        assert_true(w->handed > ITERATIONS / 2);
        assert_true(w->reads > 0);
        assert_true(w->connected > ITERATIONS / 4);
    }
    print_message("monitor: %ld snapshots, %ld consistency checks\n", m.rounds,
                  m.checks);
    if (m.failures > 0)
        fail_msg("monitor: %ld failures; the first: %s", m.failures, m.failure);
    assert_true(m.checks > 0);
    it_check_debug(s);

    /* The short leases run out; then the server must agree with the nodes. */
    nanosleep(&(struct timespec){ SHORT_LEASE + 1, 200 * 1000 * 1000 }, NULL);
    check_final(s, ws);
    it_check_debug(s);

    for (i = 0; i < NODES; i++) {
        curl_easy_cleanup(ws[i].c);
        free(ws[i].silent);
    }
    curl_easy_cleanup(m.c);
    free(ws);
    free(g);
    free(g_by_id);
    free(g_recs);
    g_by_id = NULL;
    g_recs = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_eight_nodes_share_one_pool,
                                        it_fx_setup_none, it_fx_teardown),
    };

    return IT_RUN(tests);
}
