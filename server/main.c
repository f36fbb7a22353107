/*
 * main.c - addrmand: options, start-up, signals, shutdown.
 *
 * The main thread only waits for SIGINT/SIGTERM (blocked in every thread,
 * taken with sigwait), then stops the server: no new connections, requests
 * in flight get SRV_GRACE_S seconds to finish, exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addrman.h"
#include "api.h"
#include "srv_config.h"
#include "srv_health.h"
#include "srv_http.h"
#include "srv_log.h"

#ifndef ADDRMAND_VERSION
#define ADDRMAND_VERSION "unknown"
#endif

#define SRV_GRACE_S 10

/* mkdir -p: every missing component, mode 0755 (umask applies). */
static int make_dirs(const char *path)
{
    char *copy = strdup(path), *p;
    int rc = 0;

    if (copy == NULL)
        return ENOMEM;
    for (p = copy + 1; rc == 0; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            rc = errno;
        *p = saved;
        if (saved == '\0')
            break;
    }
    free(copy);
    return rc;
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
    srv_log(SRV_INFO, "tables: %u new and %u tried buckets of %d, retry time %llds",
            cfg->new_buckets, cfg->tried_buckets, AM_BUCKET_SIZE,
            (long long)cfg->retry_time);
}

static int open_core(const srv_config *cfg, am_man **core)
{
    am_config ac;
    int rc;

    am_config_default(&ac);
    ac.new_buckets = cfg->new_buckets;
    ac.tried_buckets = cfg->tried_buckets;
    ac.retry_time = cfg->retry_time;
    rc = am_new(&ac, core);
    if (rc != AM_OK)
        srv_log(SRV_ERROR, "cannot create the address manager: %s",
                am_strerror(rc));
    return rc;
}

static int open_api(const srv_config *cfg, am_man *core, api_ctx **api)
{
    api_config ac;
    int rc;

    api_config_default(&ac);
    ac.core = core;
    ac.api_token = cfg->api_token;
    ac.datadir = cfg->datadir;
    ac.max_body = cfg->max_body;
    ac.enable_debug = cfg->enable_debug;
    rc = api_new(&ac, api);
    if (rc != AM_OK)
        srv_log(SRV_ERROR, "cannot create the API: %s", am_strerror(rc));
    return rc;
}

static int serve(const srv_config *cfg, api_ctx *api, const sigset_t *stop)
{
    srv_http_config hc;
    srv_http *http;
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
    while (sigwait(stop, &sig) != 0)
        ;
    srv_log(SRV_INFO, "received %s: stopping (requests in flight get %ds)",
            sig == SIGINT ? "SIGINT" : "SIGTERM", SRV_GRACE_S);
    srv_http_stop(http, SRV_GRACE_S);
    return 0;
}

static int run(const srv_config *cfg)
{
    am_man *core = NULL;
    api_ctx *api = NULL;
    sigset_t stop;
    int rc;

    /* Block before any thread exists so that every thread inherits it. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = make_dirs(cfg->datadir);
    if (rc != 0)
        srv_log(SRV_WARN, "cannot create data directory '%s': %s "
                          "(/readyz answers 503)", cfg->datadir, strerror(rc));
    if (open_core(cfg, &core) != AM_OK)
        return 1;
    if (open_api(cfg, core, &api) != AM_OK) {
        am_free(core);
        return 1;
    }
    rc = serve(cfg, api, &stop);
    api_free(api);
    am_free(core);
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
