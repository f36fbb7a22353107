/*
 * test_p2p_limits.c - the P2P face's limits under abuse: an addr above
 * 1000 entries, thousands of connections from one address, the total cap
 * (and the group cap, which loopback peers are not held to), a flood of
 * addr from one connection.  The daemon must keep the caps exactly, keep
 * answering HTTP while it is abused, and keep its memory bounded.  Each
 * case starts its own server.
 */
#include "it_api.h"
#include "it_p2p.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "am_error.h"

#if defined(__SANITIZE_ADDRESS__)
#define IT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IT_ASAN 1
#endif
#endif
#ifndef IT_ASAN
#define IT_ASAN 0
#endif

#define MANY_CONNECTIONS 2000
/* A wrapper (valgrind) makes the daemon some 50 times slower. */
#define FLOOD_MESSAGES (it_time_scale() > 1 ? 100 : 1000)
#define FLOOD_ENTRIES 1000
/* ASan keeps freed memory in quarantine (256 MiB by default); under a
 * wrapper the RSS is the wrapper's, so no bound then. */
#define FLOOD_RSS_MAX_KIB (it_time_scale() > 1 ? LONG_MAX : \
                           IT_ASAN ? 1024L * 1024 : 200L * 1024)
#define HTTP_SLOW_MS (2000L * it_time_scale())

static const char *const no_args[] = { NULL };

/* Milliseconds GET /healthz takes (fails the test unless 200). */
static long healthz_ms(it_server *s)
{
    long start = it_p2p_ms();
    it_resp *r = it_get(s, "/healthz");

    IT_STATUS(r, 200);
    it_resp_free(r);
    return it_p2p_ms() - start;
}

/* How many of fds[0..n) the daemon keeps open, once that number stops
 * falling to `want` or below (the closes of a burst take a moment). */
static int count_open(const int *fds, int n, int want)
{
    long deadline = it_p2p_ms() + 10000L * it_time_scale();
    int open, i;

    for (;;) {
        for (open = 0, i = 0; i < n; i++)
            open += fds[i] >= 0 && !it_p2p_fd_closed(fds[i]);
        if (open <= want || it_p2p_ms() > deadline)
            return open;
        it_p2p_sleep_ms(100);
    }
}

static void close_all(int *fds, int n)
{
    int i;

    for (i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* Open n connections; how many connect.  The slowest /healthz seen
 * meanwhile (one every 250 connections) into *slowest. */
static int dial_many(it_server *s, int port, int *fds, int n, long *slowest)
{
    int ok = 0, i;

    *slowest = 0;
    for (i = 0; i < n; i++) {
        fds[i] = it_p2p_dial(port, 2000);
        ok += fds[i] >= 0;
        if (i % 250 == 249) {
            long ms = healthz_ms(s);

            if (ms > *slowest)
                *slowest = ms;
        }
    }
    return ok;
}

/* ---- one message too big ------------------------------------------------- */

/* An addr (v2 = 0) or addrv2 payload of 1001 entries into a new buffer:
 * a builder's 1000, then the count patched and one more entry. */
static uint8_t *payload_1001(int v2, size_t *len)
{
    am_addrv2_entry *e = calloc(1001, sizeof *e);
    size_t cap = 3 + AM_ADDRV2_MAX_ENTRY_SIZE * 1001, n = 0, one = 0, i;
    uint8_t *buf = malloc(cap), extra[64];
    char host[IT_HOST_MAX];
    int rc;

    assert_non_null(e);
    assert_non_null(buf);
    for (i = 0; i < 1001; i++) {
        it_uniq_ipv4(host);
        it_p2p_entry(&e[i], host, 1, 0);
    }
    rc = v2 ? am_addrv2_encode(e, 1000, buf, cap, &n)
            : p2p_addr_build(e, 1000, buf, cap, &n);
    assert_int_equal(rc, AM_OK);
    rc = v2 ? am_addrv2_encode(&e[1000], 1, extra, sizeof extra, &one)
            : p2p_addr_build(&e[1000], 1, extra, sizeof extra, &one);
    assert_int_equal(rc, AM_OK);
    /* 1000 is fd e8 03; 1001 is fd e9 03; the extra's count is 1 byte. */
    assert_int_equal(buf[0], 0xfd);
    buf[1] = 0xe9;
    memcpy(buf + n, extra + 1, one - 1);
    *len = n + one - 1;
    free(e);
    return buf;
}

static void addr_of_1001_entries_closes_the_connection(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    const char *cmds[] = { "addr", "addrv2" };
    int v2;

    for (v2 = 0; v2 < 2; v2++) {
        size_t len;
        uint8_t *p = payload_1001(v2, &len);
        it_p2p c;

        it_p2p_open(&c, port, it_p2p_chain("main"));
        it_p2p_handshake(&c, v2, NULL);
        it_p2p_sync(&c);
        it_p2p_send_msg(&c, cmds[v2], p, len);
        free(p);
        if (it_p2p_wait_closed(&c, 2000L * it_time_scale()) < 0)
            fail_msg("%s of 1001 entries: the connection stays open",
                     cmds[v2]);
        it_p2p_close(&c);
        assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_CLOSED,
                                            "reason=\"too_many_addresses\"",
                                            v2 + 1, 5000), v2 + 1);
    }
    /* Refused whole: nothing of them was learned. */
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_LEARNED, ""), 0);
}

