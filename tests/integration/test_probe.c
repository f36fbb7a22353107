/*
 * test_probe.c - the prober against fake peers on loopback (it_fake.h), on
 * --chain regtest: live peers end tried with the services they announced,
 * dead ones with an attempt counted, no peer is probed twice within the
 * retry time, the answers to getaddr reach the pool with the probed peer
 * as source, the concurrency and per-group limits hold (the fakes record
 * when they were contacted), Tor goes through a SOCKS5 proxy (it_socks5.h)
 * or not at all, an answer larger than the new table fills it and no
 * more, and a live collision occupant keeps its slot (a dead one:
 * test_probe_evict.c).  Each case starts its own server.
 */
#include "it_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it_p2p.h"
#include "it_persist.h"
#include "it_socks5.h"
#include "netaddr.h"

#define ONION IT_PROBE_ONION

/* ---- one probing round ------------------------------------------------- */

enum { LIVE_V2, LIVE_LIMITED, LIVE_SLOW, DEAD_GARBAGE, DEAD_MAGIC,
       DEAD_NO_SERVICES, DEAD_SILENT, DEAD_RESET, DEAD_CLOSED, DEAD_BLACKHOLE,
       N_ROUND };

static const char *const answer_v2[] = {"127.200.0.1:18444",
                                        "127.201.0.1:18444", ONION ":18444"};
static const char *const answer_v1[] = {"127.202.0.1:18444",
                                        "127.203.0.1:18444"};

static void round_specs(it_fake_spec *sp)
{
    memset(sp, 0, N_ROUND * sizeof *sp);
    for (size_t i = 0; i < N_ROUND; i++)
        sp[i].services = 9;
    sp[LIVE_V2] = (it_fake_spec){IT_FAKE_GOOD, "127.10.0.1", 1 | 8 | 1024, 0,
                                 1, 0, answer_v2, 3};
    sp[LIVE_LIMITED] = (it_fake_spec){IT_FAKE_GOOD, "127.11.0.1", 1024 | 8,
                                      70015, 0, 0, answer_v1, 2};
    sp[LIVE_SLOW] = (it_fake_spec){IT_FAKE_SLOW, "127.12.0.1", 1, 0, 1, 300,
                                   NULL, 0};
    sp[DEAD_GARBAGE].mode = IT_FAKE_GARBAGE;
    sp[DEAD_GARBAGE].host = "127.13.0.1";
    sp[DEAD_MAGIC].mode = IT_FAKE_WRONG_MAGIC;
    sp[DEAD_MAGIC].host = "127.14.0.1";
    sp[DEAD_NO_SERVICES] = (it_fake_spec){IT_FAKE_GOOD, "127.15.0.1", 0, 0, 1,
                                          0, NULL, 0};
    sp[DEAD_SILENT].mode = IT_FAKE_SILENT;
    sp[DEAD_SILENT].host = "127.16.0.1";
    sp[DEAD_RESET].mode = IT_FAKE_RESET;
    sp[DEAD_RESET].host = "127.17.0.1";
    sp[DEAD_CLOSED].mode = IT_FAKE_CLOSED;
    sp[DEAD_CLOSED].host = "127.18.0.1";
    sp[DEAD_BLACKHOLE].mode = IT_FAKE_NO_ACCEPT;
    sp[DEAD_BLACKHOLE].host = "127.19.0.1";
}

static void expect_live(it_server *s, it_fakes *f, size_t i,
                        json_int_t services)
{
    json_t *p = it_probe_fake_peer(s, f, i);
    it_fake_stats st;

    if (strcmp(it_probe_str(p, "state"), "tried") != 0 ||
        strcmp(it_probe_str(p, "table"), "tried") != 0 ||
        it_probe_int(p, "services") != services)
        fail_msg("fake %zu (%s): state %s, table %s, services %lld; want "
                 "tried, tried, %lld", i, it_fakes_host(f, i),
                 it_probe_str(p, "state"), it_probe_str(p, "table"),
                 (long long)it_probe_int(p, "services"), (long long)services);
    assert_true(it_probe_int(p, "last_success") > 0);
    assert_int_equal(it_probe_int(p, "attempts"), 0);
    json_decref(p);
    /* The probe: our version, then getaddr once the handshake was done. */
    it_fakes_stats(f, i, &st);
    assert_int_equal(st.versions, 1);
    assert_int_equal(st.veracks, 1);
    assert_int_equal(st.getaddrs, 1);
    assert_int_equal(st.version.services, 0);
    assert_int_equal(st.version.relay, 0);
}

