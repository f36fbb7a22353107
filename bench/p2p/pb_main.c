/*
 * pb_main.c - p2p_bench: the Bitcoin P2P face of addrmand under load.
 *
 *   p2p_bench [--server PATH] [options]
 *
 * Starts the addrmand built here on free loopback ports (HTTP, and P2P
 * with --p2p-listen 127.0.0.1:0, its port read from the log line
 * "p2p listening on 127.0.0.1:PORT"), --chain main, no per-IP or per-group
 * cap, --p2p-max-connections = the idle count; fills the pool over HTTP
 * with routable peers (NODE_NETWORK, one or two per /16); raises its own
 * RLIMIT_NOFILE to the hard limit first, which the server inherits.  Then:
 *
 *  1. rates: at each concurrency (default 1, 64, 512) connections cycle
 *     connect, handshake, getaddr, answer read, close:
 *       p2p_getaddr c=64 rate=.. answers=.. entries_avg=.. p50=..ms
 *                   p99=..ms errors=N (...) server_us=.. client_us=..
 *  2. idle: N connections (default 10 000) complete the handshake and stay;
 *     the server's gauge and resident memory (VmRSS) before and after:
 *       p2p_idle conns=10000 held=.. metric_ready=.. open_s=.. hold_s=..
 *                rss_before_kb=.. rss_after_kb=.. bytes_per_conn=.. lost=..
 *  3. HTTP under P2P load: rounds of a POST /v1/select slice alone, then
 *     one while the 512-connection getaddr cycle runs in another thread
 *     (http_bench's client and slices); the ratio is the median over the
 *     rounds of loaded/alone:
 *       p2p_http case=select_8 http_conns=4 p2p_conns=512 alone_rps=..
 *                loaded_rps=.. ratio=.. ratio_q=..-.. p2p_rate=.. ...
 *
 * and the verdict lines bench/run reads:
 *       target idle connections held: met|MISSED (held of N)
 *       target http select under p2p load >= 0.80: met|MISSED (ratio ..)
 *
 * Phase 3 cuts the comparison into short slices, alone and loaded side by
 * side, so that the neighbours' load on a shared machine falls on both of
 * a pair; the median of the pairs' ratios is the figure.
 *
 * The client shares the machine with the server (2 cores on the reference
 * machine): every rate here is the pair's, not the server's alone; the CPU
 * each side spent per answer is printed to tell them apart.  Exit status:
 * 0 when every phase ran (a target may be missed), 1 when the bench could
 * not run (server, fill, descriptors).
 */
#include "hb.h"
#include "pb.h"
#include "bench_util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PB_DEFAULT_SERVER
#define PB_DEFAULT_SERVER "addrmand"
#endif

#define MAX_LEVELS 8
#define MAX_EXTRA 32
#define TARGET_RATIO 0.80
#define FDS_SPARE 256           /* descriptors besides the P2P sockets */
#define IN_FLIGHT 256           /* idle phase: connects under way at once */
#define PORT_WAIT_MS 10000
#define DRAIN_WAIT_S 30         /* for the server to count its closes */
#define P2P_WARMUP_S 0.5
#define LOAD_WARMUP_S 0.3       /* phase 3: the load's ramp before a slice */
#define HTTP_WARMUP_S 0.1

typedef struct opts {
    const char *server;
    const char *extra[MAX_EXTRA + 1];
    size_t n_extra;
    unsigned threads;           /* server --threads */
    uint64_t peers;
    unsigned levels[MAX_LEVELS];
    size_t n_levels;
    double seconds;             /* per concurrency level */
    unsigned idle;
    double hold;
    unsigned load_conns;        /* the P2P load of phase 3 */
    double load_rate;           /* its cap, getaddr cycles/s; 0: none */
    unsigned load_nice;         /* the load thread's nice value */
    unsigned rounds;
    double slice;               /* one HTTP slice */
    unsigned http_conns;
    const char *http_case;
    int addrv2;
    int keep;
    const char *phases;         /* "123" by default */
} opts;

/* The run's shared state: the server, its targets, the P2P side. */
typedef struct bench {
    const opts *o;
    hb_server srv;
    hb_target http;
    pb_target p2p;
    char dir[64];               /* our temp dir: the server's log */
    char log[96];
    hb_pool pool;
} bench;

