/*
 * p2p_probe.c - the prober's sockets on a libuv loop (see p2p_probe.h).
 *
 * A 100 ms tick refills the start tokens, starts probes and checks every
 * probe's deadlines.  A probe's life: connect (to the peer, or to its
 * proxy and then the SOCKS5 handshake), the p2p_out session, then
 * `finish`, which records the result in the pool and closes the socket.
 * Probes in flight are a list; their ids and network groups are kept in
 * two am_counters, which st_pool_probe_next's skip test reads under the
 * pool's lock (on this same thread).
 */
#include "p2p_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "am_error.h"
#include "counter.h"
#include "p2p_loop.h"
#include "p2p_out.h"
#include "p2p_sess.h"
#include "p2p_socks.h"
#include "st_ignore.h"

#define TICK_MS 100
#define READ_SIZE (64u * 1024u)
/* After a draw found nothing, the next try waits this long: a pool whose
 * every peer rests costs a draw a second, not ten. */
#define IDLE_BACKOFF_MS 1000
#define STALE_EVERY 4            /* every fourth draw: stale tried first */
/* A network found without a route (see connect_outcome; a proxy's reply
 * 3) is left alone this long, then one probe looks again: a host whose
 * IPv6 went away costs one probe per rest, not an attempt on each peer. */
#define NO_ROUTE_REST_MS (10 * 60 * 1000)
#define SOCKS_NET_UNREACHABLE 3  /* RFC 1928's REP "network unreachable" */

typedef struct probe probe;

typedef struct probe_metrics {
    atomic_uint_fast64_t done[P2P_OUTCOMES][AM_NET_MAX];
    atomic_uint_fast64_t started[ST_PROBE_PHASES];
    atomic_uint_fast64_t in_flight;
    atomic_uint_fast64_t learned;       /* answer entries added/refreshed */
    atomic_uint_fast64_t answers;       /* answer entries received */
    atomic_uint_fast64_t journal_failures;
} probe_metrics;

struct p2p_probe {
    p2p_probe_config cfg;
    st_pool *pool;
    p2p_loop lp;
    uv_timer_t tick;
    int stopping;
    struct sockaddr_storage proxy[AM_NET_MAX];  /* family 0: direct */
    uint32_t reach;                             /* networks with a route */
    /* Until when (now_ms) a network rests after no route was found: set
     * by the loop thread, read by the metrics' threads. */
    atomic_int_fast64_t no_route_until[AM_NET_MAX];
    probe *probes;
    unsigned n_probes;
    am_counter ids, groups;                     /* of the probes in flight */
    double tokens;
    int64_t last_refill, idle_until, t_start;
    uint64_t draws, rng;
    uint8_t rbuf[READ_SIZE];
    probe_metrics m;
};

struct probe {
    p2p_probe *pr;
    probe *prev, *next;
    uv_tcp_t tcp;
    uv_connect_t creq;
    uv_write_t wreq;
    uint8_t *wbuf;               /* the write in flight, or NULL */
    am_peer peer;
    uint64_t group;
    int via_proxy, socks_open, connected, closing;
    p2p_socks socks;
    p2p_out *out;
};

static void serve(probe *q);

/* ------------------------------------------------------------------------ */
/* Small helpers. */

#define plog(p, ...) p2p_logf((p)->cfg.log, (p)->cfg.log_ctx, __VA_ARGS__)

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The socket address of an IP peer (IPv4, IPv6, CJDNS). */
static void sockaddr_of(const am_addr *a, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (a->net == AM_NET_IPV4) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;

        in->sin_family = AF_INET;
        in->sin_port = htons(a->port);
        memcpy(&in->sin_addr, a->bytes, 4);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(a->port);
        memcpy(&in6->sin6_addr, a->bytes, 16);
    }
}

/* ------------------------------------------------------------------------ */
/* Ending a probe. */

static void on_probe_closed(uv_handle_t *h)
{
    probe *q = h->data;

    p2p_out_free(q->out);
    free(q->wbuf);
    free(q);
}

