/*
 * it_probe.c - helpers of the prober's tests (see it_probe.h).
 */
#include "it_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "am_error.h"
#include "it_p2p.h"
#include "it_persist.h"
#include "netaddr.h"

/* Start a prober on regtest: fast, `concurrency` at a time, 2 s timeout,
 * logging at debug level, plus `extra` (NULL-terminated, may be NULL). */
void it_probe_start(it_server *s, const char *concurrency,
                         const char *const *extra)
{
    const char *argv[32];
    size_t n = 0;

    it_need_own(s);
    argv[n++] = "--enable-debug";
    argv[n++] = "--log-level";
    argv[n++] = "debug";
    argv[n++] = "--chain";
    argv[n++] = "regtest";
    argv[n++] = "--probe";
    argv[n++] = "--probe-rate";
    argv[n++] = "100";
    argv[n++] = "--probe-concurrency";
    argv[n++] = concurrency;
    argv[n++] = "--probe-timeout";
    argv[n++] = "2";
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n + 1 < 32; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    it_start(s, argv, NULL, 1);
}

it_fakes *it_probe_fakes(const it_fake_spec *specs, size_t n)
{
    it_fakes *f = it_fakes_start(it_p2p_chain("regtest"), specs, n);

    assert_non_null(f);
    return f;
}

/* Put every fake into the pool (services 1, as a node would announce),
 * each heard from a source of its own /16 (10.i.0.1): fakes of one /16
 * heard from one source group would share one new bucket, where two may
 * want one slot.  Fakes of distinct buckets still meet in one slot now
 * and then (the bucketing key is fresh each run): a fake turned away is
 * heard again from another source group, which gives it another bucket. */
void it_probe_add_fakes(it_server *s, it_fakes *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char src[64];
        size_t k = 0;

        snprintf(src, sizeof src, "10.%zu.%zu.1", i % 250, i / 250);
        while (!it_try_add(s, it_fakes_host(f, i), it_fakes_port(f, i), 1,
                           src, "table_full")) {
            if (++k == 8)
                fail_msg("fake %zu (%s): its slot was held from 8 sources",
                         i, it_fakes_host(f, i));
            /* Private IPv6 sources, a /32 (group) for each (k, i). */
            snprintf(src, sizeof src, "fd%02zx:%zx::1", k, i);
        }
    }
}

int it_probe_learned(it_server *s, const char *host, int port,
                     const char *source)
{
    json_t *p;
    json_int_t age;

    if (it_peer_status(s, host, port) == 404)
        return 0;
    p = it_peer(s, host, port);
    assert_string_equal(it_probe_str(p, "source"), source);
    age = it_now() - it_probe_int(p, "time");
    if (age < 7200 - 60 || age > 7200 + 60)
        fail_msg("%s: time %lld s old, want Core's 2-hour penalty", host,
                 (long long)age);
    json_decref(p);
    return 1;
}

void it_probe_expect_answer(it_server *s, const char *peer, size_t n,
                            size_t added)
{
    char want[512];
    char *log = it_log_get(s, NULL);

    if (added < n)
        snprintf(want, sizeof want, "probe %s: answer of %zu addresses: %zu "
                 "added, ignored: table_full %zu\n", peer, n, added,
                 n - added);
    else
        snprintf(want, sizeof want, "probe %s: answer of %zu addresses: %zu "
                 "added\n", peer, n, added);
    if (strstr(log, want) == NULL) {
        it_dump_log(s);
        fail_msg("no log line \"%.*s\"", (int)strlen(want) - 1, want);
    }
    free(log);
}

/* The sum of the /metrics lines that start with `prefix` (a family name
 * with the start of its labels). */
