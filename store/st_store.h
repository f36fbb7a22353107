/*
 * st_store.h - the data directory: snapshot files, journal, locking.
 *
 * Files of the directory:
 *   peers.json      every peer, Floresta's format with our keys
 *                   (st_floresta.h): a Floresta node can use it as it is
 *   bans.json       the ban list (st_bansfile.h)
 *   addrmand.json   our metadata: key, table sizes, next id, the journal
 *                   generation the snapshot continues in (st_meta.h)
 *   journal.<gen>   the changes acknowledged since the snapshot
 *                   (st_journal.h); <gen> grows by one per snapshot
 *   anchors.json    written on request (st_store_write_file)
 *   addrmand.lock   flock()ed while a store has the directory open
 * Every file is created with mode 0600: the key must stay secret.
 *
 * Snapshot: peers.json, bans.json, then addrmand.json, each written
 * atomically (st_fsio.h); the journal restarts at each snapshot.  The
 * snapshot is taken in two steps so that the lock is held only for a
 * copy: begin (under the lock) copies every peer (st_floresta_copy: some
 * 25 ms for 100 000 peers, against several times that for their text),
 * builds the small texts of the bans and the metadata and switches appends
 * to a new journal, journal.<gen+1>; commit (no lock) writes the peers'
 * text and the files, the metadata last, and only then deletes the
 * journals older than <gen+1>.  A crash anywhere in between leaves the old metadata pointing at
 * an older journal that still exists: start-up replays every journal from
 * the metadata's generation on, so nothing acknowledged is lost (records
 * are idempotent, see st_journal.h).
 *
 * Start-up, in two steps because the key and the table sizes must be known
 * before am_new():
 *   st_store_open()    create the directory if missing (mode 0700, as
 *                       are missing parents), check it is writable, lock
 *                       it (a second server on the same directory gets
 *                       AM_ERR_EXISTS), warn (opts.log) when the
 *                       directory or addrmand.json is open to others;
 *   st_store_config()  read addrmand.json into the am_config (key, sizes;
 *                       a fresh random key, written at once, when absent);
 *   am_new(cfg)
 *   st_store_load()    bans.json, peers.json (ids and slots restored), the
 *                       id counter, the journals; then a snapshot, so the
 *                       directory is tidy and the journal starts empty --
 *                       unless the start is clean (our own snapshot read
 *                       whole with valid slots, one empty journal, nothing
 *                       set aside: a clean shutdown), when appends simply
 *                       go on in that journal.
 * A file that cannot be read (not JSON, wrong types, impossible values,
 * truncated, a directory in its place) is renamed to
 * "<name>.corrupt-<unix time>" and never overwritten; the problem is logged
 * (file and reason) and counted, and loading goes on with what can be
 * recovered.  A peers.json or bans.json with some unreadable entries loads
 * the others and is renamed aside too.  A torn journal tail is cut off;
 * a journal broken in the middle keeps its whole records before the break,
 * its file is renamed aside and the good part written back.
 *
 * Durability (fsync mode): "never" (default): a change is write()n to the
 * journal before the reply, so it survives a crash of the process;
 * "always": each append is also fdatasync()ed (survives a power cut).
 * Snapshots are always fsync'ed.
 *
 * LOCKING -- the store never takes the core lock (it does not know it):
 *   under the caller's core lock (they read or change the core, or their
 *   records must be in the same order as the core's changes):
 *     st_store_load, st_store_snapshot_begin, st_store_save,
 *     st_store_journal_* (all), st_store_batch_begin/end,
 *     st_store_watch_begin/end, st_store_on_change, st_store_load_file;
 *   without the core lock (file I/O only; the store's own mutexes):
 *     st_store_snapshot_commit, st_store_read_file, st_store_write_file,
 *     st_store_stats_get, st_store_ready, st_store_last_problem;
 *   before any other thread starts / after they stop:
 *     st_store_open, st_store_config, st_store_close.
 * Any thread may call the store: it serializes itself.
 */
#ifndef ST_STORE_H
#define ST_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "addrman.h"
#include "st_lock.h"
#include "st_merge.h"