/* The answer to getaddr, into the pool with the peer as its source; a
 * debug line says how much of it the pool took, and why not the rest. */
static void learn(probe *q)
{
    p2p_probe *p = q->pr;
    size_t n = 0, added = 0, ignored = 0, by[ST_IGN_COUNT] = {0};
    const am_addrv2_entry *e = p2p_out_learned(q->out, &n);
    st_add *items;
    am_addr source = q->peer.addr;
    int jrc = AM_OK;
    char name[AM_ADDR_STRLEN], why[160];

    if (n == 0 || (items = calloc(n, sizeof *items)) == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        items[i].addr = e[i].addr;
        items[i].services = e[i].services;
        items[i].time = e[i].time != 0 ? (int64_t)e[i].time : 1;
    }
    source.port = 0;
    (void)st_pool_add_heard(p->pool, items, n, &source, P2P_FACE_ADDR_PENALTY,
                            &jrc);
    for (size_t i = 0; i < n; i++) {
        st_ignore w;

        if (items[i].rc == AM_OK)
            added++;
        else if (st_ignore_of(items[i].rc, &w))
            st_ignore_count(&ignored, by, w);
    }
    free(items);
    p2p_count_add(&p->m.answers, n);
    p2p_count_add(&p->m.learned, added);
    if (jrc != AM_OK)
        p2p_count_add(&p->m.journal_failures, 1);
    am_addr_format_endpoint(&q->peer.addr, name, sizeof name);
    st_ignored_text(by, why, sizeof why);
    plog(p, P2P_LOG_DEBUG, "probe %s: answer of %zu addresses: %zu added%s%s"
         "%s", name, n, added, ignored ? ", ignored: " : "", why,
         jrc != AM_OK ? ", the journal failed" : "");
}

/* 1 while `net` rests after no route was found to it. */
static int resting(const p2p_probe *p, int net, int64_t now)
{
    return now < atomic_load_explicit(&p->no_route_until[net],
                                      memory_order_relaxed);
}

/* The networks probed now: with a route, and not resting. */
static uint32_t routes_now(const p2p_probe *p, int64_t now)
{
    uint32_t nets = p->reach;

    for (int net = 0; net < AM_NET_MAX; net++)
        if (resting(p, net, now))
            nets &= ~(1u << net);
    return nets;
}

/* No route to `net` from here: its peers are not drawn for a while (the
 * probe itself records nothing against its peer). */
static void rest_network(p2p_probe *p, int net, const char *why)
{
    int64_t now = now_ms();

    if (!resting(p, net, now))
        plog(p, P2P_LOG_WARN, "no route to %s peers (%s): they rest %d "
             "minutes", am_net_name(net), why, NO_ROUTE_REST_MS / 60000);
    atomic_store_explicit(&p->no_route_until[net], now + NO_ROUTE_REST_MS,
                          memory_order_relaxed);
}

/* Record the result (unless the prober stops), leave the in-flight sets,
 * close the socket.  No route: nothing recorded, the network rests. */
static void finish(probe *q)
{
    p2p_probe *p = q->pr;
    p2p_outcome o = p2p_out_outcome(q->out);
    const p2p_version *v = p2p_out_peer_version(q->out);
    char name[AM_ADDR_STRLEN];
    am_peer after;
    int jrc = AM_OK;

    if (q->closing)
        return;
    q->closing = 1;
    if (!p->stopping) {
        if (o == P2P_OUT_OK)
            learn(q);
        if (o == P2P_OUT_NO_ROUTE)
            rest_network(p, q->peer.addr.net, p2p_out_why(q->out));
        else if (st_pool_probe_done(p->pool, q->peer.id, &q->peer.addr,
                                    o == P2P_OUT_OK,
                                    v != NULL ? v->services : 0, &after,
                                    &jrc) == AM_OK && jrc != AM_OK)
            p2p_count_add(&p->m.journal_failures, 1);
        p2p_count_add(&p->m.done[o][q->peer.addr.net], 1);
        am_addr_format_endpoint(&q->peer.addr, name, sizeof name);
        plog(p, P2P_LOG_DEBUG, "probe %s: %s%s%s", name, p2p_outcome_name(o),
             *p2p_out_why(q->out) ? ": " : "", p2p_out_why(q->out));
    }
    am_counter_dec(&p->ids, q->peer.id);
    am_counter_dec(&p->groups, q->group);
    if (q->prev != NULL)
        q->prev->next = q->next;
    else
        p->probes = q->next;
    if (q->next != NULL)
        q->next->prev = q->prev;
    p->n_probes--;
    p2p_count_sub(&p->m.in_flight, 1);
    uv_close((uv_handle_t *)&q->tcp, on_probe_closed);
}

