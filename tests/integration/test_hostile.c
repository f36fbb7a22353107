/*
 * test_hostile.c - malformed, oversized and abusive requests: every one is
 * answered (4xx with the error body of api/openapi.yaml, or refused by the HTTP
 * layer), the server keeps serving, and the pool does not change.
 *
 * Most cases share one server (ours, or ADDRMAND_TEST_URL): each takes a
 * snapshot of the pool before the request and checks it after.  Cases that
 * need special options (limits, timeouts, a token) or raw sockets start
 * their own server and are skipped in shared mode.
 */
#include "it_api.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BIG_SOURCE_COUNT 100000
#define GROUP_FLOOD_COUNT 20000
#define NEW_BUCKETS_PER_SOURCE_GROUP 64   /* as core/addrman.c (Core's rule) */

/* ---- small utilities ------------------------------------------------- */

static long mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* A growable text for building large bodies. */
typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;

        while (cap < t->len + n + 1)
            cap *= 2;
        t->p = realloc(t->p, cap);
        assert_non_null(t->p);
        t->cap = cap;
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

static void text_str(text *t, const char *s)
{
    text_add(t, s, strlen(s));
}

static void text_repeat(text *t, const char *s, size_t times)
{
    size_t i;

    for (i = 0; i < times; i++)
        text_str(t, s);
}

static size_t body_sink(char *data, size_t size, size_t n, void *ctx)
{
    text_add(ctx, data, size * n);
    return size * n;
}

/* ---- pool snapshots -------------------------------------------------- */

/*
 * What must not change: the counts of GET /v1/stats, and on our own
 * server also the states, the bans and every peer as listed.  In shared
 * mode other tests' short bans may expire meanwhile, so only what moves
 * with adds and removals is compared there.
 */
typedef struct pool_snap {
    json_t *counts;
    text list;
} pool_snap;

static json_t *stats_counts(it_server *s)
{
    static const char *const always[] = { "peers", "networks", "tables",
                                          "next_id", NULL };
    static const char *const own[] = { "states", "bans", NULL };
    json_t *st = it_stats(s), *out = json_object();
    size_t i;

    for (i = 0; always[i] != NULL; i++) {
        json_t *v = json_object_get(st, always[i]);

        if (v == NULL)
            fail_msg("GET /v1/stats lacks \"%s\"", always[i]);
        json_object_set(out, always[i], v);
    }
    for (i = 0; !s->shared && own[i] != NULL; i++)
        json_object_set(out, own[i], json_object_get(st, own[i]));
    json_decref(st);
    return out;
}

/* Every page of GET /v1/peers, concatenated. */
static void list_all(it_server *s, text *out)
{
    char path[96];
    json_int_t after = 0;

    for (;;) {
        it_resp *r;
        json_t *next;

        snprintf(path, sizeof path, "/v1/peers?limit=10000&after=%lld",
                 (long long)after);
        r = it_get(s, path);
        IT_STATUS(r, 200);
        text_add(out, r->body, r->body_len);
        next = json_object_get(IT_BODY(r), "next");
        if (!json_is_integer(next)) {
            it_resp_free(r);
            return;
        }
        after = json_integer_value(next);
        it_resp_free(r);
    }
}

static void snap_take(it_server *s, pool_snap *p)
{
    memset(p, 0, sizeof *p);
    p->counts = stats_counts(s);
    if (!s->shared)
        list_all(s, &p->list);
}

static void expect_healthy(it_server *s)
{
    it_req rq = { .method = "GET", .path = "/healthz", .auth = IT_AUTH_NONE,
                  .timeout_ms = 5000 };
    it_resp *r = it_do(s, NULL, &rq);

    IT_STATUS(r, 200);
    IT_STREQ(IT_JSTR(IT_BODY(r), "status"), "ok");
    it_resp_free(r);
}

/* The server answers /healthz and the pool is as in the snapshot. */
static void snap_unchanged(it_server *s, pool_snap *p)
{
    json_t *now;
    text list = { 0 };

    expect_healthy(s);
    now = stats_counts(s);
    if (!json_equal(p->counts, now)) {
        char *a = json_dumps(p->counts, JSON_COMPACT);
        char *b = json_dumps(now, JSON_COMPACT);

        fail_msg("the pool changed:\nbefore %s\nafter  %s", a, b);
    }
    if (!s->shared) {
        list_all(s, &list);
        if (list.len != p->list.len || memcmp(list.p, p->list.p, list.len))
            fail_msg("GET /v1/peers changed:\nbefore %.800s\nafter  %.800s",
                     p->list.p, list.p);
    }
    free(list.p);
    json_decref(now);
    json_decref(p->counts);
    free(p->list.p);
    memset(p, 0, sizeof *p);
}

/* ---- request helpers ------------------------------------------------- */

/* A request that must be refused with `status` and `code`, and change
 * nothing. */
static void expect_refused(it_server *s, const it_req *rq, long status,
                           const char *code)
{
    pool_snap snap;
    it_resp *r;

    snap_take(s, &snap);
    r = it_do(s, NULL, rq);
    IT_ERROR(r, status, code);
    it_resp_free(r);
    snap_unchanged(s, &snap);
}

static void expect_body_refused(it_server *s, const char *method,
                                const char *path, const char *ctype,
                                const void *body, size_t len, long status,
                                const char *code)
{
    it_req rq = { .method = method, .path = path, .body = body,
                  .body_len = len, .content_type = ctype };

    expect_refused(s, &rq, status, code);
}

static void expect_json_refused(it_server *s, const char *method,
                                const char *path, const char *json,
                                long status, const char *code)
{
    expect_body_refused(s, method, path, "application/json", json,
                        strlen(json), status, code);
}

static void expect_get_refused(it_server *s, const char *path, long status,
                               const char *code)
{
    it_req rq = { .method = "GET", .path = path };

    expect_refused(s, &rq, status, code);
}

/*
 * POST /v1/peers with one entry that is wrong: api/openapi.yaml says one bad entry
 * does not reject the others, so the answer is 200 with the entry in
 * `errors` (index 0, `code`), and nothing is added.
 */
static void expect_entry_refused(it_server *s, const char *json,
                                 const char *code)
{
    pool_snap snap;
    it_resp *r;
    json_t *b, *errors, *e;

    snap_take(s, &snap);
    r = it_send(s, "POST", "/v1/peers", json);
    IT_STATUS(r, 200);
    b = IT_BODY(r);
    errors = IT_JARR(b, "errors");
    if (IT_JINT(b, "added") != 0 || IT_JINT(b, "updated") != 0 ||
        IT_JINT(b, "ignored") != 0 || json_array_size(errors) != 1)
        fail_msg("%s: expected one error and nothing added for %s, got %s",
                 r->what, json, r->body);
    e = json_array_get(errors, 0);
    assert_int_equal(IT_JINT(e, "index"), 0);
    IT_STREQ(IT_JSTR(e, "code"), code);
    assert_true(strlen(IT_JSTR(e, "message")) > 0);
    it_resp_free(r);
    snap_unchanged(s, &snap);
}

/* A fresh address with `member` (a JSON fragment) in its entry. */
static void expect_member_refused(it_server *s, const char *member,
                                  const char *code)
{
    char host[IT_HOST_MAX], body[512];

    it_uniq_ipv4(host);
    snprintf(body, sizeof body,
             "{\"peers\": [{\"address\": \"%s\", %s}]}", host, member);
    expect_entry_refused(s, body, code);
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
}

/* `address` as an entry (error `code`), as the source of an otherwise
 * valid request (the whole request is refused) and as a ban target. */
static void expect_address_refused(it_server *s, const char *address)
{
    char host[IT_HOST_MAX], body[512];

    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}",
             address);
    expect_entry_refused(s, body, "invalid_address");
    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "{\"source\": \"%s\", \"peers\": "
             "[{\"address\": \"%s\"}]}", address, host);
    expect_json_refused(s, "POST", "/v1/peers", body, 400, "invalid_address");
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
    snprintf(body, sizeof body, "{\"target\": \"%s\"}", address);
    expect_json_refused(s, "POST", "/v1/bans", body, 400, "invalid_address");
}

/* A new peer of ours (its own source); its id.  The new table may turn
 * an address away (its slot is taken): then another one is tried. */
static json_int_t add_peer(it_server *s, char host[IT_HOST_MAX])
{
    char body[128];
    json_t *p;
    json_int_t id;
    int tries;

    for (tries = 0; tries < 10; tries++) {
        it_uniq_ipv4(host);
        snprintf(body, sizeof body,
                 "{\"peers\": [{\"address\": \"%s\", \"services\": 1}]}",
                 host);
        if (it_add_json(s, body, NULL).added == 1)
            break;
    }
    p = it_peer(s, host, IT_PORT);
    id = IT_JINT(p, "id");
    json_decref(p);
    return id;
}

/* 405, with an Allow header that names `want` and not `method`. */
static void expect_405(it_server *s, const char *method, const char *path,
                       const char *want)
{
    it_req rq = { .method = method, .path = path };
    pool_snap snap;
    char allow[128];
    it_resp *r;

    snap_take(s, &snap);
    r = it_do(s, NULL, &rq);
    IT_ERROR(r, 405, "method_not_allowed");
    if (!it_header(r, "Allow", allow, sizeof allow))
        fail_msg("%s: 405 without an Allow header", r->what);
    if (strstr(allow, want) == NULL || strstr(allow, method) != NULL)
        fail_msg("%s: Allow \"%s\", expected %s and not %s", r->what, allow,
                 want, method);
    it_resp_free(r);
    snap_unchanged(s, &snap);
}

