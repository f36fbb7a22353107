/*
 * pb_client.c - the P2P load generator: one epoll loop (level-triggered)
 * over non-blocking sockets, each a small state machine:
 *
 *   CONNECTING  connect() under way; writable = done (SO_ERROR says how)
 *   SHAKING     our version sent; the server's version, sendaddrv2 and
 *               verack being read
 *   ASKING      (cycling) our [sendaddrv2,] verack and getaddr sent; the
 *               addr or addrv2 answer being read, then closed
 *   HELD        (holding) our [sendaddrv2,] verack sent; silent from now on
 *
 * Frames are read with p2p_reader and written with p2p_frame_build; the
 * answer is decoded with p2p_addr_parse or am_addrv2_decode and its entries
 * counted, so a wrong answer (the other format, a bad payload) shows up as
 * a protocol error rather than as a rate.  A connection without progress
 * for PB_STALL_S seconds is closed and counted as a stall.
 */
#include "pb.h"
#include "bench_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addrv2.h"
#include "am_error.h"
#include "p2p_frame.h"
#include "p2p_msg.h"

#define PB_OUT_MAX 512          /* our largest burst: version, or the tail */
#define PB_READ_BUF 65536
#define PB_EVENTS 256
#define PB_PROTOCOL 70016
#define PB_USER_AGENT "/p2p_bench:0.1/"
#define PB_MAX_REPORTS 5        /* first faults of each kind on stderr */
#define PB_DRAIN_S 3            /* at the end of a cycle: time to finish */

typedef enum pb_state {
    PB_FREE,
    PB_CONNECTING,
    PB_SHAKING,
    PB_ASKING,
    PB_HELD
} pb_state;

typedef struct pb_conn {
    int fd;
    pb_state state;
    uint32_t gen;               /* tells a stale epoll event from this one */
    int got_version;
    int want_out;               /* EPOLLOUT registered */
    uint8_t out[PB_OUT_MAX];
    size_t out_len, out_off;
    p2p_reader rd;
    double t_start, t_last;
} pb_conn;

struct pb_loop {
    pb_target t;
    struct sockaddr_in sa;
    int ep;
    pb_conn *c;
    unsigned cap;
    unsigned *free_ids;
    unsigned n_free;
    unsigned open;              /* connections not PB_FREE */
    unsigned shaking;           /* CONNECTING or SHAKING */
    unsigned held;
    int cycling;
    double rate;                /* new connections per second; 0: no cap */
    double measure_from, measure_until;     /* answers counted between */
    double next_scan;
    pb_stats st;
    uint8_t tail_cycle[3 * P2P_HEADER_SIZE];
    size_t tail_cycle_len;
    uint8_t tail_hold[2 * P2P_HEADER_SIZE];
    size_t tail_hold_len;
    am_addrv2_entry *entries;   /* scratch for one answer */
    uint8_t *rbuf;
    uint64_t rng;
    unsigned reports[4];        /* per fault kind, see report() */
};

enum { R_CONNECT, R_EARLY, R_PROTOCOL, R_STALL };

static const char *state_name(pb_state s)
{
    switch (s) {
    case PB_FREE:
        return "free";
    case PB_CONNECTING:
        return "connecting";
    case PB_SHAKING:
        return "waiting for the server's version and verack";
    case PB_ASKING:
        return "waiting for the getaddr answer";
    case PB_HELD:
        return "held";
    }
    return "?";
}