/* ------------------------------------------------------------------------ */
/* Writing and reading. */

static void on_write(uv_write_t *req, int status)
{
    probe *q = req->data;

    free(q->wbuf);
    q->wbuf = NULL;
    if (q->closing)
        return;
    if (status < 0) {
        p2p_out_eof(q->out);
        finish(q);
        return;
    }
    serve(q);
}

/* What is to be sent now: the SOCKS5 handshake's, then the session's. */
static void pending_output(const probe *q, const uint8_t **out, size_t *len)
{
    if (q->via_proxy && !q->socks_open)
        p2p_socks_output(&q->socks, out, len);
    else
        p2p_out_output(q->out, out, len);
}

static void consumed(probe *q, size_t n)
{
    if (q->via_proxy && !q->socks_open)
        p2p_socks_consumed(&q->socks, n);
    else
        p2p_out_consumed(q->out, n);
}

/* Send what is pending: what the socket takes now, the rest as one write
 * in flight (copied). */
static void flush(probe *q)
{
    const uint8_t *out;
    size_t len;
    uv_buf_t b;
    int n;

    if (q->wbuf != NULL || q->closing || !q->connected)
        return;
    pending_output(q, &out, &len);
    if (len == 0)
        return;
    b = uv_buf_init((char *)out, (unsigned)len);
    n = uv_try_write((uv_stream_t *)&q->tcp, &b, 1);
    if (n == UV_EAGAIN)
        n = 0;
    if (n >= 0 && (size_t)n < len) {
        if ((q->wbuf = malloc(len - (size_t)n)) == NULL) {
            n = UV_ENOMEM;
        } else {
            memcpy(q->wbuf, out + n, len - (size_t)n);
            b = uv_buf_init((char *)q->wbuf, (unsigned)(len - (size_t)n));
            q->wreq.data = q;
            if (uv_write(&q->wreq, (uv_stream_t *)&q->tcp, &b, 1, on_write) < 0) {
                free(q->wbuf);
                q->wbuf = NULL;
                n = UV_EIO;
            }
        }
    }
    if (n < 0) {
        p2p_out_eof(q->out);
        finish(q);
        return;
    }
    consumed(q, len);
}

/* After any progress: send, and end a session that is done. */
static void serve(probe *q)
{
    if (q->closing)
        return;
    if (p2p_out_done(q->out)) {
        finish(q);
        return;
    }
    flush(q);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    probe *q = h->data;

    (void)suggested;
    *buf = uv_buf_init((char *)q->pr->rbuf, READ_SIZE);
}

