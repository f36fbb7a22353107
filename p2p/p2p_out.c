/*
 * p2p_out.c - the outbound probe session (see p2p_out.h).
 *
 * Bytes go through a p2p_reader one message at a time.  The output is a
 * small fixed buffer: everything we ever send (version, sendaddrv2,
 * verack, getaddr, a few pongs) is a few hundred bytes, and a peer that
 * pings faster than we send only has its pings dropped.
 */
#include "p2p_out.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "am_error.h"
#include "p2p_frame.h"
#include "p2p_sess.h"

#define OUT_CAP 2048
/* Lone announcements kept before the answer, plus the answer itself. */
#define ENTRIES_CAP (2 * P2P_ADDR_MAX_ENTRIES)
#define PROTOCOL_SENDADDRV2 70016     /* BIP155: sendaddrv2 from this on */

struct p2p_out {
    p2p_out_config cfg;
    p2p_netaddr peer;
    p2p_reader reader;
    int64_t deadline;                 /* ms: the handshake's, then the answer's */
    int got_version, ready, done;
    p2p_outcome outcome;
    char why[128];
    p2p_version peer_version;
    size_t out_start, out_end;
    uint8_t out[OUT_CAP];
    am_addrv2_entry *entries;         /* ENTRIES_CAP, from the first answer */
    size_t n_entries;
};

const char *p2p_outcome_name(p2p_outcome o)
{
    switch (o) {
    case P2P_OUT_OK: return "ok";
    case P2P_OUT_REFUSED: return "refused";
    case P2P_OUT_TIMEOUT: return "timeout";
    case P2P_OUT_WRONG_MAGIC: return "wrong_magic";
    case P2P_OUT_BAD_MESSAGE: return "bad_message";
    case P2P_OUT_OLD_VERSION: return "old_version";
    case P2P_OUT_NO_SERVICES: return "no_services";
    case P2P_OUT_CLOSED: return "closed";
    case P2P_OUT_PROXY: return "proxy";
    case P2P_OUT_NO_ROUTE: return "no_route";
    }
    return "unknown";
}

__attribute__((format(printf, 3, 4)))
static void finish(p2p_out *s, p2p_outcome o, const char *fmt, ...)
{
    va_list ap;

    if (s->done)
        return;
    s->done = 1;
    s->outcome = o;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    p2p_reader_free(&s->reader);
}

/* ------------------------------------------------------------------------ */
/* Sending. */

/* Frame payload[0..len) as `type` at the output's end; 0 when it does not
 * fit (only a flood of pings can make that happen: the pong is dropped). */
static int send_msg(p2p_out *s, p2p_msg_type type, const uint8_t *payload,
                    size_t len)
{
    size_t framed = 0;

    if (OUT_CAP - s->out_end < P2P_HEADER_SIZE + len) {
        memmove(s->out, s->out + s->out_start, s->out_end - s->out_start);
        s->out_end -= s->out_start;
        s->out_start = 0;
    }
    if (p2p_frame_build(s->cfg.chain->magic, p2p_msg_command(type), payload,
                        len, s->out + s->out_end, OUT_CAP - s->out_end,
                        &framed) != AM_OK)
        return 0;
    s->out_end += framed;
    return 1;
}

static int send_version(p2p_out *s)
{
    uint8_t payload[P2P_VERSION_MAX_SIZE];
    p2p_version v;
    size_t len = 0;

    /* Services 0: a probe serves nothing.  Peers take the timestamp for
     * the time of day (Core and bcoin keep the offset from their own
     * clock), so never the caller's deadline clock. */
    p2p_sess_our_version(&v, 0,
                         s->cfg.timestamp != 0 ? s->cfg.timestamp
                                               : (int64_t)time(NULL),
                         &s->peer, s->cfg.nonce, s->cfg.user_agent);
    return p2p_version_build(&v, payload, sizeof payload, &len) == AM_OK &&
           send_msg(s, P2P_MSG_VERSION, payload, len);
}

/* ------------------------------------------------------------------------ */
/* Receiving. */

