/*
 * pr_main.c - probe_bench: the prober of addrmand under load.
 *
 *   probe_bench [--server PATH] [options]
 *
 * Starts the addrmand built here on a free loopback port with --chain
 * regtest (which takes local addresses), --probe, --probe-rate 10000 (the
 * rate is not the bound), --probe-concurrency C (default 256) and
 * --probe-timeout T (default 2 s; the server's default is 10); raises
 * its own RLIMIT_NOFILE to the hard limit first, which the server
 * inherits.  Then:
 *
 *  1. good peers: 1 000 fakes of the prober's tests (it_fake.c, mode GOOD,
 *     services 1033, addrv2; every second one answers getaddr with three
 *     onion addresses, which the prober has no route to and so never
 *     probes, the others with an empty answer) on 127.A.B.1, A over all
 *     256 /16s of 127/8 and B = 0..3, so about 4 per network group.  They
 *     are posted over HTTP; from the first probe started to the last one
 *     ended (addrmand_probe_total polled):
 *       probe_good fakes=1000 ended=.. ok=.. seconds=.. rate=..
 *                  concurrency=.. max_in_flight=.. max_open=.. ...
 *     The prober runs one probe at a time per network group (an IPv4 /16,
 *     so 256 in 127/8): that bounds its parallelism here, not the option.
 *  2. dead addresses: one socket on 0.0.0.0:P, backlog 0, its queue
 *     filled by connections of our own, never accepting: Linux drops
 *     every SYN to 127.A.B.C:P (checked before use).  10 000 such
 *     addresses (127.A.B.2, every /16, B from 16) are posted; while the
 *     prober works through them (each probe ends by its timeout), a
 *     thread samples the server's descriptors (/proc/PID/fd), VmRSS and
 *     probes in flight every second; HTTP select slices (http_bench's)
 *     run before the addresses are posted (the prober idle), while it is
 *     busy, and after it is done (the prober cannot be paused, so busy and
 *     idle cannot alternate); the ratio is the median over the slices of
 *     busy / mean(before, after):
 *       probe_dead addresses=.. ended=.. timeouts=.. seconds=.. rate=..
 *                  fds_idle=.. fds_max=.. fds_after=.. rss_idle_kb=.. ...
 *       probe_http case=select_8 http_conns=4 idle_rps=.. busy_rps=..
 *                  ratio=.. ratio_q=..-.. after_rps=.. ...
 *
 * and the verdict lines bench/run reads:
 *       target probe descriptors bounded: met|MISSED (..)
 *       target probe memory bounded: met|MISSED (..)
 *       target http select while probing >= 0.80: met|MISSED (ratio ..)
 *
 * Exit status: 0 when both phases ran (a target may be missed), 1 when
 * the bench could not run.
 */
#include "pr.h"
#include "it_fake.h"
#include "bench_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef PR_DEFAULT_SERVER
#define PR_DEFAULT_SERVER "addrmand"
#endif

#define MAX_FAKES 1000          /* it_fakes_start's limit */
#define POST_BATCH 100
#define FAKE_PASSES 4
#define SERVICES 1033           /* NODE_NETWORK | WITNESS | NETWORK_LIMITED */
/* Three Tor v3 addresses (valid checksums): a getaddr answer of one entry
 * makes the prober wait for another (a lone self-announcement), so the
 * answering fakes give three. */
#define ONION_1 "zklycewkdo64v6wcggzzui64jwtyn37ycr6e44vzqb3yll7ojc567tyd.onion:18444"
#define ONION_2 "hyr6qfqahfmuum4jj5swjynrgsf326qardkcyswlopxk5vm4aco726yd.onion:18444"
#define ONION_3 "fz6sya5jkb5oezpm6w2tk2efuuzzhiqctusbhfezojs2dis257dibjyd.onion:18444"
#define N_ONIONS 3
#define TARGET_RATIO 0.80
#define FDS_SPARE 32            /* descriptors allowed above idle + C */
#define FDS_LEAK 4              /* ... and above idle once the prober is done */
#define RSS_GROWTH_KB 4096      /* growth from a quarter of the probes to the end */
#define SAMPLE_MS 1000
#define HTTP_WARMUP_S 0.1
#define BLACKHOLE_CHECK_MS 1500
#define BLACKHOLE_PROBE_HOST "127.201.202.203"