/* The proxy's bytes until its reply is whole; the rest is the peer's. */
static size_t feed_socks(probe *q, const uint8_t *buf, size_t len)
{
    size_t used = 0;

    (void)p2p_socks_feed(&q->socks, buf, len, &used);
    switch (p2p_socks_get_status(&q->socks)) {
    case P2P_SOCKS_PENDING:
        break;
    case P2P_SOCKS_OPEN:
        q->socks_open = 1;
        break;
    case P2P_SOCKS_FAILED:
        p2p_out_abort(q->out,
                      p2p_socks_reply(&q->socks) == SOCKS_NET_UNREACHABLE
                          ? P2P_OUT_NO_ROUTE : P2P_OUT_PROXY,
                      p2p_socks_why(&q->socks));
        break;
    }
    return used;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    probe *q = s->data;
    const uint8_t *b = (const uint8_t *)buf->base;
    size_t len, used = 0;

    if (q->closing || nread == 0)
        return;
    if (nread < 0) {
        if (q->via_proxy && !q->socks_open)
            p2p_out_abort(q->out, P2P_OUT_PROXY,
                          "the proxy closed the connection");
        else
            p2p_out_eof(q->out);
        finish(q);
        return;
    }
    len = (size_t)nread;
    if (q->via_proxy && !q->socks_open)
        used = feed_socks(q, b, len);
    if (!p2p_out_done(q->out) && (!q->via_proxy || q->socks_open))
        (void)p2p_out_feed(q->out, b + used, len - used, now_ms());
    serve(q);
}

/* A connect that failed.  Neither a proxy that cannot be reached (a Tor
 * daemon restarting must not fail every onion peer) nor a connect the
 * kernel refused to start (no route to that network, no IPv6 on this
 * host) is the peer's fault: the route is missing.  Once started, a
 * failure is the peer's, an ICMP "network unreachable" from afar too:
 * one dead address must not stop the probing of its whole network. */
static p2p_outcome connect_outcome(const probe *q, int started)
{
    return q->via_proxy || !started ? P2P_OUT_NO_ROUTE : P2P_OUT_REFUSED;
}

static void on_connect(uv_connect_t *req, int status)
{
    probe *q = req->data;

    if (q->closing)
        return;
    if (status < 0) {
        char why[128];

        snprintf(why, sizeof why, "%s%s", q->via_proxy ? "the proxy: " : "",
                 uv_strerror(status));
        p2p_out_abort(q->out, connect_outcome(q, 1), why);
        finish(q);
        return;
    }
    q->connected = 1;
    if (uv_read_start((uv_stream_t *)&q->tcp, on_alloc, on_read) != 0) {
        p2p_out_eof(q->out);
        finish(q);
        return;
    }
    serve(q);
}

/* ------------------------------------------------------------------------ */
/* Starting probes. */

/* The draw's skip test, under the pool's lock: one probe per peer and per
 * network group. */
static int in_flight(void *ctx, const am_peer *cand)
{
    p2p_probe *p = ctx;

    return am_counter_get(&p->ids, cand->id) > 0 ||
           am_counter_get(&p->groups, am_addr_group_key(&cand->addr)) > 0;
}

/* Where to connect, and the SOCKS5 request when through a proxy. */
static int route(probe *q, struct sockaddr_storage *to)
{
    const am_addr *a = &q->peer.addr;
    const struct sockaddr_storage *px = &q->pr->proxy[a->net];
    char name[AM_ADDR_STRLEN];

    if (px->ss_family == 0) {
        sockaddr_of(a, to);
        return AM_OK;
    }
    *to = *px;
    q->via_proxy = 1;
    if (a->net == AM_NET_TORV3 || a->net == AM_NET_I2P) {
        if (am_addr_format(a, name, sizeof name) != AM_OK)
            return AM_ERR_ADDR;
        return p2p_socks_init_name(&q->socks, name, a->port);
    }
    return p2p_socks_init_addr(&q->socks, a);
}

static p2p_out *session(p2p_probe *p, const probe *q, int64_t now)
{
    p2p_out_config oc;

    memset(&oc, 0, sizeof oc);
    oc.chain = p->cfg.chain;
    oc.user_agent = P2P_PROBE_USER_AGENT;
    oc.nonce = p2p_rand64(&p->rng);
    oc.timeout = q->via_proxy ? 2 * p->cfg.timeout : p->cfg.timeout;
    oc.answer_wait = p->cfg.answer_wait;
    oc.max_payload = P2P_FACE_MAX_PAYLOAD_DEFAULT;
    return p2p_out_new(&oc, &q->peer.addr, now);
}

