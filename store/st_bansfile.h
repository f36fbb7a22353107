/*
 * st_bansfile.h - bans.json, the ban list of a snapshot.
 *
 *   {"bans": [{"target": "1.2.3.0/24", "until": <unix>, "reason": "...",
 *              "created": <unix>}, ...]}
 *
 * The shape of GET /v1/bans, one ban a line.  Targets are canonical
 * (am_subnet_format).  Reading restores each ban with its own creation
 * time (am_ban_restore); a ban that expired meanwhile simply stays out.
 *
 * THREADS: both calls use the core: under the core lock.
 */
#ifndef ST_BANSFILE_H
#define ST_BANSFILE_H

#include <stddef.h>

#include "addrman.h"

/* The core's bans as a document: AM_OK with *out (malloc'd), or
 * AM_ERR_NOMEM. */
int st_bans_text(am_man *m, char **out, size_t *len);

/*
 * Restore every readable ban of the document.  AM_OK; AM_ERR_MALFORMED
 * with why when the document is unreadable, or when some entries were
 * (*errors counts them; the others are restored).
 */
int st_bans_load(am_man *m, const char *text, size_t len, size_t *errors,
                  char *why, size_t why_len);

#endif