#define ST_STORE_PEERS "peers.json"
#define ST_STORE_BANS "bans.json"
#define ST_STORE_META "addrmand.json"
#define ST_STORE_ANCHORS "anchors.json"
#define ST_STORE_LOCK "addrmand.lock"
#define ST_STORE_MAX_FILE ((size_t)1 << 30)

typedef struct st_store st_store;
typedef struct st_snapshot st_snapshot;

/* Where problems found in the directory are reported (one line each, no
 * newline).  Called from whichever thread found the problem, with no lock
 * of the store held; it may run concurrently with itself. */
typedef void (*st_store_log_fn)(void *ctx, const char *msg);

typedef struct st_store_opts {
    int fsync_always;        /* fdatasync each journal append */
    int keep_sizes;          /* the caller's table sizes win over the saved
                              * ones (a resize: peers get fresh slots) */
    size_t max_file;         /* largest file read; ST_STORE_MAX_FILE */
    st_store_log_fn log;    /* NULL: stderr */
    void *log_ctx;
} st_store_opts;

typedef struct st_store_report {
    size_t peers;            /* peers in the core after loading */
    size_t bans;             /* bans in the core after loading */
    size_t peers_read;       /* restored from peers.json */
    size_t peers_ignored;    /* ... skipped (unroutable, Tor v2, no slot) */
    size_t peers_ignored_by[ST_IGN_COUNT];  /* ... by reason */
    size_t entry_errors;     /* unreadable entries of peers.json/bans.json */
    size_t peers_refused;    /* readable saved peers the merge refused as
                              * invalid (port 0 outside I2P): dropped, and
                              * a start-up snapshot is written without them */
    size_t journal_records;  /* replayed */
    size_t journal_failed;   /* ... that the core did not take */
    size_t corrupt;          /* files renamed aside */
    int torn;                /* a torn journal tail was cut off */
    int saved;               /* the closing snapshot was written (0 also
                              * after a clean start, which needs none) */
} st_store_report;

typedef struct st_store_stats {
    int64_t last_save;          /* Unix time of the last snapshot, 0 never */
    uint64_t saves;             /* snapshots written */
    uint64_t save_failures;
    uint64_t journal_bytes;     /* size of the current journal */
    uint64_t journal_records;   /* records in it (since the snapshot) */
    uint64_t journal_failures;  /* appends that failed */
    uint64_t corrupt_files;     /* files renamed aside */
    uint64_t generation;        /* current journal generation */
    size_t last_peers;          /* peers in the last snapshot */
} st_store_stats;

void st_store_opts_default(st_store_opts *o);

/* AM_OK; AM_ERR_EXISTS when another process holds the directory;
 * AM_ERR_IO (not creatable, not a directory, not writable); why set. */
int st_store_open(const char *dir, const st_store_opts *opts,
                   st_store **out, char *why, size_t why_len);
/* Flushes and closes the journal and releases the directory lock. */
void st_store_close(st_store *s);
/* The directory's resolved path. */
const char *st_store_dir(const st_store *s);

/* Fill cfg->key/have_key and (unless keep_sizes) the table sizes from
 * addrmand.json, creating it with a fresh key when absent or unreadable.
 * AM_OK or AM_ERR_IO. */
int st_store_config(st_store *s, am_config *cfg);

/* Load everything into a new, empty core (see above).  AM_OK unless the
 * journal cannot be opened for appending (AM_ERR_IO) or memory runs out;
 * unreadable files are not errors.  rep is optional. */
int st_store_load(st_store *s, am_man *core, st_store_report *rep);

/* Snapshot, step 1 (core lock): a copy of the peers, the texts of the bans
 * and the metadata, and appends go to a new journal.
 * AM_OK, AM_ERR_NOMEM, AM_ERR_IO (the journal could not be created; then
 * nothing changed). */
int st_store_snapshot_begin(st_store *s, am_man *core, st_snapshot **out);
/* Step 2 (no core lock): the peers' text, then the files.  Frees snap.  *peers (optional)
 * gets the peer count.  AM_OK, AM_ERR_NOMEM or AM_ERR_IO (counted, logged; the journals
 * are kept, so nothing is lost).  A snapshot older than one already
 * committed is dropped (AM_OK). */
