/*
 * store_test.h - helpers of the persistence tests (test_store_*.c,
 * test_floresta.c, test_btcd.c, test_journal.c): temporary directories,
 * files, a store + core pair on the fake clock of am_test.h, a core filled
 * with every kind of peer, and an exact comparison of two cores.
 */
#ifndef STORE_TEST_H
#define STORE_TEST_H

#include "am_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addrman_persist.h"
#include "st_floresta.h"
#include "st_store.h"

#ifndef AM_TEST_DATA_DIR
#define AM_TEST_DATA_DIR "tests/data"
#endif

/* ---- files ------------------------------------------------------------- */

static inline void st_tmpdir(char path[64])
{
    snprintf(path, 64, "/tmp/amstore-XXXXXX");
    assert_non_null(mkdtemp(path));
}

/* rm -rf of a test directory (it holds files and directories only). */
static inline void st_rmrf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        char sub[1024];
        while (d && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path,
                                 de->d_name) < sizeof sub)
                st_rmrf(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static inline void st_path(char *buf, size_t len, const char *dir,
                           const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static inline void st_write(const char *dir, const char *name,
                            const void *data, size_t len)
{
    char p[512];
    st_path(p, sizeof p, dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A whole file (NUL-terminated, free it); NULL when it cannot be read. */
static inline char *st_read_path(const char *p, size_t *len)
{
    if (len)
        *len = 0;
    FILE *f = fopen(p, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = (size_t)n;
    return buf;
}

static inline char *st_read(const char *dir, const char *name, size_t *len)
{
    char p[512];
    st_path(p, sizeof p, dir, name);
    return st_read_path(p, len);
}

static inline char *st_data(const char *rel, size_t *len)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", AM_TEST_DATA_DIR, rel);
    char *text = st_read_path(p, len);
    if (text == NULL)
        fail_msg("cannot read test data %s", p);
    return text;
}

/* Files of dir whose name starts with prefix; the first one to first. */
static inline int st_count_prefix(const char *dir, const char *prefix,
                                  char *first, size_t first_len)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            if (n++ == 0 && first &&
                (size_t)snprintf(first, first_len, "%s", de->d_name) >=
                    first_len)
                fail_msg("name too long: %s", de->d_name);
        }
    closedir(d);
    return n;
}

static inline int st_exists(const char *dir, const char *name)
{
    char p[512];
    struct stat st;
    st_path(p, sizeof p, dir, name);
    return lstat(p, &st) == 0;
}

/* ---- a store and its core ----------------------------------------------- */

/* Problems the stores of a test reported (instead of stderr). */
static int st_logs;
static char st_last_log[512];

static inline void st_log(void *ctx, const char *msg)
{
    (void)ctx;
    st_logs++;
    snprintf(st_last_log, sizeof st_last_log, "%s", msg);
}

/* A metadata file with the fixed test key (t_key salt 0), so that the
 * placements of a test are the same on every run. */
static inline void st_seed_meta(const char *dir)
{
    uint8_t key[16];
    char text[256], hex[33];
    t_key(key, 0);
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    snprintf(text, sizeof text, "{\"format\":1,\"key\":\"%s\","
             "\"new_buckets\":1024,\"tried_buckets\":256,\"next_id\":1,"
             "\"journal\":0}\n", hex);
    st_write(dir, ST_STORE_META, text, strlen(text));
}

typedef struct st_env {
    st_store *store;
    am_man *core;
    st_store_report rep;
} st_env;

/* Open, configure (cfg: the core's settings, of t_config), create the
 * core on the fake clock, load. */
static inline void st_start_cfg(st_env *env, const char *dir,
                                const st_store_opts *opts, am_config cfg)
{
    char why[256] = "";
    st_store_opts o = *opts;
    memset(env, 0, sizeof *env);
    if (o.log == NULL)
        o.log = st_log;
    int rc = st_store_open(dir, &o, &env->store, why, sizeof why);
    if (rc != AM_OK)
        fail_msg("st_store_open(%s): %s", dir, why);
    ASSERT_RC(st_store_config(env->store, &cfg), AM_OK);
    assert_true(cfg.have_key);
    env->core = t_man_cfg(&cfg);
    ASSERT_RC(st_store_load(env->store, env->core, &env->rep), AM_OK);
    CHECK(env->core);
}

static inline void st_start_opts(st_env *env, const char *dir,
                                 const st_store_opts *opts, uint32_t nb,
                                 uint32_t tb)
{
    am_config cfg;
    t_config(&cfg, nb, tb);
    st_start_cfg(env, dir, opts, cfg);
}

static inline void st_start(st_env *env, const char *dir)
{
    st_store_opts o;
    st_store_opts_default(&o);
    st_start_opts(env, dir, &o, 1024, 256);
}

static inline void st_stop(st_env *env)
{
    st_store_close(env->store);
    am_free(env->core);
    env->store = NULL;
    env->core = NULL;
}

/* ---- comparing cores ----------------------------------------------------- */

static inline void st_same_peer(const am_peer *a, const am_peer *b)
{
    char ea[AM_ADDR_STRLEN], eb[AM_ADDR_STRLEN];
    am_addr_format_endpoint(&a->addr, ea, sizeof ea);
    am_addr_format_endpoint(&b->addr, eb, sizeof eb);
    if (!am_addr_eq(&a->addr, &b->addr))
        fail_msg("peer %llu: address %s vs %s", (unsigned long long)a->id, ea,
                 eb);
#define ST_FIELD(f)                                                         \
    if (a->f != b->f)                                                       \
        fail_msg("peer %llu (%s): %s %lld vs %lld", (unsigned long long)a->id, \
                 ea, #f, (long long)a->f, (long long)b->f)
    ST_FIELD(id);
    ST_FIELD(has_source);
    ST_FIELD(services);
    ST_FIELD(state);
    ST_FIELD(in_tried);
    ST_FIELD(time);
    ST_FIELD(last_connected);
    ST_FIELD(last_try);
    ST_FIELD(last_success);
    ST_FIELD(attempts);
    ST_FIELD(ref_count);
#undef ST_FIELD
    if (a->has_source && !am_addr_eq(&a->source, &b->source))
        fail_msg("peer %llu (%s): different sources", (unsigned long long)a->id,
                 ea);
}

/* The state a peer saved in `saved` comes back in: no connection outlives
 * a restart, so a connected peer is tried (am_restore). */
static inline am_state st_restarted_state(am_state saved)
{
    return saved == AM_STATE_CONNECTED ? AM_STATE_TRIED : saved;
}

/* b is a brought back from its files: every peer (fields, stored state,
 * table, buckets and slots), the ban list and the id counter are
 * identical, but for a's connected peers, which are tried in b. */
static inline void st_same_core(am_man *a, am_man *b)
{
    am_filter any = t_filter_any();
    size_t na = am_size(a), nb = am_size(b);
    if (na != nb)
        fail_msg("peer counts differ: %zu vs %zu", na, nb);
    uint64_t *ids = calloc(na + 1, sizeof *ids);
    assert_non_null(ids);
    assert_int_equal(t_list_ids(a, &any, 16, ids, na + 1), na);
    for (size_t i = 0; i < na; i++) {
        am_peer pa, pb;
        am_place la, lb;
        am_state sa, sb;
        ASSERT_RC(am_get(a, ids[i], &pa), AM_OK);
        if (am_get(b, ids[i], &pb) != AM_OK)
            fail_msg("peer %llu missing", (unsigned long long)ids[i]);
        pa.state = st_restarted_state(pa.state);
        st_same_peer(&pa, &pb);
        ASSERT_RC(am_place_of(a, ids[i], &la), AM_OK);
        ASSERT_RC(am_place_of(b, ids[i], &lb), AM_OK);
        if (memcmp(&la, &lb, sizeof la) != 0)
            fail_msg("peer %llu: places differ (tried %d/%d, n %u/%u, "
                     "first %u:%u vs %u:%u)", (unsigned long long)ids[i],
                     la.in_tried, lb.in_tried, la.n, lb.n, la.bucket[0],
                     la.slot[0], lb.bucket[0], lb.slot[0]);
        ASSERT_RC(am_stored_state(a, ids[i], &sa), AM_OK);
        ASSERT_RC(am_stored_state(b, ids[i], &sb), AM_OK);
        assert_int_equal(st_restarted_state(sa), sb);
    }
    free(ids);

    am_ban ba[64], bb[64];
    size_t nba = 0, nbb = 0;
    ASSERT_RC(am_ban_list(a, ba, 64, &nba), AM_OK);
    ASSERT_RC(am_ban_list(b, bb, 64, &nbb), AM_OK);
    assert_int_equal(nba, nbb);
    for (size_t i = 0; i < nba; i++) {
        size_t j = 0;
        while (j < nbb && (ba[i].target.prefix != bb[j].target.prefix ||
                           !am_addr_host_eq(&ba[i].target.base,
                                            &bb[j].target.base)))
            j++;
        if (j == nbb)
            fail_msg("ban %zu missing", i);
        assert_int_equal(ba[i].until, bb[j].until);
        assert_int_equal(ba[i].created, bb[j].created);
        assert_string_equal(ba[i].reason, bb[j].reason);
    }
    am_stats sa, sb;
    am_stats_get(a, &sa);
    am_stats_get(b, &sb);
    assert_int_equal(sa.next_id, sb.next_id);
    uint8_t ka[16], kb[16];
    am_get_key(a, ka);
    am_get_key(b, kb);
    assert_memory_equal(ka, kb, 16);
}

/* ---- a core with every kind of peer --------------------------------------- */

static inline int st_ban(am_man *m, const char *target, int64_t until,
                         const char *reason, am_ban *out)
{
    am_subnet t = t_subnet(target);
    return am_ban_add(m, &t, until, reason, out);
}

/*
 * Every network, both tables, every state, services up to bit 63, attempts,
 * sources, a subnet ban and a single ban covering peers, removals (the
 * highest id among them, so the id counter must be saved).  Journals every
 * change when store != NULL.
 */
static inline void st_fill(am_man *m, st_store *store)
{
    uint32_t ctr = 1;
    am_addr src1 = t_v4(52, 15, 62, 20, 0), src2 = t_v6(7, 9, 1, 0);
    uint64_t id, last = 0;
    int n = 0;

#define ST_J(expr)                                                          \
    do {                                                                    \
        if (store)                                                          \
            ASSERT_RC((expr), AM_OK);                                       \
    } while (0)
    for (int i = 0; i < 120; i++) {
        am_addr a = t_distinct_v4(&ctr, (uint16_t)(8333 + (i % 3)));
        uint64_t svc = (i % 4 == 0) ? (UINT64_C(1) << 63) | 1033 : 1033;
        if (t_try_add(m, a, i % 2 ? &src1 : &src2, svc, t_now - i * 60,
                      &id) == AM_OK) {
            ST_J(st_store_journal_peer(store, m, id));
            n++;
        }
    }
    for (int i = 0; i < 30; i++) {
        uint64_t ids[4];
        /* A full slot may turn one away: that is the tables' business. */
        t_try_add(m, t_v6((uint16_t)(100 + i), 1, (uint16_t)i, 8333), &src1,
                  9, t_now - 100, &ids[0]);
        t_try_add(m, t_named(AM_NET_TORV3, (uint64_t)i, 8333), &src2, 1033,
                  t_now - 200, &ids[1]);
        t_try_add(m, t_named(AM_NET_I2P, (uint64_t)i, 0), NULL, 1, 0,
                  &ids[2]);
        t_try_add(m, t_named(AM_NET_CJDNS, (uint64_t)i, 8333), &src1, 1,
                  t_now - 300, &ids[3]);
        for (int k = 0; k < 4; k++)
            if (ids[k] != 0)
                ST_J(st_store_journal_peer(store, m, ids[k]));
    }
    am_stats fs = t_stats(m);
    for (int net = AM_NET_IPV4; net < AM_NET_MAX; net++)
        if (am_net_len(net) > 0 && fs.by_net[net] < 5)
            fail_msg("st_fill: only %zu peers of %s", fs.by_net[net],
                     am_net_name(net));
    /* States: every id walks through a few operations as time passes. */
    am_filter any = t_filter_any();
    uint64_t all[400];
    size_t cnt = t_list_ids(m, &any, 16, all, 400);
    for (size_t i = 0; i < cnt; i++) {
        am_state_op op = i % 5 == 0   ? AM_OP_TRIED
                         : i % 5 == 1 ? AM_OP_CONNECTED
                         : i % 5 == 2 ? AM_OP_FAILED
                         : i % 5 == 3 ? AM_OP_DISCONNECTED
                                      : AM_OP_NEVER_TRIED;
        t_advance(7);
        if (am_set_state(m, all[i], op, NULL) == AM_OK)
            ST_J(st_store_journal_peer(store, m, all[i]));
        if (i % 10 == 2) {
            t_advance(700);
            ASSERT_RC(am_set_state(m, all[i], AM_OP_FAILED, NULL), AM_OK);
            ST_J(st_store_journal_peer(store, m, all[i]));
        }
        if (i % 6 == 0) {
            ASSERT_RC(am_set_services(m, all[i], 1 | 8 | 1024, NULL), AM_OK);
            ST_J(st_store_journal_peer(store, m, all[i]));
        }
        last = all[i];
    }
    /* Removals, the highest id included. */
    for (size_t i = 3; i < cnt; i += 37) {
        t_remove(m, all[i]);
        ST_J(st_store_journal_remove(store, all[i]));
    }
    t_remove(m, last);
    ST_J(st_store_journal_remove(store, last));
    /* Bans: a subnet over some peers, a Tor name, one ban lifted. */
    am_peer p;
    am_ban b;
    char sub[64];
    ASSERT_RC(am_get(m, all[1], &p), AM_OK);
    snprintf(sub, sizeof sub, "%u.%u.0.0/16", p.addr.bytes[0], p.addr.bytes[1]);
    ASSERT_RC(st_ban(m, sub, t_now + T_DAY, "spam", &b), AM_OK);
    ST_J(st_store_journal_ban(store, &b));
    t_advance(5);
    am_subnet one = t_single(t_named(AM_NET_TORV3, 3, 0));
    ASSERT_RC(am_ban_add(m, &one, t_now + 7 * T_DAY, "eclipse attempt", &b),
              AM_OK);
    ST_J(st_store_journal_ban(store, &b));
    ASSERT_RC(st_ban(m, "2a01:99::/32", t_now + T_HOUR, "", &b), AM_OK);
    ST_J(st_store_journal_ban(store, &b));
    am_subnet gone = t_subnet("2a01:99::/32");
    ASSERT_RC(am_ban_remove(m, &gone), AM_OK);
    ST_J(st_store_journal_unban(store, &gone));
    t_advance(60);
    CHECK(m);
    (void)n;
    /* Everything the files must carry is there. */
    fs = t_stats(m);
    for (int st = 0; st < AM_STATE_COUNT; st++)
        if (fs.by_state[st] == 0)
            fail_msg("st_fill: no peer in state %d", st);
    assert_true(fs.by_table[0] > 0 && fs.by_table[1] > 0);
    assert_true(fs.bans == 2);
#undef ST_J
}

#endif