typedef struct opts {
    const char *server;
    unsigned threads;
    unsigned fakes;
    unsigned dead;
    unsigned concurrency;
    unsigned timeout;           /* s */
    unsigned slices;
    double slice;
    unsigned http_conns;
    const char *http_case;
    int keep;
} opts;

typedef struct bench {
    const opts *o;
    hb_server srv;
    hb_target http;
    char dir[64];
    char log[96];
    hb_pool pool;               /* unused by the select cases; hb_run wants one */
    it_fakes *fakes;
    char (*hosts)[24];
} bench;

/* ---- options --------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: probe_bench [options]\n"
        "  --server PATH       addrmand binary to start (default %s)\n"
        "  --threads N         server --threads (default: number of cores)\n"
        "  --fakes N           phase 1: good fake peers, at most 1000\n"
        "                      (default 1000)\n"
        "  --dead N            phase 2: addresses that never answer\n"
        "                      (default 10000)\n"
        "  --concurrency N     server --probe-concurrency (default 256)\n"
        "  --timeout S         server --probe-timeout (default 2)\n"
        "  --slices N          phase 2: HTTP slices idle, busy and after\n"
        "                      (default 10 each)\n"
        "  --slice S           one HTTP slice (default 1)\n"
        "  --http-conns N      keep-alive HTTP connections (default 4)\n"
        "  --http-case NAME    select_1 or select_8 (default select_8)\n"
        "  --keep              keep the server's temp dir and log\n"
        "  --quick             smoke run: 200 fakes, 1000 dead, 3 slices\n",
        PR_DEFAULT_SERVER);
}

static void defaults(opts *o)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);

    memset(o, 0, sizeof *o);
    o->server = PR_DEFAULT_SERVER;
    o->threads = cores > 0 ? (unsigned)cores : 1;
    o->fakes = MAX_FAKES;
    o->dead = 10000;
    o->concurrency = 256;
    o->timeout = 2;
    o->slices = 10;
    o->slice = 1;
    o->http_conns = 4;
    o->http_case = "select_8";
}

static int option(opts *o, const char *name, const char *v)
{
    char *end;

    if (strcmp(name, "--server") == 0)
        o->server = v;
    else if (strcmp(name, "--threads") == 0)
        return bench_parse_unsigned(v, 1, 1024, &o->threads);
    else if (strcmp(name, "--fakes") == 0)
        return bench_parse_unsigned(v, 1, MAX_FAKES, &o->fakes);
    else if (strcmp(name, "--dead") == 0)
        return bench_parse_unsigned(v, 1, 60000, &o->dead);
    else if (strcmp(name, "--concurrency") == 0)
        return bench_parse_unsigned(v, 1, 10000, &o->concurrency);
    else if (strcmp(name, "--timeout") == 0)
        return bench_parse_unsigned(v, 1, 3600, &o->timeout);
    else if (strcmp(name, "--slices") == 0)
        return bench_parse_unsigned(v, 1, HB_MAX_SLICES, &o->slices);
    else if (strcmp(name, "--slice") == 0) {
        o->slice = strtod(v, &end);
        return end != v && !*end && o->slice > 0 && o->slice <= 60 ? 0 : -1;
    } else if (strcmp(name, "--http-conns") == 0)
        return bench_parse_unsigned(v, 1, 1000, &o->http_conns);
    else if (strcmp(name, "--http-case") == 0)
        o->http_case = v;
    else
        return -1;
    return 0;
}

static void parse_args(opts *o, int argc, char **argv)
{
    int i;

    defaults(o);
    for (i = 1; i < argc; i++)      /* --quick first: later options win */
        if (strcmp(argv[i], "--quick") == 0) {
            o->fakes = 200;
            o->dead = 1000;
            o->slices = 3;
        }
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--quick") == 0)
            continue;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--keep") == 0) {
            o->keep = 1;
            continue;
        }
        if (i + 1 >= argc || option(o, a, argv[i + 1]) != 0) {
            fprintf(stderr, "probe_bench: bad option %s%s%s\n", a,
                    i + 1 < argc ? " " : "", i + 1 < argc ? argv[i + 1] : "");
            usage(stderr);
            exit(2);
        }
        i++;
    }
}

