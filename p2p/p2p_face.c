/*
 * p2p_face.c - the Bitcoin P2P face's I/O on a libuv loop (see p2p_face.h).
 *
 * Why libuv (Debian's libuv1): one loop owns every socket and timer of the
 * face in one thread, with a portable async handle to stop it from another
 * thread and read callbacks whose buffer we hand out ourselves (one
 * 64 KiB buffer for the whole loop, so an idle connection holds no read
 * buffer).  libevent's bufferevents would do as well, but keep per
 * connection buffers we do not need; see docs/ARCHITECTURE.md.
 *
 * A connection's life: accepted -> admitted (limits, bans) -> its session
 * takes the bytes of each read; the face then "serves" the session: takes
 * its events (close, getaddr, learned addresses), answers getaddr, and
 * starts one write of the session's output.  When the session pauses (an
 * output it cannot grow while a write is in flight), the bytes it did not
 * take wait in `pending` and reading stops until the write ends.
 */
#include "p2p_face.h"

#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <uv.h>

#include "am_error.h"
#include "counter.h"
#include "p2p_loop.h"
#include "p2p_msg.h"
#include "p2p_sess.h"

/* Why the face closed a connection, beyond the session's reasons. */
typedef enum face_close {
    FC_PEER_CLOSED,      /* the peer hung up */
    FC_LIMIT_TOTAL,      /* max_connections reached */
    FC_LIMIT_IP,         /* max_per_ip from this address */
    FC_LIMIT_GROUP,      /* max_per_group from this network group */
    FC_BANNED,           /* a ban covers the peer's address */
    FC_SOCKET_ERROR,     /* a read or write failed */
    FC_SHUTDOWN          /* the daemon stops */
} face_close;
#define FC_COUNT (FC_SHUTDOWN + 1)
#define CLOSE_REASONS (P2P_CLOSE_REASONS + FC_COUNT)

enum { DROP_RATE_LIMIT, DROP_UNUSABLE, DROP_REFUSED, DROP_COUNT };

typedef struct face_metrics {
    atomic_uint_fast64_t accepted;
    atomic_uint_fast64_t handshaking, ready;          /* gauges */
    atomic_uint_fast64_t closed[CLOSE_REASONS];
    atomic_uint_fast64_t msgs_in[P2P_SESS_MSG_TYPES];
    atomic_uint_fast64_t msgs_out[P2P_SESS_MSG_TYPES];
    atomic_uint_fast64_t served, learned, dropped[DROP_COUNT], renewals;
} face_metrics;

typedef struct conn conn;

/* The getaddr answer for askers of one network: the entries, and the
 * framed messages made of them when first needed, so that each answer
 * costs a copy, not an encoding and a checksum. */
typedef struct addr_cache {
    am_addrv2_entry *entries;
    size_t n;
    uint8_t *msg[2];                 /* [0] addr, [1] addrv2; or NULL */
    size_t msg_len[2];
    size_t served[2];                /* entries each message holds */
    int64_t expires;                 /* 0: never made */
    size_t pool_size;                /* the pool's size when it was made */
} addr_cache;

struct p2p_face {
    p2p_face_config cfg;
    char host[256], port[16];
    char address[300];
    st_pool *pool;
    p2p_sess_config sess_cfg;
    p2p_loop lp;
    uv_tcp_t server;
    uv_timer_t tick;
    conn *conns;                     /* every admitted connection */
    size_t n_conns;
    am_counter per_ip, per_group;
    uint8_t *rbuf;                   /* the loop's one read buffer */
    st_add *adds;                    /* one addr message's, for the pool */
    am_peer *draw;                   /* st_pool_getaddr's answer */
    addr_cache cache[AM_NET_MAX];
    uint64_t ban_epoch;              /* st_pool_ban_epoch when last checked */
    uint64_t rng;
    face_metrics m;
};

struct conn {
    uv_tcp_t tcp;                    /* tcp.data is the conn */
    p2p_face *face;
    p2p_sess *sess;
    conn *prev, *next;
    am_addr peer;                    /* host, port 0: the source of its addrs */
    char name[64];                   /* "host:port", for the log */
    uint64_t ip_key, group_key;
    int group_counted;
    uint8_t *pending;                /* bytes read the session has not taken */
    size_t pending_len;
    uv_write_t wreq;
    uint8_t *wbuf;                   /* the write in flight, or NULL */
    int reading, want_addrs, ready, closing;
    uint64_t seen_in[P2P_SESS_MSG_TYPES], seen_out[P2P_SESS_MSG_TYPES];
};

