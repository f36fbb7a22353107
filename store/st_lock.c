/*
 * st_lock.c - a first-come, first-served lock (st_lock.h).
 */
#include "st_lock.h"

#include <assert.h>
#include <time.h>

#include "am_error.h"

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int st_lock_init(st_lock *l)
{
    l->next = l->serving = 0;
    l->waiting = 0;
    l->taken_ns = l->max_wait_ns = l->max_hold_ns = 0;
    l->takes = 0;
#ifndef NDEBUG
    l->held = 0;
#endif
    if (pthread_mutex_init(&l->m, NULL) != 0)
        return AM_ERR_NOMEM;
    if (pthread_cond_init(&l->turn, NULL) != 0) {
        pthread_mutex_destroy(&l->m);
        return AM_ERR_NOMEM;
    }
    return AM_OK;
}

void st_lock_destroy(st_lock *l)
{
    pthread_cond_destroy(&l->turn);
    pthread_mutex_destroy(&l->m);
}

void st_lock_take(st_lock *l)
{
    pthread_mutex_lock(&l->m);
    uint64_t ticket = l->next++;
    if (ticket == l->serving) {
        /* Free: no wait to time, one clock read (the hold's start). */
        l->taken_ns = now_ns();
    } else {
        int64_t asked = now_ns();

        l->waiting++;
        do
            pthread_cond_wait(&l->turn, &l->m);
        while (ticket != l->serving);
        l->waiting--;
        l->taken_ns = now_ns();
        if (l->taken_ns - asked > l->max_wait_ns)
            l->max_wait_ns = l->taken_ns - asked;
    }
    l->takes++;
#ifndef NDEBUG
    assert(!l->held);
    l->held = 1;
    l->owner = pthread_self();
#endif
    pthread_mutex_unlock(&l->m);
}

void st_lock_release(st_lock *l)
{
    int64_t held = now_ns();

    pthread_mutex_lock(&l->m);
    held -= l->taken_ns;
    if (held > l->max_hold_ns)
        l->max_hold_ns = held;
#ifndef NDEBUG
    assert(l->held && pthread_equal(l->owner, pthread_self()));
    l->held = 0;
#endif
    l->serving++;
    /* Every waiter wakes and the one whose ticket is served goes on; the
     * others wait again.  Waiters are few (one per busy HTTP thread). */
    if (l->waiting > 0)
        pthread_cond_broadcast(&l->turn);
    pthread_mutex_unlock(&l->m);
}

void st_lock_stats_get(st_lock *l, st_lock_stats *out, int reset)
{
    pthread_mutex_lock(&l->m);
    out->takes = l->takes;
    out->max_wait_s = (double)l->max_wait_ns / 1e9;
    out->max_hold_s = (double)l->max_hold_ns / 1e9;
    if (reset)
        l->takes = 0, l->max_wait_ns = l->max_hold_ns = 0;
    pthread_mutex_unlock(&l->m);
}

int st_lock_held(const st_lock *l)
{
#ifndef NDEBUG
    /* Read without the mutex: only the holder asks, and it wrote these
     * itself after taking the lock. */
    return l->held && pthread_equal(l->owner, pthread_self());
#else
    (void)l;
    return 1;
#endif
}
