/*
 * main.c - addrmand: options, start-up, signals, shutdown.
 *
 * Start-up: the data directory is opened and locked (a second server on
 * it is refused), its saved key and sizes configure the core, then the
 * snapshot and journal are loaded (st_store.h).  The main thread then only
 * waits for SIGINT/SIGTERM (blocked in every thread, taken with sigwait),
 * and stops the server: no new connections, requests in flight get
 * SRV_GRACE_S seconds to finish, the save timer stops, a last snapshot is
 * written, exit 0.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addrman.h"
#include "api.h"
#include "st_pool.h"
#include "st_store.h"
#include "srv_cli.h"
#include "srv_config.h"
#include "srv_health.h"
#include "srv_http.h"
#include "srv_log.h"
#include "srv_p2p.h"
#include "srv_save.h"

#ifndef ADDRMAND_VERSION
#define ADDRMAND_VERSION "unknown"
#endif

#define SRV_GRACE_S 10
#define SRV_MMAP_THRESHOLD (128 * 1024)    /* glibc's initial value */

/*
 * Keep glibc's mmap threshold where it starts.  By default it rises to the
 * size of the largest mmapped block freed so far (up to 32 MiB): the first
 * periodic snapshot frees buffers of several MiB, and from then on every
 * block below that size comes from the threads' arenas -- the core's and
 * the pool's arrays that double as they grow, relay answers of 300 kB.  A
 * doubling leaves the old block as a hole in an arena, which stays resident
 * when anything above it is still in use.  With the threshold fixed, blocks
 * of 128 kB and more are mapped on their own and go back to the system when
 * freed or moved (realloc uses mremap).  Under bench/soak this halved the
 * RSS growth after the warm-up (+2.9 to +1.4 MiB in 300 s, see
 * docs/benchmarks-notes.md); a 1000-peer relay answer now costs an mmap
 * and a munmap.
 */
static void tune_malloc(void)
{
#ifdef __GLIBC__
    (void)mallopt(M_MMAP_THRESHOLD, SRV_MMAP_THRESHOLD);
#endif
}

/* Allowed, but said at every start (srv_config_risks). */
static void log_risks(const srv_config *cfg)
{
    char risk[4][SRV_RISK_MAX];
    size_t i, n = srv_config_risks(cfg, risk, 4);

    for (i = 0; i < n; i++)
        srv_log(SRV_WARN, "%s", risk[i]);
}

static void log_startup(const srv_config *cfg, const srv_http *http)
{
    srv_log(SRV_INFO, "addrmand %s listening on %s", ADDRMAND_VERSION,
            srv_http_address(http));
    srv_log(SRV_INFO, "datadir %s, %u threads, max body %zu bytes, "
                      "max %u connections, idle timeout %us, auth %s%s",
            cfg->datadir, cfg->threads, cfg->max_body, cfg->max_connections,
            cfg->connection_timeout, cfg->api_token[0] ? "on" : "off",
            cfg->enable_debug ? ", debug routes on" : "");
    srv_log(SRV_INFO, "tables: %u new and %u tried buckets of %d, retry time %llds, "
                      "new-table cap per group %u%s; chain %s%s",
            cfg->new_buckets, cfg->tried_buckets, AM_BUCKET_SIZE,
            (long long)cfg->retry_time, cfg->new_group_cap,
            cfg->new_group_cap ? "" : " (none)", cfg->chain,
            srv_p2p_chain(cfg)->id == AM_CHAIN_REGTEST
                ? " (loopback and private addresses accepted)" : "");
    srv_log(SRV_INFO, "nodes: timeout %llds, lease %llds by default, at most %llds",
            (long long)cfg->node_timeout, (long long)cfg->default_lease,
            (long long)cfg->max_lease);
    log_risks(cfg);
    if (cfg->save_interval > 0)
        srv_log(SRV_INFO, "snapshots every %us when the pool changed, "
                          "journal fsync %s", cfg->save_interval,
                cfg->fsync_always ? "always" : "never");
    else
        srv_log(SRV_INFO, "snapshots on POST /v1/dump and at exit only, "
                          "journal fsync %s",
                cfg->fsync_always ? "always" : "never");
}

/* Problems the store finds in the directory (corrupt files, failed
 * saves) go to the log. */
static void store_log(void *ctx, const char *msg)
{
    srv_log(SRV_WARN, "%s: %s", (const char *)ctx, msg);
}

