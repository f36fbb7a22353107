/*
 * it_api.c - v1 API helpers for the integration tests.
 */
#include "it_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int it_fx_setup(void **state)
{
    it_server *s = calloc(1, sizeof *s);

    if (s == NULL)
        return -1;
    *state = s;
    it_open(s, NULL);
    return 0;
}

int it_fx_teardown(void **state)
{
    it_server *s = *state, copy;

    *state = NULL;
    if (s == NULL)
        return 0;
    copy = *s;          /* it_close may fail the test: free first */
    free(s);
    it_close(&copy);
    return 0;
}

int it_fx_setup_none(void **state)
{
    it_server *s = calloc(1, sizeof *s);

    if (s == NULL)
        return -1;
    s->shared = it_shared_mode();
    *state = s;
    return 0;
}

json_int_t it_now(void)
{
    return (json_int_t)time(NULL);
}

void it_endpoint(const char *host, int port, char *out, size_t len)
{
    if (strchr(host, ':') != NULL)
        snprintf(out, len, "[%s]:%d", host, port);
    else
        snprintf(out, len, "%s:%d", host, port);
}

void it_peer_path(const char *host, int port, const char *suffix, char *out,
                  size_t len)
{
    char ep[IT_HOST_MAX + 16], enc[3 * sizeof ep];

    it_endpoint(host, port, ep, sizeof ep);
    it_pct(ep, enc, sizeof enc);
    snprintf(out, len, "/v1/peers/%s%s", enc, suffix ? suffix : "");
}

static void check_errors(const json_t *errors)
{
    size_t i;
    json_t *e;

    json_array_foreach(errors, i, e) {
        (void)IT_JINT(e, "index");
        (void)IT_JSTR(e, "code");
        (void)IT_JSTR(e, "message");
    }
}

void it_check_ignored_by(const json_t *answer)
{
    static const char *const reasons[] = {
        "unroutable", "banned", "table_full", "group_cap", "tor_v2",
        "unknown_network", "banned_entry", "duplicate"};
    const json_t *by = json_object_get(answer, "ignored_by");
    json_int_t sum = 0;
    const char *key;
    json_t *v;

    if (!json_is_object(by))
        fail_msg("the answer has no \"ignored_by\" object");
    json_object_foreach((json_t *)by, key, v) {
        size_t i = 0;
        while (i < sizeof reasons / sizeof *reasons && strcmp(key, reasons[i]))
            i++;
        if (i == sizeof reasons / sizeof *reasons)
            fail_msg("unknown reason \"%s\" in ignored_by", key);
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            fail_msg("ignored_by.%s is not a count above 0", key);
        sum += json_integer_value(v);
    }
    assert_int_equal(sum, IT_JINT(answer, "ignored"));
}

json_int_t it_ignored_by(const json_t *answer, const char *reason)
{
    const json_t *v;

    it_check_ignored_by(answer);
    v = json_object_get(json_object_get(answer, "ignored_by"), reason);
    return v != NULL ? json_integer_value(v) : 0;
}

it_counts it_add_json(it_server *s, const char *json, json_t **errors)
{
    it_resp *r = it_send(s, "POST", "/v1/peers", json);
    it_counts c;
    json_t *b, *e;

    IT_STATUS(r, 200);
    b = IT_BODY(r);
    c.added = IT_JINT(b, "added");
    c.updated = IT_JINT(b, "updated");
    c.ignored = IT_JINT(b, "ignored");
    it_check_ignored_by(b);
    e = IT_JARR(b, "errors");
    check_errors(e);
    c.n_errors = json_array_size(e);
    if (errors != NULL)
        *errors = json_incref(e);
    it_resp_free(r);
    return c;
}

void it_add_one(it_server *s, const char *host, int port, uint64_t services)
{
    char body[512];
    it_counts c;

    snprintf(body, sizeof body,
             "{\"peers\": [{\"address\": \"%s\", \"port\": %d, "
             "\"services\": %" PRIu64 "}]}", host, port, services);
    c = it_add_json(s, body, NULL);
    if (c.added != 1 || c.updated != 0 || c.ignored != 0 || c.n_errors != 0)
        fail_msg("adding %s port %d: expected added 1, got added %lld "
                 "updated %lld ignored %lld errors %zu", host, port,
                 (long long)c.added, (long long)c.updated,
                 (long long)c.ignored, c.n_errors);
}

