/*
 * p2p_msg.c - the message payload codecs.
 *
 * Parsers read through a cursor whose error sticks: once a read runs past
 * the payload every later read gives zeros and the parser reports the
 * first error at the end, so each parser reads as a plain list of fields.
 * Results go to a local copy that reaches the caller only on success.
 * Builders compute the message's size first and refuse a small buffer
 * before writing anything, so their writes cannot fail halfway.
 */
#include "p2p_msg.h"

#include <string.h>

#include "am_error.h"
#include "p2p_wire.h"

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* ------------------------------------------------------------------------ */
/* Message types. */

static const p2p_msg_type known_types[] = {
    P2P_MSG_VERSION, P2P_MSG_VERACK, P2P_MSG_SENDADDRV2, P2P_MSG_WTXIDRELAY,
    P2P_MSG_PING, P2P_MSG_PONG, P2P_MSG_GETADDR, P2P_MSG_ADDR, P2P_MSG_ADDRV2,
};

const char *p2p_msg_command(p2p_msg_type type)
{
    switch (type) {
    case P2P_MSG_OTHER: return NULL;
    case P2P_MSG_VERSION: return "version";
    case P2P_MSG_VERACK: return "verack";
    case P2P_MSG_SENDADDRV2: return "sendaddrv2";
    case P2P_MSG_WTXIDRELAY: return "wtxidrelay";
    case P2P_MSG_PING: return "ping";
    case P2P_MSG_PONG: return "pong";
    case P2P_MSG_GETADDR: return "getaddr";
    case P2P_MSG_ADDR: return "addr";
    case P2P_MSG_ADDRV2: return "addrv2";
    }
    return NULL;
}

p2p_msg_type p2p_msg_type_of(const char *command)
{
    if (command == NULL)
        return P2P_MSG_OTHER;
    for (size_t i = 0; i < sizeof known_types / sizeof known_types[0]; i++)
        if (strcmp(command, p2p_msg_command(known_types[i])) == 0)
            return known_types[i];
    return P2P_MSG_OTHER;
}

/* ------------------------------------------------------------------------ */
/* The reading cursor. */

typedef struct cursor {
    const uint8_t *p;
    size_t len, pos;
    int err;
} cursor;

static void cursor_init(cursor *c, const uint8_t *p, size_t len)
{
    c->p = p;
    c->len = len;
    c->pos = 0;
    c->err = (p == NULL && len > 0) ? AM_ERR_INVAL : AM_OK;
}

/* The next n bytes, or NULL (and the error set) when they are not there. */
static const uint8_t *take(cursor *c, size_t n)
{
    const uint8_t *at;

    if (c->err != AM_OK)
        return NULL;
    if (c->len - c->pos < n) {
        c->err = AM_ERR_TRUNCATED;
        return NULL;
    }
    at = c->p + c->pos;
    c->pos += n;
    return at;
}

static uint64_t take_le(cursor *c, size_t n)
{
    const uint8_t *p = take(c, n);
    return p != NULL ? p2p_get_le(p, n) : 0;
}

static void take_bytes(cursor *c, uint8_t *out, size_t n)
{
    const uint8_t *p = take(c, n);
    if (p != NULL)
        memcpy(out, p, n);
}

static uint64_t take_compactsize(cursor *c)
{
    uint64_t v = 0;
    int rc;

    if (c->err != AM_OK)
        return 0;
    rc = am_compactsize_read(c->p, c->len, &c->pos, &v);
    if (rc != AM_OK)
        c->err = rc;
    return v;
}

/* The cursor's error, or AM_ERR_MALFORMED for bytes after the message. */
static int cursor_end(const cursor *c)
{
    if (c->err != AM_OK)
        return c->err;
    return c->pos == c->len ? AM_OK : AM_ERR_MALFORMED;
}

/* Two's complement without implementation-defined conversions. */
static int32_t as_i32(uint64_t v)
{
    return v <= INT32_MAX ? (int32_t)v : (int32_t)((int64_t)v - INT64_C(0x100000000));
}

static int64_t as_i64(uint64_t v)
{
    return v <= INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
}

/* ------------------------------------------------------------------------ */
/* Empty messages and nonces. */

int p2p_empty_parse(const uint8_t *buf, size_t len)
{
    (void)buf;
    return len == 0 ? AM_OK : AM_ERR_MALFORMED;
}

