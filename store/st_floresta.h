/*
 * st_floresta.h - Floresta's peers.json / anchors.json / seed files.
 *
 * A document is a JSON array of entries.  Floresta's keys, in the order its
 * serde derive writes them:
 *   "address": {"V4": "1.2.3.4"} | {"V6": "2001:db8::1"} |
 *              {"Cjdns": "fc00::1"} | {"OnionV3": [32 bytes]} |
 *              {"I2p": [32 bytes]} | {"OnionV2": [10 bytes]} (skipped)
 *   "last_connected": u64, "state": "NeverTried" | "Connected" |
 *              {"Tried": t} | {"Banned": t} | {"Failed": t},
 *   "services": u64, "port": u16, "id": u64 (optional; any value).
 * After them, entries we write carry addrmand's own keys, which Floresta
 * ignores, so that a restart restores our state exactly:
 *   "source": host text or null, "table": "new" | "tried",
 *   "place": [[bucket, slot], ...] (am_place_of), "time", "last_try",
 *   "last_success": Unix seconds (0 = never), "attempts": u32,
 *   "am_state": "never_tried" | "tried" | "connected" | "failed"
 *   (the stored state, also for a banned peer);
 * and "id" is then our id.
 *
 * Writing, our state -> Floresta's: never_tried "NeverTried", tried
 * {"Tried": last_success}, connected "Connected", failed {"Failed":
 * last_try}, and a banned peer {"Banned": until of the ban covering it}.
 *
 * Reading an entry without our keys (a Floresta file):
 *   NeverTried -> never tried; Tried(t) -> tried, in the tried table,
 *   last_success = last_try = t (last_connected when t is 0, as in the
 *   seed files); Connected -> tried likewise with last_connected (the
 *   connection was Floresta's, not one of our nodes'); Failed(t) -> failed,
 *   last_try = t, 1 attempt; Banned(t) -> a ban of that address until t
 *   when t is ahead of now, else never tried (Floresta writes the ban's
 *   duration there).  The time seen is last_connected.  The id is ignored.
 * An entry with all of our keys (and an id 1..2^53-1) is "ours": merged
 * with its id, fields and slots (see st_merge.h).  A present key of the
 * wrong type or out of range makes the entry an error; unknown keys and
 * unknown address variants (networks Floresta may add) are ignored.
 *
 * THREADS: reading needs no lock; export, anchors, merge and taking a
 * copy use the core: call them under the core lock.  A copy's text needs
 * no lock: a large pool is copied in one hold and written after it.
 */
#ifndef ST_FLORESTA_H
#define ST_FLORESTA_H

#include <stddef.h>
#include <stdint.h>

#include "addrman.h"
#include "st_merge.h"

/*
 * Read text[0..len) into doc.  Entry errors go to r by index and skipped
 * entries (Tor v2, unknown networks) count as r->ignored.  AM_OK, or
 * AM_ERR_MALFORMED when the document as a whole is unreadable (not JSON,
 * not an array; r->unreadable and r->why set), or AM_ERR_NOMEM.
 */
int st_floresta_read(const char *text, size_t len, st_doc *doc,
                      st_merge_result *r);

/* Read and merge (st_merge_doc).  Under the core lock. */
int st_floresta_merge(am_man *m, const char *text, size_t len,
                       const st_merge_opts *opts, st_merge_result *r);

/*
 * The whole pool as a peers.json document, every peer in id order with our
 * keys: *out (malloc'd, NUL-terminated), *len, *count peers (optional).
 * AM_OK or AM_ERR_NOMEM.  Under the core lock.
 */
int st_floresta_export(am_man *m, char **out, size_t *len, size_t *count);

/*
 * The same in two steps, so that the lock is held only for the copy: a
 * consistent picture of every peer (with its place and stored state) and
 * of the bans (under the core lock; AM_OK or AM_ERR_NOMEM), then its text
 * (no lock; the same document as st_floresta_export).
 */
typedef struct st_floresta_copy st_floresta_copy;

int st_floresta_copy_take(am_man *m, st_floresta_copy **out);
int st_floresta_copy_text(const st_floresta_copy *c, char **out, size_t *len,
                          size_t *count);
void st_floresta_copy_free(st_floresta_copy *c);

/*
 * anchors.json for the peers ids[0..n) (Floresta's dump_utreexo_peers: the
 * same entry format).  AM_ERR_NOTFOUND with *missing = the index of the
 * first unknown id (nothing is produced).  Under the core lock.
 */
int st_floresta_anchors(am_man *m, const uint64_t *ids, size_t n,
                         char **out, size_t *len, size_t *missing);

#endif
