/*
 * it_probe.h - helpers of the prober's tests (test_probe*.c): a daemon with
 * the prober on regtest, fake peers in its pool, the prober's metrics, and
 * a tried-table collision made to order.
 */
#ifndef IT_PROBE_H
#define IT_PROBE_H

#include "it_api.h"
#include "it_fake.h"

#define IT_PROBE_ONION "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion"
#define IT_PROBE_WAIT_MS (20000L * it_time_scale())

/* Start a prober on regtest: fast, `concurrency` at a time, 2 s timeout,
 * logging at debug level, plus `extra` (NULL-terminated, may be NULL). */
void it_probe_start(it_server *s, const char *concurrency,
                    const char *const *extra);
/* it_fakes_start on regtest (fails the test when it cannot). */
it_fakes *it_probe_fakes(const it_fake_spec *specs, size_t n);
/* Every fake into the pool, each heard from a source /16 of its own (and
 * from another when its slot is held). */
void it_probe_add_fakes(it_server *s, it_fakes *f, size_t n);
/* An address a probed peer answered: 1 when it is in the pool, heard
 * from `source` with Core's 2-hour penalty on its time (fails the test
 * when it is there otherwise); 0 when it is not there. */
int it_probe_learned(it_server *s, const char *host, int port,
                     const char *source);
/* The server's log says that the answer of `peer` (host:port) held n
 * addresses, `added` of them added and the rest ignored as table_full:
 * their new-table slots held better entries, which any address may meet
 * now and then (the bucketing key is secret and fresh each run). */
void it_probe_expect_answer(it_server *s, const char *peer, size_t n,
                            size_t added);
/* The sum of the /metrics lines that start with `prefix`. */
double it_probe_metric(it_server *s, const char *prefix);
/* Wait until the metric lines starting with `prefix` sum to `value` or
 * more (fails the test on time out). */
void it_probe_wait_for(it_server *s, const char *prefix, double value);
/* Wait until `probes` probes have ended. */
void it_probe_wait(it_server *s, double probes);
json_int_t it_probe_int(const json_t *peer, const char *key);
const char *it_probe_str(const json_t *peer, const char *key);
/* The pool's record of fake i. */
json_t *it_probe_fake_peer(it_server *s, it_fakes *f, size_t i);
/* A Tor v3 address of its own for i, port 18444. */
void it_probe_onion(int i, char *out, size_t len);
/* IPv4 host:port imported as tried five hours ago (its success no
 * longer recent: the prober tests it again). */
void it_probe_import_tried(it_server *s, const char *host, int port);
/* host:port imported as tried five hours ago, then onion newcomers made
 * tried until one collides with it in a one-bucket tried table (the
 * daemon runs with --tried-buckets 1); that newcomer into `newcomer`. */
void it_probe_collision(it_server *s, const char *host, int port,
                        char *newcomer, size_t len);
/* "new" or "tried": the table of host:port now (a static buffer). */
const char *it_probe_table(it_server *s, const char *host, int port);

#endif
