/*
 * test_p2p_frame.c - the chains and the v1 message framing (p2p/am_chain.c,
 * p2p/p2p_frame.c), against messages python-bitcoinlib framed.
 */
#include "p2p_test.h"

#include "am_error.h"
#include "chain.h"
#include "p2p_frame.h"

static const char *const chains_of_vectors[] = {"main", "regtest"};

static const am_chain *chain(const char *name)
{
    const am_chain *c = NULL;
    assert_int_equal(am_chain_by_name(name, &c), AM_OK);
    return c;
}

/* Feed all of buf at once; the return code, *used and one frame. */
static int feed_all(p2p_reader *r, const uint8_t *buf, size_t len, size_t *used,
                    p2p_frame *f, int *got)
{
    return p2p_reader_feed(r, buf, len, used, f, got);
}

/* ---- chains ------------------------------------------------------------- */

static void test_chains_have_core_magics_and_ports(void **state)
{
    static const struct { const char *name; uint8_t magic[4]; uint16_t port; } want[] = {
        {"main", {0xf9, 0xbe, 0xb4, 0xd9}, 8333},
        {"testnet4", {0x1c, 0x16, 0x3f, 0x28}, 48333},
        {"signet", {0x0a, 0x03, 0xcf, 0x40}, 38333},
        {"regtest", {0xfa, 0xbf, 0xb5, 0xda}, 18444},
    };
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        const am_chain *c = chain(want[i].name);
        assert_memory_equal(c->magic, want[i].magic, 4);
        assert_int_equal(c->port, want[i].port);
        assert_ptr_equal(am_chain_get(c->id), c);
        assert_string_equal(c->name, want[i].name);
    }
}

static void test_chain_lookup_refuses_unknown_names(void **state)
{
    const am_chain *c = NULL;
    (void)state;
    assert_int_equal(am_chain_by_name("testnet3", &c), AM_ERR_NOTFOUND);
    assert_int_equal(am_chain_by_name("Main", &c), AM_ERR_NOTFOUND);
    assert_int_equal(am_chain_by_name("", &c), AM_ERR_NOTFOUND);
    assert_null(c);
    assert_int_equal(am_chain_by_name(NULL, &c), AM_ERR_INVAL);
    assert_null(am_chain_get((am_chain_id)AM_CHAIN_COUNT));
}

/* ---- reading the vectors ------------------------------------------------ */

static void test_reader_reads_each_vector_whole(void **state)
{
    uint8_t msg[P2P_VECTOR_MAX];
    (void)state;
    for (size_t c = 0; c < 2; c++) {
        for (size_t i = 0; i < P2P_T_NAMES; i++) {
            size_t n = p2p_t_vector(chains_of_vectors[c], p2p_t_names[i], msg,
                                    sizeof msg), used = 0;
            p2p_reader r;
            p2p_frame f;
            int got = 0;
            char want[16];

            snprintf(want, sizeof want, "%s", p2p_t_names[i]);
            want[strcspn(want, "_")] = '\0';   /* version_norelay: version */
            p2p_reader_init(&r, chain(chains_of_vectors[c]));
            assert_int_equal(feed_all(&r, msg, n, &used, &f, &got), AM_OK);
            assert_int_equal(got, 1);
            assert_int_equal(used, n);
            assert_string_equal(f.command, want);
            assert_int_equal(f.len, n - P2P_HEADER_SIZE);
            assert_memory_equal(f.payload, msg + P2P_HEADER_SIZE, f.len);
            p2p_reader_free(&r);
        }
    }
}

static void test_reader_reads_a_stream_fed_one_byte_at_a_time(void **state)
{
    uint8_t stream[P2P_T_NAMES * P2P_VECTOR_MAX];
    size_t ends[P2P_T_NAMES], len = 0, seen = 0;
    p2p_reader r;
    (void)state;

    for (size_t i = 0; i < P2P_T_NAMES; i++) {
        len += p2p_t_vector("regtest", p2p_t_names[i], stream + len,
                            sizeof stream - len);
        ends[i] = len;
    }
    p2p_reader_init(&r, chain("regtest"));
    for (size_t at = 0; at < len; at++) {
        p2p_frame f;
        size_t used = 0;
        int got = 0;

        assert_int_equal(p2p_reader_feed(&r, stream + at, 1, &used, &f, &got), AM_OK);
        assert_int_equal(used, 1);
        /* A message comes out exactly at its last byte. */
        assert_int_equal(got, seen < P2P_T_NAMES && at + 1 == ends[seen]);
        if (got) {
            size_t start = seen == 0 ? 0 : ends[seen - 1];
            assert_int_equal(f.len, ends[seen] - start - P2P_HEADER_SIZE);
            assert_memory_equal(f.payload, stream + start + P2P_HEADER_SIZE, f.len);
            seen++;
        }
    }
    assert_int_equal(seen, P2P_T_NAMES);
    p2p_reader_free(&r);
}

