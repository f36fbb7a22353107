/*
 * fuzz_readers.h - what the document reader targets share: checking the
 * records a reader produced, merging them into a core, and the snapshot
 * round trip (export as peers.json, read back, restore into a fresh core:
 * the same peers, ids, tables and fields must come back).
 */
#ifndef FUZZ_READERS_H
#define FUZZ_READERS_H

#include "fuzz_common.h"

#include "addrman_persist.h"
#include "st_floresta.h"
#include "st_merge.h"

typedef int (*fz_reader_fn)(const char *text, size_t len, st_doc *doc,
                            st_merge_result *r);

/* Read the input with `read`: 1 with d and r filled (free both), or 0 when
 * the reader refused it, which must be as malformed, marked unreadable,
 * with a terminated reason (nothing is left to free). */
static inline int fz_read(fz_reader_fn read, const uint8_t *data, size_t size,
                          st_doc *d, st_merge_result *r)
{
    fz_now = FZ_T0;
    st_doc_init(d);
    st_merge_result_init(r);
    int rc = read((const char *)data, size, d, r);
    if (rc == AM_OK)
        return 1;
    FZ_ASSERT(rc == AM_ERR_MALFORMED && r->unreadable,
              "read returned %d, unreadable %d", rc, r->unreadable);
    FZ_ASSERT(memchr(r->why, '\0', sizeof r->why) != NULL, "why not terminated");
    st_merge_result_free(r);
    st_doc_free(d);
    return 0;
}

static inline void fz_check_doc(const st_doc *d, const st_merge_result *r,
                                const char *who)
{
    FZ_ASSERT(d->n <= d->entries, "%s: %zu records of %zu entries", who, d->n,
              d->entries);
    FZ_ASSERT(r->errors_kept <= r->n_errors && r->errors_kept <= ST_MERGE_MAX_ERRORS,
              "%s: %zu errors kept of %zu", who, r->errors_kept, r->n_errors);
    for (size_t i = 0; i < r->errors_kept; i++) {
        FZ_ASSERT(r->errors[i].index < d->entries, "%s: error index %zu of %zu",
                  who, r->errors[i].index, d->entries);
        FZ_ASSERT(memchr(r->errors[i].message, '\0', ST_MERGE_MSG_MAX) != NULL,
                  "%s: error message not terminated", who);
    }
    for (size_t i = 0; i < d->n; i++) {
        const st_rec *rec = &d->recs[i];
        size_t len = am_net_len(rec->addr.net);
        FZ_ASSERT(len > 0, "%s: record %zu has network %u", who, i,
                  (unsigned)rec->addr.net);
        for (size_t k = len; k < AM_ADDR_MAXLEN; k++)
            FZ_ASSERT(rec->addr.bytes[k] == 0, "%s: record %zu: byte %zu set", who,
                      i, k);
        if (rec->has_source)
            FZ_ASSERT(am_net_len(rec->source.net) > 0 && rec->source.port == 0,
                      "%s: record %zu: source network %u port %u", who, i,
                      (unsigned)rec->source.net, (unsigned)rec->source.port);
        FZ_ASSERT(rec->index < d->entries, "%s: record %zu index %zu", who, i,
                  rec->index);
        FZ_ASSERT(i == 0 || rec->index > d->recs[i - 1].index,
                  "%s: record indexes out of order", who);
        FZ_ASSERT((unsigned)rec->state <= AM_STATE_FAILED, "%s: record %zu state %d",
                  who, i, (int)rec->state);
        if (rec->ours)
            FZ_ASSERT(rec->id >= 1 && rec->id <= AM_ID_MAX, "%s: ours with id %llu",
                      who, (unsigned long long)rec->id);
        if (rec->has_place)
            FZ_ASSERT(rec->place.n <= AM_MAX_NEW_REFS, "%s: place of %u slots", who,
                      rec->place.n);
    }
}

/* Merge d into m and check the core and the counts. */
static inline void fz_merge(am_man *m, const st_doc *d, int snapshot,
                            st_merge_pass pass, const char *who)
{
    st_merge_opts o;
    st_merge_result r;
    memset(&o, 0, sizeof o);
    o.snapshot = snapshot;
    o.pass = pass;
    st_merge_result_init(&r);
    int rc = st_merge_doc(m, d, &o, &r);
    FZ_ASSERT(rc == AM_OK, "%s: merge returned %d", who, rc);
    if (pass == ST_MERGE_ALL)
        FZ_ASSERT(r.added + r.updated + r.ignored + r.n_errors == d->n,
                  "%s: %zu added + %zu updated + %zu ignored + %zu errors, %zu records",
                  who, r.added, r.updated, r.ignored, r.n_errors, d->n);
    st_merge_result_free(&r);
    FZ_CHECK_CORE(m, who);
}