int st_store_snapshot_commit(st_store *s, st_snapshot *snap,
                              size_t *peers);
/* Both steps at once (core lock held for the file I/O too). */
int st_store_save(st_store *s, am_man *core, size_t *peers);

/*
 * Journal one acknowledged change, before replying (core lock).  AM_OK;
 * AM_ERR_IO when it could not be written (the change is in memory but not
 * durable: answer io_error); AM_ERR_INVAL before st_store_load.
 * journal_peer writes the peer as it is now, or its removal when it is gone.
 */
int st_store_journal_peer(st_store *s, am_man *core, uint64_t id);
int st_store_journal_remove(st_store *s, uint64_t id);
int st_store_journal_ban(st_store *s, const am_ban *ban);
int st_store_journal_unban(st_store *s, const am_subnet *target);
int st_store_journal_unban_all(st_store *s);
/* Group the appends until batch_end into one write (and one fsync): for a
 * request that changes many peers.  batch_end returns the write's result. */
void st_store_batch_begin(st_store *s);
int st_store_batch_end(st_store *s);
/*
 * Peers the core moves on its own.  A call that settles tried-table
 * collisions (am_set_state, am_select, am_resolve_collisions) may move a
 * waiting newcomer into tried and push the old occupant back to new;
 * replaying the newcomer's record repeats the push, so journalling the
 * newcomers that moved keeps a restart exact.  Around such a call (core
 * lock held):
 *     st_store_watch w;
 *     st_store_watch_begin(core, &w);
 *     am_select(core, ...);
 *     st_store_watch_end(store, core, &w);   (journals what moved)
 * Without it nothing is lost: the next snapshot has the true places.
 */
typedef struct st_store_watch {
    size_t n;
    uint64_t ids[AM_MAX_COLLISIONS];
} st_store_watch;

void st_store_watch_begin(am_man *core, st_store_watch *w);
int st_store_watch_end(st_store *s, am_man *core,
                        const st_store_watch *w);

/* An st_change_fn (st_merge.h) journalling what a merge changes; pass
 * the store as ctx. */
int st_store_on_change(void *store, am_man *core, uint64_t id,
                        const am_ban *ban);

/*
 * POST /v1/load: read a Floresta document of the directory and merge it,
 * journalling every change (core lock held throughout).  AM_OK with r
 * filled; AM_ERR_INVAL (bad name: r->why), AM_ERR_NOTFOUND,
 * AM_ERR_MALFORMED (unreadable document: r->why), AM_ERR_IO (r->why),
 * AM_ERR_TOOMANY.  A file with unreadable content is renamed aside.
 */
int st_store_load_file(st_store *s, am_man *core, const char *name,
                        st_merge_result *r);
/* The same in steps, for a caller that merges in slices (st_pool.h):
 * read and parse the document (no lock needed; an unreadable one is set
 * aside), merge it, then st_store_load_done sets the file aside when some
 * of its entries could not be read.  load_read's codes are load_file's. */
int st_store_load_read(st_store *s, const char *name, st_doc *doc,
                       st_merge_result *r);
void st_store_load_done(st_store *s, const char *name,
                        const st_merge_result *r);

/* A whole file of the directory (st_fs_read's rules and codes; why). */
int st_store_read_file(st_store *s, const char *name, char **out,
                        size_t *len, char *why, size_t why_len);
/* Replace a file of the directory atomically (anchors.json).  AM_OK,
 * AM_ERR_INVAL (bad name), AM_ERR_IO; why. */
int st_store_write_file(st_store *s, const char *name, const void *data,
                         size_t len, char *why, size_t why_len);

/* The lock its "under the core lock" functions are called with (st_pool
 * tells it; NULL: none known).  Debug builds assert it is held there. */
void st_store_set_lock(st_store *s, const st_lock *lock);

void st_store_stats_get(st_store *s, st_store_stats *out);
/* 1 when loaded, the journal writable and the directory writable; else 0
 * with the reason in why. */
int st_store_ready(st_store *s, char *why, size_t why_len);
/* The last problem reported (empty when none). */
void st_store_last_problem(st_store *s, char *buf, size_t len);

#endif