static void test_reader_stops_at_the_end_of_each_message(void **state)
{
    uint8_t stream[2 * P2P_VECTOR_MAX];
    size_t n1, n2, used = 0;
    p2p_reader r;
    p2p_frame f;
    int got = 0;
    (void)state;

    n1 = p2p_t_vector("main", "ping", stream, sizeof stream);
    n2 = p2p_t_vector("main", "addr", stream + n1, sizeof stream - n1);
    p2p_reader_init(&r, chain("main"));
    assert_int_equal(feed_all(&r, stream, n1 + n2, &used, &f, &got), AM_OK);
    assert_int_equal(got, 1);
    assert_int_equal(used, n1);
    assert_string_equal(f.command, "ping");
    assert_int_equal(feed_all(&r, stream + n1, n2, &used, &f, &got), AM_OK);
    assert_int_equal(got, 1);
    assert_int_equal(used, n2);
    assert_string_equal(f.command, "addr");
    /* Nothing more: a call with no bytes hands nothing out. */
    assert_int_equal(feed_all(&r, stream, 0, &used, &f, &got), AM_OK);
    assert_int_equal(got, 0);
    p2p_reader_free(&r);
}

/* ---- writing ------------------------------------------------------------ */

static void test_builder_reproduces_each_vector(void **state)
{
    uint8_t msg[P2P_VECTOR_MAX], out[P2P_VECTOR_MAX];
    (void)state;
    for (size_t c = 0; c < 2; c++) {
        for (size_t i = 0; i < P2P_T_NAMES; i++) {
            size_t n = p2p_t_vector(chains_of_vectors[c], p2p_t_names[i], msg,
                                    sizeof msg), len = 0;
            char command[P2P_COMMAND_SIZE + 1];

            memcpy(command, msg + 4, P2P_COMMAND_SIZE);
            command[P2P_COMMAND_SIZE] = '\0';
            assert_int_equal(p2p_frame_build(chain(chains_of_vectors[c])->magic,
                                             command, msg + P2P_HEADER_SIZE,
                                             n - P2P_HEADER_SIZE, out, sizeof out,
                                             &len), AM_OK);
            assert_int_equal(len, n);
            assert_memory_equal(out, msg, n);
        }
    }
}

static void test_builder_refuses_bad_commands_and_small_buffers(void **state)
{
    uint8_t out[64], payload[8] = {0};
    const uint8_t *magic = chain("main")->magic;
    size_t len = 99;
    (void)state;

    memset(out, 0xaa, sizeof out);
    assert_int_equal(p2p_frame_build(magic, "", NULL, 0, out, sizeof out, &len), AM_ERR_INVAL);
    assert_int_equal(p2p_frame_build(magic, "thirteenchars", NULL, 0, out, sizeof out, &len),
                     AM_ERR_INVAL);
    assert_int_equal(p2p_frame_build(magic, "ver\x01", NULL, 0, out, sizeof out, &len),
                     AM_ERR_INVAL);
    assert_int_equal(p2p_frame_build(magic, "ping", payload, 8, out, 31, &len), AM_ERR_INVAL);
    assert_int_equal(len, 99);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 0xaa);
    assert_int_equal(p2p_frame_build(magic, "twelvechars!", payload, 8, out, 32, &len), AM_OK);
    assert_int_equal(len, 32);
}

/* ---- hostile streams ---------------------------------------------------- */

static void test_wrong_magic_is_refused_at_the_first_wrong_byte(void **state)
{
    uint8_t msg[P2P_VECTOR_MAX];
    size_t n = p2p_t_vector("main", "verack", msg, sizeof msg);
    (void)state;

    for (size_t bad = 0; bad < 4; bad++) {
        p2p_reader r;
        p2p_frame f;
        size_t used = 0;
        int got = 0;

        msg[bad] ^= 0x01;
        /* One byte at a time: the bytes before are fine, that byte is not. */
        p2p_reader_init(&r, chain("main"));
        for (size_t at = 0; at < bad; at++)
            assert_int_equal(p2p_reader_feed(&r, msg + at, 1, &used, &f, &got), AM_OK);
        assert_int_equal(p2p_reader_feed(&r, msg + bad, 1, &used, &f, &got),
                         AM_ERR_MALFORMED);
        assert_int_equal(used, 1);
        assert_non_null(strstr(p2p_reader_why(&r), "network magic"));
        /* Refused for good. */
        assert_int_equal(feed_all(&r, msg, n, &used, &f, &got), AM_ERR_MALFORMED);
        assert_int_equal(used, 0);
        assert_int_equal(got, 0);
        p2p_reader_free(&r);

        /* Whole: consumed up to and including that byte. */
        p2p_reader_init(&r, chain("main"));
        assert_int_equal(feed_all(&r, msg, n, &used, &f, &got), AM_ERR_MALFORMED);
        assert_int_equal(used, bad + 1);
        p2p_reader_free(&r);
        msg[bad] ^= 0x01;
    }
}