static void expect_dead(it_server *s, it_fakes *f, size_t i)
{
    json_t *p = it_probe_fake_peer(s, f, i);

    if (strcmp(it_probe_str(p, "state"), "failed") != 0 || it_probe_int(p, "attempts") != 1)
        fail_msg("fake %zu (%s): state %s, attempts %lld; want failed, 1", i,
                 it_fakes_host(f, i), it_probe_str(p, "state"),
                 (long long)it_probe_int(p, "attempts"));
    assert_int_equal(it_probe_int(p, "last_success"), 0);
    assert_string_equal(it_probe_str(p, "table"), "new");
    json_decref(p);
}

static const char *const tried_buckets[] = {"--tried-buckets", "65536", NULL};

static void test_probe_round_marks_live_peers_tried_and_dead_ones_failed(
    void **state)
{
    it_server *s = *state;
    it_fake_spec sp[N_ROUND];
    it_fakes *f;
    json_int_t t0 = it_now();
    size_t all[N_ROUND];
    int64_t opened[4], closed[4];
    int v1, v2, v4, onion;
    char peer[64];

    round_specs(sp);
    f = it_probe_fakes(sp, N_ROUND);
    /* The live fakes all go to tried.  With 256 tried buckets two of them
     * want one tried slot about one run in 5500 (a random key, random
     * ports), and the second stays in new, as Core's rule says: its slot
     * holds a peer that just succeeded.  With 65536 buckets, one run in a
     * million. */
    it_probe_start(s, "4", tried_buckets);
    it_probe_add_fakes(s, f, N_ROUND);
    it_probe_wait(s, N_ROUND);
    /* Both answers (5 addresses) are in the pool once they are counted. */
    it_probe_wait_for(s, "addrmand_probe_answer_addresses_total", 5);

    /* The answers, with each probed peer as source; the onion came in
     * the addrv2 answer.  One may have found its new slot held. */
    v2 = it_probe_learned(s, "127.200.0.1", 18444, "127.10.0.1") +
         it_probe_learned(s, "127.201.0.1", 18444, "127.10.0.1");
    onion = it_probe_learned(s, ONION, 18444, "127.10.0.1");
    v1 = it_probe_learned(s, "127.202.0.1", 18444, "127.11.0.1") +
         it_probe_learned(s, "127.203.0.1", 18444, "127.11.0.1");
    it_fakes_endpoint(f, LIVE_V2, peer, sizeof peer);
    it_probe_expect_answer(s, peer, 3, (size_t)(v2 + onion));
    it_fakes_endpoint(f, LIVE_LIMITED, peer, sizeof peer);
    it_probe_expect_answer(s, peer, 2, (size_t)v1);
    v4 = v2 + v1;
    /* The learned IPv4 ones are probed too (nothing listens there): wait
     * for them, so that every count below is final. */
    it_probe_wait(s, N_ROUND + v4);

    expect_live(s, f, LIVE_V2, 1 | 8 | 1024);
    expect_live(s, f, LIVE_LIMITED, 1024 | 8);
    expect_live(s, f, LIVE_SLOW, 1);
    for (size_t i = DEAD_GARBAGE; i < N_ROUND; i++)
        expect_dead(s, f, i);

    /* Once each within the retry time; never more than 4 at a time. */
    for (size_t i = 0; i < N_ROUND; i++) {
        all[i] = i;
        assert_true(it_fakes_contacts(f, i, opened, closed, 4) <= 1);
    }
    assert_true(it_fakes_max_open(f, all, N_ROUND) <= 4);

    /* The outcomes, by network. */
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{outcome=\"ok\",network=\"ipv4\"}"), 3);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{outcome=\"wrong_magic\""), 2);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{outcome=\"no_services\""), 1);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{outcome=\"timeout\""), 2);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{outcome=\"closed\""), 1);
    /* DEAD_CLOSED and the learned IPv4 addresses: refused. */
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{outcome=\"refused\""), 1 + v4);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_unreachable_peers{network=\"torv3\"}"), onion);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_learned_total"), v4 + onion);
    assert_true(it_probe_metric(s, "addrmand_probe_tried_verified_ratio") == 1.0);

    /* GET /v1/stats says the same. */
    {
        json_t *st = it_stats(s);
        json_t *v = IT_MEMBER(st, "verified", JSON_OBJECT);
        json_t *pr = IT_MEMBER(st, "probe", JSON_OBJECT);
        json_t *oc = IT_MEMBER(pr, "outcomes", JSON_OBJECT);

        assert_int_equal(it_probe_int(v, "tried_last_24h"), 3);
        assert_int_equal(it_probe_int(v, "never_checked"), onion);
        assert_int_equal(it_probe_int(oc, "ok"), 3);
        assert_int_equal(it_probe_int(oc, "refused"), 1 + v4);
        assert_int_equal(it_probe_int(pr, "started"), N_ROUND + v4);
        assert_int_equal(it_probe_int(pr, "learned"), v4 + onion);
        assert_int_equal(it_probe_int(IT_MEMBER(pr, "unreachable", JSON_OBJECT),
                                "torv3"), onion);
        json_decref(st);
    }
    /* The live part of the pool. */
    assert_int_equal(it_count_peers(s, "verified_since=1"), 3);
    {
        char q[64];
        snprintf(q, sizeof q, "verified_since=%lld", (long long)t0);
        assert_int_equal(it_count_peers(s, q), 3);
        snprintf(q, sizeof q, "verified_since=%lld", (long long)it_now() + 5);
        assert_int_equal(it_count_peers(s, q), 0);
    }
    it_check_debug(s);
    it_fakes_stop(f);
}

