/*
 * test_shutdown.c - SIGTERM/SIGINT end the process with status 0 within a
 * few seconds, under load too, after finishing the requests in flight;
 * `addrmand healthcheck`, `--help` and `--version`.
 */
#include "it_api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOAD_THREADS 8

static double mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double sec)
{
    struct timespec ts = { (time_t)sec, (long)((sec - (time_t)sec) * 1e9) };

    nanosleep(&ts, NULL);
}

static void expect_exit_zero(int st, const char *what)
{
    if (st == -1)
        fail_msg("%s: addrmand did not exit in time", what);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("%s: addrmand ended with %s %d, expected exit 0", what,
                 WIFEXITED(st) ? "status" : "signal",
                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* ---- signals --------------------------------------------------------- */

static void stop_with(it_server *s, int sig, double max_seconds)
{
    double t0 = mono(), took;
    int st = it_signal_wait(s, sig, (long)(max_seconds * 1000));

    took = mono() - t0;
    expect_exit_zero(st, sig == SIGTERM ? "SIGTERM" : "SIGINT");
    if (took > max_seconds)
        fail_msg("exit took %.2f s", took);
}

static void test_sigterm_idle_exits_zero_quickly(void **state)
{
    it_server *s = *state;

    it_need_own(s);
    it_start(s, NULL, NULL, 1);
    stop_with(s, SIGTERM, 3.0);
}

static void test_sigint_exits_zero(void **state)
{
    it_server *s = *state;
    char h[1][IT_HOST_MAX];

    it_need_own(s);
    it_start(s, NULL, NULL, 1);
    it_add_ipv4s(s, 1, 1, h);
    stop_with(s, SIGINT, 3.0);
}

typedef struct loader {
    it_server *s;
    atomic_int *stop;
    long ok, server_errors, bad_bodies;
    char note[512];
} loader;

static void load_one(loader *l, CURL *c, int i)
{
    char host[IT_HOST_MAX], body[256];
    it_req rq = { .method = "POST", .path = "/v1/peers", .body = body,
                  .content_type = "application/json", .timeout_ms = 5000 };
    it_resp *r;

    if (i % 3 == 1) {
        rq.path = "/v1/select";
        snprintf(body, sizeof body, "{\"count\": 4}");
    } else if (i % 3 == 2) {
        rq.method = "GET";
        rq.path = "/v1/stats";
        rq.body = NULL;
        rq.content_type = NULL;
    } else {
        it_uniq_ipv4(host);
        snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}",
                 host);
    }
    rq.body_len = rq.body ? strlen(body) : 0;
    r = it_do(l->s, c, &rq);
    if (r->status >= 500) {
        if (l->server_errors++ == 0)
            snprintf(l->note, sizeof l->note, "%.120s: %ld %.200s", r->what,
                     r->status, r->body);
    } else if (r->status == 200) {
        l->ok++;
        if (r->json == NULL || !json_is_object(r->json))
            l->bad_bodies++;
    }
    it_resp_free(r);
}

static void *run_loader(void *arg)
{
    loader *l = arg;
    CURL *c = curl_easy_init();
    int i = 0;

    if (c == NULL)
        return NULL;
    while (!atomic_load(l->stop))
        load_one(l, c, i++);
    curl_easy_cleanup(c);
    return NULL;
}

static void test_sigterm_under_load_exits_zero(void **state)
{
    it_server *s = *state;
    pthread_t t[LOAD_THREADS];
    loader l[LOAD_THREADS];
    atomic_int stop;
    long ok = 0;
    int i, st;

    it_need_own(s);
    it_start(s, NULL, NULL, 1);
    atomic_init(&stop, 0);
    memset(l, 0, sizeof l);
    for (i = 0; i < LOAD_THREADS; i++) {
        l[i].s = s;
        l[i].stop = &stop;
        assert_int_equal(pthread_create(&t[i], NULL, run_loader, &l[i]), 0);
    }
    sleep_s(1.0);
    st = it_signal_wait(s, SIGTERM, 5000);
    atomic_store(&stop, 1);
    for (i = 0; i < LOAD_THREADS; i++)
        pthread_join(t[i], NULL);
    expect_exit_zero(st, "SIGTERM under load");
    for (i = 0; i < LOAD_THREADS; i++) {
        ok += l[i].ok;
        if (l[i].server_errors)
            fail_msg("%ld 5xx answers during shutdown, e.g. %s",
                     l[i].server_errors, l[i].note);
        assert_int_equal(l[i].bad_bodies, 0);
    }
    assert_true(ok > 0);
}

/* A raw connection: send the head and half the body, SIGTERM, then the
 * rest; the request must still be answered. */
