/*
 * fuzz_p2p_sess.c - the per-connection state machine (p2p/p2p_sess.c).
 *
 * Input: records  ctl u8 | len u16 LE | len bytes, by ctl & 3:
 *   0  the bytes, fed raw (in one piece);
 *   1  a whole message: bytes[0] picks the command, the rest is the
 *      payload, framed with the right magic and checksum (so the fuzzer
 *      reaches the states behind the handshake), then fed split in two
 *      at ctl >> 2;
 *   2  the clock moves len seconds on, then p2p_sess_tick;
 *   3  the caller sends len * 16 output bytes and takes every event.
 * Properties:
 *   - nothing crashes or leaks (ASan, UBSan); the output never holds more
 *     than P2P_SESS_OUT_CAP bytes, and every byte sent reads back as whole
 *     frames of the session's chain (a peer's reader never refuses them);
 *   - a feed that stops early makes progress once the caller has taken the
 *     events and sent the output;
 *   - events are consistent: one CLOSE at most and nothing after it, the
 *     session closed exactly when a CLOSE came, one WANT_ADDRS at most and
 *     only after the handshake, LEARNED entries usable and within 1000,
 *     the counters equal to the events' sums; a closed session sends
 *     nothing.
 */
#include "fuzz_common.h"

#include "chain.h"
#include "p2p_frame.h"
#include "p2p_msg.h"
#include "p2p_sess.h"

