/*
 * test_journal_source_survives_snapshot.c - what a journal replay puts in
 * the core must survive the next snapshot: the exported peers.json reads
 * back without an error.
 *
 * Found by fuzz/fuzz_journal.c.  A journal address is "u8 network | u16
 * port | bytes" and the decoder (store/st_journal.c, get_addr) only checks
 * the length for the network, unlike am_addr_from_bytes.  An UPSERT whose
 * source is an IPv6 address in the Tor v2 OnionCat range
 * (fd87:d87e:eb43::/48) is replayed (am_restore does not look at the
 * source either); the export then writes "source": "fd87:d87e:eb43::1",
 * which st_floresta_read refuses ("source" is not an address): at the next
 * start that peer is an error and is lost.  Either refusing such a record
 * (or source) at replay, or exporting only what the reader takes, passes.
 */
#include "am_test.h"

#include "js_buf.h"
#include "st_floresta.h"
#include "st_journal.h"

static void test_onioncat_source_from_journal_survives_snapshot(void **state)
{
    (void)state;
    am_man *m = t_man(16, 4);
    st_jrec r;
    memset(&r, 0, sizeof r);
    r.type = ST_J_UPSERT;
    r.peer.id = 1;
    r.peer.addr = t_v4(1, 2, 3, 4, T_PORT);
    r.peer.has_source = 1;
    r.peer.source.net = AM_NET_IPV6;
    static const uint8_t onioncat[16] = {0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43, 0, 0,
                                         0,    0,    0,    0,    0,    0,    0, 1};
    memcpy(r.peer.source.bytes, onioncat, 16);
    r.peer.services = 1;
    r.peer.state = AM_STATE_NEVER_TRIED;
    r.peer.time = T_START;

    js_buf b;
    js_buf_init(&b);
    js_buf_put(&b, ST_JOURNAL_MAGIC, ST_JOURNAL_HDR);
    st_journal_encode(&b, &r);
    st_replay rep;
    ASSERT_RC(st_journal_replay(m, (const uint8_t *)b.data, b.len, 0, &rep), AM_OK);
    js_buf_free(&b);
    CHECK(m);

    char *text = NULL;
    size_t len = 0, count = 0;
    ASSERT_RC(st_floresta_export(m, &text, &len, &count), AM_OK);
    st_doc d;
    st_merge_result res;
    st_doc_init(&d);
    st_merge_result_init(&res);
    ASSERT_RC(st_floresta_read(text, len, &d, &res), AM_OK);
    if (res.n_errors != 0)
        fail_msg("our own snapshot has %zu error(s): %s\n%s", res.n_errors,
                 res.errors_kept ? res.errors[0].message : "", text);
    assert_int_equal(d.n, count);

    st_merge_result_free(&res);
    st_doc_free(&d);
    free(text);
    am_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_onioncat_source_from_journal_survives_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
