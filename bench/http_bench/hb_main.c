/*
 * hb_main.c - http_bench: requests per second and p50/p99 latency of the
 * addrmand HTTP service with 100 000 peers in the pool, per case and per
 * number of keep-alive connections, against GET /healthz as the baseline
 * of the HTTP stack itself.
 *
 *   http_bench [--server PATH | --url http://127.0.0.1:PORT] [options]
 *
 * One line per case and concurrency:
 *
 *   select_1 c=16 rps=.. p50=..ms p99=..ms ratio_rps=.. ratio_p99=..
 *            errors=N (status:count ...) cpu_us/req: server=.. client=..
 *
 * Each concurrency runs in rounds; a round is one short slice of every
 * case, the baseline first.  rps, p50 and p99 are over all slices;
 * ratio_* are the medians over the rounds of the case's slice against the
 * baseline's slice of the same round, which keeps the load of other jobs
 * on a shared machine out of the ratios.  CPU per request: the server's
 * when we know its pid, ours always.  The cases that keep the pool's size
 * (select_1, select_8, get_peer, state) run first; the adds after them,
 * in rounds with the baseline of their own.  Then the verdict on the
 * targets: select at >= 80 % of the baseline's rate and with a p99 within
 * 1.5x of the baseline's at the same concurrency.  The run stops by itself
 * (a watchdog ends it, and the server, should anything hang).
 *
 * With --shared it runs the shared-pool case instead (hb_shared.c): a
 * fleet of nodes selecting 8 peers each and reporting back, once per pool
 * size, each on a fresh server (with --url the pool grows from one size
 * to the next):
 *
 *   shared peers=5000 nodes=8 count=8 selects_per_s=.. full=..% ...
 */
#include "hb.h"

#include "bench_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef HB_DEFAULT_SERVER
#define HB_DEFAULT_SERVER "addrmand"
#endif

#define MAX_CONNS_LEVELS 8
#define MAX_EXTRA 32
#define TARGET_RATE 0.80
#define TARGET_P99 1.5
#define TRIED_SHARE 10          /* one peer in 10 is marked tried */
#define MAX_CASES 16
#define SLICE_SECONDS 0.25      /* default length of one slice */
#define WAIT_LOAD_MAX_S 600
#define MAX_SHARED_SIZES 4
#define SHARED_NODES 8

typedef struct opts {
    const char *server, *url, *log;
    unsigned threads;
    double seconds, warmup;     /* per case and concurrency; per slice */
    unsigned slices;            /* 0: one per SLICE_SECONDS */
    pid_t pid;                  /* server whose CPU is measured; 0 none */
    uint64_t peers;
    unsigned conns[MAX_CONNS_LEVELS];
    size_t n_conns;
    const char *extra[MAX_EXTRA + 1];
    size_t n_extra;
    const char *cases;          /* comma-separated names; NULL: all */
    double wait_load;           /* > 0: wait for a 1-minute load below it */
    int shared;                 /* the shared-pool case instead */
    uint64_t shared_peers[MAX_SHARED_SIZES];
    size_t n_shared;
    unsigned nodes;
    hb_target target;
} opts;

static hb_result results[MAX_CASES][MAX_CONNS_LEVELS];

