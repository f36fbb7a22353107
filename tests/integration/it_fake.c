/*
 * it_fake.c - fake Bitcoin peers: listening sockets, one poll() thread,
 * and per connection a p2p_reader for what the prober sends and a queue
 * of replies, each due at a time (now, or now + delay_ms for SLOW).
 *
 * Locking: the thread owns the sockets and connections; the mutex guards
 * what the test reads (each fake's stats and contacts).
 */
#include "it_fake.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "am_error.h"
#include "p2p_frame.h"

#define IO_CHUNK 65536
#define GARBAGE_LEN 64
#define POLL_CAP_MS 100
/* Connections a NO_ACCEPT fake makes to itself to fill its backlog. */
#define FILLERS_MAX 8

typedef struct chunk {
    struct chunk *next;
    int64_t due;               /* ms; not written before */
    size_t len, off;
    uint8_t data[];
} chunk;

/* One accepted connection.  The times are for the test to read; the
 * stamps, drawn from one counter under the mutex, order every open and
 * close of every fake exactly (milliseconds tie). */
typedef struct fake_contact {
    int64_t opened, closed;    /* ms; closed 0 while open */
    uint64_t open_stamp, close_stamp;
} fake_contact;

typedef struct fake {
    it_fake_spec spec;
    char host[INET_ADDRSTRLEN];
    uint16_t port;
    int lfd;                   /* listening (or, CLOSED, bound) socket */
    int fillers[FILLERS_MAX];  /* NO_ACCEPT: our own queued connects */
    size_t n_fillers;
    am_addrv2_entry *answer;
    size_t n_answer;
    uint64_t rng;              /* GARBAGE's bytes */
    /* under the mutex */
    it_fake_stats st;
    fake_contact *contacts;
    size_t n_contacts, cap_contacts;
} fake;

typedef struct conn {
    int fd;
    size_t fake;
    size_t contact;            /* index in the fake's contacts */
    p2p_reader rd;
    chunk *head, *tail;
    int versioned, veracked, peer_addrv2;
} conn;

struct it_fakes {
    const am_chain *chain;
    fake *fakes;
    size_t n;
    conn **conns;
    size_t n_conns, cap_conns;
    struct pollfd *pfds;
    size_t cap_pfds;
    int wake[2];
    atomic_int stop;
    int started;
    pthread_t thread;
    pthread_mutex_t mu;
    uint64_t stamp;            /* under the mutex: the last contact stamp */
};

