/*
 * it_api.h - v1 API helpers for the integration tests: adding peers,
 * fetching them, selecting, counting, and the cmocka fixtures.
 */
#ifndef IT_API_H
#define IT_API_H

#include "harness.h"
#include "itest_addr.h"

#define IT_PORT 8333

typedef struct it_counts {
    json_int_t added, updated, ignored;
    size_t n_errors;
} it_counts;

/* Fixture: a server per test (ours with --enable-debug, or the shared one);
 * teardown runs /debug/check and stops it with SIGTERM (exit 0). */
int it_fx_setup(void **state);
int it_fx_teardown(void **state);
/* Fixture without a server: the test starts one itself (it_start). */
int it_fx_setup_none(void **state);

/* Now, Unix seconds. */
json_int_t it_now(void);

/* "host:port", with brackets for IPv6 and CJDNS. */
void it_endpoint(const char *host, int port, char *out, size_t len);
/* "/v1/peers/<percent-encoded endpoint><suffix>". */
void it_peer_path(const char *host, int port, const char *suffix, char *out,
                  size_t len);

/* The "ignored_by" of an answer that counts "ignored" (adds, imports,
 * loads): an object of known reason names, each > 0, summing to
 * "ignored".  Fails the test otherwise. */
void it_check_ignored_by(const json_t *answer);
/* How many entries an answer says were ignored for `reason` (0 when the
 * reason is not listed); checks the whole member first. */
json_int_t it_ignored_by(const json_t *answer, const char *reason);

/* POST /v1/peers with `json`: asserts 200 and the answer's shape (its
 * ignored_by included); the errors array (new reference) into *errors when
 * not NULL. */
it_counts it_add_json(it_server *s, const char *json, json_t **errors);
/*
 * A fresh address may find its new-table slot held and be turned away
 * (ignored, table_full): in a shared pool by another test's peer, and on
 * our own server now and then too, since the bucketing key is fresh each
 * run (two addresses of one group heard from one source share a bucket,
 * and a slot one time in 64; onions and I2P have 16 groups).
 * IT_TURNED_AWAY(turned_away, &tries) is 1 when `turned_away` and fewer
 * than IT_FRESH_TRIES tries were made: the test then draws other
 * addresses.  A rule that turns an address away every time still fails.
 */
#define IT_FRESH_TRIES 50
#define IT_TURNED_AWAY(turned_away, tries)                                   \
    ((turned_away) && ++*(tries) < IT_FRESH_TRIES)

/* One peer, its own source; asserts it was added (a new peer). */
void it_add_one(it_server *s, const char *host, int port, uint64_t services);
/* Add host:port as one peer with `services`, heard from `source` (NULL:
 * from itself): 1 when added, 0 when turned away (the one entry ignored,
 * for reason `why` when it is not NULL, e.g. "table_full").  Anything
 * else (an error, an update, another reason) fails the test. */
int it_try_add(it_server *s, const char *host, int port, uint64_t services,
               const char *source, const char *why);
/* A fresh address of `kind` ('4' IPv4, '6' IPv6, 'o' Tor v3, 'i' I2P, 'c'
 * CJDNS) into host, added as one peer (its own source) on `port` with
 * `services`; another is drawn while one is turned away (IT_TURNED_AWAY). */
void it_add_fresh(it_server *s, int kind, int port, uint64_t services,
                  char host[IT_HOST_MAX]);
/* n unique IPv4 peers with `services`; their hosts into hosts[i]. */
void it_add_ipv4s(it_server *s, size_t n, uint64_t services,
                  char (*hosts)[IT_HOST_MAX]);

/* GET the peer (asserts 200 and its shape); a new reference. */
json_t *it_peer(it_server *s, const char *host, int port);
json_t *it_peer_id(it_server *s, json_int_t id);
/* HTTP status of GET /v1/peers/<endpoint>. */
long it_peer_status(it_server *s, const char *host, int port);
/* Check the members and types of a peer object. */
void it_check_peer_at(const json_t *p, const char *file, int line);
#define IT_CHECK_PEER(p) it_check_peer_at((p), __FILE__, __LINE__)

/* PUT .../state; asserts 200; the peer (new reference). */
json_t *it_set_state(it_server *s, const char *host, int port,
                     const char *state);

/* POST /v1/select with `json`: asserts 200; the peers array (new ref). */
json_t *it_select(it_server *s, const char *json);
/* Index of the peer with this address and port in an array, or -1. */
int it_find(const json_t *peers, const char *address, int port);

/* Peers matching the query of GET /v1/peers (e.g. "services=5"), by
 * following every page. */
size_t it_count_peers(it_server *s, const char *query);

/* GET /v1/stats as a new reference (asserts 200). */
json_t *it_stats(it_server *s);

/* POST /v1/bans {"target": target}: asserts 201; the ban (new ref). */
json_t *it_ban(it_server *s, const char *target);
/* DELETE /v1/bans/<path_target>, returns the status. */
long it_unban(it_server *s, const char *path_target);

/* Sum of every sample of a metric family in Prometheus text. */
double it_metric_sum(const char *text, const char *name);

#endif
