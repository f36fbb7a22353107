/*
 * am_test.h - helpers shared by the test_addrman*.c unit tests.
 *
 * Every test builds its manager with t_man(): a fixed key and seed and a
 * fake clock (t_now, advanced by hand), so that runs are deterministic.
 * Helpers that change the manager call am_check() afterwards and fail the
 * test with its description when an invariant is broken.
 */
#ifndef AM_TEST_H
#define AM_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addrman.h"

#define T_START INT64_C(1700000000)
#define T_MIN INT64_C(60)
#define T_HOUR INT64_C(3600)
#define T_DAY INT64_C(86400)
#define T_PORT 8333
#define T_SEED UINT64_C(0x5eed5eed12345678)
#define T_NET_BIT(net) (1u << (net))

/* The fake clock: every manager of a test reads this variable. */
static int64_t t_now = T_START;

static inline int64_t t_clock(void *ctx)
{
    return *(const int64_t *)ctx;
}

static inline void t_advance(int64_t seconds)
{
    t_now += seconds;
}

/* ---- results and invariants ------------------------------------------ */

static inline void t_rc_at(int got, int want, const char *what,
                           const char *file, int line)
{
    if (got != want)
        fail_msg("%s:%d: %s returned %d (%s), expected %d (%s)", file, line,
                 what, got, am_strerror(got), want, am_strerror(want));
}
#define ASSERT_RC(expr, want) t_rc_at((expr), (want), #expr, __FILE__, __LINE__)

static inline void t_check_at(am_man *m, const char *file, int line)
{
    char why[512];
    why[0] = '\0';
    int rc = am_check(m, why, sizeof why);
    if (rc != AM_OK)
        fail_msg("%s:%d: am_check failed (%s): %s", file, line,
                 am_strerror(rc), why);
}
#define CHECK(m) t_check_at((m), __FILE__, __LINE__)

/* ---- managers ----------------------------------------------------------- */

static inline void t_key(uint8_t key[16], uint8_t salt)
{
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)(0x3c + 17 * i + salt);
}

static inline void t_config(am_config *cfg, uint32_t new_buckets,
                            uint32_t tried_buckets)
{
    am_config_default(cfg);
    cfg->new_buckets = new_buckets;
    cfg->tried_buckets = tried_buckets;
    cfg->have_key = 1;
    t_key(cfg->key, 0);
    cfg->seed = T_SEED;
    cfg->clock = t_clock;
    cfg->clock_ctx = &t_now;
}

static inline am_man *t_man_cfg(const am_config *cfg)
{
    am_man *m = NULL;
    ASSERT_RC(am_new(cfg, &m), AM_OK);
    assert_non_null(m);
    CHECK(m);
    return m;
}

/* A manager with the fixed key and seed; resets the clock to T_START. */
static inline am_man *t_man(uint32_t new_buckets, uint32_t tried_buckets)
{
    am_config cfg;
    t_now = T_START;
    t_config(&cfg, new_buckets, tried_buckets);
    return t_man_cfg(&cfg);
}

/* ---- deterministic randomness ------------------------------------------- */

static inline uint64_t t_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* ---- addresses ------------------------------------------------------------ */

static inline am_addr t_v4(unsigned a, unsigned b, unsigned c, unsigned d,
                           uint16_t port)
{
    am_addr x;
    memset(&x, 0, sizeof x);
    x.net = AM_NET_IPV4;
    x.port = port;
    x.bytes[0] = (uint8_t)a;
    x.bytes[1] = (uint8_t)b;
    x.bytes[2] = (uint8_t)c;
    x.bytes[3] = (uint8_t)d;
    return x;
}

static inline am_addr t_v4u(uint32_t ip, uint16_t port)
{
    return t_v4(ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, port);
}

/* IPv6 2a01:g1:g2:...:g7 (2a01::/16 is global unicast). */
static inline am_addr t_v6(uint16_t g1, uint16_t g2, uint16_t g7, uint16_t port)
{
    am_addr x;
    memset(&x, 0, sizeof x);
    x.net = AM_NET_IPV6;
    x.port = port;
    x.bytes[0] = 0x2a;
    x.bytes[1] = 0x01;
    x.bytes[2] = (uint8_t)(g1 >> 8);
    x.bytes[3] = (uint8_t)g1;
    x.bytes[4] = (uint8_t)(g2 >> 8);
    x.bytes[5] = (uint8_t)g2;
    x.bytes[14] = (uint8_t)(g7 >> 8);
    x.bytes[15] = (uint8_t)g7;
    return x;
}

