/*
 * ec.h - bench/eclipse: eclipse-attack scenarios against a real addrmand,
 * driven over HTTP, next to a naive pool (one uniform list, Floresta's).
 *
 * ec_http.c    the HTTP client (libcurl, one easy handle: keep-alive)
 * ec_server.c  an addrmand on free loopback ports (HTTP, P2P) and a fresh
 *              data dir
 * ec_p2p.c     a stock node's getaddr over the P2P face
 * ec_pool.c    random numbers, address keys, the naive pool
 * ec_main.c    options, the honest pool, the scenarios, the report
 */
#ifndef EC_H
#define EC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "addrv2.h"
#include "netaddr.h"

/* ---- random numbers (splitmix64: reproducible from --seed) ---- */
typedef struct ec_rng {
    uint64_t s;
} ec_rng;

uint64_t ec_rand(ec_rng *r);
uint64_t ec_below(ec_rng *r, uint64_t n);   /* uniform in [0, n), n > 0 */

/* ---- growing text buffer ---- */
typedef struct ec_buf {
    char *p;
    size_t len, cap;
} ec_buf;

void ec_buf_reset(ec_buf *b);
void ec_buf_add(ec_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ec_buf_free(ec_buf *b);

/* ---- HTTP client ---- */
typedef struct ec_http ec_http;

/* base: "http://127.0.0.1:8380" (no trailing slash); token may be NULL. */
int ec_http_open(ec_http **out, const char *base, const char *token);
void ec_http_close(ec_http *h);
/*
 * One request: method "GET", "POST" or "PUT", path from the root, body
 * (JSON) or NULL.  Returns the HTTP status, or -1 when the transport failed
 * (message on stderr).  *json (optional) gets the parsed answer or NULL;
 * the caller json_decref()s it.
 */
long ec_http_call(ec_http *h, const char *method, const char *path,
                  const char *body, size_t body_len, json_t **json);
uint64_t ec_http_requests(const ec_http *h);
/* 1: transport errors are not printed. */
void ec_http_quiet(ec_http *h, int quiet);

/* ---- the server under test ---- */
typedef struct ec_server {
    pid_t pid;
    char root[256];     /* temp dir: data/ and server.log */
    char url[64];
    int p2p_port;       /* the P2P face's, on 127.0.0.1 */
} ec_server;

/* Start `bin` with --listen 127.0.0.1:<free port> --p2p-listen
 * 127.0.0.1:<another free port> --datadir <root>/data plus args; wait
 * until /readyz answers 200.  0, or -1 (reported).  (The P2P port is
 * chosen here, not read from the log: at --log-level warn the daemon does
 * not log its "p2p listening on" line.) */
int ec_server_start(ec_server *s, const char *bin, char *const *args,
                    int n_args);
/* SIGTERM (SIGKILL after 10 s), then remove the temp dir unless keep. */
void ec_server_stop(ec_server *s, int keep);

/* ---- a stock node's getaddr ---- */
/* Connect to 127.0.0.1:port, shake hands as a protocol-70016 node of the
 * main chain without sendaddrv2, send getaddr and read the `addr` answer
 * into out[0..*n) (cap >= 1000: an answer holds at most 1000).  0, or -1
 * (reason on stderr). */
int ec_p2p_getaddr(int port, am_addrv2_entry *out, size_t cap, size_t *n);

/* ---- addresses ---- */
/* A 64-bit key for an endpoint (network, bytes, port); never 0. */
uint64_t ec_key(const am_addr *a);
void ec_v4(am_addr *a, uint32_t ip, uint16_t port);
/* Canonical host text. */
void ec_host(const am_addr *a, char *buf, size_t len);

/* A set of 64-bit keys (never 0). */
typedef struct ec_set {
    uint64_t *k;
    size_t n, cap;      /* cap: power of two */
} ec_set;

void ec_set_init(ec_set *s);
void ec_set_free(ec_set *s);
int ec_set_add(ec_set *s, uint64_t key);        /* 1 added, 0 known */
int ec_set_has(const ec_set *s, uint64_t key);

/* ---- the naive pool: one list of at most `cap` addresses; a newcomer
 * beyond it evicts the entry with the oldest last_connected (announced
 * time), the newcomer itself when it is the oldest (Floresta). ---- */
typedef struct ec_naive ec_naive;

ec_naive *ec_naive_new(size_t cap);
void ec_naive_free(ec_naive *n);
/* Known keys are left alone. */
void ec_naive_add(ec_naive *n, uint64_t key, int64_t time, int attacker);
size_t ec_naive_size(const ec_naive *n);
size_t ec_naive_attackers(const ec_naive *n);
int ec_naive_has(const ec_naive *n, uint64_t key);
/* Attacker share of `draws` uniform draws. */
double ec_naive_share(const ec_naive *n, ec_rng *r, size_t draws);

#endif
