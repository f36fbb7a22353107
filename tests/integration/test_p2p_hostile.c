/*
 * test_p2p_hostile.c - peers that break the P2P v1 protocol or abuse the
 * connection: wrong magic, a BIP324 v2 start, a bad checksum, a length
 * above the maximum, an old protocol, a banned address, a handshake in
 * one-byte writes, a slowloris handshake, a silent peer, and SIGTERM with
 * connections open.  Every fault closes the connection (without a reply
 * where the spec says so) with its reason counted in /metrics, and the
 * daemon keeps serving.  Each case starts its own server.
 */
#include "it_api.h"
#include "it_p2p.h"

#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "am_error.h"

#define CLOSE_MS (2000L * it_time_scale())   /* "closed at once" */
#define MAX_PAYLOAD_SPEC (256u * 1024u)
/* The daemon's clock for timeouts counts whole seconds and is read every
 * second: a 2 s timeout may fire a little after 1 s of real time. */
#define TIMEOUT_2S_EARLIEST_MS 900

static const char *const no_args[] = { NULL };

static double closed_for(it_server *s, const char *reason)
{
    char labels[64];

    snprintf(labels, sizeof labels, "reason=\"%s\"", reason);
    return it_p2p_metric_wait(s, IT_P2P_M_CLOSED, labels, 1, 5000);
}

/* The daemon closes c within CLOSE_MS having sent nothing. */
static void closed_without_reply(it_p2p *c, const char *what)
{
    long ms = it_p2p_wait_closed(c, CLOSE_MS);

    if (ms < 0)
        fail_msg("%s: the connection is still open after %ld ms", what,
                 CLOSE_MS);
    if (c->bytes_in != 0)
        fail_msg("%s: the daemon replied %zu bytes before closing", what,
                 c->bytes_in);
}

/* The daemon still serves: HTTP and a new P2P handshake. */
static void still_serves(it_server *s, int port, const char *chain)
{
    it_resp *r = it_get(s, "/healthz");
    it_p2p c;

    IT_STATUS(r, 200);
    it_resp_free(r);
    it_p2p_open(&c, port, it_p2p_chain(chain));
    it_p2p_handshake(&c, 1, NULL);
    it_p2p_sync(&c);
    it_p2p_close(&c);
}

/* ---- framing faults ------------------------------------------------------ */

static void wrong_magic_closes_without_reply(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    uint8_t v[P2P_VERSION_MAX_SIZE];
    size_t len = it_p2p_version_payload(IT_P2P_PROTOCOL, v, sizeof v);
    it_p2p c;

    /* A testnet4 node dialling a mainnet one. */
    it_p2p_open(&c, port, it_p2p_chain("testnet4"));
    it_p2p_send_msg(&c, "version", v, len);
    closed_without_reply(&c, "version with testnet4's magic");
    it_p2p_close(&c);
    assert_int_equal(closed_for(s, "wrong_magic"), 1);
    still_serves(s, port, "main");
}

/* An HTTP client on the P2P port, first thing or after a handshake. */
static void http_request_on_the_p2p_port_closes(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    const char *get = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    it_p2p c, d;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_send_raw(&c, get, strlen(get));
    closed_without_reply(&c, "an HTTP request");
    it_p2p_close(&c);
    it_p2p_open(&d, port, it_p2p_chain("main"));
    it_p2p_handshake(&d, 0, NULL);
    it_p2p_sync(&d);
    d.bytes_in = 0;
    it_p2p_send_raw(&d, get, strlen(get));
    closed_without_reply(&d, "an HTTP request after the handshake");
    it_p2p_close(&d);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_CLOSED,
                                        "reason=\"wrong_magic\"", 2, 5000), 2);
}

