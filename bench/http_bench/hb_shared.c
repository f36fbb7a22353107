/*
 * hb_shared.c - the shared pool under a fleet: HB_NODES threads, each a
 * node with its own name and keep-alive connection, run the loop a real
 * node runs:
 *
 *   1. report "disconnected" for the peers it connected to last round;
 *   2. POST /v1/select {"count": 8, "node": name} (the server's default
 *      lease, diversity on);
 *   3. report each peer handed out "connected" or, one in HB_FAIL_ONE_IN,
 *      "failed" (either ends the lease).
 *
 * So each select runs while the node still holds last round's connections,
 * and the server must keep those peers and their groups out of the answer.
 * Figures: selects per second over all nodes, the share of select answers
 * that held all 8 peers, select latency, state updates per second.
 */
#include "hb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HB_FAIL_ONE_IN 4

typedef struct fleet_clock {
    pthread_barrier_t start;
    uint64_t t_warm, t_end;
} fleet_clock;

typedef struct node {
    fleet_clock *sh;
    pthread_t th;
    char name[32];
    hb_conn conn;
    uint64_t rng;
    uint64_t held[HB_SHARED_COUNT];     /* connected last round */
    unsigned n_held;
    uint32_t *lat;                      /* ns of measured selects */
    size_t n_lat, cap_lat;
    uint64_t selects, full, peers, states, errors, last_end;
} node;

/* Up to `cap` ids of the peers in a select answer. */
static unsigned answer_ids(const hb_resp *r, uint64_t *ids, unsigned cap)
{
    static const char key[] = "{\"id\":";
    size_t k = sizeof key - 1, i;
    unsigned n = 0;

    for (i = 0; i + k < r->body_len && n < cap; i++)
        if (memcmp(r->body + i, key, k) == 0)
            ids[n++] = (uint64_t)hb_json_u64(r->body + i + 1,
                                             r->body_len - i - 1, "id");
    return n;
}

/* PUT one state; counts it when measured.  0, or -1 on a non-2xx. */
static int put_state(node *nd, uint64_t id, const char *state, int measured)
{
    char path[HB_PATH_MAX], body[128];
    int len;
    hb_resp r;

    snprintf(path, sizeof path, "/v1/peers/%llu/state",
             (unsigned long long)id);
    len = snprintf(body, sizeof body, "{\"state\":\"%s\",\"node\":\"%s\"}",
                   state, nd->name);
    hb_request(&nd->conn, "PUT", path, body, (size_t)len, &r);
    if (measured) {
        nd->states++;
        nd->errors += r.status / 100 != 2;
    }
    return r.status / 100 == 2 ? 0 : -1;
}

