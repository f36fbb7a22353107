/*
 * pr.h - bench/probe: the prober of addrmand (p2p/p2p_probe.h) under load.
 *
 *   pr_main.c   options, the server, the two phases, report, verdicts
 *   pr_watch.c  the server's metrics, a sampler thread (descriptors,
 *               resident memory, probes under way), the blackholed port
 *
 * The server is started, filled and asked for selects with bench/http_bench's
 * files (hb_server.c, hb_http.c, hb_run.c, hb_cases.c, hb_pool.c); the fake
 * peers are the prober's tests' (tests/integration/it_fake.c), linked into
 * this program as they are.
 */
#ifndef PR_H
#define PR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "hb.h"

/* ---- the server's metrics ------------------------------------------------- */

/* The sum of the GET /metrics series whose line starts with `prefix` (a
 * family name and the start of its labels, e.g. "addrmand_probe_total{" or
 * "addrmand_probe_total{outcome=\"ok\""); -1 when /metrics did not answer. */
double pr_metric(const hb_target *t, const char *prefix);
/* Every series of t's /metrics starting with prefix whose value is not 0,
 * on stdout as "# metric <line>". */
void pr_metric_print(const hb_target *t, const char *prefix);

/* Open descriptors of process pid (entries of /proc/PID/fd); -1 unknown. */
long pr_fds(pid_t pid);

/* ---- the sampler ----------------------------------------------------------- */

/* What a sample holds; the sampler keeps the last one and the maxima. */
typedef struct pr_sample {
    long fds, rss_kb;
    double in_flight;
    double ended;                  /* addrmand_probe_total, all series */
} pr_sample;

typedef struct pr_sampler {
    const hb_target *t;
    pid_t pid;
    long period_ms;
    pthread_t th;
    atomic_int stop;
    pthread_mutex_t mu;
    pr_sample last, max;           /* under mu */
    unsigned samples;
} pr_sampler;

/* Sample pid (and t's /metrics) every period_ms in a thread: 0, or -1. */
int pr_sampler_start(pr_sampler *s, const hb_target *t, pid_t pid,
                     long period_ms);
/* The last sample and the maxima so far (either may be NULL). */
void pr_sampler_read(pr_sampler *s, pr_sample *last, pr_sample *max);
void pr_sampler_stop(pr_sampler *s);

/* ---- the blackhole ---------------------------------------------------------- */

/*
 * One socket listening on 0.0.0.0:port (a free port) with backlog 0 that
 * never accepts, its queue filled by connections of its own: Linux then
 * drops every SYN to any 127.A.B.C:port, so each connect hangs until the
 * connector gives up.  pr_blackhole_check connects to `host`:port and
 * returns 1 when nothing happened within wait_ms (a blackhole), 0 when
 * the connect completed or failed, -1 on error.
 */
#define PR_FILLERS_MAX 8

typedef struct pr_blackhole {
    int lfd;
    uint16_t port;
    int fillers[PR_FILLERS_MAX];
    unsigned n_fillers;
} pr_blackhole;

int pr_blackhole_open(pr_blackhole *b);
int pr_blackhole_check(const pr_blackhole *b, const char *host, long wait_ms);
void pr_blackhole_close(pr_blackhole *b);

#endif