static void serve(conn *c);
static void account(conn *c);

/* ------------------------------------------------------------------------ */
/* Small helpers. */

#define flog(f, ...) p2p_logf((f)->cfg.log, (f)->cfg.log_ctx, __VA_ARGS__)

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static const char *face_close_name(face_close r)
{
    switch (r) {
    case FC_PEER_CLOSED: return "peer_closed";
    case FC_LIMIT_TOTAL: return "limit_total";
    case FC_LIMIT_IP: return "limit_ip";
    case FC_LIMIT_GROUP: return "limit_group";
    case FC_BANNED: return "banned";
    case FC_SOCKET_ERROR: return "socket_error";
    case FC_SHUTDOWN: return "shutdown";
    }
    return "unknown";
}

/* The metrics name of a combined reason index. */
static const char *close_name(size_t i)
{
    if (i < P2P_CLOSE_REASONS)
        return p2p_close_reason_name((p2p_close_reason)i);
    return face_close_name((face_close)(i - P2P_CLOSE_REASONS));
}

/* A socket address as an am_addr (an IPv4-mapped IPv6 one as IPv4). */
static int addr_of_sockaddr(const struct sockaddr_storage *ss, am_addr *out)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;

        return am_addr_from_bytes(out, AM_NET_IPV4,
                                  (const uint8_t *)&a->sin_addr, 4,
                                  ntohs(a->sin_port));
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        const uint8_t *b = a->sin6_addr.s6_addr;

        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
            return am_addr_from_bytes(out, AM_NET_IPV4, b + 12, 4,
                                      ntohs(a->sin6_port));
        return am_addr_from_bytes(out, AM_NET_IPV6, b, 16, ntohs(a->sin6_port));
    }
    return AM_ERR_ADDR;
}

/* One key per host (IPv6 folded to 64 bits: a collision only makes the
 * per-address cap stricter for the two hosts that share it). */
static uint64_t ip_key(const am_addr *a)
{
    uint64_t hi = 0, lo = 0;

    memcpy(&hi, a->bytes, 8);
    memcpy(&lo, a->bytes + 8, 8);
    return am_mix64(hi ^ a->net) ^ lo;
}

/* ------------------------------------------------------------------------ */
/* Closing. */

static void on_conn_closed(uv_handle_t *h)
{
    conn *c = h->data;

    p2p_sess_free(c->sess);
    free(c->pending);
    free(c->wbuf);
    free(c);
}

/* Leave the face's list and counts, count the reason, close the socket.
 * `reason` indexes the combined reasons (session's, then the face's). */