/* A Tor v3, I2P or CJDNS address made of bytes derived from `seed`. */
static inline am_addr t_named(int net, uint64_t seed, uint16_t port)
{
    am_addr x;
    uint64_t st = seed * 7919 + (uint64_t)net;
    memset(&x, 0, sizeof x);
    x.net = (uint8_t)net;
    x.port = port;
    size_t len = net == AM_NET_CJDNS ? 16 : 32;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t r = t_rand(&st);
        memcpy(x.bytes + i, &r, 8);
    }
    if (net == AM_NET_CJDNS)
        x.bytes[0] = 0xfc;
    return x;
}

/* The host part of an address, as a source is stored. */
static inline am_addr t_host(am_addr a)
{
    a.port = 0;
    return a;
}

/* Routable IPv4 space for generated addresses (a conservative test). */
static inline int t_v4_routable(uint32_t ip)
{
    unsigned a = ip >> 24, b = (ip >> 16) & 255, c = (ip >> 8) & 255;
    if (a == 0 || a == 10 || a == 127 || a >= 224)
        return 0;
    if ((a == 100 && (b & 0xc0) == 64) || (a == 169 && b == 254))
        return 0;
    if ((a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168))
        return 0;
    if (a == 198 && (b & 0xfe) == 18)
        return 0;
    if ((a == 192 && b == 0) || (a == 198 && b == 51 && c == 100) ||
        (a == 203 && b == 0 && c == 113))
        return 0;
    return 1;
}

/* The n-th of a sequence of distinct routable IPv4 hosts (counter in *ctr). */
static inline am_addr t_distinct_v4(uint32_t *ctr, uint16_t port)
{
    for (;;) {
        uint32_t ip = *ctr * UINT32_C(2654435761) + UINT32_C(0x1b873593);
        (*ctr)++;
        if (t_v4_routable(ip))
            return t_v4u(ip, port);
    }
}

/* A random routable IPv4 host. */
static inline am_addr t_random_v4(uint64_t *state, uint16_t port)
{
    for (;;) {
        uint32_t ip = (uint32_t)t_rand(state);
        if (t_v4_routable(ip))
            return t_v4u(ip, port);
    }
}

/* ---- peer operations (each checks the invariants afterwards) ---------- */

static inline int t_try_add_at(am_man *m, am_addr a, const am_addr *src,
                               uint64_t services, int64_t time,
                               int64_t penalty, uint64_t *id,
                               const char *file, int line)
{
    int is_new = -1;
    uint64_t got = 0;
    int rc = am_add(m, &a, src, services, time, penalty, &is_new, &got);
    t_check_at(m, file, line);
    if (id != NULL)
        *id = rc == AM_OK ? got : 0;
    return rc;
}
#define t_try_add(m, a, src, svc, time, id) \
    t_try_add_at((m), (a), (src), (svc), (time), 0, (id), __FILE__, __LINE__)

/* Add a peer that must be new; returns its id. */
static inline uint64_t t_add_at(am_man *m, am_addr a, const am_addr *src,
                                uint64_t services, int64_t time,
                                const char *file, int line)
{
    int is_new = -1;
    uint64_t id = 0;
    int rc = am_add(m, &a, src, services, time, 0, &is_new, &id);
    t_rc_at(rc, AM_OK, "am_add", file, line);
    t_check_at(m, file, line);
    if (is_new != 1)
        fail_msg("%s:%d: am_add: is_new %d, expected 1", file, line, is_new);
    if (id == 0 || id > AM_ID_MAX)
        fail_msg("%s:%d: am_add: bad id %llu", file, line,
                 (unsigned long long)id);
    return id;
}
#define t_add(m, a, src, svc, time) \
    t_add_at((m), (a), (src), (svc), (time), __FILE__, __LINE__)

static inline am_peer t_get_at(am_man *m, uint64_t id, const char *file,
                               int line)
{
    am_peer p;
    memset(&p, 0xa5, sizeof p);
    t_rc_at(am_get(m, id, &p), AM_OK, "am_get", file, line);
    if (p.id != id)
        fail_msg("%s:%d: am_get(%llu) gave id %llu", file, line,
                 (unsigned long long)id, (unsigned long long)p.id);
    return p;
}
#define t_get(m, id) t_get_at((m), (id), __FILE__, __LINE__)

