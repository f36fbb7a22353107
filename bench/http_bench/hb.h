/*
 * hb.h - bench/http_bench: requests per second and latency of the HTTP
 * service, against a server it starts itself or one given by --url.
 *
 *   hb_http.c    a minimal HTTP/1.1 keep-alive client on a raw socket
 *   hb_server.c  starting and stopping the addrmand binary
 *   hb_pool.c    filling the pool, listing its ids, marking a part tried
 *   hb_cases.c   the request of each case
 *   hb_run.c     worker threads, one connection each, latencies
 *   hb_shared.c  the shared pool: a fleet of nodes selecting and reporting
 *   hb_main.c    options, machine description, report and verdict
 */
#ifndef HB_H
#define HB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HB_HOST_MAX 64
#define HB_TOKEN_MAX 256
#define HB_PATH_MAX 192
#define HB_STATUS_MAX 600       /* statuses 0 (transport error) .. 599 */

/* ---- hb_http.c ---------------------------------------------------------- */

typedef struct hb_target {
    char host[HB_HOST_MAX];     /* IPv4 literal */
    int port;
    char token[HB_TOKEN_MAX];   /* "" when none */
} hb_target;

typedef struct hb_conn {
    int fd;                     /* -1: not connected (the next request connects) */
    const hb_target *t;
    char *buf;                  /* received bytes; a response at the start */
    size_t cap, len;
    size_t used;                /* bytes of the last response, dropped next time */
} hb_conn;

typedef struct hb_resp {
    int status;                 /* 0: transport error */
    const char *body;           /* inside the connection's buffer */
    size_t body_len;
} hb_resp;

void hb_conn_init(hb_conn *c, const hb_target *t);
int hb_conn_open(hb_conn *c);
void hb_conn_close(hb_conn *c);
void hb_conn_free(hb_conn *c);
/* Send one request (body may be NULL) and read the whole response: 0, or
 * -1 on a transport error (the connection is closed; the next call
 * reconnects). */
int hb_request(hb_conn *c, const char *method, const char *path,
               const char *body, size_t body_len, hb_resp *out);
/* Does s[0..len) hold `word` (case-insensitive)? */
int hb_holds(const char *s, size_t len, const char *word);
/* The unsigned integer after "key": in a JSON text, or -1. */
int64_t hb_json_u64(const char *body, size_t len, const char *key);
uint64_t hb_now_ns(void);

/* ---- hb_server.c -------------------------------------------------------- */

typedef struct hb_server {
    pid_t pid;
    const char *bin;
    char dir[64];               /* temp dir; data/ inside */
    int port;
} hb_server;

typedef struct hb_server_opts {
    const char *bin;
    unsigned threads;
    const char *log;            /* its stderr; NULL: /dev/null */
    const char *const *extra;   /* more arguments, NULL-terminated */
} hb_server_opts;

int hb_server_start(hb_server *s, const hb_server_opts *o, hb_target *t);
void hb_server_stop(hb_server *s);
/* For the watchdog: the pid to kill, 0 when none. */
extern volatile pid_t hb_server_pid;
/* After `seconds`, SIGKILL the server (hb_server_pid), say
 * "<prog>: watchdog: the run took too long" on stderr and _exit(3). */
void hb_watchdog(const char *prog, unsigned seconds);

/* ---- hb_pool.c ---------------------------------------------------------- */

typedef struct hb_pool {
    uint64_t *ids;              /* every peer's id, ascending */
    size_t n_ids;
    uint64_t *tried;            /* those marked tried by us */
    size_t n_tried;
    uint64_t posted, added, ignored;
    atomic_uint_least64_t next_addr;    /* generator index of new addresses */
} hb_pool;

/* Routable IPv4 address number `i` of a fixed sequence, every one distinct;
 * 0 when that index is not routable (take the next). */
uint32_t hb_addr_of(uint64_t i);
/* The next never-used routable address as "a.b.c.d". */
void hb_next_addr(hb_pool *p, char out[16]);
/* Source number k, from a part of the sequence peers never reach. */
void hb_source_addr(uint64_t k, char out[16]);
int hb_pool_fill(hb_pool *p, const hb_target *t, uint64_t want);
int hb_pool_list(hb_pool *p, const hb_target *t);
int hb_pool_mark_tried(hb_pool *p, const hb_target *t, size_t n);
void hb_pool_free(hb_pool *p);

