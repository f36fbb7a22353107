/*
 * st_journal.h - the change journal between two snapshots.
 *
 * File: an 8-byte header "AMJRNL01", then records:
 *     u32 length (LE) | u32 CRC-32 of the payload (LE) | payload
 * with 1 <= length <= ST_JOURNAL_MAX_REC.  Integers in payloads are
 * little-endian; an address is u8 network | u16 port | its bytes.
 *
 * Records say what a peer or the ban list IS after a change, not what was
 * done: replaying an operation would need the core's random generator and
 * clock as they were (am_add draws random numbers, set_state reads the
 * clock and may settle tried-table collisions), so it could not give the
 * same ids and slots.  Hence:
 *   UPSERT     the whole peer after a change (add, set_state, set_services,
 *              an import): every field and time, its stored state and its
 *              slots (am_place).  Replay: drop the peer (by id, and any
 *              other peer on its endpoint), take its slots back from
 *              whoever holds them now -- the core evicted them then (a new
 *              slot's holder loses that slot and is forgotten with no slot
 *              left; a tried slot's holder goes back to its own new slot)
 *              -- and am_restore it with its id and place.
 *   REMOVE     id.  Replay: am_remove if present; ids stay unused.
 *   BAN        target, until, created, reason.  Replay: am_ban_restore
 *              (an expired ban is skipped).
 *   UNBAN      target.   UNBAN_ALL.
 * So replay needs no clock and draws no random number.  What the core
 * changes on its own (a collision settled inside select, a peer evicted
 * by another's add without its own record) is exact again at the next
 * snapshot; replay repeats the evictions it can see.
 *
 * Reading stops at the first record that is not whole: a torn tail (the
 * last write cut short by a crash: too few bytes, or a bad CRC on the very
 * last record, or zero bytes a filesystem left) is reported with the offset
 * where whole records end, so the store can truncate it; anything else
 * (a bad length or CRC with more data behind it) is corruption.
 */
#ifndef ST_JOURNAL_H
#define ST_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "addrman.h"
#include "js_buf.h"

#define ST_JOURNAL_MAGIC "AMJRNL01"
#define ST_JOURNAL_HDR 8
#define ST_JOURNAL_MAX_REC 1024

typedef enum st_jtype {
    ST_J_UPSERT = 1,
    ST_J_REMOVE = 2,
    ST_J_BAN = 3,
    ST_J_UNBAN = 4,
    ST_J_UNBAN_ALL = 5
} st_jtype;

typedef struct st_jrec {
    st_jtype type;
    am_peer peer;        /* UPSERT: peer.state is the STORED state */
    am_place place;      /* UPSERT */
    uint64_t id;         /* REMOVE */
    am_ban ban;          /* BAN; UNBAN uses ban.target */
} st_jrec;

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), as zlib's crc32(0, p, n). */
uint32_t st_crc32(const void *p, size_t n);

/* Build records.  UPSERT reads the core: under the core lock. */
int st_jrec_peer(am_man *m, uint64_t id, st_jrec *out);
void st_jrec_remove(uint64_t id, st_jrec *out);
void st_jrec_ban(const am_ban *b, st_jrec *out);
void st_jrec_unban(const am_subnet *t, st_jrec *out);
void st_jrec_unban_all(st_jrec *out);

/* Append one framed record to b (the header is the caller's). */
void st_journal_encode(js_buf *b, const st_jrec *r);

/* The status of a read position. */
typedef enum st_jread {
    ST_JREAD_OK = 0,       /* a record was read */
    ST_JREAD_END,          /* clean end of the data */
    ST_JREAD_TORN,         /* a torn tail starts here */
    ST_JREAD_CORRUPT       /* a broken record with data behind it */
} st_jread;

/*
 * Read the record at *off of data[0..len) (records only, after the header).
 * ST_JREAD_OK advances *off past it; any other status leaves *off at the
 * end of the whole records.
 */
st_jread st_journal_next(const uint8_t *data, size_t len, size_t *off,
                           st_jrec *out);

/*
 * Apply one record to the core (see above).  places_valid: the saved slots
 * were made with this core's key and table sizes (when not, peers are
 * restored without them and nobody is evicted).  AM_OK, or the core's
 * error (a peer no slot would take: AM_ERR_REJECTED; the record is then
 * lost, which replay counts).  Under the core lock.
 */
int st_journal_apply(am_man *m, const st_jrec *r, int places_valid);

typedef struct st_replay {
    size_t records;         /* whole records read */
    size_t failed;          /* ... that the core did not take */
    size_t good_end;        /* offset (file) where whole records end */
    st_jread status;       /* END, TORN or CORRUPT */
    int bad_header;         /* the file is not a journal */
} st_replay;

/*
 * Replay a whole journal file image (header included) into the core.
 * AM_OK (see out->status), AM_ERR_MALFORMED for a wrong header (nothing
 * applied), AM_ERR_NOMEM.  A file shorter than the header is an empty
 * journal cut short at creation (TORN, good_end 0).  Under the core lock.
 */
int st_journal_replay(am_man *m, const uint8_t *data, size_t len,
                       int places_valid, st_replay *out);

/* write() all of p (EINTR retried), then fsync when do_fsync.  AM_OK or
 * AM_ERR_IO (errno kept). */
int st_journal_write(int fd, const void *p, size_t n, int do_fsync);

#endif