int it_try_add(it_server *s, const char *host, int port, uint64_t services,
               const char *source, const char *why)
{
    char src[128] = "";
    it_resp *r;
    json_t *b;
    int added;

    if (source != NULL)
        snprintf(src, sizeof src, "\"source\": \"%s\", ", source);
    r = it_sendf(s, "POST", "/v1/peers", "{%s\"peers\": [{\"address\": "
                 "\"%s\", \"port\": %d, \"services\": %" PRIu64 "}]}", src,
                 host, port, services);
    IT_STATUS(r, 200);
    b = IT_BODY(r);
    added = IT_JINT(b, "added") == 1;
    if (json_array_size(IT_JARR(b, "errors")) != 0 ||
        IT_JINT(b, "updated") != 0 ||
        IT_JINT(b, "added") + IT_JINT(b, "ignored") != 1 ||
        (!added && why != NULL && it_ignored_by(b, why) != 1))
        fail_msg("adding %s port %d: %s", host, port, r->body);
    it_check_ignored_by(b);
    it_resp_free(r);
    return added;
}

void it_add_fresh(it_server *s, int kind, int port, uint64_t services,
                  char host[IT_HOST_MAX])
{
    int tries = 0, added;

    do {
        switch (kind) {
        case '6': it_uniq_ipv6(host, NULL); break;
        case 'o': it_uniq_onion(host, NULL); break;
        case 'i': it_uniq_i2p(host, NULL); break;
        case 'c': it_uniq_cjdns(host, NULL); break;
        default:  it_uniq_ipv4(host); break;
        }
        added = it_try_add(s, host, port, services, NULL, NULL);
    } while (IT_TURNED_AWAY(!added, &tries));
    if (!added)
        fail_msg("%d fresh addresses in a row turned away", tries);
}

void it_add_ipv4s(it_server *s, size_t n, uint64_t services,
                  char (*hosts)[IT_HOST_MAX])
{
    for (size_t i = 0; i < n; i++)
        it_add_fresh(s, '4', IT_PORT, services, hosts[i]);
}

static const char *const net_names[] = { "ipv4", "ipv6", "torv3", "i2p",
                                          "cjdns", NULL };
static const char *const state_names[] = { "never_tried", "tried",
                                            "connected", "failed", "banned",
                                            NULL };

static int in_list(const char *v, const char *const *list)
{
    size_t i;

    for (i = 0; v != NULL && list[i] != NULL; i++)
        if (strcmp(v, list[i]) == 0)
            return 1;
    return 0;
}

static void check_time_fields(const json_t *p, const char *file, int line)
{
    static const char *const keys[] = { "last_connected", "last_try",
                                        "last_success", "attempts" };
    size_t i;

    (void)it_member_at(p, "time", JSON_INTEGER, file, line);
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_integer_value(it_member_at(p, keys[i], JSON_INTEGER, file,
                                            line)) < 0)
            fail_msg("%s:%d: %s is negative", file, line, keys[i]);
}

void it_check_peer_at(const json_t *p, const char *file, int line)
{
    json_int_t id = json_integer_value(it_member_at(p, "id", JSON_INTEGER,
                                                    file, line));
    json_int_t port = json_integer_value(it_member_at(p, "port", JSON_INTEGER,
                                                      file, line));
    const char *net = json_string_value(it_member_at(p, "network",
                                                     JSON_STRING, file, line));
    const char *st = json_string_value(it_member_at(p, "state", JSON_STRING,
                                                    file, line));
    const char *tb = json_string_value(it_member_at(p, "table", JSON_STRING,
                                                    file, line));
    const json_t *src = json_object_get(p, "source");

    (void)it_member_at(p, "address", JSON_STRING, file, line);
    (void)it_member_at(p, "services", JSON_INTEGER, file, line);
    check_time_fields(p, file, line);
    if (id < 1 || id > ((json_int_t)1 << 53) - 1 || port < 0 || port > 65535)
        fail_msg("%s:%d: id %lld or port %lld out of range", file, line,
                 (long long)id, (long long)port);
    if (!in_list(net, net_names) || !in_list(st, state_names) ||
        (strcmp(tb, "new") != 0 && strcmp(tb, "tried") != 0))
        fail_msg("%s:%d: bad network/state/table: %s/%s/%s", file, line, net,
                 st, tb);
    if (src == NULL || !(json_is_null(src) || json_is_string(src)))
        fail_msg("%s:%d: source must be a string or null", file, line);
}

static json_t *peer_at(it_server *s, const char *path)
{
    it_resp *r = it_get(s, path);
    json_t *p;

    IT_STATUS(r, 200);
    p = json_incref(IT_BODY(r));
    it_resp_free(r);
    IT_CHECK_PEER(p);
    return p;
}

json_t *it_peer(it_server *s, const char *host, int port)
{
    char path[IT_PATH_MAX];

    it_peer_path(host, port, NULL, path, sizeof path);
    return peer_at(s, path);
}

