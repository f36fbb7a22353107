/*
 * it_persist.h - helpers for the persistence tests: the whole pool with
 * its placement, the ban list, comparing them, files of the data
 * directory, restarting on the same directory.
 */
#ifndef IT_PERSIST_H
#define IT_PERSIST_H

#include "it_api.h"

/* Every peer (GET /v1/peers, all pages) in id order; with `place`, each
 * gets the member "place" from GET /debug/place/{id} (table and slots).
 * A new reference. */
json_t *it_pool(it_server *s, int place);
/* A pool (it_pool) as it comes back from its files, where no connection
 * outlives the process that held it: each "connected" peer is "tried". */
void it_pool_unconnected(json_t *peers);
/* The "bans" array of GET /v1/bans (new reference). */
json_t *it_bans(it_server *s);
/* Fail, naming the first difference, unless a and b are equal JSON. */
void it_same_json(const json_t *a, const json_t *b, const char *what);

/*
 * Fill a pool for round trips: n_ipv4 IPv4 peers (some announced by several
 * sources, so they hold several new slots) and a few of every other
 * network, in both tables, with services, failed attempts, a removal; with
 * IT_FILL_BANS, bans on one of the peers, a subnet and an onion name, and a
 * ban made and lifted; with IT_FILL_OLD, first some peers last seen 40 days
 * ago (terrible: later adds may evict them).  Then a select, which may
 * settle collisions.
 */
#define IT_FILL_BANS 1
#define IT_FILL_OLD 2
#define IT_FILL_ALL (IT_FILL_BANS | IT_FILL_OLD)
void it_fill(it_server *s, size_t n_ipv4, int flags);

/* Stop with `sig` (SIGTERM must give exit 0; SIGKILL is a crash) and start
 * again on the same data directory with `args`. */
void it_bounce(it_server *s, int sig, const char *const *args);

/* A file of the data directory: write it whole, read it (malloc'd,
 * NUL-terminated; NULL when absent). */
void it_file_put(const it_server *s, const char *name, const void *data,
                 size_t len);
char *it_file_get(const it_server *s, const char *name, size_t *len);
/* The first entry of the data directory whose name starts with `prefix`
 * into out (1), or 0 when there is none; *count (optional) gets how many
 * there are. */
int it_file_find(const it_server *s, const char *prefix, char *out,
                 size_t len, size_t *count);
/* Our server's log so far (malloc'd, NUL-terminated). */
char *it_log_get(const it_server *s, size_t *len);
/* A file of the source tree (tests/data/...), malloc'd. */
char *it_data_file(const char *rel, size_t *len);

/* One sample of a metric (by exact name) from GET /metrics. */
double it_metric(it_server *s, const char *name);

/* POST a document to /v1/import?format=<format> (the rest of the query
 * may follow: "lines&services=9"), as text/plain for format=lines and
 * application/json otherwise: the answer, status checked (new reference
 * to the body). */
json_t *it_import(it_server *s, const char *format, const char *doc,
                  size_t len, long status);

#endif