static void on_version(p2p_out *s, const p2p_frame *f)
{
    p2p_version v;
    int rc = p2p_version_parse(f->payload, f->len, &v);

    if (rc != AM_OK) {
        finish(s, P2P_OUT_BAD_MESSAGE, "version does not parse (%s)",
               am_strerror(rc));
        return;
    }
    if (v.version < P2P_SESS_MIN_PROTOCOL) {
        finish(s, P2P_OUT_OLD_VERSION, "protocol version %ld is below %d",
               (long)v.version, P2P_SESS_MIN_PROTOCOL);
        return;
    }
    if (!(v.services & (P2P_NODE_NETWORK | P2P_NODE_NETWORK_LIMITED))) {
        finish(s, P2P_OUT_NO_SERVICES,
               "services 0x%llx serve no blocks (no NODE_NETWORK or "
               "NODE_NETWORK_LIMITED)", (unsigned long long)v.services);
        return;
    }
    s->peer_version = v;
    s->got_version = 1;
    if ((v.version >= PROTOCOL_SENDADDRV2 &&
         !send_msg(s, P2P_MSG_SENDADDRV2, NULL, 0)) ||
        !send_msg(s, P2P_MSG_VERACK, NULL, 0))
        finish(s, P2P_OUT_BAD_MESSAGE, "our handshake could not be built");
}

static void on_ready(p2p_out *s, int64_t now)
{
    s->ready = 1;
    s->deadline = now + s->cfg.answer_wait;
    if (!send_msg(s, P2P_MSG_GETADDR, NULL, 0))
        finish(s, P2P_OUT_OK, "getaddr could not be built");
}

static void on_ping(p2p_out *s, const p2p_frame *f)
{
    uint8_t pong[P2P_NONCE_SIZE];
    uint64_t nonce;

    if (p2p_nonce_parse(f->payload, f->len, &nonce) != AM_OK)
        return;
    p2p_nonce_build(nonce, pong);
    (void)send_msg(s, P2P_MSG_PONG, pong, sizeof pong);
}

/* Keep the usable entries of an answer; a message of other than one
 * entry (an answer, empty or not) or a full set ends the wait. */
static void on_addr(p2p_out *s, p2p_msg_type type, const p2p_frame *f)
{
    size_t count = 0, room, kept = 0;
    am_addrv2_entry *at;
    int rc;

    if (s->entries == NULL &&
        (s->entries = malloc(ENTRIES_CAP * sizeof *s->entries)) == NULL) {
        finish(s, P2P_OUT_OK, "no memory for the answer");
        return;
    }
    at = s->entries + s->n_entries;
    room = ENTRIES_CAP - s->n_entries;
    rc = type == P2P_MSG_ADDR
             ? p2p_addr_parse(f->payload, f->len, at, room, &count)
             : am_addrv2_decode(f->payload, f->len, at, room, &count);
    if (rc != AM_OK) {
        finish(s, P2P_OUT_OK, "%s does not parse (%s)", f->command,
               am_strerror(rc));
        return;
    }
    for (size_t i = 0; i < count; i++)
        if (at[i].status == AM_OK)
            at[kept++] = at[i];
    s->n_entries += kept;
    if (count != 1 || s->n_entries >= P2P_ADDR_MAX_ENTRIES)
        finish(s, P2P_OUT_OK, "%s", "");
}

static void on_message(p2p_out *s, const p2p_frame *f, int64_t now)
{
    p2p_msg_type type = p2p_msg_type_of(f->command);

    if (!s->got_version) {
        if (type == P2P_MSG_VERSION)
            on_version(s, f);
        return;                 /* nothing counts before the version */
    }
    switch (type) {
    case P2P_MSG_VERACK:
        if (!s->ready)
            on_ready(s, now);
        break;
    case P2P_MSG_PING: on_ping(s, f); break;
    case P2P_MSG_ADDR: case P2P_MSG_ADDRV2:
        if (s->ready)
            on_addr(s, type, f);
        break;
    case P2P_MSG_OTHER: case P2P_MSG_VERSION: case P2P_MSG_SENDADDRV2:
    case P2P_MSG_WTXIDRELAY: case P2P_MSG_PONG: case P2P_MSG_GETADDR:
        break;
    }
}

/* The reader refused the stream. */
static void framing_fault(p2p_out *s, int rc)
{
    char why[sizeof s->reader.why];

    snprintf(why, sizeof why, "%s",
             rc == AM_ERR_NOMEM ? "out of memory" : p2p_reader_why(&s->reader));
    if (s->ready)
        finish(s, P2P_OUT_OK, "after the handshake: %s", why);
    else if (s->reader.header_have < 4 && rc == AM_ERR_MALFORMED)
        finish(s, P2P_OUT_WRONG_MAGIC, "%s", why);
    else
        finish(s, P2P_OUT_BAD_MESSAGE, "%s", why);
}