/* ---- limits ------------------------------------------------------------- */

#define N_GROUP 6

static void test_probe_never_runs_two_probes_in_one_group(void **state)
{
    it_server *s = *state;
    it_fake_spec sp[2 * N_GROUP];
    char hosts[2 * N_GROUP][32];
    size_t same[N_GROUP], other[N_GROUP], all[2 * N_GROUP];
    it_fakes *f;

    memset(sp, 0, sizeof sp);
    for (size_t i = 0; i < 2 * N_GROUP; i++) {
        /* The first six share 127.20/16; the others have a /16 each. */
        snprintf(hosts[i], sizeof hosts[i], i < N_GROUP ? "127.20.0.%zu"
                                                        : "127.%zu.0.1",
                 i < N_GROUP ? i + 1 : 30 + i);
        sp[i] = (it_fake_spec){IT_FAKE_SLOW, hosts[i], 9, 0, 1, 400, NULL, 0};
        all[i] = i;
        if (i < N_GROUP)
            same[i] = i;
        else
            other[i - N_GROUP] = i;
    }
    f = it_probe_fakes(sp, 2 * N_GROUP);
    it_probe_start(s, "32", NULL);
    it_probe_add_fakes(s, f, 2 * N_GROUP);
    it_probe_wait(s, 2 * N_GROUP);
    for (size_t i = 0; i < 2 * N_GROUP; i++) {
        json_t *p = it_probe_fake_peer(s, f, i);
        assert_string_equal(it_probe_str(p, "state"), "tried");
        json_decref(p);
    }
    assert_int_equal(it_fakes_max_open(f, same, N_GROUP), 1);
    /* Distinct groups went in parallel (the slow answers overlap). */
    assert_true(it_fakes_max_open(f, other, N_GROUP) >= 2);
    assert_true(it_fakes_max_open(f, all, 2 * N_GROUP) <= 32);
    it_fakes_stop(f);
}

#define N_CONC 12

static void test_probe_keeps_to_its_concurrency(void **state)
{
    it_server *s = *state;
    it_fake_spec sp[N_CONC];
    char hosts[N_CONC][32];
    it_fakes *f;

    for (size_t i = 0; i < N_CONC; i++) {
        snprintf(hosts[i], sizeof hosts[i], "127.%zu.0.1", 50 + i);
        sp[i] = (it_fake_spec){IT_FAKE_SLOW, hosts[i], 9, 0, 1, 500, NULL, 0};
    }
    f = it_probe_fakes(sp, N_CONC);
    it_probe_start(s, "3", NULL);
    it_probe_add_fakes(s, f, N_CONC);
    it_probe_wait(s, N_CONC);
    assert_int_equal(it_fakes_max_open(f, NULL, N_CONC), 3);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{outcome=\"ok\""),
                     N_CONC);
    it_fakes_stop(f);
}

