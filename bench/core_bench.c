/*
 * core_bench.c - the workload of Bitcoin Core's src/bench/addrman.cpp on the
 * addrmand core, plus memory per address, select time against table
 * fill and a node's select through the shared pool (pool.h).  One line per
 * case: "<case> <ns per op> ns/op <ops> cpu=<CPU ns per op>".
 *
 *   core_bench [--quick]          --quick: few repetitions (CI smoke run, < 5 s)
 *   core_bench --scale [--quick]  only the scaling run: tables sized for
 *                                 1 000 000 peers, filled to 10k, 100k, 1M
 *                                 (--quick: to 1k, 10k, 100k)
 *   core_bench --pool N           only the shared pool's cases, N times over
 *                                 (to compare builds of the pool)
 *
 * Key, seed and clock are fixed, so every run does the same work.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addrman.h"
#include "bench_util.h"
#include "pool.h"

#define NUM_SOURCES 64
#define ADDRS_PER_SOURCE 256
#define NUM_ADDRS (NUM_SOURCES * ADDRS_PER_SOURCE)
#define BENCH_NOW INT64_C(1700000000)
#define NODE_NETWORK 1u

static int64_t g_now = BENCH_NOW;
static int g_quick;

static am_addr g_sources[NUM_SOURCES];
static am_addr g_addrs[NUM_ADDRS];   /* g_addrs[s * 256 + i] from source s */
static uint64_t g_ids[NUM_ADDRS];

/* ---- helpers ---------------------------------------------------------------- */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* CPU time of the process: on a shared machine the wall time also counts
 * the neighbours' share of the cores. */
static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The CPU time at the last start_clocks(), for report(). */
static double g_cpu0;

/* Start timing a case: returns the wall clock, notes the CPU time. */
static double start_clocks(void)
{
    g_cpu0 = cpu_ns();
    return now_ns();
}

/* "<case> <wall ns/op> ns/op <ops> cpu=<CPU ns/op>" (CPU since the last
 * start_clocks(): the figure to compare runs by on a busy machine). */
static void report(const char *name, double ns, uint64_t ops)
{
    double cpu = cpu_ns() - g_cpu0;
    printf("%s %.1f ns/op %llu cpu=%.1f\n", name, ns / (double)ops,
           (unsigned long long)ops, cpu / (double)ops);
    fflush(stdout);
}