/* ---- options ------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: http_bench [options]\n"
        "  --server PATH      addrmand binary to start (default %s)\n"
        "  --url URL          use a running server, http://IPV4:PORT\n"
        "  --token TOKEN      API token to send (default $ADDRMAND_API_TOKEN)\n"
        "  --threads N        server --threads (default: number of cores)\n"
        "  --server-arg ARG   one more argument for the server (repeatable)\n"
        "  --server-log FILE  keep the server's log there (default /dev/null)\n"
        "  --peers N          peers to put in the pool (default 100000)\n"
        "  --seconds S        measured time per case and concurrency (default 3)\n"
        "  --slices N         cut into N rounds of slices (default 1 per 0.25 s)\n"
        "  --warmup S         unmeasured time before each slice (default 0.05)\n"
        "  --server-pid PID   with --url: measure that process's CPU time\n"
        "  --conns LIST       connection counts (default 1,16,64)\n"
        "  --cases LIST       cases to run (default all; healthz always runs)\n"
        "  --wait-load L      first wait (up to 10 min) for a 1-minute load\n"
        "                     average below L: the machine may be shared\n"
        "  --shared           run the shared-pool case instead: nodes select\n"
        "                     8 peers and report them connected or failed\n"
        "  --shared-peers L   pool sizes for --shared (default 5000,100000)\n"
        "  --nodes N          nodes for --shared (default 8)\n"
        "  --quick            smoke run: 20000 peers, 0.3 s per case\n",
        HB_DEFAULT_SERVER);
}

static void defaults(opts *o)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(o, 0, sizeof *o);
    o->server = HB_DEFAULT_SERVER;
    o->threads = cores > 0 ? (unsigned)cores : 1;
    o->seconds = 3;
    o->warmup = 0.05;
    o->peers = 100000;
    o->conns[0] = 1;
    o->conns[1] = 16;
    o->conns[2] = 64;
    o->n_conns = 3;
    o->shared_peers[0] = 5000;
    o->shared_peers[1] = 100000;
    o->n_shared = 2;
    o->nodes = SHARED_NODES;
    if (getenv("ADDRMAND_API_TOKEN"))
        snprintf(o->target.token, sizeof o->target.token, "%s",
                 getenv("ADDRMAND_API_TOKEN"));
}

static int parse_conns(opts *o, const char *v)
{
    uint64_t n[MAX_CONNS_LEVELS];

    if (bench_parse_list(v, 1, 1000, n, MAX_CONNS_LEVELS, &o->n_conns) != 0)
        return -1;
    for (size_t i = 0; i < o->n_conns; i++)
        o->conns[i] = (unsigned)n[i];
    return 0;
}

static int parse_sizes(opts *o, const char *v)
{
    return bench_parse_list(v, 1, UINT64_MAX, o->shared_peers,
                            MAX_SHARED_SIZES, &o->n_shared);
}

/* "http://a.b.c.d:port" with an optional trailing slash. */
static int parse_url(hb_target *t, const char *url)
{
    const char *p = url, *colon;
    size_t hlen;

    if (strncmp(p, "http://", 7) != 0)
        return -1;
    p += 7;
    colon = strchr(p, ':');
    hlen = colon ? (size_t)(colon - p) : 0;
    if (hlen == 0 || hlen >= sizeof t->host)
        return -1;
    memcpy(t->host, p, hlen);
    t->host[hlen] = '\0';
    t->port = atoi(colon + 1);
    return t->port > 0 && t->port < 65536 ? 0 : -1;
}

static int set_option(opts *o, const char *name, const char *v)
{
    if (strcmp(name, "server") == 0)
        o->server = v;
    else if (strcmp(name, "url") == 0)
        return (o->url = v, parse_url(&o->target, v));
    else if (strcmp(name, "token") == 0)
        snprintf(o->target.token, sizeof o->target.token, "%s", v);
    else if (strcmp(name, "threads") == 0)
        return (o->threads = (unsigned)atoi(v)) > 0 ? 0 : -1;
    else if (strcmp(name, "server-arg") == 0 && o->n_extra < MAX_EXTRA)
        o->extra[o->n_extra++] = v;
    else if (strcmp(name, "server-log") == 0)
        o->log = v;
    else if (strcmp(name, "peers") == 0)
        o->peers = strtoull(v, NULL, 10);
    else if (strcmp(name, "seconds") == 0)
        return (o->seconds = atof(v)) > 0 ? 0 : -1;
    else if (strcmp(name, "warmup") == 0)
        return (o->warmup = atof(v)) >= 0 ? 0 : -1;
    else if (strcmp(name, "conns") == 0)
        return parse_conns(o, v);
    else if (strcmp(name, "cases") == 0)
        o->cases = v;
    else if (strcmp(name, "wait-load") == 0)
        return (o->wait_load = atof(v)) > 0 ? 0 : -1;
    else if (strcmp(name, "slices") == 0)
        return (o->slices = (unsigned)atoi(v)) > 0 ? 0 : -1;
    else if (strcmp(name, "shared-peers") == 0)
        return parse_sizes(o, v);
    else if (strcmp(name, "nodes") == 0)
        return (o->nodes = (unsigned)atoi(v)) > 0 && o->nodes <= 1000 ? 0
                                                                      : -1;
    else if (strcmp(name, "server-pid") == 0)
        return (o->pid = (pid_t)atoi(v)) > 0 ? 0 : -1;
    else
        return -1;
    return 0;
}

