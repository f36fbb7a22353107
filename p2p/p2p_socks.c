/*
 * p2p_socks.c - the SOCKS5 client handshake: two small state machines over
 * the proxy's bytes (its method choice, then its CONNECT reply), one byte
 * at a time, so a reply split anywhere reads as a whole one.
 */
#include "p2p_socks.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "am_error.h"

#define SOCKS_VERSION 0x05
#define METHOD_NONE 0x00
#define CMD_CONNECT 0x01
#define ATYP_IPV4 0x01
#define ATYP_NAME 0x03
#define ATYP_IPV6 0x04
#define CHOICE_LEN 2
#define REPLY_FIXED 6    /* VER REP RSV ATYP + BND.PORT */

enum phase {
    PH_CHOICE,           /* greeting out, the proxy's method choice in */
    PH_REPLY,            /* request out, the CONNECT reply in */
    PH_DONE              /* OPEN or FAILED */
};

static const uint8_t greeting[3] = {SOCKS_VERSION, 1, METHOD_NONE};

__attribute__((format(printf, 2, 3)))
static void fail(p2p_socks *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    s->status = P2P_SOCKS_FAILED;
    s->phase = PH_DONE;
}

static void reset(p2p_socks *s)
{
    memset(s, 0, sizeof *s);
    s->phase = PH_CHOICE;
    s->status = P2P_SOCKS_PENDING;
    s->reply = -1;
}

/* The request's header and DST.PORT around the address the caller wrote
 * at req[4..4 + addr_len). */
static void finish_request(p2p_socks *s, uint8_t atyp, size_t addr_len,
                           uint16_t port)
{
    s->req[0] = SOCKS_VERSION;
    s->req[1] = CMD_CONNECT;
    s->req[2] = 0;
    s->req[3] = atyp;
    s->req[4 + addr_len] = (uint8_t)(port >> 8);
    s->req[5 + addr_len] = (uint8_t)port;
    s->req_len = 6 + addr_len;
}

int p2p_socks_init_name(p2p_socks *s, const char *name, uint16_t port)
{
    if (!s)
        return AM_ERR_INVAL;
    reset(s);
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > P2P_SOCKS_NAME_MAX) {
        fail(s, "proxy: no usable name to connect to");
        return AM_ERR_INVAL;
    }
    s->req[4] = (uint8_t)n;
    memcpy(s->req + 5, name, n);
    finish_request(s, ATYP_NAME, 1 + n, port);
    return AM_OK;
}

int p2p_socks_init_addr(p2p_socks *s, const am_addr *a)
{
    if (!s)
        return AM_ERR_INVAL;
    reset(s);
    if (!a) {
        fail(s, "proxy: no address to connect to");
        return AM_ERR_INVAL;
    }
    switch ((enum am_net)a->net) {
    case AM_NET_IPV4:
        memcpy(s->req + 4, a->bytes, 4);
        finish_request(s, ATYP_IPV4, 4, a->port);
        return AM_OK;
    case AM_NET_IPV6:
    case AM_NET_CJDNS:
        memcpy(s->req + 4, a->bytes, 16);
        finish_request(s, ATYP_IPV6, 16, a->port);
        return AM_OK;
    case AM_NET_TORV3:
    case AM_NET_I2P: {
        char host[AM_ADDR_STRLEN];
        if (am_addr_format(a, host, sizeof host) != AM_OK)
            break;
        return p2p_socks_init_name(s, host, a->port);
    }
    }
    fail(s, "proxy: address of unknown network %d", a->net);
    return AM_ERR_INVAL;
}

void p2p_socks_output(const p2p_socks *s, const uint8_t **p, size_t *len)
{
    *p = NULL;
    *len = 0;
    if (!s || s->status != P2P_SOCKS_PENDING)
        return;
    switch ((enum phase)s->phase) {
    case PH_CHOICE:
        if (s->sent < sizeof greeting) {
            *p = greeting + s->sent;
            *len = sizeof greeting - s->sent;
        }
        return;
    case PH_REPLY:
        if (s->sent < s->req_len) {
            *p = s->req + s->sent;
            *len = s->req_len - s->sent;
        }
        return;
    case PH_DONE:
        return;
    }
}

