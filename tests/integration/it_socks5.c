/*
 * it_socks5.c - the tests' SOCKS5 proxy: one poll() thread; per client a
 * small buffer for the greeting and the request, then a relay between the
 * client and the upstream socket with one buffer per direction.
 *
 * The upstream connect is made in the thread, blocking (2 s at most): the
 * tests drive a handful of clients, and a simple proxy is easier to trust
 * than a clever one.
 */
#include "it_socks5.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_CAP 262           /* the longest request: 4 + 1 + 255 + 2 */
#define RELAY_CAP 65536
#define CONNECT_TIMEOUT_MS 2000
#define POLL_CAP_MS 200

#define REP_OK 0
#define REP_FAILURE 1
#define REP_HOST_UNREACHABLE 4
#define REP_REFUSED 5
#define REP_COMMAND 7
#define REP_ATYP 8

typedef struct route {
    char *name;
    char host[INET6_ADDRSTRLEN];
    uint16_t port;
    int mapped;                /* 0: only requested, never mapped */
    int rep;                   /* not 0: the reply, instead of connecting */
    unsigned requests;
} route;

typedef enum phase { PH_GREETING, PH_REQUEST, PH_RELAY } phase;

/* One direction of the relay: bytes read from one side, not yet written
 * to the other. */
typedef struct pipe_buf {
    uint8_t buf[RELAY_CAP];
    size_t off, len;
    int eof;                   /* the reading side closed */
} pipe_buf;

typedef struct client {
    int fd, up;                /* up: -1 until CONNECT succeeded */
    phase ph;
    uint8_t head[HEAD_CAP];
    size_t have;
    pipe_buf to_up, to_client;
} client;

struct it_socks5 {
    int lfd;
    uint16_t port;
    int wake[2];
    atomic_int stop;
    int started;
    pthread_t thread;
    pthread_mutex_t mu;        /* routes and the request count */
    route *routes;
    size_t n_routes, cap_routes;
    unsigned requests;
    client **clients;          /* the thread's */
    size_t n_clients, cap_clients;
    struct pollfd *pfds;
    size_t cap_pfds;
};

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---- routes (under the mutex) --------------------------------------------- */

static route *route_find(it_socks5 *s, const char *name)
{
    for (size_t i = 0; i < s->n_routes; i++)
        if (strcmp(s->routes[i].name, name) == 0)
            return &s->routes[i];
    return NULL;
}

static route *route_add(it_socks5 *s, const char *name)
{
    route *r = route_find(s, name);
    if (r)
        return r;
    if (s->n_routes == s->cap_routes) {
        size_t cap = s->cap_routes ? 2 * s->cap_routes : 8;
        route *rs = realloc(s->routes, cap * sizeof *rs);
        if (!rs)
            return NULL;
        s->routes = rs;
        s->cap_routes = cap;
    }
    r = &s->routes[s->n_routes];
    memset(r, 0, sizeof *r);
    if (!(r->name = strdup(name)))
        return NULL;
    s->n_routes++;
    return r;
}

