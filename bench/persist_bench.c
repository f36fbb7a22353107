/*
 * persist_bench.c - the data directory: time to save and to load a pool of
 * 100 000 peers, and add throughput through api_handle() (no sockets) with
 * the journal written plainly (--fsync never) and fdatasync'ed after every
 * change (--fsync always).
 *
 *   persist_bench [--peers N] [--seconds S] [--dir DIR] [--quick]
 *
 * --dir: where the data directories go (default: a new one under /tmp,
 * removed at the end); --quick: 20 000 peers, short add runs (a CI smoke
 * run).  One line per figure; the save and load targets (0.5 s each) as
 * "target ...: met|MISSED" lines.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addrman.h"
#include "api.h"
#include "st_store.h"
#include "bench_util.h"

#define DEFAULT_PEERS 100000
#define NEW_BUCKETS 4096        /* 262 144 new slots: room for the pool */
#define TRIED_BUCKETS 1024
#define TARGET_S 0.5            /* save and load of 100 000 peers */

static char g_root[256];

static void quiet_log(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "store: %s\n", msg);
}

typedef struct bench_dir {
    char path[300];
    st_store *store;
    am_man *core;
} bench_dir;

/* A data directory with its store and core (loaded). */
static void dir_open(bench_dir *d, const char *name, int fsync_always)
{
    st_store_opts o;
    am_config c;
    char why[256];
    int rc;

    snprintf(d->path, sizeof d->path, "%s/%s", g_root, name);
    st_store_opts_default(&o);
    o.fsync_always = fsync_always;
    o.keep_sizes = 1;
    o.log = quiet_log;
    rc = st_store_open(d->path, &o, &d->store, why, sizeof why);
    if (rc != AM_OK) {
        fprintf(stderr, "persist_bench: %s\n", why);
        exit(1);
    }
    am_config_default(&c);
    c.new_buckets = NEW_BUCKETS;
    c.tried_buckets = TRIED_BUCKETS;
    if ((rc = st_store_config(d->store, &c)) != AM_OK)
        bench_die("persist_bench", "config", rc);
    if ((rc = am_new(&c, &d->core)) != AM_OK)
        bench_die("persist_bench", "am_new", rc);
    if ((rc = st_store_load(d->store, d->core, NULL)) != AM_OK)
        bench_die("persist_bench", "load", rc);
}

static void dir_close(bench_dir *d)
{
    st_store_close(d->store);
    am_free(d->core);
}