static int parse_args(opts *o, int argc, char **argv)
{
    int i;

    defaults(o);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *eq;
        char name[32];

        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--quick") == 0) {
            o->peers = 20000;
            o->seconds = 0.3;
            o->warmup = 0.05;
            o->slices = 1;
            o->shared_peers[1] = 20000;
            continue;
        }
        if (strcmp(a, "--shared") == 0) {
            o->shared = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            return -1;
        eq = strchr(a, '=');
        snprintf(name, sizeof name, "%.*s",
                 (int)(eq ? (size_t)(eq - a - 2) : strlen(a + 2)), a + 2);
        if (!eq && i + 1 >= argc)
            return -1;
        if (set_option(o, name, eq ? eq + 1 : argv[++i]) != 0)
            return -1;
    }
    return 0;
}

static int wanted(const opts *o, size_t c);

/* ---- machine and pool --------------------------------------------------- */

/* The value of the first line of `file` starting with `key`. */
static void proc_value(const char *file, const char *key, char *out,
                       size_t len)
{
    char line[512];
    FILE *f = fopen(file, "r");

    snprintf(out, len, "?");
    while (f && fgets(line, sizeof line, f)) {
        char *v = strchr(line, ':');

        if (strncmp(line, key, strlen(key)) != 0 || v == NULL)
            continue;
        v += 1 + strspn(v + 1, " \t");
        v[strcspn(v, "\n")] = '\0';
        snprintf(out, len, "%s", v);
        break;
    }
    if (f)
        fclose(f);
}

static void read_load(char *line, size_t len)
{
    FILE *f = fopen("/proc/loadavg", "r");

    snprintf(line, len, "?\n");
    if (f) {
        if (fgets(line, (int)len, f) == NULL)
            snprintf(line, len, "?\n");
        fclose(f);
    }
}

static void print_load(const char *when)
{
    char line[128];

    read_load(line, sizeof line);
    printf("# load average %s: %s", when, line);
}

/* Wait, up to WAIT_LOAD_MAX_S, for the 1-minute load to fall below max. */
static void wait_for_load(double max)
{
    char line[128];
    int waited;

    for (waited = 0; waited < WAIT_LOAD_MAX_S; waited += 5) {
        read_load(line, sizeof line);
        if (atof(line) < max)
            break;
        sleep(5);
    }
    printf("# waited %d s for a load average below %.2f\n", waited, max);
}

static void print_machine(int argc, char **argv)
{
    char model[256], mem[64];
    struct utsname u;
    int i;

    proc_value("/proc/cpuinfo", "model name", model, sizeof model);
    proc_value("/proc/meminfo", "MemTotal", mem, sizeof mem);
    if (uname(&u) != 0)
        snprintf(u.release, sizeof u.release, "?");
    printf("# command:");
    for (i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n# machine: %ld cores, %s, MemTotal %s, Linux %s\n",
           sysconf(_SC_NPROCESSORS_ONLN), model, mem, u.release);
}

/* The number after the first `prefix` in the body, or -1. */
static long long after_prefix(const hb_resp *r, const char *prefix)
{
    size_t k = strlen(prefix), i;

    for (i = 0; i + k < r->body_len; i++)
        if (memcmp(r->body + i, prefix, k) == 0)
            return strtoll(r->body + i + k, NULL, 10);
    return -1;
}

static void print_stats(const hb_target *t)
{
    hb_conn c;
    hb_resp r;

    hb_conn_init(&c, t);
    if (hb_request(&c, "GET", "/v1/stats", NULL, 0, &r) == 0 &&
        r.status == 200)
        printf("# pool: %lld peers, %lld in the new table, %lld in the "
               "tried table\n", after_prefix(&r, "{\"peers\":"),
               after_prefix(&r, "\"new\":{\"peers\":"),
               after_prefix(&r, "\"tried\":{\"peers\":"));
    hb_conn_free(&c);
}

/* Only the baseline asked for: no pool needed (e.g. against a bare
 * libmicrohttpd server, to calibrate). */
static int baseline_only(const opts *o)
{
    size_t c;

    for (c = 1; c < hb_n_cases; c++)
        if (wanted(o, c))
            return 0;
    return 1;
}