/* ---- options ----------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: p2p_bench [options]\n"
        "  --server PATH       addrmand binary to start (default %s)\n"
        "  --server-arg ARG    one more argument for the server (repeatable)\n"
        "  --threads N         server --threads (default: number of cores)\n"
        "  --peers N           peers to put in the pool (default 20000)\n"
        "  --conns LIST        phase 1 concurrencies (default 1,64,512)\n"
        "  --seconds S         phase 1: measured time per level (default 5)\n"
        "  --idle N            phase 2: connections held (default 10000)\n"
        "  --hold S            phase 2: time they are held (default 3)\n"
        "  --load-conns N      phase 3: P2P connections of the load\n"
        "                      (default 512)\n"
        "  --load-rate R       phase 3: at most R new P2P connections a\n"
        "                      second (default 0: as fast as answered)\n"
        "  --load-nice N       phase 3: nice value of the load's thread\n"
        "                      (default 19: it stands for peers on other\n"
        "                      hosts, so it takes only the CPU that the\n"
        "                      server and the HTTP client leave; 0: as\n"
        "                      they)\n"
        "  --rounds N          phase 3: rounds of alone + loaded (default 20)\n"
        "  --slice S           phase 3: one slice (default 0.75)\n"
        "  --http-conns N      phase 3: keep-alive HTTP connections\n"
        "                      (default 4)\n"
        "  --http-case NAME    phase 3: select_1 or select_8 (default\n"
        "                      select_8)\n"
        "  --phases LIST       the phases to run, e.g. 13 (default 123)\n"
        "  --v1                no sendaddrv2: answers are addr, not addrv2\n"
        "  --keep              keep the server's temp dir and log\n"
        "  --quick             smoke run: 5000 peers, 1000 idle, short\n"
        "                      phases\n",
        PB_DEFAULT_SERVER);
}

static void defaults(opts *o)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(o, 0, sizeof *o);
    o->server = PB_DEFAULT_SERVER;
    o->threads = cores > 0 ? (unsigned)cores : 1;
    o->peers = 20000;
    o->levels[0] = 1;
    o->levels[1] = 64;
    o->levels[2] = 512;
    o->n_levels = 3;
    o->seconds = 5;
    o->idle = 10000;
    o->hold = 3;
    o->load_conns = 512;
    o->load_nice = 19;
    o->rounds = 20;
    o->slice = 0.75;
    o->http_conns = 4;
    o->http_case = "select_8";
    o->addrv2 = 1;
    o->phases = "123";
}

static void quick(opts *o)
{
    o->peers = 5000;
    o->seconds = 1;
    o->idle = 1000;
    o->hold = 1;
    o->rounds = 1;
    o->slice = 1;
}

static int parse_levels(opts *o, const char *v)
{
    uint64_t n[MAX_LEVELS];

    if (bench_parse_list(v, 1, 100000, n, MAX_LEVELS, &o->n_levels) != 0)
        return -1;
    for (size_t i = 0; i < o->n_levels; i++)
        o->levels[i] = (unsigned)n[i];
    return 0;
}

/* A number in (0, max]. */
static int parse_positive(const char *v, double max, double *out)
{
    char *end;
    double s = strtod(v, &end);

    if (end == v || *end || !(s > 0) || s > max)
        return -1;
    *out = s;
    return 0;
}

static int parse_seconds(const char *v, double *out)
{
    return parse_positive(v, 3600, out);
}