/* ---- hb_cases.c / hb_run.c ---------------------------------------------- */

typedef struct hb_worker hb_worker;

typedef struct hb_case {
    const char *name;
    const char *method;
    void (*build)(hb_worker *w);    /* fills w->path and w->body */
    int count_added;                /* sum "added" of the answers */
} hb_case;

struct hb_worker {
    const hb_case *cs;
    hb_pool *pool;
    hb_conn conn;
    uint64_t rng;
    uint64_t seq;                   /* requests built so far */
    char path[HB_PATH_MAX];
    char *body;
    size_t body_len, body_cap;
    uint32_t *lat;                  /* ns, measured requests only */
    size_t n_lat, cap_lat;
    uint64_t status[HB_STATUS_MAX];
    uint64_t added;
    uint64_t all_requests;
    uint64_t last_end;
};

extern const hb_case hb_cases[];
extern const size_t hb_n_cases;

/* Append to w->body; the builders' only way to write it. */
void hb_body_printf(hb_worker *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
uint64_t hb_rand(uint64_t *s);

#define HB_MAX_SLICES 64

/* One case at one concurrency, summed over its slices. */
typedef struct hb_acc {
    uint32_t *lat;                  /* ns of every measured request */
    size_t n_lat, cap_lat;
    uint64_t measured_ns;           /* sum of the slices' measured spans */
    uint64_t all_requests;          /* warm-up included (for CPU shares) */
    uint64_t server_cpu_ns;         /* over whole slices, warm-up included */
    uint64_t client_cpu_ns;         /* ours, the same way */
    uint64_t status[HB_STATUS_MAX];
    uint64_t added;
    unsigned n_slices;              /* each slice's own figures: */
    double slice_rps[HB_MAX_SLICES], slice_p99[HB_MAX_SLICES];
} hb_acc;

typedef struct hb_result {
    uint64_t requests;              /* measured, errors included */
    uint64_t errors;
    uint64_t status[HB_STATUS_MAX];
    uint64_t added;
    double rps, p50_ms, p99_ms;
    double ratio_rps, ratio_p99;    /* to the baseline; set by the caller: */
    double rps_q[2], p99_q[2];      /* medians of the slices' ratios and
                                       their quartiles */
    double cpu_us;                  /* server CPU per request; < 0 unknown */
    double client_us;               /* our CPU per request */
} hb_result;

typedef struct hb_run_opts {
    const hb_target *t;
    hb_pool *pool;
    unsigned conns;
    double seconds, warmup;         /* of one slice */
    pid_t server;                   /* 0: CPU not measured */
} hb_run_opts;

/* Run one slice of a case and add its figures to acc. */
int hb_run_slice(const hb_case *cs, const hb_run_opts *o, hb_acc *acc);
/* Sort and summarize; acc's latencies are freed, its slices kept. */
int hb_acc_finish(hb_acc *acc, hb_result *r);
/* The median over the slices of slice(a) / slice(base), for rps (which = 0)
 * or p99 (which = 1); lo and hi get the quartiles. */
double hb_slice_ratio(const hb_acc *a, const hb_acc *base, int which,
                      double *lo, double *hi);
/* CPU time used by every thread of pid so far, ns; 0 when unknown. */
uint64_t hb_cpu_ns(pid_t pid);

/* ---- hb_shared.c -------------------------------------------------------- */

#define HB_SHARED_COUNT 8       /* peers a node asks for in one select */

typedef struct hb_shared_opts {
    const hb_target *t;
    unsigned nodes;                 /* threads, each a node of its own name */
    double seconds, warmup;
} hb_shared_opts;

typedef struct hb_shared_result {
    uint64_t selects;               /* measured select requests */
    uint64_t full;                  /* ... whose answer held HB_SHARED_COUNT */
    uint64_t peers;                 /* peers handed out in them */
    uint64_t states;                /* measured state updates */
    uint64_t errors;                /* non-2xx among both */
    double seconds;                 /* measured span */
    double p50_ms, p99_ms;          /* select latency */
} hb_shared_result;

int hb_shared_run(const hb_shared_opts *o, hb_shared_result *r);

#endif