int64_t it_fakes_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int sockaddr_of(const char *host, uint16_t port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* ---- contacts and stats (under the mutex) -------------------------------- */

static size_t contact_open(it_fakes *f, fake *k)
{
    pthread_mutex_lock(&f->mu);
    if (k->n_contacts == k->cap_contacts) {
        size_t cap = k->cap_contacts ? 2 * k->cap_contacts : 16;
        fake_contact *c = realloc(k->contacts, cap * sizeof *c);
        if (!c) {
            pthread_mutex_unlock(&f->mu);
            fprintf(stderr, "it_fake: out of memory for contacts\n");
            abort();
        }
        k->contacts = c;
        k->cap_contacts = cap;
    }
    size_t i = k->n_contacts++;
    k->contacts[i] = (fake_contact){.opened = it_fakes_now_ms(),
                                    .open_stamp = ++f->stamp};
    k->st.connections++;
    pthread_mutex_unlock(&f->mu);
    return i;
}

static void contact_close(it_fakes *f, fake *k, size_t i)
{
    pthread_mutex_lock(&f->mu);
    k->contacts[i].closed = it_fakes_now_ms();
    k->contacts[i].close_stamp = ++f->stamp;
    pthread_mutex_unlock(&f->mu);
}

/* ---- output -------------------------------------------------------------- */

/* The magic a fake writes: its chain's, but for WRONG_MAGIC another
 * chain's (regtest's when the fakes are on main, else main's). */
static const uint8_t *magic_of(const it_fakes *f, const fake *k)
{
    if (k->spec.mode != IT_FAKE_WRONG_MAGIC)
        return f->chain->magic;
    am_chain_id other = f->chain->id == AM_CHAIN_MAIN ? AM_CHAIN_REGTEST
                                                      : AM_CHAIN_MAIN;
    return am_chain_get(other)->magic;
}

static int queue_msg(it_fakes *f, conn *c, const char *command,
                     const uint8_t *payload, size_t len)
{
    const fake *k = &f->fakes[c->fake];
    chunk *ch = malloc(sizeof *ch + P2P_HEADER_SIZE + len);
    if (!ch)
        return -1;
    if (p2p_frame_build(magic_of(f, k), command, payload, len, ch->data,
                        P2P_HEADER_SIZE + len, &ch->len) != AM_OK) {
        free(ch);
        return -1;
    }
    ch->next = NULL;
    ch->off = 0;
    ch->due = it_fakes_now_ms() +
              (k->spec.mode == IT_FAKE_SLOW ? k->spec.delay_ms : 0);
    if (c->tail)
        c->tail->next = ch;
    else
        c->head = ch;
    c->tail = ch;
    return 0;
}

/* Write what is due; -1 when the connection broke. */
static int flush(conn *c, int64_t now)
{
    while (c->head && c->head->due <= now) {
        chunk *ch = c->head;
        ssize_t w = send(c->fd, ch->data + ch->off, ch->len - ch->off,
                         MSG_NOSIGNAL);
        if (w < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        ch->off += (size_t)w;
        if (ch->off < ch->len)
            return 0;
        c->head = ch->next;
        if (!c->head)
            c->tail = NULL;
        free(ch);
    }
    return 0;
}

/* ---- the protocol of GOOD, SLOW and WRONG_MAGIC ---------------------------- */

static int send_version(it_fakes *f, conn *c)
{
    const fake *k = &f->fakes[c->fake];
    p2p_version v;
    uint8_t buf[P2P_VERSION_MAX_SIZE];
    size_t len = 0;

    memset(&v, 0, sizeof v);
    v.version = k->spec.protocol ? k->spec.protocol : IT_FAKE_PROTOCOL;
    v.services = k->spec.services;
    v.timestamp = (int64_t)time(NULL);
    v.addr_from.services = v.services;
    v.nonce = k->rng ^ (uint64_t)c->fd;
    v.user_agent_len = strlen(IT_FAKE_USER_AGENT);
    memcpy(v.user_agent, IT_FAKE_USER_AGENT, v.user_agent_len + 1);
    v.has_relay = 1;
    v.relay = 1;
    if (p2p_version_build(&v, buf, sizeof buf, &len) != AM_OK)
        return -1;
    if (queue_msg(f, c, "version", buf, len) < 0)
        return -1;
    if (k->spec.addrv2 && queue_msg(f, c, "sendaddrv2", NULL, 0) < 0)
        return -1;
    return queue_msg(f, c, "verack", NULL, 0);
}

/* spec.answer as addrv2, or as addr leaving out what v1 cannot carry. */
static int send_answer(it_fakes *f, conn *c)
{
    const fake *k = &f->fakes[c->fake];
    int v2 = c->peer_addrv2 && k->spec.addrv2;
    am_addrv2_entry *e = calloc(k->n_answer ? k->n_answer : 1, sizeof *e);
    uint8_t *buf = malloc(AM_ADDRV2_MAX_ENTRY_SIZE * (k->n_answer + 1) + 3);
    size_t n = 0, len = 0;
    int rc = -1;

    if (!e || !buf)
        goto out;
    for (size_t i = 0; i < k->n_answer; i++) {
        if (!v2 && !p2p_addr_fits_v1(&k->answer[i].addr))
            continue;
        e[n] = k->answer[i];
        e[n++].time = (uint32_t)time(NULL);
    }
    size_t cap = AM_ADDRV2_MAX_ENTRY_SIZE * (k->n_answer + 1) + 3;
    if ((v2 ? am_addrv2_encode(e, n, buf, cap, &len)
            : p2p_addr_build(e, n, buf, cap, &len)) != AM_OK)
        goto out;
    rc = queue_msg(f, c, v2 ? "addrv2" : "addr", buf, len);
out:
    free(e);
    free(buf);
    return rc;
}

/* One more of a fake's counters, for readers in other threads. */
static void bump(it_fakes *f, unsigned *counter)
{
    pthread_mutex_lock(&f->mu);
    (*counter)++;
    pthread_mutex_unlock(&f->mu);
}

/* One message from the prober: -1 closes the connection. */
static int on_message(it_fakes *f, conn *c, const p2p_frame *m)
{
    fake *k = &f->fakes[c->fake];
    p2p_version v;
    uint64_t nonce;
    uint8_t pong[P2P_NONCE_SIZE];
    int rc = 0;

    switch (p2p_msg_type_of(m->command)) {
    case P2P_MSG_VERSION:
        if (p2p_version_parse(m->payload, m->len, &v) != AM_OK)
            return -1;
        pthread_mutex_lock(&f->mu);
        k->st.versions++;
        k->st.version = v;
        pthread_mutex_unlock(&f->mu);
        if (c->versioned)
            return 0;
        c->versioned = 1;
        return send_version(f, c);
    case P2P_MSG_VERACK:
        bump(f, &k->st.veracks);
        c->veracked = 1;
        return 0;
    case P2P_MSG_SENDADDRV2:
        bump(f, &k->st.sendaddrv2s);
        c->peer_addrv2 = 1;
        return 0;
    case P2P_MSG_GETADDR:
        bump(f, &k->st.getaddrs);
        if (!c->veracked)
            return 0;
        rc = send_answer(f, c);
        if (rc == 0)
            bump(f, &k->st.answered);
        return rc;
    case P2P_MSG_PING:
        if (p2p_nonce_parse(m->payload, m->len, &nonce) != AM_OK)
            return -1;
        p2p_nonce_build(nonce, pong);
        return queue_msg(f, c, "pong", pong, sizeof pong);
    case P2P_MSG_OTHER:
    case P2P_MSG_WTXIDRELAY:
    case P2P_MSG_PONG:
    case P2P_MSG_ADDR:
    case P2P_MSG_ADDRV2:
        return 0;
    }
    return 0;
}

static int speaks(it_fake_mode m)
{
    return m == IT_FAKE_GOOD || m == IT_FAKE_SLOW || m == IT_FAKE_WRONG_MAGIC;
}

/* Bytes from the prober: -1 closes the connection. */
static int on_bytes(it_fakes *f, conn *c, const uint8_t *buf, size_t len)
{
    if (!speaks(f->fakes[c->fake].spec.mode))
        return 0;          /* GARBAGE and SILENT read and drop */
    while (len > 0) {
        p2p_frame m;
        size_t used = 0;
        int got = 0;
        if (p2p_reader_feed(&c->rd, buf, len, &used, &m, &got) != AM_OK)
            return -1;
        if (got && on_message(f, c, &m) < 0)
            return -1;
        buf += used;
        len -= used;
    }
    return 0;
}

/* ---- connections ----------------------------------------------------------- */

static void conn_free(it_fakes *f, size_t i)
{
    conn *c = f->conns[i];
    close(c->fd);
    contact_close(f, &f->fakes[c->fake], c->contact);
    p2p_reader_free(&c->rd);
    while (c->head) {
        chunk *next = c->head->next;
        free(c->head);
        c->head = next;
    }
    free(c);
    f->conns[i] = f->conns[--f->n_conns];
}

static void garbage(fake *k, int fd)
{
    uint8_t buf[GARBAGE_LEN];
    for (size_t i = 0; i < sizeof buf; i++) {
        k->rng ^= k->rng << 13;
        k->rng ^= k->rng >> 7;
        k->rng ^= k->rng << 17;
        buf[i] = (uint8_t)k->rng;
    }
    /* a fresh socket's buffer takes 64 bytes whole */
    if (send(fd, buf, sizeof buf, MSG_NOSIGNAL) < 0)
        return;
}

static void on_accept(it_fakes *f, size_t idx, int fd)
{
    fake *k = &f->fakes[idx];
    size_t contact = contact_open(f, k);
    conn *c;

    if (k->spec.mode == IT_FAKE_RESET || set_nonblock(fd) < 0 ||
        f->n_conns == f->cap_conns || !(c = calloc(1, sizeof *c))) {
        close(fd);
        contact_close(f, k, contact);
        return;
    }
    c->fd = fd;
    c->fake = idx;
    c->contact = contact;
    p2p_reader_init(&c->rd, f->chain);
    f->conns[f->n_conns++] = c;
    if (k->spec.mode == IT_FAKE_GARBAGE)
        garbage(k, fd);
}

static int grow_conns(it_fakes *f)
{
    if (f->n_conns < f->cap_conns)
        return 0;
    size_t cap = f->cap_conns ? 2 * f->cap_conns : 64;
    conn **cs = realloc(f->conns, cap * sizeof *cs);
    if (!cs)
        return -1;
    f->conns = cs;
    f->cap_conns = cap;
    return 0;
}

static void accept_all(it_fakes *f, size_t idx)
{
    for (;;) {
        if (grow_conns(f) < 0)
            return;
        int fd = accept(f->fakes[idx].lfd, NULL, NULL);
        if (fd < 0)
            return;
        on_accept(f, idx, fd);
    }
}

/* Read what a connection has: -1 when it ended. */
static int serve_read(it_fakes *f, conn *c)
{
    uint8_t buf[IO_CHUNK];
    for (;;) {
        ssize_t r = recv(c->fd, buf, sizeof buf, 0);
        if (r == 0)
            return -1;
        if (r < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        if (on_bytes(f, c, buf, (size_t)r) < 0)
            return -1;
    }
}

/* ---- the thread ------------------------------------------------------------ */

static int listens(const fake *k)
{
    return k->spec.mode != IT_FAKE_NO_ACCEPT && k->spec.mode != IT_FAKE_CLOSED;
}

/* The poll set: wake pipe, listeners, connections (in that order). */
static size_t build_pollset(it_fakes *f, int64_t now, int *timeout)
{
    size_t need = 1 + f->n + f->n_conns, m = 0;
    if (need > f->cap_pfds) {
        struct pollfd *p = realloc(f->pfds, need * sizeof *p);
        if (!p)
            return 0;
        f->pfds = p;
        f->cap_pfds = need;
    }
    *timeout = POLL_CAP_MS;
    f->pfds[m++] = (struct pollfd){.fd = f->wake[0], .events = POLLIN};
    for (size_t i = 0; i < f->n; i++)
        f->pfds[m++] = (struct pollfd){
            .fd = listens(&f->fakes[i]) ? f->fakes[i].lfd : -1,
            .events = POLLIN};
    for (size_t i = 0; i < f->n_conns; i++) {
        conn *c = f->conns[i];
        short ev = POLLIN;
        if (c->head && c->head->due <= now)
            ev |= POLLOUT;
        else if (c->head && c->head->due - now < *timeout)
            *timeout = (int)(c->head->due - now);
        f->pfds[m++] = (struct pollfd){.fd = c->fd, .events = ev};
    }
    return m;
}

static void *serve(void *arg)
{
    it_fakes *f = arg;
    while (!atomic_load(&f->stop)) {
        int timeout;
        size_t m = build_pollset(f, it_fakes_now_ms(), &timeout);
        if (m == 0 || poll(f->pfds, m, timeout) < 0) {
            if (m && errno == EINTR)
                continue;
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
            continue;
        }
        /* connections first: accepting moves the array */
        size_t n_polled = f->n_conns;
        int64_t now = it_fakes_now_ms();
        for (size_t j = n_polled; j-- > 0;) {
            struct pollfd *p = &f->pfds[1 + f->n + j];
            conn *c = f->conns[j];
            int dead = 0;
            if (p->revents & (POLLIN | POLLHUP | POLLERR))
                dead = serve_read(f, c) < 0;
            if (!dead)
                dead = flush(c, now) < 0;
            if (dead)
                conn_free(f, j);
        }
        for (size_t i = 0; i < f->n; i++)
            if (f->pfds[1 + i].revents & POLLIN)
                accept_all(f, i);
    }
    return NULL;
}

/* ---- start and stop -------------------------------------------------------- */

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Connections queued on a listener now, and how many it takes before it
 * is full (Linux: the accept queue is full past its backlog). */
static int queue_state(int lfd, unsigned *queued, unsigned *backlog)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
        return -1;
    *queued = ti.tcpi_unacked;
    *backlog = ti.tcpi_sacked;
    return 0;
}

/*
 * A NO_ACCEPT fake: listen with backlog 0, then connect to it ourselves
 * until its accept queue is full, so that the prober's SYNs are dropped
 * and its connects hang.
 */
static int fill_backlog(fake *k, const struct sockaddr_in *sa)
{
    unsigned queued, backlog;
    while (k->n_fillers < FILLERS_MAX) {
        if (queue_state(k->lfd, &queued, &backlog) < 0)
            return -1;
        if (queued > backlog)
            return 0;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return -1;
        k->fillers[k->n_fillers++] = fd;
        if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0)
            return -1;
        /* the child joins the queue when our ACK is processed */
        for (int i = 0; i < 100; i++) {
            unsigned now_queued;
            if (queue_state(k->lfd, &now_queued, &backlog) < 0)
                return -1;
            if (now_queued > queued)
                break;
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    return -1;
}

static int open_fake(fake *k)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int one = 1;

    if (sockaddr_of(k->host, 0, &sa) < 0) {
        fprintf(stderr, "it_fake: '%s' is not an IPv4 address\n", k->host);
        return -1;
    }
    k->lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (k->lfd < 0 ||
        setsockopt(k->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(k->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(k->lfd, (struct sockaddr *)&sa, &len) < 0)
        goto fail;
    k->port = ntohs(sa.sin_port);
    switch (k->spec.mode) {
    case IT_FAKE_CLOSED:
        return 0;      /* bound, never listening: the port stays ours, refused */
    case IT_FAKE_NO_ACCEPT:
        if (listen(k->lfd, 0) < 0 || fill_backlog(k, &sa) < 0)
            goto fail;
        return 0;
    case IT_FAKE_GOOD:
    case IT_FAKE_SLOW:
    case IT_FAKE_GARBAGE:
    case IT_FAKE_WRONG_MAGIC:
    case IT_FAKE_SILENT:
    case IT_FAKE_RESET:
        if (listen(k->lfd, SOMAXCONN) < 0 || set_nonblock(k->lfd) < 0)
            goto fail;
        return 0;
    }
fail:
    fprintf(stderr, "it_fake: fake on %s: %s\n", k->host, strerror(errno));
    return -1;
}

static int load_answer(fake *k, const am_chain *chain)
{
    if (k->spec.n_answer > AM_ADDRV2_MAX_ENTRIES) {
        fprintf(stderr, "it_fake: %zu answers, at most %d\n", k->spec.n_answer,
                AM_ADDRV2_MAX_ENTRIES);
        return -1;
    }
    k->n_answer = k->spec.n_answer;
    k->answer = calloc(k->n_answer ? k->n_answer : 1, sizeof *k->answer);
    if (!k->answer)
        return -1;
    for (size_t i = 0; i < k->n_answer; i++) {
        am_addrv2_entry *e = &k->answer[i];
        if (am_addr_parse(&e->addr, k->spec.answer[i], chain->port) != AM_OK) {
            fprintf(stderr, "it_fake: answer '%s' is not an address\n",
                    k->spec.answer[i]);
            return -1;
        }
        e->services = 9;       /* NODE_NETWORK | NODE_WITNESS */
        e->net_id = e->addr.net;
    }
    k->spec.answer = NULL;     /* not kept: the caller's */
    return 0;
}

it_fakes *it_fakes_start(const am_chain *chain, const it_fake_spec *specs,
                         size_t n)
{
    it_fakes *f = calloc(1, sizeof *f);
    if (!f || !chain || (n && !specs)) {
        free(f);
        fprintf(stderr, "it_fake: bad arguments or out of memory\n");
        return NULL;
    }
    raise_nofile();
    f->chain = chain;
    f->wake[0] = f->wake[1] = -1;
    pthread_mutex_init(&f->mu, NULL);
    f->fakes = calloc(n ? n : 1, sizeof *f->fakes);
    f->n = n;
    if (!f->fakes)
        goto fail;
    for (size_t i = 0; i < n; i++)
        f->fakes[i].lfd = -1;
    for (size_t i = 0; i < n; i++) {
        fake *k = &f->fakes[i];
        k->spec = specs[i];
        snprintf(k->host, sizeof k->host, "%s",
                 specs[i].host ? specs[i].host : "127.0.0.1");
        k->spec.host = NULL;
        k->rng = 0x9e3779b97f4a7c15ull * (i + 1) ^ (uint64_t)time(NULL);
        if (load_answer(k, chain) < 0 || open_fake(k) < 0)
            goto fail;
    }
    if (pipe(f->wake) < 0 || grow_conns(f) < 0)
        goto fail;
    if (pthread_create(&f->thread, NULL, serve, f) != 0)
        goto fail;
    f->started = 1;
    return f;
fail:
    it_fakes_stop(f);
    return NULL;
}

uint16_t it_fakes_port(const it_fakes *f, size_t i)
{
    return i < f->n ? f->fakes[i].port : 0;
}

const char *it_fakes_host(const it_fakes *f, size_t i)
{
    return i < f->n ? f->fakes[i].host : "";
}

void it_fakes_endpoint(const it_fakes *f, size_t i, char *buf, size_t len)
{
    snprintf(buf, len, "%s:%u", it_fakes_host(f, i), it_fakes_port(f, i));
}

void it_fakes_stats(it_fakes *f, size_t i, it_fake_stats *out)
{
    memset(out, 0, sizeof *out);
    if (i >= f->n)
        return;
    pthread_mutex_lock(&f->mu);
    *out = f->fakes[i].st;
    pthread_mutex_unlock(&f->mu);
}

size_t it_fakes_contacts(it_fakes *f, size_t i, int64_t *opened,
                         int64_t *closed, size_t cap)
{
    if (i >= f->n)
        return 0;
    pthread_mutex_lock(&f->mu);
    const fake *k = &f->fakes[i];
    size_t n = k->n_contacts;
    for (size_t j = 0; j < n && j < cap; j++) {
        if (opened)
            opened[j] = k->contacts[j].opened;
        if (closed)
            closed[j] = k->contacts[j].closed;
    }
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* A contact's open or close, by its stamp; a contact still open closes
 * after everything.  Stamps are unique, so the order is exact. */
typedef struct edge {
    uint64_t stamp;
    int open;
} edge;

static int edge_cmp(const void *a, const void *b)
{
    const edge *x = a, *y = b;
    return x->stamp < y->stamp ? -1 : x->stamp > y->stamp;
}

/* The contacts of fakes idx[0..n) (idx NULL: all) as edges; NULL on no
 * memory.  Called under the mutex. */
static edge *contact_edges(const it_fakes *f, const size_t *idx, size_t n,
                           size_t *n_edges)
{
    size_t count = idx ? n : f->n, cap = 0;
    *n_edges = 0;
    for (size_t j = 0; j < count; j++)
        if ((idx ? idx[j] : j) < f->n)
            cap += 2 * f->fakes[idx ? idx[j] : j].n_contacts;
    edge *e = malloc((cap ? cap : 1) * sizeof *e);
    for (size_t j = 0; e && j < count; j++) {
        size_t i = idx ? idx[j] : j;
        if (i >= f->n)
            continue;
        const fake *k = &f->fakes[i];
        for (size_t c = 0; c < k->n_contacts; c++) {
            const fake_contact *ct = &k->contacts[c];
            e[(*n_edges)++] = (edge){ct->open_stamp, 1};
            e[(*n_edges)++] = (edge){ct->close_stamp ? ct->close_stamp : UINT64_MAX, 0};
        }
    }
    return e;
}

unsigned it_fakes_max_open(it_fakes *f, const size_t *idx, size_t n)
{
    size_t n_edges;
    unsigned open = 0, best = 0;

    pthread_mutex_lock(&f->mu);
    edge *e = contact_edges(f, idx, n, &n_edges);
    pthread_mutex_unlock(&f->mu);
    if (!e)
        return 0;
    qsort(e, n_edges, sizeof *e, edge_cmp);
    for (size_t j = 0; j < n_edges; j++) {
        if (e[j].open && ++open > best)
            best = open;
        else if (!e[j].open)
            open--;
    }
    free(e);
    return best;
}

void it_fakes_stop(it_fakes *f)
{
    if (!f)
        return;
    if (f->started) {
        atomic_store(&f->stop, 1);
        if (write(f->wake[1], "x", 1) < 0)
            perror("it_fake: wake");
        pthread_join(f->thread, NULL);
    }
    while (f->n_conns)
        conn_free(f, f->n_conns - 1);
    for (size_t i = 0; f->fakes && i < f->n; i++) {
        fake *k = &f->fakes[i];
        if (k->lfd >= 0)
            close(k->lfd);
        for (size_t j = 0; j < k->n_fillers; j++)
            close(k->fillers[j]);
        free(k->answer);
        free(k->contacts);
    }
    for (int i = 0; i < 2; i++)
        if (f->wake[i] >= 0)
            close(f->wake[i]);
    free(f->fakes);
    free(f->conns);
    free(f->pfds);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
