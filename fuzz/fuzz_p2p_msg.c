/*
 * fuzz_p2p_msg.c - the P2P message payload codecs.
 *
 * Input: a byte choosing the message (version, an empty one, ping, addr),
 * then its payload.  Properties:
 *   - parsing never reads outside the payload (ASan) and fails without
 *     touching its output;
 *   - what parses builds back to the very same bytes (the parsers accept
 *     canonical encodings only), and parsing those gives the same message;
 *   - for addr, the usable entries alone build and parse back unchanged;
 *   - the payload framed and read back by a reader is the same payload.
 */
#include "fuzz_common.h"

#include "chain.h"
#include "p2p_frame.h"
#include "p2p_msg.h"

static am_addrv2_entry g_in[P2P_ADDR_MAX_ENTRIES];
static am_addrv2_entry g_ok[P2P_ADDR_MAX_ENTRIES];
static am_addrv2_entry g_back[P2P_ADDR_MAX_ENTRIES];
static uint8_t g_buf[P2P_ADDR_MAX_SIZE];
static uint8_t g_frame[P2P_HEADER_SIZE + 8192];

static void check_same_bytes(const char *what, const uint8_t *a, size_t na,
                             const uint8_t *b, size_t nb)
{
    FZ_ASSERT(na == nb && memcmp(a, b, na) == 0,
              "%s built back into %zu other bytes (input %zu)", what, nb, na);
}

static int netaddr_eq(const p2p_netaddr *a, const p2p_netaddr *b)
{
    return a->services == b->services && a->port == b->port &&
           memcmp(a->ip, b->ip, sizeof a->ip) == 0;
}

static int version_eq(const p2p_version *a, const p2p_version *b)
{
    return a->version == b->version && a->services == b->services &&
           a->timestamp == b->timestamp && netaddr_eq(&a->addr_recv, &b->addr_recv) &&
           netaddr_eq(&a->addr_from, &b->addr_from) && a->nonce == b->nonce &&
           a->user_agent_len == b->user_agent_len &&
           memcmp(a->user_agent, b->user_agent, a->user_agent_len + 1) == 0 &&
           a->start_height == b->start_height && a->has_relay == b->has_relay &&
           a->relay == b->relay;
}

static void fuzz_version(const uint8_t *p, size_t n)
{
    p2p_version v, back;
    size_t len = 0;

    memset(&v, 0x5a, sizeof v);
    back = v;
    if (p2p_version_parse(p, n, &v) != AM_OK) {
        FZ_ASSERT(memcmp(&v, &back, sizeof v) == 0, "failed parse changed its output");
        return;
    }
    FZ_ASSERT(v.user_agent_len <= P2P_USER_AGENT_MAX, "user agent of %zu bytes",
              v.user_agent_len);
    FZ_ASSERT(p2p_version_build(&v, g_buf, P2P_VERSION_MAX_SIZE, &len) == AM_OK,
              "version does not build");
    check_same_bytes("version", p, n, g_buf, len);
    FZ_ASSERT(p2p_version_parse(g_buf, len, &back) == AM_OK && version_eq(&v, &back),
              "version built does not parse back the same");
}

static void fuzz_nonce(const uint8_t *p, size_t n)
{
    uint64_t nonce = 0, back = 0;

    if (p2p_nonce_parse(p, n, &nonce) != AM_OK)
        return;
    p2p_nonce_build(nonce, g_buf);
    check_same_bytes("ping", p, n, g_buf, P2P_NONCE_SIZE);
    FZ_ASSERT(p2p_nonce_parse(g_buf, P2P_NONCE_SIZE, &back) == AM_OK && back == nonce,
              "nonce changed");
}

static int entry_eq(const am_addrv2_entry *a, const am_addrv2_entry *b)
{
    return a->time == b->time && a->services == b->services &&
           am_addr_eq(&a->addr, &b->addr);
}

static void fuzz_addr(const uint8_t *p, size_t n)
{
    size_t count = 0, n_ok = 0, n_back = 0, len = 0;

    if (p2p_addr_parse(p, n, g_in, P2P_ADDR_MAX_ENTRIES, &count) != AM_OK)
        return;
    for (size_t i = 0; i < count; i++) {
        FZ_ASSERT(g_in[i].status == AM_OK || g_in[i].addr.net == 0,
                  "entry %zu: unusable but with an address", i);
        if (g_in[i].status == AM_OK)
            g_ok[n_ok++] = g_in[i];
    }
    FZ_ASSERT(p2p_addr_build(g_ok, n_ok, g_buf, sizeof g_buf, &len) == AM_OK,
              "%zu usable entries do not build", n_ok);
    if (n_ok == count)
        check_same_bytes("addr", p, n, g_buf, len);
    FZ_ASSERT(p2p_addr_parse(g_buf, len, g_back, P2P_ADDR_MAX_ENTRIES, &n_back) == AM_OK,
              "addr built does not parse");
    FZ_ASSERT(n_back == n_ok, "%zu entries back of %zu", n_back, n_ok);
    for (size_t i = 0; i < n_ok; i++)
        FZ_ASSERT(g_back[i].status == AM_OK && entry_eq(&g_back[i], &g_ok[i]),
                  "entry %zu changed", i);
}

/* The payload framed as `command` and read back whole by a reader. */
static void fuzz_framing(const char *command, const uint8_t *p, size_t n)
{
    const am_chain *chain = am_chain_get(AM_CHAIN_SIGNET);
    p2p_reader r;
    p2p_frame f;
    size_t len = 0, used = 0;
    int got = 0;

    if (p2p_frame_build(chain->magic, command, p, n, g_frame, sizeof g_frame, &len) != AM_OK)
        return;
    p2p_reader_init(&r, chain);
    FZ_ASSERT(p2p_reader_feed(&r, g_frame, len, &used, &f, &got) == AM_OK && got &&
                  used == len,
              "own frame of %zu bytes not read back", len);
    FZ_ASSERT(strcmp(f.command, command) == 0 && f.len == n &&
                  (n == 0 || memcmp(f.payload, p, n) == 0),
              "frame read back differs");
    p2p_reader_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const p2p_msg_type types[] = {
        P2P_MSG_VERSION, P2P_MSG_VERACK, P2P_MSG_PING, P2P_MSG_ADDR,
    };
    p2p_msg_type t;
    const uint8_t *p = data + 1;
    size_t n = size - 1;

    if (size < 1)
        return 0;
    t = types[data[0] % (sizeof types / sizeof types[0])];
    switch (t) {
    case P2P_MSG_VERSION: fuzz_version(p, n); break;
    case P2P_MSG_VERACK:
        FZ_ASSERT((p2p_empty_parse(p, n) == AM_OK) == (n == 0), "empty message");
        break;
    case P2P_MSG_PING: fuzz_nonce(p, n); break;
    case P2P_MSG_ADDR: fuzz_addr(p, n); break;
    case P2P_MSG_OTHER: case P2P_MSG_SENDADDRV2: case P2P_MSG_WTXIDRELAY:
    case P2P_MSG_PONG: case P2P_MSG_GETADDR: case P2P_MSG_ADDRV2:
        /* Same codecs as the ones above (or core's addrv2, which
         * fuzz_addrv2 covers). */
        break;
    }
    fuzz_framing(p2p_msg_command(t), p, n);
    return 0;
}
