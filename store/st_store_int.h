/*
 * st_store_int.h - what the parts of the data directory share (st_store.c:
 * opening, metadata, files, stats; st_store_load.c: start-up, replay;
 * st_store_write.c: journal appends, snapshots).  Not for other modules.
 */
#ifndef ST_STORE_INT_H
#define ST_STORE_INT_H

#include <assert.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "js_buf.h"
#include "st_meta.h"
#include "st_store.h"

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

/* A problem, logged (one line) and kept as the last problem; corrupt: a
 * file was set aside (counted). */
void st_store__report(st_store *s, int corrupt, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Rename a file that cannot be read to <name>.corrupt-<time>, never
 * overwriting it, and say why; rep (optional) counts it. */
void st_store__set_aside(st_store *s, const char *name, const char *reason,
                         st_store_report *rep);
/* Write the pending records (s->mu held). */
int st_store__flush_locked(st_store *s);
/* "journal.<gen>", and back: 1 with *gen when name is one. */
void st_store__journal_name(char *buf, size_t len, uint64_t gen);
int st_store__journal_gen_of(const char *name, uint64_t *gen);
/* Delete the journals older than gen (after a snapshot is committed). */
void st_store__delete_journals_before(st_store *s, uint64_t gen);

#endif
