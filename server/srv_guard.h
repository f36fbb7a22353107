/*
 * srv_guard.h - what libmicrohttpd 0.9.75 does not do for the server:
 * refuse connections past the limit at once, and cut off slow clients.
 *
 * Connection limit: libmicrohttpd stops accepting at its limit, so extra
 * clients wait in the kernel's queue for as long as it takes.  The guard
 * counts open connections itself (libmicrohttpd's connection
 * notifications) and its accept policy closes a new connection at once
 * when `max_connections` are open.  The count is read without the accept
 * path's lock, so with several polling threads a burst may pass the limit
 * by up to one connection per thread.
 *
 * Slow clients: libmicrohttpd's timeout only counts idle time, so a
 * client that sends one byte a second keeps its connection forever.  The
 * guard gives each request `timeout` seconds from the moment the
 * connection began waiting for it (opened, or the previous answer done)
 * until its headers and body have arrived, plus one second per KiB of
 * body received (a large upload on a slow link is not cut for its size).
 * A watchdog thread shuts down the socket of a request past its deadline;
 * libmicrohttpd then closes the connection as it does for a reset.
 * timeout 0 disables the deadline.
 *
 * THREADS: every function may be called from any thread.
 */
#ifndef SRV_GUARD_H
#define SRV_GUARD_H

#include <stddef.h>

typedef struct srv_guard srv_guard;
typedef struct srv_guard_conn srv_guard_conn;

/* 0, or -1 (out of memory, or the thread could not start). */
int srv_guard_start(unsigned max_connections, unsigned timeout,
                    srv_guard **out);
/* Stop the watchdog and free what is left (call after the daemon stops). */
void srv_guard_stop(srv_guard *g);

/* 1 when one more connection may be accepted. */
int srv_guard_may_accept(srv_guard *g);
/* A connection opened on socket fd: its record (NULL out of memory: the
 * connection is then only counted). */
srv_guard_conn *srv_guard_opened(srv_guard *g, int fd);
/* It closed: forget it (c may be NULL).  Before libmicrohttpd closes fd. */
void srv_guard_closed(srv_guard *g, srv_guard_conn *c);

/* A request's body bytes arrived. */
void srv_guard_body(srv_guard *g, srv_guard_conn *c, size_t n);
/* The request is complete and being answered: no deadline until... */
void srv_guard_answering(srv_guard *g, srv_guard_conn *c);
/* ...the answer is done and the connection waits for the next request. */
void srv_guard_waiting(srv_guard *g, srv_guard_conn *c);

#endif
