/*
 * test_srv_config.c - the settings the daemon warns about at start
 * (srv_config_risks): which listening addresses are loopback, a short
 * token, no token on a public address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loopback_hosts_are_recognised),
        cmocka_unit_test(test_public_address_without_token_is_a_risk),
        cmocka_unit_test(test_token_shorter_than_16_is_a_risk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
