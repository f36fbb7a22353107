/*
 * st_coredat.h - Bitcoin Core's peers.dat: reading a node's address table
 * and writing one a stock node loads.
 *
 * THE FILE (Bitcoin Core src/addrdb.cpp SerializeDB/DeserializeDB,
 * src/addrman.cpp AddrManImpl::Serialize/Unserialize, src/protocol.h
 * CAddress, src/netaddress.h CNetAddr/CService).  Integers are
 * little-endian unless said otherwise; "compact" is Bitcoin's CompactSize
 * (canonical: the shortest form).
 *
 *   magic        4   the chain's network magic (core/chain.h): main
 *                    f9beb4d9, testnet4 1c163f28, signet 0a03cf40, regtest
 *                    fabfb5da
 *   format       u8  4 today (V4_MULTIPORT); 3 (V3_BIP155) is the same;
 *                    2 (V2_ASMAP) and below encode addresses the old way
 *   compat       u8  32 + the lowest format a reader must know to read
 *                    the file (Core writes 32 + 4); below 32 is corrupt
 *   key          32  the node's secret bucketing key
 *   nNew         i32 entries of the new table, 0..1024*64
 *   nTried       i32 entries of the tried table, 0..256*64
 *   nUBuckets    i32 new buckets listed, XOR 2^30 from format 1 on (Core
 *                    writes 1024 ^ 2^30)
 *   nNew entries, then nTried entries, each:
 *     version    u32 the low 19 bits are ignored; the rest 0 (old encoding)
 *                    or exactly 0x20000000 (BIP155 encoding, format >= 3
 *                    only); Core writes 220000 | 0x20000000
 *     time       u32 last seen
 *     services   BIP155: compact; old: u64
 *     address    BIP155: u8 network id (1 IPv4, 2 IPv6, 3 Tor v2, 4 Tor
 *                    v3, 5 I2P, 6 CJDNS), compact length (at most 512; a
 *                    known network's exact length), the bytes; old: 16
 *                    bytes of IPv6 (IPv4-mapped ::ffff:0:0/96, Tor v2 as
 *                    OnionCat fd87:d87e:eb43::/48)
 *     port       u16 big-endian
 *     source     an address as above without port: BIP155 from format 3
 *                    on, whatever the entry's version says; old before
 *     last_success i64, attempts i32
 *   nUBuckets times: i32 count (0..64), then that many i32 indexes into
 *                    the new entries (each bucket's entries in the order
 *                    of their positions in it)
 *   asmap        32  format >= 2: the asmap's checksum (zeros without one)
 *   checksum     32  double SHA-256 of every byte before it
 *
 * Nothing says where an entry sits but the key: a tried entry's bucket is
 * H(key, group(addr), H(key, addr:port) % 8) % 256, a new bucket
 * H(key, group(source), H(key, group(addr), group(source)) % 64) % 1024
 * and a position in a bucket H(key, 'N' or 'K', bucket, addr:port) % 64,
 * each H the first 8 bytes (little-endian) of a double SHA-256 over
 * Bitcoin's serialization of its arguments (byte vectors length-prefixed,
 * the bucket an i32, the modulus a u64).  The addr:port key is the address
 * in its 16-byte legacy form (IPv4 mapped) for IPv4 and IPv6, its raw bytes
 * for Tor v3, I2P and CJDNS, then the port big-endian.  The group is
 * Core's NetGroupManager::GetGroup without asmap: class byte (0
 * unroutable, 1 IPv4 and IPv6 carrying IPv4, 2 IPv6, 3 Tor, 4 I2P, 5 CJDNS)
 * then the /16 of IPv4, the /32 of IPv6 (/36 for he.net), 4 bits of Tor
 * and I2P, 12 of CJDNS, the bits past the prefix in the last byte set to 1.
 * Core loads a tried entry into its slot, losing it when the slot is
 * taken; a new entry into the listed bucket at its position (or, when
 * that is taken, into its own source's bucket), dropping it when neither
 * is free; then CheckAddrman demands, among others, that every tried entry
 * has a last success and every new one at least one bucket.
 *
 * READING (st_coredat_parse): the whole file at once.  Anything that makes
 * Core refuse the file -- wrong magic or checksum, a count out of range, a
 * truncated or malformed field, a bucket index out of range -- is
 * AM_ERR_MALFORMED with a sentence naming the place ("entry 17 of the new
 * table: truncated in services at byte 1234").  Entries whose address
 * Core does not know (Tor v2, unknown networks) are kept, marked, as Core
 * keeps them until it drops them.  With ST_COREDAT_VERIFY the placement is
 * checked against the file's own key, as CheckAddrman would after loading:
 * no two tried entries in one slot, each bucket's entries listed in
 * strictly increasing positions; st_coredat_check also counts the new
 * references found in their own source's bucket.
 *
 * IMPORT (st_coredat_read): the entries become st_doc records (st_merge.h)
 * merged like the other imports: a tried entry as tried (its last
 * success, attempts), a new one as never tried (failed when it has
 * attempts), each with its source, time and services.  Core's key and
 * positions are not kept: our tables have their own secret.  Tor v2 and
 * unknown networks count as ignored; an address Core holds invalid is an
 * error of that entry.
 *
 * WRITING (st_coredat_write): format 4, compat 32 + 4, a fresh key from
 * RAND_bytes (or the one given, for tests), no asmap.  For a pool of at
 * most a quarter of Core's new table, of up to ST_COREDAT_KEY_TRIES fresh
 * keys the first that leaves no peer out is taken, or else the one that
 * leaves out the fewest: which peers share a slot depends on the key, so
 * such a pool is written whole but for rare bad luck.  Each peer with a
 * last success that was in our tried table goes to Core's tried slot for
 * that key; when the slot is taken it is written as a new entry instead.
 * Every other peer is a new entry listed in the bucket of its source (the
 * peer itself when its source is unknown) at its position; a peer whose
 * slot is taken is left out (counted).  So the counts stay within Core's
 * limits and Core keeps every entry written exactly where it is.
 *
 * THREADS: no shared state; the functions may run in any thread.
 */