/* ---- raw sockets ----------------------------------------------------- */

static int raw_connect(const it_server *s)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)s->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        fail_msg("connect to port %d: %s", s->port, strerror(errno));
    return fd;
}

/* 0, or -1 when the server has closed the connection. */
static int raw_send(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int raw_send_str(int fd, const char *s)
{
    return raw_send(fd, s, strlen(s));
}

/*
 * Read into buf (NUL-terminated) until `needle` is in it, the peer closes
 * (*closed = 1) or timeout_ms pass.  The bytes read.
 */
static size_t raw_read(int fd, const char *needle, long timeout_ms,
                       char *buf, size_t cap, int *closed)
{
    long deadline = mono_ms() + timeout_ms;
    size_t len = 0;

    *closed = 0;
    buf[0] = '\0';
    while (len + 1 < cap && (needle == NULL || strstr(buf, needle) == NULL)) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        long left = deadline - mono_ms();
        ssize_t n;

        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
        n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *closed = 1;
            break;
        }
        len += (size_t)n;
        buf[len] = '\0';
    }
    return len;
}

/* The status of an HTTP/1.x answer at the start of buf, or 0. */
static long raw_status(const char *buf)
{
    long status = 0;

    if (sscanf(buf, "HTTP/1.%*c %ld", &status) != 1)
        return 0;
    return status;
}

/* The error code of a raw answer's JSON body, into code. */
static void raw_error_code(const char *buf, char *code, size_t len)
{
    const char *body = strstr(buf, "\r\n\r\n");
    json_t *j = body ? json_loads(body + 4, 0, NULL) : NULL;
    const char *c = json_string_value(json_object_get(
        json_object_get(j, "error"), "code"));

    snprintf(code, len, "%s", c ? c : "");
    json_decref(j);
}

/* Send `request` on a new connection; its whole answer (the server
 * closes: requests say "Connection: close") into buf. */
static long raw_exchange(it_server *s, const void *request, size_t len,
                         char *buf, size_t cap)
{
    int fd = raw_connect(s), closed;

    raw_send(fd, request, len);
    raw_read(fd, NULL, 5000, buf, cap, &closed);
    close(fd);
    return raw_status(buf);
}

static const char *const debug_args[] = { "--enable-debug", NULL };

/* A server of our own with `args`; the case is skipped in shared mode. */
static void start_own(it_server *s, const char *const *args)
{
    it_need_own(s);
    it_start(s, args, NULL, 1);
}

/* The harness keeps a connection open between requests; close it, so
 * that the cases that count connections count only theirs. */
static void drop_kept_connection(it_server *s)
{
    curl_easy_cleanup(s->curl);
    s->curl = curl_easy_init();
    assert_non_null(s->curl);
}

/* ---- malformed JSON -------------------------------------------------- */

static void test_truncated_json_is_400_bad_json(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[256];
    size_t cut, len;

    it_uniq_ipv4(host);
    len = (size_t)snprintf(body, sizeof body, "{\"source\": \"%s\", \"peers\": "
                           "[{\"address\": \"%s\", \"port\": 8333}]}", host,
                           host);
    /* Cuts all through the text, not only near its end. */
    for (cut = 1; cut < len; cut += 7)
        expect_body_refused(s, "POST", "/v1/peers", "application/json", body,
                            cut, 400, "bad_json");
    expect_body_refused(s, "POST", "/v1/peers", "application/json", body,
                        len - 1, 400, "bad_json");
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
}

static void test_10000_nested_arrays_are_400_bad_json(void **state)
{
    it_server *s = *state;
    text t = { 0 };

    text_repeat(&t, "[", 10000);
    text_repeat(&t, "]", 10000);
    expect_json_refused(s, "POST", "/v1/peers", t.p, 400, "bad_json");
    expect_json_refused(s, "POST", "/v1/select", t.p, 400, "bad_json");
    free(t.p);
}

static void test_10000_nested_objects_are_400_bad_json(void **state)
{
    it_server *s = *state;
    text t = { 0 };

    text_repeat(&t, "{\"a\":", 10000);
    text_str(&t, "1");
    text_repeat(&t, "}", 10000);
    expect_json_refused(s, "POST", "/v1/peers", t.p, 400, "bad_json");
    expect_json_refused(s, "POST", "/v1/bans", t.p, 400, "bad_json");
    free(t.p);
}

static void test_10000_unclosed_brackets_are_400_bad_json(void **state)
{
    it_server *s = *state;
    text t = { 0 };

    text_repeat(&t, "[{\"a\":", 10000);
    expect_json_refused(s, "POST", "/v1/peers", t.p, 400, "bad_json");
    free(t.p);
}

static void test_deep_nesting_inside_a_peer_entry_is_400_bad_json(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], head[128];
    text t = { 0 };

    it_uniq_ipv4(host);
    snprintf(head, sizeof head, "{\"peers\": [{\"address\": \"%s\", \"x\": ",
             host);
    text_str(&t, head);
    text_repeat(&t, "[", 10000);
    text_repeat(&t, "]", 10000);
    text_str(&t, "}]}");
    expect_json_refused(s, "POST", "/v1/peers", t.p, 400, "bad_json");
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
    free(t.p);
}

static void test_deeply_nested_import_document_is_400_bad_json(void **state)
{
    it_server *s = *state;
    text t = { 0 };

    text_repeat(&t, "[", 100000);
    expect_json_refused(s, "POST", "/v1/import?format=floresta", t.p, 400,
                        "bad_json");
    expect_json_refused(s, "POST", "/v1/import?format=btcd", t.p, 400,
                        "bad_json");
    free(t.p);
}

static void test_duplicate_top_level_keys_are_400_bad_json(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[256];

    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "{\"peers\": [], \"peers\": "
             "[{\"address\": \"%s\"}]}", host);
    expect_json_refused(s, "POST", "/v1/peers", body, 400, "bad_json");
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
}

static void test_duplicate_keys_in_a_peer_entry_are_400_bad_json(void **state)
{
    it_server *s = *state;
    char a[IT_HOST_MAX], b[IT_HOST_MAX], body[256];

    it_uniq_ipv4(a);
    it_uniq_ipv4(b);
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\", "
             "\"address\": \"%s\"}]}", a, b);
    expect_json_refused(s, "POST", "/v1/peers", body, 400, "bad_json");
    assert_int_equal(it_peer_status(s, a, IT_PORT), 404);
    assert_int_equal(it_peer_status(s, b, IT_PORT), 404);
}

static void test_duplicate_keys_in_select_and_bans_are_bad_json(void **state)
{
    it_server *s = *state;

    expect_json_refused(s, "POST", "/v1/select",
                        "{\"count\": 1, \"count\": 1000}", 400, "bad_json");
    expect_json_refused(s, "POST", "/v1/bans", "{\"target\": \"11.7.7.7\", "
                        "\"target\": \"11.7.7.8\"}", 400, "bad_json");
}

static void test_nul_escape_in_strings_is_400_bad_json(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[256];

    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": "
             "\"%s\\u0000.evil\"}]}", host);
    expect_json_refused(s, "POST", "/v1/peers", body, 400, "bad_json");
    snprintf(body, sizeof body, "{\"source\": \"1.2.3.4\\u0000\", "
             "\"peers\": [{\"address\": \"%s\"}]}", host);
    expect_json_refused(s, "POST", "/v1/peers", body, 400, "bad_json");
    expect_json_refused(s, "POST", "/v1/bans", "{\"target\": \"11.7.7.9\", "
                        "\"reason\": \"a\\u0000b\"}", 400, "bad_json");
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
}

/* A raw NUL byte is not JSON anywhere: not inside a string, not after
 * the document (where a reader that stops at NUL would see a valid
 * body), not before it. */
static void test_raw_nul_byte_in_body_is_400_bad_json(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[256];
    int n;

    it_uniq_ipv4(host);
    n = snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}",
                 host);
    body[n] = '\0';
    memcpy(body + n + 1, "junk", 5);
    expect_body_refused(s, "POST", "/v1/peers", "application/json", body,
                        (size_t)n + 5, 400, "bad_json");
    expect_body_refused(s, "POST", "/v1/select", "application/json",
                        "\0{\"count\": 1}", 13, 400, "bad_json");
    expect_body_refused(s, "POST", "/v1/select", "application/json",
                        "{\"count\": 1}\0", 13, 400, "bad_json");
    n = snprintf(body, sizeof body, "[{\"address\": {\"V4\": \"%s\"}, "
                 "\"last_connected\": 0, \"services\": 0, \"port\": 8333, "
                 "\"state\": \"NeverTried\"}]", host);
    expect_body_refused(s, "POST", "/v1/import?format=floresta",
                        "application/json", body, (size_t)n + 1, 400,
                        "bad_json");
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
}

static void test_invalid_utf8_bytes_are_400_bad_json(void **state)
{
    static const char *const bad[] = {
        "\xff", "\xc0\xaf", "\xe2\x82", "\xed\xa0\x80", "\xf8\x88\x80\x80\x80",
        NULL
    };
    it_server *s = *state;
    char body[256];
    size_t i;

    for (i = 0; bad[i] != NULL; i++) {
        snprintf(body, sizeof body, "{\"peers\": [{\"address\": "
                 "\"12.1.1.%s\"}]}", bad[i]);
        expect_json_refused(s, "POST", "/v1/peers", body, 400, "bad_json");
        snprintf(body, sizeof body, "{\"target\": \"11.7.7.10\", "
                 "\"reason\": \"%s\"}", bad[i]);
        expect_json_refused(s, "POST", "/v1/bans", body, 400, "bad_json");
    }
}