static void lat_push(node *nd, uint64_t ns)
{
    if (nd->n_lat == nd->cap_lat) {
        size_t cap = nd->cap_lat ? nd->cap_lat * 2 : 16384;
        uint32_t *p = realloc(nd->lat, cap * sizeof *p);

        if (p == NULL) {
            fprintf(stderr, "http_bench: out of memory\n");
            exit(1);
        }
        nd->lat = p;
        nd->cap_lat = cap;
    }
    nd->lat[nd->n_lat++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

/* Step 2; the ids handed out go to ids[], their number is returned. */
static unsigned select_peers(node *nd, uint64_t *ids, int *measured)
{
    char body[128];
    int len = snprintf(body, sizeof body, "{\"count\":%d,\"node\":\"%s\"}",
                       HB_SHARED_COUNT, nd->name);
    uint64_t t0 = hb_now_ns(), t1;
    unsigned n;
    hb_resp r;

    hb_request(&nd->conn, "POST", "/v1/select", body, (size_t)len, &r);
    t1 = hb_now_ns();
    n = r.status == 200 ? answer_ids(&r, ids, HB_SHARED_COUNT) : 0;
    *measured = t0 >= nd->sh->t_warm;
    if (*measured) {
        lat_push(nd, t1 - t0);
        nd->selects++;
        nd->full += n == HB_SHARED_COUNT;
        nd->peers += n;
        nd->errors += r.status != 200;
        nd->last_end = t1;
    }
    return n;
}

static void one_round(node *nd)
{
    uint64_t ids[HB_SHARED_COUNT];
    unsigned n, i;
    int measured = hb_now_ns() >= nd->sh->t_warm;

    for (i = 0; i < nd->n_held; i++)
        put_state(nd, nd->held[i], "disconnected", measured);
    nd->n_held = 0;
    n = select_peers(nd, ids, &measured);
    for (i = 0; i < n; i++) {
        int fail = hb_rand(&nd->rng) % HB_FAIL_ONE_IN == 0;

        if (put_state(nd, ids[i], fail ? "failed" : "connected",
                      measured) == 0 && !fail)
            nd->held[nd->n_held++] = ids[i];
    }
}

static void *node_main(void *arg)
{
    node *nd = arg;

    pthread_barrier_wait(&nd->sh->start);
    while (hb_now_ns() < nd->sh->t_end)
        one_round(nd);
    /* Leave the pool as a stopping node would: nothing held. */
    for (unsigned i = 0; i < nd->n_held; i++)
        put_state(nd, nd->held[i], "disconnected", 0);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static double nearest_rank_ms(const uint32_t *sorted, size_t n, double q)
{
    size_t i = (size_t)(q * (double)n + 0.999999);

    if (n == 0)
        return 0;
    i = i == 0 ? 0 : i - 1;
    return (double)sorted[i < n ? i : n - 1] / 1e6;
}

/* Sum the nodes into r; the latencies of all selects are pooled. */
static int summarize(node *nds, unsigned n, uint64_t t_warm,
                     hb_shared_result *r)
{
    size_t total = 0, at = 0;
    uint64_t last = t_warm;
    uint32_t *all;
    unsigned i;

    for (i = 0; i < n; i++)
        total += nds[i].n_lat;
    all = malloc((total ? total : 1) * sizeof *all);
    if (all == NULL)
        return -1;
    memset(r, 0, sizeof *r);
    for (i = 0; i < n; i++) {
        memcpy(all + at, nds[i].lat, nds[i].n_lat * sizeof *all);
        at += nds[i].n_lat;
        r->selects += nds[i].selects;
        r->full += nds[i].full;
        r->peers += nds[i].peers;
        r->states += nds[i].states;
        r->errors += nds[i].errors;
        last = nds[i].last_end > last ? nds[i].last_end : last;
    }
    qsort(all, total, sizeof *all, cmp_u32);
    r->seconds = (double)(last - t_warm) / 1e9;
    r->p50_ms = nearest_rank_ms(all, total, 0.50);
    r->p99_ms = nearest_rank_ms(all, total, 0.99);
    free(all);
    return 0;
}

static int open_nodes(node *nds, const hb_shared_opts *o, fleet_clock *sh)
{
    unsigned i;

    for (i = 0; i < o->nodes; i++) {
        nds[i].sh = sh;
        nds[i].rng = (uint64_t)i * 7919u + hb_now_ns();
        snprintf(nds[i].name, sizeof nds[i].name, "bench-node-%u", i + 1);
        hb_conn_init(&nds[i].conn, o->t);
    }
    for (i = 0; i < o->nodes; i++) {
        if (hb_conn_open(&nds[i].conn) != 0) {
            fprintf(stderr, "http_bench: cannot connect to %s:%d\n",
                    o->t->host, o->t->port);
            return -1;
        }
    }
    return 0;
}

static void free_nodes(node *nds, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        hb_conn_free(&nds[i].conn);
        free(nds[i].lat);
    }
    free(nds);
}

int hb_shared_run(const hb_shared_opts *o, hb_shared_result *r)
{
    node *nds = calloc(o->nodes, sizeof *nds);
    unsigned i, started;
    fleet_clock sh;
    int rc = -1;

    if (nds == NULL || open_nodes(nds, o, &sh) != 0)
        goto out;
    pthread_barrier_init(&sh.start, NULL, o->nodes + 1);
    for (started = 0; started < o->nodes; started++)
        if (pthread_create(&nds[started].th, NULL, node_main,
                           &nds[started]) != 0) {
            fprintf(stderr, "http_bench: cannot start %u threads\n",
                    o->nodes);
            exit(1);            /* the started ones wait at the barrier */
        }
    sh.t_warm = hb_now_ns() + (uint64_t)(o->warmup * 1e9);
    sh.t_end = sh.t_warm + (uint64_t)(o->seconds * 1e9);
    pthread_barrier_wait(&sh.start);
    for (i = 0; i < started; i++)
        pthread_join(nds[i].th, NULL);
    pthread_barrier_destroy(&sh.start);
    rc = summarize(nds, o->nodes, sh.t_warm, r);
out:
    if (nds)
        free_nodes(nds, o->nodes);
    return rc;
}
