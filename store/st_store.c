/*
 * st_store.c - the data directory (see st_store.h).
 */
#include "st_store.h"

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

#define WHY 256
#define JOURNAL_PREFIX "journal."

struct st_store {
    char *dir;                  /* realpath */
    int dirfd, lockfd;
    st_store_opts opts;
    st_meta meta;
    int meta_ok;                /* addrmand.json was read, not created */
    size_t config_corrupt;      /* files set aside before the load */
    int configured, loaded;

    pthread_mutex_t mu;         /* journal, stats, last problem */
    int jfd;                    /* current journal, -1: none */
    uint64_t gen;               /* its generation */
    int jbroken;                /* a failed append could not be undone */
    js_buf pending;            /* encoded records not yet written */
    size_t pending_records;
    int batch;
    st_store_stats st;
    char problem[WHY * 2];

    pthread_mutex_t save_mu;    /* one snapshot commit at a time */
    uint64_t committed_gen;
    const st_lock *lock;        /* the core's lock, when a pool holds it */
};

/* The functions st_store.h lists "under the caller's core lock" check it
 * in debug builds, once a pool has told the store which lock that is. */
#define UNDER_LOCK(s) assert((s)->lock == NULL || st_lock_held((s)->lock))

void st_store_set_lock(st_store *s, const st_lock *lock)
{
    s->lock = lock;
}

struct st_snapshot {
    uint64_t gen;
    size_t count;
    char *peers, *bans, *meta;
    size_t peers_len, bans_len, meta_len;
};

/* ------------------------------------------------------------ problems */

static void log_line(st_store *s, const char *msg)
{
    if (s->opts.log)
        s->opts.log(s->opts.log_ctx, msg);
    else
        fprintf(stderr, "addrmand: %s: %s\n", s->dir, msg);
}

/* Report a problem of the directory (takes the store's mutex). */
static void report(st_store *s, int corrupt, const char *fmt, ...)
{
    char msg[WHY * 2];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&s->mu);
    if (corrupt)
        s->st.corrupt_files++;
    snprintf(s->problem, sizeof s->problem, "%s", msg);
    pthread_mutex_unlock(&s->mu);
    log_line(s, msg);           /* outside the mutex: the callback is free */
}

/* A file that cannot be read: rename it aside, never overwrite it. */
static void set_aside(st_store *s, const char *name, const char *reason,
                      st_store_report *rep)
{
    char aside[ST_FS_NAME_MAX + 64], why[WHY];
    size_t nl = strlen(name);

    /* Reasons from st_fs_read start with the name already. */
    if (strncmp(reason, name, nl) == 0 && strncmp(reason + nl, ": ", 2) == 0)
        reason += nl + 2;
    if (st_fs_set_aside(s->dirfd, name, (int64_t)time(NULL), aside,
                         sizeof aside, why, sizeof why) == AM_OK)
        report(s, 1, "%s: %s; renamed to %s", name, reason, aside);
    else
        report(s, 1, "%s: %s; %s", name, reason, why);
    if (rep)
        rep->corrupt++;
}

/* ------------------------------------------------------------ opening */

void st_store_opts_default(st_store_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_file = ST_STORE_MAX_FILE;
}

/* mkdir -p, mode 0700 for what we create. */
static int make_dirs(const char *dir)
{
    char path[PATH_MAX];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof path)
        return -1;
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return -1;
        path[i] = c;
    }
    return 0;
}

/* Temporary files a crash left behind (".<name>.tmp-<pid>-<n>"). */
static void remove_stale_temps(st_store *s)
{
    DIR *d = opendir(s->dir);
    struct dirent *de;

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp-") != NULL)
            unlinkat(s->dirfd, de->d_name, 0);
    closedir(d);
}

static int check_writable(st_store *s, char *why, size_t wl)
{
    char probe[64];
    int fd;

    snprintf(probe, sizeof probe, ".addrmand-probe.tmp-%ld", (long)getpid());
    fd = openat(s->dirfd, probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                0600);
    if (fd < 0) {
        snprintf(why, wl, "%s is not writable: %s", s->dir, strerror(errno));
        return AM_ERR_IO;
    }
    close(fd);
    unlinkat(s->dirfd, probe, 0);
    return AM_OK;
}