static void test_lone_surrogate_escape_is_400_bad_json(void **state)
{
    it_server *s = *state;

    expect_json_refused(s, "POST", "/v1/peers",
                        "{\"peers\": [{\"address\": \"\\ud800\"}]}", 400,
                        "bad_json");
    expect_json_refused(s, "POST", "/v1/bans", "{\"target\": \"11.7.7.11\", "
                        "\"reason\": \"\\udc00x\"}", 400, "bad_json");
}

static void test_whitespace_only_body_is_400_bad_json(void **state)
{
    it_server *s = *state;

    expect_json_refused(s, "POST", "/v1/peers", " \r\n\t ", 400, "bad_json");
    expect_json_refused(s, "POST", "/v1/select", "\n", 400, "bad_json");
}

/* ---- wrong shapes ---------------------------------------------------- */

static void test_top_level_array_is_400_bad_request(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[128];

    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "[{\"address\": \"%s\"}]", host);
    expect_json_refused(s, "POST", "/v1/peers", body, 400, "bad_request");
    expect_json_refused(s, "POST", "/v1/select", "[]", 400, "bad_request");
    expect_json_refused(s, "POST", "/v1/bans", "[\"11.7.7.12\"]", 400,
                        "bad_request");
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
}

static void test_top_level_scalars_are_400_bad_request(void **state)
{
    static const char *const bodies[] = { "\"peers\"", "42", "null", "true",
                                          "-1.5e3", NULL };
    it_server *s = *state;
    size_t i;

    for (i = 0; bodies[i] != NULL; i++)
        expect_json_refused(s, "POST", "/v1/peers", bodies[i], 400,
                            "bad_request");
}

static void test_empty_body_where_peers_are_required_is_400(void **state)
{
    it_server *s = *state;
    it_req rq = { .method = "POST", .path = "/v1/peers" };

    /* API: an empty body reads as {}, which lacks "peers". */
    expect_refused(s, &rq, 400, "bad_request");
    expect_json_refused(s, "POST", "/v1/peers", "", 400, "bad_request");
    expect_json_refused(s, "PUT", "/v1/anchors", "", 400, "bad_request");
}

static void test_empty_body_on_state_and_bans_is_400(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[128];
    json_int_t id = add_peer(s, host);

    snprintf(path, sizeof path, "/v1/peers/%lld/state", (long long)id);
    expect_json_refused(s, "PUT", path, "", 400, "bad_request");
    snprintf(path, sizeof path, "/v1/peers/%lld/services", (long long)id);
    expect_json_refused(s, "PUT", path, "", 400, "bad_request");
    expect_json_refused(s, "POST", "/v1/bans", "", 400, "bad_request");
}

static void test_peers_of_the_wrong_type_are_400_bad_request(void **state)
{
    static const char *const bodies[] = {
        "{\"peers\": \"12.1.1.1\"}", "{\"peers\": {\"address\": \"12.1.1.1\"}}",
        "{\"peers\": 1}", "{\"peers\": true}", "{\"peers\": [], \"source\": 5}",
        "{\"peers\": [], \"source\": [\"12.1.1.1\"]}", NULL
    };
    it_server *s = *state;
    size_t i;

    for (i = 0; bodies[i] != NULL; i++)
        expect_json_refused(s, "POST", "/v1/peers", bodies[i], 400,
                            "bad_request");
}

static void test_entries_that_are_not_objects_are_entry_errors(void **state)
{
    it_server *s = *state;

    expect_entry_refused(s, "{\"peers\": [\"12.1.1.1\"]}", "bad_request");
    expect_entry_refused(s, "{\"peers\": [[]]}", "bad_request");
    expect_entry_refused(s, "{\"peers\": [{}]}", "bad_request");
    expect_entry_refused(s, "{\"peers\": [{\"address\": 12}]}", "bad_request");
}

/* ---- numbers out of range, non-integers ------------------------------ */

static void test_port_70000_is_refused(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[160];

    expect_member_refused(s, "\"port\": 70000", "bad_request");
    expect_member_refused(s, "\"port\": 65536", "bad_request");
    it_uniq_ipv4(host);
    snprintf(path, sizeof path, "/v1/peers/%s%%3A70000", host);
    expect_get_refused(s, path, 400, "invalid_address");
    snprintf(path, sizeof path, "/v1/peers/%s:70000:1", host);
    expect_get_refused(s, path, 400, "invalid_address");
}

static void test_port_minus_1_is_refused(void **state)
{
    it_server *s = *state;

    expect_member_refused(s, "\"port\": -1", "bad_request");
    expect_member_refused(s, "\"port\": -9223372036854775809", "bad_request");
}

static void test_port_1_5_is_refused(void **state)
{
    it_server *s = *state;

    expect_member_refused(s, "\"port\": 1.5", "bad_request");
    expect_member_refused(s, "\"port\": 8333.0", "bad_request");
}

static void test_port_1e3_is_refused(void **state)
{
    it_server *s = *state;

    expect_member_refused(s, "\"port\": 1e3", "bad_request");
    expect_member_refused(s, "\"port\": \"1e3\"", "bad_request");
    expect_member_refused(s, "\"port\": 1E3", "bad_request");
}

static void test_strings_where_numbers_go_are_refused(void **state)
{
    it_server *s = *state;

    expect_member_refused(s, "\"port\": \"8333\"", "bad_request");
    expect_member_refused(s, "\"services\": \"1\"", "bad_request");
    expect_member_refused(s, "\"time\": \"now\"", "bad_request");
    expect_member_refused(s, "\"port\": true", "bad_request");
    expect_member_refused(s, "\"services\": [1]", "bad_request");
}

static void test_services_2_pow_64_is_refused(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[96];
    json_int_t id;

    expect_member_refused(s, "\"services\": 18446744073709551616",
                          "bad_request");
    expect_member_refused(s, "\"services\": 99999999999999999999999999999",
                          "bad_request");
    id = add_peer(s, host);
    snprintf(path, sizeof path, "/v1/peers/%lld/services", (long long)id);
    expect_json_refused(s, "PUT", path, "{\"services\": 18446744073709551616}",
                        400, "bad_request");
    expect_json_refused(s, "POST", "/v1/select",
                        "{\"services\": 18446744073709551616}", 400,
                        "bad_request");
}

static void test_services_negative_or_fractional_is_400(void **state)
{
    static const char *const bodies[] = {
        "{\"services\": -1}", "{\"services\": 1.5}", "{\"services\": 1e3}",
        "{\"services\": \"3\"}", "{\"services\": true}", "{\"services\": -0.0}",
        NULL
    };
    it_server *s = *state;
    char host[IT_HOST_MAX], path[96];
    json_int_t id = add_peer(s, host);
    size_t i;

    snprintf(path, sizeof path, "/v1/peers/%lld/services", (long long)id);
    for (i = 0; bodies[i] != NULL; i++)
        expect_json_refused(s, "PUT", path, bodies[i], 400, "bad_request");
}

static void test_time_not_an_integer_is_refused(void **state)
{
    it_server *s = *state;

    expect_member_refused(s, "\"time\": 1.5", "bad_request");
    expect_member_refused(s, "\"time\": 1e9", "bad_request");
    expect_member_refused(s, "\"time\": 9007199254740993", "bad_request");
    expect_member_refused(s, "\"time\": 18446744073709551616", "bad_request");
}

static void test_select_count_out_of_range_is_400(void **state)
{
    static const char *const bodies[] = {
        "{\"count\": 0}", "{\"count\": 1001}", "{\"count\": -1}",
        "{\"count\": 18446744073709551616}", "{\"count\": 1.5}",
        "{\"count\": 1e3}", "{\"count\": \"1e3\"}", "{\"count\": \"2\"}", NULL
    };
    it_server *s = *state;
    size_t i;

    for (i = 0; bodies[i] != NULL; i++)
        expect_json_refused(s, "POST", "/v1/select", bodies[i], 400,
                            "bad_request");
}

static void test_select_lease_out_of_range_is_400(void **state)
{
    static const char *const bodies[] = {
        "{\"lease_seconds\": 99999999999}", "{\"lease_seconds\": -1}",
        "{\"lease_seconds\": 0.5}", "{\"lease_seconds\": \"60\"}",
        "{\"feeler\": \"yes\"}", "{\"exclusive\": 1}", "{\"diverse\": null, "
        "\"networks\": []}", "{\"networks\": [\"ipv4\", 4]}",
        "{\"networks\": [\"onion\"]}", NULL
    };
    it_server *s = *state;
    size_t i;

    for (i = 0; bodies[i] != NULL; i++)
        expect_json_refused(s, "POST", "/v1/select", bodies[i], 400,
                            "bad_request");
}

static void test_ban_duration_zero_or_negative_is_400(void **state)
{
    it_server *s = *state;

    expect_json_refused(s, "POST", "/v1/bans",
                        "{\"target\": \"11.7.8.1\", \"duration\": 0}", 400,
                        "bad_request");
    expect_json_refused(s, "POST", "/v1/bans",
                        "{\"target\": \"11.7.8.1\", \"duration\": -86400}", 400,
                        "bad_request");
}