static void report(pb_loop *l, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(pb_loop *l, int kind, const char *fmt, ...)
{
    va_list ap;

    if (l->reports[kind]++ >= PB_MAX_REPORTS)
        return;
    fprintf(stderr, "p2p_bench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- frames we send ------------------------------------------------------ */

static size_t frame(const pb_loop *l, const char *cmd, const uint8_t *payload,
                    size_t len, uint8_t *out, size_t cap)
{
    size_t n = 0;

    if (p2p_frame_build(l->t.chain->magic, cmd, payload, len, out, cap, &n) !=
        AM_OK)
        return 0;
    return n;
}

/* [sendaddrv2,] verack and, when cycling, getaddr: the same bytes for every
 * connection (empty payloads), built once. */
static int build_tails(pb_loop *l)
{
    size_t n = 0, k;

    if (l->t.addrv2) {
        n = frame(l, "sendaddrv2", NULL, 0, l->tail_hold, sizeof l->tail_hold);
        if (n == 0)
            return -1;
    }
    k = frame(l, "verack", NULL, 0, l->tail_hold + n, sizeof l->tail_hold - n);
    if (k == 0)
        return -1;
    l->tail_hold_len = n + k;
    memcpy(l->tail_cycle, l->tail_hold, l->tail_hold_len);
    k = frame(l, "getaddr", NULL, 0, l->tail_cycle + l->tail_hold_len,
              sizeof l->tail_cycle - l->tail_hold_len);
    l->tail_cycle_len = l->tail_hold_len + k;
    return k == 0 ? -1 : 0;
}

static size_t build_version(pb_loop *l, uint8_t *out, size_t cap)
{
    static const uint8_t v4_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                            0, 0, 0xff, 0xff, 127, 0, 0, 1};
    uint8_t payload[P2P_VERSION_MAX_SIZE];
    p2p_version v;
    size_t len = 0;

    memset(&v, 0, sizeof v);
    v.version = PB_PROTOCOL;
    v.timestamp = (int64_t)time(NULL);
    memcpy(v.addr_recv.ip, v4_loopback, sizeof v4_loopback);
    v.addr_recv.port = (uint16_t)l->t.port;
    v.nonce = bench_rng(&l->rng);
    v.user_agent_len = sizeof PB_USER_AGENT - 1;
    memcpy(v.user_agent, PB_USER_AGENT, sizeof PB_USER_AGENT);
    v.has_relay = 1;
    if (p2p_version_build(&v, payload, sizeof payload, &len) != AM_OK)
        return 0;
    return frame(l, "version", payload, len, out, cap);
}

/* ---- connections --------------------------------------------------------- */

static uint64_t ev_data(const pb_loop *l, const pb_conn *c)
{
    return (uint64_t)(c - l->c) | (uint64_t)c->gen << 32;
}

static void set_out(pb_loop *l, pb_conn *c, int want)
{
    struct epoll_event ev;

    if (c->want_out == want)
        return;
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
    ev.data.u64 = ev_data(l, c);
    if (epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->want_out = want;
}

static void conn_close(pb_loop *l, pb_conn *c)
{
    if (c->state == PB_FREE)
        return;
    if (c->state == PB_CONNECTING || c->state == PB_SHAKING)
        l->shaking--;
    if (c->state == PB_HELD)
        l->held--;
    close(c->fd);               /* also leaves the epoll set */
    p2p_reader_free(&c->rd);
    c->fd = -1;
    c->state = PB_FREE;
    c->gen++;
    l->open--;
    l->free_ids[l->n_free++] = (unsigned)(c - l->c);
}

/* Write what is pending; -1 when the connection broke (closed). */
static int flush(pb_loop *l, pb_conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_out(l, c, 1);
            return 0;
        }
        if (w <= 0) {
            l->st.early_closes++;
            report(l, R_EARLY, "send: %s (%s)", strerror(errno),
                   state_name(c->state));
            conn_close(l, c);
            return -1;
        }
        c->out_off += (size_t)w;
    }
    c->out_off = c->out_len = 0;
    set_out(l, c, 0);
    return 0;
}

static int queue(pb_loop *l, pb_conn *c, const uint8_t *p, size_t n)
{
    if (n == 0 || c->out_len + n > sizeof c->out) {
        l->st.protocol_errors++;
        report(l, R_PROTOCOL, "cannot build a message");
        conn_close(l, c);
        return -1;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return flush(l, c);
}

/* Start one connection; 0, or -1 when connect() failed at once. */
static int conn_open(pb_loop *l)
{
    struct epoll_event ev;
    pb_conn *c;
    int one = 1, fd;

    if (l->n_free == 0)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        l->st.connect_errors++;
        report(l, R_CONNECT, "socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&l->sa, sizeof l->sa) != 0 &&
        errno != EINPROGRESS) {
        l->st.connect_errors++;
        report(l, R_CONNECT, "connect: %s", strerror(errno));
        close(fd);
        return -1;
    }
    c = &l->c[l->free_ids[--l->n_free]];
    c->fd = fd;
    c->state = PB_CONNECTING;
    c->got_version = 0;
    c->out_len = c->out_off = 0;
    c->t_start = c->t_last = bench_now_s();
    p2p_reader_init(&c->rd, l->t.chain);
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = ev_data(l, c);
    c->want_out = 1;
    l->open++;
    l->shaking++;
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        l->st.connect_errors++;
        report(l, R_CONNECT, "epoll_ctl: %s", strerror(errno));
        conn_close(l, c);
        return -1;
    }
    return 0;
}

static void connected(pb_loop *l, pb_conn *c)
{
    uint8_t buf[PB_OUT_MAX];
    socklen_t len = sizeof(int);
    int err = 0;

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err != 0) {
        l->st.connect_errors++;
        report(l, R_CONNECT, "connect: %s", strerror(err));
        conn_close(l, c);
        return;
    }
    c->state = PB_SHAKING;
    c->t_last = bench_now_s();
    queue(l, c, buf, build_version(l, buf, sizeof buf));
}

