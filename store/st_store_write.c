/*
 * st_store_write.c - changes on their way to disk (st_store.h): journal
 * appends and batches, the collision watch, snapshots in two steps.
 */
#include "st_store_int.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addrman_persist.h"
#include "am_parse.h"
#include "st_bansfile.h"
#include "st_floresta.h"
#include "st_fsio.h"
#include "st_journal.h"
#include "st_meta.h"

/* Taken under the lock: a copy of the peers (their text is written at
 * commit, without the lock) and the small texts of the bans and meta. */
struct st_snapshot {
    uint64_t gen;
    size_t count;
    st_floresta_copy *copy;
    char *peers, *bans, *meta;
    size_t peers_len, bans_len, meta_len;
};

/* ------------------------------------------------------------ journal */

/* Write the pending records.  Under s->mu. */
int st_store__flush_locked(st_store *s)
{
    int rc = AM_OK;

    if (s->pending.len == 0 && !s->pending.failed)
        return AM_OK;
    if (s->pending.failed || s->jfd < 0 || s->jbroken) {
        rc = s->pending.failed ? AM_ERR_NOMEM : AM_ERR_IO;
    } else {
        rc = st_journal_write(s->jfd, s->pending.data, s->pending.len,
                               s->opts.fsync_always);
        if (rc != AM_OK &&
            ftruncate(s->jfd, (off_t)s->st.journal_bytes) != 0)
            s->jbroken = 1;     /* a partial record stays: stop appending */
    }
    if (rc == AM_OK) {
        s->st.journal_bytes += s->pending.len;
        s->st.journal_records += s->pending_records;
    } else {
        s->st.journal_failures++;
    }
    js_buf_free(&s->pending);
    s->pending_records = 0;
    return rc;
}

