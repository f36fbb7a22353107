/*
 * it_p2p.c - the P2P test client: connect, frame, send, read, handshake.
 */
#include "it_p2p.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "am_error.h"
#include "itest_addr.h"

#define LISTEN_MARK "p2p listening on "

long it_p2p_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void it_p2p_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static time_t time_now(void)
{
    return time(NULL);
}

int it_p2p_start(it_server *s, const char *chain, const char *const *extra)
{
    const char *argv[48];
    size_t n = 0, i;

    it_need_own(s);
    argv[n++] = "--enable-debug";
    argv[n++] = "--p2p-listen";
    argv[n++] = "127.0.0.1:0";
    argv[n++] = "--chain";
    argv[n++] = chain;
    for (i = 0; extra != NULL && extra[i] != NULL && n + 1 < 48; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    it_start(s, argv, NULL, 1);
    return it_p2p_port(s);
}

const am_chain *it_p2p_chain(const char *name)
{
    const am_chain *c = NULL;

    if (am_chain_by_name(name, &c) != AM_OK)
        fail_msg("no chain \"%s\"", name);
    return c;
}

/* The port of the last "p2p listening on <host>:" line of the log, or 0. */
static int port_in_log(const char *path, const char *host)
{
    static char buf[1 << 20];
    char mark[96];
    const char *p, *last = NULL;
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL)
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    snprintf(mark, sizeof mark, LISTEN_MARK "%s:", host);
    for (p = strstr(buf, mark); p != NULL; p = strstr(p + 1, mark))
        last = p;
    return last ? atoi(last + strlen(mark)) : 0;
}

int it_p2p_port_of(const it_server *s, const char *host)
{
    long deadline = it_p2p_ms() + IT_START_TIMEOUT_MS;
    int port;

    while ((port = port_in_log(s->log, host)) <= 0 && it_p2p_ms() < deadline)
        it_p2p_sleep_ms(20);
    if (port <= 0 || port > 65535) {
        it_dump_log(s);
        fail_msg("no \"" LISTEN_MARK "%s:<port>\" line in %s within %d ms",
                 host, s->log, IT_START_TIMEOUT_MS);
    }
    return port;
}

int it_p2p_port(const it_server *s)
{
    return it_p2p_port_of(s, "127.0.0.1");
}

/* ---- sockets ---------------------------------------------------------- */

int it_p2p_dial(int port, long timeout_ms)
{
    return it_p2p_dial_host("127.0.0.1", port, timeout_ms);
}

/* host (numeric IPv4 or IPv6) and port as a socket address: 0, or -1. */
static int sockaddr_of(const char *host, int port, struct sockaddr_storage *ss,
                       socklen_t *alen)
{
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, host, &a->sin_addr) == 1) {
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        *alen = sizeof *a;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *alen = sizeof *a6;
        return 0;
    }
    errno = EINVAL;
    return -1;
}

int it_p2p_dial_host(const char *host, int port, long timeout_ms)
{
    return it_p2p_dial_from(NULL, host, port, timeout_ms);
}