/* ---- connection caps ----------------------------------------------------- */

static void many_connections_from_one_address_keep_at_most_max_per_ip(
    void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--p2p-max-per-ip", "8", NULL };
    int port = it_p2p_start(s, "main", args);
    int *fds = calloc(MANY_CONNECTIONS, sizeof *fds), ok, open;
    long slowest, start = it_p2p_ms(), took, rss0, rss1;
    double limited;

    assert_non_null(fds);
    rss0 = it_p2p_status_kib(s, "VmRSS");
    ok = dial_many(s, port, fds, MANY_CONNECTIONS, &slowest);
    took = it_p2p_ms() - start;
    open = count_open(fds, MANY_CONNECTIONS, 8);
    print_message("%d of %d connections made in %ld ms, %d stay open, "
                  "slowest /healthz meanwhile %ld ms\n", ok, MANY_CONNECTIONS,
                  took, open, slowest);
    if (ok < MANY_CONNECTIONS / 2)
        fail_msg("only %d of %d connections could be made", ok,
                 MANY_CONNECTIONS);
    if (open != 8)
        fail_msg("%d connections from 127.0.0.1 stay open with "
                 "--p2p-max-per-ip 8, expected 8", open);
    if (slowest > HTTP_SLOW_MS)
        fail_msg("/healthz took %ld ms during the connection burst", slowest);
    limited = it_p2p_metric_wait(s, IT_P2P_M_CLOSED, "reason=\"limit_ip\"",
                                 ok - 8, 10000);
    assert_true(limited >= ok - 8);
    assert_true(it_p2p_metric(s, IT_P2P_M_ACCEPTED, "") >= ok);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CONNECTIONS,
                                   "state=\"handshake\""), 8);
    close_all(fds, MANY_CONNECTIONS);
    /* Every count went back down: the gauges reach 0 and the address may
     * hold 8 connections again. */
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_CLOSED,
                                        "reason=\"peer_closed\"", 8, 5000), 8);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CONNECTIONS, ""), 0);
    ok = dial_many(s, port, fds, 9, &slowest);
    assert_int_equal(ok, 9);
    open = count_open(fds, 9, 8);
    if (open != 8)
        fail_msg("after the burst closed, %d of 9 new connections stay open, "
                 "expected 8", open);
    close_all(fds, 9);
    free(fds);
    rss1 = it_p2p_status_kib(s, "VmRSS");
    print_message("RSS %ld KiB before the burst, %ld KiB after\n", rss0, rss1);
    assert_true(healthz_ms(s) < HTTP_SLOW_MS);
}

/* With `args`, of 10 connections `cap` stay open and the others are
 * counted as `reason`; after one closes, a new one is kept. */