static int lock_dir(st_store *s, char *why, size_t wl)
{
    s->lockfd = openat(s->dirfd, ST_STORE_LOCK,
                       O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (s->lockfd < 0) {
        snprintf(why, wl, "cannot open %s/%s: %s", s->dir, ST_STORE_LOCK,
                 strerror(errno));
        return AM_ERR_IO;
    }
    if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
        int busy = errno == EWOULDBLOCK;
        snprintf(why, wl, "%s %s", s->dir,
                 busy ? "is in use by another addrmand"
                      : "cannot be locked");
        return busy ? AM_ERR_EXISTS : AM_ERR_IO;
    }
    return AM_OK;
}

/* The directory holds the bucketing key, on which the eclipse defences
 * rest (addrmand.json), and the whole pool: it is made 0700 and its files
 * 0600.  One made by someone else, or by an older version, may be open to
 * others; that is the operator's to change, so it is said, not changed. */
static void warn_if_open(st_store *s)
{
    char msg[WHY * 2];
    struct stat st;

    if (fstat(s->dirfd, &st) == 0 && (st.st_mode & 077) != 0) {
        snprintf(msg, sizeof msg, "the data directory is open to other users "
                 "(mode %04o): chmod 700 %s", (unsigned)(st.st_mode & 07777),
                 s->dir);
        log_line(s, msg);
    }
    if (fstatat(s->dirfd, ST_STORE_META, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        (st.st_mode & 077) != 0) {
        snprintf(msg, sizeof msg, "%s, which holds the secret bucketing key, "
                 "is open to other users (mode %04o): chmod 600 %s/%s",
                 ST_STORE_META, (unsigned)(st.st_mode & 07777), s->dir,
                 ST_STORE_META);
        log_line(s, msg);
    }
}

int st_store_open(const char *dir, const st_store_opts *opts,
                   st_store **out, char *why, size_t why_len)
{
    st_store *s;
    int rc;

    *out = NULL;
    if (dir == NULL || make_dirs(dir) != 0) {
        snprintf(why, why_len, "cannot create the data directory %s: %s",
                 dir ? dir : "(none)", strerror(errno));
        return AM_ERR_IO;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(why, why_len, "out of memory");
        return AM_ERR_NOMEM;
    }
    s->dirfd = s->lockfd = s->jfd = -1;
    if (opts)
        s->opts = *opts;
    else
        st_store_opts_default(&s->opts);
    if (s->opts.max_file == 0)
        s->opts.max_file = ST_STORE_MAX_FILE;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->save_mu, NULL);
    js_buf_init(&s->pending);
    s->dir = realpath(dir, NULL);
    if (s->dir == NULL ||
        (s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        snprintf(why, why_len, "%s is not a usable directory: %s", dir,
                 strerror(errno));
        rc = AM_ERR_IO;
        goto fail;
    }
    if ((rc = check_writable(s, why, why_len)) != AM_OK ||
        (rc = lock_dir(s, why, why_len)) != AM_OK)
        goto fail;
    remove_stale_temps(s);
    warn_if_open(s);
    *out = s;
    return AM_OK;
fail:
    st_store_close(s);
    return rc;
}

static int flush_locked(st_store *s);

void st_store_close(st_store *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    flush_locked(s);
    if (s->jfd >= 0)
        close(s->jfd);
    pthread_mutex_unlock(&s->mu);
    if (s->lockfd >= 0)
        close(s->lockfd);       /* releases the flock */
    if (s->dirfd >= 0)
        close(s->dirfd);
    js_buf_free(&s->pending);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->save_mu);
    free(s->dir);
    free(s);
}

const char *st_store_dir(const st_store *s)
{
    return s->dir;
}

/* --------------------------------------------------------------- meta */