/* Start one probe of `peer`: 0 on success, -1 when it could not start
 * (nothing is recorded then: the peer was not tried). */
static int start_probe(p2p_probe *p, const am_peer *peer, st_probe_phase ph)
{
    struct sockaddr_storage to;
    probe *q = calloc(1, sizeof *q);
    int rc;

    if (q == NULL)
        return -1;
    q->pr = p;
    q->peer = *peer;
    q->group = am_addr_group_key(&peer->addr);
    if (route(q, &to) != AM_OK ||
        (q->out = session(p, q, now_ms())) == NULL ||
        am_counter_inc(&p->ids, peer->id) != 0) {
        p2p_out_free(q->out);
        free(q);
        return -1;
    }
    if (am_counter_inc(&p->groups, q->group) != 0) {
        am_counter_dec(&p->ids, peer->id);
        p2p_out_free(q->out);
        free(q);
        return -1;
    }
    uv_tcp_init(&p->lp.uv, &q->tcp);
    q->tcp.data = q;
    q->creq.data = q;
    q->next = p->probes;
    if (p->probes != NULL)
        p->probes->prev = q;
    p->probes = q;
    p->n_probes++;
    p2p_count_add(&p->m.in_flight, 1);
    p2p_count_add(&p->m.started[ph], 1);
    if ((rc = uv_tcp_connect(&q->creq, &q->tcp, (const struct sockaddr *)&to,
                             on_connect)) != 0) {
        char why[128];

        snprintf(why, sizeof why, "the connect could not start: %s",
                 uv_strerror(rc));
        p2p_out_abort(q->out, connect_outcome(q, 0), why);
        finish(q);
    }
    return 0;
}

static void refill(p2p_probe *p, int64_t now)
{
    double burst = p->cfg.rate * TICK_MS / 1000.0;

    p->tokens += p->cfg.rate * (double)(now - p->last_refill) / 1000.0;
    p->last_refill = now;
    if (burst < 1.0)
        burst = 1.0;
    if (p->tokens > burst)
        p->tokens = burst;
}

static void start_probes(p2p_probe *p, int64_t now)
{
    st_probe_query sq;
    st_probe_phase ph;
    am_peer peer;

    if (now < p->idle_until)
        return;
    memset(&sq, 0, sizeof sq);
    sq.networks = routes_now(p, now);
    sq.retry = p->cfg.retry;
    sq.stale_age = p->cfg.stale_age;
    sq.skip = in_flight;
    sq.skip_ctx = p;
    while (p->tokens >= 1.0 && p->n_probes < p->cfg.concurrency) {
        sq.stale_first = p->draws++ % STALE_EVERY == STALE_EVERY - 1;
        if (st_pool_probe_next(p->pool, &sq, &peer, &ph) != AM_OK) {
            p->idle_until = now + IDLE_BACKOFF_MS;
            return;
        }
        if (start_probe(p, &peer, ph) != 0)
            return;
        p->tokens -= 1.0;
    }
}

static void on_tick(uv_timer_t *t)
{
    p2p_probe *p = t->data;
    int64_t now = now_ms();
    probe *q = p->probes, *next;

    while (q != NULL) {
        next = q->next;                 /* q may leave the list */
        p2p_out_tick(q->out, now);
        serve(q);
        q = next;
    }
    refill(p, now);
    start_probes(p, now);
}

/* On the loop thread at the stop: every probe is cut, nothing recorded. */
static void on_stop(void *data)
{
    p2p_probe *p = data;

    p->stopping = 1;
    while (p->probes != NULL) {
        p2p_out_abort(p->probes->out, P2P_OUT_CLOSED, "the prober stops");
        finish(p->probes);
    }
    uv_close((uv_handle_t *)&p->tick, NULL);
}

/* ------------------------------------------------------------------------ */
/* Setting up. */