static void test_ban_duration_over_a_century_is_400(void **state)
{
    it_server *s = *state;

    expect_json_refused(s, "POST", "/v1/bans",
                        "{\"target\": \"11.7.8.2\", \"duration\": 3162240001}",
                        400, "bad_request");
    expect_json_refused(s, "POST", "/v1/bans", "{\"target\": \"11.7.8.2\", "
                        "\"duration\": 18446744073709551616}", 400,
                        "bad_request");
}

static void test_ban_duration_not_an_integer_is_400(void **state)
{
    static const char *const durations[] = { "1.5", "\"60\"", "1e3", "true",
                                              "[60]", NULL };
    it_server *s = *state;
    char body[128];
    size_t i;

    for (i = 0; durations[i] != NULL; i++) {
        snprintf(body, sizeof body, "{\"target\": \"11.7.8.3\", "
                 "\"duration\": %s}", durations[i]);
        expect_json_refused(s, "POST", "/v1/bans", body, 400, "bad_request");
    }
}

static void test_ban_reason_too_long_is_400(void **state)
{
    it_server *s = *state;
    text t = { 0 };

    text_str(&t, "{\"target\": \"11.7.8.4\", \"reason\": \"");
    text_repeat(&t, "r", 256);
    text_str(&t, "\"}");
    expect_json_refused(s, "POST", "/v1/bans", t.p, 400, "bad_request");
    free(t.p);
}

/* ---- invalid addresses ----------------------------------------------- */

static void test_tor_v3_bad_checksum_is_invalid_address(void **state)
{
    it_server *s = *state;
    char onion[IT_HOST_MAX];

    it_uniq_onion(onion, NULL);
    onion[0] = onion[0] == 'a' ? 'b' : 'a';   /* key no longer matches */
    expect_address_refused(s, onion);
    it_uniq_onion(onion, NULL);
    onion[55] = onion[55] == 'e' ? 'f' : 'e'; /* version is not 3 */
    expect_address_refused(s, onion);
}

static void test_tor_v3_malformed_name_is_invalid_address(void **state)
{
    it_server *s = *state;
    char onion[IT_HOST_MAX];

    it_uniq_onion(onion, NULL);
    memmove(onion + 1, onion + 2, strlen(onion + 1));  /* 55 characters */
    expect_address_refused(s, onion);
    it_uniq_onion(onion, NULL);
    onion[3] = '1';                                     /* not base32 */
    expect_address_refused(s, onion);
    expect_address_refused(s, ".onion");
}

static void test_tor_v2_name_is_invalid_address(void **state)
{
    it_server *s = *state;

    expect_address_refused(s, "facebookcorewwwi.onion");
    expect_address_refused(s, "expyuzz4wqqyqhjn.onion");
}

static void test_bad_i2p_name_is_invalid_address(void **state)
{
    it_server *s = *state;
    char i2p[IT_HOST_MAX];

    it_uniq_i2p(i2p, NULL);
    memmove(i2p + 1, i2p + 2, strlen(i2p + 1));        /* 51 characters */
    expect_address_refused(s, i2p);
    it_uniq_i2p(i2p, NULL);
    i2p[0] = '8';                                       /* not base32 */
    expect_address_refused(s, i2p);
    it_uniq_i2p(i2p, NULL);
    strcpy(strstr(i2p, ".b32.i2p"), ".i2p");           /* not a b32 name */
    expect_address_refused(s, i2p);
}

static void test_ipv6_garbage_is_invalid_address(void **state)
{
    static const char *const bad[] = {
        "2001:db8::zz", "1:2:3:4:5:6:7:8:9", "2a01::1::2", ":::", "2a01:::1",
        "[2a01::1", "12345::1", "2a01::1%eth0", NULL
    };
    it_server *s = *state;
    size_t i;

    for (i = 0; bad[i] != NULL; i++)
        expect_address_refused(s, bad[i]);
}

static void test_ipv4_malformed_is_invalid_address(void **state)
{
    static const char *const bad[] = {
        "01.2.3.4", "12.2.3.04", "12.2.3.256", "12.2.3", "12.2.3.4.5",
        "0x0c.1.1.1", "12.1.1.1 ", " 12.1.1.1", "12..1.1", NULL
    };
    it_server *s = *state;
    size_t i;

    for (i = 0; bad[i] != NULL; i++)
        expect_address_refused(s, bad[i]);
}

static void test_cjdns_and_hostnames_are_invalid_address(void **state)
{
    static const char *const bad[] = {
        "fc00::1::2", "fcxx::1", "example.com", "localhost", "", NULL
    };
    it_server *s = *state;
    size_t i;

    for (i = 0; bad[i] != NULL; i++)
        expect_address_refused(s, bad[i]);
}

static void test_bad_ban_targets_are_invalid_address(void **state)
{
    static const char *const bad[] = { "11.0.0.0/33", "2a01::/129",
                                       "11.0.0.0/-1", "11.0.0.0/", "../..",
                                       NULL };
    it_server *s = *state;
    char body[128];
    size_t i;

    for (i = 0; bad[i] != NULL; i++) {
        snprintf(body, sizeof body, "{\"target\": \"%s\"}", bad[i]);
        expect_json_refused(s, "POST", "/v1/bans", body, 400,
                            "invalid_address");
    }
    {
        it_req rq = { .method = "DELETE", .path = "/v1/bans/..%2F.." };

        expect_refused(s, &rq, 400, "invalid_address");
    }
}

/* ---- oversized ------------------------------------------------------- */

static void test_anchors_over_10000_entries_are_400(void **state)
{
    it_server *s = *state;
    it_resp *before, *after;
    text t = { 0 };

    text_str(&t, "{\"peers\": [1");
    text_repeat(&t, ",1", 10000);
    text_str(&t, "]}");
    before = it_get(s, "/v1/anchors");
    expect_json_refused(s, "PUT", "/v1/anchors", t.p, 400, "bad_request");
    after = it_get(s, "/v1/anchors");
    /* Nothing was written. */
    assert_int_equal(before->status, after->status);
    IT_STREQ(after->body, before->body);
    it_resp_free(before);
    it_resp_free(after);
    free(t.p);
}

/* An addrv2 payload of n IPv4 entries (BIP155), unique addresses. */
static void addrv2_payload(size_t n, text *t)
{
    unsigned char e[16];
    uint64_t r = it_rand64();
    size_t i;

    e[0] = 0xfd;                        /* CompactSize, 3 bytes */
    e[1] = (unsigned char)(n & 0xff);
    e[2] = (unsigned char)(n >> 8);
    text_add(t, (const char *)e, 3);
    for (i = 0; i < n; i++) {
        uint32_t now = (uint32_t)time(NULL);

        memcpy(e, &now, 4);             /* little-endian hosts only */
        e[4] = 1;                       /* services, CompactSize */
        e[5] = 1;                       /* network id: IPv4 */
        e[6] = 4;
        e[7] = (unsigned char)(12 + r % 88);
        e[8] = (unsigned char)(r >> 8);
        e[9] = (unsigned char)(i >> 8);
        e[10] = (unsigned char)(1 + i % 250);
        e[11] = 0x20;                   /* port 8333, big-endian */
        e[12] = 0x8d;
        text_add(t, (const char *)e, 13);
    }
}

static void test_addrv2_over_1000_entries_is_400(void **state)
{
    it_server *s = *state;
    text t = { 0 };

    addrv2_payload(1001, &t);
    expect_body_refused(s, "POST", "/v1/peers/addrv2",
                        "application/octet-stream", t.p, t.len, 400,
                        "bad_request");
    free(t.p);
}

static void test_list_and_relay_limits_are_enforced(void **state)
{
    it_server *s = *state;

    expect_get_refused(s, "/v1/peers?limit=10001", 400, "bad_request");
    expect_get_refused(s, "/v1/peers?limit=0", 400, "bad_request");
    expect_get_refused(s, "/v1/addresses?count=1001", 400, "bad_request");
}

/* GET of a path too long for it_do's buffer: the status, the error code
 * into code. */
static long get_long_path(it_server *s, const char *path, char *code,
                          size_t len)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char auth[IT_TOKEN_MAX + 32];
    text url = { 0 }, body = { 0 };
    const char *c_code;
    long status = 0;
    json_t *j;

    assert_non_null(c);
    text_str(&url, s->url);
    text_str(&url, path);
    if (s->token[0] != '\0') {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", s->token);
        h = curl_slist_append(h, auth);
    }
    curl_easy_setopt(c, CURLOPT_URL, url.p);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    j = body.p ? json_loads(body.p, 0, NULL) : NULL;
    c_code = json_string_value(json_object_get(json_object_get(j, "error"),
                                               "code"));
    snprintf(code, len, "%s", c_code ? c_code : "");
    json_decref(j);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url.p);
    free(body.p);
    return status;
}

static void test_path_longer_than_8192_bytes_is_400(void **state)
{
    it_server *s = *state;
    char code[64];
    pool_snap snap;
    text t = { 0 };

    text_str(&t, "/v1/peers/");
    text_repeat(&t, "1", 8200);
    snap_take(s, &snap);
    assert_int_equal(get_long_path(s, t.p, code, sizeof code), 400);
    IT_STREQ(code, "bad_request");
    snap_unchanged(s, &snap);
    free(t.p);
}

/*
 * 100 000 addresses from one source in one request: accepted (200), but
 * the new table gives one source group at most 64 buckets (Bitcoin
 * Core's rule, README's eclipse resistance), so the pool grows by at most
 * 64 buckets' worth of slots; the rest is `ignored`.
 */
