/*
 * fuzz_btcd.c - the btcd peers.json (addrmgr) reader.
 *
 * Input: a btcd peers.json document.  Properties: reading never crashes;
 * the records are well formed; merging them into a core (16 x 4 buckets,
 * fake clock) keeps am_check happy and accounts for every record; the
 * result exports as a Floresta peers.json that restores into a fresh core
 * as the same peers.
 */
#include "fuzz_readers.h"

#include "st_btcd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_doc d;
    st_merge_result r;

    if (!fz_read(st_btcd_read, data, size, &d, &r))
        return 0;
    fz_check_doc(&d, &r, "btcd");
    for (size_t i = 0; i < d.n; i++)
        FZ_ASSERT(!d.recs[i].ours && !d.recs[i].has_place,
                  "btcd record %zu claims to be ours", i);
    st_merge_result_free(&r);
    fz_merge_foreign_doc(&d);
    return 0;
}
