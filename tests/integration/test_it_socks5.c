/*
 * test_it_socks5.c - the prober's test helpers together: p2p_socks (the
 * SOCKS5 client codec) driven by a blocking client through it_socks5 (the
 * tests' proxy) to it_fake peers, a P2P handshake and getaddr through the
 * tunnel, and every fake mode once from a plain socket.
 */
#include "it_fake.h"
#include "it_p2p.h"
#include "it_socks5.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "am_error.h"
#include "p2p_socks.h"

#define ONION "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
#define UNMAPPED "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcd.onion"
#define SLOW_MS 300

enum { F_V2, F_V1, F_CLOSED, F_NO_ACCEPT, F_RESET, F_GARBAGE, F_WRONG_MAGIC,
       F_SILENT, F_SLOW, F_COUNT, F_QUICK, F_N };

static const char *const answer_v2[] = {"1.2.3.4:8333", "[2001:db8::5]:8333",
                                        ONION ":8333"};
static const char *const answer_v1[] = {"5.6.7.8:18444", ONION ":8333"};

typedef struct world {
    const am_chain *chain;
    it_fakes *fakes;
    it_socks5 *proxy;
} world;

static int setup(void **state)
{
    static world w;
    it_fake_spec specs[F_N];
    memset(specs, 0, sizeof specs);
    specs[F_V2] = (it_fake_spec){IT_FAKE_GOOD, "127.10.1.1", 1033, 0, 1, 0,
                                 answer_v2, 3};
    specs[F_V1] = (it_fake_spec){IT_FAKE_GOOD, "127.10.2.1", 9, 70015, 0, 0,
                                 answer_v1, 2};
    specs[F_CLOSED] = (it_fake_spec){.mode = IT_FAKE_CLOSED, .host = "127.10.3.1"};
    specs[F_NO_ACCEPT] = (it_fake_spec){.mode = IT_FAKE_NO_ACCEPT,
                                        .host = "127.10.4.1"};
    specs[F_RESET] = (it_fake_spec){.mode = IT_FAKE_RESET, .host = "127.10.5.1"};
    specs[F_GARBAGE] = (it_fake_spec){.mode = IT_FAKE_GARBAGE, .host = "127.10.6.1"};
    specs[F_WRONG_MAGIC] = (it_fake_spec){.mode = IT_FAKE_WRONG_MAGIC,
                                          .host = "127.10.7.1", .services = 9};
    specs[F_SILENT] = (it_fake_spec){.mode = IT_FAKE_SILENT, .host = "127.10.8.1"};
    specs[F_SLOW] = (it_fake_spec){.mode = IT_FAKE_SLOW, .host = "127.10.9.1",
                                   .services = 9, .delay_ms = SLOW_MS};
    specs[F_COUNT] = (it_fake_spec){.mode = IT_FAKE_GOOD, .services = 9};
    specs[F_QUICK] = (it_fake_spec){.mode = IT_FAKE_SILENT, .host = "127.10.10.1"};
    w.chain = it_p2p_chain("regtest");
    w.fakes = it_fakes_start(w.chain, specs, F_N);
    w.proxy = it_socks5_start();
    if (!w.fakes || !w.proxy)
        return -1;
    *state = &w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    it_socks5_stop(w->proxy);
    it_fakes_stop(w->fakes);
    return 0;
}

/* ---- a blocking SOCKS5 client over p2p_socks ------------------------------- */

/* Connect to the proxy and run s to its end; the tunnel in c, with the
 * bytes that came after the reply left in c->in for the P2P reader. */
