/*
 * test_cli.c - the command line and its ADDRMAND_<NAME> environment
 * variables: every option taken, options from the environment, invalid
 * options refused, the idle connection timeout.  Own servers only.
 */
#include "it_api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void expect_status(it_server *s, int auth, const char *path,
                          long status)
{
    it_req rq = { .method = "GET", .path = path, .auth = auth };
    it_resp *r = it_do(s, NULL, &rq);

    IT_STATUS(r, status);
    it_resp_free(r);
}

static void test_every_option_is_accepted(void **state)
{
    static const char *const args[] = {
        "--enable-debug", "--max-body", "4096", "--max-connections", "64",
        "--connection-timeout", "30", "--threads", "2", "--retry-time", "60",
        "--new-buckets", "128", "--tried-buckets", "32", "--log-level",
        "debug", "--api-token", "tok", NULL
    };
    it_server *s = *state;
    json_t *stats;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    stats = it_stats(s);
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(json_object_get(stats, "tables"), "new"), "buckets")),
        128);
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(json_object_get(stats, "tables"), "tried"), "buckets")),
        32);
    json_decref(stats);
    expect_status(s, IT_AUTH_NONE, "/v1/stats", 401);
}

static void test_options_from_environment(void **state)
{
    it_server *s = *state;
    char listen[64], datadir[160], dir[] = "/tmp/addrmand-env-XXXXXX";
    const char *env[] = { listen, datadir, "ADDRMAND_API_TOKEN=env-token",
                          "ADDRMAND_NEW_BUCKETS=256", NULL };
    json_t *stats;

    it_need_own(s);
    /* No --listen/--datadir: the environment names both. */
    snprintf(listen, sizeof listen, "ADDRMAND_LISTEN=127.0.0.1:%d",
             it_free_port());
    assert_non_null(mkdtemp(dir));
    snprintf(datadir, sizeof datadir, "ADDRMAND_DATADIR=%s", dir);
    it_start(s, NULL, env, 0);
    expect_status(s, IT_AUTH_NONE, "/healthz", 200);
    expect_status(s, IT_AUTH_NONE, "/v1/stats", 401);
    stats = it_stats(s);
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(json_object_get(stats, "tables"), "new"), "buckets")),
        256);
    json_decref(stats);
    it_close(s);
    it_rm_tree(dir);
}

static int run_bin(const char *const *args, char *out, size_t len)
{
    const char *argv[16];
    size_t n = 0, i;

    argv[n++] = ADDRMAND_BIN;
    for (i = 0; args[i] != NULL && n + 1 < 16; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return it_run(argv, NULL, 10000, out, len);
}

/* The binary must refuse `args` with a non-zero status, promptly. */
static void expect_refused(const char *const *args, const char *what)
{
    char out[4096];
    int st = run_bin(args, out, sizeof out);

    if (st == -1)
        fail_msg("%s: addrmand kept running", what);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        fail_msg("%s: addrmand exited 0: %s", what, out);
    if (WIFSIGNALED(st))
        fail_msg("%s: addrmand died of signal %d: %s", what, WTERMSIG(st),
                 out);
}

static void test_invalid_options_are_refused(void **state)
{
    char port[64], dir[] = "/tmp/addrmand-cli-XXXXXX";
    const char *bogus[] = { "--bogus", NULL };
    const char *listen[] = { "--listen", "nonsense", "--datadir", dir, NULL };
    const char *buckets[] = { "--listen", port, "--datadir", dir,
                              "--new-buckets", "1000", NULL };
    const char *threads[] = { "--listen", port, "--datadir", dir,
                              "--threads", "x", NULL };
    const char *body[] = { "--listen", port, "--datadir", dir,
                           "--max-body", "-5", NULL };
    const char *missing[] = { "--listen", port, "--datadir", NULL };

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(port, sizeof port, "127.0.0.1:%d", it_free_port());
    expect_refused(bogus, "--bogus");
    expect_refused(listen, "--listen nonsense");
    expect_refused(buckets, "--new-buckets 1000");
    expect_refused(threads, "--threads x");
    expect_refused(body, "--max-body -5");
    expect_refused(missing, "--datadir without a value");
    it_rm_tree(dir);
}

static void test_idle_connection_closed_after_timeout(void **state)
{
    static const char *const args[] = { "--enable-debug",
                                         "--connection-timeout", "1", NULL };
    it_server *s = *state;
    struct sockaddr_in a;
    struct pollfd pf;
    char buf[64];
    int fd;

    it_need_own(s);
    it_start(s, args, NULL, 1);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)s->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    pf.fd = fd;
    pf.events = POLLIN;
    if (poll(&pf, 1, 5000) != 1)
        fail_msg("an idle connection stayed open 5 s with "
                 "--connection-timeout 1");
    assert_true(recv(fd, buf, sizeof buf, 0) <= 0);
    close(fd);
}

/* A free port on ::1, or 0 when the host has no IPv6 loopback. */
static int free_port6(void)
{
    struct sockaddr_in6 a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET6, SOCK_STREAM, 0), port = 0;

    if (fd < 0)
        return 0;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin6_port);
    close(fd);
    return port;
}

static void test_listen_on_ipv6_loopback(void **state)
{
    it_server *s = *state;
    char listen[64], dir[] = "/tmp/addrmand-v6-XXXXXX", host[IT_HOST_MAX];
    const char *args[] = { "--listen", listen, "--datadir", dir,
                           "--enable-debug", NULL };
    int port;

    it_need_own(s);
    port = free_port6();
    if (port == 0)
        skip();
    assert_non_null(mkdtemp(dir));
    snprintf(listen, sizeof listen, "[::1]:%d", port);
    it_start(s, args, NULL, 0);
    expect_status(s, IT_AUTH_NONE, "/healthz", 200);
    it_uniq_ipv4(host);
    it_add_one(s, host, IT_PORT, 1);
    json_decref(it_peer(s, host, IT_PORT));
    it_close(s);
    it_rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)
        T(test_every_option_is_accepted),
        T(test_options_from_environment),
        T(test_invalid_options_are_refused),
        T(test_idle_connection_closed_after_timeout),
        T(test_listen_on_ipv6_loopback),
#undef T
    };

    return IT_RUN(tests);
}
