/*
 * fuzz_p2p_out.c - the outbound probe session (p2p/p2p_out.c).
 *
 * Input: records  ctl u8 | len u16 LE | len bytes (none for 2), by ctl & 3:
 *   0  the peer's bytes, fed in chunks of (ctl >> 2) bytes (0: in one
 *      piece);
 *   1  a whole message: bytes[0] picks the command, the rest is the
 *      payload, framed with main's magic and a right checksum (so the
 *      fuzzer reaches the states behind the handshake), fed in chunks of
 *      (ctl >> 2) bytes;
 *   2  the clock moves len ms on (len is the step, no bytes follow),
 *      then p2p_out_tick; with ctl bit 2 the peer closes instead
 *      (p2p_out_eof);
 *   3  the caller sends len * 16 output bytes.
 * Properties:
 *   - nothing crashes or leaks (ASan, UBSan);
 *   - once done, the session stays done with the same outcome; the
 *     outcome is in the enum, OK exactly when the handshake ended;
 *   - p2p_out_learned gives at most P2P_OUT_MAX_LEARNED entries, all
 *     usable, and none before the handshake;
 *   - every byte sent reads back as whole frames of the chain (a peer's
 *     reader never refuses them), and the output always drains.
 */
#include "fuzz_common.h"

#include "chain.h"
#include "p2p_frame.h"
#include "p2p_msg.h"
#include "p2p_out.h"
#include "p2p_sess.h"

static const char *const commands[] = {
    "version", "verack", "sendaddrv2", "wtxidrelay", "ping", "pong",
    "getaddr", "addr", "addrv2", "inv", "sendcmpct", "feefilter",
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

typedef struct run {
    p2p_out *s;
    p2p_reader peer;        /* reads what the session sends */
    int64_t now;
    int done;               /* done seen at the last check */
    p2p_outcome outcome;
} run;

static uint8_t g_msg[P2P_HEADER_SIZE + 65536];

static void check(run *r)
{
    size_t n = 0;
    const am_addrv2_entry *e = p2p_out_learned(r->s, &n);
    int done = p2p_out_done(r->s);
    p2p_outcome o = p2p_out_outcome(r->s);

    FZ_ASSERT(done || !r->done, "a done session is open again");
    if (r->done)
        FZ_ASSERT(o == r->outcome, "outcome %s became %s",
                  p2p_outcome_name(r->outcome), p2p_outcome_name(o));
    if (done) {
        FZ_ASSERT(strcmp(p2p_outcome_name(o), "unknown") != 0,
                  "outcome %d outside the enum", (int)o);
        FZ_ASSERT((o == P2P_OUT_OK) == (p2p_out_ready(r->s) != 0),
                  "outcome %s with ready %d", p2p_outcome_name(o),
                  p2p_out_ready(r->s));
        FZ_ASSERT(o == P2P_OUT_OK || strlen(p2p_out_why(r->s)) > 0,
                  "failure %s without a reason", p2p_outcome_name(o));
    }
    FZ_ASSERT(!p2p_out_ready(r->s) || p2p_out_peer_version(r->s) != NULL,
              "ready without the peer's version");
    FZ_ASSERT(n <= P2P_OUT_MAX_LEARNED, "%zu entries learned", n);
    FZ_ASSERT(n == 0 || p2p_out_ready(r->s), "entries before the handshake");
    for (size_t i = 0; i < n; i++)
        FZ_ASSERT(e[i].status == AM_OK, "unusable entry %zu learned", i);
    r->done = done;
    r->outcome = o;
}

/* Send up to `n` output bytes through the peer's reader. */
static void send_output(run *r, size_t n)
{
    const uint8_t *p = NULL;
    size_t len = 0, pos = 0;

    p2p_out_output(r->s, &p, &len);
    if (n > len)
        n = len;
    while (pos < n) {
        p2p_frame f;
        size_t used = 0;
        int got = 0, rc = p2p_reader_feed(&r->peer, p + pos, n - pos, &used,
                                          &f, &got);

        FZ_ASSERT(rc == AM_OK, "the session sent a bad frame: %s",
                  p2p_reader_why(&r->peer));
        pos += used;
    }
    p2p_out_consumed(r->s, n);
}

/* Feed buf[0..len) in chunks of `chunk` bytes (0: all at once). */
static void feed(run *r, const uint8_t *buf, size_t len, size_t chunk)
{
    size_t pos = 0;

    if (chunk == 0)
        chunk = len;
    while (pos < len) {
        size_t n = len - pos < chunk ? len - pos : chunk;

        FZ_ASSERT(p2p_out_feed(r->s, buf + pos, n, r->now) == AM_OK,
                  "feed failed");
        pos += n;
        check(r);
    }
}

static void feed_message(run *r, uint8_t ctl, const uint8_t *d, size_t n)
{
    size_t len = 0;

    if (n == 0)
        return;
    if (p2p_frame_build(am_chain_get(AM_CHAIN_MAIN)->magic,
                        commands[d[0] % N_COMMANDS], d + 1, n - 1, g_msg,
                        sizeof g_msg, &len) != AM_OK)
        return;
    feed(r, g_msg, len, ctl >> 2);
}

static void drain(run *r)
{
    const uint8_t *p = NULL;
    size_t len = 1;

    send_output(r, SIZE_MAX);
    p2p_out_output(r->s, &p, &len);
    FZ_ASSERT(len == 0, "%zu bytes left after a full send", len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static run r;
    p2p_out_config c;
    am_addr peer;
    fz_in in;

    memset(&r, 0, sizeof r);
    memset(&c, 0, sizeof c);
    r.now = FZ_T0 * 1000;
    c.chain = am_chain_get(AM_CHAIN_MAIN);
    c.user_agent = "/addrmand-prober:0.1.0/";
    c.nonce = 42;
    c.timeout = 10000;
    c.answer_wait = 5000;
    c.max_payload = P2P_SESS_MIN_PAYLOAD;
    am_addr_parse_host(&peer, "203.0.113.9");
    peer.port = 8333;
    r.s = p2p_out_new(&c, &peer, r.now);
    FZ_ASSERT(r.s != NULL, "no session");
    p2p_reader_init(&r.peer, c.chain);
    fz_init(&in, data, size);
    while (fz_more(&in)) {
        uint8_t ctl = fz_u8(&in);
        size_t n = fz_u16(&in);
        const uint8_t *d = data + in.pos;

        if ((ctl & 3) == 2) {
            if (ctl & 4) {
                p2p_out_eof(r.s);
            } else {
                r.now += (int64_t)n;
                p2p_out_tick(r.s, r.now);
            }
            check(&r);
            continue;
        }
        n = n < in.n - in.pos ? n : in.n - in.pos;
        in.pos += n;
        switch (ctl & 3) {
        case 0: feed(&r, d, n, ctl >> 2); break;
        case 1: feed_message(&r, ctl, d, n); break;
        case 2: break;                          /* above */
        case 3: send_output(&r, n * 16); break;
        }
        check(&r);
    }
    drain(&r);
    p2p_out_abort(r.s, P2P_OUT_PROXY, "the end");
    FZ_ASSERT(p2p_out_done(r.s) &&
                  p2p_out_outcome(r.s) == (r.done ? r.outcome : P2P_OUT_PROXY),
              "abort gave %s", p2p_outcome_name(p2p_out_outcome(r.s)));
    p2p_out_free(r.s);
    p2p_reader_free(&r.peer);
    return 0;
}