static void bip324_first_bytes_close_without_reply(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    const am_chain *main_chain = it_p2p_chain("main");
    uint8_t key[64];
    it_p2p c;

    /* A v2 transport starts with a 64-byte ElligatorSwift key: random
     * bytes, which Core's v2 peers make differ from the magic. */
    it_rand_bytes(key, sizeof key);
    if (key[0] == main_chain->magic[0])
        key[0] ^= 0x80;
    it_p2p_open(&c, port, main_chain);
    it_p2p_send_raw(&c, key, sizeof key);
    closed_without_reply(&c, "64 random bytes");
    it_p2p_close(&c);
    assert_int_equal(closed_for(s, "wrong_magic"), 1);
}

static void bad_checksum_closes_without_reply(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    uint8_t v[P2P_VERSION_MAX_SIZE], *msg;
    size_t len = it_p2p_version_payload(IT_P2P_PROTOCOL, v, sizeof v), n;
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    msg = it_p2p_frame(&c, "version", v, len, &n);
    msg[20] ^= 0x01;            /* the first checksum byte */
    it_p2p_send_raw(&c, msg, n);
    free(msg);
    closed_without_reply(&c, "version with a bad checksum");
    it_p2p_close(&c);
    assert_int_equal(closed_for(s, "bad_checksum"), 1);
    still_serves(s, port, "main");
}

/* Send only the header of `command` claiming `len` payload bytes. */
static void send_header(it_p2p *c, const char *command, uint32_t len)
{
    uint8_t h[P2P_HEADER_SIZE] = { 0 };

    memcpy(h, c->chain->magic, 4);
    memcpy(h + 4, command, strlen(command));
    h[16] = (uint8_t)len;
    h[17] = (uint8_t)(len >> 8);
    h[18] = (uint8_t)(len >> 16);
    h[19] = (uint8_t)(len >> 24);
    it_p2p_send_raw(c, h, sizeof h);
}

static void length_above_max_payload_closes_before_the_payload(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    it_p2p c, d;

    /* Above any maximum: the header alone must close it. */
    it_p2p_open(&c, port, it_p2p_chain("main"));
    send_header(&c, "version", 0xffffffffu);
    closed_without_reply(&c, "a header claiming 4 GiB");
    it_p2p_close(&c);
    assert_int_equal(closed_for(s, "too_large"), 1);
    /* Above the face's 256 KiB, after a handshake. */
    it_p2p_open(&d, port, it_p2p_chain("main"));
    it_p2p_handshake(&d, 0, NULL);
    it_p2p_sync(&d);
    d.bytes_in = 0;
    send_header(&d, "addr", MAX_PAYLOAD_SPEC + 1);
    closed_without_reply(&d, "an addr header claiming 256 KiB + 1");
    it_p2p_close(&d);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_CLOSED,
                                        "reason=\"too_large\"", 2, 5000), 2);
    still_serves(s, port, "main");
}

static void command_of_control_bytes_closes_without_reply(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    uint8_t h[P2P_HEADER_SIZE] = { 0 };
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    memcpy(h, c.chain->magic, 4);
    memcpy(h + 4, "ver\001ion", 7);
    it_p2p_send_raw(&c, h, sizeof h);
    closed_without_reply(&c, "a command with a control byte");
    it_p2p_close(&c);
    assert_int_equal(closed_for(s, "bad_command"), 1);
}

static void version_that_does_not_parse_closes_without_reply(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    uint8_t v[P2P_VERSION_MAX_SIZE + 64];
    size_t len = it_p2p_version_payload(IT_P2P_PROTOCOL, v, sizeof v);
    it_p2p c, d;

    /* Cut inside the addresses. */
    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_send_msg(&c, "version", v, 40);
    closed_without_reply(&c, "a version of 40 bytes");
    it_p2p_close(&c);
    /* A relay byte of 2: neither 0 nor 1. */
    v[len - 1] = 2;
    it_p2p_open(&d, port, it_p2p_chain("main"));
    it_p2p_send_msg(&d, "version", v, len);
    closed_without_reply(&d, "a version with relay byte 2");
    it_p2p_close(&d);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_CLOSED,
                                        "reason=\"bad_message\"", 2, 5000), 2);
    still_serves(s, port, "main");
}