/* ---- the server ------------------------------------------------------------- */

/* Three times the time the dead addresses take at full concurrency, plus
 * the rest of the run. */
static void arm_watchdog(const opts *o)
{
    double dead = (double)o->dead * o->timeout / o->concurrency;

    hb_watchdog("probe_bench",
                (unsigned)(300 + dead * 3 + o->slice * o->slices * 3));
}

static int start_server(bench *b)
{
    const opts *o = b->o;
    char conc[48], tmo[48];
    const char *args[] = {"--chain=regtest", "--probe", "--probe-rate=10000",
                          conc, tmo, NULL};
    hb_server_opts so;

    snprintf(b->dir, sizeof b->dir, "/tmp/probe_bench.XXXXXX");
    if (mkdtemp(b->dir) == NULL) {
        perror("probe_bench: mkdtemp");
        return -1;
    }
    snprintf(b->log, sizeof b->log, "%s/server.log", b->dir);
    snprintf(conc, sizeof conc, "--probe-concurrency=%u", o->concurrency);
    snprintf(tmo, sizeof tmo, "--probe-timeout=%u", o->timeout);
    so = (hb_server_opts){o->server, o->threads, b->log, args};
    if (hb_server_start(&b->srv, &so, &b->http) != 0) {
        bench_show_log("probe_bench", b->log);
        return -1;
    }
    printf("# server: %s, pid %d, HTTP port %d, --threads=%u --chain=regtest "
           "--probe --probe-rate=10000 %s %s\n", o->server, (int)b->srv.pid,
           b->http.port, o->threads, conc, tmo);
    return 0;
}

static void stop_server(bench *b)
{
    hb_server_stop(&b->srv);
    if (b->o->keep)
        fprintf(stderr, "probe_bench: kept %s\n", b->dir);
    else if (b->dir[0])
        bench_remove_tree(b->dir);
}

/* ---- posting addresses ------------------------------------------------------- */

/* The peers of batch k (addresses "host:port"), heard from a source of
 * their own (http_bench's, so the batches spread over the new table's
 * buckets): the number the server added, or -1. */
static long post_batch(const bench *b, uint64_t k, char (*addrs)[48],
                       size_t n)
{
    char src[16], *body;
    size_t cap = 64 + n * 80, len;
    long added = -1;
    hb_conn c;
    hb_resp r;

    if ((body = malloc(cap)) == NULL)
        return -1;
    hb_source_addr(k, src);
    len = (size_t)snprintf(body, cap, "{\"source\":\"%s\",\"peers\":[", src);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(body + len, cap - len,
                                "%s{\"address\":\"%s\",\"services\":%d}",
                                i ? "," : "", addrs[i], SERVICES);
    len += (size_t)snprintf(body + len, cap - len, "]}");
    hb_conn_init(&c, &b->http);
    if (hb_request(&c, "POST", "/v1/peers", body, len, &r) == 0 &&
        r.status == 200)
        added = (long)hb_json_u64(r.body, r.body_len, "added");
    else
        fprintf(stderr, "probe_bench: POST /v1/peers: status %d\n", r.status);
    hb_conn_free(&c);
    free(body);
    return added;
}

static double ended_probes(const bench *b)
{
    return pr_metric(&b->http, "addrmand_probe_total{");
}

/* ---- phase 1: good fakes ----------------------------------------------------- */

