/*
 * ec_main.c - bench/eclipse: how much of what POST /v1/select hands out an
 * attacker gets, in four attack scenarios, next to a naive pool.
 *
 * Every scenario runs against a fresh addrmand (fresh temp data directory,
 * free loopback port) or, with --url, against one running server (then one
 * scenario, on an empty pool).  Each starts from the same honest pool:
 * 5 000 new addresses (the real ones from tests/data among them) announced
 * by 500 sources in distinct /16s, and 1 000 peers in distinct /16s marked
 * tried.  Then the attack, then 100 000 selections (POST /v1/select,
 * lease_seconds 0 = a pure read, diverse false; count 1 by default, which is
 * Core's single select).  A handed-out peer is the attacker's when it is an
 * IPv4 address in one of the attacker's /16s (no honest address is in one).
 * Every address is announced with services 1033 (NODE_NETWORK, WITNESS,
 * NETWORK_LIMITED), what nodes relay; the attacker's alike.
 *
 * Then a stock node's view: one P2P connection (ec_p2p.c) sends getaddr
 * and the attacker's share of the `addr` answer's entries is counted the
 * same way.  The daemon caches that answer per network for 21-27 h, so one
 * connection is one sample of at most 1 000 entries; next to it, the share
 * a uniform sample of the pool's entries would have (the census after the
 * attack), which is what drawing buckets first keeps the answer away from.
 *
 * The naive pool is computed here from the same announcements (ec_pool.c).
 * Honest evictions: honest peers listed before the attack (GET /v1/peers)
 * and missing after it.
 */
#include "ec.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "am_error.h"

#ifndef EC_DEFAULT_SERVER
#define EC_DEFAULT_SERVER "addrmand"
#endif
#ifndef EC_DEFAULT_DATA
#define EC_DEFAULT_DATA "tests/data"
#endif

#define DAY INT64_C(86400)
#define HONEST_NEW 5000
#define HONEST_SOURCES 500
#define HONEST_TRIED 1000
#define NAIVE_CAP 50000
/* What nodes relay: NODE_NETWORK | NODE_WITNESS | NODE_NETWORK_LIMITED;
 * a getaddr answer holds only peers with NODE_NETWORK(_LIMITED). */
#define SERVICES 1033
#define BATCH 1000
#define N_SCENARIOS 6

#define SC1_ADDRS 1000000
#define SC1_GROUPS 256
#define SC2_ADDRS 10000
#define SC2_GROUPS 2
#define SC2_SOURCES 100
#define SC3_ADDRS 100000
#define SC3_GROUPS 256
#define SC4_ADDRS 100000
#define SC4_SOURCES 1000
#define SC4_HOSTS 50000         /* x 2 ports = 100 000 endpoints in a /16 */
#define SC5_ADDRS 256
#define SC5_SOURCES 1000         /* default of --sc5-sources */
#define SC5_MAX_SOURCES 8192
#define SC5_ROUNDS 1000
#define SC6_ADDRS 1000
#define SC6_SOURCES 100

typedef struct options {
    const char *server;
    const char *url;
    const char *token;
    const char *data;
    const char *group_cap;      /* passed as --new-group-cap */
    int p2p_port;               /* with --url: its P2P face (0: none) */
    char *server_args[32];
    int n_server_args;
    unsigned threads;
    int run[N_SCENARIOS + 1];
    size_t selects;
    unsigned select_count;
    unsigned tried_rounds;
    unsigned sc4_batch;
    unsigned sc5_sources;
    uint64_t seed;
    int keep;
} options;

/* ---- the honest pool and the attackers' /16s (same for every scenario) */

typedef struct hitem {
    am_addr a;
    int64_t age;        /* seconds before "now" of the announced time */
    int real;
} hitem;

typedef struct world {
    hitem hnew[HONEST_NEW];         /* in announcement order */
    am_addr hsrc[HONEST_SOURCES];   /* hnew[i] comes from hsrc[i / 10] */
    hitem htried[HONEST_TRIED];
    size_t n_real, real_by_net[AM_NET_MAX];
    size_t nodes_lines, nodes_usable, floresta_entries, floresta_new;
    size_t n_groups, group_top_n[3];
    char group_top[3][128];
    uint16_t *free16;               /* shuffled unused /16s */
    size_t n_free16, next16;
    uint8_t used16[65536];
    uint8_t attacker16[65536];
    uint16_t sc1_addr[SC1_GROUPS], sc1_src;
    uint16_t sc2_addr[SC2_GROUPS], sc2_src[SC2_SOURCES];
    uint16_t sc3_addr[SC3_GROUPS], sc3_src;
    uint16_t sc4_addr, sc4_src[SC4_SOURCES];
    uint16_t sc5_addr, sc5_src[SC5_MAX_SOURCES];
    uint16_t sc6_addr, sc6_src[SC6_SOURCES];
} world;

static const char *const sc_names[N_SCENARIOS + 1] = {
    "", "one_source_flood", "tried_capture", "timestamp_games",
    "many_sources_one_subnet", "many_sources_multi_ref",
    "hosting_network_cost"};
/* Most attacker share allowed; scenario 6 is no attack. */
static const double sc_target[N_SCENARIOS + 1] = {0, 5, 10, 5, 15, 15, -1};

