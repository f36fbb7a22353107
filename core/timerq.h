/*
 * timerq.h - a binary min-heap of (time, id) timers.
 *
 * The address manager parks failed peers here until their retry time has
 * passed.  Timers are never cancelled: when a peer's state changes the old
 * timer simply fires for nothing, and the owner checks on pop whether it
 * still means something.  That keeps every operation O(log n) with no
 * back-pointers to maintain.  Timers that can no longer mean anything are
 * dropped all at once by am_timerq_filter (the owner does so before the
 * queue would grow, so that it is bounded by what the owner keeps).
 */
#ifndef AM_TIMERQ_H
#define AM_TIMERQ_H

#include <stddef.h>
#include <stdint.h>

typedef struct am_timer {
    int64_t when;
    uint64_t id;
} am_timer;

typedef struct am_timerq {
    am_timer *items;
    size_t n, cap;
} am_timerq;

void am_timerq_init(am_timerq *q);
void am_timerq_free(am_timerq *q);
/* 0, or -1 when memory runs out. */
int am_timerq_push(am_timerq *q, int64_t when, uint64_t id);
/* Pop the earliest timer due at `now` (when <= now) into *out: 1, else 0. */
int am_timerq_pop_due(am_timerq *q, int64_t now, am_timer *out);
/* Room for `cap` timers without growing: 0, or -1 when memory runs out. */
int am_timerq_reserve(am_timerq *q, size_t cap);

/* Keep only the timers `keep` returns nonzero for (O(n), the order of the
 * kept ones restored); returns how many went.  The room stays allocated. */
typedef int (*am_timerq_keep_fn)(void *ctx, const am_timer *t);
size_t am_timerq_filter(am_timerq *q, am_timerq_keep_fn keep, void *ctx);

#endif