/* Fake i on 127.A.B.1: A = i mod 256 (its /16), B = i / 256. */
static int start_fakes(bench *b)
{
    static const char *const answer[N_ONIONS] = {ONION_1, ONION_2, ONION_3};
    unsigned n = b->o->fakes;
    it_fake_spec *specs = calloc(n, sizeof *specs);

    b->hosts = calloc(n, sizeof *b->hosts);
    if (specs == NULL || b->hosts == NULL) {
        free(specs);
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        snprintf(b->hosts[i], sizeof b->hosts[i], "127.%u.%u.1", i % 256,
                 i / 256);
        specs[i] = (it_fake_spec){IT_FAKE_GOOD, b->hosts[i], SERVICES, 0, 1,
                                  0, i % 2 ? NULL : answer,
                                  i % 2 ? 0 : N_ONIONS};
    }
    b->fakes = it_fakes_start(am_chain_get(AM_CHAIN_REGTEST), specs, n);
    free(specs);
    return b->fakes != NULL ? 0 : -1;
}

/* The most probes the fakes of one /16 saw at one time (1 when the
 * per-group rule held). */
static unsigned max_open_per_group(bench *b)
{
    size_t idx[MAX_FAKES / 256 + 1], n;
    unsigned most = 0, m;

    for (unsigned g = 0; g < 256; g++) {
        n = 0;
        for (unsigned i = g; i < b->o->fakes; i += 256)
            idx[n++] = i;
        if (n && (m = it_fakes_max_open(b->fakes, idx, n)) > most)
            most = m;
    }
    return most;
}

/* Post the fakes in batches, again until each is in the pool (at most
 * FAKE_PASSES times), each time heard from other sources: a fake the new
 * table refused (its slot taken) goes to another bucket the next time.
 * *first gets the time a probe was first seen started (checked after each
 * batch). */
static long post_fakes(bench *b, double *first)
{
    char (*addrs)[48] = calloc(POST_BATCH, sizeof *addrs);
    unsigned n = b->o->fakes, i = 0, k;
    long added = 0, a;

    *first = 0;
    if (addrs == NULL)
        return -1;
    for (uint64_t batch = 0; (i % n != 0 || (unsigned long)added < n) &&
                             i < FAKE_PASSES * n; batch++) {
        for (k = 0; k < POST_BATCH && (k == 0 || i % n != 0); k++, i++)
            it_fakes_endpoint(b->fakes, i % n, addrs[k], sizeof addrs[k]);
        if ((a = post_batch(b, batch, addrs, k)) < 0) {
            free(addrs);
            return -1;
        }
        added += a;
        if (*first == 0 &&
            pr_metric(&b->http, "addrmand_probe_started_total{") > 0)
            *first = bench_now_s();
    }
    free(addrs);
    return added;
}

static void print_good(bench *b, long added, double secs, double in_flight)
{
    unsigned contacts = 0, getaddrs = 0, answered = 0;
    double ended = ended_probes(b);
    it_fake_stats st;

    for (unsigned i = 0; i < b->o->fakes; i++) {
        it_fakes_stats(b->fakes, i, &st);
        contacts += st.connections;
        getaddrs += st.getaddrs;
        answered += st.answered;
    }
    printf("probe_good fakes=%u added=%ld ended=%.0f ok=%.0f seconds=%.2f "
           "rate=%.0f concurrency=%u max_in_flight=%.0f max_open=%u "
           "max_open_per_group=%u groups=%u contacts=%u getaddrs=%u "
           "answered=%u learned=%.0f\n", b->o->fakes, added, ended,
           pr_metric(&b->http, "addrmand_probe_total{outcome=\"ok\""), secs,
           secs > 0 ? ended / secs : 0, b->o->concurrency, in_flight,
           it_fakes_max_open(b->fakes, NULL, 0), max_open_per_group(b),
           b->o->fakes < 256 ? b->o->fakes : 256, contacts, getaddrs,
           answered, pr_metric(&b->http, "addrmand_probe_learned_total"));
}