void p2p_probe_config_default(p2p_probe_config *cfg, const am_chain *chain)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->chain = chain;
    cfg->rate = P2P_PROBE_RATE_DEFAULT;
    cfg->concurrency = P2P_PROBE_CONCURRENCY_DEFAULT;
    cfg->timeout = P2P_PROBE_TIMEOUT_DEFAULT;
    cfg->answer_wait = P2P_PROBE_ANSWER_WAIT_DEFAULT;
    cfg->stale_age = P2P_PROBE_STALE_AGE_DEFAULT;
    cfg->retry = P2P_PROBE_RETRY_DEFAULT;
}

/* A numeric "host:port" or "[v6]:port" into *ss. */
static int parse_proxy(const char *text, struct sockaddr_storage *ss)
{
    am_addr a;

    if (am_addr_parse(&a, text, 0) != AM_OK || a.port == 0 ||
        (a.net != AM_NET_IPV4 && a.net != AM_NET_IPV6 &&
         a.net != AM_NET_CJDNS))
        return -1;
    sockaddr_of(&a, ss);
    return 0;
}

/* The route of each network from the config. */
static int set_routes(p2p_probe *p, char *err, size_t len)
{
    struct { const char *text, *what; int nets[3]; } r[3] = {
        {p->cfg.proxy, "proxy", {AM_NET_IPV4, AM_NET_IPV6, 0}},
        {p->cfg.onion_proxy, "onion-proxy", {AM_NET_TORV3, 0, 0}},
        {p->cfg.i2p_proxy, "i2p-proxy", {AM_NET_I2P, 0, 0}}};
    struct sockaddr_storage ss;

    p->reach = 1u << AM_NET_IPV4 | 1u << AM_NET_IPV6 | 1u << AM_NET_CJDNS;
    for (size_t i = 0; i < 3; i++) {
        if (r[i].text == NULL || *r[i].text == '\0')
            continue;
        if (parse_proxy(r[i].text, &ss) != 0) {
            snprintf(err, len, "%s: expected a numeric HOST:PORT, got '%s'",
                     r[i].what, r[i].text);
            return -1;
        }
        for (size_t k = 0; k < 3 && r[i].nets[k] != 0; k++) {
            p->proxy[r[i].nets[k]] = ss;
            p->reach |= 1u << r[i].nets[k];
        }
    }
    /* --proxy carries Tor and I2P too when they have none of their own. */
    if (p->cfg.proxy != NULL && *p->cfg.proxy != '\0')
        for (int net = AM_NET_TORV3; net <= AM_NET_I2P; net++)
            if (p->proxy[net].ss_family == 0) {
                p->proxy[net] = p->proxy[AM_NET_IPV4];
                p->reach |= 1u << net;
            }
    if (p->cfg.networks != 0)
        p->reach &= p->cfg.networks;
    return 0;
}

int p2p_probe_new(const p2p_probe_config *cfg, st_pool *pool, p2p_probe **out,
                  char *err, size_t err_len)
{
    p2p_probe *p;

    if (cfg == NULL || pool == NULL || out == NULL || cfg->chain == NULL ||
        !(cfg->rate > 0) || cfg->concurrency == 0 || cfg->timeout <= 0 ||
        cfg->answer_wait < 0 || cfg->stale_age <= 0 || cfg->retry < 0) {
        snprintf(err, err_len, "invalid prober settings");
        return AM_ERR_INVAL;
    }
    if ((p = calloc(1, sizeof *p)) == NULL)
        return AM_ERR_NOMEM;
    p->cfg = *cfg;
    p->pool = pool;
    if (set_routes(p, err, err_len) != 0) {
        free(p);
        return AM_ERR_INVAL;
    }
    am_counter_init(&p->ids);
    am_counter_init(&p->groups);
    if (p2p_loop_init(&p->lp) != AM_OK) {
        free(p);
        snprintf(err, err_len, "no event loop");
        return AM_ERR_NOMEM;
    }
    uv_timer_init(&p->lp.uv, &p->tick);
    p->tick.data = p;
    p2p_loop_on_stop(&p->lp, on_stop, p);
    p->rng = p2p_rand_seed(p);
    p->last_refill = p->t_start = now_ms();
    *out = p;
    return AM_OK;
}

