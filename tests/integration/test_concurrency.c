/*
 * test_concurrency.c - 32 client threads x 500 mixed requests (add, select,
 * get, state, services, bans, stats, list, relay) against one server with
 * --enable-debug.  No answer may be 5xx or otherwise unexpected, no add may
 * be lost (every address an answer counted as added is in the pool; on our
 * own server the pool also grows by exactly the sum of `added`: every thread
 * uses its own unique addresses and nothing is deleted), and the
 * consistency check must pass afterwards.
 *
 * Worker threads never call cmocka's assertions (they are not
 * thread-safe): they count failures, and the test thread checks the counts.
 */
#include "it_api.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 32
#define REQUESTS 500
#define MAX_HOSTS REQUESTS
#define BATCH_HOSTS (3 * (REQUESTS / 10 + 1))

typedef struct worker {
    it_server *s;
    int idx;
    CURL *c;
    long requests;
    long added;                 /* sum of `added` over this thread's adds */
    long failures;
    char failure[512];          /* the first one */
    char (*hosts)[IT_HOST_MAX]; /* peers this thread added */
    char (*batch)[IT_HOST_MAX]; /* addresses of its batches, added or not */
    int n_batch;
    unsigned char *failed;      /* 1 once the peer was reported failed */
    int n_hosts;
    int n_states;
    int ban_open;               /* a ban of ours is in place */
    char ban[64];
} worker;

/* ---- one request ----------------------------------------------------- */

static void record(worker *w, const it_resp *r, long want)
{
    w->requests++;
    if (r->curl_rc == CURLE_OK && r->status == want)
        return;
    if (w->failures++ == 0)
        snprintf(w->failure, sizeof w->failure,
                 "thread %d: %.120s: expected %ld, got %ld (%.60s): %.200s", w->idx,
                 r->what, want, r->status, curl_easy_strerror(r->curl_rc),
                 r->body);
}

static it_resp *req(worker *w, const char *method, const char *path,
                    const char *json)
{
    it_req rq = { .method = method, .path = path, .body = json,
                  .body_len = json ? strlen(json) : 0,
                  .content_type = json ? "application/json" : NULL };

    return it_do(w->s, w->c, &rq);
}

static void simple(worker *w, const char *method, const char *path,
                   const char *json, long want)
{
    it_resp *r = req(w, method, path, json);

    record(w, r, want);
    it_resp_free(r);
}

static json_int_t member_int(const it_resp *r, const char *key)
{
    const json_t *v = r->json ? json_object_get(r->json, key) : NULL;

    return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* ---- the operations -------------------------------------------------- */

static void op_add_one(worker *w)
{
    char host[IT_HOST_MAX], body[256];
    it_resp *r;
    json_int_t added;

    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\", "
             "\"services\": %d}]}", host, 1 + w->idx);
    r = req(w, "POST", "/v1/peers", body);
    record(w, r, 200);
    added = member_int(r, "added");
    if (added > 0) {
        w->added += added;
        snprintf(w->hosts[w->n_hosts++], IT_HOST_MAX, "%s", host);
    }
    it_resp_free(r);
}

static void op_add_batch(worker *w)
{
    char h[3][IT_HOST_MAX], body[512];
    it_resp *r;
    json_int_t added;

    it_uniq_ipv4(h[0]);
    it_uniq_ipv6(h[1], NULL);
    it_uniq_onion(h[2], NULL);
    if (w->n_batch + 3 <= BATCH_HOSTS)
        for (int k = 0; k < 3; k++)
            memcpy(w->batch[w->n_batch++], h[k], IT_HOST_MAX);
    snprintf(body, sizeof body, "{\"source\": \"%s\", \"peers\": ["
             "{\"address\": \"%s\"}, {\"address\": \"%s\"}, "
             "{\"address\": \"%s\"}, {\"address\": \"10.9.9.9\"}, "
             "{\"address\": \"bogus\"}]}", h[0], h[0], h[1], h[2]);
    r = req(w, "POST", "/v1/peers", body);
    record(w, r, 200);
    added = member_int(r, "added");
    if (added > 0)
        w->added += added;
    it_resp_free(r);
}

static const char *own_host(worker *w, int i)
{
    return w->n_hosts ? w->hosts[(unsigned)i % (unsigned)w->n_hosts] : NULL;
}

static void op_get(worker *w, int i)
{
    const char *host = own_host(w, i * 7);
    char path[IT_PATH_MAX];

    if (host == NULL) {
        simple(w, "GET", "/v1/stats", NULL, 200);
        return;
    }
    it_peer_path(host, IT_PORT, NULL, path, sizeof path);
    simple(w, "GET", path, NULL, 200);
}

static void op_state(worker *w, int i)
{
    static const char *const ops[] = { "connected", "disconnected", "tried",
                                       "failed" };
    int k = w->n_hosts ? (i * 13) % w->n_hosts : 0;
    const char *op = ops[w->n_states++ % 4];
    char path[IT_PATH_MAX], body[64];

    if (w->n_hosts == 0) {
        simple(w, "POST", "/v1/select", "{}", 200);
        return;
    }
    if (strcmp(op, "failed") == 0) {
        if (w->failed[k])
            op = "tried";       /* a peer fails once: never terrible */
        w->failed[k] = 1;
    }
    it_peer_path(w->hosts[k], IT_PORT, "/state", path, sizeof path);
    snprintf(body, sizeof body, "{\"state\": \"%s\"}", op);
    simple(w, "PUT", path, body, 200);
}