static int phase_good(bench *b)
{
    double first, t_end, in_flight = 0, v, ended, deadline;
    long added;

    if ((added = post_fakes(b, &first)) <= 0)
        return -1;
    deadline = bench_now_s() + 60 + (double)added * b->o->timeout / 50;
    while ((ended = ended_probes(b)) < (double)added) {
        if (first == 0 &&
            pr_metric(&b->http, "addrmand_probe_started_total{") > 0)
            first = bench_now_s();
        v = pr_metric(&b->http, "addrmand_probe_in_flight");
        in_flight = v > in_flight ? v : in_flight;
        if (bench_now_s() > deadline) {
            fprintf(stderr, "probe_bench: %.0f of %ld probes ended in time\n",
                    ended, added);
            return -1;
        }
        bench_sleep_ms(5);
    }
    t_end = bench_now_s();
    print_good(b, added, t_end - first, in_flight);
    return 0;
}

/* ---- phase 2: dead addresses ------------------------------------------------- */

static const hb_case *find_case(const char *name)
{
    for (size_t i = 0; i < hb_n_cases; i++)
        if (strcmp(hb_cases[i].name, name) == 0)
            return &hb_cases[i];
    return NULL;
}

static int slices(const hb_case *cs, const hb_run_opts *ro, unsigned n,
                  hb_acc *acc)
{
    for (unsigned i = 0; i < n; i++)
        if (hb_run_slice(cs, ro, acc) != 0)
            return -1;
    return 0;
}

/* Post dead addresses 127.A.B.2:port (A = i mod 256, B = 16 + i / 256)
 * until `want` were added (a bucket collision refuses a few), or half as
 * many more were tried. */
static long post_dead(bench *b, uint16_t port, unsigned want,
                      unsigned *posted)
{
    char (*addrs)[48] = calloc(POST_BATCH, sizeof *addrs);
    unsigned i = 0, k, most = want + want / 2;
    long added = 0, a;

    if (addrs == NULL)
        return -1;
    for (uint64_t batch = 1000; (unsigned long)added < want && i < most;
         batch++) {
        for (k = 0; k < POST_BATCH && i < most; k++, i++)
            snprintf(addrs[k], sizeof addrs[k], "127.%u.%u.2:%u", i % 256,
                     16 + i / 256, port);
        if ((a = post_batch(b, batch, addrs, k)) < 0) {
            free(addrs);
            return -1;
        }
        added += a;
    }
    free(addrs);
    *posted = i;
    return added;
}

/* What phase 2 saw. */
typedef struct dead_figs {
    unsigned posted;
    long added;
    pr_sample idle, max, after;
    long rss_quarter, rss_done;
    double ended, timeouts, seconds, min_in_flight_busy;
    hb_acc idle_acc, busy_acc, after_acc;
} dead_figs;

/* Wait until every added address was probed once; the resident memory
 * when a quarter of them had been is kept. */
static int wait_dead(bench *b, pr_sampler *s, double ended0, dead_figs *d)
{
    double deadline = bench_now_s() + 120 +
        3.0 * (double)d->added * b->o->timeout / b->o->concurrency;
    pr_sample last;

    for (;;) {
        pr_sampler_read(s, &last, NULL);
        if (d->rss_quarter == 0 && last.ended - ended0 >= d->added / 4.0)
            d->rss_quarter = last.rss_kb;
        if ((d->ended = ended_probes(b) - ended0) >= (double)d->added)
            return 0;
        if (bench_now_s() > deadline) {
            fprintf(stderr, "probe_bench: %.0f of %ld dead addresses probed "
                            "in time\n", d->ended, d->added);
            return -1;
        }
        bench_sleep_ms(100);
    }
}

static int busy_slices(bench *b, const hb_case *cs, const hb_run_opts *ro,
                       dead_figs *d)
{
    double v;

    d->min_in_flight_busy = -1;
    for (unsigned i = 0; i < b->o->slices; i++) {
        if (hb_run_slice(cs, ro, &d->busy_acc) != 0)
            return -1;
        v = pr_metric(&b->http, "addrmand_probe_in_flight");
        if (d->min_in_flight_busy < 0 || v < d->min_in_flight_busy)
            d->min_in_flight_busy = v;
    }
    return 0;
}

