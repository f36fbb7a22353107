/*
 * srv_save.h - the periodic snapshot of the data directory.
 *
 * A thread wakes every `interval` seconds and writes a snapshot through
 * st_pool_save() (texts built under the pool's lock, files written outside it)
 * when something changed since the last one: a journal with records in it,
 * or a save that failed.  Idle pools are not rewritten.
 */
#ifndef SRV_SAVE_H
#define SRV_SAVE_H

#include "st_pool.h"

typedef struct srv_saver srv_saver;

/* Start the thread; interval 0 starts nothing (*out NULL).  0, or -1 when
 * the thread cannot be created. */
int srv_saver_start(st_pool *pool, unsigned interval,
                    srv_saver **out);
/* Stop it (a save in progress finishes first) and free it; NULL is fine. */
void srv_saver_stop(srv_saver *s);

#endif