/* One option with a value; -1 when unknown or bad. */
static int option(opts *o, const char *name, const char *v)
{
    unsigned u;

    if (strcmp(name, "--server") == 0)
        o->server = v;
    else if (strcmp(name, "--server-arg") == 0 && o->n_extra < MAX_EXTRA)
        o->extra[o->n_extra++] = v;
    else if (strcmp(name, "--threads") == 0)
        return bench_parse_unsigned(v, 1, 1024, &o->threads);
    else if (strcmp(name, "--peers") == 0) {
        if (bench_parse_unsigned(v, 1, 10000000, &u) != 0)
            return -1;
        o->peers = u;
    } else if (strcmp(name, "--conns") == 0)
        return parse_levels(o, v);
    else if (strcmp(name, "--seconds") == 0)
        return parse_seconds(v, &o->seconds);
    else if (strcmp(name, "--idle") == 0)
        return bench_parse_unsigned(v, 1, 1000000, &o->idle);
    else if (strcmp(name, "--hold") == 0)
        return parse_seconds(v, &o->hold);
    else if (strcmp(name, "--load-conns") == 0)
        return bench_parse_unsigned(v, 1, 100000, &o->load_conns);
    else if (strcmp(name, "--load-nice") == 0)
        return bench_parse_unsigned(v, 0, 19, &o->load_nice);
    else if (strcmp(name, "--load-rate") == 0) {
        if (strcmp(v, "0") == 0)
            o->load_rate = 0;
        else
            return parse_positive(v, 1e6, &o->load_rate);
    } else if (strcmp(name, "--rounds") == 0)
        return bench_parse_unsigned(v, 1, HB_MAX_SLICES, &o->rounds);
    else if (strcmp(name, "--slice") == 0)
        return parse_seconds(v, &o->slice);
    else if (strcmp(name, "--http-conns") == 0)
        return bench_parse_unsigned(v, 1, 1000, &o->http_conns);
    else if (strcmp(name, "--http-case") == 0)
        o->http_case = v;
    else if (strcmp(name, "--phases") == 0)
        o->phases = v;
    else
        return -1;
    return 0;
}

static void parse_args(opts *o, int argc, char **argv)
{
    int i;

    defaults(o);
    for (i = 1; i < argc; i++)      /* --quick first: later options win */
        if (strcmp(argv[i], "--quick") == 0)
            quick(o);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--quick") == 0)
            continue;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--v1") == 0) {
            o->addrv2 = 0;
            continue;
        }
        if (strcmp(a, "--keep") == 0) {
            o->keep = 1;
            continue;
        }
        if (i + 1 >= argc || option(o, a, argv[i + 1]) != 0) {
            fprintf(stderr, "p2p_bench: bad option %s%s%s\n", a,
                    i + 1 < argc ? " " : "", i + 1 < argc ? argv[i + 1] : "");
            usage(stderr);
            exit(2);
        }
        i++;
    }
}

static int phase_on(const opts *o, char phase)
{
    return strchr(o->phases, phase) != NULL;
}

/* ---- the server ---------------------------------------------------------- */

static void arm_watchdog(const opts *o)
{
    double t = 120 + (double)o->peers / 500 + o->hold + DRAIN_WAIT_S * 3 +
               (o->seconds + P2P_WARMUP_S) * (double)o->n_levels +
               (o->slice * 2 + P2P_WARMUP_S + 1) * o->rounds +
               (double)o->idle / 100;

    hb_watchdog("p2p_bench", (unsigned)t);
}

/* The P2P port from the log line "p2p listening on 127.0.0.1:PORT". */
static int p2p_port_from_log(const char *log)
{
    static const char key[] = "p2p listening on 127.0.0.1:";
    char line[512];
    int waited, port = -1;

    for (waited = 0; port < 0 && waited < PORT_WAIT_MS; waited += 20) {
        FILE *f = fopen(log, "r");

        while (f != NULL && port < 0 && fgets(line, sizeof line, f) != NULL) {
            const char *p = strstr(line, key);

            if (p != NULL)
                port = atoi(p + sizeof key - 1);
        }
        if (f != NULL)
            fclose(f);
        if (port < 0)
            bench_sleep_ms(20);
    }
    return port > 0 && port < 65536 ? port : -1;
}