static void conn_close(conn *c, size_t reason, const char *why)
{
    p2p_face *f = c->face;

    if (c->closing)
        return;
    account(c);                       /* the messages that led here */
    c->closing = 1;
    if (c->prev)
        c->prev->next = c->next;
    else
        f->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    f->n_conns--;
    am_counter_dec(&f->per_ip, c->ip_key);
    if (c->group_counted)
        am_counter_dec(&f->per_group, c->group_key);
    p2p_count_sub(c->ready ? &f->m.ready : &f->m.handshaking, 1);
    p2p_count_add(&f->m.closed[reason], 1);
    flog(f, P2P_LOG_DEBUG, "p2p %s closed: %s%s%s", c->name, close_name(reason),
         why ? ": " : "", why ? why : "");
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void conn_close_face(conn *c, face_close reason)
{
    conn_close(c, P2P_CLOSE_REASONS + (size_t)reason, NULL);
}

/* ------------------------------------------------------------------------ */
/* The getaddr answer. */

/* Fill the cache of network `net` from the pool. */
static void cache_renew(p2p_face *f, addr_cache *ac, int64_t now)
{
    size_t n = 0;

    if (ac->entries == NULL &&
        (ac->entries = malloc(P2P_ADDR_MAX_ENTRIES * sizeof *ac->entries)) == NULL)
        return;                       /* no answer this time; tried again */
    if (st_pool_getaddr(f->pool, P2P_ADDR_MAX_ENTRIES, f->draw, &n) != AM_OK)
        n = 0;
    for (int v2 = 0; v2 < 2; v2++) {
        free(ac->msg[v2]);
        ac->msg[v2] = NULL;
    }
    for (size_t i = 0; i < n; i++) {
        am_addrv2_entry *e = &ac->entries[i];

        memset(e, 0, sizeof *e);
        e->time = (uint32_t)(f->draw[i].time > 0 ? f->draw[i].time : 0);
        e->services = f->draw[i].services;
        e->status = AM_OK;
        e->addr = f->draw[i].addr;
    }
    ac->n = n;
    ac->pool_size = st_pool_size(f->pool);
    ac->expires = now + P2P_FACE_CACHE_MIN +
                  (int64_t)(p2p_rand64(&f->rng) % (P2P_FACE_CACHE_SPREAD + 1));
    p2p_count_add(&f->m.renewals, 1);
}

/* Renew when expired, or when a short answer (the pool held fewer eligible
 * peers than an answer takes) was made from a pool a quarter smaller than
 * now: a daemon asked right after its start must not hand out an empty
 * answer for a day.  A full answer is kept its whole life: reconnecting
 * must not show more of the table (Core's reason for the cache). */
static int cache_stale(p2p_face *f, const addr_cache *ac, int64_t now)
{
    size_t size;

    if (ac->expires == 0 || now >= ac->expires)
        return 1;
    if (ac->n >= P2P_ADDR_MAX_ENTRIES)
        return 0;
    size = st_pool_size(f->pool);
    return size > ac->pool_size + ac->pool_size / 4;
}

/* The cache's message in the format v2: 0, or -1 out of memory. */
static int cache_message(p2p_face *f, addr_cache *ac, int v2)
{
    size_t n = ac->entries ? ac->n : 0, cap = p2p_addrs_message_size(v2, n);

    if (ac->msg[v2] != NULL)
        return 0;
    if ((ac->msg[v2] = malloc(cap)) == NULL)
        return -1;
    if (p2p_addrs_message(f->cfg.chain, v2, ac->entries, n, ac->msg[v2], cap,
                          &ac->msg_len[v2]) != AM_OK) {
        free(ac->msg[v2]);
        ac->msg[v2] = NULL;
        return -1;
    }
    ac->served[v2] = 0;
    for (size_t i = 0; i < n; i++)
        ac->served[v2] += v2 || p2p_addr_fits_v1(&ac->entries[i].addr);
    return 0;
}

static void answer_getaddr(conn *c)
{
    p2p_face *f = c->face;
    addr_cache *ac = &f->cache[c->peer.net < AM_NET_MAX ? c->peer.net : 0];
    int v2 = p2p_sess_addrv2(c->sess);
    int64_t now = now_s();
    int rc;

    if (cache_stale(f, ac, now))
        cache_renew(f, ac, now);
    if (cache_message(f, ac, v2) != 0) {
        conn_close(c, P2P_CLOSE_NO_MEMORY, "no memory for the getaddr answer");
        return;
    }
    rc = p2p_sess_send_addrs_message(c->sess, ac->msg[v2], ac->msg_len[v2]);
    if (rc == AM_ERR_FULL)
        return;                       /* again once the output is sent */
    c->want_addrs = 0;
    if (rc == AM_OK)
        p2p_count_add(&f->m.served, ac->served[v2]);
}

/* ------------------------------------------------------------------------ */
/* Learning. */

static void learn(conn *c, const p2p_sess_event *ev)
{
    p2p_face *f = c->face;
    size_t n = ev->learned.n, added = 0;
    int jrc = AM_OK;

    p2p_count_add(&f->m.dropped[DROP_RATE_LIMIT], ev->learned.dropped);
    p2p_count_add(&f->m.dropped[DROP_UNUSABLE], ev->learned.unusable);
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        st_add *a = &f->adds[i];

        memset(a, 0, sizeof *a);
        a->addr = ev->learned.entries[i].addr;
        a->services = ev->learned.entries[i].services;
        a->time = ev->learned.entries[i].time;
        /* To am_add, time 0 means "now" (what an HTTP client that names
         * no time wants); on the wire it is a bogus time, which am_add
         * stores five days old like every time below 100000000. */
        if (a->time == 0)
            a->time = 1;
    }
    st_pool_add_heard(f->pool, f->adds, n, &c->peer, P2P_FACE_ADDR_PENALTY,
                      &jrc);
    for (size_t i = 0; i < n; i++)
        added += f->adds[i].rc == AM_OK;
    p2p_count_add(&f->m.learned, added);
    p2p_count_add(&f->m.dropped[DROP_REFUSED], n - added);
    if (jrc != AM_OK)
        flog(f, P2P_LOG_WARN, "p2p %s: addresses learned but not journalled (%s)",
             c->name, am_strerror(jrc));
    flog(f, P2P_LOG_DEBUG, "p2p %s: %zu addresses, %zu added or refreshed, "
         "%zu over the rate limit", c->name, n + ev->learned.unusable,
         added, ev->learned.dropped);
}