static p2p_socks_status socks_open(world *w, p2p_socks *s, it_p2p *c)
{
    it_p2p_open(c, it_socks5_port(w->proxy), w->chain);
    while (p2p_socks_get_status(s) == P2P_SOCKS_PENDING) {
        const uint8_t *p;
        size_t len, used = 0;
        p2p_socks_output(s, &p, &len);
        if (len) {
            assert_int_equal(it_p2p_send_raw(c, p, len), 0);
            p2p_socks_consumed(s, len);
        }
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        assert_int_equal(poll(&pfd, 1, (int)IT_P2P_IO_TIMEOUT_MS), 1);
        ssize_t n = recv(c->fd, c->in, sizeof c->in, 0);
        if (n <= 0)
            fail_msg("the proxy closed during the handshake (%s)",
                     n < 0 ? strerror(errno) : "EOF");
        assert_int_equal(p2p_socks_feed(s, c->in, (size_t)n, &used), AM_OK);
        c->in_off = used;
        c->in_len = (size_t)n;
    }
    return p2p_socks_get_status(s);
}

/* Our version, the fake's version and verack (its sendaddrv2 between when
 * `v2`), our verack: the fake's version into *theirs. */
static void handshake_v1(it_p2p *c, p2p_version *theirs)
{
    p2p_frame f;
    assert_int_equal(it_p2p_send_version(c, IT_P2P_PROTOCOL), 0);
    assert_int_equal(it_p2p_expect(c, "version", &f, IT_P2P_IO_TIMEOUT_MS, NULL), 1);
    assert_int_equal(p2p_version_parse(f.payload, f.len, theirs), AM_OK);
    const char *const no_v2[] = {"sendaddrv2", NULL};
    assert_int_equal(it_p2p_expect(c, "verack", &f, IT_P2P_IO_TIMEOUT_MS, no_v2), 1);
    assert_int_equal(it_p2p_send_msg(c, "verack", NULL, 0), 0);
}

/* Poll until every contact of fake i is closed (the fake saw our close). */
static void wait_contacts_closed(world *w, size_t i, size_t want)
{
    int64_t opened[16], closed[16];
    for (int tries = 0; tries < 200; tries++) {
        size_t n = it_fakes_contacts(w->fakes, i, opened, closed, 16);
        assert_int_equal(n, want);
        int open = 0;
        for (size_t j = 0; j < n; j++)
            open += closed[j] == 0;
        if (!open) {
            for (size_t j = 0; j < n; j++)
                assert_true(opened[j] > 0 && closed[j] >= opened[j]);
            return;
        }
        it_p2p_sleep_ms(10);
    }
    fail_msg("fake %zu still has open contacts", i);
}

/* ---- through the proxy ----------------------------------------------------- */

static void test_onion_name_reaches_a_good_fake_through_the_proxy(void **state)
{
    world *w = *state;
    p2p_socks s;
    it_p2p c;
    p2p_version theirs;
    p2p_frame f;
    am_addrv2_entry e[8];
    size_t n = 0;
    it_fake_stats st;

    assert_int_equal(it_socks5_map(w->proxy, ONION, it_fakes_host(w->fakes, F_V2),
                                   it_fakes_port(w->fakes, F_V2)), 0);
    assert_int_equal(p2p_socks_init_name(&s, ONION, 8333), AM_OK);
    assert_int_equal(socks_open(w, &s, &c), P2P_SOCKS_OPEN);
    assert_int_equal(p2p_socks_reply(&s), 0);
    assert_int_equal(it_socks5_requests(w->proxy, ONION), 1);

    it_p2p_handshake(&c, 1, &theirs);
    assert_int_equal(theirs.version, IT_FAKE_PROTOCOL);
    assert_int_equal(theirs.services, 1033);
    assert_string_equal(theirs.user_agent, IT_FAKE_USER_AGENT);
    it_p2p_sync(&c);                       /* ping, pong */
    assert_int_equal(it_p2p_send_msg(&c, "getaddr", NULL, 0), 0);
    const char *const no_v1[] = {"addr", NULL};
    assert_int_equal(it_p2p_expect(&c, "addrv2", &f, IT_P2P_IO_TIMEOUT_MS, no_v1), 1);
    assert_int_equal(am_addrv2_decode(f.payload, f.len, e, 8, &n), AM_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        char text[AM_ADDR_STRLEN];
        assert_int_equal(am_addr_format_endpoint(&e[i].addr, text, sizeof text), AM_OK);
        assert_string_equal(text, answer_v2[i]);
        assert_true(e[i].time + 60 >= (uint32_t)time(NULL));
    }
    it_p2p_close(&c);

    wait_contacts_closed(w, F_V2, 1);
    it_fakes_stats(w->fakes, F_V2, &st);
    assert_int_equal(st.connections, 1);
    assert_int_equal(st.versions, 1);
    assert_int_equal(st.veracks, 1);
    assert_int_equal(st.sendaddrv2s, 1);
    assert_int_equal(st.getaddrs, 1);
    assert_int_equal(st.answered, 1);
    assert_int_equal(st.version.version, IT_P2P_PROTOCOL);
    assert_string_equal(st.version.user_agent, "/it_p2p:0.1/");
}