static int64_t bench_clock(void *ctx)
{
    return *(const int64_t *)ctx;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static int v4_routable(uint32_t ip)
{
    unsigned a = ip >> 24, b = (ip >> 16) & 255, c = (ip >> 8) & 255;
    if (a == 0 || a == 10 || a == 127 || a >= 224)
        return 0;
    if ((a == 100 && (b & 0xc0) == 64) || (a == 169 && b == 254))
        return 0;
    if ((a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168))
        return 0;
    if (a == 198 && (b & 0xfe) == 18)
        return 0;
    return !((a == 192 && b == 0) || (a == 198 && b == 51 && c == 100) ||
             (a == 203 && b == 0 && c == 113));
}

static am_addr random_v4(uint64_t *rng, uint16_t port)
{
    am_addr a;
    uint32_t ip;
    do
        ip = (uint32_t)rng_next(rng);
    while (!v4_routable(ip));
    memset(&a, 0, sizeof a);
    a.net = AM_NET_IPV4;
    a.port = port;
    a.bytes[0] = (uint8_t)(ip >> 24);
    a.bytes[1] = (uint8_t)(ip >> 16);
    a.bytes[2] = (uint8_t)(ip >> 8);
    a.bytes[3] = (uint8_t)ip;
    return a;
}

static am_addr random_i2p(uint64_t *rng)
{
    uint8_t bytes[32];
    am_addr a;
    for (int i = 0; i < 32; i += 8) {
        uint64_t r = rng_next(rng);
        memcpy(bytes + i, &r, 8);
    }
    int rc = am_addr_from_bytes(&a, AM_NET_I2P, bytes, sizeof bytes, 0);
    if (rc != AM_OK)
        bench_die("core_bench", "am_addr_from_bytes(I2P)", rc);
    return a;
}

static am_man *new_man(uint32_t new_buckets, uint32_t tried_buckets)
{
    am_config cfg;
    am_man *m = NULL;
    am_config_default(&cfg);
    cfg.new_buckets = new_buckets;
    cfg.tried_buckets = tried_buckets;
    cfg.have_key = 1;
    for (int i = 0; i < 16; i++)
        cfg.key[i] = (uint8_t)(i * 29 + 3);
    cfg.seed = UINT64_C(0xb3e7c0de);
    cfg.clock = bench_clock;
    cfg.clock_ctx = &g_now;
    int rc = am_new(&cfg, &m);
    if (rc != AM_OK)
        bench_die("core_bench", "am_new", rc);
    return m;
}

/* Core's CreateAddresses: 64 sources x 256 addresses, the first one I2P (so
 * that it is added into an empty table and surely stored). */
static void create_addresses(void)
{
    uint64_t rng = 42;
    for (int s = 0; s < NUM_SOURCES; s++) {
        g_sources[s] = random_v4(&rng, 0);
        for (int i = 0; i < ADDRS_PER_SOURCE; i++)
            g_addrs[s * ADDRS_PER_SOURCE + i] = random_v4(&rng, 8333);
    }
    g_addrs[0] = random_i2p(&rng);
}

/* Add the 16 384 addresses; returns how many were stored (ids in g_ids). */
static size_t fill(am_man *m)
{
    size_t stored = 0;
    for (int k = 0; k < NUM_ADDRS; k++) {
        int is_new;
        uint64_t id = 0;
        int rc = am_add(m, &g_addrs[k], &g_sources[k / ADDRS_PER_SOURCE],
                        NODE_NETWORK, 0, 0, &is_new, &id);
        if (rc != AM_OK && rc != AM_ERR_REJECTED && rc != AM_ERR_GROUP_CAP)
            bench_die("core_bench", "am_add", rc);
        g_ids[k] = rc == AM_OK ? id : 0;
        stored += rc == AM_OK;
    }
    return stored;
}

static size_t reps(size_t full, size_t quick)
{
    return g_quick ? quick : full;
}

/* ---- Core's cases ------------------------------------------------------------ */

static void bench_add(void)
{
    size_t n = reps(20, 2);
    double t0 = start_clocks();
    for (size_t r = 0; r < n; r++) {
        am_man *m = new_man(1024, 256);
        fill(m);
        am_free(m);
    }
    report("add", now_ns() - t0, (uint64_t)(n * NUM_ADDRS));
}

static void bench_select_loop(const char *name, am_man *m,
                              const am_select_opts *o, size_t n)
{
    am_peer p;
    double t0 = start_clocks();
    for (size_t i = 0; i < n; i++) {
        int rc = am_select(m, o, &p);
        if (rc != AM_OK)
            bench_die("core_bench", name, rc);
        if (o->networks != 0 && !(o->networks & (1u << p.addr.net)))
            bench_die("core_bench", name, AM_ERR_INTERNAL);
    }
    report(name, now_ns() - t0, (uint64_t)n);
}

static void bench_selects(am_man *m)
{
    am_select_opts o;
    memset(&o, 0, sizeof o);
    bench_select_loop("select", m, &o, reps(2000000, 100000));
    o.networks = 1u << AM_NET_I2P;
    bench_select_loop("select_network", m, &o, reps(200000, 20000));
}

static void bench_select_almost_empty(void)
{
    am_man *m = new_man(1024, 256);
    int is_new;
    int rc = am_add(m, &g_addrs[NUM_ADDRS - 1], NULL, 0, 0, 0, &is_new, NULL);
    if (rc != AM_OK)
        bench_die("core_bench", "am_add", rc);
    am_select_opts o;
    memset(&o, 0, sizeof o);
    bench_select_loop("select_almost_empty", m, &o, reps(1000000, 50000));
    am_free(m);
}

static void bench_getaddr(am_man *m)
{
    am_peer *out = malloc(2500 * sizeof *out);
    size_t n = reps(2000, 100), got = 0;
    if (out == NULL)
        bench_die("core_bench", "malloc", AM_ERR_NOMEM);
    double t0 = start_clocks();
    for (size_t i = 0; i < n; i++) {
        int rc = am_sample(m, 2500, 23, 0, 0, out, &got);
        if (rc != AM_OK)
            bench_die("core_bench", "am_sample", rc);
    }
    report("getaddr", now_ns() - t0, (uint64_t)n);
    printf("# getaddr: %zu addresses a call from %zu stored\n", got, am_size(m));
    free(out);
}

/* Core's AddrManAddThenGood: the timed run adds every address then marks
 * each stored one good; reported per address. */
static void bench_good(void)
{
    size_t n = reps(10, 1);
    double t0 = start_clocks();
    for (size_t r = 0; r < n; r++) {
        am_man *m = new_man(1024, 256);
        fill(m);
        for (int k = 0; k < NUM_ADDRS; k++) {
            if (g_ids[k] == 0)
                continue;
            int rc = am_set_state(m, g_ids[k], AM_OP_TRIED, NULL);
            if (rc != AM_OK)
                bench_die("core_bench", "am_set_state", rc);
        }
        am_free(m);
    }
    report("good", now_ns() - t0, (uint64_t)(n * NUM_ADDRS));
}

/* ---- the shared pool ------------------------------------------------------------- */

static am_pool *new_pool(am_man *m)
{
    am_pool_config cfg;
    am_pool *p = NULL;
    am_pool_config_default(&cfg);
    cfg.clock = bench_clock;
    cfg.clock_ctx = &g_now;
    cfg.core = m;
    int rc = am_pool_new(&cfg, &p);
    if (rc != AM_OK)
        bench_die("core_bench", "am_pool_new", rc);
    return p;
}

/* `n` calls of am_pool_select(o); with leases, each answer is reported
 * disconnected at once, so every call meets the same pool. */
static void pool_select_loop(const char *name, am_pool *p, am_man *m,
                             const am_pool_select_opts *o, size_t n)
{
    am_peer out[8];
    double t0 = start_clocks();
    for (size_t i = 0; i < n; i++) {
        size_t got = 0;
        int rc = am_pool_select(p, m, o, out, &got);
        if (rc != AM_OK || got != o->count)
            bench_die("core_bench", name, rc != AM_OK ? rc : AM_ERR_INTERNAL);
        for (size_t k = 0; o->lease_seconds > 0 && k < got; k++)
            if ((rc = am_pool_report(p, o->node, &out[k],
                                     AM_OP_DISCONNECTED)) != AM_OK)
                bench_die("core_bench", name, rc);
    }
    report(name, now_ns() - t0, (uint64_t)n);
}

/*
 * A node's diverse select of 8 peers on the full table: a pure read
 * (pool_select), with leases ended by the node's reports (pool_select_lease),
 * and by a node that already holds 1 000 leases, whose groups every
 * candidate is tested against (pool_select_held).
 */
static void bench_pool(am_man *m)
{
    am_pool *p = new_pool(m);
    am_pool_select_opts o;
    memset(&o, 0, sizeof o);
    o.node = "bench";
    o.count = 8;
    o.diverse = 1;
    pool_select_loop("pool_select", p, m, &o, reps(200000, 10000));
    o.lease_seconds = 60;
    pool_select_loop("pool_select_lease", p, m, &o, reps(100000, 5000));
    am_peer *held = malloc(1000 * sizeof *held);
    size_t got = 0;
    if (held == NULL)
        bench_die("core_bench", "malloc", AM_ERR_NOMEM);
    am_pool_select_opts big = o;
    big.node = "holder";
    big.count = 1000;
    big.lease_seconds = 3600;
    int rc = am_pool_select(p, m, &big, held, &got);
    if (rc != AM_OK || got != 1000)
        bench_die("core_bench", "am_pool_select(1000)", rc != AM_OK ? rc : AM_ERR_INTERNAL);
    o.node = "holder";
    o.lease_seconds = 0;
    pool_select_loop("pool_select_held", p, m, &o, reps(100000, 5000));
    free(held);
    am_pool_free(p);
}

/* ---- memory ---------------------------------------------------------------------- */

/* `n` addresses from `nsrc` sources, made before anything is measured. */
static void make_bulk(am_addr *addrs, size_t n, am_addr *srcs, size_t nsrc,
                      uint64_t seed)
{
    uint64_t rng = seed;
    for (size_t i = 0; i < nsrc; i++)
        srcs[i] = random_v4(&rng, 0);
    for (size_t i = 0; i < n; i++)
        addrs[i] = random_v4(&rng, 8333);
}

static size_t add_bulk(am_man *m, const am_addr *addrs, size_t n,
                       const am_addr *srcs, size_t nsrc)
{
    size_t stored = 0;
    for (size_t i = 0; i < n; i++) {
        int is_new = 0;
        int rc = am_add(m, &addrs[i], &srcs[i % nsrc], NODE_NETWORK, 0, 0,
                        &is_new, NULL);
        if (rc != AM_OK && rc != AM_ERR_REJECTED && rc != AM_ERR_GROUP_CAP)
            bench_die("core_bench", "am_add", rc);
        stored += rc == AM_OK && is_new;
    }
    return stored;
}

static char g_memory_report[256];

/* Run first, before other allocations could be reused without showing in
 * VmRSS; the lines are printed later, in the documented order. */
static void measure_memory(void)
{
    enum { N = 100000, NSRC = 1000 };
    am_addr *addrs = malloc(N * sizeof *addrs);
    am_addr *srcs = malloc(NSRC * sizeof *srcs);
    if (addrs == NULL || srcs == NULL)
        bench_die("core_bench", "malloc", AM_ERR_NOMEM);
    make_bulk(addrs, N, srcs, NSRC, 7);
    long before = bench_rss_kb(0);
    am_man *m = new_man(4096, 1024);
    size_t stored = add_bulk(m, addrs, N, srcs, NSRC);
    long after = bench_rss_kb(0);
    double per = stored == 0 || before < 0 || after < 0
                     ? -1.0
                     : (double)(after - before) * 1024.0 / (double)stored;
    snprintf(g_memory_report, sizeof g_memory_report,
             "memory %.1f bytes/addr %d\n"
             "# memory: %zu of %d stored, VmRSS %ld -> %ld kB\n",
             per, N, stored, N, before, after);
    am_free(m);
    free(addrs);
    free(srcs);
}

/* ---- select time against fill ------------------------------------------------------ */

static double g_flat[4];

static int count_candidate(void *ctx, const am_peer *candidate)
{
    (void)candidate;
    ++*(uint64_t *)ctx;
    return 0;
}

/* How many candidates one select hands to the skip callback: the work per
 * select apart from cache misses. */
static double candidates_per_select(am_man *m)
{
    uint64_t calls = 0;
    size_t n = 20000;
    am_select_opts o;
    am_peer p;
    memset(&o, 0, sizeof o);
    o.skip = count_candidate;
    o.skip_ctx = &calls;
    for (size_t i = 0; i < n; i++)
        if (am_select(m, &o, &p) != AM_OK)
            bench_die("core_bench", "am_select", AM_ERR_NOTFOUND);
    return (double)calls / (double)n;
}

static void bench_select_at(am_man *m, size_t *have, am_addr *addrs,
                            size_t target, const am_addr *srcs, size_t nsrc,
                            int idx)
{
    char name[32];
    add_bulk(m, addrs + *have, target - *have, srcs, nsrc);
    *have = target;
    am_select_opts o;
    memset(&o, 0, sizeof o);
    size_t n = reps(1000000, 50000);
    am_peer p;
    double t0 = start_clocks();
    for (size_t i = 0; i < n; i++) {
        int rc = am_select(m, &o, &p);
        if (rc != AM_OK)
            bench_die("core_bench", "am_select", rc);
    }
    double ns = now_ns() - t0;
    g_flat[idx] = ns / (double)n;
    snprintf(name, sizeof name, "select_at_%zu", target);
    report(name, ns, (uint64_t)n);
    printf("# select_at_%zu: %zu stored, %.2f candidates looked at a select\n",
           target, am_size(m), candidates_per_select(m));
}

static void bench_select_flatness(void)
{
    enum { NSRC = 10000 };
    size_t top = 1000000;
    am_addr *addrs = malloc(top * sizeof *addrs);
    am_addr *srcs = malloc(NSRC * sizeof *srcs);
    if (addrs == NULL || srcs == NULL)
        bench_die("core_bench", "malloc", AM_ERR_NOMEM);
    make_bulk(addrs, top, srcs, NSRC, 99);
    am_man *m = new_man(16384, 4096);
    size_t have = 0;
    int idx = 0;
    for (size_t target = 1000; target <= top; target *= 10)
        bench_select_at(m, &have, addrs, target, srcs, NSRC, idx++);
    double lo = g_flat[0], hi = g_flat[0];
    for (int i = 1; i < idx; i++) {
        lo = g_flat[i] < lo ? g_flat[i] : lo;
        hi = g_flat[i] > hi ? g_flat[i] : hi;
    }
    printf("# select flatness: max/min %.2f over %d sizes\n", hi / lo, idx);
    am_free(m);
    free(addrs);
    free(srcs);
}

/* ---- scaling: tables sized for 1 000 000 peers ------------------------------- */

#define SCALE_NEW_BUCKETS 16384     /* 1 048 576 new slots */
#define SCALE_TRIED_BUCKETS 4096    /* Core's 4:1 of new to tried */
#define SCALE_SOURCES 10000
#define SCALE_BATCH 4096
#define SCALE_POINTS 3
#define SCALE_GIVE_UP 20            /* adds per stored peer before giving up */
#define SCALE_TARGET_RATIO 2.0
#define SCALE_TARGET_BYTES 250.0

static const size_t g_scale_at[SCALE_POINTS] = {10000, 100000, 1000000};
#define SCALE_QUICK_DIV 10      /* --quick stops at a tenth of each point */

typedef struct scale_run {
    am_man *m;
    am_addr *srcs;
    am_addr batch[SCALE_BATCH];
    uint64_t rng;
    uint64_t adds;          /* am_add calls so far */
    long rss0_kb;           /* before the tables existed */
} scale_run;

typedef struct scale_point {
    size_t stored;
    uint64_t adds;          /* calls from the previous point to this one */
    double add_ns, select_ns, bytes;
    double add_cpu, select_cpu;     /* the same in CPU time */
} scale_point;

/* Add from the run's sources, round robin, until `target` peers are
 * stored.  Only the am_add calls are timed: the addresses of a batch are
 * drawn before it.  Returns the ns spent in am_add; *cpu the CPU ns. */
static double scale_fill_to(scale_run *r, size_t target, double *cpu)
{
    double ns = 0;
    *cpu = 0;
    while (am_size(r->m) < target) {
        if (r->adds > (uint64_t)target * SCALE_GIVE_UP)
            bench_die("core_bench", "the tables do not take the peers", AM_ERR_REJECTED);
        for (int i = 0; i < SCALE_BATCH; i++)
            r->batch[i] = random_v4(&r->rng, 8333);
        double t0 = now_ns(), c0 = cpu_ns();
        int i = 0;
        for (; i < SCALE_BATCH && am_size(r->m) < target; i++) {
            int is_new;
            int rc = am_add(r->m, &r->batch[i],
                            &r->srcs[r->adds++ % SCALE_SOURCES], NODE_NETWORK,
                            0, 0, &is_new, NULL);
            if (rc != AM_OK && rc != AM_ERR_REJECTED && rc != AM_ERR_GROUP_CAP)
                bench_die("core_bench", "am_add", rc);
        }
        ns += now_ns() - t0;
        *cpu += cpu_ns() - c0;
    }
    return ns;
}

static double scale_select_ns(am_man *m, size_t n, double *cpu)
{
    am_select_opts o;
    am_peer p;
    memset(&o, 0, sizeof o);
    double t0 = now_ns(), c0 = cpu_ns();
    for (size_t i = 0; i < n; i++) {
        int rc = am_select(m, &o, &p);
        if (rc != AM_OK)
            bench_die("core_bench", "am_select", rc);
    }
    *cpu = (cpu_ns() - c0) / (double)n;
    return (now_ns() - t0) / (double)n;
}

static void scale_point_measure(scale_run *r, size_t target, scale_point *pt)
{
    uint64_t adds0 = r->adds;
    double add_cpu, add_ns = scale_fill_to(r, target, &add_cpu);
    long rss = bench_rss_kb(0);
    size_t n_sel = reps(1000000, 100000);

    pt->stored = am_size(r->m);
    pt->adds = r->adds - adds0;
    pt->add_ns = add_ns / (double)pt->adds;
    pt->add_cpu = add_cpu / (double)pt->adds;
    pt->bytes = rss < 0 || r->rss0_kb < 0
                    ? -1.0
                    : (double)(rss - r->rss0_kb) * 1024.0 / (double)pt->stored;
    pt->select_ns = scale_select_ns(r->m, n_sel, &pt->select_cpu);
    printf("scale_add_%zu %.1f ns/op %llu cpu=%.1f\n", target, pt->add_ns,
           (unsigned long long)pt->adds, pt->add_cpu);
    printf("scale_select_%zu %.1f ns/op %zu cpu=%.1f\n", target,
           pt->select_ns, n_sel, pt->select_cpu);
    printf("scale_memory_%zu %.1f bytes/peer %zu\n", target, pt->bytes,
           pt->stored);
    printf("# scale at %zu: %llu adds in all, VmRSS %ld kB, %.2f candidates "
           "looked at a select\n", target, (unsigned long long)r->adds, rss,
           candidates_per_select(r->m));
    fflush(stdout);
}

/*
 * The machine's floor: one read at a random place of a block as large as a
 * million-peer pool, each address depending on the last (a pointer chase,
 * so the reads cannot overlap).  A select at 1 000 000 peers must make at
 * least two such reads (the slot, then the record), whatever the design;
 * at 10 000 peers everything is in cache.
 */
static double random_read_ns(size_t bytes)
{
    size_t n = bytes / 64, *next = malloc(n * 64), *perm = malloc(n * sizeof *perm);
    uint64_t rng = 77;
    if (next == NULL || perm == NULL)
        bench_die("core_bench", "malloc", AM_ERR_NOMEM);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(rng_next(&rng) % (i + 1)), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    /* One cache line per step: line perm[i] names line perm[i + 1]. */
    for (size_t i = 0; i < n; i++)
        next[perm[i] * 8] = perm[(i + 1) % n] * 8;
    size_t at = 0, steps = reps(2000000, 200000);
    double t0 = now_ns();
    for (size_t i = 0; i < steps; i++)
        at = next[at];
    double ns = (now_ns() - t0) / (double)steps;
    free(next);
    free(perm);
    return at == SIZE_MAX ? 0 : ns;     /* keeps the chase from being dropped */
}

/* Select flatness and memory against the targets. */
static void scale_verdict(const scale_point *pt)
{
    const scale_point *lo = &pt[0], *hi = &pt[SCALE_POINTS - 1];
    double ratio = hi->select_ns / lo->select_ns;
    int flat = ratio <= SCALE_TARGET_RATIO;
    int small = hi->bytes >= 0 && hi->bytes < SCALE_TARGET_BYTES;

    printf("scale_select_ratio %.2f x %zu/%zu\n", ratio, hi->stored,
           lo->stored);
    printf("target scale select flat within %.0fx (%zu vs %zu peers): %s "
           "(%.1f vs %.1f ns, ratio %.2f; in CPU time %.2f)\n",
           SCALE_TARGET_RATIO, hi->stored, lo->stored, flat ? "met" : "MISSED",
           hi->select_ns, lo->select_ns, ratio,
           hi->select_cpu / lo->select_cpu);
    double floor_ns = random_read_ns((size_t)128 << 20);
    printf("scale_random_read %.1f ns/op (one dependent read in 128 MiB: a "
           "select at %zu peers needs two, %.1f ns, %.1fx the select at %zu)\n",
           floor_ns, hi->stored, 2 * floor_ns, 2 * floor_ns / lo->select_ns,
           lo->stored);
    printf("target scale memory under %.0f bytes/peer at %zu peers: %s "
           "(%.1f)\n", SCALE_TARGET_BYTES, hi->stored, small ? "met" : "MISSED",
           hi->bytes);
    printf("verdict: %s\n", flat && small ? "all targets met"
                                          : "some targets missed");
}

/*
 * Tables sized for a million peers, filled from 10 000 sources; at each
 * point: add time since the previous point, select time, and resident
 * bytes per stored peer (the tables included, so the first point carries
 * the empty tables' cost).  A random address lands in a taken slot more
 * often as the table fills, so reaching 1 000 000 stored peers in 1 048 576
 * new slots takes about three times as many adds; rejected adds are
 * counted in the add time like stored ones.
 */
static void bench_scale(void)
{
    scale_run *r = calloc(1, sizeof *r);
    scale_point pt[SCALE_POINTS];
    if (r == NULL || (r->srcs = malloc(SCALE_SOURCES * sizeof *r->srcs)) == NULL)
        bench_die("core_bench", "malloc", AM_ERR_NOMEM);
    r->rng = 2024;
    for (int i = 0; i < SCALE_SOURCES; i++)
        r->srcs[i] = random_v4(&r->rng, 0);
    printf("# scale: %d x %d new and %d x %d tried slots, %d sources\n",
           SCALE_NEW_BUCKETS, AM_BUCKET_SIZE, SCALE_TRIED_BUCKETS,
           AM_BUCKET_SIZE, SCALE_SOURCES);
    r->rss0_kb = bench_rss_kb(0);
    r->m = new_man(SCALE_NEW_BUCKETS, SCALE_TRIED_BUCKETS);
    for (int i = 0; i < SCALE_POINTS; i++)
        scale_point_measure(r, g_scale_at[i] / reps(1, SCALE_QUICK_DIV),
                            &pt[i]);
    scale_verdict(pt);
    am_free(r->m);
    free(r->srcs);
    free(r);
}

int main(int argc, char **argv)
{
    int scale = 0, pool = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            g_quick = 1;
        } else if (strcmp(argv[i], "--scale") == 0) {
            scale = 1;
        } else if (strcmp(argv[i], "--pool") == 0 && i + 1 < argc &&
                   (pool = atoi(argv[i + 1])) > 0) {
            i++;
        } else {
            fprintf(stderr, "usage: %s [--scale] [--pool N] [--quick]\n",
                    argv[0]);
            return 2;
        }
    }
    if (pool) {
        create_addresses();
        am_man *m = new_man(1024, 256);
        fill(m);
        for (int r = 0; r < pool; r++)
            bench_pool(m);
        am_free(m);
        return 0;
    }
    if (scale) {
        bench_scale();
        return 0;
    }
    measure_memory();
    create_addresses();
    bench_add();
    am_man *full = new_man(1024, 256);
    size_t stored = fill(full);
    printf("# full table: %zu of %d stored\n", stored, NUM_ADDRS);
    bench_selects(full);
    bench_select_almost_empty();
    bench_getaddr(full);
    bench_pool(full);
    am_free(full);
    bench_good();
    fputs(g_memory_report, stdout);
    bench_select_flatness();
    printf("# targets: add <= 500 ns/addr, select <= 150 ns, select_network "
           "and select_almost_empty <= 2000 ns, getaddr <= 130000 ns, good <= "
           "1500 ns/addr, memory < 200 B/addr, select flat within 2x from 1k "
           "to 1M\n");
    return 0;
}