static void check_cap(void **state, const char *const *args, int cap,
                      const char *reason)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", args);
    int fds[10], open, i, kept = -1;
    char labels[64];
    long slowest;

    assert_int_equal(dial_many(s, port, fds, 10, &slowest), 10);
    open = count_open(fds, 10, cap);
    if (open != cap)
        fail_msg("%d of 10 connections stay open, expected %d", open, cap);
    snprintf(labels, sizeof labels, "reason=\"%s\"", reason);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_CLOSED, labels, 10 - cap,
                                        5000), 10 - cap);
    for (i = 0; i < 10 && kept < 0; i++)
        if (!it_p2p_fd_closed(fds[i]))
            kept = i;
    close(fds[kept]);
    fds[kept] = -1;
    /* The daemon sees that close, then has room for one more. */
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_CLOSED,
                                        "reason=\"peer_closed\"", 1, 5000), 1);
    fds[kept] = it_p2p_dial(port, 2000);
    assert_true(fds[kept] >= 0);
    it_p2p_sleep_ms(300);
    assert_false(it_p2p_fd_closed(fds[kept]));
    assert_int_equal(count_open(fds, 10, cap), cap);
    close_all(fds, 10);
}

static void max_connections_total_is_kept(void **state)
{
    const char *const args[] = { "--p2p-max-connections", "4",
                                 "--p2p-max-per-ip", "0",
                                 "--p2p-max-per-group", "0", NULL };

    check_cap(state, args, 4, "limit_total");
}

/* The group cap is for routable peers: loopback clients on one host all
 * fall in 127.0/16, which would make one local proxy or test client lock
 * out every other local peer (p2p_face.h). */
static void loopback_peers_are_not_held_to_the_group_cap(void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--p2p-max-per-ip", "0",
                                 "--p2p-max-per-group", "2", NULL };
    int port = it_p2p_start(s, "main", args);
    int fds[10], open;
    long slowest;

    assert_int_equal(dial_many(s, port, fds, 10, &slowest), 10);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_ACCEPTED, "", 10, 5000),
                     10);
    it_p2p_sleep_ms(200);
    open = count_open(fds, 10, 10);
    if (open != 10)
        fail_msg("%d of 10 loopback connections stay open with "
                 "--p2p-max-per-group 2, expected all", open);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CLOSED,
                                   "reason=\"limit_group\""), 0);
    close_all(fds, 10);
}

/* Peers from 127.0.0.2, .3, .4: the per-IP cap, a ban and the source of
 * learned addresses are each the peer's own address. */
static void caps_bans_and_sources_are_per_peer_address(void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--p2p-max-per-ip", "1", NULL };
    int port = it_p2p_start(s, "regtest", args);
    const am_chain *rt = it_p2p_chain("regtest");
    char host[IT_HOST_MAX];
    am_addrv2_entry e;
    uint8_t buf[64];
    size_t len;
    it_p2p a, b, a2, banned;
    json_t *p;

    it_p2p_open_from(&a, "127.0.0.2", "127.0.0.1", port, rt);
    it_p2p_handshake(&a, 0, NULL);
    it_p2p_open_from(&b, "127.0.0.3", "127.0.0.1", port, rt);
    it_p2p_handshake(&b, 0, NULL);
    /* A second connection from .2 is over its cap; .3 is not touched. */
    it_p2p_open_from(&a2, "127.0.0.2", "127.0.0.1", port, rt);
    assert_true(it_p2p_wait_closed(&a2, 2000L * it_time_scale()) >= 0);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_CLOSED,
                                        "reason=\"limit_ip\"", 1, 5000), 1);
    /* A ban of .4 refuses .4 only. */
    json_decref(it_ban(s, "127.0.0.4"));
    it_p2p_open_from(&banned, "127.0.0.4", "127.0.0.1", port, rt);
    assert_true(it_p2p_wait_closed(&banned, 2000L * it_time_scale()) >= 0);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_CLOSED,
                                        "reason=\"banned\"", 1, 5000), 1);
    /* What .3 announces has .3 as its source. */
    it_uniq_ipv4(host);
    it_p2p_entry(&e, host, 1, 0);
    assert_int_equal(p2p_addr_build(&e, 1, buf, sizeof buf, &len), AM_OK);
    assert_int_equal(it_p2p_send_msg(&b, "addr", buf, len), 0);
    it_p2p_sync(&b);
    it_p2p_sync(&a);
    p = it_peer(s, host, 8333);
    IT_STREQ(IT_JSTR(p, "source"), "127.0.0.3");
    json_decref(p);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CONNECTIONS, "state=\"ready\""),
                     2);
    it_p2p_close(&a);
    it_p2p_close(&b);
    it_p2p_close(&a2);
    it_p2p_close(&banned);
}

/* ---- a flood of addr ----------------------------------------------------- */