static int run_dead(bench *b, pr_sampler *s, const pr_blackhole *bh,
                    dead_figs *d)
{
    const hb_case *cs = find_case(b->o->http_case);
    hb_run_opts ro = {&b->http, &b->pool, b->o->http_conns, b->o->slice,
                      HTTP_WARMUP_S, b->srv.pid};
    double ended0, t0;
    pr_sample last;

    if (cs == NULL) {
        fprintf(stderr, "probe_bench: no HTTP case %s\n", b->o->http_case);
        return -1;
    }
    bench_sleep_ms(SAMPLE_MS + 200);
    pr_sampler_read(s, &d->idle, NULL);
    if (slices(cs, &ro, b->o->slices, &d->idle_acc) != 0)
        return -1;
    ended0 = ended_probes(b);
    t0 = bench_now_s();
    if ((d->added = post_dead(b, bh->port, b->o->dead, &d->posted)) <= 0)
        return -1;
    /* The prober takes up its full concurrency within its first second. */
    bench_sleep_ms(1000);
    if (busy_slices(b, cs, &ro, d) != 0 || wait_dead(b, s, ended0, d) != 0)
        return -1;
    d->seconds = bench_now_s() - t0;
    pr_sampler_read(s, &last, &d->max);
    d->rss_done = last.rss_kb;
    d->timeouts = pr_metric(&b->http, "addrmand_probe_total{outcome=\"timeout\"");
    bench_sleep_ms(SAMPLE_MS + 200);    /* the closes behind the server */
    pr_sampler_read(s, &d->after, NULL);
    return slices(cs, &ro, b->o->slices, &d->after_acc);
}

/* The prober cannot be paused, so the idle slices come before and after
 * the busy ones: slice i's baseline is the mean of idle slice i and after
 * slice i, which a trend in the neighbours' load shifts as it shifts the
 * busy slice between them. */
static double busy_ratio(dead_figs *d, double *lo, double *hi)
{
    hb_acc *base = calloc(1, sizeof *base);
    unsigned n = d->idle_acc.n_slices < d->after_acc.n_slices
                     ? d->idle_acc.n_slices : d->after_acc.n_slices;
    double r;

    if (base == NULL)
        return 0;
    for (unsigned i = 0; i < n; i++)
        base->slice_rps[i] =
            (d->idle_acc.slice_rps[i] + d->after_acc.slice_rps[i]) / 2;
    base->n_slices = n;
    r = hb_slice_ratio(&d->busy_acc, base, 0, lo, hi);
    free(base);
    return r;
}

static void print_dead(bench *b, dead_figs *d)
{
    double lo, hi, ratio = busy_ratio(d, &lo, &hi);
    double blo, bhi, before = hb_slice_ratio(&d->busy_acc, &d->idle_acc, 0,
                                             &blo, &bhi);
    double alo, ahi, after = hb_slice_ratio(&d->busy_acc, &d->after_acc, 0,
                                            &alo, &ahi);
    long fds_cap = d->idle.fds + (long)b->o->concurrency + FDS_SPARE;
    int fds_ok = d->max.fds <= fds_cap && d->after.fds <= d->idle.fds + FDS_LEAK;
    long growth = d->rss_done - d->rss_quarter;
    hb_result ri, rb, ra;

    hb_acc_finish(&d->idle_acc, &ri);
    hb_acc_finish(&d->busy_acc, &rb);
    hb_acc_finish(&d->after_acc, &ra);
    printf("probe_dead addresses=%ld posted=%u ended=%.0f timeouts=%.0f "
           "seconds=%.1f rate=%.0f timeout_s=%u concurrency=%u "
           "max_in_flight=%.0f min_in_flight_busy=%.0f fds_idle=%ld "
           "fds_max=%ld fds_after=%ld rss_idle_kb=%ld rss_quarter_kb=%ld "
           "rss_done_kb=%ld rss_max_kb=%ld rss_after_kb=%ld\n",
           d->added, d->posted, d->ended, d->timeouts, d->seconds,
           d->seconds > 0 ? d->ended / d->seconds : 0, b->o->timeout,
           b->o->concurrency, d->max.in_flight, d->min_in_flight_busy,
           d->idle.fds, d->max.fds, d->after.fds, d->idle.rss_kb,
           d->rss_quarter, d->rss_done, d->max.rss_kb, d->after.rss_kb);
    printf("probe_http case=%s http_conns=%u slices=%u idle_rps=%.0f "
           "busy_rps=%.0f after_rps=%.0f ratio=%.2f ratio_q=%.2f-%.2f "
           "ratio_before=%.2f ratio_after=%.2f idle_p99=%.2fms "
           "busy_p99=%.2fms after_p99=%.2fms http_errors=%llu\n",
           b->o->http_case, b->o->http_conns, b->o->slices, ri.rps, rb.rps,
           ra.rps, ratio, lo, hi, before, after, ri.p99_ms, rb.p99_ms,
           ra.p99_ms,
           (unsigned long long)(ri.errors + rb.errors + ra.errors));
    printf("target probe descriptors bounded: %s (max %ld <= idle %ld + "
           "concurrency %u + %d; %ld after, idle + %d allowed)\n",
           fds_ok ? "met" : "MISSED", d->max.fds, d->idle.fds,
           b->o->concurrency, FDS_SPARE, d->after.fds, FDS_LEAK);
    printf("target probe memory bounded: %s (VmRSS %ld kB at a quarter of "
           "the probes, %ld kB at the end: +%ld kB, at most %d allowed)\n",
           growth <= RSS_GROWTH_KB ? "met" : "MISSED", d->rss_quarter,
           d->rss_done, growth, RSS_GROWTH_KB);
    printf("target http select while probing >= %.2f: %s (ratio %.2f)\n",
           TARGET_RATIO, ratio >= TARGET_RATIO ? "met" : "MISSED", ratio);
}

