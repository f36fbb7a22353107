/*
 * soak_main.c - soak: a mixed workload (adds, addrv2 adds, selects, state
 * updates, bans and their lifting, relay samples, stats) from many
 * keep-alive connections for a bounded time, against an addrmand started
 * here (loopback port, temp data directory) or given by --url.
 *
 * Before the clock starts, --prefill random addresses (500 000) are posted
 * and --tried of those peers (40 000) marked tried half-way, which leaves both
 * tables nearly full (with the default buckets: new 65 536 slots, tried
 * 16 384): the run then measures a pool that turns over, not one that
 * fills, and memory that keeps growing is a leak or unbounded state, not
 * more peers.
 *
 * The server's resident memory (VmRSS) is sampled every second.  The
 * report: requests served, in total and per kind; every non-2xx status with
 * its count, the 4xx the workload provokes on purpose apart, 5xx apart;
 * memory at the start of the load, after the warm-up (the smaller of 20 % of
 * the run and 30 s) and at the end, and the growth after the warm-up.
 *
 * A pool that still grows (peers in slots left free, bans not yet expired,
 * failed peers resting for the retry time, leases being taken) may grow
 * the server by what those entries cost, so the report also prints the
 * growth the pool's own growth explains, each count taken at its
 * high-water mark after the warm-up (sampled every 5 s: the arrays behind
 * them never shrink): the peers added since the warm-up
 * times what a peer cost during the prefill (the RSS the prefill added over
 * the peers it stored: an upper bound, measured in the same process), plus,
 * computed from their records with the room a doubling array may leave,
 * the bans added (two am_ban), the resting peers added (two retry timers)
 * and the nodes' leases and connections added (HOLD_COST).  Then the
 * verdict on the targets: no 5xx and no unanswered request, and memory
 * after the warm-up growing by less than 2 % beyond what the pool's growth
 * explains.  Exit status 0 when both are met, 1 when one is missed, 2 when
 * the run could not be made.
 */
#include "hb.h"
#include "soak.h"
#include "bench_util.h"
#include "addrman.h"
#include "timerq.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SK_DEFAULT_SERVER
#define SK_DEFAULT_SERVER "addrmand"
#endif

#define MAX_EXTRA 32
#define PREFILL_BATCH 1000
#define WARMUP_SHARE 0.20
#define WARMUP_MAX_S 30
#define TARGET_GROWTH 2.0       /* %, beyond what the pool's growth explains */
#define POOL_EVERY_S 5          /* s between samples of the pool's high-water */
#define MIN_MEASURED_PEERS 1000 /* fewer stored by the prefill: no measure */
#define PEER_COST_FALLBACK 194  /* B, core_bench's figure (docs/BENCHMARKS.md) */
/* B a lease or connection of a node costs the pool (core/pool.c), each
 * twice for doubling: its hold (24) and peer record (24), the record's
 * index slot (4, at most 3/4 full: 5.3), a slot of the node's group set
 * (12, at most half full: 24). */
#define HOLD_COST (2 * (24 + 24 + 6 + 24))
#define WATCHDOG_SLACK_S 600
#define RESP_STATS 16384
#define PAGE_PEERS 1000
#define PAGE_BYTES (1 << 20)    /* a page of 1000 peers is about 300 kB */

typedef struct opts {
    const char *server, *url, *log;
    const char *extra[MAX_EXTRA + 1];
    size_t n_extra;
    unsigned conns, threads, server_threads, seconds;
    unsigned long prefill, tried;
    unsigned long long seed;
    long pid;                   /* the server's, for memory; 0 unknown */
    sk_target t;
} opts;

/* The pool as GET /v1/stats tells it; -1 unknown. */
typedef struct pool_fig {
    long long peers, bans, journal;
    long long cooling, holds;       /* resting peers; leases + connections */
} pool_fig;

