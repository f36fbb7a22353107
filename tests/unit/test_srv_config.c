/*
 * test_srv_config.c - the settings the daemon warns about at start
 * (srv_config_risks): which listening addresses are loopback, a short
 * token, no token on a public address; numeric options: digits only, up to
 * their limit, with a suffix for sizes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "netaddr.h"
#include "srv_config.h"

static void test_loopback_hosts_are_recognised(void **state)
{
    static const char *const loop[] = {
        "127.0.0.1:8380", "127.1.2.3:1", "localhost:8380", "LOCALHOST:80",
        "[::1]:8380", "[::ffff:127.0.0.1]:8380", NULL };
    static const char *const other[] = {
        "0.0.0.0:8380", "[::]:8380", "192.168.1.10:8380", "10.0.0.1:80",
        "[2001:db8::1]:8380", "example.org:8380", "128.0.0.1:8380",
        "[::2]:8380", "[::ffff:10.0.0.1]:8380", "nonsense", NULL };
    (void)state;
    for (size_t i = 0; loop[i] != NULL; i++)
        if (!srv_listen_is_loopback(loop[i]))
            fail_msg("%s is loopback", loop[i]);
    for (size_t i = 0; other[i] != NULL; i++)
        if (srv_listen_is_loopback(other[i]))
            fail_msg("%s is not loopback", other[i]);
}

static size_t risks(const char *listen, const char *token,
                    char (*out)[SRV_RISK_MAX])
{
    srv_config cfg;

    memset(&cfg, 0, sizeof cfg);
    cfg.listen = listen;
    cfg.api_token = token;
    return srv_config_risks(&cfg, out, 4);
}

static void test_public_address_without_token_is_a_risk(void **state)
{
    char r[4][SRV_RISK_MAX];
    (void)state;
    assert_int_equal(risks("0.0.0.0:8380", "", r), 1);
    assert_non_null(strstr(r[0], "0.0.0.0:8380, not a loopback address"));
    assert_int_equal(risks("[::]:8380", "", r), 1);
    assert_int_equal(risks("127.0.0.1:8380", "", r), 0);
    assert_int_equal(risks("0.0.0.0:8380",
                           "0123456789abcdef0123456789abcdef", r), 0);
}

static void test_token_shorter_than_16_is_a_risk(void **state)
{
    char r[4][SRV_RISK_MAX];
    (void)state;
    assert_int_equal(risks("127.0.0.1:8380", "0123456789abcde", r), 1);
    assert_non_null(strstr(r[0], "15 characters, fewer than 16"));
    assert_int_equal(risks("127.0.0.1:8380", "0123456789abcdef", r), 0);
    /* Short and public: only the token is said (there is one). */
    assert_int_equal(risks("0.0.0.0:8380", "tok", r), 1);
}

/* One option from the command line: 0 with cfg, or -1 with err. */
static int load_option(const char *name, const char *value, srv_config *cfg,
                       char *err, size_t err_len)
{
    char prog[] = "addrmand", opt[64], val[128];
    char *argv[] = {prog, opt, val, NULL};

    snprintf(opt, sizeof opt, "--%s", name);
    snprintf(val, sizeof val, "%s", value);
    memset(cfg, 0, sizeof *cfg);
    err[0] = '\0';
    return srv_config_load(cfg, 3, argv, err, err_len);
}