int p2p_nonce_parse(const uint8_t *buf, size_t len, uint64_t *nonce)
{
    cursor c;
    uint64_t v;
    int rc;

    if (nonce == NULL)
        return AM_ERR_INVAL;
    cursor_init(&c, buf, len);
    v = take_le(&c, P2P_NONCE_SIZE);
    rc = cursor_end(&c);
    if (rc == AM_OK)
        *nonce = v;
    return rc;
}

void p2p_nonce_build(uint64_t nonce, uint8_t out[P2P_NONCE_SIZE])
{
    p2p_put_le(out, nonce, P2P_NONCE_SIZE);
}

/* ------------------------------------------------------------------------ */
/* Network addresses. */

int p2p_addr_fits_v1(const am_addr *a)
{
    return a != NULL && (a->net == AM_NET_IPV4 || a->net == AM_NET_IPV6);
}

int p2p_netaddr_from_addr(p2p_netaddr *out, const am_addr *a, uint64_t services)
{
    if (out == NULL || !p2p_addr_fits_v1(a))
        return AM_ERR_INVAL;
    if (a->net == AM_NET_IPV4) {
        memcpy(out->ip, v4_mapped, sizeof v4_mapped);
        memcpy(out->ip + sizeof v4_mapped, a->bytes, 4);
    } else {
        memcpy(out->ip, a->bytes, 16);
    }
    out->services = services;
    out->port = a->port;
    return AM_OK;
}

int p2p_netaddr_to_addr(const p2p_netaddr *na, am_addr *out)
{
    if (na == NULL || out == NULL)
        return AM_ERR_INVAL;
    if (memcmp(na->ip, v4_mapped, sizeof v4_mapped) == 0)
        return am_addr_from_bytes(out, AM_NET_IPV4, na->ip + sizeof v4_mapped,
                                  4, na->port);
    return am_addr_from_bytes(out, AM_NET_IPV6, na->ip, 16, na->port);
}

/* services | ip | port: the part of an address both messages share. */
static void take_netaddr(cursor *c, p2p_netaddr *na)
{
    const uint8_t *port;

    na->services = take_le(c, 8);
    take_bytes(c, na->ip, sizeof na->ip);
    port = take(c, 2);
    na->port = port != NULL ? p2p_get_be16(port) : 0;
}

static uint8_t *put_netaddr(uint8_t *p, const p2p_netaddr *na)
{
    p2p_put_le(p, na->services, 8);
    memcpy(p + 8, na->ip, sizeof na->ip);
    p2p_put_be16(p + 24, na->port);
    return p + 26;
}

/* ------------------------------------------------------------------------ */
/* version. */

static size_t compactsize_len(uint64_t v)
{
    return v < 0xfd ? 1 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
}

/* var_str of at most P2P_USER_AGENT_MAX bytes. */
static void take_user_agent(cursor *c, p2p_version *v)
{
    uint64_t n = take_compactsize(c);

    if (c->err == AM_OK && n > P2P_USER_AGENT_MAX) {
        c->err = AM_ERR_RANGE;
        return;
    }
    take_bytes(c, (uint8_t *)v->user_agent, (size_t)n);
    v->user_agent_len = c->err == AM_OK ? (size_t)n : 0;
    v->user_agent[v->user_agent_len] = '\0';
}

/* The optional relay byte: 0 or 1 when present. */
static void take_relay(cursor *c, p2p_version *v)
{
    if (c->err != AM_OK || c->pos == c->len)
        return;
    v->has_relay = 1;
    v->relay = (int)take_le(c, 1);
    if (v->relay > 1)
        c->err = AM_ERR_MALFORMED;
}

int p2p_version_parse(const uint8_t *buf, size_t len, p2p_version *out)
{
    p2p_version v;
    cursor c;
    int rc;

    if (out == NULL)
        return AM_ERR_INVAL;
    memset(&v, 0, sizeof v);
    cursor_init(&c, buf, len);
    v.version = as_i32(take_le(&c, 4));
    v.services = take_le(&c, 8);
    v.timestamp = as_i64(take_le(&c, 8));
    take_netaddr(&c, &v.addr_recv);
    take_netaddr(&c, &v.addr_from);
    v.nonce = take_le(&c, 8);
    take_user_agent(&c, &v);
    v.start_height = as_i32(take_le(&c, 4));
    take_relay(&c, &v);
    rc = cursor_end(&c);
    if (rc == AM_OK)
        *out = v;
    return rc;
}

