/*
 * soak_load.c - the load: a few threads, each with one libcurl multi handle
 * and a fixed number of transfer slots, one keep-alive connection per slot
 * (the multi handle may open no more).  A slot that finishes is counted and
 * given the next request at once, so every connection always has one
 * request in flight.
 *
 * Memory stays bounded over any run: a slot keeps at most RESP_KEEP bytes
 * of an answer (more is read and dropped), bodies reuse their buffers, and
 * the counts are fixed arrays.
 */
#include "soak.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RESP_KEEP 16384         /* a select answer of 16 peers fits */
#define REQ_TIMEOUT_MS 30000
#define POLL_MS 100

typedef struct sk_slot {
    CURL *h;
    sk_req req;
    char url[SK_URL_MAX];
    char resp[RESP_KEEP + 1];
    size_t resp_len;
    uint64_t started_ns;
} sk_slot;

typedef struct sk_thread {
    pthread_t tid;
    sk_load *load;
    sk_slot *slots;
    unsigned n_slots;
    sk_work work;
    sk_counts counts;
    struct curl_slist *json_hdr, *bin_hdr, *get_hdr;
    atomic_uint_fast64_t done;
} sk_thread;

struct sk_load {
    const sk_target *t;
    sk_thread *threads;
    unsigned n_threads;
    atomic_int stop;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t keep_some(char *data, size_t size, size_t n, void *ctx)
{
    sk_slot *s = ctx;
    size_t add = size * n, room = RESP_KEEP - s->resp_len;

    if (add < room)
        room = add;
    memcpy(s->resp + s->resp_len, data, room);
    s->resp_len += room;
    return add;
}

static struct curl_slist *headers(const sk_target *t, const char *type)
{
    struct curl_slist *h = curl_slist_append(NULL, "Expect:");
    char line[SK_TOKEN_MAX + 32];

    if (type != NULL) {
        snprintf(line, sizeof line, "Content-Type: %s", type);
        h = curl_slist_append(h, line);
    }
    if (t->token[0]) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", t->token);
        h = curl_slist_append(h, line);
    }
    return h;
}

/* Every option of one request (the handle was reset: nothing carries
 * over from the request before, the connection does); the answer goes to
 * write(sink). */
static void setup(CURL *h, const sk_target *t, const sk_req *r, char *url,
                  struct curl_slist *hdr, curl_write_callback write,
                  void *sink)
{
    snprintf(url, SK_URL_MAX, "%s%s", t->base, r->path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)REQ_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
    if (r->body != NULL && r->body_len > 0 && strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)r->body_len);
    }
}

static struct curl_slist *headers_of(const sk_thread *th, const sk_req *r)
{
    if (r->body_len == 0 || strcmp(r->method, "GET") == 0)
        return th->get_hdr;
    return r->binary ? th->bin_hdr : th->json_hdr;
}

static void slot_start(sk_thread *th, CURLM *m, sk_slot *s)
{
    sk_next(&th->work, &s->req);
    s->resp_len = 0;
    curl_easy_reset(s->h);
    setup(s->h, th->load->t, &s->req, s->url, headers_of(th, &s->req),
          keep_some, s);
    curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
    s->started_ns = now_ns();
    curl_multi_add_handle(m, s->h);
}

static void slot_finish(sk_thread *th, sk_slot *s, CURLcode rc)
{
    long status = 0;
    int k = s->req.kind;

    if (rc == CURLE_OK)
        curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 0 || status >= SK_STATUS_MAX)
        status = 0;
    s->resp[s->resp_len] = '\0';
    th->counts.status[k][status]++;
    if (status != 0)
        th->counts.ns[k] += now_ns() - s->started_ns;
    sk_learn(&th->work, &s->req, status, s->resp);
    atomic_fetch_add_explicit(&th->done, 1, memory_order_relaxed);
}

/* Finished transfers: count them and, unless stopping, start the next. */
static unsigned reap(sk_thread *th, CURLM *m, unsigned running)
{
    CURLMsg *msg;
    sk_slot *s;
    int left;

    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        slot_finish(th, s, msg->data.result);
        curl_multi_remove_handle(m, s->h);
        running--;
        if (!atomic_load(&th->load->stop)) {
            slot_start(th, m, s);
            running++;
        }
    }
    return running;
}

static void *thread_main(void *arg)
{
    sk_thread *th = arg;
    CURLM *m = curl_multi_init();
    unsigned running = 0, i;
    int still;

    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)th->n_slots);
    curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)th->n_slots);
    for (i = 0; i < th->n_slots; i++, running++)
        slot_start(th, m, &th->slots[i]);
    while (running > 0) {
        curl_multi_perform(m, &still);
        running = reap(th, m, running);
        if (running > 0)
            curl_multi_poll(m, NULL, 0, POLL_MS, NULL);
    }
    curl_multi_cleanup(m);
    return NULL;
}

