/*
 * fuzz_journal.c - the change journal reader and its replay.
 *
 * Input: a journal file image ("AMJRNL01" then framed records).  Each input
 * is run twice: as it is, and with the magic put in front and every
 * record's CRC recomputed, so that mutations reach the payload decoder and
 * the replay instead of dying at the CRC check.  For each image:
 *   - replay into a core (16 x 4 buckets, fake clock) with places valid and
 *     into another without: the counts are sane, am_check passes, and the
 *     replayed core survives the snapshot round trip (fuzz_readers.h);
 *   - every record that reads encodes back to the same payload (a ban
 *     reason with a NUL inside excepted: the encoder stops at it), and that
 *     encoding reads back and encodes the same again.
 */
#include "fuzz_readers.h"

#include "js_buf.h"
#include "st_journal.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void check_records(const uint8_t *data, size_t len)
{
    size_t off = ST_JOURNAL_HDR;
    st_jrec r, r2;

    if (len < ST_JOURNAL_HDR)
        return;
    for (int guard = 0; guard < 100000; guard++) {
        size_t at = off;
        st_jread st = st_journal_next(data, len, &off, &r);
        if (st != ST_JREAD_OK) {
            FZ_ASSERT(off == at, "status %d moved the offset", (int)st);
            break;
        }
        FZ_ASSERT(off > at && off <= len, "offset %zu -> %zu of %zu", at, off, len);
        js_buf b;
        js_buf_init(&b);
        st_journal_encode(&b, &r);
        FZ_ASSERT(!b.failed && b.len >= 8, "encode failed");
        int has_nul = 0;
        if (r.type == ST_J_BAN) {
            /* type | net | port | bytes | prefix | until | created | len | reason */
            const uint8_t *pay = data + at + 8;
            size_t nl = am_net_len(r.ban.target.base.net);
            size_t rl = (size_t)pay[22 + nl] | (size_t)pay[23 + nl] << 8;
            has_nul = memchr(pay + 24 + nl, 0, rl) != NULL;
        }
        if (!has_nul)
            FZ_ASSERT(b.len == off - at && memcmp(b.data, data + at, b.len) == 0,
                      "record at %zu (type %d, %zu bytes) encodes to %zu other bytes",
                      at, (int)r.type, off - at, b.len);
        size_t o2 = 0;
        st = st_journal_next((const uint8_t *)b.data, b.len, &o2, &r2);
        FZ_ASSERT(st == ST_JREAD_OK && o2 == b.len,
                  "our encoding of a type %d record reads as %d", (int)r.type, (int)st);
        js_buf b2;
        js_buf_init(&b2);
        st_journal_encode(&b2, &r2);
        FZ_ASSERT(b2.len == b.len && memcmp(b2.data, b.data, b.len) == 0,
                  "type %d record: encode(decode(encode)) differs", (int)r.type);
        js_buf_free(&b);
        js_buf_free(&b2);
    }
}

static void replay(const uint8_t *data, size_t len, int places_valid)
{
    st_replay out;
    am_man *m = fz_new_core(16, 4);
    int rc = st_journal_replay(m, data, len, places_valid, &out);
    if (rc != AM_OK) {
        FZ_ASSERT(rc == AM_ERR_MALFORMED && out.bad_header, "replay returned %d",
                  rc);
    } else {
        FZ_ASSERT(out.status != ST_JREAD_OK, "replay ended with status OK");
        FZ_ASSERT(out.failed <= out.records, "%zu failed of %zu", out.failed,
                  out.records);
        FZ_ASSERT(out.good_end <= len, "good_end %zu of %zu", out.good_end, len);
        FZ_ASSERT(out.status != ST_JREAD_END || out.good_end == len,
                  "clean end at %zu of %zu", out.good_end, len);
    }
    FZ_CHECK_CORE(m, places_valid ? "replay" : "replay without places");
    if (places_valid)
        fz_snapshot_round_trip(m, 16, 4);
    am_free(m);
}

static void run(const uint8_t *data, size_t len)
{
    replay(data, len, 1);
    replay(data, len, 0);
    check_records(data, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_now = FZ_T0;
    run(data, size);

    /* The same records with the magic and good CRCs. */
    uint8_t *fixed = malloc(size + ST_JOURNAL_HDR);
    if (fixed == NULL)
        return 0;
    size_t n = 0, off = 0;
    if (size >= ST_JOURNAL_HDR && memcmp(data, ST_JOURNAL_MAGIC, ST_JOURNAL_HDR) == 0)
        off = ST_JOURNAL_HDR;
    memcpy(fixed, ST_JOURNAL_MAGIC, ST_JOURNAL_HDR);
    n = ST_JOURNAL_HDR;
    memcpy(fixed + n, data + off, size - off);
    n += size - off;
    for (size_t at = ST_JOURNAL_HDR; at + 8 <= n;) {
        uint32_t rlen = le32(fixed + at);
        if (rlen == 0 || rlen > ST_JOURNAL_MAX_REC || rlen > n - at - 8)
            break;
        uint32_t crc = st_crc32(fixed + at + 8, rlen);
        for (int i = 0; i < 4; i++)
            fixed[at + 4 + i] = (uint8_t)(crc >> (8 * i));
        at += 8 + rlen;
    }
    fz_now = FZ_T0;
    run(fixed, n);
    free(fixed);
    return 0;
}
