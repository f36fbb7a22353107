#include "srv_guard.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "srv_log.h"

/* How often the watchdog looks; a slow client is cut within this of its
 * deadline. */
#define GUARD_TICK_MS 250
/* Body bytes a second a slow upload is allowed beyond the timeout. */
#define GUARD_MIN_RATE 1024.0

struct srv_guard_conn {
    int fd;
    int waiting;            /* 1: a request is due (deadline runs) */
    int cut;                /* shut down already */
    double since;           /* monotonic seconds the wait began */
    size_t body;            /* body bytes of the request so far */
    srv_guard_conn *prev, *next;
};

struct srv_guard {
    unsigned max_connections;
    unsigned timeout;
    atomic_size_t open;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
    srv_guard_conn *head;
    pthread_t thread;
    int has_thread;
};

static double mono_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Shut down every request past its deadline (lock held). */
static void sweep(srv_guard *g, double now)
{
    srv_guard_conn *c;

    for (c = g->head; c != NULL; c = c->next) {
        double allowed = (double)g->timeout + (double)c->body / GUARD_MIN_RATE;

        if (c->fd < 0 || !c->waiting || c->cut || now - c->since <= allowed)
            continue;
        c->cut = 1;
        shutdown(c->fd, SHUT_RDWR);
        srv_log(SRV_WARN, "a client was cut off: its request was not complete "
                "after %.0f s (%zu body bytes)", now - c->since, c->body);
    }
}

static void *watchdog(void *arg)
{
    srv_guard *g = arg;
    struct timespec until;

    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += GUARD_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
        if (!g->stop)
            sweep(g, mono_now());
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

int srv_guard_start(unsigned max_connections, unsigned timeout,
                    srv_guard **out)
{
    srv_guard *g = calloc(1, sizeof *g);

    *out = NULL;
    if (g == NULL)
        return -1;
    g->max_connections = max_connections;
    g->timeout = timeout;
    atomic_init(&g->open, 0);
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    if (timeout > 0) {
        if (pthread_create(&g->thread, NULL, watchdog, g) != 0) {
            pthread_cond_destroy(&g->wake);
            pthread_mutex_destroy(&g->lock);
            free(g);
            return -1;
        }
        g->has_thread = 1;
    }
    *out = g;
    return 0;
}

void srv_guard_stop(srv_guard *g)
{
    srv_guard_conn *c, *next;

    if (g == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    g->stop = 1;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    if (g->has_thread)
        pthread_join(g->thread, NULL);
    for (c = g->head; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

int srv_guard_may_accept(srv_guard *g)
{
    return atomic_load(&g->open) < g->max_connections;
}

srv_guard_conn *srv_guard_opened(srv_guard *g, int fd)
{
    srv_guard_conn *c = calloc(1, sizeof *c);

    atomic_fetch_add(&g->open, 1);
    if (c == NULL)
        return NULL;
    c->fd = fd;
    c->waiting = 1;
    c->since = mono_now();
    pthread_mutex_lock(&g->lock);
    c->next = g->head;
    if (g->head != NULL)
        g->head->prev = c;
    g->head = c;
    pthread_mutex_unlock(&g->lock);
    return c;
}

void srv_guard_closed(srv_guard *g, srv_guard_conn *c)
{
    atomic_fetch_sub(&g->open, 1);
    if (c == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&g->lock);
    free(c);
}

void srv_guard_body(srv_guard *g, srv_guard_conn *c, size_t n)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    c->body += n;
    pthread_mutex_unlock(&g->lock);
}

void srv_guard_answering(srv_guard *g, srv_guard_conn *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    c->waiting = 0;
    pthread_mutex_unlock(&g->lock);
}

void srv_guard_waiting(srv_guard *g, srv_guard_conn *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    c->waiting = 1;
    c->body = 0;
    c->since = mono_now();
    pthread_mutex_unlock(&g->lock);
}