/* ------------------------------------------------------------------------ */
/* Writing and reading. */

static void on_write(uv_write_t *req, int status)
{
    conn *c = req->data;

    free(c->wbuf);
    c->wbuf = NULL;
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c, P2P_CLOSE_REASONS + FC_SOCKET_ERROR, uv_strerror(status));
        return;
    }
    serve(c);
}

/* Send the session's output: what the socket takes now, the rest as one
 * write in flight (copied: the session's buffer moves on). */
static void flush(conn *c)
{
    const uint8_t *out;
    size_t len;
    uv_buf_t b;
    int n;

    if (c->wbuf != NULL || c->closing)
        return;
    p2p_sess_output(c->sess, &out, &len);
    if (len == 0)
        return;
    b = uv_buf_init((char *)out, (unsigned)len);
    n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == UV_EAGAIN)
        n = 0;
    if (n < 0) {
        conn_close(c, P2P_CLOSE_REASONS + FC_SOCKET_ERROR, uv_strerror(n));
        return;
    }
    if ((size_t)n < len) {
        if ((c->wbuf = malloc(len - (size_t)n)) == NULL) {
            conn_close(c, P2P_CLOSE_NO_MEMORY, "no memory for a write");
            return;
        }
        memcpy(c->wbuf, out + n, len - (size_t)n);
        b = uv_buf_init((char *)c->wbuf, (unsigned)(len - (size_t)n));
        c->wreq.data = c;
        n = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
        if (n < 0) {
            free(c->wbuf);
            c->wbuf = NULL;
            conn_close(c, P2P_CLOSE_REASONS + FC_SOCKET_ERROR, uv_strerror(n));
            return;
        }
    }
    p2p_sess_consumed(c->sess, len);
}

/* Message counts and the ready gauge follow the session. */
static void account(conn *c)
{
    p2p_face *f = c->face;
    const p2p_sess_stats *st = p2p_sess_get_stats(c->sess);

    for (size_t t = 0; t < P2P_SESS_MSG_TYPES; t++) {
        if (st->msgs_in[t] != c->seen_in[t])
            p2p_count_add(&f->m.msgs_in[t], st->msgs_in[t] - c->seen_in[t]);
        if (st->msgs_out[t] != c->seen_out[t])
            p2p_count_add(&f->m.msgs_out[t], st->msgs_out[t] - c->seen_out[t]);
        c->seen_in[t] = st->msgs_in[t];
        c->seen_out[t] = st->msgs_out[t];
    }
    if (!c->ready && p2p_sess_ready(c->sess)) {
        c->ready = 1;
        p2p_count_sub(&f->m.handshaking, 1);
        p2p_count_add(&f->m.ready, 1);
    }
}

/* Everything the face owes the session: its events, the getaddr answer,
 * the output.  The connection may be closed on return. */
static void serve_events(conn *c)
{
    p2p_sess_event ev;

    while (!c->closing && p2p_sess_next_event(c->sess, &ev)) {
        switch (ev.type) {
        case P2P_EV_CLOSE:
            conn_close(c, (size_t)ev.close.reason, ev.close.why);
            return;
        case P2P_EV_WANT_ADDRS:
            c->want_addrs = 1;
            break;
        case P2P_EV_LEARNED:
            learn(c, &ev);
            break;
        }
    }
    if (c->want_addrs) {
        answer_getaddr(c);
        if (c->want_addrs) {          /* the output was full: send, retry */
            flush(c);
            if (!c->closing && c->wbuf == NULL)
                answer_getaddr(c);
        }
    }
    if (!c->closing) {
        account(c);
        flush(c);
    }
}