static int connect_to(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            fail_msg("send: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}

static size_t recv_some(int fd, char *buf, size_t cap, int timeout_ms)
{
    struct pollfd pf = { .fd = fd, .events = POLLIN };
    size_t n = 0;

    while (n + 1 < cap && poll(&pf, 1, timeout_ms) > 0) {
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);

        if (r <= 0)
            break;
        n += (size_t)r;
        if (strstr(buf, "\r\n\r\n") != NULL && strchr(buf, '}') != NULL)
            break;
    }
    buf[n] = '\0';
    return n;
}

static void test_sigterm_lets_inflight_request_finish(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[256], head[256], answer[2048];
    size_t half;
    int fd, st;

    it_need_own(s);
    it_start(s, NULL, NULL, 1);
    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}", host);
    snprintf(head, sizeof head, "POST /v1/peers HTTP/1.1\r\nHost: 127.0.0.1"
             "\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n", strlen(body));
    fd = connect_to(s->port);
    send_all(fd, head, strlen(head));
    half = strlen(body) / 2;
    send_all(fd, body, half);
    sleep_s(0.3);
    kill(s->pid, SIGTERM);
    sleep_s(0.3);
    send_all(fd, body + half, strlen(body) - half);
    recv_some(fd, answer, sizeof answer, 5000);
    close(fd);
    st = it_signal_wait(s, 0, 5000);
    expect_exit_zero(st, "SIGTERM with a request in flight");
    if (strncmp(answer, "HTTP/1.1 200", 12) != 0 ||
        strstr(answer, "\"added\"") == NULL)
        fail_msg("the request in flight at SIGTERM was not answered 200: "
                 "%.500s", answer);
}

/* ---- healthcheck, --help, --version ---------------------------------- */

static int run_bin(const char *const *args, char *out, size_t len)
{
    const char *argv[8];
    size_t n = 0, i;

    argv[n++] = ADDRMAND_BIN;
    for (i = 0; args[i] != NULL && n + 1 < 8; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return it_run(argv, NULL, 15000, out, len);
}

static void test_healthcheck_exits_zero_against_running_server(void **state)
{
    it_server *s = *state;
    char url[IT_URL_MAX + 16], out[4096];
    const char *args[] = { "healthcheck", "--url", url, NULL };
    int st;

    it_open(s, NULL);
    snprintf(url, sizeof url, "%s/healthz", s->url);
    st = run_bin(args, out, sizeof out);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("healthcheck --url %s: status %d, output: %s", url, st, out);
}

static void test_healthcheck_fails_when_nothing_listens(void **state)
{
    char url[64], out[4096];
    const char *args[] = { "healthcheck", "--url", url, NULL };
    int st;

    (void)state;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", it_free_port());
    st = run_bin(args, out, sizeof out);
    if (st == -1)
        fail_msg("healthcheck did not give up within 15 s");
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        fail_msg("healthcheck against a closed port exited 0: %s", out);
}

static void test_healthcheck_fails_on_error_status(void **state)
{
    it_server *s = *state;
    char url[IT_URL_MAX + 16], out[4096];
    const char *args[] = { "healthcheck", "--url", url, NULL };
    int st;

    it_open(s, NULL);
    snprintf(url, sizeof url, "%s/no-such-path", s->url);
    st = run_bin(args, out, sizeof out);
    if (st == -1)
        fail_msg("healthcheck did not give up within 15 s");
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        fail_msg("healthcheck of a 404 URL exited 0: %s", out);
}

static void test_help_exits_zero_and_lists_options(void **state)
{
    static const char *const args[] = { "--help", NULL };
    char out[16384];
    int st;

    (void)state;
    st = run_bin(args, out, sizeof out);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("--help: status %d: %s", st, out);
    assert_non_null(strstr(out, "--listen"));
    assert_non_null(strstr(out, "--datadir"));
    assert_non_null(strstr(out, "--api-token"));
    assert_non_null(strstr(out, "healthcheck"));
}

static void test_version_exits_zero_and_prints_version(void **state)
{
    static const char *const args[] = { "--version", NULL };
    char out[4096];
    int st;

    (void)state;
    st = run_bin(args, out, sizeof out);
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("--version: status %d: %s", st, out);
    if (strstr(out, ADDRMAND_VERSION_TEXT) == NULL)
        fail_msg("--version does not print %s: %s", ADDRMAND_VERSION_TEXT, out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)
        T(test_sigterm_idle_exits_zero_quickly),
        T(test_sigint_exits_zero),
        T(test_sigterm_under_load_exits_zero),
        T(test_sigterm_lets_inflight_request_finish),
        T(test_healthcheck_exits_zero_against_running_server),
        T(test_healthcheck_fails_when_nothing_listens),
        T(test_healthcheck_fails_on_error_status),
        T(test_help_exits_zero_and_lists_options),
        T(test_version_exits_zero_and_prints_version),
#undef T
    };

    return IT_RUN(tests);
}