typedef struct flood {
    it_p2p *c;
    int sent;                   /* messages sent */
    int pong;                   /* the closing ping was answered */
    long ms;                    /* from the first message to the pong */
    atomic_int done;               /* read by the main thread meanwhile */
} flood;

/* The entries of message m: 1000 distinct routable IPv4 peers. */
static void flood_entries(am_addrv2_entry *e, int m)
{
    char host[32];
    int i;

    for (i = 0; i < FLOOD_ENTRIES; i++) {
        snprintf(host, sizeof host, "%d.%d.%d.%d", 20 + m / 256, m % 256,
                 i >> 8, i & 255);
        memset(&e[i], 0, sizeof e[i]);
        am_addr_parse(&e[i].addr, host, 8333);
        e[i].services = 1;
        e[i].time = (uint32_t)time(NULL);
    }
}

/* The sender: no cmocka assertion here (not the test's thread). */
static void *flood_run(void *arg)
{
    flood *f = arg;
    am_addrv2_entry *e = calloc(FLOOD_ENTRIES, sizeof *e);
    size_t cap = P2P_HEADER_SIZE + P2P_ADDR_MAX_SIZE, plen, mlen;
    uint8_t *payload = malloc(P2P_ADDR_MAX_SIZE), *msg = malloc(cap);
    uint8_t nonce[P2P_NONCE_SIZE];
    long start = it_p2p_ms();
    p2p_frame fr;
    uint64_t got;
    int m;

    for (m = 0; e && payload && msg && m < FLOOD_MESSAGES; m++) {
        flood_entries(e, m);
        if (p2p_addr_build(e, FLOOD_ENTRIES, payload, P2P_ADDR_MAX_SIZE,
                           &plen) != AM_OK ||
            p2p_frame_build(f->c->chain->magic, "addr", payload, plen, msg,
                            cap, &mlen) != AM_OK ||
            it_p2p_send_raw(f->c, msg, mlen) != 0)
            break;
        f->sent++;
    }
    p2p_nonce_build(0xf100d, nonce);
    if (f->sent == FLOOD_MESSAGES &&
        p2p_frame_build(f->c->chain->magic, "ping", nonce, sizeof nonce, msg,
                        cap, &mlen) == AM_OK &&
        it_p2p_send_raw(f->c, msg, mlen) == 0)
        while (it_p2p_recv(f->c, &fr, 60000L * it_time_scale()) == 1)
            if (strcmp(fr.command, "pong") == 0 &&
                p2p_nonce_parse(fr.payload, fr.len, &got) == AM_OK &&
                got == 0xf100d) {
                f->pong = 1;
                break;
            }
    f->ms = it_p2p_ms() - start;
    free(e);
    free(payload);
    free(msg);
    atomic_store(&f->done, 1);
    return NULL;
}

static void addr_flood_from_one_connection_is_rate_limited_and_bounded(
    void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    long base, peak, ms, slowest = 0, opened;
    double learned, dropped, tokens, total = 1.0 * FLOOD_MESSAGES * FLOOD_ENTRIES;
    flood f = { 0 };
    pthread_t th;
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    opened = it_p2p_ms();
    it_p2p_handshake(&c, 0, NULL);
    base = it_p2p_status_kib(s, "VmRSS");
    f.c = &c;
    assert_int_equal(pthread_create(&th, NULL, flood_run, &f), 0);
    while (!atomic_load(&f.done)) {
        ms = healthz_ms(s);
        if (ms > slowest)
            slowest = ms;
        it_p2p_sleep_ms(50);
    }
    pthread_join(th, NULL);
    peak = it_p2p_status_kib(s, "VmHWM");
    tokens = 1 + 0.1 * (double)(it_p2p_ms() - opened) / 1000.0;
    learned = it_p2p_metric(s, IT_P2P_M_LEARNED, "");
    dropped = it_p2p_metric(s, IT_P2P_M_DROPPED, "reason=\"rate_limit\"");
    print_message("flood: %d msgs in %ld ms, pong %d, learned %.0f, dropped "
                  "%.0f, tokens <= %.1f, RSS %ld KiB before, peak (VmHWM) %ld KiB, "
                  "slowest /healthz %ld ms\n", f.sent, f.ms, f.pong, learned,
                  dropped, tokens, base, peak, slowest);
    if (f.sent != FLOOD_MESSAGES || !f.pong)
        fail_msg("the flood's connection failed: %d of %d messages sent, "
                 "pong %d", f.sent, FLOOD_MESSAGES, f.pong);
    if (learned > tokens + 1 || learned < 1)
        fail_msg("learned %.0f addresses from one connection; its tokens "
                 "allow at most %.1f", learned, tokens);
    if (dropped < total - tokens - 1)
        fail_msg("dropped (rate_limit) %.0f of %.0f", dropped, total);
    if (peak > FLOOD_RSS_MAX_KIB)
        fail_msg("RSS peaked at %ld KiB during the flood (bound %ld KiB)",
                 peak, FLOOD_RSS_MAX_KIB);
    if (slowest > HTTP_SLOW_MS)
        fail_msg("/healthz took %ld ms during the flood", slowest);
    /* A flood within the rules is not a fault: the connection lives. */
    it_p2p_sync(&c);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CLOSED, ""), 0);
    it_p2p_close(&c);
}

