/*
 * it_socks5.h - a SOCKS5 proxy of the tests' own (RFC 1928, CONNECT only).
 *
 * It listens on 127.0.0.1 at a kernel-chosen port, offers no
 * authentication (a greeting without method 00 gets FF and is closed), and
 * serves CONNECT only (another command: reply 7).  A name (ATYP 3) is
 * looked up in its map (a name not mapped: reply 4, host unreachable); an
 * IPv4 or IPv6 address is connected to directly (refused: reply 5).  The
 * connect is blocking, with a 2 s timeout (reply 4 on timeout).  After the
 * reply (BND 0.0.0.0:0) it relays bytes both ways until either side
 * closes.  One thread of its own serves every client with poll().
 * Thread-safe: map and requests may be called while it runs.
 */
#ifndef IT_SOCKS5_H
#define IT_SOCKS5_H

#include <stdint.h>

typedef struct it_socks5 it_socks5;

/* Started, or NULL with a message on stderr. */
it_socks5 *it_socks5_start(void);
/* name -> host:port (host an IPv4 or IPv6 literal); a name mapped again
 * is remapped.  0, or -1 for a bad argument or no memory. */
int it_socks5_map(it_socks5 *s, const char *name, const char *host,
                  uint16_t port);
/* CONNECT to that name is answered with reply `rep` (1..255: 3 network
 * unreachable, 4 host unreachable, ...), until it is mapped.  0 or -1. */
int it_socks5_refuse(it_socks5 *s, const char *name, int rep);
uint16_t it_socks5_port(const it_socks5 *s);
/* CONNECT requests received for that name (NULL: all requests, by name or
 * by address). */
unsigned it_socks5_requests(it_socks5 *s, const char *name);
/* Stops the thread (joined), closes every socket, frees s (NULL is fine). */
void it_socks5_stop(it_socks5 *s);

#endif