/* ---- Tor through a SOCKS5 proxy ----------------------------------------- */

static void test_probe_reaches_an_onion_through_the_socks5_proxy(void **state)
{
    it_server *s = *state;
    it_fake_spec sp = {IT_FAKE_GOOD, "127.40.0.1", 9, 0, 1, 0, answer_v1, 2};
    it_fakes *f = it_probe_fakes(&sp, 1);
    it_socks5 *px = it_socks5_start();
    char proxy[64];
    const char *extra[] = {"--onion-proxy", proxy, NULL};
    json_t *p;

    assert_non_null(px);
    assert_int_equal(it_socks5_map(px, ONION, it_fakes_host(f, 0),
                                   it_fakes_port(f, 0)), 0);
    snprintf(proxy, sizeof proxy, "127.0.0.1:%u", it_socks5_port(px));
    it_probe_start(s, "4", extra);
    it_add_one(s, ONION, 18444, 1);
    it_probe_wait(s, 1);
    p = it_peer(s, ONION, 18444);
    assert_string_equal(it_probe_str(p, "state"), "tried");
    assert_int_equal(it_probe_int(p, "services"), 9);
    json_decref(p);
    assert_int_equal(it_socks5_requests(px, ONION), 1);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{outcome=\"ok\",network=\"torv3\"}"), 1);
    /* The onion peer's answer came with the onion as its source (one of
     * the two may have found its new slot held; both, about one time in
     * ten million). */
    {
        int n = it_probe_learned(s, "127.202.0.1", 18444, ONION) +
                it_probe_learned(s, "127.203.0.1", 18444, ONION);

        it_probe_expect_answer(s, ONION ":18444", 2, (size_t)n);
        assert_true(n >= 1);
    }
    assert_int_equal(it_probe_metric(s, "addrmand_probe_unreachable_peers{network=\"torv3\"}"), 0);
    it_socks5_stop(px);
    it_fakes_stop(f);
}

static void test_probe_leaves_onions_alone_without_a_proxy(void **state)
{
    it_server *s = *state;
    char onion[IT_HOST_MAX];
    json_t *p;

    it_probe_start(s, "4", NULL);
    it_add_one(s, "127.41.0.1", 1, 1);   /* nothing listens on port 1 */
    /* Another onion is drawn while one finds that peer's slot held. */
    it_add_fresh(s, 'o', 18444, 1, onion);
    it_probe_wait(s, 1);
    it_p2p_sleep_ms(500);
    p = it_peer(s, onion, 18444);
    assert_string_equal(it_probe_str(p, "state"), "never_tried");
    assert_int_equal(it_probe_int(p, "last_try"), 0);
    json_decref(p);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{"), 1);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_unreachable_peers{network=\"torv3\"}"), 1);
}

static void test_probe_leaves_out_the_networks_not_named(void **state)
{
    it_server *s = *state;
    it_fake_spec sp = {IT_FAKE_GOOD, "127.44.0.1", 9, 0, 1, 0, NULL, 0};
    it_fakes *f = it_probe_fakes(&sp, 1);
    const char *extra[] = {"--probe-networks", "ipv6,cjdns", NULL};
    json_t *p;
    it_fake_stats st;

    it_probe_start(s, "4", extra);
    it_probe_add_fakes(s, f, 1);
    it_p2p_sleep_ms(1500);              /* a dozen ticks: nothing starts */
    it_fakes_stats(f, 0, &st);
    assert_int_equal(st.connections, 0);
    p = it_probe_fake_peer(s, f, 0);
    assert_string_equal(it_probe_str(p, "state"), "never_tried");
    json_decref(p);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{"), 0);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_unreachable_peers{network=\"ipv4\"}"), 1);
    it_fakes_stop(f);
}

/* A fresh onion that the proxy answers with reply 3 (network unreachable),
 * added to the pool.  Onions of one group (their first 4 bits) heard from
 * themselves share a new bucket, where two may want one slot: then
 * another is drawn. */
