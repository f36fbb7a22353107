/*
 * test_store_corrupt.c - files that cannot be read: peers.json truncated
 * at many offsets, garbage, wrong types, huge numbers, empty, a directory
 * in its place; a broken bans.json, addrmand.json, journal (bad header,
 * torn tail, broken middle).  Each start-up loads what can be recovered,
 * renames the bad file aside without ever overwriting it, reports and
 * counts it, and leaves a directory that loads cleanly the next time.
 */
#include "store_test.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    st_tmpdir(dir);
    st_seed_meta(dir);
    t_now = T_START;
    st_logs = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    st_rmrf(dir);
    return 0;
}

#define JOURNALLED 5
#define MAX_FILES 8

typedef struct base {
    size_t n_peers, n_bans;         /* the pool before the "crash" */
    uint8_t key[16];
    uint64_t added[JOURNALLED];     /* peers only the journal has */
    char *peers;                    /* the snapshot's peers.json */
    size_t peers_len;
    size_t n_files;                 /* the directory as the crash left it */
    char *names[MAX_FILES], *data[MAX_FILES];
    size_t lens[MAX_FILES];
} base;

static base cached;

/* A snapshot of a full pool, then changes in the journal only, then a
 * crash (the store is closed without a snapshot).  Built once, in its own
 * directory; each test gets a copy of the files. */
static void build_base(base *b)
{
    char bdir[64];
    st_env e;
    DIR *d;
    struct dirent *de;

    st_tmpdir(bdir);
    st_seed_meta(bdir);
    t_now = T_START;
    st_start(&e, bdir);
    st_fill(e.core, NULL);
    ASSERT_RC(st_store_save(e.store, e.core, NULL), AM_OK);
    for (int i = 0; i < JOURNALLED; i++) {
        b->added[i] = t_add(e.core, t_v4(77, (unsigned)i, 0, 1, 8333),
                            NULL, 1, 0);
        ASSERT_RC(st_store_journal_peer(e.store, e.core, b->added[i]), AM_OK);
    }
    b->n_peers = am_size(e.core);
    b->n_bans = am_ban_count(e.core);
    am_get_key(e.core, b->key);
    st_store_close(e.store);
    am_free(e.core);
    d = opendir(bdir);
    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, ST_STORE_LOCK) == 0)
            continue;
        assert_true(b->n_files < MAX_FILES);
        b->names[b->n_files] = strdup(de->d_name);
        b->data[b->n_files] = st_read(bdir, de->d_name, &b->lens[b->n_files]);
        if (strcmp(de->d_name, ST_STORE_PEERS) == 0) {
            b->peers = b->data[b->n_files];
            b->peers_len = b->lens[b->n_files];
        }
        b->n_files++;
    }
    closedir(d);
    assert_non_null(b->peers);
    st_rmrf(bdir);
}

static int group_setup(void **state)
{
    (void)state;
    build_base(&cached);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < cached.n_files; i++) {
        free(cached.names[i]);
        free(cached.data[i]);
    }
    return 0;
}

/* The crashed directory, afresh in dir. */
static void make_base(base *b)
{
    st_rmrf(dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    for (size_t i = 0; i < cached.n_files; i++)
        st_write(dir, cached.names[i], cached.data[i], cached.lens[i]);
    *b = cached;
    t_now = T_START;
}

static void base_free(base *b)
{
    (void)b;
}

/* The one file set aside under `name`: its bytes are `want`. */
static void expect_aside(const char *name, const char *want, size_t len)
{
    char prefix[64], first[128];
    snprintf(prefix, sizeof prefix, "%s.corrupt-", name);
    assert_int_equal(st_count_prefix(dir, prefix, first, sizeof first), 1);
    if (want == NULL)
        return;
    size_t got_len;
    char *got = st_read(dir, first, &got_len);
    assert_non_null(got);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, want, len);
    free(got);
}

/* After a recovery: the next start is clean and loads the same pool. */
static void expect_clean_restart(st_env *e)
{
    st_env again;
    st_store_close(e->store);
    st_start(&again, dir);
    assert_int_equal(again.rep.corrupt, 0);
    assert_int_equal(again.rep.entry_errors, 0);
    st_same_core(e->core, again.core);
    am_free(e->core);
    st_stop(&again);
}

static void expect_journal_peers(am_man *m, const base *b)
{
    for (int i = 0; i < JOURNALLED; i++) {
        am_peer p = t_get(m, b->added[i]);
        assert_int_equal(p.addr.bytes[0], 77);
    }
}

