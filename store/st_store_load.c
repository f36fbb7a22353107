/*
 * st_store_load.c - start-up (st_store.h): the ban list, the peers, the
 * journals replayed in order, and the decision to continue the journal.
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

/* ---------------------------------------------------------------- bans */

static void load_bans(st_store *s, am_man *m, st_store_report *rep)
{
    char *text = NULL, why[WHY];
    size_t len, errors = 0;
    int rc = st_fs_read(s->dirfd, s->dir, ST_STORE_BANS, s->opts.max_file,
                         &text, &len, why, sizeof why);

    if (rc == AM_ERR_NOTFOUND)
        return;
    if (rc == AM_OK) {
        rc = st_bans_load(m, text, len, &errors, why, sizeof why);
        free(text);
    }
    rep->entry_errors += errors;
    if (rc != AM_OK)
        st_store__set_aside(s, ST_STORE_BANS, why, rep);
}

/* --------------------------------------------------------------- peers */

/*
 * peers.json, in two passes around the journal replay: our own records
 * first (their ids and slots), the foreign ones (a Floresta file put in
 * place) after it, with fresh ids the journal cannot have used.
 */
static int read_peers(st_store *s, st_doc *doc, st_merge_result *r,
                      st_store_report *rep)
{
    const char *text = NULL;
    char why[WHY];
    size_t len = 0;
    int rc = st_fs_map(s->dirfd, s->dir, ST_STORE_PEERS, s->opts.max_file,
                        &text, &len, why, sizeof why);

    if (rc == AM_ERR_NOTFOUND)
        return AM_OK;
    if (rc != AM_OK) {
        st_store__set_aside(s, ST_STORE_PEERS, why, rep);
        return rc == AM_ERR_NOMEM ? rc : AM_OK;
    }
    rc = st_floresta_read(text, len, doc, r);
    st_fs_unmap(text, len);
    rep->entry_errors += r->n_errors;
    if (r->unreadable) {
        st_store__set_aside(s, ST_STORE_PEERS, r->why, rep);
    } else if (r->n_errors > 0) {
        snprintf(why, sizeof why, "%zu unreadable entries (first: entry %zu: "
                 "%s)", r->n_errors, r->errors_kept ? r->errors[0].index : 0,
                 r->errors_kept ? r->errors[0].message : "?");
        st_store__set_aside(s, ST_STORE_PEERS, why, rep);
    }
    return rc == AM_ERR_NOMEM ? rc : AM_OK;
}

static int merge_peers(am_man *m, const st_doc *doc, st_merge_pass pass,
                       st_merge_result *r)
{
    st_merge_opts opts = {1, NULL, NULL, pass};

    return st_merge_doc(m, doc, &opts, r);
}

/* ------------------------------------------------------------ journals */

void st_store__journal_name(char *buf, size_t len, uint64_t gen)
{
    snprintf(buf, len, JOURNAL_PREFIX "%" PRIu64, gen);
}