static void message_of_the_max_payload_is_read_and_ignored(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    uint8_t *big = calloc(1, MAX_PAYLOAD_SPEC);
    it_p2p c;

    assert_non_null(big);
    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 0, NULL);
    /* Like a stock node's headers: a command the face does not read. */
    assert_int_equal(it_p2p_send_msg(&c, "headers", big, MAX_PAYLOAD_SPEC), 0);
    it_p2p_sync(&c);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CLOSED, ""), 0);
    it_p2p_close(&c);
    free(big);
}

static void old_protocol_version_closes_without_reply(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    it_p2p c;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_send_version(&c, 60000);
    closed_without_reply(&c, "version 60000");
    it_p2p_close(&c);
    assert_int_equal(closed_for(s, "old_version"), 1);
}

/* ---- who and when -------------------------------------------------------- */

static void banned_client_address_is_closed_at_once(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "regtest", no_args);
    it_p2p c, d;

    json_decref(it_ban(s, "127.0.0.1"));
    it_p2p_open(&c, port, it_p2p_chain("regtest"));
    it_p2p_send_version(&c, IT_P2P_PROTOCOL);
    closed_without_reply(&c, "a connection from a banned address");
    it_p2p_close(&c);
    assert_int_equal(closed_for(s, "banned"), 1);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_MESSAGES,
                                   "direction=\"out\",command=\"version\""), 0);
    /* Lifted: the next connection is served. */
    assert_int_equal(it_unban(s, "127.0.0.1"), 204);
    it_p2p_open(&d, port, it_p2p_chain("regtest"));
    it_p2p_handshake(&d, 0, NULL);
    it_p2p_sync(&d);
    it_p2p_close(&d);
}

/* As Core's setban: a ban covers the peers already connected too, within
 * the face's one-second tick. */
static void ban_of_a_connected_peer_closes_it(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "regtest", no_args);
    it_p2p c;

    it_p2p_open_from(&c, "127.0.0.9", "127.0.0.1", port,
                     it_p2p_chain("regtest"));
    it_p2p_handshake(&c, 0, NULL);
    it_p2p_sync(&c);
    json_decref(it_ban(s, "127.0.0.9"));
    if (it_p2p_wait_closed(&c, 3000L * it_time_scale()) < 0)
        fail_msg("a peer banned while connected stays connected 3 s later");
    it_p2p_close(&c);
    assert_int_equal(closed_for(s, "banned"), 1);
}

static void handshake_in_one_byte_writes_works(void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    uint8_t v[P2P_VERSION_MAX_SIZE], all[1024], nonce[P2P_NONCE_SIZE];
    size_t len = it_p2p_version_payload(IT_P2P_PROTOCOL, v, sizeof v), n = 0;
    const char *cmds[] = { "version", "sendaddrv2", "verack", "ping" };
    const uint8_t *payloads[] = { v, NULL, NULL, nonce };
    size_t lens[] = { len, 0, 0, sizeof nonce }, i, k;
    uint64_t got = 0;
    p2p_frame f;
    it_p2p c;

    p2p_nonce_build(0x5555aaaa5555aaaaULL, nonce);
    it_p2p_open(&c, port, it_p2p_chain("main"));
    for (i = 0; i < 4; i++) {
        uint8_t *m = it_p2p_frame(&c, cmds[i], payloads[i], lens[i], &k);

        assert_true(n + k <= sizeof all);
        memcpy(all + n, m, k);
        n += k;
        free(m);
    }
    assert_int_equal(it_p2p_send_bytewise(&c, all, n, 1), 0);
    it_p2p_await_answer(&c, NULL);
    assert_int_equal(it_p2p_expect(&c, "pong", &f, IT_P2P_IO_TIMEOUT_MS,
                                   NULL), 1);
    assert_int_equal(p2p_nonce_parse(f.payload, f.len, &got), AM_OK);
    assert_true(got == 0x5555aaaa5555aaaaULL);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CONNECTIONS,
                                   "state=\"ready\""), 1);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CLOSED, ""), 0);
    it_p2p_close(&c);
}

