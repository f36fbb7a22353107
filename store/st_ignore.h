/*
 * st_ignore.h - why an entry to add was ignored.
 *
 * Every answer that counts "ignored" entries (POST /v1/peers and
 * /v1/peers/addrv2, POST /v1/import, POST /v1/load) also says why, in
 * "ignored_by": one member per reason that occurred, {} when nothing was
 * ignored; "ignored" stays, the sum of them.  The start-up load report and
 * the metric addrmand_peers_ignored_total{reason} use the same names:
 *   unroutable       not publicly routable (private, documentation, ...)
 *   banned           covered by an active ban
 *   table_full       its new-table slot holds a better entry (restoring a
 *                    saved peer: no slot of either table would take it)
 *   group_cap        its network group already holds new_group_cap slots
 *                    of the new table
 *   tor_v2           a Tor v2 address (BIP155 says to skip it)
 *   unknown_network  a network this service does not know (BIP155 skips)
 *   banned_entry     a Floresta {"Banned": t} entry with t ahead: it became
 *                    a ban of that address, not a peer
 *   duplicate        a saved peer whose id or endpoint is already taken
 */
#ifndef ST_IGNORE_H
#define ST_IGNORE_H

#include <stddef.h>

#include "js_writer.h"

typedef enum st_ignore {
    ST_IGN_UNROUTABLE = 0,
    ST_IGN_BANNED,
    ST_IGN_TABLE_FULL,
    ST_IGN_GROUP_CAP,
    ST_IGN_TOR_V2,
    ST_IGN_UNKNOWN_NETWORK,
    ST_IGN_BANNED_ENTRY,
    ST_IGN_DUPLICATE
} st_ignore;
#define ST_IGN_COUNT 8

/* The reason's name above; never NULL. */
const char *st_ignore_name(st_ignore why);

/*
 * The reason behind a code of am_add, am_restore or an addrv2 entry's
 * status: 1 with *why, or 0 when the code is no reason to ignore an entry
 * (success, or an error the caller reports).
 */
int st_ignore_of(int am_rc, st_ignore *why);

/* One more entry ignored for `why`: *total and by[why] grow by one. */
void st_ignore_count(size_t *total, size_t by[ST_IGN_COUNT], st_ignore why);

/* The members "ignored": total and "ignored_by": {reason: n, ...} (only
 * n > 0, in the order of the enum) of the object being written. */
void st_ignored_write(js_w *w, size_t total,
                       const size_t by[ST_IGN_COUNT]);

/* "unroutable 3, tor_v2 1" for a log line ("" when none) into buf. */
void st_ignored_text(const size_t by[ST_IGN_COUNT], char *buf, size_t len);

#endif