static void test_100000_addresses_from_one_source_are_bounded(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], source[IT_HOST_MAX], entry[2 * IT_HOST_MAX];
    json_t *before, *after, *b, *nt;
    json_int_t added, bound, grew;
    it_resp *r;
    text t = { 0 };
    size_t i;

    /* Own server: thousands of extra peers would make other tests' adds
     * collide in a shared pool. */
    start_own(s, debug_args);
    before = it_stats(s);
    it_uniq_ipv4(source);
    snprintf(entry, sizeof entry, "{\"source\": \"%s\", \"peers\": [", source);
    text_str(&t, entry);
    for (i = 0; i < BIG_SOURCE_COUNT; i++) {
        it_uniq_ipv4(host);
        snprintf(entry, sizeof entry, "%s{\"address\": \"%s\"}",
                 i ? "," : "", host);
        text_str(&t, entry);
    }
    text_str(&t, "]}");
    r = it_send(s, "POST", "/v1/peers", t.p);
    free(t.p);
    IT_STATUS(r, 200);
    b = IT_BODY(r);
    added = IT_JINT(b, "added");
    assert_int_equal(json_array_size(IT_JARR(b, "errors")), 0);
    assert_int_equal(added + IT_JINT(b, "updated") + IT_JINT(b, "ignored"),
                     BIG_SOURCE_COUNT);
    nt = IT_JOBJ(IT_JOBJ(before, "tables"), "new");
    bound = NEW_BUCKETS_PER_SOURCE_GROUP *
            (IT_JINT(nt, "slots") / IT_JINT(nt, "buckets"));
    if (added > bound)
        fail_msg("one source added %lld peers, more than %lld",
                 (long long)added, (long long)bound);
    it_resp_free(r);
    expect_healthy(s);
    after = it_stats(s);
    grew = IT_JINT(after, "peers") - IT_JINT(before, "peers");
    if (grew > added || grew < 0)
        fail_msg("the pool grew by %lld, the answer says %lld added",
                 (long long)grew, (long long)added);
    json_decref(before);
    json_decref(after);
}

/* ---- content types and bodies ---------------------------------------- */

static void test_missing_content_type_is_415(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[128];

    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}", host);
    expect_body_refused(s, "POST", "/v1/peers", NULL, body, strlen(body), 415,
                        "unsupported_media_type");
    expect_body_refused(s, "POST", "/v1/peers/addrv2", NULL, "\x01", 1, 415,
                        "unsupported_media_type");
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
}

static void test_wrong_content_type_is_415(void **state)
{
    static const char *const types[] = {
        "text/plain", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/jsonx",
        "application/json-patch+json", "json", ";application/json", NULL
    };
    it_server *s = *state;
    char host[IT_HOST_MAX], body[128];
    size_t i;

    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}", host);
    for (i = 0; types[i] != NULL; i++)
        expect_body_refused(s, "POST", "/v1/peers", types[i], body,
                            strlen(body), 415, "unsupported_media_type");
    expect_body_refused(s, "POST", "/v1/peers/addrv2", "application/json",
                        "{}", 2, 415, "unsupported_media_type");
    expect_body_refused(s, "POST", "/v1/bans", "application/octet-stream",
                        "{\"target\": \"11.7.8.5\"}", 21, 415,
                        "unsupported_media_type");
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
}

static void test_valid_chunked_upload_is_accepted(void **state)
{
    static const char *const chunked[] = { "Transfer-Encoding: chunked",
                                           NULL };
    it_server *s = *state;
    char host[IT_HOST_MAX], body[128];
    it_req rq = { .method = "POST", .path = "/v1/peers",
                  .content_type = "application/json", .headers = chunked };
    json_t *before = it_stats(s), *after;
    json_int_t added = 0;
    it_resp *r;
    int tries;

    /* A fresh address may be turned away (its slot is held: in a full
     * shared pool often, in our own now and then): draw another. */
    for (tries = 0; added == 0 && tries < 10; tries++) {
        it_uniq_ipv4(host);
        snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}",
                 host);
        rq.body = body;
        rq.body_len = strlen(body);
        r = it_do(s, NULL, &rq);
        IT_STATUS(r, 200);
        added = IT_JINT(IT_BODY(r), "added");
        it_resp_free(r);
    }
    assert_int_equal(added, 1);
    assert_int_equal(it_peer_status(s, host, IT_PORT), 200);
    after = it_stats(s);
    if (!s->shared)
        assert_int_equal(IT_JINT(after, "peers"), IT_JINT(before, "peers") + 1);
    json_decref(before);
    json_decref(after);
}

/* ---- paths and methods ----------------------------------------------- */

static void test_invalid_percent_encoding_in_path_is_400(void **state)
{
    static const char *const paths[] = {
        "/v1/peers/%zz", "/v1/peers/%2", "/v1/peers/%", "/v1/peers/%00",
        "/v1/peers/%g0", "/v1/%zz/1", "/v1/bans/%2", NULL
    };
    it_server *s = *state;
    size_t i;

    for (i = 0; paths[i] != NULL; i++)
        expect_get_refused(s, paths[i], 400, "bad_request");
    {
        it_req rq = { .method = "DELETE", .path = "/v1/peers/%zz" };

        expect_refused(s, &rq, 400, "bad_request");
    }
}

static void test_invalid_percent_encoding_in_query_is_400(void **state)
{
    it_server *s = *state;

    expect_get_refused(s, "/v1/peers?state=%zz", 400, "bad_request");
    expect_get_refused(s, "/v1/peers?limit=1%", 400, "bad_request");
    expect_get_refused(s, "/v1/addresses?count=%00", 400, "bad_request");
    expect_get_refused(s, "/v1/peers?%zz=1", 400, "bad_request");
}

/* `..` is not resolved: no route has such segments. */
static void test_dot_dot_in_path_is_not_resolved(void **state)
{
    it_server *s = *state;

    expect_get_refused(s, "/v1/../healthz", 404, "not_found");
    expect_get_refused(s, "/v1/peers/../stats", 404, "not_found");
    expect_get_refused(s, "/v1/peers/%2e%2e/stats", 404, "not_found");
    expect_get_refused(s, "/v1/./stats", 404, "not_found");
}

static void test_encoded_dot_dot_as_peer_is_invalid_address(void **state)
{
    it_server *s = *state;
    it_req rq = { .method = "DELETE", .path = "/v1/peers/%2e%2e" };

    expect_get_refused(s, "/v1/peers/%2e%2e", 400, "invalid_address");
    expect_get_refused(s, "/v1/peers/..", 400, "invalid_address");
    expect_get_refused(s, "/v1/peers/%2e%2e%2fstats", 400, "invalid_address");
    expect_refused(s, &rq, 400, "invalid_address");
}

static void test_brew_method_is_405_with_allow(void **state)
{
    it_server *s = *state;

    expect_405(s, "BREW", "/v1/peers", "POST");
    expect_405(s, "BREW", "/healthz", "GET");
    expect_405(s, "BREW", "/v1/select", "POST");
}

static void test_patch_where_not_allowed_is_405_with_allow(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], path[64];
    json_int_t id = add_peer(s, host);

    snprintf(path, sizeof path, "/v1/peers/%lld", (long long)id);
    expect_405(s, "PATCH", path, "DELETE");
    expect_405(s, "PATCH", "/v1/bans", "DELETE");
    expect_405(s, "TRACE", "/v1/stats", "GET");
    expect_405(s, "OPTIONS", "/v1/peers", "GET");
}

static void test_unknown_method_on_unknown_path_is_404(void **state)
{
    it_server *s = *state;
    it_req rq = { .method = "BREW", .path = "/v1/coffee" };

    expect_refused(s, &rq, 404, "not_found");
}

/* ---- query parameters ------------------------------------------------ */

static void test_count_minus_1_is_400(void **state)
{
    it_server *s = *state;

    expect_get_refused(s, "/v1/addresses?count=-1", 400, "bad_request");
    expect_get_refused(s, "/v1/peers?limit=-1", 400, "bad_request");
}

static void test_count_not_a_number_is_400(void **state)
{
    static const char *const paths[] = {
        "/v1/addresses?count=abc", "/v1/addresses?count=1.5",
        "/v1/addresses?count=1e3", "/v1/addresses?count=",
        "/v1/addresses?count",
        "/v1/addresses?count=0x10", "/v1/addresses?count=+5", NULL
    };
    it_server *s = *state;
    size_t i;

    for (i = 0; paths[i] != NULL; i++)
        expect_get_refused(s, paths[i], 400, "bad_request");
}

static void test_count_too_large_is_400(void **state)
{
    it_server *s = *state;

    expect_get_refused(s, "/v1/addresses?count=18446744073709551616", 400,
                       "bad_request");
    expect_get_refused(s, "/v1/addresses?count=99999999999999999999999999",
                       400, "bad_request");
}

static void test_unknown_network_is_400(void **state)
{
    it_server *s = *state;

    expect_get_refused(s, "/v1/addresses?network=unknown", 400, "bad_request");
    expect_get_refused(s, "/v1/addresses?network=tor", 400, "bad_request");
    expect_get_refused(s, "/v1/peers?network=ipv4,onion", 400, "bad_request");
    expect_get_refused(s, "/v1/peers?network=", 400, "bad_request");
}

static void test_services_query_not_a_number_is_400(void **state)
{
    it_server *s = *state;

    expect_get_refused(s, "/v1/addresses?services=abc", 400, "bad_request");
    expect_get_refused(s, "/v1/addresses?services=-1", 400, "bad_request");
    expect_get_refused(s, "/v1/peers?services=18446744073709551616", 400,
                       "bad_request");
}