/* ---- a peer that does not read ------------------------------------------ */

#define PING_SIZE (P2P_HEADER_SIZE + P2P_NONCE_SIZE)
#define PINGS_PER_CHUNK 1024
#define NEVER_READS_MAX_BYTES (256L * 1024 * 1024)

/*
 * Pings sent without reading a pong: the daemon must stop reading once its
 * answers cannot leave (as Core does), not queue them without end.  Sends
 * until the socket stays full for 2 s; how many bytes went.
 */
static long send_until_stalled(it_p2p *c, const uint8_t *chunk, size_t len,
                               size_t *off)
{
    long sent = 0, last = it_p2p_ms();

    while (it_p2p_ms() - last < 2000L * it_time_scale() &&
           sent < NEVER_READS_MAX_BYTES) {
        ssize_t n = send(c->fd, chunk + *off, len - *off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n > 0) {
            sent += n;
            *off = (*off + (size_t)n) % len;
            last = it_p2p_ms();
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

            poll(&pfd, 1, 100);
        } else if (n < 0 && errno != EINTR) {
            fail_msg("the daemon closed a peer that does not read, after %ld "
                     "bytes: %s", sent, strerror(errno));
        }
    }
    return sent;
}

/* Read every pong owed while sending the rest of the last ping; the
 * number of pongs. */
static long drain_pongs(it_p2p *c, const uint8_t *chunk, size_t off,
                        long owed)
{
    size_t rest = off ? PING_SIZE - off % PING_SIZE : 0;
    long pongs = 0;
    p2p_frame f;

    while (pongs < owed) {
        int r;

        if (rest > 0) {
            ssize_t n = send(c->fd, chunk + off, rest,
                             MSG_NOSIGNAL | MSG_DONTWAIT);

            if (n > 0) {
                off += (size_t)n;
                rest -= (size_t)n;
            }
        }
        r = it_p2p_recv(c, &f, rest > 0 ? 10 : IT_P2P_IO_TIMEOUT_MS);
        if (r < 0)
            fail_msg("closed after %ld of %ld pongs", pongs, owed);
        if (r == 0 && rest == 0)
            fail_msg("only %ld of %ld pongs came", pongs, owed);
        if (r == 1 && strcmp(f.command, "pong") == 0)
            pongs++;
    }
    return pongs;
}

/* A stalled peer: c, after its handshake, has sent pings (from the
 * returned chunk, *off into it) until the daemon stopped reading; the
 * bytes sent into *sent. */
static uint8_t *stall(it_p2p *c, size_t *off, long *sent)
{
    uint8_t *chunk = malloc(PINGS_PER_CHUNK * PING_SIZE), *m;
    size_t k;
    int i;

    assert_non_null(chunk);
    for (i = 0; i < PINGS_PER_CHUNK; i++) {
        uint8_t nonce[P2P_NONCE_SIZE];

        p2p_nonce_build((uint64_t)i, nonce);
        m = it_p2p_frame(c, "ping", nonce, sizeof nonce, &k);
        memcpy(chunk + (size_t)i * PING_SIZE, m, PING_SIZE);
        free(m);
    }
    it_p2p_handshake(c, 0, NULL);
    it_p2p_sync(c);
    *off = 0;
    *sent = send_until_stalled(c, chunk, PINGS_PER_CHUNK * PING_SIZE, off);
    if (*sent >= NEVER_READS_MAX_BYTES)
        fail_msg("the daemon read %ld bytes of pings whose pongs could not "
                 "leave", *sent);
    return chunk;
}