/* Feed buf[0..len) between serving the session; *fed the bytes taken. */
static void feed(conn *c, const uint8_t *buf, size_t len, size_t *fed)
{
    int64_t now = now_s();
    size_t pos = 0, used;

    while (pos < len && !c->closing) {
        used = 0;
        p2p_sess_feed(c->sess, buf + pos, len - pos, now, &used);
        pos += used;
        serve_events(c);
        if (used == 0 && (c->wbuf != NULL || c->closing))
            break;                    /* paused until the write ends */
    }
    *fed = pos;
}

static void set_reading(conn *c);

/* Feed what waits, serve, and read again once nothing waits. */
static void serve(conn *c)
{
    size_t fed = 0;

    serve_events(c);
    if (!c->closing && c->pending_len > 0) {
        feed(c, c->pending, c->pending_len, &fed);
        if (c->closing)
            return;
        memmove(c->pending, c->pending + fed, c->pending_len - fed);
        c->pending_len -= fed;
        if (c->pending_len == 0) {
            free(c->pending);
            c->pending = NULL;
        }
    }
    if (!c->closing)
        set_reading(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    conn *c = h->data;

    (void)suggested;
    /* One buffer serves every read: each read callback consumes it or
     * copies what is left before the next read can start. */
    *buf = uv_buf_init((char *)c->face->rbuf, P2P_FACE_READ_SIZE);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = s->data;
    size_t fed = 0;

    if (c->closing || nread == 0)
        return;
    if (nread < 0) {
        if (nread == UV_EOF)
            conn_close_face(c, FC_PEER_CLOSED);
        else
            conn_close(c, P2P_CLOSE_REASONS + FC_SOCKET_ERROR,
                       uv_strerror((int)nread));
        return;
    }
    assert(c->pending_len == 0);      /* reading stops while bytes wait */
    feed(c, (const uint8_t *)buf->base, (size_t)nread, &fed);
    if (c->closing)
        return;
    if (fed < (size_t)nread) {
        c->pending_len = (size_t)nread - fed;
        if ((c->pending = malloc(c->pending_len)) == NULL) {
            c->pending_len = 0;
            conn_close(c, P2P_CLOSE_NO_MEMORY, "no memory for unread bytes");
            return;
        }
        memcpy(c->pending, buf->base + fed, c->pending_len);
    }
    set_reading(c);
}

static void set_reading(conn *c)
{
    int want = c->pending_len == 0;

    if (want && !c->reading)
        c->reading = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0;
    else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
    }
}

/* ------------------------------------------------------------------------ */
/* Accepting. */

static void on_refused_closed(uv_handle_t *h)
{
    free(h->data);
}

/* -1 when the peer may stay, else the face_close reason to refuse it. */
static int admit(p2p_face *f, conn *c)
{
    if (f->n_conns >= f->cfg.max_connections)
        return FC_LIMIT_TOTAL;
    if (f->cfg.max_per_ip &&
        am_counter_get(&f->per_ip, c->ip_key) >= f->cfg.max_per_ip)
        return FC_LIMIT_IP;
    if (f->cfg.max_per_group && c->group_counted &&
        am_counter_get(&f->per_group, c->group_key) >= f->cfg.max_per_group)
        return FC_LIMIT_GROUP;
    if (st_pool_banned(f->pool, &c->peer))
        return FC_BANNED;
    return -1;
}

/* Refuse a connection that never joined the list. */
static void refuse(p2p_face *f, conn *c, size_t reason)
{
    p2p_count_add(&f->m.closed[reason], 1);
    flog(f, P2P_LOG_DEBUG, "p2p %s refused: %s", c->name, close_name(reason));
    uv_close((uv_handle_t *)&c->tcp, on_refused_closed);
}

/* Join the list and counts: 0, or -1 out of memory (nothing joined). */
static int join(p2p_face *f, conn *c, const am_addr *endpoint)
{
    p2p_sess_config sc = f->sess_cfg;

    sc.nonce = p2p_rand64(&f->rng);
    c->sess = p2p_sess_new(&sc, endpoint, now_s());
    if (c->sess == NULL)
        return -1;
    if (am_counter_inc(&f->per_ip, c->ip_key) != 0) {
        p2p_sess_free(c->sess);
        c->sess = NULL;
        return -1;
    }
    if (c->group_counted && am_counter_inc(&f->per_group, c->group_key) != 0) {
        am_counter_dec(&f->per_ip, c->ip_key);
        p2p_sess_free(c->sess);
        c->sess = NULL;
        return -1;
    }
    c->next = f->conns;
    if (f->conns)
        f->conns->prev = c;
    f->conns = c;
    f->n_conns++;
    p2p_count_add(&f->m.handshaking, 1);
    return 0;
}