static void op_services(worker *w, int i)
{
    const char *host = own_host(w, i * 11);
    char path[IT_PATH_MAX], body[64];

    if (host == NULL) {
        simple(w, "GET", "/v1/bans", NULL, 200);
        return;
    }
    it_peer_path(host, IT_PORT, "/services", path, sizeof path);
    snprintf(body, sizeof body, "{\"services\": %d}", 1 + (i % 1024));
    simple(w, "PUT", path, body, 200);
}

/* Bans in 10.<thread>.x.0/24: unroutable, so no peer of ours is inside. */
static void op_ban(worker *w, int i)
{
    char body[128], path[128], enc[96];

    if (w->ban_open) {
        it_pct(w->ban, enc, sizeof enc);
        snprintf(path, sizeof path, "/v1/bans/%s", enc);
        simple(w, "DELETE", path, NULL, 204);
        w->ban_open = 0;
        return;
    }
    snprintf(w->ban, sizeof w->ban, "10.%d.%d.0/24", w->idx, i % 256);
    snprintf(body, sizeof body, "{\"target\": \"%s\", \"duration\": 600}",
             w->ban);
    simple(w, "POST", "/v1/bans", body, 201);
    w->ban_open = 1;
}

static void op_read(worker *w, int i)
{
    switch (i % 3) {
    case 0:
        simple(w, "GET", "/v1/stats", NULL, 200);
        break;
    case 1:
        simple(w, "GET", "/v1/peers?limit=5", NULL, 200);
        break;
    default:
        simple(w, "GET", "/v1/addresses?count=10", NULL, 200);
        break;
    }
}

static void one_op(worker *w, int i)
{
    switch (i % 10) {
    case 0: op_add_batch(w); break;
    case 1:
    case 2: op_add_one(w); break;
    case 3: simple(w, "POST", "/v1/select", "{\"count\": 8}", 200); break;
    case 4: op_get(w, i); break;
    case 5: op_state(w, i); break;
    case 6: op_services(w, i); break;
    case 7: op_ban(w, i); break;
    case 8: simple(w, "POST", "/v1/select", "{\"feeler\": true}", 200); break;
    default: op_read(w, i); break;
    }
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    int i;

    w->c = curl_easy_init();
    if (w->c == NULL) {
        w->failures++;
        snprintf(w->failure, sizeof w->failure, "curl_easy_init failed");
        return NULL;
    }
    for (i = 0; i < REQUESTS; i++)
        one_op(w, i);
    if (w->ban_open)
        op_ban(w, 0);
    curl_easy_cleanup(w->c);
    return NULL;
}

/* ---- the test -------------------------------------------------------- */

/* How many of the addresses the threads added (and of their batches' ones,
 * which only the added are) are in the pool, port 8333. */
static long count_present(it_server *s, const worker *ws)
{
    long n = 0;
    int i, k;

    for (i = 0; i < THREADS; i++) {
        for (k = 0; k < ws[i].n_hosts; k++)
            n += it_peer_status(s, ws[i].hosts[k], IT_PORT) == 200;
        for (k = 0; k < ws[i].n_batch; k++)
            n += it_peer_status(s, ws[i].batch[k], IT_PORT) == 200;
    }
    return n;
}

static void run_all(it_server *s, worker *ws)
{
    pthread_t t[THREADS];
    int i;

    for (i = 0; i < THREADS; i++) {
        ws[i].s = s;
        ws[i].idx = i;
        ws[i].hosts = calloc(MAX_HOSTS, IT_HOST_MAX);
        ws[i].failed = calloc(MAX_HOSTS, 1);
        ws[i].batch = calloc(BATCH_HOSTS, IT_HOST_MAX);
        assert_non_null(ws[i].hosts);
        assert_non_null(ws[i].batch);
        assert_non_null(ws[i].failed);
    }
    for (i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, run_worker, &ws[i]), 0);
    for (i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
}

static void test_parallel_mixed_requests_lose_no_adds(void **state)
{
    it_server *s = *state;
    worker *ws = calloc(THREADS, sizeof *ws);
    long added = 0, failures = 0, requests = 0, present;
    size_t before, after;
    json_t *stats;
    int i;

    assert_non_null(ws);
    before = it_count_peers(s, NULL);
    run_all(s, ws);
    for (i = 0; i < THREADS; i++) {
        added += ws[i].added;
        failures += ws[i].failures;
        requests += ws[i].requests;
        if (ws[i].failures)
            print_message("%s (%ld failures)\n", ws[i].failure,
                          ws[i].failures);
    }
    print_message("%ld requests, %ld added, %ld failures\n", requests, added,
                  failures);
    assert_int_equal(failures, 0);
    assert_true(requests >= (long)THREADS * REQUESTS);
    present = count_present(s, ws);
    if (present != added)
        fail_msg("%ld of the peers added are in the pool, the answers added "
                 "%ld", present, added);
    after = it_count_peers(s, NULL);
    /* A shared pool is not ours alone: an add may take the slot of another
     * test's terrible peer (it is dropped), and others may add or delete. */
    if (!s->shared && (long)(after - before) != added)
        fail_msg("pool grew by %zu, the answers added %ld", after - before,
                 added);
    stats = it_stats(s);
    if (!s->shared)
        assert_int_equal(json_integer_value(json_object_get(stats, "peers")),
                         after);
    json_decref(stats);
    it_check_debug(s);
    for (i = 0; i < THREADS; i++) {
        free(ws[i].hosts);
        free(ws[i].failed);
        free(ws[i].batch);
    }
    free(ws);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_parallel_mixed_requests_lose_no_adds,
                                        it_fx_setup, it_fx_teardown),
    };

    return IT_RUN(tests);
}
