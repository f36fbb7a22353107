/*
 * api_metrics.h - HTTP request counters and latency histograms, and the
 * count of entries to add that were ignored, by reason.
 *
 * Counts requests by route label, method and status, and keeps one latency
 * histogram per route label.  Route labels are fixed when the metrics are
 * created (the route patterns, never raw paths, so the series stay few);
 * one more label, "unmatched", takes requests that matched no route.
 * Methods outside GET/HEAD/POST/PUT/DELETE count as "OTHER".
 *
 * THREADS: api_metrics_observe() may run on many threads at once (C11
 * relaxed atomics, no lock); api_metrics_write() reads a consistent-enough
 * snapshot for Prometheus (each number is exact, the set is not atomic).
 */
#ifndef API_METRICS_H
#define API_METRICS_H

#include <stddef.h>

#include "js_buf.h"
#include "st_ignore.h"

typedef struct api_metrics api_metrics;

/* labels[0..n) are borrowed and must outlive the metrics.  AM_OK or
 * AM_ERR_NOMEM. */
int api_metrics_new(const char *const *labels, size_t n, api_metrics **out);
void api_metrics_free(api_metrics *m);

/* `label` is an index into the labels, or n for "unmatched". */
void api_metrics_observe(api_metrics *m, size_t label, const char *method,
                         int status, double seconds);

/* Entries that adds, imports and loads ignored, by reason (st_ignore.h):
 * by[reason] more for each. */
void api_metrics_ignored(api_metrics *m, const size_t by[ST_IGN_COUNT]);

/* Prometheus text: addrmand_http_requests_total and
 * addrmand_http_request_duration_seconds, series with no requests left out;
 * addrmand_peers_ignored_total{reason}, every reason (0 included). */
void api_metrics_write(const api_metrics *m, js_buf *b);

#endif