static int phase_dead(bench *b)
{
    pr_blackhole bh;
    pr_sampler s;
    dead_figs d;
    int rc, hole;

    memset(&d, 0, sizeof d);
    if (pr_blackhole_open(&bh) != 0) {
        perror("probe_bench: the blackholed port");
        return -1;
    }
    hole = pr_blackhole_check(&bh, BLACKHOLE_PROBE_HOST, BLACKHOLE_CHECK_MS);
    printf("# blackhole: 0.0.0.0:%u, backlog 0, %u connection(s) of ours "
           "queued; a connect to %s:%u %s\n", bh.port, bh.n_fillers,
           BLACKHOLE_PROBE_HOST, bh.port,
           hole == 1 ? "still pending after 1.5 s: blackholed"
                     : "ended: NOT a blackhole");
    if (hole != 1 || pr_sampler_start(&s, &b->http, b->srv.pid, SAMPLE_MS) != 0) {
        pr_blackhole_close(&bh);
        return -1;
    }
    rc = run_dead(b, &s, &bh, &d);
    pr_sampler_stop(&s);
    pr_blackhole_close(&bh);
    if (rc == 0)
        print_dead(b, &d);
    free(d.idle_acc.lat);
    free(d.busy_acc.lat);
    free(d.after_acc.lat);
    return rc;
}

/* ---- main ------------------------------------------------------------------- */

static int run(bench *b)
{
    bench_print_load("at the start");
    printf("# fakes: %u GOOD on 127.A.B.1 (A: every /16 of 127/8, about %u "
           "per /16), services %d, addrv2; one in two answers getaddr with "
           "three onion addresses, the others with nothing; machine: %ld cores "
           "shared by the fakes, the bench and the server\n", b->o->fakes,
           (b->o->fakes + 255) / 256, SERVICES, sysconf(_SC_NPROCESSORS_ONLN));
    /* The server first: it would inherit the fakes' listening sockets. */
    if (start_server(b) != 0 || start_fakes(b) != 0)
        return -1;
    if (phase_good(b) != 0 || phase_dead(b) != 0)
        return -1;
    bench_print_load("at the end");
    pr_metric_print(&b->http, "addrmand_probe_");
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
    (void)bench_raise_nofile("probe_bench", 0);
    arm_watchdog(&o);
    rc = run(&b);
    if (rc != 0 && b.log[0])
        bench_show_log("probe_bench", b.log);
    stop_server(&b);
    it_fakes_stop(b.fakes);
    free(b.hosts);
    return rc == 0 ? 0 : 1;
}
