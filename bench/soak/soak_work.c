/*
 * soak_work.c - the mixed workload: which request comes next and its body.
 *
 * Weights (per 100 requests): select 25, state 25, relay 15, add 14,
 * addrv2 8, stats 5, ban 4, unban 4.  Adds post new random routable
 * addresses (IPv4 and IPv6 in JSON; those plus Tor v3, I2P and CJDNS in
 * addrv2), so the tables fill and then churn: the server's memory must stay
 * flat while its pool turns over.  State updates name ids seen in select
 * answers, some of which are evicted meanwhile (404, expected).  Each
 * thread lifts the bans it set (at most SK_BANS at once); bans expire in
 * 1 to 10 minutes anyway, so their number stays bounded.  Everything else
 * is valid: any other 4xx is a bug of the workload or of the server.
 */
#include "soak.h"
#include "bench_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BATCH 20            /* peers per add, 1..MAX_BATCH */
#define N_SOURCES 256

const char *const sk_kind_name[SK_N_KINDS] = {
    "add", "addrv2", "select", "state", "ban", "unban", "relay", "stats"};
const int sk_expected_4xx[SK_N_KINDS] = {
    [SK_STATE] = 404, [SK_UNBAN] = 404};

static const unsigned weight[SK_N_KINDS] = {
    [SK_ADD] = 14, [SK_ADDRV2] = 8, [SK_SELECT] = 25, [SK_STATE] = 25,
    [SK_BAN] = 4, [SK_UNBAN] = 4, [SK_RELAY] = 15, [SK_STATS] = 5};

static const uint64_t services[] = {1, 9, 1033, 1037, 3081, 0};
static const char *const networks[] = {"ipv4", "ipv6", "torv3", "i2p",
                                       "cjdns"};

