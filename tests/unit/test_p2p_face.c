/*
 * test_p2p_face.c - the P2P face in-process, over loopback sockets: the
 * getaddr cache (kept while the pool barely changes, drawn again once a
 * short answer's pool has grown by a quarter), the per-address cap, and a
 * stop that closes open connections.  The daemon's options and every
 * hostile case are tested against the real binary in
 * tests/integration/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "am_error.h"
#include "p2p_face.h"
#include "p2p_frame.h"
#include "p2p_msg.h"

typedef struct fixture {
    am_man *core;
    st_pool *pool;
    p2p_face *face;
    int port;
    uint32_t next_host;
} fixture;

static const am_chain *regtest(void)
{
    return am_chain_get(AM_CHAIN_REGTEST);
}

static void start_face(fixture *f, unsigned per_ip)
{
    p2p_face_config fc;
    char err[200];
    const char *addr, *colon;

    p2p_face_config_default(&fc, regtest());
    fc.host = "127.0.0.1";
    fc.port = "0";
    fc.max_per_ip = per_ip;
    assert_int_equal(p2p_face_new(&fc, f->pool, &f->face, err, sizeof err), AM_OK);
    assert_int_equal(p2p_face_start(f->face), AM_OK);
    addr = p2p_face_address(f->face);
    colon = strrchr(addr, ':');
    assert_non_null(colon);
    f->port = atoi(colon + 1);
    assert_true(f->port > 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    am_config ac;
    st_pool_config pc;

    am_config_default(&ac);
    /* A fixed bucketing key: add_peers requires every peer to get in, and
     * with a random key two of 52 peers meet in one new slot (the second
     * turned away) about one run in 50. */
    ac.have_key = 1;
    memset(ac.key, 0x5a, sizeof ac.key);
    assert_int_equal(am_new(&ac, &f->core), AM_OK);
    memset(&pc, 0, sizeof pc);
    pc.core = f->core;
    assert_int_equal(st_pool_new(&pc, &f->pool), AM_OK);
    f->next_host = 1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    p2p_face_free(f->face);
    st_pool_free(f->pool);
    am_free(f->core);
    free(f);
    return 0;
}

/* n routable peers with NODE_NETWORK, each in a /16 of its own. */
static void add_peers(fixture *f, size_t n)
{
    st_add *it = calloc(n, sizeof *it);
    uint8_t b[4];
    int jrc;

    for (size_t i = 0; i < n; i++, f->next_host++) {
        b[0] = (uint8_t)(20 + f->next_host / 250);
        b[1] = (uint8_t)(f->next_host % 250);
        b[2] = 1;
        b[3] = 1;
        assert_int_equal(am_addr_from_bytes(&it[i].addr, AM_NET_IPV4, b, 4, 8333),
                         AM_OK);
        it[i].services = 1;
    }
    assert_int_equal(st_pool_add(f->pool, it, n, NULL, &jrc), AM_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(it[i].rc, AM_OK);
    free(it);
}

/* ---- a minimal peer ---------------------------------------------------- */

static int dial(int port)
{
    struct sockaddr_in a;
    int s = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(s >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof a), 0);
    return s;
}