double it_probe_metric(it_server *s, const char *prefix)
{
    it_resp *r = it_get(s, "/metrics");
    const char *line;
    size_t n = strlen(prefix);
    double sum = 0;

    IT_STATUS(r, 200);
    for (line = r->body; line != NULL && *line != '\0';) {
        if (strncmp(line, prefix, n) == 0) {
            const char *v = strchr(line, ' ');
            if (v != NULL)
                sum += strtod(v, NULL);
        }
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    it_resp_free(r);
    return sum;
}

/* Wait until the metric lines starting with `prefix` sum to `value` or
 * more (fails the test on time out). */
void it_probe_wait_for(it_server *s, const char *prefix, double value)
{
    long deadline = it_p2p_ms() + IT_PROBE_WAIT_MS;

    while (it_probe_metric(s, prefix) < value) {
        if (it_p2p_ms() > deadline) {
            it_dump_log(s);
            fail_msg("%s stayed below %.0f", prefix, value);
        }
        it_p2p_sleep_ms(100);
    }
}

/* Wait until `probes` probes have ended. */
void it_probe_wait(it_server *s, double probes)
{
    it_probe_wait_for(s, "addrmand_probe_total{", probes);
}

json_int_t it_probe_int(const json_t *peer, const char *key)
{
    return json_integer_value(IT_MEMBER(peer, key, JSON_INTEGER));
}

const char *it_probe_str(const json_t *peer, const char *key)
{
    return json_string_value(IT_MEMBER(peer, key, JSON_STRING));
}

json_t *it_probe_fake_peer(it_server *s, it_fakes *f, size_t i)
{
    return it_peer(s, it_fakes_host(f, i), it_fakes_port(f, i));
}

/* A Tor v3 address of its own for i (the prober has no route to Tor in
 * these cases, so it never probes the newcomers). */
void it_probe_onion(int i, char *out, size_t len)
{
    uint8_t key[32];
    am_addr a;

    memset(key, 0, sizeof key);
    key[0] = (uint8_t)i;
    key[1] = (uint8_t)(i >> 8);
    key[31] = 0x5a;
    assert_int_equal(am_addr_from_bytes(&a, AM_NET_TORV3, key, 32, 18444),
                     AM_OK);
    assert_int_equal(am_addr_format(&a, out, len), AM_OK);
}

void it_probe_import_tried(it_server *s, const char *host, int port)
{
    char doc[512];
    json_t *b;
    long long t = (long long)it_now() - 5 * 3600;

    snprintf(doc, sizeof doc,
             "[{\"address\": {\"V4\": \"%s\"}, \"port\": %d, \"services\": 9, "
             "\"last_connected\": %lld, \"state\": {\"Tried\": %lld}}]",
             host, port, t, t);
    b = it_import(s, "floresta", doc, strlen(doc), 200);
    json_decref(b);
}

/* The fake `host:port` imported as tried five hours ago, then newcomers
 * marked tried until one collides with it in the one-bucket tried table;
 * the newcomer's address into `newcomer` (port 18444). */
void it_probe_collision(it_server *s, const char *host, int port,
                           char *newcomer, size_t len)
{
    char path[256];

    it_probe_import_tried(s, host, port);
    for (int i = 0; i < 2000; i++) {
        char h[AM_ADDR_STRLEN];
        json_t *p;
        it_resp *r;

        it_probe_onion(i, h, sizeof h);
        it_add_one(s, h, 18444, 1);
        p = it_set_state(s, h, 18444, "tried");
        if (strcmp(it_probe_str(p, "table"), "new") == 0) {
            json_decref(p);
            snprintf(newcomer, len, "%s", h);
            return;
        }
        json_decref(p);
        it_peer_path(h, 18444, "", path, sizeof path);
        r = it_delete(s, path);
        IT_STATUS(r, 204);
        it_resp_free(r);
    }
    fail_msg("no tried collision in 2000 tries");
}

const char *it_probe_table(it_server *s, const char *host, int port)
{
    static char table[16];
    json_t *p = it_peer(s, host, port);

    snprintf(table, sizeof table, "%s", it_probe_str(p, "table"));
    json_decref(p);
    return table;
}

