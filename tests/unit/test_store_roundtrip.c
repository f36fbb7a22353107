/*
 * test_store_roundtrip.c - the data directory keeps the pool exactly:
 * snapshot and restart (every peer's fields, table, buckets and slots, the
 * bans, the id counter), the journal after a crash, the two-step snapshot,
 * fsync mode, the directory lock, metadata, stats.
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

static am_man *reload(st_env *env)
{
    st_start(env, dir);
    return env->core;
}

static void test_snapshot_restart_restores_everything_exactly(void **state)
{
    (void)state;
    st_env a, b;
    st_start(&a, dir);
    assert_int_equal(a.rep.peers, 0);
    st_fill(a.core, NULL);
    size_t peers = 0;
    ASSERT_RC(st_store_save(a.store, a.core, &peers), AM_OK);
    assert_int_equal(peers, am_size(a.core));
    st_store_stats st;
    st_store_stats_get(a.store, &st);
    assert_int_equal(st.journal_records, 0);
    assert_int_equal(st.last_peers, peers);
    assert_true(st.saves >= 2);         /* the one at load, and ours */
    assert_true(st.last_save > 0);
    st_store_close(a.store);

    reload(&b);
    assert_int_equal(b.rep.corrupt, 0);
    assert_int_equal(b.rep.entry_errors, 0);
    assert_int_equal(b.rep.peers_read, peers);
    st_same_core(a.core, b.core);
    /* New ids continue after the saved counter (the highest id was
     * removed before the snapshot). */
    uint64_t id = t_add(b.core, t_v4(99, 1, 2, 3, 8333), NULL, 1, 0);
    assert_int_equal(id, t_stats(a.core).next_id);
    am_free(a.core);
    st_stop(&b);
}

static void test_journal_alone_restores_everything_after_a_crash(void **s)
{
    (void)s;
    st_env a, b;
    st_start(&a, dir);
    st_fill(a.core, a.store);           /* every change journalled */
    st_store_stats st;
    st_store_stats_get(a.store, &st);
    assert_true(st.journal_records > 300);
    assert_true(st.journal_bytes > st.journal_records * 9);
    assert_int_equal(st.journal_failures, 0);
    /* A crash: no snapshot, the journal is all there is. */
    st_store_close(a.store);
    assert_int_equal(st_count_prefix(dir, "journal.", NULL, 0), 1);

    reload(&b);
    assert_int_equal(b.rep.journal_records, st.journal_records);
    assert_int_equal(b.rep.journal_failed, 0);
    assert_true(b.rep.saved);
    st_same_core(a.core, b.core);
    /* The start-up snapshot folded the journal in. */
    assert_int_equal(st_count_prefix(dir, "journal.", NULL, 0), 1);
    st_store_stats_get(b.store, &st);
    assert_int_equal(st.journal_records, 0);
    st_stop(&b);

    /* And once more, from the snapshot alone. */
    reload(&b);
    assert_int_equal(b.rep.journal_records, 0);
    st_same_core(a.core, b.core);
    st_stop(&b);
    am_free(a.core);
}

static void test_changes_between_begin_and_commit_survive(void **state)
{
    (void)state;
    st_env a, b;
    st_start(&a, dir);
    uint64_t x = t_add(a.core, t_v4(8, 8, 8, 8, 8333), NULL, 1, 0);
    ASSERT_RC(st_store_journal_peer(a.store, a.core, x), AM_OK);
    st_snapshot *snap;
    ASSERT_RC(st_store_snapshot_begin(a.store, a.core, &snap), AM_OK);
    /* Other requests go on while the files are written. */
    uint64_t y = t_add(a.core, t_v4(9, 9, 9, 9, 8333), NULL, 1, 0);
    ASSERT_RC(st_store_journal_peer(a.store, a.core, y), AM_OK);
    t_set(a.core, x, AM_OP_CONNECTED);
    ASSERT_RC(st_store_journal_peer(a.store, a.core, x), AM_OK);
    size_t n = 0;
    ASSERT_RC(st_store_snapshot_commit(a.store, snap, &n), AM_OK);
    assert_int_equal(n, 1);
    st_store_close(a.store);
    reload(&b);
    assert_int_equal(b.rep.journal_records, 2);
    st_same_core(a.core, b.core);
    st_stop(&b);
    am_free(a.core);
}

