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
/* One peer, its own source; asserts it was added (a new peer). */
void it_add_one(it_server *s, const char *host, int port, uint64_t services);
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
