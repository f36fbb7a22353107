/*
 * pb.h - bench/p2p: the Bitcoin P2P face of addrmand under load.
 *
 *   pb_client.c  the load generator: one thread, one epoll loop, many
 *                non-blocking connections speaking P2P v1 through p2p/'s
 *                codecs (p2p_frame.h, p2p_msg.h, core's addrv2.h)
 *   pb_main.c    options, the server, the three phases, report, verdict
 *
 * The server is started, filled over HTTP and asked for selects with
 * bench/http_bench's files (hb_server.c, hb_pool.c, hb_http.c, hb_run.c,
 * hb_cases.c), linked into this program as they are.
 *
 * A connection of the load generator either cycles (connect, version,
 * the server's version + sendaddrv2 + verack, our sendaddrv2 + verack +
 * getaddr, the addr/addrv2 answer read and its entries counted, close,
 * and again) or is held (the same handshake, no getaddr, then silence).
 */
#ifndef PB_H
#define PB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "chain.h"

typedef struct pb_loop pb_loop;

typedef struct pb_target {
    const char *host;           /* IPv4 literal */
    int port;
    const am_chain *chain;
    int addrv2;                 /* 1: send sendaddrv2 (the answer is addrv2) */
} pb_target;

/* What a loop has seen; pb_loop_take_stats() hands it out and starts anew. */
typedef struct pb_stats {
    uint64_t answers;           /* getaddr answered (cycles completed) */
    uint64_t entries;           /* address entries in those answers */
    uint64_t entries_bad;       /* ... whose address was not usable */
    uint64_t empty;             /* answers with no entry */
    uint64_t handshakes;        /* handshakes completed (both modes) */
    uint64_t connect_errors;    /* connect() refused or failed */
    uint64_t early_closes;      /* the server closed before we were done */
    uint64_t protocol_errors;   /* bytes or messages we could not accept */
    uint64_t stalls;            /* no progress for PB_STALL_S: closed by us */
    uint32_t *lat_us;           /* connect to answer, one per answer */
    size_t n_lat, cap_lat;
} pb_stats;

#define PB_STALL_S 15

/* A loop for at most `max_conns` connections at once; NULL when out of
 * memory or epoll is unavailable (reported). */
pb_loop *pb_loop_new(const pb_target *t, unsigned max_conns);
/* Closes every connection it holds. */
void pb_loop_free(pb_loop *l);

/* Start at most `per_s` new connections a second in pb_loop_cycle (0: as
 * fast as answers come back, the default). */
void pb_loop_set_rate(pb_loop *l, double per_s);

/*
 * Cycle `conns` connections until the monotonic clock passes until_s or
 * *stop becomes non-zero (stop may be NULL).  Answers are counted when
 * their connection started at measure_from_s or later (warm-up) and they
 * came before the end.  Then no connection is started; those under way
 * get up to 3 s to finish (uncounted), the rest are closed.  0, or -1
 * when the loop itself failed (reported).
 */
int pb_loop_cycle(pb_loop *l, unsigned conns, double measure_from_s,
                  double until_s, const atomic_int *stop);

/*
 * Open connections, at most `in_flight` of them connecting or shaking
 * hands at once, until `n` completed the handshake and are held, or
 * until_s passes.  A held connection the server closes is counted in
 * early_closes and not replaced.  Returns the number held now.
 */
unsigned pb_loop_hold(pb_loop *l, unsigned n, unsigned in_flight,
                      double until_s);
/* Watch the held connections (answer pings, notice closes) until until_s;
 * returns the number still held. */
unsigned pb_loop_watch(pb_loop *l, double until_s);
/* Close everything. */
void pb_loop_close_all(pb_loop *l);

/* The figures since the last take; the caller frees out->lat_us. */
void pb_loop_take_stats(pb_loop *l, pb_stats *out);

/* Latency quantile q (0..1) of the stats' answers in ms (sorts lat_us). */
double pb_stats_quantile_ms(pb_stats *s, double q);

#endif