/* "journal.<decimal>" exactly: 1 with *gen. */
int st_store__journal_gen_of(const char *name, uint64_t *gen)
{
    size_t pl = strlen(JOURNAL_PREFIX);

    return strncmp(name, JOURNAL_PREFIX, pl) == 0 &&
           am_parse_u64_str(name + pl, UINT64_MAX, gen) == AM_OK;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The generations of the journal files, ascending (*gens malloc'd). */
static int list_journals(st_store *s, uint64_t **gens, size_t *n)
{
    DIR *d = opendir(s->dir);
    struct dirent *de;
    size_t cap = 0;
    uint64_t g, *p;

    *gens = NULL;
    *n = 0;
    if (d == NULL)
        return AM_ERR_IO;
    while ((de = readdir(d)) != NULL) {
        if (!st_store__journal_gen_of(de->d_name, &g))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            p = realloc(*gens, cap * sizeof *p);
            if (p == NULL) {
                closedir(d);
                return AM_ERR_NOMEM;
            }
            *gens = p;
        }
        (*gens)[(*n)++] = g;
    }
    closedir(d);
    if (*n > 1)
        qsort(*gens, *n, sizeof **gens, u64_cmp);
    return AM_OK;
}

static void cut_torn_tail(st_store *s, const char *name, size_t good_end,
                          size_t len)
{
    int fd = openat(s->dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0 || ftruncate(fd, (off_t)good_end) != 0 || fsync(fd) != 0)
        st_store__report(s, 0, "%s: cannot cut the torn tail: %s", name,
               strerror(errno));
    else
        st_store__report(s, 0, "%s: torn tail of %zu bytes at offset %zu cut off", name,
               len - good_end, good_end);
    if (fd >= 0)
        close(fd);
}

/* Replay one journal file; torn tails are cut, broken files set aside with
 * their good part written back. */
static int replay_file(st_store *s, am_man *m, uint64_t gen, int valid,
                       st_store_report *rep)
{
    char name[64], why[WHY], *data = NULL;
    size_t len;
    st_replay rp;
    int rc;

    st_store__journal_name(name, sizeof name, gen);
    rc = st_fs_read(s->dirfd, s->dir, name, SIZE_MAX / 2, &data, &len, why,
                     sizeof why);
    if (rc != AM_OK) {
        if (rc != AM_ERR_NOTFOUND)
            st_store__set_aside(s, name, why, rep);
        return rc == AM_ERR_NOMEM ? rc : AM_OK;
    }
    rc = st_journal_replay(m, (const uint8_t *)data, len, valid, &rp);
    rep->journal_records += rp.records;
    rep->journal_failed += rp.failed;
    if (rc == AM_ERR_MALFORMED) {
        st_store__set_aside(s, name, "not a journal (bad header)", rep);
    } else if (rc == AM_OK && rp.status == ST_JREAD_TORN) {
        rep->torn = 1;
        cut_torn_tail(s, name, rp.good_end, len);
    } else if (rc == AM_OK && rp.status == ST_JREAD_CORRUPT) {
        snprintf(why, sizeof why, "broken record at offset %zu (%zu whole "
                 "records before it kept)", rp.good_end, rp.records);
        st_store__set_aside(s, name, why, rep);
        if (st_fs_write_atomic(s->dirfd, name, data, rp.good_end, why,
                                sizeof why) != AM_OK)
            st_store__report(s, 0, "%s", why);
    }
    free(data);
    return rc == AM_ERR_NOMEM ? rc : AM_OK;
}

/* *files gets how many journal files there were, replayed or not. */
static int replay_journals(st_store *s, am_man *m, int valid,
                           st_store_report *rep, size_t *files)
{
    uint64_t *gens;
    size_t n;
    int rc = list_journals(s, &gens, &n);

    *files = n;
    s->gen = s->meta.gen;
    for (size_t i = 0; rc == AM_OK && i < n; i++) {
        if (gens[i] < s->meta.gen)
            continue;       /* a snapshot holds it; its delete was cut short */
        rc = replay_file(s, m, gens[i], valid, rep);
        s->gen = gens[i];
    }
    free(gens);
    return rc;
}

void st_store__delete_journals_before(st_store *s, uint64_t gen)
{
    uint64_t *gens;
    size_t n;
    char name[64];

    if (list_journals(s, &gens, &n) != AM_OK)
        return;
    for (size_t i = 0; i < n && gens[i] < gen; i++) {
        st_store__journal_name(name, sizeof name, gens[i]);
        unlinkat(s->dirfd, name, 0);
    }
    free(gens);
    st_fs_sync_dir(s->dirfd);
}

/* --------------------------------------------------------------- load */

/* Were the saved slots made with this core's key and table sizes? */
static int places_valid(st_store *s, am_man *m)
{
    uint8_t key[16];
    am_stats st;

    if (!s->meta_ok)
        return 0;
    am_get_key(m, key);
    am_stats_get(m, &st);
    return memcmp(key, s->meta.key, 16) == 0 &&
           st.buckets[0] == s->meta.new_buckets &&
           st.buckets[1] == s->meta.tried_buckets;
}

/* bans.json, peers.json and the journals, in the order that keeps ids
 * right (see read_peers).  *clean: the files are exactly the pool now in
 * memory (our own snapshot, read whole with its slots, one empty journal,
 * nothing set aside), so no start-up snapshot is needed. */
static int load_files(st_store *s, am_man *m, st_store_report *rep,
                      int *clean)
{
    int valid = places_valid(s, m);
    size_t ours = 0, files = 0;
    st_doc doc;
    st_merge_result r;
    size_t read_errors;
    int rc;

    st_doc_init(&doc);
    st_merge_result_init(&r);
    load_bans(s, m, rep);
    rc = read_peers(s, &doc, &r, rep);
    read_errors = r.n_errors;
    if (rc == AM_OK)
        rc = merge_peers(m, &doc, ST_MERGE_OURS, &r);
    ours = r.added;
    am_id_floor(m, s->meta.next_id);
    if (rc == AM_OK)
        rc = replay_journals(s, m, valid, rep, &files);
    if (rc == AM_OK)
        rc = merge_peers(m, &doc, ST_MERGE_FOREIGN, &r);
    rep->peers_read = r.added;
    rep->peers_ignored = r.ignored;
    memcpy(rep->peers_ignored_by, r.ignored_by, sizeof r.ignored_by);
    rep->peers_refused = r.n_errors - read_errors;
    *clean = valid && r.added == ours && r.ignored == 0 && files == 1 &&
             s->gen == s->meta.gen && rep->journal_records == 0 &&
             !rep->torn && rep->corrupt == 0 && rep->entry_errors == 0 &&
             rep->peers_refused == 0;
    st_doc_free(&doc);
    st_merge_result_free(&r);
    return rc;
}

/* A clean start: appends go on in the snapshot's own journal, and the
 * snapshot is not written again (for a large pool that is most of the
 * start-up time). */
static int continue_journal(st_store *s, am_man *m)
{
    char name[64];
    struct stat st;
    int fd;

    st_store__journal_name(name, sizeof name, s->gen);
    fd = openat(s->dirfd, name, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return AM_ERR_IO;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size < ST_JOURNAL_HDR) {
        close(fd);
        return AM_ERR_IO;
    }
    pthread_mutex_lock(&s->mu);
    s->jfd = fd;
    s->jbroken = 0;
    s->st.generation = s->gen;
    s->st.journal_bytes = (uint64_t)st.st_size;
    s->st.journal_records = 0;
    s->st.last_save = s->meta.saved;
    s->st.last_peers = am_size(m);
    pthread_mutex_unlock(&s->mu);
    return AM_OK;
}

int st_store_load(st_store *s, am_man *m, st_store_report *rep)
{
    st_store_report local;
    int rc, clean = 0;

    if (rep == NULL)
        rep = &local;
    memset(rep, 0, sizeof *rep);
    if (!s->configured || s->loaded)
        return AM_ERR_INVAL;
    rep->corrupt = s->config_corrupt;
    if ((rc = load_files(s, m, rep, &clean)) != AM_OK)
        return rc;
    s->committed_gen = s->meta.gen;
    s->loaded = 1;
    /* Unless the start is clean, a fresh snapshot: the journals replayed
     * above are folded in, files set aside are replaced, and appends start
     * in a new journal.  Only a journal that cannot be opened stops the
     * start. */
    if (!clean || continue_journal(s, m) != AM_OK)
        rep->saved = st_store_save(s, m, NULL) == AM_OK;
    pthread_mutex_lock(&s->mu);
    rc = s->jfd >= 0 ? AM_OK : AM_ERR_IO;
    pthread_mutex_unlock(&s->mu);
    rep->peers = am_size(m);
    rep->bans = am_ban_count(m);
    if (rc != AM_OK)
        s->loaded = 0;
    return rc;
}
