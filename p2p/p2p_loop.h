/*
 * p2p_loop.h - what the P2P face and the prober share to run: a libuv loop
 * in a thread of its own, a cheap random number generator, and the head
 * of a Prometheus series.
 *
 * A p2p_loop is made (p2p_loop_init), given its stop callback
 * (p2p_loop_on_stop), started (p2p_loop_start: a thread, P2P_LOOP_NICE
 * nicer than the daemon) and stopped from another thread
 * (p2p_loop_stop): the callback runs on the loop thread, closes every
 * handle of its owner, and the loop ends once they are closed.  A loop
 * never started is stopped the same way, on the caller's thread.
 *
 * THREADS: init, on_stop, start and stop are called by one thread; the
 * loop's handles belong to the loop thread once it runs.
 */
#ifndef P2P_LOOP_H
#define P2P_LOOP_H

#include <stdint.h>
#include <uv.h>

#include "js_buf.h"

/* The loop threads run this much nicer than the daemon: P2P work takes
 * the CPU that HTTP leaves. */
#define P2P_LOOP_NICE 10

typedef void (*p2p_loop_stop_fn)(void *data);

typedef struct p2p_loop {
    uv_loop_t uv;
    uv_async_t stop;
    uv_thread_t thread;
    p2p_loop_stop_fn on_stop;
    void *data;
    int has_stop, started, stopped;
} p2p_loop;

/* The libuv loop: AM_OK, or AM_ERR_NOMEM. */
int p2p_loop_init(p2p_loop *l);
/* The stop handle, calling fn(data) on the loop thread at the stop. */
void p2p_loop_on_stop(p2p_loop *l, p2p_loop_stop_fn fn, void *data);
/* Run the loop in a new thread: AM_OK, or AM_ERR_IO (nothing runs). */
int p2p_loop_start(p2p_loop *l);
/* Stop (the callback closes its owner's handles), join the thread, close
 * the loop.  A second call does nothing. */
void p2p_loop_stop(p2p_loop *l);
/* For a set-up that failed before on_stop: run the loop until the
 * handles the caller closed are gone, then close it. */
void p2p_loop_close(p2p_loop *l);

/* xorshift64* (state never 0): nonces and lifetimes need no more. */
uint64_t p2p_rand64(uint64_t *state);
/* A seed from getrandom(), else from the clock and `salt`; never 0. */
uint64_t p2p_rand_seed(const void *salt);

/* "# HELP name help\n# TYPE name type\n" */
void p2p_metric_head(js_buf *b, const char *name, const char *type,
                     const char *help);

#endif