static void test_another_chains_message_is_refused(void **state)
{
    uint8_t msg[P2P_VECTOR_MAX];
    size_t n = p2p_t_vector("regtest", "version", msg, sizeof msg), used = 0;
    p2p_reader r;
    p2p_frame f;
    int got = 0;
    (void)state;

    p2p_reader_init(&r, chain("main"));
    assert_int_equal(feed_all(&r, msg, n, &used, &f, &got), AM_ERR_MALFORMED);
    assert_int_equal(used, 1);
    assert_string_equal(p2p_reader_why(&r),
                        "byte 0 of the network magic is 0xfa, not 0xf9");
    p2p_reader_free(&r);
}

/* Feed a whole message; the code, with the sentence checked to hold `why`. */
static int feed_refused(const uint8_t *msg, size_t n, const char *why, size_t *used)
{
    p2p_reader r;
    p2p_frame f;
    int got = 0, rc;

    p2p_reader_init(&r, chain("main"));
    rc = feed_all(&r, msg, n, used, &f, &got);
    assert_int_equal(got, 0);
    if (strstr(p2p_reader_why(&r), why) == NULL)
        fail_msg("\"%s\" does not say \"%s\"", p2p_reader_why(&r), why);
    assert_int_equal(p2p_reader_buffered(&r), P2P_HEADER_SIZE);
    p2p_reader_free(&r);
    return rc;
}

static void test_bad_checksum_is_refused(void **state)
{
    uint8_t msg[P2P_VECTOR_MAX];
    size_t n = p2p_t_vector("main", "ping", msg, sizeof msg), used = 0;
    (void)state;

    msg[20] ^= 0x80;
    assert_int_equal(feed_refused(msg, n, "checksum", &used), AM_ERR_MALFORMED);
    assert_int_equal(used, n);
    msg[20] ^= 0x80;
    msg[n - 1] ^= 0x01;   /* the payload changed instead */
    assert_int_equal(feed_refused(msg, n, "checksum", &used), AM_ERR_MALFORMED);
    msg[n - 1] ^= 0x01;
    n = p2p_t_vector("main", "verack", msg, sizeof msg);
    msg[23] ^= 0x01;      /* an empty payload's checksum counts too */
    assert_int_equal(feed_refused(msg, n, "checksum", &used), AM_ERR_MALFORMED);
}

static void test_bad_commands_are_refused(void **state)
{
    static const struct { const char cmd[13]; const char *why; } bad[] = {
        {"ver\x01sion", "not printable"},
        {"ping\x7f", "not printable"},
        {"ping\0\0x", "after the NUL padding"},
        {"getaddr\0\0\0\0\x01", "after the NUL padding"},
        {"", "empty"},
    };
    uint8_t msg[P2P_VECTOR_MAX];
    size_t n = p2p_t_vector("main", "verack", msg, sizeof msg), used = 0;
    (void)state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(msg + 4, bad[i].cmd, P2P_COMMAND_SIZE);
        assert_int_equal(feed_refused(msg, n, bad[i].why, &used), AM_ERR_MALFORMED);
        assert_int_equal(used, P2P_HEADER_SIZE);
    }
}

/* A header saying `len` payload bytes follow. */
static void header_claiming(uint8_t hdr[P2P_HEADER_SIZE], uint32_t len)
{
    p2p_t_vector("main", "verack", hdr, P2P_HEADER_SIZE);
    hdr[16] = (uint8_t)len;
    hdr[17] = (uint8_t)(len >> 8);
    hdr[18] = (uint8_t)(len >> 16);
    hdr[19] = (uint8_t)(len >> 24);
}