/* peers.json replaced by bad bytes: only the journal's peers come back. */
static void unreadable_peers(const char *bad, size_t len)
{
    base b;
    st_env e;
    make_base(&b);
    st_write(dir, ST_STORE_PEERS, bad, len);
    st_start(&e, dir);
    assert_int_equal(e.rep.corrupt, 1);
    assert_int_equal(e.rep.journal_records, JOURNALLED);
    expect_journal_peers(e.core, &b);
    assert_int_equal(am_size(e.core), JOURNALLED);
    /* The bans are in bans.json, which is fine. */
    assert_int_equal(am_ban_count(e.core), b.n_bans);
    expect_aside(ST_STORE_PEERS, bad, len);
    st_store_stats st;
    st_store_stats_get(e.store, &st);
    assert_int_equal(st.corrupt_files, 1);
    char problem[512];
    st_store_last_problem(e.store, problem, sizeof problem);
    assert_non_null(strstr(problem, "peers.json"));
    expect_clean_restart(&e);
    /* The file set aside is still there, untouched. */
    expect_aside(ST_STORE_PEERS, bad, len);
    base_free(&b);
}

static void test_truncated_peers_json_at_many_offsets(void **state)
{
    (void)state;
    size_t len = cached.peers_len;
    size_t cuts[] = {1, 2, len / 9, len / 3, len / 2, len - 3, len - 2};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++)
        unreadable_peers(cached.peers, cuts[i]);
}

static void test_garbage_and_empty_peers_json(void **state)
{
    (void)state;
    static const char garbage[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR garbage";
    unreadable_peers(garbage, sizeof garbage - 1);
    unreadable_peers("", 0);
    unreadable_peers("{\"not\": \"an array\"}", 19);
    unreadable_peers("[1e99999999999999]", 18 - 1);
}

/* Replace the n-th occurrence of `what` in text with `with` (new text). */
static char *replace_nth(const char *text, const char *what, const char *with,
                         int n, size_t *len)
{
    const char *at = text;
    for (int i = 0; i <= n; i++) {
        at = strstr(i ? at + 1 : at, what);
        assert_non_null(at);
    }
    size_t head = (size_t)(at - text), wl = strlen(what), nl = strlen(with);
    size_t tl = strlen(text);
    char *out = malloc(tl - wl + nl + 1);
    memcpy(out, text, head);
    memcpy(out + head, with, nl);
    memcpy(out + head + nl, at + wl, tl - head - wl + 1);
    *len = tl - wl + nl;
    return out;
}

static void test_wrong_types_and_huge_numbers_lose_only_their_entries(void **s)
{
    (void)s;
    static const struct {
        const char *what, *with;
        int nth;
    } edits[] = {
        {"\"port\":", "\"port\":\"8333\",\"x\":", 3},
        {"\"services\":", "\"services\":1e400,\"x\":", 10},
        {"\"port\":", "\"port\":99999999999999999999999,\"x\":", 20},
        {"\"last_connected\":", "\"last_connected\":-1,\"x\":", 30},
        {"\"address\":", "\"address\":{\"V4\":\"1.2.3.400\"},\"x\":", 40},
        {"\"place\":", "\"place\":[[1,2,3]],\"x\":", 50},
    };
    base b;
    st_env e;
    make_base(&b);
    size_t len;
    char *text = strdup(b.peers);
    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
        char *next = replace_nth(text, edits[i].what, edits[i].with,
                                 edits[i].nth, &len);
        free(text);
        text = next;
    }
    st_write(dir, ST_STORE_PEERS, text, len);
    st_start(&e, dir);
    assert_int_equal(e.rep.corrupt, 1);
    assert_int_equal(e.rep.entry_errors, 6);
    assert_int_equal(am_size(e.core), b.n_peers - 6);
    expect_journal_peers(e.core, &b);
    expect_aside(ST_STORE_PEERS, text, len);
    expect_clean_restart(&e);
    free(text);
    base_free(&b);
}

static size_t count_of(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *at = strstr(text, what); at; at = strstr(at + 1, what))
        n++;
    return n;
}

/* A saved peer on port 0 (written before port 0 was refused) is dropped at
 * start-up, counted, and the start-up snapshot no longer holds it. */