static int prepare_pool(hb_pool *p, const opts *o)
{
    uint64_t t0 = hb_now_ns();

    if (baseline_only(o))
        return 0;
    if (o->peers > 0 && hb_pool_fill(p, &o->target, o->peers) != 0)
        return -1;
    printf("# fill: posted %llu in batches of 1000, added %llu, ignored "
           "%llu (%.1f s)\n", (unsigned long long)p->posted,
           (unsigned long long)p->added, (unsigned long long)p->ignored,
           (double)(hb_now_ns() - t0) / 1e9);
    if (hb_pool_list(p, &o->target) != 0 ||
        hb_pool_mark_tried(p, &o->target, p->n_ids / TRIED_SHARE) != 0)
        return -1;
    printf("# marked tried: %zu of %zu asked landed in the tried table\n",
           p->n_tried, p->n_ids / TRIED_SHARE);
    print_stats(&o->target);
    return p->n_ids > 0 ? 0 : -1;
}

/* ---- report ------------------------------------------------------------- */

static void print_errors(const hb_result *r)
{
    int s, any = 0;

    printf("errors=%llu", (unsigned long long)r->errors);
    for (s = 0; s < HB_STATUS_MAX; s++) {
        if (s / 100 == 2 || r->status[s] == 0)
            continue;
        printf("%s", any++ ? " " : " (");
        if (s == 0)
            printf("io:%llu", (unsigned long long)r->status[s]);
        else
            printf("%d:%llu", s, (unsigned long long)r->status[s]);
    }
    if (any)
        printf(")");
}

static void print_line(const hb_case *cs, unsigned conns, const hb_result *r)
{
    printf("%-8s c=%-2u rps=%.0f p50=%.3fms p99=%.3fms ratio_rps=%.2f "
           "ratio_p99=%.2f ", cs->name, conns, r->rps, r->p50_ms, r->p99_ms,
           r->ratio_rps, r->ratio_p99);
    print_errors(r);
    if (r->cpu_us >= 0)
        printf(" cpu_us/req: server=%.1f", r->cpu_us);
    printf(" %s=%.1f", r->cpu_us >= 0 ? "client" : "cpu_us/req: client",
           r->client_us);
    if (cs->count_added)
        printf(" added=%llu", (unsigned long long)r->added);
    printf("\n");
    fflush(stdout);
}

/* Is case c asked for?  The baseline (case 0) always is. */
static int wanted(const opts *o, size_t c)
{
    const char *p = o->cases, *name = hb_cases[c].name;
    size_t len = strlen(name);

    if (c == 0 || p == NULL)
        return 1;
    for (; *p; p += strcspn(p, ","), p += *p == ',')
        if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\0'))
            return 1;
    return 0;
}

static unsigned slices_of(const opts *o)
{
    unsigned n = o->slices ? o->slices
                           : (unsigned)(o->seconds / SLICE_SECONDS + 0.5);

    return n == 0 ? 1 : n > HB_MAX_SLICES ? HB_MAX_SLICES : n;
}

/* Case c runs in this phase: the baseline always, then the cases that
 * keep the pool's size (adds = 0) or those that grow it (adds = 1). */
static int in_phase(const opts *o, size_t c, int adds)
{
    return c == 0 || (wanted(o, c) && hb_cases[c].count_added == adds);
}

static void finish_case(hb_acc *acc, size_t c, hb_result *r)
{
    hb_acc_finish(&acc[c], r);
    r->ratio_rps = hb_slice_ratio(&acc[c], &acc[0], 0, &r->rps_q[0],
                                  &r->rps_q[1]);
    r->ratio_p99 = hb_slice_ratio(&acc[c], &acc[0], 1, &r->p99_q[0],
                                  &r->p99_q[1]);
}

/*
 * One phase at one concurrency in rounds: each round runs one slice of
 * every case (baseline first), so that a neighbour's load on a shared
 * machine weighs on every case alike.  A ratio is the median over the
 * rounds of the case's slice against the baseline's slice of that round.
 */
static int run_level(const opts *o, hb_pool *p, int adds, size_t k)
{
    hb_run_opts ro = {&o->target, p, o->conns[k], 0, o->warmup, o->pid};
    static hb_acc acc[MAX_CASES];
    unsigned n = slices_of(o), s;
    hb_result r;
    size_t c;

    ro.seconds = o->seconds / n;
    memset(acc, 0, sizeof acc);
    for (s = 0; s < n; s++)
        for (c = 0; c < hb_n_cases; c++)
            if (in_phase(o, c, adds) &&
                hb_run_slice(&hb_cases[c], &ro, &acc[c]) != 0)
                return -1;
    for (c = 0; c < hb_n_cases; c++) {
        if (!in_phase(o, c, adds))
            continue;
        finish_case(acc, c, &r);
        if (c > 0 || !adds)
            results[c][k] = r;
    }
    for (c = 0; c < hb_n_cases; c++)
        if (in_phase(o, c, adds) && (c > 0 || !adds))
            print_line(&hb_cases[c], o->conns[k], &results[c][k]);
    return 0;
}

