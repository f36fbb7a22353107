/*
 * it_persist.c - helpers for the persistence tests (see it_persist.h).
 */
#include "it_persist.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static json_t *fetch(it_server *s, const char *path)
{
    it_resp *r = it_get(s, path);
    json_t *b;

    IT_STATUS(r, 200);
    b = json_incref(IT_BODY(r));
    it_resp_free(r);
    return b;
}

static void add_place(it_server *s, json_t *peer)
{
    char path[64];
    json_t *pl;

    snprintf(path, sizeof path, "/debug/place/%lld",
             (long long)IT_JINT(peer, "id"));
    pl = fetch(s, path);
    json_object_set(peer, "place", pl);
    json_decref(pl);
}

json_t *it_pool(it_server *s, int place)
{
    json_t *all = json_array(), *b, *p, *next;
    char path[IT_PATH_MAX];
    long long after = 0;
    size_t i;

    do {
        snprintf(path, sizeof path, "/v1/peers?limit=10000&after=%lld", after);
        b = fetch(s, path);
        json_array_foreach(IT_JARR(b, "peers"), i, p) {
            if (place)
                add_place(s, p);
            json_array_append(all, p);
        }
        next = json_object_get(b, "next");
        after = json_is_integer(next) ? (long long)json_integer_value(next) : 0;
        json_decref(b);
    } while (after != 0);
    return all;
}

void it_pool_unconnected(json_t *peers)
{
    json_t *p, *st;
    size_t i;

    json_array_foreach(peers, i, p) {
        st = json_object_get(p, "state");
        if (json_is_string(st) && strcmp(json_string_value(st), "connected") == 0)
            json_object_set_new(p, "state", json_string("tried"));
    }
}

json_t *it_bans(it_server *s)
{
    json_t *b = fetch(s, "/v1/bans"), *bans;

    bans = json_incref(IT_JARR(b, "bans"));
    json_decref(b);
    return bans;
}

void it_same_json(const json_t *a, const json_t *b, const char *what)
{
    size_t i;

    if (json_equal(a, b))
        return;
    if (json_is_array(a) && json_is_array(b)) {
        for (i = 0; i < json_array_size(a) && i < json_array_size(b); i++) {
            if (json_equal(json_array_get(a, i), json_array_get(b, i)))
                continue;
            char *x = json_dumps(json_array_get(a, i), JSON_COMPACT);
            char *y = json_dumps(json_array_get(b, i), JSON_COMPACT);
            fprintf(stderr, "%s: entry %zu differs:\n  before %s\n  after  %s\n",
                    what, i, x, y);
            free(x);
            free(y);
            fail_msg("%s differ", what);
        }
        fail_msg("%s: %zu entries before, %zu after", what,
                 json_array_size(a), json_array_size(b));
    }
    fail_msg("%s differ", what);
}

void it_bounce(it_server *s, int sig, const char *const *args)
{
    int st = it_signal_wait(s, sig, IT_STOP_TIMEOUT_MS);

    if (sig == SIGTERM && !(st != -1 && WIFEXITED(st) &&
                            WEXITSTATUS(st) == 0)) {
        it_dump_log(s);
        fail_msg("addrmand did not exit 0 after SIGTERM (status %d)", st);
    }
    it_restart(s, args);
}

static void file_path(const it_server *s, const char *name, char *out,
                      size_t len)
{
    snprintf(out, len, "%s/%s", s->datadir, name);
}

