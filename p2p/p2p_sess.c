/*
 * p2p_sess.c - the per-connection protocol state machine (see p2p_sess.h).
 *
 * Received bytes go through a p2p_reader one message at a time; each whole
 * message is dispatched by type, and replies are framed straight into the
 * output buffer.  The rate limit's tokens are kept in thousandths so that
 * 0.1 token per second stays exact in integers.
 */
#include "p2p_sess.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_error.h"
#include "p2p_frame.h"

#define MILLI 1000
#define TOKENS_START (1 * MILLI)             /* Core's bucket starts at 1 */
#define TOKENS_MAX (1000 * MILLI)            /* MAX_ADDR_PROCESSING_TOKEN_BUCKET */
#define TOKENS_PER_SECOND (MILLI / 10)       /* MAX_ADDR_RATE_PER_SECOND 0.1 */
/* Our whole handshake answer (the largest reply to one message) fits. */
#define REPLY_ROOM (3 * P2P_HEADER_SIZE + P2P_VERSION_MAX_SIZE)
#define EVENTS_CAP 4   /* a CLOSE, a WANT_ADDRS and a LEARNED at most */

struct p2p_sess {
    p2p_sess_config cfg;
    char user_agent[P2P_USER_AGENT_MAX + 1];
    p2p_netaddr peer;                /* addr_recv of our version */
    p2p_reader reader;
    int64_t created, last_recv;
    int64_t token_time;
    uint64_t tokens;                 /* thousandths */
    int got_version, ready, addrv2, getaddr_seen, getaddr_pending;
    int closed;
    p2p_version peer_version;
    p2p_sess_event events[EVENTS_CAP];
    size_t ev_head, ev_count;
    int learned_queued;              /* a LEARNED event is not taken yet */
    char why[128];
    p2p_sess_stats stats;
    /* Both buffers exist only while in use, so that an idle session (the
     * P2P face may hold thousands) costs about a kilobyte: the output
     * from the first reply until it is all sent, the entries from an
     * addr message until its LEARNED event is taken. */
    size_t out_start, out_end;
    uint8_t *out;                    /* P2P_SESS_OUT_CAP bytes, or NULL */
    am_addrv2_entry *entries;        /* P2P_ADDR_MAX_ENTRIES, or NULL */
};

const char *p2p_close_reason_name(p2p_close_reason reason)
{
    switch (reason) {
    case P2P_CLOSE_WRONG_MAGIC: return "wrong_magic";
    case P2P_CLOSE_BAD_COMMAND: return "bad_command";
    case P2P_CLOSE_BAD_CHECKSUM: return "bad_checksum";
    case P2P_CLOSE_TOO_LARGE: return "too_large";
    case P2P_CLOSE_BAD_MESSAGE: return "bad_message";
    case P2P_CLOSE_OLD_VERSION: return "old_version";
    case P2P_CLOSE_HANDSHAKE_TIMEOUT: return "handshake_timeout";
    case P2P_CLOSE_IDLE: return "idle";
    case P2P_CLOSE_TOO_MANY_ADDRESSES: return "too_many_addresses";
    case P2P_CLOSE_NO_MEMORY: return "no_memory";
    }
    return "unknown";
}

void p2p_sess_config_default(p2p_sess_config *c, const am_chain *chain)
{
    memset(c, 0, sizeof *c);
    c->chain = chain;
    c->services = P2P_SESS_SERVICES_DEFAULT;
    c->user_agent = P2P_SESS_USER_AGENT_DEFAULT;
    c->handshake_timeout = P2P_SESS_HANDSHAKE_TIMEOUT_DEFAULT;
    c->idle_timeout = P2P_SESS_IDLE_TIMEOUT_DEFAULT;
    c->max_payload = P2P_MAX_PAYLOAD_DEFAULT;
}

p2p_sess *p2p_sess_new(const p2p_sess_config *config, const am_addr *peer,
                       int64_t now)
{
    p2p_sess *s;

    if (config == NULL || config->chain == NULL || peer == NULL ||
        config->user_agent == NULL ||
        strlen(config->user_agent) > P2P_USER_AGENT_MAX ||
        config->handshake_timeout <= 0 || config->idle_timeout <= 0 ||
        config->max_payload < P2P_SESS_MIN_PAYLOAD)
        return NULL;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->cfg = *config;
    strcpy(s->user_agent, config->user_agent);
    s->cfg.user_agent = s->user_agent;
    /* Core sends zeros for an address v1 cannot carry; an inbound peer's
     * services are unknown (NODE_NONE) when we answer. */
    if (p2p_netaddr_from_addr(&s->peer, peer, 0) != AM_OK)
        memset(&s->peer, 0, sizeof s->peer);
    p2p_reader_init(&s->reader, config->chain);
    p2p_reader_set_max(&s->reader, config->max_payload);
    s->created = s->last_recv = s->token_time = now;
    s->tokens = TOKENS_START;
    return s;
}