static void test_older_snapshot_never_replaces_a_newer_one(void **state)
{
    (void)state;
    st_env a, b;
    st_start(&a, dir);
    st_snapshot *old, *young;
    ASSERT_RC(st_store_snapshot_begin(a.store, a.core, &old), AM_OK);
    uint64_t x = t_add(a.core, t_v4(8, 8, 8, 8, 8333), NULL, 1, 0);
    ASSERT_RC(st_store_journal_peer(a.store, a.core, x), AM_OK);
    ASSERT_RC(st_store_snapshot_begin(a.store, a.core, &young), AM_OK);
    ASSERT_RC(st_store_snapshot_commit(a.store, young, NULL), AM_OK);
    ASSERT_RC(st_store_snapshot_commit(a.store, old, NULL), AM_OK);
    st_store_close(a.store);
    reload(&b);
    st_same_core(a.core, b.core);
    st_stop(&b);
    am_free(a.core);
}

static void test_fsync_always_and_batches(void **state)
{
    (void)state;
    st_env a, b;
    st_store_opts o;
    st_store_opts_default(&o);
    o.fsync_always = 1;
    st_start_opts(&a, dir, &o, 1024, 256);
    st_store_batch_begin(a.store);
    uint32_t ctr = 5;
    for (int i = 0; i < 50; i++) {
        uint64_t id;
        if (t_try_add(a.core, t_distinct_v4(&ctr, 8333), NULL, 1, 0, &id) ==
            AM_OK)
            ASSERT_RC(st_store_journal_peer(a.store, a.core, id), AM_OK);
    }
    st_store_stats st;
    st_store_stats_get(a.store, &st);
    assert_int_equal(st.journal_records, 0);    /* not written yet */
    ASSERT_RC(st_store_batch_end(a.store), AM_OK);
    st_store_stats_get(a.store, &st);
    assert_int_equal(st.journal_records, am_size(a.core));
    ASSERT_RC(st_store_journal_unban_all(a.store), AM_OK);
    st_store_close(a.store);
    reload(&b);
    st_same_core(a.core, b.core);
    st_stop(&b);
    am_free(a.core);
}

static void test_second_store_on_a_directory_is_refused(void **state)
{
    (void)state;
    st_env a;
    st_start(&a, dir);
    st_store *other = NULL;
    char why[256];
    ASSERT_RC(st_store_open(dir, NULL, &other, why, sizeof why),
              AM_ERR_EXISTS);
    assert_null(other);
    assert_non_null(strstr(why, "in use"));
    st_stop(&a);
    ASSERT_RC(st_store_open(dir, NULL, &other, why, sizeof why), AM_OK);
    st_store_close(other);
}

static void test_open_creates_the_directory_and_metadata(void **state)
{
    (void)state;
    char sub[128];
    snprintf(sub, sizeof sub, "%s/a/b/data", dir);
    st_env a, b;
    st_start(&a, sub);
    assert_true(st_exists(sub, ST_STORE_META));
    assert_true(st_exists(sub, ST_STORE_PEERS));
    assert_true(st_exists(sub, ST_STORE_BANS));
    assert_true(st_exists(sub, ST_STORE_LOCK));
    char why[128];
    assert_true(st_store_ready(a.store, why, sizeof why));
    uint8_t k1[16], k2[16];
    am_get_key(a.core, k1);
    st_stop(&a);
    /* The key is kept; the sizes come from the metadata. */
    st_store_opts o;
    st_store_opts_default(&o);
    st_start_opts(&b, sub, &o, 64, 64);
    am_get_key(b.core, k2);
    assert_memory_equal(k1, k2, 16);
    assert_int_equal(t_stats(b.core).buckets[0], 1024);
    st_stop(&b);
    /* keep_sizes: the caller's sizes win. */
    o.keep_sizes = 1;
    st_start_opts(&b, sub, &o, 64, 32);
    assert_int_equal(t_stats(b.core).buckets[0], 64);
    assert_int_equal(t_stats(b.core).buckets[1], 32);
    st_stop(&b);

    st_store *bad = NULL;
    st_write(dir, "plain", "x", 1);
    snprintf(sub, sizeof sub, "%s/plain", dir);
    ASSERT_RC(st_store_open(sub, NULL, &bad, why, sizeof why), AM_ERR_IO);
    assert_null(bad);
}

