/*
 * ec_p2p.c - a stock node asking addrmand's P2P face for addresses: one
 * TCP connection, the v1 handshake of a protocol-70016 node of the main
 * chain (no sendaddrv2, so the answer is a v1 `addr`), verack, getaddr,
 * and the `addr` that answers it.  Blocking socket with a receive timeout;
 * pings are answered so that a slow answer does not cost the connection.
 * The messages are built and read with the project's p2p/ library.
 */
#include "ec.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "am_error.h"
#include "chain.h"
#include "p2p_frame.h"
#include "p2p_msg.h"

#define EC_P2P_PROTOCOL 70016
#define EC_P2P_TIMEOUT_S 60
/* NODE_NETWORK | NODE_WITNESS | NODE_NETWORK_LIMITED, as a stock node. */
#define EC_P2P_SERVICES UINT64_C(1033)

typedef struct ec_peer {
    int fd;
    int port;
    const am_chain *chain;
    p2p_reader rd;
    uint8_t in[65536];
    size_t len, off;        /* in[off..len) not yet fed to the reader */
} ec_peer;

static int fail(const ec_peer *c, const char *what)
{
    fprintf(stderr, "eclipse: p2p 127.0.0.1:%d: %s\n", c->port, what);
    return -1;
}

static int send_msg(ec_peer *c, const char *command, const uint8_t *payload,
                    size_t len)
{
    uint8_t buf[P2P_HEADER_SIZE + P2P_VERSION_MAX_SIZE];
    size_t n, off = 0;

    if (p2p_frame_build(c->chain->magic, command, payload, len, buf,
                        sizeof buf, &n) != AM_OK)
        return fail(c, "cannot frame a message");
    while (off < n) {
        ssize_t w = send(c->fd, buf + off, n - off, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return fail(c, strerror(errno));
        off += (size_t)w;
    }
    return 0;
}

static int send_version(ec_peer *c)
{
    p2p_version v;
    am_addr to;
    uint8_t buf[P2P_VERSION_MAX_SIZE];
    size_t n;
    static const char agent[] = "/eclipse-bench:1.0/";

    memset(&v, 0, sizeof v);
    v.version = EC_P2P_PROTOCOL;
    v.services = EC_P2P_SERVICES;
    v.timestamp = (int64_t)time(NULL);
    ec_v4(&to, INADDR_LOOPBACK, (uint16_t)c->port);
    if (p2p_netaddr_from_addr(&v.addr_recv, &to, 0) != AM_OK)
        return fail(c, "cannot encode the address");
    v.nonce = (uint64_t)time(NULL) * UINT64_C(0x9e3779b97f4a7c15) ^
              (uint64_t)getpid();
    v.user_agent_len = sizeof agent - 1;
    memcpy(v.user_agent, agent, sizeof agent);
    v.has_relay = 1;
    if (p2p_version_build(&v, buf, sizeof buf, &n) != AM_OK)
        return fail(c, "cannot build version");
    return send_msg(c, "version", buf, n);
}

/* The next whole message into *f (valid until the next call); -1 when the
 * stream ends, times out or is refused by the reader. */
static int next_msg(ec_peer *c, p2p_frame *f)
{
    for (;;) {
        ssize_t r;

        while (c->off < c->len) {
            size_t used = 0;
            int got = 0;
            int rc = p2p_reader_feed(&c->rd, c->in + c->off, c->len - c->off,
                                     &used, f, &got);

            if (rc != AM_OK)
                return fail(c, p2p_reader_why(&c->rd));
            c->off += used;
            if (got)
                return 0;
            if (used == 0)
                return fail(c, "the reader took no byte");
        }
        r = recv(c->fd, c->in, sizeof c->in, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return fail(c, "closed by the server");
        if (r < 0)
            return fail(c, errno == EAGAIN || errno == EWOULDBLOCK
                               ? "no answer in time" : strerror(errno));
        c->len = (size_t)r;
        c->off = 0;
    }
}

/* A ping gets its pong; 0, or -1 when the pong cannot be sent. */
static int answer_ping(ec_peer *c, const p2p_frame *f)
{
    uint64_t nonce;
    uint8_t out[P2P_NONCE_SIZE];

    if (p2p_nonce_parse(f->payload, f->len, &nonce) != AM_OK)
        return 0;
    p2p_nonce_build(nonce, out);
    return send_msg(c, "pong", out, sizeof out);
}

static int connect_to(ec_peer *c)
{
    struct sockaddr_in sa;
    struct timeval tv = {EC_P2P_TIMEOUT_S, 0};

    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        return fail(c, strerror(errno));
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)c->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return fail(c, strerror(errno));
    return 0;
}

/* Handshake, getaddr, and the addr answer into out[0..*n). */
static int exchange(ec_peer *c, am_addrv2_entry *out, size_t cap, size_t *n)
{
    int have_version = 0, have_verack = 0;
    p2p_frame f;

    if (connect_to(c) != 0 || send_version(c) != 0)
        return -1;
    while (!have_version || !have_verack) {
        if (next_msg(c, &f) != 0)
            return -1;
        switch (p2p_msg_type_of(f.command)) {
        case P2P_MSG_VERSION:
            if (have_version)
                break;
            have_version = 1;
            if (send_msg(c, "verack", NULL, 0) != 0)
                return -1;
            break;
        case P2P_MSG_VERACK: have_verack = 1; break;
        case P2P_MSG_PING:
            if (answer_ping(c, &f) != 0)
                return -1;
            break;
        case P2P_MSG_OTHER: case P2P_MSG_SENDADDRV2: case P2P_MSG_WTXIDRELAY:
        case P2P_MSG_PONG: case P2P_MSG_GETADDR: case P2P_MSG_ADDR:
        case P2P_MSG_ADDRV2:
            break;
        }
    }
    if (send_msg(c, "getaddr", NULL, 0) != 0)
        return -1;
    for (;;) {
        if (next_msg(c, &f) != 0)
            return -1;
        switch (p2p_msg_type_of(f.command)) {
        case P2P_MSG_ADDR:
            if (p2p_addr_parse(f.payload, f.len, out, cap, n) != AM_OK)
                return fail(c, "an addr that does not parse");
            return 0;
        case P2P_MSG_ADDRV2:
            return fail(c, "addrv2 answered, though sendaddrv2 was not sent");
        case P2P_MSG_PING:
            if (answer_ping(c, &f) != 0)
                return -1;
            break;
        case P2P_MSG_OTHER: case P2P_MSG_VERSION: case P2P_MSG_VERACK:
        case P2P_MSG_SENDADDRV2: case P2P_MSG_WTXIDRELAY: case P2P_MSG_PONG:
        case P2P_MSG_GETADDR:
            break;
        }
    }
}

int ec_p2p_getaddr(int port, am_addrv2_entry *out, size_t cap, size_t *n)
{
    ec_peer *c = calloc(1, sizeof *c);
    int rc;

    *n = 0;
    if (c == NULL)
        return -1;
    c->fd = -1;
    c->port = port;
    c->chain = am_chain_get(AM_CHAIN_MAIN);
    p2p_reader_init(&c->rd, c->chain);
    rc = exchange(c, out, cap, n);
    if (c->fd >= 0)
        close(c->fd);
    p2p_reader_free(&c->rd);
    free(c);
    return rc;
}