static void send_msg(int s, const char *command, const uint8_t *payload,
                     size_t len)
{
    uint8_t buf[512];
    size_t n = 0;

    assert_int_equal(p2p_frame_build(regtest()->magic, command, payload, len,
                                      buf, sizeof buf, &n), AM_OK);
    assert_int_equal(send(s, buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* What one connection received and has not read yet. */
static uint8_t g_buf[65536];
static size_t g_have, g_pos;

/* The next message: its command, its payload copied to out (at most cap
 * bytes): 1, or 0 when the connection ended or 5 s passed. */
static int recv_msg(int s, p2p_reader *r, char command[13], uint8_t *out,
                    size_t cap, size_t *len)
{
    uint8_t *buf = g_buf;
    size_t *have = &g_have, *pos = &g_pos;

    for (;;) {
        while (*pos < *have) {
            p2p_frame fr;
            size_t used = 0;
            int got = 0;

            assert_int_equal(p2p_reader_feed(r, buf + *pos, *have - *pos, &used,
                                             &fr, &got), AM_OK);
            *pos += used;
            if (got) {
                strcpy(command, fr.command);
                *len = fr.len < cap ? fr.len : cap;
                memcpy(out, fr.payload, *len);
                return 1;
            }
        }
        struct pollfd p = {.fd = s, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1)
            return 0;
        ssize_t n = recv(s, buf, sizeof g_buf, 0);
        if (n <= 0)
            return 0;
        *have = (size_t)n;
        *pos = 0;
    }
}

/* Handshake and getaddr; the number of addr entries answered. */
static size_t getaddr_count(fixture *f)
{
    static uint8_t payload[P2P_ADDR_MAX_SIZE];
    static am_addrv2_entry e[P2P_ADDR_MAX_ENTRIES];
    p2p_version v;
    p2p_reader r;
    char cmd[13];
    size_t len = 0, n = 0;
    int s = dial(f->port);

    g_have = g_pos = 0;               /* a new connection */
    memset(&v, 0, sizeof v);
    v.version = 70016;
    v.timestamp = (int64_t)time(NULL);
    v.has_relay = 1;
    assert_int_equal(p2p_version_build(&v, payload, sizeof payload, &len), AM_OK);
    send_msg(s, "version", payload, len);
    send_msg(s, "verack", NULL, 0);
    send_msg(s, "getaddr", NULL, 0);
    p2p_reader_init(&r, regtest());
    while (recv_msg(s, &r, cmd, payload, sizeof payload, &len)) {
        if (strcmp(cmd, "addr") == 0) {
            assert_int_equal(p2p_addr_parse(payload, len, e, P2P_ADDR_MAX_ENTRIES, &n),
                             AM_OK);
            p2p_reader_free(&r);
            close(s);
            return n;
        }
    }
    fail_msg("no addr answer");
    return 0;
}

/* 1 when the peer's side sees the connection end within 5 s. */
static int closed_by_face(int s)
{
    struct pollfd p = {.fd = s, .events = POLLIN};
    uint8_t b[64];

    if (poll(&p, 1, 5000) != 1)
        return 0;
    return recv(s, b, sizeof b, 0) == 0;
}

/* ---- tests ------------------------------------------------------------- */

static void test_short_answer_is_redrawn_once_the_pool_grows_by_a_quarter(void **state)
{
    fixture *f = *state;

    add_peers(f, 40);
    start_face(f, 0);
    assert_int_equal(getaddr_count(f), 40);
    add_peers(f, 8);                  /* 48: a fifth more, the answer stays */
    assert_int_equal(getaddr_count(f), 40);
    add_peers(f, 4);                  /* 52: more than a quarter */
    assert_int_equal(getaddr_count(f), 52);
}

static void test_empty_pool_answers_empty_then_the_first_peers(void **state)
{
    fixture *f = *state;

    start_face(f, 0);
    assert_int_equal(getaddr_count(f), 0);
    add_peers(f, 3);
    assert_int_equal(getaddr_count(f), 3);
}

static void test_connections_over_the_per_address_cap_are_closed(void **state)
{
    fixture *f = *state;
    int s[3];

    start_face(f, 2);
    for (int i = 0; i < 3; i++)
        s[i] = dial(f->port);
    /* The third is refused without a byte; the first two stay open. */
    assert_true(closed_by_face(s[2]));
    struct pollfd p = {.fd = s[0], .events = POLLIN};
    assert_int_equal(poll(&p, 1, 300), 0);
    for (int i = 0; i < 3; i++)
        close(s[i]);
}

static void test_stop_closes_open_connections_and_counts_them(void **state)
{
    fixture *f = *state;
    js_buf b;
    int s;

    start_face(f, 0);
    s = dial(f->port);
    usleep(100 * 1000);               /* the loop accepts it */
    p2p_face_stop(f->face);
    assert_true(closed_by_face(s));
    close(s);
    js_buf_init(&b);
    p2p_face_metrics(f->face, &b);
    js_buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "addrmand_p2p_closed_total{reason=\"shutdown\"} 1\n"));
    assert_non_null(strstr(b.data, "addrmand_p2p_accepted_total 1\n"));
    assert_non_null(strstr(b.data, "addrmand_p2p_connections{state=\"handshake\"} 0\n"));
    js_buf_free(&b);
}

static void test_a_ban_closes_open_connections_and_refuses_new_ones(void **state)
{
    fixture *f = *state;
    am_subnet net;
    am_ban ban;
    js_buf b;
    int s, jrc;

    start_face(f, 0);
    s = dial(f->port);
    assert_int_equal(am_subnet_parse(&net, "127.0.0.1"), AM_OK);
    assert_int_equal(st_pool_ban(f->pool, &net, 3600, "test", &ban, &jrc), AM_OK);
    assert_true(closed_by_face(s));   /* within the face's 1 s tick */
    close(s);
    s = dial(f->port);
    assert_true(closed_by_face(s));
    close(s);
    js_buf_init(&b);
    p2p_face_metrics(f->face, &b);
    js_buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "addrmand_p2p_closed_total{reason=\"banned\"} 2\n"));
    js_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_short_answer_is_redrawn_once_the_pool_grows_by_a_quarter, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_empty_pool_answers_empty_then_the_first_peers, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_connections_over_the_per_address_cap_are_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_stop_closes_open_connections_and_counts_them, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_a_ban_closes_open_connections_and_refuses_new_ones, setup,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
