/*
 * fuzz_floresta.c - the peers.json (Floresta) reader, and the snapshot
 * round trip built on it.
 *
 * Input: a peers.json document.  Properties: reading never crashes; the
 * records are well formed (known networks, indexes in order, error indexes
 * inside the document); merging them into a core (16 x 4 buckets, fake
 * clock) keeps am_check happy and accounts for every record; the core then
 * exports as peers.json that reads back without an error and restores
 * into a fresh core as the same peers (ids, tables, fields, slot counts).
 */
#include "fuzz_readers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_doc d;
    st_merge_result r;

    if (!fz_read(st_floresta_read, data, size, &d, &r))
        return 0;
    fz_check_doc(&d, &r, "floresta");
    st_merge_result_free(&r);

    am_man *m = fz_new_core(16, 4);
    /* As the store starts: our records, then the foreign ones. */
    fz_merge(m, &d, 1, ST_MERGE_OURS, "merge ours");
    fz_merge(m, &d, 0, ST_MERGE_FOREIGN, "merge foreign");
    /* A second import of the same document only refreshes. */
    fz_merge(m, &d, 0, ST_MERGE_ALL, "merge again");
    fz_snapshot_round_trip(m, 16, 4);
    am_free(m);
    st_doc_free(&d);
    return 0;
}
