/*
 * it_fake.h - fake Bitcoin peers on loopback, for the prober's tests.
 *
 * it_fakes_start opens one listening socket per fake, each on its own
 * loopback IPv4 address (any 127.x.y.z works on Linux without setup; the
 * port is the kernel's choice), so a test can put fakes in distinct /16s
 * (127.A.B.x).  One background thread serves every fake with poll(); the
 * fakes speak P2P v1 with p2p/'s codecs (p2p_frame.h, p2p_msg.h) on the
 * chain given to it_fakes_start.
 *
 * Each fake counts what the prober sent it and records every connection it
 * accepted with its open and close times (CLOCK_MONOTONIC, ms), so a test
 * can check the prober's concurrency and per-group limits afterwards.  The
 * stats are read under a mutex: any thread may read them while the fakes
 * run.  it_fakes_start raises RLIMIT_NOFILE to its hard limit, as a
 * thousand fakes need a thousand listening sockets plus their connections.
 */
#ifndef IT_FAKE_H
#define IT_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "chain.h"
#include "p2p_msg.h"

#define IT_FAKE_PROTOCOL 70016
#define IT_FAKE_USER_AGENT "/fake:1/"

typedef enum it_fake_mode {
    IT_FAKE_GOOD,        /* waits for the prober's version; sends its version
                            (protocol 70016 or spec.protocol, spec.services,
                            user agent "/fake:1/"), then sendaddrv2 if
                            spec.addrv2, then verack; after the prober's
                            verack it answers getaddr with spec.answer
                            (addrv2 when the prober sent sendaddrv2 and
                            spec.addrv2, else addr without the entries v1
                            cannot carry: Tor v3, I2P, CJDNS; time = now,
                            services 9) and ping with pong; a version that
                            does not parse, or a stream p2p_reader refuses,
                            closes the connection */
    IT_FAKE_SLOW,        /* GOOD, but every reply waits spec.delay_ms first */
    IT_FAKE_GARBAGE,     /* on accept sends 64 random bytes, then reads and
                            never answers */
    IT_FAKE_WRONG_MAGIC, /* GOOD, but its messages carry another chain's magic
                            (main's when the fakes' chain is not main, else
                            regtest's) */
    IT_FAKE_SILENT,      /* accepts, reads, never writes */
    IT_FAKE_RESET,       /* accepts and closes at once */
    IT_FAKE_NO_ACCEPT,   /* listens with backlog 0 and never accepts; at start
                            it fills its accept queue with a connection of
                            its own, so the kernel drops every SYN and each
                            connect hangs (a blackhole) */
    IT_FAKE_CLOSED       /* nothing listens on its port: connects are refused */
} it_fake_mode;

typedef struct it_fake_spec {
    it_fake_mode mode;
    const char *host;          /* "127.A.B.C"; NULL: "127.0.0.1" */
    uint64_t services;         /* in its version */
    int32_t protocol;          /* 0: 70016 */
    int addrv2;                /* sends sendaddrv2 */
    int delay_ms;              /* IT_FAKE_SLOW */
    const char *const *answer; /* getaddr answer, "host:port" each (IPv4,
                                  IPv6, x.onion:port ...); read at start */
    size_t n_answer;
} it_fake_spec;

typedef struct it_fake_stats {
    unsigned connections;      /* accepted */
    unsigned versions, veracks, sendaddrv2s, getaddrs; /* received from the
                                 prober; only GOOD, SLOW and WRONG_MAGIC read
                                 messages, the other modes count none */
    p2p_version version;       /* the last version received */
    unsigned answered;         /* getaddr answers sent */
} it_fake_stats;

typedef struct it_fakes it_fakes;

/*
 * Start n fakes for `chain`; NULL with a message on stderr when a socket
 * cannot be made, a host is not an IPv4 address, an answer does not parse
 * (am_addr_parse, the chain's port when it has none) or there are more
 * than 1000, or the thread cannot start.  The specs and their strings
 * are copied (the answers as parsed addresses).
 */
it_fakes *it_fakes_start(const am_chain *chain, const it_fake_spec *specs,
                         size_t n);
/* Fake i's port (for IT_FAKE_CLOSED a port nothing listens on). */
uint16_t it_fakes_port(const it_fakes *f, size_t i);
const char *it_fakes_host(const it_fakes *f, size_t i);
/* "host:port" of fake i into buf. */
void it_fakes_endpoint(const it_fakes *f, size_t i, char *buf, size_t len);
void it_fakes_stats(it_fakes *f, size_t i, it_fake_stats *out);
/*
 * Connections accepted by fake i, each with its open and close time (ms of
 * CLOCK_MONOTONIC; close 0 while open), in accept order: up to cap into
 * opened[]/closed[] (either may be NULL when cap is 0); returns how many
 * there were.
 */
size_t it_fakes_contacts(it_fakes *f, size_t i, int64_t *opened,
                         int64_t *closed, size_t cap);
/* The most connections open at one time among fakes idx[0..n) (idx NULL:
 * all fakes), in the order the fakes' thread saw the opens and closes (it
 * handles the closes a poll reports before its accepts, so a connection
 * closed before another was made never overlaps it). */
unsigned it_fakes_max_open(it_fakes *f, const size_t *idx, size_t n);
/* Stops the thread (joined), closes every socket, frees f (NULL is fine). */
void it_fakes_stop(it_fakes *f);

/* The current CLOCK_MONOTONIC time in ms, the clock of the contacts. */
int64_t it_fakes_now_ms(void);

#endif
