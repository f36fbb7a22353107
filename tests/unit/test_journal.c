/*
 * test_journal.c - the journal: CRC-32, record encoding, exact replay of a
 * random workload on tiny tables (evictions, tried collisions settled by
 * select, bans), a torn tail cut at every byte offset, corruption.
 */
#include "store_test.h"

#include "st_journal.h"

/* ---- a journal being written, with its record boundaries ---------------- */

#define MAX_RECS 4096

typedef struct jlog {
    js_buf buf;
    size_t ends[MAX_RECS + 1];   /* ends[0]: the header; ends[i]: record i */
    size_t n;
} jlog;

static void jlog_init(jlog *j)
{
    js_buf_init(&j->buf);
    js_buf_put(&j->buf, ST_JOURNAL_MAGIC, ST_JOURNAL_HDR);
    j->ends[0] = ST_JOURNAL_HDR;
    j->n = 0;
}

static void jlog_put(jlog *j, const st_jrec *r)
{
    assert_true(j->n < MAX_RECS);
    st_journal_encode(&j->buf, r);
    assert_false(j->buf.failed);
    j->ends[++j->n] = j->buf.len;
}

static void jlog_peer(jlog *j, am_man *m, uint64_t id)
{
    st_jrec r;
    int rc = st_jrec_peer(m, id, &r);
    if (rc == AM_ERR_NOTFOUND)
        st_jrec_remove(id, &r);
    else
        ASSERT_RC(rc, AM_OK);
    jlog_put(j, &r);
}

/* ---- CRC and encoding ----------------------------------------------------- */

static void test_crc32_matches_the_standard(void **state)
{
    (void)state;
    assert_int_equal(st_crc32("", 0), 0);
    assert_int_equal(st_crc32("123456789", 9), 0xcbf43926u);
    assert_int_equal(st_crc32("The quick brown fox jumps over the lazy dog",
                               43), 0x414fa339u);
}

static void test_every_record_type_round_trips(void **state)
{
    (void)state;
    am_man *m = t_man(1024, 256);
    am_addr src = t_v4(52, 1, 2, 3, 0);
    uint64_t id = t_add(m, t_named(AM_NET_TORV3, 9, 8333), &src,
                        UINT64_MAX, t_now - 100);
    t_set(m, id, AM_OP_FAILED);
    st_jrec in[5], out;
    ASSERT_RC(st_jrec_peer(m, id, &in[0]), AM_OK);
    st_jrec_remove(UINT64_C(123456789012), &in[1]);
    am_ban b;
    ASSERT_RC(st_ban(m, "2001:db8::/33", t_now + 99, "why not \xe2\x9c\x93",
                     &b), AM_OK);
    st_jrec_ban(&b, &in[2]);
    st_jrec_unban(&b.target, &in[3]);
    st_jrec_unban_all(&in[4]);

    jlog j;
    jlog_init(&j);
    for (int i = 0; i < 5; i++)
        jlog_put(&j, &in[i]);
    size_t off = ST_JOURNAL_HDR;
    const uint8_t *d = (const uint8_t *)j.buf.data;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(st_journal_next(d, j.buf.len, &off, &out),
                         ST_JREAD_OK);
        assert_int_equal(off, j.ends[i + 1]);
        assert_int_equal(out.type, in[i].type);
    }
    assert_int_equal(st_journal_next(d, j.buf.len, &off, &out),
                     ST_JREAD_END);

    off = ST_JOURNAL_HDR;
    st_journal_next(d, j.buf.len, &off, &out);
    st_same_peer(&in[0].peer, &out.peer);
    assert_int_equal(out.peer.state, AM_STATE_FAILED);
    assert_memory_equal(&in[0].place, &out.place, sizeof out.place);
    st_journal_next(d, j.buf.len, &off, &out);
    assert_int_equal(out.id, UINT64_C(123456789012));
    st_journal_next(d, j.buf.len, &off, &out);
    assert_memory_equal(&out.ban.target, &b.target, sizeof b.target);
    assert_int_equal(out.ban.until, b.until);
    assert_int_equal(out.ban.created, b.created);
    assert_string_equal(out.ban.reason, b.reason);
    js_buf_free(&j.buf);
    am_free(m);
}

/* ---- a random workload ------------------------------------------------------ */

#define NB 2        /* 2 new buckets and 1 tried bucket: 128 + 64 slots */
#define TB 1