static void die(const char *msg)
{
    fprintf(stderr, "eclipse: %s\n", msg);
    exit(2);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double pct(size_t part, size_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static uint32_t ip_of(uint16_t p16, uint16_t host)
{
    return (uint32_t)p16 << 16 | host;
}

/* First octets with no unroutable or documentation range inside. */
static int octet_ok(unsigned o)
{
    return o >= 1 && o <= 223 && o != 10 && o != 100 && o != 127 &&
           o != 169 && o != 172 && o != 192 && o != 198 && o != 203;
}

static void mark_group(world *w, const am_addr *a)
{
    uint8_t g[AM_GROUP_MAXLEN];

    if (am_addr_group(a, g) == 3 && g[0] == 1)
        w->used16[g[1] << 8 | g[2]] = 1;
}

static uint16_t alloc16(world *w)
{
    while (w->next16 < w->n_free16) {
        uint16_t p = w->free16[w->next16++];

        if (!w->used16[p]) {
            w->used16[p] = 1;
            return p;
        }
    }
    die("out of /16s");
    return 0;
}

static void shuffle_hitems(hitem *v, size_t n, ec_rng *r)
{
    size_t i;

    for (i = n; i > 1; i--) {
        size_t j = (size_t)ec_below(r, i);
        hitem t = v[i - 1];

        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* ---- real addresses: Core's seed list and Floresta's seed files ---- */

typedef struct reals {
    hitem *v;
    size_t n, cap;
    ec_set seen;
} reals;

static void real_add(reals *r, const am_addr *a, size_t *counted)
{
    if (!am_addr_is_routable(a) || !ec_set_add(&r->seen, ec_key(a)))
        return;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        if (r->v == NULL)
            die("out of memory");
    }
    memset(&r->v[r->n], 0, sizeof r->v[r->n]);
    r->v[r->n].a = *a;
    r->v[r->n].real = 1;
    r->n++;
    (*counted)++;
}

static void load_nodes(world *w, reals *r, const char *dir)
{
    char path[1024], line[512];
    FILE *f;
    am_addr a;

    snprintf(path, sizeof path, "%s/nodes_main.txt", dir);
    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "eclipse: %s: %s (no real addresses from it)\n", path,
                strerror(errno));
        return;
    }
    while (fgets(line, sizeof line, f)) {
        char *s = line, *e;

        while (*s == ' ' || *s == '\t')
            s++;
        for (e = s; *e && *e != '\n' && *e != '\r' && *e != ' ' &&
                    *e != '\t' && *e != '#'; e++)
            ;
        *e = '\0';
        if (*s == '\0')
            continue;
        w->nodes_lines++;
        if (am_addr_parse(&a, s, 8333) == AM_OK)
            real_add(r, &a, &w->nodes_usable);
    }
    fclose(f);
}

static void load_floresta(world *w, reals *r, const char *dir)
{
    char path[1024], file[1280];
    struct dirent *de;
    DIR *d;
    char **names = NULL;
    size_t n_names = 0, k;

    snprintf(path, sizeof path, "%s/floresta", dir);
    d = opendir(path);
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);

        if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0) {
            names = realloc(names, (n_names + 1) * sizeof *names);
            if (names == NULL)
                die("out of memory");
            names[n_names++] = strdup(de->d_name);
        }
    }
    closedir(d);
    /* A fixed order, so that --seed alone decides the pool. */
    for (k = 0; k + 1 < n_names; k++)
        for (size_t j = k + 1; j < n_names; j++)
            if (strcmp(names[j], names[k]) < 0) {
                char *t = names[j];
                names[j] = names[k];
                names[k] = t;
            }
    for (k = 0; k < n_names; k++) {
        json_error_t jerr;
        json_t *doc, *e;
        size_t i;

        snprintf(file, sizeof file, "%s/%s", path, names[k]);
        doc = json_load_file(file, 0, &jerr);
        if (!json_is_array(doc)) {
            fprintf(stderr, "eclipse: %s: not a JSON array\n", file);
            json_decref(doc);
            continue;
        }
        json_array_foreach(doc, i, e) {
            json_t *addr = json_object_get(e, "address");
            json_t *v4 = json_object_get(addr, "V4");
            json_t *v6 = json_object_get(addr, "V6");
            json_t *host = v4 ? v4 : v6;
            json_int_t port = json_integer_value(json_object_get(e, "port"));
            am_addr a;

            w->floresta_entries++;
            if (!json_is_string(host) || port <= 0 || port > 65535 ||
                am_addr_parse_host(&a, json_string_value(host)) != AM_OK)
                continue;
            a.port = (uint16_t)port;
            real_add(r, &a, &w->floresta_new);
        }
        json_decref(doc);
        free(names[k]);
    }
    free(names);
}

/* The largest network groups of the honest new addresses. */
static void group_census(world *w)
{
    typedef struct { uint64_t key; size_t n; am_addr a; } gc;
    gc *g = calloc(HONEST_NEW, sizeof *g);
    size_t n = 0, i, j, t;

    if (g == NULL)
        die("out of memory");
    for (i = 0; i < HONEST_NEW; i++) {
        uint64_t key = am_addr_group_key(&w->hnew[i].a);

        for (j = 0; j < n && g[j].key != key; j++)
            ;
        if (j == n) {
            g[n].key = key;
            g[n].a = w->hnew[i].a;
            n++;
        }
        g[j].n++;
    }
    w->n_groups = n;
    for (t = 0; t < 3; t++) {
        size_t best = n;

        for (j = 0; j < n; j++)
            if (g[j].n > 0 && (best == n || g[j].n > g[best].n))
                best = j;
        if (best == n)
            break;
        {
            am_addr x = g[best].a;
            uint8_t gb[AM_GROUP_MAXLEN];
            size_t gl = am_addr_group(&x, gb);

            if (x.net == AM_NET_IPV4)
                snprintf(w->group_top[t], sizeof w->group_top[t],
                         "%u.%u.0.0/16", gb[1], gb[2]);
            else if (x.net == AM_NET_IPV6 && gl >= 5 && gb[0] == 2)
                snprintf(w->group_top[t], sizeof w->group_top[t],
                         "%02x%02x:%02x%02x::/%d", gb[1], gb[2], gb[3], gb[4],
                         gl == 6 ? 36 : 32);
            else
                snprintf(w->group_top[t], sizeof w->group_top[t],
                         "%s group %02x%02x", am_net_name(x.net), gb[1],
                         gl > 2 ? gb[2] : 0);
            w->group_top_n[t] = g[best].n;
            g[best].n = 0;
        }
    }
    free(g);
}

static void world_build(world *w, const options *o)
{
    ec_rng r = {o->seed};
    reals re;
    size_t i, k, n_syn;

    memset(w, 0, sizeof *w);
    memset(&re, 0, sizeof re);
    ec_set_init(&re.seen);
    load_nodes(w, &re, o->data);
    load_floresta(w, &re, o->data);
    shuffle_hitems(re.v, re.n, &r);
    w->n_real = re.n < HONEST_NEW ? re.n : HONEST_NEW;
    for (i = 0; i < w->n_real; i++) {
        w->hnew[i] = re.v[i];
        w->real_by_net[re.v[i].a.net]++;
    }
    for (i = 0; i < re.n; i++)
        mark_group(w, &re.v[i].a);
    free(re.v);
    ec_set_free(&re.seen);

    /* Every /16 that is routable and holds no real address, shuffled. */
    w->free16 = malloc(65536 * sizeof *w->free16);
    if (w->free16 == NULL)
        die("out of memory");
    for (k = 0; k < 65536; k++)
        if (octet_ok((unsigned)(k >> 8)) && !w->used16[k])
            w->free16[w->n_free16++] = (uint16_t)k;
    for (k = w->n_free16; k > 1; k--) {
        size_t j = (size_t)ec_below(&r, k);
        uint16_t t = w->free16[k - 1];

        w->free16[k - 1] = w->free16[j];
        w->free16[j] = t;
    }

    n_syn = HONEST_NEW - w->n_real;
    for (i = w->n_real; i < HONEST_NEW; i++) {
        ec_v4(&w->hnew[i].a, ip_of(alloc16(w), (uint16_t)(1 + ec_below(&r, 65533))),
              8333);
        w->hnew[i].real = 0;
    }
    (void)n_syn;
    shuffle_hitems(w->hnew, HONEST_NEW, &r);
    for (i = 0; i < HONEST_NEW; i++)
        w->hnew[i].age = 3600 + (int64_t)ec_below(&r, (uint64_t)(3 * DAY - 3600));
    for (i = 0; i < HONEST_SOURCES; i++)
        ec_v4(&w->hsrc[i], ip_of(alloc16(w), 0x0101), 0);
    for (i = 0; i < HONEST_TRIED; i++) {
        ec_v4(&w->htried[i].a,
              ip_of(alloc16(w), (uint16_t)(1 + ec_below(&r, 65533))), 8333);
        w->htried[i].age = (int64_t)ec_below(&r, 3600);
    }
    group_census(w);

    /* The attackers' /16s: fresh, so no honest address is in one. */
    for (i = 0; i < SC1_GROUPS; i++)
        w->attacker16[w->sc1_addr[i] = alloc16(w)] = 1;
    w->sc1_src = alloc16(w);
    for (i = 0; i < SC2_GROUPS; i++)
        w->attacker16[w->sc2_addr[i] = alloc16(w)] = 1;
    for (i = 0; i < SC2_SOURCES; i++)
        w->sc2_src[i] = alloc16(w);
    for (i = 0; i < SC3_GROUPS; i++)
        w->attacker16[w->sc3_addr[i] = alloc16(w)] = 1;
    w->sc3_src = alloc16(w);
    w->attacker16[w->sc4_addr = alloc16(w)] = 1;
    for (i = 0; i < SC4_SOURCES; i++)
        w->sc4_src[i] = alloc16(w);
    w->attacker16[w->sc5_addr = alloc16(w)] = 1;
    for (i = 0; i < o->sc5_sources; i++)
        w->sc5_src[i] = alloc16(w);
    /* Scenario 6's /16 is honest; it is counted apart like an attacker's. */
    w->attacker16[w->sc6_addr = alloc16(w)] = 1;
    for (i = 0; i < SC6_SOURCES; i++)
        w->sc6_src[i] = alloc16(w);
}