static void test_ipv4_address_through_the_proxy_gets_addr(void **state)
{
    world *w = *state;
    p2p_socks s;
    it_p2p c;
    am_addr a;
    char ep[64];
    p2p_version theirs;
    p2p_frame f;
    am_addrv2_entry e[8];
    size_t n = 0;
    it_fake_stats st;
    unsigned before = it_socks5_requests(w->proxy, NULL);

    it_fakes_endpoint(w->fakes, F_V1, ep, sizeof ep);
    assert_int_equal(am_addr_parse(&a, ep, 1), AM_OK);
    assert_int_equal(p2p_socks_init_addr(&s, &a), AM_OK);
    assert_int_equal(socks_open(w, &s, &c), P2P_SOCKS_OPEN);
    assert_int_equal(it_socks5_requests(w->proxy, NULL), before + 1);

    handshake_v1(&c, &theirs);
    assert_int_equal(theirs.version, 70015);
    assert_int_equal(theirs.services, 9);
    /* no sendaddrv2 from us: addr, and the onion left out */
    assert_int_equal(it_p2p_send_msg(&c, "getaddr", NULL, 0), 0);
    const char *const no_v2[] = {"addrv2", NULL};
    assert_int_equal(it_p2p_expect(&c, "addr", &f, IT_P2P_IO_TIMEOUT_MS, no_v2), 1);
    assert_int_equal(p2p_addr_parse(f.payload, f.len, e, 8, &n), AM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(am_addr_format_endpoint(&e[0].addr, ep, sizeof ep), AM_OK);
    assert_string_equal(ep, "5.6.7.8:18444");
    it_p2p_close(&c);

    wait_contacts_closed(w, F_V1, 1);
    it_fakes_stats(w->fakes, F_V1, &st);
    assert_int_equal(st.versions, 1);
    assert_int_equal(st.veracks, 1);
    assert_int_equal(st.sendaddrv2s, 0);
    assert_int_equal(st.answered, 1);
}

static void test_unmapped_name_fails_with_reply_4(void **state)
{
    world *w = *state;
    p2p_socks s;
    it_p2p c;

    assert_int_equal(p2p_socks_init_name(&s, UNMAPPED, 8333), AM_OK);
    assert_int_equal(socks_open(w, &s, &c), P2P_SOCKS_FAILED);
    assert_int_equal(p2p_socks_reply(&s), 4);
    assert_string_equal(p2p_socks_why(&s), "proxy: host unreachable (reply 4)");
    assert_int_equal(it_socks5_requests(w->proxy, UNMAPPED), 1);
    it_p2p_close(&c);
}

static void test_refused_address_through_the_proxy_fails_with_reply_5(void **state)
{
    world *w = *state;
    p2p_socks s;
    it_p2p c;
    am_addr a;
    char ep[64];

    it_fakes_endpoint(w->fakes, F_CLOSED, ep, sizeof ep);
    assert_int_equal(am_addr_parse(&a, ep, 1), AM_OK);
    assert_int_equal(p2p_socks_init_addr(&s, &a), AM_OK);
    assert_int_equal(socks_open(w, &s, &c), P2P_SOCKS_FAILED);
    assert_int_equal(p2p_socks_reply(&s), 5);
    it_p2p_close(&c);
}

/* ---- each fake mode from a plain socket ------------------------------------ */

static int dial(world *w, size_t i, long timeout_ms)
{
    return it_p2p_dial_host(it_fakes_host(w->fakes, i),
                            it_fakes_port(w->fakes, i), timeout_ms);
}

/* Up to cap bytes within timeout_ms: the count, 0 on EOF, -1 on nothing. */
static ssize_t read_within(int fd, uint8_t *buf, size_t cap, long timeout_ms)
{
    size_t have = 0;
    long deadline = it_p2p_ms() + timeout_ms;
    while (have < cap) {
        long left = deadline - it_p2p_ms();
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
            return have ? (ssize_t)have : -1;
        ssize_t n = recv(fd, buf + have, cap - have, 0);
        if (n <= 0)
            return (ssize_t)have;
        have += (size_t)n;
    }
    return (ssize_t)have;
}

static void test_closed_fake_refuses(void **state)
{
    world *w = *state;
    errno = 0;
    assert_int_equal(dial(w, F_CLOSED, 1000), -1);
    assert_int_equal(errno, ECONNREFUSED);
}

static void test_no_accept_fake_never_completes_a_connect(void **state)
{
    world *w = *state;
    long t0 = it_p2p_ms();
    errno = 0;
    assert_int_equal(dial(w, F_NO_ACCEPT, 1000), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_true(it_p2p_ms() - t0 >= 990);
    it_fake_stats st;
    it_fakes_stats(w->fakes, F_NO_ACCEPT, &st);
    assert_int_equal(st.connections, 0);
}

static void test_reset_fake_closes_at_once(void **state)
{
    world *w = *state;
    uint8_t buf[8];
    int fd = dial(w, F_RESET, 1000);
    assert_true(fd >= 0);
    assert_int_equal(read_within(fd, buf, sizeof buf, 2000), 0);
    close(fd);
    wait_contacts_closed(w, F_RESET, 1);
    /* opened and closed within one millisecond, it still was open once */
    size_t idx[] = {F_RESET};
    assert_int_equal(it_fakes_max_open(w->fakes, idx, 1), 1);
}

static void test_garbage_fake_sends_64_bytes_then_nothing(void **state)
{
    world *w = *state;
    uint8_t buf[128];
    int fd = dial(w, F_GARBAGE, 1000);
    assert_true(fd >= 0);
    assert_int_equal(read_within(fd, buf, 64, 2000), 64);
    /* it reads what we send and never answers */
    assert_int_equal(send(fd, "hello", 5, MSG_NOSIGNAL), 5);
    assert_int_equal(read_within(fd, buf, sizeof buf, 200), -1);
    close(fd);
}

static void test_wrong_magic_fake_answers_with_mains_magic(void **state)
{
    world *w = *state;
    it_p2p c;
    uint8_t head[P2P_HEADER_SIZE];
    const am_chain *main_chain = am_chain_get(AM_CHAIN_MAIN);

    it_p2p_open_at(&c, it_fakes_host(w->fakes, F_WRONG_MAGIC),
                   it_fakes_port(w->fakes, F_WRONG_MAGIC), w->chain);
    assert_int_equal(it_p2p_send_version(&c, IT_P2P_PROTOCOL), 0);
    assert_int_equal(read_within(c.fd, head, sizeof head, 2000), sizeof head);
    assert_memory_equal(head, main_chain->magic, 4);
    assert_memory_equal(head + 4, "version\0\0\0\0\0", 12);
    it_p2p_close(&c);
}

static void test_silent_fake_reads_and_never_writes(void **state)
{
    world *w = *state;
    it_p2p c;
    uint8_t buf[16];
    it_fake_stats st;

    it_p2p_open_at(&c, it_fakes_host(w->fakes, F_SILENT),
                   it_fakes_port(w->fakes, F_SILENT), w->chain);
    assert_int_equal(it_p2p_send_version(&c, IT_P2P_PROTOCOL), 0);
    assert_int_equal(read_within(c.fd, buf, sizeof buf, 300), -1);
    it_p2p_close(&c);
    it_fakes_stats(w->fakes, F_SILENT, &st);
    assert_int_equal(st.connections, 1);
    assert_int_equal(st.versions, 0);
}

static void test_slow_fake_answers_after_its_delay(void **state)
{
    world *w = *state;
    it_p2p c;
    p2p_version theirs;

    it_p2p_open_at(&c, it_fakes_host(w->fakes, F_SLOW),
                   it_fakes_port(w->fakes, F_SLOW), w->chain);
    long t0 = it_p2p_ms();
    handshake_v1(&c, &theirs);
    assert_true(it_p2p_ms() - t0 >= SLOW_MS - 5);
    assert_string_equal(theirs.user_agent, IT_FAKE_USER_AGENT);
    t0 = it_p2p_ms();
    it_p2p_sync(&c);
    assert_true(it_p2p_ms() - t0 >= SLOW_MS - 5);
    it_p2p_close(&c);
}

/* ---- contacts ---------------------------------------------------------------- */

static void test_max_open_counts_overlapping_connections(void **state)
{
    world *w = *state;
    int fds[3];
    size_t idx[] = {F_COUNT};

    for (int i = 0; i < 3; i++) {
        fds[i] = dial(w, F_COUNT, 1000);
        assert_true(fds[i] >= 0);
    }
    for (int tries = 0; tries < 200 && it_fakes_max_open(w->fakes, idx, 1) < 3; tries++)
        it_p2p_sleep_ms(10);
    assert_int_equal(it_fakes_max_open(w->fakes, idx, 1), 3);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    wait_contacts_closed(w, F_COUNT, 3);
    /* two more, one after the other: the most at once stays 3 */
    for (int i = 0; i < 2; i++) {
        int fd = dial(w, F_COUNT, 1000);
        assert_true(fd >= 0);
        it_p2p_sleep_ms(20);
        close(fd);
        wait_contacts_closed(w, F_COUNT, 4 + (size_t)i);
    }
    assert_int_equal(it_fakes_max_open(w->fakes, idx, 1), 3);
    assert_int_equal(it_fakes_contacts(w->fakes, F_COUNT, NULL, NULL, 0), 5);
    assert_true(it_fakes_max_open(w->fakes, NULL, 0) >= 3);
}

/* Each connection is made once the fake saw the last one close, with no
 * pause, so many fall within one millisecond of the close before them:
 * they never overlap, however the milliseconds tie. */
static void test_max_open_orders_a_close_before_the_next_open_in_one_ms(void **state)
{
    enum { ROUNDS = 200 };
    world *w = *state;
    size_t idx[] = {F_QUICK};
    int64_t opened[ROUNDS], closed[ROUNDS];
    int same_ms = 0;

    for (size_t r = 0; r < ROUNDS; r++) {
        int fd = dial(w, F_QUICK, 1000);
        assert_true(fd >= 0);
        close(fd);
        long deadline = it_p2p_ms() + 2000;
        for (;;) {
            size_t n = it_fakes_contacts(w->fakes, F_QUICK, opened, closed, ROUNDS);
            if (n == r + 1 && closed[r])
                break;
            assert_true(it_p2p_ms() < deadline);
            struct timespec ts = {0, 50 * 1000};
            nanosleep(&ts, NULL);
        }
        if (r && opened[r] == closed[r - 1] && closed[r - 1] == opened[r - 1])
            same_ms++;
    }
    assert_int_equal(it_fakes_max_open(w->fakes, idx, 1), 1);
    print_message("%d of %d connections opened in the millisecond the one "
                  "before was opened and closed\n", same_ms, ROUNDS - 1);
}

static void test_fakes_listen_on_their_own_hosts(void **state)
{
    world *w = *state;
    char ep[64];
    it_fakes_endpoint(w->fakes, F_V2, ep, sizeof ep);
    assert_string_equal(it_fakes_host(w->fakes, F_V2), "127.10.1.1");
    assert_int_equal(strncmp(ep, "127.10.1.1:", 11), 0);
    assert_string_equal(it_fakes_host(w->fakes, F_COUNT), "127.0.0.1");
    for (size_t i = 0; i < F_N; i++)
        assert_true(it_fakes_port(w->fakes, i) > 0);
}

/* ---- many fakes ---------------------------------------------------------------- */

#define MANY 1000

/* A thousand fakes in a thousand /16s (127.A.B.1) start, each answers a
 * connection with its version, and stop joins their thread. */
static void test_a_thousand_fakes_serve_from_distinct_groups(void **state)
{
    world *w = *state;
    static it_fake_spec specs[MANY];
    static char hosts[MANY][16];
    p2p_version theirs;

    for (size_t i = 0; i < MANY; i++) {
        snprintf(hosts[i], sizeof hosts[i], "127.%zu.%zu.1", 100 + i / 200,
                 i % 200);
        specs[i] = (it_fake_spec){.mode = i % 10 == 9 ? IT_FAKE_NO_ACCEPT
                                                      : IT_FAKE_GOOD,
                                  .host = hosts[i], .services = 9};
    }
    long t0 = it_p2p_ms();
    it_fakes *many = it_fakes_start(w->chain, specs, MANY);
    assert_non_null(many);
    long started = it_p2p_ms() - t0;
    t0 = it_p2p_ms();
    for (size_t i = 0; i < MANY; i += 7) {
        if (specs[i].mode != IT_FAKE_GOOD)
            continue;
        it_p2p c;
        it_p2p_open_at(&c, it_fakes_host(many, i), it_fakes_port(many, i),
                       w->chain);
        handshake_v1(&c, &theirs);
        it_p2p_close(&c);
    }
    long served = it_p2p_ms() - t0;
    for (size_t i = 0; i < MANY; i += 7) {
        it_fake_stats st;
        it_fakes_stats(many, i, &st);
        assert_int_equal(st.versions, specs[i].mode == IT_FAKE_GOOD);
    }
    t0 = it_p2p_ms();
    it_fakes_stop(many);
    print_message("%d fakes: started in %ld ms, %d handshakes in %ld ms, "
                  "stopped in %ld ms\n", MANY, started, (MANY + 6) / 7,
                  served, it_p2p_ms() - t0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fakes_listen_on_their_own_hosts),
        cmocka_unit_test(test_onion_name_reaches_a_good_fake_through_the_proxy),
        cmocka_unit_test(test_ipv4_address_through_the_proxy_gets_addr),
        cmocka_unit_test(test_unmapped_name_fails_with_reply_4),
        cmocka_unit_test(test_refused_address_through_the_proxy_fails_with_reply_5),
        cmocka_unit_test(test_closed_fake_refuses),
        cmocka_unit_test(test_no_accept_fake_never_completes_a_connect),
        cmocka_unit_test(test_reset_fake_closes_at_once),
        cmocka_unit_test(test_garbage_fake_sends_64_bytes_then_nothing),
        cmocka_unit_test(test_wrong_magic_fake_answers_with_mains_magic),
        cmocka_unit_test(test_silent_fake_reads_and_never_writes),
        cmocka_unit_test(test_slow_fake_answers_after_its_delay),
        cmocka_unit_test(test_max_open_counts_overlapping_connections),
        cmocka_unit_test(test_max_open_orders_a_close_before_the_next_open_in_one_ms),
        cmocka_unit_test(test_a_thousand_fakes_serve_from_distinct_groups),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