uint64_t sk_rand(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static unsigned below(sk_work *w, unsigned n)
{
    return (unsigned)(sk_rand(&w->rng) % n);
}

void sk_work_init(sk_work *w, uint64_t seed, unsigned thread)
{
    memset(w, 0, sizeof *w);
    w->rng = seed;
    w->thread = thread;
}

void sk_req_free(sk_req *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* ---- bodies ------------------------------------------------------------- */

static void reserve(sk_req *r, size_t more)
{
    if (r->body_len + more <= r->body_cap)
        return;
    r->body_cap = (r->body_len + more) * 2;
    r->body = realloc(r->body, r->body_cap);
    if (r->body == NULL) {
        fprintf(stderr, "soak: out of memory\n");
        exit(2);
    }
}

static void put(sk_req *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(sk_req *r, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    reserve(r, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(r->body + r->body_len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    r->body_len += (size_t)n;
}

static void put_bytes(sk_req *r, const void *p, size_t n)
{
    reserve(r, n);
    memcpy(r->body + r->body_len, p, n);
    r->body_len += n;
}

static void start(sk_req *r, int kind, const char *method)
{
    r->kind = kind;
    r->method = method;
    r->body_len = 0;
    r->binary = 0;
    r->ban[0] = '\0';
}

/* ---- addresses ---------------------------------------------------------- */

static uint32_t rand_ipv4(uint64_t *rng)
{
    uint32_t a;

    do
        a = (uint32_t)sk_rand(rng);
    while (!bench_ipv4_routable(a));
    return a;
}

static void ipv4_text(uint32_t a, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
             (a >> 8) & 255, a & 255);
}

/* In 2a00::/12 (RIPE's global unicast), far from every special range. */
static void rand_ipv6(sk_work *w, uint8_t out[16])
{
    uint64_t hi = sk_rand(&w->rng), lo = sk_rand(&w->rng);
    int i;

    for (i = 0; i < 8; i++) {
        out[i] = (uint8_t)(hi >> (56 - 8 * i));
        out[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
    }
    out[0] = 0x2a;
    out[1] = (uint8_t)(out[1] & 0x0f);
}

static void ipv6_text(const uint8_t a[16], char out[48])
{
    snprintf(out, 48, "%x:%x:%x:%x:%x:%x:%x:%x", a[0] << 8 | a[1],
             a[2] << 8 | a[3], a[4] << 8 | a[5], a[6] << 8 | a[7],
             a[8] << 8 | a[9], a[10] << 8 | a[11], a[12] << 8 | a[13],
             a[14] << 8 | a[15]);
}

/* ---- the kinds ---------------------------------------------------------- */

static void put_peer(sk_work *w, sk_req *r, int first)
{
    char text[48];
    uint8_t a6[16];

    if (below(w, 4) == 0) {
        rand_ipv6(w, a6);
        ipv6_text(a6, text);
    } else {
        ipv4_text(rand_ipv4(&w->rng), text);
    }
    put(r, "%s{\"address\":\"%s\",\"port\":%u,\"services\":%llu",
        first ? "" : ",", text, below(w, 8) ? 8333u : 1024u + below(w, 60000),
        (unsigned long long)services[below(w, 5)]);
    if (below(w, 3) == 0)
        put(r, ",\"time\":%lld", (long long)time(NULL) - below(w, 7 * 86400));
    put(r, "}");
}

void sk_build_add(sk_work *w, sk_req *r, unsigned n)
{
    char src[16];
    unsigned i;

    start(r, SK_ADD, "POST");
    snprintf(r->path, sizeof r->path, "/v1/peers");
    put(r, "{");
    if (below(w, 4) != 0) {
        /* One of a few hundred sources, so that source groups repeat. */
        uint64_t k = below(w, N_SOURCES);

        ipv4_text(rand_ipv4(&k), src);
        put(r, "\"source\":\"%s\",", src);
    }
    put(r, "\"peers\":[");
    for (i = 0; i < n; i++)
        put_peer(w, r, i == 0);
    put(r, "]}");
}

static void put_compact(sk_req *r, uint64_t v)
{
    uint8_t b[9];
    size_t n, i;

    if (v < 0xfd) {
        b[0] = (uint8_t)v;
        n = 1;
    } else if (v <= 0xffff) {
        b[0] = 0xfd;
        n = 3;
    } else if (v <= 0xffffffffu) {
        b[0] = 0xfe;
        n = 5;
    } else {
        b[0] = 0xff;
        n = 9;
    }
    for (i = 1; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (i - 1)));
    put_bytes(r, b, n);
}

/* One BIP155 entry: time, services, network id, address, port. */
static void put_v2_entry(sk_work *w, sk_req *r)
{
    static const uint8_t ids[] = {1, 1, 1, 2, 2, 4, 5, 6};
    static const size_t lens[] = {0, 4, 16, 0, 32, 32, 16};
    uint32_t t = (uint32_t)time(NULL) - below(w, 3 * 86400);
    uint8_t id = ids[below(w, 8)], a[32], le[4];
    uint32_t v4;
    unsigned port = id == 5 ? 0 : 8333;     /* I2P has no ports */
    size_t i;

    for (i = 0; i < 4; i++)
        le[i] = (uint8_t)(t >> (8 * i));
    put_bytes(r, le, 4);
    put_compact(r, services[below(w, 5)]);
    put_bytes(r, &id, 1);
    put_compact(r, lens[id]);
    if (id == 1) {
        v4 = rand_ipv4(&w->rng);
        for (i = 0; i < 4; i++)
            a[i] = (uint8_t)(v4 >> (24 - 8 * i));
    } else if (id == 2) {
        rand_ipv6(w, a);
    } else {
        for (i = 0; i < lens[id]; i++)
            a[i] = (uint8_t)sk_rand(&w->rng);
        if (id == 6)
            a[0] = 0xfc;
    }
    put_bytes(r, a, lens[id]);
    put_bytes(r, (uint8_t[2]){(uint8_t)(port >> 8), (uint8_t)port}, 2);
}

static void build_addrv2(sk_work *w, sk_req *r)
{
    unsigned n = 1 + below(w, MAX_BATCH), i;
    char src[16];

    start(r, SK_ADDRV2, "POST");
    r->binary = 1;
    if (below(w, 2)) {
        ipv4_text(rand_ipv4(&w->rng), src);
        snprintf(r->path, sizeof r->path, "/v1/peers/addrv2?source=%s", src);
    } else {
        snprintf(r->path, sizeof r->path, "/v1/peers/addrv2");
    }
    put_compact(r, n);
    for (i = 0; i < n; i++)
        put_v2_entry(w, r);
}

static void build_select(sk_work *w, sk_req *r)
{
    unsigned k = below(w, 20);

    start(r, SK_SELECT, "POST");
    snprintf(r->path, sizeof r->path, "/v1/select");
    if (k == 0) {               /* a feeler */
        put(r, "{\"feeler\":true,\"node\":\"soak-%u-%u\","
            "\"lease_seconds\":0}", w->thread, below(w, SK_NODES));
        return;
    }
    put(r, "{\"count\":%u,\"node\":\"soak-%u-%u\",\"lease_seconds\":%u",
        1 + below(w, 16), w->thread, below(w, SK_NODES),
        below(w, 3) ? 0 : 30);
    if (k < 6)
        put(r, ",\"networks\":[\"%s\"%s]", networks[below(w, 5)],
            k < 3 ? ",\"ipv4\"" : "");
    if (k >= 6 && k < 10)
        put(r, ",\"services\":%llu", (unsigned long long)services[below(w, 4)]);
    if (k == 10)
        put(r, ",\"exclusive\":true");
    if (k == 11)
        put(r, ",\"diverse\":false");
    put(r, "}");
}

/* What a node learnt: it connects to at most SK_CONNS peers and later
 * disconnects from those same peers, as a node does; failed and tried
 * reports name any peer seen. */
static void build_state(sk_work *w, sk_req *r)
{
    unsigned node = below(w, SK_NODES), x = below(w, 20);
    unsigned *n = &w->n_conns[node];
    uint64_t id = w->ids[below(w, (unsigned)w->n_ids)];
    const char *op = x < 5 ? "failed" : x < 10 ? "tried" : "connected";

    if (*n == SK_CONNS || (*n > 0 && x >= 15)) {
        unsigned i = below(w, *n);

        id = w->conns[node][i];
        w->conns[node][i] = w->conns[node][--*n];
        op = "disconnected";
    } else if (x >= 10) {
        w->conns[node][(*n)++] = id;
    }
    start(r, SK_STATE, "PUT");
    snprintf(r->path, sizeof r->path, "/v1/peers/%llu/state",
             (unsigned long long)id);
    put(r, "{\"state\":\"%s\",\"node\":\"soak-%u-%u\"}", op, w->thread,
        node);
}

void sk_mark(sk_req *r, uint64_t id, const char *state)
{
    start(r, SK_STATE, "PUT");
    snprintf(r->path, sizeof r->path, "/v1/peers/%llu/state",
             (unsigned long long)id);
    put(r, "{\"state\":\"%s\"}", state);
}

static void build_ban(sk_work *w, sk_req *r)
{
    char a[16];

    start(r, SK_BAN, "POST");
    snprintf(r->path, sizeof r->path, "/v1/bans");
    if (below(w, 2)) {          /* a /24, written as the server keeps it */
        ipv4_text(rand_ipv4(&w->rng) & 0xffffff00u, a);
        snprintf(r->ban, sizeof r->ban, "%s/24", a);
    } else {
        ipv4_text(rand_ipv4(&w->rng), r->ban);
    }
    put(r, "{\"target\":\"%s\",\"duration\":%u,\"reason\":\"soak\"}", r->ban,
        60 + below(w, 540));
}

/* Our most recent ban, or (none left) one never set: a 404 on purpose. */
static void build_unban(sk_work *w, sk_req *r)
{
    char a[16], *slash;

    start(r, SK_UNBAN, "DELETE");
    if (w->n_bans > 0) {
        snprintf(r->ban, sizeof r->ban, "%s", w->bans[--w->n_bans]);
    } else {
        ipv4_text(rand_ipv4(&w->rng), a);
        snprintf(r->ban, sizeof r->ban, "%s", a);
    }
    slash = strchr(r->ban, '/');
    if (slash != NULL)
        snprintf(r->path, sizeof r->path, "/v1/bans/%.*s%%2F%s",
                 (int)(slash - r->ban), r->ban, slash + 1);
    else
        snprintf(r->path, sizeof r->path, "/v1/bans/%s", r->ban);
    r->ban[0] = '\0';
}

static void build_relay(sk_work *w, sk_req *r)
{
    static const unsigned counts[] = {23, 100, 250, 1000};
    unsigned k = below(w, 8);
    int n;

    start(r, SK_RELAY, "GET");
    n = snprintf(r->path, sizeof r->path, "/v1/addresses?count=%u",
                 counts[below(w, 4)]);
    if (k < 3)
        snprintf(r->path + n, sizeof r->path - (size_t)n, "&network=%s",
                 networks[below(w, 5)]);
    else if (k < 5)
        snprintf(r->path + n, sizeof r->path - (size_t)n, "&services=%llu",
                 (unsigned long long)services[below(w, 4)]);
}

static void build_stats(sk_req *r)
{
    start(r, SK_STATS, "GET");
    snprintf(r->path, sizeof r->path, "/v1/stats");
}

static int pick_kind(sk_work *w)
{
    unsigned x = below(w, 100), k;

    for (k = 0; k < SK_N_KINDS; k++) {
        if (x < weight[k])
            break;
        x -= weight[k];
    }
    if (k == SK_STATE && w->n_ids == 0)
        return SK_SELECT;       /* nothing to name yet */
    if (k == SK_BAN && w->n_bans == SK_BANS)
        return SK_UNBAN;
    return (int)k;
}

void sk_next(sk_work *w, sk_req *r)
{
    switch (pick_kind(w)) {
    case SK_ADD:
        sk_build_add(w, r, 1 + below(w, MAX_BATCH));
        break;
    case SK_ADDRV2:
        build_addrv2(w, r);
        break;
    case SK_SELECT:
        build_select(w, r);
        break;
    case SK_STATE:
        build_state(w, r);
        break;
    case SK_BAN:
        build_ban(w, r);
        break;
    case SK_UNBAN:
        build_unban(w, r);
        break;
    case SK_RELAY:
        build_relay(w, r);
        break;
    default:
        build_stats(r);
        break;
    }
}

/* ---- answers ------------------------------------------------------------ */

static void learn_ids(sk_work *w, const char *body)
{
    const char *p = body;

    while ((p = strstr(p, "\"id\":")) != NULL) {
        p += 5;
        w->ids[w->next_id] = strtoull(p, NULL, 10);
        w->next_id = (w->next_id + 1) % SK_IDS;
        if (w->n_ids < SK_IDS)
            w->n_ids++;
    }
}

void sk_learn(sk_work *w, const sk_req *r, long status, const char *body)
{
    if (r->kind == SK_SELECT && status == 200 && body != NULL)
        learn_ids(w, body);
    if (r->kind == SK_BAN && status == 201 && w->n_bans < SK_BANS)
        snprintf(w->bans[w->n_bans++], SK_TARGET_MAX, "%s", r->ban);
}