int it_p2p_dial_from(const char *src, const char *host, int port,
                     long timeout_ms)
{
    struct sockaddr_storage ss, from;
    socklen_t alen, flen, len = sizeof(int);
    struct pollfd pfd;
    int fd, err = 0, one = 1;

    if (sockaddr_of(host, port, &ss, &alen) != 0 ||
        (src != NULL && sockaddr_of(src, 0, &from, &flen) != 0))
        return -1;
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (src != NULL && bind(fd, (struct sockaddr *)&from, flen) != 0)
        goto fail;
    if (connect(fd, (struct sockaddr *)&ss, alen) != 0) {
        if (errno != EINPROGRESS)
            goto fail;
        pfd.fd = fd;
        pfd.events = POLLOUT;
        if (poll(&pfd, 1, (int)timeout_ms) != 1) {
            errno = ETIMEDOUT;
            goto fail;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
            errno = err ? err : errno;
            goto fail;
        }
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
fail:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

int it_p2p_fd_closed(int fd)
{
    uint8_t buf[4096];

    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

        if (n > 0)
            continue;
        if (n == 0)
            return 1;
        if (errno == EINTR)
            continue;
        return errno != EAGAIN && errno != EWOULDBLOCK;
    }
}

void it_p2p_open(it_p2p *c, int port, const am_chain *chain)
{
    it_p2p_open_at(c, "127.0.0.1", port, chain);
}

void it_p2p_open_at(it_p2p *c, const char *host, int port,
                    const am_chain *chain)
{
    it_p2p_open_from(c, NULL, host, port, chain);
}

void it_p2p_open_from(it_p2p *c, const char *src, const char *host, int port,
                      const am_chain *chain)
{
    /* A daemon that stops reading must fail the sender, not hang it. */
    struct timeval tv = { 30L * it_time_scale(), 0 };

    memset(c, 0, sizeof *c);
    c->chain = chain;
    c->fd = it_p2p_dial_from(src, host, port, IT_P2P_IO_TIMEOUT_MS);
    if (c->fd < 0)
        fail_msg("connect to P2P %s port %d from %s: %s", host, port,
                 src ? src : "any address", strerror(errno));
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    p2p_reader_init(&c->rd, chain);
}

void it_p2p_close(it_p2p *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    p2p_reader_free(&c->rd);
}

int it_p2p_send_raw(it_p2p *c, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int it_p2p_send_bytewise(it_p2p *c, const void *buf, size_t len, long gap_ms)
{
    const uint8_t *p = buf;
    size_t i;

    for (i = 0; i < len; i++) {
        if (it_p2p_send_raw(c, p + i, 1) != 0)
            return -1;
        if (gap_ms > 0)
            it_p2p_sleep_ms(gap_ms);
    }
    return 0;
}

/* ---- messages --------------------------------------------------------- */

uint8_t *it_p2p_frame(const it_p2p *c, const char *command,
                      const uint8_t *payload, size_t len, size_t *out_len)
{
    uint8_t *out = malloc(P2P_HEADER_SIZE + len);
    int rc;

    assert_non_null(out);
    rc = p2p_frame_build(c->chain->magic, command, payload, len, out,
                         P2P_HEADER_SIZE + len, out_len);
    if (rc != AM_OK)
        fail_msg("p2p_frame_build(%s, %zu bytes): %d", command, len, rc);
    return out;
}

int it_p2p_send_msg(it_p2p *c, const char *command, const uint8_t *payload,
                    size_t len)
{
    size_t n;
    uint8_t *msg = it_p2p_frame(c, command, payload, len, &n);
    int rc = it_p2p_send_raw(c, msg, n);

    free(msg);
    return rc;
}

size_t it_p2p_version_payload(int32_t protocol, uint8_t *buf, size_t cap)
{
    p2p_version v;
    size_t len = 0;

    memset(&v, 0, sizeof v);
    v.version = protocol;
    v.services = 1033;          /* NETWORK | WITNESS | NETWORK_LIMITED */
    v.timestamp = (int64_t)time(NULL);
    v.addr_from.services = v.services;
    v.nonce = it_rand64();
    snprintf(v.user_agent, sizeof v.user_agent, "/it_p2p:0.1/");
    v.user_agent_len = strlen(v.user_agent);
    v.has_relay = 1;
    v.relay = 1;
    if (p2p_version_build(&v, buf, cap, &len) != AM_OK)
        fail_msg("p2p_version_build failed");
    return len;
}

int it_p2p_send_version(it_p2p *c, int32_t protocol)
{
    uint8_t buf[P2P_VERSION_MAX_SIZE];
    size_t len = it_p2p_version_payload(protocol, buf, sizeof buf);

    return it_p2p_send_msg(c, "version", buf, len);
}

int it_p2p_send_ping(it_p2p *c, uint64_t nonce)
{
    uint8_t n[P2P_NONCE_SIZE];

    p2p_nonce_build(nonce, n);
    return it_p2p_send_msg(c, "ping", n, sizeof n);
}

/* Wait up to `left` ms for bytes into c->in: 1, 0 on timeout, -1 EOF. */
static int fill(it_p2p *c, long left)
{
    struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
    ssize_t n;

    if (c->eof)
        return -1;
    for (;;) {
        int pr = poll(&pfd, 1, left > 0 ? (int)left : 0);

        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return 0;
        n = recv(c->fd, c->in, sizeof c->in, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            c->eof = 1;
            return -1;
        }
        c->in_off = 0;
        c->in_len = (size_t)n;
        c->bytes_in += (size_t)n;
        return 1;
    }
}

int it_p2p_recv(it_p2p *c, p2p_frame *f, long timeout_ms)
{
    long deadline = it_p2p_ms() + timeout_ms;

    for (;;) {
        while (c->in_off < c->in_len) {
            size_t used = 0;
            int got = 0;
            int rc = p2p_reader_feed(&c->rd, c->in + c->in_off,
                                     c->in_len - c->in_off, &used, f, &got);

            c->in_off += used;
            if (rc != AM_OK) {
                print_error("the daemon's stream is refused: %s\n",
                            p2p_reader_why(&c->rd));
                return -1;
            }
            if (got)
                return 1;
        }
        int r = fill(c, deadline - it_p2p_ms());

        if (r <= 0)
            return r;
    }
}

static int in_list(const char *cmd, const char *const *list)
{
    for (; list != NULL && *list != NULL; list++)
        if (strcmp(cmd, *list) == 0)
            return 1;
    return 0;
}

int it_p2p_expect(it_p2p *c, const char *command, p2p_frame *f,
                  long timeout_ms, const char *const *forbidden)
{
    long deadline = it_p2p_ms() + timeout_ms;

    for (;;) {
        int r = it_p2p_recv(c, f, deadline - it_p2p_ms());

        if (r <= 0)
            return r;
        if (strcmp(f->command, command) == 0)
            return 1;
        if (in_list(f->command, forbidden))
            fail_msg("got \"%s\" (%u bytes) while waiting for \"%s\"",
                     f->command, f->len, command);
    }
}

/* The next message must be `command`, else the test fails. */
static void next_must_be(it_p2p *c, const char *command, p2p_frame *f)
{
    int r = it_p2p_recv(c, f, IT_P2P_IO_TIMEOUT_MS);

    if (r <= 0)
        fail_msg("expected \"%s\" from the daemon, got %s", command,
                 r == 0 ? "nothing (timeout)" : "the connection closed");
    if (strcmp(f->command, command) != 0)
        fail_msg("expected \"%s\" from the daemon, got \"%s\"", command,
                 f->command);
}

void it_p2p_await_answer(it_p2p *c, p2p_version *theirs)
{
    p2p_version v;
    p2p_frame f;

    next_must_be(c, "version", &f);
    if (p2p_version_parse(f.payload, f.len, &v) != AM_OK)
        fail_msg("the daemon's version (%u bytes) does not parse", f.len);
    next_must_be(c, "sendaddrv2", &f);
    assert_int_equal(f.len, 0);
    next_must_be(c, "verack", &f);
    assert_int_equal(f.len, 0);
    if (theirs != NULL)
        *theirs = v;
}

void it_p2p_handshake(it_p2p *c, int addrv2, p2p_version *theirs)
{
    assert_int_equal(it_p2p_send_version(c, IT_P2P_PROTOCOL), 0);
    if (addrv2)
        assert_int_equal(it_p2p_send_msg(c, "sendaddrv2", NULL, 0), 0);
    it_p2p_await_answer(c, theirs);
    assert_int_equal(it_p2p_send_msg(c, "verack", NULL, 0), 0);
}

void it_p2p_entry(am_addrv2_entry *e, const char *endpoint, uint64_t services,
                  uint32_t time)
{
    memset(e, 0, sizeof *e);
    if (am_addr_parse(&e->addr, endpoint, AM_DEFAULT_PORT) != AM_OK)
        fail_msg("it_p2p_entry: bad endpoint \"%s\"", endpoint);
    e->net_id = e->addr.net;
    e->services = services;
    e->time = time ? time : (uint32_t)time_now();
}

void it_p2p_sync(it_p2p *c)
{
    uint64_t nonce = it_rand64(), got = 0;
    long deadline = it_p2p_ms() + 6 * IT_P2P_IO_TIMEOUT_MS;
    p2p_frame f;

    assert_int_equal(it_p2p_send_ping(c, nonce), 0);
    for (;;) {
        int r = it_p2p_expect(c, "pong", &f, deadline - it_p2p_ms(), NULL);

        if (r <= 0)
            fail_msg("no pong for our ping: %s",
                     r == 0 ? "timeout" : "the connection closed");
        if (p2p_nonce_parse(f.payload, f.len, &got) == AM_OK && got == nonce)
            return;
    }
}

long it_p2p_wait_closed(it_p2p *c, long timeout_ms)
{
    long start = it_p2p_ms(), deadline = start + timeout_ms;

    c->in_off = c->in_len = 0;      /* what was received no longer matters */
    while (fill(c, deadline - it_p2p_ms()) != -1) {
        c->in_off = c->in_len = 0;
        if (it_p2p_ms() >= deadline)
            return -1;
    }
    return it_p2p_ms() - start;
}

/* ---- the daemon's side ------------------------------------------------ */

/* 1 when the label block [lb, le) holds every pair of `labels`. */
static int labels_match(const char *lb, const char *le, const char *labels)
{
    char pair[128];
    const char *p = labels;

    while (*p != '\0') {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *hit;

        snprintf(pair, sizeof pair, "%.*s", (int)n, p);
        hit = strstr(lb, pair);
        if (hit == NULL || hit >= le)
            return 0;
        p += n;
        if (*p == ',')
            p++;
    }
    return 1;
}

/* The sum of the family's series whose labels hold every pair. */
static double metric_in(const char *text, const char *name, const char *labels)
{
    size_t n = strlen(name);
    const char *line;
    double sum = 0;

    for (line = text; line != NULL && *line != '\0';
         line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        const char *rest = line + n, *le;

        if (line[0] == '#' || strncmp(line, name, n) != 0)
            continue;
        if (*rest == ' ' && labels[0] == '\0')
            sum += strtod(rest, NULL);
        else if (*rest == '{' && (le = strchr(rest, '}')) != NULL &&
                 labels_match(rest, le, labels))
            sum += strtod(le + 1, NULL);
    }
    return sum;
}

double it_p2p_metric(it_server *s, const char *name, const char *labels)
{
    it_req rq = { .method = "GET", .path = "/metrics", .timeout_ms = 10000 };
    it_resp *r = it_do(s, NULL, &rq);
    double v;

    IT_STATUS(r, 200);
    v = metric_in(r->body, name, labels);
    it_resp_free(r);
    return v;
}

double it_p2p_metric_wait(it_server *s, const char *name, const char *labels,
                          double want, long timeout_ms)
{
    long deadline = it_p2p_ms() + timeout_ms * it_time_scale();
    double v;

    while ((v = it_p2p_metric(s, name, labels)) < want &&
           it_p2p_ms() < deadline)
        it_p2p_sleep_ms(50);
    return v;
}

long it_p2p_status_kib(const it_server *s, const char *field)
{
    char path[64], line[256];
    size_t n = strlen(field);
    long kib = 0;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/status", (int)s->pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kib = strtol(line + n + 1, NULL, 10);
    fclose(f);
    return kib;
}