static void test_resize_keeps_every_peer(void **state)
{
    (void)state;
    st_env a, b;
    st_start(&a, dir);
    st_fill(a.core, NULL);
    size_t n = am_size(a.core);
    ASSERT_RC(st_store_save(a.store, a.core, NULL), AM_OK);
    st_stop(&a);
    st_store_opts o;
    st_store_opts_default(&o);
    o.keep_sizes = 1;
    st_start_opts(&b, dir, &o, 4096, 512);
    /* Saved slots do not fit other tables: every peer gets fresh ones. */
    assert_int_equal(b.rep.peers_ignored, 0);
    assert_int_equal(b.rep.peers, n);
    CHECK(b.core);
    st_stop(&b);
}

static void test_load_file_merges_and_journals(void **state)
{
    (void)state;
    st_env a, b;
    st_start(&a, dir);
    size_t len;
    char *seed = st_data("floresta/signet_seeds.json", &len);
    st_write(dir, "signet.json", seed, len);
    free(seed);
    st_merge_result r;
    st_merge_result_init(&r);
    ASSERT_RC(st_store_load_file(a.store, a.core, "signet.json", &r), AM_OK);
    assert_true(r.added > 200);
    assert_int_equal(r.n_errors, 0);
    assert_true(st_exists(dir, "signet.json"));     /* fine: kept */
    st_store_stats st;
    st_store_stats_get(a.store, &st);
    assert_int_equal(st.journal_records, r.added);
    st_merge_result_free(&r);
    st_store_close(a.store);
    reload(&b);
    st_same_core(a.core, b.core);
    st_stop(&b);
    am_free(a.core);
}

static void expect_bad_name(st_store *s, am_man *m, const char *name)
{
    st_merge_result r;
    st_merge_result_init(&r);
    int rc = st_store_load_file(s, m, name, &r);
    if (rc != AM_ERR_INVAL)
        fail_msg("load_file(\"%s\") returned %d", name, rc);
    assert_true(r.unreadable);
    st_merge_result_free(&r);
}

static void test_only_names_inside_the_directory_are_loaded(void **state)
{
    (void)state;
    st_env a;
    char path[256], out[96];
    st_start(&a, dir);
    snprintf(out, sizeof out, "%s-outside.json", dir);
    st_write("/", out + 1, "[]", 2);
    expect_bad_name(a.store, a.core, "../x");
    expect_bad_name(a.store, a.core, out);          /* absolute */
    expect_bad_name(a.store, a.core, "a/b");
    expect_bad_name(a.store, a.core, "");
    expect_bad_name(a.store, a.core, ".");
    expect_bad_name(a.store, a.core, "..");
    expect_bad_name(a.store, a.core, "x\n");
    /* A symlink leading out is refused, one staying inside is followed. */
    st_path(path, sizeof path, dir, "out.json");
    assert_int_equal(symlink(out, path), 0);
    expect_bad_name(a.store, a.core, "out.json");
    st_path(path, sizeof path, dir, "up.json");
    assert_int_equal(symlink("../", path), 0);
    expect_bad_name(a.store, a.core, "up.json");
    st_write(dir, "in.json", "[]", 2);
    st_path(path, sizeof path, dir, "link.json");
    assert_int_equal(symlink("in.json", path), 0);
    st_merge_result r;
    st_merge_result_init(&r);
    ASSERT_RC(st_store_load_file(a.store, a.core, "link.json", &r), AM_OK);
    st_merge_result_free(&r);
    st_merge_result_init(&r);
    ASSERT_RC(st_store_load_file(a.store, a.core, "nope.json", &r),
              AM_ERR_NOTFOUND);
    st_merge_result_free(&r);
    unlink(out);
    st_stop(&a);
}