static int start_server(bench *b)
{
    const opts *o = b->o;
    char maxc[48];
    const char *args[MAX_EXTRA + 16];
    size_t n = 0, i;
    hb_server_opts so;

    snprintf(b->dir, sizeof b->dir, "/tmp/p2p_bench.XXXXXX");
    if (mkdtemp(b->dir) == NULL) {
        perror("p2p_bench: mkdtemp");
        return -1;
    }
    snprintf(b->log, sizeof b->log, "%s/server.log", b->dir);
    snprintf(maxc, sizeof maxc, "--p2p-max-connections=%u",
             o->idle > o->load_conns ? o->idle : o->load_conns);
    args[n++] = "--chain=main";
    args[n++] = "--p2p-listen=127.0.0.1:0";
    args[n++] = maxc;
    args[n++] = "--p2p-max-per-ip=0";
    args[n++] = "--p2p-max-per-group=0";
    args[n++] = "--p2p-idle-timeout=600";
    for (i = 0; i < o->n_extra; i++)
        args[n++] = o->extra[i];
    args[n] = NULL;
    so = (hb_server_opts){o->server, o->threads, b->log, args};
    if (hb_server_start(&b->srv, &so, &b->http) != 0) {
        bench_show_log("p2p_bench", b->log);
        return -1;
    }
    b->p2p.host = "127.0.0.1";
    b->p2p.port = p2p_port_from_log(b->log);
    b->p2p.chain = am_chain_get(AM_CHAIN_MAIN);
    b->p2p.addrv2 = o->addrv2;
    if (b->p2p.port < 0) {
        fprintf(stderr, "p2p_bench: no \"p2p listening on\" line in the log\n");
        bench_show_log("p2p_bench", b->log);
        return -1;
    }
    printf("# server: %s, pid %d, HTTP port %d, P2P port %d, --threads=%u "
           "%s --p2p-max-per-ip=0 --p2p-max-per-group=0\n", o->server,
           (int)b->srv.pid, b->http.port, b->p2p.port, o->threads, maxc);
    return 0;
}

static void stop_server(bench *b)
{
    hb_server_stop(&b->srv);
    if (b->o->keep)
        fprintf(stderr, "p2p_bench: kept %s\n", b->dir);
    else if (b->dir[0])
        bench_remove_tree(b->dir);
}

/* ---- the server's metrics ------------------------------------------------ */

/* The value of the series `name` (with its labels, exact) in GET /metrics;
 * -1 when absent or unreadable. */
static double metric(const bench *b, const char *name)
{
    size_t k = strlen(name), i;
    double v = -1;
    hb_conn c;
    hb_resp r;

    hb_conn_init(&c, &b->http);
    if (hb_request(&c, "GET", "/metrics", NULL, 0, &r) == 0 && r.status == 200)
        for (i = 0; i + k < r.body_len; i++)
            if ((i == 0 || r.body[i - 1] == '\n') &&
                memcmp(r.body + i, name, k) == 0 && r.body[i + k] == ' ') {
                v = strtod(r.body + i + k + 1, NULL);
                break;
            }
    hb_conn_free(&c);
    return v;
}

static double p2p_open_conns(const bench *b)
{
    double hs = metric(b, "addrmand_p2p_connections{state=\"handshake\"}");
    double ready = metric(b, "addrmand_p2p_connections{state=\"ready\"}");

    return hs < 0 || ready < 0 ? -1 : hs + ready;
}

/* Wait until the server counts no P2P connection: the closes of the last
 * phase are behind it.  Seconds waited, or -1 when it did not happen. */
static double wait_drained(const bench *b)
{
    double t0 = bench_now_s(), n;

    while ((n = p2p_open_conns(b)) != 0) {
        if (bench_now_s() - t0 > DRAIN_WAIT_S) {
            fprintf(stderr, "p2p_bench: the server still counts %.0f P2P "
                            "connections %d s after we closed ours\n",
                    n, DRAIN_WAIT_S);
            return -1;
        }
        bench_sleep_ms(10);
    }
    return bench_now_s() - t0;
}

/* Every addrmand_p2p_ series with a non-zero value, as comment lines. */
static void print_p2p_metrics(const bench *b)
{
    const char *p, *end, *nl;
    hb_conn c;
    hb_resp r;

    hb_conn_init(&c, &b->http);
    if (hb_request(&c, "GET", "/metrics", NULL, 0, &r) == 0 && r.status == 200)
        for (p = r.body, end = r.body + r.body_len; p < end; p = nl + 1) {
            nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL)
                nl = end;
            if (strncmp(p, "addrmand_p2p_", 13) == 0 && nl - p > 2 &&
                !(nl[-1] == '0' && nl[-2] == ' '))
                printf("# metric %.*s\n", (int)(nl - p), p);
        }
    hb_conn_free(&c);
}