static void world_print(const world *w, const options *o)
{
    size_t n;

    printf("honest pool (seed %" PRIu64 ", identical in every scenario):\n",
           o->seed);
    printf("  real addresses: nodes_main.txt %zu entries -> %zu routable; "
           "floresta/*.json %zu entries -> %zu more (duplicates dropped)\n",
           w->nodes_lines, w->nodes_usable, w->floresta_entries,
           w->floresta_new);
    printf("  new: %d addresses = %zu real (ipv4 %zu, ipv6 %zu, torv3 %zu, "
           "i2p %zu, cjdns %zu) + %zu synthetic IPv4, each in its own /16\n",
           HONEST_NEW, w->n_real, w->real_by_net[AM_NET_IPV4],
           w->real_by_net[AM_NET_IPV6], w->real_by_net[AM_NET_TORV3],
           w->real_by_net[AM_NET_I2P], w->real_by_net[AM_NET_CJDNS],
           (size_t)HONEST_NEW - w->n_real);
    printf("       announced by %d sources in distinct /16s (%d each), "
           "times 1 h to 3 days old\n", HONEST_SOURCES,
           HONEST_NEW / HONEST_SOURCES);
    printf("       %zu network groups; largest:", w->n_groups);
    for (n = 0; n < 3 && w->group_top_n[n]; n++)
        printf("%s %s (%zu)", n ? "," : "", w->group_top[n], w->group_top_n[n]);
    printf("\n  tried: %d synthetic IPv4 peers in distinct /16s, added (before "
           "the new ones) then marked tried (PUT .../state {\"state\":\"tried\"})\n", HONEST_TRIED);
}

/* ---- talking to the server ---- */

typedef struct tally {
    uint64_t added, updated, ignored, errors, requests;
} tally;

typedef struct run {
    const options *o;
    world *w;
    ec_http *h;
    ec_naive *naive;
    ec_rng rng;
    ec_buf body;
    uint64_t *honest_ids;
    size_t n_honest;
} run;

typedef struct item {
    am_addr a;
    int64_t time;
} item;