static void test_numeric_options_take_digits_up_to_their_limit(void **state)
{
    static const char *const bad_threads[] = {
        "0", "1025", "99999999999999999999999", "+5", " 5", "5 ", "-1", "",
        "0x10", "1e3"};
    srv_config cfg;
    char err[256], want[256];

    (void)state;
    assert_int_equal(load_option("threads", "1024", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.threads, 1024);
    assert_int_equal(load_option("threads", "007", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.threads, 7);
    for (size_t i = 0; i < sizeof bad_threads / sizeof *bad_threads; i++) {
        assert_int_equal(load_option("threads", bad_threads[i], &cfg, err,
                                     sizeof err), -1);
        snprintf(want, sizeof want, "threads: expected an integer from 1 to "
                 "1024, got '%s'", bad_threads[i]);
        assert_non_null(strstr(err, want));
    }
    assert_int_equal(load_option("save-interval", "0", &cfg, err, sizeof err),
                     0);
    assert_int_equal(load_option("save-interval", "86401", &cfg, err,
                                 sizeof err), -1);
    assert_non_null(strstr(err, "save-interval: expected seconds from 0"));
    assert_int_equal(load_option("new-buckets", "65536", &cfg, err,
                                 sizeof err), 0);
    assert_int_equal(cfg.new_buckets, 65536);
    assert_int_equal(load_option("new-buckets", "131072", &cfg, err,
                                 sizeof err), -1);
    assert_non_null(strstr(err, "new-buckets: expected a power of two"));
}

static void test_listen_port_is_digits_up_to_65535(void **state)
{
    static const char *const good[] = {
        "127.0.0.1:8380", "127.0.0.1:0", "[::1]:65535", "localhost:080"};
    static const char *const bad[] = {
        "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:+80", "127.0.0.1: 80",
        "127.0.0.1:80 ", "[::1]:-1", "127.0.0.1:99999999999999999999",
        "127.0.0.1:8380x", "::1:8380", "127.0.0.1"};
    char host[64], port[16];

    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (srv_split_hostport(good[i], host, sizeof host, port,
                               sizeof port) != 0)
            fail_msg("%s is refused", good[i]);
    assert_string_equal(port, "080");
    assert_string_equal(host, "localhost");
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (srv_split_hostport(bad[i], host, sizeof host, port,
                               sizeof port) != -1)
            fail_msg("%s is accepted", bad[i]);
}

static void test_max_body_takes_a_size_up_to_1gib(void **state)
{
    static const struct {
        const char *text;
        size_t bytes;           /* 0: refused */
    } cases[] = {
        {"65536", 65536}, {"16MiB", (size_t)16 << 20}, {"512k", 512 << 10},
        {"1G", (size_t)1 << 30}, {"1073741824", (size_t)1 << 30},
        {"2G", 0}, {"1025M", 0}, {"1073741825", 0}, {"0", 0}, {"0k", 0},
        {"k", 0}, {"", 0}, {"16 MiB", 0}, {"16mb", 0}, {"-5", 0},
        {"99999999999999999999999999k", 0}};
    srv_config cfg;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = load_option("max-body", cases[i].text, &cfg, err, sizeof err);
        if (cases[i].bytes == 0) {
            if (rc != -1 || strstr(err, "max-body: expected a size") == NULL)
                fail_msg("'%s' is not refused (%s)", cases[i].text, err);
        } else if (rc != 0 || cfg.max_body != cases[i].bytes) {
            fail_msg("'%s': %d, %zu bytes (%s)", cases[i].text, rc,
                     cfg.max_body, err);
        }
    }
}

typedef struct option_case {
    const char *name, *value, *error;   /* error NULL: accepted */
} option_case;

/* Each option alone on the command line: accepted, or refused with the
 * error's text. */
static void check_cases(const option_case *cases, size_t n)
{
    srv_config cfg;
    char err[256];

    for (size_t i = 0; i < n; i++) {
        int rc = load_option(cases[i].name, cases[i].value, &cfg, err,
                             sizeof err);
        if (cases[i].error == NULL ? rc != 0
                                   : rc != -1 || strstr(err, cases[i].error) == NULL)
            fail_msg("--%s %s: %d (%s)", cases[i].name, cases[i].value, rc, err);
    }
}

static void test_p2p_options_default_off_and_are_checked(void **state)
{
    static const option_case cases[] = {
        {"p2p-listen", "0.0.0.0:8333", NULL},
        {"p2p-listen", "[::]:18444", NULL},
        {"p2p-listen", "0.0.0.0", NULL},
        {"p2p-listen", "[::]", NULL},
        {"p2p-listen", "::1", "p2p-listen: expected HOST[:PORT]"},
        {"p2p-listen", "[::1", "p2p-listen: expected HOST[:PORT]"},
        {"p2p-listen", "0.0.0.0:65536", "p2p-listen: expected HOST[:PORT]"},
        {"chain", "regtest", NULL},
        {"chain", "testnet4", NULL},
        {"chain", "signet", NULL},
        {"chain", "testnet3", "chain: expected main, testnet4, signet or regtest"},
        {"chain", "Main", "chain: expected main, testnet4, signet or regtest"},
        {"p2p-services", "1033", NULL},
        {"p2p-services", "-1", "p2p-services: expected an integer"},
        {"p2p-max-connections", "100000", NULL},
        {"p2p-max-connections", "0", "p2p-max-connections: expected an integer from 1"},
        {"p2p-max-connections", "100001", "p2p-max-connections: expected"},
        {"p2p-max-per-ip", "0", NULL},
        {"p2p-max-per-ip", "x", "p2p-max-per-ip: expected an integer from 0 (no cap)"},
        {"p2p-max-per-group", "0", NULL},
        {"p2p-handshake-timeout", "0", "p2p-handshake-timeout: expected seconds from 1"},
        {"p2p-handshake-timeout", "86401", "p2p-handshake-timeout: expected"},
        {"p2p-idle-timeout", "2", NULL},
        {"p2p-idle-timeout", "0", "p2p-idle-timeout: expected seconds from 1"},
    };
    srv_config cfg;
    char err[256];
    char prog[] = "addrmand";
    char *argv[] = {prog, NULL};

    (void)state;
    assert_int_equal(srv_config_load(&cfg, 1, argv, err, sizeof err), 0);
    assert_string_equal(cfg.p2p_listen, "");
    assert_string_equal(cfg.chain, "main");
    assert_int_equal(cfg.p2p_services, 9);
    assert_int_equal(cfg.p2p_max_connections, 125);
    assert_int_equal(cfg.p2p_max_per_ip, 8);
    assert_int_equal(cfg.p2p_max_per_group, 16);
    assert_int_equal(cfg.p2p_handshake_timeout, 60);
    assert_int_equal(cfg.p2p_idle_timeout, 120);
    check_cases(cases, sizeof cases / sizeof *cases);
    assert_int_equal(load_option("chain", "regtest", &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.chain, "regtest");
}

static void test_probe_options_default_off_and_are_checked(void **state)
{
    static const option_case cases[] = {
        {"probe-rate", "0.5", NULL},
        {"probe-rate", "250", NULL},
        {"probe-rate", "10000", NULL},
        {"probe-rate", "0", "probe-rate: expected probes a second from 0.01"},
        {"probe-rate", "0.001", "probe-rate: expected"},
        {"probe-rate", "10001", "probe-rate: expected"},
        {"probe-rate", "1e3", "probe-rate: expected"},
        {"probe-rate", ".5", "probe-rate: expected"},
        {"probe-rate", "5.", "probe-rate: expected"},
        {"probe-rate", "nan", "probe-rate: expected"},
        {"probe-rate", "", "probe-rate: expected"},
        {"probe-concurrency", "1", NULL},
        {"probe-concurrency", "0", "probe-concurrency: expected an integer from 1 to 10000"},
        {"probe-concurrency", "10001", "probe-concurrency: expected"},
        {"probe-timeout", "1", NULL},
        {"probe-timeout", "0", "probe-timeout: expected seconds from 1 to 3600"},
        {"probe-timeout", "3601", "probe-timeout: expected"},
        {"probe-tried-age", "60", NULL},
        {"probe-tried-age", "59", "probe-tried-age: expected seconds from 60"},
        {"probe-networks", "ipv4", NULL},
        {"probe-networks", "ipv4,torv3,i2p,cjdns", NULL},
        {"probe-networks", "", "probe-networks: expected a comma-separated list"},
        {"probe-networks", "ipv4,", "probe-networks: expected"},
        {"probe-networks", "ipv4,,ipv6", "probe-networks: expected"},
        {"probe-networks", "IPv4", "probe-networks: expected"},
        {"probe-networks", "onion", "probe-networks: expected"},
        {"proxy", "127.0.0.1:9050", NULL},
        {"proxy", "[::1]:1080", NULL},
        {"proxy", "", NULL},
        {"proxy", "localhost:9050", "proxy: expected a numeric HOST:PORT"},
        {"proxy", "127.0.0.1", "proxy: expected a numeric HOST:PORT"},
        {"proxy", "127.0.0.1:0", "proxy: expected a numeric HOST:PORT"},
        {"onion-proxy", "127.0.0.1:9050", NULL},
        {"onion-proxy", "tor:9050", "onion-proxy: expected a numeric HOST:PORT"},
        {"i2p-proxy", "127.0.0.1:4447", NULL},
        {"i2p-proxy", "::1:4447", "i2p-proxy: expected a numeric HOST:PORT"},
    };
    srv_config cfg;
    char err[256];
    char prog[] = "addrmand";
    char *argv[] = {prog, NULL};

    (void)state;
    assert_int_equal(srv_config_load(&cfg, 1, argv, err, sizeof err), 0);
    assert_int_equal(cfg.probe, 0);
    assert_true(cfg.probe_rate == 2.0);
    assert_int_equal(cfg.probe_concurrency, 32);
    assert_int_equal(cfg.probe_timeout, 10);
    assert_int_equal(cfg.probe_tried_age, 4 * 3600);
    assert_int_equal(cfg.probe_networks, 0);
    assert_string_equal(cfg.proxy, "");
    assert_string_equal(cfg.onion_proxy, "");
    assert_string_equal(cfg.i2p_proxy, "");
    check_cases(cases, sizeof cases / sizeof *cases);
    assert_int_equal(load_option("probe-networks", "ipv4,torv3", &cfg, err,
                                 sizeof err), 0);
    assert_int_equal(cfg.probe_networks,
                     1u << AM_NET_IPV4 | 1u << AM_NET_TORV3);
    assert_int_equal(load_option("probe-rate", "0.25", &cfg, err, sizeof err), 0);
    assert_true(cfg.probe_rate == 0.25);
    {
        char flag[] = "--probe", bad[] = "--probe=maybe";
        char *on[] = {prog, flag, NULL}, *wrong[] = {prog, bad, NULL};

        assert_int_equal(srv_config_load(&cfg, 2, on, err, sizeof err), 0);
        assert_int_equal(cfg.probe, 1);
        assert_int_equal(srv_config_load(&cfg, 2, wrong, err, sizeof err), -1);
        assert_non_null(strstr(err, "probe: expected 1/0"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_hosts_are_recognised),
        cmocka_unit_test(test_public_address_without_token_is_a_risk),
        cmocka_unit_test(test_token_shorter_than_16_is_a_risk),
        cmocka_unit_test(test_numeric_options_take_digits_up_to_their_limit),
        cmocka_unit_test(test_max_body_takes_a_size_up_to_1gib),
        cmocka_unit_test(test_listen_port_is_digits_up_to_65535),
        cmocka_unit_test(test_p2p_options_default_off_and_are_checked),
        cmocka_unit_test(test_probe_options_default_off_and_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