static void on_connection(uv_stream_t *server, int status)
{
    p2p_face *f = server->data;
    struct sockaddr_storage ss;
    int len = (int)sizeof ss, why;
    am_addr endpoint;
    conn *c;

    if (status < 0) {
        flog(f, P2P_LOG_WARN, "p2p accept: %s", uv_strerror(status));
        return;
    }
    if ((c = calloc(1, sizeof *c)) == NULL)
        return;                       /* the peer waits in the backlog */
    c->face = f;
    uv_tcp_init(&f->lp.uv, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, on_refused_closed);
        return;
    }
    p2p_count_add(&f->m.accepted, 1);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0 ||
        addr_of_sockaddr(&ss, &endpoint) != AM_OK) {
        snprintf(c->name, sizeof c->name, "(unknown peer)");
        refuse(f, c, P2P_CLOSE_REASONS + FC_SOCKET_ERROR);
        return;
    }
    am_addr_format_endpoint(&endpoint, c->name, sizeof c->name);
    c->peer = endpoint;
    c->peer.port = 0;
    c->ip_key = ip_key(&c->peer);
    c->group_counted = am_addr_is_routable(&c->peer);
    c->group_key = am_addr_group_key(&c->peer);
    why = admit(f, c);
    if (why >= 0) {
        refuse(f, c, P2P_CLOSE_REASONS + (size_t)why);
        return;
    }
    if (join(f, c, &endpoint) != 0) {
        refuse(f, c, P2P_CLOSE_NO_MEMORY);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    flog(f, P2P_LOG_DEBUG, "p2p %s connected (%zu open)", c->name, f->n_conns);
    set_reading(c);
}

/* ------------------------------------------------------------------------ */
/* The loop: timeouts, stopping. */

static void on_tick(uv_timer_t *t)
{
    p2p_face *f = t->data;
    int64_t now = now_s();
    uint64_t epoch = st_pool_ban_epoch(f->pool);
    int bans_changed = epoch != f->ban_epoch;
    conn *c = f->conns, *next;

    f->ban_epoch = epoch;
    while (c != NULL) {
        next = c->next;               /* c may leave the list */
        if (bans_changed && st_pool_banned(f->pool, &c->peer)) {
            conn_close_face(c, FC_BANNED);
        } else {
            p2p_sess_tick(c->sess, now);
            serve_events(c);
        }
        c = next;
    }
}

static void close_all(p2p_face *f)
{
    while (f->conns != NULL)
        conn_close_face(f->conns, FC_SHUTDOWN);
}

/* On the loop thread at the stop: every handle of the face is closed. */
static void on_stop(void *data)
{
    p2p_face *f = data;

    close_all(f);
    uv_close((uv_handle_t *)&f->server, NULL);
    uv_close((uv_handle_t *)&f->tick, NULL);
}

/* ------------------------------------------------------------------------ */
/* Setting up. */

void p2p_face_config_default(p2p_face_config *cfg, const am_chain *chain)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->chain = chain;
    cfg->services = P2P_SESS_SERVICES_DEFAULT;
    cfg->max_connections = P2P_FACE_MAX_CONNECTIONS_DEFAULT;
    cfg->max_per_ip = P2P_FACE_MAX_PER_IP_DEFAULT;
    cfg->max_per_group = P2P_FACE_MAX_PER_GROUP_DEFAULT;
    cfg->handshake_timeout = P2P_SESS_HANDSHAKE_TIMEOUT_DEFAULT;
    cfg->idle_timeout = P2P_SESS_IDLE_TIMEOUT_DEFAULT;
    cfg->max_payload = P2P_FACE_MAX_PAYLOAD_DEFAULT;
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && len > 0) {
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return 0;
}