typedef struct mem {
    long idle;                      /* kB before the prefill; -1 unknown */
    long start, warm, end, peak;    /* kB; -1 unknown */
    pool_fig pool_idle;             /* before the prefill */
    pool_fig pool[3];               /* at the start, warm, end */
    pool_fig high;                  /* the most of each, from the warm-up on
                                     * (sampled every POOL_EVERY_S) */
    unsigned warm_s;
    int died;
} mem;

/* ---- options ------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: soak [options]\n"
        "  --server PATH       addrmand binary to start (default %s)\n"
        "  --url URL           use a running server, http://IPV4:PORT\n"
        "  --pid PID           with --url: the server's pid, for its memory\n"
        "  --token TOKEN       API token (default $ADDRMAND_API_TOKEN)\n"
        "  --connections N     keep-alive connections (default 64)\n"
        "  --client-threads N  threads sharing them (default 4)\n"
        "  --threads N         server --threads (default: number of cores)\n"
        "  --seconds S         length of the run (default 300)\n"
        "  --prefill N         peers posted before the run (default 500000)\n"
        "  --tried N           of them marked tried before it (default 40000)\n"
        "  --seed N            of the workload's random choices (default 1)\n"
        "  --server-arg ARG    one more argument for the server (repeatable)\n"
        "  --server-log FILE   the server's log file (default /dev/null)\n",
        SK_DEFAULT_SERVER);
}

static unsigned long long number(const char *name, const char *v,
                                 unsigned long long min,
                                 unsigned long long max)
{
    char *end;
    unsigned long long n = strtoull(v, &end, 10);

    if (*v == '\0' || *end != '\0' || n < min || n > max) {
        fprintf(stderr, "soak: %s: expected %llu..%llu, got '%s'\n", name,
                min, max, v);
        exit(2);
    }
    return n;
}

static int set_url(opts *o, const char *url)
{
    size_t n = strlen(url);

    if (strncmp(url, "http://", 7) != 0 || n >= sizeof o->t.base)
        return -1;
    while (n > 0 && url[n - 1] == '/')
        n--;
    snprintf(o->t.base, sizeof o->t.base, "%.*s", (int)n, url);
    o->url = url;
    return 0;
}

static void set_opt(opts *o, const char *name, const char *v)
{
    if (strcmp(name, "--server") == 0)
        o->server = v;
    else if (strcmp(name, "--url") == 0 && set_url(o, v) == 0)
        ;
    else if (strcmp(name, "--pid") == 0)
        o->pid = (long)number(name, v, 1, 1u << 22);
    else if (strcmp(name, "--token") == 0)
        snprintf(o->t.token, sizeof o->t.token, "%s", v);
    else if (strcmp(name, "--connections") == 0)
        o->conns = (unsigned)number(name, v, 1, 4096);
    else if (strcmp(name, "--client-threads") == 0)
        o->threads = (unsigned)number(name, v, 1, 256);
    else if (strcmp(name, "--threads") == 0)
        o->server_threads = (unsigned)number(name, v, 1, 1024);
    else if (strcmp(name, "--seconds") == 0)
        o->seconds = (unsigned)number(name, v, 1, 7 * 86400);
    else if (strcmp(name, "--prefill") == 0)
        o->prefill = (unsigned long)number(name, v, 0, 100000000);
    else if (strcmp(name, "--tried") == 0)
        o->tried = (unsigned long)number(name, v, 0, 100000000);
    else if (strcmp(name, "--seed") == 0)
        o->seed = number(name, v, 0, ~0ull);
    else if (strcmp(name, "--server-arg") == 0 && o->n_extra < MAX_EXTRA)
        o->extra[o->n_extra++] = v;
    else if (strcmp(name, "--server-log") == 0)
        o->log = v;
    else {
        fprintf(stderr, "soak: bad option %s %s\n", name, v);
        usage(stderr);
        exit(2);
    }
}

static void parse(opts *o, int argc, char **argv)
{
    const char *tok = getenv("ADDRMAND_API_TOKEN");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int i;

    memset(o, 0, sizeof *o);
    o->server = SK_DEFAULT_SERVER;
    o->conns = 64;
    o->threads = 4;
    o->server_threads = cores > 0 ? (unsigned)cores : 2;
    o->seconds = 300;
    o->prefill = 500000;
    o->tried = 40000;
    o->seed = 1;
    if (tok != NULL)
        snprintf(o->t.token, sizeof o->t.token, "%s", tok);
    for (i = 1; i < argc; i += 2) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "soak: %s needs a value\n", argv[i]);
            exit(2);
        }
        set_opt(o, argv[i], argv[i + 1]);       /* an option and its value */
    }
    if (o->threads > o->conns)
        o->threads = o->conns;
}

