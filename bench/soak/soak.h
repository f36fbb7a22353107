/*
 * soak.h - bench/soak: a long mixed workload against addrmand, to show that
 * the service neither fails (no 5xx) nor grows (resident memory flat after
 * the warm-up) under sustained use.
 *
 *   soak [--server PATH | --url http://127.0.0.1:PORT [--pid PID]] [options]
 *
 *   soak_main.c   options, the server, memory samples, report and verdict
 *   soak_load.c   worker threads: one libcurl multi handle each, one
 *                 transfer slot per connection, counts by kind and status
 *   soak_work.c   what each request is: the kinds, their weights, bodies
 *
 * The server is started and stopped by bench/http_bench/hb_server.c (and
 * hb_http.c for its /healthz probe), linked into this program as they are.
 */
#ifndef SOAK_H
#define SOAK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SK_STATUS_MAX 600       /* statuses 0 (transport error) .. 599 */
#define SK_PATH_MAX 192
#define SK_BASE_MAX 128
#define SK_URL_MAX (SK_BASE_MAX + SK_PATH_MAX)
#define SK_TOKEN_MAX 256
#define SK_TARGET_MAX 48        /* a ban target as text */
#define SK_IDS 512              /* ids a thread remembers, a ring */
#define SK_BANS 32              /* bans a thread may hold at once */
#define SK_NODES 4              /* nodes per thread, "soak-<thread>-<k>" */
#define SK_CONNS 8              /* peers a node is connected to at most */

/* ---- soak_work.c -------------------------------------------------------- */

enum sk_kind {
    SK_ADD,         /* POST /v1/peers */
    SK_ADDRV2,      /* POST /v1/peers/addrv2 */
    SK_SELECT,      /* POST /v1/select */
    SK_STATE,       /* PUT /v1/peers/{id}/state */
    SK_BAN,         /* POST /v1/bans */
    SK_UNBAN,       /* DELETE /v1/bans/{target} */
    SK_RELAY,       /* GET /v1/addresses */
    SK_STATS,       /* GET /v1/stats */
    SK_N_KINDS
};

extern const char *const sk_kind_name[SK_N_KINDS];
/* The one 4xx status each kind may provoke on purpose, 0 when none: a state
 * update of a peer evicted meanwhile, the lifting of a ban that expired or
 * was never there (404 both). */
extern const int sk_expected_4xx[SK_N_KINDS];

typedef struct sk_req {
    int kind;
    const char *method;
    char path[SK_PATH_MAX];
    char *body;                 /* NULL: none */
    size_t body_len, body_cap;
    int binary;                 /* application/octet-stream, else JSON */
    char ban[SK_TARGET_MAX];    /* SK_BAN: the target, kept when banned */
} sk_req;

/* The workload state of one thread (its slots share it). */
typedef struct sk_work {
    uint64_t rng;
    uint64_t ids[SK_IDS];       /* ids seen in select answers */
    size_t n_ids, next_id;
    char bans[SK_BANS][SK_TARGET_MAX];  /* our bans still in force */
    size_t n_bans;
    unsigned thread;                    /* names its nodes */
    uint64_t conns[SK_NODES][SK_CONNS]; /* each node's connections */
    unsigned n_conns[SK_NODES];
} sk_work;

uint64_t sk_rand(uint64_t *s);
void sk_work_init(sk_work *w, uint64_t seed, unsigned thread);
/* The next request of a mixed workload into r (its body buffer reused). */
void sk_next(sk_work *w, sk_req *r);
/* A POST /v1/peers of n new peers (the prefill). */
void sk_build_add(sk_work *w, sk_req *r, unsigned n);
/* A PUT /v1/peers/{id}/state of the default node (the prefill). */
void sk_mark(sk_req *r, uint64_t id, const char *state);
/* Learn from an answer: ids from select, targets of bans that took. */
void sk_learn(sk_work *w, const sk_req *r, long status, const char *body);
void sk_req_free(sk_req *r);

/* ---- soak_load.c -------------------------------------------------------- */

typedef struct sk_target {
    char base[SK_BASE_MAX];     /* "http://127.0.0.1:PORT" */
    char token[SK_TOKEN_MAX];   /* "" when none */
} sk_target;

typedef struct sk_counts {
    uint64_t status[SK_N_KINDS][SK_STATUS_MAX];
    uint64_t ns[SK_N_KINDS];    /* summed latency of the answered */
} sk_counts;

typedef struct sk_load sk_load;

/* Start `threads` threads sharing `conns` connections. */
sk_load *sk_load_start(const sk_target *t, unsigned conns, unsigned threads,
                       uint64_t seed);
/* Requests finished so far (answered or not), for progress lines. */
uint64_t sk_load_done(const sk_load *l);
/* Stop issuing, let what is in flight finish, join; sums into out. */
void sk_load_stop(sk_load *l, sk_counts *out);
/* One request outside the load (prefill, stats): its status, 0 on a
 * transport error; the answer's first out_len - 1 bytes into out (may be
 * NULL), NUL-terminated. */
long sk_request_once(const sk_target *t, const sk_req *r, char *out,
                     size_t out_len);
/* Close the connection of those requests. */
void sk_request_done(void);

#endif
