/*
 * hb_pool.c - the pool the cases run against: routable IPv4 peers posted
 * in batches of 1000, each batch with its own source, until the wanted
 * number is in the pool; then every id listed, and a part marked tried so
 * that both tables hold peers.
 *
 * Addresses come from a bijective mix of a counter, so they spread over
 * the /16s (one or two peers per group) and never repeat: the add cases
 * continue the same counter and always post new addresses.
 */
#include "hb.h"
#include "bench_util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILL_BATCH 1000
#define FILL_MAX_FACTOR 4       /* give up after posting 4x the wanted count */
#define LIST_PAGE 10000
#define MARK_THREADS 4
#define SOURCE_BASE (UINT64_C(1) << 31)
#define SERVICES 1033           /* NETWORK | WITNESS | NETWORK_LIMITED */

uint32_t hb_addr_of(uint64_t i)
{
    uint32_t x = (uint32_t)i;

    x *= 0x9e3779b1u;           /* each step is a bijection of 32 bits */
    x ^= x >> 15;
    x *= 0x85ebca77u;
    x ^= x >> 13;
    return bench_ipv4_routable(x) ? x : 0;
}

static void format_addr(uint32_t a, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
             (a >> 8) & 255, a & 255);
}

void hb_next_addr(hb_pool *p, char out[16])
{
    uint32_t a;

    do
        a = hb_addr_of(atomic_fetch_add(&p->next_addr, 1));
    while (a == 0);
    format_addr(a, out);
}

void hb_source_addr(uint64_t k, char out[16])
{
    uint64_t i = SOURCE_BASE + k * 7;
    uint32_t a;

    while ((a = hb_addr_of(i)) == 0)
        i++;
    format_addr(a, out);
}

/* A growable text buffer for the fill bodies. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static int text_add(text *t, const char *piece)
{
    size_t n = strlen(piece);

    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 65536;
        char *s;

        while (cap < t->len + n + 1)
            cap *= 2;
        s = realloc(t->s, cap);
        if (s == NULL)
            return -1;
        t->s = s;
        t->cap = cap;
    }
    memcpy(t->s + t->len, piece, n + 1);
    t->len += n;
    return 0;
}

static int fill_body(hb_pool *p, uint64_t batch, text *t)
{
    char addr[16], piece[96];
    int rc = 0, i;

    t->len = 0;
    hb_source_addr(batch, addr);
    snprintf(piece, sizeof piece, "{\"source\":\"%s\",\"peers\":[", addr);
    rc |= text_add(t, piece);
    for (i = 0; i < FILL_BATCH; i++) {
        hb_next_addr(p, addr);
        snprintf(piece, sizeof piece, "%s{\"address\":\"%s\",\"services\":%d}",
                 i ? "," : "", addr, SERVICES);
        rc |= text_add(t, piece);
    }
    return rc | text_add(t, "]}");
}

static int fill_batch(hb_pool *p, hb_conn *c, uint64_t batch, text *t)
{
    hb_resp r;
    int64_t added, ignored;

    if (fill_body(p, batch, t) != 0 ||
        hb_request(c, "POST", "/v1/peers", t->s, t->len, &r) != 0 ||
        r.status != 200) {
        fprintf(stderr, "http_bench: POST /v1/peers failed (status %d)\n",
                r.status);
        return -1;
    }
    added = hb_json_u64(r.body, r.body_len, "added");
    ignored = hb_json_u64(r.body, r.body_len, "ignored");
    p->posted += FILL_BATCH;
    p->added += added > 0 ? (uint64_t)added : 0;
    p->ignored += ignored > 0 ? (uint64_t)ignored : 0;
    return 0;
}

int hb_pool_fill(hb_pool *p, const hb_target *tg, uint64_t want)
{
    text t = {NULL, 0, 0};
    uint64_t batch = 0;
    hb_conn c;
    int rc = 0;

    hb_conn_init(&c, tg);
    while (rc == 0 && p->added < want &&
           p->posted < want * FILL_MAX_FACTOR)
        rc = fill_batch(p, &c, batch++, &t);
    hb_conn_free(&c);
    free(t.s);
    return rc;
}

/* Append the ids of one page; "next" of the page, 0 at the end. */
static int list_page(hb_pool *p, const hb_resp *r, size_t *cap,
                     uint64_t *next)
{
    static const char key[] = "{\"id\":";
    size_t i, k = sizeof key - 1;

    for (i = 0; i + k < r->body_len; i++) {
        if (memcmp(r->body + i, key, k) != 0)
            continue;
        if (p->n_ids == *cap) {
            uint64_t *ids = realloc(p->ids, (*cap = *cap ? *cap * 2 : 65536) *
                                                sizeof *ids);
            if (ids == NULL)
                return -1;
            p->ids = ids;
        }
        p->ids[p->n_ids++] = (uint64_t)hb_json_u64(r->body + i + 1,
                                                   r->body_len - i - 1, "id");
    }
    *next = 0;
    if (hb_json_u64(r->body, r->body_len, "next") > 0)
        *next = (uint64_t)hb_json_u64(r->body, r->body_len, "next");
    return 0;
}