static void add_unreachable_onion(it_server *s, it_socks5 *px,
                                  char onion[IT_HOST_MAX])
{
    int tries = 0, added;

    do {
        it_uniq_onion(onion, NULL);
        assert_int_equal(it_socks5_refuse(px, onion, 3), 0);
        added = it_try_add(s, onion, 18444, 1, NULL, "table_full");
    } while (IT_TURNED_AWAY(!added, &tries));
    if (!added)
        fail_msg("%d onions in a row found their slots held", tries);
}

/* The proxy has no route to Tor (reply 3, network unreachable): the probe
 * that finds it out counts nothing against its peer, and onions added
 * afterwards rest (unreachable) while IPv4 is probed as before. */
static void test_probe_rests_a_network_it_finds_no_route_to(void **state)
{
    it_server *s = *state;
    it_fake_spec sp = {IT_FAKE_GOOD, "127.45.0.1", 9, 0, 1, 0, NULL, 0};
    it_fakes *f = it_probe_fakes(&sp, 1);
    it_socks5 *px = it_socks5_start();
    char proxy[64], onions[3][IT_HOST_MAX];
    const char *extra[] = {"--onion-proxy", proxy, NULL};

    assert_non_null(px);
    snprintf(proxy, sizeof proxy, "127.0.0.1:%u", it_socks5_port(px));
    it_probe_start(s, "4", extra);
    add_unreachable_onion(s, px, onions[0]);
    it_probe_wait(s, 1);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{outcome=\"no_route\",network=\"torv3\"}"), 1);

    /* At 100 probes a second these would go at once; Tor rests. */
    add_unreachable_onion(s, px, onions[1]);
    add_unreachable_onion(s, px, onions[2]);
    it_probe_add_fakes(s, f, 1);
    it_probe_wait(s, 2);
    it_p2p_sleep_ms(1000);
    assert_int_equal(it_socks5_requests(px, NULL), 1);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{"), 2);
    for (int i = 0; i < 3; i++) {
        json_t *p = it_peer(s, onions[i], 18444);
        assert_string_equal(it_probe_str(p, "state"), "never_tried");
        assert_int_equal(it_probe_int(p, "attempts"), 0);
        assert_int_equal(it_probe_int(p, "last_try"), 0);
        json_decref(p);
    }
    assert_int_equal(it_probe_metric(s, "addrmand_probe_unreachable_peers{network=\"torv3\"}"), 3);
    expect_live(s, f, 0, 9);
    it_socks5_stop(px);
    it_fakes_stop(f);
}

/* A Tor proxy that does not answer (nothing listens on its port) is the
 * route missing, not the onion peer failing: no attempt is counted. */
static void test_probe_counts_nothing_against_peers_when_the_proxy_is_down(
    void **state)
{
    it_server *s = *state;
    const char *extra[] = {"--onion-proxy", "127.0.0.1:1", NULL};
    json_t *p;

    it_probe_start(s, "4", extra);
    it_add_one(s, ONION, 18444, 1);
    it_probe_wait(s, 1);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_total{outcome=\"no_route\",network=\"torv3\"}"), 1);
    p = it_peer(s, ONION, 18444);
    assert_string_equal(it_probe_str(p, "state"), "never_tried");
    assert_int_equal(it_probe_int(p, "attempts"), 0);
    json_decref(p);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_unreachable_peers{network=\"torv3\"}"), 1);
    char *log = it_log_get(s, NULL);
    assert_non_null(strstr(log, "no route to torv3 peers (the proxy: "
                                "connection refused)"));
    free(log);
}

/* ---- an answer larger than the new table --------------------------------- */

#define N_BIG 200

/* One new bucket (64 slots), and a peer in the tried table whose answer
 * holds 200 addresses: the pool takes those whose slots are free, Core's
 * rule turns the others away (table_full), and the prober's count and
 * its log line say just that. */
