/*
 * st_btcd.h - importing btcd's peers.json (addrmgr).
 *
 * The document: {"Version": 1|2, "Key": [32 bytes], "Addresses": [{"Addr":
 * "ip:port", "Src": "ip:port", "Attempts", "TimeStamp", "LastAttempt",
 * "LastSuccess", "Services", "SrcServices"}], "NewBuckets": [[key, ...],
 * ...], "TriedBuckets": [[key, ...], ...]}.  Keys are "ip:port",
 * "[v6]:port" or "<name>.onion:port".  Go's zero time (-62135596800) and 0
 * mean never.  btcd's key and new buckets are not used: our tables have
 * their own secret.
 *
 * Each address becomes a record with its source (when Src is an address),
 * attempts, times and services: an address listed in TriedBuckets is tried
 * and goes to our tried table (last_success as saved); another one with
 * attempts and a last attempt after its last success is failed; the rest
 * are never tried.  TimeStamp is the time seen.  Tor v2 and unknown
 * networks count as ignored; an Addr that is not an address, or a field of
 * the wrong type or range, is an error of that entry.  Then the records are
 * merged as st_merge.h says.
 *
 * THREADS: reading needs no lock; st_btcd_merge uses the core: call it
 * under the core lock.
 */
#ifndef ST_BTCD_H
#define ST_BTCD_H

#include <stddef.h>

#include "addrman.h"
#include "st_merge.h"

#define ST_BTCD_ZERO_TIME INT64_C(-62135596800)

/* AM_OK (entry errors in r), AM_ERR_MALFORMED when the document is not a
 * btcd peers.json (r->unreadable, r->why), or AM_ERR_NOMEM. */
int st_btcd_read(const char *text, size_t len, st_doc *doc,
                  st_merge_result *r);

/* Read and merge.  Under the core lock. */
int st_btcd_merge(am_man *m, const char *text, size_t len,
                   const st_merge_opts *opts, st_merge_result *r);

#endif
