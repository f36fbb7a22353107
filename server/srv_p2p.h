/*
 * srv_p2p.h - the daemon's Bitcoin P2P parts: the P2P face (--p2p-listen,
 * --chain, --p2p-*) and the prober (--probe, --probe-*, --proxy,
 * --onion-proxy, --i2p-proxy), made from the options, logging through
 * srv_log, their series added to GET /metrics.
 */
#ifndef SRV_P2P_H
#define SRV_P2P_H

#include "p2p_face.h"
#include "p2p_probe.h"
#include "srv_config.h"

typedef struct srv_p2p {
    p2p_face *face;               /* NULL: no --p2p-listen */
    p2p_probe *probe;             /* NULL: no --probe */
} srv_p2p;

/*
 * Make what the options turn on (the face bound, the prober ready, no
 * thread running yet): 0, or -1 after logging why (a bad address, a port
 * in use) with nothing left open.
 */
int srv_p2p_open(const srv_config *cfg, st_pool *pool, srv_p2p *out);
/* Start their threads: 0, or -1 after logging (nothing left running). */
int srv_p2p_start(srv_p2p *s);
/* Stop both (connections closed, threads joined); then free. */
void srv_p2p_stop(srv_p2p *s);
void srv_p2p_close(srv_p2p *s);
/* 1 when either part is on (GET /metrics then carries their series). */
int srv_p2p_any(const srv_p2p *s);

/* The chain --chain names (checked by srv_config_load). */
const am_chain *srv_p2p_chain(const srv_config *cfg);

/* api_config.metrics_more and .stats_more (ctx: the srv_p2p). */
void srv_p2p_metrics(void *ctx, js_buf *b);
void srv_p2p_stats(void *ctx, js_w *w);

#endif
