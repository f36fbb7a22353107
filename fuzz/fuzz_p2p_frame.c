/*
 * fuzz_p2p_frame.c - the P2P v1 frame reader and writer.
 *
 * Input: a control byte (bits 0-1 the chain; bit 2: rewrite each header's
 * checksum to the right one first, so that the fuzzer reaches payloads
 * past the checksum; bit 3: a small maximum payload length, byte 1 * 16),
 * a byte of chunk-size seed, then the stream.  The stream is fed to one
 * reader in chunks of varying sizes and to another one byte at a time.
 * Properties:
 *   - the two readers hand out the same messages and end with the same
 *     code: how the stream is split does not matter;
 *   - a reader never holds more than one header and one payload, and a
 *     payload never above the maximum;
 *   - each message handed out has a valid command, and framing it again
 *     gives back exactly the bytes it was read from;
 *   - a refused reader stays refused, consuming nothing.
 */
#include "fuzz_common.h"

#include "chain.h"
#include "p2p_frame.h"

#define MAX_MSGS 4096

typedef struct run {
    size_t ends[MAX_MSGS];     /* stream offset after each message */
    size_t n_msgs;
    int rc;
} run;

static uint8_t g_stream[1 << 16];
static uint8_t g_frame[1 << 16];

/* Correct each whole header's checksum in place, message after message. */
static void fix_checksums(uint8_t *s, size_t n)
{
    size_t pos = 0;

    while (n - pos >= P2P_HEADER_SIZE) {
        uint32_t len = (uint32_t)s[pos + 16] | (uint32_t)s[pos + 17] << 8 |
                       (uint32_t)s[pos + 18] << 16 | (uint32_t)s[pos + 19] << 24;
        if (len > n - pos - P2P_HEADER_SIZE)
            return;
        p2p_checksum(s + pos + P2P_HEADER_SIZE, len, s + pos + 20);
        pos += P2P_HEADER_SIZE + len;
    }
}

static void check_message(const p2p_reader *r, const p2p_frame *f,
                          const uint8_t *s, size_t start, size_t end)
{
    size_t len = 0;
    int rc;

    FZ_ASSERT(p2p_command_valid(f->command), "command '%s' handed out", f->command);
    FZ_ASSERT(f->len <= r->max_len, "payload %u above the maximum", f->len);
    FZ_ASSERT(end - start == P2P_HEADER_SIZE + (size_t)f->len,
              "message of %zu bytes, payload %u", end - start, f->len);
    rc = p2p_frame_build(r->magic, f->command, f->payload, f->len, g_frame,
                         sizeof g_frame, &len);
    FZ_ASSERT(rc == AM_OK, "framing again: %s", am_strerror(rc));
    FZ_ASSERT(len == end - start && memcmp(g_frame, s + start, len) == 0,
              "framing '%s' again gives other bytes", f->command);
}

/* Feed s[0..n) in chunks from `sizes` (0: one byte at a time). */
static void feed(p2p_reader *r, const uint8_t *s, size_t n, uint8_t sizes,
                 run *out)
{
    uint64_t rng = sizes * UINT64_C(0x9e3779b97f4a7c15) + 1;
    size_t pos = 0, start = 0;

    out->n_msgs = 0;
    out->rc = AM_OK;
    while (pos < n && out->rc == AM_OK) {
        size_t chunk = 1, used = 0;
        p2p_frame f;
        int got = 0;

        if (sizes != 0) {
            rng = rng * UINT64_C(6364136223846793005) + 1442695040888963407u;
            chunk = 1 + (size_t)(rng >> 33) % 64;
        }
        if (chunk > n - pos)
            chunk = n - pos;
        out->rc = p2p_reader_feed(r, s + pos, chunk, &used, &f, &got);
        FZ_ASSERT(used <= chunk, "used %zu of %zu", used, chunk);
        FZ_ASSERT(p2p_reader_buffered(r) <= P2P_HEADER_SIZE + (size_t)r->max_len,
                  "%zu bytes held", p2p_reader_buffered(r));
        pos += used;
        if (got) {
            check_message(r, &f, s, start, pos);
            if (out->n_msgs < MAX_MSGS)
                out->ends[out->n_msgs++] = pos;
            start = pos;
        }
    }
    if (out->rc != AM_OK) {
        size_t used = 1;
        p2p_frame f;
        int got = 1;
        int again = p2p_reader_feed(r, s, n, &used, &f, &got);
        FZ_ASSERT(again == out->rc && used == 0 && got == 0,
                  "refused reader answered %d, used %zu", again, used);
    }
}

static run g_a, g_b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const am_chain *chain;
    p2p_reader a, b;
    uint8_t ctl, sizes;
    size_t n;

    if (size < 2)
        return 0;
    ctl = data[0];
    sizes = data[1] | 1;     /* never 0: reader a is the chunked one */
    n = size - 2 < sizeof g_stream ? size - 2 : sizeof g_stream;
    memcpy(g_stream, data + 2, n);
    if (ctl & 4)
        fix_checksums(g_stream, n);
    chain = am_chain_get((am_chain_id)(ctl & 3));
    p2p_reader_init(&a, chain);
    p2p_reader_init(&b, chain);
    if (ctl & 8) {
        p2p_reader_set_max(&a, (uint32_t)data[1] * 16);
        p2p_reader_set_max(&b, (uint32_t)data[1] * 16);
    }
    feed(&a, g_stream, n, sizes, &g_a);
    feed(&b, g_stream, n, 0, &g_b);
    FZ_ASSERT(g_a.rc == g_b.rc, "chunked: %d, byte by byte: %d", g_a.rc, g_b.rc);
    FZ_ASSERT(g_a.n_msgs == g_b.n_msgs, "chunked: %zu messages, byte by byte: %zu",
              g_a.n_msgs, g_b.n_msgs);
    FZ_ASSERT(memcmp(g_a.ends, g_b.ends, g_a.n_msgs * sizeof g_a.ends[0]) == 0,
              "the messages end at other offsets");
    FZ_ASSERT(strcmp(p2p_reader_why(&a), p2p_reader_why(&b)) == 0,
              "why: '%s' vs '%s'", p2p_reader_why(&a), p2p_reader_why(&b));
    p2p_reader_free(&a);
    p2p_reader_free(&b);
    return 0;
}