/* ---- the server --------------------------------------------------------- */

static hb_server server;

/* Should anything hang, end the run and the server rather than wait. */
static void watchdog(int sig)
{
    static const char msg[] = "soak: watchdog: the run took too long\n";

    (void)sig;
    if (hb_server_pid > 0)
        kill(hb_server_pid, SIGKILL);
    if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
        _exit(2);
    _exit(2);
}

static void start_server(opts *o)
{
    hb_server_opts so = {o->server, o->server_threads, o->log, o->extra};
    hb_target ht;

    o->extra[o->n_extra] = NULL;
    if (hb_server_start(&server, &so, &ht) != 0)
        exit(2);
    snprintf(o->t.base, sizeof o->t.base, "http://127.0.0.1:%d", ht.port);
    o->pid = server.pid;
}

/* Resident memory of pid in kB, -1 when it is gone. */

/* ---- prefill and the run ------------------------------------------------ */

static long long json_num(const char *body, const char *key)
{
    char pat[64];
    const char *p;

    snprintf(pat, sizeof pat, "\"%s\":", key);
    p = strstr(body, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* The sum of every "key": number after `from` in body, -1 when none. */
static long long json_sum(const char *body, const char *from, const char *key)
{
    char pat[64];
    const char *p = strstr(body, from);
    long long sum = -1;

    snprintf(pat, sizeof pat, "\"%s\":", key);
    while (p != NULL && (p = strstr(p, pat)) != NULL) {
        p += strlen(pat);
        sum = (sum < 0 ? 0 : sum) + strtoll(p, NULL, 10);
    }
    return sum;
}

static void pool_sample(const sk_target *t, pool_fig *f)
{
    static char body[RESP_STATS];
    long long leased, connected;
    sk_req r = {0};

    r.method = "GET";
    snprintf(r.path, sizeof r.path, "/v1/stats");
    f->peers = f->bans = f->journal = f->cooling = f->holds = -1;
    if (sk_request_once(t, &r, body, sizeof body) != 200)
        return;
    f->peers = json_num(body, "peers");     /* the first: the total */
    f->bans = json_num(body, "bans");
    f->journal = json_num(body, "journal_bytes");
    f->cooling = json_num(body, "cooling");
    leased = json_sum(body, "\"nodes\":", "leased");
    connected = json_sum(body, "\"nodes\":", "connected");
    f->holds = leased < 0 || connected < 0 ? -1 : leased + connected;
}

/* Post n new peers in batches; w carries on where the last call ended. */
static int post_peers(const opts *o, sk_work *w, unsigned long n)
{
    sk_req r = {0};
    unsigned long done;
    long st = 200;

    for (done = 0; done < n && st == 200; done += PREFILL_BATCH) {
        sk_build_add(w, &r, (unsigned)(n - done < PREFILL_BATCH
                                       ? n - done : PREFILL_BATCH));
        st = sk_request_once(&o->t, &r, NULL, 0);
    }
    sk_req_free(&r);
    if (st == 200)
        return 0;
    fprintf(stderr, "soak: prefill: POST /v1/peers answered %ld\n", st);
    return -1;
}

/* Mark o->tried peers tried, in id order: GET /v1/peers pages, then one
 * PUT each. */
static int prefill_tried(const opts *o)
{
    static char page[PAGE_BYTES];
    unsigned long long after = 0, marked = 0, id;
    sk_req r = {0};
    const char *p;
    long st;

    while (marked < o->tried) {
        sk_req get = {0};

        get.method = "GET";
        snprintf(get.path, sizeof get.path, "/v1/peers?limit=%d&after=%llu",
                 PAGE_PEERS, after);
        if ((st = sk_request_once(&o->t, &get, page, sizeof page)) != 200)
            goto fail;
        if ((p = strstr(page, "\"id\":")) == NULL)
            break;              /* fewer peers than asked */
        for (; p != NULL && marked < o->tried; p = strstr(p, "\"id\":")) {
            after = id = strtoull(p + 5, NULL, 10);
            p += 5;
            sk_mark(&r, id, "tried");
            if ((st = sk_request_once(&o->t, &r, NULL, 0)) != 200)
                goto fail;
            marked++;
        }
    }
    sk_req_free(&r);
    return 0;
fail:
    fprintf(stderr, "soak: prefill: marking peers tried: HTTP %ld\n", st);
    sk_req_free(&r);
    return -1;
}

/* Half the peers, the tried marks (which empty part of the new table),
 * then the other half to fill it again. */
static int prefill(const opts *o)
{
    sk_work w;

    sk_work_init(&w, o->seed ^ 0x5eedull, 0);
    return post_peers(o, &w, o->prefill / 2) != 0 ||
           prefill_tried(o) != 0 ||
           post_peers(o, &w, o->prefill - o->prefill / 2) != 0 ? -1 : 0;
}

static void sleep_until(uint64_t t_ns)
{
    uint64_t now = hb_now_ns();
    struct timespec ts;

    if (t_ns <= now)
        return;
    ts.tv_sec = (time_t)((t_ns - now) / 1000000000u);
    ts.tv_nsec = (long)((t_ns - now) % 1000000000u);
    nanosleep(&ts, NULL);
}

static void progress(unsigned s, uint64_t done, long kb)
{
    printf("  [%4u s] %llu requests (%.0f/s)", s, (unsigned long long)done,
           (double)done / s);
    if (kb >= 0)
        printf(", server VmRSS %.1f MiB", kb / 1024.0);
    printf("\n");
    fflush(stdout);
}

/* Raise each count of hi to f's where f's is larger (unknown: -1). */
static void pool_high(pool_fig *hi, const pool_fig *f)
{
#define SK_HIGH(x) if (f->x > hi->x) hi->x = f->x
    SK_HIGH(peers);
    SK_HIGH(bans);
    SK_HIGH(journal);
    SK_HIGH(cooling);
    SK_HIGH(holds);
#undef SK_HIGH
}

/* The load, one memory sample a second; counts into c. */
static void run(const opts *o, mem *m, sk_counts *c, double *elapsed)
{
    unsigned every = o->seconds >= 100 ? o->seconds / 10 : 10, s;
    uint64_t t0;
    sk_load *l;

    m->warm_s = (unsigned)(o->seconds * WARMUP_SHARE + 0.5);
    if (m->warm_s > WARMUP_MAX_S)
        m->warm_s = WARMUP_MAX_S;
    if (m->warm_s < 1)
        m->warm_s = 1;
    m->start = m->peak = (o->pid > 0 ? bench_rss_kb(o->pid) : -1);
    m->warm = m->end = -1;
    pool_sample(&o->t, &m->pool[0]);
    t0 = hb_now_ns();
    l = sk_load_start(&o->t, o->conns, o->threads, o->seed);
    for (s = 1; s <= o->seconds; s++) {
        long kb;

        sleep_until(t0 + (uint64_t)s * 1000000000u);
        kb = (o->pid > 0 ? bench_rss_kb(o->pid) : -1);
        if (o->pid > 0 && kb < 0) {
            m->died = 1;
            break;
        }
        if (s == m->warm_s) {
            m->warm = kb;
            pool_sample(&o->t, &m->pool[1]);
            m->high = m->pool[1];
        } else if (s > m->warm_s && s % POOL_EVERY_S == 0) {
            pool_fig f;
            pool_sample(&o->t, &f);
            pool_high(&m->high, &f);
        }
        m->end = kb;
        if (kb > m->peak)
            m->peak = kb;
        if (s % every == 0 || s == o->seconds)
            progress(s, sk_load_done(l), kb);
    }
    if (!m->died) {
        pool_sample(&o->t, &m->pool[2]);
        pool_high(&m->high, &m->pool[2]);
    }
    sk_load_stop(l, c);
    *elapsed = (double)(hb_now_ns() - t0) / 1e9;
}

/* ---- report ------------------------------------------------------------- */

typedef struct totals {
    uint64_t served, ok, expected, other4xx, e5xx, none, other;
} totals;

static void kind_line(const sk_counts *c, int k, totals *t)
{
    uint64_t n[6] = {0}, all;
    int st;

    for (st = 0; st < SK_STATUS_MAX; st++) {
        uint64_t v = c->status[k][st];
        int i = st == 0 ? 5 : st < 300 && st >= 200 ? 0
              : st == sk_expected_4xx[k] ? 1 : st >= 400 && st < 500 ? 2
              : st >= 500 ? 3 : 4;

        n[i] += v;
    }
    all = n[0] + n[1] + n[2] + n[3] + n[4];
    printf("  %-8s %10llu %10llu %10llu %10llu %8llu %8llu %8.2f\n",
           sk_kind_name[k], (unsigned long long)all,
           (unsigned long long)n[0], (unsigned long long)n[1],
           (unsigned long long)(n[2] + n[4]), (unsigned long long)n[3],
           (unsigned long long)n[5],
           all ? (double)c->ns[k] / (double)all / 1e6 : 0.0);
    t->served += all;
    t->ok += n[0];
    t->expected += n[1];
    t->other4xx += n[2];
    t->e5xx += n[3];
    t->other += n[4];
    t->none += n[5];
}

/* One line per non-2xx status: its count and which kinds got it. */
static void status_lines(const sk_counts *c)
{
    int st, k, any = 0;

    for (st = 0; st < SK_STATUS_MAX; st++) {
        uint64_t n = 0;

        if (st >= 200 && st < 300)
            continue;
        for (k = 0; k < SK_N_KINDS; k++)
            n += c->status[k][st];
        if (n == 0)
            continue;
        any = 1;
        printf("  %s %3d: %llu (", st >= 500 ? "5xx" : "   ", st,
               (unsigned long long)n);
        for (k = 0; k < SK_N_KINDS; k++)
            if (c->status[k][st])
                printf(" %s %llu%s", sk_kind_name[k],
                       (unsigned long long)c->status[k][st],
                       st == sk_expected_4xx[k] ? " expected" : "");
        printf(" )%s\n", st == 0 ? "  [no answer: transport error]" : "");
    }
    if (!any)
        printf("  none\n");
}

static void mem_line(const char *what, long kb)
{
    if (kb < 0)
        printf("  %-40s unknown\n", what);
    else
        printf("  %-40s %8.1f MiB\n", what, kb / 1024.0);
}

static void pool_lines(const mem *m)
{
    static const char *const when[3] = {"start", "after the warm-up", "end"};
    int i;

    printf("  pool (GET /v1/stats):");
    for (i = 0; i < 3; i++)
        printf("%s %s %lld peers, %lld bans, journal %lld B", i ? ";" : "",
               when[i], m->pool[i].peers, m->pool[i].bans,
               m->pool[i].journal);
    printf("\n  pool (GET /v1/stats):");
    for (i = 0; i < 3; i++)
        printf("%s %s %lld resting peers, %lld node leases and connections",
               i ? ";" : "", when[i], m->pool[i].cooling, m->pool[i].holds);
    printf("\n");
}

/* Bytes a stored peer cost: the RSS the prefill added over the peers it
 * stored, or core_bench's figure when the prefill stored too few; *how
 * says which. */
static double peer_cost(const mem *m, const char **how)
{
    long long peers = m->pool[0].peers - m->pool_idle.peers;

    if (m->idle > 0 && m->start > m->idle && m->pool_idle.peers >= 0 &&
        peers >= MIN_MEASURED_PEERS) {
        *how = "measured: the RSS the prefill added / the peers it stored";
        return (double)(m->start - m->idle) * 1024.0 / (double)peers;
    }
    *how = "core_bench's figure: the prefill stored too few to measure";
    return PEER_COST_FALLBACK;
}

/* Bytes `added` entries of `cost` bytes each explain (none when fewer). */
static double added_bytes(long long added, double cost)
{
    return added > 0 ? (double)added * cost : 0;
}

/* The growth after the warm-up the pool's own growth explains, in kB.
 * Each count is taken at its high-water mark, not at the end: the arrays
 * that hold peers, bans, timers and leases double as they grow and never
 * shrink, so a count that rose and fell again keeps what its peak cost (a
 * part that never grew past the warm-up counts as none). */
static double pool_growth_kb(const mem *m)
{
    const pool_fig *w = &m->pool[1], *e = &m->high;
    const double ban = 2.0 * sizeof(am_ban), timer = 2.0 * sizeof(am_timer);
    const char *how;
    double peer = peer_cost(m, &how), b;

    printf("  cost of an entry: %.0f B a peer (%s); %.0f B a ban, %.0f B a "
           "resting peer, %d B a node's lease or connection (computed from "
           "their records)\n", peer, how, ban, timer, HOLD_COST);
    if (w->peers < 0 || e->peers < 0 || w->bans < 0 || e->bans < 0 ||
        w->cooling < 0 || e->cooling < 0 || w->holds < 0 || e->holds < 0) {
        printf("  the pool's growth after the warm-up: unknown (GET "
               "/v1/stats failed); counted as none\n");
        return 0;
    }
    b = added_bytes(e->peers - w->peers, peer) +
        added_bytes(e->bans - w->bans, ban) +
        added_bytes(e->cooling - w->cooling, timer) +
        added_bytes(e->holds - w->holds, HOLD_COST);
    printf("  the pool's growth after the warm-up, to its high-water mark: "
           "%+lld peers, %+lld bans, %+lld resting peers, %+lld leases and "
           "connections: explains %+.2f MiB (%+.2f %%)\n",
           e->peers - w->peers, e->bans - w->bans,
           e->cooling - w->cooling, e->holds - w->holds, b / 1048576.0,
           m->warm > 0 ? 100.0 * b / 1024.0 / (double)m->warm : 0.0);
    return b / 1024.0;
}

/* The growth after the warm-up beyond what the pool's growth explains, in
 * %, or -1000 when it is not known. */
static double report_memory(const opts *o, const mem *m)
{
    char what[80];
    double g, explained;

    printf("server memory (VmRSS of pid %ld):\n", o->pid);
    mem_line("before the prefill", m->idle);
    mem_line("at the start of the load", m->start);
    snprintf(what, sizeof what, "after the warm-up (%u s: min(20 %%, 30 s))",
             m->warm_s);
    mem_line(what, m->warm);
    mem_line("at the end", m->end);
    mem_line("peak", m->peak);
    pool_lines(m);
    if (m->warm <= 0 || m->end < 0) {
        printf("  growth after the warm-up: not measured%s\n",
               o->pid ? "" : " (give --pid with --url)");
        return -1000;
    }
    g = 100.0 * (double)(m->end - m->warm) / (double)m->warm;
    printf("  growth after the warm-up: %+.2f %% (%+.2f MiB)\n", g,
           (double)(m->end - m->warm) / 1024.0);
    explained = pool_growth_kb(m);
    g = 100.0 * ((double)(m->end - m->warm) - explained) / (double)m->warm;
    printf("  RSS growth beyond the pool's growth: %+.2f %% (%+.2f MiB; "
           "target < %.0f %%)\n", g,
           ((double)(m->end - m->warm) - explained) / 1024.0, TARGET_GROWTH);
    return g;
}

static int verdict(const totals *t, const mem *m, double growth)
{
    int ok_err = t->e5xx == 0 && t->none == 0 && !m->died;
    int ok_mem = growth < TARGET_GROWTH;

    printf("verdict: %s: 5xx %llu, unanswered %llu%s (target 0: %s); "
           "memory growth after warm-up beyond the pool's growth ",
           ok_err && ok_mem ? "PASS" : "FAIL", (unsigned long long)t->e5xx,
           (unsigned long long)t->none, m->died ? ", the server died" : "",
           ok_err ? "met" : "MISSED");
    if (growth <= -1000)
        printf("not measured (target < %.0f %%: not checked)\n",
               TARGET_GROWTH);
    else
        printf("%+.2f %% (target < %.0f %%: %s)\n", growth, TARGET_GROWTH,
               ok_mem ? "met" : "MISSED");
    if (t->other4xx + t->other > 0)
        printf("note: %llu answers with a status the workload does not "
               "provoke on purpose (see above)\n",
               (unsigned long long)(t->other4xx + t->other));
    return ok_err && ok_mem ? 0 : 1;
}

static int report(const opts *o, const sk_counts *c, const mem *m,
                  double elapsed, double cpu_s)
{
    totals t = {0};
    int k;

    printf("requests by kind:\n  %-8s %10s %10s %10s %10s %8s %8s %8s\n",
           "kind", "answered", "2xx", "4xx-exp", "other", "5xx",
           "no-answer", "mean-ms");
    for (k = 0; k < SK_N_KINDS; k++)
        kind_line(c, k, &t);
    printf("requests served: %llu in %.1f s (%.0f/s); 2xx %llu, expected 4xx "
           "%llu, other 4xx %llu, 5xx %llu, unanswered %llu\n",
           (unsigned long long)t.served, elapsed, (double)t.served / elapsed,
           (unsigned long long)t.ok, (unsigned long long)t.expected,
           (unsigned long long)t.other4xx, (unsigned long long)t.e5xx,
           (unsigned long long)t.none);
    if (cpu_s > 0)
        printf("server CPU: %.1f s (%.1f us per request)\n", cpu_s,
               cpu_s * 1e6 / (double)(t.served ? t.served : 1));
    printf("errors by status (non-2xx; expected: %s 404 = evicted peer, "
           "%s 404 = ban already gone):\n", sk_kind_name[SK_STATE],
           sk_kind_name[SK_UNBAN]);
    status_lines(c);
    return verdict(&t, m, report_memory(o, m));
}

/* ---- main --------------------------------------------------------------- */

static int still_healthy(const sk_target *t)
{
    sk_req r = {0};

    r.method = "GET";
    snprintf(r.path, sizeof r.path, "/healthz");
    return sk_request_once(t, &r, NULL, 0) == 200;
}

int main(int argc, char **argv)
{
    static sk_counts counts;
    uint64_t cpu0;
    double elapsed;
    mem m = {0};
    opts o;
    int rc;

    parse(&o, argc, argv);
    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, watchdog);
    if (!o.url)
        start_server(&o);
    m.idle = o.pid > 0 ? bench_rss_kb(o.pid) : -1;
    pool_sample(&o.t, &m.pool_idle);
    alarm(o.seconds + WATCHDOG_SLACK_S);
    printf("soak: %s%s, %u connections (%u client threads), %u s, "
           "prefill %lu peers (%lu marked tried), seed %llu\n",
           o.url ? "" : "started ", o.url ? o.url : o.server, o.conns,
           o.threads, o.seconds, o.prefill, o.tried, o.seed);
    fflush(stdout);
    if (prefill(&o) != 0) {
        hb_server_stop(&server);
        return 2;
    }
    cpu0 = hb_cpu_ns((pid_t)o.pid);
    run(&o, &m, &counts, &elapsed);
    if (!m.died && !still_healthy(&o.t)) {
        printf("the server no longer answers GET /healthz\n");
        m.died = 1;
    }
    rc = report(&o, &counts, &m, elapsed,
                (double)(hb_cpu_ns((pid_t)o.pid) - cpu0) / 1e9);
    sk_request_done();
    hb_server_stop(&server);
    curl_global_cleanup();
    return rc;
}