static void test_bad_list_filters_are_400(void **state)
{
    it_server *s = *state;

    expect_get_refused(s, "/v1/peers?state=zzz", 400, "bad_request");
    expect_get_refused(s, "/v1/peers?table=old", 400, "bad_request");
    expect_get_refused(s, "/v1/peers?after=x", 400, "bad_request");
    expect_get_refused(s, "/v1/peers?bogus=1", 400, "bad_request");
    expect_get_refused(s, "/v1/peers?limit=1&limit=2", 400, "bad_request");
    expect_get_refused(s, "/v1/import", 405, "method_not_allowed");
}

/* ---- names and ids --------------------------------------------------- */

static void test_bad_node_names_are_400(void **state)
{
    static const char *const names[] = {
        "\"\"", "\"a b\"", "\"n\\u00e9\"", "\"../x\"", "\"a/b\"", "5", "[]",
        "\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"",
        NULL
    };
    it_server *s = *state;
    char host[IT_HOST_MAX], path[96], body[160];
    json_int_t id = add_peer(s, host);
    size_t i;

    snprintf(path, sizeof path, "/v1/peers/%lld/state", (long long)id);
    for (i = 0; names[i] != NULL; i++) {
        snprintf(body, sizeof body, "{\"count\": 1, \"node\": %s}", names[i]);
        expect_json_refused(s, "POST", "/v1/select", body, 400, "bad_request");
        snprintf(body, sizeof body, "{\"state\": \"connected\", \"node\": %s}",
                 names[i]);
        expect_json_refused(s, "PUT", path, body, 400, "bad_request");
    }
    {
        it_req rq = { .method = "DELETE", .path = "/v1/nodes/a%20b" };

        expect_refused(s, &rq, 400, "bad_request");
    }
}

static void test_unknown_node_is_404(void **state)
{
    it_server *s = *state;
    char path[64];
    it_req rq = { .method = "DELETE", .path = path };

    snprintf(path, sizeof path, "/v1/nodes/no-such-node-%016" PRIx64,
             it_rand64());
    expect_refused(s, &rq, 404, "not_found");
}

static void test_unknown_peer_ids_are_404(void **state)
{
    static const char *const ids[] = { "0", "9007199254740993",
                                       "18446744073709551615",
                                       "99999999999999999999999", NULL };
    it_server *s = *state;
    char path[96];
    size_t i;

    for (i = 0; ids[i] != NULL; i++) {
        it_req rq = { .method = "DELETE", .path = path };

        snprintf(path, sizeof path, "/v1/peers/%s", ids[i]);
        expect_get_refused(s, path, 404, "not_found");
        expect_refused(s, &rq, 404, "not_found");
        snprintf(path, sizeof path, "/v1/peers/%s/state", ids[i]);
        expect_json_refused(s, "PUT", path, "{\"state\": \"failed\"}", 404,
                            "not_found");
    }
}

static void test_peer_ids_that_are_not_numbers_are_400(void **state)
{
    static const char *const ids[] = { "-1", "1.5", "abc", "0x10", "1e3",
                                       "%20", NULL };
    it_server *s = *state;
    char path[64];
    size_t i;

    for (i = 0; ids[i] != NULL; i++) {
        it_req rq = { .method = "DELETE", .path = path };

        snprintf(path, sizeof path, "/v1/peers/%s", ids[i]);
        expect_get_refused(s, path, 400, "invalid_address");
        expect_refused(s, &rq, 400, "invalid_address");
    }
}

static void test_unknown_state_is_400_and_peer_unchanged(void **state)
{
    static const char *const bodies[] = {
        "{\"state\": \"banned\"}", "{\"state\": \"TRIED\"}",
        "{\"state\": \"\"}", "{\"state\": 1}", "{\"state\": null}",
        "{\"state\": [\"tried\"]}", NULL
    };
    it_server *s = *state;
    char host[IT_HOST_MAX], path[96];
    json_int_t id = add_peer(s, host);
    size_t i;

    snprintf(path, sizeof path, "/v1/peers/%lld/state", (long long)id);
    for (i = 0; bodies[i] != NULL; i++)
        expect_json_refused(s, "PUT", path, bodies[i], 400, "bad_request");
}

static void test_anchors_naming_unknown_peers_are_404(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[160];
    it_resp *before, *after;

    add_peer(s, host);
    snprintf(body, sizeof body, "{\"peers\": [\"%s:8333\", 9007199254740991]}",
             host);
    before = it_get(s, "/v1/anchors");
    expect_json_refused(s, "PUT", "/v1/anchors", body, 404, "not_found");
    expect_json_refused(s, "PUT", "/v1/anchors", "{\"peers\": [true]}", 400,
                        "bad_request");
    after = it_get(s, "/v1/anchors");
    assert_int_equal(before->status, after->status);
    IT_STREQ(after->body, before->body);
    it_resp_free(before);
    it_resp_free(after);
}

static void test_load_outside_the_datadir_is_400(void **state)
{
    static const char *const files[] = { "../peers.json", "/etc/passwd",
                                         "a/b.json", "..", NULL };
    it_server *s = *state;
    char body[96];
    size_t i;

    for (i = 0; files[i] != NULL; i++) {
        snprintf(body, sizeof body, "{\"file\": \"%s\"}", files[i]);
        expect_json_refused(s, "POST", "/v1/load", body, 400, "bad_request");
    }
}

static void test_import_unknown_format_is_400(void **state)
{
    it_server *s = *state;

    expect_json_refused(s, "POST", "/v1/import?format=xml", "[]", 400,
                        "bad_request");
    expect_json_refused(s, "POST", "/v1/import?format=floresta&x=1", "[]",
                        400, "bad_request");
    expect_json_refused(s, "POST", "/v1/import?format=floresta", "{\"a\": ",
                        400, "bad_json");
}

/* ---- header floods (through libcurl: also against a shared server) --- */

/* 431 from the HTTP layer (its body is not ours), or the connection
 * closed: either way nothing else happens. */
static void expect_headers_refused(it_server *s, const char *const *headers)
{
    it_req rq = { .method = "GET", .path = "/v1/stats", .headers = headers,
                  .timeout_ms = 10000 };
    pool_snap snap;
    it_resp *r;

    snap_take(s, &snap);
    r = it_do(s, NULL, &rq);
    if (r->curl_rc == CURLE_OK && r->status != 431)
        fail_msg("%s with a header flood: HTTP %ld, expected 431 or a closed "
                 "connection", r->what, r->status);
    it_resp_free(r);
    snap_unchanged(s, &snap);
}

static void test_hundreds_of_headers_are_refused(void **state)
{
    it_server *s = *state;
    const char *headers[1001];
    char (*lines)[48] = calloc(1000, sizeof *lines);
    size_t i;

    assert_non_null(lines);
    for (i = 0; i < 1000; i++) {
        snprintf(lines[i], sizeof lines[i], "X-Flood-%zu: aaaaaaaaaaaaaaaa", i);
        headers[i] = lines[i];
    }
    headers[1000] = NULL;
    expect_headers_refused(s, headers);
    free(lines);
}

static void test_huge_header_is_refused(void **state)
{
    it_server *s = *state;
    const char *headers[2];
    text t = { 0 };

    text_str(&t, "X-Huge: ");
    text_repeat(&t, "abcdefghij", 10000);
    headers[0] = t.p;
    headers[1] = NULL;
    expect_headers_refused(s, headers);
    free(t.p);
}

/* ---- the API token (own servers) ------------------------------------- */

static const char *const token_args[] = { "--enable-debug", "--api-token",
                                          "h0stile-T0ken", NULL };

static void test_missing_token_is_401_and_changes_nothing(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[128];
    it_req rq = { .method = "POST", .path = "/v1/peers",
                  .content_type = "application/json", .auth = IT_AUTH_NONE };

    start_own(s, token_args);
    it_uniq_ipv4(host);
    snprintf(body, sizeof body, "{\"peers\": [{\"address\": \"%s\"}]}", host);
    rq.body = body;
    rq.body_len = strlen(body);
    expect_refused(s, &rq, 401, "unauthorized");
    rq.method = "DELETE";
    rq.path = "/v1/bans";
    rq.body = NULL;
    rq.content_type = NULL;
    expect_refused(s, &rq, 401, "unauthorized");
    assert_int_equal(it_peer_status(s, host, IT_PORT), 404);
}

static void test_wrong_token_is_401(void **state)
{
    static const char *const wrong[] = {
        "Bearer wrong", "Bearer ", "Bearer", "Bearer h0stile-T0ke",
        "Bearer h0stile-T0kenX", "Basic aDBzdGlsZS1UMGtlbg==", "h0stile-T0ken",
        "Bearer h0stile-T0ken\x01", NULL
    };
    it_server *s = *state;
    size_t i;

    start_own(s, token_args);
    json_decref(it_ban(s, "11.8.0.0/16"));
    for (i = 0; wrong[i] != NULL; i++) {
        it_req rq = { .method = "DELETE", .path = "/v1/bans",
                      .auth = IT_AUTH_CUSTOM, .authorization = wrong[i] };

        expect_refused(s, &rq, 401, "unauthorized");
    }
}