/* 0 with *store, or with NULL when the directory cannot be used (the
 * server runs without saving, /readyz says 503); -1 when another server
 * holds it. */
static int open_store(const srv_config *cfg, st_store **store)
{
    st_store_opts o;
    char why[512];
    int rc;

    st_store_opts_default(&o);
    o.fsync_always = cfg->fsync_always;
    o.keep_sizes = 1;           /* --new-buckets/--tried-buckets win */
    o.log = store_log;
    o.log_ctx = (void *)cfg->datadir;
    rc = st_store_open(cfg->datadir, &o, store, why, sizeof why);
    if (rc == AM_ERR_EXISTS) {
        srv_log(SRV_ERROR, "%s: stop the other server or choose another "
                           "--datadir", why);
        return -1;
    }
    if (rc != AM_OK)
        srv_log(SRV_WARN, "%s: nothing will be saved (/readyz answers 503)",
                why);
    return 0;
}

static int load_store(st_store *store, am_man *core)
{
    st_store_report r;
    char why[200];
    int rc = st_store_load(store, core, &r);

    if (rc == AM_ERR_NOMEM) {
        srv_log(SRV_ERROR, "out of memory while loading %s",
                st_store_dir(store));
        return -1;
    }
    st_ignored_text(r.peers_ignored_by, why, sizeof why);
    srv_log(SRV_INFO, "loaded %zu peers and %zu bans from %s: %zu from %s "
                      "(%zu skipped%s%s), %zu journal records replayed (%zu "
                      "not taken)%s; %zu unreadable entries, %zu invalid "
                      "peers dropped, %zu files set aside",
            r.peers, r.bans, st_store_dir(store), r.peers_read,
            ST_STORE_PEERS, r.peers_ignored, why[0] ? ": " : "", why,
            r.journal_records,
            r.journal_failed, r.torn ? ", a torn tail cut off" : "",
            r.entry_errors, r.peers_refused, r.corrupt);
    if (rc != AM_OK)
        srv_log(SRV_ERROR, "cannot open a journal in %s: changes will not be "
                           "durable (/readyz answers 503)",
                st_store_dir(store));
    return 0;
}

static int open_core(const srv_config *cfg, st_store *store, am_man **core)
{
    am_config ac;
    int rc;

    am_config_default(&ac);
    ac.new_buckets = cfg->new_buckets;
    ac.tried_buckets = cfg->tried_buckets;
    ac.retry_time = cfg->retry_time;
    ac.new_group_cap = cfg->new_group_cap;
    /* Test networks are local: on regtest every face may add loopback and
     * private addresses (the other chains keep the routability rules). */
    ac.allow_local = srv_p2p_chain(cfg)->id == AM_CHAIN_REGTEST;
    /* The bucketing key must be the saved one before any peer is placed. */
    if (store != NULL && st_store_config(store, &ac) != AM_OK) {
        srv_log(SRV_ERROR, "cannot read or create %s/%s", cfg->datadir,
                ST_STORE_META);
        return AM_ERR_IO;
    }
    rc = am_new(&ac, core);
    if (rc != AM_OK)
        srv_log(SRV_ERROR, "cannot create the address manager: %s",
                am_strerror(rc));
    return rc;
}

/* The durable pool every face calls (st_pool.h). */
static int open_pool(const srv_config *cfg, am_man *core, st_store *store,
                     st_pool **pool)
{
    st_pool_config pc;
    int rc;

    memset(&pc, 0, sizeof pc);
    pc.core = core;
    pc.store = store;
    pc.node_timeout = cfg->node_timeout;
    rc = st_pool_new(&pc, pool);
    if (rc != AM_OK)
        srv_log(SRV_ERROR, "cannot create the pool: %s", am_strerror(rc));
    return rc;
}

static int open_api(const srv_config *cfg, st_pool *pool, srv_p2p *p2p,
                    api_ctx **api)
{
    api_config ac;
    int rc;

    api_config_default(&ac);
    ac.pool = pool;
    ac.api_token = cfg->api_token;
    ac.datadir = cfg->datadir;
    ac.max_body = cfg->max_body;
    ac.enable_debug = cfg->enable_debug;
    ac.default_lease = cfg->default_lease;
    ac.max_lease = cfg->max_lease;
    ac.chain = srv_p2p_chain(cfg);
    if (srv_p2p_any(p2p)) {
        ac.metrics_more = srv_p2p_metrics;
        ac.stats_more = srv_p2p_stats;
        ac.metrics_ctx = p2p;
    }
    rc = api_new(&ac, api);
    if (rc != AM_OK)
        srv_log(SRV_ERROR, "cannot create the API: %s", am_strerror(rc));
    return rc;
}

