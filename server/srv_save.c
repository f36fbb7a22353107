/*
 * srv_save.c - the periodic snapshot thread (see srv_save.h).
 */
#include "srv_save.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "srv_log.h"

struct srv_saver {
    st_pool *pool;
    st_store *store;
    unsigned interval;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;        /* signalled on stop */
    int stop;
    int last_failed;
};

static double mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait one interval; 1 when asked to stop. */
static int wait_interval(srv_saver *s)
{
    struct timespec until;
    int stop;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)s->interval;
    pthread_mutex_lock(&s->mu);
    while (!s->stop &&
           pthread_cond_timedwait(&s->cond, &s->mu, &until) != ETIMEDOUT)
        ;
    stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

static void save_once(srv_saver *s)
{
    st_store_stats st;
    size_t peers = 0;
    double t0 = mono();
    int rc;

    st_store_stats_get(s->store, &st);
    if (st.journal_records == 0 && !s->last_failed)
        return;                 /* nothing changed since the last snapshot */
    rc = st_pool_save(s->pool, &peers);
    s->last_failed = rc != AM_OK;
    if (rc == AM_OK)
        srv_log(SRV_DEBUG, "snapshot: %zu peers in %.0f ms", peers,
                (mono() - t0) * 1000);
    else
        srv_log(SRV_WARN, "periodic snapshot failed (%s); the journal "
                          "keeps every change, retrying in %us",
                am_strerror(rc), s->interval);
}

static void *run(void *arg)
{
    srv_saver *s = arg;

    while (!wait_interval(s))
        save_once(s);
    return NULL;
}

static int init_sync(srv_saver *s)
{
    pthread_condattr_t ca;
    int rc;

    if (pthread_condattr_init(&ca) != 0)
        return -1;
    rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
                 pthread_cond_init(&s->cond, &ca) == 0
             ? 0
             : -1;
    pthread_condattr_destroy(&ca);
    if (rc == 0 && pthread_mutex_init(&s->mu, NULL) != 0) {
        pthread_cond_destroy(&s->cond);
        rc = -1;
    }
    return rc;
}

int srv_saver_start(st_pool *pool, unsigned interval,
                    srv_saver **out)
{
    srv_saver *s;

    *out = NULL;
    st_store *store = st_pool_store(pool);

    if (interval == 0 || store == NULL)
        return 0;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return -1;
    s->pool = pool;
    s->store = store;
    s->interval = interval;
    if (init_sync(s) != 0) {
        free(s);
        return -1;
    }
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void srv_saver_stop(srv_saver *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