int it_socks5_map(it_socks5 *s, const char *name, const char *host,
                  uint16_t port)
{
    uint8_t probe[16];
    if (!s || !name || !*name || strlen(name) > 255 || !host ||
        strlen(host) >= INET6_ADDRSTRLEN ||
        (inet_pton(AF_INET, host, probe) != 1 &&
         inet_pton(AF_INET6, host, probe) != 1))
        return -1;
    pthread_mutex_lock(&s->mu);
    route *r = route_add(s, name);
    if (r) {
        snprintf(r->host, sizeof r->host, "%s", host);
        r->port = port;
        r->mapped = 1;
        r->rep = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return r ? 0 : -1;
}

int it_socks5_refuse(it_socks5 *s, const char *name, int rep)
{
    if (!s || !name || !*name || strlen(name) > 255 || rep < 1 || rep > 255)
        return -1;
    pthread_mutex_lock(&s->mu);
    route *r = route_add(s, name);
    if (r) {
        r->mapped = 0;
        r->rep = rep;
    }
    pthread_mutex_unlock(&s->mu);
    return r ? 0 : -1;
}

unsigned it_socks5_requests(it_socks5 *s, const char *name)
{
    unsigned n;
    pthread_mutex_lock(&s->mu);
    if (!name) {
        n = s->requests;
    } else {
        route *r = route_find(s, name);
        n = r ? r->requests : 0;
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* A name's destination, counting the request: 0, or -1 with the reply to
 * give into *rep. */
static int route_lookup(it_socks5 *s, const char *name, char *host,
                        uint16_t *port, int *rep)
{
    int rc = -1;
    pthread_mutex_lock(&s->mu);
    s->requests++;
    route *r = route_add(s, name);
    *rep = REP_HOST_UNREACHABLE;
    if (r) {
        r->requests++;
        if (r->rep != 0)
            *rep = r->rep;
        else if (r->mapped) {
            memcpy(host, r->host, sizeof r->host);
            *port = r->port;
            rc = 0;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- the upstream connect -------------------------------------------------- */

/* A connected socket, or -1 with the reply code to give into *rep. */
static int dial(const char *host, uint16_t port, int *rep)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        len = sizeof *v6;
    } else {
        *rep = REP_HOST_UNREACHABLE;
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0 || set_nonblock(fd) < 0) {
        *rep = REP_FAILURE;
        goto fail;
    }
    if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
        *rep = errno == ECONNREFUSED ? REP_REFUSED : REP_HOST_UNREACHABLE;
        goto fail;
    }
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t elen = sizeof err;
    if (poll(&p, 1, CONNECT_TIMEOUT_MS) != 1 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
        *rep = err == ECONNREFUSED ? REP_REFUSED : REP_HOST_UNREACHABLE;
        goto fail;
    }
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    return -1;
}

/* ---- the handshake --------------------------------------------------------- */

static int send_all(int fd, const uint8_t *buf, size_t len)
{
    /* a handful of bytes into a fresh socket: one send takes them */
    return send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int reply(client *c, int rep)
{
    const uint8_t r[10] = {5, (uint8_t)rep, 0, 1, 0, 0, 0, 0, 0, 0};
    return send_all(c->fd, r, sizeof r) < 0 || rep != REP_OK ? -1 : 0;
}

/* The greeting when whole: 1 done, 0 wants more, -1 close. */
static int on_greeting(client *c)
{
    if (c->have < 2)
        return 0;
    if (c->head[0] != 5)
        return -1;
    size_t len = 2 + (size_t)c->head[1];
    if (c->have < len)
        return 0;
    int none = memchr(c->head + 2, 0x00, c->head[1]) != NULL;
    uint8_t r[2] = {5, none ? 0x00 : 0xff};
    if (send_all(c->fd, r, 2) < 0 || !none)
        return -1;
    memmove(c->head, c->head + len, c->have - len);
    c->have -= len;
    c->ph = PH_REQUEST;
    return 1;
}

/* The request when whole: 1 relaying, 0 wants more, -1 close. */
static int on_request(it_socks5 *s, client *c)
{
    char host[INET6_ADDRSTRLEN], name[256];
    uint16_t port;
    size_t len;
    int rep = REP_OK;

    if (c->have < 5)
        return 0;
    if (c->head[0] != 5)
        return -1;
    switch (c->head[3]) {
    case 1: len = 4 + 4 + 2; break;
    case 4: len = 4 + 16 + 2; break;
    case 3: len = 4 + 1 + (size_t)c->head[4] + 2; break;
    default:
        reply(c, REP_ATYP);
        return -1;
    }
    if (c->have < len)
        return 0;
    port = (uint16_t)(c->head[len - 2] << 8 | c->head[len - 1]);
    if (c->head[1] != 1)
        return reply(c, REP_COMMAND);
    if (c->head[3] == 3) {
        memcpy(name, c->head + 5, c->head[4]);
        name[c->head[4]] = '\0';
        if (route_lookup(s, name, host, &port, &rep) < 0)
            return reply(c, rep);
    } else {
        pthread_mutex_lock(&s->mu);
        s->requests++;
        pthread_mutex_unlock(&s->mu);
        inet_ntop(c->head[3] == 1 ? AF_INET : AF_INET6, c->head + 4, host,
                  sizeof host);
    }
    c->up = dial(host, port, &rep);
    if (reply(c, c->up < 0 ? rep : REP_OK) < 0)
        return -1;
    /* bytes the client sent after its request go upstream first */
    memcpy(c->to_up.buf, c->head + len, c->have - len);
    c->to_up.len = c->have - len;
    c->have = 0;
    c->ph = PH_RELAY;
    return 1;
}

/* Read into the handshake buffer and act on it: -1 closes the client. */
static int serve_handshake(it_socks5 *s, client *c)
{
    ssize_t r = recv(c->fd, c->head + c->have, sizeof c->head - c->have, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
        return -1;
    if (r > 0)
        c->have += (size_t)r;
    int rc = 1;
    while (rc == 1 && c->ph != PH_RELAY)
        rc = c->ph == PH_GREETING ? on_greeting(c) : on_request(s, c);
    if (rc == 0 && c->have == sizeof c->head)
        return -1;
    return rc < 0 ? -1 : 0;
}

/* ---- the relay ------------------------------------------------------------- */

/* Move bytes from `from` into p, and from p to `to`: -1 on an error. */
static int pump(int from, int to, pipe_buf *p, short rev_from)
{
    if (p->len == 0 && !p->eof && (rev_from & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t r = recv(from, p->buf, sizeof p->buf, 0);
        if (r > 0) {
            p->off = 0;
            p->len = (size_t)r;
        } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            p->eof = 1;
        }
    }
    if (p->len > 0) {
        ssize_t w = send(to, p->buf + p->off, p->len, MSG_NOSIGNAL);
        if (w < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        p->off += (size_t)w;
        p->len -= (size_t)w;
    }
    return 0;
}

/* -1 when the relay is over: either side closed (and what it sent before
 * is passed on) or failed. */
static int serve_relay(client *c, short rev_client, short rev_up)
{
    if (pump(c->fd, c->up, &c->to_up, rev_client) < 0 ||
        pump(c->up, c->fd, &c->to_client, rev_up) < 0)
        return -1;
    if ((c->to_up.eof && c->to_up.len == 0) ||
        (c->to_client.eof && c->to_client.len == 0))
        return -1;
    return 0;
}

/* ---- the thread ------------------------------------------------------------ */

static void client_free(it_socks5 *s, size_t i)
{
    client *c = s->clients[i];
    close(c->fd);
    if (c->up >= 0)
        close(c->up);
    free(c);
    s->clients[i] = s->clients[--s->n_clients];
}

static void accept_all(it_socks5 *s)
{
    for (;;) {
        if (s->n_clients == s->cap_clients) {
            size_t cap = s->cap_clients ? 2 * s->cap_clients : 16;
            client **cs = realloc(s->clients, cap * sizeof *cs);
            if (!cs)
                return;
            s->clients = cs;
            s->cap_clients = cap;
        }
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            return;
        client *c = calloc(1, sizeof *c);
        if (!c || set_nonblock(fd) < 0) {
            free(c);
            close(fd);
            continue;
        }
        c->fd = fd;
        c->up = -1;
        s->clients[s->n_clients++] = c;
    }
}

static short wants(const client *c, int upstream)
{
    const pipe_buf *in = upstream ? &c->to_client : &c->to_up;
    const pipe_buf *out = upstream ? &c->to_up : &c->to_client;
    short ev = 0;
    if (in->len == 0 && !in->eof)
        ev |= POLLIN;
    if (out->len > 0)
        ev |= POLLOUT;
    return ev;
}

static void *serve(void *arg)
{
    it_socks5 *s = arg;
    while (!atomic_load(&s->stop)) {
        size_t need = 2 + 2 * s->n_clients, m = 0;
        if (need > s->cap_pfds) {
            struct pollfd *p = realloc(s->pfds, need * sizeof *p);
            if (!p)
                break;
            s->pfds = p;
            s->cap_pfds = need;
        }
        s->pfds[m++] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
        s->pfds[m++] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
        for (size_t i = 0; i < s->n_clients; i++) {
            const client *c = s->clients[i];
            int relay = c->ph == PH_RELAY;
            s->pfds[m++] = (struct pollfd){
                .fd = c->fd, .events = relay ? wants(c, 0) : POLLIN};
            s->pfds[m++] = (struct pollfd){
                .fd = relay ? c->up : -1, .events = relay ? wants(c, 1) : 0};
        }
        if (poll(s->pfds, m, POLL_CAP_MS) < 0)
            continue;
        size_t n_polled = s->n_clients;
        for (size_t i = n_polled; i-- > 0;) {
            client *c = s->clients[i];
            short rc_ = s->pfds[2 + 2 * i].revents;
            short ru = s->pfds[3 + 2 * i].revents;
            int dead = 0;
            if (c->ph != PH_RELAY) {
                if (rc_)
                    dead = serve_handshake(s, c) < 0;
            } else {
                dead = serve_relay(c, rc_, ru) < 0;
            }
            if (dead)
                client_free(s, i);
        }
        if (s->pfds[1].revents & POLLIN)
            accept_all(s);
    }
    return NULL;
}

/* ---- start and stop -------------------------------------------------------- */

it_socks5 *it_socks5_start(void)
{
    it_socks5 *s = calloc(1, sizeof *s);
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;

    if (!s) {
        fprintf(stderr, "it_socks5: out of memory\n");
        return NULL;
    }
    s->wake[0] = s->wake[1] = -1;
    pthread_mutex_init(&s->mu, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        getsockname(s->lfd, (struct sockaddr *)&sa, &len) < 0 ||
        listen(s->lfd, SOMAXCONN) < 0 || set_nonblock(s->lfd) < 0 ||
        pipe(s->wake) < 0) {
        fprintf(stderr, "it_socks5: %s\n", strerror(errno));
        it_socks5_stop(s);
        return NULL;
    }
    s->port = ntohs(sa.sin_port);
    if (pthread_create(&s->thread, NULL, serve, s) != 0) {
        fprintf(stderr, "it_socks5: no thread\n");
        it_socks5_stop(s);
        return NULL;
    }
    s->started = 1;
    return s;
}

uint16_t it_socks5_port(const it_socks5 *s)
{
    return s->port;
}

void it_socks5_stop(it_socks5 *s)
{
    if (!s)
        return;
    if (s->started) {
        atomic_store(&s->stop, 1);
        if (write(s->wake[1], "x", 1) < 0)
            perror("it_socks5: wake");
        pthread_join(s->thread, NULL);
    }
    while (s->n_clients)
        client_free(s, s->n_clients - 1);
    if (s->lfd >= 0)
        close(s->lfd);
    for (int i = 0; i < 2; i++)
        if (s->wake[i] >= 0)
            close(s->wake[i]);
    for (size_t i = 0; i < s->n_routes; i++)
        free(s->routes[i].name);
    free(s->routes);
    free(s->clients);
    free(s->pfds);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