void it_file_put(const it_server *s, const char *name, const void *data,
                 size_t len)
{
    char path[IT_PATH_MAX];
    FILE *f;

    file_path(s, name, path, sizeof path);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
        fail_msg("cannot write %s", path);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;

    if (f == NULL)
        return NULL;
    do {
        if (n + 65536 + 1 > cap) {
            cap = (n + 65536 + 1) * 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

char *it_file_get(const it_server *s, const char *name, size_t *len)
{
    char path[IT_PATH_MAX];

    file_path(s, name, path, sizeof path);
    return slurp(path, len);
}

char *it_log_get(const it_server *s, size_t *len)
{
    char *text = slurp(s->log, len);

    if (text == NULL)
        fail_msg("cannot read %s", s->log);
    return text;
}

char *it_data_file(const char *rel, size_t *len)
{
    char path[IT_PATH_MAX];
    char *text;

    snprintf(path, sizeof path, "%s/%s", AM_TEST_DATA_DIR, rel);
    text = slurp(path, len);
    if (text == NULL)
        fail_msg("cannot read %s", path);
    return text;
}

int it_file_find(const it_server *s, const char *prefix, char *out,
                 size_t len, size_t *count)
{
    DIR *d = opendir(s->datadir);
    struct dirent *e;
    size_t n = 0;

    if (d == NULL)
        fail_msg("cannot list %s", s->datadir);
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        if (n++ == 0 && out != NULL)
            snprintf(out, len, "%s", e->d_name);
    }
    closedir(d);
    if (count)
        *count = n;
    return n > 0;
}

double it_metric(it_server *s, const char *name)
{
    it_req rq = { .method = "GET", .path = "/metrics", .auth = IT_AUTH_NONE };
    it_resp *r = it_do(s, NULL, &rq);
    double v;

    IT_STATUS(r, 200);
    v = it_metric_sum(r->body, name);
    it_resp_free(r);
    return v;
}

json_t *it_import(it_server *s, const char *format, const char *doc,
                  size_t len, long status)
{
    char path[64];
    int lines = strncmp(format, "lines", 5) == 0;
    it_req rq = { .method = "POST", .path = path, .body = doc,
                  .body_len = len,
                  .content_type = lines ? "text/plain" : "application/json" };
    it_resp *r;
    json_t *b;

    snprintf(path, sizeof path, "/v1/import?format=%s", format);
    r = it_do(s, NULL, &rq);
    IT_STATUS(r, status);
    b = json_incref(IT_BODY(r));
    if (status == 200)
        it_check_ignored_by(b);
    it_resp_free(r);
    return b;
}

/* ---- filling a pool -------------------------------------------------- */

#define FILL_MAX 512

typedef struct fill_host {
    char host[IT_HOST_MAX];
} fill_host;

/* One batch of hosts with a source (NULL: each its own), services varied. */
static void add_batch(it_server *s, const fill_host *h, size_t n,
                      const char *source, long long age)
{
    size_t len = 64 + n * (IT_HOST_MAX + 96), i, off = 0;
    char *body = malloc(len);

    assert_non_null(body);
    off += (size_t)snprintf(body + off, len - off, "{");
    if (source)
        off += (size_t)snprintf(body + off, len - off, "\"source\": \"%s\", ",
                                source);
    off += (size_t)snprintf(body + off, len - off, "\"peers\": [");
    for (i = 0; i < n; i++)
        off += (size_t)snprintf(body + off, len - off,
                                "%s{\"address\": \"%s\", \"services\": %zu, "
                                "\"time\": %lld}", i ? ", " : "", h[i].host,
                                (i * 1033) % 4096,
                                (long long)it_now() - age - (long long)i);
    snprintf(body + off, len - off, "]}");
    it_add_json(s, body, NULL);
    free(body);
}

static void set_services(it_server *s, const char *host, uint64_t services)
{
    char path[IT_PATH_MAX];
    it_resp *r;

    it_peer_path(host, IT_PORT, "/services", path, sizeof path);
    r = it_sendf(s, "PUT", path, "{\"services\": %llu}",
                 (unsigned long long)services);
    IT_STATUS(r, 200);
    it_resp_free(r);
}

static void set_state(it_server *s, const char *host, const char *state)
{
    json_decref(it_set_state(s, host, IT_PORT, state));
}

/* States spread over the peers: both tables, attempts, a removal. */
static void fill_states(it_server *s, const fill_host *h, size_t n)
{
    static const char *const plan[][3] = {
        {"tried", NULL, NULL}, {"connected", NULL, NULL},
        {"failed", "failed", NULL}, {"connected", "disconnected", NULL},
        {"tried", "never_tried", NULL}, {"tried", "failed", NULL},
        {NULL, NULL, NULL}};
    size_t i, k, np = sizeof plan / sizeof plan[0];

    for (i = 0; i < n; i++) {
        /* The tables turn some away (a taken slot): leave those out. */
        if (it_peer_status(s, h[i].host, IT_PORT) != 200)
            continue;
        for (k = 0; k < 3 && plan[i % np][k] != NULL; k++)
            set_state(s, h[i].host, plan[i % np][k]);
        /* jansson (the tests' parser) reads integers up to INT64_MAX. */
        if (i % 5 == 0)
            set_services(s, h[i].host, (uint64_t)INT64_MAX - i);
    }
}

static size_t other_networks(fill_host *h)
{
    char spare[IT_HOST_MAX];
    uint8_t key[32], b16[16];
    size_t n = 0, i;

    for (i = 0; i < 6; i++)
        it_uniq_ipv6(h[n++].host, spare);
    for (i = 0; i < 4; i++)
        it_uniq_cjdns(h[n++].host, b16);
    for (i = 0; i < 4; i++)
        it_uniq_onion(h[n++].host, key);
    for (i = 0; i < 4; i++)
        it_uniq_i2p(h[n++].host, key);
    return n;
}

static void fill_bans(it_server *s, const fill_host *v4, const fill_host *other,
                      size_t n_other)
{
    json_decref(it_ban(s, v4[6].host));
    json_decref(it_ban(s, "11.22.0.0/16"));
    json_decref(it_ban(s, other[n_other - 5].host));   /* an onion */
    json_decref(it_ban(s, "2001:db8:77::/48"));
    json_decref(it_ban(s, "11.33.0.0/16"));
    assert_int_equal(it_unban(s, "11.33.0.0/16"), 204);
}

static void remove_peer(it_server *s, const char *host)
{
    char path[IT_PATH_MAX];
    it_resp *r;

    it_peer_path(host, IT_PORT, NULL, path, sizeof path);
    r = it_delete(s, path);
    IT_STATUS(r, 204);
    it_resp_free(r);
}

void it_fill(it_server *s, size_t n_ipv4, int flags)
{
    fill_host *v4 = calloc(FILL_MAX, sizeof *v4), other[32], old[16];
    size_t i, n_other = other_networks(other);

    assert_non_null(v4);
    assert_true(n_ipv4 >= 16 && n_ipv4 <= FILL_MAX);
    for (i = 0; i < n_ipv4; i++)
        it_uniq_ipv4(v4[i].host);
    /* Seen 40 days ago: terrible, so later adds may evict them. */
    for (i = 0; i < 16; i++)
        it_uniq_ipv4(old[i].host);
    if (flags & IT_FILL_OLD)
        add_batch(s, old, 16, "192.0.2.1", 40 * 86400);
    add_batch(s, v4, n_ipv4 / 2, "198.51.100.4", 600);
    add_batch(s, v4 + n_ipv4 / 2, n_ipv4 - n_ipv4 / 2, NULL, 600);
    /* Heard again from other sources: more new slots. */
    add_batch(s, v4, n_ipv4 / 2, "203.0.113.77", 300);
    add_batch(s, v4, n_ipv4 / 2, "2001:db8::99", 200);
    add_batch(s, other, n_other, NULL, 600);
    fill_states(s, v4, n_ipv4);
    fill_states(s, other, n_other);
    if (it_peer_status(s, v4[n_ipv4 - 1].host, IT_PORT) == 200)
        remove_peer(s, v4[n_ipv4 - 1].host);
    if (flags & IT_FILL_BANS)
        fill_bans(s, v4, other, n_other);
    json_decref(it_select(s, "{\"count\": 8, \"node\": \"fill\"}"));
    json_decref(it_select(s, "{\"feeler\": true}"));
    free(v4);
}