/* The cases that keep the pool's size first, then those that grow it. */
static int run_all(const opts *o, hb_pool *p)
{
    size_t k;
    int adds;

    for (adds = 0; adds <= 1; adds++)
        for (k = 0; k < o->n_conns; k++)
            if (run_level(o, p, adds, k) != 0)
                return -1;
    return 0;
}

static int verdict_one(const char *name, unsigned conns, const hb_result *r,
                       const hb_result *base)
{
    int rate_ok = r->ratio_rps >= TARGET_RATE;
    int p99_ok = r->ratio_p99 <= TARGET_P99;

    printf("target %s c=%u rate >= 80%% of healthz: %s (median ratio %.2f, "
           "quartiles %.2f-%.2f; overall %.0f vs %.0f req/s)\n", name, conns,
           rate_ok ? "met" : "MISSED", r->ratio_rps, r->rps_q[0],
           r->rps_q[1], r->rps, base->rps);
    printf("target %s c=%u p99 <= 1.5x healthz: %s (median ratio %.2f, "
           "quartiles %.2f-%.2f; overall %.3fms vs %.3fms)\n", name, conns,
           p99_ok ? "met" : "MISSED", r->ratio_p99, r->p99_q[0], r->p99_q[1],
           r->p99_ms, base->p99_ms);
    if (r->cpu_us > 0 && base->cpu_us > 0)      /* both sides share 2 cores */
        printf("  cross-check: CPU per request, server + client, %.1f vs "
               "%.1f us: a CPU-bound rate ratio of %.2f\n",
               r->cpu_us + r->client_us, base->cpu_us + base->client_us,
               (base->cpu_us + base->client_us) / (r->cpu_us + r->client_us));
    return !rate_ok + !p99_ok;
}

static int verdict(const opts *o)
{
    int missed = 0;
    size_t c, k;
    uint64_t errors = 0;

    printf("\n");
    for (c = 0; c < hb_n_cases; c++)
        for (k = 0; k < o->n_conns; k++) {
            errors += results[c][k].errors;
            if (strncmp(hb_cases[c].name, "select", 6) == 0 && wanted(o, c))
                missed += verdict_one(hb_cases[c].name, o->conns[k],
                                      &results[c][k], &results[0][k]);
        }
    printf("errors (non-2xx or transport) over all cases: %llu\n",
           (unsigned long long)errors);
    printf("verdict: %s\n", missed ? "some targets missed" : "all targets met");
    return missed;
}

/* ---- main --------------------------------------------------------------- */

static void arm_watchdog(const opts *o)
{
    double per_run = o->seconds + slices_of(o) * (o->warmup + 0.5);
    unsigned budget = (unsigned)(per_run * (double)(hb_n_cases * o->n_conns)) +
                      180 + (unsigned)(o->peers / 1000);
    size_t i;

    if (o->shared)
        for (budget = 180, i = 0; i < o->n_shared; i++)
            budget += (unsigned)(o->seconds + o->warmup) + 10 +
                      (unsigned)(o->shared_peers[i] / 500);

    signal(SIGPIPE, SIG_IGN);
    hb_watchdog("http_bench", budget);
}

static int start_server(opts *o, hb_server *s)
{
    /* Core-sized tables (1024/256 buckets of 64) hold at most ~80 000
     * peers.  Periodic snapshots (persist_bench's subject) would land in
     * whichever slice runs when they come; the journal is still written. */
    static const char *const fixed[] = {"--new-buckets=4096",
                                        "--tried-buckets=1024",
                                        "--save-interval=0"};
    const char *args[MAX_EXTRA + 5];
    hb_server_opts so = {o->server, o->threads, o->log, args};
    size_t i, n = 0;

    for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        args[n++] = fixed[i];
    /* The fleet packs hours of a real fleet's selects into seconds: with
     * the real 600 s, a failed peer would rest through the whole run and
     * the failures alone would drain a small pool. */
    if (o->shared)
        args[n++] = "--retry-time=1";
    for (i = 0; i < o->n_extra; i++)
        args[n++] = o->extra[i];
    args[n] = NULL;
    printf("# server: %s --threads=%u", o->server, o->threads);
    for (i = 0; args[i]; i++)
        printf(" %s", args[i]);
    printf(" (log to %s)\n", o->log ? o->log : "/dev/null");
    return hb_server_start(s, &so, &o->target);
}