#ifndef ST_COREDAT_H
#define ST_COREDAT_H

#include <stddef.h>
#include <stdint.h>

#include "addrman.h"
#include "chain.h"
#include "st_merge.h"

#define ST_COREDAT_FORMAT 4             /* written, and the newest read */
#define ST_COREDAT_COMPAT_BASE 32       /* Core's INCOMPATIBILITY_BASE */
#define ST_COREDAT_NEW_BUCKETS 1024
#define ST_COREDAT_TRIED_BUCKETS 256
#define ST_COREDAT_BUCKET_SIZE 64
#define ST_COREDAT_NEW_MAX (ST_COREDAT_NEW_BUCKETS * ST_COREDAT_BUCKET_SIZE)
#define ST_COREDAT_TRIED_MAX \
    (ST_COREDAT_TRIED_BUCKETS * ST_COREDAT_BUCKET_SIZE)
#define ST_COREDAT_KEY_LEN 32
#define ST_COREDAT_KEY_TRIES 4   /* fresh keys tried by st_coredat_write */
#define ST_COREDAT_WHY_MAX ST_MERGE_MSG_MAX

/* Flags of st_coredat_parse. */
#define ST_COREDAT_VERIFY 1     /* check the placement (see above) */

typedef struct st_coredat_entry {
    int skip;               /* 0: addr is an address we know; else why not:
                             * AM_ERR_TORV2, AM_ERR_UNKNOWN_NET or AM_ERR_ADDR
                             * (bytes Core holds invalid) */
    am_addr addr;           /* with its port */
    int has_source;         /* the source is an address we know */
    am_addr source;         /* port 0 */
    uint64_t services;
    uint32_t time;
    int64_t last_success;
    int32_t attempts;
    int tried;
    uint32_t refs;          /* new buckets listing it */
} st_coredat_entry;

/* One listing of a new entry in a new bucket. */
typedef struct st_coredat_ref {
    uint32_t bucket;
    uint32_t index;         /* into the new entries */
} st_coredat_ref;

typedef struct st_coredat {
    const am_chain *chain;  /* the chain of the magic */
    uint8_t format, compat;
    uint8_t key[ST_COREDAT_KEY_LEN];
    uint32_t n_new, n_tried, n_buckets;
    st_coredat_entry *e;    /* n_new new entries, then n_tried tried */
    st_coredat_ref *refs;   /* in file order */
    size_t n_refs;
    uint8_t asmap[32];
} st_coredat;

/* What the placement check found (ST_COREDAT_VERIFY). */
typedef struct st_coredat_check {
    size_t tried;           /* tried entries Core would place (all of them) */
    size_t new_refs;        /* new references Core would keep as listed */
    size_t new_own_bucket;  /* ... of which in their own source's bucket */
} st_coredat_check;

/*
 * Read a peers.dat from buf[0..len).  The magic must be `chain`'s (any
 * chain of core/chain.h when chain is NULL).  AM_OK with *out filled (free
 * it with st_coredat_free), AM_ERR_MALFORMED with why[0..why_len) (out
 * empty), or AM_ERR_NOMEM.  With ST_COREDAT_VERIFY in flags a placement
 * Core would not keep is AM_ERR_MALFORMED too, and *check (optional) gets
 * the figures.
 */
int st_coredat_parse(const uint8_t *buf, size_t len, const am_chain *chain,
                     int flags, st_coredat *out, st_coredat_check *check,
                     char *why, size_t why_len);
void st_coredat_free(st_coredat *d);

/* The placement check of a parsed file (see ST_COREDAT_VERIFY). */
int st_coredat_verify(const st_coredat *d, st_coredat_check *check,
                      char *why, size_t why_len);

/*
 * Import: parse buf (magic of `chain`, or any when NULL) and turn its
 * entries into records of doc, the ignored ones and entry errors into r.
 * AM_OK, AM_ERR_MALFORMED (r->unreadable, r->why: the parse error) or
 * AM_ERR_NOMEM.
 */
int st_coredat_read(const uint8_t *buf, size_t len, const am_chain *chain,
                    st_doc *doc, st_merge_result *r);

/* What a write did with the peers it was given. */
typedef struct st_coredat_written {
    size_t tried;           /* tried entries */
    size_t new_entries;     /* new entries (demoted ones included) */
    size_t demoted;         /* tried peers written as new (their slot was
                             * taken, or they have no last success) */
    size_t left_out;        /* not written: their new slot was taken */
    size_t invalid;         /* not written: an address Core holds invalid */
} st_coredat_written;

/*
 * A peers.dat of peers[0..n) for `chain` into a malloc'd *out (*len
 * bytes).  key: the bucketing key, or NULL for the best fresh one.  AM_OK
 * with *w (optional) filled, AM_ERR_INVAL (no chain), AM_ERR_NOMEM or
 * AM_ERR_IO (no randomness).
 */
int st_coredat_write(const am_chain *chain, const uint8_t *key,
                     const am_peer *peers, size_t n, uint8_t **out,
                     size_t *len, st_coredat_written *w);

#endif