static const char *const commands[] = {
    "version", "verack", "sendaddrv2", "wtxidrelay", "ping", "pong",
    "getaddr", "addr", "addrv2", "inv", "sendtxrcncl", "getheaders",
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

typedef struct run {
    p2p_sess *s;
    p2p_reader peer;        /* reads what the session sends */
    int64_t now;
    int closes, wants;
    uint64_t learned, dropped, unusable;
    am_addrv2_entry answer[3];
} run;

static uint8_t g_msg[P2P_HEADER_SIZE + 65536];

static void check_event(run *r, const p2p_sess_event *ev)
{
    FZ_ASSERT(r->closes == 0, "an event after CLOSE");
    switch (ev->type) {
    case P2P_EV_CLOSE:
        r->closes++;
        FZ_ASSERT(p2p_sess_closed(r->s), "CLOSE but the session is open");
        FZ_ASSERT(strcmp(p2p_close_reason_name(ev->close.reason), "unknown") != 0,
                  "close reason %d", (int)ev->close.reason);
        break;
    case P2P_EV_WANT_ADDRS:
        FZ_ASSERT(++r->wants == 1, "WANT_ADDRS twice");
        FZ_ASSERT(p2p_sess_ready(r->s) && ev->want.max == 1000, "WANT_ADDRS early");
        /* Answered later, or never: both are the caller's right. */
        break;
    case P2P_EV_LEARNED:
        FZ_ASSERT(ev->learned.n + ev->learned.dropped + ev->learned.unusable <= 1000,
                  "LEARNED of %zu + %zu + %zu", ev->learned.n,
                  ev->learned.dropped, ev->learned.unusable);
        for (size_t i = 0; i < ev->learned.n; i++)
            FZ_ASSERT(ev->learned.entries[i].status == AM_OK, "unusable entry learned");
        r->learned += ev->learned.n;
        r->dropped += ev->learned.dropped;
        r->unusable += ev->learned.unusable;
        break;
    }
}

static void take_events(run *r)
{
    p2p_sess_event ev;

    while (p2p_sess_next_event(r->s, &ev))
        check_event(r, &ev);
    FZ_ASSERT(p2p_sess_closed(r->s) == (r->closes == 1), "closed without CLOSE");
    if (r->wants == 1 && !p2p_sess_closed(r->s))
        (void)p2p_sess_send_addrs(r->s, r->answer, 3);   /* may be full */
}

/* Send up to `n` output bytes through the peer's reader. */
static void send_output(run *r, size_t n)
{
    const uint8_t *p = NULL;
    size_t len = 0, pos = 0;

    p2p_sess_output(r->s, &p, &len);
    FZ_ASSERT(len <= P2P_SESS_OUT_CAP, "output of %zu bytes", len);
    FZ_ASSERT(len == 0 || !p2p_sess_closed(r->s), "a closed session sends");
    if (n > len)
        n = len;
    while (pos < n) {
        p2p_frame f;
        size_t used = 0;
        int got = 0, rc = p2p_reader_feed(&r->peer, p + pos, n - pos, &used, &f, &got);

        FZ_ASSERT(rc == AM_OK, "the session sent a bad frame: %s",
                  p2p_reader_why(&r->peer));
        pos += used;
    }
    p2p_sess_consumed(r->s, n);
}

/* Feed all of buf, taking events and sending output when it pauses. */
static void feed(run *r, const uint8_t *buf, size_t len)
{
    size_t pos = 0;

    while (pos < len) {
        size_t used = 0;

        FZ_ASSERT(p2p_sess_feed(r->s, buf + pos, len - pos, r->now, &used) == AM_OK,
                  "feed failed");
        FZ_ASSERT(used <= len - pos, "used %zu of %zu", used, len - pos);
        pos += used;
        if (used == 0) {
            take_events(r);
            send_output(r, SIZE_MAX);
            FZ_ASSERT(p2p_sess_feed(r->s, buf + pos, len - pos, r->now, &used) == AM_OK &&
                          used > 0, "feed makes no progress once drained");
            pos += used;
        }
        take_events(r);
    }
}

static void feed_message(run *r, uint8_t ctl, const uint8_t *d, size_t n)
{
    size_t len = 0, cut;

    if (n == 0)
        return;
    if (p2p_frame_build(am_chain_get(AM_CHAIN_MAIN)->magic,
                        commands[d[0] % N_COMMANDS], d + 1, n - 1, g_msg,
                        sizeof g_msg, &len) != AM_OK)
        return;
    cut = (size_t)(ctl >> 2) % (len + 1);
    feed(r, g_msg, cut);
    feed(r, g_msg + cut, len - cut);
}

static void make_answer(am_addrv2_entry *e)
{
    memset(e, 0, 3 * sizeof *e);
    am_addr_parse_host(&e[0].addr, "198.51.100.1");
    am_addr_parse_host(&e[1].addr,
                       "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion");
    am_addr_parse_host(&e[2].addr, "2001:db8::2");
}

static void check_stats(const run *r)
{
    const p2p_sess_stats *st = p2p_sess_get_stats(r->s);

    FZ_ASSERT(st->addrs_learned == r->learned && st->addrs_dropped == r->dropped &&
                  st->addrs_unusable == r->unusable,
              "counters differ from the events");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static run r;
    p2p_sess_config c;
    am_addr peer;
    fz_in in;

    memset(&r, 0, sizeof r);
    r.now = FZ_T0;
    make_answer(r.answer);
    am_addr_parse_host(&peer, "203.0.113.9");
    p2p_sess_config_default(&c, am_chain_get(AM_CHAIN_MAIN));
    r.s = p2p_sess_new(&c, &peer, r.now);
    FZ_ASSERT(r.s != NULL, "no session");
    p2p_reader_init(&r.peer, am_chain_get(AM_CHAIN_MAIN));
    fz_init(&in, data, size);
    while (fz_more(&in)) {
        uint8_t ctl = fz_u8(&in);
        size_t n = fz_u16(&in);
        const uint8_t *d = data + in.pos;

        n = n < in.n - in.pos ? n : in.n - in.pos;
        in.pos += n;
        switch (ctl & 3) {
        case 0: feed(&r, d, n); break;
        case 1: feed_message(&r, ctl, d, n); break;
        case 2: r.now += (int64_t)n; p2p_sess_tick(r.s, r.now); break;
        case 3: send_output(&r, n * 16); take_events(&r); break;
        }
    }
    take_events(&r);
    send_output(&r, SIZE_MAX);
    check_stats(&r);
    p2p_sess_free(r.s);
    p2p_reader_free(&r.peer);
    return 0;
}