static uint64_t pick(am_man *m, uint64_t *rng)
{
    am_peer p;
    for (int tries = 0; tries < 8; tries++) {
        size_t n = 0;
        uint64_t next = 0;
        am_stats st = t_stats(m);
        uint64_t after = t_rand(rng) % st.next_id;
        if (am_list(m, NULL, after, &p, 1, &n, &next) == AM_OK && n == 1)
            return p.id;
    }
    return 0;
}

/* One operation on a, journalled the way a handler must. */
static void one_op(am_man *a, jlog *j, uint64_t *rng)
{
    static const am_addr srcs[3] = {{1, 0, 0, {52, 1, 0, 1}},
                                    {1, 0, 0, {77, 9, 0, 9}},
                                    {2, 0, 0, {0x2a, 1, 0, 7}}};
    st_store_watch w;
    uint64_t r = t_rand(rng) % 100, id = 0;
    int is_new;

    t_advance((int64_t)(t_rand(rng) % 1800));
    if (r < 40) {
        /* Old times make terrible entries, which others evict. */
        am_addr x = t_random_v4(rng, 8333);
        if (t_rand(rng) % 4 == 0) {
            am_stats st = t_stats(a);
            if (st.total > 0 && (id = pick(a, rng)) != 0)
                x = t_get(a, id).addr;      /* a known one: more slots */
        }
        int64_t time = t_rand(rng) % 3 == 0 ? t_now - 40 * T_DAY : t_now;
        if (am_add(a, &x, &srcs[t_rand(rng) % 3], 1 | (t_rand(rng) % 16),
                   time, 0, &is_new, &id) == AM_OK)
            jlog_peer(j, a, id);
    } else if (r < 75) {
        if ((id = pick(a, rng)) == 0)
            return;
        st_store_watch_begin(a, &w);
        ASSERT_RC(am_set_state(a, id, (am_state_op)(t_rand(rng) % 5), NULL),
                  AM_OK);
        jlog_peer(j, a, id);
        for (size_t i = 0; i < w.n; i++)
            if (am_get(a, w.ids[i], &(am_peer){0}) == AM_OK &&
                t_get(a, w.ids[i]).in_tried)
                jlog_peer(j, a, w.ids[i]);
    } else if (r < 82) {
        am_select_opts o = t_opts(0, 0, (int)(t_rand(rng) % 2));
        am_peer p;
        st_store_watch_begin(a, &w);
        am_select(a, &o, &p);
        for (size_t i = 0; i < w.n; i++)
            if (am_get(a, w.ids[i], &p) == AM_OK && p.in_tried)
                jlog_peer(j, a, w.ids[i]);
    } else if (r < 87) {
        if ((id = pick(a, rng)) == 0)
            return;
        ASSERT_RC(am_set_services(a, id, t_rand(rng), NULL), AM_OK);
        jlog_peer(j, a, id);
    } else if (r < 92) {
        if ((id = pick(a, rng)) == 0)
            return;
        ASSERT_RC(am_remove(a, id), AM_OK);
        st_jrec rec;
        st_jrec_remove(id, &rec);
        jlog_put(j, &rec);
    } else {
        am_ban b;
        st_jrec rec;
        char t[32];
        snprintf(t, sizeof t, "%u.0.0.0/8", (unsigned)(1 + t_rand(rng) % 200));
        if (r < 97 && st_ban(a, t, t_now + (int64_t)(t_rand(rng) % T_DAY) + 1,
                             "test", &b) == AM_OK) {
            st_jrec_ban(&b, &rec);
        } else if (r < 99) {
            am_subnet s = t_subnet(t);
            am_ban_remove(a, &s);
            st_jrec_unban(&s, &rec);
        } else {
            am_ban_clear(a);
            st_jrec_unban_all(&rec);
        }
        jlog_put(j, &rec);
    }
    CHECK(a);
}

static am_man *tiny(void)
{
    am_config cfg;
    t_config(&cfg, NB, TB);
    return t_man_cfg(&cfg);
}

static am_man *replay(const jlog *j, size_t len, st_replay *rp)
{
    am_man *b = tiny();
    ASSERT_RC(st_journal_replay(b, (const uint8_t *)j->buf.data, len, 1, rp),
              AM_OK);
    CHECK(b);
    return b;
}

static void test_replay_reproduces_a_random_workload_exactly(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        uint64_t rng = seed * 0x9e3779b97f4a7c15u;
        t_now = T_START;
        am_man *a = tiny();
        jlog j;
        jlog_init(&j);
        for (int i = 0; i < 700; i++)
            one_op(a, &j, &rng);
        am_stats st = t_stats(a);
        assert_true(st.total > 60);         /* the tables are busy */
        assert_true(st.by_table[1] > 10);
        st_replay rp;
        am_man *b = replay(&j, j.buf.len, &rp);
        assert_int_equal(rp.status, ST_JREAD_END);
        assert_int_equal(rp.records, j.n);
        assert_int_equal(rp.good_end, j.buf.len);
        st_same_core(a, b);
        am_free(b);
        am_free(a);
        js_buf_free(&j.buf);
    }
}