static int append(st_store *s, const st_jrec *r)
{
    int rc = AM_OK;

    pthread_mutex_lock(&s->mu);
    if (s->jfd < 0 || s->jbroken) {
        s->st.journal_failures++;
        rc = s->jfd < 0 && !s->loaded ? AM_ERR_INVAL : AM_ERR_IO;
    } else {
        st_journal_encode(&s->pending, r);
        s->pending_records++;
        if (s->batch == 0)
            rc = st_store__flush_locked(s);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int st_store_journal_peer(st_store *s, am_man *m, uint64_t id)
{
    st_jrec r;
    int rc = st_jrec_peer(m, id, &r);

    UNDER_LOCK(s);
    if (rc == AM_ERR_NOTFOUND)
        st_jrec_remove(id, &r);
    else if (rc != AM_OK)
        return rc;
    return append(s, &r);
}

int st_store_journal_remove(st_store *s, uint64_t id)
{
    st_jrec r;

    UNDER_LOCK(s);
    st_jrec_remove(id, &r);
    return append(s, &r);
}

int st_store_journal_ban(st_store *s, const am_ban *ban)
{
    st_jrec r;

    UNDER_LOCK(s);
    st_jrec_ban(ban, &r);
    return append(s, &r);
}

int st_store_journal_unban(st_store *s, const am_subnet *target)
{
    st_jrec r;

    UNDER_LOCK(s);
    st_jrec_unban(target, &r);
    return append(s, &r);
}

int st_store_journal_unban_all(st_store *s)
{
    st_jrec r;

    UNDER_LOCK(s);
    st_jrec_unban_all(&r);
    return append(s, &r);
}

void st_store_batch_begin(st_store *s)
{
    UNDER_LOCK(s);
    pthread_mutex_lock(&s->mu);
    s->batch++;
    pthread_mutex_unlock(&s->mu);
}

int st_store_batch_end(st_store *s)
{
    int rc = AM_OK;

    UNDER_LOCK(s);
    pthread_mutex_lock(&s->mu);
    if (s->batch > 0 && --s->batch == 0)
        rc = st_store__flush_locked(s);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void st_store_watch_begin(am_man *m, st_store_watch *w)
{
    w->n = am_collision_ids(m, w->ids);
}

int st_store_watch_end(st_store *s, am_man *m, const st_store_watch *w)
{
    am_peer p;
    int rc = AM_OK;

    UNDER_LOCK(s);
    /* A newcomer that is in tried now was moved by a resolution; one still
     * waiting, or kept out, has not changed. */
    for (size_t i = 0; i < w->n && rc == AM_OK; i++)
        if (am_get(m, w->ids[i], &p) == AM_OK && p.in_tried)
            rc = st_store_journal_peer(s, m, w->ids[i]);
    return rc;
}

int st_store_on_change(void *store, am_man *m, uint64_t id,
                        const am_ban *ban)
{
    st_store *s = store;

    return ban ? st_store_journal_ban(s, ban)
               : st_store_journal_peer(s, m, id);
}

/* ----------------------------------------------------------- snapshot */

/* Appends go to journal.<gen> from now on.  Under s->mu. */
static int rotate_locked(st_store *s, uint64_t gen)
{
    char name[64];
    int fd;

    /* Records of a batch in progress are in the snapshot being built, but
     * must stay in the old journal too in case that snapshot fails. */
    st_store__flush_locked(s);
    st_store__journal_name(name, sizeof name, gen);
    fd = openat(s->dirfd, name,
                O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return AM_ERR_IO;
    if (st_journal_write(fd, ST_JOURNAL_MAGIC, ST_JOURNAL_HDR,
                          s->opts.fsync_always) != AM_OK ||
        (s->opts.fsync_always && st_fs_sync_dir(s->dirfd) != AM_OK)) {
        close(fd);
        unlinkat(s->dirfd, name, 0);
        return AM_ERR_IO;
    }
    if (s->jfd >= 0)
        close(s->jfd);
    s->jfd = fd;
    s->gen = gen;
    s->jbroken = 0;
    s->st.generation = gen;
    s->st.journal_bytes = ST_JOURNAL_HDR;
    s->st.journal_records = 0;
    return AM_OK;
}

static void snapshot_free(st_snapshot *snap)
{
    if (snap == NULL)
        return;
    st_floresta_copy_free(snap->copy);
    free(snap->peers);
    free(snap->bans);
    free(snap->meta);
    free(snap);
}

static void save_failed(st_store *s, const char *why)
{
    pthread_mutex_lock(&s->mu);
    s->st.save_failures++;
    pthread_mutex_unlock(&s->mu);
    st_store__report(s, 0, "snapshot failed: %s", why);
}

int st_store_snapshot_begin(st_store *s, am_man *m, st_snapshot **out)
{
    st_snapshot *snap = calloc(1, sizeof *snap);
    am_stats st;
    st_meta mt;
    int rc;

    UNDER_LOCK(s);
    *out = NULL;
    if (snap == NULL)
        return AM_ERR_NOMEM;
    rc = st_floresta_copy_take(m, &snap->copy);
    snap->count = am_size(m);
    if (rc == AM_OK)
        rc = st_bans_text(m, &snap->bans, &snap->bans_len);
    if (rc == AM_OK) {
        pthread_mutex_lock(&s->mu);
        rc = rotate_locked(s, s->gen + 1);
        snap->gen = s->gen;
        pthread_mutex_unlock(&s->mu);
    }
    if (rc == AM_OK) {
        am_stats_get(m, &st);
        am_get_key(m, mt.key);
        mt.new_buckets = st.buckets[0];
        mt.tried_buckets = st.buckets[1];
        mt.next_id = st.next_id;
        mt.gen = snap->gen;
        snap->meta = st_meta_text(&mt, &snap->meta_len);
        if (snap->meta == NULL)
            rc = AM_ERR_NOMEM;
    }
    if (rc != AM_OK) {
        snapshot_free(snap);
        save_failed(s, rc == AM_ERR_IO ? "cannot start a new journal"
                                       : "out of memory");
        return rc;
    }
    *out = snap;
    return AM_OK;
}

static int write_snapshot(st_store *s, const st_snapshot *snap, char *why)
{
    int rc = st_fs_write_atomic(s->dirfd, ST_STORE_BANS, snap->bans,
                                 snap->bans_len, why, WHY);

    if (rc == AM_OK)
        rc = st_fs_write_atomic(s->dirfd, ST_STORE_PEERS, snap->peers,
                                 snap->peers_len, why, WHY);
    /* Last: the metadata names the journal the snapshot continues in. */
    if (rc == AM_OK)
        rc = st_fs_write_atomic(s->dirfd, ST_STORE_META, snap->meta,
                                 snap->meta_len, why, WHY);
    return rc;
}

int st_store_snapshot_commit(st_store *s, st_snapshot *snap,
                              size_t *peers)
{
    char why[WHY];
    int rc = AM_OK;

    if (snap == NULL)
        return AM_ERR_INVAL;
    pthread_mutex_lock(&s->save_mu);
    if (snap->gen > s->committed_gen) {
        rc = st_floresta_copy_text(snap->copy, &snap->peers, &snap->peers_len,
                                   &snap->count);
        if (rc != AM_OK)
            snprintf(why, sizeof why, "out of memory for the peers' text");
        else
            rc = write_snapshot(s, snap, why);
        if (rc == AM_OK) {
            s->committed_gen = snap->gen;
            st_store__delete_journals_before(s, snap->gen);
        }
    }
    pthread_mutex_unlock(&s->save_mu);
    if (peers)
        *peers = snap->count;
    if (rc != AM_OK) {
        save_failed(s, why);
    } else {
        pthread_mutex_lock(&s->mu);
        s->st.saves++;
        s->st.last_save = (int64_t)time(NULL);
        s->st.last_peers = snap->count;
        pthread_mutex_unlock(&s->mu);
    }
    snapshot_free(snap);
    return rc;
}

int st_store_save(st_store *s, am_man *m, size_t *peers)
{
    st_snapshot *snap;
    int rc = st_store_snapshot_begin(s, m, &snap);

    if (rc != AM_OK)
        return rc;
    return st_store_snapshot_commit(s, snap, peers);
}