static void test_dot_dot_does_not_bypass_the_token(void **state)
{
    it_server *s = *state;
    it_req rq = { .method = "GET", .auth = IT_AUTH_NONE };

    start_own(s, token_args);
    rq.path = "/healthz/../v1/stats";
    expect_refused(s, &rq, 404, "not_found");
    rq.path = "/metrics/%2e%2e/v1/peers";
    expect_refused(s, &rq, 404, "not_found");
    rq.path = "/v1/../healthz";
    expect_refused(s, &rq, 401, "unauthorized");
    rq.path = "//v1/stats";
    expect_refused(s, &rq, 404, "not_found");
}

/* ---- limits of the HTTP layer (own servers, raw sockets) ------------- */

static const char *const small_body_args[] = { "--enable-debug", "--max-body",
                                               "4096", NULL };

static char *json_body_of_size(size_t size)
{
    static const char tail[] = "\", \"peers\": []}";
    char *b = malloc(size + 1);
    size_t n;

    assert_non_null(b);
    n = (size_t)snprintf(b, size + 1, "{\"pad\": \"");
    memset(b + n, 'a', size - n - strlen(tail));
    memcpy(b + size - strlen(tail), tail, sizeof tail);
    assert_int_equal(strlen(b), size);
    return b;
}

static void test_body_over_max_body_with_length_is_413(void **state)
{
    it_server *s = *state;
    char *body;

    start_own(s, small_body_args);
    body = json_body_of_size(4097);
    expect_json_refused(s, "POST", "/v1/peers", body, 413,
                        "payload_too_large");
    free(body);
    body = json_body_of_size(1 << 20);
    expect_json_refused(s, "POST", "/v1/select", body, 413,
                        "payload_too_large");
    free(body);
}

static void test_body_over_max_body_chunked_is_413(void **state)
{
    static const char *const chunked[] = { "Transfer-Encoding: chunked",
                                           NULL };
    it_server *s = *state;
    it_req rq = { .method = "POST", .path = "/v1/peers",
                  .content_type = "application/json", .headers = chunked };
    char *body;

    start_own(s, small_body_args);
    body = json_body_of_size(64 << 10);
    rq.body = body;
    rq.body_len = strlen(body);
    expect_refused(s, &rq, 413, "payload_too_large");
    free(body);
}

/* Content-Length far past the limit is refused from the headers alone:
 * the server answers without waiting for a body that never comes. */
static void test_announced_length_over_max_body_is_413_at_once(void **state)
{
    it_server *s = *state;
    char buf[2048], code[64];
    int fd, closed;
    long t0;
    pool_snap snap;

    start_own(s, small_body_args);
    snap_take(s, &snap);
    fd = raw_connect(s);
    t0 = mono_ms();
    raw_send_str(fd, "POST /v1/peers HTTP/1.1\r\nHost: x\r\n"
                 "Content-Type: application/json\r\n"
                 "Content-Length: 1000000000000\r\n\r\n{\"peers\": [");
    raw_read(fd, "}}", 5000, buf, sizeof buf, &closed);
    close(fd);
    if (raw_status(buf) != 413 || mono_ms() - t0 > 3000)
        fail_msg("expected 413 within 3 s, got after %ld ms: %.300s",
                 mono_ms() - t0, buf);
    raw_error_code(buf, code, sizeof code);
    IT_STREQ(code, "payload_too_large");
    snap_unchanged(s, &snap);
}

static void test_chunked_upload_in_one_byte_chunks_works(void **state)
{
    it_server *s = *state;
    char host[IT_HOST_MAX], body[128], buf[4096], chunk[16];
    text req = { 0 };
    size_t i, n;

    start_own(s, debug_args);
    it_uniq_ipv4(host);
    n = (size_t)snprintf(body, sizeof body,
                         "{\"peers\": [{\"address\": \"%s\"}]}", host);
    text_str(&req, "POST /v1/peers HTTP/1.1\r\nHost: x\r\n"
             "Content-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    for (i = 0; i < n; i++) {
        snprintf(chunk, sizeof chunk, "1\r\n%c\r\n", body[i]);
        text_str(&req, chunk);
    }
    text_str(&req, "0\r\n\r\n");
    assert_int_equal(raw_exchange(s, req.p, req.len, buf, sizeof buf), 200);
    assert_non_null(strstr(buf, "\"added\":1"));
    free(req.p);
    assert_int_equal(it_peer_status(s, host, IT_PORT), 200);
}

/* Framing errors are answered by the HTTP layer (400, or 413 for a chunk
 * size past 2^64; its own body). */