static void test_saved_peer_on_port_0_is_dropped(void **s)
{
    (void)s;
    base b;
    st_env e;
    size_t len;
    make_base(&b);
    char *text = replace_nth(b.peers, "\"port\":8333", "\"port\":0", 5, &len);
    st_write(dir, ST_STORE_PEERS, text, len);
    st_start(&e, dir);
    assert_int_equal(e.rep.corrupt, 0);
    assert_int_equal(e.rep.entry_errors, 0);
    assert_int_equal(e.rep.peers_refused, 1);
    assert_int_equal(am_size(e.core), b.n_peers - 1);
    expect_journal_peers(e.core, &b);
    /* The snapshot written at start-up has one "port":0 less. */
    char *now = st_read(dir, ST_STORE_PEERS, NULL);
    assert_non_null(now);
    assert_int_equal(count_of(now, "\"port\":0,"),
                     count_of(text, "\"port\":0,") - 1);
    free(now);
    expect_clean_restart(&e);
    free(text);
    base_free(&b);
}

static void test_directory_in_place_of_peers_json(void **state)
{
    (void)state;
    base b;
    st_env e;
    char path[256];
    make_base(&b);
    st_path(path, sizeof path, dir, ST_STORE_PEERS);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    st_write(path, "inside", "keep me", 7);
    st_start(&e, dir);
    assert_int_equal(e.rep.corrupt, 1);
    expect_journal_peers(e.core, &b);
    /* The directory went aside with its contents; a real file took its
     * place at the start-up snapshot. */
    char first[128], sub[256];
    assert_int_equal(st_count_prefix(dir, "peers.json.corrupt-", first,
                                     sizeof first), 1);
    st_path(sub, sizeof sub, dir, first);
    char *kept = st_read(sub, "inside", NULL);
    assert_string_equal(kept, "keep me");
    free(kept);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    expect_clean_restart(&e);
    base_free(&b);
}

static void test_broken_bans_json(void **state)
{
    (void)state;
    base b;
    st_env e;
    make_base(&b);
    /* One bad entry among good ones: the good ones load. */
    static const char bans[] =
        "{\"bans\":[{\"target\":\"9.9.0.0/16\",\"until\":1800000000,"
        "\"reason\":\"a\",\"created\":1690000000},"
        "{\"target\":\"9.9.9.9/99\",\"until\":1800000000,\"reason\":\"b\","
        "\"created\":1},"
        "{\"target\":\"8.8.8.8\",\"until\":\"soon\",\"created\":1},"
        "{\"target\":\"7.7.7.7\",\"until\":1600000000,\"created\":1}]}";
    st_write(dir, ST_STORE_BANS, bans, sizeof bans - 1);
    st_start(&e, dir);
    assert_int_equal(e.rep.corrupt, 1);
    assert_int_equal(e.rep.entry_errors, 2);
    am_ban list[8];
    size_t n;
    ASSERT_RC(am_ban_list(e.core, list, 8, &n), AM_OK);
    assert_int_equal(n, 1);                 /* the expired one stays out */
    assert_int_equal(list[0].created, 1690000000);
    assert_int_equal(am_size(e.core), b.n_peers);
    expect_aside(ST_STORE_BANS, bans, sizeof bans - 1);
    expect_clean_restart(&e);
    base_free(&b);

    make_base(&b);
    st_write(dir, ST_STORE_BANS, "[", 1);
    st_start(&e, dir);
    assert_int_equal(e.rep.corrupt, 1);
    assert_int_equal(am_ban_count(e.core), 0);
    expect_aside(ST_STORE_BANS, "[", 1);
    expect_clean_restart(&e);
    base_free(&b);
}

static void test_broken_metadata_gets_a_new_key_and_keeps_peers(void **s)
{
    (void)s;
    base b;
    st_env e;
    make_base(&b);
    static const char meta[] = "{\"format\":1,\"key\":\"zz\"}";
    st_write(dir, ST_STORE_META, meta, sizeof meta - 1);
    st_start(&e, dir);
    assert_int_equal(e.rep.corrupt, 1);
    expect_aside(ST_STORE_META, meta, sizeof meta - 1);
    /* Fresh slots under a new random key: the tables decide again, as for
     * any add (a few may be turned away or evicted when terrible). */
    assert_int_equal(e.rep.peers_read + e.rep.peers_ignored,
                     b.n_peers - JOURNALLED);
    assert_true(am_size(e.core) > b.n_peers * 8 / 10);
    assert_int_equal(e.rep.journal_records, JOURNALLED);
    uint8_t k2[16];
    am_get_key(e.core, k2);
    assert_memory_not_equal(b.key, k2, 16);
    expect_clean_restart(&e);
    base_free(&b);
}