static void test_torn_tail_at_every_offset_keeps_every_whole_record(void **s)
{
    (void)s;
    uint64_t rng = 42;
    t_now = T_START;
    am_man *a = tiny();
    jlog j;
    jlog_init(&j);
    while (j.n < 40)
        one_op(a, &j, &rng);
    int64_t end_time = t_now;

    /* The state after each number of whole records. */
    am_man *after[MAX_RECS + 1];
    st_replay rp;
    for (size_t k = 0; k <= j.n; k++)
        after[k] = replay(&j, j.ends[k], &rp);
    st_same_core(a, after[j.n]);

    for (size_t cut = 0; cut <= j.buf.len; cut++) {
        size_t whole = 0;
        while (whole < j.n && j.ends[whole + 1] <= cut)
            whole++;
        am_man *b = replay(&j, cut, &rp);
        assert_int_equal(rp.records, whole);
        if (cut < ST_JOURNAL_HDR) {
            assert_int_equal(rp.status, ST_JREAD_TORN);
        } else if (cut == j.ends[whole]) {
            assert_int_equal(rp.status, ST_JREAD_END);
            assert_int_equal(rp.good_end, cut);
        } else {
            assert_int_equal(rp.status, ST_JREAD_TORN);
            assert_int_equal(rp.good_end, j.ends[whole]);
        }
        st_same_core(after[whole], b);
        am_free(b);
    }
    assert_int_equal(t_now, end_time);
    for (size_t k = 0; k <= j.n; k++)
        am_free(after[k]);
    am_free(a);
    js_buf_free(&j.buf);
}