static void test_probe_answer_larger_than_the_new_table_fills_what_it_can(
    void **state)
{
    it_server *s = *state;
    static char hosts[N_BIG][32], ends[N_BIG][40];
    const char *answer[N_BIG];
    it_fake_spec sp = {IT_FAKE_GOOD, "127.46.0.1", 9, 0, 1, 0, answer, N_BIG};
    const char *extra[] = {"--new-buckets", "1", NULL};
    it_fakes *f;
    char peer[64];
    size_t in = 0;

    for (size_t i = 0; i < N_BIG; i++) {
        snprintf(hosts[i], sizeof hosts[i], "127.%zu.%zu.1", 61 + i % 100,
                 i / 100);
        snprintf(ends[i], sizeof ends[i], "%s:18444", hosts[i]);
        answer[i] = ends[i];
    }
    f = it_probe_fakes(&sp, 1);
    it_probe_start(s, "4", extra);
    it_probe_import_tried(s, it_fakes_host(f, 0), it_fakes_port(f, 0));
    it_probe_wait(s, 1);
    for (size_t i = 0; i < N_BIG; i++)
        in += (size_t)it_probe_learned(s, hosts[i], 18444, "127.46.0.1");
    /* About 61 of 64 slots take one of 200 addresses hashed at random. */
    assert_true(in >= 32 && in <= 64);
    it_fakes_endpoint(f, 0, peer, sizeof peer);
    it_probe_expect_answer(s, peer, N_BIG, in);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_learned_total"), in);
    assert_int_equal(it_probe_metric(s, "addrmand_probe_answer_addresses_total"), N_BIG);
    assert_string_equal(it_probe_table(s, it_fakes_host(f, 0), it_fakes_port(f, 0)),
                        "tried");
    it_check_debug(s);
    it_fakes_stop(f);
}

/* ---- tried-table collisions --------------------------------------------- */

/* The occupant is the only peer the prober may draw (the newcomers are
 * onions, out of its reach, and the occupant is not stale for a year):
 * it is probed as a collision occupant, or not at all. */
static void test_probe_keeps_a_live_collision_occupant(void **state)
{
    it_server *s = *state;
    it_fake_spec sp = {IT_FAKE_GOOD, "127.42.0.1", 9, 0, 1, 0, NULL, 0};
    it_fakes *f = it_probe_fakes(&sp, 1);
    const char *extra[] = {"--tried-buckets", "1", "--probe-tried-age",
                           "31536000", NULL};
    char newcomer[AM_ADDR_STRLEN];

    it_probe_start(s, "4", extra);
    it_probe_collision(s, it_fakes_host(f, 0), it_fakes_port(f, 0), newcomer,
                   sizeof newcomer);
    it_probe_wait(s, 1);
    {
        it_fake_stats st;
        it_fakes_stats(f, 0, &st);
        assert_int_equal(st.versions, 1);     /* the occupant was tested */
    }
    /* Alive: it stays, the newcomer stays in the new table. */
    it_p2p_sleep_ms(300);
    assert_string_equal(it_probe_table(s, it_fakes_host(f, 0), it_fakes_port(f, 0)),
                        "tried");
    assert_string_equal(it_probe_table(s, newcomer, 18444), "new");
    it_check_debug(s);
    it_fakes_stop(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_probe_round_marks_live_peers_tried_and_dead_ones_failed, it_fx_setup_none, it_fx_teardown),
        cmocka_unit_test_setup_teardown(test_probe_never_runs_two_probes_in_one_group, it_fx_setup_none, it_fx_teardown),
        cmocka_unit_test_setup_teardown(test_probe_keeps_to_its_concurrency, it_fx_setup_none, it_fx_teardown),
        cmocka_unit_test_setup_teardown(test_probe_reaches_an_onion_through_the_socks5_proxy, it_fx_setup_none, it_fx_teardown),
        cmocka_unit_test_setup_teardown(test_probe_leaves_onions_alone_without_a_proxy, it_fx_setup_none, it_fx_teardown),
        cmocka_unit_test_setup_teardown(test_probe_leaves_out_the_networks_not_named, it_fx_setup_none, it_fx_teardown),
        cmocka_unit_test_setup_teardown(test_probe_rests_a_network_it_finds_no_route_to, it_fx_setup_none, it_fx_teardown),
        cmocka_unit_test_setup_teardown(test_probe_counts_nothing_against_peers_when_the_proxy_is_down, it_fx_setup_none, it_fx_teardown),
        cmocka_unit_test_setup_teardown(test_probe_answer_larger_than_the_new_table_fills_what_it_can, it_fx_setup_none, it_fx_teardown),
        cmocka_unit_test_setup_teardown(test_probe_keeps_a_live_collision_occupant, it_fx_setup_none, it_fx_teardown),
    };
    it_global_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