static int config_ok(const p2p_face_config *cfg, char *err, size_t len)
{
    if (cfg->chain == NULL || cfg->host == NULL || cfg->port == NULL)
        return fail(err, len, "a chain, a host and a port are needed");
    if (strlen(cfg->host) >= 256 || strlen(cfg->port) >= 16)
        return fail(err, len, "the host or the port is too long");
    if (cfg->max_connections == 0)
        return fail(err, len, "max connections must be at least 1");
    if (cfg->handshake_timeout <= 0 || cfg->idle_timeout <= 0)
        return fail(err, len, "timeouts must be positive");
    if (cfg->max_payload < P2P_SESS_MIN_PAYLOAD)
        return fail(err, len, "the maximum message must be at least %u bytes",
                    (unsigned)P2P_SESS_MIN_PAYLOAD);
    return 1;
}

/* The bound address as text. */
static void name_bound(p2p_face *f)
{
    struct sockaddr_storage ss;
    int len = (int)sizeof ss;
    am_addr a;

    if (uv_tcp_getsockname(&f->server, (struct sockaddr *)&ss, &len) == 0 &&
        addr_of_sockaddr(&ss, &a) == AM_OK &&
        am_addr_format_endpoint(&a, f->address, sizeof f->address) == AM_OK)
        return;
    snprintf(f->address, sizeof f->address, "%s:%s", f->host, f->port);
}

static int bind_listen(p2p_face *f, char *err, size_t err_len)
{
    struct addrinfo hints, *res = NULL;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(f->host, f->port, &hints, &res);
    if (rc != 0) {
        fail(err, err_len, "cannot resolve %s: %s", f->host, gai_strerror(rc));
        return AM_ERR_IO;
    }
    rc = uv_tcp_bind(&f->server, res->ai_addr, 0);
    freeaddrinfo(res);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&f->server, 511, on_connection);
    if (rc != 0) {
        fail(err, err_len, "cannot listen on %s:%s: %s", f->host, f->port,
             uv_strerror(rc));
        return AM_ERR_IO;
    }
    name_bound(f);
    return AM_OK;
}

static void face_release(p2p_face *f)
{
    for (size_t i = 0; i < AM_NET_MAX; i++) {
        free(f->cache[i].entries);
        free(f->cache[i].msg[0]);
        free(f->cache[i].msg[1]);
    }
    am_counter_free(&f->per_ip);
    am_counter_free(&f->per_group);
    free(f->rbuf);
    free(f->adds);
    free(f->draw);
    free(f);
}

int p2p_face_new(const p2p_face_config *cfg, st_pool *pool, p2p_face **out,
                 char *err, size_t err_len)
{
    p2p_face *f;
    int rc;

    if (cfg == NULL || pool == NULL || out == NULL || !config_ok(cfg, err, err_len))
        return AM_ERR_INVAL;
    if ((f = calloc(1, sizeof *f)) == NULL)
        return AM_ERR_NOMEM;
    f->cfg = *cfg;
    snprintf(f->host, sizeof f->host, "%s", cfg->host);
    snprintf(f->port, sizeof f->port, "%s", cfg->port);
    f->cfg.host = f->host;
    f->cfg.port = f->port;
    f->pool = pool;
    f->ban_epoch = st_pool_ban_epoch(pool);
    am_counter_init(&f->per_ip);
    am_counter_init(&f->per_group);
    p2p_sess_config_default(&f->sess_cfg, cfg->chain);
    f->sess_cfg.services = cfg->services;
    f->sess_cfg.handshake_timeout = cfg->handshake_timeout;
    f->sess_cfg.idle_timeout = cfg->idle_timeout;
    f->sess_cfg.max_payload = cfg->max_payload;
    f->rng = p2p_rand_seed(f);
    f->rbuf = malloc(P2P_FACE_READ_SIZE);
    f->adds = malloc(P2P_ADDR_MAX_ENTRIES * sizeof *f->adds);
    f->draw = malloc(P2P_ADDR_MAX_ENTRIES * sizeof *f->draw);
    if (f->rbuf == NULL || f->adds == NULL || f->draw == NULL ||
        p2p_loop_init(&f->lp) != AM_OK) {
        face_release(f);
        return AM_ERR_NOMEM;
    }
    uv_tcp_init(&f->lp.uv, &f->server);
    f->server.data = f;
    rc = bind_listen(f, err, err_len);
    if (rc != AM_OK) {
        uv_close((uv_handle_t *)&f->server, NULL);
        p2p_loop_close(&f->lp);
        face_release(f);
        return rc;
    }
    uv_timer_init(&f->lp.uv, &f->tick);
    f->tick.data = f;
    p2p_loop_on_stop(&f->lp, on_stop, f);
    *out = f;
    return AM_OK;
}

