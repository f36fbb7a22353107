/*
 * it_p2p.h - a small Bitcoin P2P v1 client for the integration tests of
 * the daemon's P2P face (--p2p-listen).
 *
 * The client frames messages with p2p/'s own codecs (p2p_frame_build and
 * the p2p_msg.h builders) and reads the daemon's answers with p2p_reader,
 * so a test speaks the wire exactly as a node would, byte for byte, and
 * can also send any bytes a hostile peer might.  Every wait has a timeout:
 * a daemon that stops answering fails the test, it never hangs it.
 *
 * Return conventions: the send functions give 0, or -1 once the daemon
 * has closed the connection (a hostile case expects that); the receive
 * functions give 1 with a message, 0 on a timeout, -1 on EOF or a stream
 * the reader refuses.
 */
#ifndef IT_P2P_H
#define IT_P2P_H

#include "harness.h"

#include "chain.h"
#include "p2p_frame.h"
#include "p2p_msg.h"

/* The version the tests announce and the one the daemon announces. */
#define IT_P2P_PROTOCOL 70016
#define IT_P2P_IO_TIMEOUT_MS (5000L * it_time_scale())

typedef struct it_p2p {
    int fd;
    const am_chain *chain;
    p2p_reader rd;
    uint8_t in[65536];          /* received, not yet fed to the reader */
    size_t in_off, in_len;
    size_t bytes_in;            /* every byte received on the connection */
    int eof;                    /* the daemon closed (or reset) it */
} it_p2p;

/* Metric families of the P2P face (GET /metrics). */
#define IT_P2P_M_CONNECTIONS "addrmand_p2p_connections"
#define IT_P2P_M_ACCEPTED "addrmand_p2p_accepted_total"
#define IT_P2P_M_CLOSED "addrmand_p2p_closed_total"
#define IT_P2P_M_MESSAGES "addrmand_p2p_messages_total"
#define IT_P2P_M_SERVED "addrmand_p2p_addresses_served_total"
#define IT_P2P_M_LEARNED "addrmand_p2p_addresses_learned_total"
#define IT_P2P_M_DROPPED "addrmand_p2p_addresses_dropped_total"

/* Monotonic milliseconds; sleep. */
long it_p2p_ms(void);
void it_p2p_sleep_ms(long ms);

/* The P2P port of our server: polls s->log for "p2p listening on
 * 127.0.0.1:PORT" (fails the test after IT_START_TIMEOUT_MS). */
int it_p2p_port(const it_server *s);
/* The same for "p2p listening on <host>:PORT" ("[::1]" for IPv6). */
int it_p2p_port_of(const it_server *s, const char *host);

/*
 * Start our own server (the test is skipped in shared mode) with
 * --enable-debug, --p2p-listen 127.0.0.1:0, --chain `chain` and `extra`
 * (NULL-ended, may be NULL); its P2P port.
 */
int it_p2p_start(it_server *s, const char *chain, const char *const *extra);
/* The chain called `name` (fails the test when there is none). */
const am_chain *it_p2p_chain(const char *name);

/* A TCP connection to 127.0.0.1:port, or -1 (errno set) when connect
 * fails or takes over timeout_ms. */
int it_p2p_dial(int port, long timeout_ms);
/* The same to a numeric IPv4 or IPv6 host ("::1", no brackets). */
int it_p2p_dial_host(const char *host, int port, long timeout_ms);
/* The same from the local address `src` (NULL: any), e.g. "127.0.0.2":
 * the whole of 127/8 is ours, so a test can be many peers. */
int it_p2p_dial_from(const char *src, const char *host, int port,
                     long timeout_ms);
/* 1 when the daemon has closed fd (EOF or reset), 0 while it is open;
 * does not wait.  Reads and drops any bytes waiting. */
int it_p2p_fd_closed(int fd);

/* Connect (fails the test when it cannot) and set up the reader. */
void it_p2p_open(it_p2p *c, int port, const am_chain *chain);
void it_p2p_open_at(it_p2p *c, const char *host, int port,
                    const am_chain *chain);
void it_p2p_open_from(it_p2p *c, const char *src, const char *host, int port,
                      const am_chain *chain);
void it_p2p_close(it_p2p *c);

int it_p2p_send_raw(it_p2p *c, const void *buf, size_t len);
/* The bytes one at a time, each its own write (TCP_NODELAY), gap_ms
 * apart. */
int it_p2p_send_bytewise(it_p2p *c, const void *buf, size_t len, long gap_ms);

/* Frame `command` with payload[0..len) for c's chain into a new buffer
 * (free it); its size into *out_len. */
uint8_t *it_p2p_frame(const it_p2p *c, const char *command,
                      const uint8_t *payload, size_t len, size_t *out_len);
int it_p2p_send_msg(it_p2p *c, const char *command, const uint8_t *payload,
                    size_t len);
/* Our version payload (protocol, services 1033, relay 1) into buf. */
size_t it_p2p_version_payload(int32_t protocol, uint8_t *buf, size_t cap);
int it_p2p_send_version(it_p2p *c, int32_t protocol);
int it_p2p_send_ping(it_p2p *c, uint64_t nonce);

/* The next whole message into *f (payload valid until the next receive). */
int it_p2p_recv(it_p2p *c, p2p_frame *f, long timeout_ms);
/* Receive until a `command` message, dropping others (but failing the
 * test on any of `forbidden`, a NULL-ended list, may be NULL). */
int it_p2p_expect(it_p2p *c, const char *command, p2p_frame *f,
                  long timeout_ms, const char *const *forbidden);

/* The daemon's answer to our version: version, sendaddrv2, verack, in
 * that order and nothing between (fails the test otherwise); its version
 * into *theirs (may be NULL). */
void it_p2p_await_answer(it_p2p *c, p2p_version *theirs);
/* The whole handshake: our version (then sendaddrv2 when addrv2), the
 * daemon's version, sendaddrv2 and verack in that order, our verack.
 * Fails the test otherwise; the daemon's version into *theirs (may be
 * NULL). */
void it_p2p_handshake(it_p2p *c, int addrv2, p2p_version *theirs);
/* A ping and its pong: every message sent before it has been read.
 * Fails the test when the pong does not come. */
void it_p2p_sync(it_p2p *c);

/* An addr/addrv2 entry for `endpoint` ("host:port", or a host and port
 * 8333) with `services` and `time` (0: now). */
void it_p2p_entry(am_addrv2_entry *e, const char *endpoint, uint64_t services,
                  uint32_t time);

/* Wait until the daemon closes the connection: the milliseconds it took,
 * or -1 when it stays open for timeout_ms.  Bytes arriving meanwhile are
 * counted in c->bytes_in. */
long it_p2p_wait_closed(it_p2p *c, long timeout_ms);

/* ---- the daemon's side ------------------------------------------------ */

/*
 * GET /metrics: the sum of the series of family `name` whose labels include
 * every `name="value"` pair of `labels` (comma-separated; "" matches every
 * series), e.g. it_p2p_metric(s, "addrmand_p2p_closed_total",
 * "reason=\"banned\"").  0 when no such series is exported.
 */
double it_p2p_metric(it_server *s, const char *name, const char *labels);
/* Poll the metric until it is >= want: its last value (the test decides
 * what a shortfall means after timeout_ms, times it_time_scale()). */
double it_p2p_metric_wait(it_server *s, const char *name, const char *labels,
                          double want, long timeout_ms);
/* A field of our server's /proc/<pid>/status in KiB ("VmRSS", or
 * "VmHWM": the peak RSS so far); 0 when unreadable. */
long it_p2p_status_kib(const it_server *s, const char *field);

#endif