static inline am_peer t_set_at(am_man *m, uint64_t id, am_state_op op,
                               const char *file, int line)
{
    am_peer p;
    memset(&p, 0xa5, sizeof p);
    t_rc_at(am_set_state(m, id, op, &p), AM_OK, "am_set_state", file, line);
    t_check_at(m, file, line);
    return p;
}
#define t_set(m, id, op) t_set_at((m), (id), (op), __FILE__, __LINE__)

static inline am_place t_place_at(am_man *m, uint64_t id, const char *file,
                                  int line)
{
    am_place pl;
    memset(&pl, 0, sizeof pl);
    t_rc_at(am_place_of(m, id, &pl), AM_OK, "am_place_of", file, line);
    if (pl.n < 1 || pl.n > AM_MAX_NEW_REFS || (pl.in_tried && pl.n != 1))
        fail_msg("%s:%d: am_place_of(%llu): in_tried %d n %u", file, line,
                 (unsigned long long)id, pl.in_tried, pl.n);
    return pl;
}
#define t_place(m, id) t_place_at((m), (id), __FILE__, __LINE__)

static inline void t_remove_at(am_man *m, uint64_t id, const char *file,
                               int line)
{
    t_rc_at(am_remove(m, id), AM_OK, "am_remove", file, line);
    t_check_at(m, file, line);
}
#define t_remove(m, id) t_remove_at((m), (id), __FILE__, __LINE__)

static inline am_stats t_stats(am_man *m)
{
    am_stats st;
    memset(&st, 0, sizeof st);
    am_stats_get(m, &st);
    return st;
}

/* Every peer id in increasing order, through am_list pages of `page`. */
static inline size_t t_list_ids(am_man *m, const am_filter *f, size_t page,
                                uint64_t *ids, size_t cap)
{
    am_peer buf[16];
    uint64_t after = 0, next = 0;
    size_t total = 0;
    assert_true(page > 0 && page <= 16);
    for (int rounds = 0;; rounds++) {
        size_t n = 99;
        ASSERT_RC(am_list(m, f, after, buf, page, &n, &next), AM_OK);
        assert_true(n <= page);
        for (size_t i = 0; i < n; i++) {
            assert_true(buf[i].id > after);
            assert_true(total < cap);
            assert_true(i == 0 || buf[i].id > buf[i - 1].id);
            ids[total++] = buf[i].id;
        }
        if (next == 0)
            break;
        assert_true(n > 0 && next >= buf[n - 1].id);
        after = next;
        assert_true(rounds < 1000000);
    }
    return total;
}

static inline am_filter t_filter_any(void)
{
    am_filter f = {0, 0, -1, 0, 0};
    return f;
}

static inline int t_peer_matches(const am_peer *p, const am_filter *f)
{
    if (f->states != 0 && !(f->states & (1u << p->state)))
        return 0;
    if (f->networks != 0 && !(f->networks & (1u << p->addr.net)))
        return 0;
    if (f->table >= 0 && p->in_tried != f->table)
        return 0;
    if (f->verified_since > 0 && p->last_success < f->verified_since)
        return 0;
    return (p->services & f->services) == f->services;
}

/* Select and expect success; returns the peer. */
static inline am_peer t_select_at(am_man *m, const am_select_opts *o,
                                  const char *file, int line)
{
    am_peer p;
    memset(&p, 0xa5, sizeof p);
    t_rc_at(am_select(m, o, &p), AM_OK, "am_select", file, line);
    t_check_at(m, file, line);
    return p;
}
#define t_select(m, o) t_select_at((m), (o), __FILE__, __LINE__)

static inline am_select_opts t_opts(uint64_t services, uint32_t networks,
                                    int feeler)
{
    am_select_opts o;
    memset(&o, 0, sizeof o);
    o.services = services;
    o.networks = networks;
    o.feeler = feeler;
    return o;
}

static inline am_subnet t_single(am_addr a)
{
    am_subnet s;
    memset(&s, 0, sizeof s);
    s.base = t_host(a);
    s.prefix = (uint16_t)(8 * am_net_len(a.net));
    return s;
}

static inline am_subnet t_subnet(const char *text)
{
    am_subnet s;
    memset(&s, 0, sizeof s);
    ASSERT_RC(am_subnet_parse(&s, text), AM_OK);
    return s;
}

static inline double t_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