int p2p_probe_start(p2p_probe *p)
{
    if (p == NULL || p->lp.started || p->lp.stopped)
        return AM_ERR_INVAL;
    uv_timer_start(&p->tick, on_tick, TICK_MS, TICK_MS);
    if (p2p_loop_start(&p->lp) != AM_OK) {
        uv_timer_stop(&p->tick);
        return AM_ERR_IO;
    }
    plog(p, P2P_LOG_INFO,
         "prober on (chain %s): %.3g probes/s, %u at a time, timeout %lld ms",
         p->cfg.chain->name, p->cfg.rate, p->cfg.concurrency,
         (long long)p->cfg.timeout);
    return AM_OK;
}

void p2p_probe_stop(p2p_probe *p)
{
    if (p != NULL)
        p2p_loop_stop(&p->lp);
}

void p2p_probe_free(p2p_probe *p)
{
    if (p == NULL)
        return;
    p2p_probe_stop(p);
    am_counter_free(&p->ids);
    am_counter_free(&p->groups);
    free(p);
}

int p2p_probe_reaches(const p2p_probe *p, int net)
{
    return net >= 0 && net < AM_NET_MAX &&
           (routes_now(p, now_ms()) & (1u << net)) != 0;
}

/* ------------------------------------------------------------------------ */
/* Metrics. */

static const char *phase_name(st_probe_phase ph)
{
    switch (ph) {
    case ST_PROBE_COLLISION: return "collision";
    case ST_PROBE_NEW: return "new";
    case ST_PROBE_STALE: return "stale_tried";
    }
    return "unknown";
}

static const int probe_nets[] = {AM_NET_IPV4, AM_NET_IPV6, AM_NET_TORV3,
                                 AM_NET_I2P, AM_NET_CJDNS};
#define N_NETS (sizeof probe_nets / sizeof probe_nets[0])

static void metrics_counts(p2p_probe *p, js_buf *b)
{
    p2p_metric_head(b, "addrmand_probe_total", "counter",
         "Probes ended, by outcome and network.");
    for (size_t o = 0; o < P2P_OUTCOMES; o++)
        for (size_t k = 0; k < N_NETS; k++)
            js_buf_printf(b, "addrmand_probe_total{outcome=\"%s\",network=\"%s\"} %llu\n",
                          p2p_outcome_name((p2p_outcome)o),
                          am_net_name(probe_nets[k]),
                          (unsigned long long)p2p_count_get(&p->m.done[o][probe_nets[k]]));
    p2p_metric_head(b, "addrmand_probe_started_total", "counter",
         "Probes started, by where the candidate came from.");
    for (size_t ph = 0; ph < ST_PROBE_PHASES; ph++)
        js_buf_printf(b, "addrmand_probe_started_total{source=\"%s\"} %llu\n",
                      phase_name((st_probe_phase)ph),
                      (unsigned long long)p2p_count_get(&p->m.started[ph]));
    p2p_metric_head(b, "addrmand_probe_in_flight", "gauge", "Probes under way.");
    js_buf_printf(b, "addrmand_probe_in_flight %llu\n",
                  (unsigned long long)p2p_count_get(&p->m.in_flight));
    p2p_metric_head(b, "addrmand_probe_answer_addresses_total", "counter",
         "Usable addresses in the probed peers' getaddr answers.");
    js_buf_printf(b, "addrmand_probe_answer_addresses_total %llu\n",
                  (unsigned long long)p2p_count_get(&p->m.answers));
    p2p_metric_head(b, "addrmand_probe_learned_total", "counter",
         "Of them, added to the pool or refreshed.");
    js_buf_printf(b, "addrmand_probe_learned_total %llu\n",
                  (unsigned long long)p2p_count_get(&p->m.learned));
}

