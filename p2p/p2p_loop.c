/*
 * p2p_loop.c - a libuv loop in its own thread (see p2p_loop.h).
 */
#include "p2p_loop.h"

#include <errno.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "am_error.h"

int p2p_loop_init(p2p_loop *l)
{
    l->on_stop = NULL;
    l->data = NULL;
    l->has_stop = l->started = l->stopped = 0;
    return uv_loop_init(&l->uv) == 0 ? AM_OK : AM_ERR_NOMEM;
}

static void on_async(uv_async_t *a)
{
    p2p_loop *l = a->data;

    l->on_stop(l->data);
    uv_close((uv_handle_t *)&l->stop, NULL);
}

void p2p_loop_on_stop(p2p_loop *l, p2p_loop_stop_fn fn, void *data)
{
    l->on_stop = fn;
    l->data = data;
    uv_async_init(&l->uv, &l->stop, on_async);
    l->stop.data = l;
    l->has_stop = 1;
}

/*
 * The loop thread yields to the HTTP threads when the CPU is short: its
 * nice value is the process's plus P2P_LOOP_NICE (Linux keeps a nice value
 * per thread), so P2P load takes what HTTP leaves.  A failure (an
 * unprivileged process can always lower its priority) is ignored.
 */
static void run(void *arg)
{
    p2p_loop *l = arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    int nice_now;

    errno = 0;
    nice_now = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno == 0)
        (void)setpriority(PRIO_PROCESS, (id_t)tid, nice_now + P2P_LOOP_NICE);
    uv_run(&l->uv, UV_RUN_DEFAULT);
}

int p2p_loop_start(p2p_loop *l)
{
    if (l->started || l->stopped || !l->has_stop)
        return AM_ERR_INVAL;
    if (uv_thread_create(&l->thread, run, l) != 0)
        return AM_ERR_IO;
    l->started = 1;
    return AM_OK;
}

void p2p_loop_close(p2p_loop *l)
{
    uv_run(&l->uv, UV_RUN_DEFAULT);
    uv_loop_close(&l->uv);
}

void p2p_loop_stop(p2p_loop *l)
{
    if (l->stopped)
        return;
    l->stopped = 1;
    if (l->started) {
        uv_async_send(&l->stop);
        uv_thread_join(&l->thread);
    } else {
        on_async(&l->stop);
        uv_run(&l->uv, UV_RUN_DEFAULT);
    }
    uv_loop_close(&l->uv);
}

uint64_t p2p_rand64(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

uint64_t p2p_rand_seed(const void *salt)
{
    uint64_t seed;

    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)salt;
    return seed | 1;
}

void p2p_metric_head(js_buf *b, const char *name, const char *type,
                     const char *help)
{
    js_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}
