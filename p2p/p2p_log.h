/*
 * p2p_log.h - what the P2P face and the prober share to report: the log
 * callback the daemon gives them, a printf-like line into it, and the
 * relaxed atomic counters behind their metrics.
 *
 * THREADS: the log callback is called on the loop thread that logs; a
 * counter is bumped by its loop thread and read by any thread (relaxed:
 * each value is a count of its own, no order between them is promised).
 */
#ifndef P2P_LOG_H
#define P2P_LOG_H

#include <stdatomic.h>
#include <stdint.h>

typedef enum p2p_log_level {
    P2P_LOG_DEBUG,
    P2P_LOG_INFO,
    P2P_LOG_WARN
} p2p_log_level;

/* One log line (no newline); called on the loop thread. */
typedef void (*p2p_log_fn)(void *ctx, p2p_log_level level, const char *line);

/* fn(ctx, level, the formatted line cut to P2P_LOG_LINE_MAX - 1 bytes);
 * nothing when fn is NULL. */
#define P2P_LOG_LINE_MAX 512
__attribute__((format(printf, 4, 5)))
void p2p_logf(p2p_log_fn fn, void *ctx, p2p_log_level level,
              const char *fmt, ...);

static inline void p2p_count_add(atomic_uint_fast64_t *a, uint64_t n)
{
    atomic_fetch_add_explicit(a, n, memory_order_relaxed);
}

static inline void p2p_count_sub(atomic_uint_fast64_t *a, uint64_t n)
{
    atomic_fetch_sub_explicit(a, n, memory_order_relaxed);
}

static inline uint64_t p2p_count_get(const atomic_uint_fast64_t *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

#endif
