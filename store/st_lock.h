/*
 * st_lock.h - the durable pool's one lock: first come, first served.
 *
 * Every core, pool and journal call of a face runs under this lock
 * (st_pool.h).  A plain mutex lets the thread that just released it take it
 * again before a waiter wakes up, so a long import that works in short
 * slices could still hold every select for its whole length.  This lock
 * hands itself to waiters in the order they came (a ticket lock over a
 * mutex and a condition variable): a call waits at most for the slices
 * queued before it.
 *
 * In builds without NDEBUG the lock knows its holder, and st_lock_held()
 * lets the functions documented "under the lock" assert it.
 *
 * It also keeps, for benchmarks and operators, the longest time a caller
 * waited for it and the longest time it was held (st_lock_stats): the
 * figures the slicing of long calls is there to bound.
 *
 * THREADS: any thread; a thread must not take the lock it holds.
 */
#ifndef ST_LOCK_H
#define ST_LOCK_H

#include <pthread.h>
#include <stdint.h>

typedef struct st_lock {
    pthread_mutex_t m;
    pthread_cond_t turn;
    uint64_t next;          /* the ticket the next caller gets */
    uint64_t serving;       /* the ticket that holds the lock */
    unsigned waiting;       /* callers waiting for their turn */
    int64_t taken_ns;       /* when the holder got it */
    int64_t max_wait_ns, max_hold_ns;
    uint64_t takes;
#ifndef NDEBUG
    int held;
    pthread_t owner;
#endif
} st_lock;

/* AM_OK or AM_ERR_NOMEM (nothing to destroy then). */
int st_lock_init(st_lock *l);
void st_lock_destroy(st_lock *l);
void st_lock_take(st_lock *l);
void st_lock_release(st_lock *l);
typedef struct st_lock_stats {
    uint64_t takes;             /* times the lock was taken */
    double max_wait_s;          /* longest wait for it */
    double max_hold_s;          /* longest hold */
} st_lock_stats;

/* The figures since the last reset (reset: start again from zero). */
void st_lock_stats_get(st_lock *l, st_lock_stats *out, int reset);

/* 1 when the calling thread holds the lock (always 1 with NDEBUG). */
int st_lock_held(const st_lock *l);

#endif