int p2p_version_build(const p2p_version *v, uint8_t *buf, size_t cap,
                      size_t *len_out)
{
    size_t size;
    uint8_t *p = buf;

    if (v == NULL || buf == NULL || len_out == NULL ||
        v->user_agent_len > P2P_USER_AGENT_MAX ||
        (v->has_relay && v->relay != 0 && v->relay != 1))
        return AM_ERR_INVAL;
    size = 4 + 8 + 8 + 26 + 26 + 8 + compactsize_len(v->user_agent_len) +
           v->user_agent_len + 4 + (v->has_relay ? 1 : 0);
    if (cap < size)
        return AM_ERR_INVAL;
    p2p_put_le(p, (uint32_t)v->version, 4);
    p2p_put_le(p + 4, v->services, 8);
    p2p_put_le(p + 12, (uint64_t)v->timestamp, 8);
    p = put_netaddr(p + 20, &v->addr_recv);
    p = put_netaddr(p, &v->addr_from);
    p2p_put_le(p, v->nonce, 8);
    p += 8;
    p += am_compactsize_write(p, 3, v->user_agent_len);
    memcpy(p, v->user_agent, v->user_agent_len);
    p += v->user_agent_len;
    p2p_put_le(p, (uint32_t)v->start_height, 4);
    p += 4;
    if (v->has_relay)
        *p++ = (uint8_t)v->relay;
    *len_out = (size_t)(p - buf);
    return AM_OK;
}

/* ------------------------------------------------------------------------ */
/* addr. */

/* The count, checked against the limit, the caller's room and the exact
 * length its fixed-size entries take, before any entry is read. */
static int addr_count(cursor *c, size_t cap, size_t *count)
{
    uint64_t n = take_compactsize(c);

    if (c->err != AM_OK)
        return c->err;
    if (n > P2P_ADDR_MAX_ENTRIES || n > cap)
        return AM_ERR_TOOMANY;
    if (c->len - c->pos < n * P2P_ADDR_ENTRY_SIZE)
        return AM_ERR_TRUNCATED;
    if (c->len - c->pos > n * P2P_ADDR_ENTRY_SIZE)
        return AM_ERR_MALFORMED;
    *count = (size_t)n;
    return AM_OK;
}

static void take_addr_entry(cursor *c, am_addrv2_entry *e)
{
    p2p_netaddr na;

    memset(e, 0, sizeof *e);
    e->time = (uint32_t)take_le(c, 4);
    take_netaddr(c, &na);
    e->services = na.services;
    e->status = p2p_netaddr_to_addr(&na, &e->addr);
    e->net_id = memcmp(na.ip, v4_mapped, sizeof v4_mapped) == 0 ? AM_NET_IPV4
                                                                 : AM_NET_IPV6;
    if (e->status != AM_OK)
        memset(&e->addr, 0, sizeof e->addr);
}

int p2p_addr_parse(const uint8_t *buf, size_t len, am_addrv2_entry *out,
                   size_t cap, size_t *n_out)
{
    cursor c;
    size_t n = 0;
    int rc;

    if ((out == NULL && cap > 0) || n_out == NULL)
        return AM_ERR_INVAL;
    cursor_init(&c, buf, len);
    rc = addr_count(&c, cap, &n);
    if (rc != AM_OK)
        return rc;
    /* The length is exact: no read below can fail. */
    for (size_t i = 0; i < n; i++)
        take_addr_entry(&c, &out[i]);
    *n_out = n;
    return AM_OK;
}

int p2p_addr_build(const am_addrv2_entry *entries, size_t n, uint8_t *buf,
                   size_t cap, size_t *len_out)
{
    size_t size;
    uint8_t *p;

    if ((entries == NULL && n > 0) || buf == NULL || len_out == NULL ||
        n > P2P_ADDR_MAX_ENTRIES)
        return AM_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (!p2p_addr_fits_v1(&entries[i].addr))
            return AM_ERR_INVAL;
    size = compactsize_len(n) + n * P2P_ADDR_ENTRY_SIZE;
    if (cap < size)
        return AM_ERR_INVAL;
    p = buf + am_compactsize_write(buf, cap, n);
    for (size_t i = 0; i < n; i++) {
        p2p_netaddr na = {0};   /* filled: every address fits (checked above) */

        p2p_netaddr_from_addr(&na, &entries[i].addr, entries[i].services);
        p2p_put_le(p, entries[i].time, 4);
        p = put_netaddr(p + 4, &na);
    }
    *len_out = size;
    return AM_OK;
}