/* ---- the shared pool ---------------------------------------------------- */

static void print_shared(uint64_t peers, size_t pool, unsigned nodes,
                         const hb_shared_result *r)
{
    double s = r->seconds > 0 ? r->seconds : 1;

    printf("shared peers=%llu pool=%zu nodes=%u count=%d selects_per_s=%.0f "
           "full=%.1f%% avg_peers=%.2f p50=%.3fms p99=%.3fms "
           "states_per_s=%.0f selects=%llu errors=%llu\n",
           (unsigned long long)peers, pool, nodes, HB_SHARED_COUNT,
           (double)r->selects / s,
           r->selects ? 100.0 * (double)r->full / (double)r->selects : 0,
           r->selects ? (double)r->peers / (double)r->selects : 0,
           r->p50_ms, r->p99_ms, (double)r->states / s,
           (unsigned long long)r->selects, (unsigned long long)r->errors);
}

/* One pool size: a fresh server (unless --url), the pool, the fleet. */
static int run_shared_size(opts *o, hb_pool *p, uint64_t peers)
{
    hb_shared_opts so = {&o->target, o->nodes, o->seconds, o->warmup};
    hb_server server = {0, NULL, "", 0};
    hb_shared_result r;
    int rc = -1;

    if (o->url == NULL) {
        memset(p, 0, sizeof *p);
        atomic_init(&p->next_addr, 0);
        if (start_server(o, &server) != 0)
            return -1;
        o->pid = server.pid;
    }
    free(p->tried);             /* --url: the pool grows, tried anew */
    p->tried = NULL;
    o->peers = peers;
    if (prepare_pool(p, o) == 0 && hb_shared_run(&so, &r) == 0) {
        print_shared(peers, p->n_ids, o->nodes, &r);
        rc = 0;
    }
    if (o->url == NULL) {
        hb_pool_free(p);
        hb_server_stop(&server);
    }
    return rc;
}

static int run_shared(opts *o)
{
    hb_pool pool;
    size_t i;
    int rc = 0;

    memset(&pool, 0, sizeof pool);
    atomic_init(&pool.next_addr, 0);
    printf("# shared: %u nodes, each round: disconnected for last round's "
           "peers, select count %d (default lease, diverse), each peer "
           "reported connected or (1 in 4) failed; %.1f s per pool size "
           "after %.2f s of warm-up\n", o->nodes, HB_SHARED_COUNT,
           o->seconds, o->warmup);
    for (i = 0; i < o->n_shared && rc == 0; i++)
        rc = run_shared_size(o, &pool, o->shared_peers[i]);
    hb_pool_free(&pool);
    if (rc == 0)
        print_load("after");
    return rc;
}

int main(int argc, char **argv)
{
    hb_server server = {0, NULL, "", 0};
    hb_pool pool;
    opts o;
    int rc = 1;

    if (parse_args(&o, argc, argv) != 0) {
        usage(stderr);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    print_machine(argc, argv);
    if (o.wait_load > 0)
        wait_for_load(o.wait_load);
    print_load("before");
    arm_watchdog(&o);
    if (o.shared)
        return run_shared(&o) == 0 ? 0 : 1;
    memset(&pool, 0, sizeof pool);
    atomic_init(&pool.next_addr, 0);
    if (o.url == NULL && start_server(&o, &server) != 0)
        return 1;
    if (o.url == NULL) {
        o.pid = server.pid;
        printf("# server pid %d, data in %s/data\n", (int)server.pid,
               server.dir);
    }
    printf("# target: http://%s:%d; %.1f s per case and concurrency, in %u "
           "rounds of slices, each after %.2f s of warm-up\n",
           o.target.host, o.target.port, o.seconds, slices_of(&o), o.warmup);
    if (prepare_pool(&pool, &o) == 0 && run_all(&o, &pool) == 0) {
        print_load("after");
        verdict(&o);
        rc = 0;
    }
    hb_pool_free(&pool);
    hb_server_stop(&server);
    return rc;
}