/* ------------------------------------------------------------------------ */
/* The interface. */

p2p_out *p2p_out_new(const p2p_out_config *cfg, const am_addr *peer,
                     int64_t now)
{
    p2p_out *s;

    if (cfg == NULL || cfg->chain == NULL || peer == NULL ||
        cfg->user_agent == NULL ||
        strlen(cfg->user_agent) > P2P_USER_AGENT_MAX || cfg->timeout <= 0 ||
        cfg->answer_wait < 0 || cfg->max_payload < P2P_SESS_MIN_PAYLOAD)
        return NULL;
    if ((s = calloc(1, sizeof *s)) == NULL)
        return NULL;
    s->cfg = *cfg;
    if (p2p_netaddr_from_addr(&s->peer, peer, 0) != AM_OK)
        memset(&s->peer, 0, sizeof s->peer);
    p2p_reader_init(&s->reader, cfg->chain);
    p2p_reader_set_max(&s->reader, cfg->max_payload);
    s->deadline = now + cfg->timeout;
    if (!send_version(s)) {
        p2p_out_free(s);
        return NULL;
    }
    return s;
}

void p2p_out_free(p2p_out *s)
{
    if (s == NULL)
        return;
    p2p_reader_free(&s->reader);
    free(s->entries);
    free(s);
}

int p2p_out_feed(p2p_out *s, const uint8_t *buf, size_t len, int64_t now)
{
    size_t pos = 0;

    if (s == NULL || (buf == NULL && len > 0))
        return AM_ERR_INVAL;
    while (pos < len && !s->done) {
        p2p_frame f;
        size_t n = 0;
        int got = 0;
        int rc = p2p_reader_feed(&s->reader, buf + pos, len - pos, &n, &f,
                                 &got);

        pos += n;
        if (rc != AM_OK)
            framing_fault(s, rc);
        else if (got)
            on_message(s, &f, now);
    }
    return AM_OK;
}

void p2p_out_tick(p2p_out *s, int64_t now)
{
    if (s == NULL || s->done || now < s->deadline)
        return;
    if (s->ready)
        finish(s, P2P_OUT_OK, "%s", "");       /* the answer's wait is over */
    else
        finish(s, P2P_OUT_TIMEOUT, "no handshake within %lld ms",
               (long long)s->cfg.timeout);
}

void p2p_out_eof(p2p_out *s)
{
    if (s == NULL)
        return;
    if (s->ready)
        finish(s, P2P_OUT_OK, "%s", "");
    else
        finish(s, P2P_OUT_CLOSED, "the peer closed the connection %s",
               s->got_version ? "after its version" : "before its version");
}

void p2p_out_abort(p2p_out *s, p2p_outcome o, const char *why)
{
    if (s != NULL)
        finish(s, o, "%s", why != NULL ? why : "");
}

void p2p_out_output(const p2p_out *s, const uint8_t **ptr, size_t *len)
{
    *ptr = s->out + s->out_start;
    *len = s->out_end - s->out_start;
}

void p2p_out_consumed(p2p_out *s, size_t n)
{
    size_t have = s->out_end - s->out_start;

    s->out_start += n < have ? n : have;
    if (s->out_start == s->out_end)
        s->out_start = s->out_end = 0;
}

int p2p_out_done(const p2p_out *s)
{
    return s->done;
}

p2p_outcome p2p_out_outcome(const p2p_out *s)
{
    return s->outcome;
}

const char *p2p_out_why(const p2p_out *s)
{
    return s->why;
}

int p2p_out_ready(const p2p_out *s)
{
    return s->ready;
}

const p2p_version *p2p_out_peer_version(const p2p_out *s)
{
    return s->got_version ? &s->peer_version : NULL;
}

const am_addrv2_entry *p2p_out_learned(const p2p_out *s, size_t *n)
{
    *n = s->n_entries < P2P_OUT_MAX_LEARNED ? s->n_entries
                                            : P2P_OUT_MAX_LEARNED;
    return s->entries;
}