int hb_pool_list(hb_pool *p, const hb_target *t)
{
    char path[HB_PATH_MAX];
    size_t cap = 0;
    uint64_t after = 0;
    hb_conn c;
    hb_resp r;
    int rc = 0;

    hb_conn_init(&c, t);
    p->n_ids = 0;
    do {
        snprintf(path, sizeof path, "/v1/peers?limit=%d&after=%llu",
                 LIST_PAGE, (unsigned long long)after);
        if (hb_request(&c, "GET", path, NULL, 0, &r) != 0 || r.status != 200) {
            fprintf(stderr, "http_bench: GET %s failed (status %d)\n", path,
                    r.status);
            rc = -1;
        } else {
            rc = list_page(p, &r, &cap, &after);
        }
    } while (rc == 0 && after != 0);
    hb_conn_free(&c);
    return rc;
}

typedef struct mark_job {
    const hb_target *t;
    const uint64_t *ids;
    size_t n;
    unsigned char *landed;      /* 1: the peer is in the tried table now */
    int failed;
} mark_job;

static void *mark_thread(void *arg)
{
    static const char tried[] = "\"table\":\"tried\"";
    static const char body[] = "{\"state\":\"tried\"}";
    mark_job *j = arg;
    char path[HB_PATH_MAX];
    hb_conn c;
    hb_resp r;
    size_t i;

    hb_conn_init(&c, j->t);
    for (i = 0; i < j->n && !j->failed; i++) {
        snprintf(path, sizeof path, "/v1/peers/%llu/state",
                 (unsigned long long)j->ids[i]);
        if (hb_request(&c, "PUT", path, body, sizeof body - 1, &r) != 0 ||
            r.status != 200) {
            j->failed = 1;
            break;
        }
        j->landed[i] = (unsigned char)hb_holds(r.body, r.body_len, tried);
    }
    hb_conn_free(&c);
    return NULL;
}

/* Ids spread over the whole pool, every n_ids/n-th. */
static uint64_t *spread_ids(const hb_pool *p, size_t n)
{
    uint64_t *out = malloc((n ? n : 1) * sizeof *out);
    size_t i;

    for (i = 0; out != NULL && i < n; i++)
        out[i] = p->ids[i * p->n_ids / n];
    return out;
}

static int run_marks(mark_job *jobs, const hb_target *t, const uint64_t *pick,
                     unsigned char *landed, size_t n)
{
    pthread_t th[MARK_THREADS];
    size_t k, started, per = (n + MARK_THREADS - 1) / MARK_THREADS;
    int failed = 0;

    for (started = 0; started < MARK_THREADS; started++) {
        size_t from = started * per < n ? started * per : n;

        jobs[started] = (mark_job){t, pick + from,
                                   n - from < per ? n - from : per,
                                   landed + from, 0};
        if (pthread_create(&th[started], NULL, mark_thread,
                           &jobs[started]) != 0)
            break;
    }
    for (k = 0; k < started; k++) {
        pthread_join(th[k], NULL);
        failed |= jobs[k].failed;
    }
    return failed || started < MARK_THREADS ? -1 : 0;
}

int hb_pool_mark_tried(hb_pool *p, const hb_target *t, size_t n)
{
    mark_job jobs[MARK_THREADS];
    uint64_t *pick;
    unsigned char *landed;
    size_t i;
    int rc;

    if (n > p->n_ids)
        n = p->n_ids;
    pick = spread_ids(p, n);
    landed = calloc(n ? n : 1, 1);
    p->tried = malloc((n ? n : 1) * sizeof *p->tried);
    if (pick == NULL || landed == NULL || p->tried == NULL) {
        free(pick);
        free(landed);
        return -1;
    }
    rc = run_marks(jobs, t, pick, landed, n);
    for (i = 0, p->n_tried = 0; i < n; i++)
        if (landed[i])
            p->tried[p->n_tried++] = pick[i];
    if (rc != 0)
        fprintf(stderr, "http_bench: PUT /v1/peers/{id}/state failed\n");
    free(pick);
    free(landed);
    return rc;
}

void hb_pool_free(hb_pool *p)
{
    free(p->ids);
    free(p->tried);
    p->ids = p->tried = NULL;
}