static uint64_t jint(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

/* POST /v1/peers: one request, one source (NULL: each its own). */
static void post_peers(run *r, const am_addr *src, const item *it, size_t n,
                       tally *t)
{
    char host[AM_ADDR_STRLEN];
    json_t *ans = NULL;
    long st;
    size_t i;

    ec_buf_reset(&r->body);
    ec_buf_add(&r->body, "{");
    if (src) {
        ec_host(src, host, sizeof host);
        ec_buf_add(&r->body, "\"source\":\"%s\",", host);
    }
    ec_buf_add(&r->body, "\"peers\":[");
    for (i = 0; i < n; i++) {
        ec_host(&it[i].a, host, sizeof host);
        ec_buf_add(&r->body, "%s{\"address\":\"%s\",\"port\":%u,"
                   "\"services\":%d,\"time\":%" PRId64 "}",
                   i ? "," : "", host, it[i].a.port, SERVICES, it[i].time);
    }
    ec_buf_add(&r->body, "]}");
    st = ec_http_call(r->h, "POST", "/v1/peers", r->body.p, r->body.len, &ans);
    t->requests++;
    if (st != 200 || ans == NULL) {
        fprintf(stderr, "eclipse: POST /v1/peers answered %ld\n", st);
        if (st < 0)
            exit(1);
        t->errors += n;
    } else {
        t->added += jint(ans, "added");
        t->updated += jint(ans, "updated");
        t->ignored += jint(ans, "ignored");
        t->errors += json_array_size(json_object_get(ans, "errors"));
    }
    json_decref(ans);
}

/* PUT /v1/peers/{endpoint}/state {"state":"tried"}: 1 in tried, 0 still
 * in new (a tried-slot collision), -1 unknown peer. */
static int mark_tried(run *r, const am_addr *a)
{
    char host[AM_ADDR_STRLEN], path[AM_ADDR_STRLEN + 64];
    static const char body[] = "{\"state\":\"tried\"}";
    json_t *ans = NULL;
    const char *table;
    long st;
    int rc;

    ec_host(a, host, sizeof host);
    if (a->net == AM_NET_IPV6 || a->net == AM_NET_CJDNS)
        snprintf(path, sizeof path, "/v1/peers/%%5B%s%%5D:%u/state", host, a->port);
    else
        snprintf(path, sizeof path, "/v1/peers/%s:%u/state", host, a->port);
    st = ec_http_call(r->h, "PUT", path, body, sizeof body - 1, &ans);
    if (st == 404) {
        json_decref(ans);
        return -1;
    }
    if (st != 200 || ans == NULL) {
        fprintf(stderr, "eclipse: PUT %s answered %ld\n", path, st);
        exit(1);
    }
    table = json_string_value(json_object_get(ans, "table"));
    rc = table && strcmp(table, "tried") == 0;
    json_decref(ans);
    return rc;
}

/* Who an address is: an IPv4 address in one of the attacker's /16s. */
static int is_attacker_addr(const run *r, const am_addr *a)
{
    return a->net == AM_NET_IPV4 &&
           r->w->attacker16[a->bytes[0] << 8 | a->bytes[1]];
}

/* Who a listed or selected peer is. */
static int is_attacker(const run *r, const json_t *peer)
{
    const char *text = json_string_value(json_object_get(peer, "address"));
    am_addr a;

    return text != NULL && am_addr_parse_host(&a, text) == AM_OK &&
           is_attacker_addr(r, &a);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static int is_honest_id(const run *r, uint64_t id)
{
    return bsearch(&id, r->honest_ids, r->n_honest, sizeof id, cmp_u64) != NULL;
}

/* GET /v1/peers, every page. */
typedef struct census {
    size_t total, att_new, att_tried, hon_new, hon_tried, other;
    uint64_t *ids;              /* honest ids when collecting */
    size_t n_ids, cap_ids;
} census;

static void take_census(run *r, census *c, int collect_all)
{
    char path[96];
    uint64_t after = 0;

    memset(c, 0, sizeof *c);
    for (;;) {
        json_t *ans = NULL, *peers, *p, *next;
        size_t i;
        long st;

        if (after)
            snprintf(path, sizeof path, "/v1/peers?limit=10000&after=%" PRIu64, after);
        else
            snprintf(path, sizeof path, "/v1/peers?limit=10000");
        st = ec_http_call(r->h, "GET", path, NULL, 0, &ans);
        if (st != 200 || ans == NULL) {
            fprintf(stderr, "eclipse: GET %s answered %ld\n", path, st);
            exit(1);
        }
        peers = json_object_get(ans, "peers");
        json_array_foreach(peers, i, p) {
            uint64_t id = jint(p, "id");
            const char *table = json_string_value(json_object_get(p, "table"));
            int tried = table && strcmp(table, "tried") == 0;
            int att = is_attacker(r, p);

            c->total++;
            if (att) {
                if (tried)
                    c->att_tried++;
                else
                    c->att_new++;
            } else if (collect_all || is_honest_id(r, id)) {
                if (tried)
                    c->hon_tried++;
                else
                    c->hon_new++;
                if (c->n_ids == c->cap_ids) {
                    c->cap_ids = c->cap_ids ? 2 * c->cap_ids : 8192;
                    c->ids = realloc(c->ids, c->cap_ids * sizeof *c->ids);
                    if (c->ids == NULL)
                        die("out of memory");
                }
                c->ids[c->n_ids++] = id;
            } else {
                c->other++;
            }
        }
        next = json_object_get(ans, "next");
        after = json_is_integer(next) ? (uint64_t)json_integer_value(next) : 0;
        json_decref(ans);
        if (after == 0)
            break;
    }
    qsort(c->ids, c->n_ids, sizeof *c->ids, cmp_u64);
}

typedef struct tables {
    uint64_t new_slots, new_buckets, tried_slots, tried_buckets, collisions;
} tables;

static void get_tables(run *r, tables *t)
{
    json_t *ans = NULL, *tb;
    long st = ec_http_call(r->h, "GET", "/v1/stats", NULL, 0, &ans);

    memset(t, 0, sizeof *t);
    if (st != 200 || ans == NULL) {
        fprintf(stderr, "eclipse: GET /v1/stats answered %ld\n", st);
        json_decref(ans);
        return;
    }
    tb = json_object_get(ans, "tables");
    t->new_slots = jint(json_object_get(tb, "new"), "slots_used");
    t->new_buckets = jint(json_object_get(tb, "new"), "buckets_used");
    t->tried_slots = jint(json_object_get(tb, "tried"), "slots_used");
    t->tried_buckets = jint(json_object_get(tb, "tried"), "buckets_used");
    t->collisions = jint(ans, "collisions");
    json_decref(ans);
}

/* ---- the honest pool, on the server and in the naive pool ---- */

typedef struct setup_result {
    tally t_new, t_tried;
    size_t tried_ok, tried_collided;
    census c;
    double seconds;
} setup_result;

static void setup_honest(run *r, setup_result *s)
{
    const world *w = r->w;
    int64_t now = (int64_t)time(NULL);
    item it[BATCH];
    size_t i, j;
    double t0 = now_s();

    memset(s, 0, sizeof *s);
    for (i = 0; i < HONEST_TRIED; i += BATCH) {
        size_t n = HONEST_TRIED - i < BATCH ? HONEST_TRIED - i : BATCH;

        for (j = 0; j < n; j++) {
            it[j].a = w->htried[i + j].a;
            it[j].time = now - w->htried[i + j].age;
        }
        post_peers(r, NULL, it, n, &s->t_tried);
    }
    for (i = 0; i < HONEST_TRIED; i++) {
        int rc = mark_tried(r, &w->htried[i].a);

        s->tried_ok += rc == 1;
        s->tried_collided += rc == 0;
        /* Connected peers: last_connected is now in a naive pool. */
        ec_naive_add(r->naive, ec_key(&w->htried[i].a), now, 0);
    }
    for (i = 0; i < HONEST_SOURCES; i++) {
        size_t per = HONEST_NEW / HONEST_SOURCES;

        for (j = 0; j < per; j++) {
            const hitem *h = &w->hnew[i * per + j];

            it[j].a = h->a;
            it[j].time = now - h->age;
            ec_naive_add(r->naive, ec_key(&h->a), it[j].time, 0);
        }
        post_peers(r, &w->hsrc[i], it, per, &s->t_new);
    }
    take_census(r, &s->c, 1);
    r->honest_ids = s->c.ids;
    r->n_honest = s->c.n_ids;
    s->seconds = now_s() - t0;
}

/* ---- the attacks ---- */

typedef struct attack {
    tally t;
    size_t announced, sources;
    char note[512];
} attack;

static void naive_att(run *r, const am_addr *a, int64_t time)
{
    ec_naive_add(r->naive, ec_key(a), time, 1);
}

/* 1: one source announces 1 000 000 addresses over 256 /16s. */
static void attack_flood(run *r, attack *x)
{
    const world *w = r->w;
    am_addr src;
    item it[BATCH];
    size_t i = 0, n = 0;

    ec_v4(&src, ip_of(w->sc1_src, 0x0101), 0);
    x->sources = 1;
    for (i = 0; i < SC1_ADDRS; i++) {
        int64_t now = (int64_t)time(NULL);

        ec_v4(&it[n].a, ip_of(w->sc1_addr[i % SC1_GROUPS],
                              (uint16_t)(1 + i / SC1_GROUPS)), 8333);
        it[n].time = now;
        naive_att(r, &it[n].a, now);
        if (++n == BATCH || i + 1 == SC1_ADDRS) {
            post_peers(r, &src, it, n, &x->t);
            n = 0;
        }
    }
    x->announced = SC1_ADDRS;
}

/* 2: 10 000 attacker peers in two /16s, announced by 100 attacker sources,
 * complete handshakes (marked tried).  Rounds: announce those not yet in
 * tried, mark them tried, until a round moves no more (the new table and
 * its group cap hold only so many at a time). */
static void attack_tried(run *r, attack *x)
{
    const world *w = r->w;
    unsigned char *done = calloc(SC2_ADDRS, 1);
    am_addr addr[SC2_ADDRS];
    size_t k, in_tried = 0;
    unsigned round;
    int64_t now = (int64_t)time(NULL);
    int len = 0;

    if (done == NULL)
        die("out of memory");
    for (k = 0; k < SC2_ADDRS; k++) {
        ec_v4(&addr[k], ip_of(w->sc2_addr[k % SC2_GROUPS],
                              (uint16_t)(1 + k / SC2_GROUPS)), 8333);
        /* A completed handshake: last_connected now in a naive pool. */
        naive_att(r, &addr[k], now);
    }
    x->sources = SC2_SOURCES;
    len += snprintf(x->note + len, sizeof x->note - (size_t)len,
                    "rounds (announce the rest, mark them tried): in tried after each:");
    for (round = 1; round <= r->o->tried_rounds; round++) {
        size_t per = SC2_ADDRS / SC2_SOURCES, s, moved = 0, unknown = 0,
               collided = 0;

        for (s = 0; s < SC2_SOURCES; s++) {
            item it[SC2_ADDRS / SC2_SOURCES];
            size_t n = 0;
            am_addr src;

            now = (int64_t)time(NULL);
            for (k = s * per; k < (s + 1) * per; k++)
                if (!done[k]) {
                    it[n].a = addr[k];
                    it[n].time = now;
                    n++;
                }
            if (n == 0)
                continue;
            ec_v4(&src, ip_of(w->sc2_src[s], 0x0101), 0);
            post_peers(r, &src, it, n, &x->t);
            x->announced += n;
        }
        for (k = 0; k < SC2_ADDRS; k++) {
            int rc;

            if (done[k])
                continue;
            rc = mark_tried(r, &addr[k]);
            if (rc == 1) {
                done[k] = 1;
                moved++;
            } else if (rc == 0) {
                collided++;
            } else {
                unknown++;
            }
        }
        in_tried += moved;
        if (len < (int)sizeof x->note - 48)
            len += snprintf(x->note + len, sizeof x->note - (size_t)len,
                            " %zu", in_tried);
        if (moved == 0)
            break;
    }
    free(done);
}

/* 3: one source, 100 000 addresses over 256 /16s, times one day in the
 * future and 30 days in the past (alternately). */
static void attack_times(run *r, attack *x)
{
    const world *w = r->w;
    am_addr src;
    item it[BATCH];
    size_t i, n = 0;

    ec_v4(&src, ip_of(w->sc3_src, 0x0101), 0);
    x->sources = 1;
    for (i = 0; i < SC3_ADDRS; i++) {
        int64_t now = (int64_t)time(NULL);

        ec_v4(&it[n].a, ip_of(w->sc3_addr[i % SC3_GROUPS],
                              (uint16_t)(1 + i / SC3_GROUPS)), 8333);
        it[n].time = i % 2 ? now - 30 * DAY : now + DAY;
        naive_att(r, &it[n].a, it[n].time);
        if (++n == BATCH || i + 1 == SC3_ADDRS) {
            post_peers(r, &src, it, n, &x->t);
            n = 0;
        }
    }
    x->announced = SC3_ADDRS;
}

/* 4: 100 000 endpoints in one /16 (50 000 hosts x 2 ports), 100 per source
 * from 1 000 sources in distinct /16s.  Round robin over the sources,
 * --sc4-batch addresses per request (default 1: each source's first
 * address lands before anyone's second, which spreads the group's entries
 * over the most buckets: the attacker's best order under the group cap). */
static void attack_many_sources(run *r, attack *x)
{
    const world *w = r->w;
    size_t per = SC4_ADDRS / SC4_SOURCES, b = r->o->sc4_batch, off, s, j;
    item it[BATCH];

    x->sources = SC4_SOURCES;
    for (off = 0; off < per; off += b) {
        for (s = 0; s < SC4_SOURCES; s++) {
            int64_t now = (int64_t)time(NULL);
            size_t n = 0;
            am_addr src;

            for (j = off; j < off + b && j < per; j++) {
                size_t k = s * per + j;

                ec_v4(&it[n].a, ip_of(w->sc4_addr, (uint16_t)(1 + k % SC4_HOSTS)),
                      (uint16_t)(8333 + k / SC4_HOSTS));
                it[n].time = now;
                naive_att(r, &it[n].a, now);
                n++;
            }
            ec_v4(&src, ip_of(w->sc4_src[s], 0x0101), 0);
            post_peers(r, &src, it, n, &x->t);
        }
    }
    x->announced = SC4_ADDRS;
}

/* 5 (extra): 256 addresses in one /16, announced again and again by
 * --sc5-sources sources (default 1 000) in distinct /16s.  A known address
 * gains another new slot (up to 8) with probability 1/2^slots held whenever
 * it is announced with a newer time than it was stored with: up to
 * 256 x 8 = 2 048 slots, which the group cap (it counts new-table slots)
 * holds to its limit.
 * In round t (1 000 rounds, time t0 + t) address a is announced by source
 * (a * (N / 256) + t) mod N: each address starts in its own source's bucket
 * and its extra slots spread over the sources' buckets (one source
 * announcing all 256 at once would pile them into its one bucket).  A
 * request carries one source's announcements of 16 rounds. */
#define SC5_ROUNDS_PER_REQUEST 16
static void attack_multi_ref(run *r, attack *x)
{
    const world *w = r->w;
    size_t nsrc = r->o->sc5_sources, stride = nsrc / SC5_ADDRS, s, t, a, block;
    int64_t t0 = (int64_t)time(NULL) - DAY;
    item *it = malloc(nsrc * SC5_ROUNDS_PER_REQUEST * sizeof *it);
    unsigned char *cnt = malloc(nsrc);

    if (it == NULL || cnt == NULL)
        die("out of memory");
    x->sources = nsrc;
    for (block = 0; block < SC5_ROUNDS; block += SC5_ROUNDS_PER_REQUEST) {
        memset(cnt, 0, nsrc);
        for (t = block; t < block + SC5_ROUNDS_PER_REQUEST && t < SC5_ROUNDS; t++)
            for (a = 0; a < SC5_ADDRS; a++) {
                item *e;

                s = (a * stride + t) % nsrc;
                e = &it[s * SC5_ROUNDS_PER_REQUEST + cnt[s]++];
                ec_v4(&e->a, ip_of(w->sc5_addr, (uint16_t)(1 + a)), 8333);
                e->time = t0 + (int64_t)t;
                naive_att(r, &e->a, e->time);
            }
        for (s = 0; s < nsrc; s++) {
            am_addr src;

            if (cnt[s] == 0)
                continue;
            ec_v4(&src, ip_of(w->sc5_src[s], 0x0101), 0);
            post_peers(r, &src, &it[s * SC5_ROUNDS_PER_REQUEST], cnt[s], &x->t);
            x->announced += cnt[s];
        }
    }
    free(it);
    free(cnt);
}

/* 6 (extra, no attack): what the group cap costs honest nodes crowded in
 * one hosting network: 1 000 honest nodes in one /16, each announced once
 * by one of 100 honest sources in distinct /16s (10 each, one request per
 * source), times 1 h to 3 days old like the rest of the honest pool.  The
 * "attacker share" is that /16's share of the selections. */
static void attack_hosting(run *r, attack *x)
{
    const world *w = r->w;
    size_t per = SC6_ADDRS / SC6_SOURCES, s, j;
    int64_t now = (int64_t)time(NULL);
    item it[SC6_ADDRS / SC6_SOURCES];

    x->sources = SC6_SOURCES;
    for (s = 0; s < SC6_SOURCES; s++) {
        am_addr src;

        for (j = 0; j < per; j++) {
            ec_v4(&it[j].a, ip_of(w->sc6_addr, (uint16_t)(1 + s * per + j)), 8333);
            it[j].time = now - 3600 - (int64_t)ec_below(&r->rng, (uint64_t)(3 * DAY - 3600));
            naive_att(r, &it[j].a, it[j].time);
        }
        ec_v4(&src, ip_of(w->sc6_src[s], 0x0101), 0);
        post_peers(r, &src, it, per, &x->t);
    }
    x->announced = SC6_ADDRS;
}

/* ---- selection ---- */

typedef struct selection {
    size_t total, att, from_new, att_new, from_tried, att_tried, unknown;
    size_t distinct_att, requests, empty;
    double seconds;
} selection;

static void select_many(run *r, selection *sel)
{
    char body[96];
    size_t want = r->o->selects;
    ec_set seen;
    double t0 = now_s();
    int len;

    memset(sel, 0, sizeof *sel);
    ec_set_init(&seen);
    len = snprintf(body, sizeof body,
                   "{\"count\":%u,\"lease_seconds\":0,\"diverse\":false}",
                   r->o->select_count);
    while (sel->total < want) {
        json_t *ans = NULL, *peers, *p;
        size_t i;
        long st = ec_http_call(r->h, "POST", "/v1/select", body, (size_t)len, &ans);

        sel->requests++;
        if (st != 200 || ans == NULL) {
            fprintf(stderr, "eclipse: POST /v1/select answered %ld\n", st);
            exit(1);
        }
        peers = json_object_get(ans, "peers");
        if (json_array_size(peers) == 0) {
            json_decref(ans);
            if (++sel->empty > 10)
                die("select keeps answering no peer");
            continue;
        }
        json_array_foreach(peers, i, p) {
            const char *table = json_string_value(json_object_get(p, "table"));
            int tried = table && strcmp(table, "tried") == 0;
            int att = is_attacker(r, p);

            if (sel->total == want)
                break;
            sel->total++;
            if (tried)
                sel->from_tried++;
            else
                sel->from_new++;
            if (att) {
                sel->att++;
                if (tried)
                    sel->att_tried++;
                else
                    sel->att_new++;
                ec_set_add(&seen, jint(p, "id") + 1);
            } else if (!is_honest_id(r, jint(p, "id"))) {
                sel->unknown++;
            }
        }
        json_decref(ans);
    }
    sel->distinct_att = seen.n;
    ec_set_free(&seen);
    sel->seconds = now_s() - t0;
}

/* ---- a stock node's getaddr ---- */

typedef struct getaddr_result {
    int ran;
    size_t entries, att, unusable;
} getaddr_result;

/* One connection, one getaddr: the answer's entries and the attacker's. */
static void getaddr_once(run *r, int port, getaddr_result *g)
{
    static am_addrv2_entry e[AM_ADDRV2_MAX_ENTRIES];
    size_t n = 0, i;

    memset(g, 0, sizeof *g);
    if (port <= 0 || ec_p2p_getaddr(port, e, AM_ADDRV2_MAX_ENTRIES, &n) != 0)
        return;
    g->ran = 1;
    g->entries = n;
    for (i = 0; i < n; i++) {
        if (e[i].status != AM_OK)
            g->unusable++;
        else
            g->att += is_attacker_addr(r, &e[i].addr);
    }
}

/* ---- one scenario ---- */

typedef struct result {
    int ran, met, ga_wanted, ga_ran, ga_met;
    double share, naive, ga_share, uniform;
    size_t evicted, naive_evicted, ga_entries;
} result;

static size_t missing(const uint64_t *before, size_t nb, const uint64_t *after,
                      size_t na)
{
    size_t i = 0, j = 0, gone = 0;

    for (; i < nb; i++) {
        while (j < na && after[j] < before[i])
            j++;
        if (j == na || after[j] != before[i])
            gone++;
    }
    return gone;
}

static int run_scenario(const options *o, world *w, int sc, result *res,
                        int print_setup)
{
    ec_server srv;
    run r;
    getaddr_result ga;
    setup_result su;
    attack x;
    census after;
    tables tb;
    selection sel;
    double t0 = now_s(), ta;
    size_t i;
    const char *base;
    /* Scenario 6 counts an honest hosting /16 where the others count the
     * attacker. */
    const char *who = sc == 6 ? "hosting-/16" : "attacker";

    memset(&r, 0, sizeof r);
    memset(&srv, 0, sizeof srv);
    r.o = o;
    r.w = w;
    r.rng.s = o->seed * 1000 + (uint64_t)sc;
    if (o->url) {
        base = o->url;
    } else {
        char *args[40];
        int n = 0;
        static char threads[16];

        snprintf(threads, sizeof threads, "%u", o->threads);
        args[n++] = "--threads";
        args[n++] = threads;
        args[n++] = "--log-level";
        args[n++] = "warn";
        if (o->group_cap) {
            args[n++] = "--new-group-cap";
            args[n++] = (char *)o->group_cap;
        }
        for (i = 0; i < (size_t)o->n_server_args; i++)
            args[n++] = o->server_args[i];
        if (ec_server_start(&srv, o->server, args, n) != 0)
            return -1;
        base = srv.url;
    }
    if (ec_http_open(&r.h, base, o->token) != 0)
        die("cannot set up libcurl");
    r.naive = ec_naive_new(NAIVE_CAP);

    if (o->url) {
        json_t *st = NULL;

        long code = ec_http_call(r.h, "GET", "/v1/stats", NULL, 0, &st);

        if (code != 200) {
            fprintf(stderr, "eclipse: GET %s/v1/stats answered %ld%s\n", base,
                    code, code == 401 ? " (give --token)" : "");
            json_decref(st);
            return -1;
        }
        if (jint(st, "peers") != 0) {
            fprintf(stderr, "eclipse: the server at %s must hold no peer (it "
                            "has %" PRIu64 "): the scenarios start from an "
                            "empty pool\n", base, jint(st, "peers"));
            json_decref(st);
            return -1;
        }
        json_decref(st);
    }

    setup_honest(&r, &su);
    get_tables(&r, &tb);
    if (print_setup)
        world_print(w, o);
    printf("\nscenario %d %s: server %s\n", sc, sc_names[sc], base);
    printf("  honest setup: new %" PRIu64 " announced -> %" PRIu64
           " added, %" PRIu64 " turned away (slot taken); tried %d -> %zu in "
           "tried, %zu left in new (tried-slot collision), %zu turned away "
           "when added; pool %zu (new %zu, tried %zu); %.1fs\n",
           su.t_new.added + su.t_new.updated + su.t_new.ignored + su.t_new.errors,
           su.t_new.added, su.t_new.ignored, HONEST_TRIED, su.tried_ok,
           su.tried_collided,
           (size_t)HONEST_TRIED - su.tried_ok - su.tried_collided, su.c.total, su.c.hon_new, su.c.hon_tried,
           su.seconds);

    memset(&x, 0, sizeof x);
    ta = now_s();
    switch (sc) {
    case 1: attack_flood(&r, &x); break;
    case 2: attack_tried(&r, &x); break;
    case 3: attack_times(&r, &x); break;
    case 4: attack_many_sources(&r, &x); break;
    case 5: attack_multi_ref(&r, &x); break;
    case 6: attack_hosting(&r, &x); break;
    default: break;
    }
    ta = now_s() - ta;
    printf("  attack: %zu announcements from %zu source%s in %" PRIu64
           " requests: added %" PRIu64 ", updated %" PRIu64 ", ignored %" PRIu64
           ", errors %" PRIu64 "; %.1fs\n",
           x.announced, x.sources, x.sources == 1 ? "" : "s", x.t.requests,
           x.t.added, x.t.updated, x.t.ignored, x.t.errors, ta);
    if (x.note[0])
        printf("  %s\n", x.note);

    take_census(&r, &after, 0);
    get_tables(&r, &tb);
    res->evicted = missing(r.honest_ids, r.n_honest, after.ids, after.n_ids);
    printf("  pool after: %s new %zu, tried %zu; honest new %zu, tried "
           "%zu; new table %" PRIu64 " slots in %" PRIu64 "/1024 buckets, tried "
           "%" PRIu64 " slots in %" PRIu64 "/256 buckets, %" PRIu64
           " pending collisions\n",
           who, after.att_new, after.att_tried, after.hon_new, after.hon_tried,
           tb.new_slots, tb.new_buckets, tb.tried_slots, tb.tried_buckets,
           tb.collisions);

    select_many(&r, &sel);
    printf("  selects: %zu peers in %zu requests of count %u (lease_seconds 0, "
           "diverse false); from new %.1f%% (%s %.1f%% of them), from "
           "tried %.1f%% (%s %.1f%% of them); %zu distinct %s "
           "peers; %.1fs%s\n",
           sel.total, sel.requests, o->select_count,
           pct(sel.from_new, sel.total), who, pct(sel.att_new, sel.from_new),
           pct(sel.from_tried, sel.total), who, pct(sel.att_tried, sel.from_tried),
           sel.distinct_att, who, sel.seconds,
           sel.unknown ? "  WARNING: peers neither honest nor attacker" : "");

    res->share = pct(sel.att, sel.total);
    res->naive = 100.0 * ec_naive_share(r.naive, &r.rng, o->selects);
    res->naive_evicted = 0;
    for (i = 0; i < HONEST_NEW; i++)
        res->naive_evicted += !ec_naive_has(r.naive, ec_key(&w->hnew[i].a));
    for (i = 0; i < HONEST_TRIED; i++)
        res->naive_evicted += !ec_naive_has(r.naive, ec_key(&w->htried[i].a));
    printf("  naive pool (one list, at most %d, oldest last_connected evicted "
           "first): %zu addresses, %zu %s, %zu honest evicted; "
           "%zu uniform draws\n",
           NAIVE_CAP, ec_naive_size(r.naive), ec_naive_attackers(r.naive), who,
           res->naive_evicted, o->selects);
    res->ran = 1;
    res->met = res->share <= sc_target[sc];

    getaddr_once(&r, o->url ? o->p2p_port : srv.p2p_port, &ga);
    res->ga_wanted = !o->url || o->p2p_port;
    res->ga_ran = ga.ran;
    res->ga_share = pct(ga.att, ga.entries);
    res->ga_entries = ga.entries;
    res->ga_met = ga.ran && ga.entries > 0 && res->ga_share <= sc_target[sc];
    res->uniform = pct(after.att_new + after.att_tried, after.total);
    if (!ga.ran)
        printf("  getaddr: not measured (%s)\n",
               res->ga_wanted ? "the connection failed, see above"
                              : "no --p2p-port");
    else
        printf("  getaddr (one P2P connection, protocol %d, no sendaddrv2): "
               "addr of %zu entries, %zu %s, %zu unusable; the pool holds "
               "%zu entries, %zu %s\n", 70016, ga.entries, ga.att, who,
               ga.unusable, after.total, after.att_new + after.att_tried, who);
    if (sc == 6)
        printf("scenario 6 %s hosting_group_share=%.1f%% naive=%.1f%% "
               "stored=%zu/%d honest_evicted=%zu [extra: no attack, the group "
               "cap's cost]  (%.0fs)\n",
               sc_names[sc], res->share, res->naive, after.att_new + after.att_tried,
               SC6_ADDRS, res->evicted, now_s() - t0);
    else
        printf("scenario %d %s attacker_share=%.1f%% naive=%.1f%% target<=%.0f%% "
               "honest_evicted=%zu %s%s  (%.0fs)\n",
               sc, sc_names[sc], res->share, res->naive, sc_target[sc],
               res->evicted, res->met ? "met" : "MISSED",
               sc == 5 ? " [extra, not in the issue]" : "", now_s() - t0);
    if (ga.ran && sc == 6)
        printf("scenario 6 %s getaddr_hosting_group_share=%.1f%% (%zu entries) "
               "uniform_entries_share=%.1f%% [extra: no attack]\n",
               sc_names[sc], res->ga_share, res->ga_entries, res->uniform);
    else if (ga.ran)
        printf("scenario %d %s getaddr_attacker_share=%.1f%% (%zu entries) "
               "uniform_entries_share=%.1f%% target<=%.0f%% %s\n", sc,
               sc_names[sc], res->ga_share, res->ga_entries, res->uniform,
               sc_target[sc], res->ga_met ? "met" : "MISSED");
    fflush(stdout);

    free(after.ids);
    free(su.c.ids);
    ec_naive_free(r.naive);
    ec_buf_free(&r.body);
    ec_http_close(r.h);
    if (!o->url)
        ec_server_stop(&srv, o->keep);
    return 0;
}

/* ---- options ---- */

static void usage(FILE *out)
{
    fprintf(out,
        "Usage: eclipse [OPTIONS]\n"
        "Eclipse-attack scenarios against addrmand over HTTP; prints the\n"
        "attacker's share of selected peers next to a naive pool's.\n\n"
        "  --server PATH        addrmand to start, one fresh server per scenario\n"
        "                       (default %s)\n"
        "  --url URL            use this running server instead (empty pool;\n"
        "                       one scenario, --scenario N)\n"
        "  --token TOKEN        API token for --url\n"
        "  --p2p-port N         with --url: its P2P face on 127.0.0.1:N, for\n"
        "                       the getaddr measurement (default: skipped)\n"
        "  --scenario LIST      scenarios to run, e.g. 1,2,3,4 (default);\n"
        "                       5 = extra: one /16's addresses in many new\n"
        "                       slots each (the group cap counts the slots);\n"
        "                       6 = extra, no attack: 1 000 honest nodes in one\n"
        "                       /16 (what the group cap costs them)\n"
        "  --selects N          peers to select per scenario (default 100000)\n"
        "  --select-count N     peers per POST /v1/select (default 1 = Core's\n"
        "                       single select; N > 1 gives N distinct peers)\n"
        "  --group-cap N        start servers with --new-group-cap N\n"
        "                       (default: the server's own default)\n"
        "  --server-arg ARG     one more argument for started servers\n"
        "  --threads N          server threads (default 2)\n"
        "  --data DIR           nodes_main.txt and floresta/*.json (default\n"
        "                       %s)\n"
        "  --tried-rounds N     scenario 2: most announce+mark rounds (10)\n"
        "  --sc4-batch N        scenario 4: addresses per request (default 1)\n"
        "  --sc5-sources N      scenario 5: attacker sources (default 1000)\n"
        "  --seed N             honest pool and attackers' /16s (default 1)\n"
        "  --keep               keep the servers' temp directories\n",
        EC_DEFAULT_SERVER, EC_DEFAULT_DATA);
}

static uint64_t num(const char *name, const char *v, uint64_t min, uint64_t max)
{
    char *end;
    unsigned long long n;

    errno = 0;
    n = strtoull(v, &end, 10);
    if (errno || *v == '\0' || *end != '\0' || v[0] == '-' || n < min || n > max) {
        fprintf(stderr, "eclipse: --%s: expected an integer from %" PRIu64
                        " to %" PRIu64 ", got '%s'\n", name, min, max, v);
        exit(2);
    }
    return n;
}

static void parse_scenarios(options *o, const char *v)
{
    const char *p = v;

    memset(o->run, 0, sizeof o->run);
    while (*p) {
        char *end;
        long n = strtol(p, &end, 10);

        if (end == p || n < 1 || n > N_SCENARIOS || (*end && *end != ',')) {
            fprintf(stderr, "eclipse: --scenario: expected numbers 1..%d "
                            "separated by commas, got '%s'\n", N_SCENARIOS, v);
            exit(2);
        }
        o->run[n] = 1;
        p = *end ? end + 1 : end;
    }
}

static void parse_options(options *o, int argc, char **argv)
{
    int i;

    memset(o, 0, sizeof *o);
    o->server = EC_DEFAULT_SERVER;
    o->data = EC_DEFAULT_DATA;
    o->threads = 2;
    o->selects = 100000;
    o->select_count = 1;
    o->tried_rounds = 10;
    o->sc4_batch = 1;
    o->sc5_sources = SC5_SOURCES;
    o->seed = 1;
    parse_scenarios(o, "1,2,3,4");
    for (i = 1; i < argc; i++) {
        char *arg = argv[i], *eq, *v = NULL, name[64];
        size_t nlen;

        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(arg, "--keep") == 0) {
            o->keep = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "eclipse: unexpected argument '%s'\n", arg);
            exit(2);
        }
        eq = strchr(arg, '=');
        nlen = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (nlen >= sizeof name) {
            fprintf(stderr, "eclipse: unknown option '%s'\n", arg);
            exit(2);
        }
        memcpy(name, arg + 2, nlen);
        name[nlen] = '\0';
        if (eq)
            v = eq + 1;
        else if (i + 1 < argc)
            v = argv[++i];
        else {
            fprintf(stderr, "eclipse: option '%s' needs a value\n", arg);
            exit(2);
        }
        if (strcmp(name, "server") == 0)
            o->server = v;
        else if (strcmp(name, "url") == 0)
            o->url = v;
        else if (strcmp(name, "token") == 0)
            o->token = v;
        else if (strcmp(name, "p2p-port") == 0)
            o->p2p_port = (int)num(name, v, 1, 65535);
        else if (strcmp(name, "data") == 0)
            o->data = v;
        else if (strcmp(name, "scenario") == 0)
            parse_scenarios(o, v);
        else if (strcmp(name, "selects") == 0)
            o->selects = (size_t)num(name, v, 1, 100000000);
        else if (strcmp(name, "select-count") == 0)
            o->select_count = (unsigned)num(name, v, 1, 1000);
        else if (strcmp(name, "group-cap") == 0)
            o->group_cap = (num(name, v, 0, UINT32_MAX), v);
        else if (strcmp(name, "server-arg") == 0) {
            if (o->n_server_args == (int)(sizeof o->server_args / sizeof o->server_args[0]))
                die("too many --server-arg");
            o->server_args[o->n_server_args++] = v;
        } else if (strcmp(name, "threads") == 0)
            o->threads = (unsigned)num(name, v, 1, 1024);
        else if (strcmp(name, "tried-rounds") == 0)
            o->tried_rounds = (unsigned)num(name, v, 1, 1000);
        else if (strcmp(name, "sc4-batch") == 0)
            o->sc4_batch = (unsigned)num(name, v, 1, 100);
        else if (strcmp(name, "sc5-sources") == 0)
            o->sc5_sources = (unsigned)num(name, v, SC5_ADDRS, SC5_MAX_SOURCES);
        else if (strcmp(name, "seed") == 0)
            o->seed = num(name, v, 0, UINT64_MAX);
        else {
            fprintf(stderr, "eclipse: unknown option '%s' (see --help)\n", arg);
            exit(2);
        }
    }
    if (o->url) {
        int n = 0, k;

        for (k = 1; k <= N_SCENARIOS; k++)
            n += o->run[k];
        if (n != 1) {
            fprintf(stderr, "eclipse: --url runs one scenario on an empty "
                            "pool: add --scenario N\n");
            exit(2);
        }
        if (strlen(o->url) > 1 && o->url[strlen(o->url) - 1] == '/')
            ((char *)o->url)[strlen(o->url) - 1] = '\0';
    }
}

