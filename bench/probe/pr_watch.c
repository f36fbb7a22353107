/*
 * pr_watch.c - what probe_bench watches in the server (its metrics, its
 * descriptors and memory, sampled by a thread) and the blackholed port
 * the never-answering addresses point at.
 */
#include "pr.h"
#include "bench_util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FILL_WAIT_MS 200        /* a filler's connect not done by then: full */

/* ---- metrics ----------------------------------------------------------------- */

/* Call fn on every line of t's GET /metrics that starts with prefix (the
 * line without its newline): 0, or -1 when /metrics did not answer. */
static int each_series(const hb_target *t, const char *prefix,
                       void (*fn)(const char *line, size_t len, void *ctx),
                       void *ctx)
{
    size_t k = strlen(prefix);
    const char *p, *end, *nl;
    int rc = -1;
    hb_conn c;
    hb_resp r;

    hb_conn_init(&c, t);
    if (hb_request(&c, "GET", "/metrics", NULL, 0, &r) == 0 && r.status == 200) {
        rc = 0;
        for (p = r.body, end = r.body + r.body_len; p < end; p = nl + 1) {
            nl = memchr(p, '\n', (size_t)(end - p));
            if (nl == NULL)
                nl = end;
            if ((size_t)(nl - p) > k && memcmp(p, prefix, k) == 0)
                fn(p, (size_t)(nl - p), ctx);
        }
    }
    hb_conn_free(&c);
    return rc;
}

/* The value of a series line: after its last space (labels may hold one). */
static double value_of(const char *line, size_t len)
{
    char num[64];
    size_t i = len;

    while (i > 0 && line[i - 1] != ' ')
        i--;
    if (i == 0 || len - i >= sizeof num)
        return 0;
    memcpy(num, line + i, len - i);
    num[len - i] = '\0';
    return strtod(num, NULL);
}

static void add_value(const char *line, size_t len, void *ctx)
{
    *(double *)ctx += value_of(line, len);
}

double pr_metric(const hb_target *t, const char *prefix)
{
    double sum = 0;

    return each_series(t, prefix, add_value, &sum) == 0 ? sum : -1;
}

static void print_nonzero(const char *line, size_t len, void *ctx)
{
    (void)ctx;
    if (value_of(line, len) != 0)
        printf("# metric %.*s\n", (int)len, line);
}

void pr_metric_print(const hb_target *t, const char *prefix)
{
    each_series(t, prefix, print_nonzero, NULL);
}

long pr_fds(pid_t pid)
{
    char dir[64];
    struct dirent *e;
    long n = 0;
    DIR *d;

    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    if ((d = opendir(dir)) == NULL)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* ---- the sampler --------------------------------------------------------------- */

static void take(pr_sampler *s)
{
    pr_sample x;

    x.fds = pr_fds(s->pid);
    x.rss_kb = bench_rss_kb(s->pid);
    x.in_flight = pr_metric(s->t, "addrmand_probe_in_flight");
    x.ended = pr_metric(s->t, "addrmand_probe_total{");
    pthread_mutex_lock(&s->mu);
    s->last = x;
    if (s->samples++ == 0)
        s->max = x;
    s->max.fds = x.fds > s->max.fds ? x.fds : s->max.fds;
    s->max.rss_kb = x.rss_kb > s->max.rss_kb ? x.rss_kb : s->max.rss_kb;
    s->max.in_flight = x.in_flight > s->max.in_flight ? x.in_flight
                                                      : s->max.in_flight;
    s->max.ended = x.ended;
    pthread_mutex_unlock(&s->mu);
}

static void *sampler_main(void *arg)
{
    pr_sampler *s = arg;

    while (!atomic_load(&s->stop)) {
        take(s);
        for (long w = 0; w < s->period_ms && !atomic_load(&s->stop); w += 10)
            bench_sleep_ms(10);
    }
    return NULL;
}

int pr_sampler_start(pr_sampler *s, const hb_target *t, pid_t pid,
                     long period_ms)
{
    memset(s, 0, sizeof *s);
    s->t = t;
    s->pid = pid;
    s->period_ms = period_ms;
    pthread_mutex_init(&s->mu, NULL);
    take(s);        /* a first sample before the caller reads */
    if (pthread_create(&s->th, NULL, sampler_main, s) != 0) {
        pthread_mutex_destroy(&s->mu);
        return -1;
    }
    return 0;
}

void pr_sampler_read(pr_sampler *s, pr_sample *last, pr_sample *max)
{
    pthread_mutex_lock(&s->mu);
    if (last)
        *last = s->last;
    if (max)
        *max = s->max;
    pthread_mutex_unlock(&s->mu);
}

void pr_sampler_stop(pr_sampler *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->th, NULL);
    pthread_mutex_destroy(&s->mu);
}

/* ---- the blackhole --------------------------------------------------------------- */

/* A non-blocking connect to host:port under way (or done): its socket, or -1. */
static int connect_start(const char *host, uint16_t port)
{
    struct sockaddr_in sa;
    int fd;

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
        errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* 1 when fd's connect is still pending after wait_ms, 0 when it ended. */
static int still_pending(int fd, long wait_ms)
{
    struct pollfd p = {fd, POLLOUT, 0};
    int n;

    do
        n = poll(&p, 1, (int)wait_ms);
    while (n < 0 && errno == EINTR);
    return n == 0;
}

int pr_blackhole_open(pr_blackhole *b)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int one = 1, fd;

    memset(b, 0, sizeof *b);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_ANY);     /* every 127.A.B.C */
    if ((b->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    setsockopt(b->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(b->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(b->lfd, (struct sockaddr *)&sa, &len) != 0 ||
        listen(b->lfd, 0) != 0) {
        close(b->lfd);
        return -1;
    }
    b->port = ntohs(sa.sin_port);
    /* Connect to ourselves until a connect hangs: the queue is full. */
    while (b->n_fillers < PR_FILLERS_MAX) {
        if ((fd = connect_start("127.0.0.1", b->port)) < 0)
            break;
        b->fillers[b->n_fillers++] = fd;
        if (still_pending(fd, FILL_WAIT_MS))
            return 0;
    }
    pr_blackhole_close(b);
    return -1;
}

int pr_blackhole_check(const pr_blackhole *b, const char *host, long wait_ms)
{
    int fd = connect_start(host, b->port), pending;

    if (fd < 0)
        return -1;
    pending = still_pending(fd, wait_ms);
    close(fd);
    return pending;
}

void pr_blackhole_close(pr_blackhole *b)
{
    for (unsigned i = 0; i < b->n_fillers; i++)
        close(b->fillers[i]);
    b->n_fillers = 0;
    if (b->lfd >= 0)
        close(b->lfd);
    b->lfd = -1;
}