/* Peers of network probe_nets[k] the prober leaves alone (no route). */
static size_t unreachable(const p2p_probe *p, const am_stats *st, size_t k)
{
    return p2p_probe_reaches(p, probe_nets[k]) ? 0 : st->by_net[probe_nets[k]];
}

static void metrics_pool(p2p_probe *p, js_buf *b)
{
    int64_t now, oldest;
    am_verify_stats vs;
    am_stats st;

    st_pool_stats(p->pool, &st);
    p2p_metric_head(b, "addrmand_probe_unreachable_peers", "gauge",
         "Peers of networks the prober does not probe (no proxy, left out "
         "by --probe-networks, or no route found in the last 10 minutes), by "
         "network.");
    for (size_t k = 0; k < N_NETS; k++)
        js_buf_printf(b, "addrmand_probe_unreachable_peers{network=\"%s\"} %llu\n",
                      am_net_name(probe_nets[k]),
                      (unsigned long long)unreachable(p, &st, k));
    st_pool_verify_stats(p->pool, &vs, &now);
    /* A peer never checked has waited since the prober started at most. */
    oldest = vs.never_checked > 0
                 ? (now_ms() - p->t_start) / 1000
                 : (vs.oldest_check > 0 ? now - vs.oldest_check : 0);
    p2p_metric_head(b, "addrmand_probe_never_checked_peers", "gauge",
         "Peers with no attempt and no success yet.");
    js_buf_printf(b, "addrmand_probe_never_checked_peers %llu\n",
                  (unsigned long long)vs.never_checked);
    p2p_metric_head(b, "addrmand_probe_oldest_unchecked_seconds", "gauge",
         "How long the peer checked least recently has waited (a peer never "
         "checked: since the prober started).");
    js_buf_printf(b, "addrmand_probe_oldest_unchecked_seconds %lld\n",
                  (long long)(oldest > 0 ? oldest : 0));
    p2p_metric_head(b, "addrmand_probe_tried_verified_ratio", "gauge",
         "Share of the tried table whose last success is within 24 hours.");
    js_buf_printf(b, "addrmand_probe_tried_verified_ratio %.4f\n",
                  vs.tried > 0 ? (double)vs.tried_verified / (double)vs.tried
                               : 0.0);
    p2p_metric_head(b, "addrmand_probe_journal_failures_total", "counter",
         "Probe results kept in memory only (the journal failed).");
    js_buf_printf(b, "addrmand_probe_journal_failures_total %llu\n",
                  (unsigned long long)p2p_count_get(&p->m.journal_failures));
}

void p2p_probe_metrics(p2p_probe *p, js_buf *b)
{
    metrics_counts(p, b);
    metrics_pool(p, b);
}

void p2p_probe_stats(p2p_probe *p, js_w *w)
{
    uint64_t started = 0;
    am_stats st;

    for (size_t ph = 0; ph < ST_PROBE_PHASES; ph++)
        started += p2p_count_get(&p->m.started[ph]);
    st_pool_stats(p->pool, &st);
    js_w_key(w, "probe");
    js_w_object(w);
    js_w_ku64(w, "in_flight", p2p_count_get(&p->m.in_flight));
    js_w_ku64(w, "started", started);
    js_w_ku64(w, "learned", p2p_count_get(&p->m.learned));
    js_w_key(w, "outcomes");
    js_w_object(w);
    for (size_t o = 0; o < P2P_OUTCOMES; o++) {
        uint64_t n = 0;

        for (size_t net = 0; net < AM_NET_MAX; net++)
            n += p2p_count_get(&p->m.done[o][net]);
        js_w_ku64(w, p2p_outcome_name((p2p_outcome)o), n);
    }
    js_w_object_end(w);
    js_w_key(w, "unreachable");
    js_w_object(w);
    for (size_t k = 0; k < N_NETS; k++)
        js_w_ku64(w, am_net_name(probe_nets[k]), unreachable(p, &st, k));
    js_w_object_end(w);
    js_w_object_end(w);
}
