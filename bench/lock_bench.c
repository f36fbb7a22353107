/*
 * lock_bench.c - how long a select waits while a large add or import is
 * being answered: the durable pool takes its lock in slices (st_pool.h),
 * so a select should wait for one slice at most, never for the whole
 * document.
 *
 *   lock_bench [--entries N] [--selectors N] [--rounds N] [--dir DIR]
 *              [--quick]
 *
 * Everything goes through api_handle() (no sockets), against a data
 * directory of its own (the journal is written as in the service).  A pool
 * of 20 000 peers is filled first.  Then `selectors` threads (default 1)
 * each send POST /v1/select {"count": 8, "lease_seconds": 0} back to back,
 * timing each one:
 *   - alone, for the baseline;
 *   - while one more thread sends, `rounds` times (default 2), a POST
 *     /v1/peers of `entries` new peers (default 150 000: a 9 MB body) and
 *     a POST /v1/import?format=lines of as many.
 * Printed: the body sizes and times, then per phase the selects done and
 * their latency (median, 99th percentile, maximum) and the pool's lock
 * figures (st_lock_stats: the longest wait for it, by any caller, and the
 * longest hold), and two target lines: the longest wait for the lock, and
 * the longest select, during the adds, each under 5 ms.  The first is
 * what slicing bounds; the second also holds whatever the machine adds
 * (a thread not scheduled for a few ms shows there, not in the first).
 * --quick: 30 000 entries, one round.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addrman.h"
#include "api.h"
#include "bench_util.h"
#include "st_pool.h"
#include "st_store.h"

#define FILL_PEERS 20000
#define NEW_BUCKETS 4096
#define TRIED_BUCKETS 1024
#define TARGET_MS 5.0
#define MAX_SELECTORS 8
#define MAX_SAMPLES (1u << 22)

static char g_root[256];

static void quiet_log(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "store: %s\n", msg);
}

typedef struct bench_svc {
    st_store *store;
    am_man *core;
    st_pool *pool;
    api_ctx *api;
} bench_svc;

static void svc_open(bench_svc *s)
{
    st_store_opts o;
    st_pool_config pc;
    api_config cfg;
    am_config c;
    char why[256], path[300];
    int rc;

    snprintf(path, sizeof path, "%s/data", g_root);
    st_store_opts_default(&o);
    o.keep_sizes = 1;
    o.log = quiet_log;
    if (st_store_open(path, &o, &s->store, why, sizeof why) != AM_OK) {
        fprintf(stderr, "lock_bench: %s\n", why);
        exit(1);
    }
    am_config_default(&c);
    c.new_buckets = NEW_BUCKETS;
    c.tried_buckets = TRIED_BUCKETS;
    if ((rc = st_store_config(s->store, &c)) != AM_OK)
        bench_die("lock_bench", "config", rc);
    if ((rc = am_new(&c, &s->core)) != AM_OK)
        bench_die("lock_bench", "am_new", rc);
    if ((rc = st_store_load(s->store, s->core, NULL)) != AM_OK)
        bench_die("lock_bench", "load", rc);
    memset(&pc, 0, sizeof pc);
    pc.core = s->core;
    pc.store = s->store;
    if ((rc = st_pool_new(&pc, &s->pool)) != AM_OK)
        bench_die("lock_bench", "st_pool_new", rc);
    api_config_default(&cfg);
    cfg.pool = s->pool;
    if ((rc = api_new(&cfg, &s->api)) != AM_OK)
        bench_die("lock_bench", "api_new", rc);
}

static void svc_close(bench_svc *s)
{
    api_free(s->api);
    st_pool_free(s->pool);
    st_store_close(s->store);
    am_free(s->core);
}

static int post(api_ctx *api, const char *path, const char *query,
                const char *type, const char *body, size_t len)
{
    api_request rq = {"POST", path, query, type, NULL, body, len, 0};
    api_response resp;
    int status;

    api_handle(api, &rq, &resp);
    status = resp.status;
    api_response_free(&resp);
    return status;
}

/* n new addresses from the stream *seed: a JSON add body, or lines. */
static char *make_body(size_t n, uint64_t *seed, int lines, size_t *len)
{
    size_t cap = 64 + n * 64, off = 0;
    char *b = malloc(cap), text[AM_ADDR_STRLEN];

    if (b == NULL)
        bench_die("lock_bench", "body", AM_ERR_NOMEM);
    if (!lines)
        off += (size_t)snprintf(b, cap, "{\"peers\": [");
    for (size_t i = 0; i < n; i++) {
        am_addr a = bench_random_ipv4(seed, 8333);
        am_addr_format(&a, text, sizeof text);
        if (lines)
            off += (size_t)snprintf(b + off, cap - off, "%s\n", text);
        else
            off += (size_t)snprintf(b + off, cap - off,
                                    "%s{\"address\": \"%s\", \"services\": "
                                    "1033}", i ? ", " : "", text);
    }
    if (!lines)
        off += (size_t)snprintf(b + off, cap - off, "]}");
    *len = off;
    return b;
}