static long file_size(const char *dir, const char *name)
{
    char path[400];
    struct stat st;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The target is for wall time on the machine; CPU time beside it tells
 * how much of a miss a busy neighbour caused. */
static void target_line(const char *what, size_t n, double wall, double cpu)
{
    printf("target %s %zu peers under %.1f s: %s (%.3f s wall, %.3f s CPU)\n",
           what, n, TARGET_S, wall < TARGET_S ? "met" : "MISSED", wall, cpu);
}

static void bench_save_load(size_t peers)
{
    st_snapshot *snap;
    bench_dir d;
    double t0, t1, t2, c0, c1, c2;
    size_t n = 0;
    int rc;

    dir_open(&d, "saveload", 0);
    t0 = bench_now_s();
    bench_fill(d.core, peers);
    printf("fill %zu peers (am_add, in memory): %.3f s\n", am_size(d.core),
           bench_now_s() - t0);
    t0 = bench_now_s();
    c0 = bench_cpu_s();
    if ((rc = st_store_snapshot_begin(d.store, d.core, &snap)) != AM_OK)
        bench_die("persist_bench", "snapshot", rc);
    t1 = bench_now_s();
    c1 = bench_cpu_s();
    if ((rc = st_store_snapshot_commit(d.store, snap, &n)) != AM_OK)
        bench_die("persist_bench", "commit", rc);
    t2 = bench_now_s();
    c2 = bench_cpu_s();
    printf("save %zu peers: %.3f s wall, %.3f s CPU (copy under the lock "
           "%.3f s, text, files and fsync %.3f s wall / %.3f s CPU), peers.json "
           "%ld bytes\n", n, t2 - t0, c2 - c0, t1 - t0, t2 - t1, c2 - c1,
           file_size(d.path, ST_STORE_PEERS));
    target_line("save", n, t2 - t0, c2 - c0);
    dir_close(&d);
    t0 = bench_now_s();
    c0 = bench_cpu_s();
    dir_open(&d, "saveload", 0);
    t1 = bench_now_s();
    c1 = bench_cpu_s();
    printf("load %zu peers: %.3f s wall, %.3f s CPU (open, read, restore "
           "ids and slots; after a clean stop no snapshot follows)\n",
           am_size(d.core), t1 - t0, c1 - c0);
    if (am_size(d.core) != n)
        bench_die("persist_bench", "loaded a different pool", AM_ERR_INTERNAL);
    target_line("load", n, t1 - t0, c1 - c0);
    dir_close(&d);
}

/* POST /v1/peers with one new address per request for `seconds`. */
static void bench_adds(const char *name, int fsync_always, double seconds,
                       size_t per_request)
{
    api_config cfg;
    api_ctx *api;
    bench_dir d;
    uint64_t seed = 7;
    size_t done = 0, cap = 64 + per_request * 40, len, i;
    char *body = malloc(cap);
    double t0, t;
    int rc;

    if (body == NULL)
        bench_die("persist_bench", "body", AM_ERR_NOMEM);
    dir_open(&d, name, fsync_always);
    api_config_default(&cfg);
    cfg.core = d.core;
    cfg.store = d.store;
    if ((rc = api_new(&cfg, &api)) != AM_OK)
        bench_die("persist_bench", "api_new", rc);
    t0 = bench_now_s();
    do {
        am_addr a;
        char text[AM_ADDR_STRLEN];
        api_request rq = { "POST", "/v1/peers", NULL, "application/json",
                           NULL, body, 0, 0 };
        api_response resp;

        len = (size_t)snprintf(body, cap, "{\"peers\": [");
        for (i = 0; i < per_request; i++) {
            a = bench_random_ipv4(&seed, 8333);
            am_addr_format(&a, text, sizeof text);
            len += (size_t)snprintf(body + len, cap - len, "%s{\"address\": "
                                    "\"%s\"}", i ? "," : "", text);
        }
        len += (size_t)snprintf(body + len, cap - len, "]}");
        rq.body_len = len;
        api_handle(api, &rq, &resp);
        if (resp.status != 200)
            bench_die("persist_bench", "POST /v1/peers", AM_ERR_IO);
        api_response_free(&resp);
        done++;
        t = bench_now_s() - t0;
    } while (t < seconds);
    printf("add, --fsync %s, %zu peer%s per request: %.0f requests/s "
           "(%.1f us each, %zu requests)\n", fsync_always ? "always" : "never",
           per_request, per_request == 1 ? "" : "s", (double)done / t,
           t / (double)done * 1e6, done);
    api_free(api);
    dir_close(&d);
    free(body);
}

int main(int argc, char **argv)
{
    size_t peers = DEFAULT_PEERS;
    double seconds = 2.0;
    const char *dir = NULL;
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            peers = 20000;
            seconds = 0.3;
        } else if (strcmp(argv[i], "--peers") == 0 && i + 1 < argc) {
            peers = (size_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else {
            fprintf(stderr, "usage: persist_bench [--peers N] [--seconds S] "
                            "[--dir DIR] [--quick]\n");
            return 2;
        }
    }
    snprintf(g_root, sizeof g_root, "%s/persist-bench-XXXXXX",
             dir ? dir : "/tmp");
    if (mkdtemp(g_root) == NULL) {
        perror("persist_bench: mkdtemp");
        return 1;
    }
    printf("data directories under %s\n", g_root);
    bench_save_load(peers);
    bench_adds("adds-never", 0, seconds, 1);
    bench_adds("adds-always", 1, seconds, 1);
    bench_adds("batch-never", 0, seconds, 1000);
    bench_adds("batch-always", 1, seconds, 1000);
    bench_remove_tree(g_root);
    return 0;
}
