/*
 * srv_p2p.h - the daemon's Bitcoin P2P face: made from the options
 * (--p2p-listen, --chain, --p2p-*), logging through srv_log, and its
 * series added to GET /metrics.
 */
#ifndef SRV_P2P_H
#define SRV_P2P_H

#include "p2p_face.h"
#include "srv_config.h"

/*
 * Bind the face when --p2p-listen is set: 0 with *face (NULL when the
 * face is off), or -1 after logging why (a bad address, a port in use).
 * The loop starts with p2p_face_start.
 */
int srv_p2p_open(const srv_config *cfg, st_pool *pool, p2p_face **face);

/* The chain --chain names (checked by srv_config_load). */
const am_chain *srv_p2p_chain(const srv_config *cfg);

/* api_config.metrics_more for a face (ctx: the p2p_face). */
void srv_p2p_metrics(void *ctx, js_buf *b);

#endif
