/*
 * st_meta.h - addrmand.json, the data directory's own metadata.
 *
 *   {"format": 1, "key": "<32 hex digits>", "new_buckets": 1024,
 *    "tried_buckets": 256, "next_id": 123, "journal": 5, "saved": <unix>}
 *
 * The key and the table sizes must be known before the core exists (they
 * decide every bucket and slot), next_id keeps ids from being reused after
 * a restart, and "journal" names the first journal generation that is not
 * in the snapshot.  "saved" is informative only.
 *
 * No locks: plain text in, plain text out.
 */
#ifndef ST_META_H
#define ST_META_H

#include <stddef.h>
#include <stdint.h>

#define ST_META_FORMAT 1

typedef struct st_meta {
    uint8_t key[16];
    uint32_t new_buckets, tried_buckets;
    uint64_t next_id;           /* 1..AM_ID_MAX + 1 */
    uint64_t gen;               /* journal the snapshot continues in */
    int64_t saved;              /* when it was written (0: not told) */
} st_meta;

/* A table size the core accepts: a power of two 1..AM_MAX_BUCKETS. */
int st_meta_size_ok(uint64_t n);

/* AM_OK, or AM_ERR_MALFORMED with a sentence in why (anything missing,
 * of the wrong type or out of range; a format other than 1). */
int st_meta_parse(const char *text, size_t len, st_meta *out, char *why,
                   size_t why_len);

/* The document (malloc'd, NUL-terminated, one line), or NULL when memory
 * runs out. */
char *st_meta_text(const st_meta *m, size_t *len);

#endif
