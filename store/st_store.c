/*
 * st_store.c - the data directory (see st_store.h): opening and locking it,
 * its metadata and key, reading and replacing its files, and its figures.
 */
#include "st_store.h"
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

void st_store_set_lock(st_store *s, const st_lock *lock)
{
    s->lock = lock;
}

/* ------------------------------------------------------------ problems */

static void log_line(st_store *s, const char *msg)
{
    if (s->opts.log)
        s->opts.log(s->opts.log_ctx, msg);
    else
        fprintf(stderr, "addrmand: %s: %s\n", s->dir, msg);
}

/* Report a problem of the directory (takes the store's mutex). */
void st_store__report(st_store *s, int corrupt, const char *fmt, ...)
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
void st_store__set_aside(st_store *s, const char *name, const char *reason,
                         st_store_report *rep)
{
    char aside[ST_FS_NAME_MAX + 64], why[WHY];
    size_t nl = strlen(name);

    /* Reasons from st_fs_read start with the name already. */
    if (strncmp(reason, name, nl) == 0 && strncmp(reason + nl, ": ", 2) == 0)
        reason += nl + 2;
    if (st_fs_set_aside(s->dirfd, name, (int64_t)time(NULL), aside,
                         sizeof aside, why, sizeof why) == AM_OK)
        st_store__report(s, 1, "%s: %s; renamed to %s", name, reason, aside);
    else
        st_store__report(s, 1, "%s: %s; %s", name, reason, why);
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


void st_store_close(st_store *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    st_store__flush_locked(s);
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
        st_store__report(s, 0, "%s", why);
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
        st_store__set_aside(s, ST_STORE_META, why, NULL);
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
           strcmp(name, ST_STORE_LOCK) == 0 || st_store__journal_gen_of(name, &g);
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
        st_store__set_aside(s, name, r->why, NULL);
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
    st_store__set_aside(s, name, why, NULL);
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