/* ---- messages we read ---------------------------------------------------- */

static void protocol_error(pb_loop *l, pb_conn *c, const char *what,
                           const char *cmd)
{
    l->st.protocol_errors++;
    report(l, R_PROTOCOL, "%s (%s, %s)", what, cmd, state_name(c->state));
    conn_close(l, c);
}

static void on_verack(pb_loop *l, pb_conn *c)
{
    if (!c->got_version) {
        protocol_error(l, c, "verack before version", "verack");
        return;
    }
    if (c->state != PB_SHAKING)
        return;                 /* a second verack: nothing to do */
    l->st.handshakes++;
    l->shaking--;
    if (l->cycling) {
        c->state = PB_ASKING;
        queue(l, c, l->tail_cycle, l->tail_cycle_len);
    } else {
        c->state = PB_HELD;
        l->held++;
        queue(l, c, l->tail_hold, l->tail_hold_len);
    }
}

static void lat_push(pb_stats *s, double seconds)
{
    double us = seconds * 1e6;

    if (s->n_lat == s->cap_lat) {
        size_t cap = s->cap_lat ? s->cap_lat * 2 : 65536;
        uint32_t *p = realloc(s->lat_us, cap * sizeof *p);

        if (p == NULL)
            return;
        s->lat_us = p;
        s->cap_lat = cap;
    }
    s->lat_us[s->n_lat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void on_answer(pb_loop *l, pb_conn *c, const p2p_frame *f, int v2)
{
    size_t n = 0, i, bad = 0;
    int rc;

    if (c->state != PB_ASKING) {
        protocol_error(l, c, "an address message we did not ask for",
                       f->command);
        return;
    }
    if (v2 != l->t.addrv2) {
        protocol_error(l, c, "answer in the other format", f->command);
        return;
    }
    rc = v2 ? am_addrv2_decode(f->payload, f->len, l->entries,
                               AM_ADDRV2_MAX_ENTRIES, &n)
            : p2p_addr_parse(f->payload, f->len, l->entries,
                             AM_ADDRV2_MAX_ENTRIES, &n);
    if (rc != AM_OK) {
        protocol_error(l, c, am_strerror(rc), f->command);
        return;
    }
    for (i = 0; i < n; i++)
        bad += l->entries[i].status != AM_OK;
    if (c->t_start >= l->measure_from && bench_now_s() <= l->measure_until) {
        l->st.answers++;
        l->st.entries += n;
        l->st.entries_bad += bad;
        l->st.empty += n == 0;
        lat_push(&l->st, bench_now_s() - c->t_start);
    }
    conn_close(l, c);
}

static void on_ping(pb_loop *l, pb_conn *c, const p2p_frame *f)
{
    uint8_t nonce[P2P_NONCE_SIZE], buf[P2P_HEADER_SIZE + P2P_NONCE_SIZE];
    uint64_t v;

    if (p2p_nonce_parse(f->payload, f->len, &v) != AM_OK) {
        protocol_error(l, c, "bad ping", "ping");
        return;
    }
    p2p_nonce_build(v, nonce);
    queue(l, c, buf, frame(l, "pong", nonce, sizeof nonce, buf, sizeof buf));
}

static void on_frame(pb_loop *l, pb_conn *c, const p2p_frame *f)
{
    p2p_version v;

    switch (p2p_msg_type_of(f->command)) {
    case P2P_MSG_VERSION:
        if (p2p_version_parse(f->payload, f->len, &v) != AM_OK)
            protocol_error(l, c, "bad version", f->command);
        else
            c->got_version = 1;
        return;
    case P2P_MSG_VERACK:
        on_verack(l, c);
        return;
    case P2P_MSG_PING:
        on_ping(l, c, f);
        return;
    case P2P_MSG_ADDR:
        on_answer(l, c, f, 0);
        return;
    case P2P_MSG_ADDRV2:
        on_answer(l, c, f, 1);
        return;
    case P2P_MSG_SENDADDRV2:
    case P2P_MSG_WTXIDRELAY:
    case P2P_MSG_PONG:
    case P2P_MSG_GETADDR:
    case P2P_MSG_OTHER:
        return;
    }
}

/* Feed bytes to the reader and act on each whole message. */
static void feed(pb_loop *l, pb_conn *c, const uint8_t *p, size_t n)
{
    size_t off = 0, used;
    uint32_t gen = c->gen;
    p2p_frame f;
    int got, rc;

    while (off < n && c->gen == gen) {
        rc = p2p_reader_feed(&c->rd, p + off, n - off, &used, &f, &got);
        if (rc != AM_OK) {
            protocol_error(l, c, p2p_reader_why(&c->rd), "framing");
            return;
        }
        off += used;
        if (got)
            on_frame(l, c, &f);
    }
}

static void readable(pb_loop *l, pb_conn *c)
{
    ssize_t r;

    do
        r = recv(c->fd, l->rbuf, PB_READ_BUF, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (r <= 0) {
        l->st.early_closes++;
        report(l, R_EARLY, "the server closed the connection (%s, %s)",
               r == 0 ? "end of stream" : strerror(errno),
               state_name(c->state));
        conn_close(l, c);
        return;
    }
    c->t_last = bench_now_s();
    feed(l, c, l->rbuf, (size_t)r);
}

static void on_event(pb_loop *l, const struct epoll_event *ev)
{
    pb_conn *c = &l->c[(uint32_t)ev->data.u64];
    uint32_t gen = (uint32_t)(ev->data.u64 >> 32);

    if (c->state == PB_FREE || c->gen != gen)
        return;                 /* closed earlier in this batch */
    if (c->state == PB_CONNECTING) {
        if (ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            connected(l, c);
        return;
    }
    if ((ev->events & EPOLLOUT) && flush(l, c) != 0)
        return;
    if (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        readable(l, c);
}

/* Close the connections that made no progress for PB_STALL_S. */
static void scan_stalls(pb_loop *l, double now)
{
    unsigned i;

    if (now < l->next_scan)
        return;
    l->next_scan = now + 1;
    for (i = 0; i < l->cap; i++) {
        pb_conn *c = &l->c[i];

        if (c->state == PB_FREE || c->state == PB_HELD ||
            now - c->t_last < PB_STALL_S)
            continue;
        l->st.stalls++;
        report(l, R_STALL, "no progress for %d s (%s)", PB_STALL_S,
               state_name(c->state));
        conn_close(l, c);
    }
}

static int loop_once(pb_loop *l, int timeout_ms)
{
    struct epoll_event ev[PB_EVENTS];
    int n, i;

    n = epoll_wait(l->ep, ev, PB_EVENTS, timeout_ms);
    if (n < 0 && errno != EINTR) {
        fprintf(stderr, "p2p_bench: epoll_wait: %s\n", strerror(errno));
        return -1;
    }
    for (i = 0; i < n; i++)
        on_event(l, &ev[i]);
    scan_stalls(l, bench_now_s());
    return 0;
}

/* ---- the loop's face ----------------------------------------------------- */

pb_loop *pb_loop_new(const pb_target *t, unsigned max_conns)
{
    pb_loop *l = calloc(1, sizeof *l);
    unsigned i;

    if (l == NULL)
        return NULL;
    l->t = *t;
    l->cap = max_conns;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    l->c = calloc(max_conns, sizeof *l->c);
    l->free_ids = malloc(max_conns * sizeof *l->free_ids);
    l->entries = malloc(AM_ADDRV2_MAX_ENTRIES * sizeof *l->entries);
    l->rbuf = malloc(PB_READ_BUF);
    l->rng = (uint64_t)(bench_now_s() * 1e9);
    l->sa.sin_family = AF_INET;
    l->sa.sin_port = htons((uint16_t)t->port);
    if (l->ep < 0 || !l->c || !l->free_ids || !l->entries || !l->rbuf ||
        inet_pton(AF_INET, t->host, &l->sa.sin_addr) != 1 ||
        build_tails(l) != 0) {
        fprintf(stderr, "p2p_bench: cannot set up the client loop\n");
        pb_loop_free(l);
        return NULL;
    }
    for (i = 0; i < max_conns; i++) {
        l->c[i].fd = -1;
        l->free_ids[i] = max_conns - 1 - i;
    }
    l->n_free = max_conns;
    return l;
}

void pb_loop_close_all(pb_loop *l)
{
    unsigned i;

    for (i = 0; l->c && i < l->cap; i++)
        conn_close(l, &l->c[i]);
}

void pb_loop_free(pb_loop *l)
{
    if (l == NULL)
        return;
    pb_loop_close_all(l);
    if (l->ep >= 0)
        close(l->ep);
    free(l->c);
    free(l->free_ids);
    free(l->entries);
    free(l->rbuf);
    free(l->st.lat_us);
    free(l);
}

/* Let the connections under way finish (uncounted), so that the server
 * sees orderly closes rather than resets of half-read answers. */
static void drain(pb_loop *l)
{
    double end = bench_now_s() + PB_DRAIN_S;

    while (l->open > 0 && bench_now_s() < end)
        if (loop_once(l, 10) != 0)
            break;
    pb_loop_close_all(l);
}

void pb_loop_set_rate(pb_loop *l, double per_s)
{
    l->rate = per_s > 0 ? per_s : 0;
}

/* Connections pb_loop_cycle may have started by now under the rate cap. */
static double allowed(const pb_loop *l, double t0)
{
    return l->rate > 0 ? 1 + l->rate * (bench_now_s() - t0) : 1e300;
}

int pb_loop_cycle(pb_loop *l, unsigned conns, double measure_from_s,
                  double until_s, const atomic_int *stop)
{
    double t0 = bench_now_s(), started = 0;
    int rc = 0;

    l->cycling = 1;
    l->measure_from = measure_from_s;
    l->measure_until = until_s;
    if (conns > l->cap)
        conns = l->cap;
    while (rc == 0 && bench_now_s() < until_s && !(stop && atomic_load(stop))) {
        double may = allowed(l, t0);
        int failed = 0;

        while (l->open < conns && !failed && started < may) {
            failed = conn_open(l) != 0;
            started++;
        }
        if (failed)
            bench_sleep_ms(1);  /* do not spin on a refusing server */
        rc = loop_once(l, l->rate > 0 ? 1 : 10);
    }
    if (l->measure_until > bench_now_s())
        l->measure_until = bench_now_s();
    drain(l);
    return rc;
}

unsigned pb_loop_hold(pb_loop *l, unsigned n, unsigned in_flight,
                      double until_s)
{
    l->cycling = 0;
    if (n > l->cap)
        n = l->cap;
    while (l->held < n && bench_now_s() < until_s) {
        int failed = 0;

        while (l->held + l->shaking < n && l->shaking < in_flight && !failed)
            failed = conn_open(l) != 0;
        if (failed)
            bench_sleep_ms(1);
        if (loop_once(l, 10) != 0)
            break;
    }
    return l->held;
}

unsigned pb_loop_watch(pb_loop *l, double until_s)
{
    double now;

    while ((now = bench_now_s()) < until_s) {
        double left_ms = (until_s - now) * 1000;

        if (loop_once(l, left_ms < 100 ? (int)left_ms + 1 : 100) != 0)
            break;
    }
    return l->held;
}

void pb_loop_take_stats(pb_loop *l, pb_stats *out)
{
    *out = l->st;
    memset(&l->st, 0, sizeof l->st);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

double pb_stats_quantile_ms(pb_stats *s, double q)
{
    size_t i;

    if (s->n_lat == 0)
        return 0;
    qsort(s->lat_us, s->n_lat, sizeof *s->lat_us, cmp_u32);
    i = (size_t)(q * (double)s->n_lat);
    if (i >= s->n_lat)
        i = s->n_lat - 1;
    return (double)s->lat_us[i] / 1e3;
}
