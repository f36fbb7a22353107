/*
 * srv_save.h - the periodic snapshot of the data directory.
 *
 * A thread wakes every `interval` seconds and writes a snapshot through
 * api_save() (texts built under the API's lock, files written outside it)
 * when something changed since the last one: a journal with records in it,
 * or a save that failed.  Idle pools are not rewritten.
 */
#ifndef SRV_SAVE_H
#define SRV_SAVE_H

#include "api.h"
#include "st_store.h"

typedef struct srv_saver srv_saver;

/* Start the thread; interval 0 starts nothing (*out NULL).  0, or -1 when
 * the thread cannot be created. */
int srv_saver_start(api_ctx *api, st_store *store, unsigned interval,
                    srv_saver **out);
/* Stop it (a save in progress finishes first) and free it; NULL is fine. */
void srv_saver_stop(srv_saver *s);

#endif