static void test_oversized_length_is_refused_before_the_payload(void **state)
{
    uint8_t hdr[P2P_HEADER_SIZE + 8] = {0};
    size_t used = 0;
    p2p_reader r;
    p2p_frame f;
    int got = 0;
    (void)state;

    header_claiming(hdr, P2P_MAX_PAYLOAD_DEFAULT + 1);
    assert_int_equal(feed_refused(hdr, sizeof hdr, "above the maximum 4000000", &used),
                     AM_ERR_RANGE);
    assert_int_equal(used, P2P_HEADER_SIZE);
    header_claiming(hdr, UINT32_MAX);
    assert_int_equal(feed_refused(hdr, sizeof hdr, "above the maximum", &used), AM_ERR_RANGE);

    /* The maximum itself is fine, and waits for its payload. */
    header_claiming(hdr, P2P_MAX_PAYLOAD_DEFAULT);
    p2p_reader_init(&r, chain("main"));
    assert_int_equal(feed_all(&r, hdr, sizeof hdr, &used, &f, &got), AM_OK);
    assert_int_equal(got, 0);
    p2p_reader_free(&r);

    /* A caller's own maximum. */
    p2p_reader_init(&r, chain("main"));
    p2p_reader_set_max(&r, 100);
    header_claiming(hdr, 101);
    assert_int_equal(feed_all(&r, hdr, P2P_HEADER_SIZE, &used, &f, &got), AM_ERR_RANGE);
    assert_string_equal(p2p_reader_why(&r), "payload length 101 is above the maximum 100");
    p2p_reader_free(&r);
    p2p_reader_init(&r, chain("main"));
    p2p_reader_set_max(&r, 100);
    header_claiming(hdr, 100);
    assert_int_equal(feed_all(&r, hdr, P2P_HEADER_SIZE, &used, &f, &got), AM_OK);
    p2p_reader_free(&r);
}

static void test_buffer_grows_with_the_bytes_not_the_claimed_length(void **state)
{
    static uint8_t payload[200000];
    uint8_t hdr[P2P_HEADER_SIZE];
    size_t used = 0;
    p2p_reader r;
    p2p_frame f;
    int got = 0;
    (void)state;

    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7);
    header_claiming(hdr, (uint32_t)sizeof payload);
    assert_int_equal(p2p_checksum(payload, sizeof payload, hdr + 20), AM_OK);
    p2p_reader_init(&r, chain("main"));
    assert_int_equal(feed_all(&r, hdr, sizeof hdr, &used, &f, &got), AM_OK);
    assert_int_equal(p2p_reader_buffered(&r), P2P_HEADER_SIZE);
    assert_int_equal(feed_all(&r, payload, 10, &used, &f, &got), AM_OK);
    assert_int_equal(p2p_reader_buffered(&r), P2P_HEADER_SIZE + 4096);
    for (size_t at = 10; at < sizeof payload; at += 1000) {
        size_t n = sizeof payload - at < 1000 ? sizeof payload - at : 1000;
        assert_int_equal(feed_all(&r, payload + at, n, &used, &f, &got), AM_OK);
        assert_true(p2p_reader_buffered(&r) <= P2P_HEADER_SIZE + sizeof payload);
        /* At most double what arrived, past the first 4096 bytes. */
        assert_true(p2p_reader_buffered(&r) <= P2P_HEADER_SIZE + 4096 ||
                    p2p_reader_buffered(&r) <= P2P_HEADER_SIZE + 2 * (at + n));
    }
    assert_int_equal(got, 1);
    assert_int_equal(f.len, sizeof payload);
    assert_memory_equal(f.payload, payload, sizeof payload);
    /* The next message starts without the large buffer. */
    assert_int_equal(feed_all(&r, hdr, 1, &used, &f, &got), AM_OK);
    assert_int_equal(p2p_reader_buffered(&r), 1);
    p2p_reader_free(&r);
}

static void test_feed_refuses_null_arguments(void **state)
{
    p2p_reader r;
    p2p_frame f;
    size_t used;
    int got;
    (void)state;

    p2p_reader_init(&r, chain("main"));
    assert_int_equal(p2p_reader_feed(&r, NULL, 1, &used, &f, &got), AM_ERR_INVAL);
    assert_int_equal(p2p_reader_feed(NULL, NULL, 0, &used, &f, &got), AM_ERR_INVAL);
    assert_string_equal(p2p_reader_why(&r), "");
    p2p_reader_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chains_have_core_magics_and_ports),
        cmocka_unit_test(test_chain_lookup_refuses_unknown_names),
        cmocka_unit_test(test_reader_reads_each_vector_whole),
        cmocka_unit_test(test_reader_reads_a_stream_fed_one_byte_at_a_time),
        cmocka_unit_test(test_reader_stops_at_the_end_of_each_message),
        cmocka_unit_test(test_builder_reproduces_each_vector),
        cmocka_unit_test(test_builder_refuses_bad_commands_and_small_buffers),
        cmocka_unit_test(test_wrong_magic_is_refused_at_the_first_wrong_byte),
        cmocka_unit_test(test_another_chains_message_is_refused),
        cmocka_unit_test(test_bad_checksum_is_refused),
        cmocka_unit_test(test_bad_commands_are_refused),
        cmocka_unit_test(test_oversized_length_is_refused_before_the_payload),
        cmocka_unit_test(test_buffer_grows_with_the_bytes_not_the_claimed_length),
        cmocka_unit_test(test_feed_refuses_null_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