void p2p_socks_consumed(p2p_socks *s, size_t n)
{
    const uint8_t *p;
    size_t len;
    if (!s)
        return;
    p2p_socks_output(s, &p, &len);
    s->sent += n < len ? n : len;
}

/* "reply N" in words: RFC 1928 section 6, then Tor's extended codes
 * (ExtendedErrors, its SOCKS port's flag). */
static const char *reply_text(int rep)
{
    switch (rep) {
    case 0x01: return "general SOCKS server failure";
    case 0x02: return "connection not allowed by ruleset";
    case 0x03: return "network unreachable";
    case 0x04: return "host unreachable";
    case 0x05: return "connection refused";
    case 0x06: return "TTL expired";
    case 0x07: return "command not supported";
    case 0x08: return "address type not supported";
    case 0xf0: return "onion service descriptor not found";
    case 0xf1: return "onion service descriptor is invalid";
    case 0xf2: return "onion service introduction failed";
    case 0xf3: return "onion service rendezvous failed";
    case 0xf4: return "onion service wants client authorization";
    case 0xf5: return "onion service client authorization is wrong";
    case 0xf6: return "onion address is invalid";
    case 0xf7: return "onion service introduction timed out";
    }
    return "unknown failure";
}

/* One byte of the method choice. */
static void choice_byte(p2p_socks *s, uint8_t b)
{
    size_t at = s->head_have++;
    if (at == 0) {
        if (b != SOCKS_VERSION)
            fail(s, "proxy does not speak SOCKS5 (version byte 0x%02x)", b);
        return;
    }
    if (b == 0xff)
        fail(s, "proxy accepts no method we offer (it wants authentication)");
    else if (b == 0x02)
        fail(s, "proxy wants authentication (method 2, user name and password)");
    else if (b != METHOD_NONE)
        fail(s, "proxy chose method %u, which was not offered", b);
    else {
        s->phase = PH_REPLY;
        s->sent = 0;
        s->head_have = 0;
    }
}

/* One byte of the CONNECT reply; reply_len is known from ATYP (and, for
 * a name, from its length byte). */
static void reply_byte(p2p_socks *s, uint8_t b)
{
    size_t at = s->head_have++;
    if (at < sizeof s->head)
        s->head[at] = b;
    switch (at) {
    case 0:
        if (b != SOCKS_VERSION)
            fail(s, "proxy does not speak SOCKS5 (reply version 0x%02x)", b);
        return;
    case 1:
        s->reply = b;
        if (b != 0)
            fail(s, "proxy: %s (reply %u)", reply_text(b), b);
        return;
    case 3:
        if (b == ATYP_IPV4)
            s->reply_len = REPLY_FIXED + 4;
        else if (b == ATYP_IPV6)
            s->reply_len = REPLY_FIXED + 16;
        else if (b != ATYP_NAME)
            fail(s, "proxy's reply has address type %u", b);
        return;
    case 4:
        if (s->head[3] == ATYP_NAME)
            s->reply_len = REPLY_FIXED + 1 + b;
        break;
    default:
        break;
    }
    if (s->reply_len && s->head_have == s->reply_len) {
        s->status = P2P_SOCKS_OPEN;
        s->phase = PH_DONE;
    }
}

int p2p_socks_feed(p2p_socks *s, const uint8_t *buf, size_t len, size_t *used)
{
    if (!s || !used || (!buf && len))
        return AM_ERR_INVAL;
    size_t i = 0;
    while (i < len && s->status == P2P_SOCKS_PENDING) {
        switch ((enum phase)s->phase) {
        case PH_CHOICE:
            choice_byte(s, buf[i++]);
            break;
        case PH_REPLY:
            reply_byte(s, buf[i++]);
            break;
        case PH_DONE:
            break;
        }
    }
    *used = i;
    return AM_OK;
}

p2p_socks_status p2p_socks_get_status(const p2p_socks *s)
{
    return s->status;
}

const char *p2p_socks_why(const p2p_socks *s)
{
    return s->status == P2P_SOCKS_FAILED ? s->why : "";
}

int p2p_socks_reply(const p2p_socks *s)
{
    return s->reply;
}
