#include "api_metrics.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "am_error.h"

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE",
                                      "OTHER"};
#define N_METHODS (sizeof methods / sizeof methods[0])

/* Every status the API answers with; anything else would count as "other". */
static const int statuses[] = {200, 201, 204, 400, 401, 404, 405,
                               409, 413, 415, 500, 503};
#define N_STATUSES (sizeof statuses / sizeof statuses[0] + 1)

static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                0.005,  0.01,    0.025,  0.05,  0.1,
                                0.25,   0.5,     1.0,    2.5,   5.0, 10.0};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

typedef struct hist {
    atomic_uint_least64_t bucket[N_BOUNDS + 1];   /* last: above every bound */
    atomic_uint_least64_t count;
    atomic_uint_least64_t sum_ns;
} hist;

struct api_metrics {
    size_t n_labels;                  /* routes + "unmatched" */
    const char *const *labels;
    atomic_uint_least64_t *requests;  /* [label][method][status] */
    hist *hists;                      /* [label] */
    atomic_uint_least64_t ignored[ST_IGN_COUNT];
};

static size_t n_counters(size_t n_labels)
{
    return n_labels * N_METHODS * N_STATUSES;
}

int api_metrics_new(const char *const *labels, size_t n, api_metrics **out)
{
    api_metrics *m = calloc(1, sizeof *m);
    size_t i, j;

    *out = NULL;
    if (m == NULL)
        return AM_ERR_NOMEM;
    m->n_labels = n + 1;
    m->labels = labels;
    m->requests = calloc(n_counters(m->n_labels), sizeof *m->requests);
    m->hists = calloc(m->n_labels, sizeof *m->hists);
    if (m->requests == NULL || m->hists == NULL) {
        api_metrics_free(m);
        return AM_ERR_NOMEM;
    }
    for (i = 0; i < n_counters(m->n_labels); i++)
        atomic_init(&m->requests[i], 0);
    for (i = 0; i < m->n_labels; i++) {
        for (j = 0; j <= N_BOUNDS; j++)
            atomic_init(&m->hists[i].bucket[j], 0);
        atomic_init(&m->hists[i].count, 0);
        atomic_init(&m->hists[i].sum_ns, 0);
    }
    for (i = 0; i < ST_IGN_COUNT; i++)
        atomic_init(&m->ignored[i], 0);
    *out = m;
    return AM_OK;
}

void api_metrics_free(api_metrics *m)
{
    if (m == NULL)
        return;
    free(m->requests);
    free(m->hists);
    free(m);
}

static size_t method_index(const char *method)
{
    size_t i;

    for (i = 0; i + 1 < N_METHODS; i++)
        if (strcmp(method, methods[i]) == 0)
            return i;
    return N_METHODS - 1;
}

static size_t status_index(int status)
{
    size_t i;

    for (i = 0; i + 1 < N_STATUSES; i++)
        if (statuses[i] == status)
            return i;
    return N_STATUSES - 1;
}

static const char *label_name(const api_metrics *m, size_t label)
{
    return label + 1 < m->n_labels ? m->labels[label] : "unmatched";
}

void api_metrics_observe(api_metrics *m, size_t label, const char *method,
                         int status, double seconds)
{
    size_t b = 0, idx;
    hist *h;

    if (label >= m->n_labels)
        label = m->n_labels - 1;
    idx = (label * N_METHODS + method_index(method)) * N_STATUSES +
          status_index(status);
    atomic_fetch_add_explicit(&m->requests[idx], 1, memory_order_relaxed);
    h = &m->hists[label];
    while (b < N_BOUNDS && seconds > bounds[b])
        b++;
    atomic_fetch_add_explicit(&h->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    if (seconds > 0)
        atomic_fetch_add_explicit(&h->sum_ns, (uint64_t)(seconds * 1e9),
                                  memory_order_relaxed);
}

void api_metrics_ignored(api_metrics *m, const size_t by[ST_IGN_COUNT])
{
    for (size_t i = 0; i < ST_IGN_COUNT; i++)
        if (by[i] > 0)
            atomic_fetch_add_explicit(&m->ignored[i], by[i],
                                      memory_order_relaxed);
}

static uint64_t load(const atomic_uint_least64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

static void write_requests(const api_metrics *m, js_buf *b)
{
    size_t l, me, s;

    js_buf_puts(b, "# HELP addrmand_http_requests_total HTTP requests answered, "
                    "by route pattern, method and status.\n"
                    "# TYPE addrmand_http_requests_total counter\n");
    for (l = 0; l < m->n_labels; l++) {
        for (me = 0; me < N_METHODS; me++) {
            for (s = 0; s < N_STATUSES; s++) {
                uint64_t v = load(&m->requests[(l * N_METHODS + me) *
                                               N_STATUSES + s]);
                if (v == 0)
                    continue;
                js_buf_printf(b, "addrmand_http_requests_total{route=\"%s\","
                                  "method=\"%s\",status=\"",
                               label_name(m, l), methods[me]);
                if (s + 1 < N_STATUSES)
                    js_buf_printf(b, "%d", statuses[s]);
                else
                    js_buf_puts(b, "other");
                js_buf_printf(b, "\"} %llu\n", (unsigned long long)v);
            }
        }
    }
}

static void write_hist(const api_metrics *m, size_t l, js_buf *b)
{
    const hist *h = &m->hists[l];
    const char *name = label_name(m, l);
    uint64_t cum = 0, count = load(&h->count);
    size_t i;

    for (i = 0; i < N_BOUNDS; i++) {
        cum += load(&h->bucket[i]);
        js_buf_printf(b, "addrmand_http_request_duration_seconds_bucket"
                          "{route=\"%s\",le=\"%g\"} %llu\n",
                       name, bounds[i], (unsigned long long)cum);
    }
    js_buf_printf(b, "addrmand_http_request_duration_seconds_bucket"
                      "{route=\"%s\",le=\"+Inf\"} %llu\n",
                   name, (unsigned long long)count);
    js_buf_printf(b, "addrmand_http_request_duration_seconds_sum"
                      "{route=\"%s\"} %.9f\n",
                   name, (double)load(&h->sum_ns) / 1e9);
    js_buf_printf(b, "addrmand_http_request_duration_seconds_count"
                      "{route=\"%s\"} %llu\n",
                   name, (unsigned long long)count);
}

/* Every reason, 0 included, so that a rate over any of them is defined
 * from the start. */
static void write_ignored(const api_metrics *m, js_buf *b)
{
    js_buf_puts(b, "# HELP addrmand_peers_ignored_total Entries that adds, "
                    "imports and loads ignored, by reason.\n"
                    "# TYPE addrmand_peers_ignored_total counter\n");
    for (size_t i = 0; i < ST_IGN_COUNT; i++)
        js_buf_printf(b, "addrmand_peers_ignored_total{reason=\"%s\"} %llu\n",
                       st_ignore_name((st_ignore)i),
                       (unsigned long long)load(&m->ignored[i]));
}

void api_metrics_write(const api_metrics *m, js_buf *b)
{
    size_t l;

    write_requests(m, b);
    js_buf_puts(b, "# HELP addrmand_http_request_duration_seconds Time to "
                    "answer a request, by route pattern.\n"
                    "# TYPE addrmand_http_request_duration_seconds histogram\n");
    for (l = 0; l < m->n_labels; l++)
        if (load(&m->hists[l].count) > 0)
            write_hist(m, l, b);
    write_ignored(m, b);
}