static int thread_init(sk_thread *th, sk_load *l, unsigned n_slots,
                       uint64_t seed)
{
    unsigned i;

    th->load = l;
    th->n_slots = n_slots;
    sk_work_init(&th->work, seed, (unsigned)(th - l->threads));
    th->json_hdr = headers(l->t, "application/json");
    th->bin_hdr = headers(l->t, "application/octet-stream");
    th->get_hdr = headers(l->t, NULL);
    th->slots = calloc(n_slots, sizeof *th->slots);
    if (th->slots == NULL)
        return -1;
    for (i = 0; i < n_slots; i++)
        if ((th->slots[i].h = curl_easy_init()) == NULL)
            return -1;
    return 0;
}

sk_load *sk_load_start(const sk_target *t, unsigned conns, unsigned threads,
                       uint64_t seed)
{
    sk_load *l = calloc(1, sizeof *l);
    unsigned i;

    if (l == NULL || (l->threads = calloc(threads, sizeof *l->threads)) == NULL)
        goto fail;
    l->t = t;
    l->n_threads = threads;
    for (i = 0; i < threads; i++) {
        unsigned n = conns / threads + (i < conns % threads);

        if (thread_init(&l->threads[i], l, n, sk_rand(&seed)) != 0 ||
            pthread_create(&l->threads[i].tid, NULL, thread_main,
                           &l->threads[i]) != 0)
            goto fail;
    }
    return l;
fail:
    fprintf(stderr, "soak: cannot start the load threads\n");
    exit(2);
}

uint64_t sk_load_done(const sk_load *l)
{
    uint64_t n = 0;
    unsigned i;

    for (i = 0; i < l->n_threads; i++)
        n += atomic_load_explicit(&l->threads[i].done, memory_order_relaxed);
    return n;
}

static void thread_free(sk_thread *th)
{
    unsigned i;

    for (i = 0; i < th->n_slots; i++) {
        curl_easy_cleanup(th->slots[i].h);
        sk_req_free(&th->slots[i].req);
    }
    free(th->slots);
    curl_slist_free_all(th->json_hdr);
    curl_slist_free_all(th->bin_hdr);
    curl_slist_free_all(th->get_hdr);
}

void sk_load_stop(sk_load *l, sk_counts *out)
{
    unsigned i, k, st;

    atomic_store(&l->stop, 1);
    memset(out, 0, sizeof *out);
    for (i = 0; i < l->n_threads; i++) {
        sk_thread *th = &l->threads[i];

        pthread_join(th->tid, NULL);
        for (k = 0; k < SK_N_KINDS; k++) {
            for (st = 0; st < SK_STATUS_MAX; st++)
                out->status[k][st] += th->counts.status[k][st];
            out->ns[k] += th->counts.ns[k];
        }
        thread_free(th);
    }
    free(l->threads);
    free(l);
}

/* The answer of a request outside the load, cut to its buffer. */
typedef struct once_sink {
    char *out;
    size_t len, cap;            /* cap counts the NUL */
} once_sink;

static size_t once_write(char *data, size_t size, size_t n, void *ctx)
{
    once_sink *o = ctx;
    size_t add = size * n, room = o->cap ? o->cap - 1 - o->len : 0;

    if (add < room)
        room = add;
    memcpy(o->out + o->len, data, room);
    o->len += room;
    return add;
}

/* One handle for every request outside the load: they come one at a
 * time from the main thread, and keep their connection. */
static CURL *once_h;

long sk_request_once(const sk_target *t, const sk_req *r, char *out,
                     size_t out_len)
{
    struct curl_slist *hdr = headers(t, r->body_len ? "application/json"
                                                    : NULL);
    once_sink sink = {out, 0, out != NULL ? out_len : 0};
    char url[SK_URL_MAX];
    long status = 0;

    if (once_h == NULL)
        once_h = curl_easy_init();
    else
        curl_easy_reset(once_h);
    if (once_h != NULL) {
        setup(once_h, t, r, url, hdr, once_write, &sink);
        if (curl_easy_perform(once_h) == CURLE_OK)
            curl_easy_getinfo(once_h, CURLINFO_RESPONSE_CODE, &status);
    }
    if (sink.cap > 0)
        out[sink.len] = '\0';
    curl_slist_free_all(hdr);
    return status;
}

void sk_request_done(void)
{
    curl_easy_cleanup(once_h);
    once_h = NULL;
}