/* ---- phase 1: rates ------------------------------------------------------ */

static uint64_t errors_of(const pb_stats *s)
{
    return s->connect_errors + s->early_closes + s->protocol_errors +
           s->stalls;
}

static void print_errors(const pb_stats *s)
{
    printf("errors=%llu (connect=%llu early_close=%llu protocol=%llu "
           "stall=%llu)", (unsigned long long)errors_of(s),
           (unsigned long long)s->connect_errors,
           (unsigned long long)s->early_closes,
           (unsigned long long)s->protocol_errors,
           (unsigned long long)s->stalls);
}

static int rate_level(bench *b, pb_loop *l, unsigned conns)
{
    double t0 = bench_now_s(), from = t0 + P2P_WARMUP_S;
    double until = from + b->o->seconds, cpu0 = bench_cpu_s(), span;
    uint64_t srv0 = hb_cpu_ns(b->srv.pid);
    pb_stats s;
    int rc;

    rc = pb_loop_cycle(l, conns, from, until, NULL);
    span = until - from;
    pb_loop_take_stats(l, &s);
    printf("p2p_getaddr c=%u rate=%.0f answers=%llu entries_avg=%.1f "
           "p50=%.2fms p99=%.2fms ", conns, (double)s.answers / span,
           (unsigned long long)s.answers,
           s.answers ? (double)s.entries / (double)s.answers : 0,
           pb_stats_quantile_ms(&s, 0.50), pb_stats_quantile_ms(&s, 0.99));
    print_errors(&s);
    /* CPU over the whole level, warm-up included, per measured answer. */
    if (s.answers)
        printf(" server_us=%.0f client_us=%.0f",
               (double)(hb_cpu_ns(b->srv.pid) - srv0) / 1e3 /
                   (double)s.answers,
               (bench_cpu_s() - cpu0) * 1e6 / (double)s.answers);
    if (s.entries_bad || s.empty)
        printf(" unusable_entries=%llu empty_answers=%llu",
               (unsigned long long)s.entries_bad,
               (unsigned long long)s.empty);
    printf("\n");
    fflush(stdout);
    free(s.lat_us);
    return rc;
}

static int phase_rates(bench *b)
{
    unsigned most = 0;
    pb_loop *l;
    size_t i;
    int rc = 0;

    for (i = 0; i < b->o->n_levels; i++)
        most = b->o->levels[i] > most ? b->o->levels[i] : most;
    if ((l = pb_loop_new(&b->p2p, most)) == NULL)
        return -1;
    for (i = 0; rc == 0 && i < b->o->n_levels; i++) {
        rc = rate_level(b, l, b->o->levels[i]);
        wait_drained(b);
    }
    pb_loop_free(l);
    return rc;
}

/* ---- phase 2: idle connections ------------------------------------------- */

/* Met when every connection is still open on our side and the server
 * counts them all ready. */
static void print_idle_verdict(unsigned held, double ready, unsigned want)
{
    printf("target idle connections held: %s (%u of %u, the server counts "
           "%.0f ready)\n", held == want && ready == want ? "met" : "MISSED",
           held, want, ready);
}

static int phase_idle(bench *b)
{
    unsigned want = b->o->idle, held, after_hold;
    long rss0, rss1;
    double t0, open_s, ready, close_s;
    pb_loop *l;
    pb_stats s;

    if (wait_drained(b) < 0 || (l = pb_loop_new(&b->p2p, want)) == NULL)
        return -1;
    rss0 = bench_rss_kb(b->srv.pid);
    t0 = bench_now_s();
    held = pb_loop_hold(l, want, IN_FLIGHT, t0 + 60 + want / 100.0);
    open_s = bench_now_s() - t0;
    after_hold = pb_loop_watch(l, bench_now_s() + b->o->hold);
    ready = metric(b, "addrmand_p2p_connections{state=\"ready\"}");
    rss1 = bench_rss_kb(b->srv.pid);
    pb_loop_take_stats(l, &s);
    t0 = bench_now_s();
    pb_loop_close_all(l);
    close_s = wait_drained(b);
    close_s = close_s < 0 ? -1 : bench_now_s() - t0;
    printf("p2p_idle conns=%u held=%u metric_ready=%.0f open_s=%.2f "
           "hold_s=%.1f rss_before_kb=%ld rss_after_kb=%ld "
           "bytes_per_conn=%.0f lost=%u close_s=%.2f ", want, after_hold,
           ready, open_s, b->o->hold, rss0, rss1,
           after_hold ? (double)(rss1 - rss0) * 1024 / after_hold : 0,
           held - after_hold, close_s);
    print_errors(&s);
    printf("\n");
    print_idle_verdict(after_hold, ready, want);
    fflush(stdout);
    free(s.lat_us);
    pb_loop_free(l);
    return 0;
}