/* Milliseconds since `start` when fd closed, kept in *at (once). */
static void note_close(int fd, long start, long *at)
{
    if (*at < 0 && it_p2p_fd_closed(fd))
        *at = it_p2p_ms() - start;
}

static void slowloris_handshake_is_closed_after_handshake_timeout(void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--p2p-handshake-timeout", "2", NULL };
    int port = it_p2p_start(s, "main", args);
    uint8_t v[P2P_VERSION_MAX_SIZE], *msg;
    size_t len = it_p2p_version_payload(IT_P2P_PROTOCOL, v, sizeof v), n;
    size_t sent = 0;
    long start, at[3] = { -1, -1, -1 }, limit = 8000L * it_time_scale();
    it_p2p silent, drip, no_verack;
    int i;

    it_p2p_open(&silent, port, it_p2p_chain("main"));
    it_p2p_open(&drip, port, it_p2p_chain("main"));
    it_p2p_open(&no_verack, port, it_p2p_chain("main"));
    start = it_p2p_ms();
    msg = it_p2p_frame(&drip, "version", v, len, &n);
    assert_int_equal(it_p2p_send_version(&no_verack, IT_P2P_PROTOCOL), 0);
    it_p2p_await_answer(&no_verack, NULL);
    /* One byte of version a second on `drip`, while watching all three. */
    while ((at[0] < 0 || at[1] < 0 || at[2] < 0) &&
           it_p2p_ms() - start < limit) {
        if (at[1] < 0 && sent < n && (long)sent * 1000 <= it_p2p_ms() - start)
            if (it_p2p_send_raw(&drip, msg + sent, 1) == 0)
                sent++;
        note_close(silent.fd, start, &at[0]);
        note_close(drip.fd, start, &at[1]);
        note_close(no_verack.fd, start, &at[2]);
        it_p2p_sleep_ms(20);
    }
    free(msg);
    print_message("closed after %ld ms (silent), %ld ms (drip, %zu bytes "
                  "sent), %ld ms (no verack)\n", at[0], at[1], sent, at[2]);
    for (i = 0; i < 3; i++) {
        if (at[i] < 0)
            fail_msg("connection %d (silent, drip, no verack) still open "
                     "after %ld ms with --p2p-handshake-timeout 2", i, limit);
        if (at[i] < TIMEOUT_2S_EARLIEST_MS)
            fail_msg("connection %d closed after %ld ms, before the 2 s "
                     "handshake timeout", i, at[i]);
    }
    it_p2p_close(&silent);
    it_p2p_close(&drip);
    it_p2p_close(&no_verack);
    assert_int_equal(it_p2p_metric_wait(s, IT_P2P_M_CLOSED,
                                        "reason=\"handshake_timeout\"", 3,
                                        5000), 3);
    still_serves(s, port, "main");
}

static void idle_peer_is_closed_after_idle_timeout(void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--p2p-idle-timeout", "2", NULL };
    int port = it_p2p_start(s, "main", args);
    long ms;
    it_p2p c;
    int i;

    it_p2p_open(&c, port, it_p2p_chain("main"));
    it_p2p_handshake(&c, 0, NULL);
    /* A peer that talks is not idle: 4 s of pings, 0.7 s apart. */
    for (i = 0; i < 6; i++) {
        it_p2p_sleep_ms(700);
        it_p2p_sync(&c);
    }
    ms = it_p2p_wait_closed(&c, 8000L * it_time_scale());
    if (ms < 0)
        fail_msg("a silent peer is still open 8 s after its last message "
                 "with --p2p-idle-timeout 2");
    print_message("a silent ready peer closed after %ld ms\n", ms);
    if (ms < TIMEOUT_2S_EARLIEST_MS)
        fail_msg("a silent peer was closed after %ld ms, before the 2 s idle "
                 "timeout", ms);
    it_p2p_close(&c);
    assert_int_equal(closed_for(s, "idle"), 1);
}