static char *journal_name(char *buf, size_t len)
{
    assert_int_equal(st_count_prefix(dir, "journal.", buf, len), 1);
    return buf;
}

static void test_journal_torn_tail_is_cut_and_whole_records_kept(void **s)
{
    (void)s;
    base b;
    st_env e;
    char name[64];
    make_base(&b);
    journal_name(name, sizeof name);
    size_t len;
    char *j = st_read(dir, name, &len);
    st_write(dir, name, j, len - 3);       /* the last record torn */
    st_start(&e, dir);
    assert_int_equal(e.rep.corrupt, 0);
    assert_true(e.rep.torn);
    assert_int_equal(e.rep.journal_records, JOURNALLED - 1);
    for (int i = 0; i < JOURNALLED - 1; i++)
        t_get(e.core, b.added[i]);
    am_peer p;
    ASSERT_RC(am_get(e.core, b.added[JOURNALLED - 1], &p), AM_ERR_NOTFOUND);
    expect_clean_restart(&e);
    free(j);
    base_free(&b);
}

static void test_journal_broken_in_the_middle_or_foreign(void **state)
{
    (void)state;
    base b;
    st_env e;
    char name[64];
    make_base(&b);
    journal_name(name, sizeof name);
    size_t len;
    char *j = st_read(dir, name, &len);
    size_t rec = (len - 8) / JOURNALLED;    /* equal-sized records */
    j[8 + 2 * rec + 20] ^= 1;               /* inside the third */
    st_write(dir, name, j, len);
    st_start(&e, dir);
    assert_int_equal(e.rep.corrupt, 1);
    assert_int_equal(e.rep.journal_records, 2);
    t_get(e.core, b.added[0]);
    t_get(e.core, b.added[1]);
    char prefix[80];
    snprintf(prefix, sizeof prefix, "%s.corrupt-", name);
    assert_int_equal(st_count_prefix(dir, prefix, NULL, 0), 1);
    expect_clean_restart(&e);
    free(j);
    base_free(&b);

    make_base(&b);
    journal_name(name, sizeof name);
    st_write(dir, name, "GARBAGE!and more", 16);
    st_start(&e, dir);
    assert_int_equal(e.rep.corrupt, 1);
    assert_int_equal(e.rep.journal_records, 0);
    assert_int_equal(am_size(e.core), b.n_peers - JOURNALLED);
    expect_clean_restart(&e);
    base_free(&b);
}

static void test_crash_between_snapshot_files_loses_nothing(void **state)
{
    (void)state;
    /* A snapshot written up to peers.json, its metadata not: the old
     * metadata names the old journal, which is still there. */
    base b;
    st_env e;
    make_base(&b);
    char old_meta_name[64];
    size_t meta_len;
    char *old_meta = st_read(dir, ST_STORE_META, &meta_len);
    snprintf(old_meta_name, sizeof old_meta_name, "%s", ST_STORE_META);
    st_start(&e, dir);      /* replays, writes a new snapshot + journal */
    uint64_t x = t_add(e.core, t_v4(66, 1, 1, 1, 8333), NULL, 1, 0);
    ASSERT_RC(st_store_journal_peer(e.store, e.core, x), AM_OK);
    st_store_close(e.store);
    /* Put the old metadata back and an old journal generation beside. */
    st_write(dir, old_meta_name, old_meta, meta_len);
    st_env f;
    st_start(&f, dir);
    st_same_core(e.core, f.core);
    am_free(e.core);
    st_stop(&f);
    free(old_meta);
    base_free(&b);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_truncated_peers_json_at_many_offsets),
        T(test_garbage_and_empty_peers_json),
        T(test_wrong_types_and_huge_numbers_lose_only_their_entries),
        T(test_saved_peer_on_port_0_is_dropped),
        T(test_directory_in_place_of_peers_json),
        T(test_broken_bans_json),
        T(test_broken_metadata_gets_a_new_key_and_keeps_peers),
        T(test_journal_torn_tail_is_cut_and_whole_records_kept),
        T(test_journal_broken_in_the_middle_or_foreign),
        T(test_crash_between_snapshot_files_loses_nothing),
    };
#undef T
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