/* ---- phase 3: HTTP selects under P2P load -------------------------------- */

typedef struct load_job {
    pb_loop *l;
    unsigned conns;
    unsigned nice;
    double from;                /* measured from */
    atomic_int stop;
    int rc;
} load_job;

static void *load_main(void *arg)
{
    load_job *j = arg;

    /* Linux keeps a nice value per thread. */
    (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), (int)j->nice);
    j->rc = pb_loop_cycle(j->l, j->conns, j->from, 1e18, &j->stop);
    return NULL;
}

static const hb_case *find_case(const char *name)
{
    size_t i;

    for (i = 0; i < hb_n_cases; i++)
        if (strcmp(hb_cases[i].name, name) == 0)
            return &hb_cases[i];
    return NULL;
}

/* One loaded slice: the P2P load runs from LOAD_WARMUP_S before the slice
 * (its connections all open at once, the first answers come within about
 * 0.2 s at 512) to its end; *p2p_s gets its measured span. */
static int loaded_slice(bench *b, const hb_case *cs, const hb_run_opts *ro,
                        hb_acc *acc, pb_loop *l, double *p2p_s)
{
    load_job j = {l, b->o->load_conns, b->o->load_nice,
                  bench_now_s() + LOAD_WARMUP_S, 0, 0};
    pthread_t th;
    int rc;

    if (pthread_create(&th, NULL, load_main, &j) != 0)
        return -1;
    bench_sleep_ms((long)(LOAD_WARMUP_S * 1000));
    rc = hb_run_slice(cs, ro, acc);
    *p2p_s += bench_now_s() - j.from;
    atomic_store(&j.stop, 1);
    pthread_join(th, NULL);
    return rc || j.rc ? -1 : 0;
}

/* Cores a side used over the slices of acc (each slice's warm-up in its
 * span): server = the addrmand process, client = this one (the P2P load's
 * thread included). */
static double cores(const hb_acc *acc, uint64_t cpu_ns, double warmup)
{
    double span = (double)acc->measured_ns / 1e9 + warmup * acc->n_slices;

    return span > 0 ? (double)cpu_ns / 1e9 / span : 0;
}

static void print_http(bench *b, hb_acc *alone, hb_acc *loaded,
                       const pb_stats *s, double p2p_s)
{
    double lo, hi, ratio = hb_slice_ratio(loaded, alone, 0, &lo, &hi);
    hb_result ra, rl;

    printf("# cores used, alone / loaded: server %.2f / %.2f, bench %.2f / "
           "%.2f\n", cores(alone, alone->server_cpu_ns, HTTP_WARMUP_S),
           cores(loaded, loaded->server_cpu_ns, HTTP_WARMUP_S),
           cores(alone, alone->client_cpu_ns, HTTP_WARMUP_S),
           cores(loaded, loaded->client_cpu_ns, HTTP_WARMUP_S));
    hb_acc_finish(alone, &ra);
    hb_acc_finish(loaded, &rl);
    printf("p2p_http case=%s http_conns=%u p2p_conns=%u alone_rps=%.0f "
           "loaded_rps=%.0f ratio=%.2f ratio_q=%.2f-%.2f alone_p99=%.2fms "
           "loaded_p99=%.2fms http_errors=%llu p2p_rate_cap=%.0f "
           "p2p_nice=%u p2p_rate=%.0f ",
           b->o->http_case, b->o->http_conns, b->o->load_conns, ra.rps, rl.rps,
           ratio, lo, hi, ra.p99_ms, rl.p99_ms,
           (unsigned long long)(ra.errors + rl.errors), b->o->load_rate,
           b->o->load_nice,
           p2p_s > 0 ? (double)s->answers / p2p_s : 0);
    print_errors(s);
    printf("\n");
    printf("target http select under p2p load >= %.2f: %s (ratio %.2f)\n",
           TARGET_RATIO, ratio >= TARGET_RATIO ? "met" : "MISSED", ratio);
    fflush(stdout);
}