static void peer_that_does_not_read_is_paused_not_buffered(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    long base, peak, sent, owed, pongs, ms;
    uint8_t *chunk;
    size_t off;
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    base = it_p2p_status_kib(s, "VmRSS");
    chunk = stall(&c, &off, &sent);
    ms = healthz_ms(s);
    peak = it_p2p_status_kib(s, "VmHWM");
    owed = (sent + PING_SIZE - 1) / PING_SIZE;
    print_message("a peer that does not read: %ld pings went before the "
                  "daemon stopped reading, RSS %ld KiB before, peak %ld KiB, "
                  "/healthz %ld ms\n", owed, base, peak, ms);
    if (peak > FLOOD_RSS_MAX_KIB)
        fail_msg("RSS peaked at %ld KiB (bound %ld KiB)", peak,
                 FLOOD_RSS_MAX_KIB);
    assert_true(ms < HTTP_SLOW_MS);
    /* Nothing was lost: every ping gets its pong once we read. */
    pongs = drain_pongs(&c, chunk, off, owed);
    assert_int_equal(pongs, owed);
    it_p2p_sync(&c);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CLOSED, ""), 0);
    it_p2p_close(&c);
    free(chunk);
}

/* A peer that resets (RST) while the daemon's write to it is pending. */
static void reset_with_a_write_in_flight_is_closed_cleanly(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    struct linger lg = { 1, 0 };
    double closed;
    long sent;
    size_t off;
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    free(stall(&c, &off, &sent));
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    it_p2p_close(&c);               /* close with SO_LINGER 0: a reset */
    closed = it_p2p_metric_wait(s, IT_P2P_M_CLOSED, "", 1, 5000);
    print_message("closed reasons after the reset: socket_error %.0f, "
                  "peer_closed %.0f\n",
                  it_p2p_metric(s, IT_P2P_M_CLOSED, "reason=\"socket_error\""),
                  it_p2p_metric(s, IT_P2P_M_CLOSED, "reason=\"peer_closed\""));
    assert_int_equal(closed, 1);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CONNECTIONS,
                                   "state=\"ready\""), 0);
    assert_true(healthz_ms(s) < HTTP_SLOW_MS);
    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 1, NULL);
    it_p2p_sync(&c);
    it_p2p_close(&c);
}

/* Shutdown with a write in flight that the peer will never take. */
static void sigterm_with_a_peer_that_does_not_read_exits_cleanly(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    long start, ms, sent;
    it_p2p c, idle;
    size_t off;
    int st;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_open(&idle, port, it_p2p_chain("main"));
    free(stall(&c, &off, &sent));
    start = it_p2p_ms();
    st = it_signal_wait(s, SIGTERM, IT_STOP_TIMEOUT_MS);
    ms = it_p2p_ms() - start;
    print_message("SIGTERM to exit with a stalled writer: %ld ms\n", ms);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("addrmand did not exit 0 within %d ms of SIGTERM while a "
                 "peer did not read (status %d)", IT_STOP_TIMEOUT_MS, st);
    if (ms > 3000L * it_time_scale())
        fail_msg("SIGTERM took %ld ms with a peer that does not read", ms);
    assert_true(it_p2p_wait_closed(&c, 5000) >= 0);
    assert_true(it_p2p_wait_closed(&idle, 1000) >= 0);
    it_p2p_close(&c);
    it_p2p_close(&idle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)
        T(addr_of_1001_entries_closes_the_connection),
        T(many_connections_from_one_address_keep_at_most_max_per_ip),
        T(max_connections_total_is_kept),
        T(loopback_peers_are_not_held_to_the_group_cap),
        T(caps_bans_and_sources_are_per_peer_address),
        T(addr_flood_from_one_connection_is_rate_limited_and_bounded),
        T(peer_that_does_not_read_is_paused_not_buffered),
        T(reset_with_a_write_in_flight_is_closed_cleanly),
        T(sigterm_with_a_peer_that_does_not_read_exits_cleanly),
#undef T
    };

    return IT_RUN(tests);
}
