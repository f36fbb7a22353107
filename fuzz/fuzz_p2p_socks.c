/*
 * fuzz_p2p_socks.c - the SOCKS5 client handshake (p2p/p2p_socks.c).
 *
 * Input: a control byte (bit 0: CONNECT by name, else to an IPv4
 * address), a byte of chunk-size seed, then the proxy's byte stream.  The
 * stream is fed to one handshake in chunks of varying sizes (sending the
 * output between feeds) and to another one byte at a time.  Properties:
 *   - both end in the same status, reply code and sentence, having
 *     consumed the same bytes: how the stream is split does not matter;
 *   - OPEN exactly when the stream starts with 05 00 and a well-formed
 *     success reply (read here independently), consumed up to its last
 *     byte and not one byte further;
 *   - FAILED always has a sentence; PENDING consumed the whole stream;
 *   - the output is the greeting, then (only after a choice of 00) the
 *     request; nothing once the handshake is over, and a later feed
 *     consumes nothing.
 */
#include "fuzz_common.h"

#include "am_error.h"
#include "p2p_socks.h"

typedef struct outcome {
    p2p_socks_status status;
    int reply;
    size_t used;
    char why[96];
} outcome;

static void start(p2p_socks *s, int by_name)
{
    am_addr a;
    int rc;
    if (by_name) {
        rc = p2p_socks_init_name(s, "abcdef.onion", 8333);
    } else {
        if (am_addr_parse(&a, "127.0.0.1:18444", 8333) != AM_OK)
            FZ_FAIL("test address does not parse");
        rc = p2p_socks_init_addr(s, &a);
    }
    FZ_ASSERT(rc == AM_OK, "init gave %d", rc);
}

/* Send all output; check it is what the phase allows. */
static void drain(p2p_socks *s, size_t fed_ok_choice)
{
    const uint8_t *p;
    size_t len;
    p2p_socks_output(s, &p, &len);
    if (len == 0)
        return;
    FZ_ASSERT(p2p_socks_get_status(s) == P2P_SOCKS_PENDING, "output when over");
    if (!fed_ok_choice)
        FZ_ASSERT(len <= 3 && p[len - 1] == 0x00, "greeting expected");
    p2p_socks_consumed(s, len);
}

/* Feed the stream in pieces (piece 0: variable sizes from seed). */
static outcome run(const uint8_t *d, size_t n, int by_name, unsigned seed,
                   size_t piece)
{
    p2p_socks s;
    outcome o;
    size_t off = 0;
    start(&s, by_name);
    drain(&s, 0);
    while (off < n && p2p_socks_get_status(&s) == P2P_SOCKS_PENDING) {
        size_t want = piece ? piece : 1 + (seed = seed * 1103515245u + 12345u) % 13;
        size_t used = 0;
        if (want > n - off)
            want = n - off;
        int rc = p2p_socks_feed(&s, d + off, want, &used);
        FZ_ASSERT(rc == AM_OK, "feed gave %d", rc);
        FZ_ASSERT(used <= want, "used %zu of %zu", used, want);
        off += used;
        drain(&s, off >= 2 && d[0] == 5 && d[1] == 0);
        if (used < want)
            break;
    }
    o.status = p2p_socks_get_status(&s);
    o.reply = p2p_socks_reply(&s);
    o.used = off;
    snprintf(o.why, sizeof o.why, "%s", p2p_socks_why(&s));
    if (o.status != P2P_SOCKS_PENDING) {
        const uint8_t *p;
        size_t len, used = 1;
        p2p_socks_output(&s, &p, &len);
        FZ_ASSERT(len == 0, "output after the end");
        FZ_ASSERT(p2p_socks_feed(&s, d, n, &used) == AM_OK && used == 0,
                  "a final handshake consumed %zu", used);
    }
    return o;
}

/* The length of a well-formed success choice + reply at d, or 0. */
static size_t well_formed(const uint8_t *d, size_t n)
{
    size_t len;
    if (n < 6 || d[0] != 5 || d[1] != 0 || d[2] != 5 || d[3] != 0)
        return 0;
    switch (d[5]) {
    case 1: len = 2 + 10; break;
    case 4: len = 2 + 22; break;
    case 3:
        if (n < 7)
            return 0;
        len = 2 + 7 + d[6];
        break;
    default: return 0;
    }
    return n >= len ? len : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int by_name = data[0] & 1;
    unsigned seed = data[1];
    const uint8_t *d = data + 2;
    size_t n = size - 2;

    outcome a = run(d, n, by_name, seed, 0);
    outcome b = run(d, n, by_name, 0, 1);
    FZ_ASSERT(a.status == b.status && a.reply == b.reply && a.used == b.used &&
              strcmp(a.why, b.why) == 0,
              "chunked: %d %d %zu '%s'; bytewise: %d %d %zu '%s'", a.status,
              a.reply, a.used, a.why, b.status, b.reply, b.used, b.why);
    size_t wf = well_formed(d, n);
    switch (a.status) {
    case P2P_SOCKS_OPEN:
        FZ_ASSERT(wf && a.used == wf, "open after %zu bytes, well formed %zu",
                  a.used, wf);
        FZ_ASSERT(a.reply == 0 && a.why[0] == '\0', "open with reply %d", a.reply);
        break;
    case P2P_SOCKS_FAILED:
        FZ_ASSERT(!wf, "failed on a well-formed reply");
        FZ_ASSERT(a.why[0] != '\0', "failed without a sentence");
        break;
    case P2P_SOCKS_PENDING:
        FZ_ASSERT(!wf && a.used == n, "pending after %zu of %zu", a.used, n);
        break;
    }
    return 0;
}