/* The last snapshot, once no request can change the pool any more. */
static void final_save(st_pool *pool)
{
    st_store *store = st_pool_store(pool);
    size_t peers = 0;

    if (store == NULL)
        return;
    if (st_pool_save(pool, &peers) == AM_OK)
        srv_log(SRV_INFO, "saved %zu peers to %s", peers, st_store_dir(store));
    else
        srv_log(SRV_ERROR, "the final snapshot failed; the journal in %s "
                           "keeps every change", st_store_dir(store));
}

static int serve(const srv_config *cfg, st_pool *pool, api_ctx *api,
                 srv_p2p *p2p, const sigset_t *stop)
{
    srv_http_config hc;
    srv_http *http;
    srv_saver *saver = NULL;
    char err[256];
    int sig = 0;

    hc.listen = cfg->listen;
    hc.threads = cfg->threads;
    hc.max_connections = cfg->max_connections;
    hc.connection_timeout = cfg->connection_timeout;
    hc.max_body = cfg->max_body;
    if (srv_http_start(&hc, api, &http, err, sizeof err) != 0) {
        srv_log(SRV_ERROR, "%s", err);
        return 1;
    }
    log_startup(cfg, http);
    if (srv_p2p_start(p2p) != 0) {
        srv_http_stop(http, 0);
        return 1;
    }
    if (srv_saver_start(pool, cfg->save_interval, &saver) != 0)
        srv_log(SRV_WARN, "cannot start the save timer: snapshots are "
                          "written on POST /v1/dump and at exit only");
    while (sigwait(stop, &sig) != 0)
        ;
    srv_log(SRV_INFO, "received %s: stopping (requests in flight get %ds)",
            sig == SIGINT ? "SIGINT" : "SIGTERM", SRV_GRACE_S);
    srv_http_stop(http, SRV_GRACE_S);
    srv_p2p_stop(p2p);
    srv_saver_stop(saver);
    final_save(pool);
    return 0;
}

static int run(const srv_config *cfg)
{
    am_man *core = NULL;
    api_ctx *api = NULL;
    st_pool *pool = NULL;
    st_store *store = NULL;
    srv_p2p p2p = {NULL, NULL};
    sigset_t stop;
    int rc;

    /* Block before any thread exists so that every thread inherits it. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (open_store(cfg, &store) != 0)
        return 1;
    if (open_core(cfg, store, &core) != AM_OK ||
        (store != NULL && load_store(store, core) != 0) ||
        open_pool(cfg, core, store, &pool) != AM_OK ||
        srv_p2p_open(cfg, pool, &p2p) != 0 ||
        open_api(cfg, pool, &p2p, &api) != AM_OK) {
        srv_p2p_close(&p2p);
        st_pool_free(pool);
        am_free(core);
        st_store_close(store);
        return 1;
    }
    rc = serve(cfg, pool, api, &p2p, &stop);
    api_free(api);
    srv_p2p_close(&p2p);
    st_pool_free(pool);
    am_free(core);
    st_store_close(store);
    if (rc == 0)
        srv_log(SRV_INFO, "stopped");
    return rc;
}

int main(int argc, char **argv)
{
    srv_config cfg;
    char err[256];

    if (argc > 1 && strcmp(argv[1], "healthcheck") == 0)
        return srv_health_main(argc - 1, argv + 1);
    if (srv_cli_is_command(argc, argv))
        return srv_cli_main(argc - 1, argv + 1);
    tune_malloc();
    if (srv_config_load(&cfg, argc, argv, err, sizeof err) != 0) {
        fprintf(stderr, "addrmand: %s (see --help)\n", err);
        return 2;
    }
    if (cfg.show_help) {
        srv_config_usage(stdout);
        return 0;
    }
    if (cfg.show_version) {
        printf("addrmand %s\n", ADDRMAND_VERSION);
        return 0;
    }
    srv_log_set_level(cfg.log_level);
    return run(&cfg);
}