static void test_anchors_file_is_written_atomically(void **state)
{
    (void)state;
    st_env a;
    st_start(&a, dir);
    uint64_t id = t_add(a.core, t_v4(8, 8, 8, 8, 8333), NULL, 1, 0);
    char *text, *back, why[256];
    size_t len, blen, missing;
    ASSERT_RC(st_floresta_anchors(a.core, &id, 1, &text, &len, &missing),
              AM_OK);
    ASSERT_RC(st_store_write_file(a.store, ST_STORE_ANCHORS, text, len, why,
                                   sizeof why), AM_OK);
    ASSERT_RC(st_store_read_file(a.store, ST_STORE_ANCHORS, &back, &blen,
                                  why, sizeof why), AM_OK);
    assert_int_equal(blen, len);
    assert_memory_equal(back, text, len);
    free(back);
    /* The store's own files are not for writing through this door. */
    ASSERT_RC(st_store_write_file(a.store, ST_STORE_PEERS, "[]", 2, why,
                                   sizeof why), AM_ERR_INVAL);
    ASSERT_RC(st_store_write_file(a.store, "journal.7", "x", 1, why,
                                   sizeof why), AM_ERR_INVAL);
    ASSERT_RC(st_store_write_file(a.store, "../x", "x", 1, why, sizeof why),
              AM_ERR_INVAL);
    /* No temporary file is left behind. */
    assert_int_equal(st_count_prefix(dir, ".", NULL, 0), 2);   /* . and .. */
    free(text);
    st_stop(&a);
}

/* Handlers' discipline on tiny tables, where adds evict and tried slots
 * collide: journal each changed peer, and watch the calls that settle
 * collisions.  A crash then loses nothing, slots included. */
static void test_watched_collisions_survive_a_crash_exactly(void **state)
{
    (void)state;
    st_env a, b;
    st_store_opts o;
    st_store_opts_default(&o);
    o.keep_sizes = 1;
    st_start_opts(&a, dir, &o, 2, 1);
    uint64_t rng = 2024;
    size_t resolved = 0;
    for (int i = 0; i < 600; i++) {
        st_store_watch w;
        uint64_t id = 0, r = t_rand(&rng) % 10;
        int is_new;
        am_peer p;
        t_advance((int64_t)(t_rand(&rng) % 1800));
        if (r < 4) {
            am_addr x = t_random_v4(&rng, 8333);
            int64_t t = t_rand(&rng) % 3 ? t_now : t_now - 40 * T_DAY;
            if (am_add(a.core, &x, NULL, 1, t, 0, &is_new, &id) == AM_OK)
                ASSERT_RC(st_store_journal_peer(a.store, a.core, id), AM_OK);
        } else if (r < 8) {
            size_t n;
            uint64_t next;
            am_list(a.core, NULL, t_rand(&rng) % t_stats(a.core).next_id, &p,
                    1, &n, &next);
            if (n == 0)
                continue;
            st_store_watch_begin(a.core, &w);
            ASSERT_RC(am_set_state(a.core, p.id, r < 7 ? AM_OP_TRIED
                                                       : AM_OP_FAILED, NULL),
                      AM_OK);
            ASSERT_RC(st_store_journal_peer(a.store, a.core, p.id), AM_OK);
            ASSERT_RC(st_store_watch_end(a.store, a.core, &w), AM_OK);
        } else {
            am_select_opts so = t_opts(0, 0, 0);
            st_store_watch_begin(a.core, &w);
            size_t before = w.n;
            am_select(a.core, &so, &p);
            st_store_watch_end(a.store, a.core, &w);
            st_store_watch_begin(a.core, &w);
            resolved += before > w.n ? before - w.n : 0;
        }
    }
    assert_true(resolved > 0);          /* select did settle collisions */
    assert_true(t_stats(a.core).by_table[1] > 30);
    st_store_close(a.store);
    st_start_opts(&b, dir, &o, 2, 1);
    st_same_core(a.core, b.core);
    am_free(a.core);
    st_stop(&b);
}

static void test_not_ready_before_load(void **state)
{
    (void)state;
    st_store *s;
    char why[256];
    ASSERT_RC(st_store_open(dir, NULL, &s, why, sizeof why), AM_OK);
    assert_false(st_store_ready(s, why, sizeof why));
    assert_non_null(strstr(why, "not loaded"));
    ASSERT_RC(st_store_journal_remove(s, 1), AM_ERR_INVAL);
    am_man *m = t_man(16, 16);
    ASSERT_RC(st_store_load(s, m, NULL), AM_ERR_INVAL);  /* config first */
    st_store_close(s);
    am_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_snapshot_restart_restores_everything_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_journal_alone_restores_everything_after_a_crash, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_changes_between_begin_and_commit_survive, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_older_snapshot_never_replaces_a_newer_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsync_always_and_batches, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_second_store_on_a_directory_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_open_creates_the_directory_and_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resize_keeps_every_peer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_file_merges_and_journals,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_only_names_inside_the_directory_are_loaded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anchors_file_is_written_atomically,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_watched_collisions_survive_a_crash_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_ready_before_load, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
