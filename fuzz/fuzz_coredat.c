/*
 * fuzz_coredat.c - Bitcoin Core's peers.dat reader (st_coredat.h).
 *
 * Input: a control byte, then a peers.dat image.  Bit 0 of the control
 * byte: fix the last 32 bytes up into the right checksum first, so that
 * mutations get past it.  Properties: reading never crashes; a refusal is
 * AM_ERR_MALFORMED with a sentence; a file read has counts within Core's
 * limits, bucket references to new entries only, addresses of known
 * networks with zeroed tails; the placement check runs to an answer;
 * the import's records are well formed and merge into a core (am_check),
 * with the snapshot round trip; the usable entries written again as a
 * peers.dat read back with every entry where Core places it, and every
 * peer accounted for.
 */
#include "fuzz_readers.h"

#include <openssl/sha.h>

#include "chain.h"
#include "st_coredat.h"

static int read_any_chain(const char *text, size_t len, st_doc *doc,
                          st_merge_result *r)
{
    return st_coredat_read((const uint8_t *)text, len, NULL, doc, r);
}

static void check_parsed(const st_coredat *d)
{
    FZ_ASSERT(d->n_new <= ST_COREDAT_NEW_MAX && d->n_tried <=
              ST_COREDAT_TRIED_MAX, "counts %u %u", d->n_new, d->n_tried);
    FZ_ASSERT(d->n_refs <= (size_t)d->n_buckets * ST_COREDAT_BUCKET_SIZE,
              "%zu references in %u buckets", d->n_refs, d->n_buckets);
    for (size_t i = 0; i < d->n_refs; i++)
        FZ_ASSERT(d->refs[i].index < d->n_new && d->refs[i].bucket <
                  d->n_buckets, "reference %zu", i);
    for (size_t i = 0; i < (size_t)d->n_new + d->n_tried; i++) {
        const st_coredat_entry *e = &d->e[i];
        if (e->skip != AM_OK)
            continue;
        size_t len = am_net_len(e->addr.net);
        FZ_ASSERT(len > 0, "entry %zu network %u", i, e->addr.net);
        for (size_t k = len; k < AM_ADDR_MAXLEN; k++)
            FZ_ASSERT(e->addr.bytes[k] == 0, "entry %zu byte %zu", i, k);
    }
}

/* The usable entries as peers, written and read back. */
static void write_back(const st_coredat *d)
{
    size_t total = (size_t)d->n_new + d->n_tried, n = 0, len;
    am_peer *peers = calloc(total ? total : 1, sizeof *peers);
    uint8_t key[ST_COREDAT_KEY_LEN], *out;
    st_coredat_written w;
    st_coredat_check ck;
    st_coredat back;
    char why[ST_COREDAT_WHY_MAX];

    FZ_ASSERT(peers != NULL, "out of memory");
    memset(key, 0xa5, sizeof key);
    for (size_t i = 0; i < total; i++) {
        const st_coredat_entry *e = &d->e[i];
        if (e->skip != AM_OK)
            continue;
        am_peer *p = &peers[n++];
        p->addr = e->addr;
        p->source = e->source;
        p->has_source = e->has_source;
        p->services = e->services;
        p->time = e->time;
        p->in_tried = e->tried;
        p->last_success = e->last_success;
        p->attempts = e->attempts < 0 ? 0 : (uint32_t)e->attempts;
    }
    int rc = st_coredat_write(am_chain_get(AM_CHAIN_MAIN), key, peers, n,
                              &out, &len, &w);
    FZ_ASSERT(rc == AM_OK, "write returned %d", rc);
    FZ_ASSERT(w.tried + w.new_entries + w.left_out + w.invalid == n,
              "%zu + %zu + %zu + %zu of %zu peers", w.tried, w.new_entries,
              w.left_out, w.invalid, n);
    rc = st_coredat_parse(out, len, am_chain_get(AM_CHAIN_MAIN),
                          ST_COREDAT_VERIFY, &back, &ck, why, sizeof why);
    FZ_ASSERT(rc == AM_OK, "our own file is refused: %s", why);
    FZ_ASSERT(back.n_tried == w.tried && back.n_new == w.new_entries &&
              ck.tried == w.tried && ck.new_own_bucket == w.new_entries,
              "tried %u/%zu new %u/%zu", back.n_tried, w.tried, back.n_new,
              w.new_entries);
    st_coredat_free(&back);
    free(out);
    free(peers);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_coredat d;
    st_coredat_check ck;
    st_doc doc;
    st_merge_result r;
    char why[ST_COREDAT_WHY_MAX];

    if (size < 1)
        return 0;
    uint8_t *buf = malloc(size);
    FZ_ASSERT(buf != NULL, "out of memory");
    memcpy(buf, data + 1, size - 1);
    size--;
    if ((data[0] & 1) && size >= 32) {
        uint8_t once[32];
        SHA256(buf, size - 32, once);
        SHA256(once, 32, buf + size - 32);
    }
    int rc = st_coredat_parse(buf, size, NULL, 0, &d, NULL, why, sizeof why);
    FZ_ASSERT(rc == AM_OK || (rc == AM_ERR_MALFORMED && why[0] != '\0'),
              "parse returned %d (%s)", rc, why);
    if (rc == AM_OK) {
        check_parsed(&d);
        (void)st_coredat_verify(&d, &ck, why, sizeof why);
        write_back(&d);
        st_coredat_free(&d);
    }
    if (fz_read(read_any_chain, buf, size, &doc, &r)) {
        fz_check_doc(&doc, &r, "coredat");
        st_merge_result_free(&r);
        fz_merge_foreign_doc(&doc);
    }
    free(buf);
    return 0;
}