static void test_corruption_is_told_from_a_torn_tail(void **state)
{
    (void)state;
    uint64_t rng = 7;
    t_now = T_START;
    am_man *a = tiny();
    jlog j;
    jlog_init(&j);
    while (j.n < 6)
        one_op(a, &j, &rng);
    st_replay rp;
    char *data = j.buf.data;

    /* A flipped byte inside record 3: corruption, records 1-2 kept. */
    data[j.ends[2] + 9] ^= 0x40;
    am_man *b = replay(&j, j.buf.len, &rp);
    assert_int_equal(rp.status, ST_JREAD_CORRUPT);
    assert_int_equal(rp.records, 2);
    assert_int_equal(rp.good_end, j.ends[2]);
    am_free(b);
    /* The same flip in the last record: a torn tail. */
    data[j.ends[2] + 9] ^= 0x40;
    data[j.ends[j.n - 1] + 9] ^= 0x40;
    b = replay(&j, j.buf.len, &rp);
    assert_int_equal(rp.status, ST_JREAD_TORN);
    assert_int_equal(rp.records, j.n - 1);
    am_free(b);
    data[j.ends[j.n - 1] + 9] ^= 0x40;
    /* An absurd length with data behind it: corruption. */
    char saved = data[j.ends[1] + 3];
    data[j.ends[1] + 3] = 0x7f;
    b = replay(&j, j.buf.len, &rp);
    assert_int_equal(rp.status, ST_JREAD_CORRUPT);
    assert_int_equal(rp.records, 1);
    am_free(b);
    data[j.ends[1] + 3] = saved;
    /* Zeros a filesystem left after the last record: torn. */
    js_buf z;
    js_buf_init(&z);
    js_buf_put(&z, data, j.ends[3]);
    js_buf_put(&z, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
    b = tiny();
    ASSERT_RC(st_journal_replay(b, (const uint8_t *)z.data, z.len, 1, &rp),
              AM_OK);
    assert_int_equal(rp.status, ST_JREAD_TORN);
    assert_int_equal(rp.records, 3);
    assert_int_equal(rp.good_end, j.ends[3]);
    am_free(b);
    /* Not a journal. */
    memcpy(z.data, "AMJRNL02", 8);
    b = tiny();
    ASSERT_RC(st_journal_replay(b, (const uint8_t *)z.data, z.len, 1, &rp),
              AM_ERR_MALFORMED);
    assert_true(rp.bad_header);
    assert_int_equal(am_size(b), 0);
    ASSERT_RC(st_journal_replay(b, (const uint8_t *)"AMX", 3, 1, &rp),
              AM_ERR_MALFORMED);
    ASSERT_RC(st_journal_replay(b, (const uint8_t *)"AMJ", 3, 1, &rp), AM_OK);
    assert_int_equal(rp.status, ST_JREAD_TORN);
    ASSERT_RC(st_journal_replay(b, (const uint8_t *)"", 0, 1, &rp), AM_OK);
    am_free(b);
    js_buf_free(&z);
    js_buf_free(&j.buf);
    am_free(a);
}

static void test_replay_without_valid_places_loses_no_peer(void **state)
{
    (void)state;
    uint64_t rng = 99;
    t_now = T_START;
    am_config cfg;
    t_config(&cfg, 1024, 256);
    am_man *a = t_man_cfg(&cfg);
    jlog j;
    jlog_init(&j);
    for (int i = 0; i < 50; i++) {
        am_addr x = t_random_v4(&rng, 8333);
        uint64_t id;
        if (t_try_add(a, x, NULL, 1, 0, &id) == AM_OK)
            jlog_peer(&j, a, id);
    }
    /* Another key: the saved slots mean nothing, peers get fresh ones. */
    t_key(cfg.key, 77);
    am_man *b = t_man_cfg(&cfg);
    st_replay rp;
    ASSERT_RC(st_journal_replay(b, (const uint8_t *)j.buf.data, j.buf.len, 0,
                                 &rp), AM_OK);
    assert_int_equal(rp.failed, 0);
    assert_int_equal(am_size(b), am_size(a));
    CHECK(b);
    am_free(b);
    am_free(a);
    js_buf_free(&j.buf);
}

/* A record no request could have made (port 0 outside I2P) is refused on
 * replay and changes nothing; before, it came back, and the next start
 * dropped it from the snapshot (the fuzzer found the round trip losing a
 * peer). */
static void test_replay_refuses_a_port_0_peer_and_keeps_the_rest(void **state)
{
    (void)state;
    t_now = T_START;
    am_config cfg;
    t_config(&cfg, 1024, 256);
    am_man *a = t_man_cfg(&cfg), *b = t_man_cfg(&cfg);
    uint64_t good, bad;
    st_jrec r;
    st_replay rp;
    jlog j;

    ASSERT_RC(t_try_add(a, t_v4(44, 4, 4, 4, 8333), NULL, 1, 0, &good), AM_OK);
    ASSERT_RC(t_try_add(a, t_v4(45, 5, 5, 5, 8333), NULL, 1, 0, &bad), AM_OK);
    jlog_init(&j);
    jlog_peer(&j, a, good);
    ASSERT_RC(st_jrec_peer(a, bad, &r), AM_OK);
    r.peer.addr.port = 0;
    jlog_put(&j, &r);
    ASSERT_RC(st_journal_replay(b, (const uint8_t *)j.buf.data, j.buf.len, 1,
                                &rp), AM_OK);
    assert_int_equal(rp.failed, 1);
    assert_int_equal(am_size(b), 1);
    am_peer p;
    ASSERT_RC(am_get(b, good, &p), AM_OK);
    assert_int_equal(am_get(b, bad, &p), AM_ERR_NOTFOUND);
    CHECK(b);
    am_free(b);
    am_free(a);
    js_buf_free(&j.buf);
}

static void test_write_appends_everything(void **state)
{
    (void)state;
    char dir[64], path[128];
    st_tmpdir(dir);
    snprintf(path, sizeof path, "%s/j", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    assert_true(fd >= 0);
    ASSERT_RC(st_journal_write(fd, "abc", 3, 0), AM_OK);
    ASSERT_RC(st_journal_write(fd, "defg", 4, 1), AM_OK);
    close(fd);
    size_t len;
    char *got = st_read(dir, "j", &len);
    assert_string_equal(got, "abcdefg");
    free(got);
    ASSERT_RC(st_journal_write(-1, "x", 1, 0), AM_ERR_IO);
    st_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_matches_the_standard),
        cmocka_unit_test(test_every_record_type_round_trips),
        cmocka_unit_test(test_replay_reproduces_a_random_workload_exactly),
        cmocka_unit_test(test_torn_tail_at_every_offset_keeps_every_whole_record),
        cmocka_unit_test(test_corruption_is_told_from_a_torn_tail),
        cmocka_unit_test(test_replay_without_valid_places_loses_no_peer),
        cmocka_unit_test(test_replay_refuses_a_port_0_peer_and_keeps_the_rest),
        cmocka_unit_test(test_write_appends_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