static inline void fz_same_peer(am_man *a, am_man *b, uint64_t id)
{
    am_peer p, q;
    am_state sp, sq;
    FZ_ASSERT(am_get(a, id, &p) == AM_OK, "peer %llu", (unsigned long long)id);
    FZ_ASSERT(am_get(b, id, &q) == AM_OK, "peer %llu lost in the round trip",
              (unsigned long long)id);
    am_stored_state(a, id, &sp);
    am_stored_state(b, id, &sq);
    FZ_ASSERT(am_addr_eq(&p.addr, &q.addr), "peer %llu: address",
              (unsigned long long)id);
    FZ_ASSERT(sp == sq, "peer %llu: stored state %d then %d",
              (unsigned long long)id, (int)sp, (int)sq);
    FZ_ASSERT(p.in_tried == q.in_tried, "peer %llu: table %d then %d",
              (unsigned long long)id, p.in_tried, q.in_tried);
    FZ_ASSERT(p.services == q.services && p.time == q.time &&
              p.last_try == q.last_try && p.last_success == q.last_success &&
              p.last_connected == q.last_connected && p.attempts == q.attempts,
              "peer %llu: fields changed (time %lld/%lld try %lld/%lld success "
              "%lld/%lld connected %lld/%lld attempts %u/%u)",
              (unsigned long long)id, (long long)p.time, (long long)q.time,
              (long long)p.last_try, (long long)q.last_try,
              (long long)p.last_success, (long long)q.last_success,
              (long long)p.last_connected, (long long)q.last_connected,
              p.attempts, q.attempts);
    if (p.has_source != q.has_source ||
        (p.has_source && !am_addr_host_eq(&p.source, &q.source))) {
        char sa[AM_ADDR_STRLEN] = "-", sb[AM_ADDR_STRLEN] = "-";
        if (p.has_source)
            am_addr_format(&p.source, sa, sizeof sa);
        if (q.has_source)
            am_addr_format(&q.source, sb, sizeof sb);
        FZ_FAIL("peer %llu: source %s (net %d) then %s (net %d)",
                (unsigned long long)id, sa, p.source.net, sb, q.source.net);
    }
    am_place pa, pb;
    am_place_of(a, id, &pa);
    am_place_of(b, id, &pb);
    FZ_ASSERT(pa.n == pb.n && pa.in_tried == pb.in_tried,
              "peer %llu: %u slots then %u", (unsigned long long)id, pa.n, pb.n);
}

/* An address BIP155 would deliver (am_addr_from_bytes takes it; IPv6
 * bytes in fc00::/8 too): all a snapshot can carry.  What the readers and
 * the journal put in a core goes through am_restore or am_add with parsed
 * addresses, which hold them to that
 * (tests/unit/test_journal_source_survives_snapshot.c). */
static inline int fz_addr_wire_valid(const am_addr *a)
{
    am_addr tmp;
    return am_addr_from_bytes(&tmp, a->net, a->bytes, am_net_len(a->net),
                              a->port) == AM_OK;
}

/* 1 when every peer's address and source are wire-valid; else 0 with the
 * first offending id. */
static inline int fz_core_wire_valid(am_man *m, uint64_t *bad)
{
    am_peer page[64];
    size_t n;
    uint64_t after = 0, next;
    do {
        if (am_list(m, NULL, after, page, 64, &n, &next) != AM_OK)
            return 1;
        for (size_t i = 0; i < n; i++)
            if (!fz_addr_wire_valid(&page[i].addr) ||
                (page[i].has_source && !fz_addr_wire_valid(&page[i].source))) {
                *bad = page[i].id;
                return 0;
            }
        after = next;
    } while (next != 0);
    return 1;
}

/* Every address in m is one a snapshot can carry; export m as peers.json,
 * read it back (no error allowed), restore it into a fresh core with the
 * same key and sizes: every peer comes back as it was. */
static inline void fz_snapshot_round_trip(am_man *m, uint32_t nb, uint32_t tb)
{
    uint64_t bad = 0;
    FZ_ASSERT(fz_core_wire_valid(m, &bad),
              "peer %llu has an address or source no BIP155 message carries",
              (unsigned long long)bad);
    char *text = NULL;
    size_t len = 0, count = 0;
    st_doc d;
    st_merge_result r;
    int rc = st_floresta_export(m, &text, &len, &count);
    FZ_ASSERT(rc == AM_OK, "export returned %d", rc);
    FZ_ASSERT(count == am_size(m), "exported %zu of %zu", count, am_size(m));
    FZ_ASSERT(strlen(text) == len, "export length");

    st_doc_init(&d);
    st_merge_result_init(&r);
    rc = st_floresta_read(text, len, &d, &r);
    FZ_ASSERT(rc == AM_OK && !r.unreadable, "our export is unreadable: %s", r.why);
    if (r.n_errors != 0)
        FZ_FAIL("our export has %zu errors, first (entry %zu): %s\n%.3000s",
                r.n_errors, r.errors_kept ? r.errors[0].index : 0,
                r.errors_kept ? r.errors[0].message : "", text);
    FZ_ASSERT(d.n == count, "%zu records read of %zu exported", d.n, count);
    for (size_t i = 0; i < d.n; i++)
        FZ_ASSERT(d.recs[i].ours && d.recs[i].has_place, "record %zu not ours", i);
    fz_check_doc(&d, &r, "export");
    st_merge_result_free(&r);

    am_man *b = fz_new_core(nb, tb);
    am_stats st;
    am_stats_get(m, &st);
    am_id_floor(b, st.next_id);
    fz_merge(b, &d, 1, ST_MERGE_ALL, "snapshot restore");
    FZ_ASSERT(am_size(b) == am_size(m), "snapshot restore: %zu peers of %zu",
              am_size(b), am_size(m));
    for (size_t i = 0; i < d.n; i++)
        fz_same_peer(m, b, d.recs[i].id);
    am_free(b);
    st_doc_free(&d);
    free(text);
}

/* The foreign records of d merged into a fresh core (16 x 4 buckets),
 * then the snapshot round trip; d is freed. */
static inline void fz_merge_foreign_doc(st_doc *d)
{
    am_man *m = fz_new_core(16, 4);
    fz_merge(m, d, 0, ST_MERGE_ALL, "merge");
    fz_snapshot_round_trip(m, 16, 4);
    am_free(m);
    st_doc_free(d);
}

#endif