static int fresh_key(uint8_t key[16])
{
    size_t got = 0;

    while (got < 16) {
        ssize_t n = getrandom(key + got, 16 - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return AM_ERR_IO;
        got += (size_t)n;
    }
    return AM_OK;
}

static int write_meta(st_store *s, const st_meta *m)
{
    char why[WHY];
    size_t len;
    char *text = st_meta_text(m, &len);
    int rc;

    if (text == NULL)
        return AM_ERR_NOMEM;
    rc = st_fs_write_atomic(s->dirfd, ST_STORE_META, text, len, why,
                             sizeof why);
    free(text);
    if (rc != AM_OK)
        report(s, 0, "%s", why);
    return rc;
}

int st_store_config(st_store *s, am_config *cfg)
{
    char *text = NULL, why[WHY];
    size_t len;
    int rc = st_fs_read(s->dirfd, s->dir, ST_STORE_META, s->opts.max_file,
                         &text, &len, why, sizeof why);

    if (rc == AM_OK) {
        rc = st_meta_parse(text, len, &s->meta, why, sizeof why);
        free(text);
    }
    s->meta_ok = rc == AM_OK;
    if (rc != AM_OK && rc != AM_ERR_NOTFOUND) {
        set_aside(s, ST_STORE_META, why, NULL);
        s->config_corrupt++;
    }
    if (!s->meta_ok) {
        /* A new secret, on disk before any peer is placed with it. */
        memset(&s->meta, 0, sizeof s->meta);
        if (fresh_key(s->meta.key) != AM_OK)
            return AM_ERR_IO;
        s->meta.new_buckets =
            st_meta_size_ok(cfg->new_buckets) ? cfg->new_buckets : 1024;
        s->meta.tried_buckets =
            st_meta_size_ok(cfg->tried_buckets) ? cfg->tried_buckets : 256;
        s->meta.next_id = 1;
        if ((rc = write_meta(s, &s->meta)) != AM_OK)
            return AM_ERR_IO;
    }
    if (!s->opts.keep_sizes) {
        cfg->new_buckets = s->meta.new_buckets;
        cfg->tried_buckets = s->meta.tried_buckets;
    }
    cfg->have_key = 1;
    memcpy(cfg->key, s->meta.key, sizeof cfg->key);
    s->configured = 1;
    return AM_OK;
}

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
        set_aside(s, ST_STORE_BANS, why, rep);
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
        set_aside(s, ST_STORE_PEERS, why, rep);
        return rc == AM_ERR_NOMEM ? rc : AM_OK;
    }
    rc = st_floresta_read(text, len, doc, r);
    st_fs_unmap(text, len);
    rep->entry_errors += r->n_errors;
    if (r->unreadable) {
        set_aside(s, ST_STORE_PEERS, r->why, rep);
    } else if (r->n_errors > 0) {
        snprintf(why, sizeof why, "%zu unreadable entries (first: entry %zu: "
                 "%s)", r->n_errors, r->errors_kept ? r->errors[0].index : 0,
                 r->errors_kept ? r->errors[0].message : "?");
        set_aside(s, ST_STORE_PEERS, why, rep);
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

static void journal_name(char *buf, size_t len, uint64_t gen)
{
    snprintf(buf, len, JOURNAL_PREFIX "%" PRIu64, gen);
}

/* "journal.<decimal>" exactly: 1 with *gen. */
static int journal_gen_of(const char *name, uint64_t *gen)
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
        if (!journal_gen_of(de->d_name, &g))
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
        report(s, 0, "%s: cannot cut the torn tail: %s", name,
               strerror(errno));
    else
        report(s, 0, "%s: torn tail of %zu bytes at offset %zu cut off", name,
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

    journal_name(name, sizeof name, gen);
    rc = st_fs_read(s->dirfd, s->dir, name, SIZE_MAX / 2, &data, &len, why,
                     sizeof why);
    if (rc != AM_OK) {
        if (rc != AM_ERR_NOTFOUND)
            set_aside(s, name, why, rep);
        return rc == AM_ERR_NOMEM ? rc : AM_OK;
    }
    rc = st_journal_replay(m, (const uint8_t *)data, len, valid, &rp);
    rep->journal_records += rp.records;
    rep->journal_failed += rp.failed;
    if (rc == AM_ERR_MALFORMED) {
        set_aside(s, name, "not a journal (bad header)", rep);
    } else if (rc == AM_OK && rp.status == ST_JREAD_TORN) {
        rep->torn = 1;
        cut_torn_tail(s, name, rp.good_end, len);
    } else if (rc == AM_OK && rp.status == ST_JREAD_CORRUPT) {
        snprintf(why, sizeof why, "broken record at offset %zu (%zu whole "
                 "records before it kept)", rp.good_end, rp.records);
        set_aside(s, name, why, rep);
        if (st_fs_write_atomic(s->dirfd, name, data, rp.good_end, why,
                                sizeof why) != AM_OK)
            report(s, 0, "%s", why);
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

static void delete_journals_before(st_store *s, uint64_t gen)
{
    uint64_t *gens;
    size_t n;
    char name[64];

    if (list_journals(s, &gens, &n) != AM_OK)
        return;
    for (size_t i = 0; i < n && gens[i] < gen; i++) {
        journal_name(name, sizeof name, gens[i]);
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

    journal_name(name, sizeof name, s->gen);
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

/* ------------------------------------------------------------ journal */

/* Write the pending records.  Under s->mu. */
static int flush_locked(st_store *s)
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
            rc = flush_locked(s);
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
        rc = flush_locked(s);
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
    flush_locked(s);
    journal_name(name, sizeof name, gen);
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
    report(s, 0, "snapshot failed: %s", why);
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
    rc = st_floresta_export(m, &snap->peers, &snap->peers_len, &snap->count);
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
    if (peers)
        *peers = snap->count;
    pthread_mutex_lock(&s->save_mu);
    if (snap->gen > s->committed_gen) {
        rc = write_snapshot(s, snap, why);
        if (rc == AM_OK) {
            s->committed_gen = snap->gen;
            delete_journals_before(s, snap->gen);
        }
    }
    pthread_mutex_unlock(&s->save_mu);
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

/* -------------------------------------------------------------- files */

int st_store_read_file(st_store *s, const char *name, char **out,
                        size_t *len, char *why, size_t why_len)
{
    return st_fs_read(s->dirfd, s->dir, name, s->opts.max_file, out, len,
                       why, why_len);
}

/* Files the store writes itself: nobody else may replace them. */
static int is_own_file(const char *name)
{
    uint64_t g;

    return strcmp(name, ST_STORE_PEERS) == 0 ||
           strcmp(name, ST_STORE_BANS) == 0 ||
           strcmp(name, ST_STORE_META) == 0 ||
           strcmp(name, ST_STORE_LOCK) == 0 || journal_gen_of(name, &g);
}

int st_store_write_file(st_store *s, const char *name, const void *data,
                         size_t len, char *why, size_t why_len)
{
    int rc = st_fs_check_name(name, why, why_len);

    if (rc != AM_OK)
        return rc;
    if (is_own_file(name)) {
        snprintf(why, why_len, "%s is written by snapshots only", name);
        return AM_ERR_INVAL;
    }
    return st_fs_write_atomic(s->dirfd, name, data, len, why, why_len);
}

int st_store_load_read(st_store *s, const char *name, st_doc *doc,
                       st_merge_result *r)
{
    char why[WHY], *text = NULL;
    size_t len;
    int rc = st_fs_read(s->dirfd, s->dir, name, s->opts.max_file, &text,
                        &len, why, sizeof why);

    if (rc != AM_OK) {
        /* Not renamed: the name may be anything the client sent (a
         * directory of the user's), only content problems set a file
         * aside. */
        st_merge_unreadable(r, "%s", why);
        return rc;
    }
    rc = st_floresta_read(text, len, doc, r);
    free(text);
    if (r->unreadable)
        set_aside(s, name, r->why, NULL);
    return rc;
}

void st_store_load_done(st_store *s, const char *name,
                        const st_merge_result *r)
{
    char why[WHY];

    if (r->unreadable || r->n_errors == 0)
        return;
    snprintf(why, sizeof why, "%zu unreadable entries (first: entry %zu: "
             "%s)", r->n_errors, r->errors_kept ? r->errors[0].index : 0,
             r->errors_kept ? r->errors[0].message : "?");
    set_aside(s, name, why, NULL);
}

int st_store_load_file(st_store *s, am_man *m, const char *name,
                       st_merge_result *r)
{
    st_merge_opts opts = {0, st_store_on_change, s, ST_MERGE_ALL};
    st_doc doc;
    int rc, brc;

    st_doc_init(&doc);
    rc = st_store_load_read(s, name, &doc, r);
    if (rc == AM_OK) {
        st_store_batch_begin(s);
        rc = st_merge_doc(m, &doc, &opts, r);
        brc = st_store_batch_end(s);
        if (rc == AM_OK)
            rc = brc;
        st_store_load_done(s, name, r);
    }
    st_doc_free(&doc);
    return rc;
}

/* -------------------------------------------------------------- stats */

void st_store_stats_get(st_store *s, st_store_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->st;
    pthread_mutex_unlock(&s->mu);
}

int st_store_ready(st_store *s, char *why, size_t why_len)
{
    int ok = 0;

    pthread_mutex_lock(&s->mu);
    if (!s->loaded)
        snprintf(why, why_len, "the data directory is not loaded yet");
    else if (s->jfd < 0 || s->jbroken)
        snprintf(why, why_len, "the journal cannot be written");
    else if (faccessat(s->dirfd, ".", W_OK, 0) != 0)
        snprintf(why, why_len, "%s is not writable", s->dir);
    else
        ok = 1;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

void st_store_last_problem(st_store *s, char *buf, size_t len)
{
    pthread_mutex_lock(&s->mu);
    snprintf(buf, len, "%s", s->problem);
    pthread_mutex_unlock(&s->mu);
}
