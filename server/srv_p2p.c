#include "srv_p2p.h"

#include <stdio.h>
#include <string.h>

#include "am_error.h"
#include "srv_log.h"

static void face_log(void *ctx, p2p_log_level level, const char *line)
{
    (void)ctx;
    switch (level) {
    case P2P_LOG_DEBUG: srv_log(SRV_DEBUG, "%s", line); return;
    case P2P_LOG_INFO: srv_log(SRV_INFO, "%s", line); return;
    case P2P_LOG_WARN: srv_log(SRV_WARN, "%s", line); return;
    }
}

const am_chain *srv_p2p_chain(const srv_config *cfg)
{
    const am_chain *chain = NULL;

    if (am_chain_by_name(cfg->chain, &chain) != AM_OK)
        chain = am_chain_get(AM_CHAIN_MAIN);
    return chain;
}

static int open_face(const srv_config *cfg, st_pool *pool, p2p_face **face)
{
    p2p_face_config fc;
    char host[256], port[16], err[300];

    *face = NULL;
    if (cfg->p2p_listen[0] == '\0')
        return 0;
    if (srv_split_p2p_listen(cfg->p2p_listen, host, sizeof host, port,
                             sizeof port) != 0) {
        srv_log(SRV_ERROR, "p2p-listen: cannot read '%s'", cfg->p2p_listen);
        return -1;
    }
    if (port[0] == '\0')             /* the chain's default port */
        snprintf(port, sizeof port, "%u", (unsigned)srv_p2p_chain(cfg)->port);
    p2p_face_config_default(&fc, srv_p2p_chain(cfg));
    fc.host = host;
    fc.port = port;
    fc.services = cfg->p2p_services;
    fc.max_connections = cfg->p2p_max_connections;
    fc.max_per_ip = cfg->p2p_max_per_ip;
    fc.max_per_group = cfg->p2p_max_per_group;
    fc.handshake_timeout = cfg->p2p_handshake_timeout;
    fc.idle_timeout = cfg->p2p_idle_timeout;
    fc.log = face_log;
    if (p2p_face_new(&fc, pool, face, err, sizeof err) != AM_OK) {
        srv_log(SRV_ERROR, "p2p: %s", err);
        return -1;
    }
    return 0;
}

static int open_probe(const srv_config *cfg, st_pool *pool, p2p_probe **probe)
{
    p2p_probe_config pc;
    char err[300];

    *probe = NULL;
    if (!cfg->probe)
        return 0;
    p2p_probe_config_default(&pc, srv_p2p_chain(cfg));
    pc.rate = cfg->probe_rate;
    pc.concurrency = cfg->probe_concurrency;
    pc.timeout = cfg->probe_timeout * 1000;
    pc.stale_age = cfg->probe_tried_age;
    pc.retry = cfg->retry_time;
    pc.networks = cfg->probe_networks;
    pc.proxy = cfg->proxy;
    pc.onion_proxy = cfg->onion_proxy;
    pc.i2p_proxy = cfg->i2p_proxy;
    pc.log = face_log;
    if (p2p_probe_new(&pc, pool, probe, err, sizeof err) != AM_OK) {
        srv_log(SRV_ERROR, "probe: %s", err);
        return -1;
    }
    return 0;
}

int srv_p2p_open(const srv_config *cfg, st_pool *pool, srv_p2p *out)
{
    memset(out, 0, sizeof *out);
    if (open_face(cfg, pool, &out->face) != 0)
        return -1;
    if (open_probe(cfg, pool, &out->probe) != 0) {
        srv_p2p_close(out);
        return -1;
    }
    return 0;
}

int srv_p2p_start(srv_p2p *s)
{
    if (s->face != NULL && p2p_face_start(s->face) != AM_OK) {
        srv_log(SRV_ERROR, "p2p: cannot start the P2P thread");
        return -1;
    }
    if (s->probe != NULL && p2p_probe_start(s->probe) != AM_OK) {
        srv_log(SRV_ERROR, "probe: cannot start the prober's thread");
        p2p_face_stop(s->face);
        return -1;
    }
    return 0;
}

void srv_p2p_stop(srv_p2p *s)
{
    p2p_probe_stop(s->probe);
    p2p_face_stop(s->face);
}

void srv_p2p_close(srv_p2p *s)
{
    p2p_probe_free(s->probe);
    p2p_face_free(s->face);
    s->probe = NULL;
    s->face = NULL;
}

int srv_p2p_any(const srv_p2p *s)
{
    return s->face != NULL || s->probe != NULL;
}

void srv_p2p_metrics(void *ctx, js_buf *b)
{
    srv_p2p *s = ctx;

    if (s->face != NULL)
        p2p_face_metrics(s->face, b);
    if (s->probe != NULL)
        p2p_probe_metrics(s->probe, b);
}

void srv_p2p_stats(void *ctx, js_w *w)
{
    srv_p2p *s = ctx;

    if (s->probe != NULL)
        p2p_probe_stats(s->probe, w);
}