/* ---- the selecting threads ------------------------------------------- */

typedef struct selector {
    pthread_t th;
    api_ctx *api;
    atomic_int *stop;
    double *ms;             /* latencies of this phase */
    size_t n;
} selector;

static void *select_loop(void *arg)
{
    /* No lease: a node leasing 8 more peers at every call would soon hold
     * every network group, and its diverse selects would then measure the
     * search for a free group, not the wait for the lock. */
    static const char body[] = "{\"count\": 8, \"lease_seconds\": 0}";
    selector *s = arg;

    while (!atomic_load(s->stop) && s->n < MAX_SAMPLES) {
        double t0 = bench_now_s();
        if (post(s->api, "/v1/select", NULL, "application/json", body,
                 sizeof body - 1) != 200)
            bench_die("lock_bench", "POST /v1/select", AM_ERR_IO);
        s->ms[s->n++] = (bench_now_s() - t0) * 1e3;
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

typedef struct phase {
    selector sel[MAX_SELECTORS];
    unsigned n_sel;
    atomic_int stop;
} phase;

static void phase_start(phase *p, api_ctx *api, unsigned n_sel)
{
    memset(p, 0, sizeof *p);
    p->n_sel = n_sel;
    atomic_store(&p->stop, 0);
    for (unsigned i = 0; i < n_sel; i++) {
        p->sel[i].api = api;
        p->sel[i].stop = &p->stop;
        p->sel[i].ms = malloc(MAX_SAMPLES * sizeof(double));
        if (p->sel[i].ms == NULL)
            bench_die("lock_bench", "samples", AM_ERR_NOMEM);
        if (pthread_create(&p->sel[i].th, NULL, select_loop, &p->sel[i]) != 0)
            bench_die("lock_bench", "pthread_create", AM_ERR_NOMEM);
    }
}

/* Stop the selectors; the phase's maximum latency in ms. */
static double phase_end(phase *p, const char *what)
{
    size_t total = 0, k = 0;
    double *all, max;

    atomic_store(&p->stop, 1);
    for (unsigned i = 0; i < p->n_sel; i++) {
        pthread_join(p->sel[i].th, NULL);
        total += p->sel[i].n;
    }
    all = malloc((total ? total : 1) * sizeof *all);
    if (all == NULL)
        bench_die("lock_bench", "samples", AM_ERR_NOMEM);
    for (unsigned i = 0; i < p->n_sel; i++) {
        memcpy(all + k, p->sel[i].ms, p->sel[i].n * sizeof *all);
        k += p->sel[i].n;
        free(p->sel[i].ms);
    }
    qsort(all, total, sizeof *all, cmp_double);
    max = total ? all[total - 1] : 0;
    printf("%s: %zu selects, latency median %.3f ms, p99 %.3f ms, "
           "max %.3f ms\n", what, total, total ? all[total / 2] : 0,
           total ? all[total * 99 / 100] : 0, max);
    free(all);
    return max;
}

/* ---- main ------------------------------------------------------------ */

/* The pool's lock over the phase: "lock: ..." line; its longest wait. */
static double lock_line(bench_svc *s)
{
    st_lock_stats ls;

    st_pool_lock_stats(s->pool, &ls, 1);
    printf("  lock: %llu holds, longest wait %.3f ms, longest hold %.3f ms\n",
           (unsigned long long)ls.takes, ls.max_wait_s * 1e3,
           ls.max_hold_s * 1e3);
    return ls.max_wait_s * 1e3;
}

/* One large request while the selectors run; their longest latency, and
 * in *wait the longest wait for the lock. */
static double run_big(bench_svc *s, unsigned n_sel, const char *what,
                      const char *path, const char *query, const char *type,
                      const char *body, size_t len, double *wait)
{
    phase p;
    double t0, t, max;
    int status;

    phase_start(&p, s->api, n_sel);
    st_pool_lock_stats(s->pool, &(st_lock_stats){0}, 1);
    bench_sleep_ms(20);
    t0 = bench_now_s();
    status = post(s->api, path, query, type, body, len);
    t = bench_now_s() - t0;
    if (status != 200)
        bench_die("lock_bench", what, AM_ERR_IO);
    printf("%s of %.1f MB answered in %.3f s\n", what, (double)len / 1e6, t);
    max = phase_end(&p, "  selects meanwhile");
    *wait = lock_line(s);
    return max;
}

int main(int argc, char **argv)
{
    size_t entries = 150000, rounds = 2, len, llen;
    unsigned n_sel = 1;
    const char *dir = NULL;
    uint64_t seed = 99;
    double worst = 0, worst_wait = 0, m, w;
    bench_svc s;
    phase base;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            entries = 30000;
            rounds = 1;
        } else if (strcmp(argv[i], "--entries") == 0 && i + 1 < argc) {
            entries = (size_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--selectors") == 0 && i + 1 < argc) {
            n_sel = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            rounds = (size_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else {
            fprintf(stderr, "usage: lock_bench [--entries N] [--selectors N] "
                            "[--rounds N] [--dir DIR] [--quick]\n");
            return 2;
        }
    }
    if (n_sel == 0 || n_sel > MAX_SELECTORS) {
        fprintf(stderr, "lock_bench: --selectors is 1 to %d\n", MAX_SELECTORS);
        return 2;
    }
#ifdef __GLIBC__
    /* As the daemon (server/main.c): large blocks always mapped, so that
     * a grown table comes as fresh zero pages. */
    (void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
    snprintf(g_root, sizeof g_root, "%s/lock_bench.XXXXXX",
             dir ? dir : "/tmp");
    if (mkdtemp(g_root) == NULL) {
        perror("lock_bench: mkdtemp");
        return 1;
    }
    svc_open(&s);
    {
        char *fill = make_body(FILL_PEERS, &seed, 0, &len);
        if (post(s.api, "/v1/peers", NULL, "application/json", fill, len) != 200)
            bench_die("lock_bench", "filling the pool", AM_ERR_IO);
        free(fill);
    }
    printf("pool: %zu peers; %u selecting thread%s, each POST /v1/select "
           "{\"count\": 8, \"lease_seconds\": 0} back to back\n", am_size(s.core), n_sel,
           n_sel == 1 ? "" : "s");
    st_pool_lock_stats(s.pool, &(st_lock_stats){0}, 1);
    phase_start(&base, s.api, n_sel);
    bench_sleep_ms(2000);
    phase_end(&base, "no add running (baseline, 2 s)");
    (void)lock_line(&s);
    for (size_t r = 0; r < rounds; r++) {
        char *body = make_body(entries, &seed, 0, &len);
        char *lines = make_body(entries, &seed, 1, &llen);

        m = run_big(&s, n_sel, "POST /v1/peers", "/v1/peers", NULL,
                    "application/json", body, len, &w);
        worst = m > worst ? m : worst;
        worst_wait = w > worst_wait ? w : worst_wait;
        m = run_big(&s, n_sel, "POST /v1/import?format=lines", "/v1/import",
                    "format=lines", "text/plain", lines, llen, &w);
        worst = m > worst ? m : worst;
        worst_wait = w > worst_wait ? w : worst_wait;
        free(body);
        free(lines);
    }
    printf("pool after: %zu peers\n", am_size(s.core));
    printf("target longest wait for the lock during a %zu-entry add under "
           "%.0f ms: %s (%.3f ms)\n", entries, TARGET_MS,
           worst_wait < TARGET_MS ? "met" : "MISSED", worst_wait);
    printf("target select max latency during a %zu-entry add under %.0f ms: "
           "%s (%.3f ms)\n", entries, TARGET_MS,
           worst < TARGET_MS ? "met" : "MISSED", worst);
    svc_close(&s);
    if (!dir)
        bench_remove_tree(g_root);
    return 0;
}