json_t *it_peer_id(it_server *s, json_int_t id)
{
    char path[64];

    snprintf(path, sizeof path, "/v1/peers/%lld", (long long)id);
    return peer_at(s, path);
}

long it_peer_status(it_server *s, const char *host, int port)
{
    char path[IT_PATH_MAX];
    it_resp *r;
    long st;

    it_peer_path(host, port, NULL, path, sizeof path);
    r = it_get(s, path);
    st = r->status;
    it_resp_free(r);
    return st;
}

json_t *it_set_state(it_server *s, const char *host, int port,
                     const char *state)
{
    char path[IT_PATH_MAX];
    it_resp *r;
    json_t *p;

    it_peer_path(host, port, "/state", path, sizeof path);
    r = it_sendf(s, "PUT", path, "{\"state\": \"%s\"}", state);
    IT_STATUS(r, 200);
    p = json_incref(IT_BODY(r));
    it_resp_free(r);
    IT_CHECK_PEER(p);
    return p;
}

json_t *it_select(it_server *s, const char *json)
{
    it_resp *r = it_send(s, "POST", "/v1/select", json);
    json_t *peers, *p;
    size_t i;

    IT_STATUS(r, 200);
    peers = json_incref(IT_JARR(IT_BODY(r), "peers"));
    it_resp_free(r);
    json_array_foreach(peers, i, p)
        IT_CHECK_PEER(p);
    return peers;
}

int it_find(const json_t *peers, const char *address, int port)
{
    size_t i;
    json_t *p;

    json_array_foreach(peers, i, p) {
        const json_t *a = json_object_get(p, "address");
        const json_t *pt = json_object_get(p, "port");

        if (json_is_string(a) && strcmp(json_string_value(a), address) == 0 &&
            json_integer_value(pt) == port)
            return (int)i;
    }
    return -1;
}

size_t it_count_peers(it_server *s, const char *query)
{
    char path[IT_PATH_MAX];
    json_int_t after = 0;
    size_t total = 0;

    for (;;) {
        it_resp *r;
        json_t *b, *next;

        snprintf(path, sizeof path, "/v1/peers?limit=10000&after=%lld%s%s",
                 (long long)after, query && *query ? "&" : "",
                 query ? query : "");
        r = it_get(s, path);
        IT_STATUS(r, 200);
        b = IT_BODY(r);
        total += json_array_size(IT_JARR(b, "peers"));
        next = json_object_get(b, "next");
        if (next == NULL || (!json_is_null(next) && !json_is_integer(next)))
            fail_msg("%s: \"next\" must be an integer or null", r->what);
        after = json_is_integer(next) ? json_integer_value(next) : 0;
        it_resp_free(r);
        if (after == 0)
            return total;
    }
}

json_t *it_stats(it_server *s)
{
    it_resp *r = it_get(s, "/v1/stats");
    json_t *b;

    IT_STATUS(r, 200);
    b = json_incref(IT_BODY(r));
    it_resp_free(r);
    return b;
}

json_t *it_ban(it_server *s, const char *target)
{
    it_resp *r = it_sendf(s, "POST", "/v1/bans", "{\"target\": \"%s\"}",
                          target);
    json_t *b;

    IT_STATUS(r, 201);
    b = json_incref(IT_BODY(r));
    it_resp_free(r);
    (void)IT_JSTR(b, "target");
    (void)IT_JINT(b, "until");
    (void)IT_JINT(b, "created");
    (void)IT_JSTR(b, "reason");
    return b;
}

long it_unban(it_server *s, const char *path_target)
{
    char path[IT_PATH_MAX];
    it_resp *r;
    long st;

    snprintf(path, sizeof path, "/v1/bans/%s", path_target);
    r = it_delete(s, path);
    st = r->status;
    if (st != 204 && st != 404)
        fail_msg("%s: HTTP %ld %s", r->what, st, r->body);
    it_resp_free(r);
    return st;
}

/* Past the label block at `p` ('{'), quoted values may hold braces. */
static const char *skip_labels(const char *p)
{
    int quoted = 0;

    for (p++; *p != '\0' && *p != '\n'; p++) {
        if (quoted && *p == '\\' && p[1] != '\0')
            p++;
        else if (*p == '"')
            quoted = !quoted;
        else if (!quoted && *p == '}')
            return p + 1;
    }
    return NULL;
}

double it_metric_sum(const char *text, const char *name)
{
    size_t n = strlen(name);
    const char *line = text;
    double sum = 0;

    while (line != NULL && *line != '\0') {
        if (strncmp(line, name, n) == 0 && (line[n] == '{' || line[n] == ' ')) {
            const char *v = line[n] == '{' ? skip_labels(line + n) : line + n;

            if (v != NULL)
                sum += strtod(v, NULL);
        }
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return sum;
}