/* ---- both faces at once ----------------------------------------------- */

typedef struct http_load {
    it_server *s;
    atomic_int stop;               /* the main thread sets it */
    int requests, failures;
    char failure[IT_PATH_MAX + 200];
} http_load;

/* Adds, selections and metrics over HTTP on a handle of its own, until
 * told to stop; no cmocka assertion here (not the test's thread). */
static void *http_run(void *arg)
{
    http_load *h = arg;
    CURL *curl = curl_easy_init();
    char body[256], host[IT_HOST_MAX];
    int k = 0;

    while (curl != NULL && !atomic_load(&h->stop)) {
        it_req rq = { .method = "POST", .content_type = "application/json" };
        it_resp *r;

        if (k % 3 == 0) {
            it_uniq_ipv4(host);
            snprintf(body, sizeof body, "{\"peers\": [{\"address\": "
                     "\"%s\", \"services\": 1}]}", host);
            rq.path = "/v1/peers";
        } else if (k % 3 == 1) {
            snprintf(body, sizeof body, "{\"count\": 4}");
            rq.path = "/v1/select";
        } else {
            rq.method = "GET";
            rq.path = "/metrics";
            rq.content_type = NULL;
        }
        rq.body = rq.content_type ? body : NULL;
        rq.body_len = rq.content_type ? strlen(body) : 0;
        r = it_do(h->s, curl, &rq);
        h->requests++;
        if (r->status != 200 && h->failures++ == 0)
            snprintf(h->failure, sizeof h->failure, "%s: HTTP %ld %.120s",
                     r->what, r->status, r->body);
        it_resp_free(r);
        k++;
    }
    if (curl != NULL)
        curl_easy_cleanup(curl);
    return NULL;
}

/* One round: `n` peers connect, each announces one address, asks getaddr
 * and pings; all at once. */
static void p2p_round(int port, int n)
{
    it_p2p *c = calloc((size_t)n, sizeof *c);
    am_addrv2_entry e;
    uint8_t buf[64];
    char host[IT_HOST_MAX];
    size_t len;
    p2p_frame f;
    int i;

    assert_non_null(c);
    for (i = 0; i < n; i++) {
        it_p2p_open(&c[i], port, it_p2p_chain("main"));
        assert_int_equal(it_p2p_send_version(&c[i], IT_P2P_PROTOCOL), 0);
        if (i % 2)
            assert_int_equal(it_p2p_send_msg(&c[i], "sendaddrv2", NULL, 0), 0);
    }
    for (i = 0; i < n; i++) {
        it_p2p_await_answer(&c[i], NULL);
        it_uniq_ipv4(host);
        it_p2p_entry(&e, host, 1, 0);
        assert_int_equal(p2p_addr_build(&e, 1, buf, sizeof buf, &len), AM_OK);
        assert_int_equal(it_p2p_send_msg(&c[i], "verack", NULL, 0), 0);
        assert_int_equal(it_p2p_send_msg(&c[i], "addr", buf, len), 0);
        assert_int_equal(it_p2p_send_msg(&c[i], "getaddr", NULL, 0), 0);
    }
    for (i = 0; i < n; i++) {
        if (it_p2p_expect(&c[i], i % 2 ? "addrv2" : "addr", &f,
                          IT_P2P_IO_TIMEOUT_MS, NULL) != 1)
            fail_msg("connection %d of the round: no getaddr answer", i);
        it_p2p_sync(&c[i]);
    }
    for (i = 0; i < n; i++)
        it_p2p_close(&c[i]);
    free(c);
}