int main(int argc, char **argv)
{
    static world w;
    options o;
    result res[N_SCENARIOS + 1];
    int sc, first = 1, failed = 0, missed = 0;
    double t0 = now_s();

    parse_options(&o, argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    world_build(&w, &o);
    memset(res, 0, sizeof res);
    printf("eclipse: %zu selects per scenario, count %u per request; %s\n",
           o.selects, o.select_count,
           o.url ? o.url : "a fresh addrmand per scenario");
    for (sc = 1; sc <= N_SCENARIOS; sc++) {
        if (!o.run[sc])
            continue;
        if (run_scenario(&o, &w, sc, &res[sc], first) != 0) {
            failed = 1;
            break;
        }
        first = 0;
    }
    for (sc = 1; sc <= N_SCENARIOS && !res[sc].ran; sc++)
        ;
    if (sc <= N_SCENARIOS)
        printf("\n| scenario | attacker share | getaddr share (entries) | "
               "uniform entries | naive pool | target | honest evicted "
               "(naive) | |\n|---|---|---|---|---|---|---|---|\n");
    for (sc = 1; sc <= N_SCENARIOS; sc++) {
        if (!res[sc].ran)
            continue;
        char ga[48];

        if (res[sc].ga_ran)
            snprintf(ga, sizeof ga, "%.1f%% (%zu)", res[sc].ga_share,
                     res[sc].ga_entries);
        else
            snprintf(ga, sizeof ga, res[sc].ga_wanted ? "failed" : "not measured");
        if (sc_target[sc] < 0)
            printf("| %d %s | %.1f%% (the hosting /16's share) | %s | %.1f%% | "
                   "%.1f%% | - | %zu (%zu) | - |\n", sc, sc_names[sc],
                   res[sc].share, ga, res[sc].uniform, res[sc].naive,
                   res[sc].evicted, res[sc].naive_evicted);
        else
            printf("| %d %s | %.1f%% | %s | %.1f%% | %.1f%% | <= %.0f%% | "
                   "%zu (%zu) | %s |\n", sc, sc_names[sc], res[sc].share, ga,
                   res[sc].uniform, res[sc].naive, sc_target[sc],
                   res[sc].evicted, res[sc].naive_evicted,
                   !res[sc].met ? "missed" :
                   res[sc].ga_wanted && !res[sc].ga_met ? "missed (getaddr)" : "met");
        /* A getaddr not asked for (--url without --p2p-port) misses nothing;
         * one that failed or came back empty does. */
        missed += sc <= 4 && (!res[sc].met || (res[sc].ga_wanted && !res[sc].ga_met));
    }
    printf("total %.0fs\n", now_s() - t0);
    free(w.free16);
    return failed ? 2 : missed ? 1 : 0;
}