void p2p_sess_free(p2p_sess *s)
{
    if (s == NULL)
        return;
    p2p_reader_free(&s->reader);
    free(s->out);
    free(s->entries);
    free(s);
}

/* ------------------------------------------------------------------------ */
/* Events and closing. */

static void push_event(p2p_sess *s, const p2p_sess_event *ev)
{
    /* EVENTS_CAP covers every event a session can have queued at once:
     * one CLOSE, one WANT_ADDRS (once per connection), one LEARNED (the
     * feed pauses while it waits). */
    s->events[(s->ev_head + s->ev_count) % EVENTS_CAP] = *ev;
    s->ev_count++;
}

__attribute__((format(printf, 3, 4)))
static void sess_close(p2p_sess *s, p2p_close_reason reason, const char *fmt,
                       ...)
{
    p2p_sess_event ev;
    va_list ap;

    if (s->closed)
        return;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    s->closed = 1;
    s->out_start = s->out_end = 0;  /* close now: nothing more is sent */
    free(s->out);
    s->out = NULL;
    p2p_reader_free(&s->reader);
    memset(&ev, 0, sizeof ev);
    ev.type = P2P_EV_CLOSE;
    ev.close.reason = reason;
    ev.close.why = s->why;
    push_event(s, &ev);
}

int p2p_sess_next_event(p2p_sess *s, p2p_sess_event *ev)
{
    if (s == NULL || ev == NULL || s->ev_count == 0)
        return 0;
    *ev = s->events[s->ev_head];
    s->ev_head = (s->ev_head + 1) % EVENTS_CAP;
    s->ev_count--;
    if (ev->type == P2P_EV_LEARNED)
        s->learned_queued = 0;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Output. */

static size_t out_room(const p2p_sess *s)
{
    return P2P_SESS_OUT_CAP - (s->out_end - s->out_start);
}

/* Room for `need` bytes at the end (moving the unsent bytes to the front
 * when that makes it); 0 when there is not enough, or no memory for the
 * buffer. */
static int out_reserve(p2p_sess *s, size_t need)
{
    if (out_room(s) < need)
        return 0;
    if (s->out == NULL && (s->out = malloc(P2P_SESS_OUT_CAP)) == NULL)
        return 0;
    if (P2P_SESS_OUT_CAP - s->out_end < need) {
        memmove(s->out, s->out + s->out_start, s->out_end - s->out_start);
        s->out_end -= s->out_start;
        s->out_start = 0;
    }
    return 1;
}

/* Frame the payload already written at out_end + 24 as `type`.  The caller
 * reserved 24 + len bytes, so only libcrypto can fail here. */
static int out_frame(p2p_sess *s, p2p_msg_type type, size_t len)
{
    uint8_t *at = s->out + s->out_end;
    size_t framed = 0;
    int rc = p2p_frame_build(s->cfg.chain->magic, p2p_msg_command(type),
                             at + P2P_HEADER_SIZE, len, at,
                             P2P_SESS_OUT_CAP - s->out_end, &framed);

    if (rc != AM_OK)
        return rc;
    s->out_end += framed;
    s->stats.msgs_out[type]++;
    return AM_OK;
}

static int send_empty(p2p_sess *s, p2p_msg_type type)
{
    if (!out_reserve(s, P2P_HEADER_SIZE))
        return AM_ERR_FULL;
    return out_frame(s, type, 0);
}

void p2p_sess_output(const p2p_sess *s, const uint8_t **ptr, size_t *len)
{
    if (ptr == NULL || len == NULL)
        return;
    /* No buffer while nothing waits (not even NULL + 0: that is UB). */
    *ptr = s != NULL && s->out != NULL ? s->out + s->out_start : NULL;
    *len = s != NULL ? s->out_end - s->out_start : 0;
}

void p2p_sess_consumed(p2p_sess *s, size_t n)
{
    if (s == NULL)
        return;
    if (n > s->out_end - s->out_start)
        n = s->out_end - s->out_start;
    s->out_start += n;
    s->stats.bytes_out += n;
    if (s->out_start == s->out_end) {
        s->out_start = s->out_end = 0;
        free(s->out);
        s->out = NULL;
    }
}

/* ------------------------------------------------------------------------ */
/* The handshake. */

void p2p_sess_our_version(p2p_version *v, uint64_t services, int64_t timestamp,
                          const p2p_netaddr *addr_recv, uint64_t nonce,
                          const char *user_agent)
{
    memset(v, 0, sizeof *v);
    v->version = P2P_SESS_PROTOCOL;
    v->services = services;
    v->timestamp = timestamp;
    v->addr_recv = *addr_recv;
    v->addr_from.services = services;
    v->nonce = nonce;
    v->user_agent_len = strlen(user_agent);
    assert(v->user_agent_len <= P2P_USER_AGENT_MAX);
    memcpy(v->user_agent, user_agent, v->user_agent_len + 1);
    v->start_height = 0;
    v->has_relay = 1;
    v->relay = 0;
}

static int send_version(p2p_sess *s, int64_t now)
{
    p2p_version v;
    size_t len = 0;
    int rc;

    p2p_sess_our_version(&v, s->cfg.services, now, &s->peer, s->cfg.nonce,
                         s->user_agent);
    if (!out_reserve(s, P2P_HEADER_SIZE + P2P_VERSION_MAX_SIZE))
        return AM_ERR_FULL;
    rc = p2p_version_build(&v, s->out + s->out_end + P2P_HEADER_SIZE,
                           P2P_VERSION_MAX_SIZE, &len);
    return rc == AM_OK ? out_frame(s, P2P_MSG_VERSION, len) : rc;
}

static void on_version(p2p_sess *s, const p2p_frame *f, int64_t now)
{
    p2p_version v;
    int rc;

    if (s->got_version)
        return;                     /* Core ignores a second version */
    rc = p2p_version_parse(f->payload, f->len, &v);
    if (rc != AM_OK) {
        sess_close(s, P2P_CLOSE_BAD_MESSAGE, "version does not parse (%s)",
                   am_strerror(rc));
        return;
    }
    if (v.version < P2P_SESS_MIN_PROTOCOL) {
        sess_close(s, P2P_CLOSE_OLD_VERSION, "protocol version %ld is below %d",
                   (long)v.version, P2P_SESS_MIN_PROTOCOL);
        return;
    }
    s->peer_version = v;
    s->got_version = 1;
    /* REPLY_ROOM was there before the message was read, so these fit. */
    if (send_version(s, now) != AM_OK || send_empty(s, P2P_MSG_SENDADDRV2) != AM_OK ||
        send_empty(s, P2P_MSG_VERACK) != AM_OK)
        sess_close(s, P2P_CLOSE_NO_MEMORY, "our handshake could not be built");
}

/* Before the peer's verack: only version, verack and sendaddrv2 count, as
 * in Core (wtxidrelay, sendtxrcncl and the rest are ignored). */
static void on_handshake_msg(p2p_sess *s, p2p_msg_type type,
                             const p2p_frame *f, int64_t now)
{
    if (type == P2P_MSG_VERSION)
        on_version(s, f, now);
    else if (!s->got_version)
        return;                     /* nothing counts before version */
    else if (type == P2P_MSG_SENDADDRV2)
        s->addrv2 = 1;
    else if (type == P2P_MSG_VERACK)
        s->ready = 1;
}

/* ------------------------------------------------------------------------ */
/* After the handshake. */

static void on_ping(p2p_sess *s, const p2p_frame *f)
{
    uint64_t nonce = 0;
    int rc = p2p_nonce_parse(f->payload, f->len, &nonce);

    if (rc != AM_OK) {
        sess_close(s, P2P_CLOSE_BAD_MESSAGE, "ping does not parse (%s)",
                   am_strerror(rc));
        return;
    }
    /* The feed kept REPLY_ROOM free, so the pong fits. */
    if (!out_reserve(s, P2P_HEADER_SIZE + P2P_NONCE_SIZE))
        return;
    p2p_nonce_build(nonce, s->out + s->out_end + P2P_HEADER_SIZE);
    if (out_frame(s, P2P_MSG_PONG, P2P_NONCE_SIZE) != AM_OK)
        sess_close(s, P2P_CLOSE_NO_MEMORY, "pong could not be built");
}

static void on_getaddr(p2p_sess *s)
{
    p2p_sess_event ev;

    if (s->getaddr_seen)
        return;                     /* answered once per connection */
    s->getaddr_seen = 1;
    s->getaddr_pending = 1;
    memset(&ev, 0, sizeof ev);
    ev.type = P2P_EV_WANT_ADDRS;
    ev.want.max = P2P_ADDR_MAX_ENTRIES;
    ev.want.v2 = s->addrv2;
    push_event(s, &ev);
}

/* Tokens earned since the last addr message, as Core's refill. */
static void refill_tokens(p2p_sess *s, int64_t now)
{
    if (now > s->token_time && s->tokens < TOKENS_MAX) {
        uint64_t gain = (uint64_t)(now - s->token_time) * TOKENS_PER_SECOND;

        s->tokens = gain >= TOKENS_MAX - s->tokens ? TOKENS_MAX : s->tokens + gain;
    }
    if (now > s->token_time)
        s->token_time = now;
}

/* Keep the entries that get a token and have a usable address, in place,
 * and queue them as a LEARNED event. */
static void learn(p2p_sess *s, size_t count, int64_t now)
{
    p2p_sess_event ev;
    size_t kept = 0;

    memset(&ev, 0, sizeof ev);
    ev.type = P2P_EV_LEARNED;
    refill_tokens(s, now);
    for (size_t i = 0; i < count; i++) {
        if (s->tokens < MILLI) {
            ev.learned.dropped++;
            continue;
        }
        s->tokens -= MILLI;
        if (s->entries[i].status != AM_OK)
            ev.learned.unusable++;
        else
            s->entries[kept++] = s->entries[i];
    }
    ev.learned.entries = s->entries;
    ev.learned.n = kept;
    s->stats.addrs_learned += kept;
    s->stats.addrs_dropped += ev.learned.dropped;
    s->stats.addrs_unusable += ev.learned.unusable;
    push_event(s, &ev);
    s->learned_queued = 1;
}

static void on_addr(p2p_sess *s, p2p_msg_type type, const p2p_frame *f,
                    int64_t now)
{
    size_t count = 0;
    int rc;

    if (s->entries == NULL &&
        (s->entries = malloc(P2P_ADDR_MAX_ENTRIES * sizeof *s->entries)) == NULL) {
        sess_close(s, P2P_CLOSE_NO_MEMORY, "no memory for %s's entries",
                   f->command);
        return;
    }
    rc = type == P2P_MSG_ADDR
             ? p2p_addr_parse(f->payload, f->len, s->entries,
                              P2P_ADDR_MAX_ENTRIES, &count)
             : am_addrv2_decode(f->payload, f->len, s->entries,
                                P2P_ADDR_MAX_ENTRIES, &count);

    if (rc == AM_ERR_TOOMANY) {
        sess_close(s, P2P_CLOSE_TOO_MANY_ADDRESSES,
                   "%s with more than %d entries", f->command,
                   P2P_ADDR_MAX_ENTRIES);
        return;
    }
    if (rc != AM_OK) {
        sess_close(s, P2P_CLOSE_BAD_MESSAGE, "%s does not parse (%s)",
                   f->command, am_strerror(rc));
        return;
    }
    if (count > 0)
        learn(s, count, now);
}

static void on_message(p2p_sess *s, const p2p_frame *f, int64_t now)
{
    p2p_msg_type type = p2p_msg_type_of(f->command);

    s->stats.msgs_in[type]++;
    if (!s->ready) {
        on_handshake_msg(s, type, f, now);
        return;
    }
    switch (type) {
    case P2P_MSG_PING: on_ping(s, f); break;
    case P2P_MSG_GETADDR: on_getaddr(s); break;
    case P2P_MSG_ADDR: case P2P_MSG_ADDRV2: on_addr(s, type, f, now); break;
    case P2P_MSG_OTHER: case P2P_MSG_VERSION: case P2P_MSG_VERACK:
    case P2P_MSG_SENDADDRV2: case P2P_MSG_WTXIDRELAY: case P2P_MSG_PONG:
        /* Nothing to serve: a second version, a late sendaddrv2 (Core
         * ignores both) or a message of the parts we do not run. */
        break;
    }
}

/* ------------------------------------------------------------------------ */
/* Feeding. */

/* The command field of a refused header holds a byte the reader refuses
 * (the other refusal with a whole header is the checksum). */
static int header_command_bad(const p2p_reader *r)
{
    char cmd[P2P_COMMAND_SIZE + 1];
    size_t n;

    memcpy(cmd, r->header + 4, P2P_COMMAND_SIZE);
    cmd[P2P_COMMAND_SIZE] = '\0';
    if (!p2p_command_valid(cmd))
        return 1;
    for (n = strlen(cmd); n < P2P_COMMAND_SIZE; n++)
        if (cmd[n] != 0)
            return 1;
    return 0;
}

/* Close for the reader's refusal `rc`, with its reason. */
static void framing_fault(p2p_sess *s, int rc)
{
    const p2p_reader *r = &s->reader;
    char why[sizeof r->why];
    p2p_close_reason reason;

    if (rc == AM_ERR_NOMEM)
        reason = P2P_CLOSE_NO_MEMORY;
    else if (rc == AM_ERR_RANGE)
        reason = P2P_CLOSE_TOO_LARGE;
    else if (r->header_have < 4)
        reason = P2P_CLOSE_WRONG_MAGIC;   /* refused at a magic byte */
    else if (header_command_bad(r))
        reason = P2P_CLOSE_BAD_COMMAND;
    else
        reason = P2P_CLOSE_BAD_CHECKSUM;
    /* sess_close frees the reader; its sentence is copied first. */
    snprintf(why, sizeof why, "%s",
             rc == AM_ERR_NOMEM ? "out of memory" : p2p_reader_why(r));
    sess_close(s, reason, "%s", why);
}

/* The feed waits for the caller: an event to take, or output to send. */
static int paused(const p2p_sess *s)
{
    return s->learned_queued || s->ev_count >= EVENTS_CAP - 1 ||
           out_room(s) < REPLY_ROOM;
}

int p2p_sess_feed(p2p_sess *s, const uint8_t *buf, size_t len, int64_t now,
                  size_t *used)
{
    size_t pos = 0;

    if (s == NULL || (buf == NULL && len > 0) || used == NULL)
        return AM_ERR_INVAL;
    if (s->entries != NULL && !s->learned_queued) {
        free(s->entries);           /* the last LEARNED event's are done */
        s->entries = NULL;
    }
    if (len > 0 && !s->closed)
        s->last_recv = now;
    while (pos < len && !s->closed && !paused(s)) {
        p2p_frame f;
        size_t n = 0;
        int got = 0;
        int rc = p2p_reader_feed(&s->reader, buf + pos, len - pos, &n, &f, &got);

        pos += n;
        s->stats.bytes_in += n;
        if (rc != AM_OK)
            framing_fault(s, rc);
        else if (got)
            on_message(s, &f, now);
    }
    if (s->closed)
        pos = len;                  /* a closed connection's bytes mean nothing */
    *used = pos;
    return AM_OK;
}

void p2p_sess_tick(p2p_sess *s, int64_t now)
{
    if (s == NULL || s->closed)
        return;
    if (!s->ready && now - s->created >= s->cfg.handshake_timeout)
        sess_close(s, P2P_CLOSE_HANDSHAKE_TIMEOUT,
                   "no handshake within %ld s", (long)s->cfg.handshake_timeout);
    else if (s->ready && now - s->last_recv >= s->cfg.idle_timeout)
        sess_close(s, P2P_CLOSE_IDLE, "nothing received for %ld s",
                   (long)(now - s->last_recv));
}

/* ------------------------------------------------------------------------ */
/* The getaddr answer. */

/*
 * An addr payload of the v1 entries of entries[0..n) at buf (cap bytes are
 * enough for all n).  Each entry is built alone and its count byte dropped,
 * so that the filtered list needs no copy (the session's entry array may
 * hold a LEARNED event's entries the caller still reads).
 */
static int build_v1(const am_addrv2_entry *entries, size_t n, uint8_t *buf,
                    size_t cap, size_t *len_out)
{
    uint8_t one[1 + P2P_ADDR_ENTRY_SIZE];
    size_t k = 0, len = 0, pos;

    for (size_t i = 0; i < n; i++)
        k += (size_t)p2p_addr_fits_v1(&entries[i].addr);
    pos = am_compactsize_write(buf, cap, k);
    for (size_t i = 0; i < n; i++) {
        if (!p2p_addr_fits_v1(&entries[i].addr))
            continue;
        if (p2p_addr_build(&entries[i], 1, one, sizeof one, &len) != AM_OK)
            return AM_ERR_INVAL;
        memcpy(buf + pos, one + 1, P2P_ADDR_ENTRY_SIZE);
        pos += P2P_ADDR_ENTRY_SIZE;
    }
    *len_out = pos;
    return AM_OK;
}

size_t p2p_addrs_message_size(int v2, size_t n)
{
    return P2P_HEADER_SIZE + 3 +
           n * (v2 ? AM_ADDRV2_MAX_ENTRY_SIZE : P2P_ADDR_ENTRY_SIZE);
}

int p2p_addrs_message(const am_chain *chain, int v2,
                      const am_addrv2_entry *entries, size_t n, uint8_t *buf,
                      size_t cap, size_t *len_out)
{
    uint8_t *payload = buf + P2P_HEADER_SIZE;
    size_t len = 0;
    int rc;

    if (chain == NULL || buf == NULL || len_out == NULL ||
        (entries == NULL && n > 0) || n > P2P_ADDR_MAX_ENTRIES ||
        cap < p2p_addrs_message_size(v2, n))
        return AM_ERR_INVAL;
    if (v2)
        rc = am_addrv2_encode(entries, n, payload, cap - P2P_HEADER_SIZE, &len);
    else
        rc = build_v1(entries, n, payload, cap - P2P_HEADER_SIZE, &len);
    if (rc != AM_OK)
        return AM_ERR_INVAL;
    return p2p_frame_build(chain->magic, v2 ? "addrv2" : "addr", payload, len,
                           buf, cap, len_out);
}

/* The getaddr answer is the framed message at out_end, len bytes. */
static void addrs_sent(p2p_sess *s, size_t len)
{
    s->out_end += len;
    s->stats.msgs_out[s->addrv2 ? P2P_MSG_ADDRV2 : P2P_MSG_ADDR]++;
    s->getaddr_pending = 0;
}

/* Whether an answer may be queued now: AM_OK, or the code to return. */
static int answer_allowed(const p2p_sess *s)
{
    if (s->closed)
        return AM_ERR_EXISTS;
    return s->getaddr_pending ? AM_OK : AM_ERR_INVAL;
}

int p2p_sess_send_addrs(p2p_sess *s, const am_addrv2_entry *entries, size_t n)
{
    size_t len = 0, need;
    int rc;

    if (s == NULL || (entries == NULL && n > 0) || n > P2P_ADDR_MAX_ENTRIES)
        return AM_ERR_INVAL;
    if ((rc = answer_allowed(s)) != AM_OK)
        return rc;
    need = p2p_addrs_message_size(s->addrv2, n);
    if (!out_reserve(s, need))
        return AM_ERR_FULL;
    rc = p2p_addrs_message(s->cfg.chain, s->addrv2, entries, n,
                           s->out + s->out_end, need, &len);
    if (rc != AM_OK)
        return rc;
    addrs_sent(s, len);
    return AM_OK;
}

int p2p_sess_send_addrs_message(p2p_sess *s, const uint8_t *msg, size_t len)
{
    int rc;

    if (s == NULL || msg == NULL || len < P2P_HEADER_SIZE ||
        memcmp(msg, s->cfg.chain->magic, 4) != 0 ||
        strncmp((const char *)msg + 4, s->addrv2 ? "addrv2" : "addr",
                P2P_COMMAND_SIZE) != 0)
        return AM_ERR_INVAL;
    if ((rc = answer_allowed(s)) != AM_OK)
        return rc;
    if (!out_reserve(s, len))
        return AM_ERR_FULL;
    memcpy(s->out + s->out_end, msg, len);
    addrs_sent(s, len);
    return AM_OK;
}

/* ------------------------------------------------------------------------ */
/* State. */

int p2p_sess_closed(const p2p_sess *s)
{
    return s != NULL && s->closed;
}

int p2p_sess_ready(const p2p_sess *s)
{
    return s != NULL && s->ready;
}

int p2p_sess_addrv2(const p2p_sess *s)
{
    return s != NULL && s->addrv2;
}

const p2p_version *p2p_sess_peer_version(const p2p_sess *s)
{
    return s != NULL && s->got_version ? &s->peer_version : NULL;
}

const p2p_sess_stats *p2p_sess_get_stats(const p2p_sess *s)
{
    return s != NULL ? &s->stats : NULL;
}
