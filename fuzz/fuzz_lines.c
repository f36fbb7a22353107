/*
 * fuzz_lines.c - the plain address list reader (format=lines).
 *
 * Input: any text.  Properties: reading never crashes and never refuses a
 * document as a whole; the records are well formed and every line with an
 * address is a record, an ignored entry or an error; merging them into a
 * core (16 x 4 buckets, fake clock) keeps am_check happy and accounts for
 * every record; the result exports as a Floresta peers.json that restores
 * into a fresh core as the same peers.
 */
#include "fuzz_readers.h"

#include "st_lines.h"

static int read_lines(const char *text, size_t len, st_doc *doc,
                      st_merge_result *r)
{
    return st_lines_read(text, len, 9, doc, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_doc d;
    st_merge_result r;

    FZ_ASSERT(fz_read(read_lines, data, size, &d, &r),
              "a list is never unreadable as a whole");
    fz_check_doc(&d, &r, "lines");
    FZ_ASSERT(d.n + r.ignored + r.n_errors == d.entries,
              "lines: %zu records, %zu ignored, %zu errors of %zu entries",
              d.n, r.ignored, r.n_errors, d.entries);
    for (size_t i = 0; i < d.n; i++)
        FZ_ASSERT(!d.recs[i].ours && !d.recs[i].has_source &&
                      d.recs[i].services == 9,
                  "lines record %zu", i);
    st_merge_result_free(&r);
    fz_merge_foreign_doc(&d);
    return 0;
}