const char *p2p_face_address(const p2p_face *f)
{
    return f->address;
}

int p2p_face_start(p2p_face *f)
{
    if (f == NULL || f->lp.started || f->lp.stopped)
        return AM_ERR_INVAL;
    uv_timer_start(&f->tick, on_tick, 1000, 1000);
    if (p2p_loop_start(&f->lp) != AM_OK) {
        uv_timer_stop(&f->tick);
        return AM_ERR_IO;
    }
    flog(f, P2P_LOG_INFO, "p2p listening on %s (chain %s)", f->address,
         f->cfg.chain->name);
    return AM_OK;
}

void p2p_face_stop(p2p_face *f)
{
    if (f != NULL)
        p2p_loop_stop(&f->lp);
}

void p2p_face_free(p2p_face *f)
{
    if (f == NULL)
        return;
    p2p_face_stop(f);
    face_release(f);
}

/* ------------------------------------------------------------------------ */
/* Metrics. */

/* A series of one value, with its head. */
static void scalar(js_buf *b, const char *name, const char *type,
                   const char *help, const atomic_uint_fast64_t *value)
{
    p2p_metric_head(b, name, type, help);
    js_buf_printf(b, "%s %llu\n", name, (unsigned long long)p2p_count_get(value));
}

static const char *command_name(size_t t)
{
    const char *c = p2p_msg_command((p2p_msg_type)t);

    return c != NULL ? c : "other";
}

void p2p_face_metrics(p2p_face *f, js_buf *b)
{
    static const char *drops[DROP_COUNT] = {"rate_limit", "unusable", "refused"};
    face_metrics *m = &f->m;

    p2p_metric_head(b, "addrmand_p2p_connections", "gauge", "Open P2P connections by state.");
    js_buf_printf(b, "addrmand_p2p_connections{state=\"handshake\"} %llu\n",
                  (unsigned long long)p2p_count_get(&m->handshaking));
    js_buf_printf(b, "addrmand_p2p_connections{state=\"ready\"} %llu\n",
                  (unsigned long long)p2p_count_get(&m->ready));
    scalar(b, "addrmand_p2p_accepted_total", "counter",
           "P2P connections accepted, refused ones included.", &m->accepted);
    p2p_metric_head(b, "addrmand_p2p_closed_total", "counter",
         "P2P connections closed or refused, by reason.");
    for (size_t i = 0; i < CLOSE_REASONS; i++)
        js_buf_printf(b, "addrmand_p2p_closed_total{reason=\"%s\"} %llu\n",
                      close_name(i), (unsigned long long)p2p_count_get(&m->closed[i]));
    p2p_metric_head(b, "addrmand_p2p_messages_total", "counter",
         "P2P messages by direction and command (\"other\": not read).");
    for (size_t t = 0; t < P2P_SESS_MSG_TYPES; t++) {
        js_buf_printf(b, "addrmand_p2p_messages_total{direction=\"in\",command=\"%s\"} %llu\n",
                      command_name(t), (unsigned long long)p2p_count_get(&m->msgs_in[t]));
        if (t != P2P_MSG_OTHER)
            js_buf_printf(b, "addrmand_p2p_messages_total{direction=\"out\",command=\"%s\"} %llu\n",
                          command_name(t), (unsigned long long)p2p_count_get(&m->msgs_out[t]));
    }
    scalar(b, "addrmand_p2p_addresses_served_total", "counter",
           "Addresses sent in getaddr answers.", &m->served);
    scalar(b, "addrmand_p2p_addresses_learned_total", "counter",
           "Addresses from addr/addrv2 added to the pool or refreshed.",
           &m->learned);
    p2p_metric_head(b, "addrmand_p2p_addresses_dropped_total", "counter",
         "Addresses from addr/addrv2 not learned, by reason.");
    for (size_t i = 0; i < DROP_COUNT; i++)
        js_buf_printf(b, "addrmand_p2p_addresses_dropped_total{reason=\"%s\"} %llu\n",
                      drops[i], (unsigned long long)p2p_count_get(&m->dropped[i]));
    scalar(b, "addrmand_p2p_getaddr_cache_renewals_total", "counter",
           "getaddr answers drawn from the pool (one per network per 21-27 h).",
           &m->renewals);
}