static void test_malformed_chunked_framing_is_400(void **state)
{
    static const char *const requests[] = {
        "zz\r\nab\r\n0\r\n\r\n",                /* size not hex */
        "5\r\n{}\r\n0\r\n\r\n",                 /* size says more */
        "fffffffffffffffffff\r\n{}\r\n0\r\n\r\n", /* size overflows */
        NULL
    };
    it_server *s = *state;
    char buf[4096];
    pool_snap snap;
    size_t i;

    start_own(s, debug_args);
    snap_take(s, &snap);
    for (i = 0; requests[i] != NULL; i++) {
        text req = { 0 };
        long st;

        text_str(&req, "POST /v1/peers HTTP/1.1\r\nHost: x\r\n"
                 "Content-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        text_str(&req, requests[i]);
        st = raw_exchange(s, req.p, req.len, buf, sizeof buf);
        free(req.p);
        if (st != 400 && st != 413 && st != 0)
            fail_msg("chunked framing %zu: expected 400/413 or a closed "
                     "connection, got %.300s", i, buf);
    }
    snap_unchanged(s, &snap);
}

static void test_bad_content_length_is_400(void **state)
{
    static const char *const lengths[] = { "abc", "-5", "1, 2",
                                           "99999999999999999999999", NULL };
    it_server *s = *state;
    char req[256], buf[4096];
    pool_snap snap;
    size_t i;

    start_own(s, debug_args);
    snap_take(s, &snap);
    for (i = 0; lengths[i] != NULL; i++) {
        long st;

        snprintf(req, sizeof req, "POST /v1/peers HTTP/1.1\r\nHost: x\r\n"
                 "Content-Type: application/json\r\nContent-Length: %s\r\n"
                 "Connection: close\r\n\r\n{\"peers\": []}", lengths[i]);
        st = raw_exchange(s, req, strlen(req), buf, sizeof buf);
        if (st != 400 && st != 413)
            fail_msg("Content-Length: %s: expected 400 or 413, got %.300s",
                     lengths[i], buf);
    }
    snap_unchanged(s, &snap);
}

/*
 * A client that keeps sending its request one byte per second never
 * finishes it: --connection-timeout (2 s) counts from when the connection
 * began waiting for the request, so the client is cut off then, while it
 * is still sending, unanswered; meanwhile other clients are served at once.
 */
static void test_slow_client_is_cut_off_while_others_are_served(void **state)
{
    static const char *const args[] = { "--enable-debug",
                                        "--connection-timeout", "2", NULL };
    static const char header[] = "GET /v1/stats HTTP/1.1\r\nX-Slow: "
                                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    it_server *s = *state;
    char buf[1024];
    int fd, closed = 0;
    long t0, lived = 0;
    size_t i;

    start_own(s, args);
    fd = raw_connect(s);
    t0 = mono_ms();
    for (i = 0; i + 1 < sizeof header && !closed; i++) {
        long t = mono_ms();
        it_req rq = { .method = "GET", .path = "/healthz", .timeout_ms = 900 };
        it_resp *r;

        if (raw_send(fd, header + i, 1) != 0)
            closed = 1;
        r = it_do(s, NULL, &rq);
        IT_STATUS(r, 200);
        it_resp_free(r);
        if (!closed)
            raw_read(fd, NULL, 1000 - (mono_ms() - t), buf, sizeof buf,
                     &closed);
        lived = mono_ms() - t0;
        if (!closed && raw_status(buf) != 0)
            fail_msg("an incomplete request was answered: %.200s", buf);
        if (lived > 8000)
            break;
    }
    close(fd);
    if (!closed)
        fail_msg("a client sending a byte a second was still connected "
                 "after %ld ms", lived);
    if (lived < 1500)
        fail_msg("a slow client was cut after %ld ms, before the 2 s "
                 "timeout", lived);
    expect_healthy(s);
}

/*
 * More clients than --max-connections: while the others hold every slot,
 * the extra one is closed at once, unanswered (not left waiting in the
 * kernel's queue); once they go, a new client is served as usual.  Two
 * polling threads: the limit holds for the server as a whole.
 */
static void test_connections_over_the_limit_are_refused_then_served(
    void **state)
{
    static const char *const args[] = { "--enable-debug", "--threads", "2",
                                        "--max-connections", "4",
                                        "--connection-timeout", "10", NULL };
    static const char get[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    it_server *s = *state;
    int held[4], extra, closed;
    char buf[1024];
    long t0, took;
    size_t i;

    start_own(s, args);
    drop_kept_connection(s);
    for (i = 0; i < 4; i++) {
        int tries = 0;

        /* Until the server has seen the harness's kept connection go, it
         * counts it, and refuses the 4th of ours at once (closed, not a
         * byte): then that one is made again, 20 times at most. */
        for (;;) {
            held[i] = raw_connect(s);
            raw_send_str(held[i], get);
            raw_read(held[i], "}", 3000, buf, sizeof buf, &closed);
            if (raw_status(buf) == 200)
                break;
            close(held[i]);
            if (!closed || buf[0] != '\0' || ++tries == 20)
                fail_msg("connection %zu of 4 not served (%s, try %d): "
                         "%.200s", i, closed ? "closed" : "open", tries,
                         buf);
            pause_ms(100);
        }
    }
    t0 = mono_ms();
    extra = raw_connect(s);
    raw_send_str(extra, get);
    raw_read(extra, NULL, 3000, buf, sizeof buf, &closed);
    took = mono_ms() - t0;
    close(extra);
    if (raw_status(buf) != 0)
        fail_msg("a 5th connection was served past --max-connections 4: "
                 "%.200s", buf);
    if (!closed || took > 1000)
        fail_msg("a 5th connection was not refused at once (%s after %ld ms)",
                 closed ? "closed" : "still open", took);
    for (i = 0; i < 4; i++)
        close(held[i]);
    pause_ms(200);              /* the server sees them go */
    extra = raw_connect(s);
    raw_send_str(extra, get);
    raw_read(extra, "}", 3000, buf, sizeof buf, &closed);
    close(extra);
    if (raw_status(buf) != 200)
        fail_msg("a new connection was not served once slots were free: "
                 "%.200s", buf);
    expect_healthy(s);
}

/* POST /v1/peers with n addresses of one random IPv6 /32, each its own
 * source; the answer, status 200 checked. */
static it_resp *post_one_group(it_server *s, size_t n)
{
    char entry[96];
    unsigned g = 0x2a00u + (unsigned)(it_rand64() & 0xff);
    unsigned g1 = 1u + (unsigned)(it_rand64() % 0xfffe);
    text t = { 0 };
    it_resp *r;

    text_str(&t, "{\"peers\": [");
    for (size_t i = 0; i < n; i++) {
        snprintf(entry, sizeof entry, "%s{\"address\": \"%x:%x:%zx::1\"}",
                 i ? "," : "", g, g1, i + 1);
        text_str(&t, entry);
    }
    text_str(&t, "]}");
    r = it_send(s, "POST", "/v1/peers", t.p);
    free(t.p);
    IT_STATUS(r, 200);
    return r;
}

/* Past --new-group-cap no more addresses of one network group (an IPv6
 * /32) enter the new table, however many are sent. */
static void test_one_group_flood_stops_at_new_group_cap(void **state)
{
    static const char *const args[] = { "--enable-debug", "--new-group-cap",
                                        "100", NULL };
    it_server *s = *state;
    json_t *st;
    it_resp *r;

    start_own(s, args);
    r = post_one_group(s, GROUP_FLOOD_COUNT);
    if (IT_JINT(IT_BODY(r), "added") > 100)
        fail_msg("one /32 added %lld peers past a cap of 100",
                 (long long)IT_JINT(IT_BODY(r), "added"));
    assert_int_equal(IT_JINT(IT_BODY(r), "added") +
                     IT_JINT(IT_BODY(r), "ignored"), GROUP_FLOOD_COUNT);
    /* Turned away by the cap or by taken slots, and said so. */
    assert_int_equal(it_ignored_by(IT_BODY(r), "group_cap") +
                     it_ignored_by(IT_BODY(r), "table_full"),
                     IT_JINT(IT_BODY(r), "ignored"));
    it_resp_free(r);
    st = it_stats(s);
    assert_true(IT_JINT(st, "peers") <= 100);
    json_decref(st);
    expect_healthy(s);
}

/* Addresses the group cap turns away are ignored as group_cap, those that
 * meet a taken slot as table_full: one /32 announced by itself reaches one
 * new bucket (64 slots), so a cap of 10 is what stops it. */
static void test_group_cap_is_named_in_the_answer(void **state)
{
    static const char *const args[] = { "--enable-debug", "--new-group-cap",
                                        "10", NULL };
    it_server *s = *state;
    it_resp *r;

    start_own(s, args);
    r = post_one_group(s, 200);
    assert_true(IT_JINT(IT_BODY(r), "added") <= 10);
    assert_true(it_ignored_by(IT_BODY(r), "group_cap") >= 150);
    assert_int_equal(it_ignored_by(IT_BODY(r), "group_cap") +
                     it_ignored_by(IT_BODY(r), "table_full"),
                     IT_JINT(IT_BODY(r), "ignored"));
    it_resp_free(r);
    expect_healthy(s);
}

/* ---- fixtures and main ----------------------------------------------- */

/* One server for the cases that need no special options. */
static int group_setup(void **state)
{
    return it_fx_setup(state);
}

static int group_teardown(void **state)
{
    return it_fx_teardown(state);
}

/* After each shared case: the core is still consistent. */
static int check_consistent(void **state)
{
    it_check_debug(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, check_consistent)
#define TOWN(f) cmocka_unit_test_setup_teardown(f, it_fx_setup_none, it_fx_teardown)
        T(test_truncated_json_is_400_bad_json),
        T(test_10000_nested_arrays_are_400_bad_json),
        T(test_10000_nested_objects_are_400_bad_json),
        T(test_10000_unclosed_brackets_are_400_bad_json),
        T(test_deep_nesting_inside_a_peer_entry_is_400_bad_json),
        T(test_deeply_nested_import_document_is_400_bad_json),
        T(test_duplicate_top_level_keys_are_400_bad_json),
        T(test_duplicate_keys_in_a_peer_entry_are_400_bad_json),
        T(test_duplicate_keys_in_select_and_bans_are_bad_json),
        T(test_nul_escape_in_strings_is_400_bad_json),
        T(test_raw_nul_byte_in_body_is_400_bad_json),
        T(test_invalid_utf8_bytes_are_400_bad_json),
        T(test_lone_surrogate_escape_is_400_bad_json),
        T(test_whitespace_only_body_is_400_bad_json),
        T(test_top_level_array_is_400_bad_request),
        T(test_top_level_scalars_are_400_bad_request),
        T(test_empty_body_where_peers_are_required_is_400),
        T(test_empty_body_on_state_and_bans_is_400),
        T(test_peers_of_the_wrong_type_are_400_bad_request),
        T(test_entries_that_are_not_objects_are_entry_errors),
        T(test_port_70000_is_refused),
        T(test_port_minus_1_is_refused),
        T(test_port_1_5_is_refused),
        T(test_port_1e3_is_refused),
        T(test_strings_where_numbers_go_are_refused),
        T(test_services_2_pow_64_is_refused),
        T(test_services_negative_or_fractional_is_400),
        T(test_time_not_an_integer_is_refused),
        T(test_select_count_out_of_range_is_400),
        T(test_select_lease_out_of_range_is_400),
        T(test_ban_duration_zero_or_negative_is_400),
        T(test_ban_duration_over_a_century_is_400),
        T(test_ban_duration_not_an_integer_is_400),
        T(test_ban_reason_too_long_is_400),
        T(test_tor_v3_bad_checksum_is_invalid_address),
        T(test_tor_v3_malformed_name_is_invalid_address),
        T(test_tor_v2_name_is_invalid_address),
        T(test_bad_i2p_name_is_invalid_address),
        T(test_ipv6_garbage_is_invalid_address),
        T(test_ipv4_malformed_is_invalid_address),
        T(test_cjdns_and_hostnames_are_invalid_address),
        T(test_bad_ban_targets_are_invalid_address),
        T(test_anchors_over_10000_entries_are_400),
        T(test_addrv2_over_1000_entries_is_400),
        T(test_list_and_relay_limits_are_enforced),
        T(test_path_longer_than_8192_bytes_is_400),
        T(test_missing_content_type_is_415),
        T(test_wrong_content_type_is_415),
        T(test_valid_chunked_upload_is_accepted),
        T(test_invalid_percent_encoding_in_path_is_400),
        T(test_invalid_percent_encoding_in_query_is_400),
        T(test_dot_dot_in_path_is_not_resolved),
        T(test_encoded_dot_dot_as_peer_is_invalid_address),
        T(test_brew_method_is_405_with_allow),
        T(test_patch_where_not_allowed_is_405_with_allow),
        T(test_unknown_method_on_unknown_path_is_404),
        T(test_count_minus_1_is_400),
        T(test_count_not_a_number_is_400),
        T(test_count_too_large_is_400),
        T(test_unknown_network_is_400),
        T(test_services_query_not_a_number_is_400),
        T(test_bad_list_filters_are_400),
        T(test_bad_node_names_are_400),
        T(test_unknown_node_is_404),
        T(test_unknown_peer_ids_are_404),
        T(test_peer_ids_that_are_not_numbers_are_400),
        T(test_unknown_state_is_400_and_peer_unchanged),
        T(test_anchors_naming_unknown_peers_are_404),
        T(test_load_outside_the_datadir_is_400),
        T(test_import_unknown_format_is_400),
        T(test_hundreds_of_headers_are_refused),
        T(test_huge_header_is_refused),
        TOWN(test_missing_token_is_401_and_changes_nothing),
        TOWN(test_wrong_token_is_401),
        TOWN(test_dot_dot_does_not_bypass_the_token),
        TOWN(test_body_over_max_body_with_length_is_413),
        TOWN(test_body_over_max_body_chunked_is_413),
        TOWN(test_announced_length_over_max_body_is_413_at_once),
        TOWN(test_chunked_upload_in_one_byte_chunks_works),
        TOWN(test_malformed_chunked_framing_is_400),
        TOWN(test_bad_content_length_is_400),
        TOWN(test_slow_client_is_cut_off_while_others_are_served),
        TOWN(test_connections_over_the_limit_are_refused_then_served),
        TOWN(test_100000_addresses_from_one_source_are_bounded),
        TOWN(test_one_group_flood_stops_at_new_group_cap),
        TOWN(test_group_cap_is_named_in_the_answer),
#undef T
#undef TOWN
    };

    it_global_init();
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