static int phase_http(bench *b)
{
    const hb_case *cs = find_case(b->o->http_case);
    hb_run_opts ro = {&b->http, &b->pool, b->o->http_conns, b->o->slice,
                      HTTP_WARMUP_S, b->srv.pid};
    hb_acc alone, loaded;
    double p2p_s = 0;
    pb_loop *l;
    pb_stats s;
    unsigned r;
    int rc = 0;

    if (cs == NULL) {
        fprintf(stderr, "p2p_bench: no HTTP case %s\n", b->o->http_case);
        return -1;
    }
    if ((l = pb_loop_new(&b->p2p, b->o->load_conns)) == NULL)
        return -1;
    pb_loop_set_rate(l, b->o->load_rate);
    memset(&alone, 0, sizeof alone);
    memset(&loaded, 0, sizeof loaded);
    /* Alone first in even rounds, loaded first in odd ones: a trend in
     * the neighbours' load favours neither. */
    for (r = 0; rc == 0 && r < b->o->rounds; r++) {
        wait_drained(b);
        if (r % 2 == 0)
            rc = hb_run_slice(cs, &ro, &alone);
        if (rc == 0)
            rc = loaded_slice(b, cs, &ro, &loaded, l, &p2p_s);
        if (rc == 0 && r % 2 == 1 && wait_drained(b) >= 0)
            rc = hb_run_slice(cs, &ro, &alone);
    }
    pb_loop_take_stats(l, &s);
    if (rc == 0)
        print_http(b, &alone, &loaded, &s, p2p_s);
    free(alone.lat);
    free(loaded.lat);
    free(s.lat_us);
    pb_loop_free(l);
    return rc;
}

/* ---- main ---------------------------------------------------------------- */

static int fill(bench *b)
{
    double t0 = bench_now_s();

    if (hb_pool_fill(&b->pool, &b->http, b->o->peers) != 0)
        return -1;
    printf("# pool: %llu peers added of %llu posted (services 1033, routable "
           "IPv4, one or two per /16) in %.1f s\n",
           (unsigned long long)b->pool.added,
           (unsigned long long)b->pool.posted, bench_now_s() - t0);
    printf("# client: one epoll thread; %s answers; machine: %ld cores "
           "shared by client and server\n", b->o->addrv2 ? "addrv2" : "addr",
           sysconf(_SC_NPROCESSORS_ONLN));
    return 0;
}

static int run(bench *b)
{
    const opts *o = b->o;
    long rss;

    bench_print_load("at the start");
    if (fill(b) != 0)
        return -1;
    if (phase_on(o, '1') && phase_rates(b) != 0)
        return -1;
    rss = bench_rss_kb(b->srv.pid);
    printf("# server rss after phase 1: %ld kB\n", rss);
    if (phase_on(o, '2') && phase_idle(b) != 0)
        return -1;
    if (phase_on(o, '3') && phase_http(b) != 0)
        return -1;
    wait_drained(b);
    bench_print_load("at the end");
    print_p2p_metrics(b);
    return 0;
}

int main(int argc, char **argv)
{
    opts o;
    bench b;
    int rc;

    parse_args(&o, argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    memset(&b, 0, sizeof b);
    b.o = &o;
    /* The idle connections need a descriptor each, here and in the
     * server. */
    if (bench_raise_nofile("p2p_bench", o.idle + FDS_SPARE) != 0)
        return 1;
    arm_watchdog(&o);
    if (start_server(&b) != 0) {
        stop_server(&b);
        return 1;
    }
    rc = run(&b);
    if (rc != 0)
        bench_show_log("p2p_bench", b.log);
    hb_pool_free(&b.pool);
    stop_server(&b);
    return rc == 0 ? 0 : 1;
}
