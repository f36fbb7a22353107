/*
 * test_persist_crash.c - nothing acknowledged is lost in a crash: clients
 * add peers, report them tried and ban addresses as fast as they can while
 * the server is SIGKILLed at a random moment; after each restart every
 * request that got a 2xx answer (in this round and every round before) is
 * there.  Rounds are short so that the suite stays quick.
 */
#include "it_persist.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 5
#define CLIENTS 4

typedef struct ack {
    char host[IT_HOST_MAX];
    char kind;              /* 'a' added, 't' reported tried, 'b' banned */
} ack;

typedef struct acks {
    pthread_mutex_t mu;
    size_t n, cap;
    ack *a;
} acks;

typedef struct client {
    it_server *s;
    acks *log;
    atomic_uint *ban_seq;
    long requests;
} client;

static void record(acks *log, const char *host, char kind)
{
    pthread_mutex_lock(&log->mu);
    if (log->n == log->cap) {
        log->cap = log->cap ? log->cap * 2 : 4096;
        log->a = realloc(log->a, log->cap * sizeof *log->a);
        if (log->a == NULL)
            abort();
    }
    snprintf(log->a[log->n].host, IT_HOST_MAX, "%s", host);
    log->a[log->n++].kind = kind;
    pthread_mutex_unlock(&log->mu);
}

/* One request; its status, 0 when the server is gone. */
static long send_json(client *c, CURL *h, const char *method,
                      const char *path, const char *body, long *added)
{
    it_req rq = { .method = method, .path = path, .body = body,
                  .body_len = strlen(body),
                  .content_type = "application/json", .timeout_ms = 5000 };
    it_resp *r = it_do(c->s, h, &rq);
    long st = r->status;

    if (added != NULL) {
        json_t *v = r->json ? json_object_get(r->json, "added") : NULL;
        *added = json_is_integer(v) ? (long)json_integer_value(v) : 0;
    }
    it_resp_free(r);
    c->requests++;
    return st;
}

/* Add a peer, report it tried, ban an address of 11.0.0.0/8: 0 once the
 * server no longer answers. */
static int one_step(client *c, CURL *h)
{
    char host[IT_HOST_MAX], body[256], path[IT_PATH_MAX], ban[32];
    unsigned seq = atomic_fetch_add(c->ban_seq, 1);
    long st, added = 0;

    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}", host);
    st = send_json(c, h, "POST", "/v1/peers", body, &added);
    if (st == 0)
        return 0;
    if (st == 200 && added == 1) {
        record(c->log, host, 'a');
        it_peer_path(host, IT_PORT, "/state", path, sizeof path);
        st = send_json(c, h, "PUT", path, "{\"state\": \"tried\"}", NULL);
        if (st == 0)
            return 0;
        if (st == 200)
            record(c->log, host, 't');
    }
    snprintf(ban, sizeof ban, "11.%u.%u.%u", (seq >> 16) & 255,
             (seq >> 8) & 255, seq & 255);
    snprintf(body, sizeof body, "{\"target\": \"%s\"}", ban);
    st = send_json(c, h, "POST", "/v1/bans", body, NULL);
    if (st == 201)
        record(c->log, ban, 'b');
    return st != 0;
}

static void *client_main(void *arg)
{
    client *c = arg;
    CURL *h = curl_easy_init();

    while (h != NULL && one_step(c, h))
        ;
    if (h != NULL)
        curl_easy_cleanup(h);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

/* Load from CLIENTS threads, SIGKILL after `ms`, wait for them. */
static long crash_round(it_server *s, acks *log, atomic_uint *seq, long ms)
{
    pthread_t t[CLIENTS];
    client c[CLIENTS];
    long total = 0;
    int i;

    for (i = 0; i < CLIENTS; i++) {
        c[i] = (client){ .s = s, .log = log, .ban_seq = seq };
        assert_int_equal(pthread_create(&t[i], NULL, client_main, &c[i]), 0);
    }
    sleep_ms(ms);
    it_signal_wait(s, SIGKILL, IT_STOP_TIMEOUT_MS);
    for (i = 0; i < CLIENTS; i++) {
        pthread_join(t[i], NULL);
        total += c[i].requests;
    }
    return total;
}

/* What the server has after the restart, sorted for lookups: every peer
 * as "address state" and every ban target. */
typedef struct seen {
    char **v;
    size_t n;
} seen;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void seen_add(seen *s, const char *a, const char *b)
{
    size_t len = strlen(a) + strlen(b) + 2;

    s->v[s->n] = malloc(len);
    assert_non_null(s->v[s->n]);
    snprintf(s->v[s->n++], len, "%s %s", a, b);
}

static void seen_load(it_server *srv, seen *s)
{
    json_t *pool = it_pool(srv, 0), *bans = it_bans(srv), *x;
    size_t i;

    s->n = 0;
    s->v = malloc((json_array_size(pool) + json_array_size(bans) + 1) *
                  sizeof *s->v);
    assert_non_null(s->v);
    json_array_foreach(pool, i, x)
        seen_add(s, IT_JSTR(x, "address"), IT_JSTR(x, "state"));
    json_array_foreach(bans, i, x)
        seen_add(s, IT_JSTR(x, "target"), "ban");
    qsort(s->v, s->n, sizeof *s->v, cmp_str);
    json_decref(pool);
    json_decref(bans);
}

static void seen_free(seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

static int seen_has(const seen *s, const char *a, const char *b)
{
    char key[IT_HOST_MAX + 16], *k = key;

    snprintf(key, sizeof key, "%s %s", a, b);
    return bsearch(&k, s->v, s->n, sizeof *s->v, cmp_str) != NULL;
}

/* An added peer may be tried since (its 't' comes later in the log). */
static void check_acks(it_server *srv, const acks *log)
{
    seen s;

    seen_load(srv, &s);
    for (size_t i = 0; i < log->n; i++) {
        const ack *a = &log->a[i];
        int ok = a->kind == 'b' ? seen_has(&s, a->host, "ban")
               : a->kind == 't' ? seen_has(&s, a->host, "tried")
               : seen_has(&s, a->host, "never_tried") ||
                     seen_has(&s, a->host, "tried");

        if (!ok)
            fail_msg("acknowledged change lost: %s %c", a->host, a->kind);
    }
    seen_free(&s);
}

static void test_acknowledged_changes_survive_sigkill(void **state)
{
    const char *const args[] = { "--enable-debug", NULL };
    it_server *s = *state;
    acks *log = calloc(1, sizeof *log);
    atomic_uint seq;
    int round;

    it_need_own(s);
    assert_non_null(log);
    pthread_mutex_init(&log->mu, NULL);
    atomic_init(&seq, (unsigned)(it_rand64() & 0xFFFF) << 8);
    it_start(s, args, NULL, 1);
    for (round = 0; round < ROUNDS; round++) {
        long ms = 100 + (long)(it_rand64() % 400);
        size_t before = log->n;
        long sent = crash_round(s, log, &seq, ms);

        it_restart(s, args);
        check_acks(s, log);
        it_check_debug(s);
        fprintf(stderr, "round %d: killed after %ld ms, %ld requests, %zu "
                "acknowledged changes checked (%zu new)\n", round, ms, sent,
                log->n, log->n - before);
    }
    assert_true(log->n > 0);
    pthread_mutex_destroy(&log->mu);
    free(log->a);
    free(log);
}

#define TN(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TN(test_acknowledged_changes_survive_sigkill),
    };

    return IT_RUN(tests);
}