static void p2p_peers_and_http_clients_together_keep_the_pool_sound(
    void **state)
{
    it_server *s = *state;
    const char *const args[] = { "--p2p-max-per-ip", "0",
                                 "--p2p-max-per-group", "0", NULL };
    int port = it_p2p_start(s, "main", args), round;
    http_load h = { .s = s };
    double learned, refused;
    pthread_t th;

    assert_int_equal(pthread_create(&th, NULL, http_run, &h), 0);
    for (round = 0; round < 10; round++)
        p2p_round(port, 10);
    atomic_store(&h.stop, 1);
    pthread_join(th, NULL);
    learned = it_p2p_metric(s, IT_P2P_M_LEARNED, "");
    refused = it_p2p_metric(s, IT_P2P_M_DROPPED, "reason=\"refused\"");
    print_message("100 P2P peers beside %d HTTP requests: learned %.0f, "
                  "refused %.0f\n", h.requests, learned, refused);
    if (h.failures > 0)
        fail_msg("%d of %d HTTP requests failed; the first: %s", h.failures,
                 h.requests, h.failure);
    assert_int_equal(learned + refused, 100);
    assert_true(learned >= 90);
    assert_int_equal(it_p2p_metric(s, IT_P2P_M_CLOSED, ""),
                     it_p2p_metric_wait(s, IT_P2P_M_CLOSED,
                                        "reason=\"peer_closed\"", 100, 5000));
    /* The teardown's GET /debug/check checks the pool's consistency. */
}

static void sigterm_with_open_connections_exits_cleanly_and_closes_them(
    void **state)
{
    it_server *s = *state;
    int port = it_p2p_start(s, "main", no_args);
    long start, ms;
    it_p2p c[3];
    int st, i;

    for (i = 0; i < 3; i++)
        it_p2p_open(&c[i], port, it_p2p_chain("main"));
    it_p2p_handshake(&c[0], 1, NULL);
    it_p2p_handshake(&c[1], 0, NULL);
    it_p2p_sync(&c[1]);
    /* c[2] stays mid-handshake: connected, silent. */
    start = it_p2p_ms();
    st = it_signal_wait(s, SIGTERM, IT_STOP_TIMEOUT_MS);
    ms = it_p2p_ms() - start;
    if (st == -1)
        fail_msg("addrmand did not exit within %d ms of SIGTERM with 3 P2P "
                 "connections open", IT_STOP_TIMEOUT_MS);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("addrmand ended with status %d after SIGTERM, expected "
                 "exit 0", st);
    if (ms > 3000L * it_time_scale())
        fail_msg("SIGTERM took %ld ms with P2P connections open", ms);
    for (i = 0; i < 3; i++)
        if (it_p2p_wait_closed(&c[i], 1000) < 0)
            fail_msg("connection %d is still open after the daemon exited", i);
    for (i = 0; i < 3; i++)
        it_p2p_close(&c[i]);
    print_message("SIGTERM to exit with 3 P2P connections: %ld ms\n", ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)
        T(wrong_magic_closes_without_reply),
        T(http_request_on_the_p2p_port_closes),
        T(bip324_first_bytes_close_without_reply),
        T(bad_checksum_closes_without_reply),
        T(length_above_max_payload_closes_before_the_payload),
        T(command_of_control_bytes_closes_without_reply),
        T(version_that_does_not_parse_closes_without_reply),
        T(message_of_the_max_payload_is_read_and_ignored),
        T(old_protocol_version_closes_without_reply),
        T(banned_client_address_is_closed_at_once),
        T(ban_of_a_connected_peer_closes_it),
        T(handshake_in_one_byte_writes_works),
        T(slowloris_handshake_is_closed_after_handshake_timeout),
        T(idle_peer_is_closed_after_idle_timeout),
        T(p2p_peers_and_http_clients_together_keep_the_pool_sound),
        T(sigterm_with_open_connections_exits_cleanly_and_closes_them),
#undef T
    };

    return IT_RUN(tests);
}
