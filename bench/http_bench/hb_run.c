/*
 * hb_run.c - one slice of a case at one concurrency: `conns` threads, each
 * with its own keep-alive connection opened beforehand, send requests back
 * to back for warm-up + seconds.  Requests started after the warm-up are
 * measured: latency from before the send to the end of the body.  The
 * slices of a case add up in an hb_acc; at the end the latencies are
 * sorted for the percentiles, and rate = measured requests / the sum of
 * the slices' spans (warm-up end to the last answer).
 */
#include "hb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct run_shared {
    pthread_barrier_t start;
    uint64_t t_warm, t_end;     /* set before the barrier opens */
} run_shared;

typedef struct run_worker {
    hb_worker w;
    run_shared *sh;
    pthread_t th;
} run_worker;

static void lat_push(hb_worker *w, uint64_t ns)
{
    if (w->n_lat == w->cap_lat) {
        size_t cap = w->cap_lat ? w->cap_lat * 2 : 16384;
        uint32_t *p = realloc(w->lat, cap * sizeof *p);

        if (p == NULL) {
            fprintf(stderr, "http_bench: out of memory\n");
            exit(1);
        }
        w->lat = p;
        w->cap_lat = cap;
    }
    w->lat[w->n_lat++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static void record(hb_worker *w, uint64_t ns, const hb_resp *r, uint64_t end)
{
    int64_t added;

    lat_push(w, ns);
    w->status[r->status]++;
    w->last_end = end;
    if (w->cs->count_added && r->status / 100 == 2) {
        added = hb_json_u64(r->body, r->body_len, "added");
        w->added += added > 0 ? (uint64_t)added : 0;
    }
}

static void one_request(hb_worker *w, uint64_t t_warm)
{
    const char *body;
    uint64_t t0, t1;
    hb_resp r;

    w->body_len = 0;
    w->cs->build(w);
    w->seq++;
    w->all_requests++;
    body = strcmp(w->cs->method, "GET") == 0 ? NULL : w->body;
    t0 = hb_now_ns();
    hb_request(&w->conn, w->cs->method, w->path, body, w->body_len, &r);
    t1 = hb_now_ns();
    if (t0 >= t_warm)
        record(w, t1 - t0, &r, t1);
    if (r.status == 0) {        /* do not spin on a refused reconnect */
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

static void *worker_main(void *arg)
{
    run_worker *rw = arg;

    pthread_barrier_wait(&rw->sh->start);
    while (hb_now_ns() < rw->sh->t_end)
        one_request(&rw->w, rw->sh->t_warm);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static double quantile_ms(const uint32_t *sorted, size_t n, double q)
{
    double rank = q * (double)n;        /* nearest rank: ceil(q n) - 1 */
    size_t i = (size_t)rank;

    if ((double)i < rank)
        i++;
    if (n == 0)
        return 0;
    i = i == 0 ? 0 : i - 1;
    return (double)sorted[i < n ? i : n - 1] / 1e6;
}

static int acc_reserve(hb_acc *acc, size_t more)
{
    size_t cap = acc->cap_lat ? acc->cap_lat : 65536;
    uint32_t *p;

    while (cap < acc->n_lat + more)
        cap *= 2;
    if (cap == acc->cap_lat)
        return 0;
    p = realloc(acc->lat, cap * sizeof *p);
    if (p == NULL)
        return -1;
    acc->lat = p;
    acc->cap_lat = cap;
    return 0;
}

/* The rate and p99 of the slice whose latencies are acc->lat[from..]. */
static int slice_figures(hb_acc *acc, size_t from, uint64_t span_ns)
{
    size_t n = acc->n_lat - from;
    uint32_t *copy = malloc((n ? n : 1) * sizeof *copy);

    if (copy == NULL)
        return -1;
    memcpy(copy, acc->lat + from, n * sizeof *copy);
    qsort(copy, n, sizeof *copy, cmp_u32);
    if (acc->n_slices < HB_MAX_SLICES) {
        acc->slice_rps[acc->n_slices] =
            span_ns ? (double)n / ((double)span_ns / 1e9) : 0;
        acc->slice_p99[acc->n_slices++] = quantile_ms(copy, n, 0.99);
    }
    free(copy);
    return 0;
}

/* Add the workers' figures to acc. */
static int acc_add(hb_acc *acc, run_worker *ws, unsigned n, uint64_t t_warm)
{
    uint64_t last = t_warm;
    size_t s, from = acc->n_lat;
    unsigned i;

    for (i = 0; i < n; i++) {
        hb_worker *w = &ws[i].w;

        if (acc_reserve(acc, w->n_lat) != 0)
            return -1;
        memcpy(acc->lat + acc->n_lat, w->lat, w->n_lat * sizeof *w->lat);
        acc->n_lat += w->n_lat;
        for (s = 0; s < HB_STATUS_MAX; s++)
            acc->status[s] += w->status[s];
        acc->added += w->added;
        acc->all_requests += w->all_requests;
        last = w->last_end > last ? w->last_end : last;
    }
    acc->measured_ns += last - t_warm;
    return slice_figures(acc, from, last - t_warm);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double hb_slice_ratio(const hb_acc *a, const hb_acc *base, int which,
                      double *lo, double *hi)
{
    const double *x = which ? a->slice_p99 : a->slice_rps;
    const double *y = which ? base->slice_p99 : base->slice_rps;
    double r[HB_MAX_SLICES];
    unsigned n = 0, i;

    for (i = 0; i < a->n_slices && i < base->n_slices; i++)
        if (y[i] > 0)
            r[n++] = x[i] / y[i];
    *lo = *hi = 0;
    if (n == 0)
        return 0;
    qsort(r, n, sizeof *r, cmp_double);
    *lo = r[n / 4];
    *hi = r[(3 * n) / 4 < n ? (3 * n) / 4 : n - 1];
    return n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
}

int hb_acc_finish(hb_acc *acc, hb_result *r)
{
    size_t s, n = acc->n_lat;

    memset(r, 0, sizeof *r);
    qsort(acc->lat, n, sizeof *acc->lat, cmp_u32);
    r->requests = n;
    for (s = 0; s < HB_STATUS_MAX; s++) {
        r->status[s] = acc->status[s];
        r->errors += s / 100 == 2 ? 0 : acc->status[s];
    }
    r->added = acc->added;
    r->rps = acc->measured_ns ? (double)n / ((double)acc->measured_ns / 1e9)
                              : 0;
    r->p50_ms = quantile_ms(acc->lat, n, 0.50);
    r->p99_ms = quantile_ms(acc->lat, n, 0.99);
    r->cpu_us = acc->server_cpu_ns && acc->all_requests
                    ? (double)acc->server_cpu_ns / 1e3 /
                          (double)acc->all_requests
                    : -1;
    r->client_us = acc->all_requests ? (double)acc->client_cpu_ns / 1e3 /
                                           (double)acc->all_requests
                                     : 0;
    free(acc->lat);
    acc->lat = NULL;
    acc->n_lat = acc->cap_lat = 0;
    return 0;
}

static int open_workers(run_worker *ws, const hb_case *cs,
                        const hb_run_opts *o, run_shared *sh)
{
    unsigned i;

    for (i = 0; i < o->conns; i++) {
        hb_worker *w = &ws[i].w;

        ws[i].sh = sh;
        w->cs = cs;
        w->pool = o->pool;
        w->rng = (uint64_t)i * 1000003u + hb_now_ns();
        hb_conn_init(&w->conn, o->t);
        if (hb_conn_open(&w->conn) != 0) {
            fprintf(stderr, "http_bench: cannot connect to %s:%d\n",
                    o->t->host, o->t->port);
            return -1;
        }
    }
    return 0;
}

static void free_workers(run_worker *ws, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        hb_conn_free(&ws[i].w.conn);
        free(ws[i].w.body);
        free(ws[i].w.lat);
    }
    free(ws);
}

static int start_threads(run_worker *ws, unsigned n, unsigned *started)
{
    for (*started = 0; *started < n; (*started)++)
        if (pthread_create(&ws[*started].th, NULL, worker_main,
                           &ws[*started]) != 0)
            return -1;
    return 0;
}

static uint64_t own_cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int hb_run_slice(const hb_case *cs, const hb_run_opts *o, hb_acc *acc)
{
    run_worker *ws = calloc(o->conns, sizeof *ws);
    unsigned started = 0, i;
    uint64_t cpu0, own0;
    run_shared sh;
    int rc;

    if (ws == NULL || open_workers(ws, cs, o, &sh) != 0) {
        if (ws)
            free_workers(ws, o->conns);
        return -1;
    }
    pthread_barrier_init(&sh.start, NULL, o->conns + 1);
    if (start_threads(ws, o->conns, &started) != 0) {
        fprintf(stderr, "http_bench: cannot start %u threads\n", o->conns);
        exit(1);                /* the started ones wait at the barrier */
    }
    cpu0 = hb_cpu_ns(o->server);
    own0 = own_cpu_ns();
    sh.t_warm = hb_now_ns() + (uint64_t)(o->warmup * 1e9);
    sh.t_end = sh.t_warm + (uint64_t)(o->seconds * 1e9);
    pthread_barrier_wait(&sh.start);
    for (i = 0; i < started; i++)
        pthread_join(ws[i].th, NULL);
    acc->client_cpu_ns += own_cpu_ns() - own0;
    if (cpu0)
        acc->server_cpu_ns += hb_cpu_ns(o->server) - cpu0;
    pthread_barrier_destroy(&sh.start);
    rc = acc_add(acc, ws, o->conns, sh.t_warm);
    free_workers(ws, o->conns);
    return rc;
}
