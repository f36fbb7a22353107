/*
 * st_merge.h - applying peer records read from a file to the core.
 *
 * The Floresta and btcd readers (st_floresta.h, st_btcd.h) turn a
 * document into an st_doc: one st_rec per usable entry, each with its
 * index in the file.  st_merge_doc() applies them with the rules of
 * POST /v1/peers, and fills an st_merge_result with the same shape as that
 * answer: added / updated / ignored (by reason, st_ignore.h) and errors by
 * index.
 *
 * Rules for one record:
 *   - port 0 outside I2P (am_addr_port_usable): an error, invalid_address
 *     "address <endpoint> is not valid: port 0";
 *   - a known endpoint is refreshed with am_add (time, services OR-ed):
 *     "updated";
 *   - a new endpoint is put back with am_restore, so that its state,
 *     attempts, times and table survive (am_add would forget them):
 *       * "ours" (the entry carries addrmand's own keys): with its saved id
 *         when that id is free and, outside a snapshot restore, was never
 *         used by this pool (>= the id counter: ids are never reused), and
 *         with its saved slots (am_place); the core checks the slots are
 *         still its hashed slots and free;
 *       * otherwise with a fresh id and no place: a tried record goes to its
 *         tried slot when free, anything else to its own new slot;
 *     "added";
 *   - unroutable (an address the core does not admit, am_admits: loopback
 *     and private ones are kept when the core allows local addresses),
 *     banned (unless restoring our own snapshot), turned away by
 *     the tables (table_full, group_cap), a saved id or endpoint already
 *     taken (duplicate): "ignored" for that reason;
 *   - ban_until in the future (Floresta's {"Banned": t}): the single address
 *     is banned until then (reason "imported") and the entry is "ignored"
 *     (banned_entry).
 * Times of foreign records follow the adding rule of api/openapi.yaml: a time of 0,
 * <= 100000000 or over 10 minutes ahead is stored as now - 5 days.
 *
 * THREADS: st_merge_doc() uses the core: call it under the core lock.
 * Parsing (the readers) needs no lock.
 */
#ifndef ST_MERGE_H
#define ST_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "addrman.h"
#include "st_ignore.h"
#include "js_writer.h"

#define ST_MERGE_MAX_ERRORS 1000       /* detailed errors kept; all counted */
#define ST_MERGE_MSG_MAX 160
#define ST_BAN_REASON_IMPORTED "imported"

typedef struct st_rec {
    size_t index;               /* position of the entry in its document */
    am_addr addr;               /* with its port */
    int has_source;
    am_addr source;             /* host only */
    uint64_t services;
    am_state state;             /* never_tried, tried, connected or failed */
    int in_tried;               /* wants the tried table */
    int64_t time;
    int64_t last_connected;
    int64_t last_try;
    int64_t last_success;
    uint32_t attempts;
    int64_t ban_until;          /* Floresta's Banned(t); 0: none */
    int ours;                   /* id (and place when has_place) are ours */
    uint64_t id;
    int has_place;
    am_place place;
} st_rec;

typedef struct st_doc {
    st_rec *recs;
    size_t n, cap;
    size_t entries;             /* entries in the document, usable or not */
} st_doc;

void st_doc_init(st_doc *d);
void st_doc_free(st_doc *d);
/* Room for n records in all (a hint: AM_OK or AM_ERR_NOMEM, d unchanged
 * on failure). */
int st_doc_reserve(st_doc *d, size_t n);
/* A zeroed record appended to d (index set); NULL when memory runs out. */
st_rec *st_doc_push(st_doc *d, size_t index);

/* What is wrong with an entry that was not taken.  The answers name the
 * two with the codes of the HTTP contract (st_entry_err_name). */
typedef enum st_entry_err {
    ST_ENTRY_BAD = 0,           /* a value is missing, mistyped or out of
                                 * range: "bad_request" */
    ST_ENTRY_BAD_ADDRESS        /* the address is not valid:
                                 * "invalid_address" */
} st_entry_err;

/* "bad_request" or "invalid_address". */
const char *st_entry_err_name(st_entry_err e);

typedef struct st_merge_error {
    size_t index;
    st_entry_err code;
    char message[ST_MERGE_MSG_MAX];
} st_merge_error;

typedef struct st_merge_result {
    size_t added, updated, ignored;
    size_t ignored_by[ST_IGN_COUNT];   /* ignored, by reason; sums to it */
    size_t bans;                /* bans made from Banned entries */
    size_t n_errors;            /* all errors, detailed or not */
    st_merge_error *errors;    /* the first ST_MERGE_MAX_ERRORS */
    size_t errors_kept, errors_cap;
    int unreadable;             /* the document as a whole could not be read */
    char why[ST_MERGE_MSG_MAX];/* ... and why */
} st_merge_result;

void st_merge_result_init(st_merge_result *r);
void st_merge_result_free(st_merge_result *r);
/* Record an error of entry `index` (printf-style message). */
void st_merge_error_add(st_merge_result *r, size_t index, st_entry_err code,
                         const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* One entry ignored for `why` (the readers' skipped entries, the merge's). */
void st_merge_ignore(st_merge_result *r, st_ignore why);
/* The document is unreadable as a whole. */
void st_merge_unreadable(st_merge_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The answer of POST /v1/peers: {"added", "updated", "ignored",
 * "ignored_by", "errors"} (the errors kept; index, code, message). */
void st_merge_result_write(js_w *w, const st_merge_result *r);

/*
 * Called after each change a merge makes, while the core lock is held, so
 * that the store can journal it: a peer that was added or updated (`id`,
 * ban NULL), or a ban that was made (`ban`).  A non-zero return (AM_ERR_IO
 * when the journal cannot be written) stops the merge with that code.
 */
typedef int (*st_change_fn)(void *ctx, am_man *m, uint64_t id,
                             const am_ban *ban);

/* Which records a merge applies (start-up restores our own records,
 * replays the journal, and only then gives foreign records fresh ids, so
 * that they cannot take an id the journal speaks of). */
typedef enum st_merge_pass {
    ST_MERGE_ALL = 0,
    ST_MERGE_OURS = 1,
    ST_MERGE_FOREIGN = 2
} st_merge_pass;

typedef struct st_merge_opts {
    int snapshot;               /* restoring our own snapshot at startup:
                                 * saved peers come back even when banned */
    st_change_fn on_change;    /* optional */
    void *ctx;
    st_merge_pass pass;
} st_merge_opts;

/*
 * Apply every record of d (in order).  AM_OK (the counts and errors are in
 * r), or the error of on_change / AM_ERR_NOMEM, which stops the merge (the
 * records before stay applied).  Under the core lock.
 */
int st_merge_doc(am_man *m, const st_doc *d, const st_merge_opts *opts,
                  st_merge_result *r);

/* A codec's reader (st_floresta_read, st_btcd_read, ...): text[0..len)
 * into doc, entry errors and skipped entries into r. */
typedef int (*st_read_fn)(const char *text, size_t len, st_doc *doc,
                          st_merge_result *r);

/* Read a document with `read`, then st_merge_doc it.  Under the core
 * lock (one hold: st_pool_merge slices a parsed document instead). */
int st_merge_text(am_man *m, st_read_fn read, const char *text, size_t len,
                  const st_merge_opts *opts, st_merge_result *r);

/* The adding rule for a foreign time (see above). */
int64_t st_merge_fix_time(int64_t time, int64_t now);

#endif
